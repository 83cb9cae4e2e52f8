/// The release of the daemon and the client: both print it with `--version`, CHANGELOG.md's newest release
/// heading names it (`ReleaseTests`), and the Debian package (`packaging/build-deb`) takes its version from it.
public enum SozialraumRelease {
    public static let version = "0.9.0"
}

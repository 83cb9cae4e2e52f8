import ArgumentParser

/// The admin client. The admin socket arrives with its own issue; until then this prints its usage.
struct SozialraumCtl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sozialraumctl",
        abstract: "Admin client for sozialraumd (admin socket: not yet available in this version).")

    func run() throws {
        print(SozialraumCtl.helpMessage())
    }
}

SozialraumCtl.main()

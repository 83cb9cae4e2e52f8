import Foundation
import SozialraumDomain

/// Limits of the admin socket. Defaults suit an office: generous for people, tight for floods.
public struct AdminLimits: Sendable {
    public var maximumLineBytes = 64 * 1024
    public var maximumUploadBytes = 256 * 1024 * 1024
    /// All sessions' uploads together, on disk in `uploadDirectory` (read at start; a reload does not
    /// change it).
    public var maximumUploadBytesInFlight = 512 * 1024 * 1024
    /// Where upload blocks are spooled while they arrive (unlinked files; under systemd's PrivateTmp a
    /// private directory). Not /tmp: that is often a tmpfs, i.e. memory.
    public var uploadDirectory = "/var/tmp"
    /// Imports that read their upload into memory at once; further ones wait with theirs on disk.
    public var maximumConcurrentImports = 2
    public var maximumSessions = 256
    public var maximumSessionsPerAccount = 32
    /// Sessions not yet logged in, per network listener (TLS, plain TCP) and per source address: a
    /// stranger can hold no more, and these expire at the login timeout whatever they send.
    public var maximumSessionsBeforeLogin = 32
    public var maximumSessionsBeforeLoginPerSource = 8
    /// Sessions of the total that network listeners cannot take: the local Unix socket (county IT,
    /// accountants on the server) always has room.
    public var sessionsKeptForUnixSocket = 16
    public var loginTimeout: Duration = .seconds(30)
    public var idleTimeout: Duration = .seconds(900)
    public init() {}
}

/// Where the admin socket listens and who a Unix peer is.
public struct AdminSocketConfiguration: Sendable {
    public var unixSocketPath: String
    /// A listening Unix socket passed by systemd (socket activation); the daemon then neither binds
    /// nor removes `unixSocketPath` and leaves its mode to the socket unit.
    public var activatedUnixSocket: Int32?
    /// Unix socket mode; the group is set by `unixSocketGroup` when given.
    public var unixSocketMode: mode_t = 0o660
    public var unixSocketGroup: String?
    /// Peer uid → account name: such a peer is logged in without a secret.
    public var peerAccounts: [UInt32: String] = [:]
    public var limits = AdminLimits()
    /// TCP with TLS (off when nil). Clients must log in.
    public var tls: TLSListener?
    /// Plain TCP for development: refused unless the host is a loopback address.
    public var plainTCP: (host: String, port: Int)?
    /// The language of texts for accounts that chose none (`interface.language`, whose default is German;
    /// a socket set up in code speaks English unless told).
    public var language: Language = .en
    /// `reports.minimumGroupSize`: fewer cases than this are shown as "< n" in the committee report.
    public var reportMinimumGroup = 3

    public struct TLSListener: Sendable {
        public var host: String
        public var port: Int
        /// PEM files: the certificate chain and its private key.
        public var certificateChainPath: String
        public var privateKeyPath: String
        /// PEM file of the authorities whose client certificates a connection may present (the portal's
        /// `portal.clientCA`); nil: none are asked for. Asked for, not required: whether a tenant needs one is
        /// the database's (its pinned certificates, sql/0040).
        public var clientAuthorityPath: String?
        public init(
            host: String, port: Int, certificateChainPath: String, privateKeyPath: String,
            clientAuthorityPath: String? = nil
        ) {
            self.host = host
            self.port = port
            self.certificateChainPath = certificateChainPath
            self.privateKeyPath = privateKeyPath
            self.clientAuthorityPath = clientAuthorityPath
        }
    }

    public init(unixSocketPath: String) {
        self.unixSocketPath = unixSocketPath
    }
}

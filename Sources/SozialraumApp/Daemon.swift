import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresClient
import PostgresEmbedded
import ServiceLifecycle
import SozialraumDemo
import SozialraumDomain
import SozialraumInterfaces
import SozialraumPortal
import SozialraumServices
import SozialraumStore
import UnixSignals

/// Composes the daemon: database (configured or embedded), checks, and the long-lived services in
/// one `ServiceGroup` that shuts down gracefully on SIGTERM/SIGINT.
public struct Daemon: Sendable {
    let settings: Settings
    let logger: Logger
    /// Reads the configuration again (SIGHUP); nil: reload only re-reads nothing and says so.
    let reloadSettings: (@Sendable () async throws -> Settings)?

    public init(settings: Settings, logger: Logger, reloadSettings: (@Sendable () async throws -> Settings)? = nil) {
        self.settings = settings
        self.logger = logger
        self.reloadSettings = reloadSettings
    }

    public func run() async throws {
        let notifier = SystemdNotifier()
        notifier.notify("STATUS=starting")
        // What can refuse the start is checked before anything starts, and before READY=1.
        if let tls = settings.adminTLSListener {
            do { try AdminServer.checkTLS(tls) } catch {
                logger.critical("\(error.description)")
                throw error
            }
        }
        if let tls = settings.portalListener?.tls {
            do { try AdminServer.checkTLS(tls, setting: "portal") } catch {
                logger.critical("\(error.description)")
                throw error
            }
        }
        // Taken first: the variables must not reach children such as the embedded PostgreSQL.
        let activated = SocketActivation.takeListeningSockets()
        unsetenv("NOTIFY_SOCKET")
        unsetenv("WATCHDOG_USEC")
        unsetenv("WATCHDOG_PID")
        // The admin socket (and the embedded cluster) live here; systemd's StateDirectory= makes it, a
        // trial run makes it itself (default permissions: the embedded cluster's OS user must reach its
        // data directory below; the socket has its own mode).
        try FileManager.default.createDirectory(atPath: settings.stateDirectory, withIntermediateDirectories: true)
        var embedded: EmbeddedPostgres?
        let conninfo: String
        if settings.usesEmbeddedDatabase {
            notifier.notify("STATUS=starting the embedded database")
            let location = EmbeddedPostgres.clusterDirectory(forStateDirectory: settings.stateDirectory)
            if location.relocated {
                logger.notice(
                    "the embedded cluster's OS user cannot reach the state directory; its data lives elsewhere",
                    metadata: ["directory": "\(location.url.path)"])
            }
            let cluster = try EmbeddedPostgres(directory: location.url, logger: logger)
            try await cluster.started()
            embedded = cluster
            conninfo = try await EmbeddedSetup.prepare(
                cluster: cluster, countyName: settings.countyName, logger: logger)
        } else {
            conninfo = settings.databaseConninfo
        }
        do {
            try await serve(conninfo: conninfo, notifier: notifier, activated: activated)
        } catch {
            if let embedded { try? await embedded.stopped() }
            throw error
        }
        if let embedded { try? await embedded.stopped() }
    }

    /// The store, the checks and the long-lived services until the service group ends.
    private func serve(conninfo: String, notifier: SystemdNotifier, activated: [String: Int32]) async throws {
        let store = Store(
            conninfo: conninfo, maxConnections: settings.databasePoolSize,
            acquireTimeout: .seconds(settings.databaseAcquireTimeoutSeconds), logger: logger)
        notifier.notify("STATUS=checking the database role and schema")
        do {
            try await store.requireSafeRuntimeRole()
            try await store.requireCurrentSchema()
        } catch let error as StoreError {
            logger.critical("\(error.description)")
            await store.shutdown()
            throw error
        }

        var peerAccounts = settings.adminPeerAccounts
        if settings.usesEmbeddedDatabase, peerAccounts.isEmpty {
            // A trial run: whoever started the daemon is the county's controller on the socket.
            peerAccounts[getuid()] = EmbeddedSetup.demoAccount
        }
        var adminConfiguration = AdminSocketConfiguration(unixSocketPath: settings.effectiveAdminSocketPath)
        adminConfiguration.unixSocketGroup = settings.adminSocketGroup.isEmpty ? nil : settings.adminSocketGroup
        adminConfiguration.peerAccounts = peerAccounts
        adminConfiguration.limits = settings.adminLimits
        adminConfiguration.language = settings.interfaceLanguage
        adminConfiguration.reportMinimumGroup = settings.reportMinimumGroupSize
        adminConfiguration.activatedUnixSocket = SocketActivation.adminSocket(in: activated)
        adminConfiguration.tls = settings.adminTLSListener
        adminConfiguration.plainTCP = Settings.hostAndPort(settings.adminPlainTCPListen)
        let services = UseCases(
            store: store, logger: logger, today: CountyCalendar.today, paymentSettings: settings.payments,
            land: settings.countyLand, retention: settings.retention, erasureBatch: settings.erasureBatch)
        let (listening, listeningDone) = AsyncStream<Void>.makeStream()
        let admin = AdminServer(
            configuration: adminConfiguration, services: services,
            operations: AdminOperations(
                reload: { kill(getpid(), SIGHUP) }, setLogLevel: { LoggingSystemLevel.set($0) }), logger: logger,
            onListening: { _ in listeningDone.finish() })
        var schedulerOptions = SchedulerOptions()
        if !settings.schedulerInstance.isEmpty { schedulerOptions.instance = settings.schedulerInstance }
        schedulerOptions.heartbeatInterval = .seconds(settings.schedulerHeartbeatSeconds)
        schedulerOptions.rescueAfterSeconds = Int64(settings.schedulerRescueAfterSeconds)
        schedulerOptions.historyDays = Int64(settings.schedulerHistoryDays)
        if !settings.schedulerSchedules.isEmpty {
            try await services.jobs.seed(
                settings.schedulerSchedules, now: try await services.jobs.databaseNow())
            logger.info(
                "schedules seeded from the config", metadata: ["schedules": "\(settings.schedulerSchedules.count)"])
        }
        // One STATUS= line: the database's reachability and the schedules past their deadline.
        let status = ServiceStatus { notifier.notify($0) }
        let scheduler = Scheduler(
            jobs: services.jobs, options: schedulerOptions, logger: logger, listenConninfo: conninfo,
            onOverdue: { status.overdue($0) },
            runner: StandardJobs.runner(
                reconciliation: services.reconciliation, keepNightlyDays: settings.reconciliationKeepNightlyDays,
                accessLog: services.accessLog, accessLogYears: settings.retention.accessLogYears,
                erasure: services.erasure, county: { try await store.countyTenant() }))
        // Before READY=1: a name held by a live instance stops the start here, not after systemd was told
        // the service is up (the scheduler registers again, as the same token, when it runs).
        do { try await scheduler.register() } catch {
            await store.shutdown()
            throw error
        }
        let monitor = DatabaseMonitor(status: services.status, logger: logger) { reachable in
            // Not before READY=1: the first check only confirms what startup already proved.
            status.database(reachable: reachable)
        }
        // Alive: an event loop of the admin socket runs a task (a stuck loop stops the pings, and systemd restarts).
        let watchdog = WatchdogService(notifier: notifier, logger: logger) {
            (try? await MultiThreadedEventLoopGroup.singleton.next().submit { true }.get()) ?? false
        }
        let current = settings
        let reload = ReloadService(
            signals: await UnixSignalsSequence(trapping: .sighup),
            reload: { [reloadSettings] in try await reloadSettings?() ?? current },
            apply: { [logger] new in
                // First what can fail: renewed TLS certificates (the old ones stay if these are unusable).
                try admin.reloadTLS()
                // What a restart would change but a reload cannot is named, not silently ignored.
                for (key, changed) in [
                    ("database.conninfo", new.databaseConninfo != current.databaseConninfo),
                    ("database.embedded", new.databaseEmbedded != current.databaseEmbedded),
                    ("database.poolSize", new.databasePoolSize != current.databasePoolSize),
                    (
                        "database.acquireTimeoutSeconds",
                        new.databaseAcquireTimeoutSeconds != current.databaseAcquireTimeoutSeconds
                    ),
                    ("scheduler.instance", new.schedulerInstance != current.schedulerInstance),
                    ("stateDirectory", new.stateDirectory != current.stateDirectory),
                    ("admin.socketPath", new.adminSocketPath != current.adminSocketPath),
                    ("admin.tlsListen", new.adminTLSListen != current.adminTLSListen),
                    ("metrics.listen", new.metricsListen != current.metricsListen),
                ] where changed {
                    logger.warning("setting changed; it takes effect on restart", metadata: ["key": "\(key)"])
                }
                if !new.schedulerSchedules.isEmpty {
                    try await services.jobs.seed(
                        new.schedulerSchedules, now: try await services.jobs.databaseNow())
                }
                var accounts = new.adminPeerAccounts
                if new.usesEmbeddedDatabase, accounts.isEmpty { accounts[getuid()] = EmbeddedSetup.demoAccount }
                admin.reload(peerAccounts: accounts, limits: new.adminLimits)
                LoggingSystemLevel.set(new.logLevel)
            },
            notifier: notifier, logger: logger)
        let readiness = ReadinessService(
            logger: logger, metadata: ["database": "\(settings.usesEmbeddedDatabase ? "embedded" : "configured")"],
            prerequisites: listening, notifier: notifier)
        var parts: [any Service] = [monitor, admin, scheduler, watchdog, reload, readiness]
        if let listen = try MetricsListen.parse(settings.metricsListen) {
            parts.append(
                MetricsServer(listen: listen, logger: logger) {
                    await admin.metricsExposition(county: { try await store.countyTenant() })
                })
        }
        if let listen = settings.portalListener {
            let portal = Portal(
                services: services, logger: logger, today: CountyCalendar.today, imports: admin.imports,
                maximumUploadBytes: settings.adminLimits.maximumUploadBytes)
            let tls = try listen.tls.map { tls throws(AdminSocketError) in
                try AdminServer.serverTLSConfiguration(tls, setting: "portal")
            }
            parts.append(
                try portal.application(.init(host: listen.host, port: listen.port, tls: tls)) { port in
                    logger.info("portal listening", metadata: ["port": "\(port)"])
                })
        }
        var groupConfiguration = ServiceGroupConfiguration(
            services: parts,
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        // Within the unit's TimeoutStopSec=60: running commands get 45 s, then they are cancelled (their
        // transactions roll back) and the daemon exits before systemd would kill it.
        groupConfiguration.maximumGracefulShutdownDuration = .seconds(45)
        let group = ServiceGroup(configuration: groupConfiguration)
        try await group.run()
        await store.shutdown()
        logger.info("sozialraumd stopped")
    }
}

/// First start of the embedded cluster: database, roles, schema, county. Idempotent.
public enum EmbeddedSetup {
    public static let database = "sozialraum"

    /// Returns the runtime conninfo.
    public static func prepare(cluster: EmbeddedPostgres, countyName: String, logger: Logger) async throws -> String {
        let maintenance = try await PostgresConnection.connect(conninfo: cluster.conninfo(database: "postgres"))
        try await DatabaseRoles.createDatabaseIfMissing(database, on: maintenance)
        let superuser = cluster.conninfo(database: database)
        let target = try await PostgresConnection.connect(conninfo: superuser)
        try await DatabaseRoles.prepare(on: target)
        try await Migrator(logger: logger).migrate(conninfo: superuser)
        let county = try await TenantRegistry.ensureCounty(name: countyName, ownerConninfo: superuser)
        let runtime = cluster.conninfo(database: database, user: DatabaseRoles.defaultLogin)
        try await seedDemoData(county: county, conninfo: runtime, logger: logger)
        try await ensureDemoAccount(county: county, conninfo: runtime, logger: logger)
        return runtime
    }

    /// The account a trial user is logged in as through the Unix socket (county role).
    public static let demoAccount = "kaemmerei"

    static func ensureDemoAccount(county: TenantID, conninfo: String, logger: Logger) async throws {
        let store = Store(conninfo: conninfo, maxConnections: 1, logger: logger)
        defer { Task { await store.shutdown() } }
        let accounts = AccountService(store: store, logger: logger)
        if try await accounts.account(named: demoAccount) == nil {
            // A random secret nobody knows: the trial user comes in by peer credentials.
            try await accounts.setAccount(
                name: demoAccount, tenant: county, role: .county, secret: AccountService.generateToken(),
                actingAs: county)
        }
    }

    /// A demo year (Landkreis Verden, seeded, see `DemoPlan`), so that a first trial run has something to
    /// look at. Only on an embedded cluster and only when no provider exists yet; the data is entered
    /// through the services like any county or provider user would.
    static func seedDemoData(county: TenantID, conninfo: String, logger: Logger) async throws {
        let store = Store(conninfo: conninfo, maxConnections: 2, logger: logger)
        do {
            let tenants = try await store.visibleTenants(as: county)
            if !tenants.contains(where: { $0.kind == .provider }) {
                let today = CountyCalendar.today()
                let plan = DemoPlan(year: today.year, deliveredThrough: today.yearMonth.previous)
                let services = UseCases(store: store, logger: logger, today: CountyCalendar.today)
                let summary = try await DemoLoader(services: services, logger: logger).load(plan, county: county)
                logger.info(
                    "demo data loaded",
                    metadata: [
                        "providers": "\(summary.providers)", "cases": "\(summary.cases)", "grants": "\(summary.grants)",
                        "deliveries": "\(summary.deliveries)", "projects": "\(summary.projects)",
                    ])
            }
        } catch {
            await store.shutdown()
            throw error
        }
        await store.shutdown()
    }

}

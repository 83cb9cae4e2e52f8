import Hummingbird
import NIOCore
import NIOSSL

/// A request's context with its connection, for the client certificate the connection showed (issue 32,
/// item 5; verified against `portal.clientCA` during the handshake).
struct PortalContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }

    /// The DER form of the connection's client certificate; nil without TLS or without a certificate. Read on
    /// the connection's event loop, where the TLS handler lives.
    func clientCertificate() async -> [UInt8]? {
        let channel = self.channel
        return try? await channel.eventLoop.submit {
            try channel.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self).peerCertificate?
                .toDERBytes()
        }.get()
    }
}

/// A session opened with a pinned client certificate goes on only over a connection showing the same one: a
/// session cookie taken elsewhere is worthless without the certificate's key. Otherwise the session ends and
/// the page sends the visitor to the login.
struct CertificateBinding: RouterMiddleware {
    let sessions: PortalSessions

    func handle(
        _ request: Request, context: PortalContext, next: (Request, PortalContext) async throws -> Response
    ) async throws -> Response {
        if let id = request.cookies[Portal.sessionCookie]?.value, let bound = sessions.boundCertificate(id),
            await context.clientCertificate() != bound
        {
            sessions.close(id)
        }
        return try await next(request, context)
    }
}

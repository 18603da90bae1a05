import Hummingbird
import NIOCore

/// Hummingbird's basic request context plus the request's connection, whose TLS handler knows the client's
/// certificate: what both HTTPS servers authenticate their clients from.
public struct ConnectionRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }
}

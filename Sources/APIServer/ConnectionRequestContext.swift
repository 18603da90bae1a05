import Hummingbird
import NIOCore

/// Hummingbird's basic request context plus the request's connection, whose TLS handler knows the client's
/// certificate.
struct ConnectionRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }
}

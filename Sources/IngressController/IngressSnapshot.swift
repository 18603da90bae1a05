import ControllerRuntime
import NIOSSL

/// Everything the proxy reads to serve a request, replaced whole whenever an Ingress, Service, EndpointSlice or TLS
/// Secret changes: a request reads one consistent state without holding a lock while it is served.
final class IngressSnapshot: Sendable {
    let routes: IngressRouteTable
    /// By `namespace/name`.
    let services: [String: ServiceEndpoints]
    /// The certificate and key of each TLS Secret the routes name that holds a usable pair.
    let credentials: [ObjectKey: TLSCredential]

    init(routes: IngressRouteTable = IngressRouteTable(), services: [String: ServiceEndpoints] = [:], credentials: [ObjectKey: TLSCredential] = [:]) {
        self.routes = routes
        self.services = services
        self.credentials = credentials
    }

    static func serviceKey(namespace: String, name: String) -> String { "\(namespace)/\(name)" }

    enum BackendLookup {
        case endpoints(EndpointRotation)
        case missingService
        case missingPort
    }

    func endpoints(for backend: BackendReference) -> BackendLookup {
        guard let service = services[Self.serviceKey(namespace: backend.namespace, name: backend.service)] else { return .missingService }
        return service.endpoints(for: backend.port).map { .endpoints($0) } ?? .missingPort
    }
}

/// A parsed certificate chain and key, ready to hand to a TLS handshake.
struct TLSCredential: Sendable {
    let chain: [NIOSSLCertificate]
    let key: NIOSSLPrivateKey

    /// Reads `tls.crt` and `tls.key` as a `kubernetes.io/tls` Secret holds them (PEM).
    init(certificatePEM: [UInt8], keyPEM: [UInt8]) throws {
        chain = try NIOSSLCertificate.fromPEMBytes(certificatePEM)
        key = try NIOSSLPrivateKey(bytes: keyPEM, format: .pem)
        guard !chain.isEmpty else { throw NIOSSLError.failedToLoadCertificate }
    }

    var override: NIOSSLContextConfigurationOverride {
        var override = NIOSSLContextConfigurationOverride()
        override.certificateChain = chain.map { .certificate($0) }
        override.privateKey = .privateKey(key)
        return override
    }
}

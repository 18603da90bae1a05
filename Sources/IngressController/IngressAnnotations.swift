/// The ingress-nginx annotations an Ingress may carry that change how its routes are served; others are ignored.
struct IngressAnnotations: Sendable, Equatable {
    static let prefix = "nginx.ingress.kubernetes.io/"

    enum BackendProtocol: String, Sendable {
        case http = "HTTP"
        case https = "HTTPS"
    }

    /// The path the backend gets instead of the request's (`rewrite-target`), with `$1`... standing for the path
    /// pattern's capture groups. It replaces the whole path, as nginx's `rewrite` does.
    var rewriteTarget: String?
    /// `use-regex`: the Ingress's paths are regular expressions.
    var usesRegex: Bool
    /// `ssl-redirect` (default true): plain HTTP to a host with TLS is redirected to HTTPS.
    var sslRedirect: Bool
    /// `force-ssl-redirect`: redirect to HTTPS even without TLS for the host.
    var forceSSLRedirect: Bool
    /// `proxy-body-size`: the largest request body, in bytes; nil or 0 for no limit.
    var bodySizeLimit: Int?
    var backendProtocol: BackendProtocol
    /// Annotations of ingress-nginx's prefix whose value could not be used, with why, for an Event.
    var rejected: [String]

    init(annotations: [String: String]) {
        func value(_ name: String) -> String? { annotations[Self.prefix + name] }
        rejected = []
        rewriteTarget = value("rewrite-target").flatMap { $0.isEmpty ? nil : $0 }
        // ingress-nginx also reads every path as a pattern once rewrite-target is set; here Prefix and Exact paths keep
        // matching as networking.k8s.io/v1 says unless use-regex asks otherwise.
        usesRegex = value("use-regex") == "true"
        sslRedirect = value("ssl-redirect") != "false"
        forceSSLRedirect = value("force-ssl-redirect") == "true"
        bodySizeLimit = nil
        if let size = value("proxy-body-size") {
            if let bytes = Self.size(size) {
                bodySizeLimit = bytes == 0 ? nil : bytes
            } else {
                rejected.append("proxy-body-size \"\(size)\" is not a size such as 8m")
            }
        }
        backendProtocol = .http
        if let name = value("backend-protocol") {
            if let known = BackendProtocol(rawValue: name.uppercased()) {
                backendProtocol = known
            } else {
                rejected.append("backend-protocol \(name) is not supported (HTTP and HTTPS are)")
            }
        }
    }

    /// An nginx size: bytes, or a number with k, m or g (either case).
    static func size(_ text: String) -> Int? {
        guard let last = text.last else { return nil }
        let multiplier: Int
        switch last {
        case "k", "K": multiplier = 1024
        case "m", "M": multiplier = 1024 * 1024
        case "g", "G": multiplier = 1024 * 1024 * 1024
        default: return Int(text)
        }
        return Int(text.dropLast()).map { $0 * multiplier }
    }
}

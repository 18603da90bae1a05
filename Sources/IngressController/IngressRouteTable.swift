import ControllerRuntime
import Foundation
import KubeObjects

/// A Service port a route sends requests to.
struct BackendReference: Hashable, Sendable {
    var namespace: String
    var service: String
    var port: PortReference
}

/// How one matched path is served: its backend and the ingress-nginx annotations of the Ingress it came from.
struct IngressRoute: Sendable {
    enum PathMatch: Sendable {
        case exact(String)
        /// Path elements; `[]` is `/`, which matches every path.
        case prefix([Substring])
        /// A regular expression matched from the path's start, ignoring case, as ingress-nginx's `~*` locations.
        case regex(IngressPathPattern)
    }

    /// The Ingress the route came from, for logs, metrics and Events.
    var ingress: ObjectKey
    /// The path as the Ingress spells it ("" for the default backend).
    var path: String
    var match: PathMatch
    var backend: BackendReference
    var options: IngressAnnotations
    /// Where its requests are counted; nil when the table was built without metrics (in tests).
    var statistics: RouteStatistics?

    /// The path the backend gets for `requestPath` (rewritten when the Ingress asks for it), nil when the route does
    /// not match it.
    func backendPath(for requestPath: Substring) -> Substring? {
        let captures: [Substring]?
        switch match {
        case .exact(let path):
            guard path == requestPath else { return nil }
            captures = nil
        case .prefix(let elements):
            guard Self.elementsMatch(elements, requestPath) else { return nil }
            captures = nil
        case .regex(let pattern):
            guard let matched = pattern.captures(in: requestPath) else { return nil }
            captures = matched
        }
        guard let target = options.rewriteTarget else { return requestPath }
        guard target.contains("$") else { return Substring(target) }
        // `$1`... without use-regex: the path read as a pattern, as ingress-nginx reads it, gives the groups.
        let groups = captures ?? IngressPathPattern("^" + path)?.captures(in: requestPath) ?? [requestPath]
        return Substring(IngressPathPattern.substitute(groups, into: target))
    }

    /// Whether the path's elements start with `elements`: `/foo` matches `/foo` and `/foo/bar`, not `/foobar`. Empty
    /// elements (`//`) are skipped, as splitting on `/` drops them.
    static func elementsMatch(_ elements: [Substring], _ requestPath: Substring) -> Bool {
        var rest = requestPath.utf8[...]
        for element in elements {
            while rest.first == UInt8(ascii: "/") { rest = rest.dropFirst() }
            guard rest.starts(with: element.utf8) else { return false }
            rest = rest.dropFirst(element.utf8.count)
            guard rest.isEmpty || rest.first == UInt8(ascii: "/") else { return false }
        }
        return true
    }

    /// Longer paths first; at equal length Exact before the others (networking.k8s.io/v1's precedence).
    static func precedes(_ lhs: IngressRoute, _ rhs: IngressRoute) -> Bool {
        if lhs.path.count != rhs.path.count { return lhs.path.count > rhs.path.count }
        if case .exact = lhs.match, !isExact(rhs) { return true }
        return false
    }

    private static func isExact(_ route: IngressRoute) -> Bool {
        if case .exact = route.match { return true }
        return false
    }
}

/// Every Ingress of the class merged into one table, as ingress-nginx merges them: rules of the same host from
/// different Ingresses share it, and where two define the same host, path and type the oldest Ingress keeps it.
/// Hosts match exactly first, then by wildcard (`*.example.com`: one label), then the rules without a host.
struct IngressRouteTable: Sendable {
    private(set) var exactHosts: [String: [IngressRoute]] = [:]
    /// Keyed by the wildcard's suffix: `*.example.com` as `example.com`.
    private(set) var wildcardHosts: [String: [IngressRoute]] = [:]
    private(set) var anyHost: [IngressRoute] = []
    private(set) var defaultBackend: IngressRoute?
    /// Host → the TLS Secret serving it, exact hosts and `*.` wildcards as written.
    private(set) var tlsSecrets: [String: ObjectKey] = [:]
    /// Hosts plain HTTP requests to are redirected to HTTPS for.
    private(set) var redirectedHosts: Set<String> = []
    /// Why an Ingress lost part of its rules to another, or could not be served in part, for its Events.
    private(set) var problems: [(ingress: ObjectKey, reason: String, message: String)] = []

    init() {}

    /// Builds the table from the Ingresses of the class, in any order; each route counts its requests in `metrics`.
    init(ingresses: [Ingress], metrics: IngressMetrics? = nil) {
        let ordered = ingresses.sorted { lhs, rhs in
            let left = (lhs.metadata.creationTimestamp ?? "", lhs.metadata.namespace ?? "", lhs.metadata.name)
            let right = (rhs.metadata.creationTimestamp ?? "", rhs.metadata.namespace ?? "", rhs.metadata.name)
            return left < right
        }
        var owners: [String: ObjectKey] = [:]
        for ingress in ordered { add(ingress, owners: &owners, metrics: metrics) }
        exactHosts = exactHosts.mapValues { $0.sorted(by: IngressRoute.precedes) }
        wildcardHosts = wildcardHosts.mapValues { $0.sorted(by: IngressRoute.precedes) }
        anyHost.sort(by: IngressRoute.precedes)
    }

    private mutating func add(_ ingress: Ingress, owners: inout [String: ObjectKey], metrics: IngressMetrics?) {
        let key = ObjectKey(ingress.json)
        let namespace = ingress.metadata.namespace ?? "default"
        let options = IngressAnnotations(annotations: ingress.metadata.annotations)
        if let backend = ingress.spec.defaultBackend {
            if let reference = reference(backend, namespace: namespace, ingress: key) {
                if let current = defaultBackend {
                    problems.append((key, "Conflict", "default backend not used: Ingress \(current.ingress) is older and defines one"))
                } else {
                    defaultBackend = IngressRoute(
                        ingress: key, path: "", match: .prefix([]), backend: reference, options: options,
                        statistics: metrics?.statistics(ingress: key, service: reference.service))
                }
            }
        }
        var tlsHosts: Set<String> = []
        for tls in ingress.spec.tls {
            for host in tls.hosts.map({ $0.lowercased() }) {
                tlsHosts.insert(host)
                guard let secret = tls.secretName else { continue }
                if tlsSecrets[host] == nil { tlsSecrets[host] = ObjectKey(namespace: namespace, name: secret) }
            }
        }
        for rule in ingress.spec.rules {
            let host = rule.host?.lowercased()
            if let host, (tlsHosts.contains(host) && options.sslRedirect) || options.forceSSLRedirect { redirectedHosts.insert(host) }
            for path in rule.paths {
                guard let reference = reference(path.backend, namespace: namespace, ingress: key) else { continue }
                guard let match = Self.match(path, regex: options.usesRegex) else {
                    problems.append((key, "InvalidPath", "path \(path.path) is not a valid regular expression; it is not served"))
                    continue
                }
                let owner = "\(host ?? "*") \(path.pathType) \(path.path)"
                if let existing = owners[owner] {
                    problems.append(
                        (key, "Conflict", "path \(path.path) (\(path.pathType)) of host \(host ?? "*") not used: Ingress \(existing) is older and defines it"))
                    continue
                }
                owners[owner] = key
                let route = IngressRoute(
                    ingress: key, path: path.path, match: match, backend: reference, options: options,
                    statistics: metrics?.statistics(ingress: key, service: reference.service))
                switch host {
                case nil: anyHost.append(route)
                case let host? where host.hasPrefix("*."): wildcardHosts[String(host.dropFirst(2)), default: []].append(route)
                case let host?: exactHosts[host, default: []].append(route)
                }
            }
        }
    }

    private mutating func reference(_ backend: Ingress.Backend, namespace: String, ingress: ObjectKey) -> BackendReference? {
        if let kind = backend.resourceKind {
            problems.append((ingress, "UnsupportedBackend", "resource backends (\(kind)) are not served; only Service backends are"))
            return nil
        }
        guard let service = backend.serviceName, let port = backend.servicePort else { return nil }
        return BackendReference(namespace: namespace, service: service, port: port)
    }

    private static func match(_ path: Ingress.Path, regex: Bool) -> IngressRoute.PathMatch? {
        if regex {
            let anchored = path.pathType == "Exact" ? "^\(path.path)$" : "^\(path.path)"
            return IngressPathPattern(anchored).map { .regex($0) }
        }
        if path.pathType == "Exact" { return .exact(path.path) }
        return .prefix(path.path.split(separator: "/", omittingEmptySubsequences: true))
    }

    /// The route for a request to `host` (lowercased, without its port) and `path` (without the query), with the
    /// path the backend gets; nil when nothing matches and there is no default backend.
    func route(host: String, path: Substring) -> (route: IngressRoute, backendPath: Substring)? {
        let candidates: [IngressRoute]
        if let routes = exactHosts[host] {
            candidates = routes
        } else if let dot = host.firstIndex(of: "."), let routes = wildcardHosts[String(host[host.index(after: dot)...])] {
            candidates = routes
        } else {
            candidates = anyHost
        }
        for route in candidates {
            if let backendPath = route.backendPath(for: path) { return (route, backendPath) }
        }
        return defaultBackend.map { ($0, path) }
    }

    /// The TLS Secret for a server name: the exact host's, else its wildcard's.
    func tlsSecret(for serverName: String) -> ObjectKey? {
        let host = serverName.lowercased()
        if let secret = tlsSecrets[host] { return secret }
        guard let dot = host.firstIndex(of: ".") else { return nil }
        return tlsSecrets["*" + host[dot...]]
    }

    /// Whether a plain HTTP request to `host` is redirected to HTTPS.
    func redirectsToHTTPS(host: String) -> Bool {
        if redirectedHosts.contains(host) { return true }
        guard let dot = host.firstIndex(of: ".") else { return false }
        return redirectedHosts.contains("*" + host[dot...])
    }

    /// Every Service the routes send to.
    var backends: Set<BackendReference> {
        var all = Set(anyHost.map(\.backend))
        for routes in exactHosts.values { all.formUnion(routes.map(\.backend)) }
        for routes in wildcardHosts.values { all.formUnion(routes.map(\.backend)) }
        if let defaultBackend { all.insert(defaultBackend.backend) }
        return all
    }
}

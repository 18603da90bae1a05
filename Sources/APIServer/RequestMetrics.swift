import Metrics

/// kube-apiserver's request metrics through swift-metrics (exported by whatever the process bootstrapped; nothing
/// without one): `apiserver_request_total` by code, `apiserver_request_duration_seconds` for requests that end, and
/// `apiserver_longrunning_requests` for watches open now, labelled as kube-apiserver labels them.
struct RequestMetrics: Sendable {
    /// The labels every series shares: verb, group, version, resource, subresource, scope; non-resource requests put
    /// their path in `subresource`, as kube-apiserver does.
    let dimensions: [(String, String)]
    let isWatch: Bool

    init(_ request: APIRequest, target: RequestTarget) {
        let verb: String
        var (group, version, resource, subresource, scope) = ("", "", "", "", "")
        let watch = request.flag("watch")
        switch target {
        case .resource(let path):
            (group, version, resource, subresource) = (path.group, path.version, path.resource, path.subresource ?? "")
            scope = path.name != nil ? "resource" : (path.namespace != nil ? "namespace" : "cluster")
            switch (request.method, path.name) {
            case ("GET", nil): verb = watch ? "WATCH" : "LIST"
            case ("PATCH", _) where request.headers["content-type"]?.hasPrefix("application/apply-patch") == true: verb = "APPLY"
            default: verb = request.method
            }
        default:
            verb = request.method
            subresource = request.path
        }
        isWatch = verb == "WATCH"
        dimensions = [
            ("component", "apiserver"), ("dry_run", request.query["dryRun"] == "All" ? "All" : ""), ("group", group), ("resource", resource),
            ("scope", scope), ("subresource", subresource), ("verb", verb), ("version", version),
        ]
    }

    func record(code: Int, elapsed: Duration) {
        Counter(label: "apiserver_request_total", dimensions: [("code", String(code))] + dimensions).increment()
        guard !isWatch else { return }
        Metrics.Timer(label: "apiserver_request_duration_seconds", dimensions: dimensions).record(duration: elapsed)
    }

    /// Counts a watch as open; the returned closure, called when its stream ends, counts it out.
    func watchStarted() -> @Sendable () -> Void {
        let open = Meter(label: "apiserver_longrunning_requests", dimensions: dimensions)
        open.increment()
        return { open.decrement() }
    }
}

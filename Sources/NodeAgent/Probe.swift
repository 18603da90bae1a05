import APIMachinery

/// One of a container's probes as its spec gives it, with Kubernetes' defaults (period 10 s, timeout 1 s, success
/// threshold 1, failure threshold 3).
struct Probe: Sendable, Equatable {
    enum Kind: String, Sendable {
        case startup, liveness, readiness
    }

    struct Header: Sendable, Equatable {
        var name: String
        var value: String
    }

    enum Action: Sendable, Equatable {
        case httpGet(scheme: String, host: String?, port: Int, path: String, headers: [Header])
        case tcpSocket(host: String?, port: Int)
        case exec(command: [String])
        case grpc(port: Int, service: String?)
    }

    var kind: Kind
    var action: Action
    var initialDelay: Duration
    var period: Duration
    var timeout: Duration
    var successThreshold: Int
    var failureThreshold: Int

    /// The container's probe of `kind`, nil when it has none or the handler names a port the container lacks.
    init?(_ kind: Kind, of container: JSONValue) {
        guard let spec = container["\(kind.rawValue)Probe"], spec.objectValue != nil, let action = Self.action(spec, of: container) else { return nil }
        func seconds(_ field: String, _ fallback: Int64) -> Duration { .seconds(spec[field]?.integerValue ?? fallback) }
        self.action = action
        self.kind = kind
        initialDelay = seconds("initialDelaySeconds", 0)
        period = seconds("periodSeconds", 10)
        timeout = seconds("timeoutSeconds", 1)
        successThreshold = Int(spec["successThreshold"]?.integerValue ?? 1)
        failureThreshold = Int(spec["failureThreshold"]?.integerValue ?? 3)
    }
}

extension Probe {
    /// The handler of a probe or a lifecycle hook (`httpGet`, `tcpSocket`, `exec`, `grpc`); nil when it has none
    /// or it names a port the container lacks.
    static func action(_ spec: JSONValue, of container: JSONValue) -> Action? {
        func port(_ value: JSONValue?) -> Int? {
            if let number = value?.integerValue { return Int(number) }
            guard let name = value?.stringValue else { return nil }
            // A named port is one of the container's own.
            return (container["ports"]?.arrayValue ?? []).first { $0["name"]?.stringValue == name }?["containerPort"]?.integerValue.map(Int.init)
                ?? Int(name)
        }
        if let http = spec["httpGet"] {
            guard let number = port(http["port"]) else { return nil }
            let headers = (http["httpHeaders"]?.arrayValue ?? []).map { Header(name: $0["name"]?.stringValue ?? "", value: $0["value"]?.stringValue ?? "") }
            return .httpGet(
                scheme: http["scheme"]?.stringValue ?? "HTTP", host: http["host"]?.stringValue, port: number,
                path: http["path"]?.stringValue ?? "/", headers: headers)
        }
        if let tcp = spec["tcpSocket"] {
            guard let number = port(tcp["port"]) else { return nil }
            return .tcpSocket(host: tcp["host"]?.stringValue, port: number)
        }
        if let exec = spec["exec"] {
            return .exec(command: (exec["command"]?.arrayValue ?? []).compactMap(\.stringValue))
        }
        if let grpc = spec["grpc"], let number = grpc["port"]?.integerValue {
            return .grpc(port: Int(number), service: grpc["service"]?.stringValue)
        }
        return nil
    }
}

/// The verdict of one probe on one container instance, as the kubelet's prober worker keeps it: it changes only
/// after `successThreshold` successes or `failureThreshold` failures in a row. Readiness starts failing (a container
/// is not ready until its probe says so); liveness starts succeeding; startup is unknown until it first decides.
struct ProbeVerdict: Sendable, Equatable {
    enum Result: Sendable, Equatable {
        case unknown, success, failure
    }

    private(set) var result: Result
    private var streak = 0
    private var lastOutcome: Bool?
    let probe: Probe

    init(_ probe: Probe) {
        self.probe = probe
        switch probe.kind {
        case .readiness: result = .failure
        case .liveness: result = .success
        case .startup: result = .unknown
        }
    }

    /// Records one probe outcome; returns the new result when it changed.
    mutating func record(success: Bool) -> Result? {
        streak = lastOutcome == success ? streak + 1 : 1
        lastOutcome = success
        let threshold = success ? probe.successThreshold : probe.failureThreshold
        let verdict: Result = success ? .success : .failure
        guard streak >= threshold, verdict != result else { return nil }
        result = verdict
        return verdict
    }
}

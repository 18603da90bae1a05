import APIMachinery
import Testing

@testable import NodeAgent

/// Probes as a container spec gives them, and how their verdict moves with the thresholds.
@Suite("probes")
struct ProbeTests {
    static let container: JSONValue = [
        "name": "web", "ports": [["name": "http", "containerPort": 8080]],
        "livenessProbe": ["httpGet": ["path": "/healthz", "port": "http", "httpHeaders": [["name": "X-Probe", "value": "1"]]], "failureThreshold": 2],
        "readinessProbe": ["tcpSocket": ["port": 8080], "initialDelaySeconds": 5, "periodSeconds": 2, "successThreshold": 2],
        "startupProbe": ["exec": ["command": ["cat", "/tmp/started"]], "timeoutSeconds": 3],
    ]

    @Test func probesTakeTheirSpecAndKubernetesDefaults() throws {
        let liveness = try #require(Probe(.liveness, of: Self.container))
        #expect(liveness.action == .httpGet(scheme: "HTTP", host: nil, port: 8080, path: "/healthz", headers: [.init(name: "X-Probe", value: "1")]))
        #expect(liveness.period == .seconds(10) && liveness.timeout == .seconds(1) && liveness.failureThreshold == 2 && liveness.successThreshold == 1)
        let readiness = try #require(Probe(.readiness, of: Self.container))
        #expect(readiness.action == .tcpSocket(host: nil, port: 8080))
        #expect(readiness.initialDelay == .seconds(5) && readiness.period == .seconds(2) && readiness.successThreshold == 2)
        let startup = try #require(Probe(.startup, of: Self.container))
        #expect(startup.action == .exec(command: ["cat", "/tmp/started"]) && startup.timeout == .seconds(3) && startup.failureThreshold == 3)
        #expect(Probe(.liveness, of: ["name": "plain"]) == nil)
        #expect(Probe(.liveness, of: ["name": "x", "livenessProbe": ["tcpSocket": ["port": "missing"]]]) == nil, "an unknown named port")
        let grpc = Probe(.liveness, of: ["name": "x", "livenessProbe": ["grpc": ["port": 9090]]])
        #expect(grpc?.action == .grpc(port: 9090, service: nil))
    }

    @Test func verdictsChangeOnlyAfterEnoughOutcomesInARow() throws {
        var liveness = ProbeVerdict(try #require(Probe(.liveness, of: Self.container)))
        #expect(liveness.result == .success)
        #expect(liveness.record(success: false) == nil, "one failure of two allowed")
        #expect(liveness.record(success: true) == nil)
        #expect(liveness.record(success: false) == nil)
        #expect(liveness.record(success: false) == .failure)

        var readiness = ProbeVerdict(try #require(Probe(.readiness, of: Self.container)))
        #expect(readiness.result == .failure, "not ready until the probe says so")
        #expect(readiness.record(success: true) == nil)
        #expect(readiness.record(success: true) == .success)
        #expect(readiness.record(success: false) == nil)
        #expect(readiness.record(success: false) == nil)
        #expect(readiness.record(success: false) == .failure)

        var startup = ProbeVerdict(try #require(Probe(.startup, of: Self.container)))
        #expect(startup.result == .unknown)
        #expect(startup.record(success: true) == .success)
    }
}

import APIMachinery
import Synchronization
import Testing

@testable import NodeAgent

/// The prober worker's decisions, its loop against a fake prober, and the kubelet's wording of what it finds.
@Suite("probe workers")
struct ProbeWorkerTests {
    static func probe(_ kind: Probe.Kind, _ fields: JSONValue = .emptyObject) throws -> Probe {
        var spec: JSONValue = ["exec": ["command": ["true"]]]
        for (key, value) in fields.objectValue ?? [:] { spec[key] = value }
        return try #require(Probe(kind, of: ["name": "app", "\(kind.rawValue)Probe": spec]))
    }

    @Test func aLivenessProbeStopsOnceItDecidedTheContainerFailed() throws {
        var state = ProbeWorkerState(try Self.probe(.liveness, ["failureThreshold": 2]))
        #expect(state.record(.success) == .init())
        #expect(state.record(.failure("HTTP probe failed with statuscode: 500")) == .init(event: "Liveness probe failed: HTTP probe failed with statuscode: 500"))
        #expect(
            state.record(.failure("HTTP probe failed with statuscode: 500"))
                == .init(event: "Liveness probe failed: HTTP probe failed with statuscode: 500", changed: .failure, finished: true))
    }

    @Test func aReadinessProbeKeepsProbingBothWays() throws {
        var state = ProbeWorkerState(try Self.probe(.readiness, ["failureThreshold": 1]))
        #expect(state.record(.success) == .init(changed: .success))
        #expect(state.record(.success) == .init())
        let refused = "dial tcp 10.42.0.5:81: connect: connection refused"
        #expect(state.record(.failure(refused)) == .init(event: "Readiness probe failed: \(refused)", changed: .failure))
        #expect(state.record(.success) == .init(changed: .success))
    }

    @Test func aStartupProbeEndsWithItsFirstDecision() throws {
        var started = ProbeWorkerState(try Self.probe(.startup))
        #expect(started.record(.failure("")) == .init(event: "Startup probe failed: "))
        #expect(started.record(.success) == .init(changed: .success, finished: true))

        var neverStarted = ProbeWorkerState(try Self.probe(.startup, ["failureThreshold": 2]))
        _ = neverStarted.record(.failure("no"))
        #expect(neverStarted.record(.failure("no")) == .init(event: "Startup probe failed: no", changed: .failure, finished: true))
    }

    @Test func errorsAreReportedButNotCounted() throws {
        var state = ProbeWorkerState(try Self.probe(.liveness, ["failureThreshold": 1]))
        let step = state.record(.error("container not running"))
        #expect(step == .init(event: "Liveness probe errored and resulted in unknown state: container not running"))
        #expect(state.verdict.result == .success)
    }

    @Test func theWorkerWaitsForStartupAndStopsAfterItsVerdict() async throws {
        var probe = try Self.probe(.liveness, ["failureThreshold": 3])
        probe.period = .milliseconds(5)
        let runs = Mutex(0)
        let steps = Mutex<[ProbeWorkerState.Step]>([])
        let started = Mutex(false)
        let worker = ProbeWorker(
            probe: probe, containerStarted: .now, mayProbe: { started.withLock { $0 } },
            runProbe: { _ in
                runs.withLock { $0 += 1 }
                return .failure("cat: can't open '/tmp/healthy': No such file or directory")
            },
            report: { step in steps.withLock { $0.append(step) } })
        let task = Task { await worker.run() }
        try await Task.sleep(for: .milliseconds(50))
        #expect(runs.withLock { $0 } == 0, "no probe before the container has started")
        started.withLock { $0 = true }
        await task.value
        #expect(runs.withLock { $0 } == 3, "the worker ends with its verdict")
        let reported = steps.withLock { $0 }
        #expect(reported.count == 3 && reported.last?.changed == .failure)
        #expect(reported.first?.event == "Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory")
    }

    @Test func theInitialDelayCountsFromTheContainersStart() async throws {
        var probe = try Self.probe(.readiness, ["initialDelaySeconds": 30])
        probe.period = .milliseconds(5)
        let runs = Mutex(0)
        let worker = ProbeWorker(
            probe: probe, containerStarted: .now - .seconds(31), mayProbe: { true },
            runProbe: { _ in
                runs.withLock { $0 += 1 }
                return .success
            },
            report: { _ in })
        let task = Task { await worker.run() }
        // A worker counting the delay from its own start would not probe for 30 s; this one must probe at once.
        let deadline = ContinuousClock.now + .seconds(10)
        while runs.withLock({ $0 }) == 0 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        task.cancel()
        await task.value
        #expect(runs.withLock { $0 } > 0, "the delay had passed before the worker began")
    }

    @Test func startedAndReadyFollowTheVerdictsOfTheContainersProbes() throws {
        let manager = ProbeManager()
        let probes = [try Self.probe(.startup), try Self.probe(.liveness), try Self.probe(.readiness)]
        manager.ensureWorkers(containerID: "c1", podUID: "pod", probes: probes) { _ in Task {} }
        #expect(!manager.started(containerID: "c1") && !manager.ready(containerID: "c1"), "neither started nor ready before the startup probe")
        manager.setResult(.success, containerID: "c1", kind: .startup)
        #expect(manager.started(containerID: "c1") && !manager.ready(containerID: "c1"), "not ready before the readiness probe")
        manager.setResult(.success, containerID: "c1", kind: .readiness)
        #expect(manager.ready(containerID: "c1") && manager.failedProbe(containerID: "c1") == nil)
        manager.setResult(.failure, containerID: "c1", kind: .liveness)
        #expect(manager.failedProbe(containerID: "c1") == .liveness)
        #expect(manager.started(containerID: "plain") && manager.ready(containerID: "plain"), "a container without probes")
        manager.stopWorkers(podUID: "pod", keeping: [])
        #expect(manager.failedProbe(containerID: "c1") == nil, "a stopped container's verdicts are forgotten")
    }

    @Test func outcomesAreWordedAsTheKubeletWordsThem() {
        #expect(Prober.httpVerdict(statusCode: 200) == .success && Prober.httpVerdict(statusCode: 302) == .success)
        #expect(Prober.httpVerdict(statusCode: 500) == .failure("HTTP probe failed with statuscode: 500"))
        #expect(Prober.httpVerdict(statusCode: 404) == .failure("HTTP probe failed with statuscode: 404"))
        #expect(Prober.goErrnoText(111) == "connection refused")
        #expect(Prober.execTimedOut(["sleep", "10"]) == #"command "sleep 10" timed out"#)
        #expect(Prober.url(scheme: "HTTPS", host: "10.42.0.5", port: 8443, path: "healthz") == "https://10.42.0.5:8443/healthz")
        #expect(Prober.url(scheme: "HTTP", host: "fd00::5", port: 80, path: "/") == "http://[fd00::5]:80/")
    }

    @Test func lifecycleHooksTakeTheirSpec() {
        let container: JSONValue = [
            "name": "app", "ports": [["name": "admin", "containerPort": 9000]],
            "lifecycle": [
                "postStart": ["exec": ["command": ["sh", "-c", "echo hi > /tmp/started"]]],
                "preStop": ["httpGet": ["path": "/drain", "port": "admin"]],
            ],
        ]
        #expect(LifecycleHook(.postStart, of: container) == .exec(command: ["sh", "-c", "echo hi > /tmp/started"]))
        #expect(LifecycleHook(.preStop, of: container) == .httpGet(.httpGet(scheme: "HTTP", host: nil, port: 9000, path: "/drain", headers: [])))
        #expect(LifecycleHook(.preStop, of: ["name": "x", "lifecycle": ["preStop": ["sleep": ["seconds": 5]]]]) == .sleep(.seconds(5)))
        #expect(LifecycleHook(.postStart, of: ["name": "x"]) == nil)
        let message = LifecycleHook.failureMessage(
            .exec(command: ["sh", "-c", "exit 1"]), container: "app", pod: "web_default(1)", error: "command 'sh -c exit 1' exited with 1: ", output: "")
        #expect(message == #"Exec lifecycle hook ([sh -c exit 1]) for Container "app" in Pod "web_default(1)" failed - error: command 'sh -c exit 1' exited with 1: , message: """#)
    }
}

/// What one probe worker does with each outcome, as the kubelet's prober worker (`doProbe`): every failed run is
/// an `Unhealthy` event; the verdict moves only after enough outcomes in a row; a liveness or startup probe that
/// decided the container failed stops probing (the container is killed and its successor gets fresh workers), and
/// a startup probe stops once the container has started.
struct ProbeWorkerState: Sendable, Equatable {
    struct Step: Sendable, Equatable {
        /// The `Unhealthy` event's message, for a run that failed or could not run.
        var event: String?
        /// The new verdict, when it changed.
        var changed: ProbeVerdict.Result?
        /// The worker has nothing more to decide for this container instance.
        var finished = false
    }

    private(set) var verdict: ProbeVerdict

    init(_ probe: Probe) { verdict = ProbeVerdict(probe) }

    mutating func record(_ outcome: ProbeOutcome) -> Step {
        let kind = verdict.probe.kind
        switch outcome {
        case .error(let message):
            // The kubelet throws such a result away rather than counting it.
            return Step(event: "\(Self.name(kind)) probe errored and resulted in unknown state: \(message)")
        case .success, .failure:
            var step = Step()
            if case .failure(let output) = outcome { step.event = "\(Self.name(kind)) probe failed: \(output)" }
            step.changed = verdict.record(success: outcome == .success)
            switch kind {
            case .readiness: break
            case .liveness: step.finished = step.changed == .failure
            case .startup: step.finished = step.changed != nil
            }
            return step
        }
    }

    /// `Liveness`, `Readiness`, `Startup`: how the kubelet names a probe in its messages.
    static func name(_ kind: Probe.Kind) -> String {
        kind.rawValue.prefix(1).uppercased() + kind.rawValue.dropFirst()
    }
}

/// One probe of one running container instance: waits out the initial delay (counted from the container's start),
/// then runs the probe every period until it has decided for good or its task is cancelled.
struct ProbeWorker: Sendable {
    var probe: Probe
    /// When the container started.
    var containerStarted: ContinuousClock.Instant
    /// Liveness and readiness wait while a startup probe has not succeeded.
    var mayProbe: @Sendable () -> Bool
    var runProbe: @Sendable (Probe) async -> ProbeOutcome
    /// Told every step that has an event or a change.
    var report: @Sendable (ProbeWorkerState.Step) -> Void

    func run() async {
        var state = ProbeWorkerState(probe)
        try? await Task.sleep(until: containerStarted + probe.initialDelay, clock: .continuous)
        while !Task.isCancelled {
            if probe.kind == .startup || mayProbe() {
                let step = state.record(await runProbe(probe))
                guard !Task.isCancelled else { return }
                if step.event != nil || step.changed != nil { report(step) }
                if step.finished { return }
            }
            try? await Task.sleep(for: probe.period)
        }
    }
}

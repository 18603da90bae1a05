import APIMachinery
import Foundation
import KubeObjects

/// A restarted agent finds its pods' sandboxes and containers still running under containerd: it keeps them (same
/// containers, same restart counts) and rebuilds what it remembered about each pod from the API's pod status and
/// the runtime, so that a crash-looping container keeps backing off where it was instead of restarting at once.
extension PodState {
    /// The memory of a pod the agent has not seen since it started: the start time the API holds (or `wallNow` for
    /// a new pod), and for each container the restart back-off its runtime history earns. An exited instance is
    /// counted now, its wait measured from when it exited rather than from this sync.
    static func rebuilt(pod: JSONValue, runtimePod: RuntimePod, now: ContinuousClock.Instant, wallNow: Date) -> PodState {
        var state = PodState(startTime: Pod(pod).status.startTime.flatMap(KubeTime.parse) ?? wallNow)
        for (name, instances) in runtimePod.instances {
            guard let latest = instances.first else { continue }
            // Each earlier attempt exited (that is why there is a later one); how long they ran is mostly gone with
            // their statuses, so they count as crashes, which is what restarts under a back-off usually are.
            var backoff = RestartBackoff()
            for _ in 0..<latest.attempt { _ = backoff.containerExited(after: .zero) }
            if case .containerExited = latest.state {
                let delay = backoff.containerExited(after: NodeAgent.runDuration(latest.status))
                let finished = Date(timeIntervalSince1970: Double(latest.status?.finishedAt ?? 0) / 1e9)
                let sinceExit = Duration.milliseconds(Int64(max(0, wallNow.timeIntervalSince(finished)) * 1000))
                state.restartAllowedAt[name] = sinceExit < delay ? now + (delay - sinceExit) : now
                state.countedExits.insert(latest.id)
            }
            state.restartBackoffs[name] = backoff
        }
        return state
    }
}

extension NodeAgent {
    /// Remembers a pod on its first sync since the agent started; one the runtime already runs is adopted as it is.
    func rememberPod(_ pod: JSONValue, uid: String, runtimePod: RuntimePod) {
        let adopted = podStates.withLock { states -> Bool in
            guard states[uid] == nil else { return false }
            states[uid] = PodState.rebuilt(pod: pod, runtimePod: runtimePod, now: .now, wallNow: Date())
            return runtimePod.sandbox != nil
        }
        guard adopted, let sandbox = runtimePod.sandbox else { return }
        logger.info(
            "pod adopted from the runtime",
            metadata: [
                "pod": "\(Self.podDescription(pod))", "sandbox": "\(sandbox.id)",
                "containers": "\(runtimePod.instances.values.compactMap(\.first).map { "\($0.name)=\($0.id)" }.sorted())",
            ])
    }
}

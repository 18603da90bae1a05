/// Nominations: after a preemption the preemptor waits for its victims to go, and the node's freed room is kept for
/// it — other pods of lower priority are filtered as if the nominated pod were already there
/// (`RunFilterPluginsWithNominatedPods`).
extension ClusterSnapshot {
    /// Records that `pod` waits for room on `nodeName`, replacing any earlier nomination of it.
    public mutating func nominate(_ pod: PodInfo, to nodeName: String) {
        removeNomination(namespace: pod.namespace, name: pod.name)
        nominations[pod.key] = nodeName
        nominatedPods[nodeName, default: []].append(pod)
        nominatedPodCount += 1
    }

    /// Drops the nomination of a pod (it was bound, deleted, or nominated elsewhere).
    public mutating func removeNomination(namespace: String, name: String) {
        guard let nodeName = nominations.removeValue(forKey: namespace + "/" + name) else { return }
        nominatedPods[nodeName]?.removeAll { $0.name == name && $0.namespace == namespace }
        if nominatedPods[nodeName]?.isEmpty == true { nominatedPods[nodeName] = nil }
        nominatedPodCount -= 1
    }

    /// The node a pod is nominated to, if any.
    public func nominatedNode(namespace: String, name: String) -> String? {
        nominations[namespace + "/" + name]
    }
}

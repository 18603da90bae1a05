import APIMachinery
import KubeObjects

/// The arithmetic of Deployment rollouts, as Kubernetes' deployment controller does it (pkg/controller/deployment):
/// template hashes, surge and unavailability budgets, and how far the new and old ReplicaSets may be scaled.
enum DeploymentRollout {
    /// Kubernetes' `rand.SafeEncodeString` alphabet: no vowels (no words) and no look-alike characters.
    private static let safeAlphabet = Array("bcdfghjklmnpqrstvwxz2456789".utf8)

    /// The `pod-template-hash` of a pod template: FNV-32a over the template's canonical JSON (and the collision
    /// count, when set), printed in decimal and re-encoded with the safe alphabet, as `controller.ComputeHash` does.
    static func podTemplateHash(template: JSONValue, collisionCount: Int64?) -> String {
        var hash: UInt32 = 0x811C_9DC5
        func mix(_ bytes: some Sequence<UInt8>) {
            for byte in bytes {
                hash ^= UInt32(byte)
                hash = hash &* 0x0100_0193
            }
        }
        mix(template.serialized())
        if let collisionCount {
            withUnsafeBytes(of: UInt32(truncatingIfNeeded: collisionCount).littleEndian) { mix($0) }
        }
        return String(decoding: String(hash).utf8.map { safeAlphabet[Int($0) % safeAlphabet.count] }, as: UTF8.self)
    }

    /// `maxSurge` and `maxUnavailable` for `desired` replicas: surge rounds up, unavailability down, and they are
    /// never both zero (a rollout must be able to move), as `ResolveFenceposts`.
    static func fenceposts(maxSurge: JSONValue?, maxUnavailable: JSONValue?, desired: Int64) -> (surge: Int64, unavailable: Int64) {
        let surge = IntOrPercent.scaled(maxSurge ?? "25%", total: desired, roundUp: true) ?? 0
        var unavailable = IntOrPercent.scaled(maxUnavailable ?? "25%", total: desired, roundUp: false) ?? 0
        if surge == 0 && unavailable == 0 { unavailable = 1 }
        return (surge, unavailable)
    }

    /// A Deployment's surge and unavailability budgets at its current size; both 0 for Recreate, and never more
    /// unavailable than its replicas (`MaxSurge`, `MaxUnavailable`).
    static func fenceposts(of deployment: JSONValue) -> (surge: Int64, unavailable: Int64) {
        guard Deployment(deployment).spec.strategyType == "RollingUpdate" else { return (0, 0) }
        let desired = Deployment(deployment).spec.replicas
        let (surge, unavailable) = fenceposts(
            maxSurge: Deployment(deployment).spec.maxSurge,
            maxUnavailable: Deployment(deployment).spec.maxUnavailable, desired: desired)
        return (surge, min(unavailable, desired))
    }

    /// How many replicas the new ReplicaSet should have in this step of a rolling update (`NewRSNewReplicas`):
    /// grow by what the surge allows, never past `desired`.
    static func newReplicaSetReplicas(desired: Int64, surge: Int64, currentTotal: Int64, newReplicas: Int64) -> Int64 {
        let maxTotal = desired + surge
        guard currentTotal < maxTotal else { return newReplicas }
        let scaleUp = min(maxTotal - currentTotal, max(0, desired - newReplicas))
        return newReplicas + scaleUp
    }

    /// How many old replicas may go in this step (`reconcileOldReplicaSets`): keep at least `desired - unavailable`
    /// available pods, counting the new ReplicaSet's pods that are not yet available as unavailable.
    static func oldReplicasToScaleDown(
        allReplicas: Int64, desired: Int64, unavailable: Int64, newReplicas: Int64, newAvailable: Int64
    ) -> Int64 {
        let minAvailable = desired - unavailable
        let newUnavailable = newReplicas - newAvailable
        return max(0, allReplicas - minAvailable - newUnavailable)
    }

    /// New sizes for the active ReplicaSets when a Deployment is scaled in the middle of a rollout (`kubectl scale`),
    /// as Kubernetes' proportional scaling: the room `desired + surge - total` is shared in proportion to each set's
    /// share of the Deployment's size when it was last scaled (its `max-replicas` annotation, else the Deployment's
    /// status replicas), larger sets first — newer first on ties when growing, older first when shrinking — and what
    /// rounding leaves over goes to the first. `replicas` are ordered oldest first; the result keeps that order.
    static func proportionalSizes(
        replicas: [Int64], maxReplicasBefore: [Int64?], desired: Int64, surge: Int64, statusReplicas: Int64
    ) -> [Int64] {
        let allowed = desired > 0 ? desired + surge : 0
        let toAdd = allowed - replicas.reduce(0, +)
        guard toAdd != 0 else { return replicas }
        let order = replicas.indices.sorted { a, b in
            replicas[a] != replicas[b] ? replicas[a] > replicas[b] : (toAdd > 0 ? a > b : a < b)
        }
        var sizes = replicas
        var added: Int64 = 0
        for index in order where replicas[index] > 0 && added != toAdd {
            let fraction: Int64
            if desired == 0 {
                fraction = -replicas[index]
            } else {
                let before = maxReplicasBefore[index].flatMap { $0 > 0 ? $0 : nil } ?? statusReplicas
                fraction = before == 0 ? 0 : Int64((Double(replicas[index] * allowed) / Double(before)).rounded()) - replicas[index]
            }
            let proportion = toAdd > 0 ? min(fraction, toAdd - added) : max(fraction, toAdd - added)
            sizes[index] += proportion
            added += proportion
        }
        if let first = order.first { sizes[first] = max(0, sizes[first] + toAdd - added) }
        return sizes
    }
}

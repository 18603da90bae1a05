import APIMachinery

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

    /// Splits a change of `delta` replicas across ReplicaSets in proportion to their size (`kubectl scale` in the
    /// middle of a rollout), largest first, leftovers to the largest: Kubernetes' proportional scaling, with the
    /// fraction taken from the current sizes rather than the `max-replicas` annotation.
    /// `sizes` are the current replica counts; the result is the new count for each, in the same order.
    static func proportionalScale(sizes: [Int64], delta: Int64) -> [Int64] {
        let total = sizes.reduce(0, +)
        guard delta != 0, total > 0 else { return sizes }
        let order = sizes.indices.sorted { sizes[$0] != sizes[$1] ? sizes[$0] > sizes[$1] : $0 < $1 }
        var result = sizes
        var remaining = delta
        for index in order where remaining != 0 {
            // Each ReplicaSet's share of the change, rounded toward zero; what is left goes to the largest.
            var share = sizes[index] * delta / total
            if delta > 0 { share = min(share, remaining) } else { share = max(share, remaining, -sizes[index]) }
            result[index] += share
            remaining -= share
        }
        if remaining != 0, let largest = order.first {
            result[largest] = max(0, result[largest] + remaining)
        }
        return result
    }
}

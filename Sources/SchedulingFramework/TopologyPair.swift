/// A topology domain: a node label key and one of its values, e.g. `topology.kubernetes.io/zone=us-east-1a`.
struct TopologyPair: Hashable, Sendable {
    var key: String
    var value: String
}

extension Dictionary where Key == TopologyPair, Value == Int {
    /// Adds `delta` to the pair of `key` on a node with `labels`, dropping entries that reach zero so that an empty
    /// map means no matching pod anywhere. Nodes without the label do not count.
    mutating func add(_ delta: Int, key: String, labels: [String: String]) {
        guard let value = labels[key] else { return }
        let pair = TopologyPair(key: key, value: value)
        let count = self[pair, default: 0] + delta
        self[pair] = count == 0 ? nil : count
    }
}

/// Visiting nodes in place. Iterating `nodes` or passing `nodes[i]` copies the `NodeInfo`, retaining each of its
/// references; the plugins that look at every node use these instead.
extension ClusterSnapshot {
    func forEachNode(_ body: (Int, NodeInfo) -> Void) {
        nodes.withUnsafeBufferPointer { buffer in
            for index in buffer.indices { body(index, buffer[index]) }
        }
    }

    func withNode<Result>(at index: Int, _ body: (NodeInfo) -> Result) -> Result {
        nodes.withUnsafeBufferPointer { buffer in body(buffer[index]) }
    }
}

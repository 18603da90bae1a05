/// Kubernetes' slow-start batching of pod creations: 1, 2, 4, … at a time, so that a template the API rejects
/// costs one failed request rather than hundreds.
enum SlowStart {
    /// The batch sizes for `count` creations starting at `initial`: each batch doubles the last, the final one
    /// takes what remains (5 → [1, 2, 2]).
    static func batches(_ count: Int, initial: Int = 1) -> [Int] {
        var sizes: [Int] = []
        var remaining = count
        var size = min(remaining, max(1, initial))
        while size > 0 {
            sizes.append(size)
            remaining -= size
            size = min(size * 2, remaining)
        }
        return sizes
    }
}

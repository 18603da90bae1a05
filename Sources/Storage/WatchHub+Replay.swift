extension WatchHub {
    /// A watch that first replays stored history and then follows live events without a gap or a duplicate.
    ///
    /// `history(after, through)` must return the stored events under `prefix` with revisions in `(after, through]`.
    public func watch(
        prefix: String, afterRevision: Int64,
        history: @escaping @Sendable (_ after: Int64, _ through: Int64) async throws -> [StoreEvent]
    ) -> StoreWatch {
        let (live, subscribedAfter) = subscribe(prefix: prefix)
        let (output, continuation) = StoreWatch.makeStream(bufferingPolicy: .bufferingOldest(bufferLimit))
        // The forwarder lives as long as the output stream: its termination cancels it.
        let forwarder = Task {
            do {
                if afterRevision < subscribedAfter {
                    for event in try await history(afterRevision, subscribedAfter) {
                        if case .dropped = continuation.yield(event) { throw StoreError.watcherTooSlow }
                    }
                }
                for try await event in live where event.revision > afterRevision {
                    if case .dropped = continuation.yield(event) { throw StoreError.watcherTooSlow }
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in forwarder.cancel() }
        return output
    }
}

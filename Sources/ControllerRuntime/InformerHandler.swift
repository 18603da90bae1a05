import APIMachinery

/// What an informer calls as its cache changes. Handlers run on the informer's task, one at a time, and should only
/// enqueue keys (controllers) or update an in-memory snapshot (the scheduler): never block.
public struct InformerHandler: Sendable {
    public var onAdd: @Sendable (JSONValue) -> Void
    public var onUpdate: @Sendable (_ old: JSONValue, _ new: JSONValue) -> Void
    public var onDelete: @Sendable (JSONValue) -> Void

    public init(
        onAdd: @escaping @Sendable (JSONValue) -> Void = { _ in },
        onUpdate: @escaping @Sendable (JSONValue, JSONValue) -> Void = { _, _ in },
        onDelete: @escaping @Sendable (JSONValue) -> Void = { _ in }
    ) {
        self.onAdd = onAdd
        self.onUpdate = onUpdate
        self.onDelete = onDelete
    }

    /// A handler that maps every change to one key and enqueues it.
    public static func enqueue<Key: Hashable & Sendable>(_ queue: WorkQueue<Key>, key: @escaping @Sendable (JSONValue) -> Key?) -> InformerHandler {
        InformerHandler(
            onAdd: { object in key(object).map(queue.add) },
            onUpdate: { _, object in key(object).map(queue.add) },
            onDelete: { object in key(object).map(queue.add) })
    }
}

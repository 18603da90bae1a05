/// Why a LimitRange refuses an object: every constraint it breaks. The API answers it as Forbidden:
/// `pods "web" is forbidden: <message>`.
public struct LimitRangeViolation: Error, Sendable, Hashable, CustomStringConvertible {
    /// Each broken constraint, e.g. `maximum cpu usage per Container is 1, but limit is 2`.
    public var messages: [String]

    public init(_ messages: [String]) { self.messages = messages }

    /// The text after `is forbidden: `, as Kubernetes aggregates errors (`utilerrors.NewAggregate`): the one message
    /// alone, else `[first, second]` with repeated messages left out.
    public var message: String {
        var seen: Set<String> = []
        let distinct = messages.filter { seen.insert($0).inserted }
        return distinct.count == 1 ? distinct[0] : "[" + distinct.joined(separator: ", ") + "]"
    }

    public var description: String { message }
}

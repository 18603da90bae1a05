import Synchronization

/// Warnings admission adds to a request's answer, as Kubernetes' `warning.AddWarning(ctx, ...)` records them on the
/// request's context: kubectl prints each as `Warning: ...`. The recorder travels with the request as a task-local,
/// so that any admission step, however deep, can add one.
final class AdmissionWarnings: Sendable {
    @TaskLocal static var current: AdmissionWarnings?

    private let messages = Mutex<[String]>([])

    /// Adds a warning to the request being served; outside a request it has nowhere to go and is dropped.
    static func add(_ message: String) {
        current?.messages.withLock { if !$0.contains(message) { $0.append(message) } }
    }

    var recorded: [String] { messages.withLock { $0 } }

    /// `response` with the recorded warnings added to its `Warning` header.
    func adding(to response: APIResponse) -> APIResponse {
        let recorded = recorded
        guard !recorded.isEmpty, case .json(let code, let body, var headers) = response else { return response }
        let values = recorded.map { "299 - \"\($0.replacingOccurrences(of: "\"", with: "\\\""))\"" }
        headers["warning"] = ([headers["warning"]].compactMap { $0 } + values).joined(separator: ", ")
        return .json(code: code, body: body, headers: headers)
    }
}

extension APIError {
    /// Reads a `Status` a server answered with back into an error, so that clients see what the server meant.
    public init(status: JSONValue, fallbackCode: Int) {
        let details = status["details"]
        self.init(
            code: status["code"]?.integerValue.map { Int($0) } ?? fallbackCode,
            reason: status["reason"]?.stringValue ?? "",
            message: status["message"]?.stringValue ?? "the server answered \(fallbackCode)",
            name: details?["name"]?.stringValue,
            group: details?["group"]?.stringValue,
            kind: details?["kind"]?.stringValue,
            causes: (details?["causes"]?.arrayValue ?? []).map { cause in
                StatusCause(
                    type: cause["reason"]?.stringValue ?? "", message: cause["message"]?.stringValue ?? "",
                    field: cause["field"]?.stringValue ?? "")
            },
            retryAfterSeconds: details?["retryAfterSeconds"]?.integerValue.map { Int($0) })
    }

    /// True for the answers that mean "read again and retry": a stale resourceVersion.
    public var isConflict: Bool { code == 409 && reason == "Conflict" }
    public var isNotFound: Bool { code == 404 }
    public var isAlreadyExists: Bool { code == 409 && reason == "AlreadyExists" }
}

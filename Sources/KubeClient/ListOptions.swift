/// The query parameters of list and watch calls.
public struct ListOptions: Sendable, Hashable {
    public var labelSelector: String?
    public var fieldSelector: String?
    public var limit: Int?
    public var continueToken: String?
    public var resourceVersion: String?
    public var timeoutSeconds: Int?
    public var allowWatchBookmarks: Bool

    public init(
        labelSelector: String? = nil, fieldSelector: String? = nil, limit: Int? = nil, continueToken: String? = nil,
        resourceVersion: String? = nil, timeoutSeconds: Int? = nil, allowWatchBookmarks: Bool = false
    ) {
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.limit = limit
        self.continueToken = continueToken
        self.resourceVersion = resourceVersion
        self.timeoutSeconds = timeoutSeconds
        self.allowWatchBookmarks = allowWatchBookmarks
    }

    var query: [String: String] {
        var query: [String: String] = [:]
        if let labelSelector, !labelSelector.isEmpty { query["labelSelector"] = labelSelector }
        if let fieldSelector, !fieldSelector.isEmpty { query["fieldSelector"] = fieldSelector }
        if let limit { query["limit"] = String(limit) }
        if let continueToken { query["continue"] = continueToken }
        if let resourceVersion { query["resourceVersion"] = resourceVersion }
        if let timeoutSeconds { query["timeoutSeconds"] = String(timeoutSeconds) }
        if allowWatchBookmarks { query["allowWatchBookmarks"] = "true" }
        return query
    }
}

/// How the Pod Security checks word their details (policy/helpers.go and the Go formatting they rely on), so that
/// kubectl users read the same messages as from Kubernetes.
enum Wording {
    /// `"a", "b"`: the names quoted and joined, without escaping (`joinQuote`).
    static func quotedList(_ items: [String]) -> String {
        items.isEmpty ? "" : "\"" + items.joined(separator: "\", \"") + "\""
    }

    static func pluralize(_ singular: String, _ plural: String, count: Int) -> String {
        count == 1 ? singular : plural
    }

    /// `container "a"` or `containers "a", "b"`.
    static func containers(_ names: [String]) -> String {
        "\(pluralize("container", "containers", count: names.count)) \(quotedList(names))"
    }

    /// Who set a forbidden value: `pod`, `containers "a", "b"` or `pod and container "a"`.
    static func setters(pod: Bool, containers names: [String]) -> String {
        var setters: [String] = []
        if pod { setters.append("pod") }
        if !names.isEmpty { setters.append(containers(names)) }
        return setters.joined(separator: " and ")
    }

    /// Distinct values in byte order, as Go's `sets.String.List()` returns them.
    static func sortedSet(_ values: some Sequence<String>) -> [String] {
        sorted(Array(Set(values)))
    }

    /// Byte order, as Go's `sort.Strings` sorts.
    static func sorted(_ values: [String]) -> [String] {
        values.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

}

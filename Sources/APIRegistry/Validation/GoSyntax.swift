import APIMachinery

/// Go's `%q` and `%#v` renderings, which Kubernetes puts verbatim into field error messages.
enum GoSyntax {
    static func quote(_ text: String) -> String {
        GoText.quoted(text)
    }

    /// `map[string]string{"app":"web", "tier":"front"}`; Go prints map keys sorted.
    static func stringMap(_ map: [String: String]?) -> String {
        guard let map else { return "map[string]string(nil)" }
        let entries = map.keys.sorted().map { "\(quote($0)):\(quote(map[$0] ?? ""))" }
        return "map[string]string{" + entries.joined(separator: ", ") + "}"
    }

    static func stringSlice(_ items: [String]?) -> String {
        guard let items else { return "[]string(nil)" }
        return "[]string{" + items.map(quote).joined(separator: ", ") + "}"
    }

    /// A `metav1.LabelSelector` as `%#v` prints it, as in the famous `spec.selector: ... field is immutable`.
    static func labelSelector(_ selector: JSONValue?) -> String {
        let labels = selector?["matchLabels"]?.objectValue.map { $0.compactMapValues(\.stringValue) }
        let expressions: String
        if let items = selector?["matchExpressions"]?.arrayValue {
            let rendered = items.map { item in
                let values = item["values"]?.arrayValue.map { $0.compactMap(\.stringValue) }
                return "v1.LabelSelectorRequirement{Key:\(quote(item["key"]?.stringValue ?? "")), "
                    + "Operator:\(quote(item["operator"]?.stringValue ?? "")), Values:\(stringSlice(values))}"
            }
            expressions = "[]v1.LabelSelectorRequirement{" + rendered.joined(separator: ", ") + "}"
        } else {
            expressions = "[]v1.LabelSelectorRequirement(nil)"
        }
        return "v1.LabelSelector{MatchLabels:\(stringMap(labels)), MatchExpressions:\(expressions)}"
    }

    /// A value as `field.Error` prints it: strings quoted, numbers and booleans bare, anything else compact JSON.
    static func value(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): return quote(text)
        case .integer(let number): return String(number)
        case .double(let number): return String(number)
        case .bool(let flag): return String(flag)
        case .null: return "null"
        default: return value.serializedString()
        }
    }
}

extension GoSyntax {
    /// A `metav1.Time` as Go's `time.Time.String()` prints it: `2024-05-01 10:00:00 +0000 UTC`.
    static func time(_ text: String?) -> String {
        guard let text else { return "0001-01-01 00:00:00 +0000 UTC" }
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, text.hasSuffix("Z") else { return text }
        let date = String(decoding: bytes[0..<10], as: UTF8.self)
        let clock = String(decoding: bytes[11..<19], as: UTF8.self)
        return "\(date) \(clock) +0000 UTC"
    }
}

extension GoSyntax {
    /// An `intstr.IntOrString` as `%#v` prints it: `intstr.IntOrString{Type:1, IntVal:0, StrVal:"25%"}`.
    static func intOrString(_ value: JSONValue?) -> String {
        if case .string(let text)? = value { return "intstr.IntOrString{Type:1, IntVal:0, StrVal:\(quote(text))}" }
        let number = value?.integerValue ?? 0
        return "intstr.IntOrString{Type:0, IntVal:\(number), StrVal:\"\"}"
    }
}

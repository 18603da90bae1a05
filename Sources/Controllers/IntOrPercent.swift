import APIMachinery

/// An `IntOrString` field such as `maxSurge: 25%` or `maxUnavailable: 1`, scaled against a replica count the way
/// Kubernetes' `GetScaledValueFromIntOrPercent` does.
enum IntOrPercent {
    /// The value for `total` replicas; percentages round up or down as asked. Nil when the text is not a number or
    /// a percentage.
    static func scaled(_ value: JSONValue?, total: Int64, roundUp: Bool) -> Int64? {
        guard let value else { return nil }
        if let number = value.integerValue { return number }
        guard let text = value.stringValue else { return nil }
        guard text.hasSuffix("%") else { return Int64(text) }
        guard let percent = Int64(text.dropLast()) else { return nil }
        let product = percent * total
        return roundUp ? (product + 99) / 100 : product / 100
    }
}

/// `metav1.LabelSelector` objects (`spec.selector` of workloads, `podSelector`, `namespaceSelector`), converted as
/// `metav1.LabelSelectorAsSelector` does.
extension LabelSelector {
    /// From `{matchLabels, matchExpressions[{key, operator, values}]}`. A `null` object selects nothing (Kubernetes'
    /// nil selector); `{}` selects everything.
    public init(object: JSONValue) throws(APIError) {
        if object.isNull {
            self = .nothing
            return
        }
        guard let fields = object.objectValue else {
            throw APIError.badRequest("label selector must be an object, not \(object.typeName)")
        }
        var requirements: [Requirement] = []
        do throws(LabelSelectorSyntaxError) {
            for (key, value) in fields["matchLabels"]?.objectValue ?? [:] {
                requirements.append(try LabelSelector.requirement(key: key, operator: .equals, values: [value.stringValue ?? ""]))
            }
            for expression in fields["matchExpressions"]?.arrayValue ?? [] {
                let key = expression["key"]?.stringValue ?? ""
                let name = expression["operator"]?.stringValue ?? ""
                let op: Operator
                switch name {
                case "In": op = .in
                case "NotIn": op = .notIn
                case "Exists": op = .exists
                case "DoesNotExist": op = .doesNotExist
                default: throw LabelSelectorSyntaxError(message: "\(GoText.quoted(name)) is not a valid label selector operator")
                }
                let values = (expression["values"]?.arrayValue ?? []).map { $0.stringValue ?? "" }
                requirements.append(try LabelSelector.requirement(key: key, operator: op, values: values))
            }
        } catch {
            throw APIError.badRequest(error.message)
        }
        self.init(requirements: requirements)
    }
}

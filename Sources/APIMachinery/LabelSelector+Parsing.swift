/// The `labelSelector` query syntax, parsed the way `labels.Parse` does (same tokens, same precedence, same
/// error texts), so `kubectl get -l` failures read exactly as against a real API server.
extension LabelSelector {
    /// Parses `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`, `a>1`, `a<5`, comma-separated (AND).
    public init(parsing text: String) throws(APIError) {
        var parser = LabelSelectorParser(tokens: LabelSelectorLexer.tokens(of: text))
        do {
            self.init(requirements: try parser.parse())
        } catch {
            throw APIError.badRequest(error.message)
        }
    }
}

extension LabelSelector {
    /// Kubernetes' `NewRequirement`: checks the key, the number of values for the operator and each value.
    static func requirement(key: String, operator op: Operator, values: [String]) throws(LabelSelectorSyntaxError) -> Requirement {
        var errors: [String] = []
        let keyErrors = qualifiedNameErrors(key)
        if !keyErrors.isEmpty {
            errors.append(invalidValue(path: "key", value: key, detail: keyErrors.joined(separator: "; ")))
        }
        let rendered = "[]string{" + values.map(GoText.quoted).joined(separator: ", ") + "}"
        switch op {
        case .in, .notIn:
            if values.isEmpty {
                errors.append("values: Invalid value: \(rendered): for 'in', 'notin' operators, values set can't be empty")
            }
        case .equals, .doubleEquals, .notEquals:
            if values.count != 1 {
                errors.append("values: Invalid value: \(rendered): exact-match compatibility requires one single value")
            }
        case .exists, .doesNotExist:
            if !values.isEmpty {
                errors.append("values: Invalid value: \(rendered): values set must be empty for exists and does not exist")
            }
        case .greaterThan, .lessThan:
            if values.count != 1 {
                errors.append("values: Invalid value: \(rendered): for 'Gt', 'Lt' operators, exactly one value is required")
            }
            for (index, value) in values.enumerated() where Int64(value) == nil {
                errors.append(
                    invalidValue(
                        path: "values[\(index)]", value: value, detail: "for 'Gt', 'Lt' operators, the value must be an integer"))
            }
        }
        for (index, value) in values.enumerated() {
            let valueErrors = labelValueErrors(value)
            if !valueErrors.isEmpty {
                errors.append(
                    invalidValue(path: "values[\(index)][\(key)]", value: value, detail: valueErrors.joined(separator: "; ")))
            }
        }
        if !errors.isEmpty {
            throw LabelSelectorSyntaxError(message: aggregate(errors))
        }
        return Requirement(key: key, operator: op, values: values)
    }

    /// `utilerrors.NewAggregate(...).Error()`: one message alone, several deduplicated inside brackets.
    static func aggregate(_ messages: [String]) -> String {
        var seen: [String] = []
        for message in messages where !seen.contains(message) { seen.append(message) }
        return seen.count == 1 ? seen[0] : "[" + seen.joined(separator: ", ") + "]"
    }
}

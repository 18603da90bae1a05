/// One `field=value` / `field!=value` term of a field selector.
public struct FieldRequirement: Sendable, Hashable, CustomStringConvertible {
    public enum Operator: String, Sendable, Hashable {
        /// `=` and `==` mean the same in field selectors.
        case equals = "="
        case notEquals = "!="
    }

    public var field: String
    public var `operator`: Operator
    /// The unescaped value; the empty string matches a missing field.
    public var value: String

    public init(field: String, operator: Operator, value: String) {
        self.field = field
        self.operator = `operator`
        self.value = value
    }

    /// `field=value` with the value escaped again, as Kubernetes renders a selector.
    public var description: String {
        field + self.operator.rawValue + FieldSelector.escape(value)
    }
}

/// The `fieldSelector` query parameter: comma-separated `field=value`, `field==value`, `field!=value` terms, all of which
/// must hold, parsed as Kubernetes' `fields.ParseSelector` does (backslash escapes `\,`, `\=`, `\\` in values).
///
/// Which fields may be used depends on the resource; call `validate(group:resource:)` before listing.
public struct FieldSelector: Sendable, Hashable, CustomStringConvertible {
    /// The terms, sorted as Kubernetes sorts them.
    public private(set) var requirements: [FieldRequirement]

    public init(requirements: [FieldRequirement] = []) {
        self.requirements = requirements
    }

    public init(parsing text: String) throws(APIError) {
        var terms = FieldSelector.splitTerms(text)
        terms.sort { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        var requirements: [FieldRequirement] = []
        for term in terms where !term.isEmpty {
            guard let (field, op, rawValue) = FieldSelector.splitTerm(term) else {
                throw APIError.badRequest("invalid selector: '\(text)'; can't understand '\(term)'")
            }
            requirements.append(FieldRequirement(field: field, operator: op, value: try FieldSelector.unescape(rawValue)))
        }
        self.requirements = requirements
    }

    public var isEmpty: Bool { requirements.isEmpty }

    /// Whether every term holds for the object, reading each field as Kubernetes exposes it for selection.
    public func matches(_ object: JSONValue) -> Bool {
        requirements.allSatisfy { requirement in
            let actual = FieldSelector.fieldValue(requirement.field, of: object)
            return requirement.operator == .equals ? actual == requirement.value : actual != requirement.value
        }
    }

    public var description: String {
        requirements.map(\.description).joined(separator: ",")
    }

    /// Splits on commas that are not escaped by a backslash.
    static func splitTerms(_ text: String) -> [String] {
        guard !text.isEmpty else { return [] }
        var terms: [String] = []
        var current = ""
        var escaped = false
        for character in text.unicodeScalars {
            if escaped {
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "," {
                terms.append(current)
                current = ""
                continue
            }
            current.unicodeScalars.append(character)
        }
        terms.append(current)
        return terms
    }

    /// The first operator found scanning left to right, preferring `!=` and `==` over `=` at the same position.
    static func splitTerm(_ term: String) -> (String, FieldRequirement.Operator, String)? {
        let scalars = Array(term.unicodeScalars)
        for index in scalars.indices {
            let rest = scalars[index...]
            let length: Int
            let op: FieldRequirement.Operator
            if rest.starts(with: ["!", "="]) {
                (length, op) = (2, .notEquals)
            } else if rest.starts(with: ["=", "="]) {
                (length, op) = (2, .equals)
            } else if rest.first == "=" {
                (length, op) = (1, .equals)
            } else {
                continue
            }
            var field = ""
            field.unicodeScalars.append(contentsOf: scalars[..<index])
            var value = ""
            value.unicodeScalars.append(contentsOf: scalars[(index + length)...])
            return (field, op, value)
        }
        return nil
    }

    /// Kubernetes' `fields.UnescapeValue`.
    static func unescape(_ value: String) throws(APIError) -> String {
        guard value.contains(where: { $0 == "\\" || $0 == "," || $0 == "=" }) else { return value }
        var result = ""
        var escaped = false
        for scalar in value.unicodeScalars {
            if escaped {
                guard scalar == "\\" || scalar == "," || scalar == "=" else {
                    throw APIError.badRequest("invalid field selector: invalid escape sequence: \\\(scalar)")
                }
                result.unicodeScalars.append(scalar)
                escaped = false
                continue
            }
            switch scalar {
            case "\\": escaped = true
            case ",", "=": throw APIError.badRequest("invalid field selector: unescaped character in value: \(scalar.value)")
            default: result.unicodeScalars.append(scalar)
            }
        }
        if escaped {
            throw APIError.badRequest("invalid field selector: invalid escape sequence: \\")
        }
        return result
    }

    /// Kubernetes' `fields.EscapeValue`.
    public static func escape(_ value: String) -> String {
        var result = ""
        for scalar in value.unicodeScalars {
            if scalar == "\\" || scalar == "," || scalar == "=" { result += "\\" }
            result.unicodeScalars.append(scalar)
        }
        return result
    }
}

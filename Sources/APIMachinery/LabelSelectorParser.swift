/// A parse failure carrying Kubernetes' message.
struct LabelSelectorSyntaxError: Error {
    var message: String
}

/// A recursive-descent parser over `LabelSelectorLexer` tokens, mirroring `labels.Parser`.
struct LabelSelectorParser {
    /// Whether `in`/`notin` are keywords (after a key) or plain words (where a key or value is expected).
    enum Context { case keyAndOperator, values }

    let tokens: [LabelSelectorToken]
    var position = 0

    init(tokens: [LabelSelectorToken]) {
        self.tokens = tokens
    }

    mutating func parse() throws(LabelSelectorSyntaxError) -> [LabelSelector.Requirement] {
        var requirements: [LabelSelector.Requirement] = []
        while true {
            let token = lookahead(.values)
            switch token {
            case .identifier, .doesNotExist:
                do {
                    requirements.append(try parseRequirement())
                } catch {
                    throw LabelSelectorSyntaxError(message: "unable to parse requirement: " + error.message)
                }
                let next = consume(.values)
                switch next {
                case .endOfString:
                    return requirements
                case .comma:
                    let following = lookahead(.values)
                    switch following {
                    case .identifier, .doesNotExist: continue
                    default:
                        throw LabelSelectorSyntaxError(message: "found '\(following.literal)', expected: identifier after ','")
                    }
                default:
                    throw LabelSelectorSyntaxError(message: "found '\(next.literal)', expected: ',' or 'end of string'")
                }
            case .endOfString:
                return requirements
            default:
                throw LabelSelectorSyntaxError(message: "found '\(token.literal)', expected: !, identifier, or 'end of string'")
            }
        }
    }

    private mutating func parseRequirement() throws(LabelSelectorSyntaxError) -> LabelSelector.Requirement {
        var token = consume(.values)
        var negated = false
        if token == .doesNotExist {
            negated = true
            token = consume(.values)
        }
        guard case .identifier(let key) = token else {
            throw LabelSelectorSyntaxError(message: "found '\(token.literal)', expected: identifier")
        }
        let keyErrors = LabelSelector.qualifiedNameErrors(key)
        if !keyErrors.isEmpty {
            throw LabelSelectorSyntaxError(
                message: LabelSelector.invalidValue(path: "<nil>", value: key, detail: keyErrors.joined(separator: "; ")))
        }
        let next = lookahead(.values)
        if negated {
            return try LabelSelector.requirement(key: key, operator: .doesNotExist, values: [])
        }
        if next == .endOfString || next == .comma {
            return try LabelSelector.requirement(key: key, operator: .exists, values: [])
        }
        let operatorToken = consume(.keyAndOperator)
        let op: LabelSelector.Operator
        switch operatorToken {
        case .in: op = .in
        case .equals: op = .equals
        case .doubleEquals: op = .doubleEquals
        case .greaterThan: op = .greaterThan
        case .lessThan: op = .lessThan
        case .notIn: op = .notIn
        case .notEquals: op = .notEquals
        default:
            throw LabelSelectorSyntaxError(message: "found '\(operatorToken.literal)', expected: in, notin, =, ==, !=, gt, lt")
        }
        let values: Set<String>
        switch op {
        case .in, .notIn: values = try parseValues()
        default: values = try parseExactValue()
        }
        return try LabelSelector.requirement(key: key, operator: op, values: values.sorted())
    }

    private mutating func parseValues() throws(LabelSelectorSyntaxError) -> Set<String> {
        let open = consume(.values)
        guard open == .openParenthesis else {
            throw LabelSelectorSyntaxError(message: "found '\(open.literal)' expected: '('")
        }
        let next = lookahead(.values)
        switch next {
        case .identifier, .comma:
            let values = try parseIdentifierList()
            if consume(.values) != .closedParenthesis {
                throw LabelSelectorSyntaxError(message: "found '\(next.literal)', expected: ')'")
            }
            return values
        case .closedParenthesis:
            _ = consume(.values)
            return [""]
        default:
            throw LabelSelectorSyntaxError(message: "found '\(next.literal)', expected: ',', ')' or identifier")
        }
    }

    private mutating func parseIdentifierList() throws(LabelSelectorSyntaxError) -> Set<String> {
        var values: Set<String> = []
        while true {
            let token = consume(.values)
            switch token {
            case .identifier(let value):
                values.insert(value)
                let next = lookahead(.values)
                switch next {
                case .comma: continue
                case .closedParenthesis: return values
                default: throw LabelSelectorSyntaxError(message: "found '\(next.literal)', expected: ',' or ')'")
                }
            case .comma:
                // Empty entries (`(,a)`, `(a,)`, `(a,,b)`) stand for the empty value.
                if values.isEmpty { values.insert("") }
                let next = lookahead(.values)
                if next == .closedParenthesis {
                    values.insert("")
                    return values
                }
                if next == .comma {
                    _ = consume(.values)
                    values.insert("")
                }
            default:
                throw LabelSelectorSyntaxError(message: "found '\(token.literal)', expected: ',', or identifier")
            }
        }
    }

    private mutating func parseExactValue() throws(LabelSelectorSyntaxError) -> Set<String> {
        let next = lookahead(.values)
        if next == .endOfString || next == .comma { return [""] }
        let token = consume(.values)
        guard case .identifier(let value) = token else {
            throw LabelSelectorSyntaxError(message: "found '\(token.literal)', expected: identifier")
        }
        return [value]
    }

    private func lookahead(_ context: Context) -> LabelSelectorToken {
        let token = position < tokens.count ? tokens[position] : .endOfString
        return contextual(token, context)
    }

    private mutating func consume(_ context: Context) -> LabelSelectorToken {
        let token = lookahead(context)
        position += 1
        return token
    }

    private func contextual(_ token: LabelSelectorToken, _ context: Context) -> LabelSelectorToken {
        guard context == .values else { return token }
        switch token {
        case .in: return .identifier("in")
        case .notIn: return .identifier("notin")
        default: return token
        }
    }
}

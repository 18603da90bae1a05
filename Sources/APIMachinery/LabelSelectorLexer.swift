/// A token of the label selector syntax.
enum LabelSelectorToken: Equatable {
    case error(String)
    case endOfString
    case closedParenthesis
    case comma
    case doesNotExist
    case doubleEquals
    case equals
    case greaterThan
    case identifier(String)
    case `in`
    case lessThan
    case notEquals
    case notIn
    case openParenthesis

    /// The text the token was scanned from, as Kubernetes quotes it in errors.
    var literal: String {
        switch self {
        case .error(let message): return message
        case .endOfString: return ""
        case .closedParenthesis: return ")"
        case .comma: return ","
        case .doesNotExist: return "!"
        case .doubleEquals: return "=="
        case .equals: return "="
        case .greaterThan: return ">"
        case .identifier(let text): return text
        case .in: return "in"
        case .lessThan: return "<"
        case .notEquals: return "!="
        case .notIn: return "notin"
        case .openParenthesis: return "("
        }
    }

    static let symbols: [String: LabelSelectorToken] = [
        ")": .closedParenthesis, ",": .comma, "!": .doesNotExist, "==": .doubleEquals, "=": .equals, ">": .greaterThan,
        "<": .lessThan, "!=": .notEquals, "(": .openParenthesis,
    ]
}

/// Splits a selector into tokens exactly as `labels.Lexer` does (bytes, whitespace, longest operator).
enum LabelSelectorLexer {
    static func tokens(of text: String) -> [LabelSelectorToken] {
        let bytes = Array(text.utf8)
        var position = 0
        var tokens: [LabelSelectorToken] = []
        while true {
            while position < bytes.count, isWhitespace(bytes[position]) { position += 1 }
            guard position < bytes.count, bytes[position] != 0 else {
                tokens.append(.endOfString)
                return tokens
            }
            if isSpecialSymbol(bytes[position]) {
                tokens.append(scanSymbol(bytes, &position))
            } else {
                let start = position
                while position < bytes.count, bytes[position] != 0, !isSpecialSymbol(bytes[position]),
                    !isWhitespace(bytes[position])
                {
                    position += 1
                }
                let word = String(decoding: bytes[start..<position], as: UTF8.self)
                switch word {
                case "in": tokens.append(.in)
                case "notin": tokens.append(.notIn)
                default: tokens.append(.identifier(word))
                }
            }
        }
    }

    /// The longest run of symbol characters that still spells a known operator, as Kubernetes' lexer scans.
    private static func scanSymbol(_ bytes: [UInt8], _ position: inout Int) -> LabelSelectorToken {
        var buffer: [UInt8] = []
        var last: LabelSelectorToken?
        while position < bytes.count, bytes[position] != 0, isSpecialSymbol(bytes[position]) {
            buffer.append(bytes[position])
            if let token = LabelSelectorToken.symbols[String(decoding: buffer, as: UTF8.self)] {
                last = token
                position += 1
            } else if last != nil {
                break
            } else {
                position += 1
            }
        }
        return last ?? .error("error expected: keyword found '\(String(decoding: buffer, as: UTF8.self))'")
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n")
    }

    private static func isSpecialSymbol(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "="), UInt8(ascii: "!"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: ","),
            UInt8(ascii: ">"), UInt8(ascii: "<"):
            return true
        default:
            return false
        }
    }
}

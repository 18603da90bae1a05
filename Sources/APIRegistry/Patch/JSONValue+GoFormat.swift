import APIMachinery

/// The Go type a JSON value has after Kubernetes decodes it into `interface{}` (`k8s.io/apimachinery/pkg/util/json`
/// keeps whole numbers as `int64`). Strategic merge patch compares these types, not JSON's.
enum GoValueKind: Sendable, Hashable {
    case null, bool, int64, float64, string, slice, map
}

/// The `fmt` verb a value is printed with in a Kubernetes error message.
enum GoFormatVerb {
    /// `%v`
    case value
    /// `%s`: non-strings print as `%!s(type=value)`.
    case string
}

extension JSONValue {
    var goKind: GoValueKind {
        switch self {
        case .null: return .null
        case .bool: return .bool
        case .integer: return .int64
        case .double: return .float64
        case .string: return .string
        case .array: return .slice
        case .object: return .map
        }
    }

    /// `reflect.TypeOf(value)` printed with `%s`, as in `expected a map[string]interface {}, but received a string`.
    var goTypeName: String {
        switch self {
        case .null: return "%!s(<nil>)"
        case .bool: return "bool"
        case .integer: return "int64"
        case .double: return "float64"
        case .string: return "string"
        case .array: return "[]interface {}"
        case .object: return "map[string]interface {}"
        }
    }

    /// The value as Go's `fmt` prints it: `map[containerPort:80 name:web]`, `[a b]`, `<nil>`.
    func goFormatted(verb: GoFormatVerb = .value) -> String {
        switch self {
        case .string(let text):
            return text
        case .array(let items):
            return "[" + items.map { $0.goFormatted(verb: verb) }.joined(separator: " ") + "]"
        case .object(let fields):
            let entries = fields.keys.sorted().map { key in "\(key):\(fields[key]?.goFormatted(verb: verb) ?? "")" }
            return "map[" + entries.joined(separator: " ") + "]"
        case .null, .bool, .integer, .double:
            let printed = goScalarValue
            guard verb == .string else { return printed }
            return self == .null ? "%!s(<nil>)" : "%!s(\(goTypeName)=\(printed))"
        }
    }

    private var goScalarValue: String {
        switch self {
        case .null: return "<nil>"
        case .bool(let flag): return flag ? "true" : "false"
        case .integer(let number): return String(number)
        case .double(let number): return Self.goFloat(number)
        default: return ""
        }
    }

    /// `%v` of a float64: the shortest digits, in exponent form when the exponent is below -4 or at least 6
    /// (strconv's `'g'` with precision -1), e.g. `1.5`, `100000`, `1e+06`, `1.234567e+06`.
    static func goFloat(_ number: Double) -> String {
        if number.isNaN { return "NaN" }
        if number.isInfinite { return number < 0 ? "-Inf" : "+Inf" }
        let sign = number.sign == .minus ? "-" : ""
        // Swift's description is also the shortest round-tripping form; only its layout differs from Go's.
        let text = "\(abs(number))"
        let parts = text.split(separator: "e", maxSplits: 1)
        let exponent = parts.count == 2 ? Int(parts[1]) ?? 0 : 0
        let mantissa = parts.first.map(String.init) ?? text
        let pieces = mantissa.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let integerPart = pieces.first.map(String.init) ?? ""
        let fractionPart = pieces.count == 2 ? String(pieces[1]) : ""
        var digits = Array(integerPart + fractionPart)
        var pointPosition = integerPart.count + exponent
        while let first = digits.first, first == "0" {
            digits.removeFirst()
            pointPosition -= 1
        }
        while let last = digits.last, last == "0" { digits.removeLast() }
        guard !digits.isEmpty else { return sign + "0" }

        let decimalExponent = pointPosition - 1
        if decimalExponent < -4 || decimalExponent >= 6 {
            var result = sign + String(digits[0])
            if digits.count > 1 { result += "." + String(digits[1...]) }
            let magnitude = abs(decimalExponent)
            result += (decimalExponent < 0 ? "e-" : "e+") + (magnitude < 10 ? "0" : "") + String(magnitude)
            return result
        }
        if pointPosition <= 0 {
            return sign + "0." + String(repeating: "0", count: -pointPosition) + String(digits)
        }
        if pointPosition >= digits.count {
            return sign + String(digits) + String(repeating: "0", count: pointPosition - digits.count)
        }
        return sign + String(digits[..<pointPosition]) + "." + String(digits[pointPosition...])
    }
}

/// A Kubernetes resource quantity (`500m`, `128Mi`, `1e3`, `2`), kept exactly as a decimal so that comparisons
/// never round, and printed in Kubernetes' canonical form (`0.5` → `500m`, `1024Mi` → `1Gi`, `1000` → `1k`).
public struct Quantity: Sendable, Hashable, Comparable, CustomStringConvertible {
    static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    public enum Format: Sendable, Hashable {
        case decimalSI, binarySI, decimalExponent
    }

    /// Kubernetes' message for a string that is not a quantity.
    public static let syntaxError =
        "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"

    public let format: Format
    let negative: Bool
    /// The magnitude is `digits × 10^exponent`; `digits` holds decimal digits, most significant first,
    /// without leading or trailing zeros (empty for zero).
    let digits: [UInt8]
    let exponent: Int

    public init?(_ text: String) {
        var bytes = Array(text.utf8)[...]
        var negative = false
        if let sign = bytes.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
            negative = sign == UInt8(ascii: "-")
            bytes = bytes.dropFirst()
        }
        let numberEnd = bytes.firstIndex { !(Self.isDigit($0) || $0 == UInt8(ascii: ".")) } ?? bytes.endIndex
        let number = bytes[..<numberEnd]
        let suffix = String(decoding: bytes[numberEnd...], as: UTF8.self)
        guard let (mantissa, fractionLength) = Quantity.parseNumber(number) else { return nil }
        var exponent = -fractionLength
        var multiplier: (base: UInt32, times: Int) = (1, 0)
        let format: Format
        switch suffix {
        case "": format = .decimalSI
        case "n": format = .decimalSI; exponent -= 9
        case "u": format = .decimalSI; exponent -= 6
        case "m": format = .decimalSI; exponent -= 3
        case "k": format = .decimalSI; exponent += 3
        case "M": format = .decimalSI; exponent += 6
        case "G": format = .decimalSI; exponent += 9
        case "T": format = .decimalSI; exponent += 12
        case "P": format = .decimalSI; exponent += 15
        case "E": format = .decimalSI; exponent += 18
        case "Ki": format = .binarySI; multiplier = (1024, 1)
        case "Mi": format = .binarySI; multiplier = (1024, 2)
        case "Gi": format = .binarySI; multiplier = (1024, 3)
        case "Ti": format = .binarySI; multiplier = (1024, 4)
        case "Pi": format = .binarySI; multiplier = (1024, 5)
        case "Ei": format = .binarySI; multiplier = (1024, 6)
        default:
            guard let first = suffix.utf8.first, first == UInt8(ascii: "e") || first == UInt8(ascii: "E"),
                let power = Quantity.parseExponent(suffix.utf8.dropFirst())
            else { return nil }
            format = .decimalExponent
            exponent += power
        }
        var magnitude = mantissa
        for _ in 0..<multiplier.times { magnitude = Quantity.multiply(magnitude, by: multiplier.base) }
        self.init(format: format, negative: negative, digits: magnitude, exponent: exponent)
    }

    /// Quantities arrive as JSON strings, and as bare numbers from clients that write `cpu: 2`.
    public init?(json: JSONValue) {
        switch json {
        case .string(let text): self.init(text)
        case .integer(let number): self.init(String(number))
        case .double(let number): self.init(String(number))
        default: return nil
        }
    }

    init(format: Format, negative: Bool, digits: [UInt8], exponent: Int) {
        var digits = Array(digits.drop { $0 == 0 })
        var exponent = exponent
        while digits.last == 0 {
            digits.removeLast()
            exponent += 1
        }
        self.format = format
        self.negative = negative && !digits.isEmpty
        self.digits = digits
        self.exponent = digits.isEmpty ? 0 : exponent
    }

    public var isZero: Bool { digits.isEmpty }
    public var isNegative: Bool { negative }
    /// True when the quantity is a whole number, as Kubernetes requires of extended resources.
    public var isInteger: Bool { exponent >= 0 }

    /// The value in thousandths rounded up, as Kubernetes' `MilliValue()`; nil when it does not fit an Int64.
    public var milliValue: Int64? { scaled(by: 3) }

    /// The value rounded up to a whole number, as Kubernetes' `Value()`; nil when it does not fit an Int64.
    public var value: Int64? { scaled(by: 0) }

    private func scaled(by power: Int) -> Int64? {
        let shift = exponent + power
        var result: Int64 = 0
        let whole = shift >= 0 ? digits : Array(digits.dropLast(min(-shift, digits.count)))
        for digit in whole {
            let (times, overflow) = result.multipliedReportingOverflow(by: 10)
            guard !overflow else { return nil }
            result = times + Int64(digit)
        }
        if shift > 0 {
            for _ in 0..<shift {
                let (times, overflow) = result.multipliedReportingOverflow(by: 10)
                guard !overflow else { return nil }
                result = times
            }
        }
        let truncated = shift < 0 && whole.count < digits.count
        if truncated && !negative { result += 1 }
        return negative ? -result : result
    }

    public static func < (lhs: Quantity, rhs: Quantity) -> Bool {
        if lhs.negative != rhs.negative { return lhs.negative }
        let order = compareMagnitude(lhs, rhs)
        return lhs.negative ? order > 0 : order < 0
    }

    public static func == (lhs: Quantity, rhs: Quantity) -> Bool {
        lhs.negative == rhs.negative && lhs.digits == rhs.digits && lhs.exponent == rhs.exponent
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(negative)
        hasher.combine(digits)
        hasher.combine(exponent)
    }

    /// Kubernetes' canonical form, used wherever it prints a quantity back.
    public var description: String {
        if isZero { return "0" }
        var chosen = format
        if format == .binarySI, !isInteger || Quantity.compareMagnitude(self, Quantity(format: .decimalSI, negative: false, digits: [1, 0, 2, 4], exponent: 0)) < 0 {
            chosen = .decimalSI
        }
        let sign = negative ? "-" : ""
        if chosen == .binarySI {
            var integer = digits + [UInt8](repeating: 0, count: exponent)
            var power = 0
            while power < 6, let (quotient, remainder) = Quantity.divide(integer, by: 1024), remainder == 0 {
                integer = quotient
                power += 1
            }
            let suffixes = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"]
            return sign + Quantity.render(integer) + suffixes[power]
        }
        var mantissa = digits
        var power = exponent
        let remainder = ((power % 3) + 3) % 3
        if remainder != 0 {
            mantissa += [UInt8](repeating: 0, count: remainder)
            power -= remainder
        }
        return sign + Quantity.render(mantissa) + Quantity.decimalSuffix(power, format: chosen)
    }

    private static func decimalSuffix(_ power: Int, format: Format) -> String {
        if format == .decimalExponent || !(-9...18).contains(power) { return power == 0 ? "" : "e\(power)" }
        switch power {
        case -9: return "n"
        case -6: return "u"
        case -3: return "m"
        case 3: return "k"
        case 6: return "M"
        case 9: return "G"
        case 12: return "T"
        case 15: return "P"
        case 18: return "E"
        default: return ""
        }
    }

    // MARK: - Decimal arithmetic on digit arrays

    private static func parseNumber(_ bytes: ArraySlice<UInt8>) -> ([UInt8], Int)? {
        var digits: [UInt8] = []
        var fractionLength = 0
        var seenPoint = false
        var seenDigit = false
        for byte in bytes {
            if byte == UInt8(ascii: ".") {
                guard !seenPoint else { return nil }
                seenPoint = true
            } else {
                digits.append(byte - UInt8(ascii: "0"))
                seenDigit = true
                if seenPoint { fractionLength += 1 }
            }
        }
        return seenDigit ? (digits, fractionLength) : nil
    }

    private static func parseExponent(_ bytes: Substring.UTF8View.SubSequence) -> Int? {
        var rest = bytes[...]
        var negative = false
        if let sign = rest.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
            negative = sign == UInt8(ascii: "-")
            rest = rest.dropFirst()
        }
        guard !rest.isEmpty, rest.count < 10, rest.allSatisfy(Self.isDigit), let value = Int(String(decoding: rest, as: UTF8.self))
        else { return nil }
        return negative ? -value : value
    }

    private static func multiply(_ digits: [UInt8], by factor: UInt32) -> [UInt8] {
        var result: [UInt8] = []
        var carry: UInt32 = 0
        for digit in digits.reversed() {
            let product = UInt32(digit) * factor + carry
            result.append(UInt8(product % 10))
            carry = product / 10
        }
        while carry > 0 {
            result.append(UInt8(carry % 10))
            carry /= 10
        }
        return Array(result.reversed().drop { $0 == 0 })
    }

    private static func divide(_ digits: [UInt8], by divisor: UInt32) -> ([UInt8], UInt32)? {
        guard !digits.isEmpty else { return nil }
        var quotient: [UInt8] = []
        var remainder: UInt32 = 0
        for digit in digits {
            let current = remainder * 10 + UInt32(digit)
            quotient.append(UInt8(current / divisor))
            remainder = current % divisor
        }
        return (Array(quotient.drop { $0 == 0 }), remainder)
    }

    private static func render(_ digits: [UInt8]) -> String {
        digits.isEmpty ? "0" : String(decoding: digits.map { $0 + UInt8(ascii: "0") }, as: UTF8.self)
    }

    /// Orders the magnitudes: first by the position of the leading digit, then digit by digit.
    private static func compareMagnitude(_ lhs: Quantity, _ rhs: Quantity) -> Int {
        if lhs.isZero || rhs.isZero { return (lhs.isZero ? 0 : 1) - (rhs.isZero ? 0 : 1) }
        let lhsTop = lhs.digits.count + lhs.exponent
        let rhsTop = rhs.digits.count + rhs.exponent
        if lhsTop != rhsTop { return lhsTop < rhsTop ? -1 : 1 }
        for position in 0..<max(lhs.digits.count, rhs.digits.count) {
            let left = position < lhs.digits.count ? lhs.digits[position] : 0
            let right = position < rhs.digits.count ? rhs.digits[position] : 0
            if left != right { return left < right ? -1 : 1 }
        }
        return 0
    }
}

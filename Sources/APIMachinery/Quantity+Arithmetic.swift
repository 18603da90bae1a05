/// Exact arithmetic on quantities, as `resource.Quantity`'s `Add`, `Sub`, `Neg` and `RoundUp` do it: nothing is
/// ever rounded, and a result keeps the format of the left operand (of the right one when the left is zero), so it
/// prints as Kubernetes prints sums: `100m + 200m` is `300m`, `1Gi + 512Mi` is `1536Mi`, `1 + 500m` is `1500m`.
extension Quantity {
    /// Zero, as `resource.Quantity{Format: DecimalSI}`; prints `0`.
    public static let zero = Quantity(format: .decimalSI, negative: false, digits: [], exponent: 0)

    /// A whole number, as `resource.NewQuantity(value, format)`.
    public init(_ value: Int64, format: Format = .decimalSI) {
        let digits = String(value.magnitude).utf8.map { $0 - UInt8(ascii: "0") }
        self.init(format: format, negative: value < 0, digits: digits, exponent: 0)
    }

    public static func + (lhs: Quantity, rhs: Quantity) -> Quantity {
        if lhs.isZero { return Quantity(format: rhs.format, negative: rhs.negative, digits: rhs.digits, exponent: rhs.exponent) }
        if rhs.isZero { return lhs }
        let exponent = min(lhs.exponent, rhs.exponent)
        let left = lhs.digits + [UInt8](repeating: 0, count: lhs.exponent - exponent)
        let right = rhs.digits + [UInt8](repeating: 0, count: rhs.exponent - exponent)
        if lhs.negative == rhs.negative {
            return Quantity(format: lhs.format, negative: lhs.negative, digits: addDigits(left, right), exponent: exponent)
        }
        // Opposite signs: the larger magnitude gives the sign.
        if compareDigits(left, right) >= 0 {
            return Quantity(format: lhs.format, negative: lhs.negative, digits: subtractDigits(left, right), exponent: exponent)
        }
        return Quantity(format: lhs.format, negative: rhs.negative, digits: subtractDigits(right, left), exponent: exponent)
    }

    public static func - (lhs: Quantity, rhs: Quantity) -> Quantity { lhs + -rhs }

    public static prefix func - (operand: Quantity) -> Quantity {
        Quantity(format: operand.format, negative: !operand.negative, digits: operand.digits, exponent: operand.exponent)
    }

    public static func += (lhs: inout Quantity, rhs: Quantity) { lhs = lhs + rhs }

    /// The quantity rounded away from zero to a whole number (`RoundUp(0)`): what storage requests are charged as.
    public var roundedUpToInteger: Quantity {
        guard exponent < 0 else { return self }
        let whole = Array(digits.dropLast(-exponent))
        // Trailing zeros are never kept, so a fractional part, when there is one, is never zero.
        return Quantity(format: format, negative: negative, digits: Quantity.addDigits(whole, [1]), exponent: 0)
    }

    /// The quantity as the JSON string Kubernetes writes.
    public var json: JSONValue { .string(description) }

    // MARK: - Whole numbers as decimal digits, most significant first

    private static func addDigits(_ lhs: [UInt8], _ rhs: [UInt8]) -> [UInt8] {
        var result: [UInt8] = []
        var carry: UInt8 = 0
        var left = lhs.reversed().makeIterator()
        var right = rhs.reversed().makeIterator()
        while true {
            let a = left.next()
            let b = right.next()
            if a == nil && b == nil { break }
            let sum = (a ?? 0) + (b ?? 0) + carry
            result.append(sum % 10)
            carry = sum / 10
        }
        if carry > 0 { result.append(carry) }
        return result.reversed()
    }

    /// `larger - smaller`, for `larger >= smaller`.
    private static func subtractDigits(_ larger: [UInt8], _ smaller: [UInt8]) -> [UInt8] {
        var result: [UInt8] = []
        var borrow: Int = 0
        var right = smaller.reversed().makeIterator()
        for digit in larger.reversed() {
            var difference = Int(digit) - Int(right.next() ?? 0) - borrow
            borrow = difference < 0 ? 1 : 0
            if difference < 0 { difference += 10 }
            result.append(UInt8(difference))
        }
        return result.reversed()
    }

    private static func compareDigits(_ lhs: [UInt8], _ rhs: [UInt8]) -> Int {
        let left = lhs.drop { $0 == 0 }
        let right = rhs.drop { $0 == 0 }
        if left.count != right.count { return left.count < right.count ? -1 : 1 }
        for (a, b) in zip(left, right) where a != b { return a < b ? -1 : 1 }
        return 0
    }
}

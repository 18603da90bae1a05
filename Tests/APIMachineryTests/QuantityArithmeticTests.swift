import APIMachinery
import Testing

/// Sums and differences of quantities, printed as `resource.Quantity.String()` prints them after `Add` and `Sub`.
struct QuantityArithmeticTests {
    static func quantity(_ text: String) -> Quantity {
        guard let quantity = Quantity(text) else {
            Issue.record("\(text) is not a quantity")
            return .zero
        }
        return quantity
    }

    @Test(arguments: [
        ("100m", "200m", "300m"),
        ("1Gi", "512Mi", "1536Mi"),
        ("1", "500m", "1500m"),
        ("500m", "500m", "1"),
        ("512Mi", "512Mi", "1Gi"),
        ("1Ki", "1", "1025"),
        ("1Gi", "1", "1073741825"),
        ("100Mi", "100M", "204857600"),
        // A zero left operand takes the right one's format.
        ("0", "1Gi", "1Gi"),
        ("1", "1Ki", "1025"),
        ("1k", "1", "1001"),
        ("999", "1", "1k"),
        ("1e3", "1e3", "2e3"),
        ("1.5", "0", "1500m"),
        ("250m", "-1", "-750m"),
        ("100n", "1u", "1100n"),
        ("1P", "1m", "1000000000000000001m"),
    ])
    func sums(lhs: String, rhs: String, sum: String) {
        #expect((Self.quantity(lhs) + Self.quantity(rhs)).description == sum)
    }

    @Test(arguments: [
        ("2", "3", "-1"),
        ("100m", "250m", "-150m"),
        ("1Gi", "1Gi", "0"),
        ("1Gi", "512Mi", "512Mi"),
        ("1Ki", "1", "1023"),
        ("1", "1", "0"),
        ("0", "512Mi", "-512Mi"),
        ("1.5Gi", "0.5Gi", "1Gi"),
        ("10", "-5", "15"),
    ])
    func differences(lhs: String, rhs: String, difference: String) {
        #expect((Self.quantity(lhs) - Self.quantity(rhs)).description == difference)
    }

    @Test func sumsAreExactAndCompareByValue() {
        var total = Quantity.zero
        for _ in 0..<10 { total += Self.quantity("100m") }
        #expect(total == Self.quantity("1"))
        #expect(total.description == "1")
        #expect(Self.quantity("1Gi") - Self.quantity("1024Mi") == .zero)
        #expect(-Self.quantity("2Gi") < Self.quantity("-1Gi"))
        #expect((-Self.quantity("1Gi")).description == "-1Gi")
    }

    @Test(arguments: [(Int64(0), "0"), (1, "1"), (1500, "1500"), (2000, "2k"), (-3, "-3"), (Int64.max, "9223372036854775807")])
    func wholeNumbers(value: Int64, printed: String) {
        #expect(Quantity(value).description == printed)
    }

    @Test func wholeNumbersInBinaryFormat() {
        #expect(Quantity(1_073_741_824, format: .binarySI).description == "1Gi")
        #expect(Quantity(1000, format: .binarySI).description == "1k")
    }

    @Test(arguments: [("1.5", "2"), ("100m", "1"), ("1500m", "2"), ("1Gi", "1Gi"), ("2", "2"), ("0", "0"), ("1.0000001Ki", "1025")])
    func roundingUpToWholeNumbers(text: String, rounded: String) {
        #expect(Self.quantity(text).roundedUpToInteger.description == rounded)
    }

    @Test func jsonIsTheCanonicalString() {
        #expect(Self.quantity("1024Mi").json == "1Gi")
        #expect(Self.quantity("0.5").json == "500m")
    }
}

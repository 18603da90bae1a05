/// An IPv4 address, the data of an A record.
public struct IPv4Address: Hashable, Sendable, CustomStringConvertible {
    /// The address as a 32-bit number, first octet in the high byte: 10.43.0.10 is 0x0A2B_000A.
    public var value: UInt32

    public init(_ value: UInt32) {
        self.value = value
    }

    public init(_ first: UInt8, _ second: UInt8, _ third: UInt8, _ fourth: UInt8) {
        value = UInt32(first) << 24 | UInt32(second) << 16 | UInt32(third) << 8 | UInt32(fourth)
    }

    /// Parses dotted-quad text, `10.43.0.10`. Nil for anything else, including octets with leading zeros, which
    /// some parsers read as octal (Kubernetes rejects them too).
    public init?(_ text: some StringProtocol) {
        var value: UInt32 = 0
        var octet: UInt32 = 0
        var digits = 0
        var octets = 0
        for character in text.utf8 {
            if character == UInt8(ascii: ".") {
                guard digits > 0, octets < 3 else { return nil }
                value = value << 8 | octet
                octets += 1
                octet = 0
                digits = 0
                continue
            }
            guard character >= UInt8(ascii: "0"), character <= UInt8(ascii: "9"), digits < 3, digits == 0 || octet != 0 else { return nil }
            octet = octet * 10 + UInt32(character - UInt8(ascii: "0"))
            digits += 1
            guard octet <= 255 else { return nil }
        }
        guard digits > 0, octets == 3 else { return nil }
        self.value = value << 8 | octet
    }

    public var description: String {
        "\(value >> 24).\(value >> 16 & 0xFF).\(value >> 8 & 0xFF).\(value & 0xFF)"
    }
}

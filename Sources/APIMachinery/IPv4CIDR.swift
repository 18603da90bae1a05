/// An IPv4 network in CIDR notation (`10.42.0.0/16`), for address and pod-range allocation.
public struct IPv4CIDR: Sendable, Hashable, CustomStringConvertible {
    /// The network address as a 32-bit number.
    public let base: UInt32
    public let prefixLength: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let length = Int(parts[1]), (0...32).contains(length), let address = Self.parseAddress(String(parts[0])) else {
            return nil
        }
        let mask: UInt32 = length == 0 ? 0 : ~UInt32(0) << (32 - length)
        self.base = address & mask
        self.prefixLength = length
    }

    public init(base: UInt32, prefixLength: Int) {
        let mask: UInt32 = prefixLength == 0 ? 0 : ~UInt32(0) << (32 - prefixLength)
        self.base = base & mask
        self.prefixLength = prefixLength
    }

    /// How many addresses the network spans.
    public var size: UInt64 { UInt64(1) << (32 - prefixLength) }

    /// The address `offset` places into the network, e.g. offset 1 of 10.42.3.0/24 is 10.42.3.1.
    public func address(at offset: UInt32) -> String {
        Self.format(base &+ offset)
    }

    public func contains(_ other: IPv4CIDR) -> Bool {
        other.prefixLength >= prefixLength && IPv4CIDR(base: other.base, prefixLength: prefixLength).base == base
    }

    /// The `index`-th subnet of the given prefix length inside this network, or nil past the end.
    public func subnet(_ index: Int, prefixLength length: Int) -> IPv4CIDR? {
        guard length >= prefixLength, length <= 32, index >= 0, UInt64(index) < (UInt64(1) << (length - prefixLength)) else { return nil }
        return IPv4CIDR(base: base &+ UInt32(index) << (32 - length), prefixLength: length)
    }

    /// The position of a subnet of this network, the inverse of `subnet(_:prefixLength:)`.
    public func subnetIndex(of subnet: IPv4CIDR) -> Int? {
        guard contains(subnet) else { return nil }
        return Int((subnet.base &- base) >> (32 - subnet.prefixLength))
    }

    public var description: String { "\(Self.format(base))/\(prefixLength)" }

    public static func parseAddress(_ text: String) -> UInt32? {
        let octets = text.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4 else { return nil }
        var value: UInt32 = 0
        for octet in octets {
            guard octet.count <= 3, let byte = UInt8(octet) else { return nil }
            value = value << 8 | UInt32(byte)
        }
        return value
    }

    public static func format(_ address: UInt32) -> String {
        "\(address >> 24).\((address >> 16) & 0xff).\((address >> 8) & 0xff).\(address & 0xff)"
    }
}

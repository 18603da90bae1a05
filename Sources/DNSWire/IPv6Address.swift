/// An IPv6 address, the data of an AAAA record.
public struct IPv6Address: Hashable, Sendable, CustomStringConvertible {
    /// The first eight bytes, first byte in the high bits.
    public var high: UInt64
    /// The last eight bytes.
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// The address from its eight 16-bit groups, as written in text.
    init(groups: [UInt16]) {
        var high: UInt64 = 0
        var low: UInt64 = 0
        for group in groups[0..<4] { high = high << 16 | UInt64(group) }
        for group in groups[4..<8] { low = low << 16 | UInt64(group) }
        self.init(high: high, low: low)
    }

    /// The address's eight 16-bit groups.
    var groups: [UInt16] {
        (0..<8).map { index in
            let half = index < 4 ? high : low
            return UInt16(truncatingIfNeeded: half >> (UInt64(3 - index % 4) * 16))
        }
    }

    /// Parses RFC 4291 text: eight groups of up to four hex digits, one `::` standing for one or more zero groups,
    /// and optionally a dotted-quad IPv4 address as the last 32 bits (`::ffff:10.0.0.1`). Nil for anything else,
    /// zone suffixes (`%eth0`) included.
    public init?(_ text: some StringProtocol) {
        let characters = Array(text.utf8)
        var front: [UInt16] = []
        var back: [UInt16] = []
        var sawDoubleColon = false
        var index = 0
        if characters.starts(with: [UInt8(ascii: ":"), UInt8(ascii: ":")]) {
            sawDoubleColon = true
            index = 2
        }
        while index < characters.count {
            var groupEnd = index
            while groupEnd < characters.count, characters[groupEnd] != UInt8(ascii: ":") { groupEnd += 1 }
            let group = characters[index..<groupEnd]
            let isLast = groupEnd == characters.count
            if isLast, group.contains(UInt8(ascii: ".")) {
                guard let address = IPv4Address(String(decoding: group, as: UTF8.self)) else { return nil }
                let halves = [UInt16(address.value >> 16), UInt16(address.value & 0xFFFF)]
                if sawDoubleColon { back += halves } else { front += halves }
            } else {
                guard let value = Self.hexGroup(group) else { return nil }
                if sawDoubleColon { back.append(value) } else { front.append(value) }
            }
            guard front.count + back.count <= 8 else { return nil }
            if isLast { break }
            index = groupEnd + 1
            if index < characters.count, characters[index] == UInt8(ascii: ":") {
                guard !sawDoubleColon else { return nil }
                sawDoubleColon = true
                index += 1
                if index == characters.count { break }
            } else if index == characters.count {
                // A single trailing colon.
                return nil
            }
        }
        if sawDoubleColon {
            guard front.count + back.count < 8 else { return nil }
            self.init(groups: front + Array(repeating: 0, count: 8 - front.count - back.count) + back)
        } else {
            guard front.count == 8 else { return nil }
            self.init(groups: front)
        }
    }

    private static func hexGroup(_ digits: ArraySlice<UInt8>) -> UInt16? {
        guard (1...4).contains(digits.count) else { return nil }
        var value: UInt16 = 0
        for digit in digits {
            let nibble: UInt8
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = digit - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = digit - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = digit - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt16(nibble)
        }
        return value
    }

    /// RFC 5952 text: lowercase hex without leading zeros, the longest run of two or more zero groups (the first of
    /// equal runs) as `::`, and IPv4-mapped addresses with a dotted-quad tail.
    public var description: String {
        let groups = groups
        if high == 0, low >> 32 == 0xFFFF {
            return "::ffff:\(IPv4Address(UInt32(truncatingIfNeeded: low)))"
        }
        var bestStart = -1
        var bestLength = 1
        var runStart = 0
        for index in 0...8 {
            if index < 8 && groups[index] == 0 { continue }
            if index - runStart > bestLength {
                bestStart = runStart
                bestLength = index - runStart
            }
            runStart = index + 1
        }
        func hex(_ range: Range<Int>) -> String {
            groups[range].map { String($0, radix: 16) }.joined(separator: ":")
        }
        guard bestStart >= 0 else { return hex(0..<8) }
        return hex(0..<bestStart) + "::" + hex((bestStart + bestLength)..<8)
    }
}

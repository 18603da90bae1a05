/// A domain name, held as its labels in wire form. Names compare and hash ignoring ASCII case (RFC 4343) but keep
/// the spelling they were made with, so a question is echoed back exactly as it was asked.
public struct DNSName: Sendable, Hashable, CustomStringConvertible {
    /// Each label as a length byte followed by its bytes, without the root's terminating zero byte: the uncompressed
    /// wire form minus its last byte, so comparing, hashing and writing never split the name into separate arrays.
    let wire: [UInt8]

    /// The longest label, in bytes (RFC 1035 2.3.4).
    public static let maximumLabelLength = 63
    /// The longest name on the wire, length bytes and the root's zero byte included (RFC 1035 2.3.4).
    public static let maximumWireLength = 255

    /// The root name, `.`.
    public static let root = DNSName(wire: [])
    /// `in-addr.arpa.`, under which IPv4 addresses have their reverse (PTR) names (RFC 1035 3.5).
    public static let reverseIPv4Zone = DNSName(wire: [7] + Array("in-addr".utf8) + [4] + Array("arpa".utf8))

    /// Wraps labels that are already checked against the length limits.
    init(wire: [UInt8]) {
        self.wire = wire
    }

    /// Parses a name in presentation form, `web.default.svc.cluster.local` with or without the trailing dot, `.` for
    /// the root. `\.` and `\\` escape a dot or backslash inside a label and `\DDD` writes the byte with decimal value
    /// DDD, as `description` prints them. Nil for an empty label, a label over 63 bytes or a name over 255 bytes.
    public init?(_ text: some StringProtocol) {
        let characters = Array(text.utf8)
        if characters == [UInt8(ascii: ".")] {
            self = .root
            return
        }
        // Each label starts with a placeholder for its length byte, filled in when a dot or the end closes it.
        var wire: [UInt8] = [0]
        wire.reserveCapacity(characters.count + 1)
        var labelStart = 0
        var index = 0
        while index < characters.count {
            var byte = characters[index]
            index += 1
            if byte == UInt8(ascii: ".") {
                guard Self.closeLabel(in: &wire, startingAt: labelStart) else { return nil }
                labelStart = wire.count
                wire.append(0)
                continue
            }
            if byte == UInt8(ascii: "\\") {
                guard index < characters.count else { return nil }
                if let value = Self.decimalEscape(characters, at: index) {
                    guard value <= 255 else { return nil }
                    byte = UInt8(value)
                    index += 3
                } else {
                    byte = characters[index]
                    index += 1
                }
            }
            wire.append(byte)
            guard wire.count - labelStart - 1 <= Self.maximumLabelLength, wire.count < Self.maximumWireLength else { return nil }
        }
        if labelStart > 0 && wire.count - labelStart == 1 {
            // A trailing dot only marks the name as absolute; it opens no label.
            wire.removeLast()
        } else {
            guard Self.closeLabel(in: &wire, startingAt: labelStart) else { return nil }
        }
        self.wire = wire
    }

    /// Writes the length byte of the label begun at `labelStart`; false when the label is empty.
    private static func closeLabel(in wire: inout [UInt8], startingAt labelStart: Int) -> Bool {
        let length = wire.count - labelStart - 1
        guard length > 0 else { return false }
        wire[labelStart] = UInt8(length)
        return true
    }

    /// The value of a `\DDD` escape starting at `index` (just after the backslash), nil when the next three
    /// characters are not all digits and so the backslash escapes one character.
    private static func decimalEscape(_ characters: [UInt8], at index: Int) -> Int? {
        guard index + 3 <= characters.count else { return nil }
        var value = 0
        for character in characters[index..<index + 3] {
            guard character >= UInt8(ascii: "0"), character <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(character - UInt8(ascii: "0"))
        }
        return value
    }

    public var isRoot: Bool { wire.isEmpty }

    /// The bytes the name takes on the wire without compression.
    public var wireLength: Int { wire.count + 1 }

    public var labelCount: Int {
        var count = 0
        var index = 0
        while index < wire.count {
            count += 1
            index += 1 + Int(wire[index])
        }
        return count
    }

    /// The labels from the leftmost, in their original spelling; bytes that are not UTF-8 become U+FFFD.
    public var labels: [String] {
        labelStrings(upTo: wire.count, lowercased: false)
    }

    /// Whether the name is `zone` or lies below it, ignoring case: `web.default.svc.cluster.local` is a subdomain of
    /// `cluster.local` and of itself, `xcluster.local` is not.
    public func isSubdomain(of zone: DNSName) -> Bool {
        suffixStart(matching: zone) != nil
    }

    /// The labels in front of `zone`, lowercased as Kubernetes object names are, or nil when the name is not in the
    /// zone: `WEB.default.svc.cluster.local` below `cluster.local` gives `["web", "default", "svc"]`, the zone itself
    /// gives `[]`.
    public func labels(below zone: DNSName) -> [String]? {
        suffixStart(matching: zone).map { labelStrings(upTo: $0, lowercased: true) }
    }

    /// Where in `wire` the labels of `zone` begin, if the name ends with them.
    private func suffixStart(matching zone: DNSName) -> Int? {
        var index = 0
        while true {
            let remaining = wire.count - index
            if remaining == zone.wire.count {
                return Self.equalIgnoringCase(wire[index...], zone.wire[...]) ? index : nil
            }
            if remaining < zone.wire.count { return nil }
            index += 1 + Int(wire[index])
        }
    }

    private func labelStrings(upTo end: Int, lowercased: Bool) -> [String] {
        var labels: [String] = []
        var index = 0
        while index < end {
            let labelEnd = index + 1 + Int(wire[index])
            let bytes = wire[(index + 1)..<labelEnd]
            labels.append(String(decoding: lowercased ? bytes.map(Self.lowercased) : Array(bytes), as: UTF8.self))
            index = labelEnd
        }
        return labels
    }

    /// The name in presentation form with its trailing dot; dots and backslashes inside labels are escaped with a
    /// backslash and bytes outside printable ASCII as `\DDD`, so `DNSName(description)` gives the name back.
    public var description: String {
        if wire.isEmpty { return "." }
        var text: [UInt8] = []
        text.reserveCapacity(wire.count + 1)
        var index = 0
        while index < wire.count {
            let labelEnd = index + 1 + Int(wire[index])
            for byte in wire[(index + 1)..<labelEnd] {
                switch byte {
                case UInt8(ascii: "."), UInt8(ascii: "\\"):
                    text.append(UInt8(ascii: "\\"))
                    text.append(byte)
                case 0x21...0x7E:
                    text.append(byte)
                default:
                    text.append(UInt8(ascii: "\\"))
                    text.append(UInt8(ascii: "0") + byte / 100)
                    text.append(UInt8(ascii: "0") + byte / 10 % 10)
                    text.append(UInt8(ascii: "0") + byte % 10)
                }
            }
            text.append(UInt8(ascii: "."))
            index = labelEnd
        }
        return String(decoding: text, as: UTF8.self)
    }

    public static func == (lhs: DNSName, rhs: DNSName) -> Bool {
        lhs.wire.count == rhs.wire.count && equalIgnoringCase(lhs.wire[...], rhs.wire[...])
    }

    public func hash(into hasher: inout Hasher) {
        Self.hashIgnoringCase(wire[...], into: &hasher)
    }

    /// ASCII lowercasing; length bytes (at most 63) and non-ASCII bytes pass through unchanged.
    @inline(__always)
    static func lowercased(_ byte: UInt8) -> UInt8 {
        byte &- UInt8(ascii: "A") < 26 ? byte | 0x20 : byte
    }

    /// Compares wire-form labels ignoring ASCII case. Equal length bytes at equal positions mean equal label
    /// boundaries, so byte-wise comparison is label-wise comparison.
    static func equalIgnoringCase(_ lhs: ArraySlice<UInt8>, _ rhs: ArraySlice<UInt8>) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var rightIndex = rhs.startIndex
        for byte in lhs {
            let other = rhs[rightIndex]
            if byte != other && lowercased(byte) != lowercased(other) { return false }
            rightIndex += 1
        }
        return true
    }

    /// Hashes wire-form labels as their lowercase spelling, eight bytes per `combine` to keep hashing cheap.
    static func hashIgnoringCase(_ bytes: ArraySlice<UInt8>, into hasher: inout Hasher) {
        var word: UInt64 = 0
        var shift: UInt64 = 0
        for byte in bytes {
            word |= UInt64(lowercased(byte)) << shift
            shift += 8
            if shift == 64 {
                hasher.combine(word)
                word = 0
                shift = 0
            }
        }
        hasher.combine(word)
        hasher.combine(bytes.count)
    }
}

/// Reads protobuf wire format from a byte slice. Every read checks the remaining length first, so truncated or
/// hostile input ends in a `KubeProtobufError`, never a trap.
struct ProtoReader {
    enum WireType: UInt64 {
        case varint = 0
        case fixed64 = 1
        case lengthDelimited = 2
        case fixed32 = 5
    }

    private let bytes: ArraySlice<UInt8>
    private var position: Int

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.position = bytes.startIndex
    }

    var isAtEnd: Bool { position >= bytes.endIndex }

    /// The next field's number and wire type; groups (wire types 3 and 4) are refused, as Kubernetes never sends them.
    mutating func readTag() throws(KubeProtobufError) -> (number: Int, wireType: WireType) {
        let tag = try readVarint()
        let number = tag >> 3
        guard number > 0, number <= 536_870_911 else {
            throw .malformed("illegal tag \(number) (wire type \(tag & 7))")
        }
        guard let wireType = WireType(rawValue: tag & 7) else {
            throw .malformed("illegal wireType \(tag & 7) for field \(number)")
        }
        return (Int(number), wireType)
    }

    mutating func readVarint() throws(KubeProtobufError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard shift < 64 else { throw .malformed("integer overflow") }
            guard position < bytes.endIndex else { throw .unexpectedEOF }
            let byte = bytes[position]
            position += 1
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift += 7
        }
    }

    mutating func readFixed32() throws(KubeProtobufError) -> UInt32 {
        guard bytes.endIndex - position >= 4 else { throw .unexpectedEOF }
        var value: UInt32 = 0
        for offset in 0..<4 { value |= UInt32(bytes[position + offset]) << (8 * UInt32(offset)) }
        position += 4
        return value
    }

    mutating func readFixed64() throws(KubeProtobufError) -> UInt64 {
        guard bytes.endIndex - position >= 8 else { throw .unexpectedEOF }
        var value: UInt64 = 0
        for offset in 0..<8 { value |= UInt64(bytes[position + offset]) << (8 * UInt64(offset)) }
        position += 8
        return value
    }

    /// A length-prefixed payload, checked against the bytes left before it is sliced.
    mutating func readLengthDelimited() throws(KubeProtobufError) -> ArraySlice<UInt8> {
        let length = try readVarint()
        guard length <= UInt64(Int64.max) else { throw .malformed("negative length found during unmarshaling") }
        guard length <= UInt64(bytes.endIndex - position) else { throw .unexpectedEOF }
        let end = position + Int(length)
        defer { position = end }
        return bytes[position..<end]
    }

    /// Passes over a field this decoder does not know, as protobuf requires of unknown fields.
    mutating func skip(_ wireType: WireType) throws(KubeProtobufError) {
        switch wireType {
        case .varint: _ = try readVarint()
        case .fixed64: _ = try readFixed64()
        case .lengthDelimited: _ = try readLengthDelimited()
        case .fixed32: _ = try readFixed32()
        }
    }
}

extension APISchema {
    /// Keys that appear twice in one JSON object, as Kubernetes' strict decoder reports them:
    /// `duplicate field "metadata.name"`. A parsed `JSONValue` keeps only the last value, so this reads the raw
    /// request body; it expects well-formed JSON and returns what it found so far otherwise.
    public static func duplicateFields<Bytes: Collection<UInt8>>(in body: Bytes) -> [String] {
        var scanner = DuplicateFieldScanner(bytes: Array(body))
        scanner.scanValue(path: "")
        return scanner.duplicates
    }
}

/// A minimal JSON walker that tracks the path of every object key.
private struct DuplicateFieldScanner {
    let bytes: [UInt8]
    var position = 0
    var duplicates: [String] = []

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    mutating func scanValue(path: String) {
        skipWhitespace()
        guard position < bytes.count else { return }
        switch bytes[position] {
        case UInt8(ascii: "{"): scanObject(path: path)
        case UInt8(ascii: "["): scanArray(path: path)
        case UInt8(ascii: "\""): _ = scanString()
        default:
            while position < bytes.count, !Self.isDelimiter(bytes[position]) { position += 1 }
        }
    }

    private mutating func scanObject(path: String) {
        position += 1
        var seen: Set<String> = []
        while true {
            skipWhitespace()
            guard position < bytes.count else { return }
            if bytes[position] == UInt8(ascii: "}") {
                position += 1
                return
            }
            if bytes[position] == UInt8(ascii: ",") {
                position += 1
                continue
            }
            guard bytes[position] == UInt8(ascii: "\""), let key = scanString() else { return }
            let childPath = path.isEmpty ? key : "\(path).\(key)"
            if !seen.insert(key).inserted, !duplicates.contains("duplicate field \"\(childPath)\"") {
                duplicates.append("duplicate field \"\(childPath)\"")
            }
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { return }
            position += 1
            scanValue(path: childPath)
        }
    }

    private mutating func scanArray(path: String) {
        position += 1
        var index = 0
        while true {
            skipWhitespace()
            guard position < bytes.count else { return }
            switch bytes[position] {
            case UInt8(ascii: "]"):
                position += 1
                return
            case UInt8(ascii: ","):
                position += 1
                index += 1
            default:
                let before = position
                scanValue(path: "\(path)[\(index)]")
                if position == before { return }
            }
        }
    }

    /// Reads a string starting at its opening quote and returns its decoded text.
    private mutating func scanString() -> String? {
        position += 1
        var units: [UInt16] = []
        var raw: [UInt8] = []
        func flushRaw() {
            units.append(contentsOf: String(decoding: raw, as: UTF8.self).utf16)
            raw.removeAll()
        }
        while position < bytes.count {
            let byte = bytes[position]
            position += 1
            switch byte {
            case UInt8(ascii: "\""):
                flushRaw()
                return String(decoding: units, as: UTF16.self)
            case UInt8(ascii: "\\"):
                guard position < bytes.count else { return nil }
                let escaped = bytes[position]
                position += 1
                flushRaw()
                switch escaped {
                case UInt8(ascii: "u"):
                    guard position + 4 <= bytes.count,
                        let unit = UInt16(String(decoding: bytes[position..<position + 4], as: UTF8.self), radix: 16)
                    else { return nil }
                    units.append(unit)
                    position += 4
                case UInt8(ascii: "n"): units.append(0x0A)
                case UInt8(ascii: "t"): units.append(0x09)
                case UInt8(ascii: "r"): units.append(0x0D)
                case UInt8(ascii: "b"): units.append(0x08)
                case UInt8(ascii: "f"): units.append(0x0C)
                default: units.append(UInt16(escaped))
                }
            default:
                raw.append(byte)
            }
        }
        return nil
    }

    private mutating func skipWhitespace() {
        while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
    }

    private static func isDelimiter(_ byte: UInt8) -> Bool {
        [UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), 0x20, 0x09, 0x0A, 0x0D].contains(byte)
    }
}

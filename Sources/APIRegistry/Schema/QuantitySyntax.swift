/// The syntax `resource.ParseQuantity` accepts, with its error messages.
enum QuantitySyntax {
    static let formatError =
        "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
    static let suffixError = "unable to parse quantity's suffix"

    private static let suffixLetters = Set("eEinumkKMGTP".utf8)
    private static let knownSuffixes: Set<String> = [
        "", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "n", "u", "m", "k", "M", "G", "T", "P", "E",
    ]

    /// `nil` when `text` parses as a quantity, else Kubernetes' error message.
    static func problem(in text: String) -> String? {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { return formatError }
        var position = 0
        if bytes[0] == UInt8(ascii: "-") || bytes[0] == UInt8(ascii: "+") { position = 1 }
        position = skipDigits(bytes, from: position)
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            position = skipDigits(bytes, from: position + 1)
        }
        let suffixStart = position
        while position < bytes.count, suffixLetters.contains(bytes[position]) { position += 1 }
        if position < bytes.count, bytes[position] == UInt8(ascii: "-") || bytes[position] == UInt8(ascii: "+") {
            position += 1
        }
        guard skipDigits(bytes, from: position) == bytes.count else { return formatError }
        let suffix = String(decoding: bytes[suffixStart...], as: UTF8.self)
        return isKnownSuffix(suffix) ? nil : suffixError
    }

    private static func skipDigits(_ bytes: [UInt8], from start: Int) -> Int {
        var position = start
        while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) {
            position += 1
        }
        return position
    }

    private static func isKnownSuffix(_ suffix: String) -> Bool {
        if knownSuffixes.contains(suffix) { return true }
        // A decimal exponent: `e3`, `E-2`.
        guard suffix.count > 1, suffix.first == "e" || suffix.first == "E" else { return false }
        return Int64(suffix.dropFirst()) != nil
    }
}

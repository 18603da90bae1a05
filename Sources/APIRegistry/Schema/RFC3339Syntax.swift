/// The timestamps `metav1.Time` accepts (Go's `time.Parse(time.RFC3339, …)`), with Go's error wording.
enum RFC3339Syntax {
    private static let layout = "2006-01-02T15:04:05Z07:00"

    /// Layout elements in order: Go's layout text, the digits it reads (0 for a literal), the valid range and the
    /// name Go uses in "out of range" errors. Go names the failing element alone: `cannot parse "x" as "2006"`.
    private static let elements: [(text: String, digits: Int, range: ClosedRange<Int>?, name: String)] = [
        ("2006", 4, nil, "year"), ("-", 0, nil, ""), ("01", 2, 1...12, "month"), ("-", 0, nil, ""),
        ("02", 2, 1...31, "day"), ("T", 0, nil, ""), ("15", 2, 0...23, "hour"), (":", 0, nil, ""),
        ("04", 2, 0...59, "minute"), (":", 0, nil, ""), ("05", 2, 0...59, "second"),
    ]

    /// `nil` when `text` is an RFC 3339 timestamp, else the error `time.Parse` returns.
    static func problem(in text: String) -> String? {
        var rest = Substring(text)
        for element in elements {
            if element.digits == 0 {
                guard rest.hasPrefix(element.text) else { return cannotParse(text, rest, as: element.text) }
                rest = rest.dropFirst(element.text.count)
                continue
            }
            let digits = rest.prefix(element.digits)
            guard digits.count == element.digits, digits.allSatisfy(\.isASCIIDigit), let number = Int(digits) else {
                return cannotParse(text, rest, as: element.text)
            }
            if let range = element.range, !range.contains(number) {
                return "parsing time \(quoted(text)): \(element.name) out of range"
            }
            rest = rest.dropFirst(element.digits)
        }
        // Fractional seconds are accepted after the seconds even though the layout has none.
        if rest.first == "." || rest.first == "," {
            let fraction = rest.dropFirst().prefix(while: \.isASCIIDigit)
            guard !fraction.isEmpty else { return cannotParse(text, rest, as: "Z07:00") }
            rest = rest.dropFirst(1 + fraction.count)
        }
        if rest == "Z" { return nil }
        let zone = Array(rest)
        let validZone =
            zone.count == 6 && (zone[0] == "+" || zone[0] == "-") && zone[1].isASCIIDigit && zone[2].isASCIIDigit
            && zone[3] == ":" && zone[4].isASCIIDigit && zone[5].isASCIIDigit
        guard validZone else { return cannotParse(text, rest, as: "Z07:00") }
        return nil
    }

    private static func cannotParse(_ text: String, _ rest: Substring, as element: String) -> String {
        "parsing time \(quoted(text)) as \(quoted(layout)): cannot parse \(quoted(String(rest))) as \(quoted(element))"
    }

    private static func quoted(_ text: String) -> String { "\"\(text)\"" }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}

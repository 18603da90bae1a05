import Foundation

/// A path regular expression of an Ingress with `use-regex` or `rewrite-target`, matched ignoring case as
/// ingress-nginx's `~*` locations are.
struct IngressPathPattern: Sendable {
    private let expression: NSRegularExpression

    init?(_ pattern: String) {
        guard let expression = try? NSRegularExpression(pattern: pattern, options: [.caseInsensitive]) else { return nil }
        self.expression = expression
    }

    /// The whole match and each capture group ("" for a group that took no part), nil when `path` does not match.
    func captures(in path: Substring) -> [Substring]? {
        let text = String(path)
        let range = NSRange(text.startIndex..., in: text)
        guard let result = expression.firstMatch(in: text, range: range) else { return nil }
        return (0..<result.numberOfRanges).map { index in
            Range(result.range(at: index), in: text).map { text[$0] } ?? ""
        }
    }

    /// `target` with `$0`...`$9` replaced by the captures, as nginx's `rewrite` does.
    static func substitute(_ captures: [Substring], into target: String) -> String {
        var result = ""
        var characters = target[...]
        while let dollar = characters.firstIndex(of: "$") {
            result += characters[..<dollar]
            let next = characters.index(after: dollar)
            if next < characters.endIndex, let digit = characters[next].wholeNumberValue {
                if digit < captures.count { result += captures[digit] }
                characters = characters[characters.index(after: next)...]
            } else {
                result += "$"
                characters = characters[next...]
            }
        }
        return result + characters
    }
}

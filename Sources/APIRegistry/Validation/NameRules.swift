import APIMachinery

/// Kubernetes' string checks (`k8s.io/apimachinery/pkg/util/validation`); each returns the messages Kubernetes
/// returns, empty when the value is valid.
enum NameRules {
    static func maxLengthError(_ length: Int) -> String { "must be no more than \(length) characters" }

    /// Kubernetes' `RegexError`, whose quirky `', ' + ' or '` double space clients have come to match on.
    static func regexError(_ message: String, _ format: String, examples: [String]) -> String {
        guard !examples.isEmpty else { return "\(message) (regex used for validation is '\(format)')" }
        var text = message + " (e.g. "
        for (index, example) in examples.enumerated() {
            if index > 0 { text += " or " }
            text += "'\(example)', "
        }
        return text + "regex used for validation is '\(format)')"
    }

    static func dns1123Label(_ value: String) -> [String] {
        var errors: [String] = []
        if value.utf8.count > 63 { errors.append(maxLengthError(63)) }
        if !isDNS1123Label(Array(value.utf8)[...]) {
            errors.append(
                regexError(
                    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
                    "[a-z0-9]([-a-z0-9]*[a-z0-9])?", examples: ["my-name", "123-abc"]))
        }
        return errors
    }

    static func dns1123Subdomain(_ value: String) -> [String] {
        var errors: [String] = []
        if value.utf8.count > 253 { errors.append(maxLengthError(253)) }
        if !isDNS1123Subdomain(value) {
            errors.append(
                regexError(
                    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
                    "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*", examples: ["example.com"]))
        }
        return errors
    }

    static func dns1035Label(_ value: String) -> [String] {
        var errors: [String] = []
        if value.utf8.count > 63 { errors.append(maxLengthError(63)) }
        let bytes = Array(value.utf8)
        if !(isDNS1123Label(bytes[...]) && bytes.first.map(isLowerLetter) == true) {
            errors.append(
                regexError(
                    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character",
                    "[a-z]([-a-z0-9]*[a-z0-9])?", examples: ["my-name", "abc-123"]))
        }
        return errors
    }

    /// Label keys, annotation keys, finalizers: an optional DNS-subdomain prefix, a slash and a 63-character name.
    static func qualifiedName(_ value: String) -> [String] {
        LabelSelector.qualifiedNameErrors(value)
    }

    static func labelValue(_ value: String) -> [String] {
        LabelSelector.labelValueErrors(value)
    }

    /// Keys of ConfigMap and Secret data, which become file names when mounted.
    static func configKey(_ value: String) -> [String] {
        var errors: [String] = []
        if value.utf8.count > 253 { errors.append(maxLengthError(253)) }
        let valid = !value.isEmpty && value.utf8.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") }
        if !valid {
            errors.append(
                regexError(
                    "a valid config key must consist of alphanumeric characters, '-', '_' or '.'", "[-._a-zA-Z0-9]+",
                    examples: ["key.name", "KEY_NAME", "key-name"]))
        }
        if value == "." {
            errors.append("must not be '.'")
        } else if value == ".." {
            errors.append("must not be '..'")
        } else if value.hasPrefix("..") {
            errors.append("must not start with '..'")
        }
        return errors
    }

    static func envVarName(_ value: String) -> [String] {
        let bytes = Array(value.utf8)
        func allowed(_ byte: UInt8) -> Bool {
            isLetter(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_")
        }
        var errors: [String] = []
        let valid = bytes.first.map(allowed) == true && bytes.dropFirst().allSatisfy { allowed($0) || isDigit($0) }
        if !valid {
            errors.append(
                regexError(
                    "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit",
                    "[-._a-zA-Z][-._a-zA-Z0-9]*", examples: ["my.env-name", "MY_ENV.NAME", "MyEnvName1"]))
        }
        errors += chDirPrefix(value)
        return errors
    }

    /// Kubernetes' `hasChDirPrefix` for environment variable names.
    private static func chDirPrefix(_ value: String) -> [String] {
        if value == "." { return ["must not be '.'"] }
        if value == ".." { return ["must not be '..'"] }
        if value.hasPrefix("..") { return ["must not start with '..'"] }
        return []
    }

    /// Named ports (IANA service names): at most 15 lower-case letters, digits and single inner hyphens.
    static func portName(_ value: String) -> [String] {
        var errors: [String] = []
        let bytes = Array(value.utf8)
        if bytes.count > 15 { errors.append(maxLengthError(15)) }
        if !bytes.allSatisfy({ isLowerLetter($0) || isDigit($0) || $0 == UInt8(ascii: "-") }) {
            errors.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
        }
        if !bytes.contains(where: isLowerLetter) { errors.append("must contain at least one letter (a-z)") }
        if value.contains("--") { errors.append("must not contain consecutive hyphens") }
        if bytes.first == UInt8(ascii: "-") || bytes.last == UInt8(ascii: "-") {
            errors.append("must not begin or end with a hyphen")
        }
        return errors
    }

    static func portNumber(_ value: Int64) -> [String] {
        (1...65535).contains(value) ? [] : ["must be between 1 and 65535, inclusive"]
    }

    /// `path.IsValidPathSegmentName`, the name rule of RBAC objects.
    static func pathSegmentName(_ value: String) -> [String] {
        if value == "." { return ["may not be '.'"] }
        if value == ".." { return ["may not be '..'"] }
        var errors: [String] = []
        if value.contains("/") { errors.append("may not contain '/'") }
        if value.contains("%") { errors.append("may not contain '%'") }
        return errors
    }

    static let percentFormat = "[0-9]+%"

    static func percent(_ value: String) -> [String] {
        let digits = value.utf8.dropLast()
        if value.hasSuffix("%") && !digits.isEmpty && digits.allSatisfy(isDigit) { return [] }
        return [
            regexError(
                "a valid percent string must be a numeric string followed by an ending '%'", percentFormat, examples: ["1%", "93%"])
        ]
    }

    /// An IPv4 address in dotted-quad form, the only family Skiff's single-stack network hands out.
    static func isIPv4(_ value: String) -> Bool {
        let parts = value.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return false }
        return parts.allSatisfy { part in
            !part.isEmpty && part.utf8.count <= 3 && part.utf8.allSatisfy(isDigit) && (Int(part) ?? 256) <= 255
        }
    }

    static func isIP(_ value: String) -> Bool {
        isIPv4(value) || (value.contains(":") && value.utf8.allSatisfy { isHexDigit($0) || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") })
    }

    static func isCIDR(_ value: String) -> Bool {
        let parts = value.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let bits = Int(parts[1]), parts[1].utf8.allSatisfy(isDigit) else { return false }
        let address = String(parts[0])
        if isIPv4(address) { return (0...32).contains(bits) }
        return isIP(address) && (0...128).contains(bits)
    }

    // MARK: - Character classes

    static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
    static func isLowerLetter(_ byte: UInt8) -> Bool { byte >= 0x61 && byte <= 0x7A }
    static func isLetter(_ byte: UInt8) -> Bool { isLowerLetter(byte) || (byte >= 0x41 && byte <= 0x5A) }
    static func isAlphanumeric(_ byte: UInt8) -> Bool { isLetter(byte) || isDigit(byte) }
    static func isHexDigit(_ byte: UInt8) -> Bool {
        isDigit(byte) || (byte >= 0x61 && byte <= 0x66) || (byte >= 0x41 && byte <= 0x46)
    }

    private static func isDNS1123Label(_ bytes: ArraySlice<UInt8>) -> Bool {
        guard let first = bytes.first, let last = bytes.last else { return false }
        func inner(_ byte: UInt8) -> Bool { isLowerLetter(byte) || isDigit(byte) || byte == UInt8(ascii: "-") }
        return (isLowerLetter(first) || isDigit(first)) && (isLowerLetter(last) || isDigit(last)) && bytes.allSatisfy(inner)
    }

    private static func isDNS1123Subdomain(_ value: String) -> Bool {
        let labels = Array(value.utf8).split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        return labels.allSatisfy { isDNS1123Label($0) }
    }
}

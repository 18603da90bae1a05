/// An image reference checked as the kubelet checks one before it pulls (distribution/reference's
/// `ParseNormalizedNamed`): a container whose image is not a reference waits as `InvalidImageName` and is never pulled.
///
/// The grammar: `[domain[:port]/]path[/path...][:tag][@digest]`, where a path component is lower-case letters and
/// digits joined by `.`, `_`, `__` or runs of `-`, a tag is at most 128 word characters, dots and dashes (not
/// starting with either), and a digest is `algorithm:hex`.
enum ImageReference {
    static let maximumNameLength = 255

    /// Why `image` is not a valid reference, worded as Go's parser words it; nil when it is one.
    static func invalidity(_ image: String) -> String? {
        let bytes = Array(image.utf8)
        if bytes.count == 64 && bytes.allSatisfy({ isLowerHexDigit($0) }) {
            return "invalid repository name (\(image)), cannot specify 64-byte hexadecimal strings"
        }
        let (domain, remainder) = splitDomain(image)
        let remote = remainder.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? remainder
        if remote.lowercased() != remote {
            return "invalid reference format: repository name (\(remote)) must be lowercase"
        }
        return parseFailure(domain + "/" + remainder)
    }

    /// `splitDockerDomain`: the registry host, or Docker Hub (with `library/` for one-component names).
    private static func splitDomain(_ name: String) -> (domain: String, remainder: String) {
        guard let slash = name.firstIndex(of: "/") else { return ("docker.io", "library/" + name) }
        let first = String(name[..<slash])
        let rest = String(name[name.index(after: slash)...])
        var (domain, remainder) = ("docker.io", name)
        if first == "index.docker.io" {
            remainder = rest
        } else if first == "localhost" || first.contains(".") || first.contains(":") || first.lowercased() != first {
            (domain, remainder) = (first, rest)
        }
        if domain == "docker.io" && !remainder.contains("/") { remainder = "library/" + remainder }
        return (domain, remainder)
    }

    /// `reference.Parse`'s error for a full reference, nil when it parses.
    private static func parseFailure(_ reference: String) -> String? {
        guard let parts = match(reference) else {
            return match(reference.lowercased()) != nil
                ? "invalid reference format: repository name must be lowercase" : "invalid reference format"
        }
        if parts.name.utf8.count > maximumNameLength { return "repository name must not be more than 255 characters" }
        if let digest = parts.digest { return digestFailure(digest) }
        return nil
    }

    /// The reference's name and digest when it matches the grammar.
    private static func match(_ reference: String) -> (name: Substring, digest: Substring?)? {
        var rest = Substring(reference)
        var digest: Substring?
        if let at = rest.firstIndex(of: "@") {
            digest = rest[rest.index(after: at)...]
            rest = rest[..<at]
            guard let digest, isDigest(digest) else { return nil }
        }
        if let colon = rest.lastIndex(of: ":"), !rest[colon...].contains("/") {
            guard isTag(rest[rest.index(after: colon)...]) else { return nil }
            rest = rest[..<colon]
        }
        let components = rest.split(separator: "/", omittingEmptySubsequences: false)
        let allPaths = components.allSatisfy(isPathComponent)
        let domainThenPaths = components.count > 1 && isDomainAndPort(components[0]) && components.dropFirst().allSatisfy(isPathComponent)
        guard allPaths || domainThenPaths else { return nil }
        return (rest, digest)
    }

    /// go-digest's validation of `algorithm:hex`.
    private static func digestFailure(_ digest: Substring) -> String? {
        let parts = digest.split(separator: ":", maxSplits: 1)
        let lengths = ["sha256": 64, "sha384": 96, "sha512": 128]
        guard let length = lengths[String(parts[0])] else { return "unsupported digest algorithm" }
        guard parts[1].utf8.count == length else { return "invalid checksum digest length" }
        guard parts[1].utf8.allSatisfy(isLowerHexDigit) else { return "invalid checksum digest format" }
        return nil
    }

    private static func isLowerHexDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
    }

    private static func isLowerAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        isLowerAlphanumeric(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }

    private static func isWordCharacter(_ byte: UInt8) -> Bool { isAlphanumeric(byte) || byte == UInt8(ascii: "_") }

    /// `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`
    private static func isPathComponent(_ component: Substring) -> Bool {
        let bytes = Array(component.utf8)
        guard let first = bytes.first, let last = bytes.last, isLowerAlphanumeric(first), isLowerAlphanumeric(last) else { return false }
        var separator: [UInt8] = []
        for byte in bytes {
            if isLowerAlphanumeric(byte) {
                let dashes = !separator.isEmpty && separator.allSatisfy { $0 == UInt8(ascii: "-") }
                guard separator.isEmpty || dashes || separator == [UInt8(ascii: ".")] || separator == [UInt8(ascii: "_")]
                    || separator == [UInt8(ascii: "_"), UInt8(ascii: "_")]
                else { return false }
                separator = []
            } else if byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-") {
                separator.append(byte)
            } else {
                return false
            }
        }
        return true
    }

    /// A host name (`[a-zA-Z0-9]` components, inner dashes, joined by dots) or a bracketed IPv6 address, then an
    /// optional `:port`.
    private static func isDomainAndPort(_ text: Substring) -> Bool {
        var host = text
        if let colon = text.lastIndex(of: ":"), !text[colon...].contains("]") {
            let port = text[text.index(after: colon)...]
            guard !port.isEmpty, port.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else { return false }
            host = text[..<colon]
        }
        if host.hasPrefix("[") {
            let inner = host.dropFirst().dropLast()
            return host.hasSuffix("]") && !inner.isEmpty
                && inner.utf8.allSatisfy { $0 == UInt8(ascii: ":") || isHexDigit($0) }
        }
        return host.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            let bytes = Array(label.utf8)
            guard let first = bytes.first, let last = bytes.last, isAlphanumeric(first), isAlphanumeric(last) else { return false }
            return bytes.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "-") }
        }
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        isLowerHexDigit(byte) || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte)
    }

    /// `[\w][\w.-]{0,127}`
    private static func isTag(_ tag: Substring) -> Bool {
        let bytes = Array(tag.utf8)
        guard let first = bytes.first, isWordCharacter(first), bytes.count <= 128 else { return false }
        return bytes.allSatisfy { isWordCharacter($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
    }

    /// `[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}`
    private static func isDigest(_ digest: Substring) -> Bool {
        guard let colon = digest.firstIndex(of: ":") else { return false }
        let algorithm = digest[..<colon]
        let hex = digest[digest.index(after: colon)...]
        guard hex.utf8.count >= 32, hex.utf8.allSatisfy(isHexDigit) else { return false }
        let letters = { (byte: UInt8) in (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) }
        return algorithm.split(separator: "-", omittingEmptySubsequences: false)
            .flatMap { $0.split(separator: "_", omittingEmptySubsequences: false) }
            .flatMap { $0.split(separator: "+", omittingEmptySubsequences: false) }
            .flatMap { $0.split(separator: ".", omittingEmptySubsequences: false) }
            .allSatisfy { part in
                guard let first = part.utf8.first, letters(first) else { return false }
                return part.utf8.allSatisfy(isAlphanumeric)
            }
    }
}

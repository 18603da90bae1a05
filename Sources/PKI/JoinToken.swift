import Crypto
import Foundation

/// A join token in k3s' format, `K10<CA hash>::<user>:<secret>`, or a bare secret.
///
/// The CA hash is the lowercase hex SHA-256 of the CA bundle exactly as the server answers it at `/cacerts` — the
/// PEM text of `ca.crt`, not its DER — so that an agent can pin the CA it fetches before trusting it, as k3s agents
/// do. The server accepts the full token or the secret alone as a bearer token.
public struct JoinToken: Sendable, Hashable {
    /// Nil for a bare secret, which pins no CA.
    public var caHash: String?
    /// `server` for the server's own token, as in k3s.
    public var user: String
    public var secret: String

    static let prefix = "K10"

    public init(caHash: String?, user: String = "server", secret: String) {
        self.caHash = caHash
        self.user = user
        self.secret = secret
    }

    /// Parses a token as `k3s agent --token` does. Throws `PKIError.invalidToken`.
    public init(parsing text: String) throws(PKIError) {
        let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty else { throw PKIError.invalidToken(reason: "the token is empty") }
        guard token.hasPrefix(Self.prefix) else {
            try Self.checkSecret(token)
            self.init(caHash: nil, user: "", secret: token)
            return
        }
        let rest = token.dropFirst(Self.prefix.count)
        guard let separator = rest.range(of: "::") else {
            throw PKIError.invalidToken(reason: "expected K10<sha256 of the CA>::<user>:<secret>")
        }
        let hash = rest[..<separator.lowerBound].lowercased()
        guard hash.count == 64, hash.allSatisfy(\.isHexDigit) else {
            throw PKIError.invalidToken(reason: "the CA hash after K10 must be 64 hexadecimal digits (SHA-256)")
        }
        let credentials = rest[separator.upperBound...]
        guard let colon = credentials.firstIndex(of: ":"), colon != credentials.startIndex else {
            throw PKIError.invalidToken(reason: "expected <user>:<secret> after the CA hash")
        }
        let secret = String(credentials[credentials.index(after: colon)...])
        try Self.checkSecret(secret)
        self.init(caHash: hash, user: String(credentials[..<colon]), secret: secret)
    }

    /// A token for a CA with a new random secret of 128 bits (32 hex digits, as k3s makes them).
    public static func generate(caCertificatePEM: String) -> JoinToken {
        var generator = SystemRandomNumberGenerator()
        let secret = (0..<16).map { _ in hex(UInt8.random(in: .min ... .max, using: &generator)) }.joined()
        return JoinToken(caHash: caHash(of: Array(caCertificatePEM.utf8)), secret: secret)
    }

    /// The token as written and passed to `skiff agent --token`.
    public var text: String {
        guard let caHash else { return secret }
        return "\(Self.prefix)\(caHash)::\(user):\(secret)"
    }

    /// Whether `bundle` (the bytes `/cacerts` answered) is the CA this token pins; true when it pins none.
    public func pins(caBundle bundle: [UInt8]) -> Bool {
        guard let caHash else { return true }
        return Self.caHash(of: bundle) == caHash
    }

    /// Lowercase hex SHA-256 of the bytes.
    public static func caHash(of bundle: [UInt8]) -> String {
        SHA256.hash(data: bundle).map(hex).joined()
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = String(byte, radix: 16)
        return digits.count == 1 ? "0" + digits : digits
    }

    /// Secrets travel in an HTTP header and a command line: printable ASCII without spaces only.
    private static func checkSecret(_ secret: String) throws(PKIError) {
        guard !secret.isEmpty else { throw PKIError.invalidToken(reason: "the secret is empty") }
        guard secret.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7f }) else {
            throw PKIError.invalidToken(reason: "the secret may only hold printable ASCII characters without spaces")
        }
    }
}

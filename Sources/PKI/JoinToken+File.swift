import Foundation

extension JoinToken {
    /// The server's token at `path` (k3s' `server/token`), created on first start with a new secret and kept
    /// across restarts; rewritten with mode 0600 when its CA hash no longer matches `caCertificatePEM`.
    ///
    /// Throws `PKIError` when the file cannot be read or written, or holds something that is not a token.
    public static func loadOrCreate(path: String, caCertificatePEM: String) throws -> JoinToken {
        let expectedHash = caHash(of: Array(caCertificatePEM.utf8))
        if let existing = try SecureFile.read(path) {
            let token: JoinToken
            do {
                token = try JoinToken(parsing: existing)
            } catch {
                throw PKIError.unreadableToken(path: path, reason: "\(error)")
            }
            if token.caHash == expectedHash && token.text == existing.trimmingCharacters(in: .whitespacesAndNewlines) {
                return token
            }
            let refreshed = JoinToken(caHash: expectedHash, secret: token.secret)
            try write(refreshed, to: path)
            return refreshed
        }
        let token = generate(caCertificatePEM: caCertificatePEM)
        try write(token, to: path)
        return token
    }

    private static func write(_ token: JoinToken, to path: String) throws {
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty { try SecureFile.createDirectory(parent, mode: 0o700) }
        try SecureFile.writeAtomically(token.text + "\n", to: path, mode: 0o600)
    }
}

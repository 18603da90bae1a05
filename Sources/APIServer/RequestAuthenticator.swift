import Foundation
import Synchronization

/// Decides who sent a request, as kube-apiserver's union authenticator does: a client certificate signed by the
/// cluster CA first, then an `Authorization: Bearer` token — a static one or a service-account token. A request that
/// is neither gets 401.
public final class RequestAuthenticator: Sendable {
    private struct CachedIdentity {
        var user: AuthenticatedUser?
        var checkedAt: ContinuousClock.Instant
    }

    private let tokens: [(token: [UInt8], user: AuthenticatedUser)]
    private let identifyCertificate: @Sendable ([UInt8]) -> AuthenticatedUser?
    private let identifyServiceAccountToken: @Sendable (String) async -> AuthenticatedUser?
    /// Certificate checks parse X.509 and verify a signature; kubectl sends the same certificate on every
    /// request, so each answer is kept for a short while. Bounded: cleared when full.
    private let certificateCache = Mutex<[[UInt8]: CachedIdentity]>([:])
    private static let cacheLifetime = Duration.seconds(60)
    private static let cacheLimit = 256
    /// Service-account tokens that authenticated, kept for 10 s as kube-apiserver's token cache keeps successes (and
    /// failures not at all), so that a client's burst of requests costs one signature check and lookup. A deleted
    /// pod's token may so work for up to 10 s more. Bounded: cleared when full.
    private let serviceAccountTokenCache = Mutex<[[UInt8]: CachedIdentity]>([:])
    private static let serviceAccountTokenCacheLifetime = Duration.seconds(10)

    /// - Parameters:
    ///   - bearerTokens: each accepted token and the user it stands for.
    ///   - clientCertificate: the user of a DER client certificate that TLS has already chained to the cluster CA,
    ///     or nil when it may not authenticate (expired, not for client use, no CN).
    ///   - serviceAccountToken: the service account a bearer token that is none of `bearerTokens` stands for, or nil.
    public init(
        bearerTokens: [String: AuthenticatedUser], clientCertificate: @escaping @Sendable (_ der: [UInt8]) -> AuthenticatedUser?,
        serviceAccountToken: @escaping @Sendable (_ token: String) async -> AuthenticatedUser? = { _ in nil }
    ) {
        self.tokens = bearerTokens.filter { !$0.key.isEmpty }.map { (Array($0.key.utf8), $0.value) }
        self.identifyCertificate = clientCertificate
        self.identifyServiceAccountToken = serviceAccountToken
    }

    /// The user, or nil when the request must be refused with 401.
    public func authenticate(clientCertificateDER: [UInt8]?, authorization: String?) async -> AuthenticatedUser? {
        if let clientCertificateDER, let user = identity(ofCertificate: clientCertificateDER) {
            return user
        }
        guard let token = Self.bearerToken(authorization) else { return nil }
        // Every token is compared in full, whatever matches, so that timing tells nothing about the secrets.
        var match: AuthenticatedUser?
        for candidate in tokens where Self.constantTimeEqual(candidate.token, token) {
            match = candidate.user
        }
        if let match { return match }
        return await identity(ofServiceAccountToken: token)
    }

    /// The token of `Bearer <token>` (scheme case-insensitive), as kube-apiserver's bearer-token authenticator reads it.
    static func bearerToken(_ header: String?) -> [UInt8]? {
        guard let header else { return nil }
        let parts = header.trimmingCharacters(in: .whitespaces).split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0].lowercased() == "bearer", !parts[1].isEmpty else { return nil }
        return Array(parts[1].utf8)
    }

    static func constantTimeEqual(_ left: [UInt8], _ right: [UInt8]) -> Bool {
        guard left.count == right.count else { return false }
        var difference: UInt8 = 0
        for index in left.indices { difference |= left[index] ^ right[index] }
        return difference == 0
    }

    private func identity(ofServiceAccountToken token: [UInt8]) async -> AuthenticatedUser? {
        let now = ContinuousClock.now
        if let cached = serviceAccountTokenCache.withLock({ $0[token] }), now - cached.checkedAt < Self.serviceAccountTokenCacheLifetime {
            return cached.user
        }
        guard let user = await identifyServiceAccountToken(String(decoding: token, as: UTF8.self)) else { return nil }
        serviceAccountTokenCache.withLock { cache in
            if cache.count >= Self.cacheLimit { cache.removeAll() }
            cache[token] = CachedIdentity(user: user, checkedAt: now)
        }
        return user
    }

    private func identity(ofCertificate der: [UInt8]) -> AuthenticatedUser? {
        let now = ContinuousClock.now
        if let cached = certificateCache.withLock({ $0[der] }), now - cached.checkedAt < Self.cacheLifetime {
            return cached.user
        }
        let user = identifyCertificate(der)
        certificateCache.withLock { cache in
            if cache.count >= Self.cacheLimit { cache.removeAll() }
            cache[der] = CachedIdentity(user: user, checkedAt: now)
        }
        return user
    }
}

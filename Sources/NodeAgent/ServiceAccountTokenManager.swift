import APIMachinery
import Foundation
import Synchronization

/// The kubelet's token manager (pkg/kubelet/token): the service-account tokens of pods' projected volumes, requested
/// through TokenRequest bound to the pod, and kept until 80% of their lifetime or 24 hours have passed, so that the
/// sync that rewrites the volumes asks the API only when a token is due.
final class ServiceAccountTokenManager: Sendable {
    /// One projected token: for whom and in what shape.
    struct Request: Hashable, Sendable {
        var namespace: String
        var serviceAccount: String
        var podName: String
        var podUID: String
        /// nil: the API server's own audience.
        var audience: String?
        var expirationSeconds: Int64
    }

    /// A token the API issued.
    struct Issued: Sendable {
        var token: String
        var expiresAt: Date
    }

    /// Tokens older than this are renewed whatever their lifetime.
    static let maximumAge: TimeInterval = 24 * 3600
    /// Spreads the renewals of many pods' tokens, as the kubelet's up to 10 s of jitter.
    static let maximumJitter: TimeInterval = 10

    private let issued = Mutex<[Request: Issued]>([:])
    private let requestToken: @Sendable (Request) async throws(APIError) -> Issued

    /// - Parameter requestToken: asks the API for a new token (POST `serviceaccounts/<name>/token`).
    init(requestToken: @escaping @Sendable (Request) async throws(APIError) -> Issued) {
        self.requestToken = requestToken
    }

    /// The token for `request`: the one held while it is fresh, else a new one. When the API cannot be reached the
    /// held token serves until it expires, as the kubelet's.
    func token(for request: Request, now: Date = Date()) async throws(APIError) -> String {
        let held = issued.withLock { $0[request] }
        if let held,
            !Self.requiresRefresh(
                expiresAt: held.expiresAt, expirationSeconds: request.expirationSeconds, now: now,
                jitter: .random(in: 0..<Self.maximumJitter))
        {
            return held.token
        }
        do throws(APIError) {
            let fresh = try await requestToken(request)
            issued.withLock { tokens in
                tokens = tokens.filter { $0.value.expiresAt > now }
                tokens[request] = fresh
            }
            return fresh.token
        } catch {
            if let held, held.expiresAt > now { return held.token }
            throw error
        }
    }

    /// Drops the tokens of a pod that is gone.
    func forget(podUID: String) {
        issued.withLock { tokens in tokens = tokens.filter { $0.key.podUID != podUID } }
    }

    /// The kubelet's rule: renew once the token is older than 24 hours, or within 20% of its lifetime of expiring,
    /// each brought forward by `jitter`.
    static func requiresRefresh(expiresAt: Date, expirationSeconds: Int64, now: Date, jitter: TimeInterval) -> Bool {
        let issuedAt = expiresAt.addingTimeInterval(-TimeInterval(expirationSeconds))
        if now > issuedAt.addingTimeInterval(maximumAge - jitter) { return true }
        return now > expiresAt.addingTimeInterval(-TimeInterval(expirationSeconds * 20 / 100) - jitter)
    }
}

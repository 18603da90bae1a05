import APIMachinery
import Foundation
import Synchronization
import Testing

@testable import NodeAgent

@Suite("Service-account token manager")
struct ServiceAccountTokenManagerTests {
    static let request = ServiceAccountTokenManager.Request(
        namespace: "dev", serviceAccount: "default", podName: "web", podUID: "uid-1", audience: nil, expirationSeconds: 3600)
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func renewsAfterEightyPercentOfTheLifetime() {
        let expires = Self.start.addingTimeInterval(3600)
        func due(after seconds: TimeInterval, jitter: TimeInterval = 0) -> Bool {
            ServiceAccountTokenManager.requiresRefresh(
                expiresAt: expires, expirationSeconds: 3600, now: Self.start.addingTimeInterval(seconds), jitter: jitter)
        }
        #expect(!due(after: 2879))
        #expect(due(after: 2881))
        #expect(due(after: 2875, jitter: 10))
    }

    @Test func renewsLongTokensAfterADay() {
        let lifetime: Int64 = 365 * 24 * 3600
        let expires = Self.start.addingTimeInterval(TimeInterval(lifetime))
        #expect(!ServiceAccountTokenManager.requiresRefresh(expiresAt: expires, expirationSeconds: lifetime, now: Self.start.addingTimeInterval(86_399), jitter: 0))
        #expect(ServiceAccountTokenManager.requiresRefresh(expiresAt: expires, expirationSeconds: lifetime, now: Self.start.addingTimeInterval(86_401), jitter: 0))
    }

    @Test func asksTheAPIOnlyWhenTheHeldTokenIsDue() async throws {
        let calls = Mutex(0)
        let manager = ServiceAccountTokenManager { request throws(APIError) in
            let count = calls.withLock { count in
                count += 1
                return count
            }
            return .init(token: "token-\(count)", expiresAt: Self.start.addingTimeInterval(TimeInterval(request.expirationSeconds)))
        }
        #expect(try await manager.token(for: Self.request, now: Self.start) == "token-1")
        #expect(try await manager.token(for: Self.request, now: Self.start.addingTimeInterval(600)) == "token-1")
        var otherAudience = Self.request
        otherAudience.audience = "vault"
        #expect(try await manager.token(for: otherAudience, now: Self.start) == "token-2")
        #expect(try await manager.token(for: Self.request, now: Self.start.addingTimeInterval(3000)) == "token-3")
        manager.forget(podUID: "uid-1")
        #expect(try await manager.token(for: otherAudience, now: Self.start) == "token-4")
    }

    @Test func keepsServingTheHeldTokenWhileTheAPIFailsUntilItExpires() async throws {
        let failing = Mutex(false)
        let manager = ServiceAccountTokenManager { request throws(APIError) in
            if failing.withLock({ $0 }) { throw APIError.serviceUnavailable("down") }
            return .init(token: "held", expiresAt: Self.start.addingTimeInterval(TimeInterval(request.expirationSeconds)))
        }
        _ = try await manager.token(for: Self.request, now: Self.start)
        failing.withLock { $0 = true }
        #expect(try await manager.token(for: Self.request, now: Self.start.addingTimeInterval(3500)) == "held")
        await #expect(throws: APIError.self) { try await manager.token(for: Self.request, now: Self.start.addingTimeInterval(3601)) }
    }
}

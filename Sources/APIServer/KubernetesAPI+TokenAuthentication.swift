import APIMachinery
import KubeObjects
import APIRegistry
import Foundation
import ServiceAccountTokens

extension KubernetesAPI {
    /// The service account a bearer token authenticates as, or nil when the token is not one this server signed for
    /// its own audience, has expired, or names a service account, pod or secret that is gone or was replaced (another
    /// uid), as Kubernetes' service-account token validator decides. Costs a signature check and a point read per
    /// object the token names.
    /// `audiences`: those the token must be for; the API server's own by default.
    public func authenticateServiceAccountToken(_ token: String, audiences: [String]? = nil) async -> AuthenticatedUser? {
        let now = Date()
        guard let claims = try? serviceAccountTokens.verify(token, audiences: audiences ?? apiAudiences, now: now) else { return nil }
        let namespace = claims.namespace
        guard await isCurrent(resource: "serviceaccounts", namespace: namespace, reference: claims.serviceAccount, now: now) else {
            return nil
        }
        if let pod = claims.pod, !(await isCurrent(resource: "pods", namespace: namespace, reference: pod, now: now)) {
            return nil
        }
        if let secret = claims.secret, !(await isCurrent(resource: "secrets", namespace: namespace, reference: secret, now: now)) {
            return nil
        }
        return AuthenticatedUser(
            name: ServiceAccountTokenClaims.userName(namespace: namespace, serviceAccount: claims.serviceAccount.name),
            uid: claims.serviceAccount.uid, groups: ServiceAccountTokenClaims.groups(namespace: namespace),
            extra: Self.userExtra(of: claims))
    }

    /// What Kubernetes' service-account authenticator adds to the user (`ServiceAccountInfo.UserInfo`): the bound
    /// pod and its node, and the token's id for audit logs.
    static func userExtra(of claims: ServiceAccountTokenClaims) -> [String: [String]] {
        var extra: [String: [String]] = [:]
        if let pod = claims.pod {
            extra["authentication.kubernetes.io/pod-name"] = [pod.name]
            extra["authentication.kubernetes.io/pod-uid"] = [pod.uid]
        }
        if let node = claims.node {
            extra["authentication.kubernetes.io/node-name"] = [node.name]
            extra["authentication.kubernetes.io/node-uid"] = [node.uid]
        }
        if !claims.tokenID.isEmpty { extra["authentication.kubernetes.io/credential-id"] = ["JTI=\(claims.tokenID)"] }
        return extra
    }

    /// Whether the object a token names still exists with the same uid. One being deleted stays current until a
    /// minute after its deletion time, so a terminating pod keeps its API access through its grace period.
    private func isCurrent(
        resource: String, namespace: String, reference: ServiceAccountTokenClaims.ObjectReference, now: Date
    ) async -> Bool {
        guard let definition = catalog.resource(group: "", version: "v1", resource: resource),
            let found = try? await objects.find(definition, namespace: namespace, name: reference.name)?.object,
            found.metadata.uid == reference.uid
        else {
            return false
        }
        if let deletion = found[path: "metadata", "deletionTimestamp"]?.stringValue, let deletedAt = KubeTime.parse(deletion) {
            return now.timeIntervalSince(deletedAt) < 60
        }
        return true
    }
}

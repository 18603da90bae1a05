import Foundation

/// The claims of a Kubernetes service-account token: the registered JWT claims and the private `kubernetes.io`
/// claim naming the namespace, the service account and the object the token is bound to (pkg/serviceaccount).
public struct ServiceAccountTokenClaims: Sendable, Hashable {
    /// A name and uid, as the `kubernetes.io` claim refers to objects.
    public struct ObjectReference: Sendable, Hashable, Codable {
        public var name: String
        public var uid: String

        public init(name: String, uid: String) {
            self.name = name
            self.uid = uid
        }
    }

    public var issuer: String
    /// `system:serviceaccount:<namespace>:<name>`.
    public var subject: String
    public var audiences: [String]
    public var expiresAt: Date
    public var issuedAt: Date
    public var notBefore: Date
    /// `jti`: a random UUID, so that each token can be told apart in audit logs.
    public var tokenID: String
    public var namespace: String
    public var serviceAccount: ObjectReference
    public var pod: ObjectReference?
    public var secret: ObjectReference?
    /// The node a bound pod runs on, for the token's audience to read (Kubernetes' ServiceAccountTokenPodNodeInfo).
    public var node: ObjectReference?

    /// The claims Kubernetes' `token.Claims` builds for a service account, optionally bound to a pod (and naming its
    /// node) or a secret, valid from `now` for `lifetimeSeconds`. The issuer is the signer's, set when signing.
    public static func forServiceAccount(
        namespace: String, serviceAccount: ObjectReference, pod: ObjectReference? = nil, node: ObjectReference? = nil,
        secret: ObjectReference? = nil, audiences: [String], lifetimeSeconds: Int64, now: Date
    ) -> ServiceAccountTokenClaims {
        // JWT times are whole seconds.
        let issued = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
        return ServiceAccountTokenClaims(
            issuer: "", subject: ServiceAccountTokenClaims.userName(namespace: namespace, serviceAccount: serviceAccount.name),
            audiences: audiences, expiresAt: issued.addingTimeInterval(TimeInterval(lifetimeSeconds)), issuedAt: issued, notBefore: issued,
            tokenID: UUID().uuidString.lowercased(), namespace: namespace, serviceAccount: serviceAccount, pod: pod, secret: secret,
            node: pod == nil ? nil : node)
    }

    /// The user a service account's token authenticates as.
    public static func userName(namespace: String, serviceAccount: String) -> String {
        "system:serviceaccount:\(namespace):\(serviceAccount)"
    }

    /// The groups of every service account in `namespace`, as Kubernetes' `serviceaccount.MakeGroupNames`.
    public static func groups(namespace: String) -> [String] {
        ["system:serviceaccounts", "system:serviceaccounts:\(namespace)"]
    }
}

extension ServiceAccountTokenClaims: Codable {
    private enum CodingKeys: String, CodingKey {
        case issuer = "iss", subject = "sub", audiences = "aud", expiresAt = "exp", issuedAt = "iat", notBefore = "nbf"
        case tokenID = "jti", kubernetes = "kubernetes.io"
    }

    private struct KubernetesClaim: Codable {
        var namespace: String
        var serviceaccount: ObjectReference
        var pod: ObjectReference?
        var secret: ObjectReference?
        var node: ObjectReference?
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        issuer = try container.decode(String.self, forKey: .issuer)
        subject = try container.decode(String.self, forKey: .subject)
        // RFC 7519 allows one audience as a plain string.
        if let single = try? container.decode(String.self, forKey: .audiences) {
            audiences = [single]
        } else {
            audiences = try container.decode([String].self, forKey: .audiences)
        }
        expiresAt = Date(timeIntervalSince1970: TimeInterval(try container.decode(Int64.self, forKey: .expiresAt)))
        issuedAt = Date(timeIntervalSince1970: TimeInterval(try container.decode(Int64.self, forKey: .issuedAt)))
        notBefore = Date(timeIntervalSince1970: TimeInterval(try container.decode(Int64.self, forKey: .notBefore)))
        tokenID = try container.decodeIfPresent(String.self, forKey: .tokenID) ?? ""
        let kubernetes = try container.decode(KubernetesClaim.self, forKey: .kubernetes)
        namespace = kubernetes.namespace
        serviceAccount = kubernetes.serviceaccount
        pod = kubernetes.pod
        secret = kubernetes.secret
        node = kubernetes.node
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(issuer, forKey: .issuer)
        try container.encode(subject, forKey: .subject)
        try container.encode(audiences, forKey: .audiences)
        try container.encode(Int64(expiresAt.timeIntervalSince1970), forKey: .expiresAt)
        try container.encode(Int64(issuedAt.timeIntervalSince1970), forKey: .issuedAt)
        try container.encode(Int64(notBefore.timeIntervalSince1970), forKey: .notBefore)
        try container.encode(tokenID, forKey: .tokenID)
        try container.encode(
            KubernetesClaim(namespace: namespace, serviceaccount: serviceAccount, pod: pod, secret: secret, node: node),
            forKey: .kubernetes)
    }
}

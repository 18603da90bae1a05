/// A Pod Security Standards profile, from the least to the most restrictive (k8s.io/pod-security-admission `api.Level`).
public enum PodSecurityLevel: String, Sendable, Hashable, CaseIterable, Comparable {
    /// Unrestricted: nothing is checked.
    case privileged
    /// Prevents known privilege escalations: host namespaces, privileged containers, added capabilities, hostPath
    /// volumes, host ports and the like.
    case baseline
    /// Baseline plus hardening: no privilege escalation, non-root users, all capabilities dropped, a seccomp
    /// profile, only ephemeral and claim-backed volume types.
    case restricted

    /// Parses a namespace label's value; Kubernetes words the error for an unknown one as below.
    public init(label value: String) throws(PodSecurityLabelError) {
        guard let level = PodSecurityLevel(rawValue: value) else {
            throw PodSecurityLabelError(detail: "must be one of " + Self.allCases.map(\.rawValue).joined(separator: ", "))
        }
        self = level
    }

    public static func < (lhs: PodSecurityLevel, rhs: PodSecurityLevel) -> Bool {
        lhs.rank < rhs.rank
    }

    private var rank: Int {
        switch self {
        case .privileged: 0
        case .baseline: 1
        case .restricted: 2
        }
    }
}

/// Why a `pod-security.kubernetes.io/…` label's value was refused, in Kubernetes' words (the field error's detail).
public struct PodSecurityLabelError: Error, Sendable, Hashable {
    public var detail: String
}

import APIMachinery

/// The rules of a TokenRequest's spec (pkg/apis/authentication/validation).
enum TokenRequestRules {
    static let defaultExpirationSeconds: Int64 = 3600
    static let minimumExpirationSeconds: Int64 = 600
    static let maximumExpirationSeconds: Int64 = 1 << 32

    static func validate(expirationSeconds: Int64) -> [StatusCause] {
        if expirationSeconds < minimumExpirationSeconds {
            return [.invalid("spec.expirationSeconds", value: .integer(expirationSeconds), "may not specify a duration less than 10 minutes")]
        }
        if expirationSeconds > maximumExpirationSeconds {
            return [.invalid("spec.expirationSeconds", value: .integer(expirationSeconds), "may not specify a duration larger than 2^32 seconds")]
        }
        return []
    }

    /// Go's `GroupVersionKind.String()`: `/v1, Kind=Node`, `apps/v1, Kind=Deployment`.
    static func groupVersionKind(apiVersion: String, kind: String) -> String {
        let version = GroupVersion(apiVersion: apiVersion)
        return "\(version.group)/\(version.version), Kind=\(kind)"
    }
}

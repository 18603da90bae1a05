/// Why a token is not a valid service-account token of this cluster.
public enum ServiceAccountTokenError: Error, Sendable, Hashable {
    /// Not three base64url parts with a JSON header and claims: not a JWT, or not one of ours.
    case malformed
    /// Signed with another algorithm or key, or altered after signing.
    case badSignature
    case wrongIssuer(String)
    case expired
    case notYetValid
    /// None of the token's audiences is one the verifier accepts.
    case wrongAudience
    /// The key could not be read or the claims could not be encoded.
    case signing(String)
}

import APIMachinery
import EncryptionAtRest

/// `skiff secrets-encrypt`'s endpoints, as k3s serves `/v1-k3s/encrypt/*`: the status of Secrets' encryption at
/// rest (GET), a new key (POST rotate) and every value rewritten with it (POST reencrypt). They are non-resource
/// URLs, so RBAC leaves them to cluster administrators.
extension KubernetesAPI {
    public static let secretsEncryptionPath = "/v1-skiff/secrets-encrypt/"

    /// Connects the endpoints to the store's encryption.
    public func connectSecretsEncryption(_ encryption: SecretsEncryption) { secretsEncryption.set(encryption) }

    func serveSecretsEncryption(_ request: APIRequest) async throws(APIError) -> APIResponse {
        guard let encryption = secretsEncryption.current else {
            throw APIError.serviceUnavailable("this server does not encrypt its store")
        }
        let action = String(request.path.dropFirst(Self.secretsEncryptionPath.count))
        switch (request.method, action) {
        case ("GET", "status"):
            return .json(code: 200, body: try await Self.statusBody(encryption), headers: [:])
        case ("POST", "rotate"):
            let key: EncryptionKey
            do {
                key = try await encryption.rotate()
            } catch {
                throw APIError.badRequest(error.message, causes: [])
            }
            logger.notice("secrets encryption key rotated", metadata: ["key": "\(key.name)"])
            return .json(code: 200, body: ["key": .string(key.name)], headers: [:])
        case ("POST", "reencrypt"):
            let rewritten: Int
            do {
                rewritten = try await encryption.reencrypt()
            } catch {
                throw APIError.internalError("re-encrypting the store: \(error)")
            }
            logger.notice("secrets re-encrypted", metadata: ["rewritten": "\(rewritten)"])
            return .json(code: 200, body: ["rewritten": .integer(Int64(rewritten))], headers: [:])
        case (_, "status"), (_, "rotate"), (_, "reencrypt"):
            throw APIError.methodNotAllowed("the server does not allow this method on the requested resource")
        default:
            throw APIError(code: 404, reason: "NotFound", message: "unknown secrets-encrypt action \"\(action)\": use status, rotate or reencrypt")
        }
    }

    private static func statusBody(_ encryption: SecretsEncryption) async throws(APIError) -> JSONValue {
        let status: SecretsEncryption.Status
        do {
            status = try await encryption.status()
        } catch {
            throw APIError.internalError("reading the store: \(error)")
        }
        var body: [String: JSONValue] = [
            "enabled": .bool(status.enabled), "managed": .bool(status.managed),
            "resources": .array(status.resources.map(JSONValue.string)), "activeProvider": .string(status.activeProvider),
            "keys": .array(status.keys.map { ["provider": .string($0.provider), "name": .string($0.name), "values": .integer(Int64($0.values))] }),
            "plaintextValues": .integer(Int64(status.plaintextValues)), "unreadableValues": .integer(Int64(status.unreadableValues)),
        ]
        if let key = status.activeKey { body["activeKey"] = .string(key) }
        return .object(body)
    }
}

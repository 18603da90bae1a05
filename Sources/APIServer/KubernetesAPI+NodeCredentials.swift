import APIMachinery
import APIRegistry
import Crypto
import Foundation
import KubeObjects

/// A node's own credentials, as k3s hands its agents a kubelet client certificate (`/v1-k3s/client-kubelet.crt`):
/// an agent that holds the join token asks for a certificate of `system:node:<name>` in `system:nodes`, so that the
/// Node authorizer can hold it to its own pods. The node proves it is the node that first joined under that name
/// with a password of its own, whose hash the server keeps in the Secret `<name>.node-password.skiff` in kube-system,
/// as k3s keeps `<name>.node-password.k3s`.
extension KubernetesAPI {
    /// Where agents ask for their credentials (POST, `{"nodeName": ..., "password": ...}`); RBAC lets only the join
    /// token's user post to it.
    public static let nodeCredentialsPath = "/v1-skiff/client-kubelet"

    /// Connects the node-credentials endpoint to the cluster CA: issues a client certificate and key for a user in
    /// groups.
    public func connectNodeCredentialIssuer(_ issue: @escaping @Sendable (_ user: String, _ groups: [String]) throws -> (certificatePEM: String, keyPEM: String)) {
        nodeCredentialIssuer.set(issue)
    }

    func issueNodeCredentials(_ request: APIRequest) async throws(APIError) -> APIResponse {
        guard let issue = nodeCredentialIssuer.current else { throw APIError.serviceUnavailable("node credentials are not issued by this server") }
        let body: JSONValue
        do {
            body = try JSONValue.parse(request.body)
        } catch {
            throw APIError.badRequest("the body must be JSON: \(error.message)", causes: [])
        }
        guard let node = body["nodeName"]?.stringValue, !node.isEmpty, let password = body["password"]?.stringValue, !password.isEmpty else {
            throw APIError.badRequest("nodeName and password are required", causes: [])
        }
        if let problem = Validation.dnsSubdomainProblem(node) {
            throw APIError.badRequest("invalid node name \"\(node)\": \(problem)", causes: [])
        }
        try await checkNodePassword(node: node, password: password)
        let credential: (certificatePEM: String, keyPEM: String)
        do {
            credential = try issue("system:node:\(node)", ["system:nodes"])
        } catch {
            throw APIError.internalError("issuing the node's certificate: \(error)")
        }
        return .json(code: 200, body: ["certificate": .string(credential.certificatePEM), "key": .string(credential.keyPEM)], headers: [:])
    }

    /// Records the password's hash at a node's first request and compares it at every later one.
    private func checkNodePassword(node: String, password: String) async throws(APIError) {
        guard let secrets = catalog.resource(group: "", version: "v1", resource: "secrets") else {
            throw APIError.internalError("secrets are missing from the catalog")
        }
        let name = "\(node).node-password.skiff"
        let hash = SHA256.hash(data: Data(password.utf8)).map { String(format: "%02x", $0) }.joined()
        if let (existing, _) = try await objects.find(secrets, namespace: "kube-system", name: name) {
            let stored = existing[path: "data", "hash"]?.stringValue.flatMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) }
            guard stored == hash else {
                throw APIError.forbidden(
                    GroupResource(group: "", resource: "nodes"), name: node,
                    message: "the node password does not match the one node \"\(node)\" joined with (a second machine with the same name, or a lost \(name) Secret's node)")
            }
            return
        }
        var secret: JSONValue = [
            "apiVersion": "v1", "kind": "Secret", "type": "skiff.dev/node-password",
            "metadata": ["name": .string(name), "namespace": "kube-system"],
            "data": ["hash": .string(Data(hash.utf8).base64EncodedString())],
        ]
        Defaulting.apply(to: &secret, group: "", kind: "Secret")
        ObjectLifecycle.prepareForCreate(&secret, definition: secrets, now: Date())
        do {
            _ = try await objects.create(secrets, object: secret)
        } catch where error.code == 409 {
            // Another request of the same node won the race: compare with what it stored.
            try await checkNodePassword(node: node, password: password)
        }
    }
}

import APIMachinery
import Crypto
import Foundation
import KubeClient
import KubeHTTPClient

/// A joined node's own client certificate (`system:node:<name>` in `system:nodes`), asked for with the join token,
/// as a k3s agent fetches its kubelet certificate: from then on the node acts as itself, and the Node authorizer
/// holds it to its own pods' Secrets and ConfigMaps. The node proves it is the machine that first joined under its
/// name with a password of its own, kept in `<data-dir>/node-password` (0600; k3s keeps `/etc/rancher/node/password`).
enum NodeCredentials {
    static func obtain(from server: String, with transport: HTTPTransport, nodeName: String, dataDirectory: String) async throws -> (
        certificatePEM: String, keyPEM: String
    ) {
        let password = try password(in: dataDirectory)
        let answer: JSONValue
        do {
            answer = try await transport.perform(
                KubeRequest(method: "POST", path: "/v1-skiff/client-kubelet", body: ["nodeName": .string(nodeName), "password": .string(password)]))
        } catch {
            throw AgentError.nodeCredentialsRefused(server: server, node: nodeName, reason: error.message)
        }
        guard let certificate = answer["certificate"]?.stringValue, let key = answer["key"]?.stringValue else {
            throw AgentError.nodeCredentialsRefused(server: server, node: nodeName, reason: "the answer holds no certificate")
        }
        return (certificate, key)
    }

    /// The node's password, made on first use.
    private static func password(in dataDirectory: String) throws -> String {
        let path = "\(dataDirectory)/node-password"
        if let existing = try? String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines), !existing.isEmpty {
            return existing
        }
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        let password = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }.map { String(format: "%02x", $0) }.joined()
        guard FileManager.default.createFile(atPath: path, contents: Data((password + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
        return password
    }
}

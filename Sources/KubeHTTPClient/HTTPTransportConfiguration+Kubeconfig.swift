import Foundation
import Yams

extension HTTPTransportConfiguration {
    /// The server, CA and credentials of a kubeconfig's current context (or its only one): `server`,
    /// `certificate-authority[-data]`, `insecure-skip-tls-verify`, `client-certificate[-data]`, `client-key[-data]` and `token`. Relative file
    /// paths are read from the kubeconfig's directory, as kubectl does. Throws `TransportSetupError.kubeconfig`.
    public init(kubeconfig path: String) throws(TransportSetupError) {
        let reader = KubeconfigReader(path: path)
        let root = try reader.document()
        let context = try reader.entry(root, list: "contexts", field: "context", name: root["current-context"] as? String)
        let cluster = try reader.entry(root, list: "clusters", field: "cluster", name: context?["cluster"] as? String)
        let user = try reader.entry(root, list: "users", field: "user", name: context?["user"] as? String)
        guard let cluster, let server = cluster["server"] as? String else {
            throw TransportSetupError.kubeconfig(path: path, reason: "no cluster with a server for the current context")
        }
        self.init(
            serverURL: server,
            certificateAuthorityPEM: try reader.material(cluster, "certificate-authority"),
            insecureSkipTLSVerify: cluster["insecure-skip-tls-verify"] as? Bool ?? false,
            clientCertificatePEM: try user.flatMap { entry throws(TransportSetupError) in try reader.material(entry, "client-certificate") },
            clientKeyPEM: try user.flatMap { entry throws(TransportSetupError) in try reader.material(entry, "client-key") },
            bearerToken: user?["token"] as? String)
    }
}

/// Reads the parts of a kubeconfig file the transport needs.
private struct KubeconfigReader {
    let path: String

    func document() throws(TransportSetupError) -> [String: Any] {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw TransportSetupError.kubeconfig(path: path, reason: "cannot read the file")
        }
        let parsed: Any?
        do {
            parsed = try Yams.load(yaml: text)
        } catch {
            throw TransportSetupError.kubeconfig(path: path, reason: "not valid YAML: \(error)")
        }
        guard let root = parsed as? [String: Any] else {
            throw TransportSetupError.kubeconfig(path: path, reason: "not a kubeconfig document")
        }
        return root
    }

    /// The inner mapping (`cluster`, `user`, `context`) of the entry called `name` in `list`, or of the only entry
    /// when no name is given; nil when the list is empty and no name was asked for.
    func entry(_ root: [String: Any], list: String, field: String, name: String?) throws(TransportSetupError) -> [String: Any]? {
        let entries = root[list] as? [[String: Any]] ?? []
        if let name, !name.isEmpty {
            guard let entry = entries.first(where: { $0["name"] as? String == name }) else {
                throw TransportSetupError.kubeconfig(path: path, reason: "\(list) has no entry named \(name)")
            }
            return entry[field] as? [String: Any]
        }
        guard entries.count <= 1 else {
            throw TransportSetupError.kubeconfig(path: path, reason: "no current-context to choose between \(entries.count) \(list)")
        }
        return entries.first?[field] as? [String: Any]
    }

    /// `<key>-data` (base64) or the file `<key>` names, as text.
    func material(_ entry: [String: Any], _ key: String) throws(TransportSetupError) -> String? {
        if let encoded = entry["\(key)-data"] as? String {
            guard let data = Data(base64Encoded: encoded, options: .ignoreUnknownCharacters), let text = String(data: data, encoding: .utf8) else {
                throw TransportSetupError.kubeconfig(path: path, reason: "\(key)-data is not base64-encoded PEM")
            }
            return text
        }
        guard let file = entry[key] as? String else { return nil }
        let resolved = file.hasPrefix("/") ? file : ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent(file)
        guard let data = FileManager.default.contents(atPath: resolved), let text = String(data: data, encoding: .utf8) else {
            throw TransportSetupError.kubeconfig(path: path, reason: "cannot read \(key) file \(resolved)")
        }
        return text
    }
}

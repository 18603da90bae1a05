import APIMachinery
import CRI
import Foundation

/// Credentials for an image pull from the pod's `imagePullSecrets`, as the kubelet's keyring finds them: secrets of
/// type `kubernetes.io/dockerconfigjson` (`{"auths": {...}}`) or `kubernetes.io/dockercfg` (the bare map), whose
/// keys name registries (`registry.example.com`, `https://index.docker.io/v1/`, with or without scheme and path);
/// the first secret with an entry for the image's registry wins.
enum ImagePullCredentials {
    /// The registry host an image reference pulls from: Docker Hub for names without one.
    static func registry(of image: String) -> String {
        let first = image.split(separator: "/", maxSplits: 1).first.map(String.init) ?? ""
        guard image.contains("/"), first.contains(".") || first.contains(":") || first == "localhost" else { return "docker.io" }
        return first
    }

    /// The host of a keyring key: `https://index.docker.io/v1/` and `index.docker.io` mean Docker Hub.
    static func host(ofKey key: String) -> String {
        var text = Substring(key)
        if let scheme = text.range(of: "://") { text = text[scheme.upperBound...] }
        let host = String(text.split(separator: "/").first ?? "")
        return ["index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"].contains(host) ? "docker.io" : host
    }

    /// The credentials for `image` from `secrets` (in the pod's order), or nil to pull anonymously.
    static func auth(for image: String, secrets: [JSONValue]) -> Runtime_V1_AuthConfig? {
        let registry = registry(of: image)
        for secret in secrets {
            for (key, entry) in entries(secret) where host(ofKey: key) == registry {
                var auth = Runtime_V1_AuthConfig()
                auth.serverAddress = registry
                if let username = entry["username"]?.stringValue, let password = entry["password"]?.stringValue {
                    auth.username = username
                    auth.password = password
                } else if let encoded = entry["auth"]?.stringValue, let decoded = Data(base64Encoded: encoded),
                    let pair = String(data: decoded, encoding: .utf8), let colon = pair.firstIndex(of: ":")
                {
                    auth.username = String(pair[..<colon])
                    auth.password = String(pair[pair.index(after: colon)...])
                } else {
                    continue
                }
                return auth
            }
        }
        return nil
    }

    private static func entries(_ secret: JSONValue) -> [(String, JSONValue)] {
        let type = secret["type"]?.stringValue ?? ""
        let field = type == "kubernetes.io/dockercfg" ? ".dockercfg" : ".dockerconfigjson"
        guard let encoded = secret[path: "data", field]?.stringValue, let data = Data(base64Encoded: encoded),
            let document = try? JSONValue.parse(Array(data))
        else { return [] }
        let map = type == "kubernetes.io/dockercfg" ? document : document["auths"] ?? .emptyObject
        return (map.objectValue ?? [:]).sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }
}

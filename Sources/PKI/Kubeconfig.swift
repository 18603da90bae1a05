import Foundation

/// Client configuration files in the layout k3s writes to `/etc/rancher/k3s/k3s.yaml`.
public enum Kubeconfig {
    /// A kubeconfig whose cluster, user and context are all named `default`, with the CA, client certificate and
    /// key embedded as base64 `*-data` fields so the file works on its own.
    public static func render(serverURL: String, caPEM: String, clientCertificatePEM: String, clientKeyPEM: String) -> String {
        """
        apiVersion: v1
        clusters:
        - cluster:
            certificate-authority-data: \(base64(caPEM))
            server: \(doubleQuoted(serverURL))
          name: default
        contexts:
        - context:
            cluster: default
            user: default
          name: default
        current-context: default
        kind: Config
        preferences: {}
        users:
        - name: default
          user:
            client-certificate-data: \(base64(clientCertificatePEM))
            client-key-data: \(base64(clientKeyPEM))

        """
    }

    /// Replaces `path` atomically with a file of mode 0600 (it holds a private key), creating missing parent
    /// directories with mode 0755. Throws `PKIError.fileSystem`.
    public static func write(_ text: String, to path: String) throws {
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty {
            try SecureFile.createDirectory(parent, mode: 0o755)
        }
        try SecureFile.writeAtomically(text, to: path, mode: 0o600)
    }

    private static func base64(_ text: String) -> String {
        Data(text.utf8).base64EncodedString()
    }

    /// A YAML double-quoted scalar, so a URL with `[`, `#` or `: ` cannot change the document's structure.
    private static func doubleQuoted(_ text: String) -> String {
        var quoted = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": quoted += "\\\""
            case "\\": quoted += "\\\\"
            case "\n": quoted += "\\n"
            case "\t": quoted += "\\t"
            case _ where scalar.value < 0x20: quoted += "\\x" + String(scalar.value, radix: 16).leftPadded(to: 2)
            default: quoted.unicodeScalars.append(scalar)
            }
        }
        return quoted + "\""
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}

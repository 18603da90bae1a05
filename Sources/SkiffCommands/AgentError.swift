/// Why `skiff agent` cannot join its server; printed as the command's error.
enum AgentError: Error, CustomStringConvertible {
    /// `/cacerts` answered a CA other than the one the token pins: a wrong server, a wrong token, or someone in between.
    case caMismatch(server: String, expected: String, actual: String)
    case tokenRejected(server: String)
    case unreachable(server: String, reason: String)
    /// The server refused to issue this node's certificate (another machine joined under the same name).
    case nodeCredentialsRefused(server: String, node: String, reason: String)

    var description: String {
        switch self {
        case .caMismatch(let server, let expected, let actual):
            "the CA certificate of \(server) does not match the token: the token pins sha256 \(expected) but the server's "
                + "/cacerts has sha256 \(actual); check that the token comes from this server's <data-dir>/server/token"
        case .tokenRejected(let server):
            "\(server) rejected the token (401 Unauthorized); use the content of the server's <data-dir>/server/token"
        case .unreachable(let server, let reason):
            "cannot join \(server): \(reason)"
        case .nodeCredentialsRefused(let server, let node, let reason):
            "\(server) refused a certificate for node \(node): \(reason); if this machine replaced one of the same name, delete the "
                + "Secret \(node).node-password.skiff in kube-system, or give it another --node-name"
        }
    }
}

import Foundation
import Testing

@testable import PKI

@Suite("Kubeconfig")
struct KubeconfigTests {
    private func jsonpath(_ path: String, _ expression: String, raw: Bool = false) throws -> String {
        let result = try runTool(
            ["kubectl", "config", "view", "--kubeconfig", path] + (raw ? ["--raw"] : []) + ["-o", "jsonpath=\(expression)"])
        #expect(result.status == 0, "\(result.error)")
        return result.output
    }

    @Test func kubectlReadsServerNamesAndEmbeddedCredentials() throws {
        let directory = try TemporaryDirectory()
        let pki = try ClusterPKI.loadOrCreate(directory: directory.file("tls"), extraHostnames: [], extraIPAddresses: [])
        let path = directory.file("nested/dir/kubeconfig.yaml")
        let text = Kubeconfig.render(
            serverURL: "https://127.0.0.1:6443", caPEM: pki.caCertificatePEM,
            clientCertificatePEM: pki.adminCertificatePEM, clientKeyPEM: pki.adminKeyPEM)
        try Kubeconfig.write(text, to: path)

        #expect(try jsonpath(path, "{.clusters[0].cluster.server}") == "https://127.0.0.1:6443")
        #expect(try jsonpath(path, "{.current-context}") == "default")
        #expect(try jsonpath(path, "{.clusters[0].name} {.users[0].name} {.contexts[0].name}") == "default default default")
        #expect(try jsonpath(path, "{.contexts[0].context.cluster} {.contexts[0].context.user}") == "default default")
        #expect(try jsonpath(path, "{.users[0].user.client-key-data}") == "DATA+OMITTED")

        let base64 = { (pem: String) in Data(pem.utf8).base64EncodedString() }
        #expect(try jsonpath(path, "{.clusters[0].cluster.certificate-authority-data}", raw: true) == base64(pki.caCertificatePEM))
        #expect(try jsonpath(path, "{.users[0].user.client-certificate-data}", raw: true) == base64(pki.adminCertificatePEM))
        #expect(try jsonpath(path, "{.users[0].user.client-key-data}", raw: true) == base64(pki.adminKeyPEM))
    }

    @Test func fileIsPrivateAndReplacedWhole() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("a/b/config")
        let first = Kubeconfig.render(serverURL: "https://127.0.0.1:1", caPEM: "ca", clientCertificatePEM: "c", clientKeyPEM: "k")
        try Kubeconfig.write(first, to: path)
        #expect(try fileMode(path) == 0o600)
        let second = Kubeconfig.render(serverURL: "https://127.0.0.1:2", caPEM: "ca", clientCertificatePEM: "c", clientKeyPEM: "k")
        try Kubeconfig.write(second, to: path)
        #expect(try contents(path) == second)
        #expect(try fileMode(path) == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.file("a/b")) == ["config"])
    }

    @Test(arguments: ["https://[::1]:6443", "https://skiff.example.com:443/prefix#x", "https://10.0.0.1:6443"])
    func serverURLsWithYAMLSpecialCharactersSurvive(url: String) throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("config")
        try Kubeconfig.write(Kubeconfig.render(serverURL: url, caPEM: "ca", clientCertificatePEM: "c", clientKeyPEM: "k"), to: path)
        #expect(try jsonpath(path, "{.clusters[0].cluster.server}") == url)
    }
}

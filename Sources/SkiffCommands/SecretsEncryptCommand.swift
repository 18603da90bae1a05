import APIMachinery
import ArgumentParser
import Foundation
import KubeClient
import KubeHTTPClient
import Logging

/// `skiff secrets-encrypt status|rotate|reencrypt`: Secrets' encryption at rest on a running server, as k3s'
/// `secrets-encrypt`. It talks to the server as a cluster administrator, with the admin kubeconfig.
struct SecretsEncryptCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "secrets-encrypt",
        abstract: "Show and rotate the keys that encrypt Secrets at rest.",
        discussion: """
            Secrets are encrypted with AES-GCM before they reach the store. `rotate` makes a new key that every write \
            uses from then on; `reencrypt` rewrites every Secret with it and drops keys nothing uses any more.
            """,
        subcommands: [Status.self, Rotate.self, Reencrypt.self])

    struct Connection: ParsableArguments {
        @Option(help: "The server's data directory, whose admin kubeconfig is used (default /var/lib/skiff as root, else ~/.skiff).")
        var dataDir: String?

        @Option(help: "A cluster administrator's kubeconfig (default <data-dir>/kubeconfig.yaml).")
        var kubeconfig: String?

        func perform(_ method: String, _ action: String) async throws -> JSONValue {
            let path = kubeconfig ?? "\(dataDir ?? ServerCommand.defaultDataDirectory())/kubeconfig.yaml"
            let transport = try HTTPTransport(kubeconfig: path, logger: Logger(label: "skiff.secrets-encrypt"))
            let answer: Result<JSONValue, APIError>
            do {
                answer = .success(try await transport.perform(KubeRequest(method: method, path: "/v1-skiff/secrets-encrypt/\(action)")))
            } catch {
                answer = .failure(error)
            }
            try? await transport.shutdown()
            switch answer {
            case .success(let body): return body
            case .failure(let error): throw ValidationError("Error from server (\(error.reason)): \(error.message)")
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show whether Secrets are encrypted, with which keys, and how many use each.")
        @OptionGroup var connection: Connection

        func run() async throws {
            print(Self.render(try await connection.perform("GET", "status")))
        }

        static func render(_ status: JSONValue) -> String {
            let keys = status["keys"]?.arrayValue ?? []
            let active = status["activeKey"]?.stringValue
            let activeValues = keys.first { $0["name"]?.stringValue == active }?["values"]?.integerValue ?? 0
            let allValues = keys.compactMap { $0["values"]?.integerValue }.reduce(0, +)
            var lines = [
                "Encryption Status: \(status["enabled"]?.boolValue == true ? "Enabled" : "Disabled")",
                "Configuration: \(status["managed"]?.boolValue == true ? "managed by the server" : "--encryption-provider-config")",
                "Resources: \((status["resources"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ", "))",
                "Active Key Type: \(status["activeProvider"]?.stringValue ?? "")",
                "Stored values: \(activeValues) with the active key, \(allValues - activeValues) with older keys, "
                    + "\(status["plaintextValues"]?.integerValue ?? 0) in plain text, \(status["unreadableValues"]?.integerValue ?? 0) unreadable",
                "",
            ]
            let rows = keys.map { key in
                [
                    key["name"]?.stringValue == active ? " *" : "",
                    key["provider"]?.stringValue == "aescbc" ? "AES-CBC" : "AES-GCM",
                    key["name"]?.stringValue ?? "",
                    String(key["values"]?.integerValue ?? 0),
                ]
            }
            let table = [["Active", "Key Type", "Name", "Values"], ["------", "--------", "----", "------"]] + rows
            let widths = (0..<4).map { column in table.map { $0[column].count }.max() ?? 0 }
            lines += table.map { row in
                row.enumerated().map { $0.offset == 3 ? $0.element : $0.element.padding(toLength: widths[$0.offset] + 2, withPad: " ", startingAt: 0) }
                    .joined()
            }
            return lines.joined(separator: "\n")
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a new key that every write uses from now on; older keys still read until `reencrypt`.")
        @OptionGroup var connection: Connection

        func run() async throws {
            let answer = try await connection.perform("POST", "rotate")
            print("encryption keys rotated: new key \(answer["key"]?.stringValue ?? "") is active; run `skiff secrets-encrypt reencrypt` to rewrite the Secrets stored under older keys")
        }
    }

    struct Reencrypt: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rewrite every Secret with the active key, then drop the keys nothing uses any more.")
        @OptionGroup var connection: Connection

        func run() async throws {
            let answer = try await connection.perform("POST", "reencrypt")
            print("secrets re-encrypted: \(answer["rewritten"]?.integerValue ?? 0) rewritten with the active key")
        }
    }
}

import ArgumentParser

/// `skiff`: Kubernetes in one binary.
public struct SkiffCommand: AsyncParsableCommand {
    public static let version = "0.1.0"

    public static let configuration = CommandConfiguration(
        commandName: "skiff",
        abstract: "Kubernetes in one Swift binary: the real Kubernetes API, served from one process.",
        version: "skiff version v\(version) (Kubernetes API v1.32)",
        subcommands: [ServerCommand.self, AgentCommand.self, SecretsEncryptCommand.self])

    public init() {}
}

import APIMachinery
import ArgumentParser
import ClusterDNS
import ControllerRuntime
import Foundation
import HollowNodes
import KubeClient
import KubeHTTPClient
import KubeletServer
import Logging
import NodeAgent
import PKI
import ServiceLifecycle
import ServiceProxy

/// `skiff agent`: joins nodes to a server the way `k3s agent` does — the CA is fetched from the server and pinned
/// to the hash in the join token, then the token authenticates the agent, which asks for the node's own certificate
/// with it. It runs this machine as a node with containerd (`NodeAgent`), or with `--hollow N` simulated nodes, which
/// act as the token's user.
struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Join this machine (or simulated nodes) to a Skiff server.",
        discussion: """
            The token is the content of <data-dir>/server/token on the server. The agent fetches the server's CA from \
            /cacerts, refuses it unless its SHA-256 matches the token's K10<hash> part, and then authenticates with \
            the token as user skiff:agent in group system:nodes, with which it asks for a certificate of its own \
            (system:node:<name>); a hollow agent keeps acting as skiff:agent.
            """)

    @Option(help: "The server's URL, e.g. https://10.0.0.1:6443.")
    var server: String

    @Option(help: "The join token from the server's <data-dir>/server/token.")
    var token: String

    @Option(help: "Run this many simulated (hollow) nodes, as kubemark does.")
    var hollow: Int?

    @Option(help: "Names of the hollow nodes are this prefix and an index.")
    var hollowNamePrefix: String = "hollow-node-"

    @Option(help: "Seconds between a pod's binding and its hollow node reporting it Running.")
    var hollowStartDelay: Double = 0

    @Option(help: "Where the agent keeps containerd's files, pod volumes and logs.")
    var dataDir: String = "/var/lib/skiff-agent"

    @OptionGroup(title: "Node agent")
    var agentOptions: AgentFlags

    @Option(help: "The server's Service range (its --service-cidr): the service proxy keeps it on this node.")
    var serviceCidr: String = "10.43.0.0/16"

    @Option(help: "The server's pod range (its --cluster-cidr): Service traffic from outside it is masqueraded.")
    var clusterCidr: String = "10.42.0.0/16"

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    func validate() throws {
        if let hollow { guard hollow > 0 else { throw ValidationError("--hollow must be at least 1") } }
        guard hollowStartDelay >= 0, hollowStartDelay.isFinite else { throw ValidationError("--hollow-start-delay must not be negative") }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "skiff.agent")
        let joinToken: JoinToken
        do {
            joinToken = try JoinToken(parsing: token)
        } catch {
            throw ValidationError("--token: \(error)")
        }
        let caBundle = try await AgentBootstrap(server: server, token: joinToken, logger: logger).trustedCA()
        let transport = try HTTPTransport(
            configuration: HTTPTransportConfiguration(
                serverURL: server, certificateAuthorityPEM: caBundle, bearerToken: joinToken.text,
                userAgent: "skiff-agent/\(SkiffCommand.version)"),
            logger: logger)
        do {
            if let hollow {
                try await runHollowNodes(transport: transport, count: hollow, logger: logger)
            } else {
                try await runNode(transport: transport, caBundle: caBundle, logger: logger)
            }
        } catch {
            try? await transport.shutdown()
            throw error
        }
        try await transport.shutdown()
    }

    /// A first authenticated call, so that a token the server does not know is reported as such.
    private func checkToken(_ transport: HTTPTransport) async throws {
        do {
            _ = try await transport.perform(KubeRequest(method: "GET", path: "/version"))
        } catch {
            throw error.code == 401 ? AgentError.tokenRejected(server: server) : AgentError.unreachable(server: server, reason: error.message)
        }
    }

    private func runNode(transport tokenTransport: HTTPTransport, caBundle: String, logger: Logger) async throws {
        try await checkToken(tokenTransport)
        let options = agentOptions.options(dataDirectory: dataDir, serviceCIDR: serviceCidr)
        let credentials = try await NodeCredentials.obtain(from: server, with: tokenTransport, nodeName: options.nodeName, dataDirectory: dataDir)
        let transport = try HTTPTransport(
            configuration: HTTPTransportConfiguration(
                serverURL: server, certificateAuthorityPEM: caBundle, clientCertificatePEM: credentials.certificatePEM,
                clientKeyPEM: credentials.keyPEM, userAgent: "skiff-agent/\(SkiffCommand.version)"),
            logger: logger)
        do {
            try await serveNode(transport: transport, options: options, caBundle: caBundle, logger: logger)
        } catch {
            try? await transport.shutdown()
            throw error
        }
        try await transport.shutdown()
    }

    /// Runs this machine as the node `options` names, acting as the node through `transport`.
    private func serveNode(transport: HTTPTransport, options: NodeAgentOptions, caBundle: String, logger: Logger) async throws {
        let client = KubeClient(transport: transport, fieldManager: "skiff-agent")
        let context = ControllerContext(client: client, logger: logger)
        let metrics = PrometheusExport.bootstrap()
        let node = try NodeServices(
            context: context, agentOptions: options,
            proxyOptions: .init(nodeName: options.nodeName, serviceCIDR: serviceCidr, clusterCIDR: clusterCidr, removeRulesOnExit: options.stopPodsOnExit),
            proxyMetricsAddress: agentOptions.proxyMetricsAddress, kubeletMetricsAddress: agentOptions.kubeletMetricsAddress,
            processMetrics: { metrics.emitToString() }, dns: agentOptions.clusterDNSOptions(nodeOptions: options), logger: logger)
        let serving = try NodeServingCertificate.issue(nodeName: options.nodeName, addresses: [options.nodeIP])
        let kubelet = KubeletServer(
            agent: node.agent,
            configuration: .init(
                bindAddress: options.nodeIP, port: options.kubeletPort, certificateChainPEM: serving.certificateChainPEM,
                privateKeyPEM: serving.keyPEM, clusterCAPEM: caBundle),
            logger: logger
        ) { port in
            logger.info("kubelet endpoint listening", metadata: ["address": "\(options.nodeIP):\(port)"])
        }
        let services: [ServiceGroupConfiguration.ServiceConfiguration] = node.services + [.init(service: kubelet)]
        var configuration = ServiceGroupConfiguration(
            services: services,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger)
        configuration.maximumGracefulShutdownDuration = .seconds(20)
        logger.info("agent joined", metadata: ["server": "\(server)", "node": "\(options.nodeName)"])
        FileHandle.standardOutput.write(Data("Skiff agent is running node \(options.nodeName) against \(server)\n".utf8))
        try await ServiceGroup(configuration: configuration).run()
    }

    private func runHollowNodes(transport: HTTPTransport, count: Int, logger: Logger) async throws {
        try await checkToken(transport)
        let options = HollowNodeOptions(
            namePrefix: hollowNamePrefix, count: count, startDelay: .milliseconds(Int((hollowStartDelay * 1000).rounded())))
        let pool = HollowNodePool(client: KubeClient(transport: transport, fieldManager: "skiff-agent"), options: options, logger: logger)
        var configuration = ServiceGroupConfiguration(
            services: [.init(service: BackgroundWork(name: "hollow-nodes") { await pool.run() })],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger)
        configuration.maximumGracefulShutdownDuration = .seconds(5)
        configuration.maximumCancellationDuration = .seconds(2)
        logger.info("agent joined", metadata: ["server": "\(server)", "hollowNodes": "\(count)", "namePrefix": "\(hollowNamePrefix)"])
        // Written straight to the file descriptor so the line is out at once, even when stdout is a pipe.
        FileHandle.standardOutput.write(Data("Skiff agent is running \(count) hollow nodes (\(hollowNamePrefix)*) against \(server)\n".utf8))
        try await ServiceGroup(configuration: configuration).run()
    }
}

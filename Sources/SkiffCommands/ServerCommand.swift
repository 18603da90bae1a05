import APIMachinery
import APIServer
import ArgumentParser
import EncryptionAtRest
import Foundation
import IngressController
import Logging
import NodeAgent
import PKI
import SQLiteStorage
import ServiceAccountTokens
import ServiceLifecycle
import Storage

/// `skiff server`: the control plane, with the flags k3s users know.
struct ServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server",
        abstract: "Run the Kubernetes API server with its embedded SQLite store.",
        discussion: """
            On first start it creates a cluster CA, serving and admin client certificates under <data-dir>/tls and \
            writes an admin kubeconfig. Point kubectl at it: export KUBECONFIG=<data-dir>/kubeconfig.yaml
            It also writes a join token to <data-dir>/server/token for `skiff agent --token`.
            """)

    @Option(help: "Directory for state, certificates and the kubeconfig (default /var/lib/skiff as root, else ~/.skiff).")
    var dataDir: String?

    @Option(help: "HTTPS port of the API server (0 picks a free port).")
    var httpsListenPort: Int = 6443

    @Option(help: "Address the API server listens on.")
    var bindAddress: String = "127.0.0.1"

    @Option(help: "Where to write the admin kubeconfig (default <data-dir>/kubeconfig.yaml).")
    var writeKubeconfig: String?

    @Option(help: "Extra host name or IP for the serving certificate (repeatable).")
    var tlsSan: [String] = []

    @Option(help: "IPv4 range for Service cluster IPs.")
    var serviceCidr: String = "10.43.0.0/16"

    @Option(help: "Seconds between store compactions (history older than one interval is dropped).")
    var compactionInterval: Int = 300

    @Option(help: "IPv4 range pods' addresses come from; each node gets a /24 of it.")
    var clusterCidr: String = "10.42.0.0/16"

    @Option(help: "Seconds a node may go without renewing its Lease before it is marked NotReady and tainted unreachable.")
    var nodeMonitorGracePeriod: Int = 50

    @Option(help: "How often the metrics server reads every node's CPU and memory (metrics-server's flag): kubectl top and the autoscaler see usage this fresh.")
    var metricsResolution: String = "15s"

    @Option(help: "How often the Horizontal Pod Autoscaler looks at each autoscaler (kube-controller-manager's flag).")
    var horizontalPodAutoscalerSyncPeriod: String = "15s"

    @Flag(help: "Do not run the scheduler (pods stay Pending until something else binds them), as k3s' flag.")
    var disableScheduler = false

    @Flag(help: "Do not run the controllers (node lifecycle, node IPAM, disruption budgets), as k3s' flag.")
    var disableControllerManager = false

    @Option(help: "Simulated nodes to run in this process (hollow nodes report pods Running without running containers).")
    var hollowNodes: Int = 0

    @Option(help: "Seconds a hollow node waits before it reports a bound pod Running.")
    var hollowStartDelay: Double = 0

    @Flag(help: "Do not run the node agent, which registers this machine as a node and runs pods' containers with containerd (as k3s' --disable-agent).")
    var disableAgent = false

    @Flag(help: "Do not run the ingress controller, which serves Ingresses of the `skiff` class on this node (as k3s' --disable traefik).")
    var disableIngress = false

    @Option(help: "Port the ingress serves plain HTTP on (0: none).")
    var ingressHttpPort: Int = 80

    @Option(help: "Port the ingress serves HTTPS on (0: none).")
    var ingressHttpsPort: Int = 443

    @Option(help: "Address (host:port) the ingress serves /metrics on, as ingress-nginx's 10254; empty for none.")
    var ingressMetricsAddress: String = "127.0.0.1:10254"

    @OptionGroup(title: "Node agent")
    var agentOptions: AgentFlags

    @Option(
        help: """
            Kubernetes EncryptionConfiguration file for values encrypted at rest (aesgcm, aescbc, identity providers). \
            By default Secrets are encrypted with AES-GCM under a key the server keeps in <data-dir>/server/encryption-config.yaml, \
            which `skiff secrets-encrypt rotate` replaces.
            """)
    var encryptionProviderConfig: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "skiff.server")
        let dataDirectory = dataDir ?? Self.defaultDataDirectory()
        let kubeconfigPath = writeKubeconfig ?? "\(dataDirectory)/kubeconfig.yaml"
        do {
            // The store holds Secrets: only the owner may read it.
            try FileManager.default.createDirectory(
                atPath: "\(dataDirectory)/db", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw ValidationError("cannot create the data directory \(dataDirectory): \(error.localizedDescription)")
        }

        guard let clusterCIDR = IPv4CIDR(clusterCidr) else {
            throw ValidationError("--cluster-cidr \(clusterCidr) is not an IPv4 CIDR such as 10.42.0.0/16")
        }
        guard hollowNodes >= 0, nodeMonitorGracePeriod > 0, hollowStartDelay >= 0 else {
            throw ValidationError("--hollow-nodes, --hollow-start-delay and --node-monitor-grace-period must not be negative")
        }
        guard let metricsResolution = GoDuration.parse(self.metricsResolution), metricsResolution >= .milliseconds(100) else {
            throw ValidationError("--metrics-resolution \(self.metricsResolution) is not a duration of at least 100ms, such as 15s or 1s")
        }
        guard let autoscalerSyncPeriod = GoDuration.parse(horizontalPodAutoscalerSyncPeriod), autoscalerSyncPeriod >= .milliseconds(100) else {
            throw ValidationError(
                "--horizontal-pod-autoscaler-sync-period \(horizontalPodAutoscalerSyncPeriod) is not a duration of at least 100ms, such as 15s")
        }
        let database = try SQLiteStore(path: "\(dataDirectory)/db/state.db")
        let encryptionConfiguration: EncryptionConfiguration
        do {
            if let encryptionProviderConfig {
                encryptionConfiguration = try EncryptionConfiguration.load(path: encryptionProviderConfig)
            } else {
                encryptionConfiguration = try SecretsEncryption.managedConfiguration(path: Self.encryptionConfigurationPath(dataDirectory: dataDirectory))
            }
        } catch {
            throw ValidationError("encryption at rest: \(error.message)")
        }
        let store = EncryptingStore(backend: database, encryption: ResourceEncryption(encryptionConfiguration))
        // Pods reach the API through the `kubernetes` Service, so its address is in the serving certificate (as in k3s).
        let (hostnames, addresses) = Self.subjectAlternativeNames(
            bindAddress: bindAddress, extra: tlsSan + [try KubernetesAPI.kubernetesServiceIP(serviceCIDR: serviceCidr)])
        let pki = try ClusterPKI.loadOrCreate(directory: "\(dataDirectory)/tls", extraHostnames: hostnames, extraIPAddresses: addresses)
        let api = try KubernetesAPI(
            store: store, serviceCIDR: serviceCidr,
            serviceAccountTokens: try ServiceAccountTokenSigner(privateKeyPEM: pki.serviceAccountKeyPEM),
            serviceAccountAdmission: true, logger: logger)
        api.connectSecretsEncryption(
            SecretsEncryption(
                store: store, managedPath: encryptionProviderConfig == nil ? Self.encryptionConfigurationPath(dataDirectory: dataDirectory) : nil))
        let tokenPath = Self.tokenPath(dataDirectory: dataDirectory)
        let token = try JoinToken.loadOrCreate(path: tokenPath, caCertificatePEM: pki.caCertificatePEM)
        try await api.bootstrap(apiServerPort: httpsListenPort)
        let metricsRegistry = PrometheusExport.bootstrap()
        api.servePrometheusMetrics { metricsRegistry.emitToBuffer() }

        let authenticator = Self.authenticator(pki: pki, token: token, api: api)
        api.connectNodeCredentialIssuer { user, groups in try pki.issueClientCertificate(commonName: user, organizations: groups) }
        api.connectTokenAuthentication { bearer in await authenticator.authenticate(clientCertificateDER: nil, authorization: "Bearer \(bearer)") }

        let clientHost = bindAddress == "0.0.0.0" || bindAddress == "::" ? "127.0.0.1" : bindAddress
        let server = HTTPSServer(
            api: api,
            configuration: HTTPSServerConfiguration(
                bindAddress: bindAddress, port: httpsListenPort, certificateChainPEM: pki.servingCertificatePEM,
                privateKeyPEM: pki.servingKeyPEM, clientCAPEM: pki.caCertificatePEM,
                authenticator: authenticator),
            logger: logger
        ) { port in
            let url = "https://\(clientHost.contains(":") ? "[\(clientHost)]" : clientHost):\(port)"
            let kubeconfig = Kubeconfig.render(
                serverURL: url, caPEM: pki.caCertificatePEM, clientCertificatePEM: pki.adminCertificatePEM, clientKeyPEM: pki.adminKeyPEM)
            do {
                try Kubeconfig.write(kubeconfig, to: kubeconfigPath)
            } catch {
                logger.error("cannot write the kubeconfig", metadata: ["path": "\(kubeconfigPath)", "error": "\(error)"])
            }
            // Written straight to the file descriptor so the line is out at once, even when stdout is a pipe.
            FileHandle.standardOutput.write(
                Data("""
                    Skiff API server is running at \(url); kubeconfig written to \(kubeconfigPath); agent join token in \(tokenPath). \
                    Next: export KUBECONFIG=\(kubeconfigPath); kubectl get nodes

                    """.utf8))
        }
        let kubeletClient = try pki.issueClientCertificate(commonName: "kube-apiserver-kubelet-client", organizations: ["system:masters"])
        let nodeOptions = disableAgent ? nil : serverNodeOptions(dataDirectory: dataDirectory)
        let controlPlane = try ControlPlane(
            api: api,
            options: .init(
                clusterCIDR: clusterCIDR, nodeMonitorGracePeriod: .seconds(nodeMonitorGracePeriod), hollowNodes: hollowNodes,
                runScheduler: !disableScheduler, runControllers: !disableControllerManager, caCertificatePEM: pki.caCertificatePEM,
                hollowStartDelay: .milliseconds(Int64(hollowStartDelay * 1000)), storageDirectory: "\(dataDirectory)/storage",
                agent: nodeOptions,
                proxy: nodeOptions.map {
                    .init(nodeName: $0.nodeName, serviceCIDR: serviceCidr, clusterCIDR: clusterCidr, removeRulesOnExit: $0.stopPodsOnExit)
                },
                proxyMetricsAddress: agentOptions.proxyMetricsAddress, kubeletMetricsAddress: agentOptions.kubeletMetricsAddress,
                clusterDNSAddress: agentOptions.clusterDns ?? IPv4CIDR(serviceCidr)?.address(at: 10),
                dns: nodeOptions.flatMap { agentOptions.clusterDNSOptions(nodeOptions: $0) },
                ingress: disableIngress
                    ? nil
                    : nodeOptions.map {
                        IngressControllerOptions(
                            nodeName: $0.nodeName, httpPort: ingressHttpPort > 0 ? ingressHttpPort : nil,
                            httpsPort: ingressHttpsPort > 0 ? ingressHttpsPort : nil)
                    },
                ingressMetricsAddress: ingressMetricsAddress, metricsResolution: metricsResolution,
                autoscalerSyncPeriod: autoscalerSyncPeriod, kubeletClientCertificatePEM: kubeletClient.certificatePEM, kubeletClientKeyPEM: kubeletClient.keyPEM),
            logger: logger)
        var configuration = ServiceGroupConfiguration(
            services: [
                .init(service: server),
                .init(service: BackgroundWork(name: "namespace-finalizer") { await api.runBackgroundWork() }),
                .init(service: BackgroundWork(name: "store-compactor") {
                    await StoreCompactor(store: database, interval: .seconds(compactionInterval)).run()
                }),
                // Shut down right after the control loops (services stop in reverse order): ending every watch lets
                // the HTTP server drain.
                .init(service: BackgroundWork(name: "watch-closer") {
                    try? await gracefulShutdown()
                    api.beginShutdown()
                    database.close()
                }),
            ] + controlPlane.services + [
                // Stops first: arms a deadline so that a loop that ignores cancellation cannot keep the process alive.
                .init(service: BackgroundWork(name: "shutdown-deadline") {
                    try? await gracefulShutdown()
                    ShutdownDeadline.arm(after: 15, logger: logger)
                })
            ],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger)
        // A client that never lets go of a connection must not keep the server from stopping.
        configuration.maximumGracefulShutdownDuration = .seconds(5)
        configuration.maximumCancellationDuration = .seconds(2)
        try await ServiceGroup(configuration: configuration).run()
    }

    /// The server's own node (its roles are labelled by the server: see `ServerNodeRoles`).
    func serverNodeOptions(dataDirectory: String) -> NodeAgentOptions {
        agentOptions.options(dataDirectory: dataDirectory, serviceCIDR: serviceCidr)
    }

    /// The server's own encryption configuration, next to the join token.
    static func encryptionConfigurationPath(dataDirectory: String) -> String { "\(dataDirectory)/server/encryption-config.yaml" }

    static func defaultDataDirectory() -> String {
        if getuid() == 0 { return "/var/lib/skiff" }
        return "\(NSHomeDirectory())/.skiff"
    }

    /// Splits `--tls-san` values and the bind address into DNS names and IP addresses.
    static func subjectAlternativeNames(bindAddress: String, extra: [String]) -> (hostnames: [String], addresses: [String]) {
        var hostnames: [String] = []
        var addresses: [String] = []
        for name in extra + [bindAddress] where !name.isEmpty && name != "0.0.0.0" && name != "::" {
            if name.split(separator: ".").count == 4 && name.split(separator: ".").allSatisfy({ UInt8($0) != nil }) || name.contains(":") {
                addresses.append(name)
            } else {
                hostnames.append(name)
            }
        }
        return (hostnames, addresses)
    }
}

/// The node agent as a `Service`: started with the control loops, stopped before the API server.
struct AgentService: Service {
    let agent: NodeAgent

    func run() async throws {
        try await cancelWhenGracefulShutdown {
            try await agent.run()
        }
    }
}

/// A long-running loop as a `Service`, so the service group starts it and cancels it at shutdown.
struct BackgroundWork: Service {
    let name: String
    let body: @Sendable () async -> Void

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await body()
        }
    }
}

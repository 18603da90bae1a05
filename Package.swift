// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "skiff",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "skiff", targets: ["skiff"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.0"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.0"),
        .package(url: "https://github.com/apple/swift-nio-http2.git", from: "1.46.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),
        .package(url: "https://github.com/grpc/grpc-swift-2.git", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport.git", from: "2.9.2"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // Lossless JSON, Kubernetes Status errors, selectors, patches, quantities and time: the API's value types.
        .target(name: "APIMachinery"),
        // Read-only views of Kubernetes objects (metadata, owner references, the kinds controllers act on) over the
        // lossless JSON, with Kubernetes' defaults in one place: what every component reads objects through.
        .target(name: "KubeObjects", dependencies: ["APIMachinery"]),
        // The revisioned key-value store protocol every backend implements.
        .target(name: "Storage"),
        // Values encrypted at rest: Kubernetes' EncryptionConfiguration providers as a layer over any store, and the
        // server's own keys with their rotation.
        .target(
            name: "EncryptionAtRest",
            dependencies: [
                "Storage", .product(name: "Crypto", package: "swift-crypto"), .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // The embedded default backend: a kine-style revision log in SQLite.
        .target(
            name: "SQLiteStorage",
            dependencies: ["Storage", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        // Kubernetes protobuf request bodies decoded into JSON, driven by the .proto schemas.
        .target(name: "KubeProtobuf", dependencies: ["APIMachinery"]),
        // The built-in resources (from the OpenAPI spec), their schemas, defaulting, validation and tables.
        .target(
            name: "APIRegistry",
            dependencies: ["APIMachinery"],
            resources: [.copy("Resources/kubernetes-openapi-v2.json")]
        ),
        // Certificates and kubeconfig files.
        .target(
            name: "PKI",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ]
        ),
        // Who may do what: Kubernetes' RBAC authorizer over the cluster's roles and bindings, the escalation check, and
        // the bootstrap policy every cluster starts with.
        .target(name: "Authorization", dependencies: ["APIMachinery", "KubeObjects"]),
        // Pod Security admission: the Pod Security Standards' checks, namespaces' labels, Kubernetes' refusals and warnings.
        .target(name: "PodSecurity", dependencies: ["APIMachinery", "KubeObjects"]),
        // ResourceQuota's accounting: what pods, services, claims and other objects use, which quotas and scopes an
        // object falls under, the admission check that charges a write, and the usage the quota controller records.
        .target(name: "ResourceQuota", dependencies: ["APIMachinery", "KubeObjects"]),
        // LimitRanger: containers' default requests and limits, and the min, max and limit/request ratio a namespace's
        // LimitRanges set for containers, pods and claims.
        .target(name: "LimitRanges", dependencies: ["APIMachinery", "KubeObjects", "ResourceQuota"]),
        // Service-account tokens: JWTs signed and verified with the server's service-account key.
        .target(name: "ServiceAccountTokens", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        // The Kubernetes verbs over a transport: how every component other than the store reaches the cluster.
        .target(name: "KubeClient", dependencies: ["APIMachinery"]),
        // The Kubernetes REST API over HTTPS from another process (agents, tools), with AsyncHTTPClient.
        .target(
            name: "KubeHTTPClient",
            dependencies: [
                "APIMachinery", "KubeClient",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Informers, work queues, worker runners and event recording shared by the scheduler, controllers and agents.
        .target(
            name: "ControllerRuntime",
            dependencies: [
                "APIMachinery", "KubeClient", "KubeObjects", .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        // Simulated nodes: Node and Lease heartbeats and pod status without containers, thousands per process.
        .target(
            name: "HollowNodes",
            dependencies: ["APIMachinery", "KubeClient", "KubeObjects", "ControllerRuntime", "NodeAgent", .product(name: "Logging", package: "swift-log")]
        ),
        // kube-scheduler's filters, scores and preemption over an in-memory cluster snapshot.
        .target(name: "SchedulingFramework", dependencies: ["APIMachinery", "KubeObjects"]),
        // The scheduler service: queue, snapshot from informers, binding, events.
        .target(
            name: "Scheduler",
            dependencies: [
                "APIMachinery", "KubeClient", "KubeObjects", "ControllerRuntime", "SchedulingFramework", "ResourceQuota",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        // The control loops of the control plane: nodes, workloads, endpoints, garbage collection, disruption budgets and
        // namespaces' defaults.
        .target(
            name: "Controllers",
            dependencies: [
                "APIMachinery", "KubeClient", "KubeObjects", "ControllerRuntime", "SchedulingFramework", "ResourceQuota",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // A node's and its containers' CPU and memory readings, and the kubelet's `/metrics/resource` text they
        // travel in from the node to the control plane.
        .target(name: "ResourceUsage"),
        // metrics-server in the control plane: scrapes every node's resource usage each resolution and answers the
        // `metrics.k8s.io` API (NodeMetrics, PodMetrics) from the last two readings.
        .target(
            name: "MetricsServer",
            dependencies: [
                "APIMachinery", "KubeClient", "KubeObjects", "ControllerRuntime", "ResourceUsage", .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The kubelet: the Node and its Lease, containerd, pods' sandboxes and containers through CRI, probes, volumes,
        // logs, eviction and exec/attach sessions.
        .target(
            name: "NodeAgent",
            dependencies: [
                "APIMachinery", "KubeClient", "KubeObjects", "ControllerRuntime", "CRI", "ResourceUsage", .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                // Probes and lifecycle hooks: HTTP(S) GETs, TCP connects and gRPC health checks against pods.
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2Posix", package: "grpc-swift-nio-transport"),
            ]
        ),
        // The Kubernetes REST API: verbs, watch, subresources, admission and namespace lifecycle over the store, served
        // over HTTPS and, in-process, to the server's own components.
        .target(
            name: "APIServer",
            dependencies: [
                "APIMachinery", "Storage", "APIRegistry", "KubeProtobuf", "KubeClient", "KubeObjects", "ServiceAccountTokens", "ContainerStreams",
                "HTTPSEndpoint", "Authorization", "EncryptionAtRest", "PodSecurity", "ResourceQuota", "LimitRanges",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        // nftables from Swift: `nft -f` transactions, and table contents diffed into the smallest transaction.
        .target(name: "NFTables"),
        // kube-proxy in nftables mode: Services and EndpointSlices programmed into the node's `ip skiff` table.
        .target(
            name: "ServiceProxy",
            dependencies: ["APIMachinery", "KubeClient", "KubeObjects", "ControllerRuntime", "NFTables", .product(name: "Logging", package: "swift-log")]
        ),
        // NetworkPolicy enforced on each node: the node's pods' ingress and egress filtered in its `ip skiff-policy`
        // table, from pod, namespace and policy informers.
        .target(
            name: "NetworkPolicies",
            dependencies: ["APIMachinery", "KubeClient", "KubeObjects", "ControllerRuntime", "NFTables", .product(name: "Logging", package: "swift-log")]
        ),
        // The DNS wire format (RFC 1035, 2181, 2782, 6891): names, records and messages, parsed and written.
        .target(name: "DNSWire"),
        // The cluster DNS each node serves its pods: Kubernetes' DNS schema from the node's informer cache, other names
        // forwarded to the node's resolvers.
        .target(
            name: "ClusterDNS",
            dependencies: [
                "APIMachinery", "DNSWire", "KubeClient", "KubeObjects", "ControllerRuntime",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // k3s' local-path provisioner as part of every node: claims of the `local-path` class get a directory of the
        // node's and a PersistentVolume pinned to it; released ones are removed.
        .target(
            name: "LocalPathProvisioner",
            dependencies: [
                "APIMachinery", "KubeClient", "KubeObjects", "ControllerRuntime",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The ingress controller: Ingresses of the `skiff` class served on the node's ports 80 and 443, proxied to
        // the Services' ready endpoints with SwiftNIO (HTTP/1.1, TLS by SNI, upgrades passed through).
        .target(
            name: "IngressController",
            dependencies: [
                "APIMachinery", "KubeClient", "KubeObjects", "ControllerRuntime", "PKI",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
            ]
        ),
        // The HTTPS listener the API server and the kubelet endpoint share: TLS with client certificates from the
        // cluster CA, HTTP/1.1 with websocket upgrades.
        .target(
            name: "HTTPSEndpoint",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The system's zlib: SPDY header blocks (port-forward) are deflated with a preset dictionary.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // `kubectl exec`/`attach`/`port-forward` streams relayed from the client through the server and the node to the container runtime.
        .target(
            name: "ContainerStreams",
            dependencies: [
                "APIMachinery", "CZlib",
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The node agent's HTTPS endpoint the API server calls, as the kubelet's: container logs, exec and attach.
        .target(
            name: "KubeletServer",
            dependencies: [
                "APIMachinery", "NodeAgent", "ContainerStreams", "HTTPSEndpoint", "ResourceUsage", "PKI",
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The `skiff` subcommands and the composition root of each process.
        .target(
            name: "SkiffCommands",
            dependencies: [
                "APIMachinery", "APIServer", "Authorization", "APIRegistry", "KubeObjects", "SQLiteStorage", "PKI", "ServiceAccountTokens", "Storage", "KubeClient", "KubeHTTPClient", "ControllerRuntime", "HollowNodes",
                "Controllers", "Scheduler", "NodeAgent", "KubeletServer", "ContainerStreams", "ServiceProxy", "NetworkPolicies", "ClusterDNS", "IngressController", "LocalPathProvisioner",
                "MetricsServer", "ResourceUsage", "EncryptionAtRest",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The Container Runtime Interface (CRI v1) over gRPC: generated messages and stubs plus a thin client.
        .target(
            name: "CRI",
            dependencies: [
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2Posix", package: "grpc-swift-nio-transport"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        // Test support: a real API server in-process and a hand-driven clock.
        .target(
            name: "ClusterTestSupport",
            dependencies: ["APIServer", "SQLiteStorage", "KubeClient", "APIMachinery", .product(name: "Logging", package: "swift-log")]
        ),
        .executableTarget(
            name: "skiff", dependencies: ["SkiffCommands", .product(name: "ArgumentParser", package: "swift-argument-parser")]),

        .testTarget(
            name: "ClusterDNSTests",
            dependencies: [
                "ClusterDNS", "DNSWire", "APIMachinery", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"), .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "DNSWireTests", dependencies: ["DNSWire"]),
        .testTarget(name: "ResourceUsageTests", dependencies: ["ResourceUsage"]),
        .testTarget(name: "MetricsServerTests", dependencies: ["MetricsServer", "ResourceUsage", "APIMachinery"]),
        .testTarget(name: "IngressControllerTests", dependencies: ["IngressController", "APIMachinery", "ControllerRuntime", "KubeObjects"]),
        .testTarget(name: "APIMachineryTests", dependencies: ["APIMachinery"]),
        .testTarget(name: "AuthorizationTests", dependencies: ["Authorization", "APIMachinery", "KubeObjects"]),
        .testTarget(name: "PodSecurityTests", dependencies: ["PodSecurity", "APIMachinery", "KubeObjects"]),
        .testTarget(name: "ResourceQuotaTests", dependencies: ["ResourceQuota", "APIMachinery"]),
        .testTarget(name: "LimitRangesTests", dependencies: ["LimitRanges", "ResourceQuota", "APIMachinery"]),
        .testTarget(name: "KubeObjectsTests", dependencies: ["KubeObjects", "APIMachinery"]),
        .testTarget(name: "ServiceProxyTests", dependencies: ["ServiceProxy", "NFTables", "APIMachinery"]),
        .testTarget(name: "NetworkPoliciesTests", dependencies: ["NetworkPolicies", "NFTables", "APIMachinery"]),
        .testTarget(name: "StorageConformanceTests", dependencies: ["Storage", "SQLiteStorage", "EncryptionAtRest"]),
        .testTarget(name: "EncryptionAtRestTests", dependencies: ["EncryptionAtRest", "Storage", "SQLiteStorage"]),
        .testTarget(name: "KubeProtobufTests", dependencies: ["KubeProtobuf", "APIMachinery"]),
        .testTarget(name: "APIRegistryTests", dependencies: ["APIRegistry", "APIMachinery"]),
        .testTarget(
            name: "PKITests",
            dependencies: ["PKI", .product(name: "X509", package: "swift-certificates"), .product(name: "SwiftASN1", package: "swift-asn1")]),
        .testTarget(name: "ContainerStreamsTests", dependencies: ["ContainerStreams", "CZlib", .product(name: "NIOCore", package: "swift-nio")]),
        .testTarget(name: "ServiceAccountTokensTests", dependencies: ["ServiceAccountTokens", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(
            name: "APIServerTests",
            dependencies: ["APIServer", "APIMachinery", "ContainerStreams", "ClusterTestSupport", "KubeClient", "KubeObjects"]),
        .testTarget(
            name: "KubeHTTPClientTests",
            dependencies: [
                "KubeHTTPClient", "KubeClient", "APIMachinery", "APIServer", "PKI", "SQLiteStorage",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(name: "CRITests", dependencies: ["CRI"]),
        .testTarget(name: "SchedulingFrameworkTests", dependencies: ["SchedulingFramework", "APIMachinery"]),
        .testTarget(
            name: "NodeAgentTests",
            dependencies: [
                "NodeAgent", "CRI", "APIMachinery", "APIRegistry", "ClusterTestSupport", "ControllerRuntime", "KubeClient",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2Posix", package: "grpc-swift-nio-transport"),
            ]),
        .testTarget(name: "ControllerRuntimeTests", dependencies: ["ControllerRuntime", "KubeClient", "ClusterTestSupport", "APIMachinery"]),
        .testTarget(
            name: "ControllersTests",
            dependencies: ["Controllers", "HollowNodes", "ControllerRuntime", "KubeClient", "ClusterTestSupport", "APIMachinery"]),
        .testTarget(
            name: "SchedulerTests",
            dependencies: ["Scheduler", "HollowNodes", "ControllerRuntime", "KubeClient", "ClusterTestSupport", "APIMachinery"]),
    ]
)

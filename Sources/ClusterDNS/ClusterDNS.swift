import APIMachinery
import ControllerRuntime
import DNSWire
import KubeClient
import KubeObjects
import Logging
import NIOCore
import NIOPosix

/// How a node serves the cluster's names.
public struct ClusterDNSOptions: Sendable {
    public var nodeName: String
    /// The cluster domain (`--cluster-domain`, cluster.local).
    public var clusterDomain: String
    /// The kube-dns Service's address, `ns.dns.<domain>`'s A record.
    public var clusterDNS: String?
    /// The node's own resolvers, which answer every name outside the cluster.
    public var upstreams: [String]
    public var port: Int

    public init(nodeName: String, clusterDomain: String, clusterDNS: String?, upstreams: [String], port: Int = 53) {
        self.nodeName = nodeName
        self.clusterDomain = clusterDomain
        self.clusterDNS = clusterDNS
        self.upstreams = upstreams
        self.port = port
    }
}

/// The cluster DNS, node-local as NodeLocal DNSCache is: every node answers its own pods from its own informer cache
/// of Services and EndpointSlices, on its pods' gateway address, so that no lookup crosses the network. The node
/// publishes that address in its `skiff.dev/cluster-dns` annotation; the control plane lists every node's in the
/// `kube-dns` Service's EndpointSlice, whose `internalTrafficPolicy: Local` keeps each node's queries to itself.
public final class ClusterDNS: Sendable {
    public static let addressAnnotation = "skiff.dev/cluster-dns"

    private let client: KubeClient
    private let services: Informer
    private let slices: Informer
    private let records = ClusterRecords()
    private let options: ClusterDNSOptions
    private let logger: Logger
    private let listenAddress: @Sendable () async -> String?
    public let metrics = DNSMetrics()

    /// - Parameter listenAddress: the address to answer on, once the node has one (nil: the node stops first).
    public init(context: ControllerContext, options: ClusterDNSOptions, listenAddress: @escaping @Sendable () async -> String?) {
        client = context.client
        services = context.informer(.services)
        slices = context.informer(.endpointSlices)
        self.options = options
        logger = context.logger
        self.listenAddress = listenAddress
        services.addHandler(
            InformerHandler(
                onAdd: { [records] in records.serviceChanged($0) }, onUpdate: { [records] in records.serviceChanged($1) },
                onDelete: { [records] in records.serviceChanged($0, deleted: true) }))
        slices.addHandler(
            InformerHandler(
                onAdd: { [records] in records.sliceChanged($0) },
                onUpdate: { [records] old, new in
                    // A slice relabelled to another Service leaves the first one.
                    if EndpointSlice(old).serviceName != EndpointSlice(new).serviceName { records.sliceChanged(old, deleted: true) }
                    records.sliceChanged(new)
                }, onDelete: { [records] in records.sliceChanged($0, deleted: true) }))
    }

    /// Answers until cancelled, once the caches are loaded and the node has its address.
    public func run() async {
        await services.waitForSync()
        await slices.waitForSync()
        guard let address = await listenAddress(), let zone = DNSName(options.clusterDomain) else { return }
        let group = MultiThreadedEventLoopGroup.singleton
        let forwarder = UpstreamForwarder(upstreams: options.upstreams, group: group, logger: logger)
        let resolver = ClusterResolver(zone: zone, records: records, nameserverAddress: options.clusterDNS.flatMap { IPv4Address($0) })
        let listener = DNSListener(resolver: resolver, forwarder: forwarder, metrics: metrics)
        let channels: [any Channel]
        do {
            channels = try await listener.bind(host: address, port: options.port, group: group)
        } catch {
            logger.error("cluster DNS not served", metadata: ["address": "\(address):\(options.port)", "error": "\(error)"])
            await forwarder.shutdown()
            return
        }
        logger.info("cluster DNS answering", metadata: ["address": "\(address):\(options.port)", "upstreams": "\(options.upstreams)"])
        await publish(address)
        while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
        for channel in channels { try? await channel.close() }
        await forwarder.shutdown()
    }

    /// Writes the node's DNS address on its Node, retrying until the API takes it.
    private func publish(_ address: String) async {
        let patch: JSONValue = ["metadata": ["annotations": .object([Self.addressAnnotation: .string(address)])]]
        while !Task.isCancelled {
            do {
                _ = try await client.patch(.nodes, name: options.nodeName, type: .merge, patch)
                return
            } catch {
                logger.debug("cluster DNS address not yet on the node", metadata: ["error": "\(error.message)"])
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }
}

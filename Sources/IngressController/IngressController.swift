import APIMachinery
import ControllerRuntime
import Foundation
import KubeClient
import KubeObjects
import Logging
import NIOCore
import NIOPosix
import PKI
import Synchronization

/// How the ingress is served.
public struct IngressControllerOptions: Sendable {
    /// The node it runs on, whose InternalIP the served Ingresses report as their address.
    public var nodeName: String
    public var bindAddress: String
    /// `--ingress-http-port`, `--ingress-https-port`; nil leaves that one out.
    public var httpPort: Int?
    public var httpsPort: Int?

    public init(nodeName: String, bindAddress: String = "0.0.0.0", httpPort: Int? = 80, httpsPort: Int? = 443) {
        self.nodeName = nodeName
        self.bindAddress = bindAddress
        self.httpPort = httpPort
        self.httpsPort = httpsPort
    }
}

/// The ingress controller built into the server: it serves every Ingress of the `skiff` IngressClass (and those
/// without a class, the class being the default) on the node's ports 80 and 443, proxying to the Services' ready
/// endpoints, as Traefik does on k3s. It keeps the class in place, reports the node's address in each served
/// Ingress's status and explains with Events what it cannot serve.
public final class IngressController: Sendable {
    public static let className = "skiff"
    public static let controllerName = "skiff.dev/ingress"
    static let defaultClassAnnotation = "ingressclass.kubernetes.io/is-default-class"

    private enum Key: Hashable, Sendable {
        /// The route table, certificates, statuses and Events: anything an Ingress, IngressClass or Secret changes.
        case routes
        case service(String)
    }

    private struct State {
        /// Service key → slice name → slice.
        var slices: [String: [String: JSONValue]] = [:]
        var services: [String: ServiceEndpoints] = [:]
        var snapshot = IngressSnapshot()
        /// The TLS Secrets the routes use, so that a change to one of them rebuilds them.
        var usedSecrets: Set<ObjectKey> = []
        /// The problems last reported per Ingress, so that each is reported once.
        var reported: [ObjectKey: Set<String>] = [:]
    }

    private let client: KubeClient
    private let ingresses: Informer
    private let classes: Informer
    private let services: Informer
    private let slices: Informer
    private let secrets: Informer
    private let nodes: Informer
    private let recorder: EventRecorder
    private let options: IngressControllerOptions
    private let logger: Logger
    private let queue = WorkQueue<Key>()
    private let state = Mutex(State())
    public let metricsText: @Sendable () -> String
    private let metrics: IngressMetrics

    public init(context: ControllerContext, options: IngressControllerOptions) {
        client = context.client
        ingresses = context.informer(.ingresses)
        classes = context.informer(.ingressClasses)
        services = context.informer(.services)
        slices = context.informer(.endpointSlices)
        secrets = context.informer(.secrets)
        nodes = context.informer(.nodes, selectors: ListOptions(fieldSelector: "metadata.name=\(options.nodeName)"))
        recorder = context.recorder(component: "skiff-ingress")
        self.options = options
        logger = context.logger
        let metrics = IngressMetrics()
        self.metrics = metrics
        metricsText = { metrics.text }
    }

    /// The state a request is served from.
    var snapshot: IngressSnapshot { state.withLock { $0.snapshot } }

    public func run() async {
        let queue = self.queue
        let routes = InformerHandler(onAdd: { _ in queue.add(.routes) }, onUpdate: { _, _ in queue.add(.routes) }, onDelete: { _ in queue.add(.routes) })
        ingresses.addHandler(routes)
        classes.addHandler(routes)
        nodes.addHandler(routes)
        let usesSecret: @Sendable (JSONValue) -> Void = { secret in
            let key = ObjectKey(secret)
            if self.state.withLock({ $0.usedSecrets.contains(key) }) { queue.add(.routes) }
        }
        secrets.addHandler(InformerHandler(onAdd: usesSecret, onUpdate: { _, new in usesSecret(new) }, onDelete: usesSecret))
        services.addHandler(.enqueue(queue) { .service(Self.serviceKey($0)) })
        slices.addHandler(
            InformerHandler(
                onAdd: { [weak self] in self?.sliceChanged($0, deleted: false) },
                onUpdate: { [weak self] old, new in
                    if EndpointSlice(old).serviceName != EndpointSlice(new).serviceName { self?.sliceChanged(old, deleted: true) }
                    self?.sliceChanged(new, deleted: false)
                },
                onDelete: { [weak self] in self?.sliceChanged($0, deleted: true) }))
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.ensureClass() }
            group.addTask { await self.serve() }
            group.addTask {
                await ControllerWorkers.run(queue, workers: 1, name: "ingress-controller", logger: self.logger) { key throws(APIError) in
                    try await self.reconcile(key)
                }
            }
            await group.waitForAll()
        }
    }

    private static func serviceKey(_ object: JSONValue) -> String {
        IngressSnapshot.serviceKey(namespace: object.metadata.namespace ?? "default", name: object.metadata.name)
    }

    private func sliceChanged(_ slice: JSONValue, deleted: Bool) {
        guard let service = EndpointSlice(slice).serviceName else { return }
        let key = IngressSnapshot.serviceKey(namespace: slice.metadata.namespace ?? "default", name: service)
        state.withLock { state in
            state.slices[key, default: [:]][slice.metadata.name] = deleted ? nil : slice
            if state.slices[key]?.isEmpty == true { state.slices[key] = nil }
        }
        queue.add(.service(key))
    }

    /// Listens once the caches are loaded, so that the first requests already find their routes.
    private func serve() async {
        for informer in [ingresses, classes, services, slices, secrets] { await informer.waitForSync() }
        let credential: TLSCredential
        do {
            let pair = try SelfSignedCertificate.issue(commonName: "Kubernetes Ingress Controller Fake Certificate", hostnames: ["ingress.local"])
            credential = try TLSCredential(certificatePEM: Array(pair.certificatePEM.utf8), keyPEM: Array(pair.keyPEM.utf8))
        } catch {
            logger.error("ingress default certificate not made", metadata: ["error": "\(error)"])
            return
        }
        let server = IngressServer(snapshot: { self.snapshot }, metrics: metrics, logger: logger, defaultCredential: credential)
        let channels: [any Channel]
        do {
            channels = try await server.bind(
                host: options.bindAddress, httpPort: options.httpPort, httpsPort: options.httpsPort, group: MultiThreadedEventLoopGroup.singleton)
        } catch {
            logger.error(
                "ingress not served", metadata: ["address": "\(options.bindAddress)", "ports": "\(options.httpPort ?? 0),\(options.httpsPort ?? 0)", "error": "\(error)"])
            return
        }
        logger.info("ingress serving", metadata: ["http": "\(options.httpPort.map(String.init) ?? "off")", "https": "\(options.httpsPort.map(String.init) ?? "off")"])
        while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
        for channel in channels { try? await channel.close() }
    }

    /// Creates the `skiff` IngressClass, the default, when no class of that name exists.
    private func ensureClass() async {
        let ingressClass: JSONValue = [
            "apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
            "metadata": ["name": .string(Self.className), "annotations": [.init(stringLiteral: Self.defaultClassAnnotation): "true"]],
            "spec": ["controller": .string(Self.controllerName)],
        ]
        while !Task.isCancelled {
            do {
                _ = try await client.create(.ingressClasses, ingressClass)
                return
            } catch where error.isAlreadyExists {
                return
            } catch {
                logger.debug("ingress class not yet created", metadata: ["error": "\(error.message)"])
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    private func reconcile(_ key: Key) async throws(APIError) -> ReconcileResult {
        switch key {
        case .service(let serviceKey):
            let parts = serviceKey.split(separator: "/", maxSplits: 1).map(String.init)
            let service = parts.count == 2 ? services.get(ObjectKey(namespace: parts[0], name: parts[1])) : nil
            state.withLock { state in
                if let service {
                    state.services[serviceKey] = ServiceEndpoints(service: Service(service), slices: (state.slices[serviceKey] ?? [:]).values.map(EndpointSlice.init))
                } else {
                    state.services[serviceKey] = nil
                }
                state.snapshot = IngressSnapshot(routes: state.snapshot.routes, services: state.services, credentials: state.snapshot.credentials)
            }
            return .done
        case .routes:
            return try await reconcileRoutes()
        }
    }

    /// Whether this controller serves `ingress`: its class is one of ours, or it names none and one of ours is the
    /// default.
    private func serves(_ ingress: Ingress, classes: [IngressClassView]) -> Bool {
        let ours = classes.filter { $0.controller == Self.controllerName }
        if let name = ingress.className { return ours.contains { $0.name == name } }
        return ours.contains { $0.isDefault }
    }

    private struct IngressClassView {
        let name: String
        let controller: String
        let isDefault: Bool

        init(_ json: JSONValue) {
            name = json.metadata.name
            controller = json[path: "spec", "controller"]?.stringValue ?? ""
            isDefault = json.metadata.annotations[IngressController.defaultClassAnnotation] == "true"
        }
    }

    private func reconcileRoutes() async throws(APIError) -> ReconcileResult {
        let classList = classes.list().map(IngressClassView.init)
        let served = ingresses.list().map(Ingress.init).filter { serves($0, classes: classList) }
        let table = IngressRouteTable(ingresses: served, metrics: metrics)
        var problems: [ObjectKey: [(reason: String, message: String)]] = [:]
        for problem in table.problems { problems[problem.ingress, default: []].append((problem.reason, problem.message)) }
        var credentials: [ObjectKey: TLSCredential] = [:]
        let usedSecrets = Set(table.tlsSecrets.values)
        for secretKey in usedSecrets {
            guard let secret = secrets.get(secretKey) else {
                for ingress in served where ingress.spec.tls.contains(where: { $0.secretName == secretKey.name }) && ingress.metadata.namespace == secretKey.namespace {
                    problems[ObjectKey(ingress.json), default: []].append(("SecretNotFound", "TLS Secret \(secretKey) not found; the default certificate is served"))
                }
                continue
            }
            do {
                credentials[secretKey] = try Self.credential(from: secret)
            } catch {
                for ingress in served where ingress.spec.tls.contains(where: { $0.secretName == secretKey.name }) && ingress.metadata.namespace == secretKey.namespace {
                    problems[ObjectKey(ingress.json), default: []].append(("InvalidSecret", "TLS Secret \(secretKey) has no usable tls.crt and tls.key: \(error)"))
                }
            }
        }
        for ingress in served {
            let namespace = ingress.metadata.namespace ?? "default"
            let backends = ingress.spec.rules.flatMap { $0.paths.map(\.backend) } + (ingress.spec.defaultBackend.map { [$0] } ?? [])
            for name in Set(backends.compactMap(\.serviceName)) where services.get(ObjectKey(namespace: namespace, name: name)) == nil {
                problems[ObjectKey(ingress.json), default: []].append(("ServiceNotFound", "Service \(namespace)/\(name) not found; its paths answer 503"))
            }
            for rejected in IngressAnnotations(annotations: ingress.metadata.annotations).rejected {
                problems[ObjectKey(ingress.json), default: []].append(("InvalidAnnotation", "annotation ignored: \(rejected)"))
            }
        }
        let newProblems = state.withLock { state in
            state.snapshot = IngressSnapshot(routes: table, services: state.services, credentials: credentials)
            state.usedSecrets = usedSecrets
            var fresh: [(ObjectKey, String, String)] = []
            var reported: [ObjectKey: Set<String>] = [:]
            for (key, list) in problems {
                let messages = Set(list.map(\.message))
                reported[key] = messages
                for problem in list where !(state.reported[key]?.contains(problem.message) ?? false) { fresh.append((key, problem.reason, problem.message)) }
            }
            state.reported = reported
            return fresh
        }
        for (key, reason, message) in newProblems {
            if let ingress = ingresses.get(key) { recorder.record(ingress, type: .warning, reason: reason, message: message) }
        }
        for ingress in served { try await publishAddress(ingress) }
        return .done
    }

    static func credential(from secret: JSONValue) throws -> TLSCredential {
        guard let certificate = secret[path: "data", "tls.crt"]?.stringValue.flatMap({ Data(base64Encoded: $0) }),
            let key = secret[path: "data", "tls.key"]?.stringValue.flatMap({ Data(base64Encoded: $0) })
        else { throw IngressSecretError.missingKeys }
        return try TLSCredential(certificatePEM: Array(certificate), keyPEM: Array(key))
    }

    enum IngressSecretError: Error, CustomStringConvertible {
        case missingKeys
        var description: String { "tls.crt or tls.key missing" }
    }

    /// Writes the node's addresses into the Ingress's `status.loadBalancer.ingress`, what `kubectl get ingress`
    /// shows as ADDRESS, when they differ.
    private func publishAddress(_ ingress: Ingress) async throws(APIError) {
        guard let node = nodes.get(ObjectKey(namespace: nil, name: options.nodeName)) else { return }
        let addresses = Node(node).status.internalIPs
        guard !addresses.isEmpty else { return }
        let current = (ingress.json[path: "status", "loadBalancer", "ingress"]?.arrayValue ?? []).compactMap { $0["ip"]?.stringValue }
        guard current != addresses else { return }
        let patch: JSONValue = ["status": ["loadBalancer": ["ingress": .array(addresses.map { ["ip": .string($0)] })]]]
        do {
            _ = try await client.patch(.ingresses, namespace: ingress.metadata.namespace, name: ingress.metadata.name, type: .merge, patch, subresource: "status")
        } catch where error.isNotFound {
            return
        }
    }
}

import APIMachinery
import APIRegistry
import EncryptionAtRest
import Foundation
import Logging
import PodSecurity
import ServiceAccountTokens
import Storage
import Synchronization

/// The Kubernetes REST API: discovery, OpenAPI and the verbs on every built-in resource.
///
/// It knows nothing of HTTP libraries: the HTTP edge hands it an `APIRequest` and writes the `APIResponse`.
public final class KubernetesAPI: Sendable {
    let catalog: ResourceCatalog
    let objects: ObjectStore
    let openAPI: OpenAPIDocuments
    let schema: APISchema
    let services: ServiceAddressAllocator
    let logger: Logger
    let readiness: Readiness
    let namespaceFinalizer = NamespaceFinalizer()
    let authorizer = RequestAuthorizer()
    /// The quotas and limit ranges admission reads, kept current from the store.
    let admissionObjects: AdmissionObjects
    /// Quota charges, one batch at a time per namespace.
    let quotaCharges = QuotaChargeQueue()
    /// Pod Security admission with Kubernetes' defaults: namespaces without labels are privileged, nothing is exempt.
    let podSecurity = PodSecurityAdmission()
    let nodeConnections = ProviderSlot<any NodeConnections>()
    let metricsProvider = ProviderSlot<any ResourceMetricsProvider>()
    /// Who a bearer token stands for, as the HTTPS edge authenticates it: what TokenReview answers.
    let tokenAuthenticator = ProviderSlot<@Sendable (String) async -> AuthenticatedUser?>()
    /// Issues client certificates from the cluster CA, for the node-credentials endpoint.
    let nodeCredentialIssuer = ProviderSlot<@Sendable (String, [String]) throws -> (certificatePEM: String, keyPEM: String)>()
    /// Secrets' encryption at rest, for `skiff secrets-encrypt`; unset when the store is not encrypted.
    let secretsEncryption = ProviderSlot<SecretsEncryption>()
    /// What `/metrics` answers: the process's Prometheus exposition, from whatever it bootstrapped.
    let metricsPage = ProviderSlot<@Sendable () -> [UInt8]>()
    /// Signs the tokens `serviceaccounts/token` hands out and verifies them when they come back.
    let serviceAccountTokens: ServiceAccountTokenSigner
    /// Whether new pods pass the ServiceAccount admission plugin.
    let admitsServiceAccounts: Bool
    private let shuttingDown = Atomic<Bool>(false)

    /// Kubernetes' request body limit (3 MiB); larger bodies get 413.
    public static let maximumBodyBytes = 3 * 1024 * 1024

    /// - Parameters:
    ///   - serviceAccountTokens: the signer of service-account tokens; by default one with a key of its own, whose
    ///     tokens do not outlive the process.
    ///   - serviceAccountAdmission: whether new pods pass the ServiceAccount admission plugin, which needs the
    ///     service-account controller running. Test servers leave it off, as Kubernetes' integration-test servers do.
    public init(
        store: any RevisionedStore, serviceCIDR: String = "10.43.0.0/16",
        serviceAccountTokens: ServiceAccountTokenSigner = ServiceAccountTokenSigner(), serviceAccountAdmission: Bool = false,
        logger: Logger
    ) throws {
        self.serviceAccountTokens = serviceAccountTokens
        self.admitsServiceAccounts = serviceAccountAdmission
        self.catalog = .builtIn
        self.admissionObjects = AdmissionObjects(catalog: .builtIn)
        self.objects = ObjectStore(backend: store)
        self.openAPI = OpenAPIDocuments()
        self.schema = .builtIn
        self.services = try ServiceAddressAllocator(cidr: serviceCIDR)
        self.logger = logger
        self.readiness = Readiness()
    }

    /// The first address of the service range, held by the `kubernetes` Service.
    public var kubernetesServiceIP: String { services.kubernetesServiceIP }

    /// The `kubernetes` Service's address for a service range, before there is a server (its certificate names it).
    public static func kubernetesServiceIP(serviceCIDR: String) throws(APIError) -> String {
        try ServiceAddressAllocator(cidr: serviceCIDR).kubernetesServiceIP
    }

    /// Serves `/metrics` from the process's metrics exporter, as kube-apiserver serves its own (and, the
    /// controllers and scheduler being in this process, theirs).
    public func servePrometheusMetrics(_ page: @escaping @Sendable () -> [UInt8]) { metricsPage.set(page) }

    /// Connects TokenReview to the server's bearer-token authentication.
    public func connectTokenAuthentication(_ authenticate: @escaping @Sendable (_ token: String) async -> AuthenticatedUser?) {
        tokenAuthenticator.set(authenticate)
    }

    /// Connects the API server to the node agents, for `pods/log`.
    public func connectNodes(_ connections: any NodeConnections) { nodeConnections.set(connections) }

    /// Starts shutting down: new watches are refused and clients are asked to close their connections, so that
    /// the HTTP server can drain. The store's watches are ended by the caller.
    public func beginShutdown() {
        shuttingDown.store(true, ordering: .relaxed)
    }

    public var isShuttingDown: Bool { shuttingDown.load(ordering: .relaxed) }

    /// Runs the server's own background work (namespace cleanup, counting stored objects) until cancelled.
    public func runBackgroundWork() async {
        await withTaskGroup(of: Void.self) { work in
            work.addTask { await self.namespaceFinalizer.run(self) }
            work.addTask { await self.countStoredObjects() }
            work.addTask { await self.authorizer.follow(self.objects.backend, logger: self.logger) }
            work.addTask { await self.admissionObjects.follow(self.objects.backend, logger: self.logger) }
        }
    }

    /// Answers one request; never throws: every failure becomes a Kubernetes `Status`.
    public func handle(_ request: APIRequest) async -> APIResponse {
        let started = ContinuousClock.now
        let target = RequestTarget(path: request.path)
        let metrics = RequestMetrics(request, target: target)
        let warnings = AdmissionWarnings()
        let outcome = await AdmissionWarnings.$current.withValue(warnings) { () async -> Result<APIResponse, APIError> in
            do throws(APIError) {
                return .success(try await route(request, target: target, metrics: metrics))
            } catch {
                return .failure(error)
            }
        }
        var response: APIResponse
        switch outcome {
        case .success(let routed):
            response = routed
        case .failure(let error):
            // A request cancelled by its caller (an in-process component shutting down) is not a server error.
            if error.code >= 500 && !Task.isCancelled {
                logger.error("request failed", metadata: ["method": "\(request.method)", "path": "\(request.path)", "error": "\(error.message)"])
            }
            response = .error(error)
        }
        response = warnings.adding(to: response)
        metrics.record(code: response.code, elapsed: ContinuousClock.now - started)
        return response
    }

    private func route(_ request: APIRequest, target: RequestTarget, metrics: RequestMetrics) async throws(APIError) -> APIResponse {
        if request.body.count > Self.maximumBodyBytes {
            throw APIError.requestEntityTooLarge(limit: Self.maximumBodyBytes)
        }
        if isShuttingDown && request.flag("watch") {
            throw APIError(code: 503, reason: "ServiceUnavailable", message: "the server is shutting down", retryAfterSeconds: 1)
        }
        let request = try impersonating(request)
        try await authorize(request, target: target)
        if case .resource(let path) = target {
            return try await serveResource(path, request: request, metrics: metrics)
        }
        if request.path == Self.nodeCredentialsPath && request.method == "POST" {
            return try await issueNodeCredentials(request)
        }
        if request.path.hasPrefix(Self.secretsEncryptionPath) {
            return try await serveSecretsEncryption(request)
        }
        guard request.method == "GET" || request.method == "HEAD" else {
            throw APIError.methodNotAllowed("the server does not allow this method on the requested resource")
        }
        return try await serveNonResource(target, request: request)
    }

    private func serveResource(_ path: ResourcePath, request: APIRequest, metrics: RequestMetrics) async throws(APIError) -> APIResponse {
        guard let definition = catalog.resource(group: path.group, version: path.version, resource: path.resource) else {
            throw Self.resourceNotFound
        }
        if let subresource = path.subresource, !definition.subresources.contains(where: { $0.name == subresource }) {
            throw Self.resourceNotFound
        }
        if path.namespace != nil && !definition.namespaced {
            throw Self.resourceNotFound
        }
        if path.subresource == nil, let verb = Self.verb(request, name: path.name), !definition.verbs.contains(verb) {
            var message = "the server does not allow this method on the requested resource"
            if let reason = Self.limitedVerbsReasons[GroupResource(group: definition.group, resource: definition.resource)] {
                message += ": \(reason)"
            }
            throw APIError.methodNotAllowed(message)
        }
        let context = ResourceRequest(definition: definition, path: path, request: request)
        if definition.group == "metrics.k8s.io" {
            return try await serveMetrics(context)
        }
        switch (request.method, path.name, path.subresource) {
        case ("GET", nil, _):
            if request.flag("watch") { return try await watch(context, metrics: metrics) }
            return try await list(context)
        case ("GET", .some(let name), nil):
            return try await get(context, name: name)
        case ("GET", .some(let name), .some(let subresource)):
            return try await getSubresource(context, name: name, subresource: subresource)
        case ("POST", nil, nil):
            return try await create(context)
        case ("POST", .some(let name), .some(let subresource)):
            return try await createSubresource(context, name: name, subresource: subresource)
        case ("PUT", .some(let name), let subresource):
            return try await update(context, name: name, subresource: subresource)
        case ("PATCH", .some(let name), let subresource):
            return try await patch(context, name: name, subresource: subresource)
        case ("DELETE", .some(let name), nil):
            return try await delete(context, name: name)
        case ("DELETE", nil, nil):
            return try await deleteCollection(context)
        default:
            throw APIError.methodNotAllowed("the server does not allow this method on the requested resource")
        }
    }

    /// The verb a request on a resource or its collection asks for, as discovery lists verbs.
    static func verb(_ request: APIRequest, name: String?) -> String? {
        switch (request.method, name) {
        case ("GET", nil): request.flag("watch") ? "watch" : "list"
        case ("GET", .some): "get"
        case ("POST", nil): "create"
        case ("PUT", .some): "update"
        case ("PATCH", .some): "patch"
        case ("DELETE", .some): "delete"
        case ("DELETE", nil): "deletecollection"
        default: nil
        }
    }

    /// Why a resource refuses verbs Kubernetes would take (see `LIMITED_VERBS` in scripts/generate-api-catalog.py).
    static let limitedVerbsReasons: [GroupResource: String] = [
        GroupResource(group: "apiextensions.k8s.io", resource: "customresourcedefinitions"):
            "Skiff does not serve custom resources yet, so no CustomResourceDefinition can be created or changed"
    ]

    static let resourceNotFound = APIError(code: 404, reason: "NotFound", message: "the server could not find the requested resource")
}

import APIMachinery
import CRI
import ControllerRuntime
import Foundation
import KubeClient
import KubeObjects

/// One container instance as the runtime reports it.
struct ContainerInstance: Sendable {
    var id: String
    var name: String
    var attempt: UInt32
    var state: Runtime_V1_ContainerState
    var createdAt: Int64
    var status: Runtime_V1_ContainerStatus?

    var observed: ObservedContainer.State {
        switch state {
        case .containerCreated: .created
        case .containerRunning: .running
        case .containerExited: .exited(code: status?.exitCode ?? 0)
        default: .unknown
        }
    }
}

/// A pod's sandbox and containers as the runtime holds them.
struct RuntimePod: Sendable {
    var sandbox: Runtime_V1_PodSandbox?
    var sandboxIP: String?
    /// Per container name, its instances newest first.
    var instances: [String: [ContainerInstance]] = [:]

    var observed: ObservedPod {
        ObservedPod(
            sandbox: sandbox.map { .init(id: $0.id, ready: $0.state == .sandboxReady, attempt: $0.metadata.attempt) },
            containers: instances.values.compactMap(\.first).map {
                ObservedContainer(id: $0.id, name: $0.name, attempt: $0.attempt, state: $0.observed)
            })
    }
}

extension NodeAgent {
    /// As many workers as the node takes pods (its `pods` capacity, the kubelet's max-pods): the kubelet syncs every
    /// pod in a goroutine of its own, so a pod waiting out its grace period, a pull or a hook never holds up another
    /// (with 8 workers, 20 pods deleted at once were killed 8 per grace period). An idle worker is a suspended task.
    static let podWorkers = maxPods

    func runPodWorkers() async {
        pods.addHandler(
            InformerHandler(
                onAdd: { [queue] pod in queue.add(ObjectKey(pod)) },
                onUpdate: { [queue] old, new in if Self.changeNeedsSync(old: old, new: new) { queue.add(ObjectKey(new)) } },
                onDelete: { [queue] pod in queue.add(ObjectKey(pod)) }))
        await pods.waitForSync()
        // Containers get the Services' variables: the kubelet starts none before it has read the Services once.
        await services.waitForSync()
        await ControllerWorkers.run(queue, workers: Self.podWorkers, name: "kubelet", logger: logger) { key throws(APIError) in
            try await self.syncPod(key)
        }
    }

    /// Whether a pod's update asks for a sync: a change to what the pod asks for (its spec, labels, annotations, its
    /// deletion), or to a readiness gate's condition, which another writer sets. A status the agent wrote itself is
    /// not news to it: the kubelet takes such updates as a "reconcile", not a sync, else a pod whose sync fails and
    /// writes its status would be retried at once instead of after its back-off.
    static func changeNeedsSync(old: JSONValue, new: JSONValue) -> Bool {
        if old["spec"] != new["spec"] { return true }
        for field in ["uid", "labels", "annotations", "deletionTimestamp", "deletionGracePeriodSeconds"]
        where old[path: "metadata", field] != new[path: "metadata", field] {
            return true
        }
        let gates = Set((new[path: "spec", "readinessGates"]?.arrayValue ?? []).compactMap { $0["conditionType"]?.stringValue })
        guard !gates.isEmpty else { return false }
        func gateConditions(_ pod: JSONValue) -> [JSONValue] {
            (pod[path: "status", "conditions"]?.arrayValue ?? []).filter { gates.contains($0["type"]?.stringValue ?? "") }
        }
        return gateConditions(old) != gateConditions(new)
    }

    // MARK: Observing

    func observe(uid: String) async throws -> RuntimePod {
        let runtime = try runtime
        var pod = RuntimePod()
        let sandboxes = try await runtime.listPodSandboxes(filter: .with { $0.labelSelector = [RuntimeConfigs.podUIDLabel: uid] })
        pod.sandbox = sandboxes.max { ($0.metadata.attempt, $0.createdAt) < ($1.metadata.attempt, $1.createdAt) }
        if let sandbox = pod.sandbox, sandbox.state == .sandboxReady {
            let status = try await runtime.podSandboxStatus(id: sandbox.id, verbose: false)
            pod.sandboxIP = status.status.network.ip.isEmpty ? nil : status.status.network.ip
        }
        let containers = try await runtime.listContainers(filter: .with { $0.labelSelector = [RuntimeConfigs.podUIDLabel: uid] })
        for container in containers where container.podSandboxID == pod.sandbox?.id {
            let instance = ContainerInstance(
                id: container.id, name: container.metadata.name, attempt: container.metadata.attempt, state: container.state,
                createdAt: container.createdAt)
            pod.instances[instance.name, default: []].append(instance)
        }
        for (name, instances) in pod.instances {
            var sorted = instances.sorted { ($0.attempt, $0.createdAt) > ($1.attempt, $1.createdAt) }
            // Exit codes, times and reasons of the newest instance and the one before it (the `lastState`).
            for index in sorted.indices.prefix(2) {
                sorted[index].status = try? await runtime.containerStatus(id: sorted[index].id, verbose: false).status
            }
            pod.instances[name] = sorted
        }
        return pod
    }

    // MARK: Syncing

    func syncPod(_ key: ObjectKey) async throws(APIError) -> ReconcileResult {
        guard let pod = pods.get(key), let uid = pod[path: "metadata", "uid"]?.stringValue else {
            referenceWatches.release(key)
            return .done
        }
        guard networkReady else { return .requeue(after: .milliseconds(500)) }
        do {
            if pod.metadata.isDeleting {
                try await terminate(pod, uid: uid)
                return .done
            }
            let phase = Pod(pod).status.phase
            if phase != "Succeeded" && phase != "Failed", let eviction = podStates.withLock({ $0[uid]?.eviction }) {
                try await finishEviction(pod, uid: uid, message: eviction)
                return .done
            }
            var runtimePod = try await observe(uid: uid)
            if phase == "Succeeded" || phase == "Failed" {
                // A finished pod's containers are not restarted; its sandbox goes.
                probeManager.stopWorkers(podUID: uid, keeping: [])
                referenceWatches.release(key)
                if let sandbox = runtimePod.sandbox, sandbox.state == .sandboxReady {
                    try await stopSandbox(sandbox.id, pod: pod, runtimePod: runtimePod, grace: .seconds(2))
                }
                return .done
            }
            // A pod new to this node is admitted first, as the kubelet admits the pods it is given.
            if runtimePod.sandbox == nil, pod[path: "status", "startTime"] == nil, podStates.withLock({ $0[uid] }) == nil,
                let refusal = admissionRefusal(pod)
            {
                try await reject(pod, message: refusal)
                return .done
            }
            rememberPod(pod, uid: uid, runtimePod: runtimePod)
            let actions = PodActions.compute(pod: pod, observed: runtimePod.observed, failedProbes: failedProbes(runtimePod))
            var retryAfter: Duration?
            if actions.killPod, let sandbox = runtimePod.sandbox {
                try await stopSandbox(sandbox.id, pod: pod, runtimePod: runtimePod, grace: .seconds(gracePeriod(pod)))
            }
            if actions.createSandbox {
                let config = RuntimeConfigs.sandboxConfig(pod, attempt: actions.sandboxAttempt, logRoot: paths.podLogs, dns: options.podDNS)
                try FileManager.default.createDirectory(atPath: config.logDirectory, withIntermediateDirectories: true)
                do {
                    _ = try await runtime.runPodSandbox(config, runtimeHandler: "")
                } catch {
                    recorder.record(pod, type: .warning, reason: "FailedCreatePodSandBox", message: "Failed to create pod sandbox: \(error)")
                    // The pod's status says what it waits for (`ContainerCreating`), as the kubelet writes it first. A
                    // status that cannot be written now is written at the next attempt: the sandbox still backs off.
                    do {
                        try await writeStatus(pod, runtimePod: runtimePod)
                    } catch {
                        logger.debug("pod status not written", metadata: ["pod": "\(key)", "error": "\(error)"])
                    }
                    return .requeue(after: Self.syncFailureBackoff())
                }
                runtimePod = try await observe(uid: uid)
            }
            guard let sandbox = runtimePod.sandbox, sandbox.state == .sandboxReady else {
                updateProbes(pod, runtimePod: runtimePod)
                try await writeStatus(pod, runtimePod: runtimePod)
                return .done
            }
            await refreshVolumesIfDue(pod, uid: uid, sandboxIP: runtimePod.sandboxIP)
            let sandboxConfig = RuntimeConfigs.sandboxConfig(pod, attempt: sandbox.metadata.attempt, logRoot: paths.podLogs, dns: options.podDNS)
            for kill in actions.containersToKill {
                recorder.record(pod, type: .normal, reason: "Killing", message: kill.message)
                try await killContainer(
                    kill.id, spec: Self.containerSpec(named: kill.name, in: pod), pod: pod, podIP: podIP(pod, runtimePod: runtimePod),
                    grace: killGracePeriod(kill, pod: pod))
            }
            // A killed container is seen exited before it is started again, so that its restart backs off.
            if !actions.containersToKill.isEmpty { runtimePod = try await observe(uid: uid) }
            let initContainers = pod[path: "spec", "initContainers"]?.arrayValue ?? []
            let containers = pod[path: "spec", "containers"]?.arrayValue ?? []
            var toStart: [JSONValue] = actions.initContainerToStart.map { [initContainers.filter { !PodStatusRules.isSidecar($0) }[$0]] } ?? []
            toStart += actions.containersToStart.map { containers[$0] }
            for container in toStart {
                if let wait = try await startContainer(container, pod: pod, uid: uid, sandbox: sandbox, sandboxConfig: sandboxConfig, runtimePod: runtimePod) {
                    retryAfter = min(retryAfter ?? wait, wait)
                }
            }
            if !toStart.isEmpty { runtimePod = try await observe(uid: uid) }
            updateProbes(pod, runtimePod: runtimePod)
            try await writeStatus(pod, runtimePod: runtimePod)
            if !podStates.withLock({ $0[uid]?.waiting.values.contains { $0.reason == "CreateContainerConfigError" } ?? false }) {
                referenceWatches.release(key)
            }
            return retryAfter.map { .requeue(after: $0) } ?? .done
        } catch let error as APIError {
            throw error
        } catch let error as CRIError where error.code == .unavailable {
            // The runtime connection is being re-established: try again soon rather than after a full back-off.
            logger.debug("pod sync waits for the runtime", metadata: ["pod": "\(key)", "error": "\(error)"])
            return .requeue(after: .milliseconds(200))
        } catch {
            logger.warning("pod sync failed", metadata: ["pod": "\(key)", "error": "\(error)"])
            return .requeue(after: Self.syncFailureBackoff())
        }
    }

    /// When a pod whose sync failed (its sandbox could not be made, its config is missing, ...) is tried again: the
    /// kubelet's pod-worker back-off, 10 s plus up to half again at random so that failing pods spread out. A pod
    /// held by a missing object is woken sooner when it appears (`ReferencedObjectWatches`).
    static func syncFailureBackoff() -> Duration {
        .milliseconds(Int64.random(in: 10_000...15_000))
    }

    func gracePeriod(_ pod: JSONValue) -> Int64 {
        pod[path: "metadata", "deletionGracePeriodSeconds"]?.integerValue ?? pod[path: "spec", "terminationGracePeriodSeconds"]?.integerValue ?? 30
    }

    /// Starts one container unless it is backing off; returns how long until it may be tried again.
    private func startContainer(
        _ container: JSONValue, pod: JSONValue, uid: String, sandbox: Runtime_V1_PodSandbox, sandboxConfig: Runtime_V1_PodSandboxConfig,
        runtimePod: RuntimePod
    ) async throws -> Duration? {
        let runtime = try runtime
        let name = container["name"]?.stringValue ?? ""
        let previous = runtimePod.instances[name]?.first
        let now = ContinuousClock.now
        // A container that exited waits out its back-off before the next start.
        if let previous, case .containerExited = previous.state {
            let allowed = podStates.withLock { states -> ContinuousClock.Instant in
                var state = states[uid] ?? PodState()
                if !state.countedExits.contains(previous.id) {
                    state.countedExits.insert(previous.id)
                    let ran = Self.runDuration(previous.status)
                    var backoff = state.restartBackoffs[name] ?? RestartBackoff()
                    state.restartAllowedAt[name] = now + backoff.containerExited(after: ran)
                    state.restartBackoffs[name] = backoff
                }
                states[uid] = state
                return state.restartAllowedAt[name] ?? now
            }
            if allowed > now {
                let delay = allowed - now
                setWaiting(uid, name, "CrashLoopBackOff", "back-off \(Self.goDuration(podStates.withLock { $0[uid]?.restartBackoffs[name]?.lastDelay } ?? delay)) restarting failed container=\(name) pod=\(Self.podDescription(pod))")
                return delay
            }
        }
        let image = container["image"]?.stringValue ?? ""
        if let wait = try await ensureImage(image, container: container, pod: pod, uid: uid, sandboxConfig: sandboxConfig) { return wait }

        let environment: [(name: String, value: String)]
        let mounts: [Runtime_V1_Mount]
        do {
            environment = try await self.environment(for: container, pod: pod, sandboxIP: runtimePod.sandboxIP)
            mounts = try await VolumeMounts.prepare(
                pod: pod, container: container, podDirectory: "\(paths.pods)/\(uid)", downward: downward(pod, sandboxIP: runtimePod.sandboxIP),
                objects: volumeObjects(pod)) + hostsMount(for: container, pod: pod, uid: uid, sandboxIP: runtimePod.sandboxIP)
            podStates.withLock { $0[uid]?.volumesRefreshedAt = now }
        } catch let error as ContainerConfigError {
            setWaiting(uid, name, "CreateContainerConfigError", error.message)
            recorder.record(pod, type: .warning, reason: "Failed", message: "Error: \(error.message)")
            referenceWatches.hold(ObjectKey(pod), on: ReferencedObjectWatches.references(of: pod))
            return Self.syncFailureBackoff()
        }
        let attempt = previous.map { $0.attempt + 1 } ?? 0
        let config = RuntimeConfigs.containerConfig(
            pod, container: container, attempt: attempt, image: image, environment: environment, mounts: mounts,
            memoryCapacity: Int64(machine.memoryBytes))
        let id: String
        do {
            id = try await runtime.createContainer(podSandboxID: sandbox.id, config: config, sandboxConfig: sandboxConfig)
        } catch {
            let message = (error as? CRIError)?.message ?? "\(error)"
            setWaiting(uid, name, "CreateContainerError", message)
            recorder.record(pod, type: .warning, reason: "Failed", message: "Error: \(message)")
            return Self.syncFailureBackoff()
        }
        recorder.record(pod, type: .normal, reason: "Created", message: "Created container: \(name)")
        do {
            try await runtime.startContainer(id: id)
        } catch {
            let message = (error as? CRIError)?.message ?? "\(error)"
            setWaiting(uid, name, "RunContainerError", message)
            recorder.record(pod, type: .warning, reason: "Failed", message: "Error: \(message)")
            return Self.syncFailureBackoff()
        }
        podStates.withLock { _ = $0[uid]?.waiting.removeValue(forKey: name) }
        recorder.record(pod, type: .normal, reason: "Started", message: "Started container \(name)")
        if let failure = await runPostStartHook(container, pod: pod, containerID: id, podIP: podIP(pod, runtimePod: runtimePod)) {
            setWaiting(uid, name, "PostStartHookError", failure)
        }
        return nil
    }

    /// The pod's `imagePullSecrets` credentials for the image's registry (secrets that are missing are skipped, as
    /// the kubelet does); nil leaves the pull to containerd's registry configuration.
    private func pullCredentials(_ image: String, pod: JSONValue) async -> Runtime_V1_AuthConfig? {
        let namespace = pod.metadata.namespace ?? "default"
        var secrets: [JSONValue] = []
        for reference in pod[path: "spec", "imagePullSecrets"]?.arrayValue ?? [] {
            guard let name = reference["name"]?.stringValue, let secret = try? await client.get(.secrets, namespace: namespace, name: name)
            else { continue }
            secrets.append(secret)
        }
        return ImagePullCredentials.auth(for: image, secrets: secrets)
    }

    /// Pulls the image as the pull policy asks; returns a wait when the pull failed and is backing off.
    private func ensureImage(
        _ image: String, container: JSONValue, pod: JSONValue, uid: String, sandboxConfig: Runtime_V1_PodSandboxConfig
    ) async throws -> Duration? {
        let runtime = try runtime
        let name = container["name"]?.stringValue ?? ""
        if let invalidity = ImageReference.invalidity(image) {
            let message = "Failed to apply default image tag \"\(image)\": couldn't parse image name \"\(image)\": \(invalidity)"
            setWaiting(uid, name, "InvalidImageName", message)
            recorder.record(pod, type: .warning, reason: "InspectFailed", message: message)
            recorder.record(pod, type: .warning, reason: "Failed", message: "Error: InvalidImageName")
            return Self.syncFailureBackoff()
        }
        let policy = container["imagePullPolicy"]?.stringValue ?? "IfNotPresent"
        let spec = Runtime_V1_ImageSpec.with { $0.image = image }
        let present = try await runtime.imageStatus(spec) != nil
        if present && policy != "Always" {
            recorder.record(pod, type: .normal, reason: "Pulled", message: "Container image \"\(image)\" already present on machine")
            return nil
        }
        if policy == "Never" {
            let message = "Container image \"\(image)\" is not present with pull policy of Never"
            setWaiting(uid, name, "ErrImageNeverPull", message)
            recorder.record(pod, type: .warning, reason: "ErrImageNeverPull", message: message)
            return .seconds(10)
        }
        let now = ContinuousClock.now
        if let allowed = podStates.withLock({ $0[uid]?.pullAllowedAt[image] }), allowed > now {
            setWaiting(uid, name, "ImagePullBackOff", "Back-off pulling image \"\(image)\"")
            recorder.record(pod, type: .normal, reason: "BackOff", message: "Back-off pulling image \"\(image)\"")
            return allowed - now
        }
        recorder.record(pod, type: .normal, reason: "Pulling", message: "Pulling image \"\(image)\"")
        let started = ContinuousClock.now
        do {
            _ = try await runtime.pullImage(spec, auth: await pullCredentials(image, pod: pod), sandboxConfig: sandboxConfig)
        } catch {
            let message = (error as? CRIError)?.message ?? "\(error)"
            podStates.withLock { states in
                var backoff = states[uid]?.pullBackoffs[image] ?? RestartBackoff()
                var delay = backoff.containerExited(after: .zero)
                if delay == .zero { delay = backoff.containerExited(after: .zero) }
                states[uid]?.pullBackoffs[image] = backoff
                states[uid]?.pullAllowedAt[image] = ContinuousClock.now + delay
            }
            setWaiting(uid, name, "ErrImagePull", message)
            recorder.record(pod, type: .warning, reason: "Failed", message: "Failed to pull image \"\(image)\": \(message)")
            recorder.record(pod, type: .warning, reason: "Failed", message: "Error: ErrImagePull")
            // A failed pull is a failed sync: the pod comes back after the pod worker's back-off, as in the kubelet,
            // and finds the pull backing off (`ImagePullBackOff`) once the image's back-off has grown past it.
            return Self.syncFailureBackoff()
        }
        podStates.withLock { _ = $0[uid]?.pullBackoffs.removeValue(forKey: image) }
        let took = ContinuousClock.now - started
        recorder.record(pod, type: .normal, reason: "Pulled", message: "Successfully pulled image \"\(image)\" in \(Self.goDuration(took))")
        return nil
    }

    private func environment(for container: JSONValue, pod: JSONValue, sandboxIP: String?) async throws -> [(name: String, value: String)] {
        let namespace = pod.metadata.namespace ?? "default"
        // The ConfigMaps and Secrets the container names, fetched once per start (the kubelet's "Get" strategy).
        var configMaps: [String: JSONValue] = [:]
        var secrets: [String: JSONValue] = [:]
        for (resource, names) in Self.referencedObjects(container) {
            for name in names {
                guard let object = try await fetch(resource, namespace: namespace, name: name) else { continue }
                if resource == .configMaps { configMaps[name] = object } else { secrets[name] = object }
            }
        }
        var environment = ContainerEnvironment(
            pod: pod, podIPs: sandboxIP.map { [$0] } ?? [], hostIPs: [options.nodeIP], nodeAllocatable: nodeAllocatable,
            configMap: { configMaps[$0] }, secret: { secrets[$0] })
        environment.serviceVariables = ServiceEnvironment.variables(
            services: services.list(), namespace: namespace, enableServiceLinks: pod[path: "spec", "enableServiceLinks"]?.boolValue ?? true)
        return try environment.variables(for: container)
    }

    private var nodeAllocatable: [String: Quantity] {
        ["cpu": Quantity(String(machine.cpus)), "memory": Quantity(String(machine.memoryBytes))].compactMapValues { $0 }
    }

    /// The pod's fields and resources as downward API volumes read them.
    func downward(_ pod: JSONValue, sandboxIP: String?) -> ContainerEnvironment {
        ContainerEnvironment(
            pod: pod, podIPs: sandboxIP.map { [$0] } ?? [], hostIPs: [options.nodeIP], nodeAllocatable: nodeAllocatable,
            configMap: { _ in nil }, secret: { _ in nil })
    }

    /// Reads what the pod's volumes name from the API (the kubelet's "Get" strategy: fresh on each setup), and its
    /// service account's tokens through the token manager.
    func volumeObjects(_ pod: JSONValue) -> VolumeObjects {
        let namespace = pod.metadata.namespace ?? "default"
        let account = Pod(pod).spec.serviceAccountName ?? ""
        let podName = pod.metadata.name
        let podUID = pod.metadata.uid
        return VolumeObjects(
            configMap: { [client] name in try? await client.get(.configMaps, namespace: namespace, name: name) },
            secret: { [client] name in try? await client.get(.secrets, namespace: namespace, name: name) },
            persistentVolumeClaim: { [client] name in try? await client.get(.persistentVolumeClaims, namespace: namespace, name: name) },
            persistentVolume: { [client] name in try? await client.get(.persistentVolumes, namespace: nil, name: name) },
            serviceAccountToken: { [serviceAccountTokens] audience, expirationSeconds throws(APIError) in
                try await serviceAccountTokens.token(
                    for: .init(
                        namespace: namespace, serviceAccount: account.isEmpty ? "default" : account, podName: podName, podUID: podUID,
                        audience: audience, expirationSeconds: expirationSeconds))
            })
    }

    /// A token for a projected volume from TokenRequest, bound to the pod (`serviceaccounts/<name>/token`).
    static func requestServiceAccountToken(
        _ request: ServiceAccountTokenManager.Request, client: KubeClient
    ) async throws(APIError) -> ServiceAccountTokenManager.Issued {
        var spec: JSONValue = [
            "expirationSeconds": .integer(request.expirationSeconds),
            "boundObjectRef": ["apiVersion": "v1", "kind": "Pod", "name": .string(request.podName), "uid": .string(request.podUID)],
        ]
        if let audience = request.audience { spec["audiences"] = [.string(audience)] }
        let answer = try await client.createSubresource(
            .serviceAccounts, namespace: request.namespace, name: request.serviceAccount, subresource: "token",
            ["apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": spec])
        guard let token = answer[path: "status", "token"]?.stringValue,
            let expiresAt = answer[path: "status", "expirationTimestamp"]?.stringValue.flatMap(KubeTime.parse)
        else {
            throw APIError.internalError("the TokenRequest answer holds no token")
        }
        return .init(token: token, expiresAt: expiresAt)
    }

    /// Brings a running pod's file volumes up to date once per sync period.
    func refreshVolumesIfDue(_ pod: JSONValue, uid: String, sandboxIP: String?) async {
        let now = ContinuousClock.now
        let due = podStates.withLock { states in
            guard let last = states[uid]?.volumesRefreshedAt, now - last >= options.syncFrequency else { return false }
            states[uid]?.volumesRefreshedAt = now
            return true
        }
        guard due else { return }
        await VolumeMounts.refresh(pod: pod, podDirectory: "\(paths.pods)/\(uid)", downward: downward(pod, sandboxIP: sandboxIP), objects: volumeObjects(pod))
    }

    /// The object, or nil when there is none.
    private func fetch(_ resource: ResourceType, namespace: String, name: String) async throws(APIError) -> JSONValue? {
        do throws(APIError) {
            return try await client.get(resource, namespace: namespace, name: name)
        } catch where error.isNotFound {
            return nil
        }
    }

    /// The ConfigMaps and Secrets a container's env and envFrom refer to.
    static func referencedObjects(_ container: JSONValue) -> [(ResourceType, Set<String>)] {
        var configMaps = Set<String>()
        var secrets = Set<String>()
        for source in container["envFrom"]?.arrayValue ?? [] {
            if let name = source[path: "configMapRef", "name"]?.stringValue { configMaps.insert(name) }
            if let name = source[path: "secretRef", "name"]?.stringValue { secrets.insert(name) }
        }
        for variable in container["env"]?.arrayValue ?? [] {
            if let name = variable[path: "valueFrom", "configMapKeyRef", "name"]?.stringValue { configMaps.insert(name) }
            if let name = variable[path: "valueFrom", "secretKeyRef", "name"]?.stringValue { secrets.insert(name) }
        }
        return [(.configMaps, configMaps), (.secrets, secrets)]
    }

    private func setWaiting(_ uid: String, _ name: String, _ reason: String, _ message: String) {
        podStates.withLock { states in
            var state = states[uid] ?? PodState()
            state.waiting[name] = (reason, message)
            states[uid] = state
        }
    }

    static func runDuration(_ status: Runtime_V1_ContainerStatus?) -> Duration {
        guard let status, status.startedAt > 0, status.finishedAt >= status.startedAt else { return .zero }
        return .nanoseconds(status.finishedAt - status.startedAt)
    }

    /// `name_namespace(uid)`, as the kubelet names a pod in messages.
    static func podDescription(_ pod: JSONValue) -> String {
        let (name, namespace, uid) = RuntimeConfigs.podIdentity(pod)
        return "\(name)_\(namespace)(\(uid))"
    }

    /// A duration as the kubelet prints it in events, truncated to the millisecond: `10s`, `1m20s`, `5m0s`, `1.087s`.
    static func goDuration(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        return GoDuration.string(.seconds(seconds) + .milliseconds(attoseconds / 1_000_000_000_000_000))
    }

    // MARK: Stopping

    /// Stops every container of the sandbox (each after its preStop hook, given `grace` in all), then the sandbox.
    func stopSandbox(_ id: String, pod: JSONValue, runtimePod: RuntimePod, grace: Duration) async throws {
        let runtime = try runtime
        let address = podIP(pod, runtimePod: runtimePod)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for instance in runtimePod.instances.values.compactMap(\.first) where instance.state == .containerRunning {
                let spec = Self.containerSpec(named: instance.name, in: pod)
                group.addTask { try await self.killContainer(instance.id, spec: spec, pod: pod, podIP: address, grace: grace) }
            }
            try await group.waitForAll()
        }
        try await runtime.stopPodSandbox(id: id)
    }

    /// A deleted pod: stop its containers within the grace period, remove its sandboxes, then confirm the deletion.
    private func terminate(_ pod: JSONValue, uid: String) async throws {
        let runtime = try runtime
        // Probes end with the pod: a liveness verdict must not restart a container its preStop hook is stopping.
        probeManager.stopWorkers(podUID: uid, keeping: [])
        let runtimePod = try await observe(uid: uid)
        let grace = Duration.seconds(max(0, gracePeriod(pod)))
        if let drainTraffic, grace > .zero, !Pod(pod).spec.hostNetwork, let ip = Pod(pod).status.podIP {
            await drainTraffic(ip)
        }
        for instance in runtimePod.instances.values.compactMap(\.first) where instance.state == .containerRunning {
            recorder.record(pod, type: .normal, reason: "Killing", message: "Stopping container \(instance.name)")
        }
        if let sandbox = runtimePod.sandbox { try await stopSandbox(sandbox.id, pod: pod, runtimePod: runtimePod, grace: grace) }
        for sandbox in try await runtime.listPodSandboxes(filter: .with { $0.labelSelector = [RuntimeConfigs.podUIDLabel: uid] }) {
            try await runtime.stopPodSandbox(id: sandbox.id)
            try await runtime.removePodSandbox(id: sandbox.id)
        }
        VolumeMounts.tearDown(podDirectory: "\(paths.pods)/\(uid)")
        serviceAccountTokens.forget(podUID: uid)
        referenceWatches.release(ObjectKey(pod))
        podStates.withLock { _ = $0.removeValue(forKey: uid) }
        try await confirmDeletion(pod, uid: uid)
    }

    /// Deletes the pod for good (grace 0, this very pod by uid), as the kubelet does once its containers are gone.
    private func confirmDeletion(_ pod: JSONValue, uid: String) async throws(APIError) {
        let (name, namespace, _) = RuntimeConfigs.podIdentity(pod)
        do throws(APIError) {
            try await client.delete(.pods, namespace: namespace, name: name, options: ["gracePeriodSeconds": 0, "preconditions": ["uid": .string(uid)]])
        } catch where error.isNotFound || error.isConflict {}
    }

    /// Stops and removes every sandbox and pod directory (stopping a sandbox kills its containers at once: this is
    /// for tests and `--stop-pods-on-exit`, not a graceful drain).
    func stopAllPods() async {
        guard let runtime = try? runtime else { return }
        let sandboxes: [Runtime_V1_PodSandbox]
        do {
            sandboxes = try await runtime.listPodSandboxes(filter: nil)
        } catch {
            logger.warning("cannot list pods to stop them", metadata: ["error": "\(error)"])
            return
        }
        await withTaskGroup(of: Void.self) { group in
            for sandbox in sandboxes {
                group.addTask {
                    do {
                        try await runtime.stopPodSandbox(id: sandbox.id)
                        try await runtime.removePodSandbox(id: sandbox.id)
                    } catch {
                        self.logger.warning("cannot stop a pod", metadata: ["sandbox": "\(sandbox.id)", "error": "\(error)"])
                    }
                }
            }
        }
        // Nothing of the pods stays mounted (memory-backed emptyDirs), so that their node's directory can go.
        for uid in (try? FileManager.default.contentsOfDirectory(atPath: paths.pods)) ?? [] {
            VolumeMounts.tearDown(podDirectory: "\(paths.pods)/\(uid)")
        }
    }
}

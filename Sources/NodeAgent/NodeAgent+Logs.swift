import APIMachinery
import ControllerRuntime
import Foundation
import KubeObjects

extension NodeAgent {
    static let followPollInterval: Duration = .milliseconds(100)

    /// A container's log for `kubectl logs`: the newest instance's (or with `previous` the one before), rendered
    /// from its CRI log file; with `follow`, new lines as they are written until the container stops.
    public func containerLogs(namespace: String, pod name: String, container: String, query: [String: String]) async throws(APIError)
        -> AsyncStream<[UInt8]>
    {
        guard let pod = pods.get(ObjectKey(namespace: namespace, name: name)), let uid = pod[path: "metadata", "uid"]?.stringValue else {
            throw APIError.notFound(.init(group: "", resource: "pods"), name: name)
        }
        let previous = query["previous"] == "true"
        let runtimePod: RuntimePod
        do {
            runtimePod = try await observe(uid: uid)
        } catch {
            throw APIError(code: 500, reason: "InternalError", message: "cannot read the containers of pod \(name): \(error)")
        }
        let instances = runtimePod.instances[container] ?? []
        guard let instance = previous ? instances.dropFirst().first : instances.first, let path = instance.status?.logPath, !path.isEmpty else {
            if previous { throw APIError.badRequest("previous terminated container \"\(container)\" in pod \"\(name)\" not found") }
            let reason = podStates.withLock { $0[uid]?.waiting[container]?.reason } ?? "ContainerCreating"
            throw APIError.badRequest("container \"\(container)\" in pod \"\(name)\" is waiting to start: \(reason)")
        }
        let options = ContainerLogOptions(query: query)
        let follow = query["follow"] == "true" && !previous && instance.state == .containerRunning
        let id = instance.id
        return AsyncStream { continuation in
            // Ends with the log (or the container); cancelled when the reader goes away.
            let reader = Task {
                await self.streamLog(path: path, options: options, follow: follow, containerID: id) { chunk in continuation.yield(chunk) }
                continuation.finish()
            }
            continuation.onTermination = { _ in reader.cancel() }
        }
    }

    private func streamLog(path: String, options: ContainerLogOptions, follow: Bool, containerID: String, emit: ([UInt8]) -> Void) async {
        guard let file = FileHandle(forReadingAtPath: path) else { return }
        defer { try? file.close() }
        var renderer = ContainerLogs.Renderer(options: options)
        let existing = String(decoding: (try? file.readToEnd()) ?? Data(), as: UTF8.self)
        // Lines are rendered only once complete; a half-written last line waits for the rest.
        var pending = ""
        var lines = existing.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        pending = lines.popLast() ?? ""
        var open = true
        for line in ContainerLogs.tail(lines.map { Substring($0) }.filter { !$0.isEmpty }, options.tailLines) {
            guard let record = ContainerLogs.parse(line), renderer.append(record) else {
                open = false
                break
            }
        }
        let first = renderer.take()
        if !first.isEmpty { emit(Array(first.utf8)) }
        guard follow, open else { return }
        var sinceCheck: Duration = .zero
        while !Task.isCancelled {
            try? await Task.sleep(for: Self.followPollInterval)
            sinceCheck += Self.followPollInterval
            let data = (try? file.readToEnd()) ?? Data()
            if !data.isEmpty {
                lines = (pending + String(decoding: data, as: UTF8.self)).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                pending = lines.popLast() ?? ""
                for line in lines where !line.isEmpty {
                    guard let record = ContainerLogs.parse(Substring(line)), renderer.append(record) else {
                        open = false
                        break
                    }
                }
                let chunk = renderer.take()
                if !chunk.isEmpty { emit(Array(chunk.utf8)) }
                if !open { return }
            } else if sinceCheck >= .seconds(1) {
                // Nothing new for a while: stop once the container has.
                sinceCheck = .zero
                let running = (try? await runtime.containerStatus(id: containerID, verbose: false).status.state) == .containerRunning
                if !running { return }
            }
        }
    }

    static let logRotationInterval: Duration = .seconds(10)

    /// Every 10 s, rotates the logs of running containers that outgrew `containerLogMaxSize`, as the kubelet's
    /// container log manager does.
    func rotateContainerLogs() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: Self.logRotationInterval)
            guard let runtime = try? runtime, let containers = try? await runtime.listContainers(filter: nil) else { continue }
            for container in containers where container.state == .containerRunning {
                guard let path = try? await runtime.containerStatus(id: container.id, verbose: false).status.logPath, !path.isEmpty,
                    let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber
                else { continue }
                let plan = ContainerLogRotation.plan(
                    path: path, size: size.int64Value, rotated: ContainerLogRotation.rotatedFiles(of: path), maxSize: options.containerLogMaxSize,
                    maxFiles: options.containerLogMaxFiles, now: Date())
                guard let target = plan.rotateTo else { continue }
                do {
                    try FileManager.default.moveItem(atPath: path, toPath: target)
                    try await runtime.reopenContainerLog(id: container.id)
                    for old in plan.delete { try? FileManager.default.removeItem(atPath: old) }
                } catch {
                    logger.warning("container log rotation failed", metadata: ["container": "\(container.id)", "error": "\(error)"])
                }
            }
        }
    }
}

import APIMachinery
import ContainerStreams
import KubeObjects

extension KubernetesAPI {
    /// `pods/exec`, `pods/attach` and `pods/portforward` (a websocket upgrade, as kubectl sends them): checks the
    /// request as kube-apiserver does and asks the pod's node for a streaming URL to relay the connection to.
    /// `nil` when the path is not one of these subresources.
    public func containerStreamTarget(_ request: APIRequest) async throws(APIError) -> ContainerStreamTarget? {
        let target = RequestTarget(path: request.path)
        guard case .resource(let path) = target, path.group.isEmpty, path.resource == "pods",
            let name = path.name, let namespace = path.namespace, let subresource = path.subresource,
            let kind = ContainerStreamRequest.Kind(rawValue: subresource),
            let definition = catalog.resource(group: "", version: path.version, resource: "pods")
        else { return nil }
        // The upgrade never passes through `handle`: it is authorized here, for `create` as Kubernetes does since 1.31
        // (AuthorizePodWebsocketUpgradeCreatePermission; also what kubectl's SPDY fallback asks for), and for `get`,
        // as its method says.
        let request = try impersonating(request)
        var asCreate = request
        asCreate.method = "POST"
        try await authorize(asCreate, target: target)
        try await authorize(request, target: target)
        let pod = try await objects.get(definition, namespace: namespace, name: name)
        return try await containerStreamTarget(pod: pod, kind: kind, request: request)
    }

    /// A `pods/exec` or `pods/attach` request that is not a websocket upgrade — or one whose upgrade was refused, as
    /// the check above failed: answers the check's error, else refuses, since only an upgraded connection (a
    /// websocket; this server does not speak SPDY) can carry the streams.
    func refuseUnupgradedStream(_ context: ResourceRequest, name: String, kind: ContainerStreamRequest.Kind) async throws(APIError) -> Never {
        let namespace = try context.requireNamespace()
        let pod = try await objects.get(context.definition, namespace: namespace, name: name)
        _ = try await containerStreamTarget(pod: pod, kind: kind, request: context.request)
        throw APIError.badRequest("Upgrade request required: \(kind.rawValue) needs a websocket speaking \(ContainerStreamRelay.clientProtocols.joined(separator: " or ")) (kubectl 1.30 or later)")
    }

    private func containerStreamTarget(pod: JSONValue, kind: ContainerStreamRequest.Kind, request: APIRequest) async throws(APIError)
        -> ContainerStreamTarget
    {
        let (stream, node) = try validatedStream(pod: pod, kind: kind, request: request)
        guard let connections = nodeConnections.current else {
            throw APIError(code: 503, reason: "ServiceUnavailable", message: "no agent runs node \(node) in this server, so its containers cannot be reached")
        }
        return try await connections.streamingTarget(node: node, request: stream)
    }

    private func validatedStream(pod: JSONValue, kind: ContainerStreamRequest.Kind, request: APIRequest) throws(APIError)
        -> (ContainerStreamRequest, node: String)
    {
        let name = pod.metadata.name
        let namespace = pod.metadata.namespace ?? "default"
        guard let node = Pod(pod).spec.nodeName, !node.isEmpty else {
            throw APIError.badRequest("pod \(name) does not have a host assigned")
        }
        if kind == .portforward {
            var stream = ContainerStreamRequest(
                kind: kind, namespace: namespace, pod: name, container: "", command: [], stdin: false, stdout: false, stderr: false, tty: false)
            for text in (request.queryValues["ports"] ?? []).flatMap({ $0.split(separator: ",") }) {
                // kube-apiserver's words for a bad port (`portforward.NewV4Options`).
                guard let port = Int32(text.trimmingCharacters(in: .whitespaces)), port > 0, port <= 65535 else {
                    throw APIError.badRequest("unable to parse \"\(text)\" as a port: port must be in the range 1 to 65535")
                }
                stream.ports.append(port)
            }
            return (stream, node)
        }
        let containers = (pod[path: "spec", "containers"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
        let others = ["initContainers", "ephemeralContainers"].flatMap { field in
            (pod[path: "spec", field]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
        }
        var container = request.query["container"] ?? ""
        if container.isEmpty {
            guard containers.count == 1 else {
                throw APIError.badRequest(
                    "a container name must be specified for pod \(name), choose one of: [\(containers.joined(separator: " "))]")
            }
            container = containers[0]
        }
        guard containers.contains(container) || others.contains(container) else {
            throw APIError.badRequest("container \(container) is not valid for pod \(name)")
        }
        let stream = ContainerStreamRequest(
            kind: kind, namespace: namespace, pod: name, container: container,
            command: kind == .exec ? request.queryValues["command"] ?? [] : [],
            stdin: request.flag("stdin"), stdout: request.flag("stdout"), stderr: request.flag("stderr"), tty: request.flag("tty"))
        guard stream.stdin || stream.stdout || stream.stderr else {
            throw APIError.badRequest("you must specify at least 1 of stdin, stdout, stderr")
        }
        if kind == .exec && stream.command.isEmpty {
            throw APIError.badRequest("you must specify at least 1 command")
        }
        return (stream, node)
    }
}

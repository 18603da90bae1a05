import APIMachinery
import KubeClient

/// The transport of the server's own components (scheduler, controllers, hollow nodes): requests go straight to
/// `KubernetesAPI` — same admission, validation and storage as kubectl's — without TLS or HTTP in between.
public struct InProcessTransport: KubeTransport {
    let api: KubernetesAPI
    /// The identity requests are made as, e.g. `system:kube-scheduler`, and its groups.
    let user: String
    let groups: [String]

    /// - Parameter groups: the user's groups; by default `system:masters`, which may do anything, as kube-apiserver's
    ///   own loopback client may. The server's components name their own users and groups, so that RBAC holds them
    ///   to their roles.
    public init(api: KubernetesAPI, user: String, groups: [String] = ["system:masters"]) {
        self.api = api
        self.user = user
        self.groups = groups
    }

    public func perform(_ request: KubeRequest) async throws(APIError) -> JSONValue {
        let response = await api.handle(apiRequest(request))
        switch response {
        case .json(let code, let body, _):
            if code >= 400 { throw APIError(status: body, fallbackCode: code) }
            return body
        case .bytes(let code, let body, _):
            let decoded = (try? JSONValue.parse(body)) ?? .null
            if code >= 400 { throw APIError(status: decoded, fallbackCode: code) }
            return decoded
        case .stream, .byteStream:
            throw APIError.badRequest("\(request.path) answered a stream; use watch")
        }
    }

    public func watch(_ request: KubeRequest) async throws(APIError) -> AsyncThrowingStream<JSONValue, any Error> {
        let response = await api.handle(apiRequest(request))
        switch response {
        case .stream(_, let source):
            let (events, continuation) = AsyncThrowingStream<JSONValue, any Error>.makeStream()
            // Lives as long as the consumer iterates: cancelling or finishing the consumer's stream cancels it.
            let pump = Task {
                for await event in source {
                    continuation.yield(event)
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in pump.cancel() }
            return events
        case .json(let code, let body, _):
            throw APIError(status: body, fallbackCode: code)
        case .bytes(let code, _, _):
            throw APIError(code: code, reason: "InternalError", message: "\(request.path) did not answer a watch stream")
        case .byteStream:
            throw APIError(code: 500, reason: "InternalError", message: "\(request.path) did not answer a watch stream")
        }
    }

    private func apiRequest(_ request: KubeRequest) -> APIRequest {
        var headers = ["content-type": request.contentType, "accept": "application/json"]
        if request.body == nil { headers["content-type"] = nil }
        var apiRequest = APIRequest(method: request.method, path: request.path, query: request.query, headers: headers, body: [], user: user)
        apiRequest.groups = groups
        if let body = request.body {
            if request.method == "POST" || request.method == "PUT" {
                apiRequest.decodedBody = body
                // Non-empty so that size and emptiness checks see a body; the decoded object is what is read.
                apiRequest.body = [0x7b, 0x7d]
            } else {
                apiRequest.body = body.serialized()
            }
        }
        return apiRequest
    }
}

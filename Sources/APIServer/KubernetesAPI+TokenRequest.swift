import APIMachinery
import KubeObjects
import APIRegistry
import Foundation
import ServiceAccountTokens

extension KubernetesAPI {
    /// kube-apiserver's audiences (`--api-audiences`), which default to the service-account issuer: what a token
    /// must name to authenticate to this server, and what a TokenRequest without audiences gets.
    var apiAudiences: [String] { [serviceAccountTokens.issuer] }

    /// `serviceaccounts/token` (TokenRequest): a signed token for the service account, optionally bound to a pod or
    /// a secret so that it stops working when that object goes, as pkg/registry/core/serviceaccount/storage/token.go.
    func requestToken(_ context: ResourceRequest, name: String) async throws(APIError) -> APIResponse {
        var request = try BodyDecoder.decode(context.request)
        let sentKind = request["kind"]?.stringValue ?? ""
        guard request.objectValue != nil, sentKind.isEmpty || sentKind == "TokenRequest" else {
            throw APIError.badRequest("the body of the request must be an authentication.k8s.io/v1 TokenRequest")
        }
        let namespace = try context.requireNamespace() ?? ""
        if request[path: "spec", "expirationSeconds"]?.integerValue == nil {
            request[path: "spec", "expirationSeconds"] = .integer(TokenRequestRules.defaultExpirationSeconds)
        }
        let expirationSeconds = request[path: "spec", "expirationSeconds"]?.integerValue ?? TokenRequestRules.defaultExpirationSeconds
        let causes = TokenRequestRules.validate(expirationSeconds: expirationSeconds)
        if !causes.isEmpty {
            throw APIError.invalid(kind: "TokenRequest", group: "authentication.k8s.io", name: "", causes: causes)
        }
        guard let account = try await objects.find(context.definition, namespace: namespace, name: name)?.object else {
            throw APIError.notFound(context.groupResource, name: name)
        }
        var pod: ServiceAccountTokenClaims.ObjectReference?
        var node: ServiceAccountTokenClaims.ObjectReference?
        var secret: ServiceAccountTokenClaims.ObjectReference?
        if let reference = request[path: "spec", "boundObjectRef"], !reference.isNull {
            let kind = reference["kind"]?.stringValue ?? ""
            let apiVersion = reference["apiVersion"]?.stringValue ?? ""
            let boundName = reference["name"]?.stringValue ?? ""
            let bound: JSONValue
            switch (GroupVersion(apiVersion: apiVersion).group, kind) {
            case ("", "Pod"):
                bound = try await boundObject(resource: "pods", namespace: namespace, name: boundName)
                let podAccount = bound[path: "spec", "serviceAccountName"]?.stringValue ?? ""
                if podAccount != name {
                    throw APIError.badRequest(
                        "cannot bind token for serviceaccount \"\(name)\" to pod running with serviceaccount \"\(podAccount)\"")
                }
                pod = .init(name: boundName, uid: bound.metadata.uid)
                node = try await nodeReference(of: bound)
            case ("", "Secret"):
                bound = try await boundObject(resource: "secrets", namespace: namespace, name: boundName)
                secret = .init(name: boundName, uid: bound.metadata.uid)
            default:
                throw APIError.badRequest("cannot bind token to object of type \(TokenRequestRules.groupVersionKind(apiVersion: apiVersion, kind: kind))")
            }
            if let sentUID = reference["uid"]?.stringValue, !sentUID.isEmpty, sentUID != bound.metadata.uid {
                throw APIError.conflict(
                    GroupResource(group: "", resource: kind), name: boundName,
                    detail: "the UID in the bound object reference (\(sentUID)) does not match the UID in record (\(bound.metadata.uid)). "
                        + "The object might have been deleted and then recreated")
            }
        }
        var audiences = (request[path: "spec", "audiences"]?.arrayValue ?? []).compactMap(\.stringValue)
        if audiences.isEmpty {
            audiences = apiAudiences
            request[path: "spec", "audiences"] = .array(audiences.map { .string($0) })
        }
        let claims = ServiceAccountTokenClaims.forServiceAccount(
            namespace: namespace, serviceAccount: .init(name: name, uid: account.metadata.uid), pod: pod, node: node, secret: secret,
            audiences: audiences, lifetimeSeconds: expirationSeconds, now: Date())
        let token: String
        do {
            token = try serviceAccountTokens.sign(claims)
        } catch {
            throw APIError.internalError("failed to generate token: \(error)")
        }
        request["kind"] = "TokenRequest"
        request["apiVersion"] = "authentication.k8s.io/v1"
        request[path: "metadata", "name"] = .string(name)
        request[path: "metadata", "namespace"] = .string(namespace)
        request[path: "metadata", "creationTimestamp"] = .null
        request["status"] = ["token": .string(token), "expirationTimestamp": .string(KubeTime.format(claims.expiresAt))]
        return .created(request)
    }

    /// The node a pod runs on, named in its tokens; none when it is not scheduled or the node is gone.
    private func nodeReference(of pod: JSONValue) async throws(APIError) -> ServiceAccountTokenClaims.ObjectReference? {
        guard let nodeName = Pod(pod).spec.nodeName, !nodeName.isEmpty,
            let nodes = catalog.resource(group: "", version: "v1", resource: "nodes"),
            let found = try await objects.find(nodes, namespace: nil, name: nodeName)
        else {
            return nil
        }
        return .init(name: nodeName, uid: found.object.metadata.uid)
    }

    private func boundObject(resource: String, namespace: String, name: String) async throws(APIError) -> JSONValue {
        guard let definition = catalog.resource(group: "", version: "v1", resource: resource) else { throw Self.resourceNotFound }
        guard let found = try await objects.find(definition, namespace: namespace, name: name) else {
            throw APIError.notFound(definition.groupResource, name: name)
        }
        return found.object
    }
}

import APIMachinery
import APIRegistry

extension KubernetesAPI {
    /// Create-only "review" resources are answered, never stored (`kubectl auth can-i`, `auth whoami`).
    func reviewRequest(_ review: JSONValue, context: ResourceRequest) throws(APIError) -> APIResponse {
        var answer = review
        let user = context.request.user
        switch (context.definition.group, context.definition.resource) {
        case ("authorization.k8s.io", "selfsubjectaccessreviews"), ("authorization.k8s.io", "subjectaccessreviews"),
            ("authorization.k8s.io", "localsubjectaccessreviews"):
            // Until RBAC exists every authenticated client — admin certificate or join token — may do anything.
            answer["status"] = ["allowed": true, "reason": "skiff: authenticated clients are administrators"]
        case ("authentication.k8s.io", "selfsubjectreviews"):
            let groups = context.request.groups + ["system:authenticated"]
            var userInfo: JSONValue = ["username": .string(user), "groups": .array(groups.map { .string($0) })]
            if !context.request.userUID.isEmpty { userInfo["uid"] = .string(context.request.userUID) }
            if !context.request.userExtra.isEmpty {
                userInfo["extra"] = .object(context.request.userExtra.mapValues { .array($0.map { .string($0) }) })
            }
            answer["status"] = ["userInfo": userInfo]
        case ("authorization.k8s.io", "selfsubjectrulesreviews"):
            answer["status"] = [
                "resourceRules": [["verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]]],
                "nonResourceRules": [["verbs": ["*"], "nonResourceURLs": ["*"]]], "incomplete": false,
            ]
        default:
            throw APIError.methodNotAllowed("the server does not allow this method on the requested resource")
        }
        answer[path: "metadata", "creationTimestamp"] = nil
        return .created(answer)
    }
}

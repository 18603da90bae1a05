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
            // Every authenticated client holds the cluster CA's admin certificate until RBAC exists.
            answer["status"] = ["allowed": true, "reason": "skiff: client certificates signed by the cluster CA are administrators"]
        case ("authentication.k8s.io", "selfsubjectreviews"):
            answer["status"] = ["userInfo": ["username": .string(user), "groups": ["system:masters", "system:authenticated"]]]
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

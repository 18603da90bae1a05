import APIMachinery
import APIRegistry
import Authorization
import KubeObjects

extension KubernetesAPI {
    /// Create-only "review" resources are answered, never stored (`kubectl auth can-i`, `auth whoami`).
    func reviewRequest(_ review: JSONValue, context: ResourceRequest) async throws(APIError) -> APIResponse {
        var answer = review
        let request = context.request
        let groups = Self.effectiveGroups(request.groups)
        switch (context.definition.group, context.definition.resource) {
        case ("authorization.k8s.io", "selfsubjectaccessreviews"):
            answer["status"] = try accessReviewStatus(review, user: request.user, groups: groups, namespace: nil)
        case ("authorization.k8s.io", "subjectaccessreviews"):
            let (user, reviewedGroups) = try Self.reviewedSubject(review)
            answer["status"] = try accessReviewStatus(review, user: user, groups: reviewedGroups, namespace: nil)
        case ("authorization.k8s.io", "localsubjectaccessreviews"):
            let (user, reviewedGroups) = try Self.reviewedSubject(review)
            answer["status"] = try accessReviewStatus(review, user: user, groups: reviewedGroups, namespace: context.path.namespace ?? "")
        case ("authentication.k8s.io", "selfsubjectreviews"):
            var userInfo: JSONValue = ["username": .string(request.user), "groups": .array(groups.map { .string($0) })]
            if !request.userUID.isEmpty { userInfo["uid"] = .string(request.userUID) }
            if !request.userExtra.isEmpty {
                userInfo["extra"] = .object(request.userExtra.mapValues { .array($0.map { .string($0) }) })
            }
            answer["status"] = ["userInfo": userInfo]
        case ("authentication.k8s.io", "tokenreviews"):
            answer["status"] = try await tokenReviewStatus(review)
        case ("authorization.k8s.io", "selfsubjectrulesreviews"):
            answer["status"] = try rulesReviewStatus(review, user: request.user, groups: groups)
        default:
            throw APIError.methodNotAllowed("the server does not allow this method on the requested resource")
        }
        answer[path: "metadata", "creationTimestamp"] = nil
        return .created(answer)
    }

    /// Who a bearer token authenticates as (TokenReview), as the API server itself would decide for a request
    /// carrying it; for the audiences the review names when they are not the API server's own.
    private func tokenReviewStatus(_ review: JSONValue) async throws(APIError) -> JSONValue {
        guard let token = review[path: "spec", "token"]?.stringValue, !token.isEmpty else {
            throw APIError.badRequest("token is required for TokenReview in authentication", causes: [])
        }
        let requested = (review[path: "spec", "audiences"]?.arrayValue ?? []).compactMap(\.stringValue)
        let user: AuthenticatedUser?
        let audiences: [String]
        if requested.isEmpty || requested.contains(where: apiAudiences.contains) {
            user = await tokenAuthenticator.current?(token)
            audiences = requested.isEmpty ? apiAudiences : requested.filter(apiAudiences.contains)
        } else {
            user = await authenticateServiceAccountToken(token, audiences: requested)
            audiences = requested
        }
        guard let user else { return ["authenticated": false, "user": [:]] }
        var userInfo: JSONValue = ["username": .string(user.name), "groups": .array(Self.effectiveGroups(user.groups).map { .string($0) })]
        if !user.uid.isEmpty { userInfo["uid"] = .string(user.uid) }
        if !user.extra.isEmpty { userInfo["extra"] = .object(user.extra.mapValues { .array($0.map { .string($0) }) }) }
        return ["authenticated": true, "user": userInfo, "audiences": .array(audiences.map { .string($0) })]
    }

    /// The user and groups a SubjectAccessReview asks about; at least one must be given.
    private static func reviewedSubject(_ review: JSONValue) throws(APIError) -> (String, [String]) {
        let user = review[path: "spec", "user"]?.stringValue ?? ""
        let groups = (review[path: "spec", "groups"]?.arrayValue ?? []).compactMap(\.stringValue)
        if user.isEmpty && groups.isEmpty {
            throw APIError.invalid(
                kind: "SubjectAccessReview", group: "authorization.k8s.io", name: "",
                causes: [.init(type: "FieldValueRequired", message: "at least one of user or group must be specified", field: "spec.user")])
        }
        return (user, groups)
    }

    /// Whether the subject may do what the review's `resourceAttributes` or `nonResourceAttributes` describe.
    /// `namespace` is a LocalSubjectAccessReview's, which the attributes must name.
    private func accessReviewStatus(_ review: JSONValue, user: String, groups: [String], namespace: String?) throws(APIError) -> JSONValue {
        let resource = Self.present(review[path: "spec", "resourceAttributes"])
        let nonResource = Self.present(review[path: "spec", "nonResourceAttributes"])
        let kind = review["kind"]?.stringValue ?? "SubjectAccessReview"
        guard (resource == nil) != (nonResource == nil) else {
            throw APIError.invalid(
                kind: kind, group: "authorization.k8s.io", name: "",
                causes: [.init(type: "FieldValueRequired", message: "exactly one of nonResourceAttributes or resourceAttributes must be specified", field: "spec.resourceAttributes")])
        }
        let attributes: AuthorizationAttributes
        if let resource {
            func field(_ name: String) -> String { resource[name]?.stringValue ?? "" }
            if let namespace, field("namespace") != namespace {
                throw APIError.badRequest("spec.resourceAttributes.namespace must match namespace: \(namespace)", causes: [])
            }
            attributes = .resource(
                user: user, groups: groups, verb: field("verb"), apiGroup: field("group"), resource: field("resource"),
                subresource: field("subresource"), namespace: field("namespace"), name: field("name"))
        } else {
            attributes = .nonResource(
                user: user, groups: groups, verb: nonResource?["verb"]?.stringValue ?? "", path: nonResource?["path"]?.stringValue ?? "")
        }
        let decision = authorizer.authorize(attributes)
        var status: JSONValue = ["allowed": .bool(decision.allowed)]
        if !decision.reason.isEmpty { status["reason"] = .string(decision.reason) }
        return status
    }

    /// A field's value unless it is missing or null.
    private static func present(_ value: JSONValue?) -> JSONValue? {
        guard let value, !value.isNull else { return nil }
        return value
    }

    /// Every rule the user holds in the review's namespace (`kubectl auth can-i --list`).
    private func rulesReviewStatus(_ review: JSONValue, user: String, groups: [String]) throws(APIError) -> JSONValue {
        guard let namespace = review[path: "spec", "namespace"]?.stringValue, !namespace.isEmpty else {
            throw APIError.badRequest("no namespace on request", causes: [])
        }
        var (rules, errors) = authorizer.policy.rules(user: user, groups: groups, namespace: namespace)
        if groups.contains(RequestAuthorizer.privilegedGroup) {
            rules.insert(contentsOf: [PolicyRule(verbs: ["*"], apiGroups: ["*"], resources: ["*"]), PolicyRule(verbs: ["*"], nonResourceURLs: ["*"])], at: 0)
        }
        func strings(_ values: [String]) -> JSONValue { .array(values.map { .string($0) }) }
        var resourceRules: [JSONValue] = []
        var nonResourceRules: [JSONValue] = []
        for rule in rules {
            if !rule.resources.isEmpty || !rule.apiGroups.isEmpty {
                var entry: JSONValue = ["verbs": strings(rule.verbs), "apiGroups": strings(rule.apiGroups), "resources": strings(rule.resources)]
                if !rule.resourceNames.isEmpty { entry["resourceNames"] = strings(rule.resourceNames) }
                resourceRules.append(entry)
            }
            if !rule.nonResourceURLs.isEmpty {
                nonResourceRules.append(["verbs": strings(rule.verbs), "nonResourceURLs": strings(rule.nonResourceURLs)])
            }
        }
        var status: JSONValue = ["resourceRules": .array(resourceRules), "nonResourceRules": .array(nonResourceRules), "incomplete": .bool(!errors.isEmpty)]
        if !errors.isEmpty { status["evaluationError"] = .string(errors.joined(separator: ", ")) }
        return status
    }
}

import APIMachinery
import APIRegistry
import KubeObjects
import LimitRanges
import PodSecurity

extension KubernetesAPI {
    /// The admission plugins Skiff runs on a create or update of a main resource (never a subresource), after
    /// defaulting and managedFields and before validation, as Kubernetes orders them. `old` is nil on create;
    /// `admissionName` is the name errors use (Kubernetes admits a `generateName` object before naming it).
    func admit(_ object: inout JSONValue, old: JSONValue?, definition: ResourceDefinition, admissionName: String) async throws(APIError) {
        switch (definition.group, definition.resource) {
        case ("", "pods"):
            if let old {
                PriorityAdmission.keepResolvedPriority(&object, old: old)
            } else {
                try await admitLimitRanges(&object, admissionName: admissionName)
                if admitsServiceAccounts && !ServiceAccountAdmission.isMirrorPod(object) {
                    try await admitServiceAccount(&object, admissionName: admissionName)
                }
                try await admitPriority(&object, admissionName: admissionName)
            }
            DefaultTolerationSeconds.admit(&object)
            try await admitPodSecurity(object, old: old, admissionName: admissionName)
        case ("", "namespaces"):
            try await admitNamespacePodSecurity(object, old: old)
        case let (group, resource) where PodSecurityAdmission.podTemplateResources.contains(GroupResource(group: group, resource: resource)):
            guard let namespace = try await namespaceObject(object.metadata.namespace) else { return }
            podSecurity.admitPodController(object, resource: GroupResource(group: group, resource: resource), namespace: namespace, userName: "")
                .forEach(AdmissionWarnings.add)
        case ("networking.k8s.io", "ingresses") where old == nil:
            try await admitDefaultIngressClass(&object)
        case ("", "persistentvolumeclaims") where old == nil:
            try await admitDefaultStorageClass(&object)
            Self.addFinalizer(PersistentVolumeClaim.protectionFinalizer, to: &object)
            try await validateClaimLimits(object, old: nil, admissionName: admissionName)
        case ("", "persistentvolumeclaims"):
            if let old { try await admitClaimResize(object, old: old, admissionName: admissionName) }
            try await validateClaimLimits(object, old: old, admissionName: admissionName)
        case ("", "persistentvolumes") where old == nil:
            Self.addFinalizer(PersistentVolume.protectionFinalizer, to: &object)
        case ("scheduling.k8s.io", "priorityclasses"):
            try PriorityAdmission.validateClass(object, isUpdate: old != nil, existing: try await allPriorityClasses())
        default:
            break
        }
    }

    /// LimitRanger on a new pod: containers without requests or limits get their namespace's defaults (noted in the
    /// `kubernetes.io/limit-ranger` annotation), then every LimitRange's min, max and ratio must hold.
    private func admitLimitRanges(_ pod: inout JSONValue, admissionName: String) async throws(APIError) {
        let limitRanges = try await namespaceLimitRanges(pod.metadata.namespace)
        guard !limitRanges.isEmpty else { return }
        do {
            try LimitRanger.admitPod(&pod, limitRanges: limitRanges)
        } catch {
            throw APIError.forbidden(GroupResource(group: "", resource: "pods"), name: admissionName, message: error.message)
        }
    }

    /// LimitRanger on a claim: its storage request must lie within the namespace's PersistentVolumeClaim limits.
    private func validateClaimLimits(_ claim: JSONValue, old: JSONValue?, admissionName: String) async throws(APIError) {
        let limitRanges = try await namespaceLimitRanges(claim.metadata.namespace)
        guard !limitRanges.isEmpty else { return }
        do {
            try LimitRanger.validateClaim(claim, old: old, limitRanges: limitRanges)
        } catch {
            throw APIError.forbidden(GroupResource(group: "", resource: "persistentvolumeclaims"), name: admissionName, message: error.message)
        }
    }

    private func namespaceLimitRanges(_ namespace: String?) async throws(APIError) -> [JSONValue] {
        guard let namespace, let limitRanges = catalog.resource(group: "", version: "v1", resource: "limitranges") else { return [] }
        if let known = admissionObjects.objects(.limitRanges, namespace: namespace) { return known }
        return try await listAll(limitRanges, namespace: namespace)
    }

    /// PodSecurity: a pod that breaks its namespace's enforce level is refused; one that breaks its warn level is
    /// admitted with warnings. No user is exempt, as in Kubernetes' default configuration.
    private func admitPodSecurity(_ pod: JSONValue, old: JSONValue?, admissionName: String) async throws(APIError) {
        guard let namespace = try await namespaceObject(pod.metadata.namespace) else { return }
        try podSecurity.admitPod(pod, old: old, namespace: namespace, userName: "", admissionName: admissionName).forEach(AdmissionWarnings.add)
        // Kubernetes records the audit level's findings in the request's audit event; Skiff has no audit log but its own.
        if let violations = podSecurity.auditViolations(of: pod, old: old, namespace: namespace, userName: "") {
            logger.notice(
                "pod security audit",
                metadata: ["namespace": "\(namespace.metadata.name)", "pod": "\(admissionName)", "pod-security.kubernetes.io/audit-violations": "\(violations)"])
        }
    }

    /// PodSecurity on a namespace: its labels must name levels and versions, and a stricter enforce level is tried
    /// on the pods already there, each failure a warning (the pods keep running, as in Kubernetes).
    private func admitNamespacePodSecurity(_ namespace: JSONValue, old: JSONValue?) async throws(APIError) {
        switch try podSecurity.admitNamespace(namespace, old: old) {
        case .admitted(let warnings):
            warnings.forEach(AdmissionWarnings.add)
        case .checkExistingPods(let enforce):
            guard let pods = catalog.resource(group: "", version: "v1", resource: "pods") else { return }
            let existing: [JSONValue]
            do {
                existing = try await listAll(pods, namespace: namespace.metadata.name)
            } catch {
                AdmissionWarnings.add(PodSecurityAdmission.podListingFailedWarning)
                return
            }
            podSecurity.existingPodWarnings(namespace: namespace.metadata.name, enforce: enforce, pods: existing).forEach(AdmissionWarnings.add)
        }
    }

    private func namespaceObject(_ name: String?) async throws(APIError) -> JSONValue? {
        guard let name, let namespaces = catalog.resource(group: "", version: "v1", resource: "namespaces") else { return nil }
        return try await objects.find(namespaces, namespace: nil, name: name)?.object
    }

    /// DefaultIngressClass: a new Ingress that names no class (neither `spec.ingressClassName` nor the old
    /// annotation) gets the default IngressClass's name, the newest when several claim to be the default.
    private func admitDefaultIngressClass(_ ingress: inout JSONValue) async throws(APIError) {
        guard ingress[path: "spec", "ingressClassName"]?.stringValue == nil, ingress.metadata.annotations[Ingress.classAnnotation] == nil,
            let classes = catalog.resource(group: "networking.k8s.io", version: "v1", resource: "ingressclasses")
        else { return }
        let defaults = try await listAll(classes, namespace: nil).filter {
            $0.metadata.annotations["ingressclass.kubernetes.io/is-default-class"] == "true"
        }
        guard let newest = defaults.max(by: { ($0.metadata.creationTimestamp ?? "", $0.metadata.name) < ($1.metadata.creationTimestamp ?? "", $1.metadata.name) })
        else { return }
        ingress[path: "spec", "ingressClassName"] = .string(newest.metadata.name)
    }

    /// DefaultStorageClass: a new claim that names no class (no `spec.storageClassName`, not even "", and no beta
    /// annotation) gets the default StorageClass, the newest when several claim to be the default.
    private func admitDefaultStorageClass(_ claim: inout JSONValue) async throws(APIError) {
        guard PersistentVolumeClaim(claim).className == nil,
            let classes = catalog.resource(group: "storage.k8s.io", version: "v1", resource: "storageclasses")
        else { return }
        let defaults = try await listAll(classes, namespace: nil).filter { StorageClass($0).isDefault }
        guard let newest = defaults.max(by: { ($0.metadata.creationTimestamp ?? "", $0.metadata.name) < ($1.metadata.creationTimestamp ?? "", $1.metadata.name) })
        else { return }
        claim[path: "spec", "storageClassName"] = .string(newest.metadata.name)
    }

    /// PersistentVolumeClaimResize: a claim may ask for more storage only when it is bound and its class allows
    /// volume expansion.
    private func admitClaimResize(_ claim: JSONValue, old: JSONValue, admissionName: String) async throws(APIError) {
        guard let requested = PersistentVolumeClaim(claim).requestedStorage, let before = PersistentVolumeClaim(old).requestedStorage,
            before < requested
        else { return }
        let className = PersistentVolumeClaim(old).className ?? ""
        var allowed = false
        if PersistentVolumeClaim(old).volumeName != nil, !className.isEmpty,
            let classes = catalog.resource(group: "storage.k8s.io", version: "v1", resource: "storageclasses"),
            let storageClass = try await objects.find(classes, namespace: nil, name: className)?.object
        {
            allowed = storageClass["allowVolumeExpansion"]?.boolValue == true
        }
        guard !allowed else { return }
        throw APIError.forbidden(
            GroupResource(group: "", resource: "persistentvolumeclaims"), name: admissionName,
            message: "only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize")
    }

    /// StorageObjectInUseProtection: claims and volumes are created with the finalizer that keeps them while in use.
    private static func addFinalizer(_ finalizer: String, to object: inout JSONValue) {
        let finalizers = object.metadata.finalizers
        guard !finalizers.contains(finalizer) else { return }
        object[path: "metadata", "finalizers"] = .array((finalizers + [finalizer]).map(JSONValue.string))
    }

    private func admitServiceAccount(_ pod: inout JSONValue, admissionName: String) async throws(APIError) {
        let namespace = pod.metadata.namespace ?? ""
        let name = ServiceAccountAdmission.accountName(of: pod)
        guard let account = try await serviceAccountForAdmission(namespace: namespace, name: name) else {
            throw ServiceAccountAdmission.missingAccount(namespace: namespace, name: name, admissionName: admissionName)
        }
        ServiceAccountAdmission.admitNewPod(
            &pod, account: account, newVolumeName: ObjectLifecycle.generateName(prefix: ServiceAccountAdmission.volumeNamePrefix))
    }

    /// The account, or nil when it does not exist. The service-account controller creates `default` right after
    /// its namespace, so a pod created at once may come before it: as Kubernetes, look for `default` ten times,
    /// 100–200 ms apart, before giving up.
    private func serviceAccountForAdmission(namespace: String, name: String) async throws(APIError) -> JSONValue? {
        guard let serviceAccounts = catalog.resource(group: "", version: "v1", resource: "serviceaccounts") else { return nil }
        let attempts = name == ServiceAccountAdmission.defaultAccountName ? 10 : 1
        let interval = Duration.milliseconds(Int.random(in: 100..<200))
        for attempt in 0..<attempts {
            if attempt > 0 {
                do {
                    try await Task.sleep(for: interval)
                } catch {
                    throw APIError.serviceUnavailable("the request was cancelled")
                }
            }
            if let found = try await objects.find(serviceAccounts, namespace: namespace, name: name) {
                return found.object
            }
        }
        return nil
    }

    private func admitPriority(_ pod: inout JSONValue, admissionName: String) async throws(APIError) {
        let className = pod[path: "spec", "priorityClassName"]?.stringValue ?? ""
        var named: JSONValue?
        var globalDefault: JSONValue?
        if className.isEmpty {
            globalDefault = PriorityAdmission.defaultClass(among: try await allPriorityClasses())
        } else if let priorityClasses = priorityClassDefinition {
            named = try await objects.find(priorityClasses, namespace: nil, name: className)?.object
        }
        try PriorityAdmission.admitNewPod(&pod, named: named, globalDefault: globalDefault, admissionName: admissionName)
    }

    private var priorityClassDefinition: ResourceDefinition? {
        catalog.resource(group: "scheduling.k8s.io", version: "v1", resource: "priorityclasses")
    }

    private func allPriorityClasses() async throws(APIError) -> [JSONValue] {
        guard let priorityClasses = priorityClassDefinition else { return [] }
        return try await listAll(priorityClasses, namespace: nil)
    }
}

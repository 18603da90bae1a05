import APIMachinery
import KubeObjects

/// Kubernetes' `ServiceAccount` admission plugin (plugin/pkg/admission/serviceaccount) for new pods: every pod runs
/// as a service account that exists, `default` unless it names one, and gets the account's API credentials as the
/// `kube-api-access-<random>` projected volume mounted in each container, unless automounting is turned off.
enum ServiceAccountAdmission {
    static let pods = GroupResource(group: "", resource: "pods")
    static let defaultAccountName = "default"
    /// Where client libraries look for the token, CA and namespace (`rest.InClusterConfig`).
    static let mountPath = "/var/run/secrets/kubernetes.io/serviceaccount"
    static let volumeNamePrefix = "kube-api-access-"
    /// A little over an hour, so that the API server can tell kubelet-projected tokens from others by their lifetime.
    static let tokenExpirationSeconds: Int64 = 3607
    /// Mirror pods stand for a kubelet's static pods, which run without the API's credentials.
    static let mirrorPodAnnotation = "kubernetes.io/config.mirror"

    /// The service account the pod runs as: `serviceAccountName`, else the deprecated `serviceAccount`, else `default`.
    static func accountName(of pod: JSONValue) -> String {
        for field in ["serviceAccountName", "serviceAccount"] {
            if let name = pod[path: "spec", field]?.stringValue, !name.isEmpty { return name }
        }
        return defaultAccountName
    }

    static func isMirrorPod(_ pod: JSONValue) -> Bool {
        pod[path: "metadata", "annotations", mirrorPodAnnotation] != nil
    }

    /// The refusal for a pod whose service account does not exist.
    static func missingAccount(namespace: String, name: String, admissionName: String) -> APIError {
        .forbidden(
            pods, name: admissionName,
            message: "error looking up service account \(namespace)/\(name): serviceaccount \"\(name)\" not found")
    }

    /// Admits a new pod that runs as `account`: names the account in both fields (defaulting has made them agree,
    /// and the v1 conversion shows the deprecated one), copies the account's `imagePullSecrets` when the pod has none, and mounts the API access
    /// volume unless the pod or else the account turns `automountServiceAccountToken` off. `newVolumeName` is the volume's
    /// name should one be added (`kube-api-access-` and five random characters).
    static func admitNewPod(_ pod: inout JSONValue, account: JSONValue, newVolumeName: String) {
        let name = accountName(of: pod)
        pod[path: "spec", "serviceAccountName"] = .string(name)
        pod[path: "spec", "serviceAccount"] = .string(name)
        if shouldAutomount(pod: pod, account: account) {
            mountAPIAccess(&pod, newVolumeName: newVolumeName)
        }
        if (pod[path: "spec", "imagePullSecrets"]?.arrayValue ?? []).isEmpty,
            let secrets = account["imagePullSecrets"]?.arrayValue, !secrets.isEmpty
        {
            pod[path: "spec", "imagePullSecrets"] = .array(secrets.map { ["name": $0["name"] ?? ""] })
        }
    }

    static func shouldAutomount(pod: JSONValue, account: JSONValue) -> Bool {
        if let podChoice = pod[path: "spec", "automountServiceAccountToken"]?.boolValue { return podChoice }
        return account["automountServiceAccountToken"]?.boolValue ?? true
    }

    /// Mounts an existing `kube-api-access-*` volume, or a new one, read-only at `mountPath` in every init container and
    /// container that mounts nothing there yet; the volume is added only when some container needs it.
    static func mountAPIAccess(_ pod: inout JSONValue, newVolumeName: String) {
        let volumes = Pod(pod).spec.volumes
        let existing = volumes.compactMap { $0["name"]?.stringValue }.first { $0.hasPrefix(volumeNamePrefix) }
        let volumeName = existing ?? newVolumeName
        let mount: JSONValue = ["name": .string(volumeName), "readOnly": true, "mountPath": .string(mountPath)]
        var mounted = false
        for field in ["initContainers", "containers"] {
            guard var containers = pod[path: "spec", field]?.arrayValue else { continue }
            for index in containers.indices {
                var mounts = containers[index]["volumeMounts"]?.arrayValue ?? []
                if mounts.contains(where: { $0["mountPath"]?.stringValue == mountPath }) { continue }
                mounts.append(mount)
                containers[index]["volumeMounts"] = .array(mounts)
                mounted = true
            }
            pod[path: "spec", field] = .array(containers)
        }
        if existing == nil && mounted {
            pod[path: "spec", "volumes"] = .array(volumes + [apiAccessVolume(named: volumeName)])
        }
    }

    /// The token for the pod's account, the cluster CA from `kube-root-ca.crt` and the namespace, as Kubernetes
    /// writes the volume (defaults included: admission runs after defaulting).
    static func apiAccessVolume(named name: String) -> JSONValue {
        [
            "name": .string(name),
            "projected": [
                "defaultMode": 0o644,
                "sources": [
                    ["serviceAccountToken": ["expirationSeconds": .integer(tokenExpirationSeconds), "path": "token"]],
                    ["configMap": ["name": "kube-root-ca.crt", "items": [["key": "ca.crt", "path": "ca.crt"]]]],
                    [
                        "downwardAPI": [
                            "items": [["path": "namespace", "fieldRef": ["apiVersion": "v1", "fieldPath": "metadata.namespace"]]]
                        ]
                    ],
                ],
            ],
        ]
    }
}

#!/usr/bin/env python3
"""Derives the compact protobuf schema the KubeProtobuf decoder reads from Kubernetes' generated.proto files.

Writes one committed Swift source:
  Sources/KubeProtobuf/ProtoSchema+Data.swift

Run from the repository root:
  python3 scripts/generate-protobuf-schema.py [proto-root] [openapi-v2.json]
Defaults: /work/shared/specs/k8s-proto and Sources/APIRegistry/Resources/kubernetes-openapi-v2.json.

Format (one message per line, the line number is the message's index):
  <full.proto.Name>[@<special>]=<field>;<field>;...
  special: a type whose Go JSON form is not its proto form (see SPECIAL_MESSAGES), or `list` for the
           `+protobuf.nullable=true` wrappers of Go slices (Verbs, ExtraValue) that are JSON arrays
  field = <number>:<jsonName>:<flags><kind>[:<message index>]
  flags: '*' repeated, '?' Go pointer (a zero value on the wire is meaningful), '^' inlined into the parent's JSON
  kind: s string, b bytes, B bool, i int32, I int64, u uint32, U uint64, z sint32, Z sint64, x fixed32,
        X fixed64, y sfixed32, Y sfixed64, f float, d double, m message, M map (then :<key kind>/<value kind or m<index>>)

JSON names: the proto names are Kubernetes' JSON names except a few whose case differs (`uID` is `uid`); the
OpenAPI spec decides. A proto field that the OpenAPI schema lacks while its message's fields are all there is an
embedded Go struct tagged `json:",inline"` (Volume.volumeSource, Probe.handler, ...).

Pointers: the .proto files mark every field `optional`, and Go's protobuf marshalling writes non-pointer fields even
when zero, so the wire cannot tell `replicas: 0` from an unset `generation`. Kubernetes' JSON omits those zero values
(`omitempty`) and defaults them like absent ones; only fields declared as Go pointers keep a zero. POINTER_FIELDS lists
the scalar and int-or-string pointer fields of k8s.io/api and apimachinery (from their types.go).
"""

import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROTO_ROOT = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/specs/k8s-proto"
SPEC = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "Sources/APIRegistry/Resources/kubernetes-openapi-v2.json")
OUT = os.path.join(ROOT, "Sources/KubeProtobuf/ProtoSchema+Data.swift")

META = "k8s.io.apimachinery.pkg.apis.meta.v1"
POINTER_FIELDS = {
    META: {
        "ObjectMeta": ["deletionGracePeriodSeconds"],
        "ListMeta": ["remainingItemCount"],
        "OwnerReference": ["controller", "blockOwnerDeletion"],
        "DeleteOptions": ["gracePeriodSeconds", "orphanDependents", "propagationPolicy",
                          "ignoreStoreReadErrorWithClusterBreakingPotential"],
        "Preconditions": ["uid", "resourceVersion"],
        "PatchOptions": ["force"],
        "ListOptions": ["timeoutSeconds", "sendInitialEvents"],
    },
    "k8s.io.api.apps.v1": {
        "DeploymentSpec": ["replicas", "revisionHistoryLimit", "progressDeadlineSeconds"],
        "DeploymentStatus": ["collisionCount"],
        "RollingUpdateDeployment": ["maxUnavailable", "maxSurge"],
        "StatefulSetSpec": ["replicas", "revisionHistoryLimit"],
        "StatefulSetStatus": ["collisionCount"],
        "RollingUpdateStatefulSetStrategy": ["partition", "maxUnavailable"],
        "ReplicaSetSpec": ["replicas"],
        "DaemonSetSpec": ["revisionHistoryLimit"],
        "DaemonSetStatus": ["collisionCount"],
        "RollingUpdateDaemonSet": ["maxUnavailable", "maxSurge"],
    },
    "k8s.io.api.core.v1": {
        "ReplicationControllerSpec": ["replicas"],
        "PodSpec": ["terminationGracePeriodSeconds", "activeDeadlineSeconds", "automountServiceAccountToken",
                    "shareProcessNamespace", "priority", "enableServiceLinks", "preemptionPolicy",
                    "runtimeClassName", "setHostnameAsFQDN", "hostUsers"],
        "ServiceAccount": ["automountServiceAccountToken"],
        "SecurityContext": ["privileged", "runAsUser", "runAsGroup", "runAsNonRoot", "readOnlyRootFilesystem",
                            "allowPrivilegeEscalation", "procMount"],
        "PodSecurityContext": ["runAsUser", "runAsGroup", "runAsNonRoot", "fsGroup", "fsGroupChangePolicy",
                               "supplementalGroupsPolicy", "seLinuxChangePolicy"],
        "Container": ["restartPolicy"],
        "EphemeralContainerCommon": ["restartPolicy"],
        "Probe": ["terminationGracePeriodSeconds"],
        "GRPCAction": ["service"],
        "Secret": ["immutable"],
        "ConfigMap": ["immutable"],
        "SecretVolumeSource": ["defaultMode", "optional"],
        "ConfigMapVolumeSource": ["defaultMode", "optional"],
        "ProjectedVolumeSource": ["defaultMode"],
        "DownwardAPIVolumeSource": ["defaultMode"],
        "DownwardAPIVolumeFile": ["mode"],
        "KeyToPath": ["mode"],
        "ConfigMapKeySelector": ["optional"],
        "SecretKeySelector": ["optional"],
        "ConfigMapEnvSource": ["optional"],
        "SecretEnvSource": ["optional"],
        "ConfigMapProjection": ["optional"],
        "SecretProjection": ["optional"],
        "ServiceAccountTokenProjection": ["expirationSeconds"],
        "ClusterTrustBundleProjection": ["name", "signerName", "optional"],
        "PersistentVolumeClaimSpec": ["storageClassName", "volumeMode", "volumeAttributesClassName"],
        "PersistentVolumeClaimStatus": ["currentVolumeAttributesClassName"],
        "PersistentVolumeSpec": ["volumeMode", "volumeAttributesClassName"],
        "PersistentVolumeStatus": ["lastPhaseTransitionTime"],
        "ServiceSpec": ["allocateLoadBalancerNodePorts", "loadBalancerClass", "internalTrafficPolicy",
                        "ipFamilyPolicy", "trafficDistribution"],
        "ClientIPConfig": ["timeoutSeconds"],
        "ServicePort": ["appProtocol"],
        "EndpointPort": ["appProtocol"],
        "EndpointAddress": ["nodeName"],
        "LoadBalancerIngress": ["ipMode"],
        "HostPathVolumeSource": ["type"],
        "CSIVolumeSource": ["readOnly", "fsType"],
        "TopologySpreadConstraint": ["minDomains", "nodeAffinityPolicy", "nodeTaintsPolicy"],
        "Toleration": ["tolerationSeconds"],
        "VolumeMount": ["mountPropagation", "recursiveReadOnly"],
        "VolumeMountStatus": ["readOnly", "recursiveReadOnly"],
        "SeccompProfile": ["localhostProfile"],
        "AppArmorProfile": ["localhostProfile"],
        "WindowsSecurityContextOptions": ["gmsaCredentialSpecName", "gmsaCredentialSpec", "runAsUserName",
                                          "hostProcess"],
        "PodDNSConfigOption": ["value"],
        "ContainerStatus": ["started"],
        "TypedLocalObjectReference": ["apiGroup"],
        "TypedObjectReference": ["apiGroup", "namespace"],
        "ISCSIVolumeSource": ["initiatorName"],
        "ISCSIPersistentVolumeSource": ["initiatorName"],
        "AzureDiskVolumeSource": ["cachingMode", "fsType", "readOnly", "kind"],
        "LocalVolumeSource": ["fsType"],
        "PodResourceClaim": ["resourceClaimName", "resourceClaimTemplateName"],
        "PodResourceClaimStatus": ["resourceClaimName"],
        "NodeSwapStatus": ["capacity"],
    },
    "k8s.io.api.batch.v1": {
        "JobSpec": ["parallelism", "completions", "activeDeadlineSeconds", "backoffLimit", "backoffLimitPerIndex",
                    "maxFailedIndexes", "ttlSecondsAfterFinished", "completionMode", "suspend", "manualSelector",
                    "podReplacementPolicy", "managedBy"],
        "JobStatus": ["ready", "terminating", "failedIndexes"],
        "CronJobSpec": ["startingDeadlineSeconds", "suspend", "successfulJobsHistoryLimit",
                        "failedJobsHistoryLimit", "timeZone"],
        "PodFailurePolicyOnExitCodesRequirement": ["containerName"],
        "SuccessPolicyRule": ["succeededIndexes", "succeededCount"],
    },
    "k8s.io.api.authentication.v1": {
        "TokenRequestSpec": ["expirationSeconds"],
    },
    "k8s.io.api.policy.v1": {
        "PodDisruptionBudgetSpec": ["minAvailable", "maxUnavailable", "unhealthyPodEvictionPolicy"],
    },
    "k8s.io.api.networking.v1": {
        "IngressSpec": ["ingressClassName"],
        "HTTPIngressPath": ["pathType"],
        "NetworkPolicyPort": ["protocol", "port", "endPort"],
        "IngressClassParametersReference": ["apiGroup", "scope", "namespace"],
        "IngressPortStatus": ["error"],
    },
    "k8s.io.api.autoscaling.v1": {
        "HorizontalPodAutoscalerSpec": ["minReplicas", "targetCPUUtilizationPercentage"],
        "HorizontalPodAutoscalerStatus": ["observedGeneration", "currentCPUUtilizationPercentage"],
    },
    "k8s.io.api.autoscaling.v2": {
        "HorizontalPodAutoscalerSpec": ["minReplicas"],
        "HorizontalPodAutoscalerStatus": ["observedGeneration"],
        "HPAScalingRules": ["stabilizationWindowSeconds", "selectPolicy"],
        "MetricTarget": ["averageUtilization"],
        "MetricValueStatus": ["averageUtilization"],
    },
    "k8s.io.api.scheduling.v1": {
        "PriorityClass": ["preemptionPolicy"],
    },
    "k8s.io.api.storage.v1": {
        "StorageClass": ["reclaimPolicy", "allowVolumeExpansion", "volumeBindingMode"],
        "CSIDriverSpec": ["attachRequired", "podInfoOnMount", "storageCapacity", "requiresRepublish",
                          "seLinuxMount", "fsGroupPolicy"],
        "VolumeAttachmentSource": ["persistentVolumeName"],
        "VolumeNodeResources": ["count"],
    },
    "k8s.io.api.coordination.v1": {
        "LeaseSpec": ["holderIdentity", "leaseDurationSeconds", "leaseTransitions", "strategy", "preferredHolder"],
    },
    "k8s.io.api.discovery.v1": {
        "EndpointConditions": ["ready", "serving", "terminating"],
        "Endpoint": ["hostname", "nodeName", "zone"],
        "EndpointPort": ["name", "protocol", "port", "appProtocol"],
    },
}

# Types with hand-written Go JSON marshalling; the decoder gives each its Kubernetes JSON form.
SPECIAL_MESSAGES = {
    META + ".Time": "time",
    META + ".MicroTime": "microtime",
    META + ".Duration": "duration",
    META + ".FieldsV1": "rawjson",
    "k8s.io.apimachinery.pkg.api.resource.Quantity": "quantity",
    "k8s.io.apimachinery.pkg.api.resource.QuantityValue": "quantity",
    "k8s.io.apimachinery.pkg.util.intstr.IntOrString": "intorstring",
    "k8s.io.apimachinery.pkg.runtime.RawExtension": "rawextension",
    "k8s.io.apimachinery.pkg.runtime.Unknown": "unknown",
}

SCALARS = {
    "string": "s", "bytes": "b", "bool": "B", "int32": "i", "int64": "I", "uint32": "u", "uint64": "U",
    "sint32": "z", "sint64": "Z", "fixed32": "x", "fixed64": "X", "sfixed32": "y", "sfixed64": "Y",
    "float": "f", "double": "d",
}

FIELD = re.compile(r"^\s*(optional|repeated|required)\s+([\w.]+)\s+(\w+)\s*=\s*(\d+)\s*;")
MAP_FIELD = re.compile(r"^\s*map<\s*(\w+)\s*,\s*([\w.]+)\s*>\s+(\w+)\s*=\s*(\d+)\s*;")


def parse_proto(path):
    """Returns (package, [(message name, is a nullable slice wrapper, [field dicts])]) for one file's messages."""
    package = None
    messages = []
    current = None
    comment = []
    with open(path) as handle:
        for line in handle:
            if line.strip().startswith("//"):
                comment.append(line.strip())
            stripped = line.split("//", 1)[0].strip()
            if not stripped:
                continue
            preceding, comment = comment, []
            match = re.match(r"package\s+([\w.]+)\s*;", stripped)
            if match:
                package = match.group(1)
                continue
            match = re.match(r"message\s+(\w+)\s*\{", stripped)
            if match:
                if current is not None:
                    sys.exit(f"{path}: nested message {match.group(1)} is not supported")
                current = (match.group(1), "// +protobuf.nullable=true" in preceding, [])
                continue
            if stripped.startswith("}") and current is not None:
                messages.append(current)
                current = None
                continue
            if current is None:
                continue
            match = FIELD.match(stripped)
            if match:
                label, type_name, name, number = match.groups()
                current[2].append({"label": label, "type": type_name, "name": name, "number": int(number)})
                continue
            match = MAP_FIELD.match(stripped)
            if match:
                key, value, name, number = match.groups()
                current[2].append({"label": "map", "key": key, "type": value, "name": name, "number": int(number)})
                continue
            if re.match(r"(enum|oneof|extensions|reserved)\b", stripped):
                sys.exit(f"{path}: unsupported construct: {stripped}")
    return package, messages


def resolve(type_name, package, known):
    if type_name.startswith("."):
        full = type_name[1:]
    else:
        full = f"{package}.{type_name}"
    if full not in known:
        sys.exit(f"unresolved message type {type_name} in {package}")
    return full


def openapi_name(full):
    return "io.k8s." + full[len("k8s.io."):] if full.startswith("k8s.io.") else full


def main():
    proto_files = []
    for directory, _, files in os.walk(PROTO_ROOT):
        proto_files += [os.path.join(directory, name) for name in files if name == "generated.proto"]
    proto_files.sort()

    messages = {}
    for path in proto_files:
        package, parsed = parse_proto(path)
        for name, nullable, fields in parsed:
            if nullable and [(field["label"], field["name"]) for field in fields] != [("repeated", "items")]:
                sys.exit(f"{package}.{name}: a nullable wrapper must hold only `repeated items = 1`")
            messages[f"{package}.{name}"] = (package, nullable, fields)
    order = sorted(messages)
    index = {name: position for position, name in enumerate(order)}

    with open(SPEC) as handle:
        definitions = json.load(handle)["definitions"]

    for full in SPECIAL_MESSAGES:
        if full not in messages:
            sys.exit(f"special message {full} is not in the protos")
    for package, types in POINTER_FIELDS.items():
        for message, names in types.items():
            full = f"{package}.{message}"
            if full not in messages:
                continue
            proto_names = {field["name"].lower() for field in messages[full][2]}
            for name in names:
                if name.lower() not in proto_names:
                    print(f"note: pointer field {full}.{name} is not in the protos", file=sys.stderr)

    lines = []
    for full in order:
        package, nullable, fields = messages[full]
        short = full[len(package) + 1:]
        properties = definitions.get(openapi_name(full), {}).get("properties")
        pointers = {name.lower() for name in POINTER_FIELDS.get(package, {}).get(short, [])}
        encoded = []
        for field in sorted(fields, key=lambda item: item["number"]):
            json_name = field["name"]
            flags = ""
            inline = False
            if properties is not None and json_name not in properties:
                by_lower = {key.lower(): key for key in properties}
                if json_name.lower() in by_lower:
                    json_name = by_lower[json_name.lower()]
                elif field["type"] not in SCALARS and field["label"] != "map":
                    target = resolve(field["type"], package, messages)
                    inner = {item["name"].lower() for item in messages[target][2]}
                    if inner and inner <= {key.lower() for key in properties}:
                        inline = True
            if field["label"] == "repeated":
                flags += "*"
            if field["name"].lower() in pointers:
                flags += "?"
            if inline:
                flags += "^"
            if field["label"] == "map":
                key = SCALARS[field["key"]]
                if field["type"] in SCALARS:
                    value = SCALARS[field["type"]]
                else:
                    value = "m" + str(index[resolve(field["type"], package, messages)])
                encoded.append(f"{field['number']}:{json_name}:{flags}M:{key}/{value}")
            elif field["type"] in SCALARS:
                encoded.append(f"{field['number']}:{json_name}:{flags}{SCALARS[field['type']]}")
            else:
                target = index[resolve(field["type"], package, messages)]
                encoded.append(f"{field['number']}:{json_name}:{flags}m:{target}")
        special = SPECIAL_MESSAGES.get(full, "list" if nullable else None)
        lines.append(full + (f"@{special}" if special else "") + "=" + ";".join(encoded))

    body = "\n".join(lines)
    if '"""' in body or "\\" in body:
        sys.exit("schema text would need escaping")
    with open(OUT, "w") as handle:
        handle.write("// Generated by scripts/generate-protobuf-schema.py from Kubernetes' generated.proto files. Do not edit.\n\n")
        handle.write("extension ProtoSchema {\n")
        handle.write("    /// One message per line; the format is described in scripts/generate-protobuf-schema.py.\n")
        handle.write("    static let compactText = \"\"\"\n")
        handle.write(body)
        handle.write("\n\"\"\"\n}\n")
    print(f"wrote {len(lines)} messages, {sum(len(messages[name][2]) for name in order)} fields to {OUT}")


if __name__ == "__main__":
    main()

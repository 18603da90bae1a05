#!/usr/bin/env python3
"""Derives Skiff's built-in resource catalog and strict-decoding schema from the Kubernetes OpenAPI v2 spec.

Writes two committed Swift sources:
  Sources/APIRegistry/Catalog/ResourceCatalog+BuiltInResources.swift  (every GA resource of the served groups)
  Sources/APIRegistry/Schema/APISchema+BuiltInData.swift              (a compact, description-free schema)

Run from the repository root after replacing Sources/APIRegistry/Resources/kubernetes-openapi-v2.json:
  python3 scripts/generate-api-catalog.py
Short names, categories and group priorities are not in the spec; the tables below copy Kubernetes' values.
"""

import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPEC = os.path.join(ROOT, "Sources/APIRegistry/Resources/kubernetes-openapi-v2.json")
CATALOG_OUT = os.path.join(ROOT, "Sources/APIRegistry/Catalog/ResourceCatalog+BuiltInResources.swift")
SCHEMA_OUT = os.path.join(ROOT, "Sources/APIRegistry/Schema/APISchema+BuiltInData.swift")

# Served groups in Kubernetes' discovery order: kube-apiserver sorts groups by the APIService
# GroupPriorityMinimum (pkg/controlplane/apiserver/aggregator.go and the kube-specific priorities),
# highest first; the core group always leads.
GROUP_PRIORITY = [
    "",
    "apps",
    "events.k8s.io",
    "authentication.k8s.io",
    "authorization.k8s.io",
    "autoscaling",
    "batch",
    "certificates.k8s.io",
    "networking.k8s.io",
    "policy",
    "rbac.authorization.k8s.io",
    "storage.k8s.io",
    "apiextensions.k8s.io",
    "scheduling.k8s.io",
    "coordination.k8s.io",
    "node.k8s.io",
    "discovery.k8s.io",
]

# Version priority within a group (kube-apiserver: autoscaling/v2 = 30, autoscaling/v1 = 15).
VERSION_PRIORITY = {("autoscaling", "v2"): 30}

# kubectl's short names, as the real registry strategies declare them.
SHORT_NAMES = {
    ("", "componentstatuses"): ["cs"],
    ("", "configmaps"): ["cm"],
    ("", "endpoints"): ["ep"],
    ("", "events"): ["ev"],
    ("", "limitranges"): ["limits"],
    ("", "namespaces"): ["ns"],
    ("", "nodes"): ["no"],
    ("", "persistentvolumeclaims"): ["pvc"],
    ("", "persistentvolumes"): ["pv"],
    ("", "pods"): ["po"],
    ("", "replicationcontrollers"): ["rc"],
    ("", "resourcequotas"): ["quota"],
    ("", "serviceaccounts"): ["sa"],
    ("", "services"): ["svc"],
    ("apiextensions.k8s.io", "customresourcedefinitions"): ["crd", "crds"],
    ("apps", "daemonsets"): ["ds"],
    ("apps", "deployments"): ["deploy"],
    ("apps", "replicasets"): ["rs"],
    ("apps", "statefulsets"): ["sts"],
    ("autoscaling", "horizontalpodautoscalers"): ["hpa"],
    ("batch", "cronjobs"): ["cj"],
    ("certificates.k8s.io", "certificatesigningrequests"): ["csr"],
    ("events.k8s.io", "events"): ["ev"],
    ("networking.k8s.io", "ingresses"): ["ing"],
    ("networking.k8s.io", "networkpolicies"): ["netpol"],
    ("networking.k8s.io", "ipaddresses"): ["ip"],
    ("policy", "poddisruptionbudgets"): ["pdb"],
    ("scheduling.k8s.io", "priorityclasses"): ["pc"],
    ("storage.k8s.io", "storageclasses"): ["sc"],
    ("storage.k8s.io", "volumeattributesclasses"): ["vac"],
}

# Resources Skiff serves with fewer verbs than the spec offers. CustomResourceDefinitions are listed (kubectl's
# validation reads the list to tell a custom kind from an unknown one, and so reports a kind no CRD defines as
# Kubernetes does), but custom resources are not served, so none can be created or changed.
LIMITED_VERBS = {("apiextensions.k8s.io", "customresourcedefinitions"): ["delete", "deletecollection", "get", "list", "watch"]}

# The "all" category is what `kubectl get all` expands to.
CATEGORIES = {
    ("apiextensions.k8s.io", "customresourcedefinitions"): ["api-extensions"],
    ("", "pods"): ["all"],
    ("", "replicationcontrollers"): ["all"],
    ("", "services"): ["all"],
    ("apps", "daemonsets"): ["all"],
    ("apps", "deployments"): ["all"],
    ("apps", "replicasets"): ["all"],
    ("apps", "statefulsets"): ["all"],
    ("autoscaling", "horizontalpodautoscalers"): ["all"],
    ("batch", "cronjobs"): ["all"],
    ("batch", "jobs"): ["all"],
}

# Served by metrics-server through the aggregator in a real cluster, so absent from the spec;
# `kubectl top` needs it in discovery. metrics-server declares no singular names.
METRICS = [
    ("pods", "PodMetrics", True),
    ("nodes", "NodeMetrics", False),
]

ACTION_VERBS = {
    "get": "get",
    "list": "list",
    "watch": "watch",
    "watchlist": "watch",
    "post": "create",
    "put": "update",
    "patch": "patch",
    "delete": "delete",
    "deletecollection": "deletecollection",
}
# Connect operations (exec, attach, proxy, ...) are authorized by the HTTP method.
CONNECT_VERBS = {"get": "get", "post": "create", "put": "update", "patch": "patch", "delete": "delete"}
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch")

GA_VERSION = re.compile(r"^v[0-9]+$")


def group_versions(spec):
    """Every GA group-version of the served groups that has paths, keyed by (group, version)."""
    found = set()
    for path in spec["paths"]:
        parts = path.strip("/").split("/")
        if parts[0] == "api" and len(parts) >= 2:
            found.add(("", parts[1]))
        elif parts[0] == "apis" and len(parts) >= 3:
            found.add((parts[1], parts[2]))
    result = [gv for gv in found if gv[0] in GROUP_PRIORITY and GA_VERSION.match(gv[1])]

    def order(gv):
        group, version = gv
        return (GROUP_PRIORITY.index(group), -VERSION_PRIORITY.get(gv, 15), -int(version[1:]))

    return sorted(result, key=order)


def prefix_of(group, version):
    return f"/api/{version}/" if group == "" else f"/apis/{group}/{version}/"


def collect_resources(spec, group, version):
    prefix = prefix_of(group, version)
    resources = {}
    for path, item in spec["paths"].items():
        if not path.startswith(prefix) or path == prefix:
            continue
        rest = path[len(prefix):]
        if rest.startswith("watch/"):
            rest = rest[len("watch/"):]
        namespaced = rest.startswith("namespaces/{namespace}/")
        if namespaced:
            rest = rest[len("namespaces/{namespace}/"):]
        segments = rest.split("/")
        name = segments[0]
        subresource = segments[2] if len(segments) >= 3 and segments[1] == "{name}" else None
        entry = resources.setdefault(
            name, {"namespaced": False, "kind": None, "verbs": set(), "subresources": {}}
        )
        entry["namespaced"] = entry["namespaced"] or namespaced
        for method in HTTP_METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            action = operation.get("x-kubernetes-action")
            gvk = operation.get("x-kubernetes-group-version-kind")
            if action is None or gvk is None:
                continue
            if subresource is None:
                entry["kind"] = entry["kind"] or gvk["kind"]
                entry["verbs"].add(ACTION_VERBS[action])
            else:
                sub = entry["subresources"].setdefault(
                    subresource, {"group": gvk["group"], "version": gvk["version"], "kind": gvk["kind"], "verbs": set()}
                )
                if action == "connect":
                    if method in CONNECT_VERBS:
                        sub["verbs"].add(CONNECT_VERBS[method])
                else:
                    sub["verbs"].add(ACTION_VERBS[action])
    return resources


def swift_string(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def swift_strings(items):
    return "[" + ", ".join(swift_string(item) for item in items) + "]"


def catalog_source(spec):
    gvs = group_versions(spec)
    lines = [
        "// Generated by scripts/generate-api-catalog.py from Resources/kubernetes-openapi-v2.json. Do not edit.",
        "import APIMachinery",
        "",
        "extension ResourceCatalog {",
        "    /// Served group-versions in Kubernetes' discovery order; the first version of a group is its preferred one.",
        "    static let builtInGroupVersions: [GroupVersion] = [",
    ]
    for group, version in gvs:
        lines.append(f"        GroupVersion(group: {swift_string(group)}, version: {swift_string(version)}),")
    lines.append('        GroupVersion(group: "metrics.k8s.io", version: "v1beta1"),')
    lines.append("    ]")
    lines.append("")
    lines.append("    static let builtInResources: [ResourceDefinition] = [")
    for group, version in gvs:
        resources = collect_resources(spec, group, version)
        for name in sorted(resources):
            entry = resources[name]
            if entry["kind"] is None:
                continue
            kind = entry["kind"]
            lines.append("        ResourceDefinition(")
            lines.append(
                f"            group: {swift_string(group)}, version: {swift_string(version)}, kind: {swift_string(kind)}, "
                f"listKind: {swift_string(kind + 'List')},"
            )
            lines.append(
                f"            resource: {swift_string(name)}, singular: {swift_string(kind.lower())}, "
                f"namespaced: {'true' if entry['namespaced'] else 'false'},"
            )
            verbs = LIMITED_VERBS.get((group, name), entry["verbs"])
            lines.append(f"            verbs: {swift_strings(sorted(verbs))},")
            lines.append(
                f"            shortNames: {swift_strings(SHORT_NAMES.get((group, name), []))}, "
                f"categories: {swift_strings(CATEGORIES.get((group, name), []))},"
            )
            subresources = entry["subresources"]
            if not subresources:
                lines.append("            subresources: []")
            else:
                lines.append("            subresources: [")
                for sub_name in sorted(subresources):
                    sub = subresources[sub_name]
                    lines.append(
                        f"                SubresourceDefinition(name: {swift_string(sub_name)}, group: {swift_string(sub['group'])}, "
                        f"version: {swift_string(sub['version'])}, kind: {swift_string(sub['kind'])}, "
                        f"verbs: {swift_strings(sorted(sub['verbs']))}),"
                    )
                lines.append("            ]")
            lines.append("        ),")
    for name, kind, namespaced in METRICS:
        lines.append("        ResourceDefinition(")
        lines.append(
            f'            group: "metrics.k8s.io", version: "v1beta1", kind: {swift_string(kind)}, '
            f"listKind: {swift_string(kind + 'List')},"
        )
        lines.append(f'            resource: {swift_string(name)}, singular: "", namespaced: {"true" if namespaced else "false"},')
        lines.append('            verbs: ["get", "list"], shortNames: [], categories: [], subresources: []')
        lines.append("        ),")
    lines.append("    ]")
    lines.append("}")
    return "\n".join(lines) + "\n"


# --- Compact schema -------------------------------------------------------------------------------------------
#
# One line per definition: name, TAB, group/version/Kind list (comma separated), TAB, required fields (comma
# separated), TAB, properties (';' separated). A property is `name=TYPE` followed by optional `|k=mergeKey`,
# `|s=patchStrategy`, `|l=listType`, `|m=listMapKey,...`, `|t=mapType`.
# TYPE: s string, y bytes, i int32, I int64, n float64, b bool, q Quantity, t Time, u MicroTime,
#       o IntOrString, x anything, @Definition, [TYPE array of, {TYPE map of.

SPECIAL_REFERENCES = {
    "io.k8s.apimachinery.pkg.api.resource.Quantity": "q",
    "io.k8s.apimachinery.pkg.apis.meta.v1.Time": "t",
    "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime": "u",
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": "o",
    "io.k8s.apimachinery.pkg.runtime.RawExtension": "x",
    "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1": "x",
    "io.k8s.apimachinery.pkg.apis.meta.v1.Patch": "x",
}
DEFINITION_PREFIX = "#/definitions/"


def is_free_form(definition):
    return definition.get("type") != "object" or ("properties" not in definition and "additionalProperties" not in definition)


def type_code(schema, definitions, reachable):
    reference = schema.get("$ref")
    if reference is not None:
        name = reference[len(DEFINITION_PREFIX):]
        if name in SPECIAL_REFERENCES:
            return SPECIAL_REFERENCES[name]
        if is_free_form(definitions[name]):
            return "x"
        reachable.append(name)
        return "@" + name
    kind = schema.get("type")
    fmt = schema.get("format")
    if kind == "string":
        return "y" if fmt == "byte" else "s"
    if kind == "integer":
        return "i" if fmt == "int32" else "I"
    if kind == "number":
        return "n"
    if kind == "boolean":
        return "b"
    if kind == "array":
        return "[" + type_code(schema["items"], definitions, reachable)
    if kind == "object" and "additionalProperties" in schema:
        return "{" + type_code(schema["additionalProperties"], definitions, reachable)
    return "x"


def schema_roots(spec, gvs):
    roots = []
    for group, version in gvs:
        prefix = prefix_of(group, version)
        for path, item in spec["paths"].items():
            if not path.startswith(prefix):
                continue
            for method in HTTP_METHODS:
                operation = item.get(method)
                if operation is None:
                    continue
                for response in operation.get("responses", {}).values():
                    reference = response.get("schema", {}).get("$ref")
                    if reference:
                        roots.append(reference[len(DEFINITION_PREFIX):])
                for parameter in operation.get("parameters", []):
                    if "$ref" in parameter:
                        parameter = spec["parameters"][parameter["$ref"].split("/")[-1]]
                    reference = parameter.get("schema", {}).get("$ref")
                    if reference:
                        roots.append(reference[len(DEFINITION_PREFIX):])
    return roots


def schema_source(spec):
    definitions = spec["definitions"]
    pending = schema_roots(spec, group_versions(spec))
    lines = {}
    while pending:
        name = pending.pop()
        if name in lines or name in SPECIAL_REFERENCES or is_free_form(definitions[name]):
            continue
        definition = definitions[name]
        gvks = ",".join(
            f"{gvk['group']}/{gvk['version']}/{gvk['kind']}" for gvk in definition.get("x-kubernetes-group-version-kind", [])
        )
        properties = []
        for property_name in sorted(definition.get("properties", {})):
            schema = definition["properties"][property_name]
            text = property_name + "=" + type_code(schema, definitions, pending)
            if "x-kubernetes-patch-merge-key" in schema:
                text += "|k=" + schema["x-kubernetes-patch-merge-key"]
            if "x-kubernetes-patch-strategy" in schema:
                text += "|s=" + schema["x-kubernetes-patch-strategy"]
            if "x-kubernetes-list-type" in schema:
                text += "|l=" + schema["x-kubernetes-list-type"]
            if "x-kubernetes-list-map-keys" in schema:
                text += "|m=" + ",".join(schema["x-kubernetes-list-map-keys"])
            if "x-kubernetes-map-type" in schema:
                text += "|t=" + schema["x-kubernetes-map-type"]
            properties.append(text)
        required = ",".join(definition.get("required", []))
        lines[name] = "\t".join([name, gvks, required, ";".join(properties)])
    body = "\n".join(lines[name] for name in sorted(lines))
    if '"""' in body or "\\" in body:
        sys.exit("schema text needs escaping; extend the generator")
    return (
        "// Generated by scripts/generate-api-catalog.py from Resources/kubernetes-openapi-v2.json. Do not edit.\n"
        "// Format: see the compact schema notes in the generator.\n"
        "\n"
        "extension APISchema {\n"
        "    static let builtInCompactSchema = \"\"\"\n"
        + body
        + "\n\"\"\"\n"
        "}\n"
    )


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as output:
        output.write(text)
    print(f"wrote {os.path.relpath(path, ROOT)} ({len(text)} bytes)")


def main():
    with open(SPEC, encoding="utf-8") as source:
        spec = json.load(source)
    write(CATALOG_OUT, catalog_source(spec))
    write(SCHEMA_OUT, schema_source(spec))


if __name__ == "__main__":
    main()

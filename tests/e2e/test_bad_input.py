"""Bad input gets a 4xx Status with a clear message and changes nothing."""
import json

from conftest import Server


def raw_create(server: Server, path: str, body: str, tmp_path):
    payload = tmp_path / "body"
    payload.write_text(body)
    return server.kubectl("create", "--raw", path, "-f", str(payload), check=False)


def configmap_names(server: Server, namespace: str):
    """The namespace's ConfigMaps other than the CA bundle every namespace is given."""
    return sorted(item["metadata"]["name"] for item in server.kubectl_json("get", "cm", "-n", namespace)["items"]
                  if item["metadata"]["name"] != "kube-root-ca.crt")


def test_malformed_json_is_bad_request(server: Server, namespace, tmp_path):
    before = configmap_names(server, namespace)
    result = raw_create(server, f"/api/v1/namespaces/{namespace}/configmaps", '{"apiVersion": "v1", "kind": ', tmp_path)
    assert result.returncode != 0
    assert "Error from server (BadRequest)" in result.stderr
    assert configmap_names(server, namespace) == before


def test_wrong_kind_for_the_url_is_bad_request(server: Server, namespace, tmp_path):
    pod = json.dumps({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "x"}]}})
    result = raw_create(server, f"/api/v1/namespaces/{namespace}/configmaps", pod, tmp_path)
    assert result.returncode != 0
    assert "Error from server (BadRequest)" in result.stderr
    assert "does not match the expected kind (ConfigMap)" in result.stderr
    assert server.kubectl("get", "pod", "p", "-n", namespace, check=False).returncode == 1


def test_body_over_three_mebibytes_is_rejected(server: Server, namespace, tmp_path):
    huge = json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "huge"}, "data": {"blob": "x" * (3 * 1024 * 1024 + 10)}})
    result = raw_create(server, f"/api/v1/namespaces/{namespace}/configmaps", huge, tmp_path)
    assert result.returncode != 0
    assert "Request entity too large" in result.stderr
    assert "huge" not in configmap_names(server, namespace)


def test_yaml_with_two_objects_without_separator_is_refused(server: Server, namespace):
    doubled = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: first\n"
               "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: second\n")
    status, answer = server.raw("POST", f"/api/v1/namespaces/{namespace}/configmaps", doubled.encode(), "application/yaml")
    assert status == 400
    assert answer["reason"] == "BadRequest"
    assert "already defined" in answer["message"] or "duplicate" in answer["message"]
    assert configmap_names(server, namespace) == []


def test_unknown_resource_is_not_found(server: Server):
    result = server.kubectl("get", "--raw", "/apis/apps/v1/namespaces/default/widgets", check=False)
    assert result.returncode != 0
    assert "the server could not find the requested resource" in result.stderr
    typo = server.kubectl("get", "deploymentz", check=False)
    assert 'the server doesn\'t have a resource type "deploymentz"' in typo.stderr


def test_raw_bodies_carry_their_fields_in_kubernetes_order(server: Server, namespace):
    """kube-apiserver writes Go structs in declaration order: a client reading the raw bytes sees the same."""
    status, body = server.raw("GET", f"/apis/apps/v1/namespaces/{namespace}/deployments/web", parse=False)
    assert status == 404
    assert body == ('{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",'
                    '"message":"deployments.apps \\"web\\" not found","reason":"NotFound",'
                    '"details":{"name":"web","group":"apps","kind":"deployments"},"code":404}'), body
    server.kubectl("create", "configmap", "ordered", "-n", namespace, "--from-literal=k=v")
    status, body = server.raw("GET", f"/api/v1/namespaces/{namespace}/configmaps/ordered", parse=False)
    assert status == 200
    assert body.startswith('{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"ordered","namespace":"%s","uid":' % namespace), body


def test_a_version_the_server_does_not_serve_gets_kubectls_no_matches_error(server: Server, namespace):
    """kubectl's validation reads the OpenAPI v2 document in its protobuf form for a group version it does not find,
    then reports the missing version as it does against Kubernetes; nothing is created."""
    deployment = "apiVersion: apps/v2\nkind: Deployment\nmetadata:\n  name: web\n"
    result = server.kubectl("apply", "-n", namespace, "-f", "-", input=deployment, check=False)
    assert result.returncode != 0
    assert 'no matches for kind "Deployment" in version "apps/v2"' in result.stderr
    assert server.kubectl_json("get", "deployments", "-n", namespace)["items"] == []


def test_an_unknown_kind_gets_kubectls_no_matches_error_and_crds_are_refused_with_the_reason(server: Server, namespace):
    """kubectl's validation lists CustomResourceDefinitions to tell a custom kind from an unknown one; with the list
    served (empty: Skiff does not serve custom resources), kubectl reports the kind as it does against Kubernetes."""
    widget = "apiVersion: v1\nkind: Widget\nmetadata:\n  name: w\n"
    result = server.kubectl("apply", "-n", namespace, "-f", "-", input=widget, check=False)
    assert result.returncode != 0
    assert 'no matches for kind "Widget" in version "v1"' in result.stderr and "ensure CRDs are installed first" in result.stderr, result.stderr
    assert server.kubectl("get", "crds").stderr.strip() == "No resources found"
    crd = """apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {plural: widgets, kind: Widget}
  scope: Namespaced
  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}]
"""
    refused = server.kubectl("apply", "-f", "-", input=crd, check=False)
    assert refused.returncode != 0
    assert "Error from server (MethodNotAllowed)" in refused.stderr and "Skiff does not serve custom resources yet" in refused.stderr, refused.stderr
    assert server.kubectl("get", "crds").stderr.strip() == "No resources found"
    # Verbs a resource does not list are refused as Kubernetes refuses them.
    status, answer = server.raw("POST", "/api/v1/componentstatuses", b'{"apiVersion":"v1","kind":"ComponentStatus","metadata":{"name":"x"}}')
    assert status == 405 and answer["reason"] == "MethodNotAllowed", answer


def test_explain_from_the_openapi_v2_document(server: Server):
    out = server.kubectl("explain", "pods.spec.restartPolicy", "--output=plaintext-openapiv2").stdout
    assert "FIELD:    restartPolicy <string>" in out and "Restart policy for all containers within the pod" in out


def test_immutable_configmap_cannot_change(server: Server, namespace):
    frozen = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "frozen"}, "data": {"a": "1"}, "immutable": True}
    server.kubectl("create", "-n", namespace, "-f", "-", input=json.dumps(frozen))
    current = server.kubectl_json("get", "cm", "frozen", "-n", namespace)
    current["data"] = {"a": "2"}
    result = server.kubectl("replace", "-f", "-", input=json.dumps(current), check=False)
    assert result.returncode != 0
    assert "Error from server (Invalid)" in result.stderr or "is invalid" in result.stderr
    assert "field is immutable when `immutable` is set" in result.stderr
    assert server.kubectl_json("get", "cm", "frozen", "-n", namespace)["data"] == {"a": "1"}


def test_deployment_selector_is_immutable(server: Server, namespace):
    server.kubectl("create", "deployment", "web", "-n", namespace, "--image=nginx:1.25")
    current = server.kubectl_json("get", "deploy", "web", "-n", namespace)
    current["spec"]["selector"] = {"matchLabels": {"app": "other"}}
    current["spec"]["template"]["metadata"]["labels"] = {"app": "other"}
    result = server.kubectl("replace", "-f", "-", input=json.dumps(current), check=False)
    assert result.returncode != 0
    assert 'The Deployment "web" is invalid: spec.selector' in result.stderr
    assert "field is immutable" in result.stderr


def test_a_cluster_ip_or_node_port_in_use_is_refused_and_free_again_once_its_service_is_gone(server: Server, namespace):
    def service(name, address, node_port):
        return json.dumps({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
                           "spec": {"type": "NodePort", "clusterIP": address, "ports": [{"port": 80, "nodePort": node_port}]}})
    server.kubectl("create", "-n", namespace, "-f", "-", input=service("first", "10.43.200.7", 31007))
    taken = server.kubectl("create", "-n", namespace, "-f", "-", input=service("second", "10.43.200.7", 31007), check=False)
    assert taken.returncode != 0
    assert "spec.clusterIPs: Invalid value: \"10.43.200.7\": failed to allocate IP 10.43.200.7: provided IP is already allocated" in taken.stderr
    assert "spec.ports[0].nodePort: Invalid value: 31007: provided port is already allocated" in taken.stderr
    assert server.kubectl("get", "service", "second", "-n", namespace, check=False).returncode == 1
    # Deleted, its address and port may be asked for again straight away.
    server.kubectl("delete", "service", "first", "-n", namespace)
    server.kubectl("create", "-n", namespace, "-f", "-", input=service("second", "10.43.200.7", 31007))
    assert server.kubectl_json("get", "service", "second", "-n", namespace)["spec"]["clusterIP"] == "10.43.200.7"

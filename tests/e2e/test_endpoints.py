"""Endpoints and EndpointSlices, driven with real kubectl against a server simulating two nodes."""
import json
import time

import pytest

from conftest import own_server, wait_for


@pytest.fixture(scope="module")
def cluster():
    with own_server("skiff-e2e-endpoints-", ["--hollow-nodes", "2"]) as running:
        # A pod started before its node has a pod range gets no IP: wait for both ranges.
        wait_for(lambda: len([n for n in running.kubectl_json("get", "nodes")["items"] if n["spec"].get("podCIDR")]) == 2,
                 "two hollow nodes with pod ranges")
        yield running


@pytest.fixture
def ns(cluster, request):
    name = f"ep-{request.node.name.replace('_', '-')[5:40].lower().strip('-')}"
    cluster.kubectl("create", "namespace", name)
    yield name
    cluster.kubectl("delete", "namespace", name, "--wait=true", "--timeout=60s", check=False)


def pod_yaml(name, node, app="web"):
    return f"""apiVersion: v1
kind: Pod
metadata:
  name: {name}
  labels: {{app: {app}}}
spec:
  nodeName: {node}
  containers:
  - name: app
    image: nginx
    ports: [{{name: http, containerPort: 8080}}]
---
"""


def service_yaml(name, target_port, headless=False):
    cluster_ip = "\n  clusterIP: None" if headless else ""
    return f"""apiVersion: v1
kind: Service
metadata:
  name: {name}
spec:{cluster_ip}
  selector: {{app: web}}
  ports: [{{name: web, port: 80, targetPort: {target_port}}}]
---
"""


def pod_ips(cluster, ns, *names):
    def ips():
        pods = [json.loads(cluster.kubectl("get", "pod", "-n", ns, name, "-o", "json").stdout) for name in names]
        found = [p.get("status", {}).get("podIP") for p in pods]
        return found if all(found) else None
    return wait_for(ips, f"pod IPs of {names}")


def addresses(cluster, ns, name, field="addresses"):
    endpoints = json.loads(cluster.kubectl("get", "endpoints", "-n", ns, name, "-o", "json", check=False).stdout or "{}")
    return sorted(a["ip"] for s in endpoints.get("subsets") or [] for a in s.get(field) or [])


@pytest.fixture
def web(cluster, ns):
    cluster.kubectl("apply", "-n", ns, "-f", "-",
                    input=pod_yaml("a", "hollow-node-0") + pod_yaml("b", "hollow-node-1") + pod_yaml("db", "hollow-node-1", app="db")
                    + service_yaml("web", 8080) + service_yaml("named", "http") + service_yaml("headless", 8080, headless=True))
    return pod_ips(cluster, ns, "a", "b")


def test_endpoints_list_the_selected_pods(cluster, ns, web):
    wait_for(lambda: addresses(cluster, ns, "web") == sorted(web), "web endpoints")
    listed = cluster.kubectl("get", "endpoints", "-n", ns, "web").stdout
    for ip in web:
        assert f"{ip}:8080" in listed
    endpoints = cluster.kubectl_json("get", "endpoints", "-n", ns, "web")
    address = endpoints["subsets"][0]["addresses"][0]
    assert address["targetRef"]["kind"] == "Pod" and address["targetRef"]["namespace"] == ns
    assert address["nodeName"] in ("hollow-node-0", "hollow-node-1")
    assert "endpoints.kubernetes.io/last-change-trigger-time" in endpoints["metadata"]["annotations"]


def test_a_named_target_port_resolves(cluster, ns, web):
    wait_for(lambda: addresses(cluster, ns, "named") == sorted(web), "named endpoints")
    ports = cluster.kubectl_json("get", "endpoints", "-n", ns, "named")["subsets"][0]["ports"]
    assert ports == [{"name": "web", "port": 8080, "protocol": "TCP"}]


def test_endpointslices_show_the_pods(cluster, ns, web):
    def slice_addresses():
        slices = cluster.kubectl_json("get", "endpointslices", "-n", ns, "-l", "kubernetes.io/service-name=web")["items"]
        return sorted(a for s in slices for e in s.get("endpoints") or [] for a in e["addresses"])
    wait_for(lambda: slice_addresses() == sorted(web), "web slices")
    slice_ = cluster.kubectl_json("get", "endpointslices", "-n", ns, "-l", "kubernetes.io/service-name=web")["items"][0]
    assert slice_["metadata"]["name"].startswith("web-")
    assert slice_["metadata"]["labels"]["endpointslice.kubernetes.io/managed-by"] == "endpointslice-controller.k8s.io"
    assert slice_["metadata"]["ownerReferences"][0]["kind"] == "Service"
    assert slice_["addressType"] == "IPv4"
    assert all(e["conditions"]["ready"] for e in slice_["endpoints"])
    table = cluster.kubectl("get", "endpointslices", "-n", ns).stdout
    assert "IPv4" in table and "8080" in table


def test_a_pod_made_not_ready_moves_to_not_ready_addresses(cluster, ns, web):
    wait_for(lambda: addresses(cluster, ns, "web") == sorted(web), "web endpoints")
    cluster.kubectl("patch", "pod", "a", "-n", ns, "--subresource=status", "--type=strategic",
                    "-p", json.dumps({"status": {"conditions": [{"type": "Ready", "status": "False"}]}}))
    wait_for(lambda: addresses(cluster, ns, "web", "notReadyAddresses") == [web[0]], "a not ready")
    assert addresses(cluster, ns, "web") == [web[1]]


def test_deleting_a_pod_removes_it(cluster, ns, web):
    wait_for(lambda: addresses(cluster, ns, "web") == sorted(web), "web endpoints")
    cluster.kubectl("delete", "pod", "b", "-n", ns, "--wait=false")
    wait_for(lambda: addresses(cluster, ns, "web") == [web[0]], "b gone from endpoints")


def test_a_headless_service_gets_endpoints(cluster, ns, web):
    wait_for(lambda: addresses(cluster, ns, "headless") == sorted(web), "headless endpoints")
    labels = cluster.kubectl_json("get", "endpoints", "-n", ns, "headless")["metadata"]["labels"]
    assert labels["service.kubernetes.io/headless"] == ""


def test_describe_service_shows_endpoints(cluster, ns, web):
    wait_for(lambda: addresses(cluster, ns, "web") == sorted(web), "web endpoints")
    described = cluster.kubectl("describe", "svc", "web", "-n", ns).stdout
    line = next(l for l in described.splitlines() if l.startswith("Endpoints:"))
    for ip in web:
        assert f"{ip}:8080" in line


def test_a_service_without_a_selector_is_left_alone(cluster, ns):
    cluster.kubectl("apply", "-n", ns, "-f", "-", input="""apiVersion: v1
kind: Service
metadata: {name: manual}
spec:
  ports: [{port: 80}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: manual}
subsets: [{addresses: [{ip: 192.0.2.1}], ports: [{port: 80}]}]
""")
    time.sleep(1)
    assert addresses(cluster, ns, "manual") == ["192.0.2.1"]

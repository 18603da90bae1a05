"""The cluster DNS: Services and pods found by name from pods, as the Kubernetes DNS specification says, and every
other name from the node's own resolver (here a dnsmasq the module starts on a loopback address, with one name of its
own). Queries go to the kube-dns Service's ClusterIP, which the service proxy keeps on the node."""
import json
import re
import subprocess
import time

import pytest

from conftest import wait_for
from test_node_agent import OUTSIDE_ADDRESS, cluster, pytestmark, status_column  # noqa: F401  (the module's cluster and skips)

CLUSTER_DNS = "10.43.0.10"


@pytest.fixture(scope="module")
def client(cluster):
    """A busybox pod to ask from, once the node's DNS is in the kube-dns Service's endpoints."""
    wait_for(lambda: cluster.kubectl("get", "endpointslice", "-n", "kube-system", "kube-dns-nodes", "-o", "json", check=False).returncode == 0,
             "the kube-dns endpoints")
    cluster.kubectl("run", "dns-client", "--image=busybox", "--", "sleep", "3600")
    wait_for(lambda: status_column(cluster, "dns-client") == "Running", "the client pod running")
    yield "dns-client"
    cluster.kubectl("delete", "pod", "dns-client", "--grace-period=1", check=False)


def lookup(cluster, pod, name, record_type="a"):
    """busybox nslookup in `pod`: (the addresses or names answered, the whole output)."""
    result = cluster.kubectl("exec", pod, "--", "nslookup", f"-type={record_type}", name, check=False)
    output = result.stdout + result.stderr
    answers = re.findall(r"^Address: (\S+)$", output, re.MULTILINE) + re.findall(r"canonical name = (\S+)", output) \
        + re.findall(r"service = (.+)$", output, re.MULTILINE)
    return [answer for answer in answers if not answer.startswith(CLUSTER_DNS)], output


def resolve(cluster, pod, name):
    """The address `pod`'s C library resolves `name` to, search paths and all, as an application's would (busybox
    nslookup applies no search path to a name with a dot); None when it does not. busybox wget names the address it
    could not connect to: port 1 is refused at once, by the proxy's rules for a ClusterIP and by a pod itself."""
    result = cluster.kubectl("exec", pod, "--", "timeout", "5", "wget", "-q", "-O", "/dev/null", f"http://{name}:1/", check=False)
    match = re.search(r"can't connect to remote host \((\S+)\)", result.stderr + result.stdout)
    return match.group(1) if match else None


def dig(*args):
    return subprocess.run(["dig", f"@{CLUSTER_DNS}", "+time=2", "+tries=1", *args], capture_output=True, text=True, timeout=30).stdout


def test_the_kube_dns_service_sits_where_k3s_puts_it(cluster):
    service = wait_for(lambda: cluster.kubectl_json("get", "service", "kube-dns", "-n", "kube-system") if cluster.kubectl(
        "get", "service", "kube-dns", "-n", "kube-system", check=False).returncode == 0 else None, "the kube-dns Service")
    assert service["spec"]["clusterIP"] == CLUSTER_DNS
    assert [(port["name"], port["port"], port["protocol"]) for port in service["spec"]["ports"]] == [
        ("dns", 53, "UDP"), ("dns-tcp", 53, "TCP"), ("metrics", 9153, "TCP")]
    row = cluster.kubectl("get", "svc", "-n", "kube-system", "kube-dns", "--no-headers").stdout.split()
    assert row[:5] == ["kube-dns", "ClusterIP", CLUSTER_DNS, "<none>", "53/UDP,53/TCP,9153/TCP"]


def test_pods_get_the_cluster_resolver_and_find_services_by_short_name_namespace_and_fqdn(cluster, client):
    resolv = cluster.kubectl("exec", client, "--", "cat", "/etc/resolv.conf").stdout.splitlines()
    assert f"nameserver {CLUSTER_DNS}" in resolv
    assert "search default.svc.cluster.local svc.cluster.local cluster.local corp.test" in resolv
    assert "options ndots:5" in resolv
    ip = cluster.kubectl_json("get", "service", "kubernetes")["spec"]["clusterIP"]
    for name in ("kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"):
        assert wait_for(lambda: resolve(cluster, client, name), f"{name} resolving") == ip
    assert lookup(cluster, client, "kubernetes.default.svc.cluster.local")[0] == [ip]


def test_a_service_created_after_the_pod_resolves_at_once_and_stops_when_deleted(cluster, client):
    cluster.kubectl("create", "service", "clusterip", "late-comer", "--tcp=8080:80")
    try:
        ip = cluster.kubectl_json("get", "service", "late-comer")["spec"]["clusterIP"]
        started = time.monotonic()
        assert wait_for(lambda: lookup(cluster, client, "late-comer.default.svc.cluster.local")[0], "the new Service resolving") == [ip]
        print(f"resolved {time.monotonic() - started:.2f} s after creation")
        # Named ports have SRV records pointing at the Service's name.
        answers, output = lookup(cluster, client, "_8080-80._tcp.late-comer.default.svc.cluster.local", "srv")
        assert any("8080 late-comer.default.svc.cluster.local" in answer for answer in answers), output
    finally:
        cluster.kubectl("delete", "service", "late-comer")
    wait_for(lambda: "NXDOMAIN" in lookup(cluster, client, "late-comer.default.svc.cluster.local")[1], "the deleted Service gone")


STATEFUL = """apiVersion: v1
kind: Service
metadata:
  name: nginx
spec:
  clusterIP: None
  selector:
    app: nginx-sts
  ports:
    - name: web
      port: 80
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
spec:
  serviceName: nginx
  replicas: 2
  selector:
    matchLabels:
      app: nginx-sts
  template:
    metadata:
      labels:
        app: nginx-sts
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: nginx
          image: nginx
          ports:
            - name: web
              containerPort: 80
"""


def test_a_statefulset_pod_is_found_by_its_own_name_and_followed_when_recreated(cluster, client):
    cluster.kubectl("apply", "-f", "-", input=STATEFUL)
    try:
        cluster.kubectl("rollout", "status", "statefulset/web", "--timeout=120s", timeout=150)
        first = cluster.kubectl_json("get", "pod", "web-0")["status"]["podIP"]
        assert wait_for(lambda: resolve(cluster, client, "web-0.nginx"), "web-0.nginx resolving") == first
        both = sorted(pod["status"]["podIP"] for pod in cluster.kubectl_json("get", "pods", "-l", "app=nginx-sts")["items"])
        assert wait_for(lambda: sorted(lookup(cluster, client, "nginx")[0]) == both and both, "the headless Service's endpoints")
        answers, output = lookup(cluster, client, "_web._tcp.nginx.default.svc.cluster.local", "srv")
        assert any("web-0.nginx.default.svc.cluster.local" in answer for answer in answers), output
        # The pod's own /etc/hosts names it by its FQDN.
        hosts = cluster.kubectl("exec", "web-0", "--", "cat", "/etc/hosts").stdout
        assert f"{first}\tweb-0.nginx.default.svc.cluster.local\tweb-0" in hosts

        cluster.kubectl("delete", "pod", "web-0")
        wait_for(lambda: cluster.kubectl("get", "pod", "web-0", "-o", "jsonpath={.status.podIP}", check=False).stdout not in ("", first)
                 and status_column(cluster, "web-0") == "Running", "web-0 recreated with a new address")
        second = cluster.kubectl_json("get", "pod", "web-0")["status"]["podIP"]
        wait_for(lambda: resolve(cluster, client, "web-0.nginx") == second, "web-0.nginx following the new pod")
    finally:
        cluster.kubectl("delete", "-f", "-", input=STATEFUL, check=False)


def test_an_external_name_is_a_cname_and_outside_names_go_to_the_nodes_resolver(cluster, client):
    cluster.kubectl("create", "service", "externalname", "outside", "--external-name=www.outside.test")
    try:
        answers, output = wait_for(lambda: (lambda found: found if found[0] else None)(lookup(cluster, client, "outside.default.svc.cluster.local")),
                                   "the ExternalName answering")
        assert "www.outside.test" in output and OUTSIDE_ADDRESS in answers, output
        assert lookup(cluster, client, "www.outside.test")[0] == [OUTSIDE_ADDRESS]
        assert "NXDOMAIN" in lookup(cluster, client, "nowhere.invalid")[1]
    finally:
        cluster.kubectl("delete", "service", "outside")


def test_dns_policy_none_gets_exactly_its_dns_config(cluster):
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "own-dns"},
           "spec": {"dnsPolicy": "None", "terminationGracePeriodSeconds": 1,
                    "dnsConfig": {"nameservers": ["192.0.2.1"], "searches": ["ns1.svc.cluster-domain.example", "my.dns.search.suffix"],
                                  "options": [{"name": "ndots", "value": "2"}, {"name": "edns0"}]},
                    "hostAliases": [{"ip": "127.0.0.1", "hostnames": ["foo.local", "bar.local"]}],
                    "containers": [{"name": "c", "image": "busybox", "command": ["sleep", "3600"]}]}}
    cluster.kubectl("apply", "-f", "-", input=json.dumps(pod))
    try:
        wait_for(lambda: status_column(cluster, "own-dns") == "Running", "the pod running")
        resolv = cluster.kubectl("exec", "own-dns", "--", "cat", "/etc/resolv.conf").stdout.split("\n")
        assert [line for line in resolv if line] == [
            "search ns1.svc.cluster-domain.example my.dns.search.suffix", "nameserver 192.0.2.1", "options ndots:2 edns0"]
        hosts = cluster.kubectl("exec", "own-dns", "--", "cat", "/etc/hosts").stdout
        assert hosts.endswith("# Entries added by HostAliases.\n127.0.0.1\tfoo.local\tbar.local\n")
    finally:
        cluster.kubectl("delete", "pod", "own-dns", "--grace-period=1", check=False)


def test_the_node_answers_over_tcp_and_truncates_big_udp_answers(cluster, client):
    ip = cluster.kubectl_json("get", "service", "kubernetes")["spec"]["clusterIP"]
    assert f"kubernetes.default.svc.cluster.local. 5 IN A {ip}" in " ".join(dig("+tcp", "+noall", "+answer", "kubernetes.default.svc.cluster.local").split())
    assert '"1.1.0"' in dig("+short", "TXT", "dns-version.cluster.local")
    assert "status: NXDOMAIN" in dig("nothing.default.svc.cluster.local")
    # A headless Service with 100 endpoints does not fit 512 bytes: UDP answers are cut with TC set, TCP's whole.
    many = [{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "many"}, "spec": {"clusterIP": "None", "ports": [{"port": 80}]}},
            {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "addressType": "IPv4",
             "metadata": {"name": "many-1", "labels": {"kubernetes.io/service-name": "many"}}, "ports": [{"port": 80}],
             "endpoints": [{"addresses": [f"10.99.0.{index}"]} for index in range(1, 101)]}]
    manifest = json.dumps({"apiVersion": "v1", "kind": "List", "items": many})
    cluster.kubectl("apply", "-f", "-", input=manifest)
    try:
        wait_for(lambda: len(dig("+tcp", "+short", "many.default.svc.cluster.local").split()) == 100, "all 100 endpoints over TCP")
        udp = dig("+ignore", "+noedns", "many.default.svc.cluster.local")
        assert re.search(r"flags: qr aa tc", udp), udp
        assert len(re.findall(r"\bIN\s+A\s+10\.99\.0\.", udp)) < 100
    finally:
        cluster.kubectl("delete", "-f", "-", input=manifest, check=False)
    metrics = subprocess.run(["curl", "-s", f"http://{CLUSTER_DNS}:9153/metrics"], capture_output=True, text=True, timeout=10).stdout
    assert re.search(r'coredns_dns_requests_total\{[^}]*proto="tcp"[^}]*type="A"\} [1-9]', metrics), metrics[:2000]
    assert re.search(r'coredns_dns_responses_total\{[^}]*rcode="NXDOMAIN"[^}]*\} [1-9]', metrics)

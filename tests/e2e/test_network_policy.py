"""NetworkPolicy enforced in the kernel: real pods connect to each other (busybox wget to the nginx stand-in) while
policies are applied and removed with kubectl, and what gets through is what upstream's semantics allow.

Every address traffic is sent to is a pod's, on this node's bridge, or a ClusterIP once the proxy's table keeps the
Service range on the node."""
import json
import subprocess
import time
import urllib.request

import pytest

from conftest import wait_for
from test_node_agent import NODE, cluster, pytestmark  # noqa: F401  (the module's cluster and skips)
from test_service_proxy import node_table, short_hash

NAMESPACE = "netpol"
OPS = "netpol-ops"
TABLE = f"skiff-policy-{short_hash(NODE).lower()}"

PODS = f"""apiVersion: v1
kind: Namespace
metadata:
  name: {NAMESPACE}
---
apiVersion: v1
kind: Namespace
metadata:
  name: {OPS}
  labels:
    team: ops
---
apiVersion: v1
kind: Pod
metadata: {{name: db, namespace: {NAMESPACE}, labels: {{role: db}}}}
spec:
  terminationGracePeriodSeconds: 1
  containers: [{{name: db, image: nginx, ports: [{{name: http, containerPort: 80}}]}}]
---
apiVersion: v1
kind: Pod
metadata: {{name: web, namespace: {NAMESPACE}, labels: {{role: web}}}}
spec:
  terminationGracePeriodSeconds: 1
  containers: [{{name: web, image: nginx}}]
"""
CLIENTS = [(NAMESPACE, "app", "app"), (NAMESPACE, "other", "other"), (OPS, "ops-app", "app"), (OPS, "ops-x", "x")]
for namespace, name, role in CLIENTS:
    PODS += f"""---
apiVersion: v1
kind: Pod
metadata: {{name: {name}, namespace: {namespace}, labels: {{role: {role}}}}}
spec:
  terminationGracePeriodSeconds: 1
  containers: [{{name: client, image: busybox, command: [sleep, "3600"]}}]
"""

# Seed 002, as written.
ALLOW_APP_TO_DB = """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-app-to-db
spec:
  podSelector:
    matchLabels:
      role: db  # Apply this policy to db pods
  ingress:
  - from:
    - podSelector:
        matchLabels:
          role: app  # Only allow traffic from pods labeled role=app
  policyTypes:
  - Ingress  # Apply to incoming traffic
"""
RESTRICT_APP_EGRESS = """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: restrict-app-egress
spec:
  podSelector:
    matchLabels:
      role: app  # Apply this policy to app pods
  egress:
  - to:
    - podSelector:
        matchLabels:
          role: db  # Allow app pods to connect to db pods only
  policyTypes:
  - Egress  # Apply to outgoing traffic
"""


def policy(name, spec, namespace=NAMESPACE):
    return json.dumps({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": name, "namespace": namespace},
                       "spec": spec})


def policy_table():
    result = subprocess.run(["nft", "list", "table", "ip", TABLE], capture_output=True, text=True)
    return result.stdout if result.returncode == 0 else ""


def attempt(cluster, client, address, namespace=NAMESPACE, seconds=3):
    """(whether `client` got the nginx page from `address`, how long it took)."""
    started = time.monotonic()
    result = cluster.kubectl("exec", "-n", namespace, client, "--", "timeout", str(seconds), "wget", "-qO-", f"http://{address}/",
                             check=False, timeout=seconds + 30)
    return result.returncode == 0 and "nginx" in result.stdout, time.monotonic() - started


def reaches(cluster, client, address, namespace=NAMESPACE):
    return attempt(cluster, client, address, namespace)[0]


def resolves(cluster, client, namespace=NAMESPACE):
    result = cluster.kubectl("exec", "-n", namespace, client, "--", "timeout", "4", "nslookup", "kubernetes.default.svc.cluster.local",
                             check=False, timeout=40)
    return result.returncode == 0 and "Address" in result.stdout.split("kubernetes.default")[-1]


def settles(cluster, expected, what):
    """Waits until every (client, namespace, address) reaches its address exactly when `expected` says so."""
    def matches():
        matches.last = {key: reaches(cluster, key[0], key[2], key[1]) for key in expected}
        return all(matches.last[key] == allowed for key, allowed in expected.items())
    try:
        wait_for(matches, what, timeout=30)
    except AssertionError as error:
        raise AssertionError(f"{error}: last seen {matches.last}") from None


@pytest.fixture(scope="module")
def pods(cluster):
    cluster.kubectl("apply", "-f", "-", input=PODS)
    for namespace in (NAMESPACE, OPS):
        cluster.kubectl("wait", "-n", namespace, "--for=condition=Ready", "pod", "--all", "--timeout=90s", timeout=120)
    addresses = {}
    for namespace in (NAMESPACE, OPS):
        for item in cluster.kubectl_json("get", "pods", "-n", namespace)["items"]:
            addresses[item["metadata"]["name"]] = item["status"]["podIP"]
    # The pods answer each other before any policy exists.
    for client, namespace in (("app", NAMESPACE), ("other", NAMESPACE), ("ops-x", OPS)):
        wait_for(lambda: reaches(cluster, client, addresses["db"], namespace), f"{client} reaching db without policies", timeout=30)
    yield addresses
    cluster.kubectl("delete", "namespace", NAMESPACE, OPS, "--wait=false", check=False)


@pytest.fixture
def clean(cluster, pods):
    """Each test starts and ends without policies."""
    yield pods
    for namespace in (NAMESPACE, OPS):
        cluster.kubectl("delete", "networkpolicy", "--all", "-n", namespace, check=False)
    wait_for(lambda: "namespace-" not in policy_table(), "the policies' chains gone")


def test_the_seeds_allow_app_to_db_lets_app_pods_in_and_others_time_out(cluster, clean):
    db = clean["db"]
    cluster.kubectl("apply", "-n", NAMESPACE, "-f", "-", input=ALLOW_APP_TO_DB)
    settles(cluster, {("app", NAMESPACE, db): True, ("other", NAMESPACE, db): False}, "only the app pod reaching db")
    allowed, _ = attempt(cluster, "app", db)
    blocked, waited = attempt(cluster, "other", db)
    assert allowed and not blocked
    assert waited >= 2.5, "a denied connection is dropped (the client times out), not refused"
    # Only db is isolated: other pods still reach web, and the node itself still reaches db (the kubelet's probes).
    assert reaches(cluster, "other", clean["web"])
    assert "nginx" in urllib.request.urlopen(f"http://{db}/", timeout=3).read().decode()
    # Another namespace's app pod is not selected: podSelector alone means the policy's own namespace.
    assert not reaches(cluster, "ops-app", db, OPS)

    cluster.kubectl("delete", "-n", NAMESPACE, "networkpolicy", "allow-app-to-db")
    settles(cluster, {("other", NAMESPACE, db): True}, "other reaching db again once the policy is gone")
    assert "allow-app-to-db" not in policy_table(), "a removed policy leaves no rule behind"


def test_the_seeds_egress_policy_lets_app_pods_reach_db_and_nothing_else(cluster, clean):
    cluster.kubectl("apply", "-n", NAMESPACE, "-f", "-", input=RESTRICT_APP_EGRESS)
    settles(cluster, {("app", NAMESPACE, clean["db"]): True, ("app", NAMESPACE, clean["web"]): False}, "app reaching db alone")
    assert reaches(cluster, "other", clean["web"]), "other pods keep their egress"
    # Replies to an allowed connection pass: db may start no connection of its own, yet it answers app.
    cluster.kubectl("apply", "-f", "-", input=policy("db-starts-nothing", {"podSelector": {"matchLabels": {"role": "db"}}, "policyTypes": ["Egress"]}))
    wait_for(lambda: "db-starts-nothing" in policy_table(), "the db's egress chain")
    assert reaches(cluster, "app", clean["db"])
    # Without a DNS allowance, egress isolation also stops name lookups, as upstream.
    assert not resolves(cluster, "app")


def test_default_deny_ingress_isolates_every_pod_of_the_namespace(cluster, clean):
    cluster.kubectl("apply", "-f", "-", input=policy("default-deny-ingress", {"podSelector": {}, "policyTypes": ["Ingress"]}))
    settles(cluster, {("app", NAMESPACE, clean["db"]): False, ("app", NAMESPACE, clean["web"]): False,
                      ("ops-app", OPS, clean["db"]): False}, "nothing reaching the namespace's pods")
    # Egress is not isolated: the namespace's pods still resolve names through the cluster DNS.
    assert resolves(cluster, "app")


def test_egress_default_deny_with_a_dns_allowance_resolves_names_and_connects_nowhere(cluster, clean):
    dns = {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                   "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
           "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]}
    cluster.kubectl("apply", "-f", "-", input=policy("default-deny-egress", {"podSelector": {}, "policyTypes": ["Egress"], "egress": [dns]}))
    settles(cluster, {("app", NAMESPACE, clean["db"]): False, ("other", NAMESPACE, clean["web"]): False}, "no connection leaving the namespace's pods")
    assert resolves(cluster, "app"), "the DNS allowance lets names resolve"
    # The same allowance by named port: the cluster DNS counts as the kube-dns pod with CoreDNS's port names.
    named = dict(dns, ports=[{"protocol": "UDP", "port": "dns"}])
    cluster.kubectl("apply", "-f", "-", input=policy("default-deny-egress", {"podSelector": {}, "policyTypes": ["Egress"], "egress": [named]}))
    time.sleep(1)
    assert resolves(cluster, "app")
    cluster.kubectl("apply", "-f", "-", input=policy("default-deny-egress", {"podSelector": {}, "policyTypes": ["Egress"]}))
    wait_for(lambda: not resolves(cluster, "app"), "name lookups stopped without the allowance", timeout=30)


def test_a_namespace_and_pod_selector_in_one_peer_must_both_match_while_two_peers_are_either(cluster, clean):
    db = clean["db"]
    both = {"podSelector": {"matchLabels": {"role": "db"}}, "policyTypes": ["Ingress"],
            "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"team": "ops"}}, "podSelector": {"matchLabels": {"role": "app"}}}]}]}
    cluster.kubectl("apply", "-f", "-", input=policy("ops-apps", both))
    settles(cluster, {("ops-app", OPS, db): True, ("ops-x", OPS, db): False, ("app", NAMESPACE, db): False}, "ops' app pod alone reaching db")
    either = {"podSelector": {"matchLabels": {"role": "db"}}, "policyTypes": ["Ingress"],
              "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"team": "ops"}}}, {"podSelector": {"matchLabels": {"role": "app"}}}]}]}
    cluster.kubectl("apply", "-f", "-", input=policy("ops-apps", either))
    settles(cluster, {("ops-app", OPS, db): True, ("ops-x", OPS, db): True, ("app", NAMESPACE, db): True, ("other", NAMESPACE, db): False},
            "ops' pods and the namespace's app pod reaching db")
    # A namespace's labels count as they change.
    cluster.kubectl("label", "namespace", OPS, "team-")
    settles(cluster, {("ops-x", OPS, db): False, ("app", NAMESPACE, db): True}, "ops' pods shut out once the namespace loses its label")
    cluster.kubectl("label", "namespace", OPS, "team=ops")


def test_an_ip_block_with_an_exception(cluster, clean):
    db = clean["db"]
    block = {"podSelector": {"matchLabels": {"role": "db"}}, "policyTypes": ["Ingress"],
             "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": [f"{clean['other']}/32"]}}]}]}
    cluster.kubectl("apply", "-f", "-", input=policy("pods-but-other", block))
    settles(cluster, {("app", NAMESPACE, db): True, ("ops-x", OPS, db): True, ("other", NAMESPACE, db): False}, "every pod but other reaching db")


def test_ports_by_name_and_number_and_a_named_port_no_pod_has_is_reported(cluster, clean):
    db = clean["db"]
    by_name = {"podSelector": {"matchLabels": {"role": "db"}}, "policyTypes": ["Ingress"], "ingress": [{"ports": [{"port": "http"}]}]}
    cluster.kubectl("apply", "-f", "-", input=policy("http-by-name", by_name))
    # A second policy allowing another port is a union: it changes nothing for port 80.
    other_port = {"podSelector": {"matchLabels": {"role": "db"}}, "policyTypes": ["Ingress"],
                  "ingress": [{"ports": [{"port": 8000, "endPort": 8100}]}]}
    cluster.kubectl("apply", "-f", "-", input=policy("range", other_port))
    settles(cluster, {("other", NAMESPACE, db): True}, "port 80 allowed by its name")
    by_number = {"podSelector": {"matchLabels": {"role": "db"}}, "policyTypes": ["Ingress"], "ingress": [{"ports": [{"port": 81}]}]}
    cluster.kubectl("apply", "-f", "-", input=policy("http-by-name", by_number))
    settles(cluster, {("other", NAMESPACE, db): False}, "port 80 closed once the policy names another port")
    cluster.kubectl("apply", "-f", "-", input=policy("range", dict(other_port, ingress=[{"ports": [{"port": 70, "endPort": 90}]}])))
    settles(cluster, {("other", NAMESPACE, db): True}, "port 80 open within a port range")

    missing = {"podSelector": {"matchLabels": {"role": "db"}}, "policyTypes": ["Ingress"], "ingress": [{"ports": [{"port": "metrics"}]}]}
    cluster.kubectl("apply", "-f", "-", input=policy("no-such-port", missing))

    def reported():
        events = cluster.kubectl_json("get", "events", "-n", NAMESPACE)["items"]
        return [event["message"] for event in events
                if event["involvedObject"].get("name") == "no-such-port" and event["reason"] == "NamedPortNotFound"]
    messages = wait_for(reported, "an event explaining the port that can never match")
    assert '"metrics"' in messages[0] and "allows nothing" in messages[0]


def test_policies_apply_to_service_traffic_after_the_proxys_dnat(cluster, clean):
    cluster.kubectl("create", "service", "clusterip", "db", "-n", NAMESPACE, "--tcp=80:80")
    cluster.kubectl("set", "selector", "service", "db", "-n", NAMESPACE, "role=db")
    try:
        ip = cluster.kubectl_json("get", "service", "db", "-n", NAMESPACE)["spec"]["clusterIP"]
        wait_for(lambda: "Drop traffic to unallocated ClusterIPs" in node_table() and ip in node_table(), "the Service's rules on the node")
        settles(cluster, {("other", NAMESPACE, ip): True}, "the Service answering")
        cluster.kubectl("apply", "-n", NAMESPACE, "-f", "-", input=ALLOW_APP_TO_DB)
        settles(cluster, {("app", NAMESPACE, ip): True, ("other", NAMESPACE, ip): False}, "only app reaching db through its Service")
    finally:
        cluster.kubectl("delete", "service", "db", "-n", NAMESPACE, check=False)


def test_policies_added_and_removed_while_a_client_connects_in_a_loop(cluster, clean):
    db = clean["db"]
    loop = (f"for i in $(seq 1 80); do if timeout 1 wget -qO /dev/null http://{db}/; then echo ok; else echo no; fi; sleep 0.1; done")
    client = subprocess.Popen(["kubectl", "exec", "-n", NAMESPACE, "other", "--", "sh", "-c", loop], stdout=subprocess.PIPE, text=True,
                              env=cluster.env())
    try:
        time.sleep(3)
        cluster.kubectl("apply", "-n", NAMESPACE, "-f", "-", input=ALLOW_APP_TO_DB)
        time.sleep(4)
        cluster.kubectl("delete", "-n", NAMESPACE, "networkpolicy", "allow-app-to-db")
        output, _ = client.communicate(timeout=120)
    finally:
        client.kill()
    answers = output.split()
    # Allowed, then denied from the moment the policy takes effect, then allowed again once it is gone.
    runs = [answer for index, answer in enumerate(answers) if index == 0 or answers[index - 1] != answer]
    assert runs == ["ok", "no", "ok"], answers
    assert answers.count("no") >= 2

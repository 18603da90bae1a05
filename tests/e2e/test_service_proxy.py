"""The service proxy: Services carry real packets through the node's nftables table, from the node and from pods.

No packet is sent to the Service range before the test has read, in the node's own table, the rule that keeps the
range on the node (unanswered addresses are dropped there instead of leaving by the default route)."""
import json
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from conftest import wait_for
from test_node_agent import NODE, cluster, pytestmark, status_column  # noqa: F401  (the module's cluster and skips)

SEED = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: myapp-deployment
spec:
  replicas: 3
  selector:
    matchLabels:
      app: myapp
  template:
    metadata:
      labels:
        app: myapp
    spec:
      containers:
        - name: myapp-container
          image: nginx
          ports:
            - containerPort: 80
---
apiVersion: v1
kind: Service
metadata:
  name: myapp-service
spec:
  selector:
    app: myapp
  ports:
    - protocol: TCP
      port: 80
      targetPort: 80
  type: ClusterIP
"""


def short_hash(text):
    """The proxy's table suffix: eight base-32 characters of the FNV-1a hash of the node name."""
    value = 0xcbf29ce484222325
    for byte in text.encode():
        value = ((value ^ byte) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return "".join("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[(value >> (5 * index)) & 31] for index in range(8))


TABLE = f"skiff-{short_hash(NODE).lower()}"


def node_table():
    result = subprocess.run(["nft", "list", "table", "ip", TABLE], capture_output=True, text=True)
    return result.stdout if result.returncode == 0 else ""


def get(url, timeout=3):
    """The page, or None while nothing answers (for wait_for)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.read().decode()
    except OSError:
        return None


def refused(address, port):
    """True when a connection is refused at once (the Service has no endpoints), not left to time out."""
    started = time.monotonic()
    try:
        socket.create_connection((address, port), timeout=3).close()
        return False
    except ConnectionRefusedError:
        return time.monotonic() - started < 2
    except OSError:
        return False


@pytest.fixture(scope="module")
def myapp(cluster):
    cluster.kubectl("apply", "-f", "-", input=SEED)
    cluster.kubectl("rollout", "status", "deployment/myapp-deployment", "--timeout=90s", timeout=120)
    ip = cluster.kubectl_json("get", "service", "myapp-service")["spec"]["clusterIP"]
    # The range stays on this node before anything is sent to it.
    wait_for(lambda: "Drop traffic to unallocated ClusterIPs" in node_table() and ip in node_table(), "the node's service rules")
    yield ip
    cluster.kubectl("delete", "-f", "-", input=SEED, check=False)


def test_the_seed_service_answers_on_its_cluster_ip_from_the_node_and_from_a_pod(cluster, myapp):
    assert "Welcome to nginx" in wait_for(lambda: get(f"http://{myapp}/"), "the ClusterIP answering from the node")
    cluster.kubectl("run", "svc-client", "--image=busybox", "--", "sleep", "3600")
    try:
        wait_for(lambda: status_column(cluster, "svc-client") == "Running", "the client pod running")
        answer = cluster.kubectl("exec", "svc-client", "--", "timeout", "5", "wget", "-qO-", f"http://{myapp}/").stdout
        assert "Welcome to nginx" in answer
        # The kubelet's variables for the Services that existed when the pod started lead there too.
        environment = cluster.kubectl("exec", "svc-client", "--", "env").stdout.splitlines()
        assert f"MYAPP_SERVICE_SERVICE_HOST={myapp}" in environment and "MYAPP_SERVICE_PORT_80_TCP_PORT=80" in environment
        assert any(line.startswith("KUBERNETES_SERVICE_HOST=") for line in environment)
        by_variable = cluster.kubectl(
            "exec", "svc-client", "--", "sh", "-c", "timeout 5 wget -qO- http://$MYAPP_SERVICE_SERVICE_HOST:$MYAPP_SERVICE_SERVICE_PORT/").stdout
        assert "Welcome to nginx" in by_variable
    finally:
        cluster.kubectl("delete", "pod", "svc-client", "--grace-period=1", check=False)


def test_a_service_without_endpoints_refuses_at_once_and_answers_again_when_they_return(cluster, myapp):
    cluster.kubectl("scale", "deployment/myapp-deployment", "--replicas=0")
    wait_for(lambda: refused(myapp, 80), "the ClusterIP refusing connections")
    cluster.kubectl("scale", "deployment/myapp-deployment", "--replicas=3")
    cluster.kubectl("rollout", "status", "deployment/myapp-deployment", "--timeout=90s", timeout=120)
    assert "Welcome to nginx" in wait_for(lambda: get(f"http://{myapp}/"), "the ClusterIP answering again")


def test_the_service_range_never_leaves_the_node(cluster, myapp):
    # An allocated ClusterIP on a port no Service defines: rejected at once.
    assert refused(myapp, 81)
    # An address of the range no Service has: dropped on the node, so the connection attempt just times out.
    started = time.monotonic()
    with pytest.raises(OSError) as failure:
        socket.create_connection(("10.43.255.254", 80), timeout=2).close()
    assert not isinstance(failure.value, ConnectionRefusedError)
    assert time.monotonic() - started >= 1.5
    counters = subprocess.run(["nft", "list", "chain", "ip", TABLE, "cluster-ips-check"], capture_output=True, text=True).stdout
    assert "drop" in counters


def node_address(cluster):
    addresses = cluster.kubectl_json("get", "node", NODE)["status"]["addresses"]
    return next(address["address"] for address in addresses if address["type"] == "InternalIP")


def test_a_node_port_answers_on_the_nodes_address_and_on_localhost(cluster, myapp):
    cluster.kubectl("expose", "deployment/myapp-deployment", "--name=myapp-nodeport", "--type=NodePort", "--port=80")
    try:
        port = cluster.kubectl_json("get", "service", "myapp-nodeport")["spec"]["ports"][0]["nodePort"]
        for address in (node_address(cluster), "127.0.0.1"):
            assert "Welcome to nginx" in wait_for(lambda: get(f"http://{address}:{port}/"), f"the node port on {address}")
    finally:
        cluster.kubectl("delete", "service", "myapp-nodeport")


LOAD_BALANCER = """apiVersion: v1
kind: Service
metadata:
  name: {name}
spec:
  type: LoadBalancer
  allocateLoadBalancerNodePorts: {node_ports}
  selector:
    app: myapp
  ports:
    - port: 18080
      targetPort: 80
"""


def test_a_load_balancer_gets_the_nodes_address_and_a_second_one_on_its_port_stays_pending(cluster, myapp):
    cluster.kubectl("apply", "-f", "-", input=LOAD_BALANCER.format(name="frontend-service", node_ports="true"))
    try:
        def external_ip(name):
            row = cluster.kubectl("get", "service", name, "--no-headers").stdout.split()
            return row[3] if len(row) > 3 and row[3] not in ("<pending>", "<none>") else None
        address = wait_for(lambda: external_ip("frontend-service"), "an EXTERNAL-IP for the LoadBalancer Service")
        assert address == node_address(cluster)
        assert "Welcome to nginx" in wait_for(lambda: get(f"http://{address}:18080/"), "the load-balancer address answering")

        assert cluster.kubectl_json("get", "service", "frontend-service")["spec"]["ports"][0]["nodePort"] > 0
        # A load balancer that does not route through node ports asks for none.
        cluster.kubectl("apply", "-f", "-", input=LOAD_BALANCER.format(name="frontend-copy", node_ports="false"))
        assert "nodePort" not in cluster.kubectl_json("get", "service", "frontend-copy")["spec"]["ports"][0]
        wait_for(lambda: "already used by LoadBalancer Service default/frontend-service" in cluster.kubectl(
            "get", "events", "--field-selector", "involvedObject.name=frontend-copy").stdout, "the pending Service's event")
        assert external_ip("frontend-copy") is None
        # Once the port is free the waiting Service gets it.
        cluster.kubectl("delete", "service", "frontend-service")
        assert wait_for(lambda: external_ip("frontend-copy"), "the second Service's address once the port is free") == address
        assert "Welcome to nginx" in wait_for(lambda: get(f"http://{address}:18080/"), "the second Service answering there")
    finally:
        cluster.kubectl("delete", "service", "frontend-service", "frontend-copy", "--ignore-not-found")


WHOAMI = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: whoami
spec:
  replicas: 3
  selector:
    matchLabels:
      app: whoami
  template:
    metadata:
      labels:
        app: whoami
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: web
          image: busybox
          command: ["sh", "-c", "mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 8080 -h /www"]
---
apiVersion: v1
kind: Service
metadata:
  name: whoami
spec:
  selector:
    app: whoami
  ports:
    - port: 80
      targetPort: 8080
"""


def test_connections_spread_over_the_endpoints_unless_client_ip_affinity_keeps_a_client_on_one(cluster):
    cluster.kubectl("apply", "-f", "-", input=WHOAMI)
    try:
        cluster.kubectl("rollout", "status", "deployment/whoami", "--timeout=90s", timeout=120)
        ip = cluster.kubectl_json("get", "service", "whoami")["spec"]["clusterIP"]
        pods = {pod["metadata"]["name"] for pod in cluster.kubectl_json("get", "pods", "-l", "app=whoami")["items"]}
        wait_for(lambda: get(f"http://{ip}/"), "the Service answering")
        spread = {(get(f"http://{ip}/") or "").strip() for _ in range(40)}
        assert spread == pods, f"40 requests reached {spread}"
        cluster.kubectl("patch", "service", "whoami", "-p", '{"spec":{"sessionAffinity":"ClientIP"}}')
        wait_for(lambda: "affinity-" in node_table(), "the affinity sets in the node's table")
        kept = {(get(f"http://{ip}/") or "").strip() for _ in range(20)}
        assert len(kept) == 1 and kept <= pods, f"20 requests of one client reached {kept}"
    finally:
        cluster.kubectl("delete", "-f", "-", input=WHOAMI, check=False)


READY_NGINX = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: rolling
spec:
  replicas: 3
  selector:
    matchLabels:
      app: rolling
  template:
    metadata:
      labels:
        app: rolling
    spec:
      containers:
        - name: web
          image: nginx
          readinessProbe:
            httpGet: {path: /, port: 80}
            periodSeconds: 1
---
apiVersion: v1
kind: Service
metadata:
  name: rolling
spec:
  selector:
    app: rolling
  ports:
    - port: 80
"""


def test_a_rolling_update_under_load_fails_no_request(cluster):
    cluster.kubectl("apply", "-f", "-", input=READY_NGINX)
    try:
        cluster.kubectl("rollout", "status", "deployment/rolling", "--timeout=90s", timeout=120)
        ip = cluster.kubectl_json("get", "service", "rolling")["spec"]["clusterIP"]
        wait_for(lambda: get(f"http://{ip}/"), "the Service answering")
        cluster.kubectl("rollout", "restart", "deployment/rolling")
        rollout = cluster.popen_kubectl("rollout", "status", "deployment/rolling", "--timeout=120s")
        sent, failures = 0, []
        while rollout.poll() is None:
            sent += 1
            try:
                with urllib.request.urlopen(f"http://{ip}/", timeout=5) as response:
                    response.read()
            except OSError as error:
                failures.append(repr(error))
        print(f"rolling update: {sent} requests, {len(failures)} failed")
        assert rollout.returncode == 0, rollout.stderr.read()
        assert sent > 50, f"only {sent} requests went out during the rollout"
        assert failures == [], f"{len(failures)} of {sent} requests failed: {failures[:5]}"
    finally:
        cluster.kubectl("delete", "-f", "-", input=READY_NGINX, check=False)

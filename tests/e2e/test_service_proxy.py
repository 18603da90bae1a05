"""The service proxy: Services carry real packets through the node's nftables table, from the node and from pods.

No packet is sent to the Service range before the test has read, in the node's own table, the rule that keeps the
range on the node (unanswered addresses are dropped there instead of leaving by the default route)."""
import contextlib
import ctypes
import json
import os
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request

import pytest

from conftest import skiff_binary, wait_for
from test_node_agent import NODE, cluster, pytestmark, status_column  # noqa: F401  (the module's cluster and skips)
import test_node_agent

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


def test_a_pod_reaches_itself_through_its_own_service(cluster, myapp):
    """Hairpin: the one endpoint of the Service is the client, so the connection leaves the pod and comes back."""
    cluster.kubectl("run", "hairpin", "--image=nginx", "--expose", "--port=80")
    try:
        wait_for(lambda: status_column(cluster, "hairpin") == "Running", "the pod running")
        ip = cluster.kubectl_json("get", "service", "hairpin")["spec"]["clusterIP"]
        wait_for(lambda: ip in node_table() and "hairpin" in node_table(), "the Service's rules")
        answer = wait_for(lambda: cluster.kubectl("exec", "hairpin", "--", "timeout", "5", "wget", "-qO-", f"http://{ip}/", check=False).stdout,
                          "the pod answering itself through its Service")
        assert "Welcome to nginx" in answer
    finally:
        cluster.kubectl("delete", "pod,service", "hairpin", "--grace-period=1", check=False)


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


def kernel_rule_count():
    """Rules and written set and map elements in the node's table, as the kernel lists them (dynamic sets, which the
    kernel fills itself, left out)."""
    listing = json.loads(subprocess.run(["nft", "-j", "list", "table", "ip", TABLE], capture_output=True, text=True, check=True).stdout)
    count = 0
    for entry in listing["nftables"]:
        if "rule" in entry:
            count += 1
        for kind in ("set", "map"):
            if kind in entry and "dynamic" not in entry[kind].get("flags", []):
                count += len(entry[kind].get("elem", []))
    return count


def test_the_proxy_reports_its_sync_latency_and_rule_count_on_its_metrics_port(cluster, myapp):
    def metrics():
        text = get(f"http://127.0.0.1:{cluster.proxy_metrics_port}/metrics")
        return dict(line.rsplit(" ", 1) for line in text.splitlines() if not line.startswith("#")) if text else {}
    assert int(metrics()["kubeproxy_sync_proxy_rules_duration_seconds_count"]) >= 1
    assert float(metrics()["kubeproxy_sync_proxy_rules_last_timestamp_seconds"]) > time.time() - 3600
    wait_for(lambda: int(metrics()["skiff_proxy_nftables_rules"]) == kernel_rule_count(), "the reported rule count matching the kernel's")


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


CLONE_NEWNET = 0x40000000
LIBC = ctypes.CDLL(None, use_errno=True)


def listen_inside(netns, port):
    """A socket listening on 127.0.0.1:`port` inside the network namespace `netns`: this thread enters it just to
    make the socket (a socket stays in the namespace it was made in), then comes back."""
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open(f"/var/run/netns/{netns}", os.O_RDONLY)
    try:
        if LIBC.setns(target, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns into {netns}")
        try:
            return socket.create_server(("127.0.0.1", port))
        finally:
            if LIBC.setns(home, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns back home")
    finally:
        os.close(home)
        os.close(target)


def relay(listener, port):
    """Passes every connection to `listener` on to this namespace's 127.0.0.1:`port`, both ways, until it closes."""
    def pipe(source, sink):
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)

    def serve():
        while True:
            try:
                client, _ = listener.accept()
                upstream = socket.create_connection(("127.0.0.1", port))
            except OSError:
                return
            threading.Thread(target=pipe, args=(client, upstream), daemon=True).start()
            threading.Thread(target=pipe, args=(upstream, client), daemon=True).start()
    threading.Thread(target=serve, daemon=True).start()


EDGE = f"{NODE}-edge"
EDGE_NETNS = f"skiff-{short_hash(EDGE).lower()[:6]}"
# A /24 of its own per node name, so that two runs of this module side by side keep apart.
EDGE_SUBNET = f"192.168.{100 + int.from_bytes(EDGE.encode(), 'big') % 100}"
HOST_SIDE, EDGE_SIDE = f"{EDGE_SUBNET}.1", f"{EDGE_SUBNET}.2"


@contextlib.contextmanager
def edge_node(cluster, directory):
    """A second node, `skiff agent` in a network namespace the test makes (its own addresses, nftables table,
    bridge and containerd), joined to the module's server over a veth pair. The server and the image registry listen
    on the host's loopback; relays inside the namespace's loopback reach them."""
    veth = f"sk{short_hash(EDGE).lower()[:6]}"
    commands = [
        ["ip", "netns", "add", EDGE_NETNS],
        ["ip", "link", "add", f"{veth}h", "type", "veth", "peer", "name", f"{veth}n"],
        ["ip", "link", "set", f"{veth}n", "netns", EDGE_NETNS],
        ["ip", "addr", "add", f"{HOST_SIDE}/24", "dev", f"{veth}h"],
        ["ip", "link", "set", f"{veth}h", "up"],
        ["ip", "-n", EDGE_NETNS, "addr", "add", f"{EDGE_SIDE}/24", "dev", f"{veth}n"],
        ["ip", "-n", EDGE_NETNS, "link", "set", f"{veth}n", "up"],
        ["ip", "-n", EDGE_NETNS, "link", "set", "lo", "up"],
    ]
    subprocess.run(["ip", "netns", "del", EDGE_NETNS], capture_output=True)
    listeners = []
    agent = None
    log = open(directory / "agent.log", "w")
    try:
        for command in commands:
            subprocess.run(command, check=True, capture_output=True)
        for port in (cluster.port, 5000):
            listeners.append(listen_inside(EDGE_NETNS, port))
            relay(listeners[-1], port)
        token = (cluster.data_dir / "server" / "token").read_text().strip()
        agent = subprocess.Popen(
            ["nsenter", f"--net=/var/run/netns/{EDGE_NETNS}", skiff_binary(), "agent", "--server", f"https://127.0.0.1:{cluster.port}",
             "--token", token, "--data-dir", str(directory), "--node-name", EDGE, "--node-ip", EDGE_SIDE,
             "--cluster-cidr", test_node_agent.CLUSTER_CIDR, "--private-registry", str(test_node_agent.REGISTRIES), "--stop-pods-on-exit"],
            stdout=subprocess.PIPE, stderr=log, text=True)
        assert f"Skiff agent is running node {EDGE}" in agent.stdout.readline(), (directory / "agent.log").read_text()[-2000:]
        wait_for(lambda: cluster.kubectl("get", "node", EDGE, "--no-headers", check=False).stdout.split()[1:2] == ["Ready"],
                 f"{EDGE} Ready", timeout=60)
        yield
    finally:
        if agent:
            agent.terminate()
            agent.wait(30)
        log.close()
        for listener in listeners:
            listener.close()
        cluster.kubectl("delete", "node", EDGE, check=False)
        subprocess.run(["ip", "netns", "del", EDGE_NETNS], capture_output=True)


def remote_address_echo(node):
    """A pod on `node` whose httpd answers /cgi-bin/ip with the address the connection came from, and a NodePort
    Service with externalTrafficPolicy: Local in front of it."""
    script = "#!/bin/sh\necho Content-Type: text/plain\necho\necho $REMOTE_ADDR\n"
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "echo-ip", "labels": {"app": "echo-ip"}},
           "spec": {"nodeName": node, "terminationGracePeriodSeconds": 1, "containers": [{
               "name": "web", "image": "busybox",
               "command": ["sh", "-c", f"mkdir -p /www/cgi-bin && printf '{script}' > /www/cgi-bin/ip && chmod +x /www/cgi-bin/ip"
                                       " && exec httpd -f -p 8080 -h /www"]}]}}
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "echo-ip"},
               "spec": {"type": "NodePort", "externalTrafficPolicy": "Local", "selector": {"app": "echo-ip"},
                        "ports": [{"port": 80, "targetPort": 8080}]}}
    return {"apiVersion": "v1", "kind": "List", "items": [pod, service]}


def test_external_traffic_policy_local_on_a_joined_node_keeps_the_clients_address(cluster, tmp_path):
    with edge_node(cluster, tmp_path):
        manifest = json.dumps(remote_address_echo(EDGE))
        cluster.kubectl("apply", "-f", "-", input=manifest)
        try:
            wait_for(lambda: status_column(cluster, "echo-ip") == "Running", "the echo pod running on the joined node", timeout=90)
            port = cluster.kubectl_json("get", "service", "echo-ip")["spec"]["ports"][0]["nodePort"]
            url = f"http://{EDGE_SIDE}:{port}/cgi-bin/ip"

            def seen_address():
                """The client address the pod saw (busybox httpd writes IPv4 as [::ffff:a.b.c.d])."""
                answer = get(url)
                return answer and answer.strip().removeprefix("[::ffff:").removesuffix("]")
            # From the host, over the veth: the pod sees the host's own address on that link, not the node's.
            assert wait_for(seen_address, "the joined node's node port answering") == HOST_SIDE
            # With the Cluster policy the node masquerades, and the pod sees the node's own bridge address instead.
            cluster.kubectl("patch", "service", "echo-ip", "-p", json.dumps({"spec": {"externalTrafficPolicy": "Cluster"}}))
            pod_cidr = cluster.kubectl_json("get", "node", EDGE)["spec"]["podCIDR"]
            gateway = pod_cidr.rsplit(".", 1)[0] + ".1"
            wait_for(lambda: seen_address() == gateway, "the client's address masqueraded under the Cluster policy")
        finally:
            cluster.kubectl("delete", "-f", "-", input=manifest, check=False)

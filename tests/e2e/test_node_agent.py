"""The server's own node agent running real containers with containerd + runc (`skiff server`'s default), driven with
real kubectl. Images come from scripts/test-images.sh's local registry through a registries.yaml mirror, so the
names the seeds use (nginx, busybox, python:3.8) resolve without internet access."""
import contextlib
import hashlib
import ipaddress
import json
import os
import pathlib
import pty
import select
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request

import pytest

from conftest import ROOT, Server, free_port, own_server, skiff_binary, wait_for

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="running containers needs root"),
    pytest.mark.skipif(not all(shutil.which(tool) for tool in ("containerd", "runc")) or not pathlib.Path("/usr/lib/cni/bridge").exists(),
                       reason="containerd, runc and the CNI plugins are needed (apt-get install containerd runc containernetworking-plugins)"),
]

# Two runs of this module at once (e.g. from two work trees) need their own node names (each node gets its own CNI
# bridge) and pod networks, or their pods' addresses would collide.
NODE = os.environ.get("SKIFF_TEST_NODE", "skiff-node")
JOINED = f"{NODE}-joined"
CLUSTER_CIDR = os.environ.get("SKIFF_TEST_CLUSTER_CIDR", "10.42.0.0/16")
REGISTRIES = None
# The node's upstream resolver in these tests, and the one name it knows.
UPSTREAM_DNS = os.environ.get("SKIFF_TEST_UPSTREAM_DNS", "127.0.0.77")
OUTSIDE_ADDRESS = "192.0.2.77"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    images = subprocess.run(["bash", str(ROOT / "scripts" / "test-images.sh")], capture_output=True, text=True, timeout=600)
    assert images.returncode == 0, f"scripts/test-images.sh failed:\n{images.stdout}\n{images.stderr}"
    global REGISTRIES
    registries = REGISTRIES = tmp_path_factory.mktemp("agent") / "registries.yaml"
    registries.write_text("""mirrors:
  docker.io:
    endpoint: ["http://127.0.0.1:5000"]
  registry.k8s.io:
    endpoint: ["http://127.0.0.1:5000"]
""")
    # The node's resolver, for names outside the cluster: dnsmasq on a loopback address of its own, answering one
    # name of its own and NXDOMAIN for every other (this machine has no internet).
    upstream = UPSTREAM_DNS
    resolv_conf = tmp_path_factory.mktemp("resolver") / "resolv.conf"
    resolv_conf.write_text(f"nameserver {upstream}\nsearch corp.test\n")
    dnsmasq = subprocess.Popen(["dnsmasq", "--keep-in-foreground", "--no-resolv", "--no-hosts", f"--listen-address={upstream}",
                                "--bind-interfaces", "--port=53", f"--host-record=www.outside.test,{OUTSIDE_ADDRESS}", "--address=/#/",
                                "--local-ttl=60", "--user=root"],
                               stderr=subprocess.DEVNULL)
    try:
        yield from module_cluster(tmp_path_factory, registries, resolv_conf)
    finally:
        dnsmasq.terminate()
        dnsmasq.wait(10)


def module_cluster(tmp_path_factory, registries, resolv_conf):
    proxy_metrics_port, http_port, https_port, ingress_metrics_port = free_port(), free_port(), free_port(), free_port()
    kubelet_metrics_port = free_port()
    with own_server("skiff-e2e-agent-", ["--node-name", NODE, "--cluster-cidr", CLUSTER_CIDR, "--private-registry", str(registries),
                                          "--stop-pods-on-exit", "--sync-frequency", "3", "--container-log-max-size", "64Ki",
                                          "--proxy-metrics-address", f"127.0.0.1:{proxy_metrics_port}", "--resolv-conf", str(resolv_conf),
                                          "--kubelet-metrics-address", f"127.0.0.1:{kubelet_metrics_port}",
                                          # Usage a second old and autoscalers looked at every 3 s, so that
                                          # autoscaling tests take seconds, not minutes.
                                          "--metrics-resolution", "1s", "--horizontal-pod-autoscaler-sync-period", "3s",
                                          # The ingress on ports of its own, so that two runs, or a web server on this
                                          # machine, do not collide on 80 and 443.
                                          "--ingress-http-port", str(http_port), "--ingress-https-port", str(https_port),
                                          "--ingress-metrics-address", f"127.0.0.1:{ingress_metrics_port}"],
                    agent=True) as running:
        running.proxy_metrics_port = proxy_metrics_port
        running.kubelet_metrics_port = kubelet_metrics_port
        running.ingress_ports = (http_port, https_port, ingress_metrics_port)
        wait_for(lambda: node_ready(running), "the server's own node Ready", timeout=60)
        yield running


def node_ready(cluster):
    result = cluster.kubectl("get", "node", NODE, "-o", "json", check=False)
    if result.returncode != 0:
        return False
    node = json.loads(result.stdout)
    return node["spec"].get("podCIDR") and any(c["type"] == "Ready" and c["status"] == "True" for c in node["status"]["conditions"])


def fetch(url):
    """The page at url, waiting while the pod's address becomes reachable (a new veth and its neighbour entry)."""
    def attempt():
        try:
            return urllib.request.urlopen(url, timeout=2).read().decode()
        except OSError:
            return None
    return wait_for(attempt, f"an answer from {url}", timeout=30)


def pod(cluster, name):
    return cluster.kubectl_json("get", "pod", name)


def status_column(cluster, name):
    rows = cluster.kubectl("get", "pod", name, "--no-headers").stdout.split()
    return rows[2] if len(rows) > 2 else ""


def test_the_server_registers_its_own_node_with_this_machines_capacity(cluster):
    node = cluster.kubectl_json("get", "node", NODE)
    assert node["status"]["nodeInfo"]["containerRuntimeVersion"].startswith("containerd://")
    assert node["status"]["capacity"]["cpu"] == str(os.cpu_count())
    assert node["metadata"]["labels"]["kubernetes.io/hostname"] == NODE
    row = cluster.kubectl("get", "node", NODE, "-o", "wide").stdout.splitlines()[1].split()
    assert row[1] == "Ready" and "containerd://" in row[-1]
    # As k3s: the server's node is a control plane, and its InternalIP is the address of the default route's interface.
    assert row[2] == "control-plane,master"
    assert row[5] == default_route_address()


def default_route_address():
    """The IPv4 address of the interface holding this machine's default route, or 127.0.0.1 without one."""
    route = subprocess.run(["ip", "-4", "-o", "route", "show", "default"], capture_output=True, text=True).stdout.split()
    if "dev" not in route:
        return "127.0.0.1"
    device = route[route.index("dev") + 1]
    addresses = subprocess.run(["ip", "-4", "-o", "addr", "show", "dev", device], capture_output=True, text=True).stdout.split()
    return addresses[addresses.index("inet") + 1].split("/")[0]


def test_a_pod_runs_a_real_container_that_serves_http_on_its_pod_ip(cluster):
    cluster.kubectl("run", "web", "--image=nginx:1.25", "--port=80")
    wait_for(lambda: status_column(cluster, "web") == "Running" and pod(cluster, "web")["status"]["containerStatuses"][0]["ready"],
             "web Running and ready")
    web = pod(cluster, "web")
    ip = web["status"]["podIP"]
    assert ipaddress.ip_address(ip) in ipaddress.ip_network(cluster.kubectl_json("get", "node", NODE)["spec"]["podCIDR"])
    container = web["status"]["containerStatuses"][0]
    assert container["containerID"].startswith("containerd://") and container["state"]["running"]["startedAt"]
    conditions = {c["type"]: c["status"] for c in web["status"]["conditions"]}
    assert conditions.items() >= {"Ready": "True", "ContainersReady": "True", "Initialized": "True", "PodScheduled": "True"}.items()
    # The pod's address lives in a network namespace this server's agent made; the node reaches it over the bridge.
    assert "Welcome to nginx!" in fetch(f"http://{ip}/")
    reasons = [e["reason"] for e in cluster.kubectl_json("get", "events", "--field-selector", "involvedObject.name=web")["items"]]
    assert {"Scheduled", "Pulling", "Pulled", "Created", "Started"} <= set(reasons)

    cluster.kubectl("delete", "pod", "web", "--timeout=30s")
    assert cluster.kubectl("get", "pod", "web", check=False).returncode != 0
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://{ip}/", timeout=2)


def test_logs_of_a_running_container_tail_timestamps_and_follow(cluster):
    cluster.kubectl("run", "ticker", "--image=busybox", "--", "sh", "-c", "i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.5; done")
    wait_for(lambda: "tick 3" in cluster.kubectl("logs", "ticker", check=False).stdout, "four ticks")
    lines = cluster.kubectl("logs", "ticker").stdout.splitlines()
    assert lines[:2] == ["tick 0", "tick 1"]
    assert len(cluster.kubectl("logs", "ticker", "--tail=2").stdout.splitlines()) == 2
    stamped = cluster.kubectl("logs", "ticker", "--tail=1", "--timestamps").stdout.strip()
    assert stamped.split(" ", 1)[0].endswith("Z") and stamped.split(" ", 1)[1].startswith("tick ")
    process = cluster.popen_kubectl("logs", "-f", "ticker", "--tail=1")
    seen = []
    deadline = time.time() + 10
    for line in process.stdout:
        seen.append(line.strip())
        if len(seen) >= 4 or time.time() > deadline:
            break
    process.kill()
    numbers = [int(line.split()[1]) for line in seen]
    assert len(numbers) >= 4 and numbers == sorted(numbers), f"followed lines arrive as they are written: {seen}"
    error = cluster.kubectl("logs", "ticker", "--previous", check=False)
    assert error.returncode != 0 and 'previous terminated container "ticker" in pod "ticker" not found' in error.stderr
    cluster.kubectl("delete", "pod", "ticker", "--grace-period=1")


def test_a_crashing_container_restarts_with_growing_back_off(cluster):
    cluster.kubectl("run", "crash", "--image=busybox", "--", "sh", "-c", "echo about to fail; exit 3")
    wait_for(lambda: status_column(cluster, "crash") == "CrashLoopBackOff", "CrashLoopBackOff", timeout=60)
    status = pod(cluster, "crash")["status"]["containerStatuses"][0]
    assert status["lastState"]["terminated"]["exitCode"] == 3 and status["lastState"]["terminated"]["reason"] == "Error"
    assert status["state"]["waiting"]["reason"] == "CrashLoopBackOff"
    assert "restarting failed container=crash pod=crash_default(" in status["state"]["waiting"]["message"]
    first = status["restartCount"]
    wait_for(lambda: pod(cluster, "crash")["status"]["containerStatuses"][0]["restartCount"] > first, "another restart after the back-off",
             timeout=60)
    assert cluster.kubectl("logs", "crash", "--previous").stdout == "about to fail\n"
    events = cluster.kubectl_json("get", "events", "--field-selector", "involvedObject.name=crash,reason=Started")["items"]
    assert events and events[0]["count"] >= 2, "each restart is the same event counted again"
    # The back-off doubles with each exit (10 s, 20 s, ...), as the kubelet's.
    waiting = lambda: pod(cluster, "crash")["status"]["containerStatuses"][0]["state"].get("waiting", {}).get("message", "")
    wait_for(lambda: "back-off 20s" in waiting() or "back-off 40s" in waiting(), "a doubled back-off", timeout=60)
    cluster.kubectl("delete", "pod", "crash", "--grace-period=1")


def test_pods_that_run_to_completion_end_completed_or_error(cluster):
    cluster.kubectl("run", "done", "--image=busybox", "--restart=Never", "--", "sh", "-c", "echo finished")
    cluster.kubectl("run", "failed", "--image=busybox", "--restart=Never", "--", "sh", "-c", "exit 2")
    wait_for(lambda: pod(cluster, "done")["status"].get("phase") == "Succeeded", "done Succeeded")
    wait_for(lambda: pod(cluster, "failed")["status"].get("phase") == "Failed", "failed Failed")
    assert status_column(cluster, "done") == "Completed" and status_column(cluster, "failed") == "Error"
    assert pod(cluster, "failed")["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"] == 2
    assert cluster.kubectl("logs", "done").stdout == "finished\n"
    cluster.kubectl("delete", "pod", "done", "failed")


def test_env_from_the_seed_configmap_and_secret_and_a_configmap_volume(cluster):
    cluster.kubectl("apply", "-f", "-", input="""apiVersion: v1
kind: ConfigMap
metadata:
  name: flask-config
data:
  APP_ENV: "production"
  DEBUG: "false"
  APP_PORT: "5000"
---
apiVersion: v1
kind: Secret
metadata:
  name: flask-secrets
type: Opaque
data:
  DB_USER: YWRtaW4=  # "admin" in Base64
  DB_PASS: c2VjdXJlcGFzcw==  # "securepass" in Base64
---
apiVersion: v1
kind: Pod
metadata: {name: configured}
spec:
  restartPolicy: Never
  containers:
  - name: app
    image: busybox
    command: ["sh", "-c", "echo env $APP_ENV $APP_PORT $DB_USER $PASSWORD $(POD_NAME); cat /etc/flask/APP_ENV; echo; ls /etc/flask"]
    envFrom:
    - configMapRef: {name: flask-config}
    - secretRef: {name: flask-secrets}
    env:
    - name: PASSWORD
      valueFrom: {secretKeyRef: {name: flask-secrets, key: DB_PASS}}
    - name: POD_NAME
      valueFrom: {fieldRef: {fieldPath: metadata.name}}
    volumeMounts:
    - {name: config, mountPath: /etc/flask}
  volumes:
  - name: config
    configMap: {name: flask-config}
""")
    wait_for(lambda: pod(cluster, "configured")["status"].get("phase") == "Succeeded", "the configured pod finished")
    assert cluster.kubectl("logs", "configured").stdout.splitlines() == [
        "env production 5000 admin securepass configured", "production", "APP_ENV", "APP_PORT", "DEBUG"]


def test_a_missing_configmap_holds_the_container_with_a_config_error(cluster):
    cluster.kubectl("run", "unconfigured", "--image=busybox", "--overrides",
                    '{"spec":{"containers":[{"name":"unconfigured","image":"busybox","command":["sleep","3600"],"envFrom":[{"configMapRef":{"name":"nowhere"}}]}]}}')
    wait_for(lambda: status_column(cluster, "unconfigured") == "CreateContainerConfigError", "CreateContainerConfigError")
    waiting = pod(cluster, "unconfigured")["status"]["containerStatuses"][0]["state"]["waiting"]
    assert waiting["message"] == 'configmap "nowhere" not found'
    cluster.kubectl("create", "configmap", "nowhere", "--from-literal=K=v")
    created = time.monotonic()
    wait_for(lambda: status_column(cluster, "unconfigured") == "Running", "running once the ConfigMap exists", timeout=60)
    # The agent watches what a held pod names: the pod starts when the ConfigMap appears, not when its 10-15 s
    # back-off runs out.
    assert time.monotonic() - created < 10
    cluster.kubectl("delete", "pod", "unconfigured", "--grace-period=1")


def event_count(cluster, pod_name, reason):
    """How many times the kubelet reported `reason` for the pod (repeats are counted on one Event)."""
    events = cluster.kubectl_json("get", "events", "--field-selector", f"involvedObject.name={pod_name},reason={reason}")["items"]
    return sum(event.get("count") or 1 for event in events)


def test_an_image_reference_that_does_not_parse_is_invalid_image_name_and_never_pulled(cluster):
    # `kubectl run` checks the reference itself; a manifest reaches the node as written.
    cluster.kubectl("apply", "-f", "-", input=json.dumps({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "badref"},
        "spec": {"containers": [{"name": "web", "image": "Nginx:Latest!"}]}}))
    wait_for(lambda: status_column(cluster, "badref") == "InvalidImageName", "InvalidImageName")
    waiting = pod(cluster, "badref")["status"]["containerStatuses"][0]["state"]["waiting"]
    assert waiting["message"] == ('Failed to apply default image tag "Nginx:Latest!": couldn\'t parse image name "Nginx:Latest!": '
                                  'invalid reference format: repository name (library/Nginx) must be lowercase')
    assert event_count(cluster, "badref", "InspectFailed") >= 1
    assert event_count(cluster, "badref", "Pulling") == 0
    cluster.kubectl("delete", "pod", "badref", "--grace-period=1")


def test_an_image_already_on_the_node_is_reported_present_not_pulled(cluster, shell):
    # `busybox` is `busybox:latest`, which Kubernetes pulls Always unless told otherwise.
    cluster.kubectl("run", "present", "--image=busybox", "--image-pull-policy=IfNotPresent", "--restart=Never", "--", "true")
    wait_for(lambda: status_column(cluster, "present") == "Completed", "the pod completed")
    events = cluster.kubectl("get", "events", "--field-selector", "involvedObject.name=present").stdout
    assert 'Container image "busybox" already present on machine' in events, events
    assert event_count(cluster, "present", "Pulling") == 0
    cluster.kubectl("delete", "pod", "present", "--grace-period=1")


def test_a_pod_whose_sandbox_cannot_be_made_retries_with_the_kubelets_back_off(cluster, tmp_path):
    """The kubelet retries a failed sandbox after 10-15 s, not at once, nor at every resync (3 s in this cluster)."""
    node = f"{NODE}-nopause"
    with joined_agent(cluster, tmp_path, node, "--pause-image", "registry.k8s.io/no-such-pause:3.6"):
        cluster.kubectl("run", "sandboxless", "--image=busybox", "--overrides", json.dumps({"spec": {"nodeName": node}}), "--", "sleep", "60")
        wait_for(lambda: event_count(cluster, "sandboxless", "FailedCreatePodSandBox") >= 1, "FailedCreatePodSandBox", timeout=60)
        time.sleep(24)
        attempts = event_count(cluster, "sandboxless", "FailedCreatePodSandBox")
        assert 2 <= attempts <= 3, f"{attempts} sandbox attempts in ~24 s"
        assert status_column(cluster, "sandboxless") == "ContainerCreating"
        cluster.kubectl("delete", "pod", "sandboxless", "--grace-period=1")


def test_the_seed_init_container_runs_first_then_the_app_container(cluster):
    cluster.kubectl("apply", "-f", "-", input="""apiVersion: v1
kind: Pod
metadata:
  name: my-flask-app
spec:
  initContainers:
    - name: init-db
      image: busybox
      command: ["sh", "-c", "echo Initializing DB... && sleep 2"]
  containers:
    - name: flask-container
      image: python:3.8
      command: ["python", "app.py"]
""")
    wait_for(lambda: status_column(cluster, "my-flask-app") == "Init:0/1", "Init:0/1 while the init container runs")
    # The stand-in python image has no interpreter, so the app container fails as a missing app.py would.
    wait_for(lambda: status_column(cluster, "my-flask-app") in ("Error", "CrashLoopBackOff"), "the app container ran after init")
    assert cluster.kubectl("logs", "my-flask-app", "-c", "init-db").stdout == "Initializing DB...\n"
    init = pod(cluster, "my-flask-app")["status"]["initContainerStatuses"][0]
    assert init["state"]["terminated"]["exitCode"] == 0 and init["state"]["terminated"]["reason"] == "Completed"
    cluster.kubectl("delete", "pod", "my-flask-app", "--grace-period=1")


def test_a_missing_image_reports_the_registrys_error_then_backs_off(cluster):
    cluster.kubectl("run", "ghost", "--image=nosuch/image:1.0")
    wait_for(lambda: status_column(cluster, "ghost") in ("ErrImagePull", "ImagePullBackOff"), "an image pull error")
    wait_for(lambda: status_column(cluster, "ghost") == "ImagePullBackOff", "ImagePullBackOff")
    events = cluster.kubectl("get", "events", "--field-selector", "involvedObject.name=ghost").stdout
    assert 'Failed to pull image "nosuch/image:1.0"' in events and "Back-off pulling image" in events
    cluster.kubectl("delete", "pod", "ghost", "--grace-period=1")


def test_a_deployment_of_real_pods_rolls_out(cluster):
    cluster.kubectl("create", "deployment", "hello", "--image=nginx:1.25", "--replicas=2")
    out = cluster.kubectl("rollout", "status", "deployment/hello", "--timeout=90s", timeout=120).stdout
    assert 'deployment "hello" successfully rolled out' in out
    ips = [p["status"]["podIP"] for p in cluster.kubectl_json("get", "pods", "-l", "app=hello")["items"]]
    assert len(set(ips)) == 2
    for ip in ips:
        assert "Welcome to nginx!" in fetch(f"http://{ip}/")
    cluster.kubectl("delete", "deployment", "hello")


def test_twenty_pods_start_at_once_and_those_ignoring_sigterm_die_when_their_grace_period_ends(cluster):
    """`sleep` as a container's PID 1 ignores SIGTERM, so each pod lives out the default 30 s grace period and is
    killed then, all twenty together. The burst of runtime calls that starting and stopping them makes must not cost
    a container a restart or put the kill off (a runtime connection closed under the calls did both)."""
    names = [f"stubborn-{i}" for i in range(20)]
    cluster.kubectl("apply", "-f", "-", input="".join(f"""---
apiVersion: v1
kind: Pod
metadata: {{name: {name}, labels: {{app: stubborn}}}}
spec: {{containers: [{{name: sleep, image: busybox, command: [sleep, "3600"]}}]}}
""" for name in names))

    def all_running():
        pods = cluster.kubectl_json("get", "pods", "-l", "app=stubborn")["items"]
        return len(pods) == 20 and all(p["status"].get("phase") == "Running" for p in pods) and pods
    pods = wait_for(all_running, "twenty pods Running", timeout=180)
    restarted = {p["metadata"]["name"]: p["status"]["containerStatuses"][0].get("lastState") for p in pods
                 if p["status"]["containerStatuses"][0]["restartCount"] != 0}
    assert restarted == {}

    started = time.monotonic()
    cluster.kubectl("delete", "pods", "-l", "app=stubborn", "--wait=false")
    wait_for(lambda: not cluster.kubectl_json("get", "pods", "-l", "app=stubborn")["items"], "the pods gone", timeout=150, interval=0.5)
    elapsed = time.monotonic() - started
    assert 29 <= elapsed <= 45, f"twenty pods with a 30 s grace period took {elapsed:.1f} s to go"


def test_downward_projected_memory_and_claimed_volumes(cluster, tmp_path):
    cluster.kubectl("create", "configmap", "app-config", "--from-literal=mode=blue")
    cluster.kubectl("create", "secret", "generic", "app-secret", "--from-literal=token=s3cret")
    disk = tmp_path / "disk"
    cluster.kubectl("apply", "-f", "-", input=f"""apiVersion: v1
kind: PersistentVolume
metadata: {{name: local-disk}}
spec:
  capacity: {{storage: 1Gi}}
  accessModes: [ReadWriteOnce]
  hostPath: {{path: "{disk}", type: DirectoryOrCreate}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {{name: data}}
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: ""
  volumeName: local-disk
  resources: {{requests: {{storage: 1Gi}}}}
""")
    wait_for(lambda: cluster.kubectl("get", "pvc", "data", "-o", "jsonpath={.status.phase}").stdout == "Bound", "the claim bound to local-disk")
    cluster.kubectl("apply", "-f", "-", input="""apiVersion: v1
kind: Pod
metadata:
  name: volumes
  labels: {app: volumes, tier: demo}
spec:
  containers:
    - name: app
      image: busybox
      command: ["sh", "-c", "cat /etc/info/labels; echo; cat /etc/bundle/mode /etc/bundle/token /etc/bundle/namespace; echo; grep ' /cache ' /proc/mounts; echo written > /data/out; sleep 3600"]
      volumeMounts:
        - {name: info, mountPath: /etc/info}
        - {name: bundle, mountPath: /etc/bundle}
        - {name: cache, mountPath: /cache}
        - {name: data, mountPath: /data}
  volumes:
    - name: info
      downwardAPI:
        items: [{path: labels, fieldRef: {fieldPath: metadata.labels}}]
    - name: bundle
      projected:
        sources:
          - configMap: {name: app-config}
          - secret: {name: app-secret}
          - downwardAPI: {items: [{path: namespace, fieldRef: {fieldPath: metadata.namespace}}]}
    - name: cache
      emptyDir: {medium: Memory, sizeLimit: 16Mi}
    - name: data
      persistentVolumeClaim: {claimName: data}
""")
    wait_for(lambda: status_column(cluster, "volumes") == "Running", "the pod with volumes running", timeout=60)
    log = wait_for(lambda: (lambda out: out if "written" in out or "tmpfs" in out else None)(cluster.kubectl("logs", "volumes").stdout),
                   "the pod's output")
    assert 'app="volumes"\ntier="demo"' in log
    assert "blues3cretdefault" in log
    assert "tmpfs /cache tmpfs" in log and "size=16384k" in log
    wait_for(lambda: (disk / "out").exists(), "the claim's volume written by the pod")
    assert (disk / "out").read_text() == "written\n"
    # An edited ConfigMap reaches the running container's files (the agent runs with --sync-frequency 3).
    cluster.kubectl("patch", "configmap", "app-config", "--type=merge", "-p", '{"data":{"mode":"green"}}')
    wait_for(lambda: cluster.kubectl("exec", "volumes", "--", "cat", "/etc/bundle/mode").stdout == "green", "the new ConfigMap value in the volume",
             timeout=60)
    cluster.kubectl("delete", "pod", "volumes", "--grace-period=1")
    cluster.kubectl("delete", "pvc", "data")
    cluster.kubectl("delete", "pv", "local-disk")


def test_a_container_log_past_its_size_limit_is_rotated(cluster):
    """The module's agent rotates logs past 64Ki (--container-log-max-size), as the kubelet does past 10Mi."""
    cluster.kubectl("run", "chatty", "--image=busybox", "--", "sh", "-c",
                    "i=0; while [ $i -lt 3000 ]; do echo line-$i-of-a-log-that-outgrows-its-limit; i=$((i+1)); done; "
                    "while true; do echo tick; sleep 1; done")
    wait_for(lambda: status_column(cluster, "chatty") == "Running", "chatty running")
    logs_root = cluster.data_dir / "agent" / "logs" / "pods"
    rotated = wait_for(lambda: list(logs_root.glob("default_chatty_*/chatty/0.log.*")), "a rotated log file", timeout=60)
    assert b"line-0-of-a-log" in rotated[0].read_bytes()
    # `kubectl logs` reads the current file, which starts after the rotation.
    wait_for(lambda: (lambda out: "tick" in out and "line-0-of" not in out)(cluster.kubectl("logs", "chatty").stdout),
             "the log after rotation")
    cluster.kubectl("delete", "pod", "chatty", "--grace-period=1")


@pytest.fixture(scope="module")
def shell(cluster):
    """A busybox pod that keeps running, to exec into."""
    cluster.kubectl("run", "shell", "--image=busybox", "--", "sleep", "3600")
    wait_for(lambda: status_column(cluster, "shell") == "Running", "the shell pod running")
    yield "shell"
    cluster.kubectl("delete", "pod", "shell", "--grace-period=1")


def test_exec_runs_a_command_and_passes_on_its_output_and_exit_code(cluster, shell):
    result = cluster.kubectl("exec", shell, "--", "sh", "-c", "echo to-stdout; echo to-stderr >&2; cat /etc/hostname")
    assert result.stdout == f"to-stdout\n{shell}\n" and "to-stderr" in result.stderr
    failed = cluster.kubectl("exec", shell, "--", "sh", "-c", "exit 3", check=False)
    assert failed.returncode == 3, failed.stderr
    assert "command terminated with exit code 3" in failed.stderr
    missing = cluster.kubectl("exec", shell, "--", "no-such-command", check=False)
    assert missing.returncode != 0 and "no-such-command" in missing.stderr


def test_exec_refuses_what_the_pod_does_not_have(cluster, shell):
    wrong = cluster.kubectl("exec", shell, "-c", "sidecar", "--", "true", check=False)
    assert wrong.returncode != 0 and "container sidecar is not valid for pod shell" in wrong.stderr, wrong.stderr
    absent = cluster.kubectl("exec", "no-such-pod", "--", "true", check=False)
    assert absent.returncode != 0 and 'pods "no-such-pod" not found' in absent.stderr


def test_exec_stdin_ends_so_piped_input_and_cp_into_the_pod_finish(cluster, shell, tmp_path):
    """`exec -i` with piped input and `kubectl cp` (tar through exec) both need the container to see its stdin end:
    kubectl sends v5's close signal, which reaches the runtime as the end of the SPDY stdin stream."""
    piped = cluster.kubectl("exec", "-i", shell, "--", "sh", "-c", "wc -c; echo stdin-ended", input="x" * 200_000)
    assert piped.stdout.split() == ["200000", "stdin-ended"], piped.stderr
    upload = tmp_path / "upload.bin"
    upload.write_bytes(os.urandom(300_000))
    cluster.kubectl("cp", str(upload), f"{shell}:/tmp/upload.bin")
    listed = cluster.kubectl("exec", shell, "--", "wc", "-c", "/tmp/upload.bin").stdout.split()
    assert listed[0] == "300000", listed
    back = tmp_path / "back.bin"
    cluster.kubectl("cp", f"{shell}:/tmp/upload.bin", str(back))
    assert back.read_bytes() == upload.read_bytes()


def test_the_python_clients_interactive_exec_reads_stdin_and_sees_it_closed(cluster, shell):
    """The official client's `stream()` writes `str` stdin as websocket text messages, and ends it with v5's close."""
    from kubernetes import client, config
    from kubernetes.stream import stream
    api = client.CoreV1Api(config.new_client_from_config(str(cluster.kubeconfig)))
    session = stream(api.connect_get_namespaced_pod_exec, shell, "default", command=["/bin/sh"], stdin=True, stdout=True,
                     stderr=True, tty=False, _preload_content=False)
    try:
        session.write_stdin("echo test string 1\n")
        assert session.readline_stdout(timeout=10) == "test string 1"
        session.write_stdin(b"echo bytes too; cat\n")
        assert session.readline_stdout(timeout=10) == "bytes too"
        session.write_stdin("after cat\n")
        assert session.readline_stdout(timeout=10) == "after cat"
        # Closing stdin ends `cat`, then the shell, whose exit ends the session with a success Status.
        session.close_channel(0)
        session.run_forever(timeout=20)
        assert not session.is_open()
        assert session.returncode == 0
    finally:
        session.close()


class PortForward:
    """`kubectl port-forward` running in the background; `local_port` is where it listens."""

    def __init__(self, cluster, target, remote_port):
        self.local_port = free_port()
        self.process = subprocess.Popen(["kubectl", "port-forward", target, f"{self.local_port}:{remote_port}"], env=cluster.env(),
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        first = self.process.stdout.readline()
        assert first.startswith("Forwarding from"), first + self.process.stderr.read()

    def get(self, path):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.local_port}{path}", timeout=20) as response:
            return response.read()

    def stop(self):
        self.process.kill()
        return self.process.communicate()


def python_client_get(cluster, pod_name, port, path):
    """An HTTP/1.0 GET through the official Python client's port-forward; returns the body."""
    from kubernetes import client, config
    from kubernetes.stream import portforward
    api = client.CoreV1Api(config.new_client_from_config(str(cluster.kubeconfig)))
    session = portforward(api.connect_get_namespaced_pod_portforward, pod_name, "default", ports=str(port))
    connection = session.socket(port)
    connection.setblocking(True)
    connection.sendall(f"GET {path} HTTP/1.0\r\n\r\n".encode())
    response = b""
    while chunk := connection.recv(65536):
        response += chunk
    connection.close()
    assert session.error(port) is None, session.error(port)
    return response.split(b"\r\n\r\n", 1)[1]


def forward_sum(cluster, pod_name):
    return cluster.kubectl("exec", pod_name, "--", "cat", "/www/sum").stdout.strip()


HTTPD = "mkdir -p /www && head -c 1048576 /dev/urandom > /www/blob && md5sum /www/blob | cut -d' ' -f1 > /www/sum && exec httpd -f -p 8080 -h /www"


def test_port_forward_reaches_a_port_inside_the_pod_and_through_a_service(cluster):
    cluster.kubectl("run", "served", "--image=busybox", "--labels=app=served", "--", "sh", "-c", HTTPD)
    wait_for(lambda: status_column(cluster, "served") == "Running", "the served pod running")
    forward = PortForward(cluster, "pod/served", 8080)
    try:
        # Several connections, one after another and a megabyte each way of the relay.
        wait_for(lambda: forward.get("/sum") != b"", "the pod's web server answering")
        for _ in range(3):
            assert hashlib.md5(forward.get("/blob")).hexdigest() == forward.get("/sum").decode().strip()
    finally:
        forward.stop()
    # The official Python client forwards over the older websocket channel protocol, its ports in the query.
    assert hashlib.md5(python_client_get(cluster, "served", 8080, "/blob")).hexdigest() == forward_sum(cluster, "served")
    cluster.kubectl("expose", "pod", "served", "--port", "9000", "--target-port", "8080")
    through_service = PortForward(cluster, "svc/served", 9000)
    try:
        assert len(through_service.get("/blob")) == 1048576
    finally:
        through_service.stop()
    # A port nothing listens on: kubectl reports the runtime's refusal for that connection.
    closed = PortForward(cluster, "pod/served", 8181)
    try:
        with pytest.raises(Exception):
            closed.get("/")
        time.sleep(1)
    finally:
        _, errors = closed.stop()
    assert "error forwarding port 8181" in errors and "connection refused" in errors, errors
    cluster.kubectl("delete", "service", "served")
    cluster.kubectl("delete", "pod", "served", "--grace-period=1")


class Terminal:
    """kubectl on a pseudo-terminal, as a person at a terminal runs it."""

    def __init__(self, cluster, *args):
        self.controller, terminal = pty.openpty()
        self.process = subprocess.Popen(["kubectl", *args], stdin=terminal, stdout=terminal, stderr=terminal, env=cluster.env(),
                                        start_new_session=True)
        os.close(terminal)
        self.seen = bytearray()

    def type(self, line):
        os.write(self.controller, line.encode() + b"\n")

    def read_until(self, text, timeout=30):
        deadline = time.monotonic() + timeout
        while text.encode() not in self.seen:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"no {text!r} on the terminal; it showed: {self.seen.decode(errors='replace')!r}"
            if select.select([self.controller], [], [], remaining)[0]:
                try:
                    self.seen.extend(os.read(self.controller, 4096))
                except OSError:  # the session ended
                    break

    def close(self):
        if self.process.poll() is None:
            self.process.kill()
        os.close(self.controller)


def test_exec_it_gives_an_interactive_shell_on_a_terminal(cluster, shell):
    """`kubectl exec -it`: typed lines run, the container sees a tty, and the shell's exit code is kubectl's."""
    terminal = Terminal(cluster, "exec", "-it", shell, "--", "sh")
    try:
        terminal.type("echo answer-$((6*7)); tty")
        terminal.read_until("answer-42")
        terminal.read_until("/dev/pts/")
        terminal.type("exit 5")
        assert terminal.process.wait(30) == 5, terminal.seen.decode(errors="replace")
    finally:
        terminal.close()


def test_attach_reaches_the_main_process_of_a_running_container(cluster):
    """`kubectl attach -it` to a container started with stdin and a tty (what `kubectl run -it` does)."""
    cluster.kubectl("apply", "-f", "-", input="""apiVersion: v1
kind: Pod
metadata: {name: console}
spec:
  containers: [{name: console, image: busybox, command: [sh], stdin: true, tty: true}]
""")
    wait_for(lambda: status_column(cluster, "console") == "Running", "the console pod running")
    terminal = Terminal(cluster, "attach", "-it", "console")
    try:
        terminal.type("echo attached-$((2+3))")
        terminal.read_until("attached-5")
    finally:
        terminal.close()
        cluster.kubectl("delete", "pod", "console", "--grace-period=1")


# The images of the seed documents that have local stand-ins (scripts/test-images.sh); the others (myrepo/…,
# flask:latest, grafana, …) are the authors' own or need the internet, and python:3.8 has no interpreter here.
STAND_IN_IMAGES = ("nginx", "busybox", "postgres:13", "postgres:15-alpine", "mysql:5.7", "redis:alpine")


def seed_workloads():
    from test_seeds import seed_objects
    chosen = []
    for param in seed_objects():
        document = param.values[0]
        if document["kind"] not in ("Pod", "Deployment"):
            continue
        pod_spec = document["spec"] if document["kind"] == "Pod" else document["spec"]["template"]["spec"]
        images = [c.get("image", "") for c in pod_spec.get("containers", []) + pod_spec.get("initContainers", [])]
        # Workloads that read Secrets or ConfigMaps the seeds define elsewhere are covered by their own tests above.
        references = json.dumps(pod_spec)
        stand_in = lambda image: any(image == name or image.startswith(name + ":") for name in STAND_IN_IMAGES)
        if all(map(stand_in, images)) and "valueFrom" not in references and "envFrom" not in references and "volumes" not in pod_spec:
            chosen.append(param)
    return chosen


@pytest.mark.parametrize("document", seed_workloads())
def test_seed_workload_runs_real_containers_and_becomes_ready(cluster, document):
    namespace = f"seed-{document['metadata']['name']}"[:63]
    document = json.loads(json.dumps(document))
    document["metadata"]["namespace"] = namespace
    cluster.kubectl("create", "namespace", namespace)
    try:
        cluster.kubectl("apply", "-f", "-", input=json.dumps(document))
        name = document["metadata"]["name"]
        if document["kind"] == "Pod":
            cluster.kubectl("wait", "--for=condition=Ready", f"pod/{name}", "-n", namespace, "--timeout=90s", timeout=120)
        else:
            out = cluster.kubectl("rollout", "status", f"deployment/{name}", "-n", namespace, "--timeout=90s", timeout=120).stdout
            assert "successfully rolled out" in out
        pods = cluster.kubectl_json("get", "pods", "-n", namespace)["items"]
        assert pods and all(p["status"]["phase"] == "Running" and p["spec"]["nodeName"] == NODE for p in pods)
        assert all(s["containerID"].startswith("containerd://") for p in pods for s in p["status"]["containerStatuses"])
    finally:
        cluster.kubectl("delete", "namespace", namespace, "--wait=false")


@contextlib.contextmanager
def joined_agent(cluster, directory, node, *flags):
    """`skiff agent` without --hollow: a second node agent in its own process (and containerd), joined with the token;
    stopped and its Node deleted afterwards, so that later tests' pods are not scheduled to it."""
    token = (cluster.data_dir / "server" / "token").read_text().strip()
    log = open(directory / "agent.log", "w")
    agent = subprocess.Popen(
        [skiff_binary(), "agent", "--server", f"https://127.0.0.1:{cluster.port}", "--token", token, "--data-dir", str(directory),
         "--node-name", node, "--kubelet-port", str(free_port()), "--private-registry", str(REGISTRIES), "--stop-pods-on-exit", *flags],
        stdout=subprocess.PIPE, stderr=log, text=True)
    try:
        assert f"Skiff agent is running node {node}" in agent.stdout.readline()
        wait_for(lambda: cluster.kubectl("get", "node", node, "--no-headers", check=False).stdout.split()[1:2] == ["Ready"],
                 f"{node} Ready", timeout=60)
        yield
    finally:
        agent.send_signal(signal.SIGTERM)
        agent.wait(30)
        log.close()
        cluster.kubectl("delete", "node", node, check=False)
    assert agent.returncode == 0, (directory / "agent.log").read_text()[-2000:]


def kubelet_request_as_another_node(cluster, tmp_path, node, path):
    """GET `path` on `node`'s kubelet endpoint with a certificate the server issues to another node (asked for with the
    join token, as an agent asks)."""
    import http.client
    import ssl

    token = (cluster.data_dir / "server" / "token").read_text().strip()
    context = ssl.create_default_context(cafile=str(cluster.data_dir / "tls" / "ca.crt"))
    connection = http.client.HTTPSConnection("127.0.0.1", cluster.port, context=context, timeout=30)
    connection.request("POST", "/v1-skiff/client-kubelet", body=json.dumps({"nodeName": "intruder", "password": "intruder"}),
                       headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    credentials = json.loads(connection.getresponse().read())
    connection.close()
    (tmp_path / "intruder.crt").write_text(credentials["certificate"])
    (tmp_path / "intruder.key").write_text(credentials["key"])
    target = cluster.kubectl_json("get", "node", node)
    address = next(entry["address"] for entry in target["status"]["addresses"] if entry["type"] == "InternalIP")
    port = target["status"]["daemonEndpoints"]["kubeletEndpoint"]["Port"]
    client = ssl.create_default_context()
    client.check_hostname = False
    client.verify_mode = ssl.CERT_NONE
    client.load_cert_chain(str(tmp_path / "intruder.crt"), str(tmp_path / "intruder.key"))
    kubelet = http.client.HTTPSConnection(address, port, context=client, timeout=30)
    kubelet.request("GET", path)
    response = kubelet.getresponse()
    body = response.read().decode()
    kubelet.close()
    return response.status, body


def test_skiff_agent_joins_another_node_that_runs_pods(cluster, tmp_path):
    with joined_agent(cluster, tmp_path, JOINED):
        cluster.kubectl("run", "elsewhere", "--image=busybox", "--overrides",
                        json.dumps({"spec": {"nodeName": JOINED}}), "--", "sh", "-c", HTTPD)
        wait_for(lambda: status_column(cluster, "elsewhere") == "Running", "a pod running on the joined node")
        node_cidr = cluster.kubectl_json("get", "node", JOINED)["spec"]["podCIDR"]
        assert ipaddress.ip_address(pod(cluster, "elsewhere")["status"]["podIP"]) in ipaddress.ip_network(node_cidr)
        # Logs and exec of a pod on another node go through that node's kubelet endpoint.
        cluster.kubectl("run", "talker", "--image=busybox", "--overrides", json.dumps({"spec": {"nodeName": JOINED}}), "--",
                        "sh", "-c", "echo hello from the joined node; sleep 3600")
        wait_for(lambda: status_column(cluster, "talker") == "Running", "a second pod running on the joined node")
        wait_for(lambda: cluster.kubectl("logs", "talker").stdout == "hello from the joined node\n", "the joined node's pod log")
        probe = cluster.kubectl("exec", "elsewhere", "--", "cat", "/etc/hostname", check=False)
        assert probe.stdout == "elsewhere\n", probe.stderr
        assert cluster.kubectl("exec", "elsewhere", "--", "sh", "-c", "exit 4", check=False).returncode == 4
        # The close signal of stdin passes through the joined node's kubelet endpoint too, and so does port-forward.
        piped = cluster.kubectl("exec", "-i", "elsewhere", "--", "wc", "-c", input="y" * 70_000)
        assert piped.stdout.split() == ["70000"], piped.stderr
        forward = PortForward(cluster, "pod/elsewhere", 8080)
        try:
            assert hashlib.md5(forward.get("/blob")).hexdigest() == forward.get("/sum").decode().strip()
        finally:
            forward.stop()
        assert hashlib.md5(python_client_get(cluster, "elsewhere", 8080, "/blob")).hexdigest() == forward_sum(cluster, "elsewhere")
        # The server's metrics server reads the joined node's usage from its kubelet endpoint's /metrics/resource.
        wait_for(lambda: cluster.kubectl("top", "node", JOINED, "--no-headers", check=False).stdout.startswith(JOINED),
                 "kubectl top of the joined node")
        wait_for(lambda: cluster.kubectl("top", "pod", "talker", "--no-headers", check=False).stdout.startswith("talker"),
                 "kubectl top of a pod on the joined node")
        # The joined node acts as itself (system:node:<name>, a certificate it asked for with the token) and reads the
        # Secret its pod refers to, which the Node authorizer allows it alone.
        assert cluster.kubectl("get", "secret", f"{JOINED}.node-password.skiff", "-n", "kube-system", "-o", "name").stdout.strip() == (
            f"secret/{JOINED}.node-password.skiff")
        cluster.kubectl("create", "secret", "generic", "joined-secret", "--from-literal=token=t0ken")
        secretive = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "secretive"}, "spec": {
            "nodeName": JOINED, "containers": [{"name": "c", "image": "busybox", "command": ["sleep", "3600"],
                                                "env": [{"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "joined-secret", "key": "token"}}}]}]}}
        cluster.kubectl("create", "-f", "-", input=json.dumps(secretive))
        wait_for(lambda: status_column(cluster, "secretive") == "Running", "a pod with a Secret running on the joined node")
        assert cluster.kubectl("exec", "secretive", "--", "sh", "-c", "echo $TOKEN").stdout == "t0ken\n"
        # Another node's certificate, from the same CA, does not open the joined node's kubelet endpoint: only the API
        # server's does.
        status, body = kubelet_request_as_another_node(cluster, tmp_path, JOINED, "/containerLogs/default/secretive/c")
        assert status == 403 and "serves only the API server" in body, (status, body)
        cluster.kubectl("delete", "pod", "secretive", "--grace-period=1")
        cluster.kubectl("delete", "secret", "joined-secret")
        cluster.kubectl("delete", "pod", "talker", "--grace-period=1")
        cluster.kubectl("delete", "pod", "elsewhere", "--grace-period=1")


def test_an_emptydir_over_its_size_limit_gets_its_pod_evicted(cluster):
    cluster.kubectl("apply", "-f", "-", input=json.dumps({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "filler"},
        "spec": {"containers": [{"name": "writer", "image": "busybox", "volumeMounts": [{"name": "cache", "mountPath": "/cache"}],
                                 "command": ["sh", "-c", "dd if=/dev/zero of=/cache/blob bs=1M count=3; sleep 3600"]}],
                 "volumes": [{"name": "cache", "emptyDir": {"sizeLimit": "1Mi"}}]}}))
    wait_for(lambda: pod(cluster, "filler")["status"].get("reason") == "Evicted", "the filler evicted", timeout=60)
    status = pod(cluster, "filler")["status"]
    assert status["phase"] == "Failed"
    assert status["message"] == 'Usage of EmptyDir volume "cache" exceeds the limit "1Mi". '
    assert any(c["type"] == "DisruptionTarget" and c["reason"] == "TerminationByKubelet" for c in status["conditions"])
    assert all("terminated" in c["state"] for c in status["containerStatuses"])
    events = cluster.kubectl("get", "events", "--field-selector", "involvedObject.name=filler,reason=Evicted", "-o", "json").stdout
    assert "exceeds the limit" in events
    cluster.kubectl("delete", "pod", "filler", "--grace-period=1")


def test_under_memory_pressure_the_node_refuses_best_effort_pods_and_evicts_the_pod_over_its_requests_first(cluster, tmp_path):
    """A joined node whose threshold is always met (`--eviction-hard memory.available<1000Ti`): it reports
    MemoryPressure, refuses a new best-effort pod, and evicts one pod per round — the one using more memory than it
    requested first."""
    node = f"{NODE}-pressed"
    pods = {
        "besteffort": {},
        # A request far below what even `sleep` uses: this pod is over its request.
        "burstable": {"requests": {"memory": "1Ki"}},
        "guaranteed": {"requests": {"memory": "64Mi", "cpu": "50m"}, "limits": {"memory": "64Mi", "cpu": "50m"}},
    }
    with joined_agent(cluster, tmp_path, node, "--eviction-hard", "memory.available<1000Ti"):
        conditions = cluster.kubectl_json("get", "node", node)["status"]["conditions"]
        assert any(c["type"] == "MemoryPressure" and c["status"] == "True" for c in conditions), conditions
        for name, resources in pods.items():
            cluster.kubectl("run", name, "--image=busybox", "--overrides", json.dumps({"spec": {
                "nodeName": node, "containers": [{"name": name, "image": "busybox", "command": ["sleep", "3600"], "resources": resources}]}}))
        wait_for(lambda: pod(cluster, "besteffort")["status"].get("phase") == "Failed", "the best-effort pod refused")
        refused = pod(cluster, "besteffort")["status"]
        assert refused["reason"] == "Evicted" and refused["message"] == "Pod was rejected: The node had condition: [MemoryPressure]. "
        wait_for(lambda: status_column(cluster, "guaranteed") == "Running", "the guaranteed pod running")
        wait_for(lambda: pod(cluster, "burstable")["status"].get("reason") == "Evicted", "the burstable pod evicted", timeout=60)
        message = pod(cluster, "burstable")["status"]["message"]
        assert message.startswith("The node was low on resource: memory. Threshold quantity: 1000Ti, available: "), message
        assert "Container burstable was using" in message and "request is 1Ki, has larger consumption of memory." in message
        assert pod(cluster, "guaranteed")["status"].get("reason") != "Evicted"
        # One pod per round: the guaranteed pod, within its request, goes in a later one.
        wait_for(lambda: pod(cluster, "guaranteed")["status"].get("reason") == "Evicted", "the guaranteed pod evicted", timeout=60)
        for name in pods:
            cluster.kubectl("delete", "pod", name, "--grace-period=1")


def logs(cluster, name, *args):
    return cluster.kubectl("logs", name, *args, check=False).stdout


def test_a_container_over_its_memory_limit_is_oom_killed(cluster):
    """The memory limit is the container's cgroup limit; the kernel kills it past that, and the status says OOMKilled."""
    hog = """apiVersion: v1
kind: Pod
metadata: {name: %s}
spec:
  restartPolicy: %s
  containers:
  - name: hog
    image: busybox
    # tail keeps the endless line of /dev/zero in memory, so it grows until the limit.
    command: ["sh", "-c", "cat /sys/fs/cgroup/memory/memory.limit_in_bytes; tail /dev/zero"]
    resources: {limits: {memory: 32Mi}}
"""
    cluster.kubectl("apply", "-f", "-", input=hog % ("hog", "Never"))
    cluster.kubectl("apply", "-f", "-", input=hog % ("hog-again", "Always"))
    wait_for(lambda: pod(cluster, "hog")["status"].get("phase") == "Failed", "the hog Failed", timeout=90)
    assert status_column(cluster, "hog") == "OOMKilled"
    terminated = pod(cluster, "hog")["status"]["containerStatuses"][0]["state"]["terminated"]
    assert terminated["reason"] == "OOMKilled" and terminated["exitCode"] == 137
    assert logs(cluster, "hog").splitlines()[0] == str(32 * 1024 * 1024)

    def oom_killed_then_backing_off():
        status = pod(cluster, "hog-again")["status"]["containerStatuses"][0]
        return status["lastState"].get("terminated", {}).get("reason") == "OOMKilled" and status_column(cluster, "hog-again") == "CrashLoopBackOff"
    wait_for(oom_killed_then_backing_off, "hog-again restarted after OOMKilled, then CrashLoopBackOff", timeout=90)
    assert pod(cluster, "hog-again")["status"]["containerStatuses"][0]["lastState"]["terminated"]["exitCode"] == 137
    cluster.kubectl("delete", "pod", "hog", "hog-again", "--grace-period=1")


def test_containers_of_a_pod_share_localhost_and_pods_reach_each_other_by_ip(cluster):
    cluster.kubectl("apply", "-f", "-", input="""apiVersion: v1
kind: Pod
metadata: {name: duo}
spec:
  containers:
  - name: web
    image: nginx:1.25
  - name: sidecar
    image: busybox
    command: ["sh", "-c", "while true; do wget -qO- http://localhost:80/; sleep 1; done"]
""")
    wait_for(lambda: "Welcome to nginx!" in logs(cluster, "duo", "-c", "sidecar"), "the sidecar fetching the page over localhost", timeout=60)
    ip = pod(cluster, "duo")["status"]["podIP"]
    cluster.kubectl("run", "caller", "--image=busybox", "--restart=Never", "--", "wget", "-qO-", f"http://{ip}/")
    wait_for(lambda: pod(cluster, "caller")["status"].get("phase") in ("Succeeded", "Failed"), "the caller finished", timeout=60)
    assert pod(cluster, "caller")["status"]["phase"] == "Succeeded" and "Welcome to nginx!" in logs(cluster, "caller")
    cluster.kubectl("delete", "pod", "duo", "caller", "--grace-period=1")


def test_a_host_network_pod_has_the_node_ip_and_the_hosts_network(cluster):
    cluster.kubectl("run", "on-host", "--image=busybox", "--overrides", json.dumps({"spec": {"hostNetwork": True}}),
                    "--", "sh", "-c", "readlink /proc/self/ns/net; sleep 3600")
    wait_for(lambda: status_column(cluster, "on-host") == "Running" and logs(cluster, "on-host").strip(), "on-host Running")
    node_ip = next(a["address"] for a in cluster.kubectl_json("get", "node", NODE)["status"]["addresses"] if a["type"] == "InternalIP")
    status = pod(cluster, "on-host")["status"]
    assert status["podIP"] == node_ip and status["podIPs"] == [{"ip": node_ip}] and status["hostIP"] == node_ip
    assert logs(cluster, "on-host").strip() == os.readlink("/proc/self/ns/net")
    cluster.kubectl("delete", "pod", "on-host", "--grace-period=1")


def host_addresses():
    """This machine's global IPv4 addresses other than the pod bridges' (fetching from them never leaves the machine)."""
    out = subprocess.run(["ip", "-4", "-o", "addr", "show", "scope", "global"], capture_output=True, text=True).stdout
    return [line.split()[3].split("/")[0] for line in out.splitlines() if not line.split()[1].startswith(("skiff", "cni", "veth"))]


def test_a_host_port_reaches_the_pod_on_the_nodes_addresses(cluster):
    host_port = free_port()
    cluster.kubectl("run", "ported", "--image=nginx:1.25", "--overrides", json.dumps(
        {"spec": {"containers": [{"name": "ported", "image": "nginx:1.25", "ports": [{"containerPort": 80, "hostPort": host_port}]}]}}))
    wait_for(lambda: status_column(cluster, "ported") == "Running", "ported Running")
    conflist = json.loads(next((cluster.data_dir / "agent" / "cni" / "net.d").glob("*.conflist")).read_text())
    assert {"type": "portmap", "capabilities": {"portMappings": True}} in conflist["plugins"]
    assert "Welcome to nginx!" in fetch(f"http://127.0.0.1:{host_port}/")
    for address in host_addresses():
        assert "Welcome to nginx!" in fetch(f"http://{address}:{host_port}/")
    cluster.kubectl("delete", "pod", "ported", "--grace-period=1")
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{host_port}/", timeout=2)


def container_processes(container_id):
    """The pids of this machine whose cgroup is the container's (runc names the cgroup after the container id)."""
    found = []
    for proc in pathlib.Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and container_id in (proc / "cgroup").read_text():
                found.append(int(proc.name))
        except OSError:
            pass
    return found


def test_a_restarted_server_keeps_its_nodes_containers_running(cluster):
    """Without --stop-pods-on-exit the containers outlive the server and its containerd; the next server on the
    same data directory adopts them (same container, not restarted) and cleans up after pods deleted meanwhile."""
    node = f"{NODE}-restart"
    # The upper half of this module's pod network: the module's own nodes take the first /24s.
    cidr = str(list(ipaddress.ip_network(CLUSTER_CIDR).subnets(1))[1])
    api_only = ["--node-name", node, "--cluster-cidr", cidr]
    args = [*api_only, "--private-registry", str(REGISTRIES)]
    # A short path: containerd's sockets live under it, and socket paths hold at most 104 characters.
    temporary = tempfile.TemporaryDirectory(prefix="skiff-e2e-restart-", ignore_cleanup_errors=True)
    directory = pathlib.Path(temporary.name)
    server = Server(directory, args, agent=True).start()

    def ready():
        result = server.kubectl("get", "node", node, "-o", "json", check=False)
        return result.returncode == 0 and any(c["type"] == "Ready" and c["status"] == "True"
                                              for c in json.loads(result.stdout)["status"]["conditions"])
    try:
        wait_for(ready, f"{node} Ready", timeout=60)
        for name in ("sleeper", "deleted", "force-deleted"):
            server.kubectl("run", name, "--image=busybox", "--", "sh", "-c", "echo started; exec sleep 3600")
        server.kubectl("run", "crasher", "--image=busybox", "--", "sh", "-c", "exit 1")
        for name in ("sleeper", "deleted", "force-deleted"):
            wait_for(lambda: status_column(server, name) == "Running" and logs(server, name), f"{name} Running")

        def crash_looping():
            status = pod(server, "crasher")["status"]["containerStatuses"][0]
            return status["restartCount"] >= 2 and status["state"].get("waiting", {}).get("reason") == "CrashLoopBackOff" and status
        # Its third run exited; the next restart waits 20 s, which a restart of the server must not cut short.
        crashed = wait_for(crash_looping, "crasher backing off after its second restart", timeout=60)
        before = pod(server, "sleeper")
        container = before["status"]["containerStatuses"][0]
        gone = {name: pod(server, name)["status"]["containerStatuses"][0]["containerID"].split("://")[1] for name in ("deleted", "force-deleted")}
        assert server.stop() == 0
        assert container_processes(container["containerID"].split("://")[1]), "the container outlives the server"

        # The API alone, without the agent: the pods deleted now are the agent's to clean up when it comes back.
        server = Server(directory, api_only).start()
        server.kubectl("delete", "pod", "deleted", "--wait=false", "--grace-period=2")
        server.kubectl("delete", "pod", "force-deleted", "--force", "--grace-period=0")
        assert server.stop() == 0

        server = Server(directory, args, agent=True).start()
        wait_for(ready, f"{node} Ready again", timeout=60)
        time.sleep(1)
        backing_off = pod(server, "crasher")["status"]["containerStatuses"][0]
        assert backing_off["restartCount"] == crashed["restartCount"] and backing_off["state"]["waiting"]["reason"] == "CrashLoopBackOff"
        assert backing_off["state"]["waiting"]["message"].startswith("back-off 20s restarting failed container=crasher")
        wait_for(lambda: server.kubectl("get", "pod", "deleted", check=False).returncode != 0, "the deletion confirmed by the agent")
        for name, container_id in gone.items():
            wait_for(lambda: not container_processes(container_id), f"the container of {name} stopped")
        # A few relists and syncs later the kept pod is still the same container, never restarted.
        time.sleep(3)
        after = pod(server, "sleeper")
        adopted = after["status"]["containerStatuses"][0]
        assert after["status"]["phase"] == "Running" and status_column(server, "sleeper") == "Running"
        assert adopted["containerID"] == container["containerID"] and adopted["restartCount"] == 0
        assert adopted["state"]["running"]["startedAt"] == container["state"]["running"]["startedAt"]
        assert after["status"]["podIP"] == before["status"]["podIP"]
        assert logs(server, "sleeper") == "started\n"
        assert "pod adopted from the runtime" in server.log.read_text()
        server.kubectl("delete", "pod", "sleeper", "crasher", "--grace-period=1", "--timeout=30s")
        assert not container_processes(container["containerID"].split("://")[1])
    finally:
        server.stop()
        # Whatever is left goes with a last start that stops its pods on exit.
        server = Server(directory, args + ["--stop-pods-on-exit"], agent=True).start()
        wait_for(ready, f"{node} Ready for the last time", timeout=60)
        server.stop()
    shims = subprocess.run(["pgrep", "-f", f"containerd-shim.*-address {directory}/"], capture_output=True, text=True).stdout
    assert not shims, f"shims left running under {directory}"
    temporary.cleanup()


def test_the_node_reports_its_pressure_from_real_readings_and_its_images(cluster):
    # The images the earlier tests pulled come with the next heartbeats (every 10 s).
    cluster.kubectl("run", "imaged", "--image=busybox", "--restart=Never", "--", "true")
    wait_for(lambda: pod(cluster, "imaged")["status"].get("phase") == "Succeeded", "imaged Succeeded")

    def busybox_listed():
        images = cluster.kubectl_json("get", "node", NODE)["status"].get("images", [])
        return any(any("busybox" in name for name in image["names"]) for image in images) and images
    images = wait_for(busybox_listed, "busybox in the node's images", timeout=30)
    assert all(image["sizeBytes"] > 0 and 0 < len(image["names"]) <= 5 for image in images)
    assert [image["sizeBytes"] for image in images] == sorted((image["sizeBytes"] for image in images), reverse=True)
    conditions = {c["type"]: c for c in cluster.kubectl_json("get", "node", NODE)["status"]["conditions"]}
    # This machine has memory, disk and PIDs to spare, as the readings show.
    assert (conditions["MemoryPressure"]["status"], conditions["MemoryPressure"]["reason"], conditions["MemoryPressure"]["message"]) == (
        "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available")
    assert (conditions["DiskPressure"]["status"], conditions["DiskPressure"]["reason"], conditions["DiskPressure"]["message"]) == (
        "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure")
    assert (conditions["PIDPressure"]["status"], conditions["PIDPressure"]["reason"], conditions["PIDPressure"]["message"]) == (
        "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available")
    cluster.kubectl("delete", "pod", "imaged")

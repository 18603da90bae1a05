"""Autoscaling on real usage: the node's containers measured, `kubectl top` through the metrics API, and the
Horizontal Pod Autoscaler scaling the seeds' Deployments as load through a Service comes and goes. The module's
server reads usage every second and looks at autoscalers every 3 s (`--metrics-resolution`,
`--horizontal-pod-autoscaler-sync-period`)."""
import json
import re
import time
import urllib.request

from conftest import wait_for
from test_node_agent import NODE, cluster, pytestmark  # noqa: F401  (the module's cluster and skips)

# A pod that burns one core until it is told to stop.
BURN = """
apiVersion: v1
kind: Pod
metadata: {name: burn, labels: {app: burn}}
spec:
  containers:
  - name: burn
    image: busybox
    command: ["sh", "-c", "trap exit TERM; while :; do :; done"]
    resources: {requests: {cpu: 100m, memory: 16Mi}}
"""

# A CGI script a request runs: it burns a few milliseconds of CPU, as a request to a real backend would.
BURN_CGI = """
apiVersion: v1
kind: ConfigMap
metadata: {name: burn-cgi}
data:
  burn: |
    #!/bin/sh
    i=0; while [ $i -lt 30000 ]; do i=$((i+1)); done
    printf 'Content-Type: text/plain\\r\\n\\r\\nburned\\n'
"""

# Seed 001's Flask Deployment, HPA and Service; the Flask image (which the seed leaves to the reader) is stood in for
# by busybox's httpd serving the CGI script above on the app's port 5000.
SEED_001 = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: flask-app
  labels:
    app: flask-app
spec:
  replicas: 2  # Initial number of replicas
  selector:
    matchLabels:
      app: flask-app
  template:
    metadata:
      labels:
        app: flask-app
    spec:
      containers:
      - name: flask-app
        image: busybox
        command: ["sh", "-c", "mkdir -p /www/cgi-bin && cp /cgi/burn /www/cgi-bin/ && chmod 755 /www/cgi-bin/burn && exec httpd -f -p 5000 -h /www"]
        volumeMounts: [{name: cgi, mountPath: /cgi}]
        ports:
        - containerPort: 5000
        resources:
          requests:
            memory: "64Mi"
            cpu: "250m"
          limits:
            memory: "128Mi"
            cpu: "500m"
      volumes: [{name: cgi, configMap: {name: burn-cgi}}]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: flask-app-hpa
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: flask-app
  minReplicas: 2  # Minimum number of pods
  maxReplicas: 10  # Maximum number of pods
  metrics:
  - type: Resource
    resource:
      name: cpu
      target:
        type: Utilization
        averageUtilization: 50  # Target: 50% CPU utilization
---
apiVersion: v1
kind: Service
metadata:
  name: flask-service
spec:
  selector:
    app: flask-app
  type: LoadBalancer
  ports:
  - protocol: TCP
    port: 80
    targetPort: 5000
"""

# The flash sale: four clients requesting through the Service without pause.
LOAD = """
apiVersion: v1
kind: Pod
metadata: {name: load}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: load
    image: busybox
    command: ["sh", "-c", "for n in 1 2 3 4; do (while :; do timeout 5 wget -q -O- http://flask-service/cgi-bin/burn >/dev/null; done) & done; wait"]
"""

# Seed 004's API Deployment and its CPU-and-memory HPA. The stand-in keeps 125Mi of files in memory (a tmpfs): 98%
# of its 128Mi request, well past the 80% target and its 10% tolerance.
SEED_004 = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: 3
  selector:
    matchLabels:
      app: api
  template:
    metadata:
      labels:
        app: api
    spec:
      containers:
      - name: api
        image: busybox
        command: ["sh", "-c", "dd if=/dev/zero of=/cache/blob bs=1M count=125 2>/dev/null; trap exit TERM; while :; do sleep 1; done"]
        volumeMounts: [{name: cache, mountPath: /cache}]
        resources:
          requests:
            memory: "128Mi"
            cpu: "250m"
          limits:
            memory: "256Mi"
            cpu: "500m"
      volumes: [{name: cache, emptyDir: {medium: Memory}}]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: api-hpa
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: api
  minReplicas: 3
  maxReplicas: 10
  metrics:
  - type: Resource
    resource:
      name: cpu
      target:
        type: Utilization
        averageUtilization: 70  # Scale at 70% CPU
  - type: Resource
    resource:
      name: memory
      target:
        type: Utilization
        averageUtilization: 80  # Scale at 80% memory
"""


def millicores(text):
    return int(text[:-1]) if text.endswith("m") else int(text) * 1000


def top_row(cluster, *args):
    result = cluster.kubectl("top", *args, "--no-headers", check=False)
    return result.stdout.split() if result.returncode == 0 else None


def replicas(cluster, deployment):
    return cluster.kubectl_json("get", "deployment", deployment)["spec"]["replicas"]


def hpa_events(cluster, name):
    listed = cluster.kubectl_json("get", "events", "--field-selector", f"involvedObject.kind=HorizontalPodAutoscaler,involvedObject.name={name}")
    return [(event["reason"], event["message"]) for event in listed["items"]]


def test_top_shows_a_pod_burning_a_core_and_the_node(cluster):
    cluster.kubectl("apply", "-f", "-", input=BURN)
    try:
        # A busy loop on a 2-core machine others share: well over half a core.
        def burning():
            row = top_row(cluster, "pod", "burn")
            return row if row and millicores(row[1]) >= 600 else None
        name, cpu, memory = wait_for(burning, "kubectl top pod burn showing the core it burns", timeout=60)
        assert name == "burn" and millicores(cpu) <= 1100 and memory.endswith("Mi")

        node = wait_for(lambda: top_row(cluster, "node", NODE), "kubectl top node")
        assert node[0] == NODE and millicores(node[1]) >= 600 and node[2].endswith("%")
        assert int(node[3].removesuffix("Mi")) > 0 and node[4].endswith("%")

        containers = top_row(cluster, "pod", "burn", "--containers")
        assert containers[:2] == ["burn", "burn"] and millicores(containers[2]) >= 500
        busiest = top_row(cluster, "pods", "-A", "--sort-by=cpu")
        assert busiest[:2] == ["default", "burn"]

        # The metrics API as kubectl top reads it: PodMetrics with the pod's labels, a window and usage quantities.
        listed = json.loads(cluster.kubectl("get", "--raw", "/apis/metrics.k8s.io/v1beta1/namespaces/default/pods?labelSelector=app%3Dburn").stdout)
        assert [item["metadata"]["name"] for item in listed["items"]] == ["burn"]
        metrics = listed["items"][0]
        assert metrics["metadata"]["labels"] == {"app": "burn"} and metrics["window"].endswith("s")
        assert re.fullmatch(r"\d+n", metrics["containers"][0]["usage"]["cpu"])
        # As metrics-server prints them for kubectl get: usage and window.
        header, row = cluster.kubectl("get", "podmetrics", "burn").stdout.splitlines()
        assert header.split() == ["NAME", "CPU", "MEMORY", "WINDOW"] and re.fullmatch(r"burn\s+\d+n\s+\d+Ki\s+[\d.]+m?s", row), row
        assert cluster.kubectl("get", "nodemetrics", "--no-headers").stdout.split()[0] == NODE
        missing = cluster.kubectl("get", "--raw", "/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/nothing", check=False)
        assert missing.returncode != 0 and 'podmetrics.metrics.k8s.io "default/nothing" not found' in missing.stderr
    finally:
        # Gone before the next test makes a pod of the same name.
        cluster.kubectl("delete", "pod", "burn", "--ignore-not-found")


def test_the_seed_hpa_scales_up_under_load_through_the_service_and_back_down(cluster):
    cluster.kubectl("apply", "-f", "-", input=BURN_CGI + "---" + SEED_001)
    # On this 2-core machine at most 4 replicas of half a core each; the scale-down window as short as a test can wait.
    cluster.kubectl("patch", "hpa", "flask-app-hpa", "--type", "merge", "-p",
                    '{"spec": {"maxReplicas": 4, "behavior": {"scaleDown": {"stabilizationWindowSeconds": 20}}}}')
    try:
        cluster.kubectl("rollout", "status", "deployment/flask-app", "--timeout=90s", timeout=100)
        wait_for(lambda: re.search(r"cpu: \d+%/50%", cluster.kubectl("get", "hpa", "flask-app-hpa").stdout), "the HPA reading the pods' CPU")
        assert replicas(cluster, "flask-app") == 2

        cluster.kubectl("apply", "-f", "-", input=LOAD)
        started = time.monotonic()
        wait_for(lambda: replicas(cluster, "flask-app") > 2, "a scale-up under load", timeout=60)
        scaled_up_after = time.monotonic() - started
        wait_for(lambda: replicas(cluster, "flask-app") == 4, "the Deployment at maxReplicas", timeout=60)
        time.sleep(6)
        assert replicas(cluster, "flask-app") == 4, "the HPA went past maxReplicas"
        status = cluster.kubectl_json("get", "hpa", "flask-app-hpa")["status"]
        current = status["currentMetrics"][0]["resource"]
        assert current["name"] == "cpu" and current["current"]["averageUtilization"] > 50
        assert status["desiredReplicas"] == 4 and status["currentReplicas"] == 4

        cluster.kubectl("delete", "pod", "load", "--wait=false")
        stopped = time.monotonic()
        wait_for(lambda: replicas(cluster, "flask-app") == 2, "the scale-down to minReplicas once load stopped", timeout=90)
        assert time.monotonic() - stopped >= 20, "the scale-down did not wait out the stabilization window"

        rescales = [message for reason, message in hpa_events(cluster, "flask-app-hpa") if reason == "SuccessfulRescale"]
        assert "New size: 4; reason: cpu resource utilization (percentage of request) above target" in rescales
        assert "New size: 2; reason: All metrics below target" in rescales
        described = cluster.kubectl("describe", "hpa", "flask-app-hpa").stdout
        for line in (r"AbleToScale\s+True", r"ScalingActive\s+True\s+ValidMetricFound", r"ScalingLimited\s+True\s+TooFewReplicas",
                     r"Normal\s+SuccessfulRescale"):
            assert re.search(line, described), f"{line} not in:\n{described}"
        print(f"first scale-up {scaled_up_after:.1f} s after the load began")
    finally:
        cluster.kubectl("delete", "pod", "load", "--ignore-not-found", "--wait=false")
        cluster.kubectl("delete", "hpa", "flask-app-hpa", "--ignore-not-found")
        cluster.kubectl("delete", "deployment", "flask-app", "--ignore-not-found")
        cluster.kubectl("delete", "service", "flask-service", "--ignore-not-found")
        cluster.kubectl("delete", "configmap", "burn-cgi", "--ignore-not-found")


def test_the_seed_memory_and_cpu_hpa_scales_on_memory(cluster):
    cluster.kubectl("apply", "-f", "-", input=SEED_004)
    cluster.kubectl("patch", "hpa", "api-hpa", "--type", "merge", "-p", '{"spec": {"maxReplicas": 5}}')
    try:
        # Memory past its target while CPU idles: the larger proposal, memory's, wins.
        wait_for(lambda: replicas(cluster, "api") == 5, "the memory-bound Deployment scaled to maxReplicas", timeout=120)
        status = cluster.kubectl_json("get", "hpa", "api-hpa")["status"]
        by_name = {metric["resource"]["name"]: metric["resource"]["current"] for metric in status["currentMetrics"]}
        assert by_name["memory"]["averageUtilization"] > 80 and by_name["cpu"]["averageUtilization"] < 70
        targets = cluster.kubectl("get", "hpa", "api-hpa", "--no-headers").stdout
        assert re.search(r"cpu: \d+%/70%, memory: \d+%/80%", targets), targets
        rescales = [message for reason, message in hpa_events(cluster, "api-hpa") if reason == "SuccessfulRescale"]
        assert any("memory resource utilization (percentage of request) above target" in message for message in rescales), rescales
        # Once the new pods are measured too, the HPA wants more than it may have.
        wait_for(lambda: cluster.kubectl("get", "hpa", "api-hpa", "-o", "jsonpath={.status.conditions[?(@.type=='ScalingLimited')].reason}").stdout
                 == "TooManyReplicas", "ScalingLimited TooManyReplicas")
    finally:
        cluster.kubectl("delete", "hpa", "api-hpa", "--ignore-not-found")
        cluster.kubectl("delete", "deployment", "api", "--ignore-not-found")


def test_kubectl_autoscale_and_an_hpa_that_cannot_compute(cluster):
    cluster.kubectl("create", "deployment", "idle", "--image=busybox", "--", "sh", "-c", "trap exit TERM; while :; do sleep 1; done")
    try:
        # No CPU request: utilization cannot be computed, and the HPA says why, in upstream's words.
        cluster.kubectl("autoscale", "deployment", "idle", "--cpu-percent=60", "--min=1", "--max=3")
        assert cluster.kubectl("get", "hpa", "idle", "-o", "jsonpath={.spec.metrics[0].resource.target.averageUtilization}").stdout == "60"

        def explained():
            condition = cluster.kubectl("get", "hpa", "idle", "-o", "jsonpath={.status.conditions[?(@.type=='ScalingActive')]}").stdout
            return json.loads(condition) if condition and "missing request" in condition else None
        condition = wait_for(explained, "the HPA reporting the missing request", timeout=60)
        assert condition["status"] == "False" and condition["reason"] == "FailedGetResourceMetric"
        assert re.fullmatch(r"the HPA was unable to compute the replica count: failed to get cpu utilization: missing request for cpu in "
                            r"container busybox of Pod idle-\S+", condition["message"]), condition["message"]
        assert "<unknown>/60%" in cluster.kubectl("get", "hpa", "idle").stdout
        assert replicas(cluster, "idle") == 1
    finally:
        cluster.kubectl("delete", "hpa", "idle", "--ignore-not-found")
        cluster.kubectl("delete", "deployment", "idle", "--ignore-not-found")


def test_prometheus_scrapes_the_server_and_the_kubelet(cluster):
    cluster.kubectl("apply", "-f", "-", input=BURN)
    try:
        wait_for(lambda: top_row(cluster, "pod", "burn"), "the pod measured")
        # The API server's /metrics, with the controllers' and the scheduler's (they run in its process): a user's
        # `kubectl get pods` is counted among them.
        cluster.kubectl("get", "pods")
        page = cluster.kubectl("get", "--raw", "/metrics").stdout
        for pattern in (r'apiserver_request_total\{code="200",component="apiserver",dry_run="",group="",resource="pods",scope="namespace",'
                        r'subresource="",verb="LIST",version="v1"\} \d+',
                        r'apiserver_request_duration_seconds_bucket\{[^}]*resource="pods"[^}]*verb="GET"[^}]*le="0.005"\} \d+',
                        r'apiserver_longrunning_requests\{[^}]*resource="pods"[^}]*verb="WATCH"[^}]*\} [1-9]',
                        r'workqueue_depth\{name="deployment"\} \d', r'workqueue_adds_total\{name="serviceaccount"\} [1-9]',
                        r'workqueue_queue_duration_seconds_count\{name="serviceaccount"\} [1-9]', r'workqueue_work_duration_seconds_count\{name="horizontal-pod-autoscaler"\} \d+',
                        r'scheduler_schedule_attempts_total\{profile="default-scheduler",result="scheduled"\} [1-9]',
                        r'apiserver_storage_objects\{resource="deployments.apps"\} \d', r'apiserver_storage_objects\{resource="pods"\} \d'):
            assert re.search(pattern, page), f"{pattern} not in the API server's /metrics"

        # The kubelet's read-only port: what metrics-server reads, and cAdvisor's container families.
        port = cluster.kubelet_metrics_port
        resource = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics/resource", timeout=5).read().decode()
        assert re.search(r"^node_cpu_usage_seconds_total [\d.]+ \d+$", resource, re.M)
        assert re.search(r'^container_memory_working_set_bytes\{container="burn",namespace="default",pod="burn"\} \d+ \d+$', resource, re.M)
        cadvisor = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics/cadvisor", timeout=5).read().decode()
        assert re.search(r'^container_cpu_usage_seconds_total\{container="burn",namespace="default",pod="burn"\} [\d.]+ \d+$', cadvisor, re.M)
    finally:
        # Gone before the next test makes a pod of the same name.
        cluster.kubectl("delete", "pod", "burn", "--ignore-not-found")

"""The built-in ingress: Ingresses of the `skiff` class (the default) served on the node, proxied to real pods, driven
with real kubectl and real HTTP clients (urllib, curl). The module's server listens for ingress traffic on ports of
its own (`cluster.ingress_ports`) rather than 80 and 443."""
import base64
import http.client
import json
import socket
import ssl
import subprocess
import textwrap
import time

import pytest

from conftest import wait_for
from test_node_agent import NODE, cluster, pytestmark  # noqa: F401  (the module's cluster and skips)

SEED_000 = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: app-ingress
spec:
  rules:
  - host: myapp.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: backend-service
            port:
              number: 80
"""

SEED_002 = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: my-app-ingress
  annotations:
    nginx.ingress.kubernetes.io/rewrite-target: /
spec:
  rules:
  - host: my-app.example.com
    http:
      paths:
      - path: /service1
        pathType: Prefix
        backend:
          service:
            name: service1
            port:
              number: 80
      - path: /service2
        pathType: Prefix
        backend:
          service:
            name: service2
            port:
              number: 80
"""


def backend(name, replicas=1):
    """A Deployment and Service `name` on port 80 whose pods answer every path under / with `name` and the pod's name,
    and /cgi-bin/headers with the request line and headers they got (busybox httpd's CGI passes them as HTTP_*)."""
    script = textwrap.dedent(f"""\
        mkdir -p /www/cgi-bin
        echo "{name} $HOSTNAME" > /www/index.html
        printf '#!/bin/sh\\nprintf "Content-Type: text/plain\\\\r\\\\n\\\\r\\\\n"\\necho "uri=$REQUEST_URI"\\nenv | grep ^HTTP_ | sort\\n' > /www/cgi-bin/headers
        chmod +x /www/cgi-bin/headers
        exec httpd -f -p 8080 -h /www
        """)
    return f"""
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      terminationGracePeriodSeconds: 2
      containers:
      - name: web
        image: busybox
        command: ["sh", "-c", {json.dumps(script)}]
        ports:
        - {{name: http, containerPort: 8080}}
        readinessProbe:
          httpGet: {{path: /, port: 8080}}
          periodSeconds: 1
---
apiVersion: v1
kind: Service
metadata:
  name: {name}
spec:
  selector: {{app: {name}}}
  ports:
  - {{name: http, port: 80, targetPort: http}}
"""


def until(fetch, condition, what, timeout=45.0, interval=0.2):
    """The first value of `fetch()` that meets `condition`, polling; fails naming `what` after `timeout`."""
    def attempt():
        value = fetch()
        return (value,) if condition(value) else None
    return wait_for(attempt, what, timeout=timeout, interval=interval)[0]


def request(cluster, host, path="/", port=None, method="GET", headers=None):
    """(status, body, headers) of one plain HTTP request to the ingress with Host `host`."""
    connection = http.client.HTTPConnection("127.0.0.1", port or cluster.ingress_ports[0], timeout=10)
    try:
        connection.request(method, path, headers={"Host": host, **(headers or {})})
        response = connection.getresponse()
        return response.status, response.read().decode(errors="replace"), dict(response.getheaders())
    finally:
        connection.close()


def wait_for_answer(cluster, host, path, expected, timeout=60):
    def attempt():
        status, body, _ = request(cluster, host, path)
        return body if status == 200 and expected in body else None
    return wait_for(attempt, f"{expected!r} from http://{host}{path} through the ingress", timeout=timeout)


@pytest.fixture(scope="module")
def backends(cluster):
    cluster.kubectl("apply", "-f", "-", input=backend("backend-service") + "---" + backend("service1") + "---" + backend("service2"))
    for name in ("backend-service", "service1", "service2"):
        cluster.kubectl("rollout", "status", f"deployment/{name}", "--timeout=120s", timeout=150)
    yield
    cluster.kubectl("delete", "deployment,service", "backend-service", "service1", "service2", "--wait=false", check=False)


def test_the_skiff_ingress_class_is_there_and_the_default(cluster):
    ingress_class = until(lambda: cluster.kubectl("get", "ingressclass", "skiff", "-o", "json", check=False),
                          lambda result: result.returncode == 0, "the skiff IngressClass")
    ingress_class = json.loads(ingress_class.stdout)
    assert ingress_class["spec"]["controller"] == "skiff.dev/ingress"
    assert ingress_class["metadata"]["annotations"]["ingressclass.kubernetes.io/is-default-class"] == "true"


def test_seed_000_routes_its_host_to_the_backend_and_reports_the_node_address(cluster, backends):
    cluster.kubectl("apply", "-f", "-", input=SEED_000)
    body = wait_for_answer(cluster, "myapp.example.com", "/", "backend-service")
    assert body.startswith("backend-service backend-service-")
    # Prefix `/` matches every path; the host is matched without its port and ignoring case.
    assert request(cluster, "MyApp.Example.com:8080", "/index.html")[0] == 200
    # Another host matches no rule, and there is no default backend.
    status, body, _ = request(cluster, "other.example.com", "/")
    assert status == 404 and "Not Found" in body
    node_ip = next(a["address"] for a in cluster.kubectl_json("get", "node", NODE)["status"]["addresses"] if a["type"] == "InternalIP")
    row = until(lambda: cluster.kubectl("get", "ingress", "app-ingress", "--no-headers").stdout.split(),
                lambda row: len(row) >= 4 and row[3] == node_ip, "the Ingress's address")
    assert row[:3] == ["app-ingress", "skiff", "myapp.example.com"] and row[4] == "80"


def test_seed_002_sends_each_path_to_its_service_with_the_prefix_rewritten(cluster, backends):
    cluster.kubectl("apply", "-f", "-", input=SEED_002)
    # rewrite-target `/` replaces the whole path, as ingress-nginx does: the backends get `/`, their index page.
    assert wait_for_answer(cluster, "my-app.example.com", "/service1", "service1").startswith("service1 service1-")
    assert wait_for_answer(cluster, "my-app.example.com", "/service2/anything", "service2").startswith("service2 service2-")
    # Prefix matches whole path elements: /service1x is no path of the Ingress.
    assert request(cluster, "my-app.example.com", "/service1x")[0] == 404


def test_the_backend_gets_the_forwarding_headers_and_the_rewritten_path(cluster, backends):
    cluster.kubectl("apply", "-f", "-", input="""
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: strip-prefix
  annotations:
    nginx.ingress.kubernetes.io/use-regex: "true"
    nginx.ingress.kubernetes.io/rewrite-target: /$2
spec:
  ingressClassName: skiff
  rules:
  - host: headers.example.com
    http:
      paths:
      - path: /api(/|$)(.*)
        pathType: ImplementationSpecific
        backend:
          service:
            name: service1
            port:
              name: http
""")
    body = wait_for_answer(cluster, "headers.example.com", "/api/cgi-bin/headers?x=1", "uri=")
    assert "uri=/cgi-bin/headers?x=1" in body
    assert "HTTP_X_FORWARDED_FOR=127.0.0.1" in body and "HTTP_X_REAL_IP=127.0.0.1" in body
    assert "HTTP_X_FORWARDED_PROTO=http" in body and f"HTTP_X_FORWARDED_PORT={cluster.ingress_ports[0]}" in body
    assert "HTTP_X_FORWARDED_HOST=headers.example.com" in body
    # A client's own X-Forwarded-For is not passed on as if the proxy had vouched for it.
    _, body, _ = request(cluster, "headers.example.com", "/api/cgi-bin/headers", headers={"X-Forwarded-For": "203.0.113.9"})
    assert "203.0.113.9" not in body


def test_a_deleted_ingress_stops_routing_within_a_second(cluster, backends):
    cluster.kubectl("apply", "-f", "-", input=SEED_000.replace("app-ingress", "short-lived").replace("myapp.example.com", "gone.example.com"))
    wait_for_answer(cluster, "gone.example.com", "/", "backend-service")
    cluster.kubectl("delete", "ingress", "short-lived")
    deleted = time.monotonic()
    wait_for(lambda: request(cluster, "gone.example.com", "/")[0] == 404, "404 once the Ingress is gone", timeout=5, interval=0.05)
    assert time.monotonic() - deleted < 1.0


def test_a_service_without_ready_endpoints_answers_503_and_a_missing_one_gets_an_event(cluster, backends):
    cluster.kubectl("apply", "-f", "-", input="""
apiVersion: v1
kind: Service
metadata:
  name: nobody-home
spec:
  selector: {app: nobody-home}
  ports:
  - port: 80
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: unready
spec:
  rules:
  - host: unready.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: nobody-home, port: {number: 80}}}}
      - {path: /missing, pathType: Exact, backend: {service: {name: no-such-service, port: {number: 80}}}}
""")
    status, body, _ = until(lambda: request(cluster, "unready.example.com", "/"), lambda answer: answer[0] == 503,
                            "503 from a Service without endpoints")
    assert "no ready endpoint" in body
    assert request(cluster, "unready.example.com", "/missing")[0] == 503
    events = until(lambda: cluster.kubectl("get", "events", "--field-selector", "involvedObject.name=unready", "-o", "json").stdout,
                   lambda text: "no-such-service" in text, "an Event about the missing Service")
    event = next(e for e in json.loads(events)["items"] if "no-such-service" in e["message"])
    assert event["type"] == "Warning" and event["reason"] == "ServiceNotFound"

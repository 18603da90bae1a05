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
    last = []

    def attempt():
        status, body, _ = request(cluster, host, path)
        last[:] = [status, body[:200]]
        return body if status == 200 and expected in body else None
    try:
        return wait_for(attempt, f"{expected!r} from http://{host}{path} through the ingress", timeout=timeout)
    except AssertionError as error:
        raise AssertionError(f"{error}; the last answer: {last}") from None


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


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def certificate(directory, host, name):
    """A CA of its own and a certificate for `host` it signs, made with openssl: (ca.pem, cert.pem, key.pem) paths."""
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={name} test CA", "-keyout", f"{name}-ca.key",
            "-out", f"{name}-ca.pem", cwd=directory)
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={host}", "-keyout", f"{name}.key", "-out", f"{name}.csr", cwd=directory)
    (directory / f"{name}.ext").write_text(f"subjectAltName=DNS:{host}\n")
    openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{name}-ca.pem", "-CAkey", f"{name}-ca.key", "-CAcreateserial", "-days", "2",
            "-extfile", f"{name}.ext", "-out", f"{name}.pem", cwd=directory)
    return directory / f"{name}-ca.pem", directory / f"{name}.pem", directory / f"{name}.key"


def curl_https(cluster, host, ca, path="/", *options):
    """curl over HTTPS to the ingress, `host` resolved to 127.0.0.1 and verified against `ca`: (exit code, output)."""
    port = cluster.ingress_ports[1]
    result = subprocess.run(["curl", "-sS", "--max-time", "5", "--resolve", f"{host}:{port}:127.0.0.1", "--cacert", str(ca), *options,
                             f"https://{host}:{port}{path}"], capture_output=True, text=True, timeout=30)
    return result.returncode, result.stdout + result.stderr


def test_tls_hosts_get_their_secret_by_sni_and_plain_http_is_redirected(cluster, backends, tmp_path):
    ca, cert, key = certificate(tmp_path, "secure.example.com", "first")
    cluster.kubectl("create", "secret", "tls", "secure-tls", f"--cert={cert}", f"--key={key}")
    cluster.kubectl("apply", "-f", "-", input="""
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: secure
spec:
  tls:
  - hosts: [secure.example.com]
    secretName: secure-tls
  rules:
  - host: secure.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: service2, port: {number: 80}}}}
""")
    code, body = until(lambda: curl_https(cluster, "secure.example.com", ca), lambda answer: answer[0] == 0, "HTTPS verified against the test CA")
    assert body.startswith("service2 service2-")
    # Clients that offer HTTP/2 (ALPN h2) get it, several requests on one connection; others HTTP/1.1.
    code, output = curl_https(cluster, "secure.example.com", ca, "/", "--http2", "-w", " %{http_version}\\n", "-o", "/dev/null", "-o", "/dev/null",
                              f"https://secure.example.com:{cluster.ingress_ports[1]}/index.html")
    assert code == 0 and output.split() == ["2", "2"], output
    code, output = curl_https(cluster, "secure.example.com", ca, "/", "--http1.1", "-w", "%{http_version}", "-o", "/dev/null")
    assert code == 0 and output == "1.1", output
    # Plain HTTP to a TLS host is sent to HTTPS, path and query kept (ingress-nginx's 308).
    status, _, headers = request(cluster, "secure.example.com", "/a/b?c=d")
    assert status == 308
    assert headers["location"] == f"https://secure.example.com:{cluster.ingress_ports[1]}/a/b?c=d"
    # Other names get the controller's own certificate, which no one trusts.
    code, body = curl_https(cluster, "myapp.example.com", ca)
    assert code != 0 and "certificate" in body

    # A renewed certificate, from another CA, is served once the Secret changes.
    new_ca, new_cert, new_key = certificate(tmp_path, "secure.example.com", "second")
    renewed = cluster.kubectl("create", "secret", "tls", "secure-tls", f"--cert={new_cert}", f"--key={new_key}", "--dry-run=client", "-o", "yaml")
    cluster.kubectl("apply", "-f", "-", input=renewed.stdout)
    until(lambda: curl_https(cluster, "secure.example.com", new_ca), lambda answer: answer[0] == 0, "the renewed certificate", timeout=10)


def pod_gateway(cluster):
    """The node's address on its pod bridge (the pod range's first address): reachable from the ingress, and not
    loopback, which an EndpointSlice may not name."""
    cidr = cluster.kubectl_json("get", "node", NODE)["spec"]["podCIDR"]
    network = cidr.split("/")[0].rsplit(".", 1)[0]
    return f"{network}.1"


class WebsocketEcho:
    """A websocket server on `address` that echoes each text message (RFC 6455: handshake, masked client frames)."""

    def __init__(self, address):
        self.server = socket.create_server((address, 0))
        self.port = self.server.getsockname()[1]
        self.thread = __import__("threading").Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        import hashlib
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            with connection:
                request = b""
                while b"\r\n\r\n" not in request:
                    request += connection.recv(4096)
                key = next(line.split(b":", 1)[1].strip() for line in request.split(b"\r\n") if line.lower().startswith(b"sec-websocket-key"))
                accept = base64.b64encode(hashlib.sha1(key + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest())
                connection.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                   b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n")
                while True:
                    header = connection.recv(2)
                    if len(header) < 2 or header[0] & 0x0F == 8:
                        break
                    length = header[1] & 0x7F
                    if length == 126:
                        length = int.from_bytes(connection.recv(2), "big")
                    mask = connection.recv(4)
                    payload = b""
                    while len(payload) < length:
                        payload += connection.recv(length - len(payload))
                    data = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
                    reply = b"echo: " + data
                    connection.sendall(bytes([0x81, len(reply)]) + reply if len(reply) < 126 else
                                       bytes([0x81, 126]) + len(reply).to_bytes(2, "big") + reply)

    def close(self):
        self.server.close()


def test_a_websocket_goes_through_the_ingress_both_ways(cluster):
    import websocket
    echo = WebsocketEcho(pod_gateway(cluster))
    try:
        cluster.kubectl("apply", "-f", "-", input=f"""
apiVersion: v1
kind: Service
metadata:
  name: ws-echo
spec:
  ports:
  - {{name: ws, port: 80, targetPort: {echo.port}}}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: ws-echo-1
  labels:
    kubernetes.io/service-name: ws-echo
addressType: IPv4
ports:
- {{name: ws, port: {echo.port}, protocol: TCP}}
endpoints:
- addresses: ["{pod_gateway(cluster)}"]
  conditions: {{ready: true}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ws
spec:
  rules:
  - host: ws.example.com
    http:
      paths:
      - {{path: /socket, pathType: Prefix, backend: {{service: {{name: ws-echo, port: {{name: ws}}}}}}}}
""")
        url = f"ws://127.0.0.1:{cluster.ingress_ports[0]}/socket"

        def connect():
            try:
                return websocket.create_connection(url, host="ws.example.com", timeout=5)
            except (OSError, websocket.WebSocketException):
                return None
        client = wait_for(connect, "a websocket through the ingress")
        for message in ("hello", "x" * 1000, "bye"):
            client.send(message)
            assert client.recv() == f"echo: {message}"
        client.close()
    finally:
        echo.close()


class HTTPSBackend:
    """An HTTPS server on `address` (a certificate for `host`) that answers each GET with its path and the scheme
    the ingress says the client used, in chunks: a backend only a proxy speaking TLS to it can reach."""

    def __init__(self, address, certificate, key):
        import http.server
        import ssl
        import threading

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                body = f"tls backend saw {self.path} for {self.headers.get('X-Forwarded-Proto')}\n".encode()
                self.send_response(200)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for part in (body[:10], body[10:]):
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                self.wfile.write(b"0\r\n\r\n")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer((address, 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(certificate), str(key))
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_backend_protocol_https_speaks_tls_to_the_backend(cluster, tmp_path):
    _, cert, key = certificate(tmp_path, "secure-backend.example.com", "backend")
    backend_server = HTTPSBackend(pod_gateway(cluster), cert, key)
    try:
        cluster.kubectl("apply", "-f", "-", input=f"""
apiVersion: v1
kind: Service
metadata: {{name: tls-backend}}
spec:
  ports: [{{name: https, port: 443, targetPort: {backend_server.port}}}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: tls-backend-1
  labels: {{kubernetes.io/service-name: tls-backend}}
addressType: IPv4
ports: [{{name: https, port: {backend_server.port}, protocol: TCP}}]
endpoints: [{{addresses: ["{pod_gateway(cluster)}"], conditions: {{ready: true}}}}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: tls-backend
  annotations: {{nginx.ingress.kubernetes.io/backend-protocol: HTTPS}}
spec:
  rules:
  - host: tls-backend.example.com
    http:
      paths: [{{path: /, pathType: Prefix, backend: {{service: {{name: tls-backend, port: {{number: 443}}}}}}}}]
""")
        status, body, _ = until(lambda: request(cluster, "tls-backend.example.com", "/vault?open=1"), lambda answer: answer[0] == 200,
                                "an answer from the HTTPS backend")
        assert body == "tls backend saw /vault?open=1 for http\n"
    finally:
        backend_server.close()
        cluster.kubectl("delete", "ingress", "tls-backend", check=False)
        cluster.kubectl("delete", "service", "tls-backend", check=False)
        cluster.kubectl("delete", "endpointslice", "tls-backend-1", check=False)


def test_a_rolling_update_under_load_through_the_ingress_loses_no_request(cluster, backends):
    import threading
    cluster.kubectl("apply", "-f", "-", input=backend("rolling", replicas=2).replace(
        'echo \\"rolling $HOSTNAME\\"', 'echo \\"rolling $VERSION $HOSTNAME\\"') + """---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: rolling
spec:
  rules:
  - host: rolling.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: rolling, port: {number: 80}}}}
""")
    cluster.kubectl("rollout", "status", "deployment/rolling", "--timeout=120s", timeout=150)
    wait_for_answer(cluster, "rolling.example.com", "/", "rolling")
    statuses, versions, errors = [], set(), []
    stop = threading.Event()

    def load(keep_alive):
        connection = None
        while not stop.is_set():
            try:
                if connection is None:
                    connection = http.client.HTTPConnection("127.0.0.1", cluster.ingress_ports[0], timeout=10)
                connection.request("GET", "/", headers={"Host": "rolling.example.com"})
                response = connection.getresponse()
                body = response.read().decode()
                statuses.append(response.status)
                if response.status == 200:
                    versions.add("v2" if " v2 " in body else "v1")
                if not keep_alive:
                    connection.close()
                    connection = None
            except (OSError, http.client.HTTPException) as error:
                errors.append(repr(error))
                connection = None
    clients = [threading.Thread(target=load, args=(keep_alive,)) for keep_alive in (True, False)]
    for client in clients:
        client.start()
    try:
        time.sleep(1)
        cluster.kubectl("set", "env", "deployment/rolling", "VERSION=v2")
        cluster.kubectl("rollout", "status", "deployment/rolling", "--timeout=120s", timeout=150)
        time.sleep(2)
    finally:
        stop.set()
        for client in clients:
            client.join()
        cluster.kubectl("delete", "deployment,service,ingress", "rolling", "--wait=false", check=False)
    failures = [status for status in statuses if status != 200]
    assert not errors and not failures, f"{len(failures)} non-200 answers {sorted(set(failures))}, errors {errors[:5]} of {len(statuses)} requests"
    # Both versions answered: the load ran across the whole rollout.
    assert versions == {"v1", "v2"} and len(statuses) > 100, (versions, len(statuses))


def test_body_size_limit_and_the_request_metrics(cluster, backends):
    cluster.kubectl("apply", "-f", "-", input="""
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: limited
  annotations:
    nginx.ingress.kubernetes.io/proxy-body-size: 1k
spec:
  rules:
  - host: limited.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: service1, port: {number: 80}}}}
""")
    wait_for_answer(cluster, "limited.example.com", "/", "service1")
    connection = http.client.HTTPConnection("127.0.0.1", cluster.ingress_ports[0], timeout=10)
    connection.request("POST", "/cgi-bin/headers", body=b"x" * 4096, headers={"Host": "limited.example.com"})
    assert connection.getresponse().status == 413
    connection.close()
    # A body within the limit, streamed in chunks without a length, reaches the backend.
    connection = http.client.HTTPConnection("127.0.0.1", cluster.ingress_ports[0], timeout=10)
    connection.request("POST", "/cgi-bin/headers", body=iter([b"a" * 300, b"b" * 300]), headers={"Host": "limited.example.com"},
                       encode_chunked=True)
    response = connection.getresponse()
    assert response.status == 200 and "uri=/cgi-bin/headers" in response.read().decode()
    connection.close()

    metrics = subprocess.run(["curl", "-s", f"http://127.0.0.1:{cluster.ingress_ports[2]}/metrics"], capture_output=True, text=True).stdout
    assert 'nginx_ingress_controller_requests{controller_class="skiff.dev/ingress",ingress="limited",namespace="default",service="service1",status="413"} 1' in metrics
    assert 'ingress="limited",namespace="default",service="service1",status="200"}' in metrics
    assert 'nginx_ingress_controller_request_duration_seconds_count{controller_class="skiff.dev/ingress",ingress="limited"' in metrics


def test_pipelined_requests_are_answered_in_order(cluster, backends):
    cluster.kubectl("apply", "-f", "-", input=SEED_002.replace("my-app-ingress", "pipelined").replace("my-app.example.com", "pipe.example.com"))
    wait_for_answer(cluster, "pipe.example.com", "/service1", "service1")
    with socket.create_connection(("127.0.0.1", cluster.ingress_ports[0]), timeout=10) as connection:
        # Three requests in one write, the last asking to close: three answers, in the order asked, then EOF.
        connection.sendall(b"GET /service2 HTTP/1.1\r\nHost: pipe.example.com\r\n\r\n"
                           b"GET /service1 HTTP/1.1\r\nHost: pipe.example.com\r\n\r\n"
                           b"GET /nowhere HTTP/1.1\r\nHost: nobody.example.com\r\nConnection: close\r\n\r\n")
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    text = received.decode(errors="replace")
    assert text.count("HTTP/1.1 ") == 3, text
    assert text.index("service2 service2-") < text.index("service1 service1-") < text.index("404 Not Found"), text

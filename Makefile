# Skiff's two commands: `make run` sets up and starts a server; `make test` runs every test.
SWIFT_BUILD_FLAGS ?= -c release
DATA_DIR ?= $(HOME)/.skiff
# The Python test clients live in a virtual environment made by `scripts/setup.sh --tests`.
PYTHON ?= .venv/bin/python

.PHONY: run setup setup-tests build test unit-test e2e-test test-images fresh-machine-check \
	bench bench-scheduler bench-controllers bench-agent bench-proxy bench-network-policy bench-dns bench-ingress bench-hpa

setup:
	bash scripts/setup.sh

setup-tests:
	bash scripts/setup.sh --tests

build:
	@[ -x "$$(swift build $(SWIFT_BUILD_FLAGS) --show-bin-path)/skiff" ] || \
		echo "make: building Skiff for the first time: compiling it and its dependencies takes several minutes (about 10 on 2 cores)"
	swift build $(SWIFT_BUILD_FLAGS) --product skiff

run: setup build
	$$(swift build $(SWIFT_BUILD_FLAGS) --show-bin-path)/skiff server --data-dir $(DATA_DIR)

unit-test:
	swift test

# The end-to-end suite reuses the debug build `swift test` already made.
e2e-test:
	swift build --product skiff
	SKIFF_BIN=$$(swift build --show-bin-path)/skiff $(PYTHON) -m pytest -q tests/e2e tests/images

test: setup-tests unit-test e2e-test

# Stand-in images (busybox, nginx, postgres, pause, ...) in a local registry on 127.0.0.1:5000, for machines
# without internet access; see the script's header. TEST_REGISTRY_DIR holds its storage.
TEST_REGISTRY_DIR ?= /var/lib/skiff-test-registry
test-images: setup-tests
	bash scripts/test-images.sh $(TEST_REGISTRY_DIR)

# Runs scripts/setup.sh --tests in a minimal Debian 12 root, as root and as a user with sudo, checks what it installed,
# and starts the debug `skiff` there until its node is Ready (root; see the script's header).
fresh-machine-check: setup
	swift build --product skiff
	bash scripts/fresh-machine-check.sh $$(swift build --show-bin-path)/skiff

bench: setup-tests build
	SKIFF_BIN=$$(swift build $(SWIFT_BUILD_FLAGS) --show-bin-path)/skiff $(PYTHON) bench/api_server_bench.py

# 5000 hollow nodes, 10 000 pods: scheduling throughput and create-to-bound latency (see the script's header).
bench-scheduler: setup-tests build
	SKIFF_BIN=$$(swift build $(SWIFT_BUILD_FLAGS) --show-bin-path)/skiff $(PYTHON) bench/scheduler_bench.py

# 100 hollow nodes: a 1000-replica Deployment created, rolled, scaled to 10 000; idle CPU with 10 000 pods.
bench-controllers: setup-tests build
	SKIFF_BIN=$$(swift build $(SWIFT_BUILD_FLAGS) --show-bin-path)/skiff $(PYTHON) bench/controllers_bench.py

# The service proxy on a real node (root, containerd, nftables, wrk): sync latency with 1000 Services, a full resync
# of 10 000, the ClusterIP data path against the pod's own address, the table's size and the agent's RSS.
bench-proxy: setup-tests build
	SKIFF_BIN=$$(swift build $(SWIFT_BUILD_FLAGS) --show-bin-path)/skiff $(PYTHON) bench/proxy_bench.py

# NetworkPolicy on a real node (root, containerd, nftables, wrk): 1 000 policies over 5 000 hollow pods loaded and
# kept in sync, and a pod's requests/s with a policy allowing its client against none.
bench-network-policy: setup-tests build
	SKIFF_BIN=$$(swift build $(SWIFT_BUILD_FLAGS) --show-bin-path)/skiff $(PYTHON) bench/network_policy_bench.py

# The cluster DNS on a real node beside unbound (root, containerd, unbound, dnsperf): queries/s and p50/p99 for
# cluster names and cached outside names, the agent's memory with 1 000 and 10 000 Services.
bench-dns: setup-tests build
	SKIFF_BIN=$$(swift build $(SWIFT_BUILD_FLAGS) --show-bin-path)/skiff $(PYTHON) bench/dns_bench.py

bench-hpa: setup-tests build
	SKIFF_BIN=$$(swift build $(SWIFT_BUILD_FLAGS) --show-bin-path)/skiff $(PYTHON) bench/hpa_bench.py

# The built-in ingress on a real node beside nginx as a reverse proxy to the same two pods (root, containerd, wrk,
# nginx): requests/s, p50/p99 and CPU per request over HTTP and HTTPS, the server's and nginx's RSS idle and loaded.
bench-ingress: setup-tests build
	SKIFF_BIN=$$(swift build $(SWIFT_BUILD_FLAGS) --show-bin-path)/skiff $(PYTHON) bench/ingress_bench.py

# The node agent with real containers (root, containerd): 100 pods create-to-Running latency, agent and containerd RSS.
bench-agent: setup-tests build
	SKIFF_BIN=$$(swift build $(SWIFT_BUILD_FLAGS) --show-bin-path)/skiff $(PYTHON) bench/agent_bench.py

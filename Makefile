# Skiff's two commands: `make run` sets up and starts a server; `make test` runs every test.
SWIFT_BUILD_FLAGS ?= -c release
DATA_DIR ?= $(HOME)/.skiff

.PHONY: run setup build test unit-test e2e-test test-images bench bench-scheduler bench-controllers bench-agent

setup:
	bash scripts/setup.sh

build:
	swift build $(SWIFT_BUILD_FLAGS) --product skiff

run: setup build
	$$(swift build $(SWIFT_BUILD_FLAGS) --show-bin-path)/skiff server --data-dir $(DATA_DIR)

unit-test:
	swift test

# The end-to-end suite reuses the debug build `swift test` already made.
e2e-test:
	swift build --product skiff
	SKIFF_BIN=$$(swift build --show-bin-path)/skiff python3 -m pytest -q tests/e2e tests/images

test: setup unit-test e2e-test

# Stand-in images (busybox, nginx, postgres, pause, ...) in a local registry on 127.0.0.1:5000, for machines
# without internet access; see the script's header. TEST_REGISTRY_DIR holds its storage.
TEST_REGISTRY_DIR ?= /var/lib/skiff-test-registry
test-images:
	bash scripts/test-images.sh $(TEST_REGISTRY_DIR)

bench: build
	SKIFF_BIN=$$(swift build $(SWIFT_BUILD_FLAGS) --show-bin-path)/skiff python3 bench/api_server_bench.py

# 5000 hollow nodes, 10 000 pods: scheduling throughput and create-to-bound latency (see the script's header).
bench-scheduler: build
	SKIFF_BIN=$$(swift build $(SWIFT_BUILD_FLAGS) --show-bin-path)/skiff python3 bench/scheduler_bench.py

# 100 hollow nodes: a 1000-replica Deployment created, rolled, scaled to 10 000; idle CPU with 10 000 pods.
bench-controllers: build
	SKIFF_BIN=$$(swift build $(SWIFT_BUILD_FLAGS) --show-bin-path)/skiff python3 bench/controllers_bench.py

# The node agent with real containers (root, containerd): 100 pods create-to-Running latency, agent and containerd RSS.
bench-agent: build
	SKIFF_BIN=$$(swift build $(SWIFT_BUILD_FLAGS) --show-bin-path)/skiff python3 bench/agent_bench.py

# kube-ecs. `make help` lists the targets.

SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

ROOT := $(CURDIR)
BIN := $(ROOT)/bin
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/kube-ecs/kube-ecs/internal/version.Version=$(VERSION)
GO_BUILD := CGO_ENABLED=0 go build -trimpath -ldflags "$(LDFLAGS)"

CONTROLLER_GEN := $(BIN)/controller-gen
# envtest reads the control plane binaries from this folder.
ENVTEST_ASSETS := $(BIN)/k8s
export KUBEBUILDER_ASSETS := $(ENVTEST_ASSETS)

COMMANDS := manager agent activator kubectl-ecs

##@ General

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*##"; printf "Usage: make <target>\n"} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  %-14s %s\n", $$1, $$2 } /^##@/ { printf "\n%s\n", substr($$0, 5) }' $(MAKEFILE_LIST)

##@ Development

.PHONY: manifests
manifests: $(CONTROLLER_GEN) ## Generate the CRDs and RBAC from the API types and markers (and their copies in the Helm chart).
	$(CONTROLLER_GEN) crd paths="./api/..." output:crd:artifacts:config=config/crd/bases
	$(CONTROLLER_GEN) rbac:roleName=kube-ecs-manager paths="./controllers/..." paths="./cmd/manager/..." output:rbac:artifacts:config=config/rbac
	hack/chart-crds.sh

.PHONY: generate
generate: $(CONTROLLER_GEN) ## Generate the deepcopy functions of the API types.
	$(CONTROLLER_GEN) object:headerFile=hack/boilerplate.go.txt paths="./api/..."

.PHONY: fmt
fmt: ## Format the Go code.
	gofmt -s -w $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.local/*')

.PHONY: vet
vet: ## Run go vet (including the envtest, e2e and kwok build tags).
	go vet -tags envtest ./...
	go vet -tags e2e ./test/...
	go vet -tags kwok ./test/...

.PHONY: verify
verify: ## Fail when generated files or formatting are stale (regenerates them in place).
	hack/verify.sh

##@ Build

.PHONY: build
build: $(addprefix $(BIN)/,$(COMMANDS)) ## Build the manager, agent, activator and kubectl-ecs binaries.

$(BIN)/%: FORCE
	@mkdir -p $(BIN)
	$(GO_BUILD) -o $@ ./cmd/$*

.PHONY: FORCE
FORCE:

##@ Images

IMAGE_TAG ?= $(VERSION)
IMAGES_DIR := $(BIN)/images
LINUX_BIN := $(BIN)/linux-amd64
IMAGES := kube-ecs-manager:manager kube-ecs-agent:agent kube-ecs-activator:activator kube-ecs-test-workload:workload

.PHONY: docker-build
docker-build: ## Build the images (FROM scratch, one static binary, non-root) as tarballs in bin/images; no engine needed.
	@mkdir -p $(LINUX_BIN) $(IMAGES_DIR)
	@for img in $(IMAGES); do \
	  name=$${img%%:*}; cmd=$${img##*:}; src=./cmd/$$cmd; [ $$cmd = workload ] && src=./test/workload; \
	  echo "building $$name:$(IMAGE_TAG)"; \
	  CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build -trimpath -ldflags "$(LDFLAGS)" -o $(LINUX_BIN)/$$cmd $$src && \
	  go run ./hack/image --binary $(LINUX_BIN)/$$cmd --image $$name:$(IMAGE_TAG) --version $(IMAGE_TAG) \
	    --out $(IMAGES_DIR)/$$name-$(IMAGE_TAG).tar || exit 1; \
	done

##@ Test

.PHONY: test
test: verify vet test-envtest test-fuzz test-kwok bench-quick test-e2e ## Run every tier: generated files, vet, unit + envtest suites, a bounded fuzz run, placement at scale on kwok, the benchmarks small (kept working, speed not judged), then e2e on kind.

.PHONY: test-envtest
test-envtest: envtest-assets ## Run the unit and envtest suites (-tags envtest): the fast loop with an API server.
	go test -tags envtest ./... -count=1

.PHONY: test-fuzz
test-fuzz: ## Fuzz the cluster query language parser for a bounded time (FUZZTIME, default 20s).
	go test ./internal/placement/cql -run '^$$' -fuzz FuzzParse -fuzztime $(or $(FUZZTIME),20s)

.PHONY: test-kwok
test-kwok: ## The ECS scheduler at scale and Fargate mode: its own kwok cluster (30 EC2 + 4 Fargate simulated nodes), the manager as a process, every placement strategy measured, Spot interruption, a tenant.
	hack/kwok-test.sh

KWOKBENCH_FULL := -nodes 100 -service-sizes 100,500 -tasks 1000 -placement-tasks 1000 -runs 3 -settle 15s
BENCH_APPRUNNER := $(ROOT)/.local/bench-apprunner.json
KWOKBENCH_QUICK := -nodes 10 -service-sizes 20 -tasks 50 -placement-tasks 50 -memory-tasks 100 -services 5 -rollout-size 20 -idle 20s -idle-samples 2 -settle 5s -runs 1 -timeout 3m -out $(ROOT)/.local/bench-quick -alongside-idle 'sleep 1'

.PHONY: bench
bench: ## Every benchmark against its baseline: kwok (100 nodes; services of 100 and 500, 1000 tasks, placement, writes, rollout of 100, 3 runs; 5,000 tasks idle for 5 minutes, with the App Runner data plane on kind, 3 runs, meanwhile); writes bench/results.*; then the activator's loopback latency.
	go build -o $(BIN)/kwokbench ./test/bench/cmd/kwokbench
	rm -f $(BENCH_APPRUNNER)
	$(BIN)/kwokbench $(KWOKBENCH_FULL) -apprunner $(BENCH_APPRUNNER) \
		-alongside-idle "KUBE_ECS_BENCH_OUT=$(BENCH_APPRUNNER) E2E_FOCUS='App Runner data plane benchmark' hack/e2e.sh"
	go test ./test/bench/ -run '^$$' -bench . -benchtime 2000x

.PHONY: bench-quick
bench-quick: ## Run the kwok benchmark small (10 nodes, 1 run; results in .local/bench-quick) to keep it working, without judging speed.
	go build -o $(BIN)/kwokbench ./test/bench/cmd/kwokbench
	$(BIN)/kwokbench $(KWOKBENCH_QUICK)

.PHONY: test-unit
test-unit: ## Run the tests that need no API server.
	go test ./internal/... ./cmd/... -count=1

.PHONY: envtest-assets
envtest-assets: ## Build kube-apiserver, etcd, kubectl and helm from source for the tests (cached in bin/).
	hack/tools.sh kube-apiserver etcd kubectl helm
	@mkdir -p $(ENVTEST_ASSETS)
	@for t in kube-apiserver etcd kubectl; do ln -sfn ../$$t $(ENVTEST_ASSETS)/$$t; done

$(CONTROLLER_GEN):
	hack/tools.sh controller-gen

HELM := $(BIN)/helm
$(HELM):
	hack/tools.sh helm

.PHONY: helm-lint
helm-lint: $(HELM) ## Lint the Helm chart (charts/kube-ecs) with --strict.
	$(HELM) lint --strict charts/kube-ecs

.PHONY: tools
tools: ## Build every harness tool from source (Kubernetes, etcd, kwok, controller-gen, helm, kind).
	hack/tools.sh

##@ Local cluster

.PHONY: dev
dev: ## Start a kwok cluster on 127.0.0.1 with the CRDs, the manager and the samples.
	hack/dev.sh up

.PHONY: dev-down
dev-down: ## Stop everything `make dev` started.
	hack/dev.sh down

.PHONY: kind-up
kind-up: ## Start a real three-node kind cluster offline: EC2 node, Fargate and Fargate Spot pool nodes (Docker and containerd started by the script).
	hack/kind.sh up

.PHONY: kind-down
kind-down: ## Delete the kind cluster and stop every daemon kind-up started.
	hack/kind.sh down

.PHONY: test-e2e
test-e2e: ## Images, offline kind cluster, Helm install, the Ginkgo specs of test/e2e; always tears down.
	hack/e2e.sh

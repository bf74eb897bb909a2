# TAS MCP: operator and gateway. `make help` lists the targets.
SHELL := /bin/bash
NODE ?= node
PROFILE ?= api
NATS_NODES ?= 1


.PHONY: operator install deploy undeploy samples crds descriptor-set help setup deps build test test-unit test-e2e test-integration bench gateway run \
        cluster-binaries cluster-up cluster-down nats-up nats-down kind-up lint typecheck format clean

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

setup: cluster-binaries build ## check prerequisites, install npm dependencies, build the cached binaries and dist/

deps: ## check Node, and run npm ci when node_modules is missing or stale (a no-op otherwise)
	@bash tools/setup/prepare.sh --node-only

build: deps ## compile TypeScript to dist/
	npx tsc -p tsconfig.json

test: cluster-binaries build ## run the whole suite: unit, e2e, integration (first run on a fresh clone: installs and builds what is missing)
	@mkdir -p .run
	npx vitest run --reporter=default --reporter=json --outputFile.json=.run/test-report.json

test-unit: deps ## unit tests only
	npx vitest run --project unit

test-e2e: build ## end-to-end tests with real gateway processes
	npx vitest run --project e2e

test-integration: build ## integration tests against a real kube-apiserver
	npx vitest run --project integration

crds: build ## regenerate crds/ (and charts/tas-mcp/crds) from the API types in src/api
	$(NODE) dist/src/api/generate-crds.js

descriptor-set: ## regenerate proto/descriptor-set.binpb (what gRPC reflection serves) from proto/ with buf (component proto-tools)
	bash test/cluster/proto-tools/descriptor-set.sh

bench: build ## benchmarks; prints a table of ratios against a baseline measured in the same run
	$(NODE) dist/test/bench/run.js

# V8 sized for a gateway (src/config/node-options.ts; the image sets the same).
GATEWAY_NODE_OPTIONS ?= --v8-pool-size=2

gateway: build ## start one gateway standalone, configured from the environment
	$(NODE) $(GATEWAY_NODE_OPTIONS) dist/gateway/main.js

run: cluster-binaries build ## the whole product locally: control plane, operator, samples, gateways as processes
	$(NODE) dist/tools/local-run/main.js

operator: build ## run the operator in the foreground against the cluster KUBECONFIG names
	$(NODE) dist/operator/main.js

install: ## apply the CRDs to the cluster KUBECONFIG names
	kubectl apply --server-side -k config/crd

deploy: ## install the whole operator (CRDs, RBAC, Deployment) into the cluster KUBECONFIG names
	kubectl apply --server-side -k config/default

undeploy: ## remove the operator (leaves the CRDs and your McpServers)
	kubectl delete -k config/operator --ignore-not-found

samples: ## apply the sample McpServers and McpRoutes (two peered servers in team-a and team-b)
	kubectl apply --server-side -k config/samples

cluster-binaries: ## check prerequisites; build (or reuse) every test/cluster component: control plane, nats-server, grpcurl, argo-check, helm, ghz, buf, the Go client
	@bash tools/setup/prepare.sh

cluster-up: cluster-binaries build ## start a local control plane in the background (PROFILE=api|full)
	$(NODE) dist/test/harness/cli.js up --profile $(PROFILE)

cluster-down: build ## stop the local control plane started by cluster-up
	$(NODE) dist/test/harness/cli.js down

nats-up: build ## start a local JetStream server in the background (NATS_NODES=1|3); prints its URL last
	bash test/cluster/build.sh nats >/dev/null
	$(NODE) dist/test/harness/nats-cli.js up --nodes $(NATS_NODES)

nats-down: build ## stop the JetStream server started by nats-up (removes its store)
	$(NODE) dist/test/harness/nats-cli.js down

kind-up: ## create a kind cluster and load the images (needs Docker; not available on the CI machine)
	bash config/kind/up.sh

lint: deps ## ESLint (typescript-eslint, type-aware) and Prettier's check of the code
	npm run lint

typecheck: deps ## type-check everything without emitting
	npx tsc -p tsconfig.json --noEmit

format: deps ## format the tree with Prettier (not yet checked in CI)
	npm run format

clean: ## remove build output
	rm -rf dist

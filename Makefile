# resync — see README.md. `make test` is the whole suite, as CI runs it.
export PATH := $(PATH):/usr/local/go/bin
GO      ?= go
VERSION ?= $(shell sed -n 's/^- semver: *\([^-]*\)-1$$/\1/p' packaging/changelog.yaml | head -n 1)

.PHONY: build run test unit deps package e2e bench soak clean

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w -X main.version=$(VERSION)" -o bin/resync ./cmd/resync

# The embedded defaults: 127.0.0.1:8000, workers = auto, no Redis, no HWA.
run: build
	RESYNC_ENV_FILE= ./bin/resync serve

# Everything: unit and integration tests under the race detector, the
# packages, and the end-to-end test in real systemd.
test: deps unit package e2e

unit:
	$(GO) vet ./...
	$(GO) vet -tags testhooks ./...
	$(GO) test -race -count=1 -timeout 15m ./...

# System packages the tests use (installed only when missing; needs root).
deps:
	bash .ci/deps

package:
	sh packaging/package.sh

e2e: package
	sh packaging/e2e.sh

# resync on its defaults side by side with a plain net/http server and
# gunicorn + uvicorn + FastAPI, same run: writes docs/benchmarks.md and
# docs/benchmarks.svg (tests/bench/main.go lists the scenarios). Not part of
# `make test`; installs wrk, gunicorn and the Python packages when missing
# (root). BENCH_FLAGS='-rounds 5 -duration 10s' for longer.
bench:
	$(GO) run ./tests/bench -out docs $(BENCH_FLAGS)

# Steady load with a HUP every 30 s and recycling every few seconds, reporting
# failed requests and the RSS trend of the master and the workers.
DURATION ?= 10m
soak:
	$(GO) run ./tests/bench -soak $(DURATION)

clean:
	rm -rf bin dist

# resync — see README.md. `make test` is the whole suite, as CI runs it.
export PATH := $(PATH):/usr/local/go/bin
GO      ?= go
VERSION ?= $(shell sed -n 's/^- semver: *\([^-]*\)-1$$/\1/p' packaging/changelog.yaml | head -n 1)

.PHONY: build run test unit deps package e2e bench clean

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

# Throughput and memory side by side with a plain net/http server, same run.
bench:
	$(GO) run ./tests/bench

clean:
	rm -rf bin dist

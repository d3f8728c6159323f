# fleetup: build, test, lint.
#   make build      the fleetup binary in bin/
#   make test       unit + integration/e2e tests on the real test environment,
#                   with the race detector (builds the environment's binaries
#                   into a cache on first use, about 30 minutes on 2 cores; then
#                   it is reused)
#   make test-unit  only the fast tests (no environment), with the race detector
#   make testenv    build the test environment's binaries only
#   make lint       gofmt + go vet
#   make fuzz       run the fuzz targets for FUZZTIME each
#   make schema     regenerate docs/config.schema.json
#   make bench-install  install and uninstall benchmarks on the real environment (docs/benchmarks.md)

GO        ?= go
FUZZTIME  ?= 3m
export FLEETUP_TESTENV_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/fleetup/testenv

.PHONY: build test test-unit testenv lint fuzz schema bench bench-install clean

build:
	$(GO) build -trimpath -o bin/fleetup ./cmd/fleetup

testenv:
	scripts/testenv-build.sh >/dev/null

# -race needs cgo, so a C compiler (gcc) on the machine.
test: testenv
	FLEETUP_TESTENV=required $(GO) test -race -count=1 -timeout 60m ./...

test-unit:
	$(GO) test -short -race -count=1 ./...

lint:
	@out="$$(gofmt -l $$(git ls-files '*.go'))"; if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

fuzz:
	$(GO) test ./internal/config -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME)
	$(GO) test ./internal/catalog -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME)
	$(GO) test -short ./internal/kube -run '^$$' -fuzz FuzzDocumentsSplitLikeHelm -fuzztime $(FUZZTIME)
	$(GO) test ./internal/fleet -run '^$$' -fuzz FuzzFleetLoad -fuzztime $(FUZZTIME) -fuzzminimizetime 5s

schema:
	$(GO) test ./internal/config -run TestSchemaIsCurrent -update

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./internal/...

bench-install: testenv
	FLEETUP_TESTENV=required $(GO) test ./test/e2e -run '^$$' -bench 'Install|Uninstall' -benchtime 3x

clean:
	rm -rf bin

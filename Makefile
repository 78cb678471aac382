# Sesame: `make test` sets up everything the tests need on a fresh machine
# (Node packages, a PostgreSQL server) and runs every test.

GO       ?= go
BIN      := bin/sesame
PKGS     := ./...
# Seconds of coverage-guided fuzzing per target in `make fuzz` (not in test).
FUZZTIME ?= 20s

.PHONY: all build test test-go test-race test-deploy test-fuzz-seeds test-e2e e2e-deps bench bench-scale lint fuzz clean terraform-check

all: build

build:
	$(GO) build -o $(BIN) ./cmd/sesame

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

# Go tests on both storage backends. ensure-postgres.sh starts (or installs)
# PostgreSQL and prints the URL of a fresh throw-away database;
# ensure-docker-compose.sh installs Debian's docker-compose for the Compose
# override test, which then fails rather than skips without it; ensure-htpasswd.sh
# installs htpasswd for the BCRYPT import test (required too). Fuzz targets
# run their seed corpora as part of `go test`.
test-go:
	@bash scripts/ensure-docker-compose.sh
	@bash scripts/ensure-htpasswd.sh
	@set -e; url=$$(bash scripts/ensure-postgres.sh); \
	echo "SESAME_TEST_DATABASE_URL=$$url"; \
	SESAME_TEST_DATABASE_URL="$$url" SESAME_REQUIRE_COMPOSE=1 SESAME_REQUIRE_HTPASSWD=1 $(GO) test -count=1 -timeout 20m $(PKGS)

# The race detector over Sesame's packages, on SQLite: PostgreSQL's subtests
# skip here (the code the detector watches is the same on both backends, and
# test-go runs them). cmd/sesame is left out: its tests run Sesame as child
# processes, outside the detector. About 4 minutes on 2 cores.
test-race:
	$(GO) test -race -count=1 -timeout 20m ./internal/... ./pkg/...

# deploy/ read by the tools that use it: the Compose files by docker-compose,
# the systemd unit by systemd-analyze, the Helm chart by Helm's Go packages,
# the Dockerfile's build line by building with it. deploy/deploytest is a
# module of its own, so Sesame's module does not depend on Helm.
test-deploy:
	@bash scripts/ensure-deploy-tools.sh
	cd deploy/deploytest && $(GO) vet ./... && SESAME_REQUIRE_DEPLOY_TOOLS=1 $(GO) test -count=1 -timeout 10m ./...

# Node packages from the lock file, Debian's chromium for the browser tests
# (the tests run $CHROMIUM instead when it is set), and Debian's docker-compose,
# with which the Compose example is read as Docker would run it.
e2e-deps:
	@bash scripts/ensure-chromium.sh
	@bash scripts/ensure-docker-compose.sh
	cd e2e && npm ci --no-audit --no-fund --loglevel=error

test-e2e: build e2e-deps
	cd e2e && SESAME_BIN=$(CURDIR)/$(BIN) npm test

test: lint test-go test-race test-deploy test-e2e

# A short coverage-guided run of every fuzz target (seeds already run in test).
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

# The real okta/okta Terraform provider (built from the source at
# TF_PROVIDER_OKTA_SRC) and OpenTofu against a throw-away Sesame: apply, a
# clean second plan, destroy. A local check: it skips without the source.
terraform-check:
	bash e2e/terraform/check.sh

bench: build
	$(GO) run ./bench -sesame $(CURDIR)/$(BIN)

# The scale report (bench/README.md, "Scale"): seeds an org of a million
# users and 10M System Log events (about 13 GB on SQLite, an hour to seed) and compares every
# scenario with an empty org. BENCH_SCALE_FLAGS takes smaller sizes
# (-users 100000 -events 1000000) or -database-url for PostgreSQL.
bench-scale: build
	$(GO) run ./bench -sesame $(CURDIR)/$(BIN) -scale $(BENCH_SCALE_FLAGS)

clean:
	rm -rf bin e2e/node_modules

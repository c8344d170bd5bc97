# One entry point for developers and CI: `make test` installs what it needs and runs
# every check. `.ci/run` calls exactly `make test`.

CARGO ?= cargo
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
PROMTOOL ?= promtool
PYTHON ?= python3
# Bump deliberately: a new cargo-deny may read deny.toml differently.
CARGO_DENY_VERSION := 0.20.2
CARGO_DEB_VERSION := 3.8.0
# The binary `cargo test` builds (with the test features); the demo-stack and browser tests use it
# so that they do not rebuild it with other features.
TEST_BINARY := target/debug/jamf_exporter
# The browser test's Python packages (tests/requirements.txt), kept out of the system.
TEST_VENV := target/test-venv

.PHONY: test deps fmt clippy unit doc deny rules metrics-lint e2e calendar-check demo-stack-test browser-test golden run-demo demo-stack screenshots bench soak fuzz fuzz-seeds deb-tool
.PHONY: chart-test chart-files image-root image-test deb deb-test

test: deps fmt clippy unit doc deny rules metrics-lint e2e calendar-check demo-stack-test browser-test chart-test image-test deb-test
	@echo "make test: all checks passed"

# Installs only what is missing. From Debian: prometheus (Prometheus and promtool),
# prometheus-alertmanager (Alertmanager and amtool), chromium and chromium-driver (the browser
# test), python3-venv, umoci and ca-certificates (the image test). From rustup: rustfmt and
# clippy. From crates.io: cargo-deny and cargo-deb. From PyPI, into $(TEST_VENV): icalendar,
# selenium, helm-python-sdk and kubernetes-validate (tests/requirements.txt).
deps:
	@missing=""; \
	{ command -v promtool && command -v prometheus; } >/dev/null 2>&1 || missing="$$missing prometheus"; \
	command -v prometheus-alertmanager >/dev/null 2>&1 || missing="$$missing prometheus-alertmanager"; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v chromedriver >/dev/null 2>&1 || missing="$$missing chromium-driver"; \
	command -v umoci >/dev/null 2>&1 || missing="$$missing umoci"; \
	[ -s /etc/ssl/certs/ca-certificates.crt ] || missing="$$missing ca-certificates"; \
	command -v $(PYTHON) >/dev/null 2>&1 || missing="$$missing python3"; \
	$(PYTHON) -c 'import ensurepip, venv' >/dev/null 2>&1 || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then \
		echo "installing from Debian:$$missing"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
	@$(CARGO) fmt --version >/dev/null 2>&1 || rustup component add rustfmt
	@$(CARGO) clippy --version >/dev/null 2>&1 || rustup component add clippy
	@$(CARGO) deny --version 2>/dev/null | grep -qx "cargo-deny $(CARGO_DENY_VERSION)" || { \
		echo "installing cargo-deny $(CARGO_DENY_VERSION) from crates.io (a few minutes)"; \
		$(CARGO) install cargo-deny --locked --version $(CARGO_DENY_VERSION); }
	@$(CARGO) deb --version 2>/dev/null | grep -qx "cargo-deb $(CARGO_DEB_VERSION)" || { \
		echo "installing cargo-deb $(CARGO_DEB_VERSION) from crates.io (a few minutes)"; \
		$(CARGO) install cargo-deb --locked --version $(CARGO_DEB_VERSION); }
	@cmp -s tests/requirements.txt $(TEST_VENV)/requirements.txt || { \
		echo "installing the Python test packages (tests/requirements.txt) from PyPI into $(TEST_VENV)"; \
		rm -rf $(TEST_VENV) && $(PYTHON) -m venv $(TEST_VENV) && \
		$(TEST_VENV)/bin/pip install --disable-pip-version-check --progress-bar off -q -r tests/requirements.txt && \
		cp tests/requirements.txt $(TEST_VENV)/requirements.txt; }

fmt:
	$(CARGO) fmt --all --check

clippy:
	$(CARGO) clippy --all-targets --all-features -- -D warnings

unit:
	$(CARGO) test --all-targets

doc:
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --no-deps --quiet

# Licences, banned crates and sources; advisories need network access (docs/supply-chain.md).
deny:
	$(CARGO) deny check licenses bans sources

rules:
	$(PROMTOOL) check rules alerts/*.yml
	$(PROMTOOL) check config examples/prometheus.yml examples/prometheus-multi.yml examples/prometheus-sd.yml
	$(PROMTOOL) test rules alerts/tests/*.yml

# promtool lints the golden exposition; the two *_days_until_expiry gauges are in days
# on purpose (contract.md), so exactly those two findings are accepted.
metrics-lint:
	@out=$$($(PROMTOOL) check metrics < tests/golden/metrics.txt 2>&1); \
	rest=$$(printf '%s\n' "$$out" | grep -v -E '^(jamf_vpp_token_days_until_expiry|jamf_ade_token_days_until_expiry) use base unit "seconds" instead of "days"$$' | grep -v '^$$' || true); \
	if [ -n "$$rest" ]; then printf 'promtool check metrics found:\n%s\n' "$$rest"; exit 1; fi; \
	echo "promtool check metrics: only the two accepted days-unit findings"

# End to end: the exporter in demo mode, a real Prometheus and a real Alertmanager.
e2e:
	JAMF_E2E=1 $(CARGO) test --test e2e -- --nocapture

# The demo's /calendar.ics parsed by a real iCalendar parser (PyPI's icalendar, in the
# test virtual environment).
calendar-check:
	@$(CARGO) test --no-run --quiet --test e2e
	$(TEST_VENV)/bin/python tests/calendar_check.py $(TEST_BINARY)
# examples/demo-stack.sh as a newcomer runs it: SIGTERM and Ctrl-C must stop every process and
# free every port, and alerts must reach its webhook receiver (tests/demo-stack.sh).
demo-stack-test:
	@$(CARGO) test --no-run --quiet --test e2e
	JAMF_EXPORTER=$(TEST_BINARY) bash tests/demo-stack.sh

# The landing page in headless Chromium at 1280 and 390 px; screenshots in target/browser-test/.
browser-test:
	@$(CARGO) test --no-run --quiet --test e2e
	$(TEST_VENV)/bin/python tests/browser/landing_page.py $(TEST_BINARY) target/browser-test

# Rewrites docs/landing-1280.png and docs/landing-390.png (the browser test, saving into docs/).
screenshots:
	@$(CARGO) test --no-run --quiet --test e2e
	$(TEST_VENV)/bin/python tests/browser/landing_page.py $(TEST_BINARY) docs

# Packaging (docs/container.md, docs/kubernetes.md, docs/debian.md). The image and the Debian
# package share one static release build in target/static, apart from the debug build.
IMAGE_ROOT := target/image-test/root
STATIC_TARGET := x86_64-unknown-linux-gnu

# The Helm chart rendered, linted and validated offline (tests/chart/test_chart.py).
chart-test:
	PROMTOOL=$(PROMTOOL) $(TEST_VENV)/bin/python tests/chart/test_chart.py

# Helm reads only files inside the chart: it carries copies of the rules and dashboards, which
# chart-test compares with the originals. Run this after changing alerts/ or dashboards/.
chart-files:
	cp alerts/jamf.rules.yml charts/jamf-exporter/files/jamf.rules.yml
	rm -f charts/jamf-exporter/files/dashboards/*.json
	cp dashboards/*.json charts/jamf-exporter/files/dashboards/

# The static binary and the image's root, as the Dockerfile builds them.
image-root:
	CARGO=$(CARGO) packaging/image-root.sh $(IMAGE_ROOT)

# The image's root without a container daemon: the exporter alone in it, and an OCI image
# built with umoci (tests/image-test.sh; root for chroot and unshare).
image-test: image-root
	$(SUDO) env PYTHON=$(PYTHON) bash tests/image-test.sh $(IMAGE_ROOT)

# The Debian package from the same static binary, in target/debian/.
# It checks for cargo-deb first, so that a missing tool is said before the build starts.
deb: deb-tool image-root
	rm -rf target/debian
	CARGO_TARGET_DIR=target/static $(CARGO) deb --no-build --target $(STATIC_TARGET) --output target/debian/

deb-tool:
	@$(CARGO) deb --version 2>/dev/null | grep -qx "cargo-deb $(CARGO_DEB_VERSION)" || { \
		echo "make deb needs cargo-deb $(CARGO_DEB_VERSION); install it once with:"; \
		echo "  cargo install cargo-deb --locked --version $(CARGO_DEB_VERSION)"; \
		exit 1; }
	@echo "make deb: building the static release binary itself (target/static), then packaging it"

# Installs the package on this machine, checks it, and purges it (tests/deb-test.sh).
deb-test: deb
	$(SUDO) bash tests/deb-test.sh target/debian/prometheus-jamf-exporter_*.deb

# Rewrites tests/golden/metrics.txt from the demo data.
golden:
	UPDATE_GOLDEN=1 $(CARGO) test --test it golden

run-demo:
	$(CARGO) run --release -- --demo

# The demo exporter, Prometheus, Alertmanager and a webhook receiver that prints each delivered
# alert, on free ports; Ctrl-C stops them all (examples/demo-stack.sh).
demo-stack:
	@bash examples/demo-stack.sh

# Benchmarks and the soak (docs/benchmarks.md); not part of `make test`. They need wrk,
# nginx, curl and jq (Debian: apt-get install wrk nginx-light curl jq).
bench:
	$(CARGO) build --release --features bench
	bash bench/run.sh

# SOAK_SECONDS (default 3600), SOAK_DIR, SOAK_RATE: see bench/soak.sh.
soak:
	$(CARGO) build --release --features bench
	bash bench/soak.sh

# Fuzzing (docs/fuzzing.md); not part of `make test`. Each target runs FUZZ_SECONDS
# (default 180) on nightly, starting from its corpus in fuzz/corpus/<target>/.
FUZZ_SECONDS ?= 180
FUZZ_TARGETS ?= jamf_body dates durations web_config

fuzz:
	@rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
	@$(CARGO) fuzz --version >/dev/null 2>&1 || { echo "installing cargo-fuzz from crates.io"; $(CARGO) install cargo-fuzz --locked --quiet; }
	cd fuzz && for target in $(FUZZ_TARGETS); do \
		mkdir -p corpus/$$target && \
		$(CARGO) +nightly fuzz run $$target -- -max_total_time=$(FUZZ_SECONDS) || exit 1; \
	done

# Rewrites the seed-* files of the fuzz corpus from the demo data (src/demo/fuzz_seeds.rs).
fuzz-seeds:
	UPDATE_FUZZ_SEEDS=1 $(CARGO) test --lib fuzz_seeds

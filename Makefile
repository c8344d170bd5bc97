# One entry point for developers and CI: `make test` installs what it needs and runs
# every check. `.ci/run` calls exactly `make test`.

CARGO ?= cargo
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
PROMTOOL ?= promtool

.PHONY: test deps fmt clippy unit doc deny rules metrics-lint e2e golden run-demo bench soak fuzz fuzz-seeds

test: deps fmt clippy unit doc deny rules metrics-lint e2e
	@echo "make test: all checks passed"

# Debian's prometheus package brings promtool and Prometheus; prometheus-alertmanager
# brings Alertmanager and amtool. Installed only when missing.
deps:
	@if ! command -v promtool >/dev/null 2>&1 || ! command -v prometheus >/dev/null 2>&1 || ! command -v prometheus-alertmanager >/dev/null 2>&1; then \
		echo "installing prometheus and prometheus-alertmanager from Debian"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends prometheus prometheus-alertmanager >/dev/null; \
	fi
	@$(CARGO) fmt --version >/dev/null 2>&1 || rustup component add rustfmt
	@$(CARGO) clippy --version >/dev/null 2>&1 || rustup component add clippy
	@$(CARGO) deny --version >/dev/null 2>&1 || { echo "installing cargo-deny from crates.io"; $(CARGO) install cargo-deny --locked --quiet; }

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

# Rewrites tests/golden/metrics.txt from the demo data.
golden:
	UPDATE_GOLDEN=1 $(CARGO) test --test it golden

run-demo:
	$(CARGO) run --release -- --demo

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

#!/usr/bin/env bash
# Soak: the release exporter refreshing every second against a synthetic Jamf Pro while
# it is scraped at a high rate, sampling its memory, file descriptors and CPU every 10 s.
#
#   SOAK_SECONDS   how long to scrape (default 3600)
#   SOAK_DIR       where the CSV, logs and summary go (default $CARGO_TARGET_DIR/soak)
#   SOAK_RATE      scrapes per second (default 10)
#   SOAK_LOCATIONS, SOAK_APPS   the synthetic dataset (default 100 locations, 10 apps each)
#
# Writes $SOAK_DIR/samples.csv, $SOAK_DIR/summary.txt and the process logs.
# Run through `make soak`; not part of `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

SOAK_SECONDS=${SOAK_SECONDS:-3600}
SOAK_DIR=${SOAK_DIR:-$TARGET_DIR/soak}
SOAK_RATE=${SOAK_RATE:-10}
SOAK_LOCATIONS=${SOAK_LOCATIONS:-100}
SOAK_APPS=${SOAK_APPS:-10}
SAMPLE_SECONDS=10

need curl jq
check_binaries
mkdir -p "$SOAK_DIR"
# The binaries are copied so rebuilding during a long soak cannot change what runs.
cp "$EXPORTER_BIN" "$SOAK_DIR/jamf_exporter"
cp "$BENCH_BIN" "$SOAK_DIR/jamf_exporter_bench"
EXPORTER_BIN=$SOAK_DIR/jamf_exporter
BENCH_BIN=$SOAK_DIR/jamf_exporter_bench
trap stop_all EXIT

start_sim "$SOAK_DIR" "$SOAK_LOCATIONS" "$SOAK_APPS" 0
start_exporter "$SOAK_DIR" --refresh.interval 1s --collector.vpp_content
wait_ready "$EXPORTER_URL"

"$BENCH_BIN" scrape --url "$EXPORTER_URL/metrics" --seconds "$SOAK_SECONDS" \
	--rate "$SOAK_RATE" --concurrency 4 --gzip alternate \
	--progress-file "$SOAK_DIR/scrapes.json" >"$SOAK_DIR/scrape.log" 2>&1 &
SCRAPER_PID=$!
STARTED_PIDS+=("$SCRAPER_PID")

started_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)
start_seconds=$(date +%s)
{
	echo "started=$started_at"
	echo "revision=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
	echo "seconds_planned=$SOAK_SECONDS"
	echo "rate=$SOAK_RATE"
	echo "dataset=${SOAK_LOCATIONS}x${SOAK_APPS}"
} >"$SOAK_DIR/run.txt"

csv=$SOAK_DIR/samples.csv
echo "elapsed_s,rss_kb,hwm_kb,fds,threads,cpu_s,refreshes,scrapes_ok,scrape_errors" >"$csv"
sample() {
	local ok=0 errors=0
	if [ -f "$SOAK_DIR/scrapes.json" ]; then
		ok=$(jq -r .ok "$SOAK_DIR/scrapes.json")
		errors=$(jq -r .errors "$SOAK_DIR/scrapes.json")
	fi
	echo "$(($(date +%s) - start_seconds)),$(proc_kb "$EXPORTER_PID" VmRSS),$(proc_kb "$EXPORTER_PID" VmHWM),$(fd_count "$EXPORTER_PID"),$(threads "$EXPORTER_PID"),$(cpu_seconds "$EXPORTER_PID"),$(refreshes "$SOAK_DIR"),$ok,$errors" >>"$csv"
}
sample
while kill -0 "$SCRAPER_PID" 2>/dev/null; do
	sleep "$SAMPLE_SECONDS"
	kill -0 "$EXPORTER_PID" 2>/dev/null || { echo "soak: the exporter exited" >&2; break; }
	sample
done
wait "$SCRAPER_PID" || true

# Summary: first, last and extreme samples, and what the scraper and the logs saw.
awk -F, -v scrapes="$(tail -n1 "$SOAK_DIR/scrape.log")" '
	NR == 2 { start_rss = $2; start_fds = $4 }
	NR >= 2 {
		if ($2 > max_rss) max_rss = $2
		if ($4 > max_fds) max_fds = $4
		if (min_fds == "" || $4 < min_fds) min_fds = $4
		end_rss = $2; end_fds = $4; end_hwm = $3; elapsed = $1; cpu = $6; refreshes = $7; n++
		at[n] = $1; rss[n] = $2
	}
	END {
		# Mean RSS over the first and the last ten minutes: a leak shows as a gap.
		for (i = 1; i <= n; i++) {
			if (at[i] <= 600) { first += rss[i]; n_first++ }
			if (at[i] >= elapsed - 600) { last += rss[i]; n_last++ }
		}
		printf "samples=%d\nelapsed_s=%d\nstart_rss_kb=%d\nend_rss_kb=%d\nmax_rss_kb=%d\nhwm_kb=%d\n", n, elapsed, start_rss, end_rss, max_rss, end_hwm
		printf "mean_rss_first_10min_kb=%d\nmean_rss_last_10min_kb=%d\n", first / n_first, last / n_last
		printf "start_fds=%d\nend_fds=%d\nmin_fds=%d\nmax_fds=%d\ncpu_s=%s\nrefreshes=%d\nscraper=%s\n", start_fds, end_fds, min_fds, max_fds, cpu, refreshes, scrapes
	}' "$csv" >"$SOAK_DIR/summary.txt"
{
	echo "ended=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "exporter_warnings=$(grep -c 'level=warn' "$SOAK_DIR/exporter.log" || true)"
	echo "exporter_errors=$(grep -c 'level=error' "$SOAK_DIR/exporter.log" || true)"
	echo "failed_refreshes=$(grep 'refresh finished' "$SOAK_DIR/exporter.log" | grep -vc 'failed_collectors=0' || true)"
	echo "exporter_alive=$(kill -0 "$EXPORTER_PID" 2>/dev/null && echo yes || echo no)"
} >>"$SOAK_DIR/summary.txt"
cat "$SOAK_DIR/run.txt" "$SOAK_DIR/summary.txt"

#!/usr/bin/env bash
# The benchmarks of docs/benchmarks.md, in one run, ending with a results table.
#
#   WRK_SECONDS      length of each wrk run (default 15)
#   WRK_THREADS, WRK_CONNECTIONS   wrk's -t and -c (default 2 and 32)
#   BENCH_OUT        where logs, wrk output and results.txt go (default $CARGO_TARGET_DIR/bench)
#   BENCH_SECTIONS   which parts to run (default "http mem requests refresh fleet")
#   FLEET_TARGETS, FLEET_SIMS, FLEET_LATENCY_MS, FLEET_INTERVAL   the fleet part: targets,
#                    simulators, their latency and the refresh interval (default 1000, 20, 50, 300)
#
# Needs the release binaries (`cargo build --release --features bench`), curl, jq, wrk
# and nginx. Everything listens on 127.0.0.1. Run through `make bench`.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

WRK_SECONDS=${WRK_SECONDS:-15}
WRK_THREADS=${WRK_THREADS:-2}
WRK_CONNECTIONS=${WRK_CONNECTIONS:-32}
BENCH_OUT=${BENCH_OUT:-$TARGET_DIR/bench}
BENCH_SECTIONS=${BENCH_SECTIONS:-http mem requests refresh fleet}

need curl jq wrk nginx awk column ss
check_binaries
rm -rf "$BENCH_OUT"
mkdir -p "$BENCH_OUT"
BENCH_OUT=$(cd "$BENCH_OUT" && pwd)
RESULTS=$BENCH_OUT/results.tsv
printf 'benchmark\tmeasured\tgoal\tresult\n' >"$RESULTS"
NGINX_DIR=""
trap 'stop_all; if [ -n "$NGINX_DIR" ]; then rm -rf "$NGINX_DIR"; fi' EXIT

# row WHAT MEASURED GOAL RESULT
row() {
	printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$RESULTS"
}

# verdict VALUE OP LIMIT: "met" or "MISSED" (OP is one of <= >= < >).
verdict() {
	awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN {
		ok = (op == "<=" && v <= l) || (op == ">=" && v >= l) || (op == "<" && v < l) || (op == ">" && v > l)
		print (ok ? "met" : "MISSED")
	}'
}

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'
}

machine() {
	echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "revision: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
	echo "nproc: $(nproc)"
	echo "cpu: $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
	echo "kernel: $(uname -sr)"
	echo "memory: $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
	echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "wrk: -t$WRK_THREADS -c$WRK_CONNECTIONS -d${WRK_SECONDS}s; $(nginx -v 2>&1)"
}
machine | tee "$BENCH_OUT/machine.txt"

# --- 1. /metrics under wrk, against nginx serving the same bytes -------------------------

wrk_run() { # OUT URL identity|gzip
	local args=(-t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"${WRK_SECONDS}s" --latency)
	if [ "$3" = gzip ]; then
		args+=(-H 'Accept-Encoding: gzip')
	fi
	wrk "${args[@]}" "$2" >"$1"
}
wrk_rps() { awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$1"; }
wrk_p99_ms() {
	awk '$1 == "99%" {
		v = $2
		if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 }
		else if (v ~ /ms$/) { sub(/ms$/, "", v) }
		else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 }
		printf "%.2f", v
	}' "$1"
}
wrk_errors() {
	awk '/Non-2xx/ { n += $NF } /Socket errors/ { gsub(",", ""); n += $4 + $6 + $8 + $10 } END { print n + 0 }' "$1"
}

http_bench() {
	local dir=$BENCH_OUT/http locations=1000
	mkdir -p "$dir"
	echo "== /metrics throughput: $locations locations, exporter against nginx"
	start_sim "$dir" "$locations" 0 0
	start_exporter "$dir" --refresh.interval 1h
	wait_ready "$EXPORTER_URL"
	# nginx runs from a temporary directory: its configuration, pid file, logs, temporary
	# paths and the two saved bodies. Started as root, its workers run as nobody, so the
	# directory must be readable by anyone whatever the permissions above BENCH_OUT.
	local ngx www
	ngx=$(mktemp -d "${TMPDIR:-/tmp}/jamf-bench-nginx.XXXXXX")
	NGINX_DIR=$ngx
	www=$ngx/www
	mkdir -p "$www" "$ngx/tmp"
	chmod 755 "$ngx" "$www"
	curl -fsS -o "$www/metrics" "$EXPORTER_URL/metrics"
	curl -fsS -H 'Accept-Encoding: gzip' -o "$www/metrics.gz" "$EXPORTER_URL/metrics"
	chmod 644 "$www/metrics" "$www/metrics.gz"
	local port
	port=$(free_port)
	cat >"$ngx/nginx.conf" <<-CONF
		worker_processes $(nproc);
		pid $ngx/nginx.pid;
		error_log $ngx/error.log;
		events { worker_connections 1024; }
		http {
		    access_log off;
		    client_body_temp_path $ngx/tmp/body;
		    proxy_temp_path $ngx/tmp/proxy;
		    fastcgi_temp_path $ngx/tmp/fastcgi;
		    uwsgi_temp_path $ngx/tmp/uwsgi;
		    scgi_temp_path $ngx/tmp/scgi;
		    sendfile on;
		    tcp_nopush on;
		    keepalive_requests 1000000;
		    server {
		        listen 127.0.0.1:$port;
		        root $www;
		        location = /metrics {
		            default_type "text/plain; version=0.0.4; charset=utf-8";
		            gzip_static on;
		        }
		    }
		}
	CONF
	nginx -c "$ngx/nginx.conf" -p "$ngx" -g 'daemon off;' &
	local nginx_pid=$!
	STARTED_PIDS+=("$nginx_pid")
	local nginx_url=http://127.0.0.1:$port
	for _ in $(seq 1 100); do
		curl -fsS -o /dev/null "$nginx_url/metrics" 2>/dev/null && break
		sleep 0.1
	done
	cmp -s "$www/metrics" <(curl -fsS "$nginx_url/metrics") || { echo "bench: nginx does not serve the saved body" >&2; exit 1; }
	cmp -s "$www/metrics.gz" <(curl -fsS -H 'Accept-Encoding: gzip' "$nginx_url/metrics") || { echo "bench: nginx does not serve the saved gzip body" >&2; exit 1; }
	local size gz_size
	size=$(wc -c <"$www/metrics")
	gz_size=$(wc -c <"$www/metrics.gz")
	echo "body: $size bytes, $gz_size gzipped"

	local cpu_before cpu_after encoding
	cpu_before=$(cpu_seconds "$EXPORTER_PID")
	for encoding in identity gzip; do
		wrk_run "$dir/wrk-exporter-$encoding.txt" "$EXPORTER_URL/metrics" "$encoding"
		wrk_run "$dir/wrk-nginx-$encoding.txt" "$nginx_url/metrics" "$encoding"
		local e_rps n_rps e_p99 n_p99 errors
		e_rps=$(wrk_rps "$dir/wrk-exporter-$encoding.txt")
		n_rps=$(wrk_rps "$dir/wrk-nginx-$encoding.txt")
		e_p99=$(wrk_p99_ms "$dir/wrk-exporter-$encoding.txt")
		n_p99=$(wrk_p99_ms "$dir/wrk-nginx-$encoding.txt")
		errors=$(($(wrk_errors "$dir/wrk-exporter-$encoding.txt") + $(wrk_errors "$dir/wrk-nginx-$encoding.txt")))
		echo "$encoding: exporter $e_rps req/s p99 ${e_p99} ms; nginx $n_rps req/s p99 ${n_p99} ms; errors $errors"
		local throughput latency
		throughput=$(ratio "$e_rps" "$n_rps")
		latency=$(ratio "$n_p99" "$e_p99")
		row "/metrics $encoding throughput ($locations locations), exporter/nginx" \
			"$throughput ($e_rps vs $n_rps req/s)" ">= 0.5" "$(verdict "$throughput" ">=" 0.5)"
		row "/metrics $encoding p99 latency, nginx/exporter" \
			"$latency ($e_p99 vs $n_p99 ms)" ">= 0.5" "$(verdict "$latency" ">=" 0.5)"
		row "/metrics $encoding wrk errors (non-2xx and socket)" "$errors" "0" "$(verdict "$errors" "<=" 0)"
	done
	cpu_after=$(cpu_seconds "$EXPORTER_PID")
	echo "exporter CPU under wrk: $(awk -v a="$cpu_before" -v b="$cpu_after" 'BEGIN { printf "%.1f", b - a }') s; VmHWM $(kb_to_mb "$(proc_kb "$EXPORTER_PID" VmHWM)") MB"
	row "exporter peak RSS (VmHWM) after the wrk runs" "$(kb_to_mb "$(proc_kb "$EXPORTER_PID" VmHWM)") MB" "-" "-"
	stop_pid "$nginx_pid"
	stop_pid "$EXPORTER_PID"
	stop_pid "$SIM_PID"
	# Keep what was served and how, then remove the temporary directory.
	cp "$ngx/nginx.conf" "$ngx/error.log" "$www/metrics" "$www/metrics.gz" "$dir/"
	rm -rf "$ngx"
}

# --- 2. Memory and CPU ---------------------------------------------------------------------

# mem_bench NAME LOCATIONS APPS GOAL_MB [EXPORTER FLAGS...]
# Refreshes every 3 s. RSS is sampled after every refresh-and-scrape cycle; the goal is
# checked against the largest sample.
mem_bench() {
	local name=$1 locations=$2 apps=$3 goal=$4
	shift 4
	local dir=$BENCH_OUT/mem-$name cycles=6
	mkdir -p "$dir"
	echo "== memory and CPU: $name ($locations locations, $apps apps each)"
	start_sim "$dir" "$locations" "$apps" 0
	start_exporter "$dir" --refresh.interval 3s "$@"
	wait_ready "$EXPORTER_URL" 600
	wait_refreshes "$dir" 2

	# CPU per refresh: three refreshes with nothing else going on.
	local r0 c0 c1
	r0=$(refreshes "$dir")
	c0=$(cpu_ns "$EXPORTER_PID")
	wait_refreshes "$dir" $((r0 + 3))
	c1=$(cpu_ns "$EXPORTER_PID")
	local per_refresh refresh_only_rss
	per_refresh=$(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.1f", (b - a) / 3 / 1e6 }')
	refresh_only_rss=$(proc_kb "$EXPORTER_PID" VmRSS)

	# Then cycles of: a refresh, the first gzip scrape after it (which renders the new
	# snapshot), and a second one in the same second (which reuses it).
	local cold=0 warm=0 body=0 r samples=()
	for _ in $(seq 1 $cycles); do
		r=$(refreshes "$dir")
		wait_refreshes "$dir" $((r + 1))
		sleep 0.1
		c0=$(cpu_ns "$EXPORTER_PID")
		body=$(curl -fsS -H 'Accept-Encoding: gzip' -o /dev/null -w '%{size_download}' "$EXPORTER_URL/metrics")
		c1=$(cpu_ns "$EXPORTER_PID")
		cold=$((cold + c1 - c0))
		curl -fsS -H 'Accept-Encoding: gzip' -o /dev/null "$EXPORTER_URL/metrics"
		warm=$((warm + $(cpu_ns "$EXPORTER_PID") - c1))
		samples+=("$(proc_kb "$EXPORTER_PID" VmRSS)")
	done
	local text_size
	text_size=$(curl -fsS -o /dev/null -w '%{size_download}' "$EXPORTER_URL/metrics")
	"$BENCH_BIN" scrape --url "$EXPORTER_URL/metrics" --count 50 --concurrency 2 >"$dir/scrape.json"
	sleep 1
	samples+=("$(proc_kb "$EXPORTER_PID" VmRSS)")
	local hwm median max n_scrapes=$((2 * cycles + 51))
	hwm=$(proc_kb "$EXPORTER_PID" VmHWM)
	median=$(printf '%s\n' "${samples[@]}" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
	max=$(printf '%s\n' "${samples[@]}" | sort -n | tail -n1)
	local cold_ms warm_ms
	cold_ms=$(awk -v n="$cold" -v c="$cycles" 'BEGIN { printf "%.2f", n / c / 1e6 }')
	warm_ms=$(awk -v n="$warm" -v c="$cycles" 'BEGIN { printf "%.2f", n / c / 1e6 }')
	echo "refreshes: $(refreshes "$dir"); body $text_size bytes ($body gzipped)"
	echo "RSS samples (kB): ${samples[*]}; before any scrape $refresh_only_rss; VmHWM $hwm"
	echo "CPU: $per_refresh ms per refresh, $cold_ms ms first scrape after a refresh, $warm_ms ms next scrape"
	row "RSS, $name: median / largest of ${#samples[@]} samples ($(refreshes "$dir") refreshes, $n_scrapes scrapes)" \
		"$(kb_to_mb "$median") / $(kb_to_mb "$max") MB" "< $goal MB" "$(verdict "$(kb_to_mb "$max")" "<" "$goal")"
	row "RSS, $name: peak (VmHWM); before any scrape" "$(kb_to_mb "$hwm") MB; $(kb_to_mb "$refresh_only_rss") MB" "-" "-"
	row "exposition size, $name: text / gzip" "$(awk -v n="$text_size" 'BEGIN { printf "%.2f", n / 1048576 }') / $(awk -v n="$body" 'BEGIN { printf "%.2f", n / 1048576 }') MiB" "-" "-"
	row "CPU per refresh, $name" "$per_refresh ms" "-" "-"
	row "CPU per gzip scrape, $name: first after a refresh / next" "$cold_ms / $warm_ms ms" "-" "-"
	row "scrape errors, $name" "$(jq -r .errors "$dir/scrape.json")" "0" "$(verdict "$(jq -r .errors "$dir/scrape.json")" "<=" 0)"
	stop_pid "$EXPORTER_PID"
	stop_pid "$SIM_PID"
}

# --- 3. Jamf requests per refresh, and none from scrapes ---------------------------------

requests_bench() {
	local dir=$BENCH_OUT/requests locations=2000
	mkdir -p "$dir"
	echo "== Jamf requests: $locations locations"
	start_sim "$dir" "$locations" 0 0
	start_exporter "$dir" --refresh.interval 2s
	wait_ready "$EXPORTER_URL"
	wait_refreshes "$dir" 2
	# Read between refreshes: one ends just after a tick, the next starts 2 s later.
	sleep 0.9
	local s0 r0 s1 r1
	s0=$(curl -fsS "$SIM_CONTROL/stats")
	r0=$(refreshes "$dir")
	wait_refreshes "$dir" $((r0 + 3))
	sleep 0.9
	s1=$(curl -fsS "$SIM_CONTROL/stats")
	r1=$(refreshes "$dir")
	local n=$((r1 - r0))
	local total list tokens
	total=$(($(jq .total <<<"$s1") - $(jq .total <<<"$s0")))
	list=$(($(jq .vpp_list_requests <<<"$s1") - $(jq .vpp_list_requests <<<"$s0")))
	tokens=$(($(jq .tokens_issued <<<"$s1") - $(jq .tokens_issued <<<"$s0")))
	local list_per_refresh
	list_per_refresh=$(awk -v a="$list" -v n="$n" 'BEGIN { printf "%.2f", a / n }')
	echo "$n refreshes: $total requests ($list location lists, $tokens tokens); list query: $(jq -r '.vpp_list_queries | keys | join(" ")' <<<"$s1")"
	jq -r '.by_route' <<<"$s1" >"$dir/by_route.json"
	row "location list requests per refresh ($locations locations)" "$list_per_refresh" "1" "$(verdict "$list_per_refresh" "<=" 1)"
	row "Jamf requests per refresh, all default collectors" "$(awk -v a="$total" -v n="$n" 'BEGIN { printf "%.1f", a / n }') ($tokens new tokens in $n refreshes)" "-" "-"
	stop_pid "$EXPORTER_PID"

	# Scrapes never reach Jamf: count requests across 1000 scrapes with no refresh due.
	start_exporter "$dir" --refresh.interval 1h
	wait_ready "$EXPORTER_URL"
	sleep 0.5
	s0=$(curl -fsS "$SIM_CONTROL/stats")
	"$BENCH_BIN" scrape --url "$EXPORTER_URL/metrics" --count 1000 --concurrency 4 >"$dir/scrape.json"
	s1=$(curl -fsS "$SIM_CONTROL/stats")
	local from_scrapes=$(($(jq .total <<<"$s1") - $(jq .total <<<"$s0")))
	echo "requests during 1000 scrapes: $from_scrapes (scrape errors: $(jq -r .errors "$dir/scrape.json"))"
	row "Jamf requests caused by 1000 scrapes" "$from_scrapes" "0" "$(verdict "$from_scrapes" "<=" 0)"
	stop_pid "$EXPORTER_PID"
	stop_pid "$SIM_PID"
}

# --- 4. Per-app refresh time against its lower bound -------------------------------------

refresh_time_bench() {
	local dir=$BENCH_OUT/refresh-time locations=200 apps=200 latency_ms=50 concurrency=4
	mkdir -p "$dir"
	echo "== vpp_content refresh time: $locations locations, $apps apps, ${latency_ms} ms latency"
	start_sim "$dir" "$locations" "$apps" "$latency_ms"
	start_exporter "$dir" --refresh.interval 10s --collector.vpp_content
	wait_ready "$EXPORTER_URL" 600
	local route='.by_route["/api/v1/volume-purchasing-locations/{id}/content"] // 0'
	local c1 d1 c2 d2
	c1=$(sim_stat "$route")
	d1=$(metric "$EXPORTER_URL" jamf_collector_duration_seconds 'collector="vpp_content"')
	wait_refreshes "$dir" 2 600
	c2=$(sim_stat "$route")
	d2=$(metric "$EXPORTER_URL" jamf_collector_duration_seconds 'collector="vpp_content"')
	local requests=$((c2 - c1))
	local bound ratio_value
	bound=$(awk -v n="$requests" -v l="$latency_ms" -v c="$concurrency" 'BEGIN { printf "%.3f", n * l / 1000 / c }')
	ratio_value=$(ratio "$d2" "$bound")
	echo "first refresh: $c1 requests in $(awk -v d="$d1" 'BEGIN { printf "%.3f", d }') s; second: $requests requests in $(awk -v d="$d2" 'BEGIN { printf "%.3f", d }') s; bound $bound s"
	row "vpp_content refresh time / (requests x latency / $concurrency)" \
		"$ratio_value ($(awk -v d="$d2" 'BEGIN { printf "%.2f", d }') s for $requests requests, bound $bound s)" "<= 1.5" "$(verdict "$ratio_value" "<=" 1.5)"
	stop_pid "$EXPORTER_PID"
	stop_pid "$SIM_PID"
}

# --- 5. Many Jamf servers in one process (--config.file) -----------------------------------

FLEET_URLS=()
FLEET_CONTROLS=()

# Starts FLEET_SIMS simulators of LOCATIONS locations answering after LATENCY_MS each.
fleet_sims() {
	local dir=$1 sims=$2 locations=$3 latency=$4 s
	FLEET_URLS=()
	FLEET_CONTROLS=()
	for s in $(seq 0 $((sims - 1))); do
		mkdir -p "$dir/sim-$s"
		start_sim "$dir/sim-$s" "$locations" 0 "$latency"
		FLEET_URLS+=("$SIM_URL")
		FLEET_CONTROLS+=("$SIM_CONTROL")
	done
}

# Requests every simulator has received so far, summed.
fleet_requests() {
	local control total=0
	for control in "${FLEET_CONTROLS[@]}"; do
		total=$((total + $(curl -fsS "$control/stats" | jq .total)))
	done
	echo "$total"
}

# Writes a configuration file of N targets spread over the simulators, each with a customer
# label (as /sd would carry it).
fleet_config() {
	local file=$1 n=$2 interval=$3 secret=$4 i sims=${#FLEET_URLS[@]}
	{
		echo "defaults:"
		echo "  refresh_interval: $interval"
		echo "targets:"
		for i in $(seq 0 $((n - 1))); do
			printf '  - name: t%04d\n    url: %s\n    client_id: %s\n    client_secret_file: %s\n    labels: {customer: c%04d}\n' \
				"$i" "${FLEET_URLS[$((i % sims))]}" "$SIM_CLIENT_ID" "$secret" "$i"
		done
	} >"$file"
}

# ms VALUE: a wrk latency (e.g. 812.00us, 3.21ms, 1.02s) in milliseconds.
ms() {
	awk -v v="$1" 'BEGIN { u = v; sub(/[0-9.]+/, "", u); n = v + 0; if (u == "us") n /= 1000; else if (u == "s") n *= 1000; printf "%.2f", n }'
}

fleet_bench() {
	local dir=$BENCH_OUT/fleet n=${FLEET_TARGETS:-1000} sims=${FLEET_SIMS:-20} latency=${FLEET_LATENCY_MS:-50}
	local locations=20 interval=${FLEET_INTERVAL:-300}
	mkdir -p "$dir"
	echo "== many Jamf servers: $n targets of $locations locations each over $sims simulators answering after ${latency} ms, default --refresh.concurrency"
	fleet_sims "$dir" "$sims" "$locations" "$latency"
	printf '%s\n' "$SIM_CLIENT_SECRET" >"$dir/secret"
	chmod 600 "$dir/secret"

	# Probes never reach Jamf: 10 x 1000 probes with no refresh due.
	fleet_config "$dir/idle.yml" "$n" 1h "$dir/secret"
	launch_exporter "$dir" --config.file "$dir/idle.yml" --refresh.concurrency 16
	wait_ready "$EXPORTER_URL" 900
	sleep 0.5
	local s0 s1 i
	s0=$(fleet_requests)
	for i in $(seq 0 9); do
		"$BENCH_BIN" scrape --url "$EXPORTER_URL/probe?target=t$(printf '%04d' "$i")" --count 1000 --concurrency 4 >"$dir/probe-$i.json"
	done
	s1=$(fleet_requests)
	local from_probes=$((s1 - s0))
	local probe_errors
	probe_errors=$(cat "$dir"/probe-*.json | jq -s 'map(.errors) | add')
	echo "requests to Jamf during 10000 probes: $from_probes (probe errors: $probe_errors)"
	row "Jamf requests caused by 10000 probes ($n targets)" "$from_probes" "0" "$(verdict "$from_probes" "<=" 0)"
	row "probe errors in 10000 probes" "$probe_errors" "0" "$(verdict "$probe_errors" "<=" 0)"
	stop_pid "$EXPORTER_PID"

	# Every target on a ${interval}s schedule at the default concurrency: refreshed in time,
	# probes and /sd fast meanwhile.
	fleet_config "$dir/busy.yml" "$n" "${interval}s" "$dir/secret"
	local r0 r1
	r0=$(fleet_requests)
	launch_exporter "$dir" --config.file "$dir/busy.yml"
	local launched=$SECONDS
	wait_ready "$EXPORTER_URL" 900
	local first_round=$((SECONDS - launched))
	echo "every target's first refresh within ${first_round}s of start"
	wrk -t2 -c8 -d15s --latency "$EXPORTER_URL/probe?target=t0000" >"$dir/wrk-probe.txt"
	wrk -t1 -c2 -d10s --latency "$EXPORTER_URL/sd" >"$dir/wrk-sd.txt"
	local p99_ms sd_p99_ms sd_bytes
	p99_ms=$(ms "$(awk '$1 == "99%" { print $2 }' "$dir/wrk-probe.txt")")
	sd_p99_ms=$(ms "$(awk '$1 == "99%" { print $2 }' "$dir/wrk-sd.txt")")
	sd_bytes=$(curl -fsS "$EXPORTER_URL/sd" | tee "$dir/sd.json" | wc -c)
	[ "$(jq length "$dir/sd.json")" -eq "$n" ] || { echo "bench: /sd does not list $n targets" >&2; exit 1; }
	local rss_max=0 rss
	while [ $((SECONDS - launched)) -lt $((interval + 30)) ]; do
		rss=$(proc_kb "$EXPORTER_PID" VmRSS)
		[ "$rss" -gt "$rss_max" ] && rss_max=$rss
		sleep 1
	done
	r1=$(fleet_requests)
	# The oldest refresh of any target, seen through its probe.
	local now oldest=0 last age refreshed=0
	now=$(date +%s)
	for i in $(seq 0 $((n - 1))); do
		last=$(curl -fsS "$EXPORTER_URL/probe?target=t$(printf '%04d' "$i")" |
			awk '$1 == "jamf_exporter_last_refresh_timestamp_seconds" { print $2 }')
		age=$(awk -v now="$now" -v last="${last:-0}" 'BEGIN { printf "%d", now - last }')
		[ "$age" -gt "$oldest" ] && oldest=$age
		[ -n "$last" ] && refreshed=$((refreshed + 1))
	done
	local hwm
	hwm=$(proc_kb "$EXPORTER_PID" VmHWM)
	echo "probe p99 while refreshing: $p99_ms ms; /sd p99 $sd_p99_ms ms ($sd_bytes bytes); oldest refresh: ${oldest}s; $refreshed of $n refreshed; RSS max $(kb_to_mb "$rss_max") MB, VmHWM $(kb_to_mb "$hwm") MB; $((r1 - r0)) Jamf requests"
	row "probe p99 latency while $n targets refresh (wrk -t2 -c8)" "$p99_ms ms" "< 10 ms" "$(verdict "$p99_ms" "<" 10)"
	row "/sd p99 latency, $n targets, $sd_bytes bytes (wrk -t1 -c2)" "$sd_p99_ms ms" "< 50 ms" "$(verdict "$sd_p99_ms" "<" 50)"
	row "first refresh of all $n targets after start, default --refresh.concurrency" "${first_round} s" "<= $interval s" "$(verdict "$first_round" "<=" "$interval")"
	row "oldest last refresh of $n targets after $((interval + 30)) s, ${interval}s interval" "${oldest} s" "<= $interval s" "$(verdict "$oldest" "<=" "$interval")"
	row "RSS, $n targets x $locations locations: largest sample over $((interval + 30)) s; VmHWM" "$(kb_to_mb "$rss_max") MB; $(kb_to_mb "$hwm") MB" "<= 100 MB" "$(verdict "$(kb_to_mb "$rss_max")" "<=" 100)"
	stop_pid "$EXPORTER_PID"
	for i in "${STARTED_PIDS[@]}"; do
		stop_pid "$i"
	done
}

for section in $BENCH_SECTIONS; do
	case $section in
	http) http_bench ;;
	mem)
		mem_bench "1000 locations, vpp" 1000 0 20
		mem_bench "200 locations x 200 apps, vpp_content" 200 200 80 --collector.vpp_content
		# The same with glibc's dynamic mmap threshold turned off, which shows how much
		# of the RSS above is memory the allocator keeps rather than memory in use.
		EXPORTER_ENV=MALLOC_MMAP_THRESHOLD_=131072 mem_bench \
			"200 x 200, vpp_content, MALLOC_MMAP_THRESHOLD_=131072" 200 200 80 --collector.vpp_content
		;;
	requests) requests_bench ;;
	refresh) refresh_time_bench ;;
	fleet) fleet_bench ;;
	*)
		echo "bench: unknown section $section" >&2
		exit 1
		;;
	esac
done

echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$BENCH_OUT/machine.txt"
echo
column -t -s $'\t' "$RESULTS" | tee "$BENCH_OUT/results.txt"

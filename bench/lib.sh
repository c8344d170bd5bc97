# shellcheck shell=bash
# Shared helpers for bench/run.sh and bench/soak.sh; sourced, not run.
#
# Everything listens on 127.0.0.1 with ports chosen by the kernel. Every process started
# here is remembered by its pid and stopped by `stop_all` (installed as an EXIT trap).

TARGET_DIR=${CARGO_TARGET_DIR:-target}
EXPORTER_BIN=${EXPORTER_BIN:-$TARGET_DIR/release/jamf_exporter}
BENCH_BIN=${BENCH_BIN:-$TARGET_DIR/release/jamf_exporter_bench}
CLK_TCK=$(getconf CLK_TCK)
STARTED_PIDS=()

need() {
	for tool in "$@"; do
		if ! command -v "$tool" >/dev/null 2>&1; then
			echo "bench: $tool is missing (Debian: apt-get install $tool)" >&2
			exit 1
		fi
	done
}

check_binaries() {
	for bin in "$EXPORTER_BIN" "$BENCH_BIN"; do
		if [ ! -x "$bin" ]; then
			echo "bench: $bin is missing; run: cargo build --release --features bench" >&2
			exit 1
		fi
	done
}

stop_all() {
	local pid
	for pid in "${STARTED_PIDS[@]}"; do
		if kill -0 "$pid" 2>/dev/null; then
			kill "$pid" 2>/dev/null || true
			wait "$pid" 2>/dev/null || true
		fi
	done
	STARTED_PIDS=()
}

stop_pid() {
	if kill -0 "$1" 2>/dev/null; then
		kill "$1" 2>/dev/null || true
		wait "$1" 2>/dev/null || true
	fi
}

# start_sim DIR LOCATIONS APPS LATENCY_MS: starts a simulator and sets SIM_PID, SIM_URL,
# SIM_CLIENT_ID, SIM_CLIENT_SECRET and SIM_CONTROL.
start_sim() {
	local dir=$1 env_file=$1/sim.env
	rm -f "$env_file"
	"$BENCH_BIN" sim --locations "$2" --apps "$3" --latency-ms "$4" --env-file "$env_file" \
		>"$dir/sim.log" 2>&1 &
	SIM_PID=$!
	STARTED_PIDS+=("$SIM_PID")
	for _ in $(seq 1 600); do
		[ -f "$env_file" ] && break
		kill -0 "$SIM_PID" 2>/dev/null || { cat "$dir/sim.log" >&2; exit 1; }
		sleep 0.1
	done
	# shellcheck disable=SC1090
	. "$env_file"
}

# start_exporter DIR [FLAGS...]: starts the exporter against the current simulator on
# 127.0.0.1:0 and sets EXPORTER_PID and EXPORTER_URL (from its "listening" log line).
# EXPORTER_ENV may hold extra NAME=VALUE words for its environment.
# Starts the exporter with exactly these flags (plus a listen address on port 0); sets
# EXPORTER_PID and EXPORTER_URL.
launch_exporter() {
	local dir=$1
	shift
	: >"$dir/exporter.log"
	env ${EXPORTER_ENV:-} JAMF_CLIENT_SECRET="${SIM_CLIENT_SECRET:-}" "$EXPORTER_BIN" \
		--web.listen-address 127.0.0.1:0 "$@" >>"$dir/exporter.log" 2>&1 &
	EXPORTER_PID=$!
	STARTED_PIDS+=("$EXPORTER_PID")
	local address=""
	for _ in $(seq 1 600); do
		address=$(sed -n 's/.*msg=listening .*address=\([0-9.:]*\).*/\1/p; s/.*address=\([0-9.:]*\) .*msg=listening.*/\1/p' "$dir/exporter.log" | head -n1)
		[ -n "$address" ] && break
		kill -0 "$EXPORTER_PID" 2>/dev/null || { cat "$dir/exporter.log" >&2; exit 1; }
		sleep 0.1
	done
	[ -n "$address" ] || { echo "bench: the exporter never logged its address" >&2; exit 1; }
	EXPORTER_URL="http://$address"
}

# Starts the exporter against the simulator started last.
start_exporter() {
	local dir=$1
	shift
	launch_exporter "$dir" --jamf.url "$SIM_URL" --jamf.client-id "$SIM_CLIENT_ID" "$@"
}

# wait_ready URL [SECONDS]: waits for /-/ready.
wait_ready() {
	local limit=${2:-300}
	for _ in $(seq 1 $((limit * 10))); do
		curl -fsS -o /dev/null "$1/-/ready" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "bench: $1 not ready after ${limit}s" >&2
	exit 1
}

# refreshes DIR: refreshes finished so far, from the exporter's log.
refreshes() {
	grep -c 'refresh finished' "$1/exporter.log" || true
}

# wait_refreshes DIR COUNT [SECONDS]
wait_refreshes() {
	local limit=${3:-600}
	for _ in $(seq 1 $((limit * 10))); do
		[ "$(refreshes "$1")" -ge "$2" ] && return 0
		sleep 0.1
	done
	echo "bench: fewer than $2 refreshes after ${limit}s" >&2
	exit 1
}

# proc_kb PID FIELD: a field of /proc/PID/status in kB (VmRSS, VmHWM).
proc_kb() {
	awk -v field="$2:" '$1 == field { print $2 }' "/proc/$1/status"
}

fd_count() {
	find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l
}

threads() {
	awk '$1 == "Threads:" { print $2 }' "/proc/$1/status"
}

# cpu_seconds PID: user plus system CPU time so far.
cpu_seconds() {
	# The command name in field 2 may contain spaces; count fields after the last ')'.
	sed 's/.*) //' "/proc/$1/stat" | awk -v tck="$CLK_TCK" '{ printf "%.2f\n", ($12 + $13) / tck }'
}

# metric URL NAME [LABEL_TEXT]: the value of the first sample of NAME whose labels
# contain LABEL_TEXT (e.g. 'collector="vpp_content"'). awk reads the whole body, so curl
# never writes into a closed pipe.
metric() {
	curl -fsS "$1/metrics" | awk -v name="$2" -v labels="${3:-}" '
		$0 !~ /^#/ {
			series = $1; value = $NF
			for (i = 2; i < NF; i++) series = series " " $i
			split(series, parts, "{")
			if (!found && parts[1] == name && index(series, labels) > 0) { print value; found = 1 }
		}'
}

# sim_stat JQ_FILTER: a value from the simulator's request statistics.
sim_stat() {
	curl -fsS "$SIM_CONTROL/stats" | jq -r "$1"
}

kb_to_mb() {
	awk -v kb="$1" 'BEGIN { printf "%.1f", kb / 1024 }'
}

# cpu_ns PID: CPU time of the threads alive now, in nanoseconds (schedstat), for
# measuring short stretches precisely.
cpu_ns() {
	cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%d\n", s }'
}

# free_port: a TCP port no socket uses, below the kernel's range for outgoing
# connections so none can take it meanwhile.
free_port() {
	local low port
	low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range)
	while :; do
		port=$((10000 + RANDOM % (low - 10000)))
		if [ -z "$(ss -Htan "sport = :$port")" ]; then
			echo "$port"
			return
		fi
	done
}

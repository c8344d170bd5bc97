#!/usr/bin/env bash
# The test of examples/demo-stack.sh (`make demo-stack-test`, part of `make test`). It runs the
# script twice, as a newcomer would:
# 1. stops it with SIGTERM as soon as it is up;
# 2. waits until alerts have been delivered through Alertmanager to its webhook receiver, then
#    presses Ctrl-C: SIGINT to the whole process group, as a terminal sends it, so every child
#    gets it too. The script must then stop quietly, with status 0.
# Each time it checks that every process the script started is gone, its ports are free and its
# temporary directory is removed.
#
# Environment: JAMF_EXPORTER (a built binary; `make` passes the one `cargo test` built) and
# DEMO_STACK_TEST_LIMIT (seconds to wait for the alerts, default 240).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
limit=${DEMO_STACK_TEST_LIMIT:-240}
log=$(mktemp "${TMPDIR:-/tmp}/demo-stack-test.XXXXXX")
pid=
children=()

fail() {
	printf 'demo-stack-test: FAIL: %s\n--- output of examples/demo-stack.sh ---\n' "$*" >&2
	cat "$log" >&2
	exit 1
}
# Whatever happens, nothing this test started outlives it.
cleanup() {
	local p
	for p in "${children[@]}" $pid; do
		kill -KILL "$p" 2>/dev/null || true
	done
	[ -z "$pid" ] || kill -KILL -- "-$pid" 2>/dev/null || true
	rm -f "$log"
}
trap cleanup EXIT

start_stack() {
	: >"$log"
	# A background job of a non-interactive shell starts with SIGINT ignored, and bash cannot
	# trap a signal that was ignored on entry; `env --default-signal` gives the script what a
	# terminal gives. `setsid` makes it the leader of its own process group, the group a
	# terminal's Ctrl-C reaches.
	setsid env --default-signal=INT "$root/examples/demo-stack.sh" >"$log" 2>&1 &
	pid=$!
}

# LINE...: waits until the output holds every LINE.
wait_for_output() {
	local start=$SECONDS line missing
	while true; do
		kill -0 "$pid" 2>/dev/null || fail "the script exited before printing: $*"
		missing=()
		for line in "$@"; do
			grep -qF "$line" "$log" || missing+=("$line")
		done
		[ "${#missing[@]}" -eq 0 ] && return 0
		((SECONDS - start <= limit)) || fail "within ${limit}s, nothing printed: ${missing[*]}"
		sleep 1
	done
}

# SIGNAL STATUS TARGET: sends SIGNAL to the script alone (TARGET "script") or to its whole process
# group (TARGET "group", as a terminal's Ctrl-C), and checks that it exits with STATUS, says
# nothing that looks like a crash, and leaves nothing behind.
stop_and_check() {
	local signal=$1 expected=$2 target=$3 status=0 child port dir stopped=
	mapfile -t children < <(ps -o pid= --ppid "$pid" | tr -d ' ')
	[ "${#children[@]}" -ge 4 ] || fail "expected at least 4 child processes, found: ${children[*]}"
	mapfile -t ports < <(grep -oE 'http://127\.0\.0\.1:[0-9]+' "$log" | sed 's/.*://' | sort -u)
	[ "${#ports[@]}" -eq 4 ] || fail "expected 4 ports in the output, found: ${ports[*]}"
	dir=$(sed -n 's/^demo-stack: running; logs and data in \(.*\) (removed on exit)$/\1/p' "$log")
	[ -d "$dir" ] || fail "the output names no temporary directory"

	if [ "$target" = group ]; then
		kill -"$signal" -- "-$pid"
	else
		kill -"$signal" "$pid"
	fi
	for _ in $(seq 200); do
		if ! kill -0 "$pid" 2>/dev/null; then
			stopped=1
			break
		fi
		sleep 0.1
	done
	[ -n "$stopped" ] || fail "still running 20s after SIG$signal"
	wait "$pid" || status=$?
	pid=
	[ "$status" -eq "$expected" ] || fail "exit status $status after SIG$signal, expected $expected"
	grep -q '^demo-stack: stopped$' "$log" || fail "did not say it stopped"
	if grep -q 'exited; the end of its log' "$log"; then
		fail "reported a process as crashed after SIG$signal"
	fi

	for child in "${children[@]}"; do
		if kill -0 "$child" 2>/dev/null; then
			fail "process $child ($(ps -o args= -p "$child")) is still running after SIG$signal"
		fi
	done
	for port in "${ports[@]}"; do
		python3 -c '
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen()
' "$port" 2>/dev/null || fail "port $port is still in use after SIG$signal"
	done
	[ ! -e "$dir" ] || fail "$dir was not removed after SIG$signal"
	echo "demo-stack-test: SIG$signal stopped all ${#children[@]} processes, freed ports ${ports[*]} and removed $dir"
	children=()
}

start_stack
wait_for_output "Press Ctrl-C to stop everything."
stop_and_check TERM 143 script

start_stack
start=$SECONDS
# The demo's plain alerts, and the ones that need Prometheus to have seen the demo before its
# replayed upload of a wrong token; and, from the fleet of --demo.targets 3 found through /sd,
# an alert of demo-3 (its secret is refused) and of demo-2 (its ~40-day token is Soon under its
# own 45-day band), each with its customer label.
wait_for_output \
	"delivered to pager: FIRING critical JamfVppTokenExpired:" \
	"delivered to ticket: FIRING warning JamfVppTokenExpiringSoon:" \
	"delivered to pager: FIRING critical JamfVppLicensesDroppedToZero:" \
	"delivered to pager: FIRING critical JamfVppAppleLocationShared:" \
	"(customer northfield, instance demo-3)" \
	"(customer harbor, instance demo-2)" \
	"delivered to pager: FIRING critical JamfAppleTermsNotAccepted:" \
	"delivered to ticket: FIRING warning JamfVppTokenRenewedNotSynced:"
echo "demo-stack-test: alerts delivered after $((SECONDS - start))s"
stop_and_check INT 0 group

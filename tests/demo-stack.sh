#!/usr/bin/env bash
# The test of examples/demo-stack.sh (`make demo-stack-test`, part of `make test`): it starts the
# stack as a newcomer would, waits until alerts have been delivered through Alertmanager to the
# webhook receiver, presses Ctrl-C (SIGINT to the script), and checks that every process the
# script started is gone, its ports are free and its temporary directory is removed.
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
	rm -f "$log"
}
trap cleanup EXIT

# A background job of a non-interactive shell starts with SIGINT ignored, and bash cannot trap a
# signal that was ignored on entry; `env --default-signal` gives the script what a terminal gives.
env --default-signal=INT "$root/examples/demo-stack.sh" >"$log" 2>&1 &
pid=$!

# The demo's plain alerts, and the ones that need Prometheus to have seen the demo before its
# replayed upload of a wrong token.
wanted=(
	"delivered to pager: FIRING critical JamfVppTokenExpired:"
	"delivered to ticket: FIRING warning JamfVppTokenExpiringSoon:"
	"delivered to pager: FIRING critical JamfVppLicensesDroppedToZero:"
	"delivered to pager: FIRING critical JamfVppAppleLocationShared:"
)
start=$SECONDS
while true; do
	kill -0 "$pid" 2>/dev/null || fail "the script exited before delivering the alerts"
	missing=()
	for line in "${wanted[@]}"; do
		grep -qF "$line" "$log" || missing+=("$line")
	done
	[ "${#missing[@]}" -eq 0 ] && break
	if ((SECONDS - start > limit)); then
		fail "within ${limit}s, nothing printed: ${missing[*]}"
	fi
	sleep 1
done
echo "demo-stack-test: alerts delivered after $((SECONDS - start))s"

mapfile -t children < <(ps -o pid= --ppid "$pid" | tr -d ' ')
[ "${#children[@]}" -ge 4 ] || fail "expected at least 4 child processes, found: ${children[*]}"
mapfile -t ports < <(grep -oE 'http://127\.0\.0\.1:[0-9]+' "$log" | sed 's/.*://' | sort -u)
[ "${#ports[@]}" -eq 4 ] || fail "expected 4 ports in the output, found: ${ports[*]}"
dir=$(sed -n 's/^demo-stack: running; logs and data in \(.*\) (removed on exit)$/\1/p' "$log")
[ -d "$dir" ] || fail "the output names no temporary directory"

kill -INT "$pid"
stopped=
for _ in $(seq 200); do
	if ! kill -0 "$pid" 2>/dev/null; then
		stopped=1
		break
	fi
	sleep 0.1
done
[ -n "$stopped" ] || fail "still running 20s after SIGINT"
status=0
wait "$pid" || status=$?
pid=
[ "$status" -eq 130 ] || fail "exit status $status after SIGINT, expected 130"
grep -q '^demo-stack: stopped$' "$log" || fail "did not say it stopped"

for child in "${children[@]}"; do
	if kill -0 "$child" 2>/dev/null; then
		fail "process $child ($(ps -o args= -p "$child")) is still running"
	fi
done
for port in "${ports[@]}"; do
	python3 -c '
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen()
' "$port" 2>/dev/null || fail "port $port is still in use"
done
[ ! -e "$dir" ] || fail "$dir was not removed"
echo "demo-stack-test: Ctrl-C stopped all ${#children[@]} processes, freed ports ${ports[*]} and removed $dir"
children=()

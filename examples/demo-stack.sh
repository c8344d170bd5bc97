#!/usr/bin/env bash
# The whole alerting stack on one machine, in one command (`make demo-stack`):
# the demo exporter serving a fleet of three simulated Jamf Pro servers (--demo.targets 3),
# Prometheus finding them through the exporter's /sd with the shipped rules, Alertmanager with the routes of
# examples/alertmanager.yml, and a webhook receiver that prints each alert Alertmanager delivers.
#
#   examples/demo-stack.sh
#
# Everything listens on 127.0.0.1 on free ports, which are printed; Ctrl-C stops every process,
# removes the temporary directory and exits with status 0 (SIGTERM the same, with status 143). Needs prometheus and prometheus-alertmanager
# (Debian's packages; `make deps` installs them), python3 and cargo.
#
# Environment:
#   DEMO_STACK_FOR   the `for:` of every rule (default 30s; the shipped rules wait minutes to hours)
#   JAMF_EXPORTER    a built jamf_exporter binary to use instead of running `cargo build`
#   CARGO            the cargo command (default cargo)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
for_duration=${DEMO_STACK_FOR:-30s}
cargo=${CARGO:-cargo}

say() { printf 'demo-stack: %s\n' "$*"; }
die() {
	printf 'demo-stack: %s\n' "$*" >&2
	exit 1
}

prometheus=$(command -v prometheus) || die "prometheus not found; run \`make deps\` (Debian package prometheus)"
alertmanager=$(command -v prometheus-alertmanager || command -v alertmanager) ||
	die "prometheus-alertmanager not found; run \`make deps\` (Debian package prometheus-alertmanager)"
command -v python3 >/dev/null || die "python3 not found (it runs the webhook receiver)"

if [ -n "${JAMF_EXPORTER:-}" ]; then
	exporter=$JAMF_EXPORTER
else
	# The release build, as `make run-demo` uses: it does not replace the debug binary that
	# `cargo test` builds with the test features, so neither build undoes the other.
	say "building jamf_exporter (cargo build --release; the first build takes a few minutes)"
	(cd "$root" && $cargo build --release --bin jamf_exporter)
	exporter=${CARGO_TARGET_DIR:-$root/target}/release/jamf_exporter
fi
[ -x "$exporter" ] || die "$exporter is not an executable"

dir=$(mktemp -d "${TMPDIR:-/tmp}/jamf-demo-stack.XXXXXX")
names=()
pids=()

# Stops every process this script started, newest first, and waits for each to be gone.
stop_all() {
	local i pid
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
		kill -TERM "${pids[i]}" 2>/dev/null || true
	done
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
		pid=${pids[i]}
		for _ in $(seq 100); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then
			say "${names[i]} (pid $pid) did not stop within 10s; killing it"
			kill -KILL "$pid" 2>/dev/null || true
		fi
		wait "$pid" 2>/dev/null || true
	done
	pids=()
	rm -rf "$dir"
}
stopping=
on_signal() {
	stopping=1
	trap - INT TERM
	echo
	say "stopping"
	stop_all
	say "stopped"
	exit "$1"
}
# Ctrl-C is how a person ends the demo, not a failure.
trap 'on_signal 0' INT
trap 'on_signal 143' TERM
trap stop_all EXIT

# NAME COMMAND...: runs COMMAND in the background, its output in $dir/NAME.log.
start() {
	local name=$1
	shift
	"$@" >"$dir/$name.log" 2>&1 &
	names+=("$name")
	pids+=("$!")
}

# Prints the last lines of every log of a process that has exited, then fails.
check_alive() {
	local i
	for i in "${!pids[@]}"; do
		if ! kill -0 "${pids[i]}" 2>/dev/null; then
			# Ctrl-C in a terminal reaches every process of the group at once, so a child may end
			# before this script's own trap has run: give the trap a moment before calling it a crash.
			sleep 1 || true
			[ -z "$stopping" ] || return 0
			say "${names[i]} exited; the end of its log:" >&2
			tail -n 20 "$dir/${names[i]}.log" >&2 || true
			exit 1
		fi
	done
}

# NAME URL: waits up to 60 s until URL answers 200.
wait_ready() {
	local name=$1 url=$2
	for _ in $(seq 600); do
		check_alive
		if python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' "$url" 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	die "$name did not answer $url within 60s; its log is $dir/$name.log"
}

# Four free ports, asked from the kernel at once so they differ.
read -r exporter_port prometheus_port alertmanager_port webhook_port < <(python3 -c '
import socket
sockets = [socket.socket() for _ in range(4)]
for s in sockets:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in sockets))
')

# Alertmanager: the routes and inhibitions of examples/alertmanager.yml, short waits, and every
# receiver that sends anything posting to the webhook receiver instead. Clustering is off
# (--cluster.listen-address=), so nothing listens on the cluster port 9094.
sed -E -e 's/^([[:space:]]*)group_wait:.*/\1group_wait: 5s/' \
	-e 's/^([[:space:]]*)group_interval:.*/\1group_interval: 10s/' \
	"$root/examples/alertmanager.yml" |
	awk -v webhook="http://127.0.0.1:$webhook_port" '
		/^receivers:/ {
			print "receivers:"
			print "  - name: pager"
			print "    webhook_configs: [{url: \"" webhook "/pager\", send_resolved: true}]"
			print "  - name: ticket"
			print "    webhook_configs: [{url: \"" webhook "/ticket\", send_resolved: true}]"
			print "  - name: blackhole"
			skip = 1
			next
		}
		skip && /^[^[:space:]#]/ { skip = 0 }
		!skip { print }
	' >"$dir/alertmanager.yml"

# Prometheus: the shipped rules with every `for:` shortened, a 5 s scrape and evaluation interval.
sh "$root/alerts/make-fast-rules.sh" "$root/alerts/jamf.rules.yml" "$dir/jamf.rules.yml" "$for_duration"
cat >"$dir/prometheus.yml" <<EOF
global:
  scrape_interval: 5s
  evaluation_interval: 5s
rule_files:
  - $dir/jamf.rules.yml
alerting:
  alertmanagers:
    - static_configs:
        - targets: ['127.0.0.1:$alertmanager_port']
scrape_configs:
  # The rules select job="jamf". No target list: the exporter's /sd names each Jamf server,
  # with its customer label, as examples/prometheus-sd.yml does.
  - job_name: jamf
    http_sd_configs:
      - url: http://127.0.0.1:$exporter_port/sd
        refresh_interval: 5s
EOF

# The webhook receiver writes to this terminal: one line per delivered alert.
python3 "$root/examples/demo-stack-webhook.py" "$webhook_port" 2>"$dir/webhook.log" &
names+=(webhook)
pids+=("$!")
start alertmanager "$alertmanager" \
	--config.file="$dir/alertmanager.yml" \
	--storage.path="$dir/alertmanager-data" \
	--web.listen-address="127.0.0.1:$alertmanager_port" \
	--cluster.listen-address=
wait_ready alertmanager "http://127.0.0.1:$alertmanager_port/-/ready"

# The exporter starts just before Prometheus, so that Prometheus scrapes the demo's first
# refreshes, before the replayed upload of a wrong token; otherwise the licence drop and the
# location change cannot be seen.
start exporter "$exporter" --demo --demo.targets 3 --collector.vpp_content \
	--web.listen-address "127.0.0.1:$exporter_port" --refresh.interval 15s
wait_ready exporter "http://127.0.0.1:$exporter_port/-/ready"
start prometheus "$prometheus" \
	--config.file="$dir/prometheus.yml" \
	--storage.tsdb.path="$dir/prometheus-data" \
	--web.listen-address="127.0.0.1:$prometheus_port"
wait_ready prometheus "http://127.0.0.1:$prometheus_port/-/ready"

cat <<EOF
demo-stack: running; logs and data in $dir (removed on exit)
  exporter       http://127.0.0.1:$exporter_port/        three demo servers: demo-1 the district, demo-2 with a 45-day warning band,
                 demo-3 refusing the exporter's secret; /sd is what Prometheus discovers, /probe?target=NAME what it scrapes
  Prometheus     http://127.0.0.1:$prometheus_port/alerts  the rules, with every for: set to $for_duration
  Alertmanager   http://127.0.0.1:$alertmanager_port/        routes of examples/alertmanager.yml; clustering off, so no port 9094
  webhook        http://127.0.0.1:$webhook_port/pager and /ticket   prints below each alert Alertmanager delivers
The demo refreshes every 15s and replays the upload of a wrong token at its third refresh, about 30s
from now. Each alert is pending for $for_duration in Prometheus, then fires; Alertmanager delivers it after
its 5s group_wait, one notification per alert and location (critical to pager, warning to ticket),
each naming the server's customer label from /sd.
Press Ctrl-C to stop everything.
EOF

# Runs until a signal arrives (the traps stop everything) or a process exits on its own.
while true; do
	wait -n || true
	check_alive
done

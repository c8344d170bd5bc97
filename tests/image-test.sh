#!/bin/bash
# The container image without a container daemon (make image-test, as root):
#  1. the Dockerfile says what the contract asks (user, port, entry point, labels, version)
#     and builds its root with packaging/image-root.sh, the script that assembled ROOT;
#  2. the exporter runs alone in a copy of ROOT (chroot, own PID, mount, UTS and IPC
#     namespaces, user 65534) with --demo, and its /metrics and / answer;
#  3. in that root, a name from /etc/hosts reaches a Jamf stub on loopback: names resolve
#     without glibc's NSS (the pure-Rust resolver);
#  4. with umoci, the root becomes an OCI image whose config is checked.
#
#   bash tests/image-test.sh ROOT
set -euo pipefail

root=${1:?usage: tests/image-test.sh ROOT}
root=$(realpath "$root")
work=$(dirname "$root")/run
python=${PYTHON:-python3}
pids=()

fail() { echo "image-test: $*" >&2; exit 1; }
cleanup() {
	# unshare ignores SIGTERM while it waits, and --kill-child does not reach the exporter once
	# chroot has changed its user, so the exporter (unshare's child) is killed first.
	# The braces keep bash's "Killed" job notices out of the output.
	{
		for pid in "${pids[@]}"; do
			for child in $(pgrep -P "$pid" || true); do kill -KILL "$child" || true; done
			kill -KILL "$pid" || true
		done
		wait || true
	} 2>/dev/null
}
trap cleanup EXIT

[ "$(id -u)" -eq 0 ] || fail "needs root for chroot and unshare"

# 1. The Dockerfile.
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
grep -qx "ARG VERSION=$version" Dockerfile || fail "Dockerfile's ARG VERSION is not Cargo.toml's $version"
grep -qx 'FROM scratch' Dockerfile || fail "Dockerfile's last stage is not FROM scratch"
grep -qx 'USER 65534:65534' Dockerfile || fail "Dockerfile lacks USER 65534:65534"
grep -qx 'EXPOSE 10052' Dockerfile || fail "Dockerfile lacks EXPOSE 10052"
grep -qx 'ENTRYPOINT \["/jamf_exporter"\]' Dockerfile || fail "Dockerfile's ENTRYPOINT is not /jamf_exporter"
grep -q 'packaging/image-root.sh /rootfs' Dockerfile || fail "Dockerfile does not build its root with packaging/image-root.sh"
for label in source version revision licenses; do
	grep -q "org.opencontainers.image.$label=" Dockerfile || fail "Dockerfile lacks the label org.opencontainers.image.$label"
done
[ "$(find "$root" -type f | sort | sed "s|^$root||" | tr '\n' ' ')" = "/etc/group /etc/passwd /etc/ssl/certs/ca-certificates.crt /jamf_exporter " ] ||
	fail "unexpected files in $root: $(find "$root" -type f)"

free_port() { "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
get() { "$python" -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' "$1"; }
# Waits until URL answers and its body matches PATTERN (up to 60 s).
wait_for() {
	local url=$1 pattern=$2 body=""
	for _ in $(seq 1 120); do
		body=$(get "$url" 2>/dev/null || true)
		if printf '%s' "$body" | grep -qE "$pattern"; then return 0; fi
		sleep 0.5
	done
	fail "$url never matched /$pattern/; last answer:
$(printf '%s' "$body" | head -n 40)"
}
# Runs the image's entry point in the run root, as the image's user, with ARGS.
run_in_root() {
	unshare --pid --mount --uts --ipc --kill-child --mount-proc="$work/root/proc" \
		chroot --userspec=65534:65534 "$work/root" /jamf_exporter "$@" >>"$work/exporter.log" 2>&1 &
	pids+=($!)
}

# What a container runtime adds to the image's root: /proc, the devices every OCI runtime
# creates (the random number generators read /dev/urandom when a static binary cannot find
# glibc's getrandom), /etc/hosts and /etc/resolv.conf.
rm -rf "$work" && mkdir -p "$work"
cp -a "$root" "$work/root"
mkdir -p "$work/root/proc" "$work/root/dev"
mknod -m 0666 "$work/root/dev/null" c 1 3
mknod -m 0666 "$work/root/dev/random" c 1 8
mknod -m 0666 "$work/root/dev/urandom" c 1 9
printf '127.0.0.1 localhost\n127.0.0.1 jamf.image-test\n' >"$work/root/etc/hosts"
# No DNS server is reachable here; names in the test come from /etc/hosts.
printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"$work/root/etc/resolv.conf"

# 2. --demo, alone in the root.
port=$(free_port)
run_in_root --demo --web.listen-address="127.0.0.1:$port"
wait_for "http://127.0.0.1:$port/-/ready" '.'
wait_for "http://127.0.0.1:$port/metrics" '^jamf_up 1$'
metrics=$(get "http://127.0.0.1:$port/metrics")
for family in jamf_vpp_token_expiry_timestamp_seconds jamf_exporter_build_info process_resident_memory_bytes; do
	printf '%s\n' "$metrics" | grep -q "^$family" || fail "/metrics in the image root lacks $family"
done
get "http://127.0.0.1:$port/" | grep -q 'Action needed' || fail "the landing page in the image root lacks 'Action needed'"
echo "image-test: --demo serves /metrics and / from the image root"

# 3. A host name from the root's /etc/hosts reaches a Jamf stub outside the root.
"$python" tests/image/jamf_stub.py "$work/stub.port" >"$work/stub.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 50); do [ -s "$work/stub.port" ] && break; sleep 0.1; done
stub_port=$(cat "$work/stub.port")
port=$(free_port)
JAMF_CLIENT_SECRET=image-test run_in_root \
	--jamf.url="http://jamf.image-test:$stub_port" --jamf.client-id=image-test \
	--web.listen-address="127.0.0.1:$port"
wait_for "http://127.0.0.1:$port/metrics" '^jamf_version_info\{version="11.20.0"\} 1$'
get "http://127.0.0.1:$port/metrics" | grep -qx 'jamf_up 1' || fail "jamf_up is not 1 against the stub"
grep -qx "host jamf.image-test:$stub_port" "$work/stub.log" || fail "the stub saw no request for jamf.image-test"
echo "image-test: jamf.image-test from the root's /etc/hosts resolves without NSS"

# 4. The OCI image, offline.
if command -v umoci >/dev/null 2>&1; then
	oci=$work/oci
	revision=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
	umoci init --layout "$oci"
	umoci new --image "$oci:$version"
	umoci unpack --image "$oci:$version" "$work/bundle" >/dev/null
	cp -a "$root/." "$work/bundle/rootfs/"
	umoci repack --image "$oci:$version" "$work/bundle"
	# The config the Dockerfile sets, value for value.
	args=(--config.user=65534:65534 --config.entrypoint=/jamf_exporter --config.exposedports=10052/tcp)
	while IFS= read -r label; do args+=("--config.label=$label"); done < <(
		sed -n 's/^.*\(org\.opencontainers\.image\.[a-z]*\)="\([^"]*\)".*$/\1=\2/p' Dockerfile |
			sed -e "s/\$VERSION/$version/" -e "s/\$REVISION/$revision/")
	umoci config --image "$oci:$version" "${args[@]}"
	umoci gc --layout "$oci"
	"$python" tests/image/check_oci.py "$oci" "$version"
	echo "image-test: umoci built the OCI image in $oci"
else
	echo "image-test: umoci is not installed; the OCI image was not built (apt-get install umoci)"
fi

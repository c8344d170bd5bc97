#!/bin/sh
# Builds the static jamf_exporter and assembles the container image's root file system in
# ROOT (the argument). The Dockerfile's build stage runs exactly this script, and
# `make image-test` runs it on the host, so the tested root and the shipped image cannot drift.
#
# The binary is glibc linked statically (crt-static). Static glibc cannot load NSS modules,
# so host names are resolved by reqwest's pure-Rust hickory-dns resolver, which reads
# /etc/hosts and /etc/resolv.conf itself (the container runtime provides both).
#
# Environment: CARGO (default cargo), CA_BUNDLE (default the Debian bundle),
# STATIC_TARGET_DIR (default target/static: the different RUSTFLAGS would otherwise rebuild
# the normal debug build in target/).
set -eu

root=${1:?usage: packaging/image-root.sh ROOT}
cargo=${CARGO:-cargo}
ca_bundle=${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
target=x86_64-unknown-linux-gnu
target_dir=${STATIC_TARGET_DIR:-target/static}

RUSTFLAGS="-C target-feature=+crt-static" CARGO_TARGET_DIR="$target_dir" \
	"$cargo" build --release --locked --target "$target" --bin jamf_exporter
binary="$target_dir/$target/release/jamf_exporter"

# A dynamic binary would fail in the empty root with a confusing "no such file".
if readelf -l "$binary" | grep -q 'Requesting program interpreter'; then
	echo "image-root.sh: $binary is not static" >&2
	exit 1
fi
if [ ! -s "$ca_bundle" ]; then
	echo "image-root.sh: no CA bundle at $ca_bundle (Debian: apt-get install ca-certificates)" >&2
	exit 1
fi

rm -rf "$root"
mkdir -p "$root/etc/ssl/certs"
install -m 0755 "$binary" "$root/jamf_exporter"
# rustls-native-certs finds the system roots at this Debian path.
install -m 0644 "$ca_bundle" "$root/etc/ssl/certs/ca-certificates.crt"
# The user the image runs as (USER 65534:65534), named for tools that look it up.
printf 'nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n' >"$root/etc/passwd"
printf 'nogroup:x:65534:\n' >"$root/etc/group"
chmod 0644 "$root/etc/passwd" "$root/etc/group"

#!/bin/sh
# Writes a copy of a Prometheus rule file in which every alert's `for:` is replaced, so that an
# end-to-end test against a real Prometheus sees alerts fire at their first evaluation instead of
# waiting minutes or hours.
#
#   alerts/make-fast-rules.sh IN OUT [DURATION]
#
# DURATION defaults to 0s. Range windows ([1h], [1d]) are left alone: they only look back over
# the data that exists, so none of them delays an alert in a short test.
set -eu

if [ "$#" -lt 2 ] || [ "$#" -gt 3 ]; then
	echo "usage: $0 IN OUT [DURATION]" >&2
	exit 2
fi
in=$1
out=$2
duration=${3:-0s}

case $duration in
*[!0-9smhdwy]* | "")
	echo "$0: invalid duration: $duration" >&2
	exit 2
	;;
esac

sed -E "s/^([[:space:]]*)for:[[:space:]]*[^[:space:]#]+/\\1for: $duration/" "$in" >"$out"

#!/bin/bash
# The Debian package on this machine (make deb-test, as root): install it with dpkg, run the
# installed binary, check what it holds and that it started nothing, verify its systemd unit
# where systemd-analyze can, then purge it again.
#
#   bash tests/deb-test.sh PACKAGE.deb
set -euo pipefail

deb=${1:?usage: tests/deb-test.sh PACKAGE.deb}
name=prometheus-jamf-exporter
unit=/usr/lib/systemd/system/$name.service

fail() { echo "deb-test: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || fail "needs root for dpkg"

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
[ "$(dpkg-deb --field "$deb" Package)" = "$name" ] || fail "$deb is not $name"

trap 'dpkg --purge "$name" >/dev/null 2>&1 || true' EXIT
dpkg -i "$deb" >/dev/null

/usr/bin/jamf_exporter --version | grep -q "^jamf_exporter $version " ||
	fail "installed --version says: $(/usr/bin/jamf_exporter --version)"
for path in "$unit" /etc/default/$name /usr/share/$name/alerts/jamf.rules.yml; do
	[ -f "$path" ] || fail "$path is missing"
done
for dashboard in dashboards/*.json; do
	cmp -s "$dashboard" "/usr/share/$name/$dashboard" || fail "/usr/share/$name/$dashboard differs from $dashboard"
done
dpkg-query --control-show "$name" conffiles | grep -qE "^ */etc/default/$name( |$)" ||
	fail "/etc/default/$name is not a conffile"
getent passwd prometheus >/dev/null || fail "the prometheus user does not exist after installation"
[ "$(stat -c %a /etc/$name)" = 700 ] || fail "/etc/$name is not mode 0700"
# Installed, not configured: nothing may enable or start the service.
if compgen -G "/etc/systemd/system/*.wants/$name.service" >/dev/null; then
	fail "installing the package enabled the service"
fi
if [ -d /run/systemd/system ] && systemctl is-active -q "$name"; then
	fail "installing the package started the service"
fi

if command -v systemd-analyze >/dev/null 2>&1; then
	systemd-analyze verify "$unit" || fail "systemd-analyze verify $unit failed"
	echo "deb-test: systemd-analyze verify accepts $unit"
else
	echo "deb-test: systemd-analyze is not installed; the unit was not verified"
fi

dpkg --purge "$name" >/dev/null
[ ! -e /usr/bin/jamf_exporter ] || fail "purging left /usr/bin/jamf_exporter"
[ ! -e /etc/$name ] || fail "purging left /etc/$name"
echo "deb-test: $(basename "$deb") installs, runs --version $version and purges cleanly"

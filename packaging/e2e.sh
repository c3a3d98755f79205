#!/bin/sh
# End-to-end test of the packages in a real systemd: boots Debian trees with
# systemd-nspawn and drives apt/systemctl/journalctl inside them from a Go test
# (tests/e2e, build tag e2e). Runs as root. Needs dist/ from packaging/package.sh
# and the apt packages systemd-container debootstrap.
#
#   E2E_SUITES   suites to boot, in order (default "bookworm trixie")
#   E2E_CACHE    where the debootstrap trees are kept (default /var/cache/resync-e2e)
#   E2E_MIRROR   Debian mirror (default: the first one in this machine's apt sources)
#
# `packaging/e2e.sh --trees-only` only builds the cached trees; other arguments
# go to `go test` (e.g. -run 'TestE2E/bookworm').
set -eu
cd "$(dirname "$0")/.."

suites=${E2E_SUITES:-bookworm trixie}
cache=${E2E_CACHE:-/var/cache/resync-e2e}
export PATH="$PATH:/usr/local/go/bin"

[ "$(id -u)" = 0 ] || { echo "e2e.sh: must run as root (systemd-nspawn)" >&2; exit 1; }
for tool in systemd-nspawn debootstrap nsenter; do
	command -v "$tool" >/dev/null || { echo "e2e.sh: $tool not found (apt-get install systemd-container debootstrap)" >&2; exit 1; }
done

# mirror prints the Debian mirror this machine's apt already uses, so the test
# needs no network beyond what apt has.
mirror() {
	if [ -n "${E2E_MIRROR:-}" ]; then echo "$E2E_MIRROR"; return; fi
	m=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
		awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }')
	if [ -z "$m" ]; then
		m=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
			awk '$1 == "deb" && $2 !~ /^\[/ && $2 !~ /security/ { print $2; exit }
			     $1 == "deb" && $2 ~ /^\[/ && $3 !~ /security/ { print $3; exit }')
	fi
	echo "${m:-http://deb.debian.org/debian}"
}

# Trees are built once and booted with --volatile=overlay, so they stay clean.
# rpm is included for the rpm scriptlet test, redis-server (the package's
# Recommends) for production mode against a real Redis; procps is deliberately
# absent so a unit that needs /bin/kill fails here as it would on a minimal
# server. The stamp holds the package list, so changing it rebuilds the trees.
include=systemd,systemd-sysv,dbus,init-system-helpers,rpm,redis-server
tree_version="2 $include"
for suite in $suites; do
	root="$cache/$suite"
	if [ "$(cat "$root/.resync-e2e" 2>/dev/null)" != "$tree_version" ]; then
		rm -rf "$root" "$root.tmp"
		mkdir -p "$cache"
		echo "e2e.sh: debootstrap $suite from $(mirror) into $root"
		debootstrap --variant=minbase --include="$include" \
			"$suite" "$root.tmp" "$(mirror)" >"$cache/$suite.log" 2>&1 ||
			{ tail -n 30 "$cache/$suite.log" >&2; exit 1; }
		# No getty or network setup wanted in the container; resolv/hostname from the host.
		rm -f "$root.tmp/etc/hostname"
		echo "$tree_version" >"$root.tmp/.resync-e2e"
		mv "$root.tmp" "$root"
	fi
done

[ "${1:-}" = --trees-only ] && exit 0

if ! ls dist/resync_*.deb dist/resync-*.rpm >/dev/null 2>&1; then
	packaging/package.sh
fi
# The "previous version" for the upgrade test: this tree, packaged with a lower
# version, so the upgrade runs the maintainer scripts of both versions.
version=$(sed -n 's/^- semver: *\([^-]*\)-1$/\1/p' packaging/changelog.yaml | head -n 1)
rm -rf dist/prev
OUT=dist/prev VERSION="$version~prev" NOLINT=1 packaging/package.sh >/dev/null

roots=""
for suite in $suites; do roots="$roots${roots:+ }$cache/$suite"; done
E2E_ROOTS="$roots" E2E_DIST="$PWD/dist" exec go test -tags e2e -count=1 -v -timeout 20m ./tests/e2e/ "$@"

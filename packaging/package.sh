#!/bin/sh
# Builds dist/resync_<version>_<arch>.deb and dist/resync-<version>-1.<arch>.rpm
# from nfpm.yaml: a stripped, version-stamped binary, the units, the env file,
# the man pages. Then checks them: the env file and resync.env(5) against the
# settings in internal/config, the unit's `systemd-analyze security` exposure
# (1.5 at most), the man pages with `man --warnings`, lintian and rpmlint (zero
# errors; overrides only with a written reason). Each check runs when its tool
# is installed.
#
#   VERSION   package and binary version (default: the newest entry of
#             packaging/changelog.yaml; the package release is always 1)
#   OUT       output directory (default dist)
#   FORMATS   packagers to run (default "deb rpm")
#   NOLINT=1  skip the checks (used for the e2e "previous version" package)
set -eu
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

out=${OUT:-dist}
formats=${FORMATS:-deb rpm}
if [ -z "${VERSION:-}" ]; then
	# The changelog is the version's source of truth, as in Debian.
	VERSION=$(sed -n 's/^- semver: *\([^-]*\)-1$/\1/p' packaging/changelog.yaml | head -n 1)
fi
case "$VERSION" in [0-9]*) ;; *) echo "package.sh: VERSION must start with a digit: $VERSION" >&2; exit 1 ;; esac
ARCH=$(go env GOARCH)
export VERSION ARCH
nfpm="go run github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.45.2"

# nfpm.yaml takes its inputs from dist/build.
build=dist/build
rm -rf "$build"
mkdir -p "$build/man" "$out"

CGO_ENABLED=0 go build -trimpath -buildvcs=false \
	-ldflags "-s -w -X main.version=$VERSION" -o "$build/resync" ./cmd/resync

for page in man/*.md; do
	name=$(basename "$page" .md)
	go run github.com/cpuguy83/go-md2man/v2 -in "$page" -out "$build/man/$name"
	gzip -9n <"$build/man/$name" >"$build/man/$name.gz"
done

if [ "${NOLINT:-}" != 1 ]; then
	# Fails when packaging/env or resync.env(5) drift from internal/config.
	go test -count=1 ./packaging/
	if command -v systemd-analyze >/dev/null; then
		# The issue's bar: an exposure of 1.5 or less (--threshold is in tenths).
		security=$(systemd-analyze security --offline=yes --threshold=15 --no-pager systemd/resync.service) ||
			{ echo "$security" >&2; echo "package.sh: exposure above 1.5" >&2; exit 1; }
		echo "$security" | tail -n 1
	fi
	if command -v man >/dev/null; then
		for page in "$build"/man/*.[0-9]; do
			warnings=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
			[ -z "$warnings" ] || { echo "package.sh: $page: man warnings:" >&2; echo "$warnings" >&2; exit 1; }
		done
	fi
fi

for format in $formats; do
	rm -f "$out"/resync[_-]"$VERSION"-*."$format"
	$nfpm package --config nfpm.yaml --packager "$format" --target "$out/"
done

if [ "${NOLINT:-}" != 1 ]; then
	for deb in "$out"/resync_"$VERSION"-*_*.deb; do
		[ -e "$deb" ] || continue
		if command -v lintian >/dev/null; then
			# --fail-on error: warnings are reported, errors fail the build.
			lintian --fail-on error --info --display-info "$deb"
		fi
	done
	for rpm in "$out"/resync-"$VERSION"-*.rpm; do
		[ -e "$rpm" ] || continue
		if command -v rpmlint >/dev/null; then
			rpmlint -c packaging/rpmlint.toml "$rpm"
		fi
	done
fi
ls -l "$out"/resync[_-]"$VERSION"-*

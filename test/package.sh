#!/usr/bin/env bash
# package.sh — the Debian package, built from the committed tree and tested
# on a machine without it (as root: apt-get, debootstrap, chroot):
#   1. debian/changelog's upstream version is qrpay.control's default_version;
#   2. the build dependencies of debian/control are installed (apt-get
#      build-dep), and debian/control is what control.in makes of
#      debian/pgversions (pg_buildext checkcontrol);
#   3. `git archive HEAD` is unpacked into a temporary directory, with the
#      same archive as the orig tarball of the 3.0 (quilt) source format, and
#      `dpkg-buildpackage -us -uc -b` builds postgresql-15-qrpay_VERSION_amd64.deb
#      there (its regression suites run at build time, dh_pgxs_test); the
#      build runs the default make target only, never the unit and fuzz
#      targets of the Makefile (nor their clang and sanitizers);
#   4. lintian checks the result (errors fail, warnings are printed);
#   5. a minimal Debian 12 (debootstrap --variant=minbase bookworm) gets the
#      .deb from apt, which pulls PostgreSQL 15 and the libraries, and the
#      package's autopkgtest (debian/tests/installcheck: pg_buildext
#      installcheck) runs there in a directory that holds only the
#      regression suites and what they read: Makefile, sql/ and expected/,
#      test/data (\copy of qrpay_vectors), test/isolation, debian/control.in
#      and debian/tests.  No C source, object or built library is in it.
#
#   bash test/package.sh
#   QRPAY_DEBIAN_MIRROR=http://mirror.example/debian bash test/package.sh
#   QRPAY_PKG_KEEP=1 bash test/package.sh     keep the temporary directory
#
# Debian Policy §4.4 (debian/changelog), §5.6.12 (Version); DEP-5 (the
# machine-readable debian/copyright); DEP-8 (autopkgtest, debian/tests).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
	echo "test/package.sh: run as root (apt-get, debootstrap and chroot)" >&2
	exit 1
fi

# test/run's cluster is not this test's: pg_virtualenv makes its own
unset PGHOST PGPORT PGUSER PGDATABASE PGOPTIONS
mirror=${QRPAY_DEBIAN_MIRROR:-http://deb.debian.org/debian}
# the clusters of the build-time and the chroot's installcheck listen on
# localhost (pg_virtualenv): ports of their own, clear of a system cluster's 5432
build_port=54391 chroot_port=54392
aptget() { DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 "$@"; }

# --- 1. the package's version is the extension's ------------------------------
version=$(dpkg-parsechangelog -l debian/changelog -S Version)
upstream=${version%-*}
default_version=$(sed -n "s/^default_version = '\(.*\)'\$/\1/p" qrpay.control)
if [ "$upstream" != "$default_version" ]; then
	echo "debian/changelog is at $version, qrpay.control's default_version is $default_version" >&2
	exit 1
fi
echo "version: $version (default_version $default_version)"

# --- 2. build dependencies, debian/control from control.in -------------------
aptget update -qq
{
	aptget install -y -qq dpkg-dev debhelper lintian debootstrap git postgresql-common
	aptget build-dep -y -qq ./
} >/dev/null 2>&1 || { echo "apt-get could not install the build dependencies" >&2; exit 1; }
pg_buildext checkcontrol

work=$(mktemp -d /tmp/qrpay-pkg.XXXXXX)
# the build-time cluster runs as postgres and reads the package tree in it
chmod 755 "$work"
root=$work/root
cleanup() {
	local m
	# unmount what was mounted in the chroot, innermost first, before removing it
	for m in "$root/dev/shm" "$root/proc"; do
		if mountpoint -q "$m" 2>/dev/null; then umount "$m"; fi
	done
	if [ -n "${QRPAY_PKG_KEEP:-}" ]; then
		echo "kept: $work"
	elif ! findmnt -rn -o TARGET | grep -q "^$root/"; then
		rm -rf "$work"
	fi
}
trap cleanup EXIT

# --- 3. the package, from the committed tree ----------------------------------
src=$work/qrpay-$upstream
git archive --format=tar.gz --prefix="qrpay-$upstream/" -o "$work/qrpay_$upstream.orig.tar.gz" HEAD
tar -xzf "$work/qrpay_$upstream.orig.tar.gz" -C "$work"
start=$SECONDS
if ! (cd "$src" && PGPORT=$build_port dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1; then
	tail -60 "$work/build.log"
	echo "dpkg-buildpackage failed" >&2
	exit 1
fi
echo "dpkg-buildpackage: $((SECONDS - start)) s"
deb=$work/postgresql-15-qrpay_${version}_amd64.deb
[ -f "$deb" ] || { echo "no $deb" >&2; ls "$work" >&2; exit 1; }
grep -E "tests passed|failed" "$work/build.log" | sed 's/^/  build-time installcheck: /'
# the package's build runs the extension's targets only (PGXS's own clang
# call writes the JIT bitcode, as in every Debian PostgreSQL extension)
if grep -vE "^rm -rf " "$work/build.log" | grep -E "test/build|test/unit|test/fuzz|fsanitize"; then
	echo "the package build ran a unit or fuzz target" >&2
	exit 1
fi
# the library, the control file and a script that installs default_version
# (qrpay--V.sql, or an upgrade script qrpay--U--V.sql)
contents=$(dpkg-deb -c "$deb" | awk '{print $6}')
v=${default_version//./\\.}
for want in "/lib/qrpay\.so$" "/extension/qrpay\.control$" "/extension/qrpay--([0-9.]+--)?$v\.sql$"; do
	grep -qE "$want" <<<"$contents" || { echo "$deb has no file matching $want" >&2; exit 1; }
done

# --- 4. lintian -----------------------------------------------------------------
echo "lintian:"
lintian --pedantic --fail-on error "$work"/qrpay_"${version}"_amd64.changes 2>&1 \
	| grep -v "running with root privileges" | sed 's/^/  /' || true
lintian --fail-on error "$work"/qrpay_"${version}"_amd64.changes >/dev/null 2>&1 \
	|| { echo "lintian reported errors" >&2; exit 1; }

# --- 5. a minimal Debian 12 without the build tree ------------------------------
start=$SECONDS
debootstrap --variant=minbase bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 \
	|| { tail -30 "$work/debootstrap.log"; exit 1; }
# the point releases' and security updates: the package depends on the
# PostgreSQL minor release it was built against
cat >"$root/etc/apt/sources.list" <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
EOF
# no service starts inside the chroot (invoke-rc.d's policy-rc.d, exit 101)
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"
mount -t proc proc "$root/proc"
mount -t tmpfs -o mode=1777 shm "$root/dev/shm"
in_root() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }
cp "$deb" "$root/tmp/"
in_root apt-get update -qq
# the package and its autopkgtest's Depends (debian/tests/control)
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	"/tmp/$(basename "$deb")" make postgresql-common >"$work/chroot-apt.log" 2>&1 \
	|| { tail -30 "$work/chroot-apt.log"; exit 1; }
echo "chroot (debootstrap and apt): $((SECONDS - start)) s"
# the suites' directory: what make installcheck reads, nothing built
suites=$root/srv/qrpay-tests
mkdir -p "$suites/debian" "$suites/test"
cp -a "$src/Makefile" "$src/sql" "$src/expected" "$suites/"
rm -f "$suites"/sql/qrpay--*.sql
cp -a "$src/test/data" "$src/test/isolation" "$suites/test/"
cp -a "$src/debian/control.in" "$src/debian/tests" "$suites/debian/"
start=$SECONDS
if ! in_root env PGPORT=$chroot_port bash -c 'cd /srv/qrpay-tests && debian/tests/installcheck' \
	>"$work/installcheck.log" 2>&1; then
	tail -80 "$work/installcheck.log"
	echo "the installed package's installcheck failed" >&2
	exit 1
fi
grep -E "tests passed|failed|^### " "$work/installcheck.log" | sed 's/^/  installed: /'
echo "installed package's installcheck: $((SECONDS - start)) s"
echo "package: $(basename "$deb") built, installed on Debian 12 and tested"

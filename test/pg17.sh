#!/usr/bin/env bash
# pg17.sh — builds qrpay against PostgreSQL 17 and runs its pg_regress suites
# and isolation specs there, in a Debian 13 (trixie) chroot: trixie packages
# PostgreSQL 17 (postgresql-17, postgresql-server-dev-17) from the same Debian
# archive that packages 15 for Debian 12.  Run as root (debootstrap, chroot,
# mount).
#   1. debootstrap --variant=minbase trixie into a fresh directory under /tmp;
#      the pristine chroot is kept as a tarball (QRPAY_DEBIAN_CACHE, by
#      default /tmp/qrpay-debian-cache), and so is the chroot once the build
#      dependencies are installed, so that a second run only unpacks it;
#   2. the committed tree (git archive HEAD) is copied in, built with
#      warnings as errors against 17's pg_config and installed;
#   3. a throwaway cluster is started as postgres (socket under /tmp in the
#      chroot, no TCP listener) and `make installcheck` runs every pg_regress
#      suite and every isolation spec; PostgreSQL 17's output is compared
#      with expected/NAME.out or, where 17 legitimately differs,
#      expected/NAME_1.out (pg_regress accepts either).
# It prints the server's version and the suites' result, and exits non-zero
# when any suite fails.  It also says whether the chroot's archive packages
# PostgreSQL 16 (neither Debian 12 nor 13 does).
#
#   sudo bash test/pg17.sh
#   QRPAY_DEBIAN_MIRROR=http://mirror.example/debian sudo bash test/pg17.sh
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
	echo "pg17.sh: run as root (debootstrap, chroot and mount need it)" >&2
	exit 1
fi
# debootstrap makes the chroot; git archive copies the committed tree in
for tool in debootstrap git; do
	if ! command -v $tool >/dev/null; then
		echo "installing: $tool"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $tool >/dev/null
	fi
done

suite=trixie
major=17
mirror=${QRPAY_DEBIAN_MIRROR:-http://deb.debian.org/debian}
cache=${QRPAY_DEBIAN_CACHE:-/tmp/qrpay-debian-cache}
pgbin=/usr/lib/postgresql/$major/bin
pg_config=$pgbin/pg_config
# build and test dependencies, Debian package names in trixie
packages=("postgresql-$major" "postgresql-server-dev-$major" libqrencode-dev libpng-dev
	build-essential pkg-config)
pristine=$cache/$suite-minbase.tar
deps=$cache/$suite-pg$major-$(echo "${packages[*]}" | sha256sum | cut -c1-12).tar

start=$(date +%s)
root=$(mktemp -d /tmp/qrpay-pg17.XXXXXX)
mounted=""
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
	local m
	for m in $mounted; do
		umount -l "$root/$m" 2>/dev/null || true
	done
	# nothing may still be mounted under the chroot when it is removed
	if ! grep -q " $root/" /proc/mounts; then
		rm -rf "$root"
	else
		echo "pg17.sh: $root still has mounts, left in place" >&2
	fi
}
trap cleanup EXIT
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 HOME=/root "$@"; }

mkdir -p "$cache"
chmod 700 "$cache"
# the diffs and results of an earlier failed run would mislead
rm -rf "$cache/last-diffs" "$cache/last-results"
if [ -f "$deps" ]; then
	echo "== chroot with build dependencies from $deps"
	tar -x -C "$root" -f "$deps"
else
	if [ -f "$pristine" ]; then
		echo "== pristine $suite chroot from $pristine"
		tar -x -C "$root" -f "$pristine"
	else
		echo "== debootstrap --variant=minbase $suite ($mirror)"
		debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$root.debootstrap.log" 2>&1 \
			|| { tail -30 "$root.debootstrap.log"; rm -f "$root.debootstrap.log"; exit 1; }
		rm -f "$root.debootstrap.log"
		tar -C "$root" -c -f "$pristine.tmp" . && mv "$pristine.tmp" "$pristine"
	fi
fi

# the chroot's / is walked by apt's _apt user and by postgres
chmod 755 "$root"
for m in proc sys dev; do
	mkdir -p "$root/$m"
	case $m in
	proc) mount -t proc proc "$root/proc" ;;
	sys) mount -t sysfs sys "$root/sys" ;;
	dev) mount --bind /dev "$root/dev" ;;
	esac
	mounted="$m $mounted"
done
cp /etc/resolv.conf "$root/etc/resolv.conf"

if [ ! -f "$deps" ]; then
	echo "== apt-get install ${packages[*]}"
	# no daemon starts in the chroot (Debian Policy, section 9.3.3.1: invoke-rc.d
	# consults policy-rc.d, and 101 forbids the action); the packaged cluster
	# is not created either, the test makes its own
	printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
	chmod 755 "$root/usr/sbin/policy-rc.d"
	mkdir -p "$root/etc/postgresql-common/createcluster.d"
	echo "create_main_cluster = false" >"$root/etc/postgresql-common/createcluster.d/qrpay.conf"
	in_root apt-get update -qq
	in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"${packages[@]}" >"$root/tmp/apt.log" 2>&1 || { tail -40 "$root/tmp/apt.log"; exit 1; }
	in_root apt-get clean
	rm -f "$root/tmp/apt.log"
	tar -C "$root" --exclude=./proc/* --exclude=./sys/* --exclude=./dev/* -c -f "$deps.tmp" . \
		&& mv "$deps.tmp" "$deps"
fi

# PostgreSQL 16: Debian 13 packages 17 only (and Debian 12 only 15)
candidate() { in_root apt-cache policy "$1" | awk '/Candidate:/ {print $2}'; }
pg16=$(candidate postgresql-16)
echo "== Debian $suite packages postgresql-$major $(candidate "postgresql-$major"); postgresql-16: ${pg16:-not packaged}"

echo "== build and install against $("$root$pg_config" --version 2>/dev/null || in_root "$pg_config" --version)"
mkdir -p "$root/root/qrpay"
git archive HEAD | tar -x -C "$root/root/qrpay"
# installcheck runs as postgres, which writes results/ into the tree
chmod 711 "$root/root"
in_root chown -R postgres:postgres /root/qrpay
in_root sh -c "cd /root/qrpay && make -s -j$(nproc) PG_CONFIG=$pg_config PROFILE=-Werror all >/tmp/build.log 2>&1" \
	|| { cat "$root/tmp/build.log"; echo "pg17.sh: build against PostgreSQL $major failed"; exit 1; }
in_root sh -c "cd /root/qrpay && make -s PG_CONFIG=$pg_config install >/tmp/install.log 2>&1" \
	|| { cat "$root/tmp/install.log"; exit 1; }

echo "== cluster and make installcheck"
as_pg() { in_root runuser -u postgres -- "$@"; }
pgdir=/tmp/qrpay-pg
mkdir -p "$root$pgdir"
in_root chown postgres:postgres "$pgdir"
as_pg sh -c "cd $pgdir && $pgbin/initdb -D $pgdir/data -U postgres -A trust -E UTF8 \
	--locale=C.UTF-8 --no-sync >$pgdir/initdb.log 2>&1" || { cat "$root$pgdir/initdb.log"; exit 1; }
as_pg sh -c "cd $pgdir && $pgbin/pg_ctl -D $pgdir/data -l $pgdir/server.log -w \
	-o \"-c listen_addresses='' -k $pgdir -p 54329 -c fsync=off -c max_parallel_workers_per_gather=2\" \
	start >/dev/null" || { cat "$root$pgdir/server.log"; exit 1; }
# shellcheck disable=SC2317  # invoked by the EXIT trap
stop_cluster() {
	as_pg sh -c "cd $pgdir && $pgbin/pg_ctl -D $pgdir/data -m fast -w stop >/dev/null 2>&1" || true
	cleanup
}
trap stop_cluster EXIT
version=$(as_pg "$pgbin/psql" -X -h "$pgdir" -p 54329 -d postgres -Atc "select version()")
echo "== server: $version"

status=0
as_pg sh -c "cd /root/qrpay && PGHOST=$pgdir PGPORT=54329 PGUSER=postgres \
	make -s PG_CONFIG=$pg_config installcheck >/tmp/installcheck.log 2>&1" || status=$?
grep -E '^(ok|not ok|test |     )|tests (passed|failed)|All [0-9]+ tests' "$root/tmp/installcheck.log" || true
for diffs in "$root/root/qrpay/regression.diffs" "$root/root/qrpay/output_iso/regression.diffs"; do
	if [ -s "$diffs" ]; then
		echo "== ${diffs#"$root/root/qrpay/"} (first 300 lines)"
		head -300 "$diffs"
		# kept for review outside the chroot, which is removed on exit
		mkdir -p "$cache/last-diffs"
		cp "$diffs" "$cache/last-diffs/$(basename "$(dirname "$diffs")")-regression.diffs"
	fi
done
if grep -Eq 'terminated by signal|PANIC:' "$root$pgdir/server.log"; then
	echo "== server log: a backend was terminated by a signal"
	grep -E -B2 -A2 'terminated by signal|PANIC:' "$root$pgdir/server.log" | head -40
	status=1
fi
if [ "$status" != 0 ]; then
	tail -5 "$root/tmp/installcheck.log"
	# 17's output, for review against expected/ (and expected/NAME_1.out)
	rm -rf "$cache/last-results"
	mkdir -p "$cache/last-results/isolation"
	cp -r "$root/root/qrpay/results/." "$cache/last-results/" 2>/dev/null || true
	cp -r "$root/root/qrpay/output_iso/results/." "$cache/last-results/isolation/" 2>/dev/null || true
	echo "17's results: $cache/last-results"
fi

echo
echo "qrpay on PostgreSQL $major ($version): make installcheck $([ "$status" = 0 ] && echo passed || echo FAILED)" \
	"in $(($(date +%s) - start)) s"
exit "$status"

#!/usr/bin/env bash
# Builds and installs Citus for the distributed tests when the server has
# none: from the tarball in CITUS_TARBALL (default: the newest
# ../shared/deps/citus-*.tar.gz beside the project), into the server tree
# that PGBIN belongs to (a private copy when QRPAY_DESTDIR is set).
#
# Citus 13.x supports PostgreSQL 15.  Two facts about building 13.2.2 against
# Debian 12's PostgreSQL 15.20:
#  - configure --without-libcurl (no usage reports); columnar needs zstd.h
#    and lz4, and the server headers include gssapi/gssapi.h (libkrb5-dev);
#  - PostgreSQL 15.20 declares have_createdb_privilege() in
#    commands/dbcommands.h, while Citus's pg_version_compat.h still defines a
#    static inline copy for 15: that copy is dropped from the unpacked tree.
#
# Exit status: 0 installed (or already there), 2 no tarball (the caller
# says why it skips), 1 a build failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
. test/cluster.sh

CITUS_PACKAGES="libzstd-dev liblz4-dev libkrb5-dev"
# the server's own pg_config: in a private copy it prints the copy's paths
# (PostgreSQL finds them relative to its binaries), which is where the
# library goes, as make install puts the system's paths under DESTDIR
libdir=$("$PGBIN/pg_config" --pkglibdir 2>/dev/null || true)
[ -n "$libdir" ] || libdir=${QRPAY_DESTDIR:-}$(pg_config --pkglibdir)
if [ -f "$libdir/citus.so" ]; then
	exit 0
fi
if [ -z "${CITUS_TARBALL:-}" ]; then
	CITUS_TARBALL=$(ls -1 ../shared/deps/citus-*.tar.gz 2>/dev/null | sort -V | tail -n 1 || true)
fi
if [ -z "${CITUS_TARBALL:-}" ] || [ ! -f "$CITUS_TARBALL" ]; then
	echo "Citus is not installed and no source tarball was found" \
		"(set CITUS_TARBALL=/path/to/citus-13.x.tar.gz, or install Citus 13 from its packages)" >&2
	exit 2
fi
# shellcheck disable=SC2086
qrpay_deps $CITUS_PACKAGES
src=$(mktemp -d /tmp/qrpay-citus-src.XXXXXX)
trap 'rm -rf "$src"' EXIT
tar -xzf "$CITUS_TARBALL" -C "$src" --strip-components=1
compat=$src/src/include/pg_version_compat.h
if grep -q 'extern bool have_createdb_privilege' "$(pg_config --includedir-server)/commands/dbcommands.h" 2>/dev/null \
	&& grep -q '^have_createdb_privilege(void)' "$compat"; then
	# drop "static inline bool\nhave_createdb_privilege(void)\n{...}" (up to the closing brace)
	awk '
		/^static inline bool$/ { held = $0; next }
		held != "" && /^have_createdb_privilege\(void\)$/ { skip = 1; held = ""; next }
		held != "" { print held; held = "" }
		skip { if ($0 ~ /^}$/) skip = 0; next }
		{ print }' "$compat" >"$compat.new"
	mv "$compat.new" "$compat"
fi
echo "building Citus from $(basename "$CITUS_TARBALL") (a few minutes)"
(
	cd "$src"
	./configure --without-libcurl PG_CONFIG="$(command -v pg_config)" >configure.log 2>&1 \
		|| { tail -n 30 configure.log; exit 1; }
	make -s -j"$(nproc)" >make.log 2>&1 || { grep -E 'error|Error' make.log | head -n 30; exit 1; }
	make -s install ${QRPAY_DESTDIR:+DESTDIR=$QRPAY_DESTDIR} >install.log 2>&1 \
		|| { tail -n 30 install.log; exit 1; }
)
echo "Citus installed into $libdir"

# Shared by test/run, demo/run and bench/run: dependencies and a throwaway
# PostgreSQL 15 cluster.  Source it; it defines functions and changes nothing.
#
#   qrpay_deps [PKG...]   install build and test dependencies and PKGs (apt-get, as root)
#   qrpay_install         build with warnings as errors and install the extension
#   qrpay_cluster_start   initdb + start a private cluster; exports PGHOST etc.
#   qrpay_bench_cluster_start   deps, install and a cluster set up for timing
#   qrpay_cluster_stop    stop it and remove its directory (also on exit)

# QRPAY_DESTDIR installs the extension into a private copy of the server
# tree instead of the system's (PostgreSQL finds its share and lib
# directories relative to its binaries), so that several checkouts can be
# tested side by side; the cluster then runs from that copy.
if [ -n "${QRPAY_DESTDIR:-}" ]; then
	PGBIN=$QRPAY_DESTDIR/usr/lib/postgresql/15/bin
fi
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
QRPAY_PACKAGES="build-essential clang libclang-rt-14-dev postgresql-15 postgresql-contrib \
postgresql-server-dev-15 postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl \
libqrencode-dev libpng-dev zbar-tools librsvg2-bin pkg-config xxd"
# only test/run needs these: the report test opens a page in a headless browser
# and astyle checks the C layout (make format-check)
QRPAY_TEST_PACKAGES="chromium astyle"

qrpay_deps() {
	local missing=""
	for p in $QRPAY_PACKAGES "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
			|| missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" != 0 ]; then
		echo "missing packages:$missing" >&2
		echo "run as root (or: sudo apt-get install -y$missing)" >&2
		return 1
	fi
	echo "installing:$missing"
	DEBIAN_FRONTEND=noninteractive apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
}

qrpay_install() {
	if [ -n "${QRPAY_DESTDIR:-}" ] && [ ! -x "$PGBIN/postgres" ]; then
		mkdir -p -m 755 "$QRPAY_DESTDIR/usr/lib/postgresql" "$QRPAY_DESTDIR/usr/share/postgresql"
		cp -a /usr/lib/postgresql/15 "$QRPAY_DESTDIR/usr/lib/postgresql/"
		cp -a /usr/share/postgresql/15 "$QRPAY_DESTDIR/usr/share/postgresql/"
	fi
	make -s PROFILE="-Werror" all && make -s install ${QRPAY_DESTDIR:+DESTDIR=$QRPAY_DESTDIR}
}

# The server refuses to run as root, so it runs as the postgres user; the
# clients (make installcheck, psql, pg_prove) connect over a socket in a
# private directory under /tmp.  No TCP listener is opened.
qrpay_cluster_start() {
	QRPAY_PGDIR=$(mktemp -d /tmp/qrpay-pg.XXXXXX)
	local as=""
	if [ "$(id -u)" = 0 ]; then
		chown postgres:postgres "$QRPAY_PGDIR"
		as="runuser -u postgres --"
	fi
	# the server's tools run from the cluster's own directory: the caller's
	# (root's home, say) may be closed to the postgres user
	pushd "$QRPAY_PGDIR" >/dev/null
	$as "$PGBIN/initdb" -D "$QRPAY_PGDIR/data" -U postgres -A trust -E UTF8 \
		--locale=C.UTF-8 --no-sync >"$QRPAY_PGDIR/initdb.log" 2>&1 \
		|| { cat "$QRPAY_PGDIR/initdb.log"; return 1; }
	$as "$PGBIN/pg_ctl" -D "$QRPAY_PGDIR/data" -l "$QRPAY_PGDIR/server.log" -w \
		-o "-c listen_addresses='' -k $QRPAY_PGDIR -p 54329 -c fsync=off \
		    -c max_parallel_workers_per_gather=2 ${QRPAY_PGOPTS:-}" start >/dev/null \
		|| { cat "$QRPAY_PGDIR/server.log"; return 1; }
	popd >/dev/null
	export PGHOST=$QRPAY_PGDIR PGPORT=54329 PGUSER=postgres PGDATABASE=postgres
	trap qrpay_cluster_stop EXIT
}

# The cluster a benchmark starts when it runs alone (bench/gin.sh,
# bench/match.sh, bench/statements.sh; bench/run passes its own): one
# backend per query, no JIT, checkpoints out of the timed work.
qrpay_bench_cluster_start() {
	qrpay_deps
	qrpay_install
	QRPAY_PGOPTS="-c shared_buffers=1GB -c max_parallel_workers_per_gather=0 -c jit=off \
-c max_wal_size=8GB -c checkpoint_timeout=1h ${QRPAY_PGOPTS:-}"
	qrpay_cluster_start
}

qrpay_cluster_stop() {
	[ -n "${QRPAY_PGDIR:-}" ] && [ -d "$QRPAY_PGDIR" ] || return 0
	local as=""
	[ "$(id -u)" = 0 ] && as="runuser -u postgres --"
	(cd "$QRPAY_PGDIR" && $as "$PGBIN/pg_ctl" -D "$QRPAY_PGDIR/data" -m fast -w stop >/dev/null 2>&1)
	rm -rf "$QRPAY_PGDIR"
	QRPAY_PGDIR=
}

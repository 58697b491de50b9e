# A Citus cluster on this machine for the distributed tests and benchmark:
# a coordinator and QRPAY_CITUS_WORKERS workers (default 2), each its own
# PostgreSQL cluster started as the postgres user with
# shared_preload_libraries = 'citus', listening on 127.0.0.1 only, on ports
# QRPAY_CITUS_PORT (coordinator, default 54340) and the next ones.  Source it
# after test/cluster.sh; it defines functions and changes nothing.
#
#   qrpay_citus_start   initdb + start every node, join the workers to the
#                       coordinator; exports PGHOST/PGPORT for the coordinator
#                       and QRPAY_CITUS_PORTS (all nodes' ports)
#   qrpay_citus_stop    stop every node and remove its directory (also on exit)
#   qrpay_citus_psql N  psql on node N (0 = coordinator), extra arguments passed on

qrpay_citus_start() {
	local workers=${QRPAY_CITUS_WORKERS:-2} base=${QRPAY_CITUS_PORT:-54340} as="" i port
	QRPAY_CITUS_DIR=$(mktemp -d /tmp/qrpay-citus.XXXXXX)
	if [ "$(id -u)" = 0 ]; then
		chown postgres:postgres "$QRPAY_CITUS_DIR"
		as="runuser -u postgres --"
	fi
	QRPAY_CITUS_PORTS=""
	trap qrpay_citus_stop EXIT
	pushd "$QRPAY_CITUS_DIR" >/dev/null
	for i in $(seq 0 "$workers"); do
		port=$((base + i))
		QRPAY_CITUS_PORTS="$QRPAY_CITUS_PORTS $port"
		$as "$PGBIN/initdb" -D "$QRPAY_CITUS_DIR/node$i" -U postgres -A trust -E UTF8 \
			--locale=C.UTF-8 --no-sync >"$QRPAY_CITUS_DIR/initdb$i.log" 2>&1 \
			|| { cat "$QRPAY_CITUS_DIR/initdb$i.log"; popd >/dev/null; return 1; }
		# trust on 127.0.0.1 only: the nodes connect to each other as the
		# session's role, as a cluster whose roles exist on every node does
		$as "$PGBIN/pg_ctl" -D "$QRPAY_CITUS_DIR/node$i" -l "$QRPAY_CITUS_DIR/node$i.log" -w \
			-o "-c listen_addresses=127.0.0.1 -k $QRPAY_CITUS_DIR -p $port -c fsync=off \
			    -c shared_preload_libraries=citus -c max_connections=200 \
			    -c max_parallel_workers_per_gather=2 ${QRPAY_PGOPTS:-}" start >/dev/null \
			|| { cat "$QRPAY_CITUS_DIR/node$i.log"; popd >/dev/null; return 1; }
		psql -qX -h "$QRPAY_CITUS_DIR" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 \
			-c "CREATE EXTENSION citus" >/dev/null || { popd >/dev/null; return 1; }
	done
	popd >/dev/null
	export PGHOST=$QRPAY_CITUS_DIR PGPORT=$base PGUSER=postgres PGDATABASE=postgres QRPAY_CITUS_PORTS
	psql -qX -v ON_ERROR_STOP=1 -c "SELECT citus_set_coordinator_host('127.0.0.1', $base)" >/dev/null || return 1
	for i in $(seq 1 "$workers"); do
		psql -qX -v ON_ERROR_STOP=1 -c "SELECT citus_add_node('127.0.0.1', $((base + i)))" >/dev/null || return 1
	done
}

qrpay_citus_psql() {
	local n=$1 base=${QRPAY_CITUS_PORT:-54340}
	shift
	psql -X -h "$QRPAY_CITUS_DIR" -p $((base + n)) -U postgres -d postgres "$@"
}

qrpay_citus_stop() {
	[ -n "${QRPAY_CITUS_DIR:-}" ] && [ -d "$QRPAY_CITUS_DIR" ] || return 0
	local as="" d
	[ "$(id -u)" = 0 ] && as="runuser -u postgres --"
	for d in "$QRPAY_CITUS_DIR"/node*/; do
		(cd "$QRPAY_CITUS_DIR" && $as "$PGBIN/pg_ctl" -D "$d" -m fast -w stop >/dev/null 2>&1)
	done
	rm -rf "$QRPAY_CITUS_DIR"
	QRPAY_CITUS_DIR=
}

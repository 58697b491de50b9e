#!/usr/bin/env bash
# The distributed test: a Citus coordinator and two workers on this
# machine (test/citus/cluster.sh, ports QRPAY_CITUS_PORT and the next
# three: a third worker joins in the end),
# CREATE EXTENSION qrpay on the coordinator alone, then every check of
# test/citus/checks.sql and the few below that read the server's notices.
# Each compares a query over a plain table on the coordinator with the same
# query over distributed copies of the same rows, and prints "ok N - what"
# or "not ok N - what" with the rows that differ:
#   1. every accessor, operator and rendering of the type over the vectors,
#      tables distributed by the payment_qr column and by transaction id,
#      co-located joins, aggregates, and a repartitioning INSERT .. SELECT
#      in binary that keeps every code byte for byte;
#   2. the GIN index on every shard, used by the workers (EXPLAIN), and
#      every GIN query of the data;
#   3. a qr_networks aggregate computed on the workers;
#   4. routing on the dated and regional cases of the routing regression;
#   5. the catalog: a provider added on the coordinator, unknown to the
#      workers until qr_catalog_sync, the fingerprints, a worker changed
#      behind the coordinator's back, qr_interop_share with the synced catalog;
#   6. reconciliation of the generated day of test/month with its breaks,
#      per shard group, and through the coordinator for tables that are not
#      distributed by match key;
#   7. clearing and settlement;
#   8. a role that may only read the tables;
#   9. a third worker added as the scale-out guide says: catalog synced,
#      shards rebalanced, the same answers.
#
#   bash test/citus/run.sh
#   QRPAY_DESTDIR=/tmp/pg-x QRPAY_CITUS_PORT=54360 bash test/citus/run.sh   a private install and other ports
#
# Citus comes from the server's packages, or is built from
# CITUS_TARBALL (test/citus/build.sh).  Without either the test says why it
# did not run and passes, except in CI (CI set), where that is a failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source-path=SCRIPTDIR source=../cluster.sh
. test/cluster.sh
# shellcheck source-path=SCRIPTDIR source=cluster.sh
. test/citus/cluster.sh

# the checks the script runs; fewer is a failure
expected=102

# shellcheck disable=SC2119 # the project's packages, none of its own
qrpay_deps
qrpay_install
status=0
bash test/citus/build.sh || status=$?
if [ "$status" -eq 2 ]; then
	if [ -n "${CI:-}" ]; then
		echo "Citus is not installed and its source tarball is missing: the distributed test cannot run in CI" >&2
		exit 1
	fi
	echo "the distributed test did not run: Citus is not installed and no source tarball was found."
	echo "To run it: CITUS_TARBALL=/path/to/citus-13.2.2.tar.gz bash test/citus/run.sh"
	echo "(or install Citus 13 for PostgreSQL 15 from Citus's packages, then bash test/citus/run.sh)"
	exit 0
elif [ "$status" -ne 0 ]; then
	echo "building Citus failed" >&2
	exit 1
fi

work=$(mktemp -d /tmp/qrpay-citus-run.XXXXXX)
# every node's sessions in UTC whatever this machine's zone: the checks
# set the coordinator's session to other zones on purpose.  Three workers:
# the checks start with two and add the third in the end
QRPAY_CITUS_WORKERS=3 QRPAY_PGOPTS="-c timezone=UTC ${QRPAY_PGOPTS:-}" qrpay_citus_start
trap 'qrpay_citus_stop; rm -rf "$work"' EXIT
t0=$(date +%s)

# the routing regression's codes and cases, as it writes them
sed -n '/^CREATE TABLE route_codes/,/^SELECT name, qr_networks/p' sql/qrpay_routing.sql | sed '$d' >"$work/routing.sql"
sed -n '/^CREATE TABLE route_checks/,/^SELECT c.fact/p' sql/qrpay_routing.sql | sed '$d' >>"$work/routing.sql"

q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
# a check decided here: description, then true or false, then the detail
check() {
	q -v d="$1" -v det="${3:-}" <<<"SELECT ct_check(:'d', $2, nullif(:'det', ''))"
}

# The checks in SQL.  A statement that fails outside a check (in the
# setup) is a failure too: its ERROR lines are counted.
# (the blank lines are the answers of create_distributed_table and the like)
psql -X -q -At -v routing_cases="$work/routing.sql" -f test/citus/checks.sql 2>"$work/errors" | sed '/^$/d' || true
# (its messages but the DEBUG ones, and their DETAIL lines)
awk '/^psql:.*: DEBUG: / { debug = 1; next } debug && /^(DETAIL|HINT|CONTEXT): / { next } { debug = 0; print "# " $0 }' \
	"$work/errors"
setup_errors=$(grep -c 'ERROR:' "$work/errors" || true)
# every run of ct_same_run that should go through the shard groups (not
# marked 'coordinator') did, as qr_match says at DEBUG1
planned=$(($(grep -c "^SELECT ct_same_run(" test/citus/checks.sql) - $(grep -c ", 'coordinator');$" test/citus/checks.sql)))
kept=$(q -c "SELECT count(*) FROM ct_runs WHERE path = 'shards'" || echo 0)
shards=$(q -c "SELECT count(*) FROM pg_dist_shard WHERE logicalrelid = 'ledger'::regclass" 2>/dev/null || echo 0)
sharded=$(grep -c "DEBUG:  qr_match reconciled $shards shard groups of" "$work/errors" || true)
desc="each of the $planned distributed reconciliations of tables co-located by match key ran per shard group (DEBUG1)"
if [ "$planned" -gt 0 ] && [ "$kept" -eq "$planned" ] && [ "$sharded" -eq "$planned" ]; then
	check "$desc" true
else
	check "$desc" false "$kept of $planned ran, $sharded said they reconciled the $shards shard groups"
fi

# 1. a repartitioning INSERT .. SELECT: the rows move between the workers
# in Citus's binary format (payment_qr_send and payment_qr_recv), and
# every code arrives byte for byte
q -c "CREATE TABLE codes_moved (LIKE codes_local)" -c "SELECT create_distributed_table('codes_moved', 'txn_id')" >/dev/null
log=$(q -c "SET citus.enable_binary_protocol = on" -c "SET citus.log_remote_commands = on" \
	-c "INSERT INTO codes_moved SELECT * FROM codes_by_code" 2>&1 >/dev/null) || true
if grep -q "worker_partition_query_result(.*,true) WHERE rows_written" <<<"$log"; then
	check "INSERT .. SELECT from by-code to by-txn_id repartitions between the workers in binary" true
else
	check "INSERT .. SELECT from by-code to by-txn_id repartitions between the workers in binary" false \
		"no binary worker_partition_query_result among the remote commands: $(grep -o 'issuing [^(]*' <<<"$log" | sort | uniq -c | head -n 20)"
fi
q <<'SQL'
SELECT ct_same('the repartitioned codes are byte-identical (text and send) to the originals',
    $$SELECT txn_id, code::text, payment_qr_send(code) FROM codes_local$$,
    $$SELECT txn_id, code::text, payment_qr_send(code) FROM codes_moved$$);
SQL

# 6. the per-shard path: qr_match says at DEBUG1 how many shard groups its
# workers reconciled, one per shard of the ledger, and gives no notice;
# tables that are not co-located by match key are read through the
# coordinator, with a notice saying why
messages() {	# the messages of one query at a level
	q -c "SET client_min_messages = $1" -c "$2" 2>&1 >/dev/null | grep -E "^(DEBUG|NOTICE|WARNING|ERROR)" || true
}
said=$(messages debug1 "SELECT count(*) FROM qr_match('ledger', 'statement')")
desc="qr_match over tables distributed by match_key: run on the workers, $shards shard groups (DEBUG1), no notice"
if grep -q "qr_match reconciled $shards shard groups of ledger and statement on their workers" <<<"$said" \
	&& [ "$shards" -gt 0 ] && ! grep -qE "^(NOTICE|WARNING|ERROR)" <<<"$said"; then
	check "$desc" true
else
	check "$desc" false "${said:-(no message)}"
fi
said=$(messages notice "SELECT count(*) FROM qr_match('ledger_by_txn', 'statement_by_txn')")
desc="qr_match over tables distributed by txn_id: a notice says it reads them through the coordinator"
if grep -q "^NOTICE: .*through the coordinator" <<<"$said" && ! grep -qE "^(WARNING|ERROR)" <<<"$said"; then
	check "$desc" true "$said"
else
	check "$desc" false "${said:-(no notice)}"
fi

# nothing of the type left out: every function of qrpay that takes a
# payment_qr (but the GIN support functions, whose other arguments are
# internal: the index checks use them) and every operator is in a
# distributed query of a check
q <<'SQL'
SELECT ct_true('every function and operator of qrpay on payment_qr is in a distributed query of a check', $$
    WITH ext AS (SELECT d.classid, d.objid FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
                  WHERE e.extname = 'qrpay' AND d.deptype = 'e'),
         f AS (SELECT p.proname FROM pg_proc p JOIN ext ON ext.classid = 'pg_proc'::regclass AND ext.objid = p.oid
                WHERE 'payment_qr'::regtype = ANY (p.proargtypes) AND NOT 'internal'::regtype = ANY (p.proargtypes)),
         o AS (SELECT o.oprname FROM pg_operator o JOIN ext ON ext.classid = 'pg_operator'::regclass AND ext.objid = o.oid
                WHERE o.oprleft = 'payment_qr'::regtype),
         -- the queries, and the wrappers that catch what a format refuses
         q AS (SELECT string_agg(t, ' ') AS t FROM (SELECT query FROM ct_results
                                                    UNION ALL SELECT prosrc FROM pg_proc WHERE proname = 'ct_with') x(t)),
         missing AS (SELECT f.proname AS what FROM f, q WHERE q.t !~ ('\m' || f.proname || '\(')
                     UNION ALL SELECT o.oprname FROM o, q WHERE strpos(q.t, ' ' || o.oprname || ' ') = 0)
    SELECT (SELECT count(*) FROM f) > 30 AND NOT EXISTS (SELECT FROM missing),
           format('%s functions, %s operators; not compared: %s', (SELECT count(*) FROM f), (SELECT count(*) FROM o),
                  coalesce((SELECT string_agg(what, ', ') FROM missing), 'none'))$$);
SQL

ran=$(q -c "SELECT count(*) FROM ct_results")
failed=$(q -c "SELECT count(*) FROM ct_results WHERE NOT ok")
q -c "SELECT '# slowest: ' || string_agg(format('%s (%s s)', n, round(s, 1)), ', ' ORDER BY s DESC)
        FROM (SELECT n, extract(epoch FROM at - lag(at) OVER (ORDER BY n)) AS s FROM ct_results ORDER BY 2 DESC NULLS LAST LIMIT 6) x"
echo
echo "citus: $ran checks, $failed failed, $setup_errors errors outside the checks ($(($(date +%s) - t0)) s)"
status=0
if [ "$ran" -lt "$expected" ]; then
	echo "not ok - only $ran checks ran; $expected expected"
	status=1
fi
[ "$failed" -eq 0 ] && [ "$setup_errors" -eq 0 ] || status=1
exit "$status"

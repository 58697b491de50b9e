#!/usr/bin/env bash
# Citus on one machine (part (k) of bench/run): a coordinator and two
# workers (test/citus/cluster.sh) against one node, a plain PostgreSQL
# cluster without Citus (test/cluster.sh), all on this machine at the same
# time; while one side runs, the other idles.  Everything shares the
# machine's cores, so the figures show what distribution costs and gains
# here, not what more machines would give; the estimate at the end of the
# section works that out from the parts measured here.
#
#  1. BENCH_CITUS_CODES payment codes (default 10,000,000) from
#     bench/gen_codes, in one node's table and in a table distributed by
#     the code over 2 workers (BENCH_CITUS_SHARDS shards, default 32):
#     COPY and the GIN index build (once each), then the codes per network
#     (qr_networks, unnest, GROUP BY) and 200 selective @> lookups through
#     the GIN index, one node with and without 2 parallel workers.
#  2. qr_match over a ledger of BENCH_CITUS_MATCH_ROWS payments (default
#     2,000,000) and its statement (bench/bench.sql's bench_tables), in the
#     shape doc/scale-out.md recommends: a match_key column holding
#     qr_match_key(provider, reference, parent_reference), the distribution
#     column of both, co-located, so that each shard group is reconciled
#     on its worker; and the same rows distributed by txn_id, which
#     qr_match reads through the coordinator.
#  3. For the estimate: each shard's query alone on its worker, one shard
#     after another (the work that spreads over workers), and what the
#     coordinator does whatever the number of workers (a query over an
#     empty table of the same shards; the catalog check; reading the shard
#     groups' result rows).
#
# Times are medians of BENCH_RUNS (default 3) rounds in which the sides
# alternate, after an untimed round.  The tables are logged, as in
# bench/match.sh, on clusters with fsync off.  Needs Citus: when the server
# has none, test/citus/build.sh builds it from a source tarball; without
# one the section says so and the script exits 0.  BENCH_CITUS=0 skips it.
#
# bench/run calls it and puts the section it writes (BENCH_CITUS_OUT,
# default bench/build/citus.md) into bench/results.md.  Run alone:
#   bash bench/citus.sh
#   BENCH_CITUS_CODES=1000000 BENCH_CITUS_MATCH_ROWS=200000 bash bench/citus.sh   a quick run
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
codes=${BENCH_CITUS_CODES:-10000000}
match_rows=${BENCH_CITUS_MATCH_ROWS:-2000000}
shards=${BENCH_CITUS_SHARDS:-32}
runs=${BENCH_RUNS:-3}
report=${BENCH_CITUS_OUT:-$here/build/citus.md}
# the one node holds everything; each Citus node about half of it
one_buffers=${BENCH_CITUS_ONE_BUFFERS:-4GB}
node_buffers=${BENCH_CITUS_NODE_BUFFERS:-2GB}
for v in "$codes" "$match_rows" "$shards" "$runs"; do
	case $v in
	'' | *[!0-9]* | 0)
		echo "BENCH_CITUS_CODES, BENCH_CITUS_MATCH_ROWS, BENCH_CITUS_SHARDS and BENCH_RUNS must be positive integers" >&2
		exit 2
		;;
	esac
done
mkdir -p "$(dirname "$report")"
work=$(mktemp -d /tmp/qrpay-bench-citus.XXXXXX)
trap 'rm -rf "$work"' EXIT

not_run() {
	printf 'Citus on one machine (k): not run. %s\n' "$1" | tee "$report"
	exit 0
}
[ "${BENCH_CITUS:-1}" = 0 ] && not_run "BENCH_CITUS=0 skipped it."

cd "$root"
# shellcheck source-path=SCRIPTDIR source=../test/cluster.sh
. test/cluster.sh
# shellcheck source-path=SCRIPTDIR source=../test/citus/cluster.sh
. test/citus/cluster.sh
qrpay_deps
qrpay_install
status=0
bash test/citus/build.sh >"$work/build.log" 2>&1 || status=$?
case $status in
0) ;;
2) not_run "$(tail -n 1 "$work/build.log")" ;;
*)
	cat "$work/build.log" >&2
	exit 1
	;;
esac

# the code files, the tables (twice) and their indexes, with room to spare
need_kb=$(((codes * 600 + match_rows * 3000) / 1024))
free_kb=$(df -Pk /tmp | awk 'NR == 2 { print $4 }')
if [ "$free_kb" -lt "$need_kb" ]; then
	echo "about $((need_kb / 1048576 + 1)) GB free in /tmp needed, $((free_kb / 1048576)) GB there" >&2
	exit 1
fi

gen=${BENCH_GEN_CODES:-}
if [ -z "$gen" ]; then
	gen=$work/gen_codes
	# CFLAGS is split into words on purpose.
	# shellcheck disable=SC2086
	${CC:-cc} -std=c99 ${CFLAGS:--O2} -I src/core bench/gen_codes.c src/core/*.c -o "$gen"
fi

# --------------------------------------------------------------- clusters
# No parallel query (the one node gets it only where a figure says so):
# on Citus the parallelism is the shards'; JIT off; no checkpoint inside a
# timed load.
load_before=$(cut -d" " -f1 /proc/loadavg 2>/dev/null || echo "?")
opts="-c max_parallel_workers_per_gather=0 -c jit=off -c max_wal_size=8GB -c checkpoint_timeout=1h ${QRPAY_PGOPTS:-}"
QRPAY_PGOPTS="-c shared_buffers=$one_buffers $opts"
echo "starting one node and a Citus coordinator with 2 workers"
qrpay_cluster_start
one_host=$PGHOST
one_port=$PGPORT
QRPAY_PGOPTS="-c shared_buffers=$node_buffers $opts"
qrpay_citus_start || { qrpay_cluster_stop; exit 1; }
trap 'qrpay_citus_stop; qrpay_cluster_stop; rm -rf "$work"' EXIT
workers=$(echo "$QRPAY_CITUS_PORTS" | awk '{ $1 = ""; print }')

q1() { psql -X -q -v ON_ERROR_STOP=1 -At -h "$one_host" -p "$one_port" "$@"; }
qc() { psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }
qn() {	# port, psql arguments: a Citus node
	local port=$1
	shift
	psql -X -q -v ON_ERROR_STOP=1 -At -p "$port" "$@"
}

for side in q1 qc; do
	$side -c "CREATE EXTENSION qrpay" -c "CREATE EXTENSION pg_prewarm" -f bench/bench.sql -f - <<'SQL'
-- every table and index of the schema into shared buffers (on Citus, run
-- on each worker: its shards)
CREATE FUNCTION bench_prewarm() RETURNS bigint LANGUAGE sql AS $$
	SELECT coalesce(sum(pg_prewarm(c.oid)), 0)::bigint FROM pg_class c
	WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'i') $$;
-- one selective @> query per document, one after another
CREATE FUNCTION bench_lookups(rel regclass, docs jsonb[], OUT ms float8, OUT hits bigint) LANGUAGE plpgsql AS $$
DECLARE
	t0 timestamptz := clock_timestamp();
	d jsonb;
	n bigint;
BEGIN
	hits := 0;
	FOREACH d IN ARRAY docs LOOP
		EXECUTE format('SELECT count(*) FROM %s WHERE code @> $1', rel) INTO n USING d;
		hits := hits + n;
	END LOOP;
	ms := extract(epoch FROM clock_timestamp() - t0) * 1000;
END $$;
SQL
done
checkpoint() {
	q1 -c "CHECKPOINT"
	qc -c "CHECKPOINT" -c "SELECT run_command_on_workers('CHECKPOINT')" >/dev/null
	sync
}
prewarm() {
	q1 -c "SELECT bench_prewarm()" >/dev/null
	qc -c "SELECT run_command_on_workers('SELECT bench_prewarm()')" >/dev/null
}
timed() { "$1" -c "SELECT bench_ms('${2//\'/\'\'}')"; }
# the one node with 2 parallel workers; the coordinator without notices
q1par() { q1 -c "SET max_parallel_workers_per_gather = 2" "$@"; }
qcq() { PGOPTIONS="-c client_min_messages=warning" qc "$@"; }
median() { printf '%s\n' "$@" | sort -g | sed -n "$((($# + 1) / 2))p"; }

# Rounds in which the statements alternate, after an untimed round when
# the first argument is 0 (1: none): the arguments after the label are
# pairs of a psql function and a statement.  The runs of the i-th pair
# (ms, from 0) go to ${took[i]}; "med i" is their median.
took=()
alternate() {	# 0 or 1, label, then (psql function, statement) pairs
	local first=$1 label=$2 round i ms line
	local -a side=() stmt=()
	shift 2
	while [ $# -gt 0 ]; do
		side+=("$1")
		stmt+=("$2")
		shift 2
	done
	took=()
	for round in $(seq "$first" "$runs"); do
		line=""
		for i in "${!side[@]}"; do
			ms=$(timed "${side[i]}" "${stmt[i]}")
			line="$line $ms"
			[ "$round" = 0 ] || took[i]="${took[i]:-}${took[i]:+ }$ms"
		done
		[ "$round" = 0 ] || echo "  $label round $round (ms):$line"
	done
}
# word splitting of the runs on purpose
# shellcheck disable=SC2086
med() { median ${took[$1]}; }

# Each shard's statement alone on its worker, one shard after another, the
# faster of two runs (a neighbour's load only ever adds time): "sum max" of
# the times (ms).  The template is format()'s: %1$ the shard
# of the table, %2$ its co-located shard of table2 when given, %3$ $docs.
per_shard() {	# table, template, [table2]
	local port list
	for port in $workers; do
		list=$(qc -c "SELECT string_agg(a.shard_name || ' ' || coalesce(b.shard_name, ''), ',')
		                FROM citus_shards a JOIN pg_dist_shard sa ON sa.shardid = a.shardid
		                LEFT JOIN pg_dist_shard sb ON sb.logicalrelid = NULLIF('${3:-}', '')::regclass
		                                          AND sb.shardminvalue = sa.shardminvalue
		                LEFT JOIN citus_shards b ON b.shardid = sb.shardid
		               WHERE a.table_name = '$1'::regclass AND a.nodeport = $port")
		[ -z "$list" ] && continue
		qn "$port" -v list="$list" -v tmpl="$2" -v docs="${docs:-}" \
			<<<"SELECT least(bench_ms(x), bench_ms(x))
			      FROM (SELECT format(:'tmpl', split_part(s, ' ', 1), split_part(s, ' ', 2), :'docs') AS x
			              FROM unnest(string_to_array(:'list', ',')) s) y"
	done | awk '{ s += $1; if ($1 > m) m = $1 } END { printf "%.3f %.3f\n", s, m }'
}

# ------------------------------------------------------------- 1. codes
echo "generating $codes payment codes"
file=$QRPAY_CITUS_DIR/codes.txt
"$gen" "$codes" >"$file"
if [ "$(id -u)" = 0 ]; then
	chown postgres:postgres "$file"
fi
file_sql=${file//\'/\'\'}
q1 -c "CREATE TABLE t (code payment_qr)"
qc <<SQL >/dev/null
CREATE TABLE t (code payment_qr);
SELECT create_distributed_table('t', 'code', shard_count => $shards);
-- the same shards without rows: what a query costs the coordinator
CREATE TABLE t_empty (code payment_qr);
SELECT create_distributed_table('t_empty', 'code', colocate_with => 't');
CREATE INDEX t_empty_gin ON t_empty USING gin (code);
SQL
echo "loading them into both"
checkpoint
copy_one=$(timed q1 "COPY t FROM '$file_sql'")
checkpoint
copy_dist=$(timed qc "COPY t FROM '$file_sql'")
checkpoint
gin_one=$(timed q1 "CREATE INDEX t_gin ON t USING gin (code)")
checkpoint
gin_dist=$(timed qc "CREATE INDEX t_gin ON t USING gin (code)")
rm -f "$file"
q1 -c "VACUUM ANALYZE t"
qc -c "VACUUM ANALYZE t"
n_one=$(q1 -c "SELECT count(*) FROM t")
n_dist=$(qc -c "SELECT count(*) FROM t")
if [ "$n_one" != "$codes" ] || [ "$n_dist" != "$codes" ]; then
	echo "row counts differ from $codes: one node $n_one, Citus $n_dist" >&2
	exit 1
fi
echo "  COPY: one node $copy_one ms, Citus $copy_dist ms; GIN build: one node $gin_one ms, Citus $gin_dist ms"
prewarm
# proof that the one node's scans are served from shared buffers
one_buffers_used=$(q1 -c "EXPLAIN (ANALYZE, BUFFERS, TIMING OFF, COSTS OFF) SELECT count(*) FROM t" |
	sed -n 's/^ *Buffers: //p' | head -n 1)
avg_bytes=$(q1 -c "SELECT round(avg(octet_length(code::text)), 1) FROM t")
table_bytes=$(q1 -c "SELECT pg_table_size('t') + pg_indexes_size('t')")

scan_sql="SELECT n, count(*) FROM t, unnest(qr_networks(code)) n GROUP BY n"
alternate 0 "codes per network (one node, with 2 parallel workers, Citus)" \
	q1 "$scan_sql" q1par "$scan_sql" qc "$scan_sql"
scan_one_m=$(med 0) scan_par_m=$(med 1) scan_dist_m=$(med 2)
scan_runs=("${took[@]}")
networks_sql="SELECT string_agg(n || ' ' || c, ', ' ORDER BY c DESC, n) FROM ($scan_sql) x(n, c)"
networks_one=$(q1 -c "$networks_sql")
networks_dist=$(qc -c "$networks_sql")
scan_plan=$(qc -c "EXPLAIN (COSTS OFF) $scan_sql")

# 200 selective lookups: of each of 200 codes spread over the table, the
# first of the fields that name one payment or one account (a consumer
# code, a URL's order or path, a VPA, an IBAN, a cryptogram, a merchant
# account); codes without one are passed over
docs=$(q1 -c "SELECT (array_agg(jsonb_build_object(tg.path, tg.value) ORDER BY c.k))[1:200]
                FROM (SELECT code, row_number() OVER () AS k
                        FROM t TABLESAMPLE SYSTEM (1) REPEATABLE (7) LIMIT 400) c
                CROSS JOIN LATERAL (SELECT f.path, f.value FROM qr_tags(c.code) f
                                     JOIN unnest(ARRAY['code', 'query.pr', 'pa', 'iban', 'ACC', '62.64.9F26',
                                                       '15', '29.01', '38.01', 'path']) WITH ORDINALITY p(name, rank)
                                       ON p.name = f.path
                                     ORDER BY p.rank LIMIT 1) tg")
docs_sql=${docs//\'/\'\'}
lookups=$(q1 -c "SELECT cardinality('$docs_sql'::jsonb[])")
look_of() { echo "SELECT * FROM bench_lookups('$1', '$docs_sql')"; }
alternate 0 "GIN lookups (one node, Citus)" q1 "$(look_of t)" qc "$(look_of t)"
look_one_m=$(med 0) look_dist_m=$(med 1)
look_runs=("${took[@]}")
hits_one=$(q1 -c "SELECT hits FROM bench_lookups('t', '$docs_sql')")
hits_dist=$(qc -c "SELECT hits FROM bench_lookups('t', '$docs_sql')")
first_doc=$(q1 -c "SELECT ('$docs_sql'::jsonb[])[1]")
look_plan=$(qc -c "EXPLAIN (COSTS OFF) SELECT count(*) FROM t WHERE code @> '${first_doc//\'/\'\'}'::jsonb")

echo "  each shard alone, and the coordinator's part"
# "sum max" of a table's shards less "sum max" of the empty table's
less_empty() { awk -v a="$1" -v b="$2" -v n="$shards" 'BEGIN { split(a, x, " "); split(b, y, " ");
	w = x[1] - y[1]; m = x[2] - y[1] / n; printf "%.3f %.3f\n", (w > 0 ? w : 0), (m > 0 ? m : 0) }'; }
tmpl="SELECT n, count(*) FROM %1\$I, unnest(qr_networks(code)) n GROUP BY n"
x=$(less_empty "$(per_shard t "$tmpl")" "$(per_shard t_empty "$tmpl")")
read -r scan_w scan_wmax <<<"$x"
tmpl="SELECT * FROM bench_lookups(%1\$L, %3\$L)"
x=$(less_empty "$(per_shard t "$tmpl")" "$(per_shard t_empty "$tmpl")")
read -r look_w look_wmax <<<"$x"
alternate 0 "over the empty table (codes per network, lookups)" \
	qc "${scan_sql/FROM t,/FROM t_empty,}" qc "$(look_of t_empty)"
scan_c_m=$(med 0) look_c_m=$(med 1)
q1 -c "DROP TABLE t"
qc -c "DROP TABLE t, t_empty"

# --------------------------------------------------- 2. reconciliation
echo "generating a ledger of $match_rows payments and its statement"
shape="CREATE TABLE ledger (txn_id text, provider text, reference text, parent_reference text, kind text,
	amount numeric, currency text, ts timestamptz, context boolean,
	match_key text NOT NULL CHECK (match_key = qr_match_key(provider, reference, parent_reference)));
CREATE TABLE statement (LIKE ledger INCLUDING CONSTRAINTS);"
fill() {	# side: the generated rows into ledger and statement; prints ms
	local t
	for t in ledger statement; do
		timed "$1" "INSERT INTO $t SELECT txn_id, provider, reference, NULL, NULL, amount, currency, ts, NULL,
		                   qr_match_key(provider, reference, NULL) FROM r_$t"
	done | awk '{ s += $1 } END { printf "%.3f\n", s }'
}
q1 -c "SELECT bench_tables('r', $match_rows)" -c "$shape" >/dev/null
qc -c "SELECT bench_tables('r', $match_rows)" -c "$shape" >/dev/null
qc <<SQL >/dev/null
SELECT create_distributed_table('ledger', 'match_key', shard_count => $shards);
SELECT create_distributed_table('statement', 'match_key', colocate_with => 'ledger');
-- the same rows distributed by transaction id: read through the coordinator
CREATE TABLE ledger_by_txn (LIKE ledger INCLUDING CONSTRAINTS);
CREATE TABLE statement_by_txn (LIKE ledger INCLUDING CONSTRAINTS);
SELECT create_distributed_table('ledger_by_txn', 'txn_id', colocate_with => 'ledger');
SELECT create_distributed_table('statement_by_txn', 'txn_id', colocate_with => 'ledger');
SQL
checkpoint
fill_one=$(fill q1)
checkpoint
fill_dist=$(fill qc)
qc -c "INSERT INTO ledger_by_txn SELECT * FROM ledger" -c "INSERT INTO statement_by_txn SELECT * FROM statement"
q1 -c "DROP TABLE r_ledger, r_statement" -c "VACUUM ANALYZE ledger, statement"
qc -c "DROP TABLE r_ledger, r_statement" -c "VACUUM ANALYZE ledger, statement, ledger_by_txn, statement_by_txn"
rec_l=$(q1 -c "SELECT count(*) FROM ledger")
rec_s=$(q1 -c "SELECT count(*) FROM statement")
echo "  loaded $rec_l + $rec_s rows: one node $fill_one ms, Citus $fill_dist ms"
prewarm

fold() {
	echo "SELECT count(*), sum(length(status)), count(ledger_txn), count(statement_txn), sum(amount_diff), sum(length(reason))
	        FROM qr_match('$1', '$2')"
}
# the untimed round: the results, and what qr_match says about its path
fold_one=$(q1 -c "$(fold ledger statement)")
fold_shards=$(qc -c "SET client_min_messages = debug1" -c "$(fold ledger statement)" 2>"$work/shards.notice")
fold_coord=$(qc -c "$(fold ledger_by_txn statement_by_txn)" 2>"$work/coord.notice")
shards_notice=$(sed -n 's/^NOTICE: *//p' "$work/shards.notice")
shards_debug=$(sed -n 's/^DEBUG: *\(qr_match .*\)/\1/p' "$work/shards.notice")
coord_notice=$(sed -n 's/^NOTICE: *//p' "$work/coord.notice")
alternate 1 "qr_match (one node, on the shards, through the coordinator)" \
	q1 "$(fold ledger statement)" qc "$(fold ledger statement)" qcq "$(fold ledger_by_txn statement_by_txn)"
match_one_m=$(med 0) match_shards_m=$(med 1) match_coord_m=$(med 2)
match_runs=("${took[@]}")
outcomes=$(q1 -c "SELECT string_agg(status || ' ' || n, ', ' ORDER BY status)
                    FROM (SELECT status, count(*) AS n FROM qr_match('ledger', 'statement') GROUP BY 1) x")

echo "  each shard group alone, and the coordinator's part"
# per shard group: the check that every row sits on its match key's
# shard, then the engine, as qr_match has the workers run them
x=$(per_shard ledger \
	"SELECT (SELECT count(*) FROM %1\$I WHERE match_key IS DISTINCT FROM qr_match_key(provider, reference, parent_reference))
	      + (SELECT count(*) FROM %2\$I WHERE match_key IS DISTINCT FROM qr_match_key(provider, reference, parent_reference)),
	        qr_match_shard(%1\$L, %2\$L, NULL, 19, NULL)" statement)
read -r match_w match_wmax <<<"$x"
# qr_match's steps one at a time: the catalog check; one task per shard
# group that does nothing; the check that every row sits on its match
# key's shard; every shard group's qr_match_shard at once, its text
# received and dropped.  The rest of qr_match's time is the coordinator
# reading the rows out of that text and storing them.
keycheck_sql="SELECT (SELECT count(*) FROM ledger WHERE match_key IS DISTINCT FROM qr_match_key(provider, reference, parent_reference))
               + (SELECT count(*) FROM statement WHERE match_key IS DISTINCT FROM qr_match_key(provider, reference, parent_reference))"
fetch_sql="SELECT count(*), sum(octet_length(result)) FROM run_command_on_colocated_placements('ledger', 'statement',
	'SELECT qr_match_shard(%L::regclass, %L::regclass, NULL, 19, NULL)')"
alternate 0 "qr_match's steps (catalog check, empty tasks, key check, shard groups)" \
	qc "SELECT qr_catalog_check()" \
	qc "SELECT count(*) FROM run_command_on_colocated_placements('ledger', 'statement', 'SELECT 1')" \
	qc "$keycheck_sql" qc "$fetch_sql"
check_m=$(med 0) dispatch_m=$(med 1) keycheck_m=$(med 2) fetch_m=$(med 3)
rows_m=$(awk -v t="$match_shards_m" -v a="$check_m" -v b="$keycheck_m" -v c="$fetch_m" \
	'BEGIN { r = t - a - b - c; printf "%.3f", (r > 0) ? r : 0 }')
result_rows=${fold_one%%|*}
result_bytes=$(qc -F ' ' -c "$fetch_sql" | cut -d' ' -f2)
x=$(qc -F ' ' -c "SELECT max(result::bigint), round(avg(result::bigint))
                    FROM run_command_on_colocated_placements('ledger', 'statement',
                         'SELECT (SELECT count(*) FROM %s) + (SELECT count(*) FROM %s)')")
read -r group_max group_avg <<<"$x"
fingerprint=$(qc -c "SELECT left(qr_catalog_check(), 12)")
pgver=$(qc -c "SHOW server_version")
citusver=$(qc -c "SELECT extversion FROM pg_extension WHERE extname = 'citus'")
qrpayver=$(qc -c "SELECT extversion FROM pg_extension WHERE extname = 'qrpay'")

load_after=$(cut -d" " -f1 /proc/loadavg 2>/dev/null || echo "?")

# -------------------------------------------------------------- report
fmt_ms() { awk -v v="$1" 'BEGIN { if (v >= 1000) printf "%.2f s", v / 1000; else printf "%.1f ms", v }'; }
fmt_int() { awk -v v="$1" 'BEGIN { s = sprintf("%.0f", v); n = length(s); o = "";
	for (i = 1; i <= n; i++) { o = o substr(s, i, 1); if ((n - i) % 3 == 0 && i < n) o = o "," }
	print o }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b / a }'; }
same() { if [ "$1" = "$2" ]; then echo "the same"; else echo "DIFFERENT ($1 against $2)"; fi; }
# time at n workers of k cores: c + max(wmax, w / (k n))
model() { awk -v c="$1" -v w="$2" -v m="$3" -v cores="$4" \
	'BEGIN { t = w / cores; if (m > t) t = m; t += c; if (t >= 999.5) printf "%.2f s", t / 1000; else printf "%.0f ms", t }'; }
sum_ms() { awk 'BEGIN { s = 0; for (i = 1; i < ARGC; i++) s += ARGV[i]; printf "%.3f", s }' "$@"; }

match_c=$(sum_ms "$check_m" "$dispatch_m" "$rows_m")
if [ -n "$shards_notice" ]; then
	shards_label="qr_match, co-located by match key (it said: $shards_notice)"
else
	shards_label="qr_match, co-located by match key: on each shard group"
fi
# the workers (of 2 cores) from which the largest shard group bounds the time
cross=$(awk -v w="$match_w" -v m="$match_wmax" 'BEGIN { n = (m > 0) ? w / (2 * m) : 1; printf "%.0f", (n < 1) ? 1 : n }')
row_bytes=$(awk -v b="$result_bytes" -v n="$result_rows" 'BEGIN { printf "%.0f", b / n }')
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
est_row() {	# label, c, w, wmax, one node (w 0: no shard work)
	local w=— m=—
	[ "$3" = 0 ] || w=$(fmt_ms "$3") m=$(fmt_ms "$4")
	printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$1" "$(fmt_ms "$2")" "$w" "$m" \
		"$(model "$2" "$3" "$4" 4)" "$(model "$2" "$3" "$4" 8)" "$(model "$2" "$3" "$4" 16)" \
		"$(model "$2" "$3" "$4" 32)" "$(fmt_ms "$5")"
}
{
	cat <<EOF
Citus on one machine (k), $(date -u +%Y-%m-%d): a coordinator and 2 workers on the same $(nproc) cores
(${cpu:-unknown CPU}) against one node, a PostgreSQL $pgver cluster without Citus on the same
machine, each side idle while the other runs; Citus $citusver, qrpay $qrpayver, $shards shards a table; medians of
$runs alternating rounds; load average $load_before before the run, $load_after after it. The three Citus nodes
share the cores that the one node has to itself: this is what distribution costs and gains on one
machine, not what more machines would give (the estimate below is for that). Other work on the
machine takes cores from whichever side runs, and the side with more processes at once (Citus runs
up to 16 tasks a worker at a time) keeps a larger share of them: under load the Citus figures gain on
the one node's single backend. The one node with 2 parallel workers is the comparison on equal cores.

EOF
	echo "| measure | one node | one node, 2 parallel workers | Citus, 2 workers | Citus / one node |"
	echo "|---|--:|--:|--:|--:|"
	echo "| (k) load: COPY of $(fmt_int "$codes") codes, $avg_bytes bytes on average, from a file | $(fmt_ms "$copy_one") | | $(fmt_ms "$copy_dist") | $(ratio "$copy_one" "$copy_dist") |"
	echo "| (k) load: GIN index build | $(fmt_ms "$gin_one") | | $(fmt_ms "$gin_dist") | $(ratio "$gin_one" "$gin_dist") |"
	echo "| (k) codes per network: \`$scan_sql\` | $(fmt_ms "$scan_one_m") | $(fmt_ms "$scan_par_m") | $(fmt_ms "$scan_dist_m") | $(ratio "$scan_one_m" "$scan_dist_m") |"
	echo "| (k) $lookups selective \`code @> doc\` lookups, one query each (GIN), $(fmt_int "$hits_one") rows found in all | $(fmt_ms "$look_one_m") | | $(fmt_ms "$look_dist_m") | $(ratio "$look_one_m" "$look_dist_m") |"
	echo "| (k) load: $(fmt_int "$rec_l") ledger + $(fmt_int "$rec_s") statement rows, INSERT … SELECT with match_key | $(fmt_ms "$fill_one") | | $(fmt_ms "$fill_dist") | $(ratio "$fill_one" "$fill_dist") |"
	echo "| (k) $shards_label | $(fmt_ms "$match_one_m") | | $(fmt_ms "$match_shards_m") | $(ratio "$match_one_m" "$match_shards_m") |"
	echo "| (k) qr_match, the same rows distributed by txn_id: through the coordinator | $(fmt_ms "$match_one_m") | | $(fmt_ms "$match_coord_m") | $(ratio "$match_one_m" "$match_coord_m") |"
	echo
	cat <<EOF
**How it grows with N workers (an estimate on paper).** A distributed query costs C, what it costs
whatever the number of workers, plus its shards' work W spread over the workers' cores, but never
less than its largest shard Wmax: T(N) ≈ C + max(Wmax, W / (k·N)) for N workers of k cores each on
machines of their own (k = 2 below, like this machine; $shards shards). W is each shard's query run alone
on its worker, one shard after another, the faster of two runs, summed.

For the codes per network and the lookups, C is the same query over an empty table of the same
shards: the coordinator's planning and merging, and each task's round trip and start on its worker
(a part that more workers would share: C is a ceiling); W is the shards' time less the same on the
empty shards. The codes per network scale with the workers until one shard per core; what reaches
the coordinator is a few partial counts per shard. A lookup that does not name the distribution
column asks every shard: it pays C however many workers there are, so its latency does not fall
with them (the throughput of concurrent lookups would rise), and its W is $shards index searches
instead of one.

qr_match on the shard groups: C is the catalog check (\`qr_catalog_check\`, $(fmt_ms "$check_m"): the
coordinator's fingerprint and one query to every worker, at once), starting one task per shard group
($(fmt_ms "$dispatch_m")), and reading the $(fmt_int "$result_rows") result rows, which each shard group sends as one text
value ($row_bytes bytes a row) that the coordinator reads with the columns' input functions and stores,
alone ($(fmt_ms "$rows_m"): what is left of qr_match's time once the catalog check, the key check below and
all shard groups' work, run at once and received, are taken off). W is each shard
group's check that its rows sit on their match key's shard plus \`qr_match_shard\` (the engine, and
its rows turned into that text). The rows without a reference are keyed by their provider, so each
provider's fall in one shard group: the largest group holds $(fmt_int "$group_max") input rows against
$(fmt_int "$group_avg") on average, and bounds the time from about $cross workers on. Read through the coordinator,
qr_match does not grow with the workers at all: the coordinator reads every row and matches them in
one backend, one node's work plus the transfer.

On this machine's 2 cores in all, the model gives $(model "$scan_c_m" "$scan_w" "$scan_wmax" 2), $(model "$look_c_m" "$look_w" "$look_wmax" 2) and $(model "$match_c" "$match_w" "$match_wmax" 2) against
$(fmt_ms "$scan_dist_m"), $(fmt_ms "$look_dist_m") and $(fmt_ms "$match_shards_m") measured: the difference is what the model leaves out, up to 16
tasks a worker at once on cores that the workers share with each other and with the coordinator;
read the figures below with that margin.

EOF
	echo "| estimate | C (coordinator) | W (all shards) | Wmax (largest shard) | 2 workers | 4 workers | 8 workers | 16 workers | one node, measured |"
	echo "|---|--:|--:|--:|--:|--:|--:|--:|--:|"
	est_row "codes per network" "$scan_c_m" "$scan_w" "$scan_wmax" "$scan_one_m"
	est_row "$lookups GIN lookups" "$look_c_m" "$look_w" "$look_wmax" "$look_one_m"
	est_row "qr_match on the shard groups" "$match_c" "$match_w" "$match_wmax" "$match_one_m"
	est_row "qr_match through the coordinator" "$match_coord_m" 0 0 "$match_one_m"
	echo
	echo "- Results: codes per network on Citus $(same "$networks_one" "$networks_dist") as on one node ($networks_one);"
	echo "  GIN lookups found $(fmt_int "$hits_one") rows on one node, on Citus $(same "$hits_one" "$hits_dist");"
	echo "  qr_match's results folded (count, statuses, ids, amount differences, reasons): on the shards $(same "$fold_one" "$fold_shards"),"
	echo "  through the coordinator $(same "$fold_one" "$fold_coord") as on one node; outcomes: $outcomes."
	echo "- On the shards, qr_match said (DEBUG1): ${shards_debug:-nothing}. Through the coordinator it said: ${coord_notice:-nothing}."
	echo "- Catalog fingerprint $fingerprint on every node (\`qr_catalog_check\`). Shared buffers: one node $one_buffers, each"
	echo "  Citus node $node_buffers; every table and index prewarmed; no parallel query except where said; jit off; fsync off."
	echo "- Tables: one column \`code payment_qr\`, distributed by it; $(fmt_int "$table_bytes") bytes with the GIN index on one node."
	echo "  The ledger and statement: bench_tables' rows in the recommended shape (\`match_key\` = \`qr_match_key(provider, reference, parent_reference)\`,"
	echo "  CHECK constraint, both distributed by it and co-located); the by-txn_id pair is co-located too, distributed by \`txn_id\`."
	echo "- qr_match's steps on Citus: the catalog check $(fmt_ms "$check_m"); the key check, a distributed count $(fmt_ms "$keycheck_m");"
	echo "  all shard groups' \`qr_match_shard\` at once, their text received $(fmt_ms "$fetch_m"). A shard"
	echo "  group's result travels as one text value, which PostgreSQL caps at 1 GB: about $(fmt_int "$((1073741824 / row_bytes))") result rows a shard group."
	echo "- One node, \`EXPLAIN (ANALYZE, BUFFERS)\` of a count over the codes: $one_buffers_used."
	echo "- Runs (ms): codes per network: one node ${scan_runs[0]}; 2 parallel workers ${scan_runs[1]}; Citus ${scan_runs[2]}."
	echo "  Lookups: one node ${look_runs[0]}; Citus ${look_runs[1]}. qr_match: one node ${match_runs[0]};"
	echo "  on the shards ${match_runs[1]}; through the coordinator ${match_runs[2]}."
	echo "- Plans on Citus, the codes per network, then one lookup:"
	echo
	echo '```'
	echo "$scan_plan"
	echo
	echo "$look_plan"
	echo '```'
} >"$report"
echo
cat "$report"

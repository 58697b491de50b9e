#!/usr/bin/env bash
# Matching at scale, in one run (part (i) of bench/run):
#
#  1. qr_match and qr_reconcile over a ledger of BENCH_MATCH_ROWS payments
#     (default 1,000,000) and a statement of about the same size (per 997
#     payments: one missing, one 0.50 off, one settled two hours late, one
#     duplicate on each side; a tenth without a reference), against the
#     hand-written query a back office would otherwise run: a FULL OUTER
#     JOIN of the referenced rows on (provider, reference) with a status per
#     row, the unreferenced rows appended as they are.  Every query folds
#     every output column into an aggregate, so that none is measured
#     without computing its result.  The three alternate within each round,
#     after an untimed warm-up round; medians of BENCH_RUNS rounds; the
#     ratio is qr_match's time over the join's (goal <= 1.5).  Then the
#     join written over whole tables, NULL references included, once,
#     cancelled after BENCH_NAIVE_JOIN_SECONDS (60); then qr_match at
#     work_mem = 64kB, with the temporary bytes it wrote.
#  2. qr_match over BENCH_BIG_ROWS payments a side (default 10,000,000), the
#     same shape, once: time and input rows per second.  BENCH_BIG=0 skips
#     it; it takes about 2 minutes, most of them making the tables.
#  3. Peak memory: one group of BENCH_GROUP_ROWS (default 3,000,000)
#     unreferenced 2.00 CNY metro fares a side over one day (the statement
#     1 to 21 s later, 30 rows missing on each side), matched at work_mem =
#     64kB; then the same rows over three days, a third as many inside any
#     window.  In the session that runs it, the tables are read first (so
#     that the shared buffers they fill are in the backend's RSS), then the
#     shell resets the backend's peak RSS (5 into /proc/PID/clear_refs),
#     the query runs, and the peak (VmHWM in /proc/PID/status) is read
#     against the RSS it started from, with the shared and file pages it
#     touched first.  Its anonymous memory (RssAnon) is also sampled every
#     20 ms meanwhile.
#
# bench/run calls it on its cluster and puts the section it writes
# (BENCH_MATCH_OUT, default bench/build/match.md) into bench/results.md.
# Run alone, it starts a throwaway cluster:
#   bash bench/match.sh
#   BENCH_BIG=0 BENCH_MATCH_ROWS=100000 BENCH_GROUP_ROWS=300000 bash bench/match.sh   a quick run
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
rows=${BENCH_MATCH_ROWS:-1000000}
big=${BENCH_BIG:-1}
big_rows=${BENCH_BIG_ROWS:-10000000}
group_rows=${BENCH_GROUP_ROWS:-3000000}
runs=${BENCH_RUNS:-5}
naive_limit=${BENCH_NAIVE_JOIN_SECONDS:-60}
report=${BENCH_MATCH_OUT:-$here/build/match.md}
for v in "$rows" "$big_rows" "$group_rows" "$runs" "$naive_limit"; do
	case $v in
	'' | *[!0-9]* | 0)
		echo "BENCH_MATCH_ROWS, BENCH_BIG_ROWS, BENCH_GROUP_ROWS, BENCH_RUNS and BENCH_NAIVE_JOIN_SECONDS must be positive integers" >&2
		exit 2
		;;
	esac
done
case $big in
0 | 1) ;;
*)
	echo "BENCH_BIG must be 0 or 1" >&2
	exit 2
	;;
esac
if [ "$group_rows" -lt 200000 ]; then
	echo "BENCH_GROUP_ROWS must be at least 200000 (30 rows a side are left out)" >&2
	exit 2
fi
mkdir -p "$(dirname "$report")"
work=$(mktemp -d /tmp/qrpay-bench-match.XXXXXX)
trap 'rm -rf "$work"' EXIT

cd "$root"
if [ -z "${PGHOST:-}" ]; then
	# shellcheck source-path=SCRIPTDIR source=../test/cluster.sh
	. test/cluster.sh
	qrpay_bench_cluster_start
	trap 'rm -rf "$work"; qrpay_cluster_stop' EXIT
fi

db=qrpay_bench_match
q() { psql -X -q -v ON_ERROR_STOP=1 -At -d "$db" "$@"; }
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "SET client_min_messages = warning" \
	-c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"

q -c "CREATE EXTENSION qrpay" -f "$here/bench.sql"

median() { printf '%s\n' "$@" | sort -g | sed -n "$((($# + 1) / 2))p"; }
fastest() { printf '%s\n' "$@" | sort -g | head -n 1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b / a }'; }
verdict() { awk -v v="$1" -v t="$2" 'BEGIN { print (v <= t) ? "PASS" : "MISS" }'; }
rate() { awk -v n="$1" -v ms="$2" 'BEGIN { printf "%.0f", n / (ms / 1000) }'; }
fmt_ms() { awk -v v="$1" 'BEGIN { if (v >= 1000) printf "%.3f s", v / 1000; else printf "%.1f ms", v }'; }
fmt_int() { awk -v v="$1" 'BEGIN { s = sprintf("%.0f", v); n = length(s); o = "";
	for (i = 1; i <= n; i++) { o = o substr(s, i, 1); if ((n - i) % 3 == 0 && i < n) o = o "," }
	print o }'; }
fmt_mb() { awk -v kb="$1" 'BEGIN { printf "%.1f MB", kb / 1024 }'; }
# every column of a result folded into an aggregate
fold() {
	echo "SELECT count(*), sum(length(status)), count(ledger_txn), count(statement_txn), sum(amount_diff), sum(length(reason))
	        FROM $1"
}
outcomes() {
	q -c "SELECT string_agg(status || ' ' || n, ', ' ORDER BY status)
	        FROM (SELECT status, count(*) AS n FROM $1 GROUP BY 1) x"
}

# ------------------------------------------------------------ 1M x 1M
echo "generating a ledger of $rows payments and its statement"
q -c "SELECT bench_tables('r', $rows)" -c "VACUUM ANALYZE r_ledger" -c "VACUUM ANALYZE r_statement" >/dev/null
rec_l=$(q -c "SELECT count(*) FROM r_ledger")
rec_s=$(q -c "SELECT count(*) FROM r_statement")
match_sql=$(fold "qr_match('r_ledger', 'r_statement')")
rec_sql=$(fold "qr_reconcile('r_ledger', 'r_statement')")
join_sql="SELECT count(*), sum(length(status)), count(ledger_txn), count(statement_txn), sum(amount_diff)
            FROM (SELECT CASE WHEN l.txn_id IS NULL THEN 'missing_in_ledger'
                              WHEN s.txn_id IS NULL THEN 'missing_in_statement'
                              WHEN s.amount <> l.amount THEN 'amount_mismatch'
                              ELSE 'matched' END AS status,
                         l.txn_id AS ledger_txn, s.txn_id AS statement_txn, s.amount - l.amount AS amount_diff
                    FROM (SELECT * FROM r_ledger WHERE reference IS NOT NULL) l
                    FULL JOIN (SELECT * FROM r_statement WHERE reference IS NOT NULL) s
                      ON s.provider = l.provider AND s.reference = l.reference
                  UNION ALL
                  SELECT 'unreferenced', txn_id, NULL, NULL FROM r_ledger WHERE reference IS NULL
                  UNION ALL
                  SELECT 'unreferenced', NULL, txn_id, NULL FROM r_statement WHERE reference IS NULL) x"
naive_sql="SELECT count(*), count(l.txn_id), count(s.txn_id), sum(s.amount - l.amount)
             FROM r_ledger l FULL JOIN r_statement s ON s.provider = l.provider AND s.reference = l.reference"
timed() { q -c "SELECT bench_ms('${1//\'/\'\'}')"; }
match_runs=()
rec_runs=()
join_runs=()
for round in 0 $(seq "$runs"); do
	m=$(timed "$match_sql")
	r=$(timed "$rec_sql")
	j=$(timed "$join_sql")
	[ "$round" = 0 ] && continue
	match_runs+=("$m")
	rec_runs+=("$r")
	join_runs+=("$j")
	echo "  match round $round: qr_match $m ms, qr_reconcile $r ms, FULL OUTER JOIN $j ms"
done
match_med=$(median "${match_runs[@]}")
rec_med=$(median "${rec_runs[@]}")
join_med=$(median "${join_runs[@]}")
match_ratio=$(ratio "$join_med" "$match_med")
rec_ratio=$(ratio "$join_med" "$rec_med")
match_fratio=$(ratio "$(fastest "${join_runs[@]}")" "$(fastest "${match_runs[@]}")")
rec_fratio=$(ratio "$(fastest "${join_runs[@]}")" "$(fastest "${rec_runs[@]}")")
match_outcomes=$(outcomes "qr_match('r_ledger', 'r_statement')")
naive_ms=$(q -c "SET statement_timeout = '${naive_limit}s'" -c "SELECT bench_ms('${naive_sql//\'/\'\'}')" 2>/dev/null | tail -n 1) \
	|| naive_ms=""
# pg_stat_database's temp_bytes is counted when the statement's
# transaction ends, and read in a new snapshot
temp_bytes() { q -c "SELECT pg_stat_clear_snapshot()" -c "SELECT temp_bytes FROM pg_stat_database WHERE datname = current_database()" | tail -n 1; }
temp_before=$(temp_bytes)
match_small=$(q -c "SET work_mem = '64kB'" -c "SELECT bench_ms('${match_sql//\'/\'\'}')" | tail -n 1)
sleep 1
temp_after=$(temp_bytes)
echo "  match: naive join ${naive_ms:-cancelled} ms, qr_match at work_mem 64kB $match_small ms"
q -c "DROP TABLE r_ledger, r_statement"

# ---------------------------------------------------------- 10M x 10M
big_line=""
if [ "$big" = 1 ]; then
	echo "generating a ledger of $big_rows payments and its statement"
	t0=$(date +%s)
	q -c "SELECT bench_tables('b', $big_rows)" -c "VACUUM ANALYZE b_ledger" -c "VACUUM ANALYZE b_statement" >/dev/null
	gen_s=$(($(date +%s) - t0))
	big_l=$(q -c "SELECT count(*) FROM b_ledger")
	big_s=$(q -c "SELECT count(*) FROM b_statement")
	big_ms=$(timed "$(fold "qr_match('b_ledger', 'b_statement')")")
	big_rate=$(rate "$((big_l + big_s))" "$big_ms")
	echo "  match: $big_l x $big_s rows in $big_ms ms ($big_rate input rows/s; the tables took $gen_s s)"
	big_line="| (i) \`qr_match\`, $(fmt_int "$big_l") ledger rows vs $(fmt_int "$big_s") statement rows | $(fmt_ms "$big_ms") | $(fmt_int "$big_rate") input rows/s |"
	q -c "DROP TABLE b_ledger, b_statement"
fi

# -------------------------------------------------------- peak memory
# Metro fares: 2.00 CNY, no reference, spread evenly over one day; the
# provider books each 1 to 21 s later.  Ledger row 50,000 of every
# 100,000 never reached the provider, and the provider's row 1 of every
# 100,000 is not in the ledger.  Then the same rows over three days: a
# third of the rows inside any window, the same group size.
kb() { sed -n "s/^$1:[[:space:]]*\([0-9]*\).*/\1/p" "$2"; }
mem_lines=()
mem_notes=()
fares() {	# days
	local days=$1 mem=$work/mem$1 group_l group_s group_sql outcomes ms hwm anon shared file per_window
	echo "generating one group of $group_rows unreferenced 2.00 CNY fares a side over $days day(s)"
	q <<SQL
DROP TABLE IF EXISTS g_ledger, g_statement;
CREATE TABLE g_all AS
SELECT g, timestamptz '2025-03-01 00:00+08' + g * ($days * 86400.0 / $group_rows) * interval '1 s' AS ts
FROM generate_series(1::bigint, $group_rows) g;
CREATE TABLE g_ledger AS
SELECT 'M' || g AS txn_id, 'unionpay'::text AS provider, NULL::text AS reference, 2.00 AS amount, 'CNY'::text AS currency, ts
FROM g_all WHERE g % 100000 <> 50000;
CREATE TABLE g_statement AS
SELECT 'T' || g AS txn_id, 'unionpay'::text AS provider, NULL::text AS reference, 2.00 AS amount, 'CNY'::text AS currency,
       ts + (1 + (g * 7919 % 20000) / 1000.0) * interval '1 s' AS ts
FROM g_all WHERE g % 100000 <> 1;
DROP TABLE g_all;
VACUUM ANALYZE g_ledger;
VACUUM ANALYZE g_statement;
SQL
	group_l=$(q -c "SELECT count(*) FROM g_ledger")
	group_s=$(q -c "SELECT count(*) FROM g_statement")
	group_sql="SELECT string_agg(status || ' ' || n, ', ' ORDER BY status)
	             FROM (SELECT status, count(*) AS n FROM qr_match('g_ledger', 'g_statement') GROUP BY 1) x"
	q -v mem="$mem" -v group_sql="$group_sql" >"$work/group.out" <<'SQL'
SELECT pg_backend_pid() AS pid \gset
\setenv BENCH_PID :pid
\setenv BENCH_MEM :mem
SET work_mem = '64kB';
-- the tables' pages into this backend's view of shared memory first; then
-- its peak RSS reset to its RSS (Linux 4.0 and later)
SELECT count(*) FROM g_ledger;
SELECT count(*) FROM g_statement;
\! echo 5 >/proc/$BENCH_PID/clear_refs && touch "$BENCH_MEM.reset"
\! grep -E '^(VmHWM|VmRSS|RssAnon|RssFile|RssShmem):' /proc/$BENCH_PID/status >"$BENCH_MEM.before"
\! (peak=0; while [ ! -e "$BENCH_MEM.stop" ]; do a=$(sed -n 's/^RssAnon:[[:space:]]*\([0-9]*\).*/\1/p' /proc/$BENCH_PID/status); [ "${a:-0}" -gt "$peak" ] && peak=$a; sleep 0.02; done; echo "$peak" >"$BENCH_MEM.peak") &
SELECT clock_timestamp() AS t0 \gset
:group_sql;
SELECT extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) * 1000;
\! touch "$BENCH_MEM.stop"
\! grep -E '^(VmHWM|VmRSS|RssAnon|RssFile|RssShmem):' /proc/$BENCH_PID/status >"$BENCH_MEM.after"
SQL
	for _ in $(seq 100); do
		[ -s "$mem.peak" ] && break
		sleep 0.1
	done
	outcomes=$(sed -n 3p "$work/group.out")
	ms=$(sed -n 4p "$work/group.out")
	if [ ! -e "$mem.reset" ]; then
		echo "the peak RSS of the backend could not be reset (/proc/PID/clear_refs)" >&2
		exit 1
	fi
	hwm=$(($(kb VmHWM "$mem.after") - $(kb VmRSS "$mem.before")))
	anon=$(($(cat "$mem.peak") - $(kb RssAnon "$mem.before")))
	shared=$(($(kb RssShmem "$mem.after") - $(kb RssShmem "$mem.before")))
	file=$(($(kb RssFile "$mem.after") - $(kb RssFile "$mem.before")))
	# rows of a side inside one 15-minute window
	per_window=$(awk -v n="$group_rows" -v d="$days" 'BEGIN { printf "%.0f", n / (d * 86400) * 900 }')
	echo "  memory: VmHWM grew $hwm kB, RssAnon peaked $anon kB above its start, in $ms ms"
	mem_lines+=("| (i) \`qr_match\`, one group of $(fmt_int "$group_l") + $(fmt_int "$group_s") unreferenced 2.00 CNY fares over $days day(s), $(fmt_int "$per_window") a side in 15 minutes | 64kB | $(fmt_mb "$hwm") | $(fmt_mb "$anon") | $(fmt_ms "$ms") |")
	mem_notes+=("- The fares over $days day(s): $outcomes. Of the peak RSS growth, $(fmt_mb "$shared") are shared buffers and $(fmt_mb "$file") file pages the query touched first.")
}
fares 1
fares 3
psql -X -q -d postgres -c "DROP DATABASE $db"

# ------------------------------------------------------------ report
{
	echo "Matching, one backend, work_mem 4MB, medians of $runs alternating runs:"
	echo
	echo "| measure | hand-written FULL OUTER JOIN | qrpay | ratio (fastest runs) | target | result |"
	echo "|---|--:|--:|--:|--:|:-:|"
	echo "| (i) \`qr_match\`, $(fmt_int "$rec_l") ledger rows vs $(fmt_int "$rec_s") statement rows | $(fmt_ms "$join_med") | $(fmt_ms "$match_med") | $match_ratio ($match_fratio) | ≤ 1.5 | $(verdict "$match_ratio" 1.5) |"
	echo "| (i) \`qr_reconcile\`, the same rows | $(fmt_ms "$join_med") | $(fmt_ms "$rec_med") | $rec_ratio ($rec_fratio) | ≤ 1.5 | $(verdict "$rec_ratio" 1.5) |"
	echo
	if [ -n "$big_line" ]; then
		echo "| measure | time | throughput |"
		echo "|---|--:|--:|"
		echo "$big_line"
		echo
	fi
	echo "| measure | work_mem | peak RSS growth (VmHWM) | anonymous memory peak growth (RssAnon, sampled) | time |"
	echo "|---|--:|--:|--:|--:|"
	printf '%s\n' "${mem_lines[@]}"
	echo
	echo "- qr_match outcomes: $match_outcomes."
	echo "- The same FULL OUTER JOIN written over whole tables, NULL references included: $(if [ -n "$naive_ms" ]; then fmt_ms "$naive_ms"; else echo "cancelled after $naive_limit s"; fi)."
	echo "- With work_mem = 64kB qr_match ran in $(fmt_ms "$match_small") and wrote $(fmt_int "$((temp_after - temp_before))") bytes of temporary files."
	if [ -n "$big_line" ]; then
		echo "- $(fmt_int "$big_rows") payments: the tables took $gen_s s to make; qr_match read $(fmt_int "$((big_l + big_s))") rows."
	fi
	printf '%s\n' "${mem_notes[@]}"
	echo "- Runs (ms): qr_match ${match_runs[*]}; qr_reconcile ${rec_runs[*]}; FULL OUTER JOIN ${join_runs[*]}."
} >"$report"
echo
cat "$report"

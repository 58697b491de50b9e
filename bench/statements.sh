#!/usr/bin/env bash
# Statement readers against COPY, in one run: a WeChat Pay ALL bill of
# BENCH_BILL_LINES detail lines (default 500,000) generated in SQL, read by
# the C reader (qr_statement_parse, or qr_statement_wechat where that is
# all there is) and loaded by qr_statement_load (read and inserted into
# qr_statement_lines), against a server-side COPY ... (FORMAT csv) of the
# same detail lines into a table of 27 text columns.  Rates are lines per
# second; the ratio is the reader's rate over COPY's (goal >= 0.5).  The
# three alternate within each round, after an untimed warm-up round; the
# medians of BENCH_RUNS rounds are reported.
#
# bench/run calls it on its cluster and puts the section it writes
# (BENCH_STATEMENTS_OUT, default bench/build/statements.md) into
# bench/results.md.  Run alone, it starts a throwaway cluster:
#   bash bench/statements.sh
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
lines=${BENCH_BILL_LINES:-500000}
runs=${BENCH_RUNS:-5}
report=${BENCH_STATEMENTS_OUT:-$here/build/statements.md}
for v in "$lines" "$runs"; do
	case $v in
	'' | *[!0-9]* | 0)
		echo "BENCH_BILL_LINES and BENCH_RUNS must be positive integers" >&2
		exit 2
		;;
	esac
done
mkdir -p "$(dirname "$report")"

cd "$root"
if [ -z "${PGHOST:-}" ]; then
	# shellcheck source-path=SCRIPTDIR source=../test/cluster.sh
	. test/cluster.sh
	qrpay_bench_cluster_start
fi

db=qrpay_bench_statements
q() { psql -X -q -v ON_ERROR_STOP=1 -At -d "$db" "$@"; }
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "SET client_min_messages = warning" \
	-c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"

# The server writes and reads the detail file itself: it goes in the
# cluster's data directory, which the server user owns and which goes away
# with the throwaway cluster.
detail=$(q -c "SELECT current_setting('data_directory')")/bench_bill_lines.csv
detail_sql=${detail//\'/\'\'}

echo "generating a WeChat Pay ALL bill of $lines lines"
q -c "CREATE EXTENSION qrpay" -f "$here/bench.sql"
q -v lines="$lines" <<'SQL'
-- one day of payments, every 50th refunded in part, 27 backtick fields a line
CREATE TABLE bill_lines AS
SELECT g, format('`%s,`wx8888888888888888,`1900000109,`0,`0,`42000%s,`ORD%s,`oUser%s,`NATIVE,`%s,`CMB_CREDIT,`CNY,`%s,`0.00,`%s,`%s,`%s,`0.00,`%s,`%s,`Tea,`,`%s,`0.60%%,`%s,`%s,`',
                 to_char(timestamp '2025-03-01' + g * (86000.0 / :lines) * interval '1 s', 'YYYY-MM-DD HH24:MI:SS'),
                 lpad(g::text, 10, '0'), g, g % 9973, CASE WHEN g % 50 = 0 THEN 'REFUND' ELSE 'SUCCESS' END, amount,
                 CASE WHEN g % 50 = 0 THEN '50300' || g ELSE '0' END, CASE WHEN g % 50 = 0 THEN 'RF' || g ELSE '0' END,
                 CASE WHEN g % 50 = 0 THEN round(amount / 2, 2) ELSE 0.00 END,
                 CASE WHEN g % 50 = 0 THEN 'ORIGINAL' ELSE '' END, CASE WHEN g % 50 = 0 THEN 'SUCCESS' ELSE '' END,
                 round(amount * 0.006, 2), amount, CASE WHEN g % 50 = 0 THEN round(amount / 2, 2) ELSE 0.00 END) AS line,
       amount, CASE WHEN g % 50 = 0 THEN round(amount / 2, 2) ELSE 0.00 END AS refund, round(amount * 0.006, 2) AS fee
FROM generate_series(1, :lines) g, LATERAL (SELECT round(((g::bigint * 7919) % 100000) / 100.0 + 1, 2) AS amount) a;
CREATE TABLE bill AS
SELECT convert_to('交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注' || E'\n'
                  || string_agg(line, E'\n' ORDER BY g) || E'\n'
                  || E'总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\n'
                  || format('`%s,`%s,`%s,`0.00,`%s,`%s,`%s', count(*), sum(amount), sum(refund), sum(fee), sum(amount), sum(refund))
                  || E'\n', 'UTF8') AS file
FROM bill_lines;
ALTER TABLE bill ALTER COLUMN file SET STORAGE EXTERNAL;
CREATE TABLE bill_copy (c1 text, c2 text, c3 text, c4 text, c5 text, c6 text, c7 text, c8 text, c9 text,
    c10 text, c11 text, c12 text, c13 text, c14 text, c15 text, c16 text, c17 text, c18 text, c19 text,
    c20 text, c21 text, c22 text, c23 text, c24 text, c25 text, c26 text, c27 text);
SQL
# the same detail lines, byte for byte, as a file for COPY
q -c "COPY (SELECT line FROM bill_lines ORDER BY g) TO '$detail_sql'"
bill_bytes=$(q -c "SELECT length(file) FROM bill")
detail_bytes=$(q -c "SELECT (pg_stat_file('$detail_sql')).size")

# What the server has: qr_statement_parse and qr_statement_load from 0.8.0 on.
have() { q -c "SELECT count(*) FROM pg_proc WHERE proname = '$1'"; }
if [ "$(have qr_statement_parse)" != 0 ]; then
	reader=qr_statement_parse
	read_sql="SELECT count(*) FROM qr_statement_parse((SELECT file FROM bill), 'wechatpay')"
else
	reader=qr_statement_wechat
	read_sql="SELECT count(*) FROM qr_statement_wechat((SELECT convert_from(file, 'UTF8') FROM bill))"
fi
loader=""
if [ "$(have qr_statement_load)" != 0 ] && [ "$reader" = qr_statement_parse ]; then
	loader=qr_statement_load
	load_sql="SELECT qr_statement_load('wechatpay', (SELECT file FROM bill))"
fi
copy_sql="COPY bill_copy FROM '$detail_sql' (FORMAT csv)"

# Checks that each side did the whole work, before any timing.
q -c "$copy_sql"
copied=$(q -c "SELECT count(*) FROM bill_copy")
read_rows=$(q -c "$read_sql")
if [ "$copied" != "$lines" ] || [ "$read_rows" != "$lines" ]; then
	echo "COPY took $copied rows and $reader gave $read_rows; the bill has $lines" >&2
	exit 1
fi
if [ -n "$loader" ]; then
	q -c "$load_sql" >/dev/null
	loaded=$(q -c "SELECT count(*) FROM qr_statement_lines WHERE error IS NULL")
	if [ "$loaded" != "$lines" ]; then
		echo "$loader stored $loaded readable lines; the bill has $lines" >&2
		exit 1
	fi
fi

median() { printf '%s\n' "$@" | sort -g | sed -n "$((($# + 1) / 2))p"; }
# Each timed statement starts on an empty target after a CHECKPOINT and a
# sync, so that no write-back of the previous round lands in it; loading
# the same file twice is a no-op by design, so its batch is deleted first
# (qr_statement_lines refuses TRUNCATE; a batch no run has read may go).
fresh() {
	q -c "TRUNCATE bill_copy" >/dev/null
	if [ -n "$loader" ]; then
		q -c "DELETE FROM qr_statement_batches" >/dev/null	# its lines go with it
	fi
	q -c "CHECKPOINT"
	sync
}
copy_ms=()
read_ms=()
load_ms=()
for round in 0 $(seq "$runs"); do
	fresh
	c=$(q -c "SELECT bench_ms('${copy_sql//\'/\'\'}')")
	r=$(q -c "SELECT bench_ms('${read_sql//\'/\'\'}')")
	l=""
	if [ -n "$loader" ]; then
		l=$(q -c "SELECT bench_ms('${load_sql//\'/\'\'}')")
	fi
	[ "$round" = 0 ] && continue
	copy_ms+=("$c")
	read_ms+=("$r")
	[ -n "$l" ] && load_ms+=("$l")
	echo "  statements round $round: COPY $c ms, $reader $r ms${l:+, $loader $l ms}"
done

rate() { awk -v n="$1" -v ms="$2" 'BEGIN { printf "%.0f", n / (ms / 1000) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b / a }'; }
verdict() { awk -v v="$1" -v t="$2" 'BEGIN { print (v >= t) ? "PASS" : "MISS" }'; }
fmt_int() { awk -v v="$1" 'BEGIN { s = sprintf("%.0f", v); n = length(s); o = "";
	for (i = 1; i <= n; i++) { o = o substr(s, i, 1); if ((n - i) % 3 == 0 && i < n) o = o "," }
	print o }'; }
copy_med=$(median "${copy_ms[@]}")
read_med=$(median "${read_ms[@]}")
copy_rate=$(rate "$lines" "$copy_med")
read_rate=$(rate "$lines" "$read_med")
read_ratio=$(ratio "$read_med" "$copy_med")
{
	echo "Statement readers against COPY, one backend, medians of $runs alternating runs:"
	echo
	echo "| measure | lines/s | COPY lines/s | ratio | target | result |"
	echo "|---|--:|--:|--:|--:|:-:|"
	echo "| (j) \`$reader\`, WeChat Pay ALL bill of $(fmt_int "$lines") lines ($(fmt_int "$bill_bytes") B) | $(fmt_int "$read_rate") | $(fmt_int "$copy_rate") | $read_ratio | ≥ 0.5 | $(verdict "$read_ratio" 0.5) |"
	if [ -n "$loader" ]; then
		load_med=$(median "${load_ms[@]}")
		load_rate=$(rate "$lines" "$load_med")
		load_ratio=$(ratio "$load_med" "$copy_med")
		# the goal is the reader's; the load also types, checks, indexes
		# and stores every line (a primary key, two indexes, the batch),
		# which COPY into text columns does not: its ratio is reported
		echo "| (j) \`$loader\`, the same bill read, typed and stored with its indexes | $(fmt_int "$load_rate") | $(fmt_int "$copy_rate") | $load_ratio | — | — |"
	else
		echo "| (j) \`qr_statement_load\` | not in this version | | | | |"
	fi
	echo
	echo "- COPY: \`COPY bill_copy FROM file (FORMAT csv)\` of the bill's detail lines alone ($(fmt_int "$detail_bytes") B) into 27 text columns."
	echo "- Runs (ms): COPY ${copy_ms[*]}; $reader ${read_ms[*]}${loader:+; $loader ${load_ms[*]}}."
} >"$report"
echo
cat "$report"
psql -X -q -d postgres -c "DROP DATABASE $db"

#!/usr/bin/env bash
# A generated month for the back office, in a database of its own on the
# running test cluster (test/run starts it; run alone, this script starts
# a throwaway one): MONTH_DAYS days (default 30) of MONTH_TXNS payments a
# day (default 10000) over WeChat Pay, Alipay and UnionPay (a generic CSV
# through a column mapping), with breaks and outcomes of every kind
# injected (payouts, partial and orphan refunds, fees, other currencies
# and ties among them).  Each
# day's files are rendered in SQL in every supported format and variant
# (test/month/generate.sql); every check is an SQL assertion
# (test/month/checks.sql) that prints "ok" or "FAIL"; the script fails
# when one fails or when fewer ran than expected.
#
#   bash test/month.sh
#   MONTH_DAYS=6 MONTH_TXNS=2000 bash test/month.sh      a quick run (6 days at least)
#   MONTH_TXNS=100000 bash test/month.sh                  the full size (~11 minutes)
set -euo pipefail
cd "$(dirname "$0")/.."

days=${MONTH_DAYS:-30}
# 10,000 a day, not 100,000: the full size (MONTH_TXNS=100000, 30 days
# of 100,000 payments: 3.0 M ledger rows, 3.0 M lines in 96 files) passes
# every check in about 11 minutes on two cores, other work beside it: 7
# loading and reconciling (each run scans the whole ledger once), 2 in
# the checks.  At 10,000 under a minute and a half.
txns=${MONTH_TXNS:-10000}
for v in "$days" "$txns"; do
	case $v in
	'' | *[!0-9]* | 0)
		echo "MONTH_DAYS and MONTH_TXNS must be positive integers" >&2
		exit 2
		;;
	esac
done
if [ "$days" -lt 6 ]; then
	# the variants cycle over six days (every fifth day's WeChat Pay bill
	# is split, every sixth has a BOM), and the correction takes day 3
	echo "MONTH_DAYS must be at least 6" >&2
	exit 2
fi

if [ -z "${PGHOST:-}" ]; then
	# shellcheck source-path=SCRIPTDIR source=cluster.sh
	. test/cluster.sh
	qrpay_cluster_start
fi

db=qrpay_month
correct_day=3
q() { psql -X -q -v ON_ERROR_STOP=1 -At -d "$db" -v days="$days" -v txns="$txns" -v correct_day="$correct_day" "$@"; }
out=$(mktemp /tmp/qrpay-month.XXXXXX)
trap 'rm -f "$out"' RETURN

phases=()
phase() {	# name, then the command; its output goes to the screen and to $out
	local name=$1 t0 t1
	shift
	t0=$(date +%s.%N)
	"$@" | tee -a "$out"
	t1=$(date +%s.%N)
	phases+=("$name $(printf '%.1f' "$(echo "$t1 - $t0" | bc)") s")
}

psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "SET client_min_messages = warning" \
	-c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
q -c "CREATE EXTENSION qrpay"

echo "generating $days days of $txns payments"
phase "ledger and lines" q -f test/month/generate.sql -f test/month/checks.sql
# the files, in two sessions at once (two cores)
render() {
	q -c "SELECT month_render_files(1, 0)" >/dev/null &
	q -c "SELECT month_render_files(1, 1)" >/dev/null
	wait $!
}
phase "files rendered" render
q -c "SELECT format('%s ledger rows, %s statement lines in %s files (%s MB), %s breaks injected',
                    (SELECT count(*) FROM month_ledger), (SELECT count(*) FROM month_statement),
                    count(*), round(sum(length(file)) / 1e6), (SELECT count(*) FROM month_injected))
             FROM month_files"
if [ "$(q -c "SELECT count(DISTINCT proname) FROM pg_proc WHERE proname IN ('qr_statement_load', 'qr_statement_parse')")" != 2 ]; then
	# a qrpay without the persisted back office, or without the C reader
	# it loads files with: the readers alone
	phase "files read back" q -f test/month/readers.sql
	expected=4
else
	q -f test/month/backoffice.sql
	days_run() {
		local d
		for d in $(seq 0 $((days - 1))); do
			q -c "SELECT month_day($d)" >/dev/null
		done
	}
	phase "files loaded and days reconciled" days_run
	q -c "SELECT format('%s batches, %s lines stored, %s runs, %s results, %s breaks (%s open)',
	                    (SELECT count(*) FROM qr_statement_batches), (SELECT count(*) FROM qr_statement_lines),
	                    (SELECT count(*) FROM qr_recon_runs), (SELECT count(*) FROM qr_recon_results),
	                    (SELECT count(*) FROM qr_recon_breaks), (SELECT count(*) FROM qr_recon_breaks WHERE status = 'open'))"
	phase "checks, reload, correction" q -f test/month/backoffice_checks.sql
	expected=23
fi
ran=$(q -c "SELECT count(*) FROM month_checks")
failed=$(q -c "SELECT count(*) FROM month_checks WHERE NOT ok")
echo
echo "month: ${phases[*]/%/;}"
q -c "SELECT format('%s checks: %s', sum(n), string_agg(phase || ' ' || n, ', '))
             FROM (SELECT phase, count(*) AS n, min(c.n) AS first FROM month_checks c GROUP BY phase ORDER BY first) p"
if [ "$ran" -lt "$expected" ]; then
	echo "FAIL only $ran checks ran; $expected expected"
	failed=$((failed + 1))
fi
[ -n "${MONTH_KEEP:-}" ] || psql -X -q -d postgres -c "DROP DATABASE $db"
if [ "$failed" -ne 0 ]; then
	echo "month: $failed check(s) failed"
	exit 1
fi

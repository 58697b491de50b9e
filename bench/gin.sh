#!/usr/bin/env bash
# The GIN index at several table sizes: for each size of BENCH_GIN_SIZES
# (default "100000 1000000 10000000"), that many codes of the acquirer mix
# of bench/gen_codes (BENCH_GIN_EMV_ONLY=1: EMVCo merchant codes only) in a
# one-column payment_qr table, and three indexes on it:
#
#   the default operator class     CREATE INDEX ... USING gin (code)
#   jsonb_path_ops                 USING gin (qr_to_jsonb(code) jsonb_path_ops)
#   the 0.10.0 default             USING gin (code payment_qr_gin_ops)
#
# Sizes are pg_relation_size.  Build times: BENCH_GIN_RUNS rounds (default
# 3) of the default class and jsonb_path_ops, alternating which goes
# first, each after a CHECKPOINT; the 0.10.0 class is built once per size
# (BENCH_GIN_PREVIOUS=0 skips it).  Lookups: the 200 selective @> lookups
# of bench/run part (g) (fields of rows spread over the table, every
# format), BENCH_RUNS rounds (default 5) alternating with jsonb_path_ops
# after an untimed warm-up; the 0.10.0 class likewise, in rounds of its own
# against jsonb_path_ops.  Medians; ratios are payment_qr / jsonb
# (targets: size <= 0.6, build and lookups <= 1.0).
#
# bench/run calls it on its cluster and puts the section it writes
# (BENCH_GIN_OUT, default bench/build/gin.md) into bench/results.md.  Run
# alone, it starts a throwaway cluster:
#   BENCH_GIN_SIZES="100000 1000000" bash bench/gin.sh
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
sizes=${BENCH_GIN_SIZES:-100000 1000000 10000000}
runs=${BENCH_RUNS:-5}
builds=${BENCH_GIN_RUNS:-3}
previous=${BENCH_GIN_PREVIOUS:-1}
report=${BENCH_GIN_OUT:-$here/build/gin.md}
for v in $sizes "$runs" "$builds"; do
	case $v in
	'' | *[!0-9]* | 0)
		echo "BENCH_GIN_SIZES, BENCH_RUNS and BENCH_GIN_RUNS must be positive integers" >&2
		exit 2
		;;
	esac
done
mix_opt=""
mix_name="the acquirer mix of bench/gen_codes"
if [ "${BENCH_GIN_EMV_ONLY:-0}" = 1 ]; then
	mix_opt="--emv-only"
	mix_name="EMVCo merchant codes only (bench/gen_codes --emv-only)"
fi
mkdir -p "$(dirname "$report")"

cd "$root"
gen=${BENCH_GEN_CODES:-}
if [ -z "$gen" ]; then
	gen=$(mktemp -d /tmp/qrpay-bench-gin.XXXXXX)/gen_codes
	# CFLAGS is split into words on purpose.
	# shellcheck disable=SC2086
	${CC:-cc} -std=c99 ${CFLAGS:--O2} -I src/core bench/gen_codes.c src/core/*.c -o "$gen"
fi
if [ -z "${PGHOST:-}" ]; then
	# shellcheck source-path=SCRIPTDIR source=../test/cluster.sh
	. test/cluster.sh
	qrpay_bench_cluster_start
fi

db=qrpay_bench_gin
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"
q() { psql -X -q -v ON_ERROR_STOP=1 -At -d "$db" "$@"; }
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "SET client_min_messages = warning" \
	-c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
q -c "CREATE EXTENSION qrpay" -f "$here/bench.sql"
default_class=$(q -c "SELECT c.opcname FROM pg_opclass c JOIN pg_am a ON a.oid = c.opcmethod
                        WHERE a.amname = 'gin' AND c.opcdefault AND c.opcintype = 'payment_qr'::regtype")

# 200 selective lookups, as in bench/run part (g); gin_lookup_ms times
# them all through whichever index the side's expression has.
q <<'SQL'
CREATE FUNCTION gin_lookup_ms(jsonb_side boolean) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz := clock_timestamp();
    r record;
    n bigint;
BEGIN
    FOR r IN SELECT * FROM gin_lookups LOOP
        IF jsonb_side THEN
            SELECT count(*) INTO n FROM t_gin WHERE qr_to_jsonb(code) @> r.doc;
        ELSE
            SELECT count(*) INTO n FROM t_gin WHERE code @> jsonb_build_object(r.path, r.value);
        END IF;
    END LOOP;
    RETURN extract(epoch FROM clock_timestamp() - t0) * 1000;
END $$;
SQL

median() { printf '%s\n' "$@" | sort -g | sed -n "$((($# + 1) / 2))p"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b / a }'; }
verdict() { awk -v v="$1" -v t="$2" 'BEGIN { print (v <= t) ? "PASS" : "MISS" }'; }
mb() { awk -v v="$1" 'BEGIN { printf "%.1f MB", v / 1048576 }'; }
fmt_int() { awk -v v="$1" 'BEGIN { s = sprintf("%.0f", v); n = length(s); o = "";
	for (i = 1; i <= n; i++) { o = o substr(s, i, 1); if ((n - i) % 3 == 0 && i < n) o = o "," }
	print o }'; }
secs() { awk -v v="$1" 'BEGIN { printf "%.2f s", v / 1000 }'; }
build() { q -c "SELECT bench_ms('CREATE INDEX $1 ON t_gin USING gin ($2)')"; }

# lookups of one payment_qr index against jsonb_path_ops: "ours jsonb" medians
lookups() {
	local ours=() theirs=()
	q -c "SELECT gin_lookup_ms(false)" -c "SELECT gin_lookup_ms(true)" >/dev/null
	for round in $(seq "$runs"); do
		ours+=("$(q -c "SELECT gin_lookup_ms(false)")")
		theirs+=("$(q -c "SELECT gin_lookup_ms(true)")")
		echo "  lookups round $round: $1 ${ours[-1]} ms, jsonb_path_ops ${theirs[-1]} ms" >&2
	done
	echo "$(median "${ours[@]}") $(median "${theirs[@]}")"
}

rows_md=""
prev_md=""
for n in $sizes; do
	n=$((10#$n))
	echo "GIN at $n codes: loading"
	q -c "DROP TABLE IF EXISTS t_gin" -c "DROP TABLE IF EXISTS gin_lookups" -c "CREATE TABLE t_gin (code payment_qr)"
	# shellcheck disable=SC2086
	"$gen" "$n" $mix_opt | q -c "COPY t_gin FROM STDIN"
	q -c "VACUUM ANALYZE t_gin"
	ours_b=()
	jsonb_b=()
	for round in $(seq "$builds"); do
		q -c "DROP INDEX IF EXISTS t_gin_ours" -c "DROP INDEX IF EXISTS t_gin_jsonb" -c "CHECKPOINT"
		if [ $((round % 2)) = 1 ]; then
			ours_b+=("$(build t_gin_ours code)")
			jsonb_b+=("$(build t_gin_jsonb "qr_to_jsonb(code) jsonb_path_ops")")
		else
			jsonb_b+=("$(build t_gin_jsonb "qr_to_jsonb(code) jsonb_path_ops")")
			ours_b+=("$(build t_gin_ours code)")
		fi
		echo "  build round $round: $default_class ${ours_b[-1]} ms, jsonb_path_ops ${jsonb_b[-1]} ms"
	done
	ours_size=$(q -c "SELECT pg_relation_size('t_gin_ours')")
	jsonb_size=$(q -c "SELECT pg_relation_size('t_gin_jsonb')")
	q <<'SQL'
ANALYZE t_gin;
CREATE TABLE gin_lookups AS
SELECT row_number() OVER () AS n, path, value,
       CASE WHEN position('.' in path) > 0
            THEN jsonb_build_object(split_part(path, '.', 1), jsonb_build_object(split_part(path, '.', 2), value))
            ELSE jsonb_build_object(path, value) END AS doc
FROM (SELECT DISTINCT ON (c.ctid) t.path, t.value
        FROM (SELECT ctid, code FROM t_gin TABLESAMPLE SYSTEM (1) REPEATABLE (7) LIMIT 400) c,
             LATERAL (SELECT path, value FROM qr_tags(c.code)
                       WHERE path IN ('code', 'path', 'pa', 'iban', 'ACC', '59', '26.01', '62.05', '61.57', 'creditor.name')
                       LIMIT 1) t
       ORDER BY c.ctid) s
LIMIT 200;
SQL
	plan=$(q -c "EXPLAIN (costs off) SELECT count(*) FROM t_gin WHERE code @> (SELECT jsonb_build_object(path, value) FROM gin_lookups LIMIT 1)" |
		grep -c "Bitmap Index Scan on t_gin_ours" || true)
	read -r ours_l jsonb_l < <(lookups "$default_class")
	hits=$(q -c "SELECT sum((SELECT count(*) FROM t_gin WHERE code @> jsonb_build_object(l.path, l.value))) FROM gin_lookups l")
	nl=$(q -c "SELECT count(*) FROM gin_lookups")
	ours_bm=$(median "${ours_b[@]}")
	jsonb_bm=$(median "${jsonb_b[@]}")
	sr=$(ratio "$jsonb_size" "$ours_size")
	br=$(ratio "$jsonb_bm" "$ours_bm")
	lr=$(ratio "$jsonb_l" "$ours_l")
	rows_md="$rows_md| $(fmt_int "$n") | $(mb "$jsonb_size") | $(mb "$ours_size") | $sr $(verdict "$sr" 0.6) | $(secs "$jsonb_bm") | $(secs "$ours_bm") | $br $(verdict "$br" 1.0) | $(secs "$jsonb_l") | $(secs "$ours_l") | $lr $(verdict "$lr" 1.0) | $nl lookups, $hits rows, index used: $plan |
"
	if [ "$previous" = 1 ]; then
		q -c "DROP INDEX t_gin_ours" -c "CHECKPOINT"
		prev_b=$(build t_gin_prev "code payment_qr_gin_ops")
		prev_size=$(q -c "SELECT pg_relation_size('t_gin_prev')")
		read -r prev_l prev_jsonb_l < <(lookups payment_qr_gin_ops)
		q -c "DROP INDEX t_gin_prev"
		prev_md="$prev_md| $(fmt_int "$n") | $(mb "$prev_size") | $(ratio "$jsonb_size" "$prev_size") | $(secs "$prev_b") | $(ratio "$jsonb_bm" "$prev_b") | $(secs "$prev_l") | $(ratio "$prev_jsonb_l" "$prev_l") |
"
	fi
	q -c "DROP TABLE t_gin" -c "DROP TABLE gin_lookups"
done

{
	cat <<EOF
GIN index at table sizes ($mix_name): the default operator class
\`$default_class\` against \`jsonb_path_ops\` on \`qr_to_jsonb(code)\`, default settings;
builds are medians of $builds alternating rounds, lookups (200 selective \`@>\`, as in (g)) of $runs.

| codes | jsonb_path_ops size | $default_class size | ratio (≤ 0.6) | jsonb build | build | ratio (≤ 1.0) | jsonb lookups | lookups | ratio (≤ 1.0) | |
|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|
$rows_md
EOF
	if [ "$previous" = 1 ]; then
		cat <<EOF

The 0.10.0 default (\`payment_qr_gin_ops\`, one folded value key per leaf) on the same tables,
ratios against the same jsonb_path_ops index (its build timed once, its lookups in rounds of their own):

| codes | size | size ratio | build | build ratio | lookups | lookup ratio |
|--:|--:|--:|--:|--:|--:|--:|
$prev_md
EOF
	fi
} >"$report"
cat "$report"

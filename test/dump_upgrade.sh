#!/usr/bin/env bash
# dump_upgrade.sh — the extension's life cycle against a running cluster
# (PGHOST/PGPORT/PGUSER set, as test/run does):
#   1. a 0.1.0 installation holding indexed codes, updated to 0.8.0 and
#      given a back-office day (a batch, a run and its breaks), upgrades in
#      place: the codes stay readable,
#      their btree index passes amcheck, a GIN index builds and answers, the
#      next run carries the day's breaks, and it ends with exactly the
#      objects, comments, constraints, triggers and shipped rows of a fresh
#      installation;
#   2. pg_dump / pg_restore carries the user's catalog rows and their
#      effect on qr_networks and qr_route, not the shipped rows twice, a
#      GIN index with its value_bits parameter, the back office's rows and
#      the reconciliation settings and rates;
#   3. so does a directory dump restored by parallel jobs, the catalog
#      tables' data in one serial pass first: pg_restore -j loads those
#      tables at once, and rules naming user cities would race their
#      cities (see qrpay_catalog.c, "Restore").
set -euo pipefail

db() { psql -X -q -v ON_ERROR_STOP=1 -d "$1" "${@:2}"; }

fresh=qrpay_fresh upgraded=qrpay_upgraded src=qrpay_dump_src dst=qrpay_dump_dst pdst=qrpay_dump_pdst
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"
for d in $fresh $upgraded $src $dst $pdst; do
	psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $d" -c "CREATE DATABASE $d"
done
trap 'rm -rf "${TMPDIR:-/tmp}/qrpay_dumpdir.$$"*; for d in $fresh $upgraded $src $dst $pdst; do psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $d"; done' EXIT

# the back office's day: a statement batch and its lines, a run, its
# results and breaks, one of them worked
day=$(cat <<'SQL'
SET TimeZone = 'Asia/Shanghai';
CREATE TABLE day_ledger AS
SELECT 'L' || g AS txn_id, 'wechatpay'::text AS provider, 'ORD' || g AS reference, 10.00 + g AS amount, 'CNY'::text AS currency,
       timestamptz '2025-03-01 09:00+08' + g * interval '1 min' AS ts FROM generate_series(1, 50) g;
CREATE TABLE day_file AS
SELECT convert_to('交易时间,微信订单号,商户订单号,交易状态,货币种类,应结订单金额,手续费' || E'\n'
       || string_agg(format('`%s,`W%s,`%s,`SUCCESS,`CNY,`%s,`0.06', to_char(ts, 'YYYY-MM-DD HH24:MI:SS'), substr(txn_id, 2),
                            reference, amount), E'\n' ORDER BY ts)
       || E'\n总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\n`'
       || count(*) || ',`' || sum(amount) || ',`0.00,`0.00,`' || 0.06 * count(*) || ',`' || sum(amount) || ',`0.00', 'UTF8') AS file
  FROM day_ledger WHERE txn_id NOT IN ('L7', 'L8');
SELECT qr_statement_load('wechatpay', file) FROM day_file;
SELECT qr_recon_run('day_ledger', ARRAY[1]::bigint[]);
SELECT status FROM qr_break_assign((SELECT min(id) FROM qr_recon_breaks), 'li.wei', 'asked the provider');
SQL
)

db $fresh -c "CREATE EXTENSION qrpay"
db $upgraded <<'SQL'
CREATE EXTENSION qrpay VERSION '0.1.0';
CREATE EXTENSION amcheck;
CREATE TABLE ledger (id int PRIMARY KEY, code payment_qr);
INSERT INTO ledger SELECT g, '00020101021126140010com.pay.me5204411153031565802CN5904SHOP6007BEIJING6304F320'
  FROM generate_series(1, 1000) g;
CREATE INDEX ledger_code ON ledger (code);
ALTER EXTENSION qrpay UPDATE TO '0.8.0';
SQL
# at 0.8.0 the day's run is as a restore brings it back (this library's
# engine needs the tables of 0.9.0): its row and its two breaks, one worked
db $upgraded -o /dev/null <<<"${day%%SELECT qr_recon_run*}"
db $upgraded -o /dev/null <<'SQL'
INSERT INTO qr_recon_runs (id, ledger, batches, providers, settings, status, finished_at, ledger_rows, statement_rows, outcomes)
VALUES (1, 'day_ledger', '{1}', '{wechatpay}', '{"time_window": "00:15:00", "amount_tolerance": 0}', 'done', now(), 50, 48,
        '{"matched": 48, "missing_in_statement": 2}');
SELECT setval('qr_recon_runs_id_seq', 1);
INSERT INTO qr_recon_breaks (provider, side, txn, reference, kind, ledger_txn, currency, amount, txn_at, opened_run, last_run)
SELECT provider, 'ledger', txn_id, reference, 'missing_in_statement', txn_id, currency, amount, ts, 1, 1
  FROM day_ledger WHERE txn_id IN ('L7', 'L8') ORDER BY txn_id;
SELECT status FROM qr_break_assign((SELECT min(id) FROM qr_recon_breaks), 'li.wei', 'asked the provider');
SQL
db $upgraded <<'SQL'
ALTER EXTENSION qrpay UPDATE;
DO $$ BEGIN PERFORM bt_index_parent_check('ledger_code', true, true); END $$;
CREATE INDEX ledger_fields ON ledger USING gin (code);
SQL
[ "$(db $upgraded -At -c "SET enable_seqscan = off" -c "SELECT count(*) FROM ledger WHERE code @> '{\"59\": \"SHOP\"}'")" = 1000 ]
[ "$(db $upgraded -At -c "SELECT count(*) FROM ledger WHERE qr_merchant_name(code) = 'SHOP'")" = 1000 ]
[ "$(db $upgraded -At -c "SELECT extversion FROM pg_extension WHERE extname = 'qrpay'")" = "$(sed -n "s/^default_version = '\(.*\)'/\1/p" qrpay.control)" ]
db $upgraded -q -c "DROP EXTENSION amcheck"
# the day of 0.8.0 goes on after the upgrade: the next run carries its breaks
[ "$(db $upgraded -At -c "SELECT qr_recon_run('day_ledger', ARRAY[1]::bigint[])")" = 2 ]
[ "$(db $upgraded -At -c "SELECT string_agg(txn || ' ' || status || ' ' || (last_run = 2), ',' ORDER BY txn) FROM qr_recon_breaks")" = 'L7 assigned true,L8 open true' ]
[ "$(db $upgraded -At -c "SELECT count(*) FILTER (WHERE settings ? 'override') || ' ' || count(*) FROM qr_recon_runs")" = '1 2' ]

# everything the extension defines, as text
describe='
SELECT pg_describe_object(classid, objid, objsubid) || E"\t" || coalesce(obj_description(objid, classid::regclass::text), "")
  FROM pg_depend WHERE refclassid = "pg_extension"::regclass AND deptype = "e"
UNION ALL SELECT pg_get_functiondef(p.oid) || coalesce(obj_description(p.oid, "pg_proc"), "")
  FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.deptype = "e" WHERE p.prokind = "f"
UNION ALL SELECT conrelid::regclass || " " || conname || " " || pg_get_constraintdef(oid)
  FROM pg_constraint WHERE conrelid IN (SELECT objid FROM pg_depend WHERE classid = "pg_class"::regclass AND deptype = "e")
UNION ALL SELECT pg_get_triggerdef(oid) FROM pg_trigger
  WHERE NOT tgisinternal AND tgrelid IN (SELECT objid FROM pg_depend WHERE classid = "pg_class"::regclass AND deptype = "e")
UNION ALL SELECT attrelid::regclass || "." || attname || " " || format_type(atttypid, atttypmod)
       || " " || coalesce(col_description(attrelid, attnum), "")
  FROM pg_attribute WHERE attrelid IN (SELECT objid FROM pg_depend WHERE classid = "pg_class"::regclass AND deptype = "e")
   AND attnum > 0 AND NOT attisdropped
UNION ALL SELECT "providers " || md5(string_agg(p::text, "," ORDER BY code)) FROM qr_providers p
UNION ALL SELECT "patterns " || md5(string_agg(p::text, "," ORDER BY provider, kind, pattern)) FROM qr_provider_patterns p
UNION ALL SELECT "cities " || md5(string_agg(c::text, "," ORDER BY name)) FROM qr_cities c
UNION ALL SELECT "rules " || md5(string_agg(r::text, "," ORDER BY id)) FROM qr_interop_rules r
ORDER BY 1'
describe=${describe//\"/\'}
diff <(db $fresh -At -c "$describe") <(db $upgraded -At -c "$describe")
echo "upgrade 0.1.0 -> $(db $upgraded -At -c "SELECT extversion FROM pg_extension WHERE extname = 'qrpay'") in place: data and index intact, $(db $fresh -At -c "$describe" | wc -l) definitions equal to a fresh install"

# user rows survive dump and restore; shipped rows are not duplicated
db $src <<'SQL'
CREATE EXTENSION qrpay;
INSERT INTO qr_providers (code, name, kind, country) VALUES ('mybank', 'My Bank', 'bank', 'CN');
INSERT INTO qr_provider_patterns (provider, kind, pattern, note) VALUES
    ('mybank', 'url', 'https://pay.mybank.example/*', 'our merchant codes'),
    ('cmpay', 'payment_code', '88*', 'telco wallet consumer codes');
INSERT INTO qr_cities (name, name_zh, province) VALUES ('Wuxi', '无锡', 'Jiangsu');
INSERT INTO qr_interop_rules (id, payer, payee, via, cities, source)
VALUES ('mybank-wechat', 'mybank', 'wechatpay', 'netsunion', ARRAY['Wuxi', 'Beijing'], 'our agreement');
-- enough rules naming user cities that a parallel restore would start them
-- before qr_cities
INSERT INTO qr_cities (name, province) SELECT 'Town' || g, 'Jiangsu' FROM generate_series(1, 50) g;
INSERT INTO qr_interop_rules (id, payer, payee, via, cities, source)
SELECT 'mybank-alipay-' || g, 'mybank', 'alipay', 'netsunion', ARRAY['Wuxi', 'Town' || (g % 50 + 1)], 'branch agreement ' || g
  FROM generate_series(1, 3000) g;
CREATE TABLE payments (id int PRIMARY KEY, code payment_qr);
INSERT INTO payments VALUES (1, 'https://pay.mybank.example/q/1'), (2, '881234567890123456'),
                            (3, 'wxp://f2f0abc');
CREATE INDEX payments_fields ON payments USING gin (code payment_qr_gin_ops (value_bits = 20));
-- the reconciliation settings and rates are the user's rows too
INSERT INTO qr_recon_settings (provider, date_lag, note) VALUES ('alipay', '1 day', 'next-day payouts');
INSERT INTO qr_recon_fee_rates (provider, currency, rate, source) VALUES ('alipay', 'CNY', 0.006, 'agreement');
INSERT INTO qr_fx_rates (from_currency, to_currency, rate) VALUES ('HKD', 'CNY', 0.92);
SQL
db $src -o /dev/null <<<"$day"
query="SELECT id, qr_networks(code), (qr_route(code, 'mybank', now(), 'wuxi')).rule FROM payments ORDER BY id"
backoffice="SELECT 'batches ' || md5(string_agg(b::text, ',' ORDER BY id)) FROM qr_statement_batches b
  UNION ALL SELECT 'lines ' || count(*) || ' ' || md5(string_agg(l::text, ',' ORDER BY batch, line)) FROM qr_statement_lines l
  UNION ALL SELECT 'runs ' || md5(string_agg(r::text, ',' ORDER BY id)) FROM qr_recon_runs r
  UNION ALL SELECT 'results ' || count(*) || ' ' || md5(string_agg(r::text, ',' ORDER BY run, seq)) FROM qr_recon_results r
  UNION ALL SELECT 'breaks ' || md5(string_agg(b::text, ',' ORDER BY id)) FROM qr_recon_breaks b
  UNION ALL SELECT 'settings ' || md5(string_agg(s::text, ',' ORDER BY provider)) FROM qr_recon_settings s
  UNION ALL SELECT 'fee rates ' || md5(string_agg(f::text, ',' ORDER BY provider, currency)) FROM qr_recon_fee_rates f
  UNION ALL SELECT 'fx rates ' || md5(string_agg(x::text, ',' ORDER BY from_currency, to_currency)) FROM qr_fx_rates x"
counts='SELECT count(*) FILTER (WHERE shipped), count(*) FILTER (WHERE NOT shipped) FROM qr_provider_patterns
        UNION ALL SELECT count(*) FILTER (WHERE shipped), count(*) FILTER (WHERE NOT shipped) FROM qr_interop_rules'
pg_dump -Fc -d $src -f "${TMPDIR:-/tmp}/qrpay_dump.$$"
pg_restore --exit-on-error -d $dst "${TMPDIR:-/tmp}/qrpay_dump.$$"
rm -f "${TMPDIR:-/tmp}/qrpay_dump.$$"
diff <(db $src -At -c "$query" -c "$counts") <(db $dst -At -c "$query" -c "$counts")
db $dst -At -c "$query" | grep -qx '1|{mybank}|'
db $dst -At -c "$query" | grep -qx '2|{cmpay}|'
db $dst -At -c "$query" | grep -qx '3|{wechatpay}|mybank-wechat'
[ "$(db $dst -At -c "SET enable_seqscan = off" -c "SELECT id FROM payments WHERE code @> '{\"code\": \"881234567890123456\"}'")" = 2 ]
db $dst -At -c "SELECT pg_get_indexdef('payments_fields'::regclass)" | grep -q "value_bits='20'"
# the back office comes back whole and goes on: the same file is the same
# batch, and the next run carries the restored breaks
diff <(db $src -At -c "$backoffice") <(db $dst -At -c "$backoffice")
[ "$(db $dst -At -c "SELECT qr_statement_load('wechatpay', file) FROM day_file")" = 1 ]
[ "$(db $dst -At -c "SELECT qr_recon_run('day_ledger', ARRAY[1]::bigint[])")" = 2 ]
[ "$(db $dst -At -c "SELECT string_agg(txn || ' ' || status || ' ' || (last_run = 2), ',' ORDER BY txn) FROM qr_recon_breaks")" = 'L7 assigned true,L8 open true' ]

# a directory dump restored by 4 jobs: the definitions, then the data of
# the extension's configuration tables serially in pg_dump's order
# (providers before what names them, cities before rules), then the rest
dir="${TMPDIR:-/tmp}/qrpay_dumpdir.$$"
pg_dump -Fd -d $src -f "$dir"
config=$(db $src -At -c "SELECT string_agg(c.relname, '|') FROM pg_extension x, unnest(x.extconfig) r JOIN pg_class c ON c.oid = r
                          WHERE x.extname = 'qrpay'")
pg_restore -l "$dir" | grep -E " TABLE DATA [^ ]+ ($config) " >"$dir.config"
pg_restore -l "$dir" | grep -vE " TABLE DATA [^ ]+ ($config) " >"$dir.rest"
pg_restore --exit-on-error -j 4 --section=pre-data -d $pdst "$dir"
pg_restore --exit-on-error -L "$dir.config" -d $pdst "$dir"
pg_restore --exit-on-error -j 4 -L "$dir.rest" --section=data --section=post-data -d $pdst "$dir"
rm -rf "$dir" "$dir.config" "$dir.rest"
diff <(db $src -At -c "$query" -c "$counts") <(db $pdst -At -c "$query" -c "$counts")
diff <(db $src -At -c "$backoffice") <(db $pdst -At -c "$backoffice")
echo "pg_dump/pg_restore (also -j 4, catalog data first) keeps the user's catalog rows ($(db $dst -At -F/ -c "$counts" | tr '\n' ' ')shipped/user patterns and rules), the back office's batches, runs, results and breaks, and the reconciliation settings and rates"

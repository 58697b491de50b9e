#!/usr/bin/env bash
# dump_upgrade.sh — the extension's life cycle against a running cluster
# (PGHOST/PGPORT/PGUSER set, as test/run does):
#   0. qrpay--0.11.0.sql, the install script, installs what 0.1.0 and every
#      upgrade script install: the same members (pg_depend deptype 'e'),
#      definitions, columns in the same order, comments, ACLs and the
#      privileges pg_init_privs records, config-dump registrations,
#      sequences, and every table's rows, shipped or not, both created by a
#      role that is not a superuser (@extowner@);
#   1. a 0.1.0 installation holding indexed codes, updated to 0.8.0 and
#      given a back-office day (a batch, a run and its breaks), upgrades in
#      place: the codes stay readable,
#      their btree index passes amcheck, a GIN index builds and answers, the
#      next run carries the day's breaks, and it ends with exactly the
#      definitions of a fresh installation (its rows are the day's);
#   1b. GIN indexes built at 0.10.0 (payment_qr_gin_ops, its default then)
#      answer as a scan does before and after the update and after
#      REINDEX, keeping their class, while new ones get
#      payment_qr_gin_split_ops;
#   2. pg_dump / pg_restore carries the user's catalog rows and their
#      effect on qr_networks and qr_route, not the shipped rows twice, a
#      GIN index with its value_bits parameter, the back office's rows and
#      the reconciliation settings and rates;
#   3. so does a directory dump restored by parallel jobs, the catalog
#      tables' data in one serial pass first: pg_restore -j loads those
#      tables at once, and rules naming user cities would race their
#      cities (see qrpay_guard.c, "Restore").
set -euo pipefail

db() { psql -X -q -v ON_ERROR_STOP=1 -d "$1" "${@:2}"; }

fresh=qrpay_fresh upgraded=qrpay_upgraded gin=qrpay_gin_upgrade src=qrpay_dump_src dst=qrpay_dump_dst pdst=qrpay_dump_pdst
script=qrpay_script chain=qrpay_chain owner=qrpay_upgrade_owner
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"
for d in $fresh $upgraded $gin $src $dst $pdst $script $chain; do
	psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $d" -c "CREATE DATABASE $d"
done
psql -X -q -d postgres -c "DROP ROLE IF EXISTS $owner" -c "CREATE ROLE $owner" \
	-c "GRANT CREATE ON DATABASE $script, $chain TO $owner"
trap 'rm -rf "${TMPDIR:-/tmp}/qrpay_dumpdir.$$"*; for d in $fresh $upgraded $gin $src $dst $pdst $script $chain; do psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $d"; done; psql -X -q -d postgres -c "DROP ROLE IF EXISTS $owner"' EXIT

# everything the extension defines and holds, as text, one line a fact
# (a function's definition spans lines); attnum is counted without dropped
# columns, so that a column's place is compared, and rows are compared as
# their text, so that SELECT * reads the same on both paths
describe=$(cat <<'SQL'
-- the extension's members: pg_depend rows of deptype 'e'
WITH member AS (
  SELECT d.classid, d.objid, d.objsubid FROM pg_depend d JOIN pg_extension x ON x.oid = d.refobjid
   WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e' AND x.extname = 'qrpay'),
rel AS (
  SELECT objid AS oid FROM member WHERE classid = 'pg_class'::regclass
  UNION SELECT t.typrelid FROM member m JOIN pg_type t ON t.oid = m.objid
   WHERE m.classid = 'pg_type'::regclass AND t.typrelid <> 0)
SELECT 'member ' || pg_describe_object(classid, objid, objsubid) || ' ' || coalesce(obj_description(objid, classid::regclass::text), '')
  FROM member
UNION ALL SELECT 'extension ' || extversion || ' ' || extrelocatable || ' ' || extnamespace::regnamespace || ' ' || extowner::regrole
       || ' ' || coalesce((SELECT string_agg(c::regclass || ' ' || quote_literal(w), ', ' ORDER BY c::regclass::text)
                             FROM unnest(extconfig, extcondition) u(c, w)), '')
  FROM pg_extension WHERE extname = 'qrpay'
-- functions: their definition, ACL and comment
UNION ALL SELECT 'function ' || pg_get_functiondef(p.oid) || ' ' || coalesce(p.proacl::text, '') || ' '
       || coalesce(obj_description(p.oid, 'pg_proc'), '')
  FROM pg_proc p JOIN member m ON m.objid = p.oid AND m.classid = 'pg_proc'::regclass WHERE p.prokind = 'f'
-- types, operators, operator classes and families, casts
UNION ALL SELECT 'type ' || t.oid::regtype || ' ' || concat_ws(' ', t.typlen, t.typbyval, t.typtype, t.typcategory, t.typispreferred,
       t.typdelim, t.typinput, t.typoutput, t.typreceive, t.typsend, t.typmodin, t.typmodout, t.typanalyze, t.typsubscript,
       t.typelem::regtype, t.typarray::regtype, t.typalign, t.typstorage, t.typnotnull, t.typbasetype::regtype, t.typdefault,
       t.typcollation, t.typacl)
  FROM pg_type t JOIN member m ON m.objid = t.oid AND m.classid = 'pg_type'::regclass
UNION ALL SELECT 'operator ' || o.oid::regoperator || ' ' || concat_ws(' ', o.oprkind, o.oprcanmerge, o.oprcanhash, o.oprresult::regtype,
       o.oprcode, o.oprcom::regoperator, o.oprnegate::regoperator, o.oprrest, o.oprjoin)
  FROM pg_operator o JOIN member m ON m.objid = o.oid AND m.classid = 'pg_operator'::regclass
UNION ALL SELECT 'opclass ' || c.opcname || ' ' || concat_ws(' ', a.amname, c.opcnamespace::regnamespace, f.opfname,
       c.opcintype::regtype, c.opcdefault, c.opckeytype::regtype)
  FROM pg_opclass c JOIN member m ON m.objid = c.oid AND m.classid = 'pg_opclass'::regclass
  JOIN pg_am a ON a.oid = c.opcmethod JOIN pg_opfamily f ON f.oid = c.opcfamily
UNION ALL SELECT 'amop ' || f.opfname || ' ' || concat_ws(' ', o.amoplefttype::regtype, o.amoprighttype::regtype, o.amopstrategy,
       o.amoppurpose, o.amopopr::regoperator, o.amopsortfamily)
  FROM pg_amop o JOIN pg_opfamily f ON f.oid = o.amopfamily JOIN member m ON m.objid = f.oid AND m.classid = 'pg_opfamily'::regclass
UNION ALL SELECT 'amproc ' || f.opfname || ' ' || concat_ws(' ', p.amproclefttype::regtype, p.amprocrighttype::regtype, p.amprocnum,
       p.amproc::regprocedure)
  FROM pg_amproc p JOIN pg_opfamily f ON f.oid = p.amprocfamily JOIN member m ON m.objid = f.oid AND m.classid = 'pg_opfamily'::regclass
UNION ALL SELECT 'cast ' || concat_ws(' ', c.castsource::regtype, c.casttarget::regtype, c.castfunc::regprocedure, c.castcontext,
       c.castmethod)
  FROM pg_cast c JOIN member m ON m.objid = c.oid AND m.classid = 'pg_cast'::regclass
-- relations: kind, options, ACL and comment; views' definitions; columns
-- in their order (attnum counted without dropped columns), their type,
-- default, NOT NULL, identity, storage and comment
UNION ALL SELECT 'relation ' || c.oid::regclass || ' ' || concat_ws(' ', c.relkind, c.relpersistence, c.reloptions, c.relrowsecurity,
       c.relforcerowsecurity, c.relreplident, c.relacl, obj_description(c.oid, 'pg_class'),
       CASE WHEN c.relkind = 'v' THEN pg_get_viewdef(c.oid) END)
  FROM pg_class c JOIN rel ON rel.oid = c.oid
UNION ALL SELECT 'column ' || a.attrelid::regclass || ' ' || row_number() OVER (PARTITION BY a.attrelid ORDER BY a.attnum) || ' '
       || a.attname || ' ' || concat_ws(' ', format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attidentity, a.attgenerated,
       a.attstorage, a.attcompression, a.attcollation, a.attacl, pg_get_expr(ad.adbin, ad.adrelid), col_description(a.attrelid, a.attnum))
  FROM pg_attribute a JOIN rel ON rel.oid = a.attrelid LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
 WHERE a.attnum > 0 AND NOT a.attisdropped
UNION ALL SELECT 'sequence ' || s.seqrelid::regclass || ' ' || concat_ws(' ', s.seqtypid::regtype, s.seqstart, s.seqincrement, s.seqmax,
       s.seqmin, s.seqcache, s.seqcycle, q.last_value,
       (SELECT pg_describe_object(d.refclassid, d.refobjid, d.refobjsubid) || ' ' || d.deptype::text FROM pg_depend d
         WHERE d.classid = 'pg_class'::regclass AND d.objid = s.seqrelid AND d.refclassid = 'pg_class'::regclass))
  FROM pg_sequence s JOIN rel ON rel.oid = s.seqrelid
  JOIN pg_sequences q ON q.schemaname::regnamespace = (SELECT relnamespace FROM pg_class WHERE oid = s.seqrelid)
   AND q.sequencename = (SELECT relname FROM pg_class WHERE oid = s.seqrelid)
-- constraints, indexes and triggers of the tables, with their comments
UNION ALL SELECT 'constraint ' || conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid) || ' '
       || coalesce(obj_description(oid, 'pg_constraint'), '')
  FROM pg_constraint WHERE conrelid IN (SELECT oid FROM rel)
UNION ALL SELECT 'index ' || pg_get_indexdef(i.indexrelid) || ' ' || coalesce(obj_description(i.indexrelid, 'pg_class'), '')
  FROM pg_index i WHERE i.indrelid IN (SELECT oid FROM rel)
UNION ALL SELECT 'trigger ' || pg_get_triggerdef(oid) || ' ' || tgenabled::text || ' ' || coalesce(obj_description(oid, 'pg_trigger'), '')
  FROM pg_trigger WHERE NOT tgisinternal AND tgrelid IN (SELECT oid FROM rel)
UNION ALL SELECT 'rule ' || pg_get_ruledef(r.oid) FROM pg_rewrite r WHERE r.ev_class IN (SELECT oid FROM rel) AND r.rulename <> '_RETURN'
UNION ALL SELECT 'policy ' || polrelid::regclass || ' ' || polname FROM pg_policy WHERE polrelid IN (SELECT oid FROM rel)
-- the privileges the extension's script set (pg_dump dumps the difference)
UNION ALL SELECT 'init privs ' || pg_describe_object(i.classoid, i.objoid, i.objsubid) || ' ' || i.privtype::text || ' ' || i.initprivs::text
  FROM pg_init_privs i JOIN member m ON m.classid = i.classoid AND m.objid = i.objoid
-- every table's rows, in column order, whether shipped or not
UNION ALL SELECT 'rows ' || c.oid::regclass || ' ' || (xpath('/row/r/text()', query_to_xml(format(
         'SELECT count(*) || '' '' || coalesce(md5(string_agg(t::text, E''\n'' ORDER BY t::text)), '''') AS r FROM %s t',
         c.oid::regclass), false, true, '')))[1]::text
  FROM pg_class c JOIN rel ON rel.oid = c.oid WHERE c.relkind = 'r'
ORDER BY 1
SQL
)

# 0. the install script against the chain, both trusted installs by a
# role that is not a superuser
db $script -c "SET ROLE $owner" -c "CREATE EXTENSION qrpay"
db $chain -c "SET ROLE $owner" -c "CREATE EXTENSION qrpay VERSION '0.1.0'" -c "ALTER EXTENSION qrpay UPDATE"
[ "$(db $script -At -c "SELECT extversion FROM pg_extension WHERE extname = 'qrpay'")" = "$(db $chain -At -c "SELECT extversion FROM pg_extension WHERE extname = 'qrpay'")" ]
diff <(db $script -At -c "$describe") <(db $chain -At -c "$describe")
facts() { db "$1" -At -c "$describe" | grep -Eo '^(member|function|type|operator|opclass|amop|amproc|cast|relation|column|sequence|constraint|index|trigger|init privs|rows) ' | sort | uniq -c | awk '{ n = $1; $1 = ""; printf "%s%s%s", sep, n, $0; sep = "," }'; }
echo "qrpay--$(db $script -At -c "SELECT extversion FROM pg_extension WHERE extname = 'qrpay'").sql installs what 0.1.0 and its upgrade scripts install: $(facts $script) equal"

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

# the upgraded database holds the day's rows: its definitions are the
# fresh installation's (its rows and sequences are the day's)
defs() { db "$1" -At -c "$describe" | grep -Ev '^(rows|sequence) '; }
diff <(defs $fresh) <(defs $upgraded)
echo "upgrade 0.1.0 -> $(db $upgraded -At -c "SELECT extversion FROM pg_extension WHERE extname = 'qrpay'") in place: data and index intact, $(defs $fresh | wc -l) lines of definitions equal to a fresh install"

# GIN indexes built at 0.10.0 (the default class then, payment_qr_gin_ops,
# and the same with value_bits = 22), with this library in place: they
# answer every query as a scan does, before ALTER EXTENSION UPDATE, after
# it and after REINDEX, and keep their class; a new index gets the new
# default, payment_qr_gin_split_ops
gin_check() {
	db $gin -At -v t="$1" <<'SQL'
CREATE TEMP TABLE q AS
SELECT DISTINCT jsonb_build_object(t.path, t.value) AS doc FROM :t, qr_tags(code) t
UNION ALL SELECT '{"59": "NOBODY"}' UNION ALL SELECT '{"52": "5812", "60": "SAO PAULO"}' UNION ALL SELECT '{}';
CREATE TEMP TABLE scan AS SELECT doc, (SELECT count(*) FROM :t WHERE code @> doc) AS n FROM q;
SET enable_seqscan = off;
SELECT count(*) FILTER (WHERE n <> (SELECT count(*) FROM :t WHERE code @> doc)) || ' of ' || count(*) FROM scan;
SQL
}
db $gin -q <<'SQL'
CREATE EXTENSION qrpay VERSION '0.1.0';
ALTER EXTENSION qrpay UPDATE TO '0.10.0';
CREATE TABLE gin_a AS
SELECT qr_emv(jsonb_build_object('00', '01', '01', '12', '26', jsonb_build_object('00', 'br.gov.bcb.pix', '01', '+5511' || (90000000 + g)),
                                 '52', (ARRAY['5812', '5411', '4111'])[1 + g % 3], '53', '986', '54', (1 + g % 50) || '.00', '58', 'BR',
                                 '59', 'SHOP ' || g % 37, '60', 'SAO PAULO', '62', jsonb_build_object('05', 'REF' || g))) AS code
  FROM generate_series(1, 400) g
UNION ALL SELECT c::payment_qr FROM (VALUES ('upi://pay?pa=shop@okaxis&pn=Corner%20Shop&am=10.00&cu=INR'),
                                            ('281234567890123456'), ('wxp://f2f0abc')) v(c), generate_series(1, 20);
CREATE TABLE gin_b AS SELECT * FROM gin_a;
CREATE INDEX gin_a_code ON gin_a USING gin (code);
CREATE INDEX gin_b_code ON gin_b USING gin (code payment_qr_gin_ops (value_bits = 22));
SQL
classes="SELECT string_agg(i.indexrelid::regclass || ' ' || c.opcname, ', ' ORDER BY i.indexrelid::regclass::text) FROM pg_index i JOIN pg_opclass c ON c.oid = i.indclass[0] WHERE i.indrelid IN ('gin_a'::regclass, 'gin_b'::regclass)"
[ "$(db $gin -At -c "$classes")" = "gin_a_code payment_qr_gin_ops, gin_b_code payment_qr_gin_ops" ]
for step in before after reindexed; do
	case $step in
	after) db $gin -q -c "ALTER EXTENSION qrpay UPDATE" ;;
	reindexed) db $gin -q -c "REINDEX TABLE gin_a" -c "REINDEX TABLE gin_b" ;;
	esac
	for t in gin_a gin_b; do
		res=$(gin_check $t)
		case $res in
		"0 of "*) ;;
		*) echo "GIN index of $t built at 0.10.0, $step the update: $res queries answered otherwise than a scan" >&2; exit 1 ;;
		esac
	done
done
[ "$(db $gin -At -c "$classes")" = "gin_a_code payment_qr_gin_ops, gin_b_code payment_qr_gin_ops" ]
db $gin -q -c "DROP INDEX gin_b_code" -c "CREATE INDEX gin_b_new ON gin_b USING gin (code)"
[ "$(db $gin -At -c "$classes")" = "gin_a_code payment_qr_gin_ops, gin_b_new payment_qr_gin_split_ops" ]
[ "$(gin_check gin_b)" = "$res" ]
echo "GIN indexes of 0.10.0 answer as a scan does before and after the update and after REINDEX ($res queries each); new ones are payment_qr_gin_split_ops"

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

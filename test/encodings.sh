#!/usr/bin/env bash
# encodings.sh — payment_qr in databases that are not UTF8, against a running
# cluster (PGHOST/PGPORT/PGUSER set, as test/run does).  Every valid vector
# of test/data/vectors.tsv, and a code qr_emv makes with a Latin-1 merchant
# name, goes from a UTF8 database into a LATIN1 and a SQL_ASCII database:
#   1. as text from a UTF-8 client, one INSERT per code: what LATIN1 can
#      represent loads and prints back byte for byte, the rest is refused
#      with 22P05 (by the server's client-encoding conversion);
#   2. by binary COPY out of the UTF8 database, one COPY per code: the same
#      codes load, the others are refused by payment_qr_recv (22P05, naming
#      the field and the offset);
#   3. every accessor (qr_tags, qr_to_jsonb, the named fields) answers as in
#      the UTF8 database;
#   4. @> with each non-ASCII Latin-1 field value, and ?, find the same codes
#      as in the UTF8 database, with and without a GIN index;
#   5. pg_dump of the LATIN1 database restores into another LATIN1 database
#      with identical content.
# A SQL_ASCII database stores the UTF-8 bytes as they come: every code loads,
# and text that is not UTF-8 is refused (22P02) like any invalid payload.
set -euo pipefail
cd "$(dirname "$0")/.."

utf=qrpay_enc_utf8 latin1=qrpay_enc_latin1 restored=qrpay_enc_latin1_restored ascii=qrpay_enc_sql_ascii
shipped_encodings="LATIN1 WIN1252 SQL_ASCII EUC_CN EUC_JP"
shipped_dbs=$(for e in $shipped_encodings; do echo qrpay_enc_fresh_${e,,} qrpay_enc_upgraded_${e,,}; done)
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning" PGCLIENTENCODING=UTF8
db() { psql -X -q -v ON_ERROR_STOP=1 -d "$1" "${@:2}"; }
tmp=$(mktemp -d /tmp/qrpay-enc.XXXXXX)
cleanup() {
	rm -rf "$tmp"
	for d in $utf $latin1 $restored $ascii $shipped_dbs; do psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $d"; done
}
trap cleanup EXIT
for d in $utf $latin1 $restored $ascii; do psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $d"; done
db postgres -c "CREATE DATABASE $utf TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'" \
	-c "CREATE DATABASE $latin1 TEMPLATE template0 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C'" \
	-c "CREATE DATABASE $restored TEMPLATE template0 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C'" \
	-c "CREATE DATABASE $ascii TEMPLATE template0 ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C'"

failed=0
# expect_none NAME DB SQL: the query lists what is wrong; no rows passes
expect_none() {
	local out
	if ! out=$(db "$2" -At -c "$3" 2>&1) || [ -n "$out" ]; then
		echo "FAIL: $1"
		echo "$out" | head -20
		failed=$((failed + 1))
	fi
}

# every accessor's answer in one text, to compare across databases
sig='CREATE FUNCTION pg_temp.sig(c payment_qr) RETURNS text LANGUAGE sql AS $$
  SELECT concat_ws(E'"'"' | '"'"', qr_format(c), qr_merchant_name(c), qr_merchant_city(c), qr_mcc(c),
         qr_country(c), qr_currency(c), qr_amount(c), qr_reference(c), qr_account(c), qr_is_dynamic(c),
         (SELECT string_agg(path || '"'"'='"'"' || name || '"'"'='"'"' || value, '"'"'; '"'"') FROM qr_tags(c)),
         qr_to_jsonb(c)::text, c::jsonb::text)
$$;'

# --- the codes, and what LATIN1 can hold of them, in the UTF8 database ---
db $utf <<SQL
CREATE EXTENSION qrpay;
CREATE TABLE vectors (id text, format text, networks text, valid text,
                      payload text, expected_fields text, source text);
\copy vectors FROM 'test/data/vectors.tsv' WITH (FORMAT text, HEADER true)
CREATE TABLE codes (id text PRIMARY KEY, code payment_qr NOT NULL);
INSERT INTO codes SELECT id, payload::payment_qr FROM vectors WHERE valid = '1';
INSERT INTO codes VALUES ('built-latin1-name', qr_emv('{"00": "01", "01": "11",
    "26": {"00": "br.gov.bcb.pix", "01": "cafe@example.com"}, "52": "5812", "53": "986",
    "58": "BR", "59": "Café Müller", "60": "São Paulo"}'));
CREATE FUNCTION pg_temp.fits(t text) RETURNS boolean LANGUAGE plpgsql AS \$\$
BEGIN
    PERFORM convert_to(t, 'LATIN1');
    RETURN true;
EXCEPTION WHEN untranslatable_character THEN
    RETURN false;
END \$\$;
$sig
-- bytea travels as hex, which every encoding reads alike
\copy (SELECT id, convert_to(code::text, 'UTF8'), pg_temp.fits(code::text), convert_to(pg_temp.sig(code), 'UTF8'), pg_temp.fits(pg_temp.sig(code)) FROM codes ORDER BY id) TO '$tmp/expected'
-- every leaf field with a non-ASCII Latin-1 value, and the codes @> finds with it
\copy (SELECT c.id, t.path, convert_to(t.value, 'UTF8'), array(SELECT id FROM codes WHERE code @> jsonb_build_object(t.path, t.value) ORDER BY id) FROM codes c, qr_tags(c.code) t WHERE t.value ~ '[^\x01-\x7f]' AND pg_temp.fits(t.value) AND NOT EXISTS (SELECT FROM qr_tags(c.code) u WHERE u.path LIKE t.path || '.%')) TO '$tmp/probes'
SQL
db $utf -At -c "SELECT format('INSERT INTO text_in VALUES (%L, %L);', id, code) FROM codes ORDER BY id" >"$tmp/text_in.sql"
db $utf -At -c "SELECT format('\\copy (SELECT id, code FROM codes WHERE id = %L) TO ''$tmp/%s.bin'' WITH (FORMAT binary)', id, n)
                FROM (SELECT id, row_number() OVER (ORDER BY id) n FROM codes) c" >"$tmp/export.sql"
db $utf -f "$tmp/export.sql"
for f in "$tmp"/*.bin; do
	echo "\\copy bin_in FROM '$f' WITH (FORMAT binary)"
done >"$tmp/bin_in.sql"
total=$(db $utf -At -c "SELECT count(*) FROM codes")
probes=$(wc -l <"$tmp/probes")
[ "$probes" -ge 2 ] || { echo "FAIL: expected Latin-1 field values to search for, found $probes"; failed=$((failed + 1)); }

# load NAME DB: the codes as text and by binary COPY, each on its own
load() {
	db "$1" <<SQL
CREATE EXTENSION qrpay;
CREATE TABLE expected (id text PRIMARY KEY, utf8 bytea, fits boolean, sig bytea, sig_fits boolean);
\copy expected FROM '$tmp/expected'
CREATE TABLE probes (id text, path text, value bytea, found text[]);
\copy probes FROM '$tmp/probes'
CREATE TABLE text_in (id text PRIMARY KEY, code payment_qr NOT NULL);
CREATE TABLE bin_in (id text PRIMARY KEY, code payment_qr NOT NULL);
SQL
	# no ON_ERROR_STOP: each statement succeeds or fails alone
	psql -X -q -d "$1" -v VERBOSITY=verbose -f "$tmp/text_in.sql" >/dev/null 2>"$tmp/$1.text.err"
	psql -X -q -d "$1" -v VERBOSITY=verbose -f "$tmp/bin_in.sql" >/dev/null 2>"$tmp/$1.bin.err"
}

# verify DB ENCODING: what loaded, what was refused and why, what reads back
verify() {
	local d=$1 enc=$2 refused
	refused=$(db $d -At -c "SELECT count(*) FROM expected WHERE NOT fits")
	for t in text_in bin_in; do
		expect_none "$enc $t: exactly the representable codes load" $d \
			"(SELECT id FROM expected WHERE fits EXCEPT SELECT id FROM $t)
			 UNION ALL (SELECT id FROM $t EXCEPT SELECT id FROM expected WHERE fits)"
		expect_none "$enc $t: output is the input, byte for byte" $d \
			"SELECT id FROM $t JOIN expected USING (id) WHERE convert_to(code::text, 'UTF8') <> utf8"
		expect_none "$enc $t: every accessor answers as in UTF8" $d \
			"$sig SELECT id FROM $t JOIN expected USING (id)
			 WHERE sig_fits AND convert_to(pg_temp.sig(code), 'UTF8') <> sig"
	done
	# refusals: one per unrepresentable code, each 22P05 with a clear message
	[ "$(grep -c 'ERROR: ' "$tmp/$d.text.err" || true)" = "$refused" ] &&
		[ "$(grep -c 'ERROR:  22P05: character with byte sequence .* in encoding "UTF8" has no equivalent in encoding "LATIN1"' "$tmp/$d.text.err" || true)" = "$refused" ] ||
		{ echo "FAIL: $enc text input: $refused refusals with 22P05 expected"; cat "$tmp/$d.text.err"; failed=$((failed + 1)); }
	[ "$(grep -c 'ERROR: ' "$tmp/$d.bin.err" || true)" = "$refused" ] &&
		[ "$(grep -c 'ERROR:  22P05: invalid payment_qr: field [0-9.]* at offset [0-9]*: the character U+[0-9A-F]* has no equivalent in encoding "LATIN1"' "$tmp/$d.bin.err" || true)" = "$refused" ] ||
		{ echo "FAIL: $enc binary COPY: $refused refusals by payment_qr_recv with 22P05 expected"; cat "$tmp/$d.bin.err"; failed=$((failed + 1)); }
	# @> with server-encoded values, and ?, with and without the GIN index
	local search="SELECT p.id, p.path FROM probes p
	  WHERE array(SELECT id FROM bin_in WHERE code @> jsonb_build_object(p.path, convert_from(p.value, 'UTF8')) ORDER BY id)
	        IS DISTINCT FROM array(SELECT f FROM unnest(p.found) f WHERE f IN (SELECT id FROM bin_in) ORDER BY f)
	     OR NOT EXISTS (SELECT FROM bin_in b WHERE b.id = p.id AND b.code ? p.path)"
	local literal="SELECT 'literal' WHERE (SELECT array_agg(id) FROM bin_in WHERE code @> '{\"59\": \"Café Müller\", \"60\": \"São Paulo\"}') IS DISTINCT FROM '{built-latin1-name}'"
	expect_none "$enc @> and ?, sequential scan" $d "$search"
	expect_none "$enc @> with a literal, sequential scan" $d "$literal"
	db $d -c "CREATE INDEX bin_in_fields ON bin_in USING gin (code)"
	expect_none "$enc @> and ?, GIN index" $d "SET enable_seqscan = off; $search"
	expect_none "$enc @> with a literal, GIN index" $d "SET enable_seqscan = off; $literal"
	db $d -At -c "SET enable_seqscan = off" -c "EXPLAIN $literal" | grep -q 'Bitmap Index Scan on bin_in_fields' ||
		{ echo "FAIL: $enc: the GIN index is not used"; failed=$((failed + 1)); }
}

load $latin1
latin1_fits=$(db $latin1 -At -c "SELECT count(*) FROM expected WHERE fits")
verify $latin1 LATIN1
grep -q 'field 64.01 at offset 135: the character U+6700 has no equivalent in encoding "LATIN1"' "$tmp/$latin1.bin.err" ||
	{ echo "FAIL: LATIN1: recv's message does not name field 64.01 of emv-spec-annexB"; failed=$((failed + 1)); }

# pg_dump of the LATIN1 database, restored into another one
content="SELECT 'text_in', id, convert_to(code::text, 'UTF8') FROM text_in
         UNION ALL SELECT 'bin_in', id, convert_to(code::text, 'UTF8') FROM bin_in ORDER BY 1, 2"
if pg_dump -Fc -d $latin1 -f "$tmp/latin1.dump" && pg_restore --exit-on-error -d $restored "$tmp/latin1.dump"; then
	diff <(db $latin1 -At -c "$content") <(db $restored -At -c "$content") >/dev/null ||
		{ echo "FAIL: LATIN1 restored content differs"; failed=$((failed + 1)); }
	expect_none "LATIN1 restored: @> through the restored GIN index" $restored \
		"SET enable_seqscan = off; SELECT 'not found' WHERE NOT EXISTS (SELECT FROM bin_in WHERE code @> '{\"59\": \"Café Müller\"}')"
else
	echo "FAIL: pg_dump/pg_restore of the LATIN1 database"
	failed=$((failed + 1))
fi

# SQL_ASCII: every code is representable; bytes that are not UTF-8 are refused
load $ascii
db $ascii -q -c "UPDATE expected SET fits = true, sig_fits = true"
verify $ascii SQL_ASCII
ascii_err=$(db $ascii -c "SELECT E'BCD\n002\n1\nSCT\n\nCaf\\xe9\nBE72000000001616'::payment_qr" -v VERBOSITY=verbose 2>&1 || true)
echo "$ascii_err" | grep -q '22P02: invalid payment_qr: .*at offset [0-9]*: .*payment QR payloads are UTF-8' ||
	{ echo "FAIL: SQL_ASCII: a Latin-1 byte is not refused as invalid UTF-8: $ascii_err"; failed=$((failed + 1)); }

# --- the install scripts: ASCII, and their shipped text in every encoding ---
# The scripts stay ASCII so that PostgreSQL, reading them in the database
# encoding, loads them in any; what they ship beyond ASCII is converted
# when it is inserted.  Each encoding installs fresh and by updating from
# 0.1.0, and every shipped text (rows of the catalog tables, comments of
# the extension's objects), back in UTF-8, must be the UTF8 database's, or
# its documented fallback where the encoding has no equivalent for a
# character: name_zh NULL, elsewhere the character as U+hhhh (its code point in hex).
nonascii=$(grep -nP '[^\x00-\x7f]' sql/qrpay--*.sql || true)
[ -z "$nonascii" ] || { echo "FAIL: install scripts with characters beyond ASCII:"; echo "$nonascii" | head; failed=$((failed + 1)); }
# every shipped text as (what, key, UTF-8 bytes), keys and comments being ASCII
shipped="SELECT t, k, convert_to(v, 'UTF8') FROM (
    SELECT 'providers.' || c.key AS t, p.code AS k, c.value AS v FROM qr_providers p, jsonb_each_text(to_jsonb(p)) c WHERE p.shipped
    UNION ALL SELECT 'patterns.' || c.key, concat_ws(' ', p.provider, p.kind, p.pattern), c.value
      FROM qr_provider_patterns p, jsonb_each_text(to_jsonb(p)) c WHERE p.shipped
    UNION ALL SELECT 'cities.' || c.key, p.name, c.value FROM qr_cities p, jsonb_each_text(to_jsonb(p)) c WHERE p.shipped
    UNION ALL SELECT 'rules.' || c.key, p.id, c.value FROM qr_interop_rules p, jsonb_each_text(to_jsonb(p)) c WHERE p.shipped
    UNION ALL SELECT 'comment', pg_describe_object(d.classoid, d.objoid, d.objsubid), d.description
      FROM pg_description d JOIN pg_depend e ON e.classid = d.classoid AND e.objid = d.objoid AND e.deptype = 'e'
      JOIN pg_extension x ON x.oid = e.refobjid AND x.extname = 'qrpay') s"
# in the UTF8 database: each value as each encoding should hold it, in UTF-8
db $utf <<SQL
CREATE FUNCTION pg_temp.as_held(t text, enc text, whole boolean) RETURNS text LANGUAGE plpgsql STRICT AS \$\$
DECLARE
    c text;
    r text := '';
BEGIN
    FOR c IN SELECT regexp_split_to_table(t, '') LOOP
        BEGIN
            PERFORM convert_to(c, enc);
            r := r || c;
        EXCEPTION WHEN untranslatable_character THEN
            IF whole THEN
                RETURN NULL;
            END IF;
            r := r || format('U+%s', lpad(upper(to_hex(ascii(c))), 4, '0'));
        END;
    END LOOP;
    RETURN r;
END \$\$;
CREATE TABLE shipped (t text, k text, v bytea);
INSERT INTO shipped $shipped;
\copy (SELECT e, t, k, convert_to(pg_temp.as_held(convert_from(v, 'UTF8'), e, t = 'cities.name_zh'), 'UTF8') FROM shipped, unnest('{$(echo $shipped_encodings | tr ' ' ,)}'::text[]) e) TO '$tmp/shipped'
SQL
shipped_nonascii=$(db $utf -At -c "SELECT count(*) FROM shipped WHERE convert_from(v, 'UTF8') ~ '[^\x01-\x7f]'")
[ "$shipped_nonascii" -ge 40 ] || { echo "FAIL: expected shipped text beyond ASCII, found $shipped_nonascii values"; failed=$((failed + 1)); }
for e in $shipped_encodings; do
	for how in fresh upgraded; do
		d=qrpay_enc_${how}_${e,,}
		psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $d"
		db postgres -c "CREATE DATABASE $d TEMPLATE template0 ENCODING '$e' LC_COLLATE 'C' LC_CTYPE 'C'"
		if [ $how = fresh ]; then
			install="CREATE EXTENSION qrpay"
		else
			install="CREATE EXTENSION qrpay VERSION '0.1.0'; ALTER EXTENSION qrpay UPDATE"
		fi
		if ! out=$(db $d -c "$install" 2>&1); then
			echo "FAIL: $e: $install: $out"
			failed=$((failed + 1))
			continue
		fi
		db $d -c "CREATE TABLE expected (e text, t text, k text, v bytea)" -c "\\copy expected FROM '$tmp/shipped'"
		expect_none "$e ($how): every shipped text as in UTF8, or its fallback" $d \
			"SELECT coalesce(x.t, s.t), coalesce(x.k, s.k), x.v, s.v FROM (SELECT * FROM expected WHERE e = '$e') x
			  FULL JOIN ($shipped) s(t, k, v) ON s.t = x.t AND s.k = x.k WHERE x.v IS DISTINCT FROM s.v"
	done
done
# no fallback in the encodings that hold Chinese; none but fallbacks in LATIN1
expect_none "EUC_CN: no fallback" qrpay_enc_fresh_euc_cn "SELECT t, k FROM expected WHERE e = 'EUC_CN' AND ((v IS NULL AND t = 'cities.name_zh') OR convert_from(v, 'UTF8') ~ 'U\+[0-9A-F]{4}')"
expect_none "LATIN1: name_zh NULL" qrpay_enc_fresh_latin1 "SELECT name FROM qr_cities WHERE shipped AND name_zh IS NOT NULL"
expect_none "LATIN1: section signs kept" qrpay_enc_fresh_latin1 "SELECT 'none' WHERE NOT EXISTS (SELECT FROM qr_provider_patterns WHERE note LIKE 'doc/routing.md '||chr(167)||' Provider identifiers, URL%')"

# EUC_CN: routing by the city's Chinese name, and the statement readers
# with bills in the database encoding (the regression suite's, rendered
# from a few rows of a statement)
cn=qrpay_enc_fresh_euc_cn
agg_beijing='0002010102111531250003440001034450003445311000126350017COM.QQ.WEIXIN.PAY011012345678905204581253031565802CN5912NOODLE HOUSE6007BEIJING63042DEE'
# a bank's agreement in Beijing: the code's city, 北京 and Beijing find it
for d in $utf $cn; do
	db $d -c "INSERT INTO qr_providers (code, name, kind, country) VALUES ('mybank', 'My Bank', 'bank', 'CN')" \
		-c "INSERT INTO qr_interop_rules (id, payer, payee, via, cities, source)
		    VALUES ('mybank-wechat', 'mybank', 'wechatpay', 'netsunion', ARRAY['Beijing'], 'our agreement')"
done
routes="SELECT region, (qr_route('$agg_beijing', 'mybank', '2022-01-01', region)).*
          FROM unnest(ARRAY[NULL, '北京', 'Beijing', 'Atlantis']) WITH ORDINALITY u(region, n) ORDER BY n"
diff <(db $utf -At -c "$routes") <(db $cn -At -c "$routes") >/dev/null ||
	{ echo "FAIL: EUC_CN: qr_route by region differs from UTF8"; diff <(db $utf -At -c "$routes") <(db $cn -At -c "$routes"); failed=$((failed + 1)); }
db $cn -At -c "$routes" | tr '\n' ' ' | grep -q '^|interop|wechatpay|netsunion|mybank-wechat| 北京|interop|wechatpay|netsunion|mybank-wechat| Beijing|interop|wechatpay|netsunion|mybank-wechat| Atlantis|none|' ||
	{ echo "FAIL: EUC_CN: region 北京 does not find Beijing"; db $cn -At -c "$routes"; failed=$((failed + 1)); }
# (the Alipay bill as UTF-8 rather than GBK, there being no conversion
# between GBK and EUC_CN, and read as text)
bills=$(sed -n '/^CREATE TABLE wechat_bill AS/,/^FROM day_statement WHERE provider = .alipay.;/p' sql/qrpay_reconcile.sql |
	sed "s/, 'GBK') AS bill$/, 'UTF8') AS bill/")
read_bills="SELECT * FROM qr_statement_wechat((SELECT bill FROM wechat_bill))
            UNION ALL SELECT * FROM qr_statement_alipay(convert_from((SELECT bill FROM alipay_bill), 'UTF8')) ORDER BY provider, line"
for d in $utf $cn; do
	db $d <<SQL
SET TimeZone = 'Asia/Shanghai';
CREATE TABLE day_statement AS
SELECT 'S' || g AS txn_id, (ARRAY['wechatpay', 'alipay'])[1 + g % 2] AS provider, 'ORD' || g AS reference,
       10 + g / 100.0 AS amount, 'CNY'::text AS currency, timestamptz '2025-03-01 09:00+08' + g * interval '1 min' AS ts
FROM generate_series(1, 20) g;
$bills
SQL
done
[ "$(db $cn -At -c "SELECT getdatabaseencoding(), count(*) FROM wechat_bill WHERE bill LIKE '%总交易单数%'")" = "EUC_CN|1" ] ||
	{ echo "FAIL: EUC_CN: the WeChat Pay bill is not held in EUC_CN"; failed=$((failed + 1)); }
cn_lines=$(db $cn -At -c "SELECT count(*) FILTER (WHERE error IS NULL) || '/' || count(*) FROM ($read_bills) s")
[ "$cn_lines" = 20/20 ] && diff <(db $utf -At -c "SET TimeZone = 'UTC'" -c "$read_bills") <(db $cn -At -c "SET TimeZone = 'UTC'" -c "$read_bills") >/dev/null ||
	{ echo "FAIL: EUC_CN: the statement readers read $cn_lines lines, or not as in UTF8"; failed=$((failed + 1)); }
# LATIN1 has no Chinese: the readers refuse with 22P05 rather than match nothing
latin1_read=$(db qrpay_enc_fresh_latin1 -v VERBOSITY=verbose -c "SELECT * FROM qr_statement_wechat('x')" 2>&1 || true)
echo "$latin1_read" | grep -q 'ERROR:  22P05' ||
	{ echo "FAIL: LATIN1: qr_statement_wechat does not refuse with 22P05: $latin1_read"; failed=$((failed + 1)); }

# qr_statement_parse takes the file as bytes: in LATIN1 a CSV's Latin-1 text
# comes out converted, a WeChat Pay bill whose values fit reads (its column
# names are only matched, never returned), and a character LATIN1 lacks is
# refused with 22P05 naming its line; SQL_ASCII takes the UTF-8 as it is
csv_map='{"columns": {"provider_txn": "id", "ts": "time", "amount": "amount", "reference": "ref"}}'
csv_hex=$(printf 'id,time,amount,ref\nA1,2025-03-01 10:00,1.00,café\n' | xxd -p | tr -d '\n')
wx_hex=$(printf '交易时间,微信订单号,应结订单金额\n`2025-03-01 10:00:00,`wx1,`1.00\n总交易单数\n`1\n' | xxd -p | tr -d '\n')
wx_goods_hex=$(printf '交易时间,微信订单号,应结订单金额,商品名称\n`2025-03-01 10:00:00,`wx1,`1.00,`茶\n' | xxd -p | tr -d '\n')
for d in "qrpay_enc_fresh_latin1 636166e9" "$ascii 636166c3a9"; do
	set -- $d
	got=$(db $1 -At -c "SELECT encode(reference::bytea, 'hex') FROM qr_statement_parse(decode('$csv_hex', 'hex'), 'csv', '$csv_map')" 2>&1 || true)
	[ "$got" = "$2" ] || { echo "FAIL: $1: qr_statement_parse of a CSV with an accent: $got"; failed=$((failed + 1)); }
	got=$(db $1 -At -c "SELECT provider_txn || ' ' || amount FROM qr_statement_parse(decode('$wx_hex', 'hex'))" 2>&1 || true)
	[ "$got" = "wx1 1.00" ] || { echo "FAIL: $1: qr_statement_parse of a WeChat Pay bill: $got"; failed=$((failed + 1)); }
done
latin1_goods=$(db qrpay_enc_fresh_latin1 -v VERBOSITY=verbose -c "SELECT * FROM qr_statement_parse(decode('$wx_goods_hex', 'hex'))" 2>&1 || true)
echo "$latin1_goods" | grep -q 'ERROR:  22P05: line 1 of the statement: the header holds the character U+5546' ||
	{ echo "FAIL: LATIN1: qr_statement_parse does not refuse a Chinese value with 22P05: $latin1_goods"; failed=$((failed + 1)); }

if [ "$failed" -eq 0 ]; then
	echo "encodings: ok; LATIN1 holds $latin1_fits of $total codes (text input, binary COPY, pg_dump/pg_restore) and refuses $((total - latin1_fits)) with 22P05; $probes Latin-1 values found by @> with and without GIN; SQL_ASCII holds all $total; install scripts ASCII, installed fresh and from 0.1.0 in $shipped_encodings with every shipped text as in UTF8 ($shipped_nonascii beyond ASCII) or its fallback; EUC_CN routes by 北京 and reads $cn_lines bill lines"
else
	echo "encodings: $failed checks failed"
	exit 1
fi

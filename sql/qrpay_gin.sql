--
-- Containment and existence operators and the GIN operator class: the
-- index answers exactly what a sequential scan answers, for every format
--
\set VERBOSITY default

-- every valid vector 25 times over, plus codes with an empty value and
-- non-ASCII text
CREATE TABLE gin_codes (id serial PRIMARY KEY, code payment_qr NOT NULL);
INSERT INTO gin_codes (code)
SELECT l.code FROM loaded l, generate_series(1, 25) ORDER BY random();
INSERT INTO gin_codes (code) VALUES
    ('upi://pay?pa=shop@okaxis&pn=Corner%20Shop&tn=&cu=INR'),
    ('https://pay.example.com/m?order=A-1&note=&lang=zh');
CREATE INDEX gin_codes_code ON gin_codes USING gin (code);
ANALYZE gin_codes;

-- the planner picks the index for selective queries
EXPLAIN (costs off) SELECT id FROM gin_codes WHERE code @> '{"26.00": "br.gov.bcb.pix"}';
EXPLAIN (costs off) SELECT id FROM gin_codes WHERE code ? 'iban';
EXPLAIN (costs off) SELECT id FROM gin_codes WHERE code ?| ARRAY['pa', 'X-VS'];
EXPLAIN (costs off) SELECT id FROM gin_codes WHERE code ?& ARRAY['61.4F', '62.5A'];

-- queries: every (path, value) of the data, every path, pairs of them,
-- wrong values, absent paths, repeated paths, nested objects, empty values
CREATE TABLE gin_queries (n serial, op text, arg text);
INSERT INTO gin_queries (op, arg)
SELECT DISTINCT '@>', jsonb_build_object(t.path, t.value)::text
FROM loaded l, qr_tags(l.code) t;
INSERT INTO gin_queries (op, arg)
SELECT DISTINCT '@>', jsonb_build_object(t.path, t.value || 'x')::text
FROM loaded l, qr_tags(l.code) t WHERE t.path IN ('59', '26.00', 'iban', 'pa', 'code');
INSERT INTO gin_queries (op, arg)
SELECT DISTINCT '?', t.path FROM loaded l, qr_tags(l.code) t;
INSERT INTO gin_queries (op, arg)
SELECT '@>', jsonb_build_object(a.path, a.value, b.path, b.value)::text
FROM (SELECT l.id, t.path, t.value FROM loaded l, qr_tags(l.code) t) a
JOIN (SELECT l.id, t.path, t.value FROM loaded l, qr_tags(l.code) t) b ON a.id = b.id AND a.path < b.path
WHERE (a.id || a.path || b.path) IN (SELECT (l.id || x.path || y.path) FROM loaded l,
       LATERAL (SELECT path FROM qr_tags(l.code) ORDER BY path LIMIT 1) x,
       LATERAL (SELECT path FROM qr_tags(l.code) ORDER BY path DESC LIMIT 1) y);
INSERT INTO gin_queries (op, arg) VALUES
    ('@>', '{}'),
    ('@>', '{"61.4F": "A0000000555555"}'), ('@>', '{"61.4F": "A0000000666666"}'),
    ('@>', '{"61.4F": "A0000000555555", "61.50": "Product2"}'),
    ('@>', '{"26": {"00": "br.gov.bcb.pix"}}'), ('@>', '{"creditor": {"town": "Biel"}}'),
    ('@>', '{"64.01": "最佳运输"}'), ('@>', '{"64": {"02": "北京"}}'),
    ('@>', '{"tn": ""}'), ('@>', '{"query.note": ""}'), ('@>', '{"query": "order=A-1&note=&lang=zh"}'),
    ('@>', '{"63": "A13A"}'), ('@>', '{"26": "0014br.gov.bcb.pix0114+5511999998888"}'),
    ('@>', '{"99.99": "x"}'), ('@>', '{"nope": "x"}'), ('@>', '{"52": "5812", "58": "SG"}'),
    ('?', '99.99'), ('?', 'nope'), ('?', '62.50'), ('?', 'query.note'),
    ('?|', '{iban,pa,X-VS}'), ('?|', '{nope,99}'), ('?|', '{}'), ('?|', '{59,NULL}'),
    ('?&', '{59,60}'), ('?&', '{59,nope}'), ('?&', '{}'), ('?&', '{61.4F,61.50,62.5A}');

CREATE FUNCTION pg_temp.gin_count(op text, arg text, use_index boolean) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
BEGIN
    PERFORM set_config('enable_seqscan', CASE WHEN use_index THEN 'off' ELSE 'on' END, true);
    PERFORM set_config('enable_bitmapscan', CASE WHEN use_index THEN 'on' ELSE 'off' END, true);
    PERFORM set_config('enable_indexscan', CASE WHEN use_index THEN 'on' ELSE 'off' END, true);
    EXECUTE format('SELECT count(*) FROM gin_codes WHERE code %s %L::%s', op, arg,
                   CASE op WHEN '@>' THEN 'jsonb' WHEN '?' THEN 'text' ELSE 'text[]' END) INTO n;
    RETURN n;
END $$;

-- the same answer with and without the index, for every query
SELECT count(*) AS queries,
       count(*) FILTER (WHERE op = '@>') AS containment,
       count(*) FILTER (WHERE op <> '@>') AS existence,
       count(*) FILTER (WHERE pg_temp.gin_count(op, arg, true) IS DISTINCT FROM pg_temp.gin_count(op, arg, false))
           AS index_differs,
       count(*) FILTER (WHERE pg_temp.gin_count(op, arg, false) = 0) AS empty_answers
FROM gin_queries;
SELECT op, arg, pg_temp.gin_count(op, arg, true) AS with_index, pg_temp.gin_count(op, arg, false) AS without
FROM gin_queries WHERE n > (SELECT max(n) - 28 FROM gin_queries) ORDER BY n;

-- the index is really used by those comparisons
SET enable_seqscan = off;
EXPLAIN (costs off) SELECT count(*) FROM gin_codes WHERE code @> '{"61.4F": "A0000000555555"}';
RESET enable_seqscan;

-- the operators on their own, over every format
SELECT f.format, f.code @> jsonb_build_object(t.path, t.value) AS contains_own_field,
       f.code ? t.path AS has_path
FROM format_samples f, LATERAL (SELECT * FROM qr_tags(f.code) LIMIT 1) t ORDER BY 1;

-- one call site, a different query from row to row: @> keeps the last
-- query it took apart, and must never answer one query with another's
SELECT count(*) AS queries,
       count(*) FILTER (WHERE j.joined <> pg_temp.gin_count(q.op, q.arg, false)) AS differing
FROM (SELECT q.n, count(c.id) FILTER (WHERE c.code @> q.arg::jsonb) AS joined
      FROM gin_queries q CROSS JOIN gin_codes c WHERE q.op = '@>' AND q.n % 8 = 0 GROUP BY q.n) j
JOIN gin_queries q USING (n);
WITH named AS (SELECT DISTINCT ON (qr_get(code, '59')) qr_get(code, '59') AS name, code
               FROM gin_codes WHERE qr_get(code, '59') IS NOT NULL
               ORDER BY qr_get(code, '59') LIMIT 3)
SELECT a.name AS code_name, b.name AS query_name,
       a.code @> jsonb_build_object('59', b.name) AS contains
FROM named a, named b ORDER BY 1, 2;

-- a finer index: more value bits, fewer rechecks
CREATE INDEX gin_codes_fine ON gin_codes USING gin (code payment_qr_gin_ops (value_bits = 28));
SET enable_seqscan = off;
SELECT count(*) FROM gin_codes WHERE code @> '{"59": "THALES OGLIARI"}';
RESET enable_seqscan;
DROP INDEX gin_codes_fine;

-- errors
SELECT count(*) FROM gin_codes WHERE code @> '{"54": 10.5}';
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM gin_codes WHERE code @> '["59"]';
SELECT count(*) FROM gin_codes WHERE code @> '{"61.4F": ["A0000000555555"]}';
-- a bad query after good ones at the same call site
SELECT count(*) FROM gin_codes c, (VALUES ('{"59": "x"}'::jsonb), ('["59"]'::jsonb)) q(f)
WHERE c.code @> q.f;
SELECT count(*) FROM gin_codes WHERE code ? 'iban number';
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM gin_codes WHERE code ?| ARRAY['5'];
SELECT count(*) FROM gin_codes WHERE code @> '{"a": {"b": {"c": {"d": {"e": "x"}}}}}';
CREATE INDEX ON gin_codes USING gin (code payment_qr_gin_ops (value_bits = 40));

-- the default class is payment_qr_gin_split_ops (two value keys per leaf);
-- payment_qr_gin_ops, the default before 0.11.0, stays for its indexes
SELECT c.opcname, c.opcdefault FROM pg_opclass c JOIN pg_am a ON a.oid = c.opcmethod
WHERE a.amname = 'gin' AND c.opcintype = 'payment_qr'::regtype ORDER BY 1;
SELECT c.opcname FROM pg_index i JOIN pg_opclass c ON c.oid = i.indclass[0]
WHERE i.indexrelid = 'gin_codes_code'::regclass;

-- every query answers the same through either class, at the split class's
-- coarsest and finest value_bits, and through the previous class alone
CREATE FUNCTION pg_temp.gin_differs() RETURNS bigint LANGUAGE sql AS $$
    SELECT count(*) FROM gin_queries
    WHERE pg_temp.gin_count(op, arg, true) IS DISTINCT FROM pg_temp.gin_count(op, arg, false) $$;
DROP INDEX gin_codes_code;
CREATE INDEX gin_codes_split8 ON gin_codes USING gin (code payment_qr_gin_split_ops (value_bits = 8));
SELECT pg_temp.gin_differs() AS split8_differs;
DROP INDEX gin_codes_split8;
CREATE INDEX gin_codes_split16 ON gin_codes USING gin (code payment_qr_gin_split_ops (value_bits = 16));
SELECT pg_temp.gin_differs() AS split16_differs;
DROP INDEX gin_codes_split16;
CREATE INDEX gin_codes_folded ON gin_codes USING gin (code payment_qr_gin_ops);
SELECT pg_temp.gin_differs() AS folded_differs;
SET enable_seqscan = off;
EXPLAIN (costs off) SELECT count(*) FROM gin_codes WHERE code @> '{"52": "5812", "59": "THALES OGLIARI"}';
SELECT count(*) FROM gin_codes WHERE code @> '{"52": "5812", "59": "THALES OGLIARI"}';
RESET enable_seqscan;
DROP INDEX gin_codes_folded;
CREATE INDEX gin_codes_code ON gin_codes USING gin (code);
SET enable_seqscan = off;
EXPLAIN (costs off) SELECT count(*) FROM gin_codes WHERE code @> '{"52": "5812", "59": "THALES OGLIARI"}';
SELECT count(*) FROM gin_codes WHERE code @> '{"52": "5812", "59": "THALES OGLIARI"}';
RESET enable_seqscan;

-- errors: value_bits of the split class is 8 to 16
CREATE INDEX ON gin_codes USING gin (code payment_qr_gin_split_ops (value_bits = 17));
\echo :LAST_ERROR_SQLSTATE
CREATE INDEX ON gin_codes USING gin (code payment_qr_gin_split_ops (value_bits = 7));
CREATE INDEX ON gin_codes USING gin (code payment_qr_gin_split_ops (bits = 12));

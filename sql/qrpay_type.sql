--
-- payment_qr: operator classes, input/output, comparison and hashing
--

-- every operator class of the extension passes the access method's validator
SELECT opc.opcname, am.amname, amvalidate(opc.oid)
FROM pg_opclass opc
JOIN pg_am am ON am.oid = opc.opcmethod
WHERE opc.opcintype = 'payment_qr'::regtype
ORDER BY 2, 1;

-- support functions each opclass registers (btree 1, 2, 4; hash 1, 2)
SELECT am.amname, p.amprocnum, p.amproc::regproc
FROM pg_amproc p
JOIN pg_opfamily f ON f.oid = p.amprocfamily
JOIN pg_am am ON am.oid = f.opfmethod
WHERE p.amproclefttype = 'payment_qr'::regtype
ORDER BY 1, 2;

-- = is hashable and mergeable
SELECT oprname, oprcanhash, oprcanmerge
FROM pg_operator WHERE oprleft = 'payment_qr'::regtype ORDER BY oprname;

-- output is the input, byte for byte (UTF-8 in a language template)
CREATE TABLE codes (id int PRIMARY KEY, code payment_qr NOT NULL);
INSERT INTO codes VALUES
 (1, '00020101021229300012D156000000000510A93FO3230Q31280012D15600000001030812345678520441115802CN5914BEST TRANSPORT6007BEIJING64200002ZH0104最佳运输0202北京540523.7253031565502016233030412340603***0708A60086670902ME91320016A0112233449988770708123456786304A13A'),
 (2, '00020101021229300012D156000000000510A93FO3230Q31280012D15600000001030812345678520441115303156540523.725502015802CN5914BEST TRANSPORT6007BEIJING6233030412340603***0708A60086670902ME64200002ZH0104最佳运输0202北京91320016A01122334499887707081234567863047D4F'),
 (3, '00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***63041D3D');

SELECT code::text = '00020101021229300012D156000000000510A93FO3230Q31280012D15600000001030812345678520441115802CN5914BEST TRANSPORT6007BEIJING64200002ZH0104最佳运输0202北京540523.7253031565502016233030412340603***0708A60086670902ME91320016A0112233449988770708123456786304A13A' AS lossless
FROM codes WHERE id = 1;

SELECT id, octet_length(code::text) AS bytes, length(code::text) AS chars FROM codes ORDER BY id;

-- the stored value is the payload plus one format-version byte
SELECT id, pg_column_size(code) - octet_length(code::text) AS overhead FROM codes ORDER BY id;

-- comparison: bytewise over the payload; equality is "same payload"
SELECT a.id, b.id, a.code = b.code AS eq, a.code <> b.code AS ne,
       a.code < b.code AS lt, a.code <= b.code AS le,
       a.code > b.code AS gt, a.code >= b.code AS ge,
       payment_qr_cmp(a.code, b.code) AS cmp
FROM codes a CROSS JOIN codes b ORDER BY 1, 2;

-- the same two codes differ only in tag order: not equal
SELECT qr_to_jsonb(a.code) - '63' = qr_to_jsonb(b.code) - '63' AS same_fields,
       a.code = b.code AS same_code
FROM codes a, codes b WHERE a.id = 1 AND b.id = 2;

-- ORDER BY and DISTINCT
SELECT id FROM codes ORDER BY code;
SELECT id FROM codes ORDER BY code DESC;
SELECT count(DISTINCT code) FROM (SELECT code FROM codes UNION ALL SELECT code FROM codes) s;

-- hashing: support 2 with seed 0 agrees with support 1; values pinned,
-- because hash partitions depend on them
SELECT id, payment_qr_hash(code) AS h32,
       payment_qr_hash_extended(code, 0) AS h64,
       (payment_qr_hash_extended(code, 0) & 4294967295) =
         (payment_qr_hash(code)::bigint & 4294967295) AS low_bits_agree,
       payment_qr_hash_extended(code, 1) <> payment_qr_hash_extended(code, 0) AS seeded
FROM codes ORDER BY id;

-- binary output: version byte 1, then the UTF-8 payload
SELECT id, substr(payment_qr_send(code), 1, 1) AS version,
       substr(payment_qr_send(code), 2) = convert_to(code::text, 'UTF8') AS payload
FROM codes ORDER BY id;

-- casts: text in via I/O conversion, jsonb out
SELECT ('00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***63041D3D'::text)::payment_qr = code AS from_text
FROM codes WHERE id = 3;
SELECT (code::jsonb) = qr_to_jsonb(code) AS cast_is_qr_to_jsonb FROM codes WHERE id = 3;

-- UNIQUE constraint on payment_qr
CREATE UNIQUE INDEX codes_code_key ON codes (code);
INSERT INTO codes SELECT 4, code FROM codes WHERE id = 3;
\echo :LAST_ERROR_SQLSTATE

-- hash and merge joins
SET enable_mergejoin = off; SET enable_nestloop = off;
EXPLAIN (costs off) SELECT count(*) FROM codes a JOIN codes b ON a.code = b.code;
SELECT count(*) FROM codes a JOIN codes b ON a.code = b.code;
RESET enable_mergejoin; SET enable_hashjoin = off;
EXPLAIN (costs off) SELECT count(*) FROM codes a JOIN codes b ON a.code = b.code;
SELECT count(*) FROM codes a JOIN codes b ON a.code = b.code;
RESET enable_hashjoin; RESET enable_nestloop;

-- hash aggregation
SET enable_sort = off;
EXPLAIN (costs off) SELECT code, count(*) FROM codes GROUP BY code;
SELECT count(*) FROM (SELECT code, count(*) FROM codes GROUP BY code) s;
RESET enable_sort;

-- PARTITION BY HASH needs hash support 2
CREATE TABLE parted (code payment_qr) PARTITION BY HASH (code);
CREATE TABLE parted_0 PARTITION OF parted FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE parted_1 PARTITION OF parted FOR VALUES WITH (MODULUS 2, REMAINDER 1);
INSERT INTO parted SELECT code FROM codes;
SELECT (SELECT count(*) FROM parted_0) + (SELECT count(*) FROM parted_1) AS rows_in_partitions;

-- a NULL stays NULL through every function (STRICT)
SELECT qr_merchant_name(NULL), qr_check(NULL), qr_is_valid(NULL), qr_format(NULL);

DROP TABLE parted;

-- 03_partition_copy.sql: PARTITION BY HASH on payment_qr, hash / merge
-- joins and hashed / sorted grouping agree, and the binary format
-- (send, recv through binary COPY) round-trips every valid vector.
--
-- Binary recv is exercised with server-side COPY FROM a file written by
-- server-side COPY TO of a bytea: binary COPY carries no type information,
-- so the bytea's raw bytes reach payment_qr_recv unchanged.  That needs a
-- superuser (or pg_read/write_server_files) and a server that can write
-- /tmp, as the throwaway test cluster is.
BEGIN;
SET LOCAL client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS qrpay;

SELECT plan(38);

CREATE TEMP TABLE vec (id text, format text, networks text, valid text,
                       payload text, expected_fields text, source text);
\copy vec from 'test/data/vectors.tsv' with (format text, header true)
DELETE FROM vec WHERE NOT (format LIKE 'emvco_mpm%' AND valid = '1');

\i test/pgtap/lib/helpers.sql


SELECT cmp_ok((SELECT count(*) FROM vec), '>=', 40::bigint,
              'at least 40 valid EMVCo vectors');

-- ---------------------------------------------------------------------
-- PARTITION BY HASH (code), 4 partitions (7 tests)
-- ---------------------------------------------------------------------

CREATE TEMP TABLE pq (id text, code payment_qr) PARTITION BY HASH (code);
CREATE TEMP TABLE pq0 PARTITION OF pq FOR VALUES WITH (MODULUS 4, REMAINDER 0);
CREATE TEMP TABLE pq1 PARTITION OF pq FOR VALUES WITH (MODULUS 4, REMAINDER 1);
CREATE TEMP TABLE pq2 PARTITION OF pq FOR VALUES WITH (MODULUS 4, REMAINDER 2);
CREATE TEMP TABLE pq3 PARTITION OF pq FOR VALUES WITH (MODULUS 4, REMAINDER 3);

SELECT lives_ok($$INSERT INTO pq SELECT id, payload::payment_qr FROM vec$$,
                'every valid vector inserts into the hash-partitioned table');

SELECT is((SELECT count(*) FROM pq), (SELECT count(*) FROM vec),
          'row count of the partitioned table equals the number of vectors');

SELECT is_empty(
    $$SELECT id FROM pq GROUP BY id HAVING count(*) <> 1
      UNION ALL
      SELECT id FROM vec WHERE id NOT IN (SELECT id FROM pq)$$,
    'each vector is stored exactly once, in exactly one partition');

SELECT is((SELECT count(*) FROM pq0) + (SELECT count(*) FROM pq1)
          + (SELECT count(*) FROM pq2) + (SELECT count(*) FROM pq3),
          (SELECT count(*) FROM vec),
          'the partitions'' row counts add up to the number of vectors');

SELECT is((SELECT count(DISTINCT tableoid) FROM pq), 4::bigint,
          'the vectors spread over all 4 partitions');

-- The row's partition is the one remainder (of 4) satisfies_hash_partition
-- (hash support 2, seeded) accepts for its code.
SELECT is_empty(
    $$SELECT id
        FROM pq
       WHERE (SELECT count(*) FROM generate_series(0, 3) AS r
               WHERE satisfies_hash_partition('pq'::regclass, 4, r, code)) <> 1
          OR NOT satisfies_hash_partition('pq'::regclass, 4,
                                          right(tableoid::regclass::text, 1)::int, code)$$,
    'every row sits in the partition whose remainder its hash gives, and only that one');

-- Plan-time pruning on a constant finds each code in the one partition
-- scanned.
CREATE FUNCTION pg_temp.pruning_failures() RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    v record;
    n bigint;
    q text;
BEGIN
    FOR v IN SELECT id, payload FROM vec ORDER BY id LOOP
        q := format('SELECT count(*) FROM pq WHERE code = %L::payment_qr', v.payload);
        EXECUTE q INTO n;
        IF n <> 1
           OR (SELECT count(*) FROM regexp_matches(pg_temp.plan_of(q), 'Scan on pq[0-3]', 'g')) <> 1
        THEN
            RETURN NEXT v.id;
        END IF;
    END LOOP;
END $$;

SELECT is_empty($$SELECT * FROM pg_temp.pruning_failures()$$,
                'WHERE code = <constant> prunes to one partition and finds the row, for every vector');

-- ---------------------------------------------------------------------
-- Joins and grouping (14 tests).  dup holds every vector 1 to 3 times.
-- ---------------------------------------------------------------------

CREATE TEMP TABLE dup AS
SELECT v.id, v.payload::payment_qr AS code
  FROM (SELECT id, payload, row_number() OVER (ORDER BY id) AS n FROM vec) v,
       generate_series(1, 1 + (v.n % 3)::int);
ANALYZE dup;
ANALYZE pq;

\set join_q 'SELECT count(*) AS n, count(*) FILTER (WHERE p.id <> d.id) AS wrong FROM pq p JOIN dup d ON p.code = d.code'

SET LOCAL enable_nestloop = off;
SET LOCAL enable_mergejoin = off;
SET LOCAL enable_hashjoin = on;
SELECT matches(pg_temp.plan_of(:'join_q'), 'Hash Join', 'join below is planned as a Hash Join');
SELECT results_eq(:'join_q', $$SELECT count(*), 0::bigint FROM dup$$,
                  'hash join on = matches every row of dup to its own vector');

SET LOCAL enable_hashjoin = off;
SET LOCAL enable_mergejoin = on;
SELECT matches(pg_temp.plan_of(:'join_q'), 'Merge Join', 'join below is planned as a Merge Join');
SELECT results_eq(:'join_q', $$SELECT count(*), 0::bigint FROM dup$$,
                  'merge join on = matches every row of dup to its own vector');

RESET enable_nestloop;
RESET enable_mergejoin;
RESET enable_hashjoin;

\set group_q 'SELECT code, count(*) AS n FROM dup GROUP BY code'
\set distinct_q 'SELECT DISTINCT code FROM dup'

SET LOCAL enable_hashagg = on;
SET LOCAL enable_sort = off;
SELECT matches(pg_temp.plan_of(:'group_q'), 'HashAggregate', 'GROUP BY below is planned as a HashAggregate');
CREATE TEMP TABLE agg_hash AS :group_q;
SELECT matches(pg_temp.plan_of(:'distinct_q'), 'HashAggregate', 'DISTINCT below is planned as a HashAggregate');
CREATE TEMP TABLE dist_hash AS :distinct_q;

SET LOCAL enable_hashagg = off;
SET LOCAL enable_sort = on;
SELECT matches(pg_temp.plan_of(:'group_q'), 'GroupAggregate', 'GROUP BY below is planned as a sorted GroupAggregate');
CREATE TEMP TABLE agg_sort AS :group_q;
SELECT matches(pg_temp.plan_of(:'distinct_q'), 'Unique', 'DISTINCT below is planned as Sort + Unique');
CREATE TEMP TABLE dist_sort AS :distinct_q;

RESET enable_hashagg;
RESET enable_sort;

SELECT is((SELECT count(*) FROM agg_hash), (SELECT count(*) FROM vec),
          'hashed GROUP BY code: one group per vector');
SELECT is((SELECT count(*) FROM agg_sort), (SELECT count(*) FROM vec),
          'sorted GROUP BY code: one group per vector');
SELECT bag_eq($$SELECT code::text, n FROM agg_hash$$, $$SELECT code::text, n FROM agg_sort$$,
              'hashed and sorted GROUP BY give the same groups and counts');
SELECT set_eq($$SELECT code::text, n FROM agg_sort$$,
              $$SELECT v.payload, 1 + (v.n % 3) FROM (SELECT payload, row_number() OVER (ORDER BY id) AS n FROM vec) v$$,
              'GROUP BY counts equal the number of copies of each vector');
SELECT results_eq(
    $$SELECT (SELECT count(*) FROM dist_hash), (SELECT count(*) FROM dist_sort)$$,
    $$SELECT count(*), count(*) FROM vec$$,
    'hashed and sorted DISTINCT both give one row per vector');
SELECT is_empty(
    $$(SELECT code FROM dist_hash EXCEPT SELECT code FROM dist_sort)
      UNION ALL
      (SELECT code FROM dist_sort EXCEPT SELECT code FROM dist_hash)$$,
    'hashed and sorted DISTINCT give the same codes');

-- ---------------------------------------------------------------------
-- Binary COPY round trip through psql \copy (3 tests)
-- ---------------------------------------------------------------------

\copy (SELECT id, code FROM pq) to program 'cat > /tmp/qrpay_pgtap_copy_$PPID.bin' with (format binary)
CREATE TEMP TABLE back (id text, code payment_qr);
\copy back from program 'cat /tmp/qrpay_pgtap_copy_$PPID.bin' with (format binary)
\! rm -f /tmp/qrpay_pgtap_copy_$PPID.bin

SELECT is((SELECT count(*) FROM back), (SELECT count(*) FROM pq),
          'binary COPY out and in again keeps every row');
SELECT is_empty(
    $$(SELECT id, code FROM pq EXCEPT SELECT id, code FROM back)
      UNION ALL
      (SELECT id, code FROM back EXCEPT SELECT id, code FROM pq)$$,
    'binary COPY round trip: every row equal (EXCEPT both ways empty)');
SELECT is_empty(
    $$SELECT b.id FROM back b JOIN vec v USING (id)
       WHERE b.code::text <> v.payload
          OR payment_qr_send(b.code) <> payment_qr_send(v.payload::payment_qr)$$,
    'binary COPY round trip: text output is still byte-for-byte the original payload');

-- ---------------------------------------------------------------------
-- send (2 tests)
-- ---------------------------------------------------------------------

SELECT is_empty(
    $$SELECT id FROM vec
       WHERE get_byte(payment_qr_send(payload::payment_qr), 0) <> 1$$,
    'payment_qr_send: first byte is the format version 1, for every vector');
SELECT is_empty(
    $$SELECT id FROM vec
       WHERE payment_qr_send(payload::payment_qr)
             <> '\x01'::bytea || convert_to(payload, 'UTF8')$$,
    'payment_qr_send: version byte then the UTF-8 payload, for every vector');

-- ---------------------------------------------------------------------
-- recv through server-side binary COPY of hand-made bytes (11 tests)
-- ---------------------------------------------------------------------

-- Write one binary-COPY row holding b's bytes as its only field.
CREATE FUNCTION pg_temp.binfile(b bytea) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    path text := '/tmp/qrpay_pgtap_recv_' || pg_backend_pid() || '.bin';
BEGIN
    EXECUTE format('COPY (SELECT %L::bytea) TO %L (FORMAT binary)', b, path);
    RETURN path;
END $$;


CREATE TEMP TABLE rq (code payment_qr);
SELECT pg_backend_pid() AS bpid \gset
SELECT payload AS annexb FROM vec WHERE id = 'emv-spec-annexB' \gset

SELECT lives_ok(
    format('COPY rq FROM %L (FORMAT binary)',
           pg_temp.binfile('\x01'::bytea || convert_to(:'annexb', 'UTF8'))),
    'recv accepts version 1 + a valid UTF-8 payload (EMVCo Annex B, non-ASCII)');
SELECT ok((SELECT count(*) = 1 AND bool_and(code = :'annexb'::payment_qr AND code::text = :'annexb') FROM rq),
          'recv built the same value text input builds');

SELECT throws_ok(
    format('COPY rq FROM %L (FORMAT binary)',
           pg_temp.binfile('\x02'::bytea || convert_to(:'annexb', 'UTF8'))),
    '22P03', 'unsupported payment_qr binary format version 2',
    'recv rejects format version 2');
SELECT throws_ok(
    format('COPY rq FROM %L (FORMAT binary)',
           pg_temp.binfile(convert_to(:'annexb', 'UTF8'))),
    '22P03', 'unsupported payment_qr binary format version 48',
    'recv rejects a bare payload without the version byte ("0" = 48)');
SELECT throws_ok(
    format('COPY rq FROM %L (FORMAT binary)', pg_temp.binfile(''::bytea)),
    '08P01', NULL,
    'recv rejects an empty field (no version byte)');
SELECT pg_temp.binfile('\x01'::bytea || convert_to(left(:'annexb', -1) || '0', 'UTF8')) AS badcrc \gset
SELECT throws_ok(format('COPY rq FROM %L (FORMAT binary)', :'badcrc'), '22P02', NULL,
    'recv rejects version 1 + a payload with a wrong CRC (22P02, like text input)');
SELECT throws_like(format('COPY rq FROM %L (FORMAT binary)', :'badcrc'),
    'invalid payment_qr: tag 63 (CRC) %CRC mismatch%',
    'recv: the wrong CRC is what is reported');
SELECT pg_temp.binfile('\x01'::bytea || convert_to(left(:'annexb', 20), 'UTF8') || '\xff'::bytea
                       || convert_to(substr(:'annexb', 21), 'UTF8')) AS badutf8 \gset
SELECT throws_ok(format('COPY rq FROM %L (FORMAT binary)', :'badutf8'), '22P02', NULL,
    'recv rejects version 1 + bytes that are not UTF-8 (22P02)');
SELECT throws_like(format('COPY rq FROM %L (FORMAT binary)', :'badutf8'),
    'invalid payment_qr: at offset 20: byte 0xFF %UTF-8%',
    'recv: the invalid UTF-8 byte is what is reported');

-- A NUL byte cannot reach text input, but binary input can carry one.
-- Here it sits inside tag 64.01 (alternate merchant name) with a correct
-- CRC over the bytes.  Accepting it would store a value whose text output
-- is cut at the NUL (so text out <> binary in, and a text dump of the
-- column would not reload).
SELECT convert_to('000201010211' || '26330014br.gov.bcb.pix011112345678901'
                  || '52040000' || '5303986' || '5802BR' || '5913FULANO DE TAL'
                  || '6008BRASILIA' || '64140002ZH0104AB', 'UTF8')
       || '\x00'::bytea || convert_to('D6304', 'UTF8') AS nul_body \gset

SELECT throws_ok(
    format('COPY rq FROM %L (FORMAT binary)',
           pg_temp.binfile('\x01'::bytea || :'nul_body'::bytea
                           || convert_to(pg_temp.crc16(:'nul_body'::bytea), 'UTF8'))),
    '22P02', NULL,
    'recv rejects version 1 + a payload containing a NUL byte (text input cannot express it)');
SELECT is_empty(
    $$SELECT code FROM rq WHERE payment_qr_send(code) <> '\x01'::bytea || convert_to(code::text, 'UTF8')$$,
    'every value recv stored has text output equal to its binary payload');

\set rm_out `rm -f /tmp/qrpay_pgtap_recv_:bpid.bin 2>/dev/null; echo done`

SELECT * FROM finish();
ROLLBACK;

-- 02_amcheck.sql: btree indexes over 100,000 generated payment_qr codes
-- pass amcheck (including heapallindexed and rootdescend), deduplicate,
-- enforce UNIQUE, and order exactly as the payload text under "C"
-- collation (UTF-8 byte order).
--
-- The codes are built here by string concatenation with a CRC-16/CCITT-FALSE
-- written in plpgsql, independently of the extension's C code.  About 7 in 8
-- carry a language template (tag 64) whose merchant name starts with a 1-,
-- 2-, 3- or 4-byte UTF-8 character, so lengths count characters while the
-- CRC and the order are over bytes.
BEGIN;
SET LOCAL client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS qrpay;
CREATE EXTENSION IF NOT EXISTS amcheck;
CREATE EXTENSION IF NOT EXISTS pageinspect;

SELECT plan(31);

-- ---------------------------------------------------------------------
-- Helpers (temporary, and rolled back with the rest)
-- ---------------------------------------------------------------------

\i test/pgtap/lib/helpers.sql

-- One data object: id, length in characters (not bytes), value.
CREATE FUNCTION pg_temp.tlv(id text, val text) RETURNS text LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT id || lpad(char_length(val)::text, 2, '0') || val
$$;

-- Close a payload with tag 63 and its CRC (which covers "6304").
CREATE FUNCTION pg_temp.with_crc(s text) RETURNS text LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT s || '6304' || pg_temp.crc16(s || '6304')
$$;

SELECT is(pg_temp.crc16('123456789'), '29B1',
          'SQL CRC-16/CCITT-FALSE helper: check value of "123456789" is 29B1');

CREATE TEMP TABLE vec (id text, format text, networks text, valid text,
                       payload text, expected_fields text, source text);
\copy vec from 'test/data/vectors.tsv' with (format text, header true)
DELETE FROM vec WHERE NOT (format LIKE 'emvco_mpm%' AND valid = '1');

SELECT ok((SELECT count(*) > 0
                  AND bool_and(pg_temp.crc16(left(payload, -4)) = right(payload, 4))
             FROM vec),
          'SQL CRC helper reproduces the CRC of every valid EMVCo vector (UTF-8 bytes, Annex B included)');

-- ---------------------------------------------------------------------
-- 100,000 distinct codes: 5 merchant-account prefixes x reference label
-- R<n> x 8 language-template variants (none, or a 4-character name
-- starting with an ASCII / 2-byte / 3-byte / 4-byte UTF-8 character).
-- ---------------------------------------------------------------------

CREATE TEMP TABLE gen AS
WITH prefixes(n, p) AS (VALUES
    (0, '000201010212'
        || pg_temp.tlv('26', '0014br.gov.bcb.pix' || '0111' || '12345678901')
        || '52040000' || '5303986' || '5802BR'
        || pg_temp.tlv('59', 'FULANO DE TAL') || pg_temp.tlv('60', 'BRASILIA')),
    (1, '000201010211'
        || pg_temp.tlv('29', '0012D15600000000' || '0510A93FO3230Q')
        || '52044111' || '5303156' || '5802CN'
        || pg_temp.tlv('59', 'BEST TRANSPORT') || pg_temp.tlv('60', 'BEIJING')),
    (2, '000201010212'
        || pg_temp.tlv('26', '0009SG.PAYNOW' || '01012' || '0210200312345W' || '03010')
        || '52040000' || '5303702' || '540510.50' || '5802SG'
        || pg_temp.tlv('59', 'SHOP') || pg_temp.tlv('60', 'Singapore')),
    (3, '000201010211'
        || pg_temp.tlv('30', '0016A000000677010111' || '01130066812345678')
        || '52045812' || '5303764' || '5802TH'
        || pg_temp.tlv('59', 'SOMTAM SHOP') || pg_temp.tlv('60', 'BANGKOK')),
    (4, '000201010212'
        || pg_temp.tlv('51', '0014ID.CO.QRIS.WWW' || '0215ID1020021181745' || '0303UMI')
        || '52045814' || '5303360' || '5405100.0' || '5802ID'
        || pg_temp.tlv('59', 'WARUNG') || pg_temp.tlv('60', 'JAKARTA') || '610512345')
), names(k, nm) AS (VALUES
    (0, NULL), (1, 'ABCD'), (2, 'abcd'), (3, '~bcd'),
    (4, 'Äbcd'), (5, 'Жbcd'), (6, '最佳运输'), (7, '🍜bcd')
)
SELECT i,
       pg_temp.with_crc(
           p.p
           || pg_temp.tlv('62', pg_temp.tlv('05', 'R' || (i / 8)::text) || '0703T01')
           || coalesce(pg_temp.tlv('64', '0002ZH' || pg_temp.tlv('01', nm)
                                                  || pg_temp.tlv('02', '北京')), '')
       ) AS payload
  FROM generate_series(0, 99999) AS i
  JOIN prefixes p ON p.n = (i / 8) % 5
  JOIN names ON names.k = i % 8;

SELECT results_eq(
    $$SELECT count(*), count(DISTINCT payload) FROM gen$$,
    $$VALUES (100000::bigint, 100000::bigint)$$,
    '100,000 generated payloads, all distinct');

SELECT is((SELECT count(*) FROM gen WHERE qr_check(payload) IS NULL), 100000::bigint,
          'qr_check accepts every generated payload');

SELECT results_eq(
    $$SELECT count(*) FILTER (WHERE octet_length(payload) = char_length(payload)),
             count(*) FILTER (WHERE payload ~ '[\u0080-\u07FF]'),
             count(*) FILTER (WHERE payload ~ '[\u0800-\uFFFF]'),
             count(*) FILTER (WHERE payload ~ '[\U00010000-\U0010FFFF]')
        FROM gen$$,
    $$VALUES (12500::bigint, 25000::bigint, 87500::bigint, 12500::bigint)$$,
    'the data set mixes pure-ASCII payloads with 2-, 3- and 4-byte UTF-8 characters');

SELECT is(qr_is_valid(left(payload, -4) || CASE WHEN right(payload, 4) = '0000' THEN '0001' ELSE '0000' END),
          false,
          'the same payload with a wrong CRC is rejected (the CRC is really checked)')
  FROM gen WHERE i = 6;

-- ---------------------------------------------------------------------
-- The table: 100,000 distinct codes, 3 copies of every 997th, and 1,000
-- copies of one code (long posting lists spanning several tuples).
-- qt_incr exists before the load (insertions, page splits, dedup passes);
-- qt_bulk is built afterwards (sort via sortsupport, bulk load).
-- ---------------------------------------------------------------------

CREATE TEMP TABLE qt (i int, code payment_qr);
SELECT lives_ok($$CREATE INDEX qt_incr ON qt (code)$$,
                'btree index on an empty payment_qr column');

INSERT INTO qt SELECT i, payload::payment_qr FROM gen ORDER BY md5(i::text);
INSERT INTO qt SELECT i, payload::payment_qr FROM gen, generate_series(1, 2) WHERE i % 997 = 0;
INSERT INTO qt SELECT i, payload::payment_qr FROM gen, generate_series(1, 999) WHERE i = 54321;

SELECT lives_ok($$CREATE INDEX qt_bulk ON qt (code)$$,
                'btree index built over 100,000 loaded codes');

SELECT results_eq(
    $$SELECT count(*), count(DISTINCT code) FROM qt$$,
    $$VALUES (100000::bigint + 2 * 101 + 999, 100000::bigint)$$,
    'table holds 101,201 rows, 100,000 distinct codes');

SELECT is((SELECT allequalimage FROM bt_metap('qt_incr')), true,
          'qt_incr: allequalimage (deduplication enabled by equalimage support 4)');
SELECT is((SELECT allequalimage FROM bt_metap('qt_bulk')), true,
          'qt_bulk: allequalimage (deduplication enabled by equalimage support 4)');

-- Heap TIDs held in posting-list tuples (deduplicated keys) on leaf pages.
CREATE FUNCTION pg_temp.posting_tids(idx regclass) RETURNS bigint LANGUAGE sql AS $$
    SELECT coalesce(sum(cardinality(it.tids)), 0)
      FROM generate_series(1, pg_relation_size(idx) / current_setting('block_size')::int - 1) AS blk,
           LATERAL bt_page_items(idx::text, blk::int) AS it
     WHERE cardinality(it.tids) > 1
$$;

SELECT cmp_ok(pg_temp.posting_tids('qt_incr'), '>', 0::bigint,
              'qt_incr: insertions into full leaf pages merged duplicates into posting lists');
SELECT is(pg_temp.posting_tids('qt_bulk'), (101 * 3 + 1000)::bigint,
          'qt_bulk: the bulk build put every copy of every duplicated code into posting lists');

SELECT lives_ok($$SELECT bt_index_check('qt_incr', true)$$,
                'bt_index_check(qt_incr, heapallindexed)');
SELECT lives_ok($$SELECT bt_index_parent_check('qt_incr', true, true)$$,
                'bt_index_parent_check(qt_incr, heapallindexed, rootdescend)');
SELECT lives_ok($$SELECT bt_index_check('qt_bulk', true)$$,
                'bt_index_check(qt_bulk, heapallindexed)');
SELECT lives_ok($$SELECT bt_index_parent_check('qt_bulk', true, true)$$,
                'bt_index_parent_check(qt_bulk, heapallindexed, rootdescend)');

-- ---------------------------------------------------------------------
-- Index lookups and order
-- ---------------------------------------------------------------------


SET LOCAL enable_seqscan = off;
SET LOCAL enable_bitmapscan = off;

\set lookup 'SELECT g.i FROM gen g WHERE (SELECT count(*) FROM qt WHERE qt.code = g.payload::payment_qr) <> CASE WHEN g.i = 54321 THEN 1000 WHEN g.i % 997 = 0 THEN 3 ELSE 1 END'

SELECT matches(pg_temp.plan_of(:'lookup'), 'Index (Only )?Scan using qt_(incr|bulk) on qt',
               'the per-code lookup below is planned as a btree index scan');

SELECT is_empty(:'lookup',
    'an index scan for each of the 100,000 codes finds exactly its copies');

SET LOCAL enable_seqscan = on;
SET LOCAL enable_bitmapscan = on;

SELECT ok(
    (SELECT array_agg(code ORDER BY code)::text[] FROM qt)
    = (SELECT array_agg(code::text ORDER BY code::text COLLATE "C") FROM qt),
    'ORDER BY code (sort) equals ORDER BY code::text COLLATE "C"');

SELECT ok(
    (SELECT array_agg(code ORDER BY code)::text[] FROM qt)
    = (SELECT array_agg(code::text ORDER BY convert_to(code::text, 'UTF8')) FROM qt),
    'ORDER BY code (sort) equals the order of the UTF-8 bytes');

SET LOCAL enable_seqscan = off;
SET LOCAL enable_bitmapscan = off;
SET LOCAL enable_sort = off;

SELECT ok(pg_temp.plan_of('SELECT code FROM qt ORDER BY code') ~ 'Index (Only )?Scan using qt_(incr|bulk) on qt'
          AND pg_temp.plan_of('SELECT code FROM qt ORDER BY code DESC') ~ 'Index (Only )?Scan Backward using qt_(incr|bulk) on qt'
          AND pg_temp.plan_of('SELECT code FROM qt ORDER BY code') !~ 'Sort',
          'ORDER BY code [DESC] below is planned as a forward [backward] btree index scan, no Sort');

SELECT ok(
    (SELECT array_agg(code::text) FROM (SELECT code FROM qt ORDER BY code) s)
    = (SELECT array_agg(code::text ORDER BY code::text COLLATE "C") FROM qt),
    'ORDER BY code through a btree index scan equals ORDER BY code::text COLLATE "C"');

SELECT ok(
    (SELECT array_agg(code::text) FROM (SELECT code FROM qt ORDER BY code DESC) s)
    = (SELECT array_agg(code::text ORDER BY code::text COLLATE "C" DESC) FROM qt),
    'ORDER BY code DESC through a backward index scan equals the "C" order reversed');

RESET enable_seqscan;
RESET enable_bitmapscan;
RESET enable_sort;

-- Every operator agrees with the "C" order on all neighbouring pairs.
SELECT is_empty(
    $$SELECT a, b
        FROM (SELECT p::payment_qr AS a,
                     (lead(p) OVER (ORDER BY p COLLATE "C"))::payment_qr AS b
                FROM (SELECT payload AS p FROM gen) s) pairs
       WHERE b IS NOT NULL
         AND NOT (a < b AND a <= b AND b > a AND b >= a AND a <> b AND NOT a = b
                  AND NOT b < a AND NOT a > b AND NOT b <= a AND NOT a >= b
                  AND payment_qr_cmp(a, b) = -1 AND payment_qr_cmp(b, a) = 1
                  AND payment_qr_cmp(a, a) = 0 AND a = a AND a <= a AND a >= a
                  AND NOT a < a AND NOT a <> a)$$,
    'comparison operators and payment_qr_cmp agree with the "C" order on all 99,999 neighbouring pairs');

-- ---------------------------------------------------------------------
-- UNIQUE
-- ---------------------------------------------------------------------

CREATE TEMP TABLE qu (code payment_qr);
INSERT INTO qu SELECT payload::payment_qr FROM gen;

SELECT lives_ok($$CREATE UNIQUE INDEX qu_code ON qu (code)$$,
                'UNIQUE index over the 100,000 distinct codes');

SELECT throws_ok(
    $$INSERT INTO qu SELECT payload::payment_qr FROM gen WHERE i = 77777$$,
    '23505', NULL,
    'UNIQUE index rejects a duplicate code');

SELECT throws_ok(
    $$INSERT INTO qu SELECT payload::payment_qr FROM gen WHERE i = 6$$,
    '23505', NULL,
    'UNIQUE index rejects a duplicate code with 2-, 3- and 4-byte characters');

SELECT lives_ok(
    $$INSERT INTO qu VALUES (pg_temp.with_crc('000201010211'
        || pg_temp.tlv('26', '0014br.gov.bcb.pix' || '0111' || '12345678901')
        || '52040000' || '5303986' || '5802BR'
        || pg_temp.tlv('59', 'FULANO DE TAL') || pg_temp.tlv('60', 'BRASILIA'))::payment_qr)$$,
    'UNIQUE index accepts a new code');

SELECT throws_ok(
    $$CREATE UNIQUE INDEX qt_unique ON qt (code)$$,
    '23505', NULL,
    'UNIQUE index cannot be built over a column holding duplicates');

SELECT lives_ok($$SELECT bt_index_parent_check('qu_code', true, true)$$,
                'bt_index_parent_check(qu_code, heapallindexed, rootdescend)');

SELECT * FROM finish();
ROLLBACK;

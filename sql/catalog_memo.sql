--
-- The identification memo of the catalog cache grows with the distinct
-- identifiers it meets (it used to stop learning at 2,048), answers from
-- it equal a fresh session's, and a catalog change empties it.  Its size
-- is read from pg_backend_memory_contexts: no timing.
--
\set VERBOSITY default
-- the memo measured is this backend's: no parallel workers
SET max_parallel_workers_per_gather = 0;

-- 6,000 EPC codes, each with a BIC of its own (AAAABEBB, AAABBEBB, ...)
CREATE TABLE memo_codes AS
SELECT i, bic, (E'BCD\n002\n1\nSCT\n' || bic || E'\nMemo Test\nBE72000000001616')::payment_qr AS code
FROM (SELECT i, chr(65 + i / 17576 % 26) || chr(65 + i / 676 % 26) || chr(65 + i / 26 % 26)
                || chr(65 + i % 26) || 'BEBB' AS bic
      FROM generate_series(0, 5999) i) s;
SELECT count(DISTINCT bic) AS distinct_bics FROM memo_codes;

CREATE TABLE memo_sizes (step text PRIMARY KEY, bytes bigint);
CREATE VIEW memo_now AS
SELECT coalesce(sum(total_bytes), 0) AS bytes, count(*) AS contexts
FROM pg_backend_memory_contexts WHERE name = 'qrpay identification memo';

-- with 4 BIC patterns or fewer (the shipped one and AAB*) BICs are matched
-- directly: the memo does not grow
INSERT INTO qr_providers (code, name, kind) VALUES ('memobank', 'Memo Bank', 'bank');
INSERT INTO qr_provider_patterns (provider, kind, pattern) VALUES ('memobank', 'bic', 'AAB*');
SELECT count(qr_networks(code)) FROM memo_codes WHERE i < 10;
INSERT INTO memo_sizes SELECT 'few patterns, 10', bytes FROM memo_now;
SELECT count(*) FILTER (WHERE 'memobank' = ANY (qr_networks(code))) AS memobank_codes FROM memo_codes;
INSERT INTO memo_sizes SELECT 'few patterns, 6000', bytes FROM memo_now;
SELECT (SELECT bytes FROM memo_sizes WHERE step = 'few patterns, 6000')
       = (SELECT bytes FROM memo_sizes WHERE step = 'few patterns, 10') AS matched_directly;

-- more BIC patterns than that, so that BICs are memoized; no BIC of the
-- table starts with Z
INSERT INTO qr_provider_patterns (provider, kind, pattern)
VALUES ('memobank', 'bic', 'ZZA*'), ('memobank', 'bic', 'ZZB*'),
       ('memobank', 'bic', 'ZZC*'), ('memobank', 'bic', 'ZZD*');

-- 1,000 distinct identifiers, then all 6,000, then all 6,000 again
SELECT count(qr_networks(code)) FROM memo_codes WHERE i < 1000;
INSERT INTO memo_sizes SELECT 'first 1000', bytes FROM memo_now;
CREATE TABLE memo_pass1 AS SELECT i, qr_networks(code) AS n FROM memo_codes;
INSERT INTO memo_sizes SELECT 'all 6000', bytes FROM memo_now;
CREATE TABLE memo_pass2 AS SELECT i, qr_networks(code) AS n FROM memo_codes;
INSERT INTO memo_sizes SELECT 'all 6000 again', bytes FROM memo_now;
SELECT contexts FROM memo_now;

-- past the old capacity the memo still grows; the second pass adds nothing
SELECT (SELECT bytes FROM memo_sizes WHERE step = 'all 6000')
       > 2 * (SELECT bytes FROM memo_sizes WHERE step = 'first 1000') AS grew_past_2048,
       (SELECT bytes FROM memo_sizes WHERE step = 'all 6000 again')
       = (SELECT bytes FROM memo_sizes WHERE step = 'all 6000') AS second_pass_from_memo;

-- the answers: memobank exactly for the BICs of its pattern, both passes alike
SELECT n, count(*) FROM memo_pass2 GROUP BY n ORDER BY n;
SELECT count(*) FILTER (WHERE 'memobank' = ANY (p.n) IS DISTINCT FROM c.bic LIKE 'AAB%') AS wrong,
       count(*) FILTER (WHERE p.n IS DISTINCT FROM q.n) AS passes_differ
FROM memo_codes c JOIN memo_pass1 p USING (i) JOIN memo_pass2 q USING (i);

-- a fresh session, whose memo starts empty, gives the same answers
\c
SET max_parallel_workers_per_gather = 0;
CREATE TABLE memo_fresh AS SELECT i, qr_networks(code) AS n FROM memo_codes;
SELECT count(*) FILTER (WHERE f.n IS DISTINCT FROM q.n) AS differ_from_fresh
FROM memo_fresh f JOIN memo_pass2 q USING (i);
SELECT count(qr_networks(code)) FROM memo_codes;
INSERT INTO memo_sizes SELECT 'fresh session', bytes FROM memo_now;

-- a catalog change empties the memo and changes the answers it gave
INSERT INTO qr_provider_patterns (provider, kind, pattern) VALUES ('memobank', 'bic', 'AAC*');
SELECT count(qr_networks(code)) FROM memo_codes WHERE i < 1000;
INSERT INTO memo_sizes SELECT 'after a change', bytes FROM memo_now;
SELECT (SELECT bytes FROM memo_sizes WHERE step = 'after a change')
       < (SELECT bytes FROM memo_sizes WHERE step = 'fresh session') AS emptied_by_the_change;
SELECT count(*) FILTER (WHERE 'memobank' = ANY (qr_networks(code))) AS memobank_codes,
       count(*) FILTER (WHERE bic LIKE 'AAB%' OR bic LIKE 'AAC%') AS expected
FROM memo_codes;
DELETE FROM qr_provider_patterns WHERE provider = 'memobank' AND pattern = 'AAC*';
SELECT count(*) FILTER (WHERE qr_networks(c.code) IS DISTINCT FROM q.n) AS differ_after_undo
FROM memo_codes c JOIN memo_pass2 q USING (i);

DELETE FROM qr_provider_patterns WHERE provider = 'memobank';
DELETE FROM qr_providers WHERE code = 'memobank';
DROP VIEW memo_now;
DROP TABLE memo_codes, memo_sizes, memo_pass1, memo_pass2, memo_fresh;

--
-- Indexes on payment_qr: btree, hash and expression indexes are used, and
-- give the same answers as a sequential scan.
--
CREATE EXTENSION IF NOT EXISTS pageinspect;

CREATE TABLE payments (id serial PRIMARY KEY, code payment_qr NOT NULL);
-- every valid vector, many times over, so the planner has a reason to use an index
INSERT INTO payments (code) SELECT code FROM loaded, generate_series(1, 50);
CREATE INDEX payments_code_btree ON payments (code);
CREATE INDEX payments_code_hash ON payments USING hash (code);
CREATE INDEX payments_name ON payments (qr_merchant_name(code));
ANALYZE payments;

\set shop '\'00020101021126140010com.pay.me5204411153031565802CN5904SHOP6007BEIJING6304F320\''
INSERT INTO payments (code) SELECT :shop FROM generate_series(1, 7);
ANALYZE payments;

-- equality uses an index (btree or hash, whichever the planner prefers)
EXPLAIN (costs off) SELECT count(*) FROM payments WHERE code = :shop;
SELECT count(*) FROM payments WHERE code = :shop;
SET enable_seqscan = off;
SELECT count(*) FROM payments WHERE code = :shop;
RESET enable_seqscan;

-- the hash index alone
SET enable_bitmapscan = off; SET enable_seqscan = off;
DROP INDEX payments_code_btree;
EXPLAIN (costs off) SELECT count(*) FROM payments WHERE code = :shop;
SELECT count(*) FROM payments WHERE code = :shop;
CREATE INDEX payments_code_btree ON payments (code);
RESET enable_bitmapscan; RESET enable_seqscan;

-- range scans and ORDER BY ... LIMIT walk the btree
EXPLAIN (costs off) SELECT id FROM payments ORDER BY code LIMIT 3;
EXPLAIN (costs off) SELECT count(*) FROM payments WHERE code >= :shop AND code < :shop;

-- an accessor is IMMUTABLE, so an expression index on it works
EXPLAIN (costs off) SELECT count(*) FROM payments WHERE qr_merchant_name(code) = 'BEST TRANSPORT';
SELECT count(*) FROM payments WHERE qr_merchant_name(code) = 'BEST TRANSPORT';

-- the same answers with and without index scans, for a range of queries
-- (a view is planned when it is read, so each read sees the settings of the moment)
CREATE VIEW query_answers AS
SELECT 'eq ' || l.id AS q, (SELECT count(*) FROM payments p WHERE p.code = l.code) AS n FROM loaded l
UNION ALL
SELECT 'lt ' || l.id, (SELECT count(*) FROM payments p WHERE p.code < l.code) FROM loaded l
UNION ALL
SELECT 'ge ' || l.id, (SELECT count(*) FROM payments p WHERE p.code >= l.code) FROM loaded l
UNION ALL
SELECT 'name ' || l.id, (SELECT count(*) FROM payments p
                        WHERE qr_merchant_name(p.code) = qr_merchant_name(l.code)) FROM loaded l;
CREATE TABLE answers (q text, seqscan bigint, indexed bigint);
INSERT INTO answers (q, seqscan) SELECT q, n FROM query_answers;
SET enable_seqscan = off;
EXPLAIN (costs off) SELECT count(*) FROM payments p WHERE qr_merchant_name(p.code) = 'x';
UPDATE answers a SET indexed = x.n FROM query_answers x WHERE a.q = x.q;
RESET enable_seqscan;
SELECT count(*) AS queries, count(*) FILTER (WHERE seqscan = indexed) AS equal,
       sum(seqscan) > 0 AS nonempty
FROM answers;

-- btree deduplication stays on (equalimage)
SELECT (bt_metap('payments_code_btree')).allequalimage;

-- parallel query: accessors and the type are parallel safe
SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (costs off) SELECT qr_country(code), count(*) FROM payments GROUP BY 1;
SELECT qr_country(code), count(*) FROM payments GROUP BY 1 ORDER BY 1;
RESET parallel_setup_cost; RESET parallel_tuple_cost; RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;

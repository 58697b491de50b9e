--
-- The functions a Citus cluster uses, on one node: the catalog's
-- fingerprint, snapshot and load, the nodes' check, the match key, a shard
-- group's run and the clearing fee.  test/citus/run.sh runs them across a
-- coordinator and two workers.
--
SET client_min_messages = warning;

-- the fingerprint: 64 hex digits, the same under any TimeZone, DateStyle
-- and IntervalStyle (rates and rules hold ranges of times)
SELECT qr_catalog_fingerprint() ~ '^[0-9a-f]{64}$' AS hex;
CREATE TEMP TABLE fp AS SELECT qr_catalog_fingerprint() AS f;
SET timezone = 'America/Sao_Paulo';
SET datestyle = 'SQL, DMY';
SET intervalstyle = 'iso_8601';
SELECT qr_catalog_fingerprint() = (SELECT f FROM fp) AS same_under_other_styles;
RESET timezone;
RESET datestyle;
RESET intervalstyle;
SELECT qr_catalog_tables();

-- a snapshot holds every table of the catalog, the version and the fingerprint
CREATE TEMP TABLE snap AS SELECT qr_catalog_snapshot() AS s;
SELECT (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(s) k) AS keys,
       s->>'version' = (SELECT extversion FROM pg_extension WHERE extname = 'qrpay') AS this_version,
       s->>'fingerprint' = (SELECT f FROM fp) AS its_fingerprint,
       jsonb_array_length(s->'qr_providers') = (SELECT count(*) FROM qr_providers) AS every_provider
  FROM snap;

-- a change of any catalog table changes the fingerprint; loading the
-- snapshot taken before undoes it (one row of each kind of change: an
-- insert, a change to a row of one's own, a delete)
INSERT INTO qr_providers (code, name, kind, country) VALUES ('clusterpay', 'Cluster Pay', 'wallet', 'CN');
INSERT INTO qr_provider_patterns (provider, kind, pattern) VALUES ('clusterpay', 'url', 'https://pay.cluster.example/*');
INSERT INTO qr_fee_rates (payer, payee, via, rate, fixed) VALUES ('alipay', 'wechatpay', 'unionpay', 0.001, 0.01);
SELECT qr_catalog_fingerprint() <> (SELECT f FROM fp) AS changed;
CREATE TEMP TABLE snap2 AS SELECT qr_catalog_snapshot() AS s;
SELECT qr_catalog_load((SELECT s FROM snap)) = (SELECT f FROM fp) AS loaded_back;
SELECT count(*) AS clusterpay_rows FROM qr_providers WHERE code = 'clusterpay';
SELECT qr_provider('https://pay.cluster.example/x'::payment_qr) AS provider_after_undo;
-- and loading the later one brings them back, the pattern identifying again
SELECT qr_catalog_load((SELECT s FROM snap2)) = (SELECT s->>'fingerprint' FROM snap2) AS loaded_again;
SELECT qr_provider('https://pay.cluster.example/x'::payment_qr) AS provider_after_load;
-- a row of one's own changed: deleted and inserted as the snapshot has it
UPDATE qr_fee_rates SET rate = 0.002 WHERE payer = 'alipay' AND payee = 'wechatpay';
SELECT qr_catalog_load((SELECT s FROM snap2)) = (SELECT s->>'fingerprint' FROM snap2) AS rate_restored;
SELECT rate FROM qr_fee_rates WHERE payer = 'alipay' AND payee = 'wechatpay';
-- loading a snapshot equal to the catalog changes nothing (no audit rows)
CREATE TEMP TABLE audit_before AS SELECT count(*) AS n FROM qr_catalog_audit;
SELECT qr_catalog_load((SELECT s FROM snap2)) IS NOT NULL AS loaded;
SELECT count(*) - (SELECT n FROM audit_before) AS new_audit_rows FROM qr_catalog_audit;

-- errors: no snapshot, another version, a table missing, a catalog that
-- still differs after loading (shipped rows, which no load changes)
SELECT qr_catalog_load(NULL);
SELECT qr_catalog_load('[]');
SELECT qr_catalog_load((SELECT s || '{"version": "0.1.0"}' FROM snap2));
SELECT qr_catalog_load((SELECT s - 'qr_cities' FROM snap2));
DO $$
BEGIN
    PERFORM qr_catalog_load((SELECT jsonb_set(s, '{fingerprint}', '"0"') FROM snap2));
EXCEPTION WHEN object_not_in_prerequisite_state THEN
    RAISE WARNING '%: %', SQLSTATE, regexp_replace(SQLERRM, '[0-9a-f]{64}', '(this node''s)');
END $$;
-- the failed loads changed nothing
SELECT qr_catalog_fingerprint() = (SELECT s->>'fingerprint' FROM snap2) AS unchanged;

-- one node: itself, matching; the check returns its fingerprint; the sync
-- has no worker to give it to
SELECT node, version = (SELECT extversion FROM pg_extension WHERE extname = 'qrpay') AS this_version,
       fingerprint = qr_catalog_fingerprint() AS own, matches FROM qr_catalog_nodes();
SELECT qr_catalog_check() = qr_catalog_fingerprint() AS checked;
SELECT count(*) AS nodes, bool_and(matches) AS all_match FROM qr_catalog_sync();
-- a role without any grant compares catalogs too: every catalog table is
-- readable by all (the statement formats, which are not, are the back
-- office's and stay out of it)
CREATE ROLE qrpay_cluster_reader;
GRANT SELECT ON snap, snap2 TO qrpay_cluster_reader;
SET ROLE qrpay_cluster_reader;
SELECT qr_catalog_check() = (SELECT s->>'fingerprint' FROM snap2) AS checked_by_a_reader;
-- but loading is writing the catalog: for its owner and the roles it grants
\set VERBOSITY terse
SELECT qr_catalog_load((SELECT s FROM snap));
\set VERBOSITY default
RESET ROLE;
REVOKE ALL ON snap, snap2 FROM qrpay_cluster_reader;
DROP ROLE qrpay_cluster_reader;

-- the match key: the parent reference, else the reference, else the
-- provider; an empty text counts as none, as in the engine
SELECT qr_match_key('alipay', 'R1', 'P1') AS parent, qr_match_key('alipay', 'R1', NULL) AS reference,
       qr_match_key('alipay', 'R1', '') AS empty_parent, qr_match_key('alipay', '', NULL) AS provider,
       qr_match_key('alipay', NULL, NULL) AS no_reference, qr_match_key(NULL, NULL, NULL) AS none;

-- a shard group's run: the largest group id, then one line per row, its
-- first width columns as a row's text, times as microseconds since 2000
CREATE TABLE cl_ledger (txn_id text, provider text, reference text, parent_reference text, amount numeric,
                        currency text, ts timestamptz);
CREATE TABLE cl_statement (LIKE cl_ledger);
INSERT INTO cl_ledger VALUES ('L1', 'alipay', 'R1', NULL, 10, 'CNY', '2026-03-01 10:00+08'),
                             ('L2', 'alipay', 'R2', NULL, 20, 'CNY', '2026-03-01 10:05+08'),
                             ('L3', 'alipay', 'R3', NULL, 30, 'CNY', '2026-03-01 10:10+08'),
                             ('L4', 'alipay', 'R,4 "x"', NULL, 40, 'CNY', '2026-03-01 10:15+08');
INSERT INTO cl_statement VALUES ('S1', 'alipay', 'R1', NULL, 10, 'CNY', '2026-03-01 10:00:05+08'),
                                ('S3a', 'alipay', 'R3', NULL, 10, 'CNY', '2026-03-01 10:10:01+08'),
                                ('S3b', 'alipay', 'R3', NULL, 20, 'CNY', '2026-03-01 10:10:02+08');
SELECT qr_match_shard('cl_ledger', 'cl_statement', NULL, 5, ARRAY['TimeZone', 'Asia/Shanghai']);
SELECT qr_match_shard('cl_ledger', 'cl_statement', NULL, 10, NULL);
SELECT qr_match_shard('cl_ledger', 'cl_statement', NULL, 19, NULL);
-- read back as the coordinator reads them, they are qr_match's rows
CREATE TYPE cl_wire AS (status text, ledger_txn text, statement_txn text, amount_diff numeric, reason text,
                        provider text, ledger_ts bigint, statement_ts bigint,
                        ledger_amount numeric, statement_amount numeric,
                        ledger_currency text, statement_currency text,
                        group_id bigint, candidates text[], original_txn text, net_amount numeric,
                        fee numeric, expected_fee numeric, fx_rate numeric);
SELECT (SELECT array_agg(ROW(w.status, w.ledger_txn, w.statement_txn, w.amount_diff, w.reason, w.provider,
                             timestamptz '2000-01-01 00:00+00' + w.ledger_ts * interval '1 microsecond',
                             timestamptz '2000-01-01 00:00+00' + w.statement_ts * interval '1 microsecond',
                             w.ledger_amount, w.statement_amount, w.ledger_currency, w.statement_currency,
                             w.group_id, w.candidates, w.original_txn, w.net_amount, w.fee, w.expected_fee, w.fx_rate)::text
                         ORDER BY w.ledger_txn, w.statement_txn)
          FROM regexp_split_to_table(r, E'\n') WITH ORDINALITY l(line, n),
               LATERAL (SELECT (l.line::cl_wire).*) w
         WHERE l.n > 1)
     = (SELECT array_agg(m::record::text ORDER BY m.ledger_txn, m.statement_txn)
          FROM qr_match('cl_ledger', 'cl_statement') m) AS same_as_qr_match
  FROM qr_match_shard('cl_ledger', 'cl_statement', NULL, 19, NULL) r;
DROP TYPE cl_wire;
-- the coordinator's styles, for the transaction: the reasons read as there
SELECT current_setting('TimeZone') AS before,
       qr_match_shard('cl_ledger', 'cl_statement', NULL, 5, ARRAY['TimeZone', 'UTC']) IS NOT NULL AS ran,
       current_setting('TimeZone') AS after_the_statement;
\set VERBOSITY terse
SELECT qr_match_shard('cl_ledger', 'cl_statement', NULL, 5, ARRAY['search_path', 'public']);
SELECT qr_match_shard('cl_ledger', NULL, NULL, 5, NULL);
SELECT qr_match_shard('cl_ledger', 'cl_statement', NULL, 7, NULL);
SELECT qr_match_shard('cl_ledger', 'cl_statement', '{"window": "1 hour"}', 19, NULL);
\set VERBOSITY default
-- a ledger and a statement without rows: no group, no line
CREATE TABLE cl_empty (LIKE cl_ledger);
SELECT qr_match_shard('cl_empty', 'cl_empty', NULL, 19, NULL) AS empty;

-- the clearing fee: rate times amount plus fixed, rounded to the
-- currency's minor unit, from the rate valid at that time; 0 without one
SELECT qr_clearing_fee('alipay', 'wechatpay', 'unionpay', '2026-03-01', 123.45, 'CNY') AS cny,
       qr_clearing_fee('alipay', 'wechatpay', 'unionpay', '2026-03-01', 12345, 'JPY') AS jpy,
       qr_clearing_fee('alipay', 'unionpay', 'unionpay', '2026-03-01', 100, 'CNY') AS no_rate,
       qr_clearing_fee('alipay', 'wechatpay', 'unionpay', '2026-03-01', NULL, 'CNY') AS no_amount;
-- as qr_clearing charges it
CREATE TABLE cl_routed (ts timestamptz, currency text, amount numeric, payer text, network text, via text);
INSERT INTO cl_routed VALUES ('2026-03-01 10:00+08', 'CNY', 123.45, 'alipay', 'wechatpay', 'unionpay'),
                             ('2026-03-01 11:00+08', 'CNY', 10, 'alipay', 'wechatpay', 'unionpay');
SELECT (SELECT sum(fees) FROM qr_clearing('cl_routed'))
     = (SELECT sum(qr_clearing_fee(payer, network, via, ts, amount, currency)) FROM cl_routed) AS as_clearing;

-- clean up: the catalog as it was
SELECT qr_catalog_load((SELECT s FROM snap)) = (SELECT f FROM fp) AS restored;
DROP TABLE cl_ledger, cl_statement, cl_empty, cl_routed;

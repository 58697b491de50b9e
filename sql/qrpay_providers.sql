--
-- Provider identification: the shipped catalog, what it matches against,
-- user rows taking effect in the same session, and the catalog's guards
--
\set VERBOSITY default

-- the shipped catalog: every provider of the interoperability facts,
-- payer-only apps (no patterns) included
SELECT kind, count(*) AS providers, string_agg(code, ' ' ORDER BY code) AS codes
FROM qr_providers GROUP BY kind ORDER BY kind;
SELECT kind, count(*) AS patterns FROM qr_provider_patterns GROUP BY kind ORDER BY kind;
SELECT code FROM qr_providers p
WHERE NOT EXISTS (SELECT FROM qr_provider_patterns r WHERE r.provider = p.code) ORDER BY code;
SELECT count(*) FILTER (WHERE shipped) AS shipped, count(*) FILTER (WHERE NOT shipped) AS user_rows
FROM qr_provider_patterns;

-- what patterns are matched against
SELECT * FROM qr_identifiers((SELECT code FROM loaded WHERE id = 'sg-sgqr-spec-sample'));
SELECT * FROM qr_identifiers((SELECT code FROM loaded WHERE id = 'ph-qrph-p2p-paymaya'));
SELECT * FROM qr_identifiers((SELECT code FROM loaded WHERE id = 'kh-khqr-individual'));
SELECT * FROM qr_identifiers((SELECT code FROM loaded WHERE id = 'cpm-emvco-example2'));
SELECT * FROM qr_identifiers('289431869362714645');
SELECT * FROM qr_identifiers(E'BCD\n002\n1\nSCT\nBPOTBEB1\nRed Cross of Belgium\nBE72000000001616');

-- networks in payload order; the primary provider is the first
SELECT id, qr_networks(code), qr_provider(code)
FROM loaded WHERE id IN ('sg-sgqr-spec-sample', 'id-qris-gopay-static', 'hk-multi-unionpay-fps-swiftpass',
                         'kh-khqr-with-unionpay-tag15', 'ph-qrph-p2p-paymaya', 'emv-spec-annexB')
ORDER BY id;
SELECT qr_provider(code) AS provider, count(*) FROM loaded GROUP BY 1 ORDER BY 2 DESC, 1;

-- a bank adds its own QR host and wallet; results change in this session
SELECT qr_networks('https://pay.mybank.example/q/8812'), qr_provider('https://pay.mybank.example/q/8812');
INSERT INTO qr_providers (code, name, kind, country) VALUES ('mybank', 'My Bank', 'bank', 'CN');
INSERT INTO qr_provider_patterns (provider, kind, pattern, note)
VALUES ('mybank', 'url', 'https://pay.mybank.example/*', 'our merchant codes');
SELECT qr_networks('https://pay.mybank.example/q/8812'), qr_provider('https://pay.mybank.example/q/8812');
-- ... a consumer-code prefix for a telco wallet, with its length
SELECT qr_networks('881234567890123456');
INSERT INTO qr_provider_patterns (provider, kind, pattern, min_length, max_length)
VALUES ('cmpay', 'payment_code', '88*', 18, 18);
SELECT qr_networks('881234567890123456'), qr_networks('8812345678901234567') AS too_long;
-- ... a GUID its EMVCo codes carry, only in China (tag 58)
INSERT INTO qr_provider_patterns (provider, kind, pattern, country)
VALUES ('mybank', 'emv_guid', 'CN.MYBANK.*', 'CN');
SELECT qr_country(c::payment_qr), qr_networks(c::payment_qr) FROM (VALUES
    ('00020101021126250013CN.MYBANK.PAY010412345204581253031565802CN5904SHOP6007BEIJING63046565'),
    ('00020101021126250013CN.MYBANK.PAY010412345204581253037025802SG5904SHOP6009SINGAPORE6304C31C')) v(c);
-- a pattern edit and a delete take effect at once, a rollback is never seen
UPDATE qr_provider_patterns SET pattern = 'https://pay.mybank.example/q/*' WHERE provider = 'mybank' AND kind = 'url';
SELECT qr_networks('https://pay.mybank.example/r/1') AS other_path, qr_networks('https://pay.mybank.example/q/1') AS q_path;
BEGIN;
DELETE FROM qr_provider_patterns WHERE provider = 'cmpay';
SELECT qr_networks('881234567890123456') AS inside_transaction;
ROLLBACK;
SELECT qr_networks('881234567890123456') AS after_rollback;
DELETE FROM qr_providers WHERE code = 'mybank';
SELECT count(*) AS patterns_left FROM qr_provider_patterns WHERE provider = 'mybank';
SELECT qr_networks('https://pay.mybank.example/q/1');

-- parallel workers fill their own cache and agree with the leader
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
-- force_parallel_mode is named debug_parallel_query from PostgreSQL 16 on
SELECT CASE WHEN current_setting('server_version_num')::int >= 160000
    THEN 'debug_parallel_query' ELSE 'force_parallel_mode' END AS force_parallel \gset
SET :force_parallel = on;
CREATE TABLE networks_serial AS SELECT id, qr_networks(code) AS n FROM loaded;
EXPLAIN (costs off) SELECT id, qr_networks(code) FROM loaded;
SELECT count(*) AS rows, count(*) FILTER (WHERE s.n IS DISTINCT FROM qr_networks(l.code)) AS differ
FROM loaded l JOIN networks_serial s USING (id);
RESET :force_parallel;
RESET max_parallel_workers_per_gather;
RESET min_parallel_table_scan_size;
RESET parallel_tuple_cost;
RESET parallel_setup_cost;

-- guards: shipped rows are read-only, patterns are checked when written
UPDATE qr_providers SET name = 'Alipay' WHERE code = 'alipay';
\echo :LAST_ERROR_SQLSTATE
DELETE FROM qr_provider_patterns WHERE provider = 'pix';
TRUNCATE qr_provider_patterns;
INSERT INTO qr_providers (code, name, kind, shipped) VALUES ('fake', 'Fake', 'wallet', true);
INSERT INTO qr_provider_patterns (provider, kind, pattern) VALUES ('cmpay', 'url', 'https://[pay.example/*');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO qr_provider_patterns (provider, kind, pattern) VALUES ('cmpay', 'guid', 'X');
INSERT INTO qr_provider_patterns (provider, kind, pattern, country) VALUES ('cmpay', 'url', 'https://x/*', 'CN');
INSERT INTO qr_provider_patterns (provider, kind, pattern) VALUES ('nobody', 'url', 'https://x/*');
INSERT INTO qr_providers (code, name, kind) VALUES ('My Bank', 'My Bank', 'bank');
INSERT INTO qr_provider_patterns (provider, kind, pattern, min_length, max_length) VALUES ('cmpay', 'payment_code', '7*', 19, 18);
SELECT count(*) AS shipped_providers FROM qr_providers WHERE shipped;

-- the catalog functions need their tables
BEGIN;
ALTER TABLE qr_provider_patterns RENAME TO qr_provider_patterns_moved;
SELECT qr_networks('wxp://f2f0abc');
ROLLBACK;
SELECT qr_networks('wxp://f2f0abc');

-- user rows are dumped, shipped rows are not
SELECT c.relname, e.cond
FROM pg_extension x,
     unnest(x.extconfig, x.extcondition) AS e(oid, cond)
     JOIN pg_class c ON c.oid = e.oid
WHERE x.extname = 'qrpay' ORDER BY 1;

DELETE FROM qr_provider_patterns WHERE NOT shipped;

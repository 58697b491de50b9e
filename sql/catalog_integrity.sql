--
-- Rule -> city references, checked by the database after each row: a
-- statement that deletes a city and writes a rule naming it fails in
-- either order, whatever the cache held when it began.
--
\set VERBOSITY default

INSERT INTO qr_cities (name, aliases) VALUES ('Testville', '{Tville}');

-- a rule and the deletion of its city in one statement, both ways round
WITH r AS (INSERT INTO qr_interop_rules (id, payer, payee, cities, allowed, priority, source)
           VALUES ('t-block', 'alipay', 'unionpay', ARRAY['Testville'], false, 9, 't') RETURNING 1)
DELETE FROM qr_cities WHERE name = 'Testville';
WITH d AS (DELETE FROM qr_cities WHERE name = 'Testville' RETURNING 1)
INSERT INTO qr_interop_rules (id, payer, payee, cities, allowed, priority, source)
VALUES ('t-block', 'alipay', 'unionpay', ARRAY['tville'], false, 9, 't');
-- a rename in the same statement as the rule
WITH r AS (INSERT INTO qr_interop_rules (id, payer, payee, cities, allowed, priority, source)
           VALUES ('t-block', 'alipay', 'unionpay', ARRAY['Testville'], false, 9, 't') RETURNING 1)
UPDATE qr_cities SET name = 'Testburg' WHERE name = 'Testville';
SELECT count(*) AS rules FROM qr_interop_rules WHERE id = 't-block';
SELECT name FROM qr_cities WHERE name IN ('Testville', 'Testburg');

-- the rule alone is stored under the city's name, which then cannot go
INSERT INTO qr_interop_rules (id, payer, payee, cities, allowed, priority, source)
VALUES ('t-block', 'alipay', 'unionpay', ARRAY['tville'], false, 9, 't');
SELECT cities FROM qr_interop_rules WHERE id = 't-block';
DELETE FROM qr_cities WHERE name = 'Testville';
UPDATE qr_cities SET name = 'Testburg' WHERE name = 'Testville';
-- other columns of either row change freely
UPDATE qr_cities SET province = 'Test', aliases = '{Tville,TV}' WHERE name = 'Testville';
UPDATE qr_interop_rules SET priority = 8 WHERE id = 't-block';
-- a rule moved to a city deleted in the same statement
INSERT INTO qr_cities (name) VALUES ('Otherville');
WITH d AS (DELETE FROM qr_cities WHERE name = 'Otherville' RETURNING 1)
UPDATE qr_interop_rules SET cities = ARRAY['Otherville'] WHERE id = 't-block';
-- a rule inserted and deleted in one transaction leaves its city free
BEGIN;
INSERT INTO qr_interop_rules (id, payer, payee, cities, source) VALUES ('t-tmp', 'alipay', 'wechatpay', ARRAY['Otherville'], 't');
DELETE FROM qr_interop_rules WHERE id = 't-tmp';
DELETE FROM qr_cities WHERE name = 'Otherville';
COMMIT;

-- once the rule is gone, the city goes too
DELETE FROM qr_interop_rules WHERE id = 't-block';
DELETE FROM qr_cities WHERE name = 'Testville';
SELECT count(*) AS left_over FROM qr_cities WHERE NOT shipped;

-- a parallel worker fills its own cache under the statement's snapshot
-- (no newer one may be taken in parallel mode)
-- force_parallel_mode is named debug_parallel_query from PostgreSQL 16 on
SELECT CASE WHEN current_setting('server_version_num')::int >= 160000
    THEN 'debug_parallel_query' ELSE 'force_parallel_mode' END AS force_parallel \gset
SET :force_parallel = on;
SELECT qr_networks('wxp://f2f0abc'), (qr_route('wxp://f2f0abc', 'alipay', '2025-01-01', 'Beijing')).status;
RESET :force_parallel;

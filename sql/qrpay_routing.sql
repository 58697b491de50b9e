--
-- Interoperability routing: every fact F1-F13 before and after it takes
-- effect, inside and outside its region; user rules; errors
--
\set VERBOSITY default
SET TimeZone = 'Asia/Shanghai';
SET DateStyle = ISO;

-- the shipped rules, one or more per fact
SELECT split_part(id, '-', 1) AS fact, count(*) AS rules,
       string_agg(payer || '>' || payee, ' ' ORDER BY id) AS pairs
FROM qr_interop_rules GROUP BY 1 ORDER BY min(length(split_part(id, '-', 1))), 1;
SELECT count(*) AS cities, count(*) FILTER (WHERE capital) AS provincial_capitals FROM qr_cities;

-- codes of each network (vectors) and an aggregated code (F12): UnionPay
-- tag 15 and a WeChat Pay template, merchant city in tag 60
CREATE TABLE route_codes (name text PRIMARY KEY, code payment_qr);
INSERT INTO route_codes VALUES
    ('alipay_url', 'https://qr.alipay.com/fkx07120vzhsliuln927l74'),
    ('wechat_url', 'wxp://f2f067yve_yNrmWOKjAmyEeuYcStPZXhjpud'),
    ('unionpay_url', 'https://qr.95516.com/00010000/62028489073949969691921655610979'),
    ('wechat_consumer', '120061098828009406'),
    ('alipay_consumer', '289431869362714645'),
    ('ecny_consumer', '0112345678901234567'),
    ('agg_shenzhen', '0002010102111531250003440001034450003445311000126350017COM.QQ.WEIXIN.PAY011012345678905204581253031565802CN5912NOODLE HOUSE6008SHENZHEN630421A0'),
    ('agg_beijing', '0002010102111531250003440001034450003445311000126350017COM.QQ.WEIXIN.PAY011012345678905204581253031565802CN5912NOODLE HOUSE6007BEIJING63042DEE'),
    ('agg_xian', '0002010102111531250003440001034450003445311000126350017COM.QQ.WEIXIN.PAY011012345678905204581253031565802CN5912NOODLE HOUSE6004XIAN6304721D'),
    ('agg_guangzhou_zh', '0002010102111531250003440001034450003445311000126350017COM.QQ.WEIXIN.PAY011012345678905204581253031565802CN5912NOODLE HOUSE6014GUANGZHOU CITY64180002ZH0102面馆0202广州63041676');
SELECT name, qr_networks(code), qr_merchant_city(code) FROM route_codes ORDER BY name;

-- one row per check: the code, the payer, when, where, how, and the route
CREATE TABLE route_checks (fact text, code text, payer text, at timestamptz, region text, scenario text);
INSERT INTO route_checks VALUES
    ('F1',  'alipay_url', 'unionpay', '2021-07-15', 'Hangzhou', 'online'),
    ('F1',  'alipay_url', 'unionpay', '2021-09-01', 'Hangzhou', 'online'),
    ('F2',  'alipay_url', 'unionpay', '2021-09-30', 'Beijing', 'offline'),
    ('F2',  'alipay_url', 'unionpay', '2021-12-01', 'Beijing', 'offline'),
    ('F2',  'alipay_url', 'unionpay', '2021-12-01', 'Lhasa', 'offline'),
    ('F2',  'unionpay_url', 'alipay', '2021-10-05', 'XIAN', 'offline'),
    ('F2',  'unionpay_url', 'alipay', '2021-10-05', 'Hangzhou', 'offline'),
    ('F3',  'alipay_url', 'unionpay', '2022-06-01', 'Lhasa', 'offline'),
    ('F3',  'alipay_url', 'unionpay', '2022-06-01', '拉萨', 'offline'),
    ('F3',  'unionpay_url', 'alipay', '2021-12-03', 'Hangzhou', 'offline'),
    ('F3',  'alipay_url', 'ccb', '2021-11-01', 'Suzhou', 'offline'),
    ('F3',  'alipay_url', 'ccb', '2022-01-01', 'Suzhou', 'offline'),
    ('F4',  'wechat_url', 'unionpay', '2021-09-21', 'Hangzhou', 'offline'),
    ('F4',  'wechat_url', 'unionpay', '2021-09-23', 'Hangzhou', 'offline'),
    ('F4',  'wechat_url', 'unionpay', '2022-01-01', 'Shenzhen', 'offline'),
    ('F4',  'unionpay_url', 'wechatpay', '2021-10-01', 'Chengdu', 'offline'),
    ('F4',  'unionpay_url', 'wechatpay', '2021-10-01', 'Suzhou', 'offline'),
    ('F5',  'wechat_url', 'unionpay', '2021-09-01', 'Shenzhen', 'mini_program'),
    ('F5',  'wechat_url', 'unionpay', '2021-09-23', 'Shenzhen', 'mini_program'),
    ('F6',  'alipay_url', 'wechatpay', '2021-08-01', NULL, 'online'),
    ('F6',  'alipay_url', 'wechatpay', '2021-10-01', NULL, 'online'),
    ('F7',  'wechat_url', 'boc', '2021-09-01', 'Dalian', 'offline'),
    ('F7',  'wechat_url', 'boc', '2021-10-02', 'Dalian', 'offline'),
    ('F8',  'wechat_url', 'cmpay', '2023-11-09', 'Ningbo', 'offline'),
    ('F8',  'wechat_url', 'cmpay', '2023-11-10', 'Ningbo', 'offline'),
    ('F8',  'wechat_url', 'wopay', '2023-11-10', 'Lhasa', 'offline'),
    ('F9',  'wechat_url', 'ecny', '2023-10-15', NULL, 'mini_program'),
    ('F9',  'wechat_url', 'ecny', '2023-11-15', NULL, 'mini_program'),
    ('F9',  'wechat_url', 'ecny', '2023-11-15', NULL, 'offline'),
    ('F10', 'wechat_url', 'unionpay', '2024-05-31', 'Shenzhen', 'offline'),
    ('F10', 'wechat_url', 'unionpay', '2024-07-01', 'Shenzhen', 'offline'),
    ('F11', 'wechat_url', 'alipay', '2024-07-01', 'Beijing', 'offline'),
    ('F11', 'alipay_url', 'wechatpay', '2024-07-01', 'Beijing', 'offline'),
    ('F11', 'alipay_url', 'alipay', '2024-07-01', 'Beijing', 'offline'),
    ('F12', 'agg_shenzhen', 'unionpay', '2022-01-01', NULL, 'offline'),
    ('F12', 'agg_shenzhen', 'wechatpay', '2022-01-01', NULL, 'offline'),
    ('F12', 'agg_shenzhen', 'cmpay', '2023-12-01', NULL, 'offline'),
    ('F12', 'agg_shenzhen', 'alipay', '2021-11-01', NULL, 'offline'),
    ('F12', 'agg_shenzhen', 'alipay', '2022-01-01', NULL, 'offline'),
    ('F12', 'agg_beijing', 'alipay', '2021-11-01', NULL, 'offline'),
    ('F12', 'agg_xian', 'alipay', '2021-11-01', NULL, 'offline'),
    ('F12', 'agg_guangzhou_zh', 'alipay', '2021-11-01', NULL, 'offline'),
    ('F12', 'agg_shenzhen', 'ccb', '2022-01-01', NULL, 'offline'),
    ('F13', 'ecny_consumer', 'wechatpay', '2023-11-15', NULL, 'online'),
    ('F13', 'ecny_consumer', 'wechatpay', '2023-11-15', NULL, 'offline'),
    ('CPM', 'wechat_consumer', 'unionpay', '2021-10-01', 'Hangzhou', 'offline'),
    ('CPM', 'wechat_consumer', 'unionpay', '2021-10-01', 'Suzhou', 'offline'),
    ('CPM', 'alipay_consumer', 'unionpay', '2021-10-05', 'Shenzhen', 'offline'),
    ('CPM', 'alipay_consumer', 'alipay', '2021-10-05', 'Shenzhen', 'offline'),
    ('CPM', 'alipay_consumer', 'wechatpay', '2024-07-01', 'Shenzhen', 'offline');

SELECT c.fact, c.code, c.payer, c.at::date, c.region, c.scenario,
       r.status, r.network, r.via, r.rule, r.reason,
       qr_accepts(k.code, c.payer, c.at, c.region, c.scenario) AS accepts
FROM route_checks c JOIN route_codes k ON k.name = c.code,
     LATERAL qr_route(k.code, c.payer, c.at, c.region, c.scenario) r
ORDER BY length(c.fact), c.fact, c.code, c.payer, c.at, c.region;

-- every payer app of a code, and how
SELECT * FROM qr_routes((SELECT code FROM route_codes WHERE name = 'wechat_url'), '2024-07-01', 'Shenzhen');
SELECT * FROM qr_routes((SELECT code FROM route_codes WHERE name = 'agg_shenzhen'), '2022-01-01');
-- a consumer-presented code: every acquiring network that can take it
SELECT * FROM qr_routes((SELECT code FROM route_codes WHERE name = 'wechat_consumer'), '2021-10-01', 'Hangzhou');
-- the defaults: now, the code's city, offline
SELECT (qr_route(code, 'unionpay')).status FROM route_codes WHERE name = 'wechat_url';
-- a region qr_cities does not know matches only nationwide rules
SELECT (qr_route(code, 'unionpay', '2021-10-05', 'Atlantis')).* FROM route_codes WHERE name = 'alipay_url';
-- a code that names no provider of the catalog
SELECT (qr_route('https://shop.example/pay/1', 'unionpay')).*;

-- a bank's bilateral agreement, in its cities, then ended with an UPDATE
INSERT INTO qr_providers (code, name, kind, country) VALUES ('mybank', 'My Bank', 'bank', 'CN');
INSERT INTO qr_interop_rules (id, payer, payee, via, valid_during, cities, source)
VALUES ('mybank-wechat', 'mybank', 'wechatpay', 'netsunion', '[2025-01-01 00:00+08,)',
        ARRAY['beijing', '上海', 'Xi an'], 'our agreement with Tenpay, 2024-12');
SELECT cities FROM qr_interop_rules WHERE id = 'mybank-wechat';
SELECT (qr_route(code, 'mybank', '2025-03-01', 'Shanghai')).* FROM route_codes WHERE name = 'wechat_url';
UPDATE qr_interop_rules SET valid_during = '[2025-01-01 00:00+08,2025-02-01 00:00+08)' WHERE id = 'mybank-wechat';
SELECT (qr_route(code, 'mybank', '2025-03-01', 'Shanghai')).* FROM route_codes WHERE name = 'wechat_url';
SELECT (qr_route(code, 'mybank', '2025-01-15', 'SHANGHAI')).status FROM route_codes WHERE name = 'wechat_url';
-- ... and an override of a shipped rule: a higher-priority block
INSERT INTO qr_interop_rules (id, payer, payee, cities, priority, allowed, source)
VALUES ('acq-no-unionpay-wechat-sz', 'unionpay', 'wechatpay', ARRAY['Shenzhen'], 10, false,
        'our Shenzhen acquiring contract excludes UnionPay-cleared WeChat Pay scans');
SELECT (qr_route(code, 'unionpay', '2024-07-01', 'Shenzhen')).* FROM route_codes WHERE name = 'wechat_url';
SELECT (qr_route(code, 'unionpay', '2024-07-01', 'Guangzhou')).rule FROM route_codes WHERE name = 'wechat_url';
BEGIN;
DELETE FROM qr_interop_rules WHERE id = 'acq-no-unionpay-wechat-sz';
SELECT (qr_route(code, 'unionpay', '2024-07-01', 'Shenzhen')).rule AS inside_transaction FROM route_codes WHERE name = 'wechat_url';
ROLLBACK;
SELECT (qr_route(code, 'unionpay', '2024-07-01', 'Shenzhen')).rule AS after_rollback FROM route_codes WHERE name = 'wechat_url';

-- parallel workers route like the leader
CREATE TABLE route_many AS
SELECT g, k.code FROM route_codes k, generate_series(1, 50) g;
CREATE TABLE route_serial AS
SELECT g, code::text AS c, qr_route(code, 'unionpay', '2022-06-01') AS r FROM route_many;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
-- force_parallel_mode is named debug_parallel_query from PostgreSQL 16 on
SELECT CASE WHEN current_setting('server_version_num')::int >= 160000
    THEN 'debug_parallel_query' ELSE 'force_parallel_mode' END AS force_parallel \gset
SET :force_parallel = on;
EXPLAIN (costs off) SELECT qr_route(code, 'unionpay', '2022-06-01') FROM route_many;
SELECT count(*) AS rows, count(*) FILTER (WHERE s.r IS DISTINCT FROM qr_route(m.code, 'unionpay', '2022-06-01')) AS differ
FROM route_many m JOIN route_serial s ON s.g = m.g AND s.c = m.code::text;
RESET :force_parallel;
RESET min_parallel_table_scan_size;
RESET parallel_tuple_cost;
RESET parallel_setup_cost;

-- errors
SELECT qr_route(code, 'nobody') FROM route_codes WHERE name = 'wechat_url';
\echo :LAST_ERROR_SQLSTATE
SELECT qr_accepts(code, 'unionpay', now(), NULL, 'in-store') FROM route_codes WHERE name = 'wechat_url';
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM qr_routes((SELECT code FROM route_codes WHERE name = 'wechat_url'), now(), NULL, 'atm');
SELECT qr_route(NULL, 'unionpay') IS NULL AS null_code, qr_route('wxp://f2f0a', NULL) IS NULL AS null_payer,
       qr_accepts('wxp://f2f0a', 'unionpay', NULL) IS NULL AS null_time;
UPDATE qr_interop_rules SET priority = 5 WHERE id = 'F10-unionpay-wechatpay';
INSERT INTO qr_interop_rules (id, payer, payee, cities, source) VALUES ('x1', 'mybank', 'alipay', ARRAY['Gotham'], 'test');
INSERT INTO qr_interop_rules (id, payer, payee, cities, source) VALUES ('x2', 'mybank', 'alipay', ARRAY[NULL]::text[], 'test');
INSERT INTO qr_interop_rules (id, payer, payee, source) VALUES ('x3', 'mybank', 'mybank', 'test');
INSERT INTO qr_interop_rules (id, payer, payee, scenario, source) VALUES ('x4', 'mybank', 'alipay', 'atm', 'test');
INSERT INTO qr_interop_rules (id, payer, payee, valid_during, source) VALUES ('x5', 'mybank', 'alipay', 'empty', 'test');
INSERT INTO qr_interop_rules (id, payer, payee, source) VALUES ('x6', 'mybank', 'nobank', 'test');
INSERT INTO qr_cities (name, name_zh) VALUES ('Gotham', NULL);
INSERT INTO qr_interop_rules (id, payer, payee, cities, source) VALUES ('x7', 'mybank', 'alipay', ARRAY['gotham'], 'test');
DELETE FROM qr_cities WHERE name = 'Gotham';
DELETE FROM qr_cities WHERE name = 'Lhasa';
DELETE FROM qr_interop_rules WHERE NOT shipped;
DELETE FROM qr_cities WHERE name = 'Gotham';
DELETE FROM qr_providers WHERE code = 'mybank';

-- a reason prints rule bounds as timestamptz does, under the session's
-- current DateStyle, DateOrder and time zone: switching any of them
-- between calls changes the text (F3 starts on 3 December 2021, Beijing
-- time); each reason holds the bound as timestamptz prints it then
CREATE TEMP VIEW f3_reason AS
SELECT (qr_route('https://qr.alipay.com/fkx07120vzhsliuln927l74', 'unionpay', '2021-12-01', 'Lhasa')).reason,
       lower(valid_during)::text AS bound
FROM qr_interop_rules WHERE id = 'F3-unionpay-alipay';
SET DateStyle = 'SQL, MDY';
SELECT reason, position(bound IN reason) > 0 AS bound_as_printed FROM f3_reason;
SET DateStyle = 'SQL, DMY';
SELECT reason, position(bound IN reason) > 0 AS bound_as_printed FROM f3_reason;
SET DateStyle = 'Postgres, DMY';
SELECT reason, position(bound IN reason) > 0 AS bound_as_printed FROM f3_reason;
SET DateStyle = 'Postgres, MDY';
SELECT reason, position(bound IN reason) > 0 AS bound_as_printed FROM f3_reason;
SET DateStyle = 'German';
SELECT reason, position(bound IN reason) > 0 AS bound_as_printed FROM f3_reason;
SET TimeZone = 'UTC';
SELECT reason, position(bound IN reason) > 0 AS bound_as_printed FROM f3_reason;
SET DateStyle = 'ISO, DMY';
SELECT reason, position(bound IN reason) > 0 AS bound_as_printed FROM f3_reason;
SET TimeZone = 'Asia/Shanghai';
SELECT reason, position(bound IN reason) > 0 AS bound_as_printed FROM f3_reason;
DROP VIEW f3_reason;
RESET DateStyle;
RESET TimeZone;

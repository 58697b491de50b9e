-- qrpay demo: run by demo/run against a throwaway cluster
\pset footer off
\echo
\echo '== 1. Install the extension'
CREATE EXTENSION qrpay;
SELECT extversion FROM pg_extension WHERE extname = 'qrpay';

\echo '== 2. A day of scanned payloads arrives as text: some are broken'
CREATE TABLE raw_scans (id text, payload text);
CREATE TEMP TABLE v (id text, format text, networks text, valid text,
                     payload text, expected_fields text, source text);
\copy v FROM 'test/data/vectors.tsv' WITH (FORMAT text, HEADER true)
INSERT INTO raw_scans SELECT id, payload FROM v;
SELECT count(*) AS scans FROM raw_scans;

\echo '== 3. Load without aborting: valid codes in, broken ones quarantined with the reason'
CREATE TABLE payments (id text PRIMARY KEY, code payment_qr NOT NULL);
CREATE TABLE rejected (id text PRIMARY KEY, payload text, error text);
INSERT INTO payments SELECT id, payload::payment_qr FROM raw_scans WHERE qr_is_valid(payload);
INSERT INTO rejected SELECT id, payload, qr_check(payload) FROM raw_scans WHERE NOT qr_is_valid(payload);
SELECT (SELECT count(*) FROM payments) AS loaded, (SELECT count(*) FROM rejected) AS quarantined;
SELECT id, error FROM rejected ORDER BY id LIMIT 8;

\echo '== 4. What a broken code gets when inserted directly: SQLSTATE 22P02, tag and offset'
\set ON_ERROR_STOP 0
INSERT INTO payments SELECT id, payload::payment_qr FROM rejected WHERE id = 'emv-derived-crc-xmodem';
\set ON_ERROR_STOP 1

\echo '== 5. Every format in one column: wallets of China, EMVCo national profiles, UPI, SEPA, Swiss, Czech'
SELECT qr_format(code) AS format, count(*) AS codes FROM payments GROUP BY 1 ORDER BY 2 DESC, 1;

\echo '== 6. Who is this code for? Provider identification from the editable catalog'
SELECT id, qr_format(code) AS format, qr_networks(code) AS networks, qr_provider(code) AS primary_provider,
       qr_account(code) AS payee_account
FROM payments
WHERE id IN ('cn-authcode-wechat-doc', 'cn-authcode-alipay-blog', 'cn-authcode-unionpay-derived',
             'cn-alipay-qr-uppercase', 'cn-wechat-wxp', 'cn-unionpay-95516', 'sg-sgqr-spec-sample',
             'id-qris-gopay-static', 'hk-multi-unionpay-fps-swiftpass', 'pix-utils-static_test_emv',
             'in-upi-real-phonepe', 'epc-derhuerst-full', 'ch-qrbill-sample2', 'cz-spayd-full')
ORDER BY format, id;
SELECT qr_provider(code) AS provider, count(*) AS codes FROM payments GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 12;

-- a bank adds its own QR host and a telco wallet's consumer-code prefix, in plain SQL
INSERT INTO qr_providers (code, name, kind, country) VALUES ('mybank', 'My Bank', 'bank', 'CN');
INSERT INTO qr_provider_patterns (provider, kind, pattern, note) VALUES
    ('mybank', 'url', 'https://pay.mybank.example/*', 'our merchant codes');
INSERT INTO qr_provider_patterns (provider, kind, pattern, min_length, max_length, note) VALUES
    ('cmpay', 'payment_code', '88*', 18, 18, 'China Mobile Hebao codes seen at our terminals');
SELECT c AS code, qr_networks(c::payment_qr) AS networks
FROM (VALUES ('https://pay.mybank.example/q/8812'), ('881234567890123456')) v(c);

\echo '== 7. Who can pay this code, through which network, on which day, where (facts F1-F13)'
SET TimeZone = 'Asia/Shanghai';
SELECT 'Alipay code, UnionPay app' AS scan, c.region, c.at::date AS day, r.status, r.network, r.via, r.rule, r.reason
FROM (VALUES ('Beijing', timestamptz '2021-12-01 12:00+08'), ('Lhasa', '2021-12-01 12:00+08'),
             ('拉萨', '2022-06-01 12:00+08')) c(region, at),
     LATERAL qr_route('https://qr.alipay.com/fkx07120vzhsliuln927l74', 'unionpay', c.at, c.region) r
UNION ALL
SELECT 'WeChat Pay code, UnionPay app', c.region, c.at::date, r.status, r.network, r.via, r.rule, r.reason
FROM (VALUES ('Shenzhen', timestamptz '2022-01-01 12:00+08'), ('Shenzhen', '2024-07-01 12:00+08')) c(region, at),
     LATERAL qr_route('wxp://f2f067yve_yNrmWOKjAmyEeuYcStPZXhjpud', 'unionpay', c.at, c.region) r
UNION ALL
SELECT 'WeChat Pay code, Alipay app', 'Beijing', date '2024-07-01', r.status, r.network, r.via, r.rule, left(r.reason, 60) || '...'
FROM qr_route('wxp://f2f067yve_yNrmWOKjAmyEeuYcStPZXhjpud', 'alipay', '2024-07-01 12:00+08', 'Beijing') r;

-- every payer app that can pay a WeChat Pay code in Shenzhen today
SELECT * FROM qr_routes('wxp://f2f067yve_yNrmWOKjAmyEeuYcStPZXhjpud', now(), 'Shenzhen');

-- an aggregated merchant code (F12: UnionPay and WeChat Pay accounts, city in tag 60):
-- each payer app reaches the network it can use
SELECT p.payer, r.status, r.network, r.via, r.rule
FROM (VALUES ('unionpay'), ('wechatpay'), ('alipay'), ('ccb'), ('cmpay'), ('jdpay')) p(payer),
     qr_route('0002010102111531250003440001034450003445311000126350017COM.QQ.WEIXIN.PAY011012345678905204581253031565802CN5912NOODLE HOUSE6008SHENZHEN630421A0',
              p.payer, '2024-07-01 12:00+08') r;

-- the analyst's question: what share of the China merchant codes could each payer app pay, by year
SELECT p.payer, y.day,
       round(100.0 * count(*) FILTER (WHERE qr_accepts(c.code, p.payer, y.day, 'Shenzhen')) / count(*)) AS pct_payable
FROM payments c,
     (VALUES ('unionpay'), ('ccb'), ('cmpay')) p(payer),
     (VALUES (timestamptz '2021-06-01 12:00+08'), ('2022-06-01 12:00+08'), ('2024-07-01 12:00+08')) y(day)
WHERE qr_format(c.code) = 'url'
GROUP BY 1, 2 ORDER BY 1, 2;

-- a bank records its own bilateral agreement, for two cities, from 2025
INSERT INTO qr_interop_rules (id, payer, payee, via, valid_during, cities, source)
VALUES ('mybank-wechatpay', 'mybank', 'wechatpay', 'netsunion', '[2025-01-01 00:00+08,)',
        ARRAY['Shenzhen', '广州'], 'My Bank - Tenpay agreement of 2024-12');
SELECT region, (qr_route('wxp://f2f067yve_yNrmWOKjAmyEeuYcStPZXhjpud', 'mybank', '2025-03-01 12:00+08', region)).*
FROM (VALUES ('Guangzhou'), ('Wuhan')) v(region);
RESET TimeZone;

\echo '== 8. Make codes: one order, a universal code, and the symbol to scan'
SELECT qr_with_reference(qr_with_amount(code, 23.72), 'ORDER-42') AS checkout_code
FROM payments WHERE id = 'pix-utils-static_test_emv';
SELECT c AS universal_code, qr_networks(c) FROM qr_emv_merge(ARRAY[
    qr_emv('{"00": "01", "26": {"00": "com.pay.me", "01": "M-1001"}, "52": "5812", "53": "156", "58": "CN", "59": "NOODLE HOUSE", "60": "SHENZHEN"}'),
    qr_emv('{"00": "01", "15": "2500034400010344500034453110001", "52": "5812", "53": "156", "58": "CN", "59": "NOODLE HOUSE", "60": "SHENZHEN"}'),
    qr_emv('{"00": "01", "26": {"00": "COM.QQ.WEIXIN.PAY", "01": "1900001"}, "52": "5812", "53": "156", "58": "CN", "59": "NOODLE HOUSE", "60": "SHENZHEN"}')
]) c;
SELECT qr_text(qr_with_amount('00020101021126140010com.pay.me5204411153031565802CN5904SHOP6007BEIJING6304F320', 23.72)) AS scan_me;

\echo '== 9. Query the codes like columns, whatever their format'
SELECT qr_country(code) AS country, qr_currency(code) AS currency,
       count(*) AS codes, count(*) FILTER (WHERE qr_is_dynamic(code)) AS dynamic,
       sum(qr_amount(code)) AS amount
FROM payments GROUP BY 1, 2 ORDER BY 3 DESC, 1;

SELECT id, qr_merchant_name(code) AS merchant, qr_merchant_city(code) AS city,
       qr_mcc(code) AS mcc, qr_amount(code) AS amount, qr_reference(code) AS reference
FROM payments WHERE qr_country(code) IN ('CN', 'BR', 'HK') ORDER BY id;
SELECT id, qr_format(code) AS format, qr_merchant_name(code) AS payee, qr_amount(code) AS amount,
       qr_currency(code) AS currency, qr_reference(code) AS reference
FROM payments WHERE qr_format(code) IN ('upi', 'epc', 'swiss_qr', 'spayd', 'bezahlcode') ORDER BY format, id;

\echo '== 10. Any field by path, every field as rows, the whole code as jsonb'
SELECT id, qr_get(code, '26.00') AS pix_guid, qr_get(code, '26.01') AS pix_key
FROM payments WHERE qr_get(code, '26.00') ILIKE 'br.gov.bcb.pix' ORDER BY id LIMIT 5;
SELECT t.* FROM payments p, qr_tags(p.code) t WHERE p.id = 'emv-spec-annexB';
SELECT jsonb_pretty(code::jsonb) FROM payments WHERE id = 'kh-khqr-acleda_with_language';
SELECT id, code::jsonb FROM payments WHERE id IN ('ch-qrbill-sample4', 'cpm-emvco-example1', 'cn-wechat-native-bizpayurl') ORDER BY id;

\echo '== 11. Where national profiles bend EMVCo: accepted, and reported'
SELECT p.id, c.severity, c.path, c.message
FROM payments p, qr_conformance(p.code::text) c
WHERE c.severity = 'warning' ORDER BY p.id, c.path LIMIT 10;

\echo '== 12. Indexes: unique codes, lookups by code and by field'
CREATE UNIQUE INDEX ON payments (code);
INSERT INTO payments SELECT 'again-' || id, code FROM payments ON CONFLICT DO NOTHING;
SELECT count(*) AS rows_after_reinserting_every_code FROM payments;

-- a ledger of 2,000 scans of each code, indexed by code, by merchant name,
-- and by every field (GIN: @> path-value pairs, ? path exists)
CREATE TABLE ledger AS
SELECT n AS entry, p.code, ((n % 977) / 10.0)::numeric(10,2) AS booked
FROM payments p, generate_series(1, 2000) n;
CREATE INDEX ON ledger (code);
CREATE INDEX ON ledger (qr_merchant_name(code));
CREATE INDEX ledger_fields ON ledger USING gin (code);
ANALYZE ledger;
EXPLAIN (costs off) SELECT count(*) FROM ledger WHERE code = (SELECT code FROM payments WHERE id = 'emv-spec-annexB');
SELECT count(*) AS scans_of_annex_b FROM ledger WHERE code = (SELECT code FROM payments WHERE id = 'emv-spec-annexB');
EXPLAIN (costs off) SELECT sum(booked) FROM ledger WHERE qr_merchant_name(code) = 'THALES OGLIARI';
SELECT sum(booked) AS booked_for_thales_ogliari FROM ledger WHERE qr_merchant_name(code) = 'THALES OGLIARI';

-- every Pix code of one key; every code with a terminal label; every SEPA or
-- UPI code; nested objects read like qr_to_jsonb
EXPLAIN (costs off) SELECT count(*) FROM ledger WHERE code @> '{"26.00": "br.gov.bcb.pix", "26.01": "thalesog@me.com"}';
SELECT count(*) AS scans_of_one_pix_key FROM ledger WHERE code @> '{"26.00": "br.gov.bcb.pix", "26.01": "thalesog@me.com"}';
SELECT count(*) AS with_terminal_label FROM ledger WHERE code ? '62.07';
SELECT count(*) AS sepa_or_upi FROM ledger WHERE code ?| ARRAY['iban', 'pa'];
SELECT count(*) AS beijing_transport FROM ledger WHERE code @> '{"52": "4111", "64": {"02": "北京"}}';

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

\echo '== 13. End of day: the ledger against what each provider says it settled'
SET TimeZone = 'Asia/Shanghai';
-- our ledger of the day: 2,000 payments, every tenth without a merchant order reference
CREATE TABLE day_ledger AS
SELECT 'T' || g AS txn_id, (ARRAY['wechatpay', 'alipay', 'unionpay', 'ecny'])[1 + g % 4] AS provider,
       CASE WHEN g % 10 = 0 THEN NULL ELSE 'ORD' || g END AS reference,
       round(((g * 7919) % 10000) / 100.0 + 1, 2) AS amount, 'CNY'::text AS currency,
       timestamptz '2025-03-01 09:00+08' + g * interval '17 s' AS ts
FROM generate_series(1, 2000) g;
-- the providers' side of the same day: booked seconds later, and not quite the same
CREATE TABLE provider_side AS
SELECT 'P' || substr(txn_id, 2) AS txn_id, provider, reference,
       amount + CASE txn_id WHEN 'T101' THEN 0.10 ELSE 0 END AS amount, currency,
       date_trunc('second', ts + CASE txn_id WHEN 'T202' THEN interval '1 day' ELSE interval '6 s' END) AS ts
FROM day_ledger WHERE txn_id NOT IN ('T303', 'T404', 'T1000')
UNION ALL
SELECT 'P505-again', provider, reference, amount, currency, date_trunc('second', ts + interval '9 s')
FROM day_ledger WHERE txn_id = 'T505'
UNION ALL
SELECT 'P-unknown', 'alipay', 'ORD-X', 88.00, 'CNY', timestamptz '2025-03-01 15:00+08';

-- the files as they arrive: WeChat Pay's merchant bill (backtick fields, summary
-- footer), Alipay's 业务明细 CSV in GBK, UnionPay and e-CNY as plain CSV; the
-- first two, which come again every day (section 16), rendered by a function
CREATE FUNCTION wechat_bill(day date) RETURNS bytea LANGUAGE sql AS $$
SELECT convert_to('交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注' || E'\n'
    || string_agg(format('`%s,`wx8888,`1900000109,`0,`0,`%s,`%s,`oUser,`NATIVE,`SUCCESS,`CMB_CREDIT,`CNY,`%s,`0.00,`0,`0,`0.00,`0.00,`,`,`noodles,`,`%s,`0.60%%,`%s,`0.00,`',
                         to_char(ts, 'YYYY-MM-DD HH24:MI:SS'), txn_id, coalesce(reference, ''), amount,
                         round(amount * 0.006, 2), amount), E'\n' ORDER BY ts)
    || E'\n总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\n`'
    || count(*) || ',`' || sum(amount) || ',`0.00,`0.00,`' || sum(round(amount * 0.006, 2)) || ',`' || sum(amount) || ',`0.00', 'UTF8')
FROM provider_side WHERE provider = 'wechatpay' AND ts::date = day
$$;
CREATE FUNCTION alipay_file(day date) RETURNS bytea LANGUAGE sql AS $$
SELECT convert_to(E'#支付宝业务明细查询\n#账号：[20881234567890]\n'
    || '支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注' || E'\n'
    || string_agg(format(E'%s\t,%s\t,交易\t,面条\t,%s\t,%s\t,\t,\t,\t,\t,buyer@example.com\t,%s\t,%s\t,0.00\t,0.00\t,0.00\t,0.00\t,0.00\t,\t,0.00\t,0.00\t,\t,%s\t,0.00\t,\t',
                         txn_id, coalesce(reference, ''), to_char(ts, 'YYYY-MM-DD HH24:MI:SS'),
                         to_char(ts, 'YYYY-MM-DD HH24:MI:SS'), amount, amount, round(amount * 0.006, 2)), E'\n' ORDER BY ts)
    || E'\n#-----------------------------------------业务明细列表结束------------------------------------\n#交易合计：'
    || count(*) || '笔', 'GBK')
FROM provider_side WHERE provider = 'alipay' AND ts::date = day
$$;
CREATE TABLE statement_files (provider text PRIMARY KEY, bill bytea);
INSERT INTO statement_files
SELECT 'wechatpay', wechat_bill('2025-03-01')
UNION ALL
SELECT 'alipay', alipay_file('2025-03-01')
UNION ALL
SELECT provider, convert_to(E'id;time;order;amount;currency\n'
    || string_agg(format('%s;%s;%s;%s;%s', txn_id, to_char(ts, 'YYYY-MM-DD HH24:MI:SS'), reference, amount, currency), E'\n' ORDER BY ts), 'UTF8')
FROM provider_side WHERE provider IN ('unionpay', 'ecny') GROUP BY provider;
SELECT provider, length(bill) AS bytes, n AS line, left(line, 90) AS starts_with
FROM statement_files,
     LATERAL regexp_split_to_table(convert_from(bill, CASE provider WHEN 'alipay' THEN 'GBK' ELSE 'UTF8' END), E'\n')
             WITH ORDINALITY x(line, n)
WHERE n <= 4 ORDER BY provider, n;

-- read into one shape, whatever the provider; a line that cannot be read would come back with its number
CREATE TABLE day_statement AS
SELECT s.* FROM statement_files f,
     LATERAL qr_statement_wechat(convert_from(f.bill, 'UTF8')) s WHERE f.provider = 'wechatpay'
UNION ALL
SELECT s.* FROM statement_files f, LATERAL qr_statement_alipay(f.bill) s WHERE f.provider = 'alipay'
UNION ALL
SELECT s.* FROM statement_files f,
     LATERAL qr_statement_csv(convert_from(f.bill, 'UTF8'), f.provider,
                              '{"provider_txn": "id", "ts": "time", "reference": "order", "amount": "amount", "currency": "currency"}',
                              ';', 'Asia/Shanghai') s
WHERE f.provider IN ('unionpay', 'ecny');
SELECT provider, count(*) AS lines, count(*) FILTER (WHERE error IS NOT NULL) AS unreadable,
       sum(amount) AS amount, sum(fee) AS fees
FROM day_statement GROUP BY 1 ORDER BY 1;
CREATE VIEW statement AS
SELECT provider_txn AS txn_id, provider, reference, amount, currency, ts FROM day_statement;

-- every row of both sides in exactly one outcome; by reference, else by amount and nearest time
SELECT status, count(*) FROM qr_reconcile('day_ledger', 'statement') GROUP BY 1 ORDER BY 1;
SELECT status, ledger_txn, statement_txn, provider, ledger_amount, statement_amount, reason
  FROM qr_reconcile_detail('day_ledger', 'statement') WHERE status <> 'matched' ORDER BY status, ledger_txn;
SELECT * FROM qr_break_summary('day_ledger', 'statement') WHERE status <> 'matched';

\echo '== 14. Clearing: the day''s interoperable payments netted per participant, then settled'
-- each payment scanned by some payer app; qr_route says which network and path cleared it
CREATE TABLE day_routed AS
SELECT d.txn_id, d.ts, d.currency, d.amount, a.payer, r.status, r.network, r.via
FROM day_ledger d
JOIN (VALUES ('wechatpay', 'cn-wechat-wxp'), ('alipay', 'cn-alipay-qr-uppercase'),
             ('unionpay', 'cn-unionpay-95516')) m(provider, code_id) ON m.provider = d.provider
JOIN payments p ON p.id = m.code_id
CROSS JOIN LATERAL (SELECT (ARRAY['unionpay', 'wechatpay', 'alipay', 'ccb', 'cmpay'])[1 + substr(d.txn_id, 2)::int % 5] AS payer) a
CROSS JOIN LATERAL qr_route(p.code, a.payer, d.ts, 'Shenzhen') r;
SELECT payer, status, network, via, count(*) AS payments, sum(amount) AS amount
FROM day_routed GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3;
-- what each route costs is data the back office keeps
INSERT INTO qr_fee_rates (payer, payee, via, rate, fixed, source) VALUES
    ('unionpay', 'wechatpay', 'unionpay', 0.0010, 0, 'UnionPay - Tenpay tariff'),
    ('unionpay', 'alipay', 'unionpay', 0.0010, 0, 'UnionPay - Alipay tariff'),
    ('ccb', 'wechatpay', 'netsunion', 0.0006, 0.01, 'NetsUnion switching fee');
CREATE VIEW day_cleared AS SELECT * FROM day_routed WHERE status <> 'none';
SELECT * FROM qr_clearing('day_cleared');
SELECT * FROM qr_settlement('day_cleared');
RESET TimeZone;

\echo '== 15. A shared cluster: an application role routes, an admin role edits the catalog, the audit trail shows who'
-- the application reads and routes with its own rights; it cannot change the catalog
CREATE ROLE demo_app;
CREATE ROLE demo_admin;
GRANT INSERT, UPDATE, DELETE ON qr_providers, qr_provider_patterns, qr_cities, qr_interop_rules, qr_fee_rates
   TO demo_admin;
SET ROLE demo_app;
SELECT qr_networks('wxp://f2f0abc') AS networks, (qr_route('wxp://f2f0abc', 'ccb', '2025-03-01 12:00+08', 'Shenzhen')).status;
\set ON_ERROR_STOP off
INSERT INTO qr_providers (code, name, kind) VALUES ('appbank', 'App Bank', 'bank');
\set ON_ERROR_STOP on
RESET ROLE;
-- the admin ends the bilateral agreement of section 7; every change is kept, with who made it
SET ROLE demo_admin;
UPDATE qr_interop_rules SET valid_during = '[2025-01-01 00:00+08,2026-01-01 00:00+08)' WHERE id = 'mybank-wechatpay';
RESET ROLE;
SELECT table_name, operation, role_name, count(*) AS changes
  FROM qr_catalog_audit GROUP BY 1, 2, 3 ORDER BY min(id);
SELECT at::date AS day, role_name, old_row ->> 'valid_during' AS before, new_row ->> 'valid_during' AS after
  FROM qr_catalog_audit WHERE operation = 'UPDATE';
DROP OWNED BY demo_app, demo_admin;
DROP ROLE demo_app, demo_admin;

\echo '== 16. The back office''s day: files loaded, reloaded, reconciled, a break worked and closed, the report written'
SET TimeZone = 'Asia/Shanghai';
-- each file is a batch: what it is, the days it covers, its lines and totals checked against its summary
SELECT qr_statement_load('wechatpay', wechat_bill('2025-03-01')) AS wx1 \gset
SELECT qr_statement_load('alipay', alipay_file('2025-03-01')) AS ali1 \gset
SELECT id, provider, format, encoding, lower(period)::date AS day, lines, amount, fee, status FROM qr_statement_batches ORDER BY id;
-- the same file again (a retry, a second download) is the same batch: nothing is added
SELECT qr_statement_load('wechatpay', wechat_bill('2025-03-01')) = :wx1 AS same_batch,
       (SELECT count(*) FROM qr_statement_batches) AS batches, (SELECT count(*) FROM qr_statement_lines) AS lines;

-- the run: the ledger's WeChat Pay and Alipay rows of those days against the batches, kept with its results
SELECT qr_recon_run('day_ledger', ARRAY[:wx1, :ali1]::bigint[]) AS run1 \gset
SELECT ledger_rows, statement_rows, outcomes FROM qr_recon_runs WHERE id = :run1;
-- every difference is a break, worked until it closes
SELECT id, provider, kind, status, amount, txn_at, age_bucket, severity FROM qr_recon_break_aging ORDER BY id;
SELECT id AS surcharge FROM qr_recon_breaks WHERE kind = 'amount_mismatch' \gset
SELECT id AS unknown FROM qr_recon_breaks WHERE kind = 'missing_in_ledger' \gset
SELECT id AS twice FROM qr_recon_breaks WHERE kind = 'duplicate_in_statement' \gset
SELECT id, status, owner FROM qr_break_assign(:surcharge, 'li.wei', 'Alipay settled 0.10 more: asked why');
SELECT id, status, closed_by, note FROM qr_break_resolve(:surcharge, 'a card surcharge, booked in the ledger');
SELECT b.id, b.kind, b.status, b.closed_by, b.note
FROM (VALUES (:unknown, 'not our order: Alipay reverses it'), (:twice, 'the payer was charged twice: Alipay refunds it')) w(id, note),
     LATERAL qr_break_write_off(w.id, w.note) b;

-- the next day: 200 more payments; WeChat Pay sends its bill and a corrected one
-- of 2025-03-01, which now lists T404; the correction supersedes the first bill
INSERT INTO day_ledger
SELECT 'T' || g, (ARRAY['wechatpay', 'alipay'])[1 + g % 2], 'ORD' || g, round(((g * 7919) % 10000) / 100.0 + 1, 2), 'CNY',
       timestamptz '2025-03-02 09:00+08' + (g - 2000) * interval '2 min'
FROM generate_series(2001, 2200) g;
INSERT INTO provider_side
SELECT 'P' || substr(txn_id, 2), provider, reference, amount, currency, date_trunc('second', ts + interval '6 s')
FROM day_ledger WHERE txn_id = 'T404' OR (ts >= '2025-03-02' AND txn_id <> 'T2101');
SELECT qr_statement_load('wechatpay', wechat_bill('2025-03-01')) AS wx1b \gset
SELECT qr_statement_load('wechatpay', wechat_bill('2025-03-02')) AS wx2 \gset
SELECT qr_statement_load('alipay', alipay_file('2025-03-02')) AS ali2 \gset
SELECT id, provider, lower(period)::date AS day, lines, amount, status, superseded_by FROM qr_statement_batches ORDER BY id;
SELECT change, provider_txn, fields, new ->> 'reference' AS reference, new ->> 'amount' AS amount
FROM qr_statement_diff(:wx1, :wx1b);
-- the next day's run reads the correction: the break of T404, carried over, closes itself
SELECT qr_recon_run('day_ledger', ARRAY[:wx1b, :wx2, :ali2]::bigint[]) AS run2 \gset
SELECT ledger_rows, statement_rows, outcomes FROM qr_recon_runs WHERE id = :run2;
SELECT id, kind, txn, status, opened_run, last_run, closed_run, closed_by, split_part(note, E'\n', -1) AS last_note
FROM qr_recon_breaks ORDER BY id;

-- the audit trail: every load, run and change of a break, with who made it
SELECT table_name, operation, role_name, count(*) AS changes FROM qr_recon_audit GROUP BY 1, 2, 3 ORDER BY 1, 2;
SELECT id, operation, old_row ->> 'status' AS was, new_row ->> 'status' AS became, new_row ->> 'owner' AS owner
FROM qr_recon_audit WHERE table_name = 'qr_recon_breaks' AND (new_row ->> 'id')::bigint = :surcharge ORDER BY id;

-- the report: one self-contained HTML page, written where demo/run says
\if :{?report}
\else
\set report day.html
\endif
\pset tuples_only on
\pset format unaligned
\o :report
SELECT qr_recon_report(:run2);
\o
\pset format aligned
\pset tuples_only off
\echo 'The report of run' :run2 'is written to' :report '- open it in a browser.'
RESET TimeZone;

\echo '== 17. Matching as back offices need it: payouts, refunds, fees, currencies, ties never guessed'
SET TimeZone = 'Asia/Shanghai';
-- the rates the back office agreed and the settings of a provider, as data
INSERT INTO qr_recon_fee_rates (provider, currency, rate, source) VALUES ('wechatpay', 'CNY', 0.006, 'merchant agreement');
INSERT INTO qr_fx_rates (from_currency, to_currency, rate, source) VALUES ('HKD', 'CNY', 0.92, 'settlement rate of the day');
INSERT INTO qr_recon_settings (provider, date_lag, note) VALUES ('alipay', '1 day', 'payouts are settled the next day');
SELECT qr_recon_settings_for('alipay') ->> 'date_lag' AS alipay_date_lag,
       qr_recon_settings_for('wechatpay', '{"amount_tolerance": 0.05}') ->> 'amount_tolerance' AS tolerance_for_one_call;
SELECT c AS currency, qr_minor_unit(c) AS minor_unit, qr_round_amount(1234.5678, c) AS rounded
  FROM unnest(ARRAY['CNY', 'JPY', 'BHD', 'XAU']) c;
-- the ledger names a refund's original order, and the payout a payment was settled in
CREATE TABLE match_ledger (txn_id text, provider text, reference text, parent_reference text, kind text,
                           amount numeric, currency text, ts timestamptz);
INSERT INTO match_ledger VALUES
    ('B1', 'alipay', 'ORD-B1', 'PAYOUT-7', NULL, 120.00, 'CNY', '2025-03-01 10:00'),
    ('B2', 'alipay', 'ORD-B2', 'PAYOUT-7', NULL, 80.00, 'CNY', '2025-03-01 10:01'),
    ('B3', 'alipay', 'ORD-B3', 'PAYOUT-7', NULL, 50.00, 'CNY', '2025-03-01 10:02'),
    ('P1', 'wechatpay', 'ORD-P1', NULL, NULL, 200.00, 'CNY', '2025-03-01 11:00'),
    ('P1r', 'wechatpay', 'RF-P1', 'ORD-P1', 'refund', -50.00, 'CNY', '2025-03-01 15:00'),
    ('F1', 'wechatpay', 'ORD-F1', NULL, NULL, 100.00, 'CNY', '2025-03-01 11:30'),
    ('X1', 'wechatpay', 'ORD-X1', NULL, NULL, 92.50, 'CNY', '2025-03-01 12:00'),
    ('T1', 'wechatpay', NULL, NULL, NULL, 18.00, 'CNY', '2025-03-01 12:30:10');
-- the provider's side: one line for the payout, a partial refund, a refund of an order
-- the ledger never had, a fee one cent above the agreed rate, a line in Hong Kong dollars,
-- and two equal unreferenced lines 10 seconds either side of one payment
CREATE TABLE match_statement (txn_id text, provider text, reference text, parent_reference text, kind text,
                              amount numeric, fee numeric, currency text, ts timestamptz);
INSERT INTO match_statement VALUES
    ('A-PAYOUT-7', 'alipay', 'PAYOUT-7', NULL, NULL, 250.00, NULL, 'CNY', '2025-03-02 06:00'),
    ('W-P1', 'wechatpay', 'ORD-P1', NULL, NULL, 200.00, 1.20, 'CNY', '2025-03-01 11:00:04'),
    ('W-P1r', 'wechatpay', 'RF-P1', 'ORD-P1', 'refund', -50.00, NULL, 'CNY', '2025-03-01 15:00:05'),
    ('W-Q9r', 'wechatpay', 'RF-Q9', 'ORD-Q9', 'refund', -30.00, NULL, 'CNY', '2025-03-01 16:00'),
    ('W-F1', 'wechatpay', 'ORD-F1', NULL, NULL, 100.00, 0.61, 'CNY', '2025-03-01 11:30:03'),
    ('W-X1', 'wechatpay', 'ORD-X1', NULL, NULL, 100.00, NULL, 'HKD', '2025-03-01 12:00:06'),
    ('W-T1a', 'wechatpay', NULL, NULL, NULL, 18.00, NULL, 'CNY', '2025-03-01 12:30:00'),
    ('W-T1b', 'wechatpay', NULL, NULL, NULL, 18.00, NULL, 'CNY', '2025-03-01 12:30:20');
SELECT status, ledger_txn, statement_txn, amount_diff, group_id, candidates, original_txn, net_amount,
       fee, expected_fee, fx_rate
  FROM qr_match('match_ledger', 'match_statement')
 ORDER BY coalesce(ledger_ts, statement_ts), ledger_txn, statement_txn;
SELECT status, reason FROM qr_match('match_ledger', 'match_statement')
 WHERE status NOT IN ('matched', 'matched_group') ORDER BY status, coalesce(ledger_txn, statement_txn);
RESET TimeZone;

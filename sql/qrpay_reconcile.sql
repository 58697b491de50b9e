--
-- Reconciliation and clearing: a generated day of 100,000 transactions
-- with injected breaks of every kind, statements rendered as WeChat Pay and
-- Alipay bills and read back, and the breaks found exactly
--
\set VERBOSITY default
SET TimeZone = 'Asia/Shanghai';
SET DateStyle = ISO;

-- the ledger: one day, four providers, every tenth payment without a reference
CREATE TABLE day_ledger AS
SELECT 'L' || g AS txn_id, (ARRAY['wechatpay', 'alipay', 'unionpay', 'ecny'])[1 + g % 4] AS provider,
       CASE WHEN g % 10 = 0 THEN NULL ELSE 'ORD' || g END AS reference,
       round(((g * 7919) % 100000) / 100.0 + 1, 2) AS amount, 'CNY'::text AS currency,
       timestamptz '2025-03-01 00:00+08' + g * interval '800 ms' AS ts, g
FROM generate_series(1, 100000) g;
-- the breaks, by rule (rows with a reference only, except the last kind)
CREATE TABLE injected AS
SELECT g, CASE g % 997 WHEN 1 THEN 'missing_in_statement' WHEN 2 THEN 'amount_mismatch'
                       WHEN 3 THEN 'outside_window' WHEN 4 THEN 'duplicate_in_statement'
                       WHEN 5 THEN 'duplicate_in_ledger' END AS kind
FROM day_ledger WHERE reference IS NOT NULL AND g % 997 BETWEEN 1 AND 5
UNION ALL
SELECT g, 'missing_in_statement_noref' FROM day_ledger WHERE reference IS NULL AND g % 977 = 0;
INSERT INTO day_ledger
SELECT 'L' || l.g || 'b', provider, reference, amount, currency, ts + interval '1 s', l.g
FROM day_ledger l JOIN injected i ON i.g = l.g AND i.kind = 'duplicate_in_ledger';
-- the provider's view of the same day: booked a few seconds later
CREATE TABLE day_statement AS
SELECT 'S' || l.g AS txn_id, l.provider, l.reference,
       l.amount + CASE WHEN i.kind = 'amount_mismatch' THEN 0.50 ELSE 0 END AS amount, l.currency,
       date_trunc('second', l.ts + CASE WHEN i.kind = 'outside_window' THEN interval '2 hours'
                   WHEN l.reference IS NULL THEN interval '30 s' ELSE interval '5 s' END) AS ts
FROM day_ledger l LEFT JOIN injected i ON i.g = l.g
WHERE l.txn_id NOT LIKE '%b' AND coalesce(i.kind, '') NOT IN ('missing_in_statement', 'missing_in_statement_noref')
UNION ALL
SELECT 'S' || l.g || 'b', l.provider, l.reference, l.amount, l.currency, date_trunc('second', l.ts + interval '9 s')
FROM day_ledger l JOIN injected i ON i.g = l.g AND i.kind = 'duplicate_in_statement'
UNION ALL
SELECT 'S-extra-' || k, (ARRAY['wechatpay', 'alipay'])[1 + k % 2], 'EXTRA' || k, 10 + k, 'CNY',
       timestamptz '2025-03-01 12:00+08' + k * interval '1 min'
FROM generate_series(1, 50) k;
SELECT (SELECT count(*) FROM day_ledger) AS ledger_rows, (SELECT count(*) FROM day_statement) AS statement_rows;
SELECT kind, count(*) FROM injected GROUP BY 1 ORDER BY 1;

-- WeChat Pay's rows as its merchant bill (backtick fields, summary footer),
-- Alipay's as its 业务明细 CSV in GBK; both read back
CREATE TABLE wechat_bill AS
SELECT '交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注' || E'\n'
    || string_agg(format('`%s,`wx123,`1900000109,`0,`0,`%s,`%s,`oUser,`NATIVE,`SUCCESS,`CMB_CREDIT,`CNY,`%s,`0.00,`0,`0,`0.00,`0.00,`,`,`goods,`,`%s,`0.60%%,`%s,`0.00,`',
                      to_char(ts, 'YYYY-MM-DD HH24:MI:SS'), txn_id, coalesce(reference, ''), amount,
                      round(amount * 0.006, 2), amount), E'\n' ORDER BY ts, txn_id)
    || E'\n总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\n`'
    || count(*) || ',`' || sum(amount) || ',`0.00,`0.00,`0.00,`' || sum(amount) || ',`0.00' AS bill
FROM day_statement WHERE provider = 'wechatpay';
CREATE TABLE alipay_bill AS
SELECT convert_to('#支付宝业务明细查询' || E'\n#账号：[20881234567890]\n#起始日期：[2025年03月01日 00:00:00]   终止日期：[2025年03月02日 00:00:00]\n#-----------------------------------------业务明细列表----------------------------------------\n'
    || '支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注' || E'\n'
    || string_agg(format('%s	,%s	,交易	,商品	,%s	,%s	,	,	,	,	,buyer@example.com	,%s	,%s	,0.00	,0.00	,0.00	,0.00	,0.00	,	,0.00	,0.00	,	,%s	,0.00	,	',
                      txn_id, coalesce(reference, ''), to_char(ts, 'YYYY-MM-DD HH24:MI:SS'),
                      to_char(ts, 'YYYY-MM-DD HH24:MI:SS'), amount, amount, round(amount * 0.006, 2)), E'\n' ORDER BY ts, txn_id)
    || E'\n#-----------------------------------------业务明细列表结束------------------------------------\n#交易合计：' || count(*) || E'笔\n#导出时间：[2025年03月02日 09:00:00]', 'GBK') AS bill
FROM day_statement WHERE provider = 'alipay';

CREATE TABLE read_back AS
SELECT * FROM qr_statement_wechat((SELECT bill FROM wechat_bill))
UNION ALL
SELECT * FROM qr_statement_alipay((SELECT bill FROM alipay_bill));
SELECT provider, count(*) AS rows, count(*) FILTER (WHERE error IS NOT NULL) AS errors, sum(amount) AS amount, sum(fee) AS fees
FROM read_back GROUP BY 1 ORDER BY 1;
-- every bill line is the statement row it was made from
SELECT count(*) AS differ FROM (
    (SELECT provider, txn_id, reference, amount, ts FROM day_statement WHERE provider IN ('wechatpay', 'alipay')
     EXCEPT SELECT provider, provider_txn, reference, amount, ts FROM read_back)
    UNION ALL
    (SELECT provider, provider_txn, reference, amount, ts FROM read_back
     EXCEPT SELECT provider, txn_id, reference, amount, ts FROM day_statement)) d;

-- the statement to reconcile: the bills as read, the other providers' rows as delivered
CREATE VIEW statement_in AS
SELECT provider_txn AS txn_id, provider, reference, amount, currency, ts FROM read_back
UNION ALL
SELECT txn_id, provider, reference, amount, currency, ts FROM day_statement WHERE provider NOT IN ('wechatpay', 'alipay');

CREATE TABLE outcome AS SELECT * FROM qr_reconcile('day_ledger', 'statement_in', '15 minutes', 0);
SELECT status, count(*) FROM outcome GROUP BY 1 ORDER BY 1;
-- exactly the injected breaks, each where it was injected
SELECT count(*) AS unexpected FROM (
    (SELECT CASE WHEN o.status = 'missing_in_statement' AND o.ledger_txn IS NOT NULL
                      AND (SELECT reference FROM day_ledger WHERE txn_id = o.ledger_txn) IS NULL
                 THEN 'missing_in_statement_noref' ELSE o.status END,
            substring(coalesce(o.ledger_txn, o.statement_txn) FROM '^[LS]([0-9]+)')::int
       FROM outcome o WHERE o.status <> 'matched' AND coalesce(o.statement_txn, '') NOT LIKE 'S-extra-%'
     EXCEPT ALL SELECT kind, g FROM injected)
    UNION ALL
    (SELECT kind, g FROM injected
     EXCEPT ALL SELECT CASE WHEN o.status = 'missing_in_statement' AND o.ledger_txn IS NOT NULL
                             AND (SELECT reference FROM day_ledger WHERE txn_id = o.ledger_txn) IS NULL
                            THEN 'missing_in_statement_noref' ELSE o.status END,
                       substring(coalesce(o.ledger_txn, o.statement_txn) FROM '^[LS]([0-9]+)')::int
                  FROM outcome o WHERE o.status <> 'matched' AND coalesce(o.statement_txn, '') NOT LIKE 'S-extra-%')) x;
SELECT count(*) AS missing_in_ledger_extras FROM outcome WHERE status = 'missing_in_ledger' AND statement_txn LIKE 'S-extra-%';
-- every input row in exactly one outcome, and the amounts add up
SELECT (SELECT count(*) FROM outcome WHERE ledger_txn IS NOT NULL) = (SELECT count(*) FROM day_ledger) AS every_ledger_row,
       (SELECT count(DISTINCT ledger_txn) FROM outcome) = (SELECT count(*) FROM day_ledger) AS once_each,
       (SELECT count(*) FROM outcome WHERE statement_txn IS NOT NULL) = (SELECT count(*) FROM statement_in) AS every_statement_row,
       (SELECT count(DISTINCT statement_txn) FROM outcome) = (SELECT count(*) FROM statement_in) AS once_each_too,
       (SELECT sum(amount_diff) FROM outcome) = (SELECT count(*) FROM injected WHERE kind = 'amount_mismatch') * 0.50 AS diffs_add_up;
SELECT * FROM outcome WHERE status NOT IN ('matched') ORDER BY status, coalesce(ledger_txn, statement_txn) LIMIT 8;
-- rows without a reference, the same amount again and again: paired by
-- nearest time within the window; one missing row does not shift the others
CREATE TABLE cafe_ledger AS
SELECT 'C' || k AS txn_id, 'wechatpay' AS provider, NULL::text AS reference, 18.00 AS amount, 'CNY' AS currency,
       timestamptz '2025-03-01 08:00+08' + (k / 2) * interval '1 hour' + (k % 2) * interval '20 s' AS ts
FROM generate_series(0, 11) k;
CREATE TABLE cafe_statement AS
SELECT 'W' || substr(txn_id, 2) AS txn_id, provider, reference, amount, currency, ts + interval '40 s' AS ts
FROM cafe_ledger WHERE txn_id NOT IN ('C0', 'C7')
UNION ALL SELECT 'W-late', 'wechatpay', NULL, 18.00, 'CNY', timestamptz '2025-03-01 20:00+08'
UNION ALL SELECT 'W-none', 'wechatpay', NULL, NULL, 'CNY', timestamptz '2025-03-01 09:00+08';
SELECT status, ledger_txn, statement_txn, amount_diff, reason
FROM qr_reconcile('cafe_ledger', 'cafe_statement', '5 minutes')
ORDER BY coalesce(ledger_txn, statement_txn) COLLATE "C";
-- a window too short for the delay: nothing pairs, nothing is lost
SELECT status, count(*) FROM qr_reconcile('cafe_ledger', 'cafe_statement', '30 s') GROUP BY 1 ORDER BY 1;
-- the nearest row, not the first: a ledger row between two statement rows
SELECT * FROM qr_pair_by_time(ARRAY['statement', 'ledger', 'statement'], ARRAY['S1', 'L1', 'S2'],
    ARRAY[timestamptz '2025-03-01 10:00', '2025-03-01 10:10', '2025-03-01 10:11'], '15 minutes');
-- two equal payments, both settled later: first paid, first settled, no crossing
SELECT * FROM qr_pair_by_time(ARRAY['ledger', 'ledger', 'statement', 'statement', 'ledger'], ARRAY['L1', 'L2', 'S1', 'S2', 'L3'],
    ARRAY[timestamptz '2025-03-01 10:00', '2025-03-01 10:01', '2025-03-01 10:02', '2025-03-01 10:03', NULL], '15 minutes');
-- taking the closest pair (L20, S30) brings L15 next to S40, closer than
-- S40 is to L70: L15 pairs, L70 is left; then first paid, first settled
SELECT * FROM qr_pair_by_time(ARRAY['ledger', 'ledger', 'statement', 'statement', 'ledger'], ARRAY['L15', 'L20', 'S30', 'S40', 'L70'],
    ARRAY[timestamptz '2025-03-01 10:00:15', '2025-03-01 10:00:20', '2025-03-01 10:00:30', '2025-03-01 10:00:40', '2025-03-01 10:01:10'], '40 s');
SELECT count(*) AS nothing FROM qr_pair_by_time('{}', '{}', '{}', '0 s');

-- a tolerance absorbs the 0.50 differences
SELECT count(*) FILTER (WHERE status = 'amount_mismatch') AS mismatches_with_tolerance
FROM qr_reconcile('day_ledger', 'statement_in', '15 minutes', 0.50);
SELECT * FROM qr_break_summary('day_ledger', 'statement_in') WHERE status <> 'matched' ORDER BY 1, 3;
-- the detail carries each outcome's provider, times and amounts, and is
-- qr_reconcile row for row
CREATE TABLE outcome_detail AS SELECT * FROM qr_reconcile_detail('day_ledger', 'statement_in', '15 minutes', 0);
SELECT (SELECT count(*) FROM (SELECT status, ledger_txn, statement_txn, amount_diff, reason FROM outcome_detail
                              EXCEPT ALL SELECT * FROM outcome) x) = 0
   AND (SELECT count(*) FROM outcome_detail) = (SELECT count(*) FROM outcome) AS same_outcomes,
       (SELECT sum(ledger_amount) FROM outcome_detail) = (SELECT sum(amount) FROM day_ledger) AS ledger_amounts,
       (SELECT sum(statement_amount) FROM outcome_detail) = (SELECT sum(amount) FROM statement_in) AS statement_amounts,
       (SELECT bool_and(d.ledger_ts = l.ts AND d.provider = l.provider AND d.ledger_amount = l.amount)
          FROM outcome_detail d JOIN day_ledger l ON l.txn_id = d.ledger_txn) AS ledger_fields,
       (SELECT bool_and(d.statement_amount - d.ledger_amount = d.amount_diff)
          FROM outcome_detail d WHERE d.amount_diff IS NOT NULL) AS diff_is_statement_minus_ledger;
-- the outcome does not depend on work_mem: at 256MB the day is reconciled
-- in memory, at the default 4MB in 256 temporary partitions, at 64kB in
-- partitions split again
SET work_mem = '256MB';
CREATE TABLE outcome_in_memory AS SELECT * FROM qr_reconcile_detail('day_ledger', 'statement_in', '15 minutes', 0);
SET work_mem = '64kB';
CREATE TABLE outcome_split AS SELECT * FROM qr_reconcile_detail('day_ledger', 'statement_in', '15 minutes', 0);
RESET work_mem;
SELECT (SELECT count(*) FROM (SELECT * FROM outcome_in_memory EXCEPT ALL SELECT * FROM outcome_detail) x) = 0
   AND (SELECT count(*) FROM (SELECT * FROM outcome_detail EXCEPT ALL SELECT * FROM outcome_in_memory) x) = 0 AS in_memory_same,
       (SELECT count(*) FROM (SELECT * FROM outcome_split EXCEPT ALL SELECT * FROM outcome_detail) x) = 0
   AND (SELECT count(*) FROM (SELECT * FROM outcome_detail EXCEPT ALL SELECT * FROM outcome_split) x) = 0 AS split_same;
SELECT status, ledger_txn, statement_txn, provider, ledger_ts, statement_ts, ledger_amount, statement_amount
FROM qr_reconcile_detail('cafe_ledger', 'cafe_statement', '5 minutes')
WHERE status <> 'matched' ORDER BY coalesce(ledger_txn, statement_txn) COLLATE "C";
-- a provider sends one line twice, and two providers use the same
-- transaction id: every row still counts once, in the outcomes and in the
-- summary (the line without a reference sent twice is two lines at one
-- time competing for T3: a tie, left ambiguous)
CREATE TABLE twice_ledger AS
SELECT * FROM (VALUES ('T1', 'alipay', 'A1', 10.00, 'CNY', timestamptz '2025-03-01 10:00+08'),
                      ('T2', 'unionpay', 'U1', 20.00, 'CNY', timestamptz '2025-03-01 10:01+08'),
                      ('T3', 'alipay', NULL, 30.00, 'CNY', timestamptz '2025-03-01 10:02+08'),
                      ('T4', 'alipay', NULL, 30.00, 'CNY', timestamptz '2025-03-01 10:03+08'))
       t(txn_id, provider, reference, amount, currency, ts);
CREATE TABLE twice_statement AS
SELECT * FROM (VALUES ('P1', 'alipay', 'A1', 10.00, 'CNY', timestamptz '2025-03-01 10:00:05+08'),
                      ('P1', 'alipay', 'A1', 10.00, 'CNY', timestamptz '2025-03-01 10:00:05+08'),
                      ('P1', 'unionpay', 'U1', 20.00, 'CNY', timestamptz '2025-03-01 10:01:05+08'),
                      ('P9', 'alipay', NULL, 30.00, 'CNY', timestamptz '2025-03-01 10:02:05+08'),
                      ('P9', 'alipay', NULL, 30.00, 'CNY', timestamptz '2025-03-01 10:02:05+08'),
                      ('P9', 'alipay', NULL, 30.00, 'CNY', timestamptz '2025-03-01 10:03:05+08'))
       t(txn_id, provider, reference, amount, currency, ts);
SELECT status, ledger_txn, statement_txn, provider, statement_ts
FROM qr_reconcile_detail('twice_ledger', 'twice_statement', '1 minute') ORDER BY 4, 1, 2, 5;
SELECT provider, status, rows, ledger_amount, statement_amount
FROM qr_break_summary('twice_ledger', 'twice_statement', '1 minute') ORDER BY 1, 2;
-- odd rows: an amount on one side only is a mismatch; an infinite time is
-- no time, so it neither breaks the window nor pairs
CREATE TABLE odd_ledger AS
SELECT * FROM (VALUES ('O1', 'alipay', 'R1', NULL::numeric, 'CNY', timestamptz '2025-03-01 10:00+08'),
                      ('O2', 'alipay', 'R2', 5.00, 'CNY', timestamptz 'infinity'),
                      ('O3', 'alipay', NULL, 7.00, 'CNY', timestamptz 'infinity'))
       t(txn_id, provider, reference, amount, currency, ts);
CREATE TABLE odd_statement AS
SELECT * FROM (VALUES ('Q1', 'alipay', 'R1', 9.00, 'CNY', timestamptz '2025-03-01 10:00+08'),
                      ('Q2', 'alipay', 'R2', 5.00, 'CNY', timestamptz '2025-03-01 10:00+08'),
                      ('Q3', 'alipay', NULL, 7.00, 'CNY', timestamptz 'infinity'))
       t(txn_id, provider, reference, amount, currency, ts);
SELECT status, ledger_txn, statement_txn, amount_diff, reason
FROM qr_reconcile('odd_ledger', 'odd_statement') ORDER BY coalesce(ledger_txn, statement_txn);
SELECT * FROM qr_pair_by_time(ARRAY['ledger', 'statement'], ARRAY['L', 'S'], ARRAY[timestamptz 'infinity', 'infinity'], '1 min');
-- skewed input under a tiny work_mem: 3,000 rows of one reference, and
-- 20,000 rows with neither reference nor amount (each a group of its own)
CREATE TABLE skew_ledger AS
SELECT 'K' || g AS txn_id, 'unionpay' AS provider, CASE WHEN g <= 3000 THEN 'SAME' END AS reference,
       CASE WHEN g <= 3000 THEN 1.00 END AS amount, 'CNY' AS currency,
       timestamptz '2025-03-01 10:00+08' + g * interval '1 s' AS ts
FROM generate_series(1, 23000) g;
CREATE TABLE skew_statement AS SELECT * FROM skew_ledger WHERE txn_id = 'K1';
SET work_mem = '64kB';
SELECT status, count(*) FROM qr_reconcile('skew_ledger', 'skew_statement') GROUP BY 1 ORDER BY 1;
RESET work_mem;
SELECT sum(ledger_amount) AS ledger_amount, sum(statement_amount) AS statement_amount
FROM qr_break_summary('twice_ledger', 'twice_statement', '1 minute');

-- unreadable lines are reported with their line number, never dropped
SELECT line, error FROM qr_statement_wechat(
       E'交易时间,微信订单号,商户订单号,交易状态,货币种类,应结订单金额,手续费\n'
    || E'`2025-03-01 10:00:00,`wx1,`ORD1,`SUCCESS,`CNY,`10.00,`0.06\n'
    || E'`2025-03-01 10:00:01,`wx2,`ORD2,`SUCCESS,`CNY,`ten,`0.06\n'
    || E'`2025-03-01 10:00:02,`wx3,`ORD3,`SUCCESS\n'
    || E'`yesterday,`wx4,`ORD4,`SUCCESS,`CNY,`1.00,`0.01\n'
    || E'`2025-02-29 10:00:00,`wx5,`ORD5,`SUCCESS,`CNY,`1.00,`0.01\n'
    || E'总交易单数,应结订单总金额\n`6,`12.00') WHERE error IS NOT NULL;
SELECT error FROM qr_statement_wechat(E'交易时间,微信订单号,商户订单号,应结订单金额\n`2025-03-01 10:00:00,`wx1,`ORD1,`10.00');
-- any provider's CSV, with a column mapping
SELECT provider, provider_txn, reference, ts, amount, currency FROM qr_statement_csv(
    E'id;when;order;sum;ccy\nT1;2025-03-01 10:00:00;ORD9;12.30;HKD\n"T;2";2025-03-01 10:05:00;;7.00;HKD',
    'fps', '{"provider_txn": "id", "ts": "when", "reference": "order", "amount": "sum", "currency": "ccy"}',
    ';', 'Asia/Hong_Kong');

-- clearing: routed payments, a route's fee, net positions and the transfers
INSERT INTO qr_fee_rates (payer, payee, via, rate, fixed, source) VALUES
    ('unionpay', 'wechatpay', 'unionpay', 0.001, 0, 'test tariff'),
    ('ccb', 'wechatpay', 'netsunion', 0.0006, 0.01, 'test tariff');
CREATE TABLE routed AS
SELECT l.ts, l.currency, l.amount, p.payer, l.provider AS network,
       CASE WHEN p.payer = l.provider THEN NULL WHEN p.payer = 'ccb' THEN 'netsunion' ELSE 'unionpay' END AS via
FROM day_ledger l, LATERAL (SELECT (ARRAY['unionpay', 'ccb', 'wechatpay', 'alipay', 'cmpay'])[1 + l.g % 5] AS payer) p
WHERE l.g <= 2000;
SELECT * FROM qr_clearing('routed');
SELECT settlement_day, currency, sum(net) AS sums_to FROM qr_clearing('routed') GROUP BY 1, 2;
SELECT * FROM qr_settlement('routed');
-- the transfers settle every position, with fewer transfers than participants
SELECT (SELECT count(*) FROM qr_settlement('routed')) < (SELECT count(*) FROM qr_clearing('routed')) AS at_most_n_minus_1,
       bool_and(c.net + coalesce(t.received, 0) - coalesce(t.paid, 0) = 0) AS all_settled
FROM qr_clearing('routed') c
LEFT JOIN (SELECT who, sum(received) AS received, sum(paid) AS paid FROM (
               SELECT debtor AS who, amount AS received, 0 AS paid FROM qr_settlement('routed')
               UNION ALL SELECT creditor, 0, amount FROM qr_settlement('routed')) x GROUP BY who) t
       ON t.who = c.participant;

-- what share of the codes each payer app could pay, day by day
SELECT * FROM qr_interop_share('route_codes', '2021-06-01 12:00+08') WHERE payable > 0;
SELECT * FROM qr_interop_share('route_codes', '2024-07-01 12:00+08') WHERE payable > 0;
-- and what share of the takings, when the codes come with amounts
CREATE VIEW route_takings AS SELECT code, 100 * length(name) AS amount FROM route_codes;
SELECT payer, payable, share, volume_total, payable_volume, volume_share
FROM qr_interop_share('route_takings', '2024-07-01 12:00+08', 'Shenzhen') ORDER BY volume_share DESC, payer LIMIT 6;

-- errors
CREATE TABLE bad_ledger (txn_id text, provider text, amount numeric, currency text, ts timestamptz);
SELECT * FROM qr_reconcile('bad_ledger', 'statement_in');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM qr_reconcile('day_ledger', 'statement_in', '15 minutes', -0.01);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM qr_reconcile('no_such_table', 'statement_in');
SELECT * FROM qr_reconcile_detail('day_ledger', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM qr_reconcile_detail('day_ledger', 'bad_ledger');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM qr_pair_by_time(ARRAY['ledger'], ARRAY['L1', 'L2'], ARRAY[now()], '1 min');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM qr_pair_by_time(ARRAY['bank'], ARRAY['L1'], ARRAY[now()], '1 min');
SELECT * FROM qr_pair_by_time(ARRAY['ledger'], ARRAY['L1'], ARRAY[now()], '-1 min');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM qr_statement_wechat('hello');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM qr_statement_alipay('\xff'::bytea);
SELECT * FROM qr_statement_csv(E'a,b\n1,2', 'fps', '{"provider_txn": "a", "ts": "when", "amount": "b"}');
SELECT * FROM qr_clearing('bad_ledger');
-- a payment no route was found for cannot be cleared
CREATE TABLE unrouted AS SELECT * FROM routed ORDER BY ts LIMIT 3;
UPDATE unrouted SET network = NULL, via = NULL WHERE ts = (SELECT min(ts) FROM unrouted);
SELECT * FROM qr_clearing('unrouted');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM qr_settlement('unrouted');
INSERT INTO qr_fee_rates (payer, payee, via, rate) VALUES ('ccb', 'alipay', 'unionpay', 1.5);
SELECT * FROM qr_interop_share('bad_ledger');
SELECT * FROM qr_interop_share('route_codes', NULL);
\echo :LAST_ERROR_SQLSTATE
-- NULL in, nothing out
SELECT count(*) AS no_rows FROM qr_clearing(NULL);
SELECT count(*) AS no_rows FROM qr_settlement('routed', NULL);
SELECT count(*) AS no_rows FROM qr_break_summary('day_ledger', NULL);
DELETE FROM qr_fee_rates;

-- ---------------------------------------------------------------------
-- Settings as data: the built-in defaults, the '*' row, a provider's row,
-- then the argument; the 0.6.0 entry points pass their window and
-- tolerance as that argument, and NULL leaves the settings' own
-- ---------------------------------------------------------------------
\set SHOW_CONTEXT never
SELECT qr_recon_settings_for('alipay');
INSERT INTO qr_recon_settings (provider, time_window, note) VALUES ('*', '30 s', 'every provider: a tight window');
INSERT INTO qr_recon_settings (provider, keys, time_window, date_lag, amount_tolerance, tolerance_percent, group_search,
                               group_max_rows, statement_amounts, fx_tolerance_percent)
VALUES ('alipay', '{reference,amount}', '10 minutes', '1 day', 0.01, 0.5, false, 8, 'net', 2);
SELECT coalesce(p.provider, '(none)') AS provider, s ->> 'keys' AS keys, s ->> 'time_window' AS time_window,
       s ->> 'date_lag' AS date_lag, s ->> 'amount_tolerance' AS tolerance, s ->> 'tolerance_percent' AS percent,
       s ->> 'group_search' AS group_search, s ->> 'group_max_rows' AS max_rows, s ->> 'statement_amounts' AS amounts,
       s ->> 'fx_tolerance_percent' AS fx_percent
  FROM (VALUES ('alipay'), ('wechatpay'), ('*'), (NULL)) p(provider), LATERAL qr_recon_settings_for(p.provider) s;
-- the argument overrides key by key; a key set to null, or {}, overrides nothing
SELECT qr_recon_settings_for('alipay', '{"time_window": "5 minutes", "group_search": true, "keys": ["reference"],
                                         "amount_tolerance": null, "group_max_rows": 64, "date_lag": "PT2H"}');
SELECT qr_recon_settings_for('alipay', '{}') = qr_recon_settings_for('alipay') AS empty_overrides_nothing,
       qr_recon_settings_for('alipay', '{"amount_tolerance": "0.25"}') ->> 'amount_tolerance' AS tolerance_from_a_string;
-- a NULL window is the settings' (the '*' row's 30 s), a window given overrides them
SELECT status, count(*) FROM qr_reconcile('cafe_ledger', 'cafe_statement') GROUP BY 1 ORDER BY 1;
SELECT status, count(*) FROM qr_reconcile('cafe_ledger', 'cafe_statement', '5 minutes') GROUP BY 1 ORDER BY 1;
SELECT status, count(*) FROM qr_reconcile_detail('cafe_ledger', 'cafe_statement', NULL, NULL) GROUP BY 1 ORDER BY 1;
SELECT status, rows FROM qr_break_summary('cafe_ledger', 'cafe_statement', time_zone => 'UTC') ORDER BY 1;
-- every setting checked, 22023 naming it
SELECT qr_recon_settings_for('alipay', '{"window": "5 minutes"}');
\echo :LAST_ERROR_SQLSTATE
SELECT qr_recon_settings_for('alipay', '["time_window"]');
\echo :LAST_ERROR_SQLSTATE
SELECT qr_recon_settings_for('alipay', '{"keys": []}');
SELECT qr_recon_settings_for('alipay', '{"keys": ["reference", "iban"]}');
SELECT qr_recon_settings_for('alipay', '{"keys": "reference"}');
SELECT qr_recon_settings_for('alipay', '{"time_window": 15}');
SELECT qr_recon_settings_for('alipay', '{"time_window": "soon"}');
SELECT qr_recon_settings_for('alipay', '{"time_window": "-5 minutes"}');
\echo :LAST_ERROR_SQLSTATE
SELECT qr_recon_settings_for('alipay', '{"date_lag": "1 fortnight"}');
\echo :LAST_ERROR_SQLSTATE
SELECT qr_recon_settings_for('alipay', '{"amount_tolerance": -0.01}');
SELECT qr_recon_settings_for('alipay', '{"amount_tolerance": "NaN"}');
SELECT qr_recon_settings_for('alipay', '{"tolerance_percent": "Infinity"}');
SELECT qr_recon_settings_for('alipay', '{"fx_tolerance_percent": true}');
SELECT qr_recon_settings_for('alipay', '{"group_search": "yes"}');
SELECT qr_recon_settings_for('alipay', '{"group_max_rows": 1}');
SELECT qr_recon_settings_for('alipay', '{"group_max_rows": 2.5}');
SELECT qr_recon_settings_for('alipay', '{"group_max_rows": "5"}');
SELECT qr_recon_settings_for('alipay', '{"statement_amounts": "after fees"}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM qr_reconcile('cafe_ledger', 'cafe_statement', '-1 minute');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM qr_match('cafe_ledger', 'cafe_statement', '{"time_window": "5 minutes", "tolerance": 1}');
\echo :LAST_ERROR_SQLSTATE
-- the tables refuse what qr_match could not apply
INSERT INTO qr_recon_settings (provider, keys) VALUES ('wechatpay', '{}');
INSERT INTO qr_recon_settings (provider, keys) VALUES ('wechatpay', '{reference,iban}');
INSERT INTO qr_recon_settings (provider, time_window) VALUES ('wechatpay', '-1 minute');
INSERT INTO qr_recon_settings (provider, date_lag) VALUES ('wechatpay', '-1 day');
INSERT INTO qr_recon_settings (provider, amount_tolerance) VALUES ('wechatpay', 'NaN');
INSERT INTO qr_recon_settings (provider, tolerance_percent) VALUES ('wechatpay', -1);
INSERT INTO qr_recon_settings (provider, fx_tolerance_percent) VALUES ('wechatpay', 'Infinity');
INSERT INTO qr_recon_settings (provider, group_max_rows) VALUES ('wechatpay', 65);
INSERT INTO qr_recon_settings (provider, statement_amounts) VALUES ('wechatpay', 'after fees');
INSERT INTO qr_recon_settings (provider) VALUES ('');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO qr_recon_settings (provider) VALUES ('alipay');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO qr_recon_fee_rates (provider, currency, rate, source) VALUES ('wechatpay', 'CNY', 0.006, 'merchant agreement');
INSERT INTO qr_recon_fee_rates (provider, currency, rate) VALUES ('wechatpay', 'CNY', 0.002);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO qr_recon_fee_rates (provider, rate) VALUES ('wechatpay', 0.002);
INSERT INTO qr_recon_fee_rates (provider, currency, rate) VALUES ('wechatpay', 'cny', 0.006);
INSERT INTO qr_recon_fee_rates (provider, rate) VALUES ('alipay', 1);
INSERT INTO qr_recon_fee_rates (provider, rate) VALUES ('alipay', 'NaN');
INSERT INTO qr_recon_fee_rates (provider, fixed) VALUES ('alipay', 'Infinity');
INSERT INTO qr_recon_fee_rates (provider, valid_during) VALUES ('alipay', 'empty');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO qr_fx_rates (from_currency, to_currency, rate, source) VALUES ('USD', 'CNY', 7.1, 'daily fixing');
INSERT INTO qr_fx_rates (from_currency, to_currency, rate) VALUES ('USD', 'CNY', 7.2);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO qr_fx_rates (from_currency, to_currency, rate) VALUES ('USD', 'JPY', 0);
INSERT INTO qr_fx_rates (from_currency, to_currency, rate) VALUES ('USD', 'JPY', 'NaN');
INSERT INTO qr_fx_rates (from_currency, to_currency, rate) VALUES ('USD', 'JPY', 'Infinity');
INSERT INTO qr_fx_rates (from_currency, to_currency, rate) VALUES ('USD', 'USD', 1);
INSERT INTO qr_fx_rates (from_currency, to_currency, rate) VALUES ('US', 'JPY', 150);
INSERT INTO qr_fx_rates (from_currency, to_currency) VALUES ('USD', 'JPY');
\echo :LAST_ERROR_SQLSTATE
DELETE FROM qr_recon_settings;
DELETE FROM qr_recon_fee_rates;
DELETE FROM qr_fx_rates;
-- every change of them is in the back office's audit trail
SELECT table_name, operation, count(*) FROM qr_recon_audit
 WHERE table_name IN ('qr_recon_settings', 'qr_recon_fee_rates', 'qr_fx_rates') GROUP BY 1, 2 ORDER BY 1, 2;
SELECT new_row ->> 'time_window' AS time_window, new_row ->> 'note' AS note FROM qr_recon_audit
 WHERE table_name = 'qr_recon_settings' AND operation = 'INSERT' AND new_row ->> 'provider' = '*';

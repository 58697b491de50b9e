--
-- The back office's day persisted: statement batches (idempotent loads,
-- corrected files that supersede, their differences), reconciliation runs
-- and their results, breaks worked until they close, the audit trail, the
-- aging view and the run's report; every refusal with its SQLSTATE
--
\set VERBOSITY default
\set SHOW_CONTEXT never
SET TimeZone = 'Asia/Shanghai';
SET DateStyle = ISO;

-- two days of a ledger: WeChat Pay and Alipay payments, one refund
CREATE TABLE bo_ledger AS
SELECT 'L' || g AS txn_id, (ARRAY['wechatpay', 'alipay'])[1 + g % 2] AS provider, 'ORD' || g AS reference,
       round(10 + (g * 37 % 1000) / 10.0, 2) AS amount, 'CNY'::text AS currency,
       timestamptz '2025-03-01 00:00+08' + g * interval '5 min' AS ts, g
FROM generate_series(1, 576) g;               -- 2025-03-01 00:05 to 2025-03-03 00:00
-- L288 (wechatpay) is paid at 23:59:59.5 on day 1: WeChat Pay books it at 00:00:02 on day 2
UPDATE bo_ledger SET ts = timestamptz '2025-03-01 23:59:59.5+08' WHERE g = 288;
INSERT INTO bo_ledger VALUES ('L10r', 'wechatpay', 'RF10', -5.00, 'CNY', timestamptz '2025-03-01 12:00+08', 10);

-- a WeChat Pay ALL bill of one day, rendered from the ledger as the provider would print it;
-- skip: ledger rows left out; bump: the row whose amount the provider books 0.50 higher
CREATE FUNCTION bo_wechat_bill(day date, skip int[] DEFAULT '{}', bump int DEFAULT NULL, lie boolean DEFAULT false)
RETURNS bytea LANGUAGE sql AS $$
    WITH r AS (
        SELECT l.*, CASE WHEN l.g = 288 THEN timestamptz '2025-03-02 00:00:02+08' ELSE l.ts END AS booked,
               l.amount + CASE WHEN l.g = bump THEN 0.50 ELSE 0 END AS settled
          FROM bo_ledger l
         WHERE l.provider = 'wechatpay' AND l.g <> ALL (skip) AND l.txn_id NOT LIKE '%r'
    ), d AS (
        SELECT * FROM r WHERE (booked AT TIME ZONE 'Asia/Shanghai')::date = day
    ), lines AS (
        SELECT booked, format('`%s,`wx123,`1900000109,`0,`,`W%s,`%s,`oUser,`NATIVE,`SUCCESS,`CMB_CREDIT,`CNY,`%s,`0.00,`0,`0,`0.00,`0.00,`,`,`goods,`,`%s,`0.60%%,`%s,`0.00,`',
                              to_char(booked, 'YYYY-MM-DD HH24:MI:SS'), g, reference, settled, round(settled * 0.006, 2), settled) AS t,
               settled AS amount, round(settled * 0.006, 2) AS fee, 0.00 AS refund
          FROM d
        UNION ALL
        -- the refund of L10, on day 1
        SELECT timestamptz '2025-03-01 12:00:03+08',
               '`2025-03-01 12:00:03,`wx123,`1900000109,`0,`,`W10,`ORD10,`oUser,`NATIVE,`REFUND,`CMB_CREDIT,`CNY,`0.00,`0.00,`50010,`RF10,`5.00,`0.00,`ORIGINAL,`SUCCESS,`goods,`,`-0.03,`0.60%,`0.00,`5.00,`',
               0.00, -0.03, 5.00
         WHERE day = date '2025-03-01'
    )
    SELECT convert_to('交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注' || E'\n'
        || string_agg(t, E'\n' ORDER BY booked, t)
        || E'\n总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\n`'
        || count(*) + CASE WHEN lie THEN 1 ELSE 0 END || ',`' || sum(amount) || ',`' || sum(refund) || ',`0.00,`' || sum(fee)
        || ',`' || sum(amount) || ',`' || sum(refund) || E'\n', 'UTF8')
      FROM lines
$$;

-- an Alipay detail file (GBK, # preface and footer, tab-padded fields) of one day
CREATE FUNCTION bo_alipay_file(day date, skip int[] DEFAULT '{}', bump int DEFAULT NULL) RETURNS bytea LANGUAGE sql AS $$
    SELECT convert_to('#支付宝业务明细查询' || E'\n#账号：[20881234567890]\n'
        || format(E'#起始日期：[%s 00:00:00]   终止日期：[%s 00:00:00]\n', to_char(day, 'YYYY"年"MM"月"DD"日"'), to_char(day + 1, 'YYYY"年"MM"月"DD"日"'))
        || E'#-----------------------------------------业务明细列表----------------------------------------\n'
        || '支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注' || E'\n'
        || coalesce(string_agg(format(E'2088%s\t,%s\t,交易\t,商品\t,%s\t,%s\t,\t,\t,\t,\t,buyer@example.com\t,%s\t,%s\t,0.00\t,0.00\t,0.00\t,0.00\t,0.00\t,\t,0.00\t,0.00\t,\t,%s\t,0.00\t,\t',
                          g, reference, to_char(ts, 'YYYY-MM-DD HH24:MI:SS'), to_char(ts + interval '3 s', 'YYYY-MM-DD HH24:MI:SS'),
                          amount, amount + CASE WHEN g = bump THEN 0.50 ELSE 0 END, round(amount * 0.006, 2)), E'\n' ORDER BY ts) || E'\n', '')
        || E'#-----------------------------------------业务明细列表结束------------------------------------\n#交易合计：'
        || count(*) || '笔，商家实收共' || coalesce(sum(amount + CASE WHEN g = bump THEN 0.50 ELSE 0 END), 0.00) || E'元，商家优惠共0.00元\n'
        || E'#退款合计：0笔，商家实收退款共0.00元，商家优惠退款共0.00元\n#导出时间：[2025年03月04日 09:00:00]\n', 'GBK')
      FROM bo_ledger
     WHERE provider = 'alipay' AND (ts AT TIME ZONE 'Asia/Shanghai')::date = day AND g <> ALL (skip)
$$;

-- ---------------------------------------------------------------------
-- Loading: a batch per file, the same file again is the same batch
-- ---------------------------------------------------------------------
SELECT qr_statement_load('wechatpay', bo_wechat_bill('2025-03-01', skip => '{20}', bump => 30)) AS wx1 \gset
SELECT qr_statement_load('alipay', bo_alipay_file('2025-03-01', skip => '{21}', bump => 31)) AS ali1 \gset
SELECT id, provider, format, bill_type, encoding, time_zone, period, covers, lines, bad_lines, amount, fee,
       refund_amount, currencies, summary_errors, status, superseded_by, loaded_by = current_user AS by_me
FROM qr_statement_batches ORDER BY id;
SELECT summary FROM qr_statement_batches ORDER BY id;
SELECT qr_statement_load('wechatpay', bo_wechat_bill('2025-03-01', skip => '{20}', bump => 30)) = :wx1 AS same_batch,
       qr_statement_load('alipay', bo_alipay_file('2025-03-01', skip => '{21}', bump => 31), 'alipay') = :ali1 AS same_again;
SELECT count(*) AS batches, (SELECT count(*) FROM qr_statement_lines) AS lines FROM qr_statement_batches;
SELECT batch, line, provider_txn, reference, ts, amount, fee, status, refund_txn, refund_reference, refund_amount
FROM qr_statement_lines WHERE provider_txn IN ('W10', '208811') ORDER BY batch, line;

-- a summary that disagrees with the lines marks the batch, it is not refused
SELECT qr_statement_load('wechatpay', bo_wechat_bill('2025-03-02', lie => true)) AS lie \gset
SELECT status, summary_errors FROM qr_statement_batches WHERE id = :lie;
SELECT qr_statement_withdraw(:lie, 'test file: its summary was made up');
SELECT status, note FROM qr_statement_batches WHERE id = :lie;

-- a line that cannot be read is kept with its number and reason
SELECT qr_statement_load('alipay', convert_to(replace(convert_from(bo_alipay_file('2025-03-02'), 'GBK'),
           '2025-03-02 00:05:03', '2025-03-02 25:05:03'), 'GBK')) AS ali_bad \gset
SELECT lines, bad_lines, status, summary_errors FROM qr_statement_batches WHERE id = :ali_bad;
SELECT line, error, raw IS NOT NULL AS raw_kept FROM qr_statement_lines WHERE batch = :ali_bad AND error IS NOT NULL;
SELECT qr_statement_withdraw(:ali_bad, 'a line cut short: the provider resends the file');

-- a generic CSV layout, named in qr_statement_formats
INSERT INTO qr_statement_formats (name, provider, mapping, note) VALUES
    ('unionpay_daily', 'unionpay', '{"columns": {"provider_txn": "Txn", "ts": "Time", "amount": "Amount", "currency": "Ccy",
      "reference": "Order"}, "time_zone": "Asia/Shanghai"}', 'acquirer''s daily file');
SELECT qr_statement_load('unionpay', convert_to(E'Txn,Time,Amount,Ccy,Order,Terminal\nU1,2025-03-01 09:00:00,12.00,CNY,ORDU1,T-9\n', 'UTF8'),
                         'unionpay_daily') AS up \gset
SELECT format, bill_type, period, lines, status FROM qr_statement_batches WHERE id = :up;
-- no format named: the provider's only layout
SELECT qr_statement_load('unionpay', convert_to(E'Txn,Time,Amount,Ccy,Order\nU2,2025-03-02 09:00:00,13.00,CNY,ORDU2\n', 'UTF8'))
       > :up AS read_with_its_layout;
SELECT provider_txn, reference, ts, amount, currency, extra FROM qr_statement_lines WHERE batch = :up;

-- ---------------------------------------------------------------------
-- Runs: every input row in exactly one result row; breaks opened
-- ---------------------------------------------------------------------
SELECT qr_recon_run('bo_ledger', ARRAY[:wx1, :ali1]::bigint[]) AS run1 \gset
SELECT id, status, ledger, statement, batches, providers, settings -> 'override' AS override, ledger_rows, statement_rows,
       outcomes, started_by = current_user AS by_me, finished_at >= started_at AS ended
FROM qr_recon_runs WHERE id = :run1;
-- the settings it applied, per provider: here the built-in defaults
SELECT p.key AS provider, p.value = qr_recon_settings_for(p.key) AS as_qr_recon_settings_for, p.value ->> 'time_window' AS time_window
FROM qr_recon_runs r, jsonb_each(r.settings -> 'providers') p WHERE r.id = :run1 ORDER BY 1;
SELECT status, count(*), sum(ledger_amount) AS ledger_amount, sum(statement_amount) AS statement_amount
FROM qr_recon_results WHERE run = :run1 GROUP BY 1 ORDER BY 1;
-- the ledger side: the providers' rows of 2025-03-01 (Shanghai) and nothing else, each once
SELECT (SELECT count(*) FROM qr_recon_results WHERE run = :run1 AND ledger_txn IS NOT NULL)
     = (SELECT count(*) FROM bo_ledger WHERE ts >= '2025-03-01 00:00+08' AND ts < '2025-03-02 00:00+08') AS every_ledger_row,
       (SELECT count(DISTINCT ledger_txn) FROM qr_recon_results WHERE run = :run1)
     = (SELECT count(*) FROM qr_recon_results WHERE run = :run1 AND ledger_txn IS NOT NULL) AS once_each,
       (SELECT count(*) FROM qr_recon_results WHERE run = :run1 AND line IS NOT NULL)
     = (SELECT count(*) FROM qr_statement_lines WHERE batch IN (:wx1, :ali1)) AS every_line,
       (SELECT count(DISTINCT (batch, line)) FROM qr_recon_results WHERE run = :run1 AND line IS NOT NULL)
     = (SELECT count(*) FROM qr_recon_results WHERE run = :run1 AND line IS NOT NULL) AS once_each_too;
SELECT r.status, r.ledger_txn, r.statement_txn, r.amount_diff, b.kind, b.side, b.txn, b.amount, b.status AS break_status
FROM qr_recon_results r JOIN qr_recon_breaks b ON b.id = r.break WHERE r.run = :run1 ORDER BY r.ledger_txn;
-- the refund line counts as minus the refund against the ledger's refund row, which is
-- the refund of the order the line names (ORD10): L10, less the refund
SELECT status, ledger_txn, statement_txn, ledger_amount, statement_amount, original_txn, net_amount FROM qr_recon_results
WHERE run = :run1 AND ledger_txn IN ('L10', 'L10r') ORDER BY ledger_txn;

-- ---------------------------------------------------------------------
-- Corrected file: it supersedes, its difference is queryable
-- ---------------------------------------------------------------------
SELECT qr_statement_load('wechatpay', bo_wechat_bill('2025-03-01', skip => '{}', bump => NULL)) AS wx1b \gset
SELECT id, status, superseded_by = :wx1b AS by_the_correction FROM qr_statement_batches WHERE id IN (:wx1, :wx1b) ORDER BY id;
SELECT change, provider_txn, fields, old ->> 'amount' AS old_amount, new ->> 'amount' AS new_amount
FROM qr_statement_diff(:wx1, :wx1b);
-- a batch superseded is not run again
SELECT qr_recon_run('bo_ledger', ARRAY[:wx1]::bigint[]);
-- day 2 with the correction: the corrected rows match, the midnight payment meets its line
SELECT qr_statement_load('wechatpay', bo_wechat_bill('2025-03-02', skip => '{300}')) AS wx2 \gset
SELECT qr_statement_load('alipay', bo_alipay_file('2025-03-02')) AS ali2 \gset
SELECT qr_recon_run('bo_ledger', ARRAY[:wx1b, :wx2, :ali2]::bigint[]) AS run2 \gset
SELECT outcomes FROM qr_recon_runs WHERE id = :run2;
-- the breaks of run 1 that later files resolved closed themselves, naming run 2
SELECT id, kind, txn, status, closed_run = :run2 AS by_run2, closed_by = current_user AS closer,
       note LIKE 'resolved by run%' AS noted
FROM qr_recon_breaks ORDER BY id;
-- a break carried to a later run is judged again with the rows it was found
-- with: L31's mismatch stays a mismatch of 0.50, found again by run 2
SELECT txn, kind, amount, batch = :ali1 AS its_line, opened_run = :run1 AS first, last_run = :run2 AS again
FROM qr_recon_breaks WHERE txn = 'L31';

-- ---------------------------------------------------------------------
-- Working a break: open -> assigned -> resolved or written off, by a
-- back-office role granted the tables (README: Back office, roles)
-- ---------------------------------------------------------------------
CREATE ROLE qrpay_bo_clerk;
GRANT USAGE ON SCHEMA public TO qrpay_bo_clerk;
GRANT SELECT, INSERT, UPDATE, DELETE ON qr_statement_batches, qr_recon_breaks, qr_recon_runs TO qrpay_bo_clerk;
GRANT SELECT, INSERT, DELETE ON qr_statement_lines TO qrpay_bo_clerk;
GRANT SELECT, INSERT ON qr_recon_results TO qrpay_bo_clerk;
GRANT SELECT ON qr_recon_break_aging, bo_ledger TO qrpay_bo_clerk;
GRANT USAGE ON SEQUENCE qr_statement_batches_id_seq, qr_recon_runs_id_seq, qr_recon_breaks_id_seq TO qrpay_bo_clerk;
SET ROLE qrpay_bo_clerk;
SELECT id AS open_break FROM qr_recon_breaks WHERE status = 'open' ORDER BY id LIMIT 1 \gset
SELECT status, owner, note FROM qr_break_assign(:open_break, 'li.wei', 'asked Alipay for the trade');
SELECT status, owner, closed_at IS NOT NULL AS closed, closed_by = current_user AS closer, note
FROM qr_break_write_off(:open_break, 'under the threshold; approved by the controller');
-- closed stays closed
SELECT status FROM qr_break_assign(:open_break, 'zhang.min');
SELECT status FROM qr_break_resolve(:open_break, 'found it');
-- a later run that finds the same difference leaves the write-off so
SELECT qr_recon_run('bo_ledger', ARRAY[:ali1]::bigint[]) AS run_again \gset
SELECT r.status, r.ledger_txn, b.id = :open_break AS same_break, b.status FROM qr_recon_results r JOIN qr_recon_breaks b ON b.id = r.break
WHERE r.run = :run_again;
-- the aging view: open breaks with age and severity
SELECT id, kind, status, amount, age_bucket, severity FROM qr_recon_break_aging ORDER BY id;
RESET ROLE;

-- ---------------------------------------------------------------------
-- What cannot change
-- ---------------------------------------------------------------------
SET ROLE qrpay_bo_clerk;
UPDATE qr_recon_results SET status = 'matched' WHERE run = :run1;
\echo :LAST_ERROR_SQLSTATE
DELETE FROM qr_recon_results WHERE run = :run1;
\echo :LAST_ERROR_SQLSTATE
INSERT INTO qr_recon_results (run, seq, status) VALUES (:run1, 100000, 'matched');
\echo :LAST_ERROR_SQLSTATE
UPDATE qr_recon_runs SET outcomes = '{}' WHERE id = :run1;
\echo :LAST_ERROR_SQLSTATE
DELETE FROM qr_recon_runs WHERE id = :run1;
\echo :LAST_ERROR_SQLSTATE
UPDATE qr_statement_lines SET amount = 0 WHERE batch = :wx1;
\echo :LAST_ERROR_SQLSTATE
INSERT INTO qr_statement_lines (batch, line, provider_txn) VALUES (:wx2, 100000, 'forged');
\echo :LAST_ERROR_SQLSTATE
UPDATE qr_statement_batches SET amount = 0 WHERE id = :wx2;
\echo :LAST_ERROR_SQLSTATE
UPDATE qr_statement_batches SET status = 'loaded' WHERE id = :wx1;
\echo :LAST_ERROR_SQLSTATE
DELETE FROM qr_statement_batches WHERE id = :wx1;
\echo :LAST_ERROR_SQLSTATE
DELETE FROM qr_recon_breaks;
\echo :LAST_ERROR_SQLSTATE
UPDATE qr_recon_breaks SET amount = 0 WHERE id = :open_break + 1;
\echo :LAST_ERROR_SQLSTATE
INSERT INTO qr_recon_breaks (provider, side, txn, kind) VALUES ('alipay', 'ledger', 'L1', 'missing_in_statement');
\echo :LAST_ERROR_SQLSTATE
SELECT qr_break_write_off(:open_break + 1, '  ');
\echo :LAST_ERROR_SQLSTATE
-- the clerk works breaks and runs reconciliations
SELECT status, owner FROM qr_break_assign((SELECT min(id) FROM qr_recon_breaks WHERE status = 'open'), 'qrpay_bo_clerk');
SELECT qr_recon_run('bo_ledger', ARRAY[:wx2]::bigint[]) > :run2 AS clerk_ran;
-- but not the audit trail
SELECT count(*) FROM qr_recon_audit;
RESET ROLE;

-- every run and every change of a break is in the audit trail, with who made it
SELECT table_name, operation, role_name, count(*) FROM qr_recon_audit
WHERE table_name IN ('qr_recon_runs', 'qr_recon_breaks') GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;
SELECT operation, old_row ->> 'status' AS was, new_row ->> 'status' AS became, new_row ->> 'owner' AS owner
FROM qr_recon_audit WHERE table_name = 'qr_recon_breaks' AND (new_row ->> 'id')::bigint = :open_break ORDER BY id;
SELECT role_name, count(*) FROM qr_recon_audit GROUP BY 1 ORDER BY 1;

-- ---------------------------------------------------------------------
-- The report: one self-contained page whose numbers are the SQL totals
-- ---------------------------------------------------------------------
SELECT qr_recon_report(:run1) AS page \gset
SELECT :'page' LIKE '<!DOCTYPE html>%</html>' AS whole_page, :'page' !~ '(src|href)=' AS self_contained;
SELECT (regexp_match(:'page', 'data-provider="\*" data-status="\*" data-measure="rows">([0-9]+)<'))[1]::int
     = (SELECT count(*) FROM qr_recon_results WHERE run = :run1) AS total_rows_shown,
       (SELECT array_agg(m[1] || ' ' || m[2] || ' ' || m[3] ORDER BY m[1], m[2])
          FROM regexp_matches(:'page', 'data-provider="([a-z]+)" data-status="([a-z_]+)" data-measure="rows">([0-9]+)<', 'g') m)
     = (SELECT array_agg(provider || ' ' || status || ' ' || n ORDER BY provider, status)
          FROM (SELECT provider, status, count(*) AS n FROM qr_recon_results WHERE run = :run1 GROUP BY 1, 2) x) AS per_status_shown;
-- text from users is escaped
UPDATE qr_recon_breaks SET note = note || '<script>alert(1)</script>' WHERE status = 'assigned';
SELECT qr_recon_report(:run2) LIKE '%<script>%' AS script_injected;
SELECT qr_html('<a href="x">Tom & Jerry''s</a>');

-- ---------------------------------------------------------------------
-- Runs over any relation of the statement shape
-- ---------------------------------------------------------------------
CREATE TABLE bo_statement AS SELECT 'S' || g AS txn_id, provider, reference, amount, currency, ts + interval '4 s' AS ts
FROM bo_ledger WHERE g % 7 <> 0 AND txn_id NOT LIKE '%r';
SELECT qr_recon_run('bo_ledger', 'bo_statement'::regclass, '1 minute', 0) AS run3 \gset
SELECT ledger_rows, statement_rows, outcomes FROM qr_recon_runs WHERE id = :run3;
SELECT count(*) FILTER (WHERE statement_txn IS NOT NULL) AS statement_side, count(DISTINCT statement_txn) AS distinct_ids
FROM qr_recon_results WHERE run = :run3;
-- with settings: the time_window argument overrides the same key of settings; the run
-- records what it was told and what each provider of the rows (and * for any other) got
SELECT qr_recon_run('bo_ledger', 'bo_statement'::regclass, '1 minute',
                    settings => '{"time_window": "1 hour", "amount_tolerance": 0.5}') AS run4 \gset
SELECT settings -> 'override' AS override, ARRAY(SELECT jsonb_object_keys(settings -> 'providers') ORDER BY 1) AS providers,
       settings #>> '{providers,alipay,time_window}' AS alipay_window, settings #>> '{providers,*,amount_tolerance}' AS tolerance
FROM qr_recon_runs WHERE id = :run4;

-- ---------------------------------------------------------------------
-- Refunds of other days: the original payment is read as context, and
-- a refund whose order the ledger does not have is an orphan
-- ---------------------------------------------------------------------
CREATE TABLE bo_refund_ledger (txn_id text, provider text, reference text, amount numeric, currency text, ts timestamptz);
INSERT INTO bo_refund_ledger VALUES
    ('U7', 'unionpay', 'ORDU7', 100.00, 'CNY', '2025-03-04 09:00+08'),
    ('U7r', 'unionpay', 'RFU7', -30.00, 'CNY', '2025-03-05 10:00+08');
INSERT INTO qr_statement_formats (name, provider, mapping, note) VALUES
    ('unionpay_refunds', 'unionpay', '{"columns": {"provider_txn": "Txn", "ts": "Time", "amount": "Amount", "currency": "Ccy",
      "reference": "Order", "refund_txn": "RefundTxn", "refund_reference": "RefundRef", "refund_amount": "Refund"},
      "time_zone": "Asia/Shanghai"}', 'acquirer''s refund file');
SELECT qr_statement_load('unionpay', convert_to(E'Txn,Time,Amount,Ccy,Order,RefundTxn,RefundRef,Refund\n'
                         'U7,2025-03-05 10:00:03,0.00,CNY,ORDU7,UR7,RFU7,30.00\n'
                         'U8,2025-03-05 11:00:03,0.00,CNY,ORDU8,UR8,RFU8,5.00\n', 'UTF8'), 'unionpay_refunds') AS upr \gset
SELECT qr_recon_run('bo_refund_ledger', ARRAY[:upr]::bigint[]) AS run5 \gset
SELECT ledger_rows, statement_rows, outcomes FROM qr_recon_runs WHERE id = :run5;
SELECT r.status, r.ledger_txn, r.statement_txn, r.ledger_amount, r.statement_amount, r.original_txn, r.net_amount,
       b.kind, b.side, b.amount
FROM qr_recon_results r LEFT JOIN qr_recon_breaks b ON b.id = r.break WHERE r.run = :run5 ORDER BY r.seq;

-- ---------------------------------------------------------------------
-- Errors
-- ---------------------------------------------------------------------
SELECT qr_statement_load(NULL, '\x00');
\echo :LAST_ERROR_SQLSTATE
SELECT qr_statement_load('wechatpay', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT qr_statement_load('nosuchpay', bo_wechat_bill('2025-03-01'));
\echo :LAST_ERROR_SQLSTATE
SELECT qr_statement_load('wechatpay', convert_to(E'a,b\n1,2\n', 'UTF8'), 'nosuchformat');
\echo :LAST_ERROR_SQLSTATE
SELECT qr_statement_load('alipay', bo_wechat_bill('2025-03-03'), 'unionpay_daily');
\echo :LAST_ERROR_SQLSTATE
SELECT qr_statement_load('wechatpay', convert_to('hello', 'UTF8'));
\echo :LAST_ERROR_SQLSTATE
-- a file for part of an earlier batch's days would count its lines twice
SELECT qr_statement_load('alipay', convert_to(replace(convert_from(bo_alipay_file('2025-03-01'), 'GBK'),
           '终止日期：[2025年03月02日', '终止日期：[2025年03月01日 12:00:00] ['), 'GBK'));
\echo :LAST_ERROR_SQLSTATE
SELECT qr_statement_withdraw(NULL, 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT qr_statement_withdraw(:wx2, NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT qr_statement_withdraw(999999, 'no such batch');
\echo :LAST_ERROR_SQLSTATE
SELECT qr_recon_run(NULL, ARRAY[1]::bigint[]);
\echo :LAST_ERROR_SQLSTATE
SELECT qr_recon_run('bo_ledger', NULL::bigint[]);
\echo :LAST_ERROR_SQLSTATE
SELECT qr_recon_run('bo_ledger', '{}'::bigint[]);
\echo :LAST_ERROR_SQLSTATE
SELECT qr_recon_run('bo_ledger', ARRAY[999999]::bigint[]);
\echo :LAST_ERROR_SQLSTATE
SELECT qr_recon_run('bo_ledger', ARRAY[:wx2]::bigint[], '-1 minute');
\echo :LAST_ERROR_SQLSTATE
SELECT qr_recon_run('bo_ledger', ARRAY[:wx2]::bigint[], '15 minutes', 'NaN');
\echo :LAST_ERROR_SQLSTATE
SELECT qr_recon_run('bo_ledger', ARRAY[:wx2]::bigint[], settings => '{"group_max_rows": 1}');
\echo :LAST_ERROR_SQLSTATE
SELECT qr_recon_run('bo_ledger', ARRAY[:wx2]::bigint[], settings => '"15 minutes"');
\echo :LAST_ERROR_SQLSTATE
SELECT qr_recon_run('bo_ledger', 'bo_statement'::regclass, settings => '{"time_window": "1 minute", "tolerance": 1}');
\echo :LAST_ERROR_SQLSTATE
SELECT qr_recon_run('qr_providers', ARRAY[:wx2]::bigint[]);
\echo :LAST_ERROR_SQLSTATE
SELECT qr_recon_run('bo_ledger', NULL::regclass);
\echo :LAST_ERROR_SQLSTATE
SELECT qr_recon_run('bo_ledger', 'qr_cities'::regclass);
\echo :LAST_ERROR_SQLSTATE
SELECT qr_break_assign(NULL, 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT qr_break_assign(:open_break + 1, NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT qr_break_assign(999999, 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT qr_break_resolve(:open_break + 1, NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT qr_break_resolve(999999, 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT qr_break_write_off(NULL, 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT qr_break_write_off(999999, 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT qr_recon_report(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT qr_recon_report(999999);
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM qr_statement_diff(NULL, :wx1);
SELECT qr_recon_execute(:run1, false);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO qr_statement_formats (name, mapping) VALUES ('csv', '{"columns": {}}');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO qr_statement_formats (name, mapping) VALUES ('broken', '[]');
\echo :LAST_ERROR_SQLSTATE
-- the trigger functions serve the extension's tables only
CREATE TABLE bo_victim (id int);
INSERT INTO bo_victim VALUES (1);
CREATE TRIGGER t BEFORE UPDATE ON bo_victim FOR EACH ROW EXECUTE FUNCTION qr_recon_guard();
CREATE TRIGGER u BEFORE DELETE ON bo_victim FOR EACH STATEMENT EXECUTE FUNCTION qr_back_office_guard('immutable');
CREATE TRIGGER v BEFORE DELETE ON bo_victim FOR EACH ROW EXECUTE FUNCTION qr_statement_batch_guard();
CREATE TRIGGER w AFTER INSERT ON bo_victim FOR EACH ROW EXECUTE FUNCTION qr_recon_audit();
CREATE TRIGGER x AFTER INSERT ON bo_victim FOR EACH STATEMENT EXECUTE FUNCTION qr_statement_lines_check();
INSERT INTO bo_victim VALUES (2);
\echo :LAST_ERROR_SQLSTATE
UPDATE bo_victim SET id = 3;
\echo :LAST_ERROR_SQLSTATE
DELETE FROM bo_victim;
\echo :LAST_ERROR_SQLSTATE
DROP TRIGGER w ON bo_victim;
INSERT INTO bo_victim VALUES (4);
\echo :LAST_ERROR_SQLSTATE
DROP TRIGGER u ON bo_victim;
DELETE FROM bo_victim;
\echo :LAST_ERROR_SQLSTATE
SELECT qr_recon_guard();
\echo :LAST_ERROR_SQLSTATE
DROP TABLE bo_victim;
DROP OWNED BY qrpay_bo_clerk;
DROP ROLE qrpay_bo_clerk;

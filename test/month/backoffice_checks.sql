--
-- The back office's month, checked: run by test/month.sh after month_day
-- has loaded and reconciled every day.  Sections, in order:
--   runs      every day's run: the breaks found are those injected or
--             carried, by kind and row, none more; each outcome new in
--             0.9.0 (payouts, refunds, orphan refunds, fees, currencies,
--             ties) as often as put in and on its rows; the rows read are the
--             day's, the open breaks' and those sharing their references,
--             each in exactly one result row; every batch balanced
--   breaks    each break opened once, keeping its kind; a mismatched
--             pair carried over whole; an Alipay refund's break not
--             confused with its payment; the midnight ones closed by the
--             next day's run, the others still open
--   reload    every file loaded again: the same batch ids, no row added
--             anywhere
--   summary   a bill whose summary disagrees with its lines is unbalanced
--   correct   a corrected bill supersedes its day, the diff is its three
--             changes, and its run closes the breaks it mends
--
\set last 'SELECT max(day) FROM month_runs'

-- ------------------------------------------------------------------ runs
SELECT month_same('runs', 'each day''s run reports the breaks injected that day and those carried, by kind and row',
                  (SELECT array_agg(day || ':' || t) FROM month_expected_results),
                  (SELECT array_agg(day || ':' || t) FROM month_results WHERE break));
-- the statuses of 0.9.0, each where it was put in: payouts matched_group,
-- refunds with their payments refund_matched, the orphan refund lines,
-- the fees one cent over, the lines in dollars, the ties; counted by
-- kind, then row by row (a break carried to later runs counted once)
SELECT month_same('runs', 'each new kind of outcome appears as often as it was put in',
                  (SELECT array_agg(kind || ' ' || n) FROM (SELECT kind, count(*) AS n FROM month_kinds GROUP BY 1) k),
                  (SELECT array_agg(status || ' ' || n)
                     FROM (SELECT status, count(DISTINCT t) AS n FROM month_results
                            WHERE day >= 0 AND status IN ('matched_group', 'refund_matched', 'refund_orphan',
                                                          'fee_mismatch', 'fx_difference', 'ambiguous')
                            GROUP BY 1) r));
SELECT month_same('runs', 'each new kind of outcome is found on the rows it was put in',
                  (SELECT array_agg(DISTINCT month_break_text(kind, ledger_txn, statement_key)) FROM month_kinds),
                  (SELECT array_agg(DISTINCT t) FROM month_results
                    WHERE day >= 0 AND status IN ('matched_group', 'refund_matched', 'refund_orphan',
                                                  'fee_mismatch', 'fx_difference', 'ambiguous')));
-- input rows: the day's ledger rows (by its providers' own days) and the
-- lines of the day's files, counted; the other rows, the rows of the
-- breaks open before the run and those that share their references, by
-- name; and as many read in all (qr_recon_runs).  A row is counted
-- read when it is in exactly one of the run's result rows.
CREATE TABLE month_carried AS SELECT * FROM month_expected_carried_rows;
ANALYZE month_carried;
CREATE TABLE month_inputs AS
SELECT m.day, format('%s: %s ledger rows of the day', m.day, (SELECT count(*) FROM month_ledger l WHERE l.day = m.day)) AS t
FROM month_runs m WHERE m.day >= 0
UNION ALL
SELECT m.day, format('%s: %s statement lines of the day', m.day,
                     (SELECT sum(f.lines) FROM month_files f WHERE f.day = m.day AND f.edition = 1))
FROM month_runs m WHERE m.day >= 0
UNION ALL
SELECT run_day, run_day || ': ' || row_name FROM month_carried;
INSERT INTO month_inputs
SELECT m.day, format('%s: read %s ledger rows, %s statement lines', m.day,
                     (SELECT count(*) FROM month_ledger l WHERE l.day = m.day)
                     + (SELECT count(*) FROM month_carried c WHERE c.run_day = m.day AND c.row_name LIKE 'ledger %'),
                     (SELECT sum(f.lines) FROM month_files f WHERE f.day = m.day AND f.edition = 1)
                     + (SELECT count(*) FROM month_carried c WHERE c.run_day = m.day AND c.row_name LIKE 'statement %'))
FROM month_runs m WHERE m.day >= 0;
CREATE TABLE month_inputs_read AS
WITH r AS (
    SELECT m.day, x.ledger_txn, x.batch, x.line,
           count(*) OVER (PARTITION BY x.run, x.ledger_txn) AS count_l,
           count(*) OVER (PARTITION BY x.run, x.batch, x.line) AS count_s
      FROM month_runs m JOIN qr_recon_results x ON x.run = m.run
     WHERE m.day >= 0),
ledger AS (
    SELECT r.day, l.day = r.day AS of_day, r.ledger_txn FROM r LEFT JOIN month_ledger l ON l.txn_id = r.ledger_txn
     WHERE r.ledger_txn IS NOT NULL AND r.count_l = 1),
statement AS (
    SELECT r.day, f.day = r.day AS of_day, k.key FROM r
      LEFT JOIN month_loads ld ON ld.batch = r.batch LEFT JOIN month_files f ON f.id = ld.file
      LEFT JOIN month_line_keys k ON k.batch = r.batch AND k.line = r.line
     WHERE r.batch IS NOT NULL AND r.count_s = 1)
SELECT m.day, format('%s: %s ledger rows of the day', m.day, (SELECT count(*) FROM ledger WHERE ledger.day = m.day AND of_day)) AS t
FROM month_runs m WHERE m.day >= 0
UNION ALL
SELECT m.day, format('%s: %s statement lines of the day', m.day, (SELECT count(*) FROM statement WHERE statement.day = m.day AND of_day))
FROM month_runs m WHERE m.day >= 0
UNION ALL
SELECT day, day || ': ledger ' || coalesce(ledger_txn, '?') FROM ledger WHERE of_day IS NOT TRUE
UNION ALL
SELECT day, day || ': statement ' || coalesce(key, '?') FROM statement WHERE of_day IS NOT TRUE
UNION ALL
SELECT m.day, format('%s: read %s ledger rows, %s statement lines', m.day, r.ledger_rows, r.statement_rows)
FROM month_runs m JOIN qr_recon_runs r ON r.id = m.run WHERE m.day >= 0;
SELECT month_same('runs', 'every input row of both sides in exactly one result row of each run',
                  (SELECT array_agg(t) FROM month_inputs), (SELECT array_agg(t) FROM month_inputs_read));
SELECT month_check('runs', 'no input row in two result rows of one run', count(*) = 0, format('%s rows twice', count(*)))
FROM (SELECT run, ledger_txn FROM qr_recon_results WHERE ledger_txn IS NOT NULL GROUP BY 1, 2 HAVING count(*) > 1
      UNION ALL
      SELECT run, batch || ':' || line FROM qr_recon_results WHERE batch IS NOT NULL GROUP BY 1, 2 HAVING count(*) > 1) x;
SELECT month_check('runs', 'every batch of the month is loaded and balanced, no line unreadable',
                   count(*) FILTER (WHERE b.status <> 'loaded' OR b.bad_lines <> 0 OR cardinality(b.summary_errors) > 0) = 0
                   AND count(*) = (SELECT count(*) FROM month_files WHERE edition = 1),
                   format('%s batches; %s', count(*), string_agg(DISTINCT b.status || ' ' || array_to_string(b.summary_errors, '; '), ', ')))
FROM month_loads l JOIN qr_statement_batches b ON b.id = l.batch;
SELECT month_check('runs', 'each batch''s lines are those of its file, with its totals',
                   count(*) FILTER (WHERE b.lines <> f.lines OR b.amount IS DISTINCT FROM f.amount
                                    OR b.fee IS DISTINCT FROM f.fee) = 0,
                   string_agg(format('file %s: %s lines, amount %s, fee %s; expected %s, %s, %s',
                                     f.id, b.lines, b.amount, b.fee, f.lines, f.amount, f.fee), '; ')
                     FILTER (WHERE b.lines <> f.lines OR b.amount IS DISTINCT FROM f.amount OR b.fee IS DISTINCT FROM f.fee))
FROM month_loads l JOIN qr_statement_batches b ON b.id = l.batch JOIN month_files f ON f.id = l.file;
SELECT month_same('runs', 'every line stored is the line rendered',
                  (SELECT array_agg(e.line) FROM month_expected_lines e JOIN month_files f ON f.id = e.file WHERE f.edition = 1),
                  (SELECT array_agg(month_read_text(s.provider, s.provider_txn, s.reference, s.ts, s.amount, s.fee,
                                                    s.status, s.refund_reference, s.refund_amount))
                     FROM month_loads l JOIN qr_statement_batches b ON b.id = l.batch
                     CROSS JOIN LATERAL (SELECT b.provider, x.* FROM qr_statement_lines x WHERE x.batch = l.batch) s));

-- ---------------------------------------------------------------- breaks
CREATE VIEW month_breaks AS
SELECT b.*, month_break_text(b.kind, b.ledger_txn, k.key) AS t, coalesce(b.ledger_txn, k.key) AS row_key
FROM qr_recon_breaks b LEFT JOIN month_line_keys k ON k.batch = b.batch AND k.line = b.line;
-- a row has one break whatever runs find it again: carried with the rows
-- that share its reference, it keeps its kind (a duplicate read again
-- with its twin is a duplicate still)
SELECT month_same('breaks', 'the breaks opened are the breaks injected, each once (a duplicate carried over stays a duplicate)',
                  (SELECT array_agg(month_break_text(kind, ledger_txn, statement_key)) FROM month_injected),
                  (SELECT array_agg(t) FROM month_breaks));
-- A mismatched pair (amount_mismatch, outside_window) is a break of its
-- ledger row that names the statement line: a later day's run must read
-- both again, else it reports the ledger row missing from a statement that
-- lists it, and no corrected ledger row could ever close the break.
SELECT month_same('breaks', 'a mismatched pair carried over is read again whole: its break keeps its kind and statement line',
                  (SELECT array_agg(month_break_text(i.kind, i.ledger_txn, i.statement_key))
                     FROM month_injected i
                    WHERE i.kind IN ('amount_mismatch', 'outside_window', 'fee_mismatch', 'fx_difference') AND i.day < (:last)),
                  (SELECT array_agg(b.t) FROM month_breaks b JOIN month_injected i ON i.ledger_txn = b.ledger_txn
                    WHERE i.kind IN ('amount_mismatch', 'outside_window', 'fee_mismatch', 'fx_difference') AND i.day < (:last)));
-- An Alipay refund line has no refund id of its own (the payment's 支付宝
-- 交易号, the request number 退款批次号/请求号): a later run that reads
-- the refund again for its open break must not read its payment's line.
SELECT month_same('breaks', 'an Alipay refund and its payment are told apart: a later run reads the refund of an open break again, not the payment',
                  '{}'::text[],
                  (SELECT coalesce(array_agg(DISTINCT format('day %s read %s again', m.day, k.key)), '{}')
                     FROM month_runs m
                     JOIN qr_recon_results r ON r.run = m.run
                     JOIN month_line_keys k ON k.batch = r.batch AND k.line = r.line
                     JOIN month_loads ld ON ld.batch = r.batch JOIN month_files f ON f.id = ld.file
                     JOIN month_rule u ON 'S' || u.g = k.key
                    WHERE m.day > f.day AND f.provider = 'alipay' AND u.rule IN ('refund_extra', 'refund_mismatch')));
SELECT month_same('breaks', 'a break across midnight closes itself in the next day''s run, naming it',
                  (SELECT array_agg(format('%s resolved by day %s', coalesce(i.ledger_txn, i.statement_key), i.day + 1))
                     FROM month_injected i
                    WHERE (i.ledger_txn LIKE 'LM%' OR i.statement_key LIKE 'SN%') AND i.day < (:last)),
                  (SELECT array_agg(format('%s %s by day %s', b.row_key, b.status, m.day))
                     FROM month_breaks b LEFT JOIN month_runs m ON m.run = b.closed_run
                    WHERE b.status <> 'open' OR b.closed_run IS NOT NULL));
SELECT month_check('breaks', 'the other breaks are open, last seen by the last day''s run',
                   count(*) FILTER (WHERE b.status <> 'open' OR b.last_run <> (SELECT run FROM month_runs WHERE day = (:last))) = 0
                   AND count(*) = (SELECT count(*) FROM month_injected i
                                    WHERE NOT ((coalesce(i.ledger_txn, '') LIKE 'LM%' OR coalesce(i.statement_key, '') LIKE 'SN%')
                                               AND i.day < (:last))),
                   format('%s of %s not so; %s expected', count(*) FILTER (WHERE b.status <> 'open' OR b.last_run <> (SELECT run FROM month_runs WHERE day = (:last))),
                          count(*), (SELECT count(*) FROM month_injected i
                                      WHERE NOT ((coalesce(i.ledger_txn, '') LIKE 'LM%' OR coalesce(i.statement_key, '') LIKE 'SN%')
                                                 AND i.day < (:last)))))
FROM month_breaks b
WHERE NOT ((b.row_key LIKE 'LM%' OR b.row_key LIKE 'SN%')
           AND b.opened_run <> (SELECT run FROM month_runs WHERE day = (:last)));

-- ---------------------------------------------------------------- reload
CREATE FUNCTION month_row_counts() RETURNS text[] LANGUAGE sql AS $$
    SELECT ARRAY['batches ' || (SELECT count(*) FROM qr_statement_batches),
                 'lines ' || (SELECT count(*) FROM qr_statement_lines),
                 'runs ' || (SELECT count(*) FROM qr_recon_runs),
                 'results ' || (SELECT count(*) FROM qr_recon_results),
                 'breaks ' || (SELECT count(*) FROM qr_recon_breaks),
                 'open breaks ' || (SELECT count(*) FROM qr_recon_breaks WHERE status = 'open')]
$$;
CREATE TABLE month_counts_before AS SELECT month_row_counts() AS counts;
CREATE TABLE month_reloads AS
SELECT f.id AS file, qr_statement_load(f.provider, f.file, month_format(f)) AS batch
FROM month_files f WHERE f.edition = 1 ORDER BY f.id;
SELECT month_same('reload', 'every file loaded again gives its batch id again',
                  (SELECT array_agg(file || ' ' || batch) FROM month_loads),
                  (SELECT array_agg(file || ' ' || batch) FROM month_reloads));
SELECT month_same('reload', 'loading every file again adds and changes no row anywhere',
                  (SELECT counts FROM month_counts_before), month_row_counts());

-- --------------------------------------------------------------- summary
-- A WeChat Pay bill whose summary counts four lines where it holds three,
-- and an Alipay file whose footer counts two payments where it holds one;
-- both of a day before the month, so that they supersede nothing.
CREATE TABLE month_unbalanced AS
SELECT 'wechatpay' AS provider, qr_statement_load('wechatpay', convert_to(
    E'交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注\n'
    || E'`2025-02-01 10:00:00,`wx1,`1900000109,`0,`0,`U1,`ORDU1,`oUser,`NATIVE,`SUCCESS,`CMB_CREDIT,`CNY,`10.00,`0.00,`0,`0,`0.00,`0.00,`,`,`Tea,`,`0.06,`0.60%,`10.00,`0.00,`\n'
    || E'`2025-02-01 11:00:00,`wx1,`1900000109,`0,`0,`U2,`ORDU2,`oUser,`NATIVE,`SUCCESS,`CMB_CREDIT,`CNY,`20.00,`0.00,`0,`0,`0.00,`0.00,`,`,`Tea,`,`0.12,`0.60%,`20.00,`0.00,`\n'
    || E'`2025-02-01 12:00:00,`wx1,`1900000109,`0,`0,`U3,`ORDU3,`oUser,`NATIVE,`SUCCESS,`CMB_CREDIT,`CNY,`30.00,`0.00,`0,`0,`0.00,`0.00,`,`,`Tea,`,`0.18,`0.60%,`30.00,`0.00,`\n'
    || E'总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\n'
    || E'`4,`70.00,`0.00,`0.00,`0.36,`70.00,`0.00\n', 'UTF8')) AS batch
UNION ALL
SELECT 'alipay', qr_statement_load('alipay', convert_to(
    E'#支付宝业务明细查询\n#账号：[20881234567890]\n#起始日期：[2025年02月01日 00:00:00]   终止日期：[2025年02月02日 00:00:00]\n'
    || E'#-----------------------------------------业务明细列表----------------------------------------\n'
    || E'支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注\n'
    || E'A1\t,ORDA1\t,交易\t,Tea\t,2025-02-01 10:00:00\t,2025-02-01 10:00:00\t,\t,\t,\t,\t,buyer@example.com\t,10.00\t,10.00\t,0.00\t,0.00\t,0.00\t,0.00\t,0.00\t,\t,0.00\t,0.00\t,\t,0.06\t,0.00\t,\t\n'
    || E'#-----------------------------------------业务明细列表结束------------------------------------\n'
    || E'#交易合计：2笔，退款合计：0笔\n#导出时间：[2025年02月02日 09:00:00]\n', 'GBK'), 'alipay');
SELECT month_check('summary', format('a %s bill whose summary disagrees with its lines is unbalanced, and says why', u.provider),
                   b.status = 'unbalanced' AND cardinality(b.summary_errors) > 0,
                   format('status %s, summary_errors %s', b.status, b.summary_errors))
FROM month_unbalanced u JOIN qr_statement_batches b ON b.id = u.batch ORDER BY u.provider;

-- --------------------------------------------------------------- correct
-- WeChat Pay sends correct_day's bill again: the line it booked 0.50 too
-- high fixed, the payment it had lost added, one line we never had
-- removed.  Only that bill: the other providers' days stand.
CREATE TABLE month_fix AS
SELECT (SELECT min(i.statement_key) FROM month_injected i
         WHERE i.day = :correct_day AND i.provider = 'wechatpay' AND i.kind = 'amount_mismatch' AND i.statement_key NOT LIKE '%/%') AS fixed,
       (SELECT 'S' || min(l.g) FROM month_ledger l JOIN month_rule r USING (g)
         WHERE l.day = :correct_day AND l.provider = 'wechatpay' AND r.rule = 'missing') AS added,
       format('X%s-wechatpay-1', :correct_day) AS removed;
INSERT INTO month_statement
SELECT s.day, s.provider, s.key, s.provider_txn, s.reference, s.ts,
       s.amount - CASE WHEN s.key = x.fixed THEN 0.50 ELSE 0 END, s.status, s.refund_txn, s.refund_reference,
       s.refund_amount, s.memo, s.g, 2, s.currency, s.fee_over
FROM month_statement s, month_fix x
WHERE s.day = :correct_day AND s.provider = 'wechatpay' AND s.edition = 1 AND s.key <> x.removed
UNION ALL
SELECT l.day, l.provider, 'S' || l.g, 'S' || l.g, l.reference, date_trunc('second', l.ts + interval '5 s'),
       l.amount, 'SUCCESS', NULL, NULL, NULL, 'Tea', l.g, 2, 'CNY', 0
FROM month_ledger l, month_fix x WHERE 'S' || l.g = x.added AND l.txn_id = 'L' || l.g;
SELECT month_render_files(2, :correct_day % 2) AS corrected_files \gset
SELECT month_check('correct', 'the corrected bill is one file', :corrected_files = 1, :corrected_files || ' files');
CREATE TABLE month_correction AS
SELECT f.id AS file, l.batch AS old_batch, qr_statement_load('wechatpay', f.file) AS new_batch
FROM month_files f
JOIN month_files o ON o.day = f.day AND o.provider = f.provider AND o.edition = 1
JOIN month_loads l ON l.file = o.id
WHERE f.edition = 2;
SELECT month_check('correct', 'the corrected bill supersedes the day''s batch',
                   bool_and(o.status = 'superseded' AND o.superseded_by = c.new_batch AND n.status = 'loaded'),
                   string_agg(format('old %s %s by %s; new %s %s', o.id, o.status, o.superseded_by, n.id, n.status), '; '))
FROM month_correction c JOIN qr_statement_batches o ON o.id = c.old_batch JOIN qr_statement_batches n ON n.id = c.new_batch;
-- the fixed line's 订单金额 (outside the common shape, in extra) is
-- fixed with its 应结订单金额, and its fee with them where 0.6% of 0.50
-- moves the rounded fee: the diff names those fields
SELECT month_same('correct', 'qr_statement_diff shows exactly the three changes',
                  ARRAY['changed ' || x.fixed || ' amount,extra'
                        || CASE WHEN (SELECT count(DISTINCT s.fee) FROM month_statement s WHERE s.key = x.fixed AND s.day = :correct_day
                                         AND s.provider = 'wechatpay') > 1 THEN ',fee' ELSE '' END,
                        'added ' || x.added, 'removed ' || x.removed],
                  (SELECT array_agg(d.change || ' ' || d.provider_txn
                                    || CASE WHEN d.change = 'changed' THEN ' ' || array_to_string(d.fields, ',') ELSE '' END)
                     FROM month_correction c, qr_statement_diff(c.old_batch, c.new_batch) d))
FROM month_fix x;
-- the corrected bill reconciled on its own
INSERT INTO month_runs SELECT -1, qr_recon_run('month_ledger', ARRAY[new_batch], '15 minutes', 0) FROM month_correction;
-- expected: the day's WeChat Pay breaks but the mended ones; the WeChat
-- Pay breaks of the other days still open, read again with the rows that
-- share their references (from the batches in force), so as they were
SELECT month_same('correct', 'the corrected day''s run reports the day''s breaks less the three mended, and those carried',
                  (SELECT array_agg(t) FROM (
                       SELECT month_break_text(i.kind, i.ledger_txn, i.statement_key) AS t
                         FROM month_injected i, month_fix x
                        WHERE i.day = :correct_day AND i.provider = 'wechatpay'
                          AND coalesce(i.statement_key, '') NOT IN (x.fixed, x.removed) AND i.ledger_txn IS DISTINCT FROM 'L' || substr(x.added, 2)
                       UNION ALL
                       SELECT month_break_text(i.kind, i.ledger_txn, i.statement_key)
                         FROM month_injected i
                        WHERE i.day <> :correct_day AND i.provider = 'wechatpay'
                          AND ((coalesce(i.ledger_txn, '') NOT LIKE 'LM%' AND coalesce(i.statement_key, '') NOT LIKE 'SN%')
                               OR i.day = (:last))) e),
                  (SELECT array_agg(t) FROM month_results WHERE day = -1 AND break));
SELECT month_same('correct', 'the mended breaks close in the corrected day''s run; the removed line''s break is no longer open',
                  ARRAY[format('amount_mismatch %s resolved by -1', 'L' || substr(x.fixed, 2)),
                        format('missing_in_statement %s resolved by -1', 'L' || substr(x.added, 2)),
                        format('missing_in_ledger %s closed', x.removed)],
                  (SELECT array_agg(format('%s %s %s', b.kind, b.row_key,
                                           CASE WHEN b.kind = 'missing_in_ledger' AND b.status <> 'open' THEN 'closed'
                                                ELSE b.status || ' by ' || coalesce(m.day::text, '?') END))
                     FROM month_breaks b LEFT JOIN month_runs m ON m.run = b.closed_run
                    WHERE b.row_key IN ('L' || substr(x.fixed, 2), 'L' || substr(x.added, 2), x.removed)))
FROM month_fix x;
SELECT month_check('correct', 'no break opened by the corrected day''s run', count(*) = 0,
                   string_agg(t, ' '))
FROM month_breaks WHERE opened_run = (SELECT run FROM month_runs WHERE day = -1);

--
-- Hostile data: NaN, +/-Infinity amounts and infinite times through
-- clearing, settlement and reconciliation.  Each gets a clear error naming
-- the row (or, where the answer is defined, that answer), never a loop
-- without end: the whole file runs under a statement_timeout that a
-- runaway would hit.
--
\set VERBOSITY default
SET statement_timeout = '20s';
SET TimeZone = 'Asia/Shanghai';
SET DateStyle = ISO;

CREATE TABLE hd_tx (txn_id text, ts timestamptz, currency text, amount numeric, payer text, network text, via text);
INSERT INTO hd_tx VALUES
    ('t1', '2025-03-01 10:00+08', 'CNY', 100.00, 'ccb', 'wechatpay', 'netsunion'),
    ('t2', '2025-03-01 11:00+08', 'CNY', 50.00, 'alipay', 'unionpay', 'unionpay');
-- the clean rows clear and settle
SELECT * FROM qr_clearing('hd_tx');
SELECT * FROM qr_settlement('hd_tx');

-- each hostile value alone, in clearing and settlement
CREATE TABLE hd_case (n int, what text, val text, col text);
INSERT INTO hd_case VALUES
    (1, 'NaN amount', 'NaN', 'amount'), (2, 'Infinity amount', 'Infinity', 'amount'),
    (3, '-Infinity amount', '-Infinity', 'amount'), (4, 'infinity time', 'infinity', 'ts'),
    (5, '-infinity time', '-infinity', 'ts');
CREATE FUNCTION hd_try(col text, val text, fn text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('UPDATE hd_tx SET %I = %L WHERE txn_id = ''t2''', col, val);
    EXECUTE format('SELECT count(*) FROM %s(''hd_tx'')', fn);
    RAISE EXCEPTION USING ERRCODE = 'QR999', MESSAGE = 'accepted';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ' ' || SQLERRM;      -- the update is undone with the block
END $$;
SELECT c.what, f.fn, hd_try(c.col, c.val, f.fn) AS outcome
  FROM hd_case c CROSS JOIN (VALUES ('qr_clearing'), ('qr_settlement')) f(fn)
 ORDER BY c.n, f.fn;
-- the table is as it was
SELECT txn_id, ts, amount FROM hd_tx ORDER BY txn_id;

-- fee rates: a NaN or infinite fixed fee or rate is refused where it is written
INSERT INTO qr_fee_rates (payer, payee, via, fixed) VALUES ('ccb', 'wechatpay', 'netsunion', 'NaN');
INSERT INTO qr_fee_rates (payer, payee, via, fixed) VALUES ('ccb', 'wechatpay', 'netsunion', 'Infinity');
INSERT INTO qr_fee_rates (payer, payee, via, rate) VALUES ('ccb', 'wechatpay', 'netsunion', 'NaN');
INSERT INTO qr_fee_rates (payer, payee, via, rate) VALUES ('ccb', 'wechatpay', 'netsunion', '-Infinity');

-- reconciliation: a non-finite amount on either side is refused, naming the row
CREATE TABLE hd_ledger (txn_id text, provider text, reference text, amount numeric, currency text, ts timestamptz);
CREATE TABLE hd_statement (LIKE hd_ledger);
INSERT INTO hd_ledger VALUES ('L1', 'alipay', 'R1', 10, 'CNY', '2025-03-01 10:00+08'),
                             ('L2', 'alipay', NULL, 20, 'CNY', '2025-03-01 10:05+08');
INSERT INTO hd_statement VALUES ('S1', 'alipay', 'R1', 10, 'CNY', '2025-03-01 10:00:05+08'),
                                ('S2', 'alipay', NULL, 20, 'CNY', '2025-03-01 10:05:03+08');
SELECT status, ledger_txn, statement_txn FROM qr_reconcile('hd_ledger', 'hd_statement') ORDER BY 2;
UPDATE hd_ledger SET amount = 'NaN' WHERE txn_id = 'L2';
SELECT * FROM qr_reconcile('hd_ledger', 'hd_statement');
\echo :LAST_ERROR_SQLSTATE
UPDATE hd_ledger SET amount = 20 WHERE txn_id = 'L2';
UPDATE hd_statement SET amount = 'Infinity' WHERE txn_id = 'S1';
SELECT * FROM qr_reconcile_detail('hd_ledger', 'hd_statement');
\echo :LAST_ERROR_SQLSTATE
UPDATE hd_statement SET amount = '-Infinity' WHERE txn_id = 'S1';
SELECT * FROM qr_break_summary('hd_ledger', 'hd_statement');
UPDATE hd_statement SET amount = 10 WHERE txn_id = 'S1';
-- infinite times are not measured: such rows are not paired by time
UPDATE hd_ledger SET ts = 'infinity' WHERE txn_id = 'L2';
UPDATE hd_statement SET ts = '-infinity' WHERE txn_id = 'S1';
SELECT status, ledger_txn, statement_txn, reason FROM qr_reconcile('hd_ledger', 'hd_statement') ORDER BY 2, 3;
SELECT * FROM qr_break_summary('hd_ledger', 'hd_statement');
-- the time pairing takes infinite times as no time
SELECT * FROM qr_pair_by_time(ARRAY['ledger', 'statement', 'statement'], ARRAY['a', 'b', 'c'],
                              ARRAY['infinity', '2025-03-01 10:00+08', '-infinity']::timestamptz[], '1 hour');
-- the widest window PostgreSQL can write is taken as it is
SELECT * FROM qr_pair_by_time(ARRAY['ledger', 'statement'], ARRAY['a', 'b'],
                              ARRAY['2000-01-01', '2025-03-01']::timestamptz[], '178000000 years');

-- routing at an infinite time answers as of that time (no rule begins or ends there)
SELECT status, network FROM qr_route('wxp://f2f0abc', 'wechatpay', 'infinity');
SELECT count(*) > 0 AS answered FROM qr_routes('wxp://f2f0abc', '-infinity');

RESET statement_timeout;
DROP TABLE hd_tx, hd_case, hd_ledger, hd_statement;
DROP FUNCTION hd_try(text, text, text);

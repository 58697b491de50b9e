--
-- The month through the back office: setup (this file), then test/month.sh
-- calls month_day(d) for each day (load the day's files, reconcile them),
-- then the checks of test/month/backoffice_checks.sql.
--
-- The generic provider's CSV goes through a named mapping.
INSERT INTO qr_statement_formats (name, provider, mapping, note)
SELECT 'unionpay_csv', 'unionpay', mapping, 'UnionPay daily CSV, as the month renders it' FROM month_unionpay_mapping;

-- The fees the providers agreed to (0.6% of every CNY payment), and the
-- rate of the UnionPay lines in dollars.
INSERT INTO qr_recon_fee_rates (provider, currency, rate, source)
SELECT provider, 'CNY', 0.006, 'the month''s agreement' FROM month_providers;
INSERT INTO qr_fx_rates (from_currency, to_currency, rate, source) VALUES ('USD', 'CNY', 7.1, 'the month''s rate');

CREATE TABLE month_loads (file int PRIMARY KEY REFERENCES month_files, batch bigint NOT NULL);
CREATE TABLE month_runs (day int PRIMARY KEY, run bigint NOT NULL UNIQUE);

-- The format a file is loaded as: on even days WeChat Pay and Alipay are
-- detected (NULL), on odd days named; UnionPay always by its mapping.
CREATE FUNCTION month_format(f month_files) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN f.format = 'unionpay_csv' THEN 'unionpay_csv' WHEN f.day % 2 = 0 THEN NULL ELSE f.format END
$$;

-- A day as the back office lives it: the day's files arrive and are loaded,
-- then the day is reconciled against the ledger.  Day -1 (no such day)
-- is the corrected WeChat Pay bill of correct_day, reconciled on its own.
CREATE FUNCTION month_day(d int) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    r bigint;
BEGIN
    INSERT INTO month_loads
    SELECT f.id, qr_statement_load(f.provider, f.file, month_format(f))
      FROM month_files f WHERE f.day = d AND f.edition = 1 ORDER BY f.id;
    r := qr_recon_run('month_ledger', (SELECT array_agg(l.batch ORDER BY l.batch) FROM month_loads l
                                         JOIN month_files f ON f.id = l.file WHERE f.day = d AND f.edition = 1),
                      '15 minutes', 0);
    INSERT INTO month_runs VALUES (d, r);
    RETURN r;
END $$;

-- What the checks call a statement line: its provider transaction, and
-- /refund reference for a refund (as month_statement.key).
CREATE VIEW month_line_keys AS
SELECT l.batch, l.line, l.provider_txn || coalesce('/' || nullif(l.refund_reference, '0'), '') AS key
FROM qr_statement_lines l;

-- A result row as the checks compare it: status|ledger txn|statement key;
-- break tells whether it is one (not matched, matched_group, refund_matched).
CREATE VIEW month_results AS
SELECT m.day, r.run, r.status, r.status || '|' || coalesce(r.ledger_txn, '') || '|' || coalesce(k.key, '') AS t,
       r.status NOT IN ('matched', 'matched_group', 'refund_matched') AS break
FROM qr_recon_results r
JOIN month_runs m ON m.run = r.run
LEFT JOIN month_line_keys k ON k.batch = r.batch AND k.line = r.line;

-- The row an injected break belongs to, and that row's reference (a
-- refund line's is its refund reference): the ledger row when the break
-- names one (missing_in_statement, amount_mismatch, outside_window,
-- duplicate_in_ledger, fee_mismatch, fx_difference, an ambiguous ledger
-- row), else the statement line (missing_in_ledger,
-- duplicate_in_statement, refund_orphan, an ambiguous line).
CREATE VIEW month_injected_rows AS
SELECT i.day, i.provider, i.kind, i.ledger_txn, i.statement_key, 'ledger' AS side, i.ledger_txn AS row_key, l.reference
FROM month_injected i JOIN month_ledger l ON l.txn_id = i.ledger_txn
UNION ALL
SELECT i.day, i.provider, i.kind, i.ledger_txn, i.statement_key, 'statement', i.statement_key,
       CASE WHEN s.status = 'REFUND' THEN s.refund_reference ELSE s.reference END
FROM month_injected i JOIN month_statement s ON s.key = i.statement_key AND s.edition = 1
WHERE i.ledger_txn IS NULL;

-- The breaks open when a day's run starts, as the month put them in:
-- every break injected on an earlier day but the midnight ones (LM, SN)
-- of days before the previous one, which the next day's run closed.  A
-- break is carried until its row is mended; only the midnight ones are.
CREATE VIEW month_open_before AS
SELECT m.day AS run_day, i.*
FROM month_runs m JOIN month_injected_rows i ON i.day < m.day
WHERE m.day >= 0
  AND NOT ((coalesce(i.ledger_txn, '') LIKE 'LM%' OR coalesce(i.statement_key, '') LIKE 'SN%') AND i.day < m.day - 1);

-- What each day's run must report besides matches: the breaks injected
-- that day, and every break of an earlier day still open, read again with
-- the rows that share its reference, so found again as it was: a
-- duplicate with its twin is a duplicate still, a mismatch with its line
-- a mismatch.  The midnight breaks of the day before are read again too,
-- but matched: their counterparts are in the day's rows.
CREATE FUNCTION month_break_text(kind text, ledger_txn text, statement_key text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT kind || '|' || coalesce(ledger_txn, '') || '|' || coalesce(statement_key, '') $$;
CREATE VIEW month_expected_results AS
SELECT i.day, month_break_text(i.kind, i.ledger_txn, i.statement_key) AS t FROM month_injected i
UNION ALL
SELECT o.run_day, month_break_text(o.kind, o.ledger_txn, o.statement_key) FROM month_open_before o
WHERE coalesce(o.ledger_txn, '') NOT LIKE 'LM%' AND coalesce(o.statement_key, '') NOT LIKE 'SN%';

-- The rows a day's run must read besides the day's own (the ledger's rows
-- of the day, the lines of the day's files): the row of each break open
-- when it starts, and every row of either side that shares the provider
-- and reference of one: ledger rows of any day, lines of the files loaded
-- so far (a refund line by its refund reference).  Named 'ledger txn_id'
-- or 'statement key'.
CREATE VIEW month_expected_carried_rows AS
WITH o AS (SELECT run_day, provider, side, row_key, reference FROM month_open_before)
SELECT o.run_day, 'ledger ' || l.txn_id AS row_name
FROM o JOIN month_ledger l ON l.txn_id = o.row_key
WHERE o.side = 'ledger' AND l.day <> o.run_day
UNION
SELECT o.run_day, 'ledger ' || l.txn_id
FROM o JOIN month_ledger l ON l.provider = o.provider AND l.reference = o.reference
WHERE l.day <> o.run_day
UNION
SELECT o.run_day, 'statement ' || s.key
FROM o JOIN month_statement s ON s.key = o.row_key AND s.edition = 1
WHERE o.side = 'statement' AND s.day < o.run_day
UNION
SELECT o.run_day, 'statement ' || s.key
FROM o JOIN month_statement s ON s.provider = o.provider AND s.edition = 1
                             AND CASE WHEN s.status = 'REFUND' THEN s.refund_reference ELSE s.reference END = o.reference
WHERE s.day < o.run_day;

--
-- The month through the back office: setup (this file), then test/month.sh
-- calls month_day(d) for each day (load the day's files, reconcile them),
-- then the checks of test/month/backoffice_checks.sql.
--
-- The generic provider's CSV goes through a named mapping.
INSERT INTO qr_statement_formats (name, provider, mapping, note)
SELECT 'unionpay_csv', 'unionpay', mapping, 'UnionPay daily CSV, as the month renders it' FROM month_unionpay_mapping;

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

-- A result row as the checks compare it: status|ledger txn|statement key.
CREATE VIEW month_results AS
SELECT m.day, r.run, r.status, r.status || '|' || coalesce(r.ledger_txn, '') || '|' || coalesce(k.key, '') AS t
FROM qr_recon_results r
JOIN month_runs m ON m.run = r.run
LEFT JOIN month_line_keys k ON k.batch = r.batch AND k.line = r.line;

-- What each day's run must report besides matches: the breaks injected
-- that day, and every break of an earlier day still open, read again.  A
-- break stays open until its counterpart arrives; only the midnight ones
-- (LM, SN) get one, in the next day's run.  Read again without the row it
-- doubled, a duplicate is a missing row.
CREATE FUNCTION month_break_text(kind text, ledger_txn text, statement_key text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT kind || '|' || coalesce(ledger_txn, '') || '|' || coalesce(statement_key, '') $$;
CREATE FUNCTION month_carried_kind(kind text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE kind WHEN 'duplicate_in_ledger' THEN 'missing_in_statement'
                     WHEN 'duplicate_in_statement' THEN 'missing_in_ledger' ELSE kind END
$$;
CREATE VIEW month_expected_results AS
SELECT i.day, month_break_text(i.kind, i.ledger_txn, i.statement_key) AS t FROM month_injected i
UNION ALL
SELECT m.day, month_break_text(month_carried_kind(i.kind), i.ledger_txn, i.statement_key)
FROM month_injected i JOIN month_runs m ON m.day > i.day
WHERE coalesce(i.ledger_txn, '') NOT LIKE 'LM%' AND coalesce(i.statement_key, '') NOT LIKE 'SN%';

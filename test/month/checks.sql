--
-- The assertions of test/month.sh.  month_check records each one and
-- returns the line the script prints: "ok  name" or "FAIL name: detail".
-- The script fails when a check failed, or when fewer ran than it expects.
--
CREATE TABLE month_checks (n serial PRIMARY KEY, phase text, name text NOT NULL, ok boolean NOT NULL, detail text);

CREATE FUNCTION month_check(phase text, name text, ok boolean, detail text DEFAULT NULL) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO month_checks (phase, name, ok, detail) VALUES (phase, name, coalesce(ok, false), detail);
    RETURN CASE WHEN coalesce(ok, false) THEN 'ok   ' || name
                ELSE 'FAIL ' || name || coalesce(': ' || left(detail, 300), ': (no answer)') END;
END $$;

-- Two multisets of text are equal: the check's detail names up to five
-- elements of each difference.
CREATE FUNCTION month_same(phase text, name text, expected text[], actual text[]) RETURNS text
LANGUAGE sql AS $$
    WITH missing AS (SELECT x FROM unnest(expected) x EXCEPT ALL SELECT x FROM unnest(actual) x),
         extra AS (SELECT x FROM unnest(actual) x EXCEPT ALL SELECT x FROM unnest(expected) x)
    -- an empty side is an empty array, never NULL: no check passes on nothing
    SELECT month_check(phase, name,
                       NOT EXISTS (SELECT FROM missing) AND NOT EXISTS (SELECT FROM extra),
                       format('%s expected, %s found; missing %s (%s); unexpected %s (%s)',
                              coalesce(cardinality(expected), 0), coalesce(cardinality(actual), 0),
                              (SELECT count(*) FROM missing), (SELECT string_agg(x, ' ') FROM (SELECT x FROM missing LIMIT 5) m),
                              (SELECT count(*) FROM extra), (SELECT string_agg(x, ' ') FROM (SELECT x FROM extra LIMIT 5) e)))
$$;

-- A statement line as the checks compare it, from what the month put in a
-- file and from what a reader made of it.  A refund counts as the negative
-- refund (WeChat Pay and the CSV carry the payment's amount beside the
-- refund; Alipay writes the negative takings); WeChat Pay writes "0" in
-- the refund columns of a payment.
CREATE FUNCTION month_line_text(provider text, provider_txn text, reference text, ts timestamptz, value numeric,
                                fee numeric, refund boolean, refund_reference text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT concat_ws('|', provider, provider_txn, reference, to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'),
                     value, fee, CASE WHEN refund THEN 'refund' END, refund_reference)
$$;
CREATE VIEW month_expected_lines AS
SELECT f.id AS file, month_line_text(s.provider, s.provider_txn, s.reference, s.ts,
                                     CASE WHEN s.status = 'REFUND' THEN -s.refund_amount ELSE s.amount END,
                                     s.fee, s.status = 'REFUND', s.refund_reference) AS line
FROM month_files f
JOIN month_statement s ON s.day = f.day AND s.provider = f.provider AND s.edition = f.edition
                      AND s.bill_type IS NOT DISTINCT FROM f.bill_type;
CREATE FUNCTION month_read_text(provider text, provider_txn text, reference text, ts timestamptz, amount numeric,
                                fee numeric, status text, refund_reference text, refund_amount numeric) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT month_line_text(provider, provider_txn, reference, ts,
                           CASE WHEN status IN ('REFUND', '退款') THEN coalesce(-nullif(refund_amount, 0), amount) ELSE amount END,
                           fee, status IN ('REFUND', '退款'), nullif(refund_reference, '0'))
$$;

--
-- A generated month for the back office: a ledger over three providers,
-- the breaks injected into it by rule, and each day's statement files
-- rendered as the providers deliver them (bytea, in every supported format
-- and variant).  Run by test/month.sh with psql variables days (days in the
-- month) and txns (ledger payments a day).  Everything here depends only on
-- those two numbers and correct_day, the day whose WeChat Pay bill is
-- sent again corrected (test/month/backoffice.sql).
--
-- Tables made:
--   month_providers    provider, the time zone its bills speak, its format
--   month_ledger       our side: txn_id, provider, reference, amount,
--                      currency, ts (the shape qr_match and qr_recon_run read),
--                      and parent_reference (a refund's payment, a
--                      payment's payout)
--   month_injected     every break put in, by day, provider, kind and row
--   month_kinds        every row given one of the statuses of 0.9.0
--                      (matched_group, refund_matched, refund_orphan,
--                      fee_mismatch, fx_difference, ambiguous)
--   month_statement    every line the providers' files hold, with the day
--                      (file) it lands in and the file it belongs to
--   month_files        the files: day, provider, format, bill type, variant,
--                      the bytes, and the totals their summaries must carry
--
SET TimeZone = 'Asia/Shanghai';
SET DateStyle = ISO;

-- WeChat Pay and Alipay bills speak China time; the generic provider's CSV
-- speaks UTC, so its days are other instants than the wallets' days.
CREATE TABLE month_providers (provider text PRIMARY KEY, time_zone text NOT NULL, format text NOT NULL);
INSERT INTO month_providers VALUES
    ('wechatpay', 'Asia/Shanghai', 'wechatpay'),
    ('alipay', 'Asia/Shanghai', 'alipay'),
    ('unionpay', 'UTC', 'unionpay_csv');

-- Day d (0-based) of the month starts at midnight of 2025-03-01 + d in the
-- provider's time zone.
CREATE FUNCTION month_day_start(d int, tz text) RETURNS timestamptz
LANGUAGE sql IMMUTABLE AS $$ SELECT (date '2025-03-01' + d)::timestamp AT TIME ZONE tz $$;

-- ----------------------------------------------------------------- ledger
-- Payment g (1-based over the month) is the i-th of its day; providers
-- 40% WeChat Pay, 30% Alipay, 30% UnionPay; one in twenty without a
-- reference (matched by amount and nearest time).  Payments are spread
-- over 00:00 to 23:50 local, so the provider's booking 5 s later never
-- crosses midnight by itself: the midnight cases below are put in on purpose.
CREATE TABLE month_ledger AS
SELECT 'L' || g AS txn_id, p.provider,
       CASE WHEN g % 20 = 7 THEN NULL ELSE 'ORD' || g END AS reference,
       round(((g * 7919) % 100000) / 100.0 + 1, 2) AS amount, 'CNY'::text AS currency,
       month_day_start(d, p.time_zone) + (i - 1) * (85800.0 / :txns) * interval '1 s' AS ts,
       g, d AS day, i
FROM generate_series(0, :days - 1) d
CROSS JOIN generate_series(1, :txns) i
CROSS JOIN LATERAL (SELECT d::bigint * :txns + i AS g) gg
JOIN month_providers p ON p.provider = (ARRAY['wechatpay', 'wechatpay', 'wechatpay', 'wechatpay', 'alipay', 'alipay',
                                              'alipay', 'unionpay', 'unionpay', 'unionpay'])[1 + g % 10];

-- ------------------------------------------------------------ the breaks
-- By rule on g % 997 (prime, so every provider gets every kind), among
-- payments with a reference; the kinds that move a booking later keep to
-- the first 80% of the day so that it stays in the same day's file.
--   1 missing_in_statement     the provider never saw it
--   2 amount_mismatch          the provider booked 0.50 more
--   3 outside_window           the provider booked it 2 hours later
--   4 duplicate_in_statement   the provider's file holds it twice
--   5 duplicate_in_ledger      we booked it twice
--   6 refund                   half refunded an hour later, on both sides (no break)
--   7 refund, missing_in_statement   our refund, not in the file
--   8 refund, missing_in_ledger      the file's refund, not booked by us
--   9 refund, amount_mismatch        the file refunds 0.30 more
--  10 two partial refunds           30% and 20%, an hour and two later, on both sides (no break)
--  11 fee_mismatch                  the provider's fee one cent over the rate's (0.6%)
--  12 fx_difference                 UnionPay only, 20.00 or more: the line in USD, rounded
--                                   to the cent and one cent over (1 USD = 7.1 CNY)
-- and payments without a reference whose g % 977 = 0: missing_in_statement.
-- Besides, each day and provider: a batch payout of five payments in one
-- line (matched_group), a refund line of an order we never had
-- (refund_orphan); and each day, for WeChat Pay, two equal payments
-- without a reference at the same instant and one line for them
-- (ambiguous, all three).
CREATE TABLE month_rule AS
SELECT g, CASE WHEN reference IS NULL THEN CASE WHEN g % 977 = 0 THEN 'noref_missing' END
               WHEN g % 997 IN (1, 2, 4, 5) THEN (ARRAY['missing', 'mismatch', NULL, 'dup_statement', 'dup_ledger'])[g % 997]
               WHEN g % 997 = 3 AND i <= :txns * 0.8 THEN 'outside'
               WHEN g % 997 BETWEEN 6 AND 9 AND i <= :txns * 0.8
               THEN (ARRAY['refund', 'refund_missing', 'refund_extra', 'refund_mismatch'])[g % 997 - 5]
               WHEN g % 997 = 10 AND i <= :txns * 0.8 THEN 'refund2'
               WHEN g % 997 = 11 THEN 'fee'
               WHEN g % 997 = 12 AND provider = 'unionpay' AND amount >= 20 THEN 'fx' END AS rule
FROM month_ledger;
DELETE FROM month_rule WHERE rule IS NULL;
CREATE UNIQUE INDEX ON month_rule (g);

-- a refund names its payment's reference as its parent
ALTER TABLE month_ledger ADD COLUMN parent_reference text;
-- refunds: half the payment, an hour later; or 30% an hour later and 20%
-- two hours later
INSERT INTO month_ledger
SELECT 'R' || l.g, l.provider, 'RF' || l.g, -round(l.amount / 2, 2), l.currency, l.ts + interval '1 hour', l.g, l.day, l.i,
       l.reference
FROM month_ledger l JOIN month_rule r USING (g) WHERE r.rule IN ('refund', 'refund_missing', 'refund_mismatch')
UNION ALL
SELECT 'R' || l.g || p.part, l.provider, 'RF' || l.g || p.part, -round(l.amount * p.share, 2), l.currency,
       l.ts + p.later, l.g, l.day, l.i, l.reference
FROM month_ledger l JOIN month_rule r USING (g)
CROSS JOIN (VALUES ('a', 0.3, interval '1 hour'), ('b', 0.2, interval '2 hours')) p (part, share, later)
WHERE r.rule = 'refund2';
-- our double booking
INSERT INTO month_ledger
SELECT l.txn_id || 'b', l.provider, l.reference, l.amount, l.currency, l.ts + interval '1 s', l.g, l.day, l.i
FROM month_ledger l JOIN month_rule r USING (g) WHERE r.rule = 'dup_ledger' AND l.txn_id LIKE 'L%';

-- ---------------------------------------------------- the statement lines
-- Each line: the file day it lands in, its fields, and key, the name the
-- checks know it by (provider_txn, and /refund reference for a refund line).
-- Fees as the wallets charge them: 0.6%, returned pro rata with a refund.
-- WeChat Pay's file for a day is one ALL bill, except every fifth day
-- (d % 5 = 2): a SUCCESS bill (20 columns) and a REFUND bill (29: its
-- 退款申请时间 and 退款成功时间 before the refund ids, which is how the
-- reader tells it) instead.
CREATE TABLE month_statement (
    day int, provider text, key text, provider_txn text, reference text, ts timestamptz,
    amount numeric, status text, refund_txn text, refund_reference text,
    refund_amount numeric, memo text, g bigint, edition int NOT NULL DEFAULT 1,
    currency text NOT NULL DEFAULT 'CNY', fee_over numeric NOT NULL DEFAULT 0,
    fee numeric GENERATED ALWAYS AS (CASE WHEN status = 'REFUND' THEN -round(refund_amount * 0.006, 2)
                                          ELSE round(amount * 0.006, 2) + fee_over END) STORED,
    bill_type text GENERATED ALWAYS AS (CASE WHEN provider <> 'wechatpay' THEN NULL WHEN day % 5 <> 2 THEN 'ALL'
                                             WHEN status = 'REFUND' THEN 'REFUND' ELSE 'SUCCESS' END) STORED
);
-- the payments, as the provider booked them
INSERT INTO month_statement
SELECT l.day, l.provider, 'S' || l.g, 'S' || l.g, l.reference,
       date_trunc('second', l.ts + CASE WHEN r.rule = 'outside' THEN interval '2 hours' ELSE interval '5 s' END),
       l.amount + CASE WHEN r.rule = 'mismatch' THEN 0.50 ELSE 0 END, 'SUCCESS', NULL, NULL, NULL,
       CASE WHEN l.g % 50 = 7 AND l.provider = 'unionpay' THEN E'Tea "Longjing", 250 g\nbox 2 of 3' ELSE 'Tea' END, l.g
FROM month_ledger l LEFT JOIN month_rule r USING (g)
WHERE l.txn_id LIKE 'L%' AND l.txn_id NOT LIKE '%b'
  AND coalesce(r.rule, '') NOT IN ('missing', 'noref_missing');
-- the provider's double line: its own transaction id, 9 s later
INSERT INTO month_statement
SELECT s.day, s.provider, s.key || 'b', s.provider_txn || 'b', s.reference, s.ts + interval '4 s', s.amount,
       'SUCCESS', NULL, NULL, NULL, s.memo, s.g
FROM month_statement s JOIN month_rule r USING (g) WHERE r.rule = 'dup_statement';
-- refunds: the provider's refund line names the payment and the refund
INSERT INTO month_statement
SELECT l.day, l.provider, 'S' || l.g || '/RF' || l.g, 'S' || l.g, l.reference, date_trunc('second', l.ts + interval '1 hour 5 s'),
       l.amount, 'REFUND', 'SR' || l.g, 'RF' || l.g,
       round(l.amount / 2, 2) + CASE WHEN r.rule = 'refund_mismatch' THEN 0.30 ELSE 0 END, 'Tea', l.g
FROM month_ledger l JOIN month_rule r USING (g)
WHERE l.txn_id = 'L' || l.g AND r.rule IN ('refund', 'refund_extra', 'refund_mismatch')
UNION ALL
SELECT l.day, l.provider, 'S' || l.g || '/RF' || l.g || p.part, 'S' || l.g, l.reference,
       date_trunc('second', l.ts + p.later + interval '5 s'), l.amount, 'REFUND', 'SR' || l.g || p.part, 'RF' || l.g || p.part,
       round(l.amount * p.share, 2), 'Tea', l.g
FROM month_ledger l JOIN month_rule r USING (g)
CROSS JOIN (VALUES ('a', 0.3, interval '1 hour'), ('b', 0.2, interval '2 hours')) p (part, share, later)
WHERE l.txn_id = 'L' || l.g AND r.rule = 'refund2';
-- the fee one cent over; the line in dollars
UPDATE month_statement s SET fee_over = 0.01 FROM month_rule r
WHERE r.g = s.g AND r.rule = 'fee' AND s.status = 'SUCCESS';
UPDATE month_statement s SET currency = 'USD', amount = round(s.amount / 7.1, 2) + 0.01 FROM month_rule r
WHERE r.g = s.g AND r.rule = 'fx' AND s.status = 'SUCCESS';
-- three lines a day and provider that we never booked
INSERT INTO month_statement
SELECT d, p.provider, format('X%s-%s-%s', d, p.provider, k), format('X%s-%s-%s', d, p.provider, k),
       format('EXTRA-%s-%s-%s', d, p.provider, k), month_day_start(d, p.time_zone) + interval '12 hours' + k * interval '1 min',
       10 + k, 'SUCCESS', NULL, NULL, NULL, 'Tea', NULL
FROM generate_series(0, :days - 1) d, month_providers p, generate_series(1, 3) k;
-- Around midnight, each day and provider:
--   M: we book at 23:59:58, the provider at 00:00:03 the next day, so the
--      line is in the next day's file: day d opens missing_in_statement,
--      day d + 1's run closes it;
--   N: the provider books at 23:59:59, we at 00:00:01 the next day: day d
--      opens missing_in_ledger, day d + 1's run closes it.
-- The last day's counterparts fall after the month: those breaks stay open.
-- WeChat Pay's correct_day has none of them: its corrected bill is
-- reconciled again on its own (test/month/backoffice.sql), and a day
-- reconciled again after the next one has pairs across midnight that the
-- run of that day alone cannot see.
CREATE TABLE month_midnight AS
SELECT d, p.provider, p.time_zone FROM generate_series(0, :days - 1) d, month_providers p
WHERE NOT (p.provider = 'wechatpay' AND d IN (:correct_day - 1, :correct_day));
INSERT INTO month_ledger
SELECT format('LM%s-%s', d, p.provider), p.provider, format('MID-M%s-%s', d, p.provider), 88.88, 'CNY',
       month_day_start(d + 1, p.time_zone) - interval '2 s', NULL::bigint, d, NULL::bigint
FROM month_midnight p
UNION ALL
SELECT format('LN%s-%s', d, p.provider), p.provider, format('MID-N%s-%s', d, p.provider), 77.77, 'CNY',
       month_day_start(d + 1, p.time_zone) + interval '1 s', NULL::bigint, d + 1, NULL::bigint
FROM month_midnight p WHERE d < :days - 1;
INSERT INTO month_statement
SELECT d + 1, p.provider, format('SM%s-%s', d, p.provider), format('SM%s-%s', d, p.provider), format('MID-M%s-%s', d, p.provider),
       month_day_start(d + 1, p.time_zone) + interval '3 s', 88.88, 'SUCCESS', NULL, NULL, NULL::numeric, 'Tea', NULL::bigint
FROM month_midnight p WHERE d < :days - 1
UNION ALL
SELECT d, p.provider, format('SN%s-%s', d, p.provider), format('SN%s-%s', d, p.provider), format('MID-N%s-%s', d, p.provider),
       month_day_start(d + 1, p.time_zone) - interval '1 s', 77.77, 'SUCCESS', NULL, NULL, NULL, 'Tea', NULL
FROM month_midnight p;

-- Each day and provider, at 12:30 and after: five payments of 11.00 to
-- 15.00 paid out together in one line of 65.00 under the payout's
-- reference (P); at 13:30 a refund line of an order we never had (O).
-- Each day at 13:00, for WeChat Pay: two payments of 0.37 without a
-- reference at the same instant, and one line of 0.37 five seconds later
-- (A).  No payment of the month is under 1.00, so nothing else pairs or
-- adds up with them.
INSERT INTO month_ledger
SELECT format('LP%s-%s-%s', d, p.provider, k), p.provider, format('PORD%s-%s-%s', d, p.provider, k), 10.00 + k, 'CNY',
       month_day_start(d, p.time_zone) + interval '12 hours 30 minutes' + k * interval '1 minute', NULL::bigint, d, NULL::bigint,
       format('PO%s-%s', d, p.provider)
FROM generate_series(0, :days - 1) d, month_providers p, generate_series(1, 5) k
UNION ALL
SELECT format('LA%s%s', d, part), 'wechatpay', NULL, 0.37, 'CNY', month_day_start(d, 'Asia/Shanghai') + interval '13 hours',
       NULL, d, NULL, NULL
FROM generate_series(0, :days - 1) d, (VALUES ('a'), ('b')) x (part);
INSERT INTO month_statement (day, provider, key, provider_txn, reference, ts, amount, status, refund_txn, refund_reference,
                             refund_amount, memo, g)
SELECT d, p.provider, format('SP%s-%s', d, p.provider), format('SP%s-%s', d, p.provider), format('PO%s-%s', d, p.provider),
       month_day_start(d, p.time_zone) + interval '12 hours 40 minutes', 65.00, 'SUCCESS', NULL, NULL, NULL::numeric, 'Tea', NULL::bigint
FROM generate_series(0, :days - 1) d, month_providers p
UNION ALL
SELECT d, p.provider, format('SO%s-%s/RFO%s-%s', d, p.provider, d, p.provider), format('SO%s-%s', d, p.provider),
       format('ORPHAN%s-%s', d, p.provider), month_day_start(d, p.time_zone) + interval '13 hours 30 minutes', 30.00, 'REFUND',
       format('SRO%s-%s', d, p.provider), format('RFO%s-%s', d, p.provider), 12.00, 'Tea', NULL
FROM generate_series(0, :days - 1) d, month_providers p
UNION ALL
SELECT d, 'wechatpay', format('SA%s', d), format('SA%s', d), NULL, month_day_start(d, 'Asia/Shanghai') + interval '13 hours 5 s',
       0.37, 'SUCCESS', NULL, NULL, NULL, 'Tea', NULL
FROM generate_series(0, :days - 1) d;

-- ------------------------------------------------------------- injected
-- What the month's runs must find, day by day: the kind qr_reconcile gives
-- the row in the run of the day it belongs to, and the row (ledger txn_id
-- or statement key).  Midnight breaks close in the next day's run.
CREATE TABLE month_injected AS
SELECT l.day, l.provider, CASE r.rule WHEN 'missing' THEN 'missing_in_statement' WHEN 'noref_missing' THEN 'missing_in_statement'
                               WHEN 'refund_missing' THEN 'missing_in_statement' WHEN 'mismatch' THEN 'amount_mismatch'
                               WHEN 'refund_mismatch' THEN 'amount_mismatch' WHEN 'outside' THEN 'outside_window' END AS kind,
       l.txn_id AS ledger_txn,
       CASE WHEN r.rule IN ('mismatch', 'outside') THEN 'S' || l.g WHEN r.rule = 'refund_mismatch' THEN 'S' || l.g || '/RF' || l.g END AS statement_key
FROM month_ledger l JOIN month_rule r USING (g)
WHERE (l.txn_id = 'L' || l.g AND r.rule IN ('missing', 'noref_missing', 'mismatch', 'outside'))
   OR (l.txn_id = 'R' || l.g AND r.rule IN ('refund_missing', 'refund_mismatch'))
UNION ALL
SELECT l.day, l.provider, CASE r.rule WHEN 'fee' THEN 'fee_mismatch' ELSE 'fx_difference' END, l.txn_id, 'S' || l.g
FROM month_ledger l JOIN month_rule r USING (g) WHERE l.txn_id = 'L' || l.g AND r.rule IN ('fee', 'fx')
UNION ALL
SELECT s.day, s.provider, 'refund_orphan', NULL, s.key FROM month_statement s WHERE s.key LIKE 'SO%'
UNION ALL
SELECT l.day, l.provider, 'ambiguous', l.txn_id, NULL FROM month_ledger l WHERE l.txn_id LIKE 'LA%'
UNION ALL
SELECT s.day, s.provider, 'ambiguous', NULL, s.key FROM month_statement s WHERE s.key LIKE 'SA%'
UNION ALL
SELECT l.day, l.provider, 'duplicate_in_ledger', l.txn_id, NULL
FROM month_ledger l JOIN month_rule r USING (g) WHERE r.rule = 'dup_ledger' AND l.txn_id LIKE '%b'
UNION ALL
SELECT s.day, s.provider, 'duplicate_in_statement', NULL, s.key
FROM month_statement s JOIN month_rule r USING (g) WHERE r.rule = 'dup_statement' AND s.key LIKE '%b'
UNION ALL
SELECT s.day, s.provider, 'missing_in_ledger', NULL, s.key
FROM month_statement s LEFT JOIN month_rule r USING (g)
WHERE s.key LIKE 'X%' OR r.rule = 'refund_extra' AND s.status = 'REFUND'
UNION ALL
SELECT l.day, l.provider, 'missing_in_statement', l.txn_id, NULL FROM month_ledger l WHERE l.txn_id LIKE 'LM%'
UNION ALL
SELECT s.day, s.provider, 'missing_in_ledger', NULL, s.key FROM month_statement s WHERE s.key LIKE 'SN%';

-- Every row that gets one of the statuses of 0.9.0 in the run of its day:
-- the breaks among them (month_injected), the payouts' rows
-- (matched_group) and the refunds found with their payments
-- (refund_matched: the ledger refund with the provider's line).
CREATE TABLE month_kinds AS
SELECT day, provider, kind, ledger_txn, statement_key FROM month_injected
WHERE kind IN ('refund_orphan', 'fee_mismatch', 'fx_difference', 'ambiguous')
UNION ALL
SELECT day, provider, 'matched_group', txn_id, NULL FROM month_ledger WHERE txn_id LIKE 'LP%'
UNION ALL
SELECT day, provider, 'matched_group', NULL, key FROM month_statement WHERE key LIKE 'SP%'
UNION ALL
SELECT l.day, l.provider, 'refund_matched', l.txn_id, 'S' || l.g || '/' || l.reference
FROM month_ledger l JOIN month_rule r USING (g)
WHERE r.rule IN ('refund', 'refund2') AND l.txn_id LIKE 'R%';

-- ---------------------------------------------------------------- files
-- WeChat Pay: a BOM on days d % 6 = 1, CRLF line ends
-- on days d % 4 = 3.  Alipay: GBK, # preface and footer, tab padding,
-- CRLF on days d % 3 = 0.  UnionPay: a generic CSV through a column
-- mapping, with a BOM on odd days and CRLF on even days; every fiftieth
-- line's memo is quoted and holds a comma, doubled quotes and a newline.
CREATE INDEX ON month_statement (day, provider, bill_type, edition);

CREATE TABLE month_files (
    id serial PRIMARY KEY, day int NOT NULL, provider text NOT NULL, edition int NOT NULL, format text NOT NULL, bill_type text,
    bom boolean NOT NULL, crlf boolean NOT NULL, lines int NOT NULL, amount numeric, refund_amount numeric, fee numeric,
    file bytea NOT NULL
);
ALTER TABLE month_files ALTER COLUMN file SET STORAGE EXTERNAL;    -- compressing costs more than it saves here

-- A field as WeChat Pay writes it: a backtick before the value.
CREATE FUNCTION month_wechat_line(s month_statement) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN s.bill_type = 'SUCCESS' THEN
        format('`%s,`wx8888888888888888,`1900000109,`0,`0,`%s,`%s,`oUser%s,`NATIVE,`%s,`CMB_CREDIT,`CNY,`%s,`0.00,`%s,`,`%s,`0.60%%,`%s,`',
               to_char(s.ts AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'), s.provider_txn, coalesce(s.reference, ''),
               s.g, s.status, s.amount, s.memo, s.fee, s.amount)
    ELSE
        format('`%s,`wx8888888888888888,`1900000109,`0,`0,`%s,`%s,`oUser%s,`NATIVE,`%s,`CMB_CREDIT,`CNY,`%s,`0.00,%s`%s,`%s,`%s,`0.00,`%s,`%s,`%s,`,`%s,`0.60%%,`%s,`%s,`',
               to_char(s.ts AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'), s.provider_txn, coalesce(s.reference, ''),
               s.g, s.status, s.amount,
               -- the REFUND bill's 退款申请时间 and 退款成功时间 (the refund
               -- applied for at its booking, done two seconds later)
               CASE WHEN s.bill_type = 'REFUND' THEN
                   format('`%s,`%s,', to_char(s.ts AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'),
                          to_char((s.ts + interval '2 s') AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS')) ELSE '' END,
               coalesce(s.refund_txn, '0'), coalesce(s.refund_reference, '0'),
               coalesce(s.refund_amount, 0.00), CASE WHEN s.refund_txn IS NOT NULL THEN 'ORIGINAL' ELSE '' END,
               CASE WHEN s.refund_txn IS NOT NULL THEN 'SUCCESS' ELSE '' END, s.memo, s.fee, s.amount,
               coalesce(s.refund_amount, 0.00))
    END
$$;

-- An Alipay 业务明细 line: fields padded with a tab; a refund is 退款 with
-- the merchant's takings negative and the refund's request number.
CREATE FUNCTION month_alipay_line(s month_statement) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT format(E'%s\t,%s\t,%s\t,%s\t,%s\t,%s\t,\t,\t,\t,\t,buyer%s@example.com\t,%s\t,%s\t,0.00\t,0.00\t,0.00\t,0.00\t,0.00\t,\t,0.00\t,0.00\t,%s\t,%s\t,0.00\t,\t',
                  s.provider_txn, coalesce(s.reference, ''), CASE WHEN s.status = 'REFUND' THEN '退款' ELSE '交易' END, s.memo,
                  to_char(s.ts AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'),
                  to_char(s.ts AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'), s.g, s.amount,
                  CASE WHEN s.status = 'REFUND' THEN -s.refund_amount ELSE s.amount END,
                  coalesce(s.refund_reference, ''), s.fee)
$$;

-- A UnionPay CSV line: RFC 4180 quoting where a field needs it.
CREATE FUNCTION month_csv_field(v text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN v ~ '[",\r\n]' THEN '"' || replace(v, '"', '""') || '"' ELSE coalesce(v, '') END
$$;
CREATE FUNCTION month_unionpay_line(s month_statement) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT array_to_string(ARRAY[to_char(s.ts AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), s.provider_txn, s.reference,
                                 s.amount::text, s.currency, s.fee::text, s.status, s.refund_txn, s.refund_reference,
                                 s.refund_amount::text, month_csv_field(s.memo)], ',', '')
$$;

-- The column mapping the back office registers for UnionPay's CSV.
CREATE TABLE month_unionpay_mapping AS
SELECT jsonb_build_object(
    'columns', jsonb_build_object('ts', 'txn_time', 'provider_txn', 'txn_id', 'reference', 'order_id', 'amount', 'amount',
                                  'currency', 'currency', 'fee', 'fee', 'status', 'state', 'refund_txn', 'refund_id',
                                  'refund_reference', 'refund_order', 'refund_amount', 'refund_amount'),
    'delimiter', ',', 'time_zone', 'UTC', 'encoding', 'UTF8') AS mapping;

-- One file per (day, provider, bill type, edition); WeChat's summary line
-- totals every line's 应结订单金额, 退款金额 and 手续费 and counts the lines.
-- month_render describes the files of one edition (1: as first sent; 2:
-- the corrected bill), month_file_bytes makes their bytes.
CREATE FUNCTION month_render(only_edition int) RETURNS SETOF month_files LANGUAGE sql AS $$
    SELECT NULL::int, s.day, s.provider, s.edition, p.format, s.bill_type,
           CASE s.provider WHEN 'wechatpay' THEN s.day % 6 = 1 WHEN 'unionpay' THEN s.day % 2 = 1 ELSE false END AS bom,
           CASE s.provider WHEN 'wechatpay' THEN s.day % 4 = 3 WHEN 'alipay' THEN s.day % 3 = 0 ELSE s.day % 2 = 0 END AS crlf,
           count(*)::int,
           -- the amount column as the file prints it: Alipay's 商家实收 is
           -- the refund, negative, on a 退款 line
           sum(CASE WHEN s.provider = 'alipay' AND s.status = 'REFUND' THEN -s.refund_amount ELSE s.amount END),
           sum(s.refund_amount), sum(s.fee),
           NULL::bytea
    FROM month_statement s JOIN month_providers p USING (provider)
    WHERE s.edition = only_edition
    GROUP BY s.day, s.provider, s.edition, p.format, s.bill_type
$$;
CREATE FUNCTION month_file_bytes(f month_files) RETURNS bytea LANGUAGE plpgsql AS $$
DECLARE
    body text;
    eol text := CASE WHEN f.crlf THEN E'\r\n' ELSE E'\n' END;
    day_from text := to_char(date '2025-03-01' + f.day, 'YYYY"年"MM"月"DD"日"');
    day_to text := to_char(date '2025-03-01' + f.day + 1, 'YYYY"年"MM"月"DD"日"');
    refunds int;
BEGIN
    IF f.provider = 'wechatpay' THEN
        SELECT string_agg(month_wechat_line(s), eol ORDER BY s.ts, s.key) INTO body
          FROM month_statement s
         WHERE s.day = f.day AND s.provider = f.provider AND s.bill_type = f.bill_type AND s.edition = f.edition;
        body := CASE WHEN f.bill_type = 'SUCCESS'
                     THEN '交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,商品名称,商户数据包,手续费,费率,订单金额,费率备注'
                     WHEN f.bill_type = 'REFUND'
                     THEN '交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,退款申请时间,退款成功时间,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注'
                     ELSE '交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注' END
             || eol || body || eol
             || '总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额' || eol
             || format('`%s,`%s,`%s,`0.00,`%s,`%s,`%s', f.lines, f.amount, coalesce(f.refund_amount, 0.00), f.fee,
                       f.amount, coalesce(f.refund_amount, 0.00)) || eol;
    ELSIF f.provider = 'alipay' THEN
        SELECT string_agg(month_alipay_line(s), eol ORDER BY s.ts, s.key), count(*) FILTER (WHERE s.status = 'REFUND')
          INTO body, refunds
          FROM month_statement s WHERE s.day = f.day AND s.provider = f.provider AND s.edition = f.edition;
        RETURN convert_to(
            '#支付宝业务明细查询' || eol || '#账号：[20881234567890]' || eol
            || format('#起始日期：[%s 00:00:00]   终止日期：[%s 00:00:00]', day_from, day_to) || eol
            || '#-----------------------------------------业务明细列表----------------------------------------' || eol
            || '支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注'
            || eol || body || eol
            || '#-----------------------------------------业务明细列表结束------------------------------------' || eol
            -- 交易合计 counts every line of the list, as the reader takes it
            || format('#交易合计：%s笔，退款合计：%s笔', f.lines, refunds) || eol
            || format('#导出时间：[%s 09:00:00]', day_to), 'GBK');
    ELSE
        SELECT string_agg(month_unionpay_line(s), eol ORDER BY s.ts, s.key) INTO body
          FROM month_statement s WHERE s.day = f.day AND s.provider = f.provider AND s.edition = f.edition;
        body := 'txn_time,txn_id,order_id,amount,currency,fee,state,refund_id,refund_order,refund_amount,memo' || eol || body || eol;
    END IF;
    RETURN CASE WHEN f.bom THEN '\xefbbbf'::bytea ELSE '' END || convert_to(body, 'UTF8');
END $$;

-- The files are made by test/month.sh in two sessions at once, each
-- rendering the days d % 2 = part: SELECT month_render_files(1, part).
CREATE FUNCTION month_render_files(edition int, part int) RETURNS bigint LANGUAGE sql AS $$
    WITH made AS (
        INSERT INTO month_files (day, provider, edition, format, bill_type, bom, crlf, lines, amount, refund_amount, fee, file)
        SELECT f.day, f.provider, f.edition, f.format, f.bill_type, f.bom, f.crlf, f.lines, f.amount, f.refund_amount, f.fee,
               month_file_bytes(f)
        FROM month_render(edition) f WHERE f.day % 2 = part ORDER BY f.day, f.provider, f.bill_type
        RETURNING 1)
    SELECT count(*) FROM made
$$;
ANALYZE month_ledger;
ANALYZE month_statement;

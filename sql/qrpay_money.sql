-- currency minor units (ISO 4217) and amounts rounded to them
SELECT p.proname, p.provolatile, p.proisstrict, p.proparallel, pg_catalog.format_type(p.prorettype, NULL) AS returns
FROM pg_proc p WHERE p.proname IN ('qr_minor_unit', 'qr_round_amount') ORDER BY 1;
-- by letters in either case or by number; NULL where ISO 4217 lists no
-- minor unit (N.A.) or does not list the code
SELECT u.code, qr_minor_unit(u.code) AS minor_unit
FROM unnest(ARRAY['JPY', 'jpy', 'Cny', 'CNY', 'BHD', 'KWD', 'CLF', 'UYW', 'HRK', 'XAU', 'XDR', 'XXX',
                  '392', '156', '048', '990', '959', '000', 'ABC', 'JP', 'JPYY', ' JPY', 'JPY ', '',
                  '39', '3920', '+92', 'ＪＰＹ']) WITH ORDINALITY u(code, i) ORDER BY u.i;
SELECT qr_minor_unit(NULL) IS NULL AS null_gives_null;
-- the letters and the numbers name the same currencies
WITH letters AS (SELECT chr(65 + a) || chr(65 + b) || chr(65 + c) AS code
                   FROM generate_series(0, 25) a, generate_series(0, 25) b, generate_series(0, 25) c),
     digits AS (SELECT lpad(n::text, 3, '0') AS code FROM generate_series(0, 999) n)
SELECT 'letters' AS named_by, qr_minor_unit(code) AS minor_unit, count(*) FROM letters
 WHERE qr_minor_unit(code) IS NOT NULL GROUP BY 2
UNION ALL
SELECT 'digits', qr_minor_unit(code), count(*) FROM digits WHERE qr_minor_unit(code) IS NOT NULL GROUP BY 2
ORDER BY 1, 2;
-- a numeric code is text: '392', not 392
SELECT qr_minor_unit(392);
\echo :LAST_ERROR_SQLSTATE

-- rounding half away from zero to the minor unit; 4 decimals without one
SELECT r.amount, r.currency, qr_round_amount(r.amount, r.currency) AS rounded
FROM (VALUES (2.5, 'JPY'), (-2.5, 'JPY'), (1234.4999, 'jpy'), (5.1, '392'),
             (1.005, 'CNY'), (-1.005, 'CNY'), (5, 'CNY'), (0.0005, 'BHD'), (-0.0005, 'BHD'), (12.3456, 'KWD'),
             (12.34565, 'CLF'), (1.23455, 'XAU'), (1.23455, 'ABC'), (1.23455, ' CNY'), (1.23455, NULL),
             (123456789012345678901234567890.5, 'JPY'), (0, 'JPY'), (-0.4, 'JPY'))
     r(amount, currency);
-- NULL, NaN and infinities
SELECT qr_round_amount(NULL, 'JPY') IS NULL AS null_amount, qr_round_amount(NULL, NULL) IS NULL AS both_null,
       qr_round_amount('NaN', 'JPY') AS nan, qr_round_amount('Infinity', 'CNY') AS inf,
       qr_round_amount('-Infinity', NULL) AS minus_inf;
SELECT qr_round_amount('ten', 'JPY');
\echo :LAST_ERROR_SQLSTATE
-- immutable: usable in an index expression
CREATE TEMP TABLE minor_amounts (amount numeric, currency text);
CREATE INDEX ON minor_amounts ((qr_round_amount(amount, currency)));
DROP TABLE minor_amounts;
-- clearing: a fee is rounded to the minor unit of the payment's currency:
-- yen without decimals, Bahraini dinars to the fils (3), yuan to the fen
-- (2), gold (no minor unit) to 4 decimals
BEGIN;
SET LOCAL DateStyle = ISO;
INSERT INTO qr_fee_rates (payer, payee, via, rate, fixed, source) VALUES
    ('alipay', 'unionpay', 'netsunion', 0.006, 0, 'minor unit test tariff');
CREATE TABLE minor_routed (ts timestamptz, currency text, amount numeric, payer text, network text, via text);
INSERT INTO minor_routed VALUES
    ('2025-03-01 10:00+08', 'JPY', 12345, 'alipay', 'unionpay', 'netsunion'),
    ('2025-03-01 10:01+08', 'JPY', 1250, 'alipay', 'unionpay', 'netsunion'),
    ('2025-03-01 10:02+08', 'JPY', -1250, 'alipay', 'unionpay', 'netsunion'),
    ('2025-03-01 10:03+08', 'BHD', 12.345, 'alipay', 'unionpay', 'netsunion'),
    ('2025-03-01 10:04+08', 'BHD', 20.250, 'alipay', 'unionpay', 'netsunion'),
    ('2025-03-01 10:05+08', 'CNY', 123.45, 'alipay', 'unionpay', 'netsunion'),
    ('2025-03-01 10:06+08', 'CNY', 0.75, 'alipay', 'unionpay', 'netsunion'),
    ('2025-03-01 10:07+08', 'XAU', 1.23456, 'alipay', 'unionpay', 'netsunion');
-- each payment's fee: exact, to cents, and to the currency's minor unit
SELECT currency, amount, amount * 0.006 AS exact_fee, round(amount * 0.006, 2) AS to_cents,
       qr_round_amount(amount * 0.006, currency) AS fee
FROM minor_routed ORDER BY ts;
SELECT * FROM qr_clearing('minor_routed');
SELECT * FROM qr_settlement('minor_routed');
-- every currency's positions and transfers balance at its own precision
SELECT c.currency, sum(c.net) AS sums_to, sum(c.fees) AS fees,
       bool_and(scale(c.fees) <= coalesce(qr_minor_unit(c.currency), 4)) AS fees_at_minor_unit
FROM qr_clearing('minor_routed') c GROUP BY 1 ORDER BY 1;
ROLLBACK;

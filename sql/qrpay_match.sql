--
-- qr_match: known answers for every status.  Small crafted ledgers and
-- statements, one case each, with the optional columns parent_reference,
-- kind, fee (statement) and context (ledger); each case's answer is
-- written above its query, derived from the rules by hand.  Then every
-- input row in exactly one result row, the same result at any work_mem,
-- and the errors with their SQLSTATE.
--
\set VERBOSITY default
SET TimeZone = 'UTC';
SET DateStyle = ISO;
SET client_min_messages = warning;

-- a time of 2025-03-01 (UTC) written as 'HH:MI[:SS]', or a whole timestamp
CREATE FUNCTION km_t(t text) RETURNS timestamptz LANGUAGE sql IMMUTABLE AS $$
    SELECT (CASE WHEN t ~ '^\d\d:' THEN '2025-03-01 ' || t ELSE t END || '+00')::timestamptz
$$;

-- every case's rows, told apart by c; provider wechatpay and CNY unless said
CREATE TABLE km_l (c text NOT NULL, txn_id text NOT NULL, provider text NOT NULL DEFAULT 'wechatpay',
                   reference text, parent_reference text, kind text, amount numeric,
                   currency text NOT NULL DEFAULT 'CNY', ts timestamptz, context boolean NOT NULL DEFAULT false);
CREATE TABLE km_s (c text NOT NULL, txn_id text NOT NULL, provider text NOT NULL DEFAULT 'wechatpay',
                   reference text, parent_reference text, kind text, amount numeric,
                   currency text NOT NULL DEFAULT 'CNY', ts timestamptz, fee numeric);

-- each call and its result rows
CREATE TABLE km_runs (run serial PRIMARY KEY, c text NOT NULL, settings jsonb);
CREATE TABLE km_out (run int NOT NULL, status text, ledger_txn text, statement_txn text, amount_diff numeric,
                     reason text, group_id bigint, candidates text[], original_txn text, net_amount numeric,
                     fee numeric, expected_fee numeric, fx_rate numeric);
-- A result row as one line: status, ledger txn, statement txn ('-' when
-- unset), then those of these that are set: d amount_diff, g the group
-- (named by its first member), c candidates, o original_txn, n net_amount,
-- f fee, e expected_fee, x fx_rate (to six places).  Numbers without
-- trailing zeros.
CREATE VIEW km_lines AS
SELECT run, coalesce(ledger_txn, statement_txn) AS k, statement_txn AS k2, reason,
       concat_ws(' ', status, coalesce(ledger_txn, '-'), coalesce(statement_txn, '-'),
                 'd=' || trim_scale(amount_diff),
                 'g=' || CASE WHEN group_id IS NOT NULL
                              THEN min(coalesce(ledger_txn, statement_txn) COLLATE "C") OVER (PARTITION BY run, group_id) END,
                 'c=' || (SELECT string_agg(x, ',' ORDER BY x COLLATE "C") FROM unnest(candidates) x),
                 'o=' || original_txn, 'n=' || trim_scale(net_amount), 'f=' || trim_scale(fee),
                 'e=' || trim_scale(expected_fee), 'x=' || trim_scale(round(fx_rate, 6))) AS line
FROM km_out;

-- qr_match over one case's rows (views km_lv and km_sv), recorded in km_out
CREATE FUNCTION km_record(kcase text, ksettings jsonb DEFAULT NULL) RETURNS int LANGUAGE plpgsql AS $$
DECLARE
    r int;
BEGIN
    EXECUTE format('CREATE OR REPLACE TEMP VIEW km_lv AS SELECT * FROM km_l WHERE c = %L', kcase);
    EXECUTE format('CREATE OR REPLACE TEMP VIEW km_sv AS SELECT * FROM km_s WHERE c = %L', kcase);
    INSERT INTO km_runs (c, settings) VALUES (kcase, ksettings) RETURNING run INTO r;
    INSERT INTO km_out
    SELECT r, m.status, m.ledger_txn, m.statement_txn, m.amount_diff, m.reason, m.group_id, m.candidates,
           m.original_txn, m.net_amount, m.fee, m.expected_fee, m.fx_rate
      FROM qr_match('km_lv', 'km_sv', ksettings) m;
    RETURN r;
END $$;
-- the same, shown line by line, by ledger txn (else statement txn)
CREATE FUNCTION km_show(kcase text, ksettings jsonb DEFAULT NULL) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    r int := km_record(kcase, ksettings);
BEGIN
    RETURN QUERY SELECT x.line FROM km_lines x WHERE x.run = r ORDER BY x.k COLLATE "C", x.k2 COLLATE "C";
END $$;

-- the user's tables the engine reads are set aside, and given back at the end
CREATE TABLE km_saved_settings AS SELECT * FROM qr_recon_settings;
CREATE TABLE km_saved_fee_rates AS SELECT * FROM qr_recon_fee_rates;
CREATE TABLE km_saved_fx_rates AS SELECT * FROM qr_fx_rates;
DELETE FROM qr_recon_settings;
DELETE FROM qr_recon_fee_rates;
DELETE FROM qr_fx_rates;

-- ---------------------------------------------------------------------
-- by reference, one row a side: matched, amount_mismatch, outside_window,
-- missing_in_*, duplicate_in_* (defaults: 15 minutes, tolerance 0)
-- ---------------------------------------------------------------------
INSERT INTO km_l (c, txn_id, reference, amount, ts) VALUES
    ('ref', 'L1', 'R1', 10.00, km_t('10:00')),
    ('ref', 'L2', 'R2', 20.00, km_t('10:00')),
    ('ref', 'L3', 'R3', 30.00, km_t('10:00')),
    ('ref', 'L4', 'R4', 40.00, km_t('10:00')),
    ('ref', 'L6', 'R6', 60.00, km_t('10:00')),
    ('ref', 'L6b', 'R6', 60.00, km_t('10:00:01')),
    ('ref', 'L7', 'R7', 70.00, km_t('10:00'));
INSERT INTO km_s (c, txn_id, reference, amount, ts) VALUES
    ('ref', 'S1', 'R1', 10.00, km_t('10:00:05')),
    ('ref', 'S2', 'R2', 20.50, km_t('10:01')),
    ('ref', 'S3', 'R3', 30.00, km_t('12:00')),
    ('ref', 'S5', 'R5', 50.00, km_t('10:00')),
    ('ref', 'S6', 'R6', 60.00, km_t('10:00:10')),
    ('ref', 'S7', 'R7', 70.00, km_t('10:00:05')),
    ('ref', 'S7b', 'R7', 70.00, km_t('10:00:09'));
-- R6 and R7 repeat on one side and the sums differ (120 vs 60, 70 vs 140):
-- each side's earliest row is reconciled, the other is a duplicate.  R3's
-- rows are 2 hours apart.
--   matched L1 S1 d=0
--   amount_mismatch L2 S2 d=0.5
--   outside_window L3 S3 d=0
--   missing_in_statement L4 -
--   matched L6 S6 d=0
--   duplicate_in_ledger L6b -
--   matched L7 S7 d=0
--   missing_in_ledger - S5
--   duplicate_in_statement - S7b
SELECT * FROM km_show('ref');

-- ---------------------------------------------------------------------
-- the window's edges, and date_lag: a statement row may be that much
-- later than its ledger row beyond the window, never earlier
-- ---------------------------------------------------------------------
INSERT INTO km_l (c, txn_id, reference, amount, ts) VALUES
    ('lag', 'L1', 'R1', 10.00, km_t('10:00')),
    ('lag', 'L2', 'R2', 20.00, km_t('10:30')),
    ('lag', 'L3', NULL, 33.00, km_t('10:00')),
    ('lag', 'L4', 'R4', 40.00, km_t('10:00')),
    ('lag', 'L5', 'R5', 50.00, km_t('10:00')),
    ('lag', 'L6', 'R6', 60.00, km_t('10:15')),
    ('lag', 'L7', 'R7', 70.00, km_t('10:15:01'));
INSERT INTO km_s (c, txn_id, reference, amount, ts) VALUES
    ('lag', 'S1', 'R1', 10.00, km_t('10:30')),       -- 30 min later
    ('lag', 'S2', 'R2', 20.00, km_t('10:00')),       -- 30 min earlier
    ('lag', 'S3', NULL, 33.00, km_t('10:40')),       -- 40 min later, no reference
    ('lag', 'S4', 'R4', 40.00, km_t('10:15')),       -- the window's end
    ('lag', 'S5', 'R5', 50.00, km_t('10:15:01')),    -- a second past it
    ('lag', 'S6', 'R6', 60.00, km_t('10:00')),       -- the window's start
    ('lag', 'S7', 'R7', 70.00, km_t('10:00'));       -- a second before it
--   outside_window L1 S1 d=0
--   outside_window L2 S2 d=0
--   missing_in_statement L3 -
--   matched L4 S4 d=0
--   outside_window L5 S5 d=0
--   matched L6 S6 d=0
--   outside_window L7 S7 d=0
--   missing_in_ledger - S3
SELECT * FROM km_show('lag');
-- a date lag of an hour: [-15 min, 75 min]; the late lines match, by
-- reference and by amount; the early ones still do not
--   matched L1 S1 d=0
--   outside_window L2 S2 d=0
--   matched L3 S3 d=0
--   matched L4 S4 d=0
--   matched L5 S5 d=0
--   matched L6 S6 d=0
--   outside_window L7 S7 d=0
SELECT * FROM km_show('lag', '{"date_lag": "1 hour"}');

-- ---------------------------------------------------------------------
-- matched_group by parent_reference: a batch payout of 50 payments in one
-- statement line; a payout short by 1.00; a payout whose line has not
-- come; a payout of one payment; a payout line we know nothing of
-- ---------------------------------------------------------------------
INSERT INTO km_l (c, txn_id, reference, parent_reference, amount, ts)
SELECT 'payout', 'B1-' || to_char(k, 'FM00'), 'ORD-B1-' || k, 'BATCH1', k, km_t('10:00') + k * interval '1 s'
FROM generate_series(1, 50) k;
INSERT INTO km_l (c, txn_id, reference, parent_reference, amount, ts) VALUES
    ('payout', 'B2-1', 'ORD-B2-1', 'BATCH2', 10.00, km_t('11:00:01')),
    ('payout', 'B2-2', 'ORD-B2-2', 'BATCH2', 20.00, km_t('11:00:02')),
    ('payout', 'B2-3', 'ORD-B2-3', 'BATCH2', 30.00, km_t('11:00:03')),
    ('payout', 'B3-1', 'ORD-B3-1', 'BATCH3', 5.00, km_t('12:00:01')),
    ('payout', 'B3-2', 'ORD-B3-2', 'BATCH3', 7.00, km_t('12:00:02')),
    ('payout', 'B5-1', 'ORD-B5-1', 'BATCH5', 15.00, km_t('14:00:01'));
INSERT INTO km_s (c, txn_id, reference, amount, ts) VALUES
    ('payout', 'SB1', 'BATCH1', 1275.00, km_t('10:05')),     -- 1 + 2 + ... + 50
    ('payout', 'SB2', 'BATCH2', 59.00, km_t('11:05')),
    ('payout', 'SB4', 'BATCH4', 100.00, km_t('13:00')),
    ('payout', 'SB5', 'BATCH5', 15.00, km_t('14:05'));
-- BATCH1: all 51 rows matched_group, one group (B1-03 .. B1-50 counted
-- below); BATCH2: every row amount_mismatch in one group, the sum's
-- difference (59 - 60) on its first row, the payout's line; BATCH3:
-- missing_in_statement, grouped; BATCH5: one row a side, plainly matched
-- as any pair is (window, currency, fee); BATCH4 alone.
--   matched_group B1-01 - g=B1-01
--   matched_group B1-02 - g=B1-01
--   amount_mismatch B2-1 - g=B2-1
--   amount_mismatch B2-2 - g=B2-1
--   amount_mismatch B2-3 - g=B2-1
--   missing_in_statement B3-1 - g=B3-1
--   missing_in_statement B3-2 - g=B3-1
--   matched B5-1 SB5 d=0
--   matched_group - SB1 g=B1-01
--   amount_mismatch - SB2 d=-1 g=B2-1
--   missing_in_ledger - SB4
SELECT x FROM km_show('payout') x WHERE x !~ '^\S+ B1-(0[3-9]|[1-5][0-9]) ';
--   50 | 1 | 1 | t
SELECT count(*) FILTER (WHERE ledger_txn IS NOT NULL) AS ledger_rows,
       count(*) FILTER (WHERE statement_txn IS NOT NULL) AS statement_rows,
       count(DISTINCT group_id) AS groups, bool_and(status = 'matched_group') AS all_matched_group
FROM km_out WHERE run = (SELECT max(run) FROM km_runs) AND (ledger_txn LIKE 'B1-%' OR statement_txn = 'SB1');

-- ---------------------------------------------------------------------
-- matched_group the other way: a merged order split over three statement
-- lines, by parent_reference (M1) or by repeating its reference (M2);
-- split lines one cent short (M3)
-- ---------------------------------------------------------------------
INSERT INTO km_l (c, txn_id, reference, amount, ts) VALUES
    ('merged', 'LM1', 'MORD1', 90.00, km_t('10:00')),
    ('merged', 'LM2', 'MORD2', 60.00, km_t('11:00')),
    ('merged', 'LM3', 'MORD3', 100.00, km_t('12:00'));
INSERT INTO km_s (c, txn_id, reference, parent_reference, amount, ts) VALUES
    ('merged', 'SM1a', 'SPLIT-1a', 'MORD1', 30.00, km_t('10:00:10')),
    ('merged', 'SM1b', 'SPLIT-1b', 'MORD1', 25.00, km_t('10:00:20')),
    ('merged', 'SM1c', 'SPLIT-1c', 'MORD1', 35.00, km_t('10:00:30')),
    ('merged', 'SM2a', 'MORD2', NULL, 20.00, km_t('11:00:10')),
    ('merged', 'SM2b', 'MORD2', NULL, 20.00, km_t('11:00:20')),
    ('merged', 'SM2c', 'MORD2', NULL, 20.00, km_t('11:00:30')),
    ('merged', 'SM3a', 'SPLIT-3a', 'MORD3', 50.00, km_t('12:00:10')),
    ('merged', 'SM3b', 'SPLIT-3b', 'MORD3', 49.99, km_t('12:00:20'));
-- MORD2's three lines sum to the order: a group, not duplicates
--   matched_group LM1 - g=LM1
--   matched_group LM2 - g=LM2
--   amount_mismatch LM3 - d=-0.01 g=LM3
--   matched_group - SM1a g=LM1
--   matched_group - SM1b g=LM1
--   matched_group - SM1c g=LM1
--   matched_group - SM2a g=LM2
--   matched_group - SM2b g=LM2
--   matched_group - SM2c g=LM2
--   amount_mismatch - SM3a g=LM3
--   amount_mismatch - SM3b g=LM3
SELECT * FROM km_show('merged');

-- ---------------------------------------------------------------------
-- matched_group without references: a row that is exactly the sum of 2..5
-- unpaired rows of the other side inside the window
-- ---------------------------------------------------------------------
INSERT INTO km_l (c, txn_id, amount, ts) VALUES
    ('subset', 'Q1', 100.00, km_t('10:00')),
    ('subset', 'Q2a', 15.00, km_t('11:00')),
    ('subset', 'Q2b', 25.00, km_t('11:01')),
    ('subset', 'Q3', 60.00, km_t('12:00')),
    ('subset', 'Q4', 50.00, km_t('14:00'));
INSERT INTO km_s (c, txn_id, amount, ts) VALUES
    ('subset', 'T1a', 40.00, km_t('10:01')),
    ('subset', 'T1b', 60.00, km_t('10:02')),     -- Q3's amount, two hours away
    ('subset', 'T2', 40.00, km_t('11:05')),
    ('subset', 'T3a', 10.00, km_t('12:01')),
    ('subset', 'T3b', 20.00, km_t('12:02')),
    ('subset', 'T3c', 30.00, km_t('12:03')),
    ('subset', 'T4a', 20.00, km_t('14:01')),
    ('subset', 'T4b', 30.00, km_t('14:20'));     -- 20 minutes after Q4
-- Q1 = T1a + T1b; T2 = Q2a + Q2b; Q3 = T3a + T3b + T3c (no two of them
-- make 60); Q4 = T4a + T4b, but T4b is beyond the window
--   matched_group Q1 - g=Q1
--   matched_group Q2a - g=Q2a
--   matched_group Q2b - g=Q2a
--   matched_group Q3 - g=Q3
--   missing_in_statement Q4 -
--   matched_group - T1a g=Q1
--   matched_group - T1b g=Q1
--   matched_group - T2 g=Q2a
--   matched_group - T3a g=Q3
--   matched_group - T3b g=Q3
--   matched_group - T3c g=Q3
--   missing_in_ledger - T4a
--   missing_in_ledger - T4b
SELECT * FROM km_show('subset');
-- group_search off: the same rows missing
--   missing_in_statement Q1 -
--   missing_in_statement Q2a -
--   missing_in_statement Q2b -
--   missing_in_statement Q3 -
--   missing_in_statement Q4 -
--   missing_in_ledger - T1a
--   missing_in_ledger - T1b
--   missing_in_ledger - T2
--   missing_in_ledger - T3a
--   missing_in_ledger - T3b
--   missing_in_ledger - T3c
--   missing_in_ledger - T4a
--   missing_in_ledger - T4b
SELECT * FROM km_show('subset', '{"group_search": false}');
-- at most two rows a subset: Q3's three lines stay missing
--   matched_group Q1 - g=Q1
--   matched_group Q2a - g=Q2a
--   matched_group Q2b - g=Q2a
--   missing_in_statement Q3 -
--   missing_in_statement Q4 -
--   matched_group - T1a g=Q1
--   matched_group - T1b g=Q1
--   matched_group - T2 g=Q2a
--   missing_in_ledger - T3a
--   missing_in_ledger - T3b
--   missing_in_ledger - T3c
--   missing_in_ledger - T4a
--   missing_in_ledger - T4b
SELECT * FROM km_show('subset', '{"group_max_rows": 2}');
-- a date lag of 10 minutes lets T4b into Q4's subset
--   matched_group Q1 - g=Q1
--   matched_group Q2a - g=Q2a
--   matched_group Q2b - g=Q2a
--   matched_group Q3 - g=Q3
--   matched_group Q4 - g=Q4
--   matched_group - T1a g=Q1
--   matched_group - T1b g=Q1
--   matched_group - T2 g=Q2a
--   matched_group - T3a g=Q3
--   matched_group - T3b g=Q3
--   matched_group - T3c g=Q3
--   matched_group - T4a g=Q4
--   matched_group - T4b g=Q4
SELECT * FROM km_show('subset', '{"date_lag": "10 minutes"}');

-- ---------------------------------------------------------------------
-- ambiguous: never guessed.  Two equal ledger rows at the same time for
-- one line (A1); a ledger row a minute from two lines (A2); the controls,
-- a nearer line (A3) and two pairs at equal gaps that share no row (A4);
-- two different subsets that make one row (A5)
-- ---------------------------------------------------------------------
INSERT INTO km_l (c, txn_id, amount, ts) VALUES
    ('ambiguous', 'A1a', 25.00, km_t('10:00')),
    ('ambiguous', 'A1b', 25.00, km_t('10:00')),
    ('ambiguous', 'A2', 40.00, km_t('11:00')),
    ('ambiguous', 'A3', 55.00, km_t('12:00')),
    ('ambiguous', 'A4a', 66.00, km_t('13:00:00')),
    ('ambiguous', 'A4b', 66.00, km_t('13:00:10')),
    ('ambiguous', 'A5', 30.00, km_t('14:00'));
INSERT INTO km_s (c, txn_id, amount, ts) VALUES
    ('ambiguous', 'Z1', 25.00, km_t('10:00:30')),
    ('ambiguous', 'Z2a', 40.00, km_t('10:59')),
    ('ambiguous', 'Z2b', 40.00, km_t('11:01')),
    ('ambiguous', 'Z3a', 55.00, km_t('11:59')),
    ('ambiguous', 'Z3b', 55.00, km_t('12:02')),
    ('ambiguous', 'Z4a', 66.00, km_t('13:00:03')),
    ('ambiguous', 'Z4b', 66.00, km_t('13:00:13')),
    ('ambiguous', 'Z5a', 10.00, km_t('14:01')),
    ('ambiguous', 'Z5b', 20.00, km_t('14:02')),
    ('ambiguous', 'Z5c', 20.00, km_t('14:03'));
-- A5 = Z5a + Z5b = Z5a + Z5c: A5 is ambiguous with all three as
-- candidates; the three are left unpaired
--   ambiguous A1a - g=A1a c=Z1
--   ambiguous A1b - g=A1a c=Z1
--   ambiguous A2 - g=A2 c=Z2a,Z2b
--   matched A3 Z3a d=0
--   matched A4a Z4a d=0
--   matched A4b Z4b d=0
--   ambiguous A5 - g=A5 c=Z5a,Z5b,Z5c
--   ambiguous - Z1 g=A1a c=A1a,A1b
--   ambiguous - Z2a g=A2 c=A2
--   ambiguous - Z2b g=A2 c=A2
--   missing_in_ledger - Z3b
--   missing_in_ledger - Z5a
--   missing_in_ledger - Z5b
--   missing_in_ledger - Z5c
SELECT * FROM km_show('ambiguous');

-- ---------------------------------------------------------------------
-- refunds, reversals and chargebacks, linked to their original payment
-- ---------------------------------------------------------------------
INSERT INTO km_l (c, txn_id, reference, parent_reference, kind, amount, ts, context) VALUES
    -- two partial refunds of PAY1 (R2 a refund by its sign and parent)
    ('refund', 'P1', 'PAY1', NULL, NULL, 100.00, km_t('10:00'), false),
    ('refund', 'R1', 'RF1', 'PAY1', 'refund', -30.00, km_t('11:00'), false),
    ('refund', 'R2', 'RF2', 'PAY1', NULL, -20.00, km_t('12:00'), false),
    -- PAY2's line is in a later statement; its refund in this one
    ('refund', 'P2', 'PAY2', NULL, NULL, 80.00, km_t('13:00'), false),
    ('refund', 'R3', 'RF3', 'PAY2', 'refund', -10.00, km_t('13:30'), false),
    -- PAY6 refunded 30 + 30 of 50
    ('refund', 'P6', 'PAY6', NULL, NULL, 50.00, km_t('14:00'), false),
    ('refund', 'R6', 'RF6', 'PAY6', 'refund', -30.00, km_t('14:10'), false),
    ('refund', 'R7', 'RF7', 'PAY6', 'refund', -30.00, km_t('14:20'), false),
    -- PAY7's refund: the provider refunded 12, we booked 10
    ('refund', 'P7', 'PAY7', NULL, NULL, 40.00, km_t('15:00'), false),
    ('refund', 'R9', 'RF9', 'PAY7', 'refund', -10.00, km_t('15:10'), false),
    -- PAY8's refund not in the statement
    ('refund', 'P8', 'PAY8', NULL, NULL, 70.00, km_t('16:00'), false),
    ('refund', 'R10', 'RF10', 'PAY8', 'refund', -5.00, km_t('16:10'), false),
    -- PAY9 paid days before: a context row, read only as the original
    ('refund', 'C9', 'PAY9', NULL, NULL, 200.00, km_t('2025-02-27 09:00'), true),
    ('refund', 'R11', 'RF11', 'PAY9', 'refund', -50.00, km_t('17:00'), false),
    -- a chargeback of the whole PAY10; a reversal of PAY11 written positive
    ('refund', 'P10', 'PAY10', NULL, NULL, 90.00, km_t('18:00'), false),
    ('refund', 'CB1', 'CB1', 'PAY10', 'chargeback', -90.00, km_t('18:30'), false),
    ('refund', 'P11', 'PAY11', NULL, NULL, 25.00, km_t('19:00'), false),
    ('refund', 'RV1', 'RV1', 'PAY11', 'reversal', 25.00, km_t('19:01'), false),
    -- PAY12's refund twice in the statement
    ('refund', 'P12', 'PAY12', NULL, NULL, 60.00, km_t('20:00'), false),
    ('refund', 'R13', 'RF13', 'PAY12', 'refund', -10.00, km_t('20:10'), false),
    -- PAY13 refunded by the provider only
    ('refund', 'P13', 'PAY13', NULL, NULL, 45.00, km_t('21:00'), false);
INSERT INTO km_s (c, txn_id, reference, parent_reference, kind, amount, ts) VALUES
    ('refund', 'SP1', 'PAY1', NULL, NULL, 100.00, km_t('10:00:05')),
    ('refund', 'SR1', 'RF1', 'PAY1', 'refund', -30.00, km_t('11:00:05')),
    ('refund', 'SR2', 'RF2', 'PAY1', NULL, -20.00, km_t('12:00:05')),
    ('refund', 'SR3', 'RF3', 'PAY2', 'refund', -10.00, km_t('13:30:05')),
    ('refund', 'SR4', 'RF4', 'PAY-UNKNOWN', 'refund', -15.00, km_t('13:40')),
    ('refund', 'SP6', 'PAY6', NULL, NULL, 50.00, km_t('14:00:05')),
    ('refund', 'SR6', 'RF6', 'PAY6', 'refund', -30.00, km_t('14:10:05')),
    ('refund', 'SR7', 'RF7', 'PAY6', 'refund', -30.00, km_t('14:20:05')),
    ('refund', 'SP7', 'PAY7', NULL, NULL, 40.00, km_t('15:00:05')),
    ('refund', 'SR9', 'RF9', 'PAY7', 'refund', -12.00, km_t('15:10:05')),
    ('refund', 'SP8', 'PAY8', NULL, NULL, 70.00, km_t('16:00:05')),
    ('refund', 'SR11', 'RF11', 'PAY9', 'refund', -50.00, km_t('17:00:05')),
    ('refund', 'SC9', 'PAY9', NULL, NULL, 200.00, km_t('17:05')),
    ('refund', 'SP10', 'PAY10', NULL, NULL, 90.00, km_t('18:00:05')),
    ('refund', 'SCB1', 'CB1', 'PAY10', 'chargeback', -90.00, km_t('18:30:05')),
    ('refund', 'SP11', 'PAY11', NULL, NULL, 25.00, km_t('19:00:05')),
    ('refund', 'SRV1', 'RV1', 'PAY11', 'reversal', 25.00, km_t('19:01:05')),
    ('refund', 'SP12', 'PAY12', NULL, NULL, 60.00, km_t('20:00:05')),
    ('refund', 'SR13', 'RF13', 'PAY12', 'refund', -10.00, km_t('20:10:05')),
    ('refund', 'SR13b', 'RF13', 'PAY12', 'refund', -10.00, km_t('20:10:06')),
    ('refund', 'SP13', 'PAY13', NULL, NULL, 45.00, km_t('21:00:05')),
    ('refund', 'SX1', 'RFX', 'PAY13', 'refund', -5.00, km_t('21:10'));
-- net = the original less its refunds' magnitudes (the statement's where
-- it has the refund): PAY1 100 - 30 - 20; PAY2 80 - 10; PAY6 50 - 60
-- (beyond the original: its refunds amount_mismatch); PAY7 40 - 12; PAY8
-- 70 - 5; PAY9 (context) 200 - 50, no row of its own, and its statement
-- line SC9 is never paired with it; PAY10 90 - 90; PAY11 25 - 25; PAY12
-- 60 - 10 (the duplicate line is not one of its refunds); PAY13 45 - 5,
-- a refund the provider made and we never booked: missing_in_ledger, as
-- a ledger refund the statement lacks is missing_in_statement.  SR4's
-- original is nowhere: refund_orphan.  A refund pair's difference is the
-- statement's amount less the ledger's (RF9: -12 - -10).
--   refund_matched CB1 SCB1 d=0 o=P10 n=0
--   matched P1 SP1 d=0 n=50
--   matched P10 SP10 d=0 n=0
--   matched P11 SP11 d=0 n=0
--   matched P12 SP12 d=0 n=50
--   matched P13 SP13 d=0 n=40
--   missing_in_statement P2 - n=70
--   matched P6 SP6 d=0 n=-10
--   matched P7 SP7 d=0 n=28
--   matched P8 SP8 d=0 n=65
--   refund_matched R1 SR1 d=0 o=P1 n=50
--   missing_in_statement R10 - o=P8 n=65
--   refund_matched R11 SR11 d=0 o=C9 n=150
--   refund_matched R13 SR13 d=0 o=P12 n=50
--   refund_matched R2 SR2 d=0 o=P1 n=50
--   refund_matched R3 SR3 d=0 o=P2 n=70
--   amount_mismatch R6 SR6 d=0 o=P6 n=-10
--   amount_mismatch R7 SR7 d=0 o=P6 n=-10
--   amount_mismatch R9 SR9 d=-2 o=P7 n=28
--   refund_matched RV1 SRV1 d=0 o=P11 n=0
--   missing_in_ledger - SC9
--   duplicate_in_statement - SR13b
--   refund_orphan - SR4
--   missing_in_ledger - SX1 o=P13 n=40
SELECT * FROM km_show('refund');

-- ---------------------------------------------------------------------
-- fee_mismatch: the provider's fee against qr_recon_fee_rates.  WeChat
-- Pay: 0.6% on CNY, 0.55% from 2 March (the period that began last wins),
-- 1% on any other currency; Alipay a fixed 0.30; UnionPay no rate.
-- ---------------------------------------------------------------------
INSERT INTO qr_recon_fee_rates (provider, currency, valid_during, rate, fixed) VALUES
    ('wechatpay', 'CNY', '(,)', 0.006, 0),
    ('wechatpay', 'CNY', tstzrange(km_t('2025-03-02 00:00'), NULL), 0.0055, 0),
    ('wechatpay', NULL, '(,)', 0.01, 0),
    ('alipay', NULL, '(,)', 0, 0.30);
INSERT INTO km_l (c, txn_id, provider, reference, amount, currency, ts) VALUES
    ('fee', 'LF1', 'wechatpay', 'F1', 100.00, 'CNY', km_t('10:00')),
    ('fee', 'LF2', 'wechatpay', 'F2', 200.00, 'CNY', km_t('10:00')),
    ('fee', 'LF5', 'wechatpay', 'F5', 100.00, 'USD', km_t('10:00')),
    ('fee', 'LF6', 'wechatpay', 'F6', 100.00, 'USD', km_t('10:00')),
    ('fee', 'LF7', 'wechatpay', 'F7', 100.00, 'CNY', km_t('2025-03-02 10:00')),
    ('fee', 'LF7b', 'wechatpay', 'F7b', 100.00, 'CNY', km_t('2025-03-02 10:00')),
    ('fee', 'LF8', 'wechatpay', 'F8', 100.00, 'CNY', km_t('10:00')),
    ('fee', 'LF9', 'wechatpay', 'F9', 12.50, 'CNY', km_t('10:00')),
    ('fee', 'LF10', 'alipay', 'F10', 50.00, 'CNY', km_t('10:00')),
    ('fee', 'LF11', 'alipay', 'F11', 50.00, 'CNY', km_t('10:00')),
    ('fee', 'LF12', 'wechatpay', 'F12', 100.00, 'CNY', km_t('10:00')),
    ('fee', 'LF13', 'unionpay', 'F13', 100.00, 'CNY', km_t('10:00'));
INSERT INTO km_s (c, txn_id, provider, reference, amount, currency, ts, fee) VALUES
    ('fee', 'SF1', 'wechatpay', 'F1', 100.00, 'CNY', km_t('10:00:05'), 0.60),
    ('fee', 'SF2', 'wechatpay', 'F2', 200.00, 'CNY', km_t('10:00:05'), 1.21),     -- one cent over 1.20
    ('fee', 'SF5', 'wechatpay', 'F5', 100.00, 'USD', km_t('10:00:05'), 1.00),
    ('fee', 'SF6', 'wechatpay', 'F6', 100.00, 'USD', km_t('10:00:05'), 0.60),     -- 1.00 due
    ('fee', 'SF7', 'wechatpay', 'F7', 100.00, 'CNY', km_t('2025-03-02 10:00:05'), 0.55),
    ('fee', 'SF7b', 'wechatpay', 'F7b', 100.00, 'CNY', km_t('2025-03-02 10:00:05'), 0.60),
    ('fee', 'SF8', 'wechatpay', 'F8', 100.50, 'CNY', km_t('10:00:05'), 0.99),     -- the amount first
    ('fee', 'SF9', 'wechatpay', 'F9', 12.50, 'CNY', km_t('10:00:05'), 0.08),      -- 0.075 rounds up
    ('fee', 'SF10', 'alipay', 'F10', 50.00, 'CNY', km_t('10:00:05'), 0.30),
    ('fee', 'SF11', 'alipay', 'F11', 50.00, 'CNY', km_t('10:00:05'), 0.31),
    ('fee', 'SF12', 'wechatpay', 'F12', 100.00, 'CNY', km_t('10:00:05'), NULL),
    ('fee', 'SF13', 'unionpay', 'F13', 100.00, 'CNY', km_t('10:00:05'), 5.00);
-- every line with a fee shows it, and the fee due where a rate applies
-- and the amounts agree
--   matched LF1 SF1 d=0 f=0.6 e=0.6
--   matched LF10 SF10 d=0 f=0.3 e=0.3
--   fee_mismatch LF11 SF11 d=0 f=0.31 e=0.3
--   matched LF12 SF12 d=0
--   matched LF13 SF13 d=0 f=5
--   fee_mismatch LF2 SF2 d=0 f=1.21 e=1.2
--   matched LF5 SF5 d=0 f=1 e=1
--   fee_mismatch LF6 SF6 d=0 f=0.6 e=1
--   matched LF7 SF7 d=0 f=0.55 e=0.55
--   fee_mismatch LF7b SF7b d=0 f=0.6 e=0.55
--   amount_mismatch LF8 SF8 d=0.5 f=0.99
--   matched LF9 SF9 d=0 f=0.08 e=0.08
SELECT * FROM km_show('fee');
-- statement amounts net of the fee: gross = amount + fee is compared
INSERT INTO km_l (c, txn_id, reference, amount, ts) VALUES
    ('feenet', 'LN1', 'N1', 100.00, km_t('10:00')),
    ('feenet', 'LN2', 'N2', 200.00, km_t('10:00')),
    ('feenet', 'LN3', 'N3', 200.00, km_t('10:00')),
    ('feenet', 'LN4', 'N4', 50.00, km_t('10:00'));
INSERT INTO km_s (c, txn_id, reference, amount, ts, fee) VALUES
    ('feenet', 'SN1', 'N1', 99.40, km_t('10:00:05'), 0.60),
    ('feenet', 'SN2', 'N2', 198.79, km_t('10:00:05'), 1.21),
    ('feenet', 'SN3', 'N3', 199.80, km_t('10:00:05'), 1.20),
    ('feenet', 'SN4', 'N4', 50.00, km_t('10:00:05'), NULL);
-- as gross amounts, the net lines fall short
--   amount_mismatch LN1 SN1 d=-0.6 f=0.6
--   amount_mismatch LN2 SN2 d=-1.21 f=1.21
--   amount_mismatch LN3 SN3 d=-0.2 f=1.2
--   matched LN4 SN4 d=0
SELECT * FROM km_show('feenet');
-- as net: N1 gross 100.00 and its fee due; N2 gross 200.00, fee 1.21 where
-- 1.20 is due; N3 gross 201.00
--   matched LN1 SN1 d=0 f=0.6 e=0.6
--   fee_mismatch LN2 SN2 d=0 f=1.21 e=1.2
--   amount_mismatch LN3 SN3 d=1 f=1.2
--   matched LN4 SN4 d=0
SELECT * FROM km_show('feenet', '{"statement_amounts": "net"}');

-- ---------------------------------------------------------------------
-- fx_difference: lines in another currency through qr_fx_rates
-- (1 USD = 7.1 CNY always; 1 EUR = 7.8 CNY on 1 March only; no GBP)
-- ---------------------------------------------------------------------
INSERT INTO qr_fx_rates (from_currency, to_currency, valid_during, rate) VALUES
    ('USD', 'CNY', '(,)', 7.1),
    ('EUR', 'CNY', tstzrange(km_t('2025-03-01 00:00'), km_t('2025-03-02 00:00')), 7.8);
INSERT INTO km_l (c, txn_id, reference, amount, currency, ts) VALUES
    ('fx', 'LX1', 'X1', 710.00, 'CNY', km_t('10:00')),
    ('fx', 'LX2', 'X2', 715.00, 'CNY', km_t('10:00')),
    ('fx', 'LX3', 'X3', 730.00, 'CNY', km_t('10:00')),
    ('fx', 'LX4', 'X4', 100.00, 'CNY', km_t('10:00')),
    ('fx', 'LX5', 'X5', 10.00, 'USD', km_t('10:00')),
    ('fx', 'LX6', 'X6', 78.00, 'CNY', km_t('10:00')),
    ('fx', 'LX7', 'X7', 78.00, 'CNY', km_t('2025-03-05 10:00')),
    ('fx', 'LX8', 'X8', 236.64, 'CNY', km_t('10:00')),
    ('fx', 'LX9', 'X9', 236.65, 'CNY', km_t('10:00'));
INSERT INTO km_s (c, txn_id, reference, amount, currency, ts) VALUES
    ('fx', 'SX1', 'X1', 100.00, 'USD', km_t('10:00:05')),
    ('fx', 'SX2', 'X2', 100.00, 'USD', km_t('10:00:05')),
    ('fx', 'SX3', 'X3', 100.00, 'USD', km_t('10:00:05')),
    ('fx', 'SX4', 'X4', 13.00, 'GBP', km_t('10:00:05')),
    ('fx', 'SX5', 'X5', 71.00, 'CNY', km_t('10:00:05')),
    ('fx', 'SX6', 'X6', 10.00, 'EUR', km_t('10:00:05')),
    ('fx', 'SX7', 'X7', 10.00, 'EUR', km_t('2025-03-05 10:00:05')),
    ('fx', 'SX8', 'X8', 33.33, 'USD', km_t('10:00:05')),
    ('fx', 'SX9', 'X9', 33.33, 'USD', km_t('10:00:05'));
-- X2: 710 against 715, within 1% (7.15); X3: 710 against 730, beyond 7.30;
-- X4: no GBP rate; X5: no CNY->USD rate, the inverse of USD->CNY: 71 /
-- 7.1 = 10; X7: EUR's rate is of 1 March only; X8, X9: 33.33 * 7.1 =
-- 236.643, rounded to 236.64
--   matched LX1 SX1 d=0 x=7.1
--   fx_difference LX2 SX2 d=-5 x=7.1
--   amount_mismatch LX3 SX3 d=-20 x=7.1
--   amount_mismatch LX4 SX4
--   matched LX5 SX5 d=0 x=0.140845
--   matched LX6 SX6 d=0 x=7.8
--   amount_mismatch LX7 SX7
--   matched LX8 SX8 d=0 x=7.1
--   fx_difference LX9 SX9 d=-0.01 x=7.1
SELECT * FROM km_show('fx');
-- the rows without a rate say so
--   LX4 | t
--   LX7 | t
SELECT ledger_txn, reason ~* 'no rate' AS says_no_rate FROM km_out
WHERE run = (SELECT max(run) FROM km_runs) AND ledger_txn IN ('LX4', 'LX7') ORDER BY 1;
-- fx_tolerance_percent 0.5: X2's 5.00 is beyond 3.575; X9's 0.01 is not
--   matched LX1 SX1 d=0 x=7.1
--   amount_mismatch LX2 SX2 d=-5 x=7.1
--   amount_mismatch LX3 SX3 d=-20 x=7.1
--   amount_mismatch LX4 SX4
--   matched LX5 SX5 d=0 x=0.140845
--   matched LX6 SX6 d=0 x=7.8
--   amount_mismatch LX7 SX7
--   matched LX8 SX8 d=0 x=7.1
--   fx_difference LX9 SX9 d=-0.01 x=7.1
SELECT * FROM km_show('fx', '{"fx_tolerance_percent": 0.5}');

-- ---------------------------------------------------------------------
-- minor units: amounts compared rounded to the currency's ISO 4217 minor
-- unit (JPY 0, BHD 3, CNY 2), 4 places for a currency without one
-- ---------------------------------------------------------------------
INSERT INTO km_l (c, txn_id, reference, amount, currency, ts) VALUES
    ('minor', 'LJ1', 'J1', 100.4, 'JPY', km_t('10:00')),
    ('minor', 'LJ2', 'J2', 100, 'JPY', km_t('10:00')),
    ('minor', 'LJ3', NULL, 500.2, 'JPY', km_t('10:00')),
    ('minor', 'LB1', 'B1', 1.234, 'BHD', km_t('10:00')),
    ('minor', 'LB3', 'B3', 1.231, 'BHD', km_t('10:00')),
    ('minor', 'LC1', 'C1', 10.004, 'CNY', km_t('10:00')),
    ('minor', 'LC2', 'C2', 10.005, 'CNY', km_t('10:00')),
    ('minor', 'LU1', 'U1', 1.00001, 'XYZ', km_t('10:00')),
    ('minor', 'LU2', 'U2', 1.0001, 'XYZ', km_t('10:00'));
INSERT INTO km_s (c, txn_id, reference, amount, currency, ts) VALUES
    ('minor', 'SJ1', 'J1', 100, 'JPY', km_t('10:00:05')),
    ('minor', 'SJ2', 'J2', 101, 'JPY', km_t('10:00:05')),
    ('minor', 'SJ3', NULL, 500, 'JPY', km_t('10:01')),
    ('minor', 'SB1', 'B1', 1.2344, 'BHD', km_t('10:00:05')),
    ('minor', 'SB3', 'B3', 1.234, 'BHD', km_t('10:00:05')),
    ('minor', 'SC1', 'C1', 10.00, 'CNY', km_t('10:00:05')),
    ('minor', 'SC2', 'C2', 10.00, 'CNY', km_t('10:00:05')),
    ('minor', 'SU1', 'U1', 1.00004, 'XYZ', km_t('10:00:05')),
    ('minor', 'SU2', 'U2', 1.0002, 'XYZ', km_t('10:00:05'));
-- JPY 100.4 is 100; 500.2 and 500 are one amount; BHD 1.2344 is 1.234,
-- and 1.231 is not 1.234 though both are 1.23 to two places; CNY 10.004
-- is 10.00, 10.005 is 10.01; XYZ 1.00001 and 1.00004 are 1.0000
--   matched LB1 SB1 d=0
--   amount_mismatch LB3 SB3 d=0.003
--   matched LC1 SC1 d=0
--   amount_mismatch LC2 SC2 d=-0.01
--   matched LJ1 SJ1 d=0
--   amount_mismatch LJ2 SJ2 d=1
--   matched LJ3 SJ3 d=0
--   matched LU1 SU1 d=0
--   amount_mismatch LU2 SU2 d=0.0001
SELECT * FROM km_show('minor');

-- ---------------------------------------------------------------------
-- settings from qr_recon_settings ('*' for every provider, a provider's
-- own row), and the jsonb argument over both
-- ---------------------------------------------------------------------
INSERT INTO qr_recon_settings (provider, time_window, amount_tolerance, tolerance_percent) VALUES
    ('*', '1 hour', 0, 0),
    ('alipay', '5 minutes', 0.10, 0),
    ('unionpay', '15 minutes', 0.05, 1);
INSERT INTO km_l (c, txn_id, provider, reference, amount, ts) VALUES
    ('settings', 'LK1', 'wechatpay', 'K1', 10.00, km_t('10:00')),
    ('settings', 'LK2', 'alipay', 'K2', 10.00, km_t('10:00')),
    ('settings', 'LK3', 'alipay', 'K3', 10.00, km_t('11:00')),
    ('settings', 'LK4', 'unionpay', 'K4', 200.00, km_t('10:00')),
    ('settings', 'LK5', 'unionpay', 'K5', 2.00, km_t('10:00')),
    ('settings', 'LK6', 'unionpay', 'K6', 2.00, km_t('10:00')),
    ('settings', 'LK7', 'wechatpay', NULL, 7.00, km_t('12:00'));
INSERT INTO km_s (c, txn_id, provider, reference, amount, ts) VALUES
    ('settings', 'SK1', 'wechatpay', 'K1', 10.00, km_t('10:30')),
    ('settings', 'SK2', 'alipay', 'K2', 10.05, km_t('10:03')),
    ('settings', 'SK3', 'alipay', 'K3', 10.00, km_t('11:10')),
    ('settings', 'SK4', 'unionpay', 'K4', 201.50, km_t('10:00:05')),
    ('settings', 'SK5', 'unionpay', 'K5', 2.04, km_t('10:00:05')),
    ('settings', 'SK6', 'unionpay', 'K6', 2.06, km_t('10:00:05')),
    ('settings', 'SK7', 'wechatpay', NULL, 7.00, km_t('12:40'));
-- wechatpay by '*': a window of an hour (K1, K7 30 and 40 minutes apart);
-- alipay by its row: 5 minutes (K3 10 minutes apart), 0.10 (K2 0.05 off);
-- unionpay: the larger of 0.05 and 1% of the ledger amount (K4 2.00, K5
-- 0.05, K6 0.05 against 0.06 off)
--   matched LK1 SK1 d=0
--   matched LK2 SK2 d=0.05
--   outside_window LK3 SK3 d=0
--   matched LK4 SK4 d=1.5
--   matched LK5 SK5 d=0.04
--   amount_mismatch LK6 SK6 d=0.06
--   matched LK7 SK7 d=0
SELECT * FROM km_show('settings');
SELECT max(run) AS run_settings FROM km_runs \gset
-- NULL and {} override nothing: the same lines again
SELECT km_record('settings', '{}') AS run_empty \gset
SELECT km_record('settings', NULL) AS run_null \gset
--   0 | 0
SELECT (SELECT count(*) FROM (SELECT line FROM km_lines WHERE run = :run_empty
                              EXCEPT SELECT line FROM km_lines WHERE run = :run_settings) x) AS empty_differs,
       (SELECT count(*) FROM (SELECT line FROM km_lines WHERE run = :run_null
                              EXCEPT SELECT line FROM km_lines WHERE run = :run_settings) x) AS null_differs;
-- the argument overrides every provider's window and absolute tolerance;
-- unionpay keeps its 1%
--   outside_window LK1 SK1 d=0
--   amount_mismatch LK2 SK2 d=0.05
--   matched LK3 SK3 d=0
--   matched LK4 SK4 d=1.5
--   amount_mismatch LK5 SK5 d=0.04
--   amount_mismatch LK6 SK6 d=0.06
--   missing_in_statement LK7 -
--   missing_in_ledger - SK7
SELECT * FROM km_show('settings', '{"time_window": "20 minutes", "amount_tolerance": 0}');
-- without the rows, the built-in defaults: 15 minutes, tolerance 0
--   outside_window LK1 SK1 d=0
--   amount_mismatch LK2 SK2 d=0.05
--   matched LK3 SK3 d=0
--   amount_mismatch LK4 SK4 d=1.5
--   amount_mismatch LK5 SK5 d=0.04
--   amount_mismatch LK6 SK6 d=0.06
--   missing_in_statement LK7 -
--   missing_in_ledger - SK7
DELETE FROM qr_recon_settings;
SELECT * FROM km_show('settings');

-- ---------------------------------------------------------------------
-- keys: a row's key is its parent_reference (when 'parent_reference' is a
-- key), else its reference (when 'reference' is); rows without a key pair
-- by amount and time, and add up, only when 'amount' is a key
-- ---------------------------------------------------------------------
INSERT INTO km_l (c, txn_id, reference, parent_reference, amount, ts) VALUES
    ('keys', 'LN1', 'N1', NULL, 10.00, km_t('10:00')),
    ('keys', 'LN2', NULL, NULL, 20.00, km_t('11:00')),
    ('keys', 'LN3a', 'ORD-N3a', 'BAT-N', 5.00, km_t('12:00')),
    ('keys', 'LN3b', 'ORD-N3b', 'BAT-N', 6.00, km_t('12:00:05'));
INSERT INTO km_s (c, txn_id, reference, amount, ts) VALUES
    ('keys', 'SN1', 'N1-X', 10.00, km_t('10:00:20')),
    ('keys', 'SN2', NULL, 20.00, km_t('11:00:10')),
    ('keys', 'SN3', 'BAT-N', 11.00, km_t('12:01'));
--   missing_in_statement LN1 -
--   matched LN2 SN2 d=0
--   matched_group LN3a - g=LN3a
--   matched_group LN3b - g=LN3a
--   missing_in_ledger - SN1
--   matched_group - SN3 g=LN3a
SELECT * FROM km_show('keys');
-- without 'reference' no row is keyed by its own reference: N1's rows
-- pair by amount; the payout's payments are keyed by their parent, but
-- its line (a reference, no parent) has no key and no payment is left
-- over to add up to it
--   matched LN1 SN1 d=0
--   matched LN2 SN2 d=0
--   missing_in_statement LN3a - g=LN3a
--   missing_in_statement LN3b - g=LN3a
--   missing_in_ledger - SN3
SELECT * FROM km_show('keys', '{"keys": ["parent_reference", "amount"]}');
--   missing_in_statement LN1 -
--   missing_in_statement LN2 -
--   matched_group LN3a - g=LN3a
--   matched_group LN3b - g=LN3a
--   missing_in_ledger - SN1
--   missing_in_ledger - SN2
--   matched_group - SN3 g=LN3a
SELECT * FROM km_show('keys', '{"keys": ["reference", "parent_reference"]}');
--   missing_in_statement LN1 -
--   matched LN2 SN2 d=0
--   missing_in_statement LN3a -
--   missing_in_statement LN3b -
--   missing_in_ledger - SN1
--   missing_in_ledger - SN3
SELECT * FROM km_show('keys', '{"keys": ["reference", "amount"]}');

-- ---------------------------------------------------------------------
-- the shape of 0.8.0 (no optional column): as qr_reconcile
-- ---------------------------------------------------------------------
CREATE TABLE km_old_l AS
SELECT * FROM (VALUES ('O1', 'wechatpay', 'OR1', 10.00, 'CNY', km_t('10:00')),
                      ('O2', 'wechatpay', 'OR2', 20.00, 'CNY', km_t('10:00')))
              v (txn_id, provider, reference, amount, currency, ts);
CREATE TABLE km_old_s AS
SELECT * FROM (VALUES ('Q1', 'wechatpay', 'OR1', 10.00, 'CNY', km_t('10:00:05'))) v (txn_id, provider, reference, amount, currency, ts);
--   matched | O1 | Q1 | 0
--   missing_in_statement | O2 | |
SELECT status, ledger_txn, statement_txn, trim_scale(amount_diff) AS amount_diff
FROM qr_match('km_old_l', 'km_old_s') ORDER BY 2;
--   0
SELECT count(*) AS differ FROM (
    (SELECT status, ledger_txn, statement_txn, amount_diff, reason FROM qr_match('km_old_l', 'km_old_s')
     EXCEPT ALL SELECT * FROM qr_reconcile('km_old_l', 'km_old_s'))
    UNION ALL
    (SELECT * FROM qr_reconcile('km_old_l', 'km_old_s')
     EXCEPT ALL SELECT status, ledger_txn, statement_txn, amount_diff, reason FROM qr_match('km_old_l', 'km_old_s'))) x;

-- ---------------------------------------------------------------------
-- the result does not depend on work_mem: a generated set of every kind
-- (payouts, refunds, fees, another currency, dense unreferenced equal
-- amounts with ties), spilled at 64kB, in memory at 64MB
-- ---------------------------------------------------------------------
INSERT INTO km_l (c, txn_id, provider, reference, parent_reference, amount, ts)
SELECT 'gen', 'G' || g, (ARRAY['wechatpay', 'alipay'])[1 + g % 2],
       CASE WHEN g % 10 = 3 THEN NULL ELSE 'GO' || g END,
       CASE WHEN g % 100 BETWEEN 50 AND 53 THEN 'GP' || g / 100 END,
       CASE WHEN g % 10 = 3 THEN 2 + g % 3 ELSE round(((g::bigint * 7919) % 100000) / 100.0 + 1, 2) END,
       km_t('00:00') + g * interval '3 s'
FROM generate_series(1, 20000) g;
-- refunds of every 37th payment, half of it, half an hour later
INSERT INTO km_l (c, txn_id, provider, reference, parent_reference, kind, amount, ts)
SELECT 'gen', 'GR' || substr(txn_id, 2), provider, 'GRF' || substr(txn_id, 2), reference, 'refund',
       -round(amount / 2, 2), ts + interval '30 minutes'
FROM km_l WHERE c = 'gen' AND reference IS NOT NULL AND parent_reference IS NULL AND substr(txn_id, 2)::int % 37 = 0;
-- the provider's lines: a few seconds later (unreferenced ones 0..49 s
-- later); every 997th missing, 0.50 off, duplicated; every 211th fee one
-- cent over; every 173rd in USD; every 370th refund missing
INSERT INTO km_s (c, txn_id, provider, reference, parent_reference, kind, amount, currency, ts, fee)
SELECT 'gen', 'S' || txn_id, provider, reference, parent_reference, kind,
       CASE WHEN g % 173 = 0 AND kind IS NULL THEN round(amount / 7.1, 2)
            ELSE amount + CASE WHEN g % 997 = 2 THEN 0.50 ELSE 0 END END,
       CASE WHEN g % 173 = 0 AND kind IS NULL THEN 'USD' ELSE 'CNY' END,
       ts + CASE WHEN reference IS NULL THEN (g * 37 % 50) * interval '1 s' ELSE interval '5 s' END,
       CASE WHEN provider = 'wechatpay' AND g % 173 <> 0 AND kind IS NULL
            THEN round(amount * 0.006, 2) + CASE WHEN g % 211 = 0 THEN 0.01 ELSE 0 END END
FROM (SELECT *, substr(txn_id, regexp_instr(txn_id, '[0-9]'))::int AS g FROM km_l WHERE c = 'gen') l
WHERE (kind IS NULL AND parent_reference IS NULL AND g % 997 <> 1) OR (kind = 'refund' AND g % 370 <> 0);
INSERT INTO km_s (c, txn_id, provider, reference, amount, ts)
SELECT 'gen', 'SGP' || parent_reference, min(provider), parent_reference, sum(amount), max(ts) + interval '5 minutes'
FROM km_l WHERE c = 'gen' AND parent_reference LIKE 'GP%' GROUP BY parent_reference;
INSERT INTO km_s (c, txn_id, provider, reference, amount, currency, ts)
SELECT 'gen', txn_id || 'b', provider, reference, amount, currency, ts + interval '9 s'
FROM km_s WHERE c = 'gen' AND txn_id ~ '^SG[0-9]+$' AND substr(txn_id, 3)::int % 997 = 5;
SELECT (SELECT count(*) FROM km_l WHERE c = 'gen') AS ledger_rows, (SELECT count(*) FROM km_s WHERE c = 'gen') AS statement_rows;
SET work_mem = '64kB';
SELECT km_record('gen') AS run_small \gset
SET work_mem = '64MB';
SELECT km_record('gen') AS run_large \gset
RESET work_mem;
--   0 | 0 | t
SELECT (SELECT count(*) FROM (SELECT line, reason FROM km_lines WHERE run = :run_small
                              EXCEPT ALL SELECT line, reason FROM km_lines WHERE run = :run_large) x) AS only_at_64kb,
       (SELECT count(*) FROM (SELECT line, reason FROM km_lines WHERE run = :run_large
                              EXCEPT ALL SELECT line, reason FROM km_lines WHERE run = :run_small) x) AS only_at_64mb,
       (SELECT count(*) FROM km_out WHERE run = :run_small) > 0 AS has_rows;

-- ---------------------------------------------------------------------
-- every non-context input row in exactly one result row of each call
-- ---------------------------------------------------------------------
CREATE VIEW km_inputs AS
SELECT r.run, 'ledger' AS side, l.txn_id FROM km_runs r JOIN km_l l ON l.c = r.c WHERE NOT l.context
UNION ALL
SELECT r.run, 'statement', s.txn_id FROM km_runs r JOIN km_s s ON s.c = r.c;
CREATE VIEW km_outputs AS
SELECT run, 'ledger' AS side, ledger_txn AS txn_id FROM km_out WHERE ledger_txn IS NOT NULL
UNION ALL
SELECT run, 'statement', statement_txn FROM km_out WHERE statement_txn IS NOT NULL;
-- the offending rows: none
SELECT 'not in a result row' AS what, run, side, txn_id FROM (SELECT * FROM km_inputs EXCEPT ALL SELECT * FROM km_outputs) x
UNION ALL
SELECT 'in a second result row, or not an input row', run, side, txn_id FROM (SELECT * FROM km_outputs EXCEPT ALL SELECT * FROM km_inputs) x
ORDER BY 1, 2, 3, 4;
SELECT count(*) AS calls, (SELECT count(*) FROM km_inputs) AS input_rows, (SELECT count(*) FROM km_outputs) AS rows_in_results,
       (SELECT count(*) FROM km_out WHERE ledger_txn IS NULL AND statement_txn IS NULL) AS result_rows_of_no_row
FROM km_runs;

-- ---------------------------------------------------------------------
-- errors
-- ---------------------------------------------------------------------
CREATE TABLE km_no_amount (txn_id text, provider text, reference text, currency text, ts timestamptz);
CREATE TABLE km_nan AS SELECT 'N1' AS txn_id, 'wechatpay' AS provider, 'R1' AS reference, 'NaN'::numeric AS amount,
                              'CNY' AS currency, km_t('10:00') AS ts;
CREATE TABLE km_inf AS SELECT 'I1' AS txn_id, 'wechatpay' AS provider, 'R1' AS reference, 'Infinity'::numeric AS amount,
                              'CNY' AS currency, km_t('10:00') AS ts;
\set VERBOSITY sqlstate
-- 22023: an unknown key, a value out of range or of the wrong type, not an object
SELECT count(*) FROM qr_match('km_old_l', 'km_old_s', '{"windo": "1 hour"}');
SELECT count(*) FROM qr_match('km_old_l', 'km_old_s', '{"time_window": "-1 minute"}');
SELECT count(*) FROM qr_match('km_old_l', 'km_old_s', '{"time_window": "infinity"}');
SELECT count(*) FROM qr_match('km_old_l', 'km_old_s', '{"time_window": [1]}');
SELECT count(*) FROM qr_match('km_old_l', 'km_old_s', '{"date_lag": "-1 second"}');
SELECT count(*) FROM qr_match('km_old_l', 'km_old_s', '{"amount_tolerance": -0.01}');
SELECT count(*) FROM qr_match('km_old_l', 'km_old_s', '{"tolerance_percent": -1}');
SELECT count(*) FROM qr_match('km_old_l', 'km_old_s', '{"fx_tolerance_percent": -1}');
SELECT count(*) FROM qr_match('km_old_l', 'km_old_s', '{"group_max_rows": 1}');
SELECT count(*) FROM qr_match('km_old_l', 'km_old_s', '{"group_max_rows": 65}');
SELECT count(*) FROM qr_match('km_old_l', 'km_old_s', '{"group_search": 3}');
SELECT count(*) FROM qr_match('km_old_l', 'km_old_s', '{"keys": ["reference", "iban"]}');
SELECT count(*) FROM qr_match('km_old_l', 'km_old_s', '{"statement_amounts": "both"}');
SELECT count(*) FROM qr_match('km_old_l', 'km_old_s', '["time_window"]');
-- 22004: no relation
SELECT count(*) FROM qr_match(NULL, 'km_old_s');
SELECT count(*) FROM qr_match('km_old_l', NULL);
-- 42703: a required column missing
SELECT count(*) FROM qr_match('km_no_amount', 'km_old_s');
SELECT count(*) FROM qr_match('km_old_l', 'km_no_amount');
-- 22003: a NaN or infinite amount
SELECT count(*) FROM qr_match('km_nan', 'km_old_s');
SELECT count(*) FROM qr_match('km_old_l', 'km_inf');
\set VERBOSITY default

-- the user's tables as they were
DELETE FROM qr_recon_settings;
DELETE FROM qr_recon_fee_rates;
DELETE FROM qr_fx_rates;
INSERT INTO qr_recon_settings SELECT * FROM km_saved_settings;
INSERT INTO qr_recon_fee_rates SELECT * FROM km_saved_fee_rates;
INSERT INTO qr_fx_rates SELECT * FROM km_saved_fx_rates;
RESET client_min_messages;

-- ---------------------------------------------------------------------
-- groups larger than work_mem: a payout of 3,000 payments under one
-- parent reference against its one statement row, and 1,200 rows a side
-- of one reference.  At 64kB each group's rows, all of one hash, go
-- through a tuplesort and the group's store goes to disk; the result is
-- the same as in memory at 64MB
-- ---------------------------------------------------------------------
INSERT INTO km_l (c, txn_id, reference, parent_reference, amount, ts)
SELECT 'big', 'BL' || g, 'BP-' || g, 'BP', 1.00, km_t('10:00') + g * interval '1 s'
FROM generate_series(1, 3000) g;
INSERT INTO km_s (c, txn_id, reference, amount, ts)
VALUES ('big', 'BS1', 'BP', 3000.00, km_t('11:00'));
INSERT INTO km_l (c, txn_id, reference, amount, ts)
SELECT 'big', 'DL' || g, 'DUP', 5.00, km_t('10:00') + g * interval '1 s'
FROM generate_series(1, 1200) g;
INSERT INTO km_s (c, txn_id, reference, amount, ts)
SELECT 'big', 'DS' || g, 'DUP', 5.00, km_t('10:00') + g * interval '1 s' + interval '5 s'
FROM generate_series(1, 1200) g;
SET work_mem = '64kB';
SELECT km_record('big') AS run_small \gset
SET work_mem = '64MB';
SELECT km_record('big') AS run_large \gset
RESET work_mem;
-- the payout's 3,001 rows in one group (3,000 x 1.00 against 3000.00), and
-- DUP's 2,400 in another (1,200 x 5.00 a side: the sums agree)
--   matched_group 5401
SELECT string_agg(status || ' ' || n, ', ' ORDER BY status)
FROM (SELECT status, count(*) AS n FROM km_out WHERE run = :run_small GROUP BY status) x;
--   0 | 0
SELECT (SELECT count(*) FROM (SELECT line, reason FROM km_lines WHERE run = :run_small
                              EXCEPT ALL SELECT line, reason FROM km_lines WHERE run = :run_large) x) AS only_at_64kb,
       (SELECT count(*) FROM (SELECT line, reason FROM km_lines WHERE run = :run_large
                              EXCEPT ALL SELECT line, reason FROM km_lines WHERE run = :run_small) x) AS only_at_64mb;

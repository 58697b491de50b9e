/* qrpay 0.8.0 -> 0.9.0: matching as back offices need it */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION qrpay UPDATE TO '0.9.0'" to load this file. \quit

-- =====================================================================
-- Part 1. Currency minor units (ISO 4217), in matching and clearing
-- =====================================================================

-- currency minor units (ISO 4217) and rounding to them
CREATE FUNCTION @extschema@.qr_minor_unit(currency text) RETURNS integer
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.qr_minor_unit(text) IS
    'Decimals of the minor unit of a currency by ISO 4217 (list one), given by its alphabetic code in either case or its 3-digit numeric code: 0 for JPY, 2 for CNY, 3 for BHD, 4 for CLF; NULL for an unknown code and where the list gives none (N.A.: XAU, XDR, XTS, ...)';

CREATE FUNCTION @extschema@.qr_round_amount(amount numeric, currency text) RETURNS numeric
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.qr_round_amount(numeric, text) IS
    'An amount rounded half away from zero to the minor unit of its currency (qr_minor_unit): 1234.5 JPY is 1235, 0.1235 BHD is 0.124; a currency without one (unknown, NULL, or N.A. like XAU) keeps 4 decimals, as in matching and clearing. A NULL amount gives NULL; NaN and infinities come back unchanged';

-- clearing: fees rounded to the minor unit of their currency (was: 2 decimals)
CREATE OR REPLACE FUNCTION @extschema@.qr_clearing(transactions regclass, time_zone text DEFAULT 'Asia/Shanghai')
RETURNS TABLE (settlement_day date, currency text, participant text, paid numeric, received numeric,
               fees numeric, net numeric)
LANGUAGE plpgsql STABLE STRICT PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    need constant text[] := ARRAY['ts', 'currency', 'amount', 'payer', 'network', 'via'];
    missing text;
    unrouted bigint;
    unbounded bigint;
    endless bigint;
    example text;
BEGIN
    SELECT c INTO missing FROM unnest(need) WITH ORDINALITY u(c, i)
     WHERE NOT EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = transactions AND a.attname = u.c
                          AND a.attnum > 0 AND NOT a.attisdropped)
     ORDER BY u.i LIMIT 1;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION '% has no column "%"', transactions, missing
              USING ERRCODE = 'undefined_column',
                    HINT = format('It needs the columns %s (extra columns are ignored).', array_to_string(need, ', '));
    END IF;
    -- a payment without a payer, payee network, amount, currency or time has
    -- no one to credit or no day to land on; a NaN or infinite amount has no
    -- net, an infinite time no settlement day: refuse them rather than net
    -- them into a NULL participant, a NaN position or an endless settlement
    EXECUTE format('SELECT count(*) FILTER (WHERE x.payer IS NULL OR x.network IS NULL OR x.amount IS NULL
                                                  OR x.currency IS NULL OR x.ts IS NULL),
                           count(*) FILTER (WHERE x.amount::numeric IN (''NaN'', ''Infinity'', ''-Infinity'')),
                           count(*) FILTER (WHERE NOT isfinite(x.ts::timestamptz))
                      FROM %s x', transactions)
       INTO unrouted, unbounded, endless;
    IF unrouted > 0 THEN
        RAISE EXCEPTION 'qr_clearing: rows of % without a payer, network, amount, currency or time: %', transactions, unrouted
              USING ERRCODE = 'null_value_not_allowed',
                    HINT = 'Clear routed payments only: leave out the rows qr_route found no route for (status none).';
    END IF;
    IF unbounded > 0 THEN
        EXECUTE format('SELECT x::text FROM %s x WHERE x.amount::numeric IN (''NaN'', ''Infinity'', ''-Infinity'') LIMIT 1',
                       transactions) INTO example;
        RAISE EXCEPTION 'qr_clearing: rows of % with a NaN or infinite amount: %; the first is %', transactions, unbounded, example
              USING ERRCODE = 'numeric_value_out_of_range',
                    HINT = 'Amounts must be finite numbers; correct or leave out those rows.';
    END IF;
    IF endless > 0 THEN
        EXECUTE format('SELECT x::text FROM %s x WHERE NOT isfinite(x.ts::timestamptz) LIMIT 1', transactions) INTO example;
        RAISE EXCEPTION 'qr_clearing: rows of % with an infinite time: %; the first is %', transactions, endless, example
              USING ERRCODE = 'datetime_field_overflow',
                    HINT = 'A payment settles on the day it was made: give it its real time.';
    END IF;
    -- a fee is rounded to the minor unit of the payment's currency (JPY
    -- to yen, BHD to fils), to 4 decimals where ISO 4217 gives none
    RETURN QUERY EXECUTE format($q$
    WITH t AS (
        SELECT (x.ts::timestamptz AT TIME ZONE $1)::date AS day, x.currency::text AS cur, x.amount::numeric AS amount,
               x.payer::text AS payer, x.network::text AS network, x.via::text AS via,
               coalesce(@extschema@.qr_round_amount(x.amount * f.rate + f.fixed, x.currency::text), 0) AS fee
          FROM %1$s x
          LEFT JOIN LATERAL (SELECT r.rate, r.fixed FROM @extschema@.qr_fee_rates r
                              WHERE r.payer = x.payer AND r.payee = x.network AND r.via = x.via
                                AND r.valid_during @> x.ts::timestamptz
                              ORDER BY lower(r.valid_during) DESC NULLS LAST LIMIT 1) f ON true
         WHERE x.payer IS DISTINCT FROM x.network
    ), legs AS (
        SELECT day, cur, payer AS who, amount AS paid, 0::numeric AS received, 0::numeric AS fees FROM t
        UNION ALL SELECT day, cur, network, 0, amount - fee, 0 FROM t
        UNION ALL SELECT day, cur, via, 0, 0, fee FROM t WHERE fee <> 0
    )
    SELECT day, cur, who, sum(paid), sum(received), sum(fees), sum(received) + sum(fees) - sum(paid)
      FROM legs GROUP BY day, cur, who ORDER BY day, cur, who
    $q$, transactions) USING time_zone;
END $$;
COMMENT ON FUNCTION @extschema@.qr_clearing(regclass, text) IS
    'Net positions per settlement day, currency and participant from routed transactions (ts, currency, amount, payer, network, via): payers pay the amount, the payee network receives it less the fee of qr_fee_rates (rounded to the minor unit of the currency, qr_round_amount), the via earns the fee; on-us rows (payer = network) move nothing. Positions of a day and currency sum to zero';

-- =====================================================================
-- Part 2. Reconciliation settings and rates, as data
-- =====================================================================

-- The settings of the matching engine, per provider, and the rates it
-- checks fees and converts currencies with.  They are the user's own rows
-- (dumped, none shipped).  qr_match runs as its caller and reads them, so
-- every role may read them, as it reads qr_fee_rates; writing them is for
-- the extension's owner, who may grant it on.

CREATE TABLE @extschema@.qr_recon_settings (
    provider text PRIMARY KEY CONSTRAINT qr_recon_settings_provider_named CHECK (provider <> ''),
    keys text[] NOT NULL DEFAULT '{reference,parent_reference,amount}' CONSTRAINT qr_recon_settings_keys_known
        CHECK (keys <@ ARRAY['reference', 'parent_reference', 'amount'] AND pg_catalog.cardinality(keys) > 0),
    time_window interval NOT NULL DEFAULT '15 minutes' CONSTRAINT qr_recon_settings_time_window_range
        CHECK (time_window >= interval '0' AND pg_catalog.isfinite(time_window)),
    date_lag interval NOT NULL DEFAULT '0' CONSTRAINT qr_recon_settings_date_lag_range
        CHECK (date_lag >= interval '0' AND pg_catalog.isfinite(date_lag)),
    amount_tolerance numeric NOT NULL DEFAULT 0 CONSTRAINT qr_recon_settings_amount_tolerance_range
        CHECK (amount_tolerance >= 0 AND amount_tolerance < 'Infinity'),
    tolerance_percent numeric NOT NULL DEFAULT 0 CONSTRAINT qr_recon_settings_tolerance_percent_range
        CHECK (tolerance_percent >= 0 AND tolerance_percent < 'Infinity'),
    group_search boolean NOT NULL DEFAULT true,
    group_max_rows integer NOT NULL DEFAULT 5 CONSTRAINT qr_recon_settings_group_max_rows_range
        CHECK (group_max_rows BETWEEN 2 AND 64),
    statement_amounts text NOT NULL DEFAULT 'gross' CONSTRAINT qr_recon_settings_statement_amounts_known
        CHECK (statement_amounts IN ('gross', 'net')),
    fx_tolerance_percent numeric NOT NULL DEFAULT 1 CONSTRAINT qr_recon_settings_fx_tolerance_percent_range
        CHECK (fx_tolerance_percent >= 0 AND fx_tolerance_percent < 'Infinity'),
    note text
);
COMMENT ON TABLE @extschema@.qr_recon_settings IS
    'How qr_match reconciles each provider''s rows: one row per provider, provider ''*'' for every provider without a row of its own. A provider''s settings are its own row, else the ''*'' row, else the built-in defaults (the column defaults), overridden key by key by the settings argument of qr_match or qr_recon_run (qr_recon_settings_for shows the result). Rows are the user''s own and are dumped';
COMMENT ON COLUMN @extschema@.qr_recon_settings.provider IS 'The provider (a qr_providers code, as the rows'' provider column holds it), or * for every provider without a row of its own';
COMMENT ON COLUMN @extschema@.qr_recon_settings.keys IS
    'What pairs rows: reference (a row''s own reference), parent_reference (rows that belong to a payout, a merged order or, for refunds, to their original payment), amount (rows without a reference, by amount and time; and the search for groups that add up). A non-empty subset of these three';
COMMENT ON COLUMN @extschema@.qr_recon_settings.time_window IS 'How far apart the ledger and statement times of a pair may be, either way (finite, zero or more)';
COMMENT ON COLUMN @extschema@.qr_recon_settings.date_lag IS 'How much later than its ledger row, beyond the window, a statement row may come: a settlement cut-off (finite, zero or more)';
COMMENT ON COLUMN @extschema@.qr_recon_settings.amount_tolerance IS 'The absolute difference of amounts that still matches, in currency units (zero or more); the larger of it and tolerance_percent applies';
COMMENT ON COLUMN @extschema@.qr_recon_settings.tolerance_percent IS 'The difference that still matches, as a percentage of the ledger amount (zero or more)';
COMMENT ON COLUMN @extschema@.qr_recon_settings.group_search IS 'Whether rows left without a pair are matched to a set of 2 to group_max_rows rows of the other side, inside the window, whose amounts add up exactly';
COMMENT ON COLUMN @extschema@.qr_recon_settings.group_max_rows IS 'The most rows such a set may have (2 to 64); the search is bounded';
COMMENT ON COLUMN @extschema@.qr_recon_settings.statement_amounts IS 'gross: statement amounts are what the payer paid; net: they are after the provider''s fee, and amount + fee is compared';
COMMENT ON COLUMN @extschema@.qr_recon_settings.fx_tolerance_percent IS 'Across currencies: the difference, after conversion at the qr_fx_rates rate, that is an fx_difference rather than an amount_mismatch, as a percentage of the ledger amount';
COMMENT ON COLUMN @extschema@.qr_recon_settings.note IS 'Free text: why these settings';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.qr_recon_settings', '');

CREATE TABLE @extschema@.qr_recon_fee_rates (
    provider text NOT NULL,
    currency text CONSTRAINT qr_recon_fee_rates_currency_code CHECK (currency ~ '^[A-Z]{3}$'),
    valid_during tstzrange NOT NULL DEFAULT '(,)' CONSTRAINT qr_recon_fee_rates_valid_during_nonempty
        CHECK (NOT pg_catalog.isempty(valid_during)),
    rate numeric NOT NULL DEFAULT 0 CONSTRAINT qr_recon_fee_rates_rate_range CHECK (rate >= 0 AND rate < 1),
    fixed numeric NOT NULL DEFAULT 0 CONSTRAINT qr_recon_fee_rates_fixed_finite CHECK (fixed >= 0 AND fixed < 'Infinity'),
    source text
);
COMMENT ON TABLE @extschema@.qr_recon_fee_rates IS
    'The fee a provider charges on a statement line, by currency and period: expected fee = gross amount x rate + fixed, rounded to the currency''s minor unit. A line whose fee differs from it is a fee_mismatch. Where periods overlap the one that began last applies, and a row for the line''s currency beats a row for any currency. Rows are the user''s own and are dumped';
COMMENT ON COLUMN @extschema@.qr_recon_fee_rates.provider IS 'The provider that charges the fee';
COMMENT ON COLUMN @extschema@.qr_recon_fee_rates.currency IS 'ISO 4217 code of the lines it applies to (three capital letters), NULL for any currency';
COMMENT ON COLUMN @extschema@.qr_recon_fee_rates.valid_during IS 'When the rate holds, by the statement line''s time';
COMMENT ON COLUMN @extschema@.qr_recon_fee_rates.rate IS 'Share of the gross amount, 0.006 for 0.6% (at least 0, below 1)';
COMMENT ON COLUMN @extschema@.qr_recon_fee_rates.fixed IS 'Fixed fee per line, in the line''s currency (finite, zero or more)';
COMMENT ON COLUMN @extschema@.qr_recon_fee_rates.source IS 'The agreement or tariff the rate comes from';
CREATE UNIQUE INDEX qr_recon_fee_rates_key ON @extschema@.qr_recon_fee_rates
    (provider, (coalesce(currency, '')), valid_during);
SELECT pg_catalog.pg_extension_config_dump('@extschema@.qr_recon_fee_rates', '');

CREATE TABLE @extschema@.qr_fx_rates (
    from_currency text NOT NULL CONSTRAINT qr_fx_rates_from_currency_code CHECK (from_currency ~ '^[A-Z]{3}$'),
    to_currency text NOT NULL CONSTRAINT qr_fx_rates_to_currency_code CHECK (to_currency ~ '^[A-Z]{3}$'),
    valid_during tstzrange NOT NULL DEFAULT '(,)' CONSTRAINT qr_fx_rates_valid_during_nonempty
        CHECK (NOT pg_catalog.isempty(valid_during)),
    rate numeric NOT NULL CONSTRAINT qr_fx_rates_rate_range CHECK (rate > 0 AND rate < 'Infinity'),
    source text,
    PRIMARY KEY (from_currency, to_currency, valid_during),
    CONSTRAINT qr_fx_rates_two_currencies CHECK (from_currency <> to_currency)
);
COMMENT ON TABLE @extschema@.qr_fx_rates IS
    'Exchange rates qr_match converts a statement line''s amount into its ledger row''s currency with: 1 from_currency = rate to_currency, during valid_during (by the statement line''s time; the period that began last applies). A line in another currency without a rate either way is an amount_mismatch. Rows are the user''s own and are dumped';
COMMENT ON COLUMN @extschema@.qr_fx_rates.from_currency IS 'ISO 4217 code converted from (three capital letters)';
COMMENT ON COLUMN @extschema@.qr_fx_rates.to_currency IS 'ISO 4217 code converted to (three capital letters), not from_currency';
COMMENT ON COLUMN @extschema@.qr_fx_rates.valid_during IS 'When the rate holds';
COMMENT ON COLUMN @extschema@.qr_fx_rates.rate IS 'Units of to_currency for one unit of from_currency (positive, finite); the inverse serves the other direction when it has no rate of its own';
COMMENT ON COLUMN @extschema@.qr_fx_rates.source IS 'Where the rate comes from (the provider''s settlement rate, a central bank fixing)';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.qr_fx_rates', '');

GRANT SELECT ON @extschema@.qr_recon_settings, @extschema@.qr_recon_fee_rates, @extschema@.qr_fx_rates TO PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON @extschema@.qr_recon_settings, @extschema@.qr_recon_fee_rates,
      @extschema@.qr_fx_rates TO @extowner@ WITH GRANT OPTION;

-- who changed how runs match, and when: every change is in qr_recon_audit
CREATE TRIGGER qr_recon_settings_audit AFTER INSERT OR UPDATE OR DELETE ON @extschema@.qr_recon_settings
    FOR EACH ROW EXECUTE FUNCTION @extschema@.qr_recon_audit();
CREATE TRIGGER qr_recon_settings_audit_truncate AFTER TRUNCATE ON @extschema@.qr_recon_settings
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.qr_recon_audit();
CREATE TRIGGER qr_recon_fee_rates_audit AFTER INSERT OR UPDATE OR DELETE ON @extschema@.qr_recon_fee_rates
    FOR EACH ROW EXECUTE FUNCTION @extschema@.qr_recon_audit();
CREATE TRIGGER qr_recon_fee_rates_audit_truncate AFTER TRUNCATE ON @extschema@.qr_recon_fee_rates
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.qr_recon_audit();
CREATE TRIGGER qr_fx_rates_audit AFTER INSERT OR UPDATE OR DELETE ON @extschema@.qr_fx_rates
    FOR EACH ROW EXECUTE FUNCTION @extschema@.qr_recon_audit();
CREATE TRIGGER qr_fx_rates_audit_truncate AFTER TRUNCATE ON @extschema@.qr_fx_rates
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.qr_recon_audit();
COMMENT ON TABLE @extschema@.qr_recon_audit IS
    'Every change to qr_statement_formats, qr_statement_batches, qr_recon_runs, qr_recon_breaks, qr_recon_settings, qr_recon_fee_rates and qr_fx_rates: who, when, what, the row before and after. Written by a trigger as the table''s owner; no other role can write, change or delete its rows. Not dumped by pg_dump: it is the history of this database (a restore is itself recorded)';
COMMENT ON FUNCTION @extschema@.qr_recon_audit() IS
    'Trigger: appends each change of a back-office table (statement formats and batches, runs, breaks, reconciliation settings and rates) to qr_recon_audit, as the audit table''s owner, naming the role that made it';

-- A provider's settings as qr_match applies them.  The override is checked
-- without an exception block: a subtransaction is refused in parallel mode,
-- and this function is PARALLEL SAFE.
CREATE FUNCTION @extschema@.qr_recon_settings_for(provider text, settings jsonb DEFAULT NULL) RETURNS jsonb
LANGUAGE plpgsql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    known constant text[] := ARRAY['keys', 'time_window', 'date_lag', 'amount_tolerance', 'tolerance_percent',
                                   'group_search', 'group_max_rows', 'statement_amounts', 'fx_tolerance_percent'];
    key_names constant text[] := ARRAY['reference', 'parent_reference', 'amount'];
    v_keys text[] := key_names;
    v_window interval := interval '15 minutes';
    v_lag interval := interval '0';
    v_tolerance numeric := 0;
    v_percent numeric := 0;
    v_group_search boolean := true;
    v_group_max integer := 5;
    v_amounts text := 'gross';
    v_fx_percent numeric := 1;
    r record;
    k text;
    v jsonb;
    kind text;
    t text;
    span interval;
    num numeric;
BEGIN
    -- the provider's own row, else the '*' row, else the built-in defaults
    -- (a row holds every setting: its columns default to the built-in values)
    FOR r IN SELECT s.* FROM @extschema@.qr_recon_settings s
              WHERE s.provider = '*' OR s.provider = qr_recon_settings_for.provider
              ORDER BY s.provider = '*' DESC LOOP
        v_keys := r.keys;
        v_window := r.time_window;
        v_lag := r.date_lag;
        v_tolerance := r.amount_tolerance;
        v_percent := r.tolerance_percent;
        v_group_search := r.group_search;
        v_group_max := r.group_max_rows;
        v_amounts := r.statement_amounts;
        v_fx_percent := r.fx_tolerance_percent;
    END LOOP;

    -- then the override: every key known, every value of its type and range;
    -- a key set to null is no override
    IF settings IS NOT NULL THEN
        IF pg_catalog.jsonb_typeof(settings) <> 'object' THEN
            RAISE EXCEPTION 'reconciliation settings are a jsonb object, not %', pg_catalog.jsonb_typeof(settings)
                  USING ERRCODE = 'invalid_parameter_value',
                        HINT = pg_catalog.format('The settings are %s.', pg_catalog.array_to_string(known, ', '));
        END IF;
        FOR k, v IN SELECT e.key, e.value FROM pg_catalog.jsonb_each(settings) e ORDER BY e.key LOOP
            kind := pg_catalog.jsonb_typeof(v);
            IF NOT k = ANY (known) THEN
                RAISE EXCEPTION 'unknown reconciliation setting "%"', k
                      USING ERRCODE = 'invalid_parameter_value',
                            HINT = pg_catalog.format('The settings are %s.', pg_catalog.array_to_string(known, ', '));
            END IF;
            CONTINUE WHEN kind = 'null';
            t := v #>> '{}';
            CASE k
            WHEN 'keys' THEN
                IF kind <> 'array' OR EXISTS (SELECT FROM pg_catalog.jsonb_array_elements(v) e
                                               WHERE pg_catalog.jsonb_typeof(e) <> 'string') THEN
                    RAISE EXCEPTION 'reconciliation setting "keys" is an array of key names, not %', v
                          USING ERRCODE = 'invalid_parameter_value',
                                HINT = 'For example ["reference", "parent_reference", "amount"].';
                END IF;
                v_keys := ARRAY(SELECT e FROM pg_catalog.jsonb_array_elements_text(v) e);
                IF pg_catalog.cardinality(v_keys) = 0 OR NOT v_keys <@ key_names THEN
                    RAISE EXCEPTION 'reconciliation setting "keys" names one or more of %, not %',
                          pg_catalog.array_to_string(key_names, ', '), v
                          USING ERRCODE = 'invalid_parameter_value';
                END IF;
            WHEN 'time_window', 'date_lag' THEN
                -- text that does not even start like an interval is refused
                -- here; the cast names the value of the rest
                IF kind <> 'string' OR t !~ '^\s*[-+@.0-9P]' OR t !~ '[0-9]' THEN
                    RAISE EXCEPTION 'reconciliation setting "%" is an interval as a string, not %', k, v
                          USING ERRCODE = 'invalid_parameter_value', HINT = 'For example "15 minutes" or "PT15M".';
                END IF;
                span := t::interval;
                IF span < interval '0' OR NOT pg_catalog.isfinite(span) THEN
                    RAISE EXCEPTION 'reconciliation setting "%" is a finite interval of zero or more, not %', k, t
                          USING ERRCODE = 'invalid_parameter_value';
                END IF;
                IF k = 'time_window' THEN
                    v_window := span;
                ELSE
                    v_lag := span;
                END IF;
            WHEN 'amount_tolerance', 'tolerance_percent', 'fx_tolerance_percent' THEN
                -- a number, or a string holding one (an interval or numeric
                -- argument turned into jsonb); not NaN or Infinity
                IF NOT (kind = 'number'
                        OR (kind = 'string' AND t ~ '^\s*[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?\s*$')) THEN
                    RAISE EXCEPTION 'reconciliation setting "%" is a finite number of zero or more, not %', k, v
                          USING ERRCODE = 'invalid_parameter_value';
                END IF;
                num := t::numeric;
                IF num < 0 THEN
                    RAISE EXCEPTION 'reconciliation setting "%" is a finite number of zero or more, not %', k, t
                          USING ERRCODE = 'invalid_parameter_value';
                END IF;
                IF k = 'amount_tolerance' THEN
                    v_tolerance := num;
                ELSIF k = 'tolerance_percent' THEN
                    v_percent := num;
                ELSE
                    v_fx_percent := num;
                END IF;
            WHEN 'group_search' THEN
                IF kind <> 'boolean' THEN
                    RAISE EXCEPTION 'reconciliation setting "group_search" is true or false, not %', v
                          USING ERRCODE = 'invalid_parameter_value';
                END IF;
                v_group_search := t::boolean;
            WHEN 'group_max_rows' THEN
                IF kind <> 'number' OR t::numeric <> pg_catalog.trunc(t::numeric) OR t::numeric < 2 OR t::numeric > 64 THEN
                    RAISE EXCEPTION 'reconciliation setting "group_max_rows" is a whole number from 2 to 64, not %', v
                          USING ERRCODE = 'invalid_parameter_value';
                END IF;
                v_group_max := t::numeric::integer;
            WHEN 'statement_amounts' THEN
                IF kind <> 'string' OR t NOT IN ('gross', 'net') THEN
                    RAISE EXCEPTION 'reconciliation setting "statement_amounts" is "gross" or "net", not %', v
                          USING ERRCODE = 'invalid_parameter_value';
                END IF;
                v_amounts := t;
            END CASE;
        END LOOP;
    END IF;
    RETURN pg_catalog.jsonb_build_object('keys', pg_catalog.to_jsonb(v_keys), 'time_window', v_window, 'date_lag', v_lag,
                                         'amount_tolerance', v_tolerance, 'tolerance_percent', v_percent,
                                         'group_search', v_group_search, 'group_max_rows', v_group_max,
                                         'statement_amounts', v_amounts, 'fx_tolerance_percent', v_fx_percent);
END $$;
COMMENT ON FUNCTION @extschema@.qr_recon_settings_for(text, jsonb) IS
    'The settings qr_match applies to a provider''s rows, as jsonb: the provider''s row of qr_recon_settings, else the ''*'' row, else the built-in defaults, overridden key by key by settings (its keys: keys, time_window, date_lag, amount_tolerance, tolerance_percent, group_search, group_max_rows, statement_amounts, fx_tolerance_percent; a key set to null overrides nothing). An unknown key or a value of the wrong type or range raises 22023 naming the key. A NULL provider gives the settings of every provider without a row of its own';

-- =====================================================================
-- Part 3. The matching engine (src/qrpay_match.c)
-- =====================================================================

-- One pass over both relations, sorted together: groups by reference and
-- parent reference, refunds linked to their originals, fees and currencies
-- checked, rows without a key paired by nearest time in a sliding window,
-- ties never guessed.  The 0.6.0 entry points keep their columns; a NULL
-- window or tolerance now means "as the settings say".
CREATE FUNCTION @extschema@.qr_match(ledger regclass, statement regclass, settings jsonb DEFAULT NULL)
RETURNS TABLE (status text, ledger_txn text, statement_txn text, amount_diff numeric, reason text,
               provider text, ledger_ts timestamptz, statement_ts timestamptz,
               ledger_amount numeric, statement_amount numeric,
               ledger_currency text, statement_currency text,
               group_id bigint, candidates text[], original_txn text, net_amount numeric,
               fee numeric, expected_fee numeric, fx_rate numeric)
AS 'MODULE_PATHNAME', 'qr_match' LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION @extschema@.qr_match(regclass, regclass, jsonb) IS
    'Reconciles a ledger against a provider statement (both with txn_id, provider, reference, amount, currency, ts; optional parent_reference, kind, statement fee, ledger context) under each provider''s settings (qr_recon_settings, overridden by settings): groups by reference and parent reference (matched_group), refunds against their original (refund_matched, refund_orphan, net_amount), fees against qr_recon_fee_rates (fee_mismatch), other currencies through qr_fx_rates (fx_difference), rows without a key by amount and nearest time, ties never guessed (ambiguous, with the candidates), then sets that add up. Every row but context rows in exactly one result row; the result does not depend on work_mem';

-- qr_reconcile_detail and qr_reconcile are the engine itself, returning its
-- first ten and five columns: no wrapper materializes the result again
CREATE OR REPLACE FUNCTION @extschema@.qr_reconcile_detail(ledger regclass, statement regclass,
                                                          time_window interval DEFAULT NULL, amount_tolerance numeric DEFAULT NULL)
RETURNS TABLE (status text, ledger_txn text, statement_txn text, amount_diff numeric, reason text,
               provider text, ledger_ts timestamptz, statement_ts timestamptz,
               ledger_amount numeric, statement_amount numeric)
AS 'MODULE_PATHNAME', 'qr_reconcile_detail' LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION @extschema@.qr_reconcile_detail(regclass, regclass, interval, numeric) IS
    'qr_match''s outcomes with the provider, the ledger and statement times and the ledger and statement amounts of each (its first ten columns); a time window or amount tolerance given overrides the settings, NULL leaves them (qr_recon_settings)';

CREATE OR REPLACE FUNCTION @extschema@.qr_reconcile(ledger regclass, statement regclass,
                                                   time_window interval DEFAULT NULL, amount_tolerance numeric DEFAULT NULL)
RETURNS TABLE (status text, ledger_txn text, statement_txn text, amount_diff numeric, reason text)
AS 'MODULE_PATHNAME', 'qr_reconcile_detail' LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION @extschema@.qr_reconcile(regclass, regclass, interval, numeric) IS
    'Reconciles a ledger against a provider statement (both with txn_id, provider, reference, amount, currency, ts), as qr_match does under each provider''s settings (a time window or amount tolerance given overrides them), returning its first five columns. Every row of both sides appears in exactly one result row: matched, matched_group, refund_matched; amount_mismatch, outside_window, missing_in_statement, missing_in_ledger, duplicate_in_ledger, duplicate_in_statement, ambiguous, refund_orphan, fee_mismatch or fx_difference';

-- NULL relations or time zone give no rows, as when it was STRICT; a NULL
-- window or tolerance is the settings'
CREATE OR REPLACE FUNCTION @extschema@.qr_break_summary(ledger regclass, statement regclass,
                                                       time_window interval DEFAULT NULL, amount_tolerance numeric DEFAULT NULL,
                                                       time_zone text DEFAULT 'Asia/Shanghai')
RETURNS TABLE (provider text, day date, status text, rows bigint, ledger_amount numeric, statement_amount numeric)
LANGUAGE sql STABLE CALLED ON NULL INPUT PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp AS $$
    SELECT d.provider, (coalesce(d.ledger_ts, d.statement_ts) AT TIME ZONE time_zone)::date, d.status,
           count(*), sum(d.ledger_amount), sum(d.statement_amount)
      FROM @extschema@.qr_reconcile_detail(ledger, statement, time_window, amount_tolerance) d
     WHERE ledger IS NOT NULL AND statement IS NOT NULL AND time_zone IS NOT NULL
     GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
$$;
COMMENT ON FUNCTION @extschema@.qr_break_summary(regclass, regclass, interval, numeric, text) IS
    'qr_reconcile''s outcomes counted and summed by provider, day (in time_zone) and status; NULL relations or time zone give no rows, a NULL window or tolerance is the settings''';

-- =====================================================================
-- Part 4. The back office's runs on the new engine
-- =====================================================================

-- A run's results carry what the engine says beyond the 0.8.0 columns
ALTER TABLE @extschema@.qr_recon_results
    ADD COLUMN statement_currency text,
    ADD COLUMN group_id bigint,
    ADD COLUMN candidates text[],
    ADD COLUMN original_txn text,
    ADD COLUMN net_amount numeric,
    ADD COLUMN fee numeric,
    ADD COLUMN expected_fee numeric,
    ADD COLUMN fx_rate numeric;
COMMENT ON COLUMN @extschema@.qr_recon_results.status IS
    'As qr_match: matched, matched_group, refund_matched (not breaks); amount_mismatch, outside_window, missing_in_statement, missing_in_ledger, duplicate_in_ledger, duplicate_in_statement, ambiguous, refund_orphan, fee_mismatch, fx_difference (breaks)';
COMMENT ON COLUMN @extschema@.qr_recon_results.currency IS 'Currency of the ledger amount and of amount_diff (the statement''s when there is no ledger row)';
COMMENT ON COLUMN @extschema@.qr_recon_results.statement_currency IS 'Currency of the statement amount';
COMMENT ON COLUMN @extschema@.qr_recon_results.amount_diff IS 'Statement amount minus ledger amount, in the ledger''s currency (for a group, the difference of the sums, on its first row)';
COMMENT ON COLUMN @extschema@.qr_recon_results.group_id IS 'The group the row is part of: rows matched together (matched_group), a group that does not add up, the rows of a tie (ambiguous)';
COMMENT ON COLUMN @extschema@.qr_recon_results.candidates IS 'For an ambiguous row: the other side''s rows it could have been paired with';
COMMENT ON COLUMN @extschema@.qr_recon_results.original_txn IS 'For a refund, and for a payment that was refunded: the original payment''s ledger txn_id';
COMMENT ON COLUMN @extschema@.qr_recon_results.net_amount IS 'The original payment''s amount less all its refunds (on the refund rows and on the original''s own row)';
COMMENT ON COLUMN @extschema@.qr_recon_results.fee IS 'The provider''s fee on the statement line';
COMMENT ON COLUMN @extschema@.qr_recon_results.expected_fee IS 'The fee qr_recon_fee_rates gives for the line (fee_mismatch when it differs)';
COMMENT ON COLUMN @extschema@.qr_recon_results.fx_rate IS 'The qr_fx_rates rate the statement amount was converted into the ledger''s currency with';
COMMENT ON COLUMN @extschema@.qr_recon_runs.settings IS
    'What the run was told and what it applied: {"override": the settings given (time_window and amount_tolerance arguments included), "providers": {provider: its effective settings, as qr_recon_settings_for gives them}}. Runs of 0.8.0: time_window and amount_tolerance';
COMMENT ON COLUMN @extschema@.qr_recon_runs.ledger_rows IS 'Ledger rows it read, context rows (the originals of refunds, read for them) not counted: each is in exactly one result row';
COMMENT ON COLUMN @extschema@.qr_recon_breaks.side IS
    'Which side''s row the break is about: ledger when the outcome has a ledger row, else statement (missing_in_ledger, duplicate_in_statement, a refund_orphan or ambiguous line)';
COMMENT ON COLUMN @extschema@.qr_recon_breaks.kind IS
    'The outcome the latest run found (a qr_recon_results status other than matched, matched_group and refund_matched)';
COMMENT ON COLUMN @extschema@.qr_recon_breaks.currency IS 'Currency of the amount (the ledger row''s, else the statement line''s)';
COMMENT ON COLUMN @extschema@.qr_recon_breaks.amount IS
    'The amount at stake (absolute): the fee''s difference from the expected fee for fee_mismatch, the difference for amount_mismatch and fx_difference (for a group, on its first row only), the row''s amount otherwise';

-- A refund line is known by its own refund reference (else refund id); the
-- order it refunds is its parent.  The lines of open breaks are found by it.
DROP INDEX @extschema@.qr_statement_lines_reference;
CREATE INDEX qr_statement_lines_reference ON @extschema@.qr_statement_lines
    ((CASE WHEN refund_amount <> 0 THEN coalesce(refund_reference, refund_txn) ELSE reference END));

-- The run's inputs have optional columns: a relation that has one gives
-- it, else it is NULL.  Text is read as NULL when empty, as references are.
CREATE FUNCTION @extschema@.qr_recon_optional_column(rel regclass, col text, typ regtype) RETURNS text
LANGUAGE sql STABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE WHEN NOT EXISTS (SELECT FROM pg_catalog.pg_attribute a
                                  WHERE a.attrelid = rel AND a.attname = col AND a.attnum > 0 AND NOT a.attisdropped)
                THEN pg_catalog.format('NULL::%s', typ)
                WHEN typ = 'text'::regtype
                THEN pg_catalog.format('CASE WHEN x.%1$I::text <> %2$L THEN x.%1$I::text END', col, '')
                ELSE pg_catalog.format('x.%I::%s', col, typ) END
$$;
COMMENT ON FUNCTION @extschema@.qr_recon_optional_column(regclass, text, regtype) IS
    'Part of qr_recon_run: the select-list expression reading an optional column of a ledger or statement relation (alias x) as the type given, NULL when the relation has no such column (text: NULL when empty too)';

-- the 0.8.0 checks of the window and tolerance are the settings' now
DROP FUNCTION @extschema@.qr_recon_check_settings(interval, numeric);
DROP FUNCTION @extschema@.qr_recon_execute(bigint, interval, numeric);
DROP FUNCTION @extschema@.qr_recon_run(regclass, bigint[], interval, numeric);
DROP FUNCTION @extschema@.qr_recon_run(regclass, regclass, interval, numeric);

-- The run proper, over pg_temp.qr_recon_run$ledger (txn_id, provider,
-- reference, parent_reference, kind, context, amount, currency, ts) and
-- pg_temp.qr_recon_run$statement (txn_id, provider, reference,
-- parent_reference, kind, amount, fee, currency, ts, and the line's batch,
-- line and provider id as stxn) that qr_recon_run filled: refunds of a
-- ledger without parent references linked, qr_match's outcomes under the
-- run's settings, breaks carried over, opened and closed, the results
-- written.
CREATE FUNCTION @extschema@.qr_recon_execute(run bigint, ledger_parents boolean) RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    override jsonb;
    nl bigint;
    ns bigint;
BEGIN
    IF run IS NULL OR ledger_parents IS NULL THEN
        RAISE EXCEPTION 'qr_recon_execute needs a run and whether its ledger has parent references'
              USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT r.settings -> 'override' INTO override FROM @extschema@.qr_recon_runs r
     WHERE r.id = run AND r.status = 'running' AND r.xact = pg_catalog.pg_current_xact_id();
    IF NOT FOUND OR pg_catalog.to_regclass('pg_temp.qr_recon_run$ledger') IS NULL
       OR pg_catalog.to_regclass('pg_temp.qr_recon_run$statement') IS NULL THEN
        RAISE EXCEPTION 'qr_recon_execute is called by qr_recon_run' USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    -- a ledger without parent references: its row under a statement
    -- refund's own reference is that refund, of the order the statement names
    IF NOT ledger_parents THEN
        UPDATE pg_temp.qr_recon_run$ledger x SET parent_reference = s.parent_reference, kind = coalesce(x.kind, 'refund')
          FROM (SELECT DISTINCT ON (y.provider, y.reference) y.provider, y.reference, y.parent_reference
                  FROM pg_temp.qr_recon_run$statement y
                 WHERE y.reference IS NOT NULL AND y.parent_reference IS NOT NULL
                   AND (y.kind IN ('refund', 'reversal', 'chargeback') OR (y.kind IS NULL AND y.amount < 0))
                 ORDER BY y.provider, y.reference, y.txn_id) s
         WHERE s.provider = x.provider AND s.reference = x.reference AND NOT x.context;
    END IF;
    -- planned on their real sizes: temporary tables have no statistics
    -- until analyzed, and the joins below would nest loops over them
    ANALYZE pg_temp.qr_recon_run$ledger;
    ANALYZE pg_temp.qr_recon_run$statement;
    SELECT count(*) INTO nl FROM pg_temp.qr_recon_run$ledger x WHERE NOT x.context;
    SELECT count(*) INTO ns FROM pg_temp.qr_recon_run$statement;

    IF pg_catalog.to_regclass('pg_temp.qr_recon_run$outcome') IS NOT NULL THEN
        DROP TABLE pg_temp.qr_recon_run$outcome;
    END IF;
    CREATE TEMP TABLE qr_recon_run$outcome ON COMMIT DROP AS
    SELECT pg_catalog.row_number() OVER (ORDER BY coalesce(d.ledger_ts, d.statement_ts), d.ledger_txn, d.statement_txn)::int AS seq,
           d.status, d.provider, d.ledger_txn, s.stxn AS statement_txn, s.batch, s.line,
           coalesce(d.ledger_currency, d.statement_currency) AS currency, d.statement_currency,
           d.amount_diff, d.reason, d.ledger_ts, d.statement_ts, d.ledger_amount, d.statement_amount,
           d.group_id, d.candidates, d.original_txn, d.net_amount, d.fee, d.expected_fee, d.fx_rate,
           -- the row a break is about, if the outcome is one
           CASE WHEN d.status IN ('matched', 'matched_group', 'refund_matched') THEN NULL
                WHEN d.ledger_txn IS NOT NULL THEN 'ledger' ELSE 'statement' END AS side,
           CASE WHEN d.status IN ('matched', 'matched_group', 'refund_matched') THEN NULL
                ELSE coalesce(d.ledger_txn, s.stxn) END AS txn,
           CASE WHEN d.ledger_txn IS NOT NULL THEN l.reference ELSE s.reference END AS reference,
           NULL::bigint AS break
      FROM @extschema@.qr_match('pg_temp.qr_recon_run$ledger', 'pg_temp.qr_recon_run$statement', override) d
      LEFT JOIN pg_temp.qr_recon_run$statement s ON s.txn_id = d.statement_txn
      LEFT JOIN (SELECT DISTINCT ON (x.txn_id) x.txn_id, x.reference FROM pg_temp.qr_recon_run$ledger x
                  ORDER BY x.txn_id, x.context, x.reference) l ON l.txn_id = d.ledger_txn;

    CREATE INDEX ON pg_temp.qr_recon_run$outcome (provider, side, txn);
    ANALYZE pg_temp.qr_recon_run$outcome;

    -- breaks this run examined and no longer finds: resolved by this run
    UPDATE @extschema@.qr_recon_breaks b
       SET status = 'resolved', closed_run = run,
           note = coalesce(b.note || E'\n', '') || pg_catalog.format('resolved by run %s: %s', run, o.status)
      FROM (SELECT DISTINCT ON (x.provider, x.side, x.txn) x.provider, x.side, x.txn, x.status
              FROM (SELECT provider, 'ledger' AS side, ledger_txn AS txn, status FROM pg_temp.qr_recon_run$outcome WHERE ledger_txn IS NOT NULL
                    UNION ALL
                    SELECT provider, 'statement', statement_txn, status FROM pg_temp.qr_recon_run$outcome WHERE statement_txn IS NOT NULL) x
             ORDER BY x.provider, x.side, x.txn, x.status NOT IN ('matched', 'matched_group', 'refund_matched')) o
     WHERE b.status IN ('open', 'assigned') AND b.provider = o.provider AND b.side = o.side AND b.txn = o.txn
       AND NOT EXISTS (SELECT FROM pg_temp.qr_recon_run$outcome u
                        WHERE u.side = b.side AND u.provider = b.provider AND u.txn = b.txn);

    -- a statement break whose file was superseded or withdrawn, and which
    -- no file in force lists any more (the run would have read it):
    -- resolved by this run, the first to run without it
    UPDATE @extschema@.qr_recon_breaks b
       SET status = 'resolved', closed_run = run,
           note = coalesce(b.note || E'\n', '') || pg_catalog.format('resolved by run %s: batch %s, which listed it, is %s and no batch in force lists it',
                                                                   run, b.batch, x.status)
      FROM @extschema@.qr_statement_batches x
     WHERE b.status IN ('open', 'assigned') AND b.side = 'statement' AND x.id = b.batch
       AND x.status IN ('superseded', 'withdrawn')
       AND b.provider = ANY ((SELECT r.providers FROM @extschema@.qr_recon_runs r WHERE r.id = run)::text[])
       AND NOT EXISTS (SELECT FROM pg_temp.qr_recon_run$outcome u
                        WHERE u.provider = b.provider AND u.statement_txn = b.txn);

    -- breaks still found: the open one carried over, a written-off one
    -- left so, else a new one
    UPDATE pg_temp.qr_recon_run$outcome u SET break = w.id
      FROM @extschema@.qr_recon_breaks w
     WHERE u.side IS NOT NULL AND w.status = 'written_off' AND w.provider = u.provider AND w.side = u.side
       AND w.txn = u.txn AND w.kind = u.status;
    INSERT INTO @extschema@.qr_recon_breaks AS b (provider, side, txn, reference, kind, ledger_txn, statement_txn, batch,
                                                 line, currency, amount, txn_at, opened_run, last_run)
    SELECT DISTINCT ON (u.provider, u.side, u.txn)
           u.provider, u.side, u.txn, u.reference, u.status, u.ledger_txn, u.statement_txn, u.batch, u.line, u.currency,
           pg_catalog.abs(CASE WHEN u.status = 'fee_mismatch' THEN u.fee - u.expected_fee
                               WHEN u.status IN ('amount_mismatch', 'fx_difference') THEN u.amount_diff
                               ELSE coalesce(u.ledger_amount, u.statement_amount) END),
           coalesce(u.ledger_ts, u.statement_ts), run, run
      FROM pg_temp.qr_recon_run$outcome u
     WHERE u.side IS NOT NULL AND u.break IS NULL
     ORDER BY u.provider, u.side, u.txn, u.seq
    ON CONFLICT (provider, side, txn) WHERE status IN ('open', 'assigned') DO UPDATE
       SET kind = excluded.kind, ledger_txn = excluded.ledger_txn, statement_txn = excluded.statement_txn,
           batch = excluded.batch, line = excluded.line, currency = excluded.currency, amount = excluded.amount,
           txn_at = excluded.txn_at, last_run = run
     WHERE (b.kind, b.ledger_txn, b.statement_txn, b.batch, b.line, b.currency, b.amount, b.txn_at, b.last_run)
           IS DISTINCT FROM (excluded.kind, excluded.ledger_txn, excluded.statement_txn, excluded.batch, excluded.line,
                             excluded.currency, excluded.amount, excluded.txn_at, run);
    UPDATE pg_temp.qr_recon_run$outcome u SET break = b.id
      FROM @extschema@.qr_recon_breaks b
     WHERE u.side IS NOT NULL AND u.break IS NULL AND b.status IN ('open', 'assigned') AND b.provider = u.provider
       AND b.side = u.side AND b.txn = u.txn;

    INSERT INTO @extschema@.qr_recon_results (run, seq, status, provider, ledger_txn, statement_txn, batch, line, currency,
                                              amount_diff, reason, ledger_ts, statement_ts, ledger_amount, statement_amount, break,
                                              statement_currency, group_id, candidates, original_txn, net_amount, fee,
                                              expected_fee, fx_rate)
    SELECT run, u.seq, u.status, u.provider, u.ledger_txn, u.statement_txn, u.batch, u.line, u.currency, u.amount_diff,
           u.reason, u.ledger_ts, u.statement_ts, u.ledger_amount, u.statement_amount, u.break,
           u.statement_currency, u.group_id, u.candidates, u.original_txn, u.net_amount, u.fee, u.expected_fee, u.fx_rate
      FROM pg_temp.qr_recon_run$outcome u;

    UPDATE @extschema@.qr_recon_runs r
       SET status = 'done', finished_at = pg_catalog.clock_timestamp(), ledger_rows = nl, statement_rows = ns,
           outcomes = (SELECT coalesce(pg_catalog.jsonb_object_agg(c.status, c.n), '{}')
                         FROM (SELECT u.status, count(*) AS n FROM pg_temp.qr_recon_run$outcome u GROUP BY u.status) c)
     WHERE r.id = run;
    DROP TABLE pg_temp.qr_recon_run$outcome;
    DROP TABLE pg_temp.qr_recon_run$ledger;
    DROP TABLE pg_temp.qr_recon_run$statement;
END $$;
COMMENT ON FUNCTION @extschema@.qr_recon_execute(bigint, boolean) IS
    'Internal to qr_recon_run: reconciles the rows it gathered with qr_match under the run''s settings (a ledger without parent references, ledger_parents false, has its row under a statement refund''s own reference taken as that refund), carries breaks over, opens and closes them, and writes the run''s results';

-- What a run was told and what it applies to each provider, as recorded in
-- qr_recon_runs.settings; raises 22023 on a setting it cannot apply
CREATE FUNCTION @extschema@.qr_recon_run_settings(providers text[], time_window interval, amount_tolerance numeric,
                                                  settings jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    override jsonb;
BEGIN
    IF settings IS NOT NULL AND pg_catalog.jsonb_typeof(settings) <> 'object' THEN
        -- qr_recon_settings_for says what is wrong with it
        PERFORM @extschema@.qr_recon_settings_for(NULL, settings);
    END IF;
    -- the arguments override the same keys of settings
    override := coalesce(settings, '{}')
             || pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object('time_window', time_window,
                                                                           'amount_tolerance', amount_tolerance));
    PERFORM @extschema@.qr_recon_settings_for(NULL, override);
    RETURN pg_catalog.jsonb_build_object('override', override, 'providers',
               (SELECT coalesce(pg_catalog.jsonb_object_agg(p, @extschema@.qr_recon_settings_for(p, override)), '{}')
                  FROM (SELECT DISTINCT u AS p FROM pg_catalog.unnest(providers) u WHERE u IS NOT NULL) x));
END $$;
COMMENT ON FUNCTION @extschema@.qr_recon_run_settings(text[], interval, numeric, jsonb) IS
    'Part of qr_recon_run: the settings it records, {"override": settings with the time_window and amount_tolerance arguments set over it, "providers": {provider: qr_recon_settings_for(provider, override)}}; 22023 when the override cannot be applied';

CREATE FUNCTION @extschema@.qr_recon_run(ledger regclass, batches bigint[], time_window interval DEFAULT NULL,
                                         amount_tolerance numeric DEFAULT NULL, settings jsonb DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ids bigint[];
    provs text[];
    bad record;
    run bigint;
    recorded jsonb;
    span_from timestamptz;
    span_to timestamptz;
    parent_expr text;
    columns text;
BEGIN
    IF ledger IS NULL OR batches IS NULL THEN
        RAISE EXCEPTION 'qr_recon_run needs a ledger and statement batches' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    PERFORM @extschema@.qr_recon_run_settings(NULL, time_window, amount_tolerance, settings);
    SELECT array_agg(DISTINCT u ORDER BY u) INTO ids FROM pg_catalog.unnest(batches) u WHERE u IS NOT NULL;
    IF ids IS NULL THEN
        RAISE EXCEPTION 'qr_recon_run needs at least one statement batch' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT u AS id INTO bad FROM pg_catalog.unnest(ids) u
     WHERE NOT EXISTS (SELECT FROM @extschema@.qr_statement_batches b WHERE b.id = u) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'no statement batch %', bad.id USING ERRCODE = 'invalid_parameter_value',
              HINT = 'Batches are the ids qr_statement_load returns (qr_statement_batches).';
    END IF;
    PERFORM @extschema@.qr_recon_require_shape(ledger);
    SELECT array_agg(DISTINCT b.provider ORDER BY b.provider) INTO provs
      FROM @extschema@.qr_statement_batches b WHERE b.id = ANY (ids);
    -- runs and loads of these providers wait for each other: then the
    -- batches read here cannot be superseded meanwhile, and two runs never
    -- both open the same break
    PERFORM @extschema@.qr_back_office_lock(provs);
    SELECT b.id, b.status, b.superseded_by INTO bad FROM @extschema@.qr_statement_batches b
     WHERE b.id = ANY (ids) AND b.status IN ('superseded', 'withdrawn') ORDER BY b.id LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'statement batch % is %', bad.id, bad.status
              USING ERRCODE = 'object_not_in_prerequisite_state',
                    HINT = CASE WHEN bad.status = 'superseded' THEN pg_catalog.format('Run batch %s, the corrected file, instead.', bad.superseded_by)
                                ELSE 'A withdrawn batch is not reconciled.' END;
    END IF;
    recorded := @extschema@.qr_recon_run_settings(provs, time_window, amount_tolerance, settings);

    -- the days the batches cover, as one span: the ledger is scanned once,
    -- and only its rows inside the span are checked against each batch
    SELECT min(pg_catalog.lower(b.period)), max(pg_catalog.upper(b.period)) INTO span_from, span_to
      FROM @extschema@.qr_statement_batches b WHERE b.id = ANY (ids);

    INSERT INTO @extschema@.qr_recon_runs (ledger, batches, providers, settings)
    VALUES (ledger::text, ids, provs, recorded)
    RETURNING id INTO run;

    -- the statement: the batches' readable lines, and, from other batches
    -- still in force, the lines of still-open statement breaks of these
    -- providers and the lines that share a reference with any of their open
    -- breaks: a break is judged again with the rows it was found with.  A
    -- refund line (one with a refund amount) counts as minus the refund,
    -- under its refund reference, with the order it refunds as its parent.
    IF pg_catalog.to_regclass('pg_temp.qr_recon_run$statement') IS NOT NULL THEN
        DROP TABLE pg_temp.qr_recon_run$statement;
    END IF;
    CREATE TEMP TABLE qr_recon_run$statement ON COMMIT DROP AS
    WITH picked AS (
        SELECT l.batch, l.line FROM @extschema@.qr_statement_lines l
         WHERE l.batch = ANY (ids) AND l.error IS NULL
        UNION
        SELECT l.batch, l.line
          FROM @extschema@.qr_recon_breaks k
          JOIN @extschema@.qr_statement_lines l ON (CASE WHEN l.refund_amount <> 0 THEN coalesce(l.refund_txn, l.refund_reference, l.provider_txn) ELSE l.provider_txn END) = k.txn
          JOIN @extschema@.qr_statement_batches b ON b.id = l.batch
         WHERE k.status IN ('open', 'assigned') AND k.side = 'statement' AND k.provider = ANY (provs)
           AND b.provider = k.provider AND b.status IN ('loaded', 'unbalanced') AND l.error IS NULL
        UNION
        SELECT l.batch, l.line
          FROM @extschema@.qr_recon_breaks k
          JOIN @extschema@.qr_statement_lines l ON (CASE WHEN l.refund_amount <> 0 THEN coalesce(l.refund_reference, l.refund_txn) ELSE l.reference END) = k.reference
          JOIN @extschema@.qr_statement_batches b ON b.id = l.batch
         WHERE k.status IN ('open', 'assigned') AND k.provider = ANY (provs)
           AND b.provider = k.provider AND b.status IN ('loaded', 'unbalanced') AND l.error IS NULL
    )
    SELECT l.batch || ':' || l.line AS txn_id, b.provider,
           CASE WHEN l.refund_amount <> 0 THEN coalesce(l.refund_reference, l.refund_txn) ELSE l.reference END AS reference,
           CASE WHEN l.refund_amount <> 0 THEN l.reference END AS parent_reference,
           CASE WHEN l.refund_amount <> 0 THEN 'refund' ELSE 'payment' END AS kind,
           CASE WHEN l.refund_amount <> 0 THEN -l.refund_amount ELSE l.amount END AS amount,
           l.fee, l.currency, l.ts, l.batch, l.line,
           CASE WHEN l.refund_amount <> 0 THEN coalesce(l.refund_txn, l.refund_reference, l.provider_txn) ELSE l.provider_txn END AS stxn
      FROM picked p
      JOIN @extschema@.qr_statement_lines l ON l.batch = p.batch AND l.line = p.line
      JOIN @extschema@.qr_statement_batches b ON b.id = l.batch;

    -- the ledger: these providers' rows on the batches' days, the rows of
    -- their still-open ledger breaks, and the rows that share a reference
    -- with any of their open breaks
    IF pg_catalog.to_regclass('pg_temp.qr_recon_run$ledger') IS NOT NULL THEN
        DROP TABLE pg_temp.qr_recon_run$ledger;
    END IF;
    parent_expr := @extschema@.qr_recon_optional_column(ledger, 'parent_reference', 'text');
    columns := pg_catalog.format($q$x.txn_id::text AS txn_id, x.provider::text AS provider,
               CASE WHEN x.reference::text <> '' THEN x.reference::text END AS reference,
               %s AS parent_reference, %s AS kind, coalesce(%s, false) AS context,
               x.amount::numeric AS amount, x.currency::text AS currency, x.ts::timestamptz AS ts$q$,
               parent_expr, @extschema@.qr_recon_optional_column(ledger, 'kind', 'text'),
               @extschema@.qr_recon_optional_column(ledger, 'context', 'boolean'));
    EXECUTE pg_catalog.format($q$
        CREATE TEMP TABLE qr_recon_run$ledger ON COMMIT DROP AS
        SELECT %s
          FROM %s x
         WHERE x.provider::text = ANY ($1)
           AND ((x.ts::timestamptz >= $3 AND x.ts::timestamptz < $4
                 AND EXISTS (SELECT FROM @extschema@.qr_statement_batches b
                              WHERE b.id = ANY ($2) AND b.provider = x.provider::text AND b.period @> x.ts::timestamptz))
                OR (x.provider::text, x.txn_id::text) IN (
                       SELECT k.provider, k.txn FROM @extschema@.qr_recon_breaks k
                        WHERE k.status IN ('open', 'assigned') AND k.side = 'ledger' AND k.provider = ANY ($1))
                OR (x.provider::text, x.reference::text) IN (
                       SELECT k.provider, k.reference FROM @extschema@.qr_recon_breaks k
                        WHERE k.status IN ('open', 'assigned') AND k.provider = ANY ($1) AND k.reference IS NOT NULL))$q$,
        columns, ledger)
    USING provs, ids, span_from, span_to;

    -- the originals of the refunds read (those of other days included),
    -- read as context: they get no result row, and are never paired.  A day
    -- without refunds does not scan the ledger again.
    IF EXISTS (SELECT FROM pg_temp.qr_recon_run$statement r WHERE r.parent_reference IS NOT NULL AND r.kind = 'refund')
       OR EXISTS (SELECT FROM pg_temp.qr_recon_run$ledger r
                   WHERE r.parent_reference IS NOT NULL
                     AND (r.kind IN ('refund', 'reversal', 'chargeback') OR (r.kind IS NULL AND r.amount < 0))) THEN
        EXECUTE pg_catalog.format($q$
            INSERT INTO pg_temp.qr_recon_run$ledger
            SELECT o.txn_id, o.provider, o.reference, o.parent_reference, o.kind, true, o.amount, o.currency, o.ts
              FROM (SELECT %s FROM %s x WHERE x.provider::text = ANY ($1)) o
             WHERE (o.provider, coalesce(o.parent_reference, o.reference)) IN (
                       SELECT r.provider, r.parent_reference FROM pg_temp.qr_recon_run$ledger r
                        WHERE r.parent_reference IS NOT NULL
                          AND (r.kind IN ('refund', 'reversal', 'chargeback') OR (r.kind IS NULL AND r.amount < 0))
                       UNION
                       SELECT r.provider, r.parent_reference FROM pg_temp.qr_recon_run$statement r
                        WHERE r.parent_reference IS NOT NULL AND r.kind = 'refund')
               AND coalesce(o.kind NOT IN ('refund', 'reversal', 'chargeback'), true)
               AND NOT (o.kind IS NULL AND o.amount < 0 AND o.parent_reference IS NOT NULL)
               AND NOT EXISTS (SELECT FROM pg_temp.qr_recon_run$ledger y WHERE y.txn_id = o.txn_id)$q$,
            columns, ledger)
        USING provs;
    END IF;

    PERFORM @extschema@.qr_recon_execute(run, parent_expr NOT LIKE 'NULL::%');
    RETURN run;
END $$;
COMMENT ON FUNCTION @extschema@.qr_recon_run(regclass, bigint[], interval, numeric, jsonb) IS
    'Reconciles a ledger against statement batches with qr_match and records the run: the ledger rows of the batches'' providers on the batches'' days, plus those of still-open breaks, and the originals of the refunds read (as context: no result row of their own), against the batches'' lines (a refund line as minus the refund, under its refund reference, its order as parent), plus those of still-open statement breaks. Settings: each provider''s (qr_recon_settings), overridden by settings, and by time_window and amount_tolerance when given; qr_recon_runs.settings records them. Every row read but context rows lands in exactly one row of qr_recon_results; breaks are opened, carried over, or closed by the match. Runs and loads of one provider wait for each other. Returns the run id';

CREATE FUNCTION @extschema@.qr_recon_run(ledger regclass, statement regclass, time_window interval DEFAULT NULL,
                                         amount_tolerance numeric DEFAULT NULL, settings jsonb DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    run bigint;
    provs text[];
    parent_expr text;
BEGIN
    IF ledger IS NULL OR statement IS NULL THEN
        RAISE EXCEPTION 'qr_recon_run needs a ledger and a statement' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    PERFORM @extschema@.qr_recon_run_settings(NULL, time_window, amount_tolerance, settings);
    PERFORM @extschema@.qr_recon_require_shape(ledger);
    PERFORM @extschema@.qr_recon_require_shape(statement);
    -- two runs over one statement relation wait for each other
    IF NOT pg_catalog.pg_try_advisory_xact_lock(1903325282, statement::oid::int) THEN
        RAISE NOTICE 'waiting for another run over % to finish', statement;
        PERFORM pg_catalog.pg_advisory_xact_lock(1903325282, statement::oid::int);
    END IF;
    IF pg_catalog.to_regclass('pg_temp.qr_recon_run$statement') IS NOT NULL THEN
        DROP TABLE pg_temp.qr_recon_run$statement;
    END IF;
    EXECUTE pg_catalog.format($q$
        CREATE TEMP TABLE qr_recon_run$statement ON COMMIT DROP AS
        SELECT 'S' || pg_catalog.row_number() OVER () AS txn_id, x.provider::text AS provider,
               CASE WHEN x.reference::text <> '' THEN x.reference::text END AS reference,
               %s AS parent_reference, %s AS kind,
               x.amount::numeric AS amount, %s AS fee, x.currency::text AS currency, x.ts::timestamptz AS ts,
               NULL::bigint AS batch, NULL::integer AS line, x.txn_id::text AS stxn
          FROM %s x$q$,
        @extschema@.qr_recon_optional_column(statement, 'parent_reference', 'text'),
        @extschema@.qr_recon_optional_column(statement, 'kind', 'text'),
        @extschema@.qr_recon_optional_column(statement, 'fee', 'numeric'), statement);
    IF pg_catalog.to_regclass('pg_temp.qr_recon_run$ledger') IS NOT NULL THEN
        DROP TABLE pg_temp.qr_recon_run$ledger;
    END IF;
    parent_expr := @extschema@.qr_recon_optional_column(ledger, 'parent_reference', 'text');
    EXECUTE pg_catalog.format($q$
        CREATE TEMP TABLE qr_recon_run$ledger ON COMMIT DROP AS
        SELECT x.txn_id::text AS txn_id, x.provider::text AS provider,
               CASE WHEN x.reference::text <> '' THEN x.reference::text END AS reference,
               %s AS parent_reference, %s AS kind, coalesce(%s, false) AS context,
               x.amount::numeric AS amount, x.currency::text AS currency, x.ts::timestamptz AS ts
          FROM %s x$q$,
        parent_expr, @extschema@.qr_recon_optional_column(ledger, 'kind', 'text'),
        @extschema@.qr_recon_optional_column(ledger, 'context', 'boolean'), ledger);
    SELECT array_agg(DISTINCT p ORDER BY p) INTO provs
      FROM (SELECT x.provider AS p FROM pg_temp.qr_recon_run$ledger x
            UNION SELECT y.provider FROM pg_temp.qr_recon_run$statement y) u;
    INSERT INTO @extschema@.qr_recon_runs (ledger, statement, settings)
    VALUES (ledger::text, statement::text,
            @extschema@.qr_recon_run_settings(ARRAY['*'] || provs, time_window, amount_tolerance, settings))
    RETURNING id INTO run;
    PERFORM @extschema@.qr_recon_execute(run, parent_expr NOT LIKE 'NULL::%');
    RETURN run;
END $$;
COMMENT ON FUNCTION @extschema@.qr_recon_run(regclass, regclass, interval, numeric, jsonb) IS
    'Reconciles a ledger against any relation of the statement shape (txn_id, provider, reference, amount, currency, ts; optional parent_reference, kind, fee) and records the run as qr_recon_run over batches does, with the settings of every provider of the rows and of * (the others); two runs over one statement relation wait for each other';

-- the run's report: the statuses that are not breaks are shown as matched
CREATE OR REPLACE FUNCTION @extschema@.qr_recon_report(run bigint) RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    r @extschema@.qr_recon_runs;
    h text;
    t text;
    as_of timestamptz;
BEGIN
    IF run IS NULL THEN
        RAISE EXCEPTION 'qr_recon_report needs a run' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT * INTO r FROM @extschema@.qr_recon_runs x WHERE x.id = run;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no reconciliation run %', run USING ERRCODE = 'invalid_parameter_value',
              HINT = 'Runs are the ids qr_recon_run returns (qr_recon_runs).';
    END IF;
    as_of := coalesce(r.finished_at, pg_catalog.now());
    h := '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Reconciliation run ' || r.id || '</title>'
      || '<style>body{font:14px/1.4 sans-serif;margin:2em;color:#222}h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em}'
      || 'table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:3px 8px}td.n{text-align:right;font-variant-numeric:tabular-nums}'
      || 'th{background:#f2f2f2;text-align:left}tr.total td{font-weight:bold}.matched{color:#2a7}.break{color:#c33}'
      || 'dl{display:grid;grid-template-columns:max-content auto;gap:2px 12px}dt{font-weight:bold}</style></head><body>'
      || '<h1>Reconciliation run ' || r.id || '</h1><dl id="run">'
      || '<dt>Status</dt><dd>' || @extschema@.qr_html(r.status) || '</dd>'
      || '<dt>Started</dt><dd>' || @extschema@.qr_html(r.started_at::text) || ' by ' || @extschema@.qr_html(r.started_by) || '</dd>'
      || '<dt>Finished</dt><dd>' || @extschema@.qr_html(coalesce(r.finished_at::text, 'not yet')) || '</dd>'
      || '<dt>Ledger</dt><dd>' || @extschema@.qr_html(r.ledger) || ' (<span data-measure="ledger_rows">' || coalesce(r.ledger_rows, 0) || '</span> rows)</dd>'
      || '<dt>Statement</dt><dd>' || coalesce(CASE WHEN r.statement IS NOT NULL THEN @extschema@.qr_html(r.statement) END,
             (SELECT pg_catalog.string_agg(pg_catalog.format('batch %s: %s %s %s, %s lines, %s',
                        b.id, @extschema@.qr_html(b.provider), @extschema@.qr_html(b.format), @extschema@.qr_html(b.period::text),
                        b.lines, @extschema@.qr_html(b.status)), '<br>' ORDER BY b.id)
                FROM @extschema@.qr_statement_batches b WHERE b.id = ANY (r.batches)), '')
      || ' (<span data-measure="statement_rows">' || coalesce(r.statement_rows, 0) || '</span> rows)</dd>'
      || '<dt>Settings</dt><dd>' || @extschema@.qr_html(r.settings::text) || '</dd></dl>';

    -- outcomes by provider and status
    SELECT pg_catalog.string_agg(pg_catalog.format(
               '<tr%s><td>%s</td><td class="%s">%s</td><td class="n" data-provider="%s" data-status="%s" data-measure="rows">%s</td>'
               '<td class="n" data-provider="%s" data-status="%s" data-measure="ledger_amount">%s</td>'
               '<td class="n" data-provider="%s" data-status="%s" data-measure="statement_amount">%s</td></tr>',
               CASE WHEN g.total THEN ' class="total"' ELSE '' END,
               CASE WHEN g.total THEN 'all' ELSE @extschema@.qr_html(g.provider) END,
               CASE WHEN g.status IN ('matched', 'matched_group', 'refund_matched') THEN 'matched'
                    WHEN g.status IS NULL THEN '' ELSE 'break' END,
               CASE WHEN g.total THEN 'all' ELSE @extschema@.qr_html(g.status) END,
               CASE WHEN g.total THEN '*' ELSE @extschema@.qr_html(g.provider) END, CASE WHEN g.total THEN '*' ELSE @extschema@.qr_html(g.status) END, g.n,
               CASE WHEN g.total THEN '*' ELSE @extschema@.qr_html(g.provider) END, CASE WHEN g.total THEN '*' ELSE @extschema@.qr_html(g.status) END, g.la,
               CASE WHEN g.total THEN '*' ELSE @extschema@.qr_html(g.provider) END, CASE WHEN g.total THEN '*' ELSE @extschema@.qr_html(g.status) END, g.sa),
               '' ORDER BY g.total, g.provider, g.status)
      INTO t
      FROM (SELECT x.provider, x.status, count(*) AS n, coalesce(sum(x.ledger_amount), 0) AS la,
                   coalesce(sum(x.statement_amount), 0) AS sa, GROUPING(x.provider, x.status) = 3 AS total
              FROM @extschema@.qr_recon_results x WHERE x.run = r.id
             GROUP BY GROUPING SETS ((x.provider, x.status), ())) g;
    h := h || '<h2>Outcomes by provider and status</h2><table id="outcomes"><thead><tr><th>Provider</th><th>Status</th>'
           || '<th>Rows</th><th>Ledger amount</th><th>Statement amount</th></tr></thead><tbody>' || coalesce(t, '') || '</tbody></table>';

    -- the run's breaks still open, by age when the run ended
    WITH b AS (
        SELECT k.*, as_of - coalesce(k.txn_at, k.opened_at) AS age
          FROM @extschema@.qr_recon_breaks k
         WHERE k.status IN ('open', 'assigned') AND k.id IN (SELECT x.break FROM @extschema@.qr_recon_results x WHERE x.run = r.id)
    ), buckets(i, label, lo, hi) AS (
        VALUES (0, '0-1 days', interval '-100000 years', interval '1 day'), (1, '1-3 days', interval '1 day', interval '3 days'),
               (2, '3-7 days', interval '3 days', interval '7 days'), (3, '7-30 days', interval '7 days', interval '30 days'),
               (4, '30+ days', interval '30 days', interval '100000 years')
    ), c AS (
        SELECT u.i, u.label, count(b.id) AS n, coalesce(sum(b.amount), 0) AS amount
          FROM buckets u LEFT JOIN b ON b.age >= u.lo AND b.age < u.hi GROUP BY u.i, u.label
    )
    SELECT pg_catalog.string_agg(pg_catalog.format(
               '<g><rect x="%s" y="%s" width="80" height="%s" fill="#c33"><title>%s: %s breaks</title></rect>'
               '<text x="%s" y="%s" text-anchor="middle" data-bucket="%s" data-measure="breaks">%s</text>'
               '<text x="%s" y="225" text-anchor="middle">%s</text>'
               '<text x="%s" y="242" text-anchor="middle" font-size="11" data-bucket="%s" data-measure="amount">%s</text></g>',
               20 + c.i * 110, 200 - (170 * c.n / greatest(m.mx, 1)), 170 * c.n / greatest(m.mx, 1), c.label, c.n,
               60 + c.i * 110, 195 - (170 * c.n / greatest(m.mx, 1)), c.label, c.n,
               60 + c.i * 110, c.label, 60 + c.i * 110, c.label, c.amount), '' ORDER BY c.i)
      INTO t FROM c, (SELECT max(n) AS mx FROM c) m;
    h := h || '<h2>Open breaks by age</h2><svg id="aging" xmlns="http://www.w3.org/2000/svg" width="580" height="250" role="img" aria-label="open breaks by age">'
           || '<line x1="10" y1="200" x2="570" y2="200" stroke="#888"/>' || t || '</svg>';

    -- the largest of them
    SELECT pg_catalog.string_agg(pg_catalog.format(
               '<tr><td class="n">%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td class="n" data-break="%s" data-measure="amount">%s</td>'
               '<td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>',
               a.id, @extschema@.qr_html(a.provider), @extschema@.qr_html(a.kind), @extschema@.qr_html(a.status),
               @extschema@.qr_html(a.owner), a.id, a.amount, @extschema@.qr_html(a.currency),
               @extschema@.qr_html(a.ledger_txn), @extschema@.qr_html(a.statement_txn),
               @extschema@.qr_html(pg_catalog.date_trunc('second', as_of - coalesce(a.txn_at, a.opened_at))::text)),
               '' ORDER BY a.amount DESC NULLS LAST, a.id)
      INTO t
      FROM (SELECT k.* FROM @extschema@.qr_recon_breaks k
             WHERE k.status IN ('open', 'assigned') AND k.id IN (SELECT x.break FROM @extschema@.qr_recon_results x WHERE x.run = r.id)
             ORDER BY k.amount DESC NULLS LAST, k.id LIMIT 20) a;
    h := h || '<h2>Largest open breaks</h2><table id="largest"><thead><tr><th>Break</th><th>Provider</th><th>Kind</th><th>Status</th>'
           || '<th>Owner</th><th>Amount</th><th>Currency</th><th>Ledger row</th><th>Statement row</th><th>Age</th></tr></thead><tbody>'
           || coalesce(t, '<tr><td colspan="10">none</td></tr>') || '</tbody></table>'
           || '<p><small>Breaks as of ' || @extschema@.qr_html(pg_catalog.now()::text) || '; ages at the end of the run.</small></p></body></html>';
    RETURN h;
END $$;
COMMENT ON FUNCTION @extschema@.qr_recon_report(bigint) IS
    'A self-contained HTML page on a run: its inputs and settings, result rows and amounts by provider and status (matched, matched_group and refund_matched as matches, the rest as breaks), the run''s breaks still open as a chart by age, and the largest of them. psql -Atc "SELECT qr_recon_report(42)" > day.html';

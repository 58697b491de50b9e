/* qrpay 0.6.0 -> 0.7.0: safe in a shared database */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION qrpay UPDATE TO '0.7.0'" to load this file. \quit

-- ---------------------------------------------------------------------
-- Catalog integrity: triggers (qrpay_catalog.c)
-- ---------------------------------------------------------------------

-- Every trigger function checks that it fires on the extension's own
-- table, at the time and level it was written for; the cache and the
-- checks read the tables as their owner.  Rules name cities in an array,
-- which cannot carry a foreign key: two AFTER ROW triggers check the
-- reference both ways, locking as PostgreSQL's foreign keys do.

CREATE FUNCTION @extschema@.qr_rule_cities_check() RETURNS trigger
AS 'MODULE_PATHNAME' LANGUAGE C;
COMMENT ON FUNCTION @extschema@.qr_rule_cities_check() IS
    'Trigger: every city a rule names is a row of qr_cities, locked FOR KEY SHARE until the transaction ends';

CREATE FUNCTION @extschema@.qr_city_references_check() RETURNS trigger
AS 'MODULE_PATHNAME' LANGUAGE C;
COMMENT ON FUNCTION @extschema@.qr_city_references_check() IS
    'Trigger: a city that rules name is neither deleted nor renamed';

CREATE TRIGGER qr_interop_rules_cities AFTER INSERT OR UPDATE OF cities ON @extschema@.qr_interop_rules
    FOR EACH ROW EXECUTE FUNCTION @extschema@.qr_rule_cities_check();
CREATE TRIGGER qr_cities_references AFTER DELETE OR UPDATE OF name ON @extschema@.qr_cities
    FOR EACH ROW EXECUTE FUNCTION @extschema@.qr_city_references_check();

-- ---------------------------------------------------------------------
-- Who reads and who writes (doc/security.md)
-- ---------------------------------------------------------------------

-- The catalog and the rules are reference data every role routes with:
-- readable by all, so a query's answer does not depend on who asks (the C
-- cache is filled with the tables' owner's rights in any case).  Writing
-- them is for the extension's owner, who may grant it on (WITH GRANT
-- OPTION): in a trusted install by a database owner the tables belong to
-- the bootstrap superuser, and this grant is what lets the installer keep
-- its own catalog rows.
GRANT SELECT ON @extschema@.qr_providers, @extschema@.qr_provider_patterns, @extschema@.qr_cities,
                @extschema@.qr_interop_rules, @extschema@.qr_fee_rates TO PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON @extschema@.qr_providers, @extschema@.qr_provider_patterns,
      @extschema@.qr_cities, @extschema@.qr_interop_rules, @extschema@.qr_fee_rates
      TO @extowner@ WITH GRANT OPTION;
GRANT TRUNCATE ON @extschema@.qr_fee_rates TO @extowner@ WITH GRANT OPTION;

-- Trigger functions are attached by the extension alone; no role needs to
-- attach them elsewhere (they refuse to run elsewhere in any case).
REVOKE EXECUTE ON FUNCTION @extschema@.qr_catalog_guard(), @extschema@.qr_catalog_invalidate(),
    @extschema@.qr_rule_cities_check(), @extschema@.qr_city_references_check() FROM PUBLIC;

-- ---------------------------------------------------------------------
-- Audit trail of the catalog tables
-- ---------------------------------------------------------------------

CREATE TABLE @extschema@.qr_catalog_audit (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT pg_catalog.statement_timestamp(),
    xact xid8 NOT NULL DEFAULT pg_catalog.pg_current_xact_id(),
    table_name text NOT NULL,
    operation text NOT NULL CONSTRAINT qr_catalog_audit_operation_known
        CHECK (operation IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE')),
    role_name text NOT NULL,
    session_role text NOT NULL,
    old_row jsonb,
    new_row jsonb
);
COMMENT ON TABLE @extschema@.qr_catalog_audit IS
    'Every change to qr_providers, qr_provider_patterns, qr_cities, qr_interop_rules and qr_fee_rates: who, when, what, the row before and after. Written by a trigger as the table''s owner; no other role can write, change or delete its rows. Not dumped by pg_dump: it is the history of this database (a restore is itself recorded, as INSERTs by the restoring role)';
COMMENT ON COLUMN @extschema@.qr_catalog_audit.id IS 'Order of the changes';
COMMENT ON COLUMN @extschema@.qr_catalog_audit.at IS 'Start of the statement that made the change';
COMMENT ON COLUMN @extschema@.qr_catalog_audit.xact IS 'The transaction that made the change (changes of one transaction commit or vanish together)';
COMMENT ON COLUMN @extschema@.qr_catalog_audit.table_name IS 'The table changed';
COMMENT ON COLUMN @extschema@.qr_catalog_audit.operation IS 'INSERT, UPDATE, DELETE or TRUNCATE';
COMMENT ON COLUMN @extschema@.qr_catalog_audit.role_name IS 'The role in effect for the change (current_user, after SET ROLE)';
COMMENT ON COLUMN @extschema@.qr_catalog_audit.session_role IS 'The role that logged in (session_user)';
COMMENT ON COLUMN @extschema@.qr_catalog_audit.old_row IS 'The row before an UPDATE or DELETE';
COMMENT ON COLUMN @extschema@.qr_catalog_audit.new_row IS 'The row after an INSERT or UPDATE';
COMMENT ON SEQUENCE @extschema@.qr_catalog_audit_id_seq IS 'Numbers the rows of qr_catalog_audit';
CREATE INDEX qr_catalog_audit_table_at ON @extschema@.qr_catalog_audit (table_name, at);
REVOKE ALL ON @extschema@.qr_catalog_audit FROM PUBLIC;
GRANT SELECT ON @extschema@.qr_catalog_audit TO @extowner@ WITH GRANT OPTION;

CREATE FUNCTION @extschema@.qr_catalog_audit() RETURNS trigger
AS 'MODULE_PATHNAME' LANGUAGE C;
COMMENT ON FUNCTION @extschema@.qr_catalog_audit() IS
    'Trigger: appends each change of a catalog table to qr_catalog_audit, as the audit table''s owner, naming the role that made it';
REVOKE EXECUTE ON FUNCTION @extschema@.qr_catalog_audit() FROM PUBLIC;

CREATE TRIGGER qr_providers_audit AFTER INSERT OR UPDATE OR DELETE ON @extschema@.qr_providers
    FOR EACH ROW EXECUTE FUNCTION @extschema@.qr_catalog_audit();
CREATE TRIGGER qr_provider_patterns_audit AFTER INSERT OR UPDATE OR DELETE ON @extschema@.qr_provider_patterns
    FOR EACH ROW EXECUTE FUNCTION @extschema@.qr_catalog_audit();
CREATE TRIGGER qr_cities_audit AFTER INSERT OR UPDATE OR DELETE ON @extschema@.qr_cities
    FOR EACH ROW EXECUTE FUNCTION @extschema@.qr_catalog_audit();
CREATE TRIGGER qr_interop_rules_audit AFTER INSERT OR UPDATE OR DELETE ON @extschema@.qr_interop_rules
    FOR EACH ROW EXECUTE FUNCTION @extschema@.qr_catalog_audit();
CREATE TRIGGER qr_fee_rates_audit AFTER INSERT OR UPDATE OR DELETE ON @extschema@.qr_fee_rates
    FOR EACH ROW EXECUTE FUNCTION @extschema@.qr_catalog_audit();
CREATE TRIGGER qr_fee_rates_audit_truncate AFTER TRUNCATE ON @extschema@.qr_fee_rates
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.qr_catalog_audit();

-- ---------------------------------------------------------------------
-- Fee rates: a fixed fee is a finite number
-- ---------------------------------------------------------------------

-- numeric admits NaN and Infinity, and NaN >= 0 holds (NaN sorts above
-- every number): without the upper bound a NaN or infinite fixed fee
-- passed the old check and poisoned every position of its route
ALTER TABLE @extschema@.qr_fee_rates DROP CONSTRAINT qr_fee_rates_fixed_positive,
    ADD CONSTRAINT qr_fee_rates_fixed_finite CHECK (fixed >= 0 AND fixed < 'Infinity');

-- ---------------------------------------------------------------------
-- Functions in SQL and PL/pgSQL: search_path pinned, every reference to
-- the extension's objects qualified; those that read a relation the
-- caller names are PARALLEL RESTRICTED (it may be a temporary table,
-- which a parallel worker cannot read)
-- ---------------------------------------------------------------------

-- the column check is done inline (and in C by qr_reconcile_detail)
DROP FUNCTION @extschema@.qr_require_columns(regclass, text[]);

CREATE OR REPLACE FUNCTION @extschema@.qr_csv_fields(line text, delimiter text DEFAULT ',') RETURNS text[]
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    out text[] := '{}';
    f text;
    c text;
    i int := 1;
    n int := length(line);
    quoted boolean;
BEGIN
    IF position('"' IN line) = 0 THEN
        RETURN string_to_array(line, delimiter);    -- the common case: no quoting
    END IF;
    LOOP
        f := '';
        quoted := substr(line, i, 1) = '"';
        IF quoted THEN
            i := i + 1;
        END IF;
        WHILE i <= n LOOP
            c := substr(line, i, 1);
            IF quoted AND c = '"' THEN
                IF substr(line, i + 1, 1) = '"' THEN
                    f := f || '"';
                    i := i + 2;
                    CONTINUE;
                END IF;
                quoted := false;
                i := i + 1;
                CONTINUE;
            ELSIF NOT quoted AND c = delimiter THEN
                EXIT;
            END IF;
            f := f || c;
            i := i + 1;
        END LOOP;
        out := out || f;
        EXIT WHEN i > n;
        i := i + 1;
    END LOOP;
    RETURN out;
END $$;

CREATE OR REPLACE FUNCTION @extschema@.qr_statement_read(bill text, provider text, columns jsonb, header_has text,
                                  footer_starts text, comment_prefix text, delimiter text,
                                  time_zone text)
RETURNS SETOF @extschema@.qr_statement_line
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    hdr text[];
    hdr_line int;
    ncol int;
    pos jsonb := '{}';
    k text;
    p int;
BEGIN
    IF bill IS NULL OR provider IS NULL OR columns IS NULL OR header_has IS NULL OR delimiter IS NULL
       OR time_zone IS NULL THEN
        RAISE EXCEPTION 'qr_statement_read needs a bill, a provider, the columns, a header column, a delimiter and a time zone'
              USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT u.n, array(SELECT btrim(regexp_replace(x, '^\uFEFF?`?', ''), E' \t') FROM unnest(@extschema@.qr_csv_fields(u.line, delimiter)) x)
      INTO hdr_line, hdr
      FROM unnest(string_to_array(replace(bill, E'\r\n', E'\n'), E'\n')) WITH ORDINALITY u(line, n)
     WHERE position(header_has IN u.line) > 0
     ORDER BY u.n LIMIT 1;
    IF hdr_line IS NULL THEN
        RAISE EXCEPTION 'not a % statement: no header line with column "%"', provider, header_has
              USING ERRCODE = 'invalid_text_representation';
    END IF;
    ncol := cardinality(hdr);
    FOR k IN SELECT jsonb_object_keys(columns) LOOP
        p := array_position(hdr, columns ->> k);
        IF p IS NULL AND k IN ('provider_txn', 'ts', 'amount') THEN
            RAISE EXCEPTION 'the % statement has no column "%" (for %)', provider, columns ->> k, k
                  USING ERRCODE = 'invalid_text_representation', HINT = format('Its header is: %s', array_to_string(hdr, ', '));
        END IF;
        pos := pos || jsonb_build_object(k, p);
    END LOOP;
    RETURN QUERY
    WITH lines AS (
        SELECT u.n::int AS n, u.line
          FROM unnest(string_to_array(replace(bill, E'\r\n', E'\n'), E'\n')) WITH ORDINALITY u(line, n)
         WHERE u.n > hdr_line
    ), data AS (
        SELECT l.n, l.line FROM lines l
         WHERE l.n < coalesce((SELECT min(n) FROM lines WHERE footer_starts IS NOT NULL
                                  AND ltrim(line, '`') LIKE footer_starts || '%'), 2147483647)
           AND btrim(l.line, E' \t') <> ''
           AND (comment_prefix IS NULL OR l.line NOT LIKE comment_prefix || '%')
    ), f AS MATERIALIZED (     -- the fields of a line are split once, then read by position
        SELECT d.n, array(SELECT btrim(CASE WHEN left(x, 1) = '`' THEN substr(x, 2) ELSE x END, E' \t')
                            FROM unnest(@extschema@.qr_csv_fields(d.line, delimiter)) x) AS v
          FROM data d
    ), g AS (
        SELECT f.n, f.v,
               CASE WHEN cardinality(f.v) <> ncol THEN format('line %s has %s fields; the header has %s', f.n, cardinality(f.v), ncol) END AS e1,
               f.v[(pos ->> 'ts')::int] AS ts_t,
               f.v[(pos ->> 'amount')::int] AS amount_t,
               nullif(f.v[(pos ->> 'fee')::int], '') AS fee_t,
               nullif(f.v[(pos ->> 'refund_amount')::int], '') AS refund_t
          FROM f
    )
    SELECT CASE WHEN e IS NULL THEN provider END,
           CASE WHEN e IS NULL THEN nullif(g.v[(pos ->> 'provider_txn')::int], '') END,
           CASE WHEN e IS NULL THEN nullif(g.v[(pos ->> 'reference')::int], '') END,
           CASE WHEN e IS NULL THEN (g.ts_t::timestamp AT TIME ZONE time_zone) END,
           CASE WHEN e IS NULL THEN g.amount_t::numeric END,
           CASE WHEN e IS NULL THEN coalesce(nullif(g.v[(pos ->> 'currency')::int], ''), 'CNY') END,
           CASE WHEN e IS NULL THEN g.fee_t::numeric END,
           CASE WHEN e IS NULL THEN nullif(g.v[(pos ->> 'status')::int], '') END,
           CASE WHEN e IS NULL THEN nullif(g.v[(pos ->> 'refund_txn')::int], '') END,
           CASE WHEN e IS NULL THEN nullif(g.v[(pos ->> 'refund_reference')::int], '') END,
           CASE WHEN e IS NULL THEN g.refund_t::numeric END,
           g.n, e
      FROM g, LATERAL (SELECT coalesce(g.e1,
               CASE WHEN g.ts_t !~ '^[1-9]\d{3}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[ T]([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$'
                    THEN format('line %s: time "%s" is not YYYY-MM-DD hh:mm:ss', g.n, g.ts_t)
                    WHEN substr(g.ts_t, 9, 2)::int > extract(day FROM (substr(g.ts_t, 1, 7) || '-01')::date + interval '1 month - 1 day')
                    THEN format('line %s: time "%s" is not a day of its month', g.n, g.ts_t) END,
               CASE WHEN g.amount_t !~ '^-?\d+(\.\d+)?$' THEN format('line %s: amount "%s" is not a number', g.n, g.amount_t) END,
               CASE WHEN g.fee_t !~ '^-?\d+(\.\d+)?$' THEN format('line %s: fee "%s" is not a number', g.n, g.fee_t) END,
               CASE WHEN g.refund_t !~ '^-?\d+(\.\d+)?$' THEN format('line %s: refund amount "%s" is not a number', g.n, g.refund_t) END) AS e) x
     ORDER BY g.n;
END $$;

-- The bills' column names are Chinese, written here as UTF-8 in hex so that
-- the script is ASCII and loads in every server encoding (WeChat Pay:
-- jiaoyi shijian, weixin dingdanhao, shanghu dingdanhao, jiaoyi zhuangtai,
-- huobi zhonglei, yingjie dingdan jine, weixin tuikuan danhao, shanghu
-- tuikuan danhao, tuikuan jine, shouxufei; its summary opens with zong
-- jiaoyi danshu).  They convert to the database encoding at each call: in
-- one with no equivalent for them, which cannot hold such a bill either,
-- the readers fail with 22P05.
CREATE OR REPLACE FUNCTION @extschema@.qr_statement_wechat(bill text, time_zone text DEFAULT 'Asia/Shanghai')
RETURNS SETOF @extschema@.qr_statement_line
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    r @extschema@.qr_statement_line;
    rows int := 0;
    summary_line int; total text;
    summary text := convert_from(decode('e680bbe4baa4e69893e58d95e695b0', 'hex'), 'UTF8');
BEGIN
    FOR r IN SELECT s.* FROM (SELECT jsonb_object_agg(e.key, convert_from(decode(e.value, 'hex'), 'UTF8')) FROM jsonb_each_text(
        '{"ts": "e4baa4e69893e697b6e997b4", "provider_txn": "e5beaee4bfa1e8aea2e58d95e58fb7",
          "reference": "e59586e688b7e8aea2e58d95e58fb7", "status": "e4baa4e69893e78ab6e68081",
          "currency": "e8b4a7e5b881e7a78de7b1bb", "amount": "e5ba94e7bb93e8aea2e58d95e98791e9a29d",
          "refund_txn": "e5beaee4bfa1e98080e6acbee58d95e58fb7", "refund_reference": "e59586e688b7e98080e6acbee58d95e58fb7",
          "refund_amount": "e98080e6acbee98791e9a29d", "fee": "e6898be7bbade8b4b9"}') e) n(names),
        LATERAL @extschema@.qr_statement_read(bill, 'wechatpay', n.names, n.names ->> 'provider_txn', summary, NULL, ',', time_zone) s
    LOOP
        rows := rows + 1;
        RETURN NEXT r;
    END LOOP;
    -- the summary after the rows counts them: a lost line is a break of the file itself
    SELECT u.n + 1, split_part(ltrim(split_part(u2.line, ',', 1), '`'), ',', 1)
      INTO summary_line, total
      FROM unnest(string_to_array(replace(bill, E'\r\n', E'\n'), E'\n')) WITH ORDINALITY u(line, n)
      JOIN unnest(string_to_array(replace(bill, E'\r\n', E'\n'), E'\n')) WITH ORDINALITY u2(line, n2) ON u2.n2 = u.n + 1
     WHERE ltrim(u.line, '`') LIKE summary || '%';
    IF summary_line IS NULL THEN
        r := ROW(NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                 format('the bill has no summary (%s): it may be cut off', summary));
        RETURN NEXT r;
    ELSIF total !~ '^\d+$' OR total::int <> rows THEN
        r := ROW(NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, summary_line,
                 format('the summary counts %s transactions; the bill holds %s lines', total, rows));
        RETURN NEXT r;
    END IF;
END $$;

CREATE OR REPLACE FUNCTION @extschema@.qr_statement_alipay(bill text, time_zone text DEFAULT 'Asia/Shanghai')
RETURNS SETOF @extschema@.qr_statement_line
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp AS $$
    -- column names as in qr_statement_wechat: zhifubao jiaoyihao, shanghu dingdanhao, yewu leixing,
    -- wancheng shijian, shangjia shishou (yuan), fuwufei (yuan), tuikuan picihao/qingqiuhao
    SELECT s.* FROM (SELECT jsonb_object_agg(e.key, convert_from(decode(e.value, 'hex'), 'UTF8')) FROM jsonb_each_text(
        '{"provider_txn": "e694afe4bb98e5ae9de4baa4e69893e58fb7", "reference": "e59586e688b7e8aea2e58d95e58fb7",
          "status": "e4b89ae58aa1e7b1bbe59e8b", "ts": "e5ae8ce68890e697b6e997b4",
          "amount": "e59586e5aeb6e5ae9ee694b6efbc88e58583efbc89", "fee": "e69c8de58aa1e8b4b9efbc88e58583efbc89",
          "refund_reference": "e98080e6acbee689b9e6aca1e58fb72fe8afb7e6b182e58fb7"}') e) n(names),
         LATERAL @extschema@.qr_statement_read(bill, 'alipay', n.names, n.names ->> 'provider_txn', '#', '#', ',', time_zone) s
$$;

CREATE OR REPLACE FUNCTION @extschema@.qr_statement_alipay(bill bytea, time_zone text DEFAULT 'Asia/Shanghai')
RETURNS SETOF @extschema@.qr_statement_line
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp AS $$
    SELECT * FROM @extschema@.qr_statement_alipay(convert_from(bill, 'GBK'), time_zone)
$$;

CREATE OR REPLACE FUNCTION @extschema@.qr_statement_csv(bill text, provider text, columns jsonb, delimiter text DEFAULT ',',
                                 time_zone text DEFAULT 'UTC')
RETURNS SETOF @extschema@.qr_statement_line
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp AS $$
    SELECT * FROM @extschema@.qr_statement_read(bill, provider, columns, columns ->> 'provider_txn', NULL, NULL,
                                    delimiter, time_zone)
$$;
CREATE OR REPLACE FUNCTION @extschema@.qr_reconcile(ledger regclass, statement regclass,
                             time_window interval DEFAULT '15 minutes', amount_tolerance numeric DEFAULT 0)
RETURNS TABLE (status text, ledger_txn text, statement_txn text, amount_diff numeric, reason text)
LANGUAGE sql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp AS $$
    SELECT d.status, d.ledger_txn, d.statement_txn, d.amount_diff, d.reason
      FROM @extschema@.qr_reconcile_detail(ledger, statement, time_window, amount_tolerance) d
$$;

ALTER FUNCTION @extschema@.qr_reconcile_detail(regclass, regclass, interval, numeric) PARALLEL RESTRICTED;

CREATE OR REPLACE FUNCTION @extschema@.qr_break_summary(ledger regclass, statement regclass,
                                 time_window interval DEFAULT '15 minutes', amount_tolerance numeric DEFAULT 0,
                                 time_zone text DEFAULT 'Asia/Shanghai')
RETURNS TABLE (provider text, day date, status text, rows bigint, ledger_amount numeric, statement_amount numeric)
LANGUAGE sql STABLE STRICT PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp AS $$
    SELECT d.provider, (coalesce(d.ledger_ts, d.statement_ts) AT TIME ZONE time_zone)::date, d.status,
           count(*), sum(d.ledger_amount), sum(d.statement_amount)
      FROM @extschema@.qr_reconcile_detail(ledger, statement, time_window, amount_tolerance) d
     GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
$$;

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
    RETURN QUERY EXECUTE format($q$
    WITH t AS (
        SELECT (x.ts::timestamptz AT TIME ZONE $1)::date AS day, x.currency::text AS cur, x.amount::numeric AS amount,
               x.payer::text AS payer, x.network::text AS network, x.via::text AS via,
               coalesce(round(x.amount * f.rate + f.fixed, 2), 0) AS fee
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

CREATE OR REPLACE FUNCTION @extschema@.qr_settlement(transactions regclass, time_zone text DEFAULT 'Asia/Shanghai')
RETURNS TABLE (settlement_day date, currency text, debtor text, creditor text, amount numeric)
LANGUAGE plpgsql STABLE STRICT PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    g record;
    d text[];
    dv numeric[];
    c text[];
    cv numeric[];
    i int;
    j int;
    x numeric;
BEGIN
    -- per day and currency: the largest debtor pays the largest creditor as
    -- much as both allow; each transfer clears one of them, so n positions
    -- need at most n - 1 transfers (qr_clearing's positions are finite: it
    -- refuses NaN and infinite amounts, which would never clear)
    FOR g IN SELECT p.settlement_day AS day, p.currency AS cur,
                    array_agg(p.participant ORDER BY p.net, p.participant) FILTER (WHERE p.net < 0) AS debtors,
                    array_agg(-p.net ORDER BY p.net, p.participant) FILTER (WHERE p.net < 0) AS debts,
                    array_agg(p.participant ORDER BY p.net DESC, p.participant) FILTER (WHERE p.net > 0) AS creditors,
                    array_agg(p.net ORDER BY p.net DESC, p.participant) FILTER (WHERE p.net > 0) AS credits
               FROM @extschema@.qr_clearing(transactions, time_zone) p
              GROUP BY 1, 2 ORDER BY 1, 2
    LOOP
        d := g.debtors; dv := g.debts; c := g.creditors; cv := g.credits;
        i := 1; j := 1;
        WHILE i <= coalesce(cardinality(d), 0) AND j <= coalesce(cardinality(c), 0) LOOP
            x := least(dv[i], cv[j]);
            settlement_day := g.day; currency := g.cur; debtor := d[i]; creditor := c[j]; amount := x;
            RETURN NEXT;
            dv[i] := dv[i] - x;
            cv[j] := cv[j] - x;
            IF dv[i] = 0 THEN i := i + 1; END IF;
            IF cv[j] = 0 THEN j := j + 1; END IF;
        END LOOP;
    END LOOP;
END $$;

CREATE OR REPLACE FUNCTION @extschema@.qr_interop_share(codes regclass, at timestamptz DEFAULT now(), region text DEFAULT NULL,
                                 scenario text DEFAULT 'offline')
RETURNS TABLE (payer text, codes_total bigint, payable bigint, share numeric,
               volume_total numeric, payable_volume numeric, volume_share numeric)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    amount text;
BEGIN
    IF codes IS NULL OR at IS NULL OR scenario IS NULL THEN
        RAISE EXCEPTION 'qr_interop_share needs a relation, a time and a scenario (a NULL region means each code''s own city)'
              USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF NOT EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = codes AND a.attname = 'code'
                      AND a.attnum > 0 AND NOT a.attisdropped) THEN
        RAISE EXCEPTION '% has no column "code"', codes
              USING ERRCODE = 'undefined_column', HINT = 'It needs a payment_qr column "code" (an amount column is optional).';
    END IF;
    -- the volume columns are filled when the relation has an amount column
    amount := CASE WHEN EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = codes AND a.attname = 'amount'
                                   AND a.attnum > 0 AND NOT a.attisdropped)
                   THEN 'c.amount::numeric' ELSE 'NULL::numeric' END;
    RETURN QUERY EXECUTE format($q$
        SELECT p.code, count(*), count(*) FILTER (WHERE a.ok),
               round(count(*) FILTER (WHERE a.ok)::numeric / nullif(count(*), 0), 4),
               sum(a.amount), CASE WHEN sum(a.amount) IS NOT NULL THEN coalesce(sum(a.amount) FILTER (WHERE a.ok), 0) END,
               round(coalesce(sum(a.amount) FILTER (WHERE a.ok), 0) / nullif(sum(a.amount), 0), 4)
          FROM %1$s c CROSS JOIN @extschema@.qr_providers p,
               LATERAL (SELECT @extschema@.qr_accepts(c.code, p.code, $1, $2, $3) AS ok, %2$s AS amount OFFSET 0) a
         GROUP BY p.code ORDER BY 4 DESC, 1
    $q$, codes, amount) USING at, region, scenario;
END $$;


/* qrpay 0.5.0 -> 0.6.0: provider statements, reconciliation, clearing */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION qrpay UPDATE TO '0.6.0'" to load this file. \quit

-- ---------------------------------------------------------------------
-- Provider statements (doc/reconciliation.md, Provider bills)
-- ---------------------------------------------------------------------

CREATE TYPE qr_statement_line AS (
    provider text, provider_txn text, reference text, ts timestamptz, amount numeric,
    currency text, fee numeric, status text, refund_txn text, refund_reference text,
    refund_amount numeric, line integer, error text
);
COMMENT ON TYPE qr_statement_line IS
    'One line of a provider statement: the transaction, its fee and refund fields, the line number in the file, and an error when the line could not be read (its other fields then NULL)';

CREATE FUNCTION qr_csv_fields(line text, delimiter text DEFAULT ',') RETURNS text[]
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
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
COMMENT ON FUNCTION qr_csv_fields(text, text) IS
    'The fields of one CSV line (RFC 4180 quoting, "" for a quote)';

-- the statement readers share this: lines as (n, fields), header located by
-- a column it must have, data up to a footer; fields cleaned of WeChat's
-- backtick prefix and Alipay's padding
CREATE FUNCTION qr_statement_read(bill text, provider text, columns jsonb, header_has text,
                                  footer_starts text, comment_prefix text, delimiter text,
                                  time_zone text)
RETURNS SETOF qr_statement_line
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    hdr text[];
    hdr_line int;
    ncol int;
    pos jsonb := '{}';
    k text;
    p int;
BEGIN
    SELECT u.n, array(SELECT btrim(regexp_replace(x, '^\uFEFF?`?', ''), E' \t') FROM unnest(qr_csv_fields(u.line, delimiter)) x)
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
                            FROM unnest(qr_csv_fields(d.line, delimiter)) x) AS v
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
COMMENT ON FUNCTION qr_statement_read(text, text, jsonb, text, text, text, text, text) IS
    'Reads a CSV statement into qr_statement_line rows: columns maps each field to a header name; used by the WeChat Pay, Alipay and generic readers';

-- The bills' column names are Chinese, written here as UTF-8 in hex so that
-- the script is ASCII and loads in every server encoding (WeChat Pay:
-- jiaoyi shijian, weixin dingdanhao, shanghu dingdanhao, jiaoyi zhuangtai,
-- huobi zhonglei, yingjie dingdan jine, weixin tuikuan danhao, shanghu
-- tuikuan danhao, tuikuan jine, shouxufei; its summary opens with zong
-- jiaoyi danshu).  They convert to the database encoding at each call: in
-- one with no equivalent for them, which cannot hold such a bill either,
-- the readers fail with 22P05.
CREATE FUNCTION qr_statement_wechat(bill text, time_zone text DEFAULT 'Asia/Shanghai')
RETURNS SETOF qr_statement_line
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE AS $$
DECLARE
    r qr_statement_line;
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
        LATERAL qr_statement_read(bill, 'wechatpay', n.names, n.names ->> 'provider_txn', summary, NULL, ',', time_zone) s
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
COMMENT ON FUNCTION qr_statement_wechat(text, text) IS
    'Reads a WeChat Pay merchant bill (downloadbill ALL or SUCCESS, backtick-prefixed fields, summary footer): one row per transaction line, a row with error for each unreadable line and for a summary that does not count the lines';

CREATE FUNCTION qr_statement_alipay(bill text, time_zone text DEFAULT 'Asia/Shanghai')
RETURNS SETOF qr_statement_line
LANGUAGE sql STABLE STRICT PARALLEL SAFE AS $$
    -- column names as in qr_statement_wechat: zhifubao jiaoyihao, shanghu dingdanhao, yewu leixing,
    -- wancheng shijian, shangjia shishou (yuan), fuwufei (yuan), tuikuan picihao/qingqiuhao
    SELECT s.* FROM (SELECT jsonb_object_agg(e.key, convert_from(decode(e.value, 'hex'), 'UTF8')) FROM jsonb_each_text(
        '{"provider_txn": "e694afe4bb98e5ae9de4baa4e69893e58fb7", "reference": "e59586e688b7e8aea2e58d95e58fb7",
          "status": "e4b89ae58aa1e7b1bbe59e8b", "ts": "e5ae8ce68890e697b6e997b4",
          "amount": "e59586e5aeb6e5ae9ee694b6efbc88e58583efbc89", "fee": "e69c8de58aa1e8b4b9efbc88e58583efbc89",
          "refund_reference": "e98080e6acbee689b9e6aca1e58fb72fe8afb7e6b182e58fb7"}') e) n(names),
         LATERAL qr_statement_read(bill, 'alipay', n.names, n.names ->> 'provider_txn', '#', '#', ',', time_zone) s
$$;
-- the comment names the bill in Chinese, yewu mingxi, each character given
-- by its code point and its UTF-8 in hex (the script is ASCII, so that it
-- loads in every server encoding); a character the database encoding has
-- no equivalent for reads U+hhhh (its code point in hex)
DO $$
DECLARE
    c text[];
    name text := '';
BEGIN
    FOREACH c SLICE 1 IN ARRAY ARRAY[['4E1A', 'e4b89a'], ['52A1', 'e58aa1'], ['660E', 'e6988e'], ['7EC6', 'e7bb86']] LOOP
        BEGIN
            name := name || convert_from(decode(c[2], 'hex'), 'UTF8');
        EXCEPTION WHEN untranslatable_character THEN
            name := name || 'U+' || c[1];
        END;
    END LOOP;
    EXECUTE format('COMMENT ON FUNCTION qr_statement_alipay(text, text) IS %L',
        format('Reads an Alipay merchant bill (%s CSV: # comment lines, padded fields) already decoded to text', name));
END $$;

CREATE FUNCTION qr_statement_alipay(bill bytea, time_zone text DEFAULT 'Asia/Shanghai')
RETURNS SETOF qr_statement_line
LANGUAGE sql STABLE STRICT PARALLEL SAFE AS $$
    SELECT * FROM qr_statement_alipay(convert_from(bill, 'GBK'), time_zone)
$$;
COMMENT ON FUNCTION qr_statement_alipay(bytea, text) IS
    'Reads an Alipay merchant bill file as Alipay delivers it, GBK-encoded';

CREATE FUNCTION qr_statement_csv(bill text, provider text, columns jsonb, delimiter text DEFAULT ',',
                                 time_zone text DEFAULT 'UTC')
RETURNS SETOF qr_statement_line
LANGUAGE sql STABLE STRICT PARALLEL SAFE AS $$
    SELECT * FROM qr_statement_read(bill, provider, columns, columns ->> 'provider_txn', NULL, NULL,
                                    delimiter, time_zone)
$$;
COMMENT ON FUNCTION qr_statement_csv(text, text, jsonb, text, text) IS
    'Reads any provider''s CSV statement: columns maps provider_txn, ts, amount (mandatory) and reference, currency, fee, status, refund_txn, refund_reference, refund_amount to header names';

-- ---------------------------------------------------------------------
-- Reconciliation
-- ---------------------------------------------------------------------

-- every column qr_reconcile and qr_clearing need must be there
CREATE FUNCTION qr_require_columns(rel regclass, columns text[]) RETURNS void
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE AS $$
DECLARE
    c text;
BEGIN
    FOREACH c IN ARRAY columns LOOP
        IF NOT EXISTS (SELECT FROM pg_attribute WHERE attrelid = rel AND attname = c AND attnum > 0 AND NOT attisdropped) THEN
            RAISE EXCEPTION '% has no column "%"', rel, c
                  USING ERRCODE = 'undefined_column',
                        HINT = format('It needs the columns %s (extra columns are ignored).', array_to_string(columns, ', '));
        END IF;
    END LOOP;
END $$;
COMMENT ON FUNCTION qr_require_columns(regclass, text[]) IS
    'Raises 42703 naming the first of the columns the relation lacks';

-- two sides' rows paired one to one by nearest time (src/core/qr_pair.c);
-- qr_reconcile pairs its rows without a reference the same way
CREATE FUNCTION qr_pair_by_time(sides text[], ids text[], times timestamptz[], time_window interval)
RETURNS TABLE (ledger_txn text, statement_txn text, apart interval)
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION qr_pair_by_time(text[], text[], timestamptz[], interval) IS
    'Pairs ledger and statement rows one-to-one by nearest time within the window (closest pair first, no row reused); unpaired rows come back with the other side NULL. sides[i] is ''ledger'' or ''statement'' for ids[i] at times[i]';

-- qr_reconcile with each outcome's provider, times and amounts: what
-- qr_break_summary adds up, and what a break report shows beside the ids
CREATE FUNCTION qr_reconcile_detail(ledger regclass, statement regclass,
                                    time_window interval DEFAULT '15 minutes', amount_tolerance numeric DEFAULT 0)
RETURNS TABLE (status text, ledger_txn text, statement_txn text, amount_diff numeric, reason text,
               provider text, ledger_ts timestamptz, statement_ts timestamptz,
               ledger_amount numeric, statement_amount numeric)
AS 'MODULE_PATHNAME' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION qr_reconcile_detail(regclass, regclass, interval, numeric) IS
    'qr_reconcile''s outcomes with the provider, the ledger and statement times and the ledger and statement amounts of each';

CREATE FUNCTION qr_reconcile(ledger regclass, statement regclass,
                             time_window interval DEFAULT '15 minutes', amount_tolerance numeric DEFAULT 0)
RETURNS TABLE (status text, ledger_txn text, statement_txn text, amount_diff numeric, reason text)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT d.status, d.ledger_txn, d.statement_txn, d.amount_diff, d.reason
      FROM qr_reconcile_detail(ledger, statement, time_window, amount_tolerance) d
$$;
COMMENT ON FUNCTION qr_reconcile(regclass, regclass, interval, numeric) IS
    'Reconciles a ledger against a provider statement (both with txn_id, provider, reference, amount, currency, ts): by (provider, reference), then rows without a reference by provider, amount and currency, paired one-to-one by nearest time within the window. Every row of both sides appears in exactly one result row: matched, amount_mismatch, outside_window, missing_in_statement, missing_in_ledger, duplicate_in_ledger or duplicate_in_statement';

CREATE FUNCTION qr_break_summary(ledger regclass, statement regclass,
                                 time_window interval DEFAULT '15 minutes', amount_tolerance numeric DEFAULT 0,
                                 time_zone text DEFAULT 'Asia/Shanghai')
RETURNS TABLE (provider text, day date, status text, rows bigint, ledger_amount numeric, statement_amount numeric)
LANGUAGE sql STABLE STRICT PARALLEL SAFE AS $$
    SELECT d.provider, (coalesce(d.ledger_ts, d.statement_ts) AT TIME ZONE time_zone)::date, d.status,
           count(*), sum(d.ledger_amount), sum(d.statement_amount)
      FROM qr_reconcile_detail(ledger, statement, time_window, amount_tolerance) d
     GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
$$;
COMMENT ON FUNCTION qr_break_summary(regclass, regclass, interval, numeric, text) IS
    'qr_reconcile''s outcomes counted and summed by provider, day (in time_zone) and status';

-- ---------------------------------------------------------------------
-- Clearing
-- ---------------------------------------------------------------------

CREATE TABLE qr_fee_rates (
    payer text NOT NULL REFERENCES qr_providers (code) ON UPDATE CASCADE,
    payee text NOT NULL REFERENCES qr_providers (code) ON UPDATE CASCADE,
    via text NOT NULL REFERENCES qr_providers (code) ON UPDATE CASCADE,
    valid_during tstzrange NOT NULL DEFAULT '(,)',
    rate numeric NOT NULL DEFAULT 0 CONSTRAINT qr_fee_rates_rate_range CHECK (rate >= 0 AND rate < 1),
    fixed numeric NOT NULL DEFAULT 0 CONSTRAINT qr_fee_rates_fixed_positive CHECK (fixed >= 0),
    source text,
    PRIMARY KEY (payer, payee, via, valid_during)
);
COMMENT ON TABLE qr_fee_rates IS
    'What the network or clearing path (via) charges on a route: rate x amount + fixed, per period; the payee network bears it. Rows are the user''s own and are dumped';
COMMENT ON COLUMN qr_fee_rates.payer IS 'The paying app';
COMMENT ON COLUMN qr_fee_rates.payee IS 'The payee network';
COMMENT ON COLUMN qr_fee_rates.via IS 'The network or clearing path that charges';
COMMENT ON COLUMN qr_fee_rates.valid_during IS 'When the rate holds; where periods of one route overlap, the one that began last applies';
COMMENT ON COLUMN qr_fee_rates.rate IS 'Share of the amount, 0.0006 for 0.06%';
COMMENT ON COLUMN qr_fee_rates.fixed IS 'Fixed fee per transaction, in the transaction''s currency';
COMMENT ON COLUMN qr_fee_rates.source IS 'The agreement or tariff the rate comes from';
SELECT pg_catalog.pg_extension_config_dump('qr_fee_rates', '');

CREATE FUNCTION qr_clearing(transactions regclass, time_zone text DEFAULT 'Asia/Shanghai')
RETURNS TABLE (settlement_day date, currency text, participant text, paid numeric, received numeric,
               fees numeric, net numeric)
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE AS $$
DECLARE
    unrouted bigint;
BEGIN
    PERFORM qr_require_columns(transactions, ARRAY['ts', 'currency', 'amount', 'payer', 'network', 'via']);
    -- a payment without a payer, payee network, amount, currency or time has
    -- no one to credit or no day to land on: refuse it rather than net it
    -- into a NULL participant or drop it
    EXECUTE format('SELECT count(*) FROM %s WHERE payer IS NULL OR network IS NULL OR amount IS NULL
                                          OR currency IS NULL OR ts IS NULL', transactions)
       INTO unrouted;
    IF unrouted > 0 THEN
        RAISE EXCEPTION 'qr_clearing: rows of % without a payer, network, amount, currency or time: %', transactions, unrouted
              USING ERRCODE = 'null_value_not_allowed',
                    HINT = 'Clear routed payments only: leave out the rows qr_route found no route for (status none).';
    END IF;
    RETURN QUERY EXECUTE format($q$
    WITH t AS (
        SELECT (x.ts::timestamptz AT TIME ZONE $1)::date AS day, x.currency::text AS cur, x.amount::numeric AS amount,
               x.payer::text AS payer, x.network::text AS network, x.via::text AS via,
               coalesce(round(x.amount * f.rate + f.fixed, 2), 0) AS fee
          FROM %1$s x
          LEFT JOIN LATERAL (SELECT r.rate, r.fixed FROM qr_fee_rates r
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
COMMENT ON FUNCTION qr_clearing(regclass, text) IS
    'Net positions per settlement day, currency and participant from routed transactions (ts, currency, amount, payer, network, via): payers pay the amount, the payee network receives it less the fee of qr_fee_rates, the via earns the fee; on-us rows (payer = network) move nothing. Positions of a day and currency sum to zero';

CREATE FUNCTION qr_settlement(transactions regclass, time_zone text DEFAULT 'Asia/Shanghai')
RETURNS TABLE (settlement_day date, currency text, debtor text, creditor text, amount numeric)
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE AS $$
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
    -- need at most n - 1 transfers
    FOR g IN SELECT p.settlement_day AS day, p.currency AS cur,
                    array_agg(p.participant ORDER BY p.net, p.participant) FILTER (WHERE p.net < 0) AS debtors,
                    array_agg(-p.net ORDER BY p.net, p.participant) FILTER (WHERE p.net < 0) AS debts,
                    array_agg(p.participant ORDER BY p.net DESC, p.participant) FILTER (WHERE p.net > 0) AS creditors,
                    array_agg(p.net ORDER BY p.net DESC, p.participant) FILTER (WHERE p.net > 0) AS credits
               FROM qr_clearing(transactions, time_zone) p
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
COMMENT ON FUNCTION qr_settlement(regclass, text) IS
    'Settlement instructions that bring every qr_clearing position to zero, per day and currency, with at most n - 1 transfers for n participants';

-- ---------------------------------------------------------------------
-- Analytics
-- ---------------------------------------------------------------------

CREATE FUNCTION qr_interop_share(codes regclass, at timestamptz DEFAULT now(), region text DEFAULT NULL,
                                 scenario text DEFAULT 'offline')
RETURNS TABLE (payer text, codes_total bigint, payable bigint, share numeric,
               volume_total numeric, payable_volume numeric, volume_share numeric)
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    -- the volume columns are filled when the relation has an amount column
    amount text := CASE WHEN EXISTS (SELECT FROM pg_attribute WHERE attrelid = codes AND attname = 'amount'
                                       AND attnum > 0 AND NOT attisdropped)
                        THEN 'c.amount::numeric' ELSE 'NULL::numeric' END;
BEGIN
    IF codes IS NULL OR at IS NULL OR scenario IS NULL THEN
        RAISE EXCEPTION 'qr_interop_share needs a relation, a time and a scenario (a NULL region means each code''s own city)'
              USING ERRCODE = 'null_value_not_allowed';
    END IF;
    PERFORM qr_require_columns(codes, ARRAY['code']);
    RETURN QUERY EXECUTE format($q$
        SELECT p.code, count(*), count(*) FILTER (WHERE a.ok),
               round(count(*) FILTER (WHERE a.ok)::numeric / nullif(count(*), 0), 4),
               sum(a.amount), CASE WHEN sum(a.amount) IS NOT NULL THEN coalesce(sum(a.amount) FILTER (WHERE a.ok), 0) END,
               round(coalesce(sum(a.amount) FILTER (WHERE a.ok), 0) / nullif(sum(a.amount), 0), 4)
          FROM %1$s c CROSS JOIN qr_providers p,
               LATERAL (SELECT qr_accepts(c.code, p.code, $1, $2, $3) AS ok, %2$s AS amount OFFSET 0) a
         GROUP BY p.code ORDER BY 4 DESC, 1
    $q$, codes, amount) USING at, region, scenario;
END $$;
COMMENT ON FUNCTION qr_interop_share(regclass, timestamptz, text, text) IS
    'For every provider, the share of the codes (a relation with a payment_qr column "code") it could pay at that time, in that region and scenario (qr_accepts); when the relation has an amount column, the share of the volume too';

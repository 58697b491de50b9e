/* qrpay 0.5.0 -> 0.6.0: provider statements, reconciliation, clearing */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION qrpay UPDATE TO '0.6.0'" to load this file. \quit

-- ---------------------------------------------------------------------
-- Provider statements (STATEMENTS.md §2, §3)
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

CREATE FUNCTION qr_statement_wechat(bill text, time_zone text DEFAULT 'Asia/Shanghai')
RETURNS SETOF qr_statement_line
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE AS $$
DECLARE
    r qr_statement_line;
    rows int := 0;
    summary_line int;
    total text;
BEGIN
    FOR r IN SELECT * FROM qr_statement_read(bill, 'wechatpay',
        '{"ts": "交易时间", "provider_txn": "微信订单号", "reference": "商户订单号", "status": "交易状态",
          "currency": "货币种类", "amount": "应结订单金额", "refund_txn": "微信退款单号",
          "refund_reference": "商户退款单号", "refund_amount": "退款金额", "fee": "手续费"}',
        '微信订单号', '总交易单数', NULL, ',', time_zone)
    LOOP
        rows := rows + 1;
        RETURN NEXT r;
    END LOOP;
    -- the summary after the rows counts them: a lost line is a break of the file itself
    SELECT u.n + 1, split_part(ltrim(split_part(u2.line, ',', 1), '`'), ',', 1)
      INTO summary_line, total
      FROM unnest(string_to_array(replace(bill, E'\r\n', E'\n'), E'\n')) WITH ORDINALITY u(line, n)
      JOIN unnest(string_to_array(replace(bill, E'\r\n', E'\n'), E'\n')) WITH ORDINALITY u2(line, n2) ON u2.n2 = u.n + 1
     WHERE ltrim(u.line, '`') LIKE '总交易单数%';
    IF summary_line IS NULL THEN
        r := ROW(NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                 'the bill has no summary (总交易单数): it may be cut off');
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
    SELECT * FROM qr_statement_read(bill, 'alipay',
        '{"provider_txn": "支付宝交易号", "reference": "商户订单号", "status": "业务类型", "ts": "完成时间",
          "amount": "商家实收（元）", "fee": "服务费（元）", "refund_reference": "退款批次号/请求号"}',
        '支付宝交易号', '#', '#', ',', time_zone)
$$;
COMMENT ON FUNCTION qr_statement_alipay(text, text) IS
    'Reads an Alipay merchant bill (业务明细 CSV: # comment lines, padded fields) already decoded to text';

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

-- two sides' rows paired one-to-one by nearest time: the closest pair of
-- rows of different sides is taken first, then the closest of the rest, and
-- so on while pairs lie within the window.  The closest such pair is always
-- adjacent in time order, and every adjacent pair closer than both its
-- neighbours is taken by the same pass, so a pass is linear.  That settles
-- which rows pair; the k-th paired ledger row in time order then goes with
-- the k-th paired statement row, which keeps every pair within the window
-- and never crosses two pairs (first paid, first settled).
CREATE FUNCTION qr_pair_by_time(sides text[], ids text[], times timestamptz[], time_window interval)
RETURNS TABLE (ledger_txn text, statement_txn text, apart interval)
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    s text[];
    d text[];
    t timestamptz[];
    gap interval[];
    ks text[];
    kd text[];
    kt timestamptz[];
    pl text[] := '{}';      -- the paired rows of each side
    plt timestamptz[] := '{}';
    ps text[] := '{}';
    pst timestamptz[] := '{}';
    m int;
    n int;
    i int;
    paired boolean;
BEGIN
    IF cardinality(sides) IS DISTINCT FROM cardinality(ids) OR cardinality(ids) IS DISTINCT FROM cardinality(times) THEN
        RAISE EXCEPTION 'qr_pair_by_time needs sides, ids and times of one length'
              USING ERRCODE = 'array_subscript_error';
    END IF;
    IF time_window IS NULL THEN
        RAISE EXCEPTION 'qr_pair_by_time needs a time window' USING ERRCODE = 'null_value_not_allowed';
    ELSIF time_window < interval '0' THEN
        RAISE EXCEPTION 'qr_pair_by_time needs a time window of zero or more, not %', time_window
              USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF EXISTS (SELECT FROM unnest(sides) x WHERE x IS DISTINCT FROM 'ledger' AND x IS DISTINCT FROM 'statement') THEN
        RAISE EXCEPTION 'qr_pair_by_time: every side is ''ledger'' or ''statement'''
              USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- rows without a time cannot be paired
    RETURN QUERY SELECT CASE x.s WHEN 'ledger' THEN x.d END, CASE x.s WHEN 'statement' THEN x.d END, NULL::interval
                   FROM unnest(sides, ids, times) x(s, d, t) WHERE x.t IS NULL;
    SELECT coalesce(array_agg(x.s ORDER BY x.t, x.s, x.d), '{}'), coalesce(array_agg(x.d ORDER BY x.t, x.s, x.d), '{}'),
           coalesce(array_agg(x.t ORDER BY x.t, x.s, x.d), '{}')
      INTO s, d, t
      FROM unnest(sides, ids, times) x(s, d, t) WHERE x.t IS NOT NULL;
    m := cardinality(d);
    LOOP
        gap := '{}';
        FOR i IN 1 .. m - 1 LOOP
            gap[i] := CASE WHEN s[i] <> s[i + 1] AND t[i + 1] - t[i] <= time_window THEN t[i + 1] - t[i] END;
        END LOOP;
        -- take (i, i + 1) when no neighbouring pair is closer; ties go to
        -- the earlier pair, so two taken pairs never share a row
        paired := false;
        ks := '{}'; kd := '{}'; kt := '{}'; n := 0;
        i := 1;
        WHILE i <= m LOOP
            IF gap[i] IS NOT NULL AND (gap[i + 1] IS NULL OR gap[i] <= gap[i + 1])
               AND (gap[i - 1] IS NULL OR gap[i] < gap[i - 1]) THEN
                pl := pl || CASE s[i] WHEN 'ledger' THEN d[i] ELSE d[i + 1] END;
                plt := plt || CASE s[i] WHEN 'ledger' THEN t[i] ELSE t[i + 1] END;
                ps := ps || CASE s[i] WHEN 'statement' THEN d[i] ELSE d[i + 1] END;
                pst := pst || CASE s[i] WHEN 'statement' THEN t[i] ELSE t[i + 1] END;
                paired := true;
                i := i + 2;
            ELSE
                n := n + 1;
                ks[n] := s[i]; kd[n] := d[i]; kt[n] := t[i];
                i := i + 1;
            END IF;
        END LOOP;
        s := ks; d := kd; t := kt; m := n;
        EXIT WHEN NOT paired;
    END LOOP;
    RETURN QUERY
    SELECT a.rid, b.rid, greatest(b.rt - a.rt, a.rt - b.rt)
      FROM (SELECT x.rid, x.rt, row_number() OVER (ORDER BY x.rt, x.rid) AS rk FROM unnest(pl, plt) x(rid, rt)) a
      JOIN (SELECT x.rid, x.rt, row_number() OVER (ORDER BY x.rt, x.rid) AS rk FROM unnest(ps, pst) x(rid, rt)) b
        ON b.rk = a.rk
     ORDER BY a.rk;
    FOR i IN 1 .. m LOOP
        ledger_txn := CASE s[i] WHEN 'ledger' THEN d[i] END;
        statement_txn := CASE s[i] WHEN 'statement' THEN d[i] END;
        apart := NULL;
        RETURN NEXT;
    END LOOP;
END $$;
COMMENT ON FUNCTION qr_pair_by_time(text[], text[], timestamptz[], interval) IS
    'Pairs ledger and statement rows one-to-one by nearest time within the window (closest pair first, no row reused); unpaired rows come back with the other side NULL. sides[i] is ''ledger'' or ''statement'' for ids[i] at times[i]';

-- qr_reconcile with each outcome's provider, times and amounts: what
-- qr_break_summary adds up, and what a break report shows beside the ids
CREATE FUNCTION qr_reconcile_detail(ledger regclass, statement regclass,
                                    time_window interval DEFAULT '15 minutes', amount_tolerance numeric DEFAULT 0)
RETURNS TABLE (status text, ledger_txn text, statement_txn text, amount_diff numeric, reason text,
               provider text, ledger_ts timestamptz, statement_ts timestamptz,
               ledger_amount numeric, statement_amount numeric)
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    cols text[] := ARRAY['txn_id', 'provider', 'reference', 'amount', 'currency', 'ts'];
BEGIN
    IF ledger IS NULL OR statement IS NULL OR time_window IS NULL OR amount_tolerance IS NULL THEN
        RAISE EXCEPTION 'qr_reconcile needs both relations, a time window and an amount tolerance'
              USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF time_window < interval '0' OR amount_tolerance < 0 THEN
        RAISE EXCEPTION 'qr_reconcile needs a time window and an amount tolerance of zero or more, not % and %',
                        time_window, amount_tolerance
              USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM qr_require_columns(ledger, cols);
    PERFORM qr_require_columns(statement, cols);
    -- One statement, so every step is a plain sort, hash or merge that
    -- spills past work_mem.  Keys are compared in the "C" collation: byte
    -- equality is what matching needs, and it sorts several times faster.
    RETURN QUERY EXECUTE format($q$
    WITH l AS NOT MATERIALIZED (
        SELECT txn_id::text COLLATE "C" AS id, provider::text COLLATE "C" AS provider,
               nullif(reference::text, '') COLLATE "C" AS ref, amount::numeric AS amount,
               currency::text COLLATE "C" AS cur, ts::timestamptz AS ts FROM %1$s
    ), s AS NOT MATERIALIZED (
        SELECT txn_id::text COLLATE "C" AS id, provider::text COLLATE "C" AS provider,
               nullif(reference::text, '') COLLATE "C" AS ref, amount::numeric AS amount,
               currency::text COLLATE "C" AS cur, ts::timestamptz AS ts FROM %2$s
    ),
    -- rows with a reference, both sides together, grouped by (reference,
    -- provider) in one hash aggregate: a reference seen at most once on
    -- each side, the usual case, is settled from its group alone.
    u AS NOT MATERIALIZED (
        SELECT 'ledger' AS side, id, provider, ref, amount, cur, ts FROM l WHERE ref IS NOT NULL
        UNION ALL
        SELECT 'statement', id, provider, ref, amount, cur, ts FROM s WHERE ref IS NOT NULL
    ),
    g AS (
        SELECT ref, provider,
               count(*) FILTER (WHERE side = 'ledger') AS nl, count(*) FILTER (WHERE side = 'statement') AS ns,
               min(id) FILTER (WHERE side = 'ledger') AS l_id, min(ts) FILTER (WHERE side = 'ledger') AS l_ts,
               min(amount) FILTER (WHERE side = 'ledger') AS l_amount, min(cur) FILTER (WHERE side = 'ledger') AS l_cur,
               min(id) FILTER (WHERE side = 'statement') AS s_id, min(ts) FILTER (WHERE side = 'statement') AS s_ts,
               min(amount) FILTER (WHERE side = 'statement') AS s_amount, min(cur) FILTER (WHERE side = 'statement') AS s_cur
          FROM u GROUP BY ref, provider
    ),
    -- a reference seen more than once on a side: its rows numbered per side
    -- in time order (k); the earliest row of each side is reconciled, the
    -- others are duplicates.  Those references are few: their rows are
    -- picked out by a semi-join, which hashes the few and streams the rest.
    uk AS (
        SELECT u.*, row_number() OVER (PARTITION BY u.ref, u.provider, u.side ORDER BY u.ts, u.id) AS k,
               count(*) FILTER (WHERE u.side = 'ledger') OVER (PARTITION BY u.ref, u.provider) AS nl,
               count(*) FILTER (WHERE u.side = 'statement') OVER (PARTITION BY u.ref, u.provider) AS ns
          FROM u
         WHERE EXISTS (SELECT FROM g d WHERE d.ref = u.ref AND d.provider = u.provider AND (d.nl > 1 OR d.ns > 1))
    ),
    -- one row per reference and side's earliest row: (l_*, s_*) as in g
    r AS (
        SELECT ref, provider, nl, ns, l_id, l_ts, l_amount, l_cur, s_id, s_ts, s_amount, s_cur
          FROM g WHERE nl <= 1 AND ns <= 1
        UNION ALL
        SELECT ref, provider, max(nl), max(ns),
               max(id) FILTER (WHERE side = 'ledger' AND k = 1), max(ts) FILTER (WHERE side = 'ledger' AND k = 1),
               max(amount) FILTER (WHERE side = 'ledger' AND k = 1), max(cur) FILTER (WHERE side = 'ledger' AND k = 1),
               max(id) FILTER (WHERE side = 'statement' AND k = 1), max(ts) FILTER (WHERE side = 'statement' AND k = 1),
               max(amount) FILTER (WHERE side = 'statement' AND k = 1), max(cur) FILTER (WHERE side = 'statement' AND k = 1)
          FROM uk GROUP BY ref, provider
    ),
    by_ref AS (
        SELECT CASE WHEN nl = 0 THEN 'missing_in_ledger'
                    WHEN ns = 0 THEN 'missing_in_statement'
                    WHEN greatest(s_ts - l_ts, l_ts - s_ts) > $3 THEN 'outside_window'
                    WHEN s_cur IS DISTINCT FROM l_cur OR abs(s_amount - l_amount) > $4 THEN 'amount_mismatch'
                    ELSE 'matched' END AS status,
               l_id AS ledger_txn, s_id AS statement_txn,
               CASE WHEN nl > 0 THEN s_amount - l_amount END AS amount_diff,
               CASE WHEN nl = 0 THEN format('reference %%s not in the ledger', ref)
                    WHEN ns = 0 THEN format('reference %%s not in the statement', ref)
                    WHEN greatest(s_ts - l_ts, l_ts - s_ts) > $3 THEN format('same reference %%s, %%s apart (window %%s): a settlement cut-off', ref, greatest(s_ts - l_ts, l_ts - s_ts), $3)
                    WHEN s_cur IS DISTINCT FROM l_cur THEN format('reference %%s: ledger %%s %%s, statement %%s %%s', ref, l_amount, l_cur, s_amount, s_cur)
                    WHEN abs(s_amount - l_amount) > $4 THEN format('reference %%s: ledger %%s, statement %%s', ref, l_amount, s_amount)
                    ELSE 'by reference' END AS reason,
               provider, l_ts AS ledger_ts, s_ts AS statement_ts, l_amount AS ledger_amount, s_amount AS statement_amount
          FROM r
        UNION ALL
        SELECT CASE side WHEN 'ledger' THEN 'duplicate_in_ledger' ELSE 'duplicate_in_statement' END,
               CASE side WHEN 'ledger' THEN id END, CASE side WHEN 'statement' THEN id END, NULL,
               CASE side WHEN 'ledger' THEN format('reference %%s occurs %%s times in the ledger; its earliest row is reconciled', ref, nl)
                    ELSE format('reference %%s occurs %%s times in the statement; its earliest row is reconciled', ref, ns) END,
               provider, CASE side WHEN 'ledger' THEN ts END, CASE side WHEN 'statement' THEN ts END,
               CASE side WHEN 'ledger' THEN amount END, CASE side WHEN 'statement' THEN amount END
          FROM uk WHERE k > 1
    ),
    -- rows without a reference, per provider, amount and currency in time
    -- order, cut into clusters wherever two neighbours lie further apart than
    -- the window: rows of different clusters can never pair.  A row without
    -- an amount or a time is a cluster of its own (its ts is read as NULL;
    -- t0 keeps the row's time for the result).
    n AS (
        SELECT 'ledger' AS side, id, provider, amount, cur, CASE WHEN amount IS NOT NULL THEN ts END AS ts, ts AS t0
          FROM l WHERE ref IS NULL
        UNION ALL
        SELECT 'statement', id, provider, amount, cur, CASE WHEN amount IS NOT NULL THEN ts END, ts
          FROM s WHERE ref IS NULL
    ),
    nb AS (
        SELECT n.*, CASE WHEN n.ts IS NULL OR lag(n.ts) OVER w IS NULL OR n.ts - lag(n.ts) OVER w > $3
                         THEN 1 ELSE 0 END AS starts
          FROM n WINDOW w AS (PARTITION BY provider, amount, cur ORDER BY ts, side, id)
    ),
    nc AS (
        SELECT c.*, count(*) OVER k AS m, count(*) FILTER (WHERE c.side = 'ledger') OVER k AS nl,
               max(c.id) FILTER (WHERE c.side = 'statement') OVER k AS sid,
               max(c.t0) FILTER (WHERE c.side = 'statement') OVER k AS st0,
               max(c.ts) OVER k - min(c.ts) OVER k AS apart
          FROM (SELECT nb.*, sum(starts) OVER o AS cl, row_number() OVER o AS rn
                  FROM nb WINDOW o AS (ORDER BY provider, amount, cur, ts, side, id ROWS UNBOUNDED PRECEDING)) c
        WINDOW k AS (PARTITION BY cl)
    )
    SELECT * FROM by_ref
    -- one ledger row and one statement row within the window, the usual case: a match
    UNION ALL
    SELECT 'matched', id, sid, 0::numeric, format('no reference: same amount, %%s apart', apart),
           provider, t0, st0, amount, amount
      FROM nc WHERE m = 2 AND nl = 1 AND side = 'ledger'
    -- one row alone: missing on the other side
    UNION ALL
    SELECT CASE side WHEN 'ledger' THEN 'missing_in_statement' ELSE 'missing_in_ledger' END,
           CASE side WHEN 'ledger' THEN id END, CASE side WHEN 'statement' THEN id END, NULL,
           CASE side WHEN 'ledger' THEN 'no reference, and no statement row of this amount within the window'
                ELSE 'no reference, and no ledger row of this amount within the window' END,
           provider, CASE side WHEN 'ledger' THEN t0 END, CASE side WHEN 'statement' THEN t0 END,
           CASE side WHEN 'ledger' THEN amount END, CASE side WHEN 'statement' THEN amount END
      FROM nc WHERE m = 1
    -- anything else is paired nearest first.  Rows go in by their position
    -- rn, zero-padded so that its text order is the (ts, side, id) order:
    -- two rows sharing a txn_id stay two rows.
    UNION ALL
    SELECT CASE WHEN b.rn IS NULL THEN 'missing_in_statement'
                WHEN a.rn IS NULL THEN 'missing_in_ledger' ELSE 'matched' END,
           a.id, b.id, CASE WHEN a.rn IS NOT NULL AND b.rn IS NOT NULL THEN 0 END,
           CASE WHEN b.rn IS NULL THEN 'no reference, and no statement row of this amount within the window'
                WHEN a.rn IS NULL THEN 'no reference, and no ledger row of this amount within the window'
                ELSE format('no reference: same amount, %%s apart', p.apart) END,
           coalesce(a.provider, b.provider), a.t0, b.t0, a.amount, b.amount
      FROM (SELECT cl, array_agg(side) AS sides, array_agg(lpad(rn::text, 20, '0')) AS rns, array_agg(ts) AS times
              FROM nc WHERE m > 2 OR (m = 2 AND nl <> 1) GROUP BY cl) g
     CROSS JOIN LATERAL qr_pair_by_time(g.sides, g.rns, g.times, $3) p
      LEFT JOIN nc a ON a.rn = p.ledger_txn::bigint
      LEFT JOIN nc b ON b.rn = p.statement_txn::bigint
    $q$, ledger, statement) USING ledger, statement, time_window, amount_tolerance;
END $$;
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

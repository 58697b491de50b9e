--
-- NULL sweep: every function of the extension, found in pg_proc through
-- pg_depend (a new function is swept without editing this file), called
-- by an ordinary role with NULL in each argument in turn (the others set
-- to a working value of their type), then with every argument NULL, then
-- through LATERAL over rows that hold NULLs.  Each call must return or
-- raise a clean error: a crash ends the suite, and an internal error
-- (class XX), a permission error or an unresolved name is listed at the
-- end as a failure.
--
-- Outcomes per call (the first column calls the function with working
-- values only, to show that a NULL answer comes from the NULL): "value" (some non-NULL result), "null" (NULL or only
-- NULL rows), "none" (no rows), or the SQLSTATE raised.
--
SET client_min_messages = warning;
CREATE ROLE qrpay_sweeper;
CREATE SCHEMA sweep;
GRANT USAGE, CREATE ON SCHEMA sweep TO qrpay_sweeper;
-- the back office's tables hold a company's own data and are granted, not
-- public: the sweeper gets what the README grants a back-office role
GRANT SELECT, INSERT, UPDATE ON qr_statement_batches, qr_recon_runs, qr_recon_breaks TO qrpay_sweeper;
GRANT SELECT, INSERT ON qr_statement_lines, qr_recon_results TO qrpay_sweeper;
GRANT SELECT ON qr_statement_formats, qr_recon_break_aging TO qrpay_sweeper;
GRANT USAGE ON SEQUENCE qr_statement_batches_id_seq, qr_recon_runs_id_seq, qr_recon_breaks_id_seq TO qrpay_sweeper;
SET ROLE qrpay_sweeper;

-- relations a regclass argument can name: a ledger, a statement, routed
-- transactions and codes, one shape that suits every such function
CREATE TABLE sweep.rel (txn_id text, provider text, reference text, amount numeric, currency text,
                        ts timestamptz, payer text, network text, via text, code payment_qr);
INSERT INTO sweep.rel VALUES
    ('t1', 'wechatpay', 'R1', 10, 'CNY', '2025-03-01 10:00+08', 'ccb', 'wechatpay', 'netsunion', 'wxp://f2f0abc'),
    ('t2', 'alipay', NULL, 20, 'CNY', '2025-03-01 11:00+08', 'alipay', 'unionpay', 'unionpay',
     '00020101021126140010com.pay.me5204411153031565802CN5904SHOP6007BEIJING6304F320');

-- a working value of an argument, as SQL text: by its name where the name
-- says what it holds, else by its type
CREATE FUNCTION sweep.sample(t regtype, name text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN name = 'time_zone' THEN $q$'Asia/Shanghai'$q$
        WHEN name = 'scenario' THEN $q$'offline'$q$
        WHEN name = 'region' THEN $q$'Beijing'$q$
        WHEN name = 'path' THEN $q$'59'$q$
        WHEN name = 'delimiter' THEN $q$','$q$
        WHEN name = 'ecc' THEN $q$'M'$q$
        WHEN name = 'reference' THEN $q$'R1'$q$
        WHEN name = 'fields' THEN $q$'{"52": "5411", "53": "156", "58": "CN", "59": "SHOP", "60": "BEIJING", "26": {"00": "com.pay.me"}}'::jsonb$q$
        WHEN name = 'columns' THEN $q$'{"provider_txn": "id", "ts": "time", "amount": "amount"}'::jsonb$q$
        WHEN name = 'header_has' THEN $q$'id'$q$
        WHEN name = 'bill' AND t = 'bytea'::regtype THEN $q$convert_to(E'id,time,amount\nA1,2025-03-01 10:00:00,1.00\n', 'GBK')$q$
        WHEN name = 'bill' THEN $q$E'id,time,amount\nA1,2025-03-01 10:00:00,1.00\n'$q$
        WHEN name = 'file' THEN $q$convert_to(E'id,time,amount\nA1,2025-03-01 10:00:00,1.00\n', 'UTF8')$q$
        WHEN name = 'format' THEN $q$'csv'$q$
        WHEN name = 'settings' THEN $q$'{"time_window": "5 minutes", "amount_tolerance": 0.01}'::jsonb$q$
        WHEN name = 'currency' THEN $q$'JPY'$q$
        WHEN name = 'styles' THEN $q$ARRAY['TimeZone', 'Asia/Shanghai']::text[]$q$
        WHEN name = 'width' THEN $q$10$q$
        WHEN name = 'mapping' THEN $q$'{"columns": {"provider_txn": "id", "ts": "time", "amount": "amount"}}'::jsonb$q$
        WHEN t = 'payment_qr'::regtype THEN $q$'00020101021126140010com.pay.me5204411153031565802CN5904SHOP6007BEIJING6304F320'::payment_qr$q$
        WHEN t = 'payment_qr[]'::regtype THEN $q$ARRAY['00020101021126140010com.pay.me5204411153031565802CN5904SHOP6007BEIJING6304F320', '00020101021126140010com.pay.me5204411153031565802CN5904SHOP6007BEIJING6304F320']::payment_qr[]$q$
        WHEN t = 'text'::regtype THEN $q$'wechatpay'::text$q$
        WHEN t = 'text[]'::regtype THEN $q$ARRAY['ledger', 'statement']::text[]$q$
        WHEN t = 'jsonb'::regtype THEN $q$'{"59": "SHOP"}'::jsonb$q$
        WHEN t = 'numeric'::regtype THEN $q$12.5::numeric$q$
        WHEN t = 'integer'::regtype THEN $q$4$q$
        WHEN t = 'smallint'::regtype THEN $q$1::smallint$q$
        WHEN t = 'bigint'::regtype THEN $q$999999::bigint$q$
        WHEN t = 'bigint[]'::regtype THEN $q$ARRAY[999999]::bigint[]$q$
        WHEN t = 'oid'::regtype THEN $q$0::oid$q$
        WHEN t = 'bytea'::regtype THEN $q$'\x6162'::bytea$q$
        WHEN t = 'cstring'::regtype THEN $q$'wxp://f2f0abc'::cstring$q$
        WHEN t = 'interval'::regtype THEN $q$'15 minutes'::interval$q$
        WHEN t = 'timestamptz'::regtype THEN $q$'2025-03-01 10:00+08'::timestamptz$q$
        WHEN t = 'timestamptz[]'::regtype THEN $q$ARRAY['2025-03-01 10:00+08', '2025-03-01 10:01+08']::timestamptz[]$q$
        WHEN t = 'regclass'::regtype THEN $q$'sweep.rel'::regclass$q$
        WHEN t = 'regtype'::regtype THEN $q$'text'::regtype$q$
        WHEN t = 'boolean'::regtype THEN $q$true$q$
    END
$$;

-- the outcome of one call
CREATE FUNCTION sweep.outcome(call text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
    nonnull bigint;
BEGIN
    EXECUTE format('SELECT count(*), count(*) FILTER (WHERE NOT x IS NULL) FROM %s x', call)
       INTO n, nonnull;
    RETURN CASE WHEN n = 0 THEN 'none' WHEN nonnull = 0 THEN 'null' ELSE 'value' END;
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
END $$;

-- the functions: all of the extension's but trigger functions and those
-- taking or returning internal, which SQL cannot call
CREATE VIEW sweep.fn AS
SELECT p.oid, p.oid::regprocedure::text AS signature, p.proname, p.pronargs,
       array(SELECT unnest(p.proargtypes::regtype[])) AS types, coalesce(p.proargnames, '{}') AS names
  FROM pg_proc p
  JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'qrpay'
 WHERE p.prokind = 'f' AND p.pronargs > 0
   AND p.prorettype NOT IN ('trigger'::regtype, 'internal'::regtype)
   AND NOT 'internal'::regtype = ANY (p.proargtypes);

CREATE TABLE sweep.result AS
SELECT f.signature, k AS arg,
       sweep.outcome(format('%s(%s)', f.oid::regproc,
                            (SELECT string_agg(CASE WHEN i = k OR k = 0 THEN format('NULL::%s', t) ELSE sweep.sample(t, f.names[i]) END,
                                               ', ' ORDER BY i)
                               FROM unnest(f.types) WITH ORDINALITY u(t, i)))) AS outcome
  FROM sweep.fn f, generate_series(-1, f.pronargs) k;

-- every function: its outcome with working arguments, with NULL in
-- argument 1, 2, ... and with all arguments NULL
SELECT signature, min(outcome) FILTER (WHERE arg = -1) AS no_null,
       string_agg(outcome, ' ' ORDER BY arg) FILTER (WHERE arg > 0) AS null_in_each_argument,
       min(outcome) FILTER (WHERE arg = 0) AS all_null
  FROM sweep.result GROUP BY signature ORDER BY signature;

-- through LATERAL: rows holding a NULL code, NULL texts and NULL times
CREATE TABLE sweep.rows (code payment_qr, payer text, at timestamptz, path text, amount numeric);
INSERT INTO sweep.rows VALUES
    (NULL, 'wechatpay', '2025-03-01 10:00+08', '59', 1),
    ('wxp://f2f0abc', NULL, NULL, NULL, NULL),
    (NULL, NULL, NULL, NULL, NULL);
SELECT count(*) AS route_rows FROM sweep.rows r, LATERAL qr_routes(r.code, r.at) x;
SELECT count(*) AS route_rows FROM sweep.rows r LEFT JOIN LATERAL qr_routes(r.code) x ON true;
SELECT r.payer, (qr_route(r.code, r.payer, r.at)).status FROM sweep.rows r ORDER BY 1 NULLS LAST, 2;
SELECT count(*) AS tag_rows FROM sweep.rows r, LATERAL qr_tags(r.code) t;
SELECT count(*) AS identifier_rows FROM sweep.rows r, LATERAL qr_identifiers(r.code) i;
SELECT qr_get(r.code, r.path), qr_networks(r.code), qr_with_amount(r.code, r.amount) IS NULL AS no_code
  FROM sweep.rows r ORDER BY 1 NULLS LAST, 2;
-- every one-argument function over the rows' codes, in one query each
SELECT f.signature, sweep.outcome(format('(SELECT %s(r.code) AS v FROM sweep.rows r)', f.oid::regproc)) AS outcome
  FROM sweep.fn f WHERE f.pronargs = 1 AND f.types[1] = 'payment_qr'::regtype ORDER BY 1;

-- the failures: must be none
SELECT signature, arg, outcome FROM sweep.result
 WHERE outcome LIKE 'XX%' OR outcome IN ('42501', '42601', '42883', '42P01', '42704', '57014')
 ORDER BY 1, 2;

RESET ROLE;
DROP SCHEMA sweep CASCADE;
DROP OWNED BY qrpay_sweeper;
DROP ROLE qrpay_sweeper;

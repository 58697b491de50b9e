--
-- Privileges: the extension as a bank's shared cluster gets it.
--
-- A database owner who is not superuser installs qrpay (trusted) into a
-- schema that is on no one's search_path.  An ordinary application role
-- runs every function; a qrpay admin role writes the catalog as the README
-- documents; a hostile role with CREATE on public defines look-alike
-- functions, operators and tables for every name the extension uses, and
-- the victim's search_path puts public before pg_catalog.  None of the
-- look-alikes ever runs (each raises "hijacked" if it does), and every
-- change to the catalog lands in the audit trail.
--
SET client_min_messages = warning;
CREATE ROLE qrpay_dbowner;
CREATE ROLE qrpay_app;
CREATE ROLE qrpay_admin;
CREATE ROLE qrpay_hostile;
CREATE DATABASE qrpay_priv OWNER qrpay_dbowner;
\c qrpay_priv
SET client_min_messages = warning;
\set VERBOSITY terse

-- trusted install by the database owner
SET ROLE qrpay_dbowner;
CREATE SCHEMA qrpay_ext;
CREATE EXTENSION qrpay SCHEMA qrpay_ext;
GRANT USAGE ON SCHEMA qrpay_ext TO PUBLIC;
SELECT e.extowner::regrole AS extension_owner, n.nspname AS schema,
       (SELECT c.relowner::regrole FROM pg_class c WHERE c.oid = 'qrpay_ext.qr_providers'::regclass) AS tables_owner
  FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'qrpay';
-- the owner keeps its own catalog rows and hands writing on to an admin role
INSERT INTO qrpay_ext.qr_providers (code, name, kind, country) VALUES ('ownbank', 'Own Bank', 'bank', 'CN');
GRANT INSERT, UPDATE, DELETE ON qrpay_ext.qr_providers, qrpay_ext.qr_provider_patterns, qrpay_ext.qr_cities,
      qrpay_ext.qr_interop_rules, qrpay_ext.qr_fee_rates TO qrpay_admin;
GRANT SELECT ON qrpay_ext.qr_catalog_audit TO qrpay_admin;
-- and the back office's tables, which are not public, to the application
GRANT SELECT, INSERT, UPDATE ON qrpay_ext.qr_statement_batches, qrpay_ext.qr_recon_runs, qrpay_ext.qr_recon_breaks TO qrpay_app;
GRANT SELECT, INSERT ON qrpay_ext.qr_statement_lines, qrpay_ext.qr_recon_results TO qrpay_app;
GRANT SELECT ON qrpay_ext.qr_statement_formats, qrpay_ext.qr_recon_break_aging TO qrpay_app;
GRANT USAGE ON SEQUENCE qrpay_ext.qr_statement_batches_id_seq, qrpay_ext.qr_recon_runs_id_seq,
      qrpay_ext.qr_recon_breaks_id_seq TO qrpay_app;
GRANT CREATE ON SCHEMA public TO qrpay_hostile;
RESET ROLE;

-- ---------------------------------------------------------------------
-- the hostile role's look-alikes, in public
-- ---------------------------------------------------------------------
SET ROLE qrpay_hostile;
SET search_path = public;
CREATE FUNCTION public.hijack_make(sig text, result text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('CREATE FUNCTION %s RETURNS %s LANGUAGE plpgsql AS %L', sig, result,
                   format('BEGIN RAISE EXCEPTION %L; END', 'hijacked: ' || sig));
EXCEPTION WHEN duplicate_function OR feature_not_supported OR invalid_function_definition
          OR datatype_mismatch OR invalid_parameter_value THEN
    NULL;                       -- a signature plpgsql cannot take (cstring, internal)
END $$;
-- every function of the extension, once with its own argument types and
-- once with text for payment_qr (a closer match for an untyped literal)
SELECT count(*) > 50 AS look_alikes_made FROM (
    SELECT public.hijack_make(format('public.%I(%s)', p.proname, v.args), pg_get_function_result(p.oid))
      FROM pg_proc p
      JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
      JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'qrpay'
     CROSS JOIN LATERAL (VALUES (pg_get_function_arguments(p.oid)),
                                (replace(pg_get_function_arguments(p.oid), 'qrpay_ext.payment_qr', 'text'))) v(args)
     WHERE p.prokind = 'f') s;
SELECT count(*) AS hostile_functions FROM pg_proc WHERE pronamespace = 'public'::regnamespace AND proname LIKE 'qr%';
-- operators on the types the extension's code compares
DO $$
DECLARE
    op text;
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['text', 'numeric', 'integer', 'bigint', 'boolean', 'timestamptz', 'jsonb',
                             'qrpay_ext.payment_qr'] LOOP
        EXECUTE format('CREATE FUNCTION public.hijack_op(%s, %s) RETURNS boolean LANGUAGE plpgsql AS %L',
                       t, t, format('BEGIN RAISE EXCEPTION %L; END', 'hijacked: operator on ' || t));
        FOREACH op IN ARRAY ARRAY['=', '<>', '<', '>', '<=', '>=', '~', '!~', '~~', '@>'] LOOP
            EXECUTE format('CREATE OPERATOR public.%s (LEFTARG = %s, RIGHTARG = %s, FUNCTION = public.hijack_op)', op, t, t);
        END LOOP;
    END LOOP;
END $$;
CREATE FUNCTION public.hijack_txt(text, text) RETURNS text LANGUAGE plpgsql AS
    $$BEGIN RAISE EXCEPTION 'hijacked: text operator'; END$$;
CREATE FUNCTION public.hijack_num(numeric, numeric) RETURNS numeric LANGUAGE plpgsql AS
    $$BEGIN RAISE EXCEPTION 'hijacked: numeric operator'; END$$;
CREATE FUNCTION public.hijack_has(qrpay_ext.payment_qr, text) RETURNS boolean LANGUAGE plpgsql AS
    $$BEGIN RAISE EXCEPTION 'hijacked: ? operator'; END$$;
CREATE FUNCTION public.hijack_op(qrpay_ext.payment_qr, jsonb) RETURNS boolean LANGUAGE plpgsql AS
    $$BEGIN RAISE EXCEPTION 'hijacked: @> operator'; END$$;
CREATE FUNCTION public.hijack_contains(tstzrange, timestamptz) RETURNS boolean LANGUAGE plpgsql AS
    $$BEGIN RAISE EXCEPTION 'hijacked: range operator'; END$$;
CREATE FUNCTION public.hijack_field(jsonb, text) RETURNS text LANGUAGE plpgsql AS
    $$BEGIN RAISE EXCEPTION 'hijacked: jsonb operator'; END$$;
CREATE OPERATOR public.|| (LEFTARG = text, RIGHTARG = text, FUNCTION = public.hijack_txt);
CREATE OPERATOR public.+ (LEFTARG = numeric, RIGHTARG = numeric, FUNCTION = public.hijack_num);
CREATE OPERATOR public.- (LEFTARG = numeric, RIGHTARG = numeric, FUNCTION = public.hijack_num);
CREATE OPERATOR public.* (LEFTARG = numeric, RIGHTARG = numeric, FUNCTION = public.hijack_num);
CREATE OPERATOR public.@> (LEFTARG = tstzrange, RIGHTARG = timestamptz, FUNCTION = public.hijack_contains);
CREATE OPERATOR public.@> (LEFTARG = qrpay_ext.payment_qr, RIGHTARG = jsonb, FUNCTION = public.hijack_op);
CREATE OPERATOR public.? (LEFTARG = qrpay_ext.payment_qr, RIGHTARG = text, FUNCTION = public.hijack_has);
CREATE OPERATOR public.->> (LEFTARG = jsonb, RIGHTARG = text, FUNCTION = public.hijack_field);
SELECT count(*) AS hostile_operators FROM pg_operator WHERE oprnamespace = 'public'::regnamespace;
-- tables named like the catalog, holding a provider that matches everything
CREATE TABLE public.qr_providers (LIKE qrpay_ext.qr_providers INCLUDING DEFAULTS);
CREATE TABLE public.qr_provider_patterns (LIKE qrpay_ext.qr_provider_patterns INCLUDING DEFAULTS);
CREATE TABLE public.qr_cities (LIKE qrpay_ext.qr_cities INCLUDING DEFAULTS);
CREATE TABLE public.qr_interop_rules (LIKE qrpay_ext.qr_interop_rules INCLUDING DEFAULTS);
CREATE TABLE public.qr_fee_rates (LIKE qrpay_ext.qr_fee_rates INCLUDING DEFAULTS);
INSERT INTO public.qr_providers (code, name, kind) VALUES ('evil', 'Evil', 'wallet');
INSERT INTO public.qr_provider_patterns (provider, kind, pattern) VALUES ('evil', 'url', '*'), ('evil', 'format', '*');
INSERT INTO public.qr_fee_rates (payer, payee, via, rate) VALUES ('ccb', 'wechatpay', 'netsunion', 0.99);
-- and like the reconciliation settings and rates: no window, any amount
CREATE TABLE public.qr_recon_settings (LIKE qrpay_ext.qr_recon_settings INCLUDING DEFAULTS);
CREATE TABLE public.qr_recon_fee_rates (LIKE qrpay_ext.qr_recon_fee_rates INCLUDING DEFAULTS);
CREATE TABLE public.qr_fx_rates (LIKE qrpay_ext.qr_fx_rates INCLUDING DEFAULTS);
INSERT INTO public.qr_recon_settings (provider, time_window, amount_tolerance, group_search) VALUES ('*', '0', 1000000, false);
INSERT INTO public.qr_recon_fee_rates (provider, rate) VALUES ('wechatpay', 0.5);
INSERT INTO public.qr_fx_rates (from_currency, to_currency, rate) VALUES ('USD', 'CNY', 1000);
GRANT SELECT ON ALL TABLES IN SCHEMA public TO PUBLIC;
RESET search_path;
RESET ROLE;

-- ---------------------------------------------------------------------
-- the application role, its search_path public first (the test's own
-- statements write OPERATOR(pg_catalog.x): the look-alikes would catch
-- them too, and they are not what is tested)
-- ---------------------------------------------------------------------
SET ROLE qrpay_app;
SET search_path = public, pg_catalog;
-- a fresh backend's first catalog read is an ordinary role's, and answers
SELECT qrpay_ext.qr_networks('wxp://f2f0abc'), qrpay_ext.qr_provider('https://qr.alipay.com/abc');
SELECT * FROM qrpay_ext.qr_route('wxp://f2f0abc', 'alipay', '2025-06-01', 'Beijing');
SELECT payer, status, network FROM qrpay_ext.qr_routes('wxp://f2f0abc', '2025-06-01', 'Beijing') ORDER BY 1 LIMIT 3;
SELECT qrpay_ext.qr_accepts('wxp://f2f0abc', 'unionpay', '2025-06-01', 'Beijing');
SELECT count(*) AS providers, count(*) FILTER (WHERE code OPERATOR(pg_catalog.=) 'evil') AS evil FROM qrpay_ext.qr_providers;
-- the application's own tables, reconciled, cleared, indexed
CREATE TEMP TABLE ledger (txn_id text, provider text, reference text, amount numeric, currency text, ts timestamptz,
                          payer text, network text, via text, code qrpay_ext.payment_qr);
INSERT INTO ledger VALUES
    ('L1', 'wechatpay', 'R1', 10, 'CNY', '2025-03-01 10:00+08', 'ccb', 'wechatpay', 'netsunion', 'wxp://f2f0abc'),
    ('L2', 'alipay', NULL, 20, 'CNY', '2025-03-01 10:05+08', 'alipay', 'unionpay', 'unionpay',
     '00020101021126140010com.pay.me5204411153031565802CN5904SHOP6007BEIJING6304F320');
CREATE TEMP TABLE stmt AS SELECT concat('S', substr(txn_id, 2)) AS txn_id, provider, reference, amount, currency,
                                 ts OPERATOR(pg_catalog.+) interval '3 s' AS ts FROM ledger;
SELECT status, ledger_txn, statement_txn FROM qrpay_ext.qr_reconcile('ledger', 'stmt') ORDER BY 2;
SELECT provider, status, rows FROM qrpay_ext.qr_break_summary('ledger', 'stmt') ORDER BY 1, 2;
-- the matching engine and its settings read the extension's tables, not the look-alikes
-- (whose window of 0 would leave L2, 3 s from its line, unpaired)
SELECT status, ledger_txn, statement_txn, amount_diff, ledger_currency, statement_currency
  FROM qrpay_ext.qr_match('ledger', 'stmt') ORDER BY 2;
SELECT qrpay_ext.qr_recon_settings_for('wechatpay') OPERATOR(pg_catalog.->>) 'amount_tolerance' AS tolerance,
       qrpay_ext.qr_recon_settings_for('wechatpay', '{"group_max_rows": 9}') OPERATOR(pg_catalog.->>) 'group_max_rows' AS group_max_rows;
SELECT qrpay_ext.qr_minor_unit('JPY') AS jpy, qrpay_ext.qr_minor_unit('bhd') AS bhd, qrpay_ext.qr_minor_unit('156') AS cny,
       qrpay_ext.qr_round_amount(2.345, 'CNY') AS cny_amount, qrpay_ext.qr_round_amount(1234.5, 'JPY') AS jpy_amount;
SELECT participant, net FROM qrpay_ext.qr_clearing('ledger') ORDER BY 1;
SELECT debtor, creditor, amount FROM qrpay_ext.qr_settlement('ledger') ORDER BY 1;
SELECT payer, codes_total, payable FROM qrpay_ext.qr_interop_share('ledger', '2025-06-01') ORDER BY 1 LIMIT 3;
SELECT provider_txn, amount, error FROM qrpay_ext.qr_statement_csv(E'id,time,amount\nA1,2025-03-01 10:00:00,1.50\n',
       'fps', '{"provider_txn": "id", "ts": "time", "amount": "amount"}');
SELECT count(*) FROM qrpay_ext.qr_statement_wechat(E'交易时间,微信订单号,商户订单号,交易状态,货币种类,应结订单金额,微信退款单号,商户退款单号,退款金额,手续费\n`2025-03-01 10:00:00,`W1,`R1,`SUCCESS,`CNY,`1.00,`0,`0,`0.00,`0.01\n总交易单数\n`1\n');
SELECT qrpay_ext.qr_csv_fields('a,"b,c",d');
CREATE INDEX ON ledger USING gin (code qrpay_ext.payment_qr_gin_ops);
CREATE INDEX ON ledger (code);
SET enable_seqscan = off;
SELECT txn_id FROM ledger WHERE code OPERATOR(qrpay_ext.@>) '{"59": "SHOP"}';
SELECT txn_id FROM ledger WHERE code OPERATOR(qrpay_ext.=) 'wxp://f2f0abc'::qrpay_ext.payment_qr;
RESET enable_seqscan;
SELECT qrpay_ext.qr_merchant_name(code), qrpay_ext.qr_get(code, '26.00'), qrpay_ext.qr_to_jsonb(code) OPERATOR(pg_catalog.->>) 'format'
  FROM ledger ORDER BY txn_id;
SELECT qrpay_ext.qr_svg(code) IS NOT NULL AS svg, qrpay_ext.qr_with_amount(code, 9.99) IS NOT NULL AS amount_set
  FROM ledger WHERE txn_id OPERATOR(pg_catalog.=) 'L2';

-- every function of the extension, with working arguments, by this role:
-- an error is fine where the arguments do not suit, but never a look-alike,
-- a permission error or an unresolved name
RESET search_path;
CREATE FUNCTION pg_temp.try_call(call text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE call;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN concat(SQLSTATE, ' ', SQLERRM);
END $$;
CREATE TEMP TABLE calls AS
SELECT p.oid::regprocedure::text AS signature,
       format('SELECT * FROM qrpay_ext.%I(%s)', p.proname,
           (SELECT string_agg(CASE
                WHEN t = 'qrpay_ext.payment_qr'::regtype THEN $q$'wxp://f2f0abc'::qrpay_ext.payment_qr$q$
                WHEN t = 'qrpay_ext.payment_qr[]'::regtype THEN $q$ARRAY['wxp://f2f0abc']::qrpay_ext.payment_qr[]$q$
                WHEN t = 'regclass'::regtype THEN $q$'ledger'::regclass$q$
                WHEN t = 'text[]'::regtype THEN $q$ARRAY['ledger']::text[]$q$
                WHEN t = 'bigint[]'::regtype THEN $q$ARRAY[1]::bigint[]$q$
                WHEN t = 'timestamptz[]'::regtype THEN $q$ARRAY[now()]$q$
                WHEN n = 'time_zone' THEN $q$'UTC'$q$
                WHEN n = 'scenario' THEN $q$'offline'$q$
                WHEN n = 'ecc' THEN $q$'M'$q$
                WHEN n = 'settings' THEN $q$'{"time_window": "1 hour"}'::jsonb$q$
                WHEN n = 'columns' THEN $q$'{"provider_txn": "a", "ts": "b", "amount": "c"}'::jsonb$q$
                WHEN n = 'bill' AND t = 'text'::regtype THEN $q$E'a,b,c\n1,2025-03-01 10:00:00,3\n'$q$
                WHEN t = 'text'::regtype THEN $q$'a'::text$q$
                WHEN t = 'jsonb'::regtype THEN $q$'{"59": "SHOP"}'::jsonb$q$
                WHEN t = 'interval'::regtype THEN $q$'1 hour'::interval$q$
                WHEN t = 'timestamptz'::regtype THEN $q$now()$q$
                WHEN t = 'bytea'::regtype THEN $q$'\x61'::bytea$q$
                ELSE format('1::%s', t) END, ', ' ORDER BY i)
              FROM unnest(p.proargtypes::regtype[], coalesce(p.proargnames, array_fill(''::text, ARRAY[p.pronargs])))
                   WITH ORDINALITY u(t, n, i) WHERE t IS NOT NULL)) AS call,
       NULL::text AS outcome
  FROM pg_proc p
  JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'qrpay'
 WHERE p.prokind = 'f' AND p.prorettype NOT IN ('trigger'::regtype, 'internal'::regtype)
   AND NOT 'internal'::regtype = ANY (p.proargtypes) AND NOT 'cstring'::regtype = ANY (p.proargtypes);
-- the calls run with public first on the path
SET search_path = public, pg_catalog;
UPDATE calls SET outcome = pg_temp.try_call(call);
RESET search_path;
SELECT signature, CASE WHEN outcome = 'ok' THEN 'ok' ELSE left(outcome, 5) END AS outcome FROM calls ORDER BY 1;
-- the failures: must be none
SELECT signature, outcome FROM calls
 WHERE outcome LIKE '%hijacked%' OR outcome ~ '^(42501|42601|42883|42P01|42704|XX)' ORDER BY 1;
SET search_path = public, pg_catalog;

-- what the application role may not do
INSERT INTO qrpay_ext.qr_providers (code, name, kind) VALUES ('appbank', 'App Bank', 'bank');
UPDATE qrpay_ext.qr_interop_rules SET priority = 99;
DELETE FROM qrpay_ext.qr_fee_rates;
SELECT count(*) FROM qrpay_ext.qr_catalog_audit;
CREATE TEMP TABLE qr_cities (x int);
CREATE TRIGGER g BEFORE INSERT ON pg_temp.qr_cities FOR EACH ROW EXECUTE FUNCTION qrpay_ext.qr_catalog_guard();
CREATE TRIGGER a AFTER INSERT ON pg_temp.qr_cities FOR EACH ROW EXECUTE FUNCTION qrpay_ext.qr_catalog_audit();
RESET search_path;
RESET ROLE;

-- ---------------------------------------------------------------------
-- the admin role writes the catalog; every change is audited
-- ---------------------------------------------------------------------
SET ROLE qrpay_admin;
SET search_path = public, pg_catalog;
INSERT INTO qrpay_ext.qr_providers (code, name, kind, country) VALUES ('adminbank', 'Admin Bank', 'bank', 'CN');
INSERT INTO qrpay_ext.qr_provider_patterns (provider, kind, pattern) VALUES ('adminbank', 'url', 'https://pay.adminbank.example/*');
UPDATE qrpay_ext.qr_providers SET name = 'Admin Bank Ltd' WHERE code OPERATOR(pg_catalog.=) 'adminbank';
INSERT INTO qrpay_ext.qr_fee_rates (payer, payee, via, rate) VALUES ('ccb', 'wechatpay', 'netsunion', 0.001);
DELETE FROM qrpay_ext.qr_fee_rates WHERE payer OPERATOR(pg_catalog.=) 'ccb';
SELECT qrpay_ext.qr_networks('https://pay.adminbank.example/q/1');
-- shipped rows stay read-only for the admin too
UPDATE qrpay_ext.qr_providers SET name = 'x' WHERE code OPERATOR(pg_catalog.=) 'alipay';
-- the trail: who, what, before and after
RESET search_path;
SELECT id, table_name, operation, role_name, session_role, old_row ->> 'name' AS old_name,
       coalesce(new_row ->> 'name', new_row ->> 'pattern', new_row ->> 'rate') AS new_value
  FROM qrpay_ext.qr_catalog_audit ORDER BY id;
SELECT count(DISTINCT xact) AS transactions, bool_and(at <= now()) AS timed
  FROM qrpay_ext.qr_catalog_audit;
-- no one but the owner alters it: not the admin who can read it
UPDATE qrpay_ext.qr_catalog_audit SET role_name = 'someone else';
DELETE FROM qrpay_ext.qr_catalog_audit;
TRUNCATE qrpay_ext.qr_catalog_audit;
INSERT INTO qrpay_ext.qr_catalog_audit (table_name, operation, role_name, session_role) VALUES ('x', 'INSERT', 'x', 'x');
RESET search_path;
RESET ROLE;
-- nor the database owner who installed the extension
SET ROLE qrpay_dbowner;
DELETE FROM qrpay_ext.qr_catalog_audit;
RESET ROLE;

-- the cache answers the same for every role, whoever filled it
SET ROLE qrpay_app;
SELECT qrpay_ext.qr_networks('https://pay.adminbank.example/q/1') AS app_sees;
RESET ROLE;
SELECT qrpay_ext.qr_networks('https://pay.adminbank.example/q/1') AS superuser_sees;

\c contrib_regression
SET client_min_messages = warning;
DROP DATABASE qrpay_priv;
DROP ROLE qrpay_dbowner, qrpay_app, qrpay_admin, qrpay_hostile;

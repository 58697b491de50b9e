-- 01_catalog.sql: the catalog contract of the qrpay extension.
--
-- Volatility, parallel safety and comments are checked generically over
-- every member of the extension (pg_depend, deptype 'e'), one named test
-- per object, so a function added later without PARALLEL SAFE or a
-- COMMENT fails here.  Member counts are pinned, so the plan stays exact
-- and a new object has to be looked at.
BEGIN;
SET LOCAL client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS qrpay;

SELECT plan(483);

-- Every member of the extension: catalog, object id, description.
CREATE TEMP VIEW ext_member AS
SELECT d.classid::regclass AS catalog, d.objid,
       pg_describe_object(d.classid, d.objid, d.objsubid) AS what
  FROM pg_depend d
 WHERE d.refclassid = 'pg_extension'::regclass
   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'qrpay')
   AND d.deptype = 'e';

CREATE TEMP VIEW ext_proc AS
SELECT p.*, p.oid::regprocedure AS sig
  FROM pg_proc p JOIN ext_member m ON m.catalog = 'pg_proc'::regclass AND m.objid = p.oid;

-- ---------------------------------------------------------------------
-- Members (2 tests)
-- ---------------------------------------------------------------------

SELECT has_type('payment_qr', 'type payment_qr exists');

SELECT results_eq(
    $$SELECT catalog::text, count(*) FROM ext_member GROUP BY 1 ORDER BY 1$$,
    $$VALUES ('pg_cast', 1::bigint), ('pg_class', 22), ('pg_opclass', 4), ('pg_operator', 10),
             ('pg_opfamily', 4), ('pg_proc', 111), ('pg_type', 3)$$,
    'extension members: 3 types, 16 tables, 5 identity sequences and a view, 111 functions, 10 operators, 4 opclasses (+4 opfamilies), 1 cast');

-- ---------------------------------------------------------------------
-- Volatility and parallel safety of every function (1 + 111 + 111 tests),
-- from a table that names each function with the label it must carry and
-- why, so a function added later fails here until it is classified:
--   payload  IMMUTABLE, PARALLEL SAFE: a function of its arguments alone
--   catalog  STABLE, PARALLEL SAFE: reads the provider catalog or rules
--            (the extension's own tables, readable in a parallel worker)
--   clock    STABLE, PARALLEL SAFE: reads no table, but converts times
--            with the session's TimeZone and DateStyle
--   relation STABLE, PARALLEL RESTRICTED: reads a relation the caller
--            names, which may be a temporary table a worker cannot see
--   trigger  VOLATILE, PARALLEL UNSAFE: writes or sends invalidations
--   writer   VOLATILE, PARALLEL UNSAFE: writes the back office's tables
--            or takes their locks
--   cluster  VOLATILE, PARALLEL UNSAFE: asks the other nodes of a Citus
--            cluster, or serves them (setting the transaction's styles)
-- ---------------------------------------------------------------------

CREATE TEMP TABLE label (sig text PRIMARY KEY, kind text NOT NULL);
INSERT INTO label
SELECT sig::text, 'payload' FROM ext_proc
 WHERE proname NOT IN ('qr_networks', 'qr_provider', 'qr_route', 'qr_accepts', 'qr_routes',
                       'qr_statement_read', 'qr_statement_wechat', 'qr_statement_alipay', 'qr_statement_csv',
                       'qr_statement_parse', 'qr_statement_info',
                       'qr_reconcile', 'qr_reconcile_detail', 'qr_break_summary', 'qr_clearing', 'qr_settlement',
                       'qr_interop_share',
                       'qr_statement_load', 'qr_statement_withdraw', 'qr_back_office_lock', 'qr_recon_run',
                       'qr_recon_execute', 'qr_break_assign', 'qr_break_resolve', 'qr_break_write_off', 'qr_break_move',
                       'qr_statement_diff', 'qr_recon_report', 'qr_recon_require_shape', 'qr_match',
                       'qr_recon_settings_for', 'qr_recon_run_settings', 'qr_recon_optional_column',
                       'qr_catalog_fingerprint', 'qr_catalog_snapshot', 'qr_catalog_load', 'qr_catalog_nodes',
                       'qr_catalog_check', 'qr_catalog_sync', 'qr_match_shard', 'qr_clearing_fee')
   AND prorettype <> 'trigger'::regtype;
INSERT INTO label VALUES
    ('qr_networks(payment_qr)', 'catalog'),
    ('qr_provider(payment_qr)', 'catalog'),
    ('qr_route(payment_qr,text,timestamp with time zone,text,text)', 'catalog'),
    ('qr_accepts(payment_qr,text,timestamp with time zone,text,text)', 'catalog'),
    ('qr_routes(payment_qr,timestamp with time zone,text,text)', 'catalog'),
    ('qr_statement_read(text,text,jsonb,text,text,text,text,text)', 'clock'),
    ('qr_statement_wechat(text,text)', 'clock'),
    ('qr_statement_alipay(text,text)', 'clock'),
    ('qr_statement_alipay(bytea,text)', 'clock'),
    ('qr_statement_csv(text,text,jsonb,text,text)', 'clock'),
    ('qr_statement_parse(bytea,text,jsonb)', 'clock'),
    ('qr_statement_info(bytea,text,jsonb)', 'clock'),
    ('qr_match(regclass,regclass,jsonb)', 'relation'),
    ('qr_reconcile(regclass,regclass,interval,numeric)', 'relation'),
    ('qr_reconcile_detail(regclass,regclass,interval,numeric)', 'relation'),
    ('qr_break_summary(regclass,regclass,interval,numeric,text)', 'relation'),
    ('qr_clearing(regclass,text)', 'relation'),
    ('qr_settlement(regclass,text)', 'relation'),
    ('qr_interop_share(regclass,timestamp with time zone,text,text)', 'relation'),
    ('qr_statement_diff(bigint,bigint)', 'catalog'),
    ('qr_recon_report(bigint)', 'catalog'),
    ('qr_recon_require_shape(regclass)', 'catalog'),
    ('qr_recon_settings_for(text,jsonb)', 'catalog'),
    ('qr_recon_run_settings(text[],interval,numeric,jsonb)', 'catalog'),
    ('qr_recon_optional_column(regclass,text,regtype)', 'catalog'),
    ('qr_statement_load(text,bytea,text)', 'writer'),
    ('qr_statement_withdraw(bigint,text)', 'writer'),
    ('qr_back_office_lock(text[])', 'writer'),
    ('qr_recon_run(regclass,bigint[],interval,numeric,jsonb)', 'writer'),
    ('qr_recon_run(regclass,regclass,interval,numeric,jsonb)', 'writer'),
    ('qr_recon_execute(bigint,boolean)', 'writer'),
    ('qr_break_assign(bigint,text,text)', 'writer'),
    ('qr_break_resolve(bigint,text)', 'writer'),
    ('qr_break_write_off(bigint,text)', 'writer'),
    ('qr_break_move(bigint,text,text,text)', 'writer'),
    ('qr_catalog_fingerprint()', 'catalog'),
    ('qr_catalog_snapshot()', 'catalog'),
    ('qr_clearing_fee(text,text,text,timestamp with time zone,numeric,text)', 'catalog'),
    ('qr_catalog_load(jsonb)', 'writer'),
    ('qr_catalog_nodes()', 'cluster'),
    ('qr_catalog_check()', 'cluster'),
    ('qr_catalog_sync()', 'cluster'),
    ('qr_match_shard(regclass,regclass,jsonb,integer,text[])', 'cluster');
INSERT INTO label SELECT sig::text, 'trigger' FROM ext_proc WHERE prorettype = 'trigger'::regtype;

SELECT set_eq($$SELECT sig FROM label$$, $$SELECT sig::text FROM ext_proc$$,
              'every function of the extension has its label in the table');

SELECT is(p.provolatile::text,
          CASE l.kind WHEN 'payload' THEN 'i' WHEN 'trigger' THEN 'v' WHEN 'writer' THEN 'v' WHEN 'cluster' THEN 'v' ELSE 's' END,
          format('%s is %s (%s)', p.sig,
                 CASE l.kind WHEN 'payload' THEN 'IMMUTABLE' WHEN 'trigger' THEN 'VOLATILE' WHEN 'writer' THEN 'VOLATILE'
                             WHEN 'cluster' THEN 'VOLATILE' ELSE 'STABLE' END, l.kind))
  FROM ext_proc p JOIN label l ON l.sig = p.sig::text ORDER BY p.sig::text;

SELECT is(p.proparallel::text,
          CASE l.kind WHEN 'relation' THEN 'r' WHEN 'trigger' THEN 'u' WHEN 'writer' THEN 'u' WHEN 'cluster' THEN 'u' ELSE 's' END,
          format('%s is PARALLEL %s (%s)', p.sig,
                 CASE l.kind WHEN 'relation' THEN 'RESTRICTED' WHEN 'trigger' THEN 'UNSAFE' WHEN 'writer' THEN 'UNSAFE'
                             WHEN 'cluster' THEN 'UNSAFE' ELSE 'SAFE' END, l.kind))
  FROM ext_proc p JOIN label l ON l.sig = p.sig::text ORDER BY p.sig::text;

-- ---------------------------------------------------------------------
-- search_path and privileges (4 tests): every function in SQL or
-- PL/pgSQL runs under search_path = pg_catalog, pg_temp (it names the
-- extension's objects by schema; the catalog's fingerprint also pins the
-- time and interval styles), none is SECURITY DEFINER, and trigger
-- functions cannot be attached by PUBLIC
-- ---------------------------------------------------------------------

SELECT is_empty($$SELECT sig FROM ext_proc
                   WHERE prolang IN (SELECT oid FROM pg_language WHERE lanname IN ('sql', 'plpgsql'))
                     AND NOT coalesce(proconfig @> ARRAY['search_path=pg_catalog, pg_temp'], false)$$,
                'every SQL and PL/pgSQL function pins search_path = pg_catalog, pg_temp');
SELECT cmp_ok((SELECT count(*) FROM ext_proc
                WHERE prolang IN (SELECT oid FROM pg_language WHERE lanname IN ('sql', 'plpgsql'))), '>=', 5::bigint,
              'the SQL and PL/pgSQL functions are found');
SELECT is_empty($$SELECT sig FROM ext_proc WHERE prosecdef$$, 'no function is SECURITY DEFINER');
SELECT is_empty($$SELECT sig FROM ext_proc
                   WHERE prorettype = 'trigger'::regtype AND has_function_privilege('public', oid, 'EXECUTE')$$,
                'PUBLIC cannot execute (so cannot attach) the trigger functions');

-- ---------------------------------------------------------------------
-- STRICT (60 tests): NULL in, NULL out, the function body never sees NULL;
-- the routing functions (3 tests) are not, because a NULL region means
-- the code's own merchant city; nor are reconciliation's entry points and
-- qr_interop_share (6 tests), which raise 22004 on the NULLs they cannot take
-- (a NULL window, tolerance or settings means the settings' own); nor are
-- qr_break_summary, for the same reason, and qr_recon_settings_for (2 tests),
-- for which a NULL provider means any provider without settings of its own;
-- nor is qr_round_amount, which rounds to 4 places for a NULL currency;
-- nor are qr_statement_parse and qr_statement_info (2 tests), for which a
-- NULL format means "tell it from the header" and a NULL file gives no rows
-- ---------------------------------------------------------------------

SELECT is_strict('payment_qr_in', ARRAY['cstring'], 'payment_qr_in is STRICT');
SELECT is_strict('payment_qr_out', ARRAY['payment_qr'], 'payment_qr_out is STRICT');
SELECT is_strict('payment_qr_recv', ARRAY['internal'], 'payment_qr_recv is STRICT');
SELECT is_strict('payment_qr_send', ARRAY['payment_qr'], 'payment_qr_send is STRICT');
SELECT is_strict('qr_check', ARRAY['text'], 'qr_check is STRICT');
SELECT is_strict('qr_is_valid', ARRAY['text'], 'qr_is_valid is STRICT');
SELECT is_strict('qr_conformance', ARRAY['text'], 'qr_conformance is STRICT');
SELECT is_strict('qr_format', ARRAY['payment_qr'], 'qr_format is STRICT');
SELECT is_strict('qr_get', ARRAY['payment_qr', 'text'], 'qr_get is STRICT');
SELECT is_strict('qr_merchant_name', ARRAY['payment_qr'], 'qr_merchant_name is STRICT');
SELECT is_strict('qr_merchant_city', ARRAY['payment_qr'], 'qr_merchant_city is STRICT');
SELECT is_strict('qr_mcc', ARRAY['payment_qr'], 'qr_mcc is STRICT');
SELECT is_strict('qr_country', ARRAY['payment_qr'], 'qr_country is STRICT');
SELECT is_strict('qr_currency', ARRAY['payment_qr'], 'qr_currency is STRICT');
SELECT is_strict('qr_amount', ARRAY['payment_qr'], 'qr_amount is STRICT');
SELECT is_strict('qr_is_dynamic', ARRAY['payment_qr'], 'qr_is_dynamic is STRICT');
SELECT is_strict('qr_reference', ARRAY['payment_qr'], 'qr_reference is STRICT');
SELECT is_strict('qr_tags', ARRAY['payment_qr'], 'qr_tags is STRICT');
SELECT is_strict('qr_to_jsonb', ARRAY['payment_qr'], 'qr_to_jsonb is STRICT');
SELECT is_strict('qr_account', ARRAY['payment_qr'], 'qr_account is STRICT');
SELECT is_strict('qr_identifiers', ARRAY['payment_qr'], 'qr_identifiers is STRICT');
SELECT is_strict('qr_networks', ARRAY['payment_qr'], 'qr_networks is STRICT');
SELECT is_strict('qr_provider', ARRAY['payment_qr'], 'qr_provider is STRICT');
SELECT is_strict('qr_contains', ARRAY['payment_qr', 'jsonb'], 'qr_contains is STRICT');
SELECT is_strict('qr_exists', ARRAY['payment_qr', 'text'], 'qr_exists is STRICT');
SELECT is_strict('qr_exists_any', ARRAY['payment_qr', 'text[]'], 'qr_exists_any is STRICT');
SELECT is_strict('qr_exists_all', ARRAY['payment_qr', 'text[]'], 'qr_exists_all is STRICT');
SELECT is_strict('payment_qr_gin_extract_value', ARRAY['payment_qr', 'internal', 'internal'], 'payment_qr_gin_extract_value is STRICT');
SELECT is_strict('payment_qr_gin_extract_query', ARRAY['payment_qr', 'internal', 'smallint', 'internal', 'internal', 'internal', 'internal'], 'payment_qr_gin_extract_query is STRICT');
SELECT is_strict('payment_qr_gin_consistent', ARRAY['internal', 'smallint', 'payment_qr', 'integer', 'internal', 'internal', 'internal', 'internal'], 'payment_qr_gin_consistent is STRICT');
SELECT is_strict('payment_qr_gin_triconsistent', ARRAY['internal', 'smallint', 'payment_qr', 'integer', 'internal', 'internal', 'internal'], 'payment_qr_gin_triconsistent is STRICT');
SELECT is_strict('payment_qr_gin_split_extract_value', ARRAY['payment_qr', 'internal', 'internal'], 'payment_qr_gin_split_extract_value is STRICT');
SELECT is_strict('payment_qr_gin_split_extract_query', ARRAY['payment_qr', 'internal', 'smallint', 'internal', 'internal', 'internal', 'internal'], 'payment_qr_gin_split_extract_query is STRICT');
SELECT is_strict('qr_emv', ARRAY['jsonb'], 'qr_emv is STRICT');
SELECT is_strict('qr_with_amount', ARRAY['payment_qr', 'numeric'], 'qr_with_amount is STRICT');
SELECT is_strict('qr_with_reference', ARRAY['payment_qr', 'text'], 'qr_with_reference is STRICT');
SELECT is_strict('qr_emv_merge', ARRAY['payment_qr[]'], 'qr_emv_merge is STRICT');
SELECT is_strict('qr_svg', ARRAY['payment_qr', 'integer', 'integer', 'text'], 'qr_svg is STRICT');
SELECT is_strict('qr_png', ARRAY['payment_qr', 'integer', 'integer', 'text'], 'qr_png is STRICT');
SELECT is_strict('qr_text', ARRAY['payment_qr'], 'qr_text is STRICT');
SELECT isnt_strict('qr_route', ARRAY['payment_qr', 'text', 'timestamp with time zone', 'text', 'text'], 'qr_route is not STRICT');
SELECT isnt_strict('qr_accepts', ARRAY['payment_qr', 'text', 'timestamp with time zone', 'text', 'text'], 'qr_accepts is not STRICT');
SELECT isnt_strict('qr_routes', ARRAY['payment_qr', 'timestamp with time zone', 'text', 'text'], 'qr_routes is not STRICT');
SELECT isnt_strict('qr_break_summary', ARRAY['regclass', 'regclass', 'interval', 'numeric', 'text'], 'qr_break_summary is not STRICT (a NULL window or tolerance is the settings'')');
SELECT is_strict('qr_clearing', ARRAY['regclass', 'text'], 'qr_clearing is STRICT');
SELECT is_strict('qr_settlement', ARRAY['regclass', 'text'], 'qr_settlement is STRICT');
SELECT isnt_strict('qr_reconcile', ARRAY['regclass', 'regclass', 'interval', 'numeric'], 'qr_reconcile is not STRICT');
SELECT isnt_strict('qr_reconcile_detail', ARRAY['regclass', 'regclass', 'interval', 'numeric'], 'qr_reconcile_detail is not STRICT');
SELECT isnt_strict('qr_match', ARRAY['regclass', 'regclass', 'jsonb'], 'qr_match is not STRICT (NULL settings are the settings'' own)');
SELECT isnt_strict('qr_recon_settings_for', ARRAY['text', 'jsonb'], 'qr_recon_settings_for is not STRICT (a NULL provider has a meaning)');
SELECT is_strict('qr_minor_unit', ARRAY['text'], 'qr_minor_unit is STRICT');
SELECT isnt_strict('qr_round_amount', ARRAY['numeric', 'text'], 'qr_round_amount is not STRICT (a NULL currency rounds to 4 places)');
SELECT isnt_strict('qr_pair_by_time', ARRAY['text[]', 'text[]', 'timestamp with time zone[]', 'interval'], 'qr_pair_by_time is not STRICT');
SELECT isnt_strict('qr_interop_share', ARRAY['regclass', 'timestamp with time zone', 'text', 'text'], 'qr_interop_share is not STRICT');
SELECT isnt_strict('qr_statement_parse', ARRAY['bytea', 'text', 'jsonb'], 'qr_statement_parse is not STRICT (a NULL format or mapping has a meaning)');
SELECT isnt_strict('qr_statement_info', ARRAY['bytea', 'text', 'jsonb'], 'qr_statement_info is not STRICT (a NULL format or mapping has a meaning)');
SELECT is_strict('payment_qr_cmp', ARRAY['payment_qr', 'payment_qr'], 'payment_qr_cmp is STRICT');
SELECT is_strict('payment_qr_eq', ARRAY['payment_qr', 'payment_qr'], 'payment_qr_eq is STRICT');
SELECT is_strict('payment_qr_ne', ARRAY['payment_qr', 'payment_qr'], 'payment_qr_ne is STRICT');
SELECT is_strict('payment_qr_lt', ARRAY['payment_qr', 'payment_qr'], 'payment_qr_lt is STRICT');
SELECT is_strict('payment_qr_le', ARRAY['payment_qr', 'payment_qr'], 'payment_qr_le is STRICT');
SELECT is_strict('payment_qr_gt', ARRAY['payment_qr', 'payment_qr'], 'payment_qr_gt is STRICT');
SELECT is_strict('payment_qr_ge', ARRAY['payment_qr', 'payment_qr'], 'payment_qr_ge is STRICT');
SELECT is_strict('payment_qr_sortsupport', ARRAY['internal'], 'payment_qr_sortsupport is STRICT');
SELECT is_strict('payment_qr_equalimage', ARRAY['oid'], 'payment_qr_equalimage is STRICT');
SELECT is_strict('payment_qr_hash', ARRAY['payment_qr'], 'payment_qr_hash is STRICT');
SELECT is_strict('payment_qr_hash_extended', ARRAY['payment_qr', 'bigint'], 'payment_qr_hash_extended is STRICT');

-- ---------------------------------------------------------------------
-- LEAKPROOF comparison and hash functions (1 test): usable in quals
-- pushed below security barriers / RLS
-- ---------------------------------------------------------------------

SELECT results_eq(
    $$SELECT proname::text COLLATE "default" FROM ext_proc WHERE proleakproof ORDER BY 1$$,
    $$VALUES ('payment_qr_cmp'), ('payment_qr_eq'), ('payment_qr_ge'), ('payment_qr_gt'),
             ('payment_qr_hash'), ('payment_qr_hash_extended'), ('payment_qr_le'),
             ('payment_qr_lt'), ('payment_qr_ne')$$,
    'exactly the comparison and hash functions are LEAKPROOF');

-- ---------------------------------------------------------------------
-- COMMENT on every function, the types, tables, operators, opclasses and
-- the cast (101 + 3 + 22 + 10 + 4 + 1 = 141 tests), and on every column of
-- the catalog tables (1 test).  Operator families are created implicitly
-- by CREATE OPERATOR CLASS and are not part of the contract.
-- ---------------------------------------------------------------------

SELECT isnt(obj_description(objid, catalog::text), NULL, format('%s has a COMMENT', what))
  FROM ext_member
 WHERE catalog IN ('pg_proc'::regclass, 'pg_type'::regclass, 'pg_operator'::regclass,
                   'pg_opclass'::regclass, 'pg_cast'::regclass, 'pg_class'::regclass)
 ORDER BY catalog::text, what;

SELECT is_empty(
    $$SELECT a.attrelid::regclass, a.attname FROM pg_attribute a
       JOIN ext_member m ON m.catalog = 'pg_class'::regclass AND m.objid = a.attrelid
      WHERE a.attnum > 0 AND NOT a.attisdropped AND col_description(a.attrelid, a.attnum) IS NULL
        AND (SELECT c.relkind FROM pg_class c WHERE c.oid = a.attrelid) = 'r'$$,
    'every column of the extension''s tables has a COMMENT');

-- ---------------------------------------------------------------------
-- The catalog tables (4 tests): user rows are dumped, shipped rows are
-- not, every table carries the guard and invalidation triggers
-- ---------------------------------------------------------------------

SELECT results_eq(
    $$SELECT c.relname::text COLLATE "default", e.cond COLLATE "default"
        FROM pg_extension x, unnest(x.extconfig, x.extcondition) AS e(oid, cond)
        JOIN pg_class c ON c.oid = e.oid
       WHERE x.extname = 'qrpay' ORDER BY 1$$,
    $$VALUES ('qr_cities', 'WHERE NOT shipped'), ('qr_fee_rates', ''), ('qr_fx_rates', ''),
             ('qr_interop_rules', 'WHERE NOT shipped'), ('qr_provider_patterns', 'WHERE NOT shipped'),
             ('qr_providers', 'WHERE NOT shipped'), ('qr_recon_breaks', ''), ('qr_recon_breaks_id_seq', ''),
             ('qr_recon_fee_rates', ''), ('qr_recon_results', ''), ('qr_recon_runs', ''), ('qr_recon_runs_id_seq', ''),
             ('qr_recon_settings', ''), ('qr_statement_batches', ''), ('qr_statement_batches_id_seq', ''),
             ('qr_statement_formats', ''), ('qr_statement_lines', '')$$,
    'pg_extension_config_dump keeps user rows of every catalog table, the reconciliation settings and rates, and all of the back office''s');

SELECT results_eq(
    $$SELECT tgrelid::regclass::text COLLATE "default", tgname::text COLLATE "default", tgfoid::regproc::text
        FROM pg_trigger WHERE NOT tgisinternal AND tgrelid IN ('qr_providers'::regclass, 'qr_provider_patterns'::regclass,
                                                               'qr_cities'::regclass, 'qr_interop_rules'::regclass,
                                                               'qr_fee_rates'::regclass)
       ORDER BY 1, 2$$,
    $$VALUES ('qr_cities', 'qr_cities_audit', 'qr_catalog_audit'),
             ('qr_cities', 'qr_cities_guard', 'qr_catalog_guard'),
             ('qr_cities', 'qr_cities_guard_truncate', 'qr_catalog_guard'),
             ('qr_cities', 'qr_cities_invalidate', 'qr_catalog_invalidate'),
             ('qr_cities', 'qr_cities_references', 'qr_city_references_check'),
             ('qr_fee_rates', 'qr_fee_rates_audit', 'qr_catalog_audit'),
             ('qr_fee_rates', 'qr_fee_rates_audit_truncate', 'qr_catalog_audit'),
             ('qr_interop_rules', 'qr_interop_rules_audit', 'qr_catalog_audit'),
             ('qr_interop_rules', 'qr_interop_rules_cities', 'qr_rule_cities_check'),
             ('qr_interop_rules', 'qr_interop_rules_guard', 'qr_catalog_guard'),
             ('qr_interop_rules', 'qr_interop_rules_guard_truncate', 'qr_catalog_guard'),
             ('qr_interop_rules', 'qr_interop_rules_invalidate', 'qr_catalog_invalidate'),
             ('qr_provider_patterns', 'qr_provider_patterns_audit', 'qr_catalog_audit'),
             ('qr_provider_patterns', 'qr_provider_patterns_guard', 'qr_catalog_guard'),
             ('qr_provider_patterns', 'qr_provider_patterns_guard_truncate', 'qr_catalog_guard'),
             ('qr_provider_patterns', 'qr_provider_patterns_invalidate', 'qr_catalog_invalidate'),
             ('qr_providers', 'qr_providers_audit', 'qr_catalog_audit'),
             ('qr_providers', 'qr_providers_guard', 'qr_catalog_guard'),
             ('qr_providers', 'qr_providers_guard_truncate', 'qr_catalog_guard'),
             ('qr_providers', 'qr_providers_invalidate', 'qr_catalog_invalidate')$$,
    'guard, invalidation and audit triggers on every catalog table, audit on the fee rates, city reference checks on cities and rules');

SELECT ok((SELECT bool_and(tgtype & 1 = 0) FROM pg_trigger WHERE tgname LIKE '%invalidate'),
          'invalidation triggers fire once per statement, not per row');

SELECT is_empty(
    $$SELECT d.code FROM (VALUES ('alipay'), ('wechatpay'), ('unionpay'), ('ecny'), ('cmpay'), ('bestpay'),
                                 ('wopay'), ('ccb'), ('boc'), ('bocom'), ('pingan'), ('citic'),
                                 ('netsunion'), ('jdpay')) d(code)
       WHERE NOT EXISTS (SELECT FROM qr_providers p WHERE p.code = d.code AND p.shipped)$$,
    'every provider of the interoperability facts is shipped, payer-only apps included');

-- ---------------------------------------------------------------------
-- Cast, opclasses, support functions, operators (17 tests)
-- ---------------------------------------------------------------------

SELECT has_cast('payment_qr', 'jsonb', 'qr_to_jsonb', 'cast payment_qr -> jsonb uses qr_to_jsonb');

SELECT has_opclass('payment_qr_ops', 'operator class payment_qr_ops exists');
SELECT has_opclass('payment_qr_gin_split_ops', 'operator class payment_qr_gin_split_ops exists');

SELECT ok(EXISTS (SELECT 1 FROM pg_opclass c JOIN pg_am a ON a.oid = c.opcmethod
                   WHERE c.opcname = 'payment_qr_ops' AND a.amname = 'btree'
                     AND c.opcintype = 'payment_qr'::regtype AND c.opcdefault),
          'btree opclass payment_qr_ops is the default for payment_qr');

SELECT ok(EXISTS (SELECT 1 FROM pg_opclass c JOIN pg_am a ON a.oid = c.opcmethod
                   WHERE c.opcname = 'payment_qr_ops' AND a.amname = 'hash'
                     AND c.opcintype = 'payment_qr'::regtype AND c.opcdefault),
          'hash opclass payment_qr_ops is the default for payment_qr');

SELECT results_eq(
    $$SELECT p.amprocnum::int, p.amproc::regprocedure::text
        FROM pg_amproc p
        JOIN pg_opclass c ON c.opcfamily = p.amprocfamily
        JOIN pg_am a ON a.oid = c.opcmethod
       WHERE c.opcname = 'payment_qr_ops' AND a.amname = 'btree'
       ORDER BY 1$$,
    $$VALUES (1, 'payment_qr_cmp(payment_qr,payment_qr)'),
             (2, 'payment_qr_sortsupport(internal)'),
             (4, 'payment_qr_equalimage(oid)')$$,
    'btree opclass support functions: 1 cmp, 2 sortsupport, 4 equalimage');

SELECT results_eq(
    $$SELECT p.amprocnum::int, p.amproc::regprocedure::text
        FROM pg_amproc p
        JOIN pg_opclass c ON c.opcfamily = p.amprocfamily
        JOIN pg_am a ON a.oid = c.opcmethod
       WHERE c.opcname = 'payment_qr_ops' AND a.amname = 'hash'
       ORDER BY 1$$,
    $$VALUES (1, 'payment_qr_hash(payment_qr)'),
             (2, 'payment_qr_hash_extended(payment_qr,bigint)')$$,
    'hash opclass support functions: 1 hash, 2 hash_extended');

SELECT results_eq(
    $$SELECT o.amopstrategy::int, o.amopopr::regoperator::text
        FROM pg_amop o
        JOIN pg_opclass c ON c.opcfamily = o.amopfamily
        JOIN pg_am a ON a.oid = c.opcmethod
       WHERE c.opcname = 'payment_qr_ops' AND a.amname = 'btree'
       ORDER BY 1$$,
    $$VALUES (1, '<(payment_qr,payment_qr)'), (2, '<=(payment_qr,payment_qr)'),
             (3, '=(payment_qr,payment_qr)'), (4, '>=(payment_qr,payment_qr)'),
             (5, '>(payment_qr,payment_qr)')$$,
    'btree opclass strategies 1-5: < <= = >= >');

SELECT results_eq(
    $$SELECT o.amopstrategy::int, o.amopopr::regoperator::text
        FROM pg_amop o
        JOIN pg_opclass c ON c.opcfamily = o.amopfamily
        JOIN pg_am a ON a.oid = c.opcmethod
       WHERE c.opcname = 'payment_qr_ops' AND a.amname = 'hash'
       ORDER BY 1$$,
    $$VALUES (1, '=(payment_qr,payment_qr)')$$,
    'hash opclass strategy 1: =');

SELECT ok((SELECT oprcanhash FROM pg_operator
            WHERE oprname = '=' AND oprleft = 'payment_qr'::regtype AND oprright = 'payment_qr'::regtype),
          'operator = (payment_qr, payment_qr) is HASHES (oprcanhash)');

SELECT ok((SELECT oprcanmerge FROM pg_operator
            WHERE oprname = '=' AND oprleft = 'payment_qr'::regtype AND oprright = 'payment_qr'::regtype),
          'operator = (payment_qr, payment_qr) is MERGES (oprcanmerge)');

SELECT results_eq(
    $$SELECT o.oprname::text COLLATE "default", nullif(o.oprcom, 0)::regoperator::text,
             nullif(o.oprnegate, 0)::regoperator::text, o.oprcode::regproc::text, o.oprresult::regtype::text
        FROM pg_operator o JOIN ext_member m ON m.catalog = 'pg_operator'::regclass AND m.objid = o.oid
       ORDER BY 1$$,
    $$VALUES ('<',  '>(payment_qr,payment_qr)',  '>=(payment_qr,payment_qr)', 'payment_qr_lt', 'boolean'),
             ('<=', '>=(payment_qr,payment_qr)', '>(payment_qr,payment_qr)',  'payment_qr_le', 'boolean'),
             ('<>', '<>(payment_qr,payment_qr)', '=(payment_qr,payment_qr)',  'payment_qr_ne', 'boolean'),
             ('=',  '=(payment_qr,payment_qr)',  '<>(payment_qr,payment_qr)', 'payment_qr_eq', 'boolean'),
             ('>',  '<(payment_qr,payment_qr)',  '<=(payment_qr,payment_qr)', 'payment_qr_gt', 'boolean'),
             ('>=', '<=(payment_qr,payment_qr)', '<(payment_qr,payment_qr)',  'payment_qr_ge', 'boolean'),
             ('?',  NULL, NULL, 'qr_exists', 'boolean'),
             ('?&', NULL, NULL, 'qr_exists_all', 'boolean'),
             ('?|', NULL, NULL, 'qr_exists_any', 'boolean'),
             ('@>', NULL, NULL, 'qr_contains', 'boolean')$$,
    'operators: commutators, negators and implementation functions');

SELECT results_eq(
    $$SELECT o.oprname::text COLLATE "default", o.oprrest::regproc::text, o.oprjoin::regproc::text
        FROM pg_operator o JOIN ext_member m ON m.catalog = 'pg_operator'::regclass AND m.objid = o.oid
       WHERE o.oprname IN ('@>', '?', '?|', '?&') ORDER BY 1$$,
    $$VALUES ('?', 'matchingsel', 'matchingjoinsel'), ('?&', 'matchingsel', 'matchingjoinsel'),
             ('?|', 'matchingsel', 'matchingjoinsel'), ('@>', 'matchingsel', 'matchingjoinsel')$$,
    'containment and existence operators estimate with matchingsel / matchingjoinsel');

SELECT results_eq(
    $$SELECT p.amprocnum::int, p.amproc::regprocedure::text
        FROM pg_amproc p
        JOIN pg_opclass c ON c.opcfamily = p.amprocfamily
       WHERE c.opcname = 'payment_qr_gin_ops'
       ORDER BY 1$$,
    $$VALUES (1, 'btint4cmp(integer,integer)'),
             (2, 'payment_qr_gin_extract_value(payment_qr,internal,internal)'),
             (3, 'payment_qr_gin_extract_query(payment_qr,internal,smallint,internal,internal,internal,internal)'),
             (4, 'payment_qr_gin_consistent(internal,smallint,payment_qr,integer,internal,internal,internal,internal)'),
             (6, 'payment_qr_gin_triconsistent(internal,smallint,payment_qr,integer,internal,internal,internal)'),
             (7, 'payment_qr_gin_options(internal)')$$,
    'GIN opclass support functions 1-4, 6 (triConsistent) and 7 (options)');

SELECT results_eq(
    $$SELECT o.amopstrategy::int, o.amopopr::regoperator::text, c.opcdefault
        FROM pg_amop o
        JOIN pg_opclass c ON c.opcfamily = o.amopfamily
       WHERE c.opcname = 'payment_qr_gin_ops'
       ORDER BY 1$$,
    $$VALUES (7, '@>(payment_qr,jsonb)', false), (9, '?(payment_qr,text)', false),
             (10, '?|(payment_qr,text[])', false), (11, '?&(payment_qr,text[])', false)$$,
    'GIN opclass payment_qr_gin_ops (the default before 0.11.0, kept for its indexes), strategies as jsonb_ops: 7 @>, 9 ?, 10 ?|, 11 ?&');

SELECT results_eq(
    $$SELECT p.amprocnum::int, p.amproc::regprocedure::text
        FROM pg_amproc p
        JOIN pg_opclass c ON c.opcfamily = p.amprocfamily
       WHERE c.opcname = 'payment_qr_gin_split_ops'
       ORDER BY 1$$,
    $$VALUES (1, 'btint4cmp(integer,integer)'),
             (2, 'payment_qr_gin_split_extract_value(payment_qr,internal,internal)'),
             (3, 'payment_qr_gin_split_extract_query(payment_qr,internal,smallint,internal,internal,internal,internal)'),
             (4, 'payment_qr_gin_consistent(internal,smallint,payment_qr,integer,internal,internal,internal,internal)'),
             (6, 'payment_qr_gin_triconsistent(internal,smallint,payment_qr,integer,internal,internal,internal)'),
             (7, 'payment_qr_gin_split_options(internal)')$$,
    'GIN opclass payment_qr_gin_split_ops: its own extractValue, extractQuery and options, the shared consistent functions');

SELECT results_eq(
    $$SELECT o.amopstrategy::int, o.amopopr::regoperator::text, c.opcdefault
        FROM pg_amop o
        JOIN pg_opclass c ON c.opcfamily = o.amopfamily
       WHERE c.opcname = 'payment_qr_gin_split_ops'
       ORDER BY 1$$,
    $$VALUES (7, '@>(payment_qr,jsonb)', true), (9, '?(payment_qr,text)', true),
             (10, '?|(payment_qr,text[])', true), (11, '?&(payment_qr,text[])', true)$$,
    'GIN opclass payment_qr_gin_split_ops is the default, strategies as jsonb_ops: 7 @>, 9 ?, 10 ?|, 11 ?&');

SELECT ok(amvalidate(c.oid), format('amvalidate(%s) is true', pg_describe_object('pg_opclass'::regclass, c.oid, 0)))
  FROM pg_opclass c JOIN ext_member m ON m.catalog = 'pg_opclass'::regclass AND m.objid = c.oid
 ORDER BY m.what;

-- ---------------------------------------------------------------------
-- Hash support functions over the real vectors and long codes (9 tests)
-- ---------------------------------------------------------------------

CREATE TEMP TABLE vec (id text, format text, networks text, valid text,
                       payload text, expected_fields text, source text);
\copy vec from 'test/data/vectors.tsv' with (format text, header true)
DELETE FROM vec WHERE NOT (format LIKE 'emvco_mpm%' AND valid = '1');

-- Stored in a table (short 1-byte varlena headers where they fit), unlike the fresh
-- 4-byte-header values payload::payment_qr builds.
CREATE TEMP TABLE hv AS SELECT id, payload, payload::payment_qr AS code FROM vec;

SELECT cmp_ok((SELECT count(*) FROM hv), '>=', 40::bigint,
              'at least 40 valid EMVCo vectors to hash');

SELECT is_empty(
    $$SELECT id FROM hv
       WHERE (payment_qr_hash(code)::bigint & 4294967295)
             <> (payment_qr_hash_extended(code, 0) & 4294967295)$$,
    'hash support 1 = low 32 bits of hash support 2 with seed 0, for every valid vector');

SELECT is_empty(
    $$SELECT id FROM hv
       WHERE payment_qr_hash_extended(code, 1) = payment_qr_hash_extended(code, 0)
          OR payment_qr_hash_extended(code, -1) = payment_qr_hash_extended(code, 0)
          OR payment_qr_hash_extended(code, 1) = payment_qr_hash_extended(code, 2)$$,
    'hash support 2 changes with a non-zero seed, for every valid vector');

SELECT is((SELECT count(DISTINCT payment_qr_hash(code)) FROM hv), (SELECT count(*) FROM hv),
          'the distinct valid vectors get distinct 32-bit hashes');

SELECT is_empty(
    $$SELECT id FROM hv
       WHERE payment_qr_hash(code) <> payment_qr_hash(payload::payment_qr)
          OR payment_qr_hash_extended(code, 0) <> payment_qr_hash_extended(payload::payment_qr, 0)
          OR payment_qr_hash_extended(code, 12345) <> payment_qr_hash_extended(payload::payment_qr, 12345)
          OR NOT code = payload::payment_qr$$,
    'equal values hash equal: each vector stored in a table and freshly built from text');

-- The hashes are hash_any over the payload bytes only (not the version
-- byte): exactly what text's deterministic hash computes over the same
-- UTF-8 bytes (the test cluster is a UTF8 database).  Hash partitions
-- depend on these values never changing.
SELECT is_empty(
    $$SELECT id FROM hv
       WHERE payment_qr_hash(code) <> hashtext(payload COLLATE "C")
          OR payment_qr_hash_extended(code, 0) <> hashtextextended(payload COLLATE "C", 0)
          OR payment_qr_hash_extended(code, 42) <> hashtextextended(payload COLLATE "C", 42)$$,
    'payment_qr hashes equal hashtext/hashtextextended of the payload (payload bytes only, stable)');

-- Long (> 2 kB) codes reach the hash and compare functions as TOAST
-- pointers: compressed inline (STORAGE extended, the type's default) and
-- out-of-line uncompressed (STORAGE external).  The payload is built here
\i test/pgtap/lib/helpers.sql

CREATE FUNCTION pg_temp.tlv(id text, val text) RETURNS text LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT id || lpad(char_length(val)::text, 2, '0') || val
$$;

CREATE FUNCTION pg_temp.toast_chunks(rel regclass) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
BEGIN
    EXECUTE format('SELECT count(*) FROM %s',
                   (SELECT reltoastrelid::regclass FROM pg_class WHERE oid = rel)) INTO n;
    RETURN n;
END $$;

SELECT '000201010211'
       || pg_temp.tlv('26', '0014br.gov.bcb.pix' || '0111' || '12345678901')
       || '52040000' || '5303986' || '5802BR'
       || pg_temp.tlv('59', 'FULANO DE TAL') || pg_temp.tlv('60', 'BRASILIA')
       || (SELECT string_agg(pg_temp.tlv(t::text, '0010A000000000' || pg_temp.tlv('01', repeat('X', 81))),
                             '' ORDER BY t)
             FROM generate_series(80, 99) AS t)
       || '6304' AS long_body \gset
SELECT :'long_body' || pg_temp.crc16(:'long_body') AS long_code \gset

CREATE TEMP TABLE hlong_c (code payment_qr);
CREATE TEMP TABLE hlong_e (code payment_qr);
ALTER TABLE hlong_e ALTER COLUMN code SET STORAGE EXTERNAL;
INSERT INTO hlong_c VALUES (:'long_code');
INSERT INTO hlong_e VALUES (:'long_code');

SELECT ok((SELECT pg_column_compression(code) IS NOT NULL FROM hlong_c)
          AND pg_temp.toast_chunks('hlong_e') > 0
          AND (SELECT pg_column_compression(code) IS NULL FROM hlong_e),
          'a 2,167-character code is stored compressed inline (extended) and out of line uncompressed (external)');

SELECT ok(payment_qr_hash(c.code) = payment_qr_hash(:'long_code'::payment_qr)
          AND payment_qr_hash(e.code) = payment_qr_hash(:'long_code'::payment_qr)
          AND payment_qr_hash_extended(c.code, 7) = payment_qr_hash_extended(:'long_code'::payment_qr, 7)
          AND payment_qr_hash_extended(e.code, 7) = payment_qr_hash_extended(:'long_code'::payment_qr, 7)
          AND payment_qr_hash(c.code) = hashtext(:'long_code' COLLATE "C"),
          'equal values hash equal whether compressed, external or plain')
  FROM hlong_c c, hlong_e e;

SELECT ok(c.code = e.code AND payment_qr_cmp(c.code, e.code) = 0
          AND c.code = :'long_code'::payment_qr AND e.code::text = :'long_code'
          AND NOT c.code <> e.code,
          'compressed, external and plain copies of a long code are equal')
  FROM hlong_c c, hlong_e e;

SELECT * FROM finish();
ROLLBACK;

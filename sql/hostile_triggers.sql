--
-- The catalog's trigger functions where they do not belong: attached by an
-- ordinary role to temporary tables named like the catalog tables, at
-- every timing, level and event, with missing, NULL and wrongly typed
-- columns; attached by the superuser to the real tables at the wrong time
-- or to the wrong table.  Every case is a clean error.  Then the catalog
-- read by a role that may not read it, under a hostile search_path.
--
\set VERBOSITY default

CREATE ROLE qrpay_hostile LOGIN;
SET ROLE qrpay_hostile;

-- the example of issue 12, which crashed the server: PUBLIC may not even
-- attach the trigger functions
CREATE TEMP TABLE qr_cities (x int);
CREATE TRIGGER g BEFORE INSERT ON pg_temp.qr_cities FOR EACH ROW EXECUTE FUNCTION qr_catalog_guard();
SELECT qr_catalog_guard();
-- a role that was granted them anyway gets a clean error from each: the
-- rest of this file runs with that grant
RESET ROLE;
GRANT EXECUTE ON FUNCTION qr_catalog_guard(), qr_catalog_invalidate(), qr_rule_cities_check(),
      qr_city_references_check(), qr_catalog_audit() TO qrpay_hostile;
SET ROLE qrpay_hostile;
CREATE TRIGGER g BEFORE INSERT ON pg_temp.qr_cities FOR EACH ROW EXECUTE FUNCTION qr_catalog_guard();
INSERT INTO pg_temp.qr_cities VALUES (1);
DROP TABLE pg_temp.qr_cities;

-- look-alikes: the columns missing (qr_cities), present and NULL
-- (qr_providers), of other types (qr_provider_patterns, qr_interop_rules),
-- and a table no trigger function serves (qr_fee_rates)
CREATE TEMP TABLE qr_cities (k int);
CREATE TEMP TABLE qr_providers (k int, code text, shipped boolean);
CREATE TEMP TABLE qr_provider_patterns (k int, provider int, pattern int, shipped text);
CREATE TEMP TABLE qr_interop_rules (k int, id int, cities int, shipped int[]);
CREATE TEMP TABLE qr_fee_rates (k int, payer text);
INSERT INTO pg_temp.qr_cities VALUES (1);
INSERT INTO pg_temp.qr_providers VALUES (1, NULL, NULL);
INSERT INTO pg_temp.qr_provider_patterns VALUES (1, 2, 3, 'true');
INSERT INTO pg_temp.qr_interop_rules VALUES (1, 2, 3, '{4}');
INSERT INTO pg_temp.qr_fee_rates VALUES (1, NULL);

-- one trigger, one statement that fires it: the error it ends with
CREATE FUNCTION pg_temp.attack(tbl text, fn text, timing text, level text, event text)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    state text;
    msg text;
BEGIN
    EXECUTE format('CREATE TRIGGER hostile %s %s ON pg_temp.%I FOR EACH %s EXECUTE FUNCTION %s()',
                   timing, event, tbl, level, fn);
    BEGIN
        EXECUTE CASE event
            WHEN 'INSERT' THEN format('INSERT INTO pg_temp.%I (k) VALUES (2)', tbl)
            WHEN 'UPDATE' THEN format('UPDATE pg_temp.%I SET k = k', tbl)
            WHEN 'DELETE' THEN format('DELETE FROM pg_temp.%I', tbl)
            ELSE format('TRUNCATE pg_temp.%I', tbl) END;
        state := 'no error';
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
        state := state || ': ' || regexp_replace(msg, 'trigger "hostile" on pg_temp\.\w+ ', '');
    END;
    EXECUTE format('DROP TRIGGER hostile ON pg_temp.%I', tbl);
    RETURN state;
END
$$;

-- every trigger function on every look-alike: BEFORE and AFTER, row and
-- statement level, each event (row-level TRUNCATE triggers do not exist)
SELECT fn, tbl, count(*) AS cases, string_agg(DISTINCT outcome, E'\n') AS outcomes
FROM (SELECT f.fn, t.tbl,
             pg_temp.attack(t.tbl, f.fn, w.timing, l.level, e.event) AS outcome
      FROM (VALUES ('qr_catalog_guard'), ('qr_catalog_invalidate'),
                   ('qr_rule_cities_check'), ('qr_city_references_check'), ('qr_catalog_audit')) f(fn),
           (VALUES ('qr_cities'), ('qr_providers'), ('qr_provider_patterns'),
                   ('qr_interop_rules'), ('qr_fee_rates')) t(tbl),
           (VALUES ('BEFORE'), ('AFTER')) w(timing),
           (VALUES ('ROW'), ('STATEMENT')) l(level),
           (VALUES ('INSERT'), ('UPDATE'), ('DELETE'), ('TRUNCATE')) e(event)
      WHERE NOT (l.level = 'ROW' AND e.event = 'TRUNCATE')) s
GROUP BY fn, tbl ORDER BY fn, tbl;

-- the look-alikes are untouched, and a trigger function is no function
SELECT (SELECT count(*) FROM pg_temp.qr_cities) AS cities, (SELECT count(*) FROM pg_temp.qr_providers) AS providers,
       (SELECT count(*) FROM pg_temp.qr_interop_rules) AS rules;
SELECT qr_catalog_guard();
DROP FUNCTION pg_temp.attack;
DROP TABLE pg_temp.qr_cities, pg_temp.qr_providers, pg_temp.qr_provider_patterns,
           pg_temp.qr_interop_rules, pg_temp.qr_fee_rates;
RESET ROLE;

-- the real tables, with a trigger the superuser attached at the wrong
-- time or to the wrong table; the statement fails and changes nothing
CREATE TRIGGER hostile AFTER INSERT ON qr_cities FOR EACH ROW EXECUTE FUNCTION qr_catalog_guard();
INSERT INTO qr_cities (name) VALUES ('Hostileville');
DROP TRIGGER hostile ON qr_cities;
CREATE TRIGGER hostile BEFORE UPDATE ON qr_providers FOR EACH STATEMENT EXECUTE FUNCTION qr_catalog_guard();
UPDATE qr_providers SET name = name WHERE code = 'alipay';
DROP TRIGGER hostile ON qr_providers;
CREATE TRIGGER hostile AFTER UPDATE ON qr_interop_rules FOR EACH STATEMENT EXECUTE FUNCTION qr_catalog_guard();
UPDATE qr_interop_rules SET priority = priority WHERE NOT shipped;
DROP TRIGGER hostile ON qr_interop_rules;
CREATE TRIGGER hostile BEFORE DELETE ON qr_provider_patterns FOR EACH ROW EXECUTE FUNCTION qr_catalog_invalidate();
DELETE FROM qr_provider_patterns WHERE provider = 'alipay';
DROP TRIGGER hostile ON qr_provider_patterns;
CREATE TRIGGER hostile BEFORE INSERT ON qr_interop_rules FOR EACH ROW EXECUTE FUNCTION qr_rule_cities_check();
INSERT INTO qr_interop_rules (id, payer, payee, source) VALUES ('hostile', 'alipay', 'unionpay', 'test');
DROP TRIGGER hostile ON qr_interop_rules;
CREATE TRIGGER hostile AFTER INSERT ON qr_cities FOR EACH ROW EXECUTE FUNCTION qr_rule_cities_check();
INSERT INTO qr_cities (name) VALUES ('Hostileville');
DROP TRIGGER hostile ON qr_cities;
CREATE TRIGGER hostile AFTER DELETE ON qr_cities FOR EACH STATEMENT EXECUTE FUNCTION qr_city_references_check();
DELETE FROM qr_cities WHERE NOT shipped;
DROP TRIGGER hostile ON qr_cities;
INSERT INTO qr_interop_rules (id, payer, payee, source) VALUES ('hostile', 'alipay', 'unionpay', 'test');
CREATE TRIGGER hostile AFTER DELETE ON qr_interop_rules FOR EACH ROW EXECUTE FUNCTION qr_city_references_check();
DELETE FROM qr_interop_rules WHERE id = 'hostile';
DROP TRIGGER hostile ON qr_interop_rules;
DELETE FROM qr_interop_rules WHERE id = 'hostile';
CREATE TRIGGER hostile BEFORE INSERT ON qr_fee_rates FOR EACH ROW EXECUTE FUNCTION qr_catalog_guard();
INSERT INTO qr_fee_rates (payer, payee, via) VALUES ('alipay', 'unionpay', 'netsunion');
DROP TRIGGER hostile ON qr_fee_rates;
CREATE TRIGGER hostile BEFORE INSERT ON qr_fee_rates FOR EACH ROW EXECUTE FUNCTION qr_catalog_audit();
INSERT INTO qr_fee_rates (payer, payee, via) VALUES ('alipay', 'unionpay', 'netsunion');
DROP TRIGGER hostile ON qr_fee_rates;
CREATE TRIGGER hostile AFTER UPDATE ON qr_cities FOR EACH STATEMENT EXECUTE FUNCTION qr_catalog_audit();
UPDATE qr_cities SET province = province WHERE NOT shipped;
DROP TRIGGER hostile ON qr_cities;
CREATE TRIGGER hostile AFTER INSERT ON qr_catalog_audit FOR EACH ROW EXECUTE FUNCTION qr_catalog_audit();
INSERT INTO qr_catalog_audit (table_name, operation, role_name, session_role) VALUES ('x', 'INSERT', 'x', 'x');
DROP TRIGGER hostile ON qr_catalog_audit;
SELECT (SELECT count(*) FROM qr_catalog_audit WHERE table_name = 'x') AS made_up_audit_rows,
       (SELECT count(*) FROM qr_cities WHERE name = 'Hostileville') AS cities,
       (SELECT count(*) FROM qr_provider_patterns WHERE provider = 'alipay') AS alipay_patterns,
       (SELECT count(*) FROM qr_interop_rules WHERE id = 'hostile') AS rules;

-- every role gets the same answers: the catalog is read as its owner,
-- whatever the caller may read and whatever its search_path names (all
-- in a transaction rolled back, so that the grants stay as they were)
BEGIN;
CREATE SCHEMA hostile AUTHORIZATION qrpay_hostile;
REVOKE ALL ON qr_providers, qr_provider_patterns, qr_cities, qr_interop_rules FROM PUBLIC;
SET ROLE qrpay_hostile;
CREATE TABLE hostile.qr_providers (code text);
INSERT INTO hostile.qr_providers VALUES ('evil');
CREATE FUNCTION hostile.lower(tstzrange) RETURNS timestamptz LANGUAGE sql AS 'SELECT NULL::timestamptz';
RESET ROLE;
-- a change to the catalog empties this session's cache: the next call fills it
INSERT INTO qr_providers (code, name, kind) VALUES ('hostile_probe', 'Probe', 'other');
DELETE FROM qr_providers WHERE code = 'hostile_probe';
SET ROLE qrpay_hostile;
SET LOCAL search_path = hostile, public, pg_catalog;
SELECT * FROM qr_providers;
SELECT qr_networks('wxp://f2f0abc'), qr_provider('HTTPS://QR.ALIPAY.COM/FKX09613RWE3ROTNTVR362');
SELECT status, rule FROM qr_route('wxp://f2f0abc', 'alipay', '2025-01-01', 'Beijing');
RESET ROLE;
ROLLBACK;
SELECT qr_networks('wxp://f2f0abc');
REVOKE EXECUTE ON FUNCTION qr_catalog_guard(), qr_catalog_invalidate(), qr_rule_cities_check(),
       qr_city_references_check(), qr_catalog_audit() FROM qrpay_hostile;
DROP ROLE qrpay_hostile;

-- the server is alive
SELECT 'alive' AS server;

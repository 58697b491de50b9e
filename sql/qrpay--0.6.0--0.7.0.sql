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

CREATE FUNCTION qr_rule_cities_check() RETURNS trigger
AS 'MODULE_PATHNAME' LANGUAGE C;
COMMENT ON FUNCTION qr_rule_cities_check() IS
    'Trigger: every city a rule names is a row of qr_cities, locked FOR KEY SHARE until the transaction ends';

CREATE FUNCTION qr_city_references_check() RETURNS trigger
AS 'MODULE_PATHNAME' LANGUAGE C;
COMMENT ON FUNCTION qr_city_references_check() IS
    'Trigger: a city that rules name is neither deleted nor renamed';

CREATE TRIGGER qr_interop_rules_cities AFTER INSERT OR UPDATE OF cities ON qr_interop_rules
    FOR EACH ROW EXECUTE FUNCTION qr_rule_cities_check();
CREATE TRIGGER qr_cities_references AFTER DELETE OR UPDATE OF name ON qr_cities
    FOR EACH ROW EXECUTE FUNCTION qr_city_references_check();

-- ---------------------------------------------------------------------
-- Encodings
-- ---------------------------------------------------------------------


/* qrpay 0.1.0: the payment_qr type */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION qrpay" to load this file. \quit

-- ---------------------------------------------------------------------
-- The type
-- ---------------------------------------------------------------------

CREATE TYPE payment_qr;

CREATE FUNCTION payment_qr_in(cstring) RETURNS payment_qr
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION payment_qr_out(payment_qr) RETURNS cstring
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION payment_qr_recv(internal) RETURNS payment_qr
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION payment_qr_send(payment_qr) RETURNS bytea
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- STORAGE extended: codes are short, but TOAST's 1-byte headers still save
-- space, and SGQR-style multi-scheme codes compress well.
CREATE TYPE payment_qr (
    INTERNALLENGTH = variable,
    INPUT = payment_qr_in,
    OUTPUT = payment_qr_out,
    RECEIVE = payment_qr_recv,
    SEND = payment_qr_send,
    ALIGNMENT = int4,
    STORAGE = extended,
    CATEGORY = 'U'
);

COMMENT ON TYPE payment_qr IS
    'A payment QR payload (EMVCo merchant-presented), validated on input and stored losslessly: output is the exact input';
COMMENT ON FUNCTION payment_qr_in(cstring) IS 'payment_qr text input: validates the payload';
COMMENT ON FUNCTION payment_qr_out(payment_qr) IS 'payment_qr text output: the payload as stored';
COMMENT ON FUNCTION payment_qr_recv(internal) IS 'payment_qr binary input: version byte and UTF-8 payload, validated like text input';
COMMENT ON FUNCTION payment_qr_send(payment_qr) IS 'payment_qr binary output: version byte and UTF-8 payload';

-- ---------------------------------------------------------------------
-- Validation without errors, for bulk loads
-- ---------------------------------------------------------------------

CREATE FUNCTION qr_check(text) RETURNS text
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION qr_check(text) IS
    'NULL when the payload is a valid payment_qr, else the error message its input would raise';

CREATE FUNCTION qr_is_valid(text) RETURNS boolean
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION qr_is_valid(text) IS 'true when the payload is a valid payment_qr';

CREATE FUNCTION qr_conformance(payload text,
                               OUT severity text, OUT path text, OUT message text)
RETURNS SETOF record
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 3;
COMMENT ON FUNCTION qr_conformance(text) IS
    'Every deviation from strict EMVCo MPM of an accepted payload (warning, info), or the error of a rejected one';

-- ---------------------------------------------------------------------
-- Accessors
-- ---------------------------------------------------------------------

CREATE FUNCTION qr_format(payment_qr) RETURNS text
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION qr_format(payment_qr) IS 'Payload format: emv_mpm (EMVCo merchant-presented mode)';

CREATE FUNCTION qr_get(code payment_qr, path text) RETURNS text
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION qr_get(payment_qr, text) IS
    'Value of the data object at a path such as ''59'', ''26.00'' or ''62.05''; NULL when absent';

CREATE FUNCTION qr_merchant_name(payment_qr) RETURNS text
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION qr_merchant_name(payment_qr) IS 'Merchant name (EMVCo tag 59)';

CREATE FUNCTION qr_merchant_city(payment_qr) RETURNS text
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION qr_merchant_city(payment_qr) IS 'Merchant city (EMVCo tag 60)';

CREATE FUNCTION qr_mcc(payment_qr) RETURNS text
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION qr_mcc(payment_qr) IS 'Merchant category code, ISO 18245 (EMVCo tag 52)';

CREATE FUNCTION qr_country(payment_qr) RETURNS text
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION qr_country(payment_qr) IS 'Merchant country, ISO 3166-1 alpha-2 (EMVCo tag 58)';

CREATE FUNCTION qr_currency(payment_qr) RETURNS text
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION qr_currency(payment_qr) IS
    'Transaction currency as an ISO 4217 alphabetic code (EMVCo tag 53, e.g. 156 -> CNY); the number itself when not in ISO 4217';

CREATE FUNCTION qr_amount(payment_qr) RETURNS numeric
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION qr_amount(payment_qr) IS 'Transaction amount (EMVCo tag 54); NULL when the payer enters it';

CREATE FUNCTION qr_is_dynamic(payment_qr) RETURNS boolean
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION qr_is_dynamic(payment_qr) IS
    'true for a dynamic (one-time) code, false for a static one (EMVCo tag 01 = 12 / 11); NULL when absent';

CREATE FUNCTION qr_reference(payment_qr) RETURNS text
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION qr_reference(payment_qr) IS 'Reference label (EMVCo tag 62.05; Pix txid)';

CREATE FUNCTION qr_tags(code payment_qr, OUT path text, OUT name text, OUT value text)
RETURNS SETOF record
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 20;
COMMENT ON FUNCTION qr_tags(payment_qr) IS
    'Every data object as (path, spec name, value), in payload order, templates before their parts';

CREATE FUNCTION qr_to_jsonb(payment_qr) RETURNS jsonb
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION qr_to_jsonb(payment_qr) IS
    'The code as jsonb: {"format": ..., "<id>": value or nested template object}';

CREATE CAST (payment_qr AS jsonb) WITH FUNCTION qr_to_jsonb(payment_qr);
COMMENT ON CAST (payment_qr AS jsonb) IS 'Same as qr_to_jsonb()';

-- ---------------------------------------------------------------------
-- Comparison: bytewise over the payload, so "=" means "same payload"
-- ---------------------------------------------------------------------

CREATE FUNCTION payment_qr_cmp(payment_qr, payment_qr) RETURNS integer
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION payment_qr_eq(payment_qr, payment_qr) RETURNS boolean
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION payment_qr_ne(payment_qr, payment_qr) RETURNS boolean
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION payment_qr_lt(payment_qr, payment_qr) RETURNS boolean
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION payment_qr_le(payment_qr, payment_qr) RETURNS boolean
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION payment_qr_gt(payment_qr, payment_qr) RETURNS boolean
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION payment_qr_ge(payment_qr, payment_qr) RETURNS boolean
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION payment_qr_sortsupport(internal) RETURNS void
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION payment_qr_equalimage(oid) RETURNS boolean
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION payment_qr_hash(payment_qr) RETURNS integer
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION payment_qr_hash_extended(payment_qr, bigint) RETURNS bigint
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

COMMENT ON FUNCTION payment_qr_cmp(payment_qr, payment_qr) IS 'btree support 1: -1, 0, 1 comparing payload bytes';
COMMENT ON FUNCTION payment_qr_eq(payment_qr, payment_qr) IS 'implementation of = (same payload)';
COMMENT ON FUNCTION payment_qr_ne(payment_qr, payment_qr) IS 'implementation of <>';
COMMENT ON FUNCTION payment_qr_lt(payment_qr, payment_qr) IS 'implementation of < (canonical byte order)';
COMMENT ON FUNCTION payment_qr_le(payment_qr, payment_qr) IS 'implementation of <= (canonical byte order)';
COMMENT ON FUNCTION payment_qr_gt(payment_qr, payment_qr) IS 'implementation of > (canonical byte order)';
COMMENT ON FUNCTION payment_qr_ge(payment_qr, payment_qr) IS 'implementation of >= (canonical byte order)';
COMMENT ON FUNCTION payment_qr_sortsupport(internal) IS 'btree support 2: sort comparator';
COMMENT ON FUNCTION payment_qr_equalimage(oid) IS 'btree support 4: equal values are identical, deduplication is safe';
COMMENT ON FUNCTION payment_qr_hash(payment_qr) IS 'hash support 1: 32-bit hash of the payload';
COMMENT ON FUNCTION payment_qr_hash_extended(payment_qr, bigint) IS 'hash support 2: seeded 64-bit hash of the payload (hash partitioning)';

CREATE OPERATOR = (
    LEFTARG = payment_qr, RIGHTARG = payment_qr, PROCEDURE = payment_qr_eq,
    COMMUTATOR = =, NEGATOR = <>,
    RESTRICT = eqsel, JOIN = eqjoinsel,
    HASHES, MERGES
);
CREATE OPERATOR <> (
    LEFTARG = payment_qr, RIGHTARG = payment_qr, PROCEDURE = payment_qr_ne,
    COMMUTATOR = <>, NEGATOR = =,
    RESTRICT = neqsel, JOIN = neqjoinsel
);
CREATE OPERATOR < (
    LEFTARG = payment_qr, RIGHTARG = payment_qr, PROCEDURE = payment_qr_lt,
    COMMUTATOR = >, NEGATOR = >=,
    RESTRICT = scalarltsel, JOIN = scalarltjoinsel
);
CREATE OPERATOR <= (
    LEFTARG = payment_qr, RIGHTARG = payment_qr, PROCEDURE = payment_qr_le,
    COMMUTATOR = >=, NEGATOR = >,
    RESTRICT = scalarlesel, JOIN = scalarlejoinsel
);
CREATE OPERATOR > (
    LEFTARG = payment_qr, RIGHTARG = payment_qr, PROCEDURE = payment_qr_gt,
    COMMUTATOR = <, NEGATOR = <=,
    RESTRICT = scalargtsel, JOIN = scalargtjoinsel
);
CREATE OPERATOR >= (
    LEFTARG = payment_qr, RIGHTARG = payment_qr, PROCEDURE = payment_qr_ge,
    COMMUTATOR = <=, NEGATOR = <,
    RESTRICT = scalargesel, JOIN = scalargejoinsel
);

COMMENT ON OPERATOR = (payment_qr, payment_qr) IS 'same payload';
COMMENT ON OPERATOR <> (payment_qr, payment_qr) IS 'different payload';
COMMENT ON OPERATOR < (payment_qr, payment_qr) IS 'sorts before (canonical byte order, not a semantic order)';
COMMENT ON OPERATOR <= (payment_qr, payment_qr) IS 'sorts before or equal (canonical byte order)';
COMMENT ON OPERATOR > (payment_qr, payment_qr) IS 'sorts after (canonical byte order, not a semantic order)';
COMMENT ON OPERATOR >= (payment_qr, payment_qr) IS 'sorts after or equal (canonical byte order)';

CREATE OPERATOR CLASS payment_qr_ops
DEFAULT FOR TYPE payment_qr USING btree AS
    OPERATOR 1 <,
    OPERATOR 2 <=,
    OPERATOR 3 =,
    OPERATOR 4 >=,
    OPERATOR 5 >,
    FUNCTION 1 payment_qr_cmp(payment_qr, payment_qr),
    FUNCTION 2 payment_qr_sortsupport(internal),
    FUNCTION 4 payment_qr_equalimage(oid);
COMMENT ON OPERATOR CLASS payment_qr_ops USING btree IS
    'Default btree opclass: byte order of the payload; supports UNIQUE, ORDER BY, merge joins, deduplication';

CREATE OPERATOR CLASS payment_qr_ops
DEFAULT FOR TYPE payment_qr USING hash AS
    OPERATOR 1 =,
    FUNCTION 1 payment_qr_hash(payment_qr),
    FUNCTION 2 payment_qr_hash_extended(payment_qr, bigint);
COMMENT ON OPERATOR CLASS payment_qr_ops USING hash IS
    'Default hash opclass: hash joins and aggregation, hash indexes, PARTITION BY HASH';

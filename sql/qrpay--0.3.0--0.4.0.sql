/* qrpay 0.3.0 -> 0.4.0: containment and existence operators, GIN index */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION qrpay UPDATE TO '0.4.0'" to load this file. \quit

CREATE FUNCTION qr_contains(code payment_qr, fields jsonb) RETURNS boolean
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION qr_contains(payment_qr, jsonb) IS
    'Does the code hold every path: "value" pair of the object (nested objects extend the path, as qr_to_jsonb nests)? The @> operator';

CREATE FUNCTION qr_exists(code payment_qr, path text) RETURNS boolean
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION qr_exists(payment_qr, text) IS 'Does the code have a field at the path? The ? operator';

CREATE FUNCTION qr_exists_any(code payment_qr, paths text[]) RETURNS boolean
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION qr_exists_any(payment_qr, text[]) IS 'Does the code have a field at any of the paths? The ?| operator';

CREATE FUNCTION qr_exists_all(code payment_qr, paths text[]) RETURNS boolean
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION qr_exists_all(payment_qr, text[]) IS 'Does the code have a field at every one of the paths? The ?& operator';

CREATE OPERATOR @> (
    LEFTARG = payment_qr, RIGHTARG = jsonb, FUNCTION = qr_contains,
    RESTRICT = matchingsel, JOIN = matchingjoinsel
);
COMMENT ON OPERATOR @> (payment_qr, jsonb) IS 'the code holds every path: "value" pair';

CREATE OPERATOR ? (
    LEFTARG = payment_qr, RIGHTARG = text, FUNCTION = qr_exists,
    RESTRICT = matchingsel, JOIN = matchingjoinsel
);
COMMENT ON OPERATOR ? (payment_qr, text) IS 'the code has a field at the path';

CREATE OPERATOR ?| (
    LEFTARG = payment_qr, RIGHTARG = text[], FUNCTION = qr_exists_any,
    RESTRICT = matchingsel, JOIN = matchingjoinsel
);
COMMENT ON OPERATOR ?| (payment_qr, text[]) IS 'the code has a field at any of the paths';

CREATE OPERATOR ?& (
    LEFTARG = payment_qr, RIGHTARG = text[], FUNCTION = qr_exists_all,
    RESTRICT = matchingsel, JOIN = matchingjoinsel
);
COMMENT ON OPERATOR ?& (payment_qr, text[]) IS 'the code has a field at every one of the paths';

CREATE FUNCTION payment_qr_gin_extract_value(payment_qr, internal, internal) RETURNS internal
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION payment_qr_gin_extract_value(payment_qr, internal, internal) IS
    'GIN support 2: the path and path-value hashes of a code';

CREATE FUNCTION payment_qr_gin_extract_query(payment_qr, internal, int2, internal, internal, internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION payment_qr_gin_extract_query(payment_qr, internal, int2, internal, internal, internal, internal) IS
    'GIN support 3: the hashes a @>, ?, ?| or ?& query needs';

CREATE FUNCTION payment_qr_gin_consistent(internal, int2, payment_qr, int4, internal, internal, internal, internal)
RETURNS boolean
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION payment_qr_gin_consistent(internal, int2, payment_qr, int4, internal, internal, internal, internal) IS
    'GIN support 4: whether a code can match given its keys (always rechecked)';

CREATE FUNCTION payment_qr_gin_triconsistent(internal, int2, payment_qr, int4, internal, internal, internal)
RETURNS "char"
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION payment_qr_gin_triconsistent(internal, int2, payment_qr, int4, internal, internal, internal) IS
    'GIN support 6: the ternary form of support 4';

CREATE FUNCTION payment_qr_gin_options(internal) RETURNS void
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION payment_qr_gin_options(internal) IS
    'GIN support 7: the operator class parameter value_bits (12-31, default 18)';

CREATE OPERATOR CLASS payment_qr_gin_ops
DEFAULT FOR TYPE payment_qr USING gin AS
    OPERATOR 7 @> (payment_qr, jsonb),
    OPERATOR 9 ? (payment_qr, text),
    OPERATOR 10 ?| (payment_qr, text[]),
    OPERATOR 11 ?& (payment_qr, text[]),
    FUNCTION 1 btint4cmp(int4, int4),
    FUNCTION 2 payment_qr_gin_extract_value(payment_qr, internal, internal),
    FUNCTION 3 payment_qr_gin_extract_query(payment_qr, internal, int2, internal, internal, internal, internal),
    FUNCTION 4 payment_qr_gin_consistent(internal, int2, payment_qr, int4, internal, internal, internal, internal),
    FUNCTION 6 payment_qr_gin_triconsistent(internal, int2, payment_qr, int4, internal, internal, internal),
    FUNCTION 7 payment_qr_gin_options(internal),
    STORAGE int4;
COMMENT ON OPERATOR CLASS payment_qr_gin_ops USING gin IS
    'GIN over path and path-value hashes of every field: @> jsonb, ?, ?| and ?&, for every format; parameter value_bits (default 18) sets how finely value keys are kept apart';

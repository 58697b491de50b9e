/* qrpay 0.10.0 -> 0.11.0: a GIN index a fraction of jsonb's at any table size */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION qrpay UPDATE TO '0.11.0'" to load this file. \quit

-- payment_qr_gin_split_ops keeps the path keys of payment_qr_gin_ops and
-- gives each leaf two value keys, the low and the high bits of one hash,
-- each in 2^value_bits buckets (a value from a small set, 4 bytes or fewer
-- or an EMVCo merchant account's GUID, one exact key): every bucket is shared by many values from 100,000 codes up, so a
-- value costs posting-list items, never an entry of its own, and a query
-- needs both keys.  See doc/formats.md, "Searching by field: GIN".
--
-- An index keeps the key scheme it was built with: payment_qr_gin_ops and
-- its functions stay as they were, so the indexes built before this
-- version answer as before, with the new library installed ahead of this
-- update and after it.  Only the default changes: CREATE INDEX ... USING
-- gin (code) now builds a payment_qr_gin_split_ops index, and REINDEX of
-- an older index keeps its class (pg_index names it).

CREATE FUNCTION @extschema@.payment_qr_gin_split_extract_value(@extschema@.payment_qr, internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'payment_qr_gin_split_extract_value'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.payment_qr_gin_split_extract_value(@extschema@.payment_qr, internal, internal) IS
    'GIN support 2 of payment_qr_gin_split_ops: the path keys and the two value keys of each leaf of a code';

CREATE FUNCTION @extschema@.payment_qr_gin_split_extract_query(@extschema@.payment_qr, internal, smallint, internal, internal, internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'payment_qr_gin_split_extract_query'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.payment_qr_gin_split_extract_query(@extschema@.payment_qr, internal, smallint, internal, internal, internal, internal) IS
    'GIN support 3 of payment_qr_gin_split_ops: the keys a @>, ?, ?| or ?& query needs';

CREATE FUNCTION @extschema@.payment_qr_gin_split_options(internal)
RETURNS void
AS 'MODULE_PATHNAME', 'payment_qr_gin_split_options'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.payment_qr_gin_split_options(internal) IS
    'GIN support 7 of payment_qr_gin_split_ops: the operator class parameter value_bits (8-16, default 13), the bits of each of a value''s two keys';

-- CREATE OPERATOR CLASS ... DEFAULT refuses while another class is the
-- type's default for the method, and no ALTER clears the flag: the
-- previous default is made an ordinary class in the catalog, as contrib's
-- upgrade scripts set catalog flags that had no ALTER.  Its indexes are
-- unaffected (they name their class, not the default).
UPDATE pg_catalog.pg_opclass SET opcdefault = false
 WHERE opcname = 'payment_qr_gin_ops'
   AND opcnamespace = '@extschema@'::regnamespace
   AND opcmethod = (SELECT oid FROM pg_catalog.pg_am WHERE amname = 'gin');

CREATE OPERATOR CLASS @extschema@.payment_qr_gin_split_ops
DEFAULT FOR TYPE @extschema@.payment_qr USING gin AS
    OPERATOR 7 @extschema@.@> (@extschema@.payment_qr, jsonb),
    OPERATOR 9 @extschema@.? (@extschema@.payment_qr, text),
    OPERATOR 10 @extschema@.?| (@extschema@.payment_qr, text[]),
    OPERATOR 11 @extschema@.?& (@extschema@.payment_qr, text[]),
    FUNCTION 1 btint4cmp(integer, integer),
    FUNCTION 2 @extschema@.payment_qr_gin_split_extract_value(@extschema@.payment_qr, internal, internal),
    FUNCTION 3 @extschema@.payment_qr_gin_split_extract_query(@extschema@.payment_qr, internal, smallint, internal, internal, internal, internal),
    FUNCTION 4 @extschema@.payment_qr_gin_consistent(internal, smallint, @extschema@.payment_qr, integer, internal, internal, internal, internal),
    FUNCTION 6 @extschema@.payment_qr_gin_triconsistent(internal, smallint, @extschema@.payment_qr, integer, internal, internal, internal),
    FUNCTION 7 @extschema@.payment_qr_gin_split_options(internal),
    STORAGE integer;
COMMENT ON OPERATOR CLASS @extschema@.payment_qr_gin_split_ops USING gin IS
    'Default GIN opclass since 0.11.0: a path key per field and two value keys per leaf (low and high bits of its hash, 2^value_bits buckets each; a value from a small set, 4 bytes or fewer or an EMVCo merchant account GUID, one exact key): @> jsonb, ?, ?| and ?&, for every format; parameter value_bits (8-16, default 13)';

COMMENT ON OPERATOR CLASS @extschema@.payment_qr_gin_ops USING gin IS
    'GIN over path and path-value hashes of every field, the default before 0.11.0 (its indexes keep it): @> jsonb, ?, ?| and ?&, for every format; parameter value_bits (default 18) sets how finely value keys are kept apart';

/* qrpay 0.11.0: the standalone install script */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION qrpay" to load this file. \quit

-- Every object of qrpay 0.11.0 once, in its final definition, in the order
-- pg_dump writes them (types and functions, tables, the shipped rows, keys,
-- indexes, triggers and foreign keys, privileges).  test/install_script.sh
-- writes this script from what qrpay--0.1.0.sql and the upgrade scripts
-- install; test/dump_upgrade.sh proves the two installations the same.

-- This script is ASCII, so that it loads in every server encoding (with no
-- encoding line in qrpay.control, PostgreSQL reads it in the database's).
-- Shipped text beyond ASCII is written with \hhhh (four hex digits) for the character
-- U+hhhh, as in U&'' literals, and qrpay_script_text turns it into text of
-- the database encoding when the row is inserted.  A character that
-- encoding has no equivalent for becomes the six ASCII characters U+hhhh;
-- with whole => true (an optional alternate spelling, qr_cities.name_zh)
-- the value becomes NULL instead.  In a UTF8 or SQL_ASCII database every
-- value is the UTF-8 text itself.  The function lives while the script runs.
CREATE FUNCTION @extschema@.qrpay_script_text(escaped text, whole boolean DEFAULT false) RETURNS text
LANGUAGE plpgsql STRICT SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    m text[];
    cp int;
    result text := '';
BEGIN
    FOR m IN SELECT regexp_matches(escaped, '\\([0-9A-F]{4})|([^\\]+)', 'g') LOOP
        IF m[1] IS NULL THEN
            result := result || m[2];
            CONTINUE;
        END IF;
        cp := ('x' || lpad(m[1], 8, '0'))::bit(32)::int;
        BEGIN
            result := result || convert_from(decode(CASE
                WHEN cp < 128 THEN lpad(to_hex(cp), 2, '0')
                WHEN cp < 2048 THEN to_hex(192 + cp / 64) || to_hex(128 + cp % 64)
                ELSE to_hex(224 + cp / 4096) || to_hex(128 + cp / 64 % 64) || to_hex(128 + cp % 64) END, 'hex'), 'UTF8');
        EXCEPTION WHEN untranslatable_character THEN
            IF whole THEN
                RETURN NULL;
            END IF;
            result := result || 'U+' || m[1];
        END;
    END LOOP;
    RETURN result;
END $$;


-- ---------------------------------------------------------------------
-- Types, operators, operator classes and casts
-- ---------------------------------------------------------------------

CREATE TYPE @extschema@.payment_qr;

-- ---------------------------------------------------------------------
-- Functions
-- ---------------------------------------------------------------------

CREATE FUNCTION @extschema@.payment_qr_in(cstring) RETURNS @extschema@.payment_qr
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'payment_qr_in';

COMMENT ON FUNCTION @extschema@.payment_qr_in(cstring) IS 'payment_qr text input: validates the payload';

CREATE FUNCTION @extschema@.payment_qr_out(@extschema@.payment_qr) RETURNS cstring
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'payment_qr_out';

COMMENT ON FUNCTION @extschema@.payment_qr_out(@extschema@.payment_qr) IS 'payment_qr text output: the payload as stored';

CREATE FUNCTION @extschema@.payment_qr_recv(internal) RETURNS @extschema@.payment_qr
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'payment_qr_recv';

COMMENT ON FUNCTION @extschema@.payment_qr_recv(internal) IS 'payment_qr binary input: version byte and UTF-8 payload, validated like text input';

CREATE FUNCTION @extschema@.payment_qr_send(@extschema@.payment_qr) RETURNS bytea
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'payment_qr_send';

COMMENT ON FUNCTION @extschema@.payment_qr_send(@extschema@.payment_qr) IS 'payment_qr binary output: version byte and UTF-8 payload';

-- ---------------------------------------------------------------------
-- Types, operators, operator classes and casts
-- ---------------------------------------------------------------------

-- STORAGE extended: codes are short, but TOAST's 1-byte headers still save
-- space, and SGQR-style multi-scheme codes compress well.
CREATE TYPE @extschema@.payment_qr (
    INTERNALLENGTH = variable,
    INPUT = @extschema@.payment_qr_in,
    OUTPUT = @extschema@.payment_qr_out,
    RECEIVE = @extschema@.payment_qr_recv,
    SEND = @extschema@.payment_qr_send,
    ALIGNMENT = int4,
    STORAGE = extended
);

COMMENT ON TYPE @extschema@.payment_qr IS 'A payment QR payload, validated on input and stored losslessly (output is the exact input): EMVCo merchant- and consumer-presented, China consumer codes and merchant URL codes, UPI, EPC, Swiss QR-bill, SPAYD, BezahlCode';

CREATE TYPE @extschema@.qr_route_result AS (
	status text,
	network text,
	via text,
	rule text,
	reason text
);

COMMENT ON TYPE @extschema@.qr_route_result IS 'A routing decision: status on_us, interop or none; the payee network chosen; the network or clearing path; the deciding rule; why none';

CREATE TYPE @extschema@.qr_statement_line AS (
	provider text,
	provider_txn text,
	reference text,
	ts timestamp with time zone,
	amount numeric,
	currency text,
	fee numeric,
	status text,
	refund_txn text,
	refund_reference text,
	refund_amount numeric,
	line integer,
	error text
);

COMMENT ON TYPE @extschema@.qr_statement_line IS 'One line of a provider statement: the transaction, its fee and refund fields, the line number in the file, and an error when the line could not be read (its other fields then NULL)';

-- ---------------------------------------------------------------------
-- Functions
-- ---------------------------------------------------------------------

CREATE FUNCTION @extschema@.qr_to_jsonb(@extschema@.payment_qr) RETURNS jsonb
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'qr_to_jsonb';

COMMENT ON FUNCTION @extschema@.qr_to_jsonb(@extschema@.payment_qr) IS 'The code as jsonb: {"format": ..., <field>: <value>, <container>: {...}}, keys as qr_get paths, for every format';

-- ---------------------------------------------------------------------
-- Types, operators, operator classes and casts
-- ---------------------------------------------------------------------

CREATE CAST (@extschema@.payment_qr AS jsonb) WITH FUNCTION @extschema@.qr_to_jsonb(@extschema@.payment_qr);

COMMENT ON CAST (@extschema@.payment_qr AS jsonb) IS 'Same as qr_to_jsonb()';

-- ---------------------------------------------------------------------
-- Functions
-- ---------------------------------------------------------------------

CREATE FUNCTION @extschema@.payment_qr_cmp(@extschema@.payment_qr, @extschema@.payment_qr) RETURNS integer
    LANGUAGE c IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'payment_qr_cmp';

COMMENT ON FUNCTION @extschema@.payment_qr_cmp(@extschema@.payment_qr, @extschema@.payment_qr) IS 'btree support 1: -1, 0, 1 comparing payload bytes';

CREATE FUNCTION @extschema@.payment_qr_eq(@extschema@.payment_qr, @extschema@.payment_qr) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'payment_qr_eq';

COMMENT ON FUNCTION @extschema@.payment_qr_eq(@extschema@.payment_qr, @extschema@.payment_qr) IS 'implementation of = (same payload)';

CREATE FUNCTION @extschema@.payment_qr_equalimage(oid) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'payment_qr_equalimage';

COMMENT ON FUNCTION @extschema@.payment_qr_equalimage(oid) IS 'btree support 4: equal values are identical, deduplication is safe';

CREATE FUNCTION @extschema@.payment_qr_ge(@extschema@.payment_qr, @extschema@.payment_qr) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'payment_qr_ge';

COMMENT ON FUNCTION @extschema@.payment_qr_ge(@extschema@.payment_qr, @extschema@.payment_qr) IS 'implementation of >= (canonical byte order)';

CREATE FUNCTION @extschema@.payment_qr_gin_consistent(internal, smallint, @extschema@.payment_qr, integer, internal, internal, internal, internal) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'payment_qr_gin_consistent';

COMMENT ON FUNCTION @extschema@.payment_qr_gin_consistent(internal, smallint, @extschema@.payment_qr, integer, internal, internal, internal, internal) IS 'GIN support 4: whether a code can match given its keys (always rechecked)';

CREATE FUNCTION @extschema@.payment_qr_gin_extract_query(@extschema@.payment_qr, internal, smallint, internal, internal, internal, internal) RETURNS internal
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'payment_qr_gin_extract_query';

COMMENT ON FUNCTION @extschema@.payment_qr_gin_extract_query(@extschema@.payment_qr, internal, smallint, internal, internal, internal, internal) IS 'GIN support 3: the hashes a @>, ?, ?| or ?& query needs';

CREATE FUNCTION @extschema@.payment_qr_gin_extract_value(@extschema@.payment_qr, internal, internal) RETURNS internal
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'payment_qr_gin_extract_value';

COMMENT ON FUNCTION @extschema@.payment_qr_gin_extract_value(@extschema@.payment_qr, internal, internal) IS 'GIN support 2: the path and path-value hashes of a code';

CREATE FUNCTION @extschema@.payment_qr_gin_options(internal) RETURNS void
    LANGUAGE c IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'payment_qr_gin_options';

COMMENT ON FUNCTION @extschema@.payment_qr_gin_options(internal) IS 'GIN support 7: the operator class parameter value_bits (12-31, default 18)';

CREATE FUNCTION @extschema@.payment_qr_gin_split_extract_query(@extschema@.payment_qr, internal, smallint, internal, internal, internal, internal) RETURNS internal
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'payment_qr_gin_split_extract_query';

COMMENT ON FUNCTION @extschema@.payment_qr_gin_split_extract_query(@extschema@.payment_qr, internal, smallint, internal, internal, internal, internal) IS 'GIN support 3 of payment_qr_gin_split_ops: the keys a @>, ?, ?| or ?& query needs';

CREATE FUNCTION @extschema@.payment_qr_gin_split_extract_value(@extschema@.payment_qr, internal, internal) RETURNS internal
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'payment_qr_gin_split_extract_value';

COMMENT ON FUNCTION @extschema@.payment_qr_gin_split_extract_value(@extschema@.payment_qr, internal, internal) IS 'GIN support 2 of payment_qr_gin_split_ops: the path keys and the two value keys of each leaf of a code';

CREATE FUNCTION @extschema@.payment_qr_gin_split_options(internal) RETURNS void
    LANGUAGE c IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'payment_qr_gin_split_options';

COMMENT ON FUNCTION @extschema@.payment_qr_gin_split_options(internal) IS 'GIN support 7 of payment_qr_gin_split_ops: the operator class parameter value_bits (8-16, default 13), the bits of each of a value''s two keys';

CREATE FUNCTION @extschema@.payment_qr_gin_triconsistent(internal, smallint, @extschema@.payment_qr, integer, internal, internal, internal) RETURNS "char"
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'payment_qr_gin_triconsistent';

COMMENT ON FUNCTION @extschema@.payment_qr_gin_triconsistent(internal, smallint, @extschema@.payment_qr, integer, internal, internal, internal) IS 'GIN support 6: the ternary form of support 4';

CREATE FUNCTION @extschema@.payment_qr_gt(@extschema@.payment_qr, @extschema@.payment_qr) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'payment_qr_gt';

COMMENT ON FUNCTION @extschema@.payment_qr_gt(@extschema@.payment_qr, @extschema@.payment_qr) IS 'implementation of > (canonical byte order)';

CREATE FUNCTION @extschema@.payment_qr_hash(@extschema@.payment_qr) RETURNS integer
    LANGUAGE c IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'payment_qr_hash';

COMMENT ON FUNCTION @extschema@.payment_qr_hash(@extschema@.payment_qr) IS 'hash support 1: 32-bit hash of the payload';

CREATE FUNCTION @extschema@.payment_qr_hash_extended(@extschema@.payment_qr, bigint) RETURNS bigint
    LANGUAGE c IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'payment_qr_hash_extended';

COMMENT ON FUNCTION @extschema@.payment_qr_hash_extended(@extschema@.payment_qr, bigint) IS 'hash support 2: seeded 64-bit hash of the payload (hash partitioning)';

CREATE FUNCTION @extschema@.payment_qr_le(@extschema@.payment_qr, @extschema@.payment_qr) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'payment_qr_le';

COMMENT ON FUNCTION @extschema@.payment_qr_le(@extschema@.payment_qr, @extschema@.payment_qr) IS 'implementation of <= (canonical byte order)';

CREATE FUNCTION @extschema@.payment_qr_lt(@extschema@.payment_qr, @extschema@.payment_qr) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'payment_qr_lt';

COMMENT ON FUNCTION @extschema@.payment_qr_lt(@extschema@.payment_qr, @extschema@.payment_qr) IS 'implementation of < (canonical byte order)';

CREATE FUNCTION @extschema@.payment_qr_ne(@extschema@.payment_qr, @extschema@.payment_qr) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'payment_qr_ne';

COMMENT ON FUNCTION @extschema@.payment_qr_ne(@extschema@.payment_qr, @extschema@.payment_qr) IS 'implementation of <>';

CREATE FUNCTION @extschema@.payment_qr_sortsupport(internal) RETURNS void
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'payment_qr_sortsupport';

COMMENT ON FUNCTION @extschema@.payment_qr_sortsupport(internal) IS 'btree support 2: sort comparator';

CREATE FUNCTION @extschema@.qr_accepts(code @extschema@.payment_qr, payer text, at timestamp with time zone DEFAULT now(), region text DEFAULT NULL::text, scenario text DEFAULT 'offline'::text) RETURNS boolean
    LANGUAGE c STABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'qr_accepts';

COMMENT ON FUNCTION @extschema@.qr_accepts(code @extschema@.payment_qr, payer text, at timestamp with time zone, region text, scenario text) IS 'true when qr_route''s status is on_us or interop';

CREATE FUNCTION @extschema@.qr_account(code @extschema@.payment_qr) RETURNS text
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'qr_account';

COMMENT ON FUNCTION @extschema@.qr_account(code @extschema@.payment_qr) IS 'The payee account: Pix key, PromptPay id, PayNow proxy, FPS id, VietQR account, Bakong id, merchant PAN or the first network''s account of an EMVCo code; IBAN of EPC/Swiss/SPAYD; UPI VPA; the code of a URL; NULL for payer-presented codes';

CREATE FUNCTION @extschema@.qr_amount(@extschema@.payment_qr) RETURNS numeric
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'qr_amount';

COMMENT ON FUNCTION @extschema@.qr_amount(@extschema@.payment_qr) IS 'Transaction amount as numeric: EMVCo tag 54, EPC/Swiss amount, UPI am, SPAYD AM, BezahlCode amount; NULL when the payer enters it';

-- The guard of the back office's tables: refuses what its first argument
-- names.  It checks that it fires on one of the extension's own tables,
-- as the extension attached it.
CREATE FUNCTION @extschema@.qr_back_office_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    what text := TG_ARGV[0];
BEGIN
    IF TG_NARGS <> 1 OR TG_TABLE_SCHEMA <> '@extschema@'
       OR TG_TABLE_NAME NOT IN ('qr_statement_batches', 'qr_statement_lines', 'qr_recon_runs', 'qr_recon_results',
                                'qr_recon_breaks')
       OR TG_WHEN <> 'BEFORE' THEN
        RAISE EXCEPTION 'trigger "%" on %.% cannot call qr_back_office_guard(): it serves the extension''s own back-office tables',
              TG_NAME, TG_TABLE_SCHEMA, TG_TABLE_NAME
              USING ERRCODE = 'wrong_object_type',
                    HINT = 'Drop the trigger; the extension attaches its trigger functions to its tables itself.';
    END IF;
    IF what = 'immutable' THEN
        RAISE EXCEPTION '% rows cannot be changed: % refused', TG_TABLE_NAME, TG_OP
              USING ERRCODE = 'object_not_in_prerequisite_state',
                    HINT = CASE TG_TABLE_NAME
                           WHEN 'qr_recon_results' THEN 'A run''s results are final; start a new run with qr_recon_run.'
                           WHEN 'qr_statement_lines' THEN 'A batch''s lines are the file as read; load the corrected file with qr_statement_load.'
                           WHEN 'qr_recon_runs' THEN 'Runs are the record of what was reconciled; they are kept.'
                           ELSE 'Breaks are kept: close them with qr_break_resolve or qr_break_write_off.' END;
    END IF;
    RAISE EXCEPTION 'qr_back_office_guard(): unknown argument %', what USING ERRCODE = 'invalid_parameter_value';
END $$;

COMMENT ON FUNCTION @extschema@.qr_back_office_guard() IS 'Trigger: refuses changes to rows of the back office that are final (run results, statement lines, runs, breaks)';

-- One lock per provider serializes what changes its batches and breaks:
-- loads (a corrected file and the batch it supersedes) and runs.  The
-- advisory lock's first key is qrpay's own (0x71727061, "qrpa").
CREATE FUNCTION @extschema@.qr_back_office_lock(providers text[]) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    p text;
BEGIN
    FOR p IN SELECT DISTINCT u FROM pg_catalog.unnest(providers) u WHERE u IS NOT NULL ORDER BY u LOOP
        IF NOT pg_catalog.pg_try_advisory_xact_lock(1903325281, pg_catalog.hashtext(p)) THEN
            RAISE NOTICE 'waiting for another load or run of provider % to finish', p;
            PERFORM pg_catalog.pg_advisory_xact_lock(1903325281, pg_catalog.hashtext(p));
        END IF;
    END LOOP;
END $$;

COMMENT ON FUNCTION @extschema@.qr_back_office_lock(providers text[]) IS 'Takes, in a fixed order, the transaction-level advisory lock (1903325281, hashtext(provider)) of each provider: statement loads and reconciliation runs of one provider wait for each other (lock_timeout makes them fail instead, with 55P03)';

-- ---------------------------------------------------------------------
-- Tables, sequences and views
-- ---------------------------------------------------------------------

CREATE TABLE @extschema@.qr_recon_breaks (
    id bigint NOT NULL,
    provider text NOT NULL,
    side text NOT NULL,
    txn text NOT NULL,
    reference text,
    kind text NOT NULL,
    ledger_txn text,
    statement_txn text,
    batch bigint,
    line integer,
    currency text,
    amount numeric,
    txn_at timestamp with time zone,
    opened_at timestamp with time zone DEFAULT now() NOT NULL,
    opened_run bigint,
    last_run bigint,
    status text DEFAULT 'open'::text NOT NULL,
    owner text,
    note text,
    closed_at timestamp with time zone,
    closed_by text,
    closed_run bigint,
    CONSTRAINT qr_recon_breaks_assigned CHECK (((status <> 'assigned'::text) OR (owner IS NOT NULL))),
    CONSTRAINT qr_recon_breaks_closed CHECK (((status = ANY (ARRAY['resolved'::text, 'written_off'::text])) = ((closed_at IS NOT NULL) AND (closed_by IS NOT NULL)))),
    CONSTRAINT qr_recon_breaks_side_known CHECK ((side = ANY (ARRAY['ledger'::text, 'statement'::text]))),
    CONSTRAINT qr_recon_breaks_status_known CHECK ((status = ANY (ARRAY['open'::text, 'assigned'::text, 'resolved'::text, 'written_off'::text]))),
    CONSTRAINT qr_recon_breaks_written_off CHECK (((status <> 'written_off'::text) OR (note IS NOT NULL)))
);

COMMENT ON TABLE @extschema@.qr_recon_breaks IS 'The breaks runs found, worked until they close: open, assigned to an owner, then resolved (by hand, or by the run that matched its rows) or written off. A break a later run still finds is the same break (last_run moves on). Every change is in qr_recon_audit. Rows are dumped';

COMMENT ON COLUMN @extschema@.qr_recon_breaks.id IS 'The break';

COMMENT ON COLUMN @extschema@.qr_recon_breaks.provider IS 'The provider';

COMMENT ON COLUMN @extschema@.qr_recon_breaks.side IS 'Which side''s row the break is about: ledger when the outcome has a ledger row, else statement (missing_in_ledger, duplicate_in_statement, a refund_orphan or ambiguous line)';

COMMENT ON COLUMN @extschema@.qr_recon_breaks.txn IS 'That row''s id: the ledger txn_id, or the provider''s transaction (refund) id. A row has one open break at most; a later run that finds it again carries it (kind and amounts move on)';

COMMENT ON COLUMN @extschema@.qr_recon_breaks.reference IS 'That row''s reference (the refund reference of a refund line): a later run reads again every row of both sides with this reference, so that the break is judged with the rows it was found with';

COMMENT ON COLUMN @extschema@.qr_recon_breaks.kind IS 'The outcome the latest run found (a qr_recon_results status other than matched, matched_group and refund_matched)';

COMMENT ON COLUMN @extschema@.qr_recon_breaks.ledger_txn IS 'The ledger row, if any';

COMMENT ON COLUMN @extschema@.qr_recon_breaks.statement_txn IS 'The statement row, if any';

COMMENT ON COLUMN @extschema@.qr_recon_breaks.batch IS 'The statement line''s batch, if any';

COMMENT ON COLUMN @extschema@.qr_recon_breaks.line IS 'The statement line''s number, if any';

COMMENT ON COLUMN @extschema@.qr_recon_breaks.currency IS 'Currency of the amount (the ledger row''s, else the statement line''s)';

COMMENT ON COLUMN @extschema@.qr_recon_breaks.amount IS 'The amount at stake (absolute): the fee''s difference from the expected fee for fee_mismatch, the difference for amount_mismatch and fx_difference (for a group, on its first row only), the row''s amount otherwise';

COMMENT ON COLUMN @extschema@.qr_recon_breaks.txn_at IS 'The transaction''s time: ages count from it';

COMMENT ON COLUMN @extschema@.qr_recon_breaks.opened_at IS 'When a run first found it';

COMMENT ON COLUMN @extschema@.qr_recon_breaks.opened_run IS 'The run that first found it';

COMMENT ON COLUMN @extschema@.qr_recon_breaks.last_run IS 'The latest run that found it';

COMMENT ON COLUMN @extschema@.qr_recon_breaks.status IS 'open, assigned, resolved or written_off';

COMMENT ON COLUMN @extschema@.qr_recon_breaks.owner IS 'Who works it';

COMMENT ON COLUMN @extschema@.qr_recon_breaks.note IS 'The workers'' notes';

COMMENT ON COLUMN @extschema@.qr_recon_breaks.closed_at IS 'When it was resolved or written off';

COMMENT ON COLUMN @extschema@.qr_recon_breaks.closed_by IS 'The role that closed it (for a run, the role that ran it)';

COMMENT ON COLUMN @extschema@.qr_recon_breaks.closed_run IS 'The run whose matches closed it, when a later file resolved it';

-- ---------------------------------------------------------------------
-- Functions
-- ---------------------------------------------------------------------

CREATE FUNCTION @extschema@.qr_break_assign(break bigint, owner text, note text DEFAULT NULL::text) RETURNS @extschema@.qr_recon_breaks
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    IF break IS NULL OR owner IS NULL OR pg_catalog.btrim(owner) = '' THEN
        RAISE EXCEPTION 'qr_break_assign needs a break and an owner' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    RETURN @extschema@.qr_break_move(break, 'assigned', owner, note);
END $$;

COMMENT ON FUNCTION @extschema@.qr_break_assign(break bigint, owner text, note text) IS 'Assigns an open break to an owner (or reassigns it), adding the note; returns the break';

-- The three moves of a break share one UPDATE; qr_recon_guard checks the
-- move and stamps who closed it and when
CREATE FUNCTION @extschema@.qr_break_move(break bigint, status text, owner text, note text) RETURNS @extschema@.qr_recon_breaks
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    b @extschema@.qr_recon_breaks;
BEGIN
    IF break IS NULL OR status IS NULL THEN
        RAISE EXCEPTION 'qr_break_move needs a break and a status' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    UPDATE @extschema@.qr_recon_breaks x
       SET status = qr_break_move.status, owner = coalesce(qr_break_move.owner, x.owner),
           note = CASE WHEN qr_break_move.note IS NULL THEN x.note ELSE coalesce(x.note || E'\n', '') || qr_break_move.note END
     WHERE x.id = break RETURNING x.* INTO b;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no break %', break USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN b;
END $$;

COMMENT ON FUNCTION @extschema@.qr_break_move(break bigint, status text, owner text, note text) IS 'Moves a break to a status (qr_recon_guard checks the move), setting its owner if given and adding the note; what qr_break_assign, qr_break_resolve and qr_break_write_off do';

CREATE FUNCTION @extschema@.qr_break_resolve(break bigint, note text) RETURNS @extschema@.qr_recon_breaks
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    IF break IS NULL OR note IS NULL OR pg_catalog.btrim(note) = '' THEN
        RAISE EXCEPTION 'qr_break_resolve needs a break and a note saying how it was resolved' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    RETURN @extschema@.qr_break_move(break, 'resolved', NULL, note);
END $$;

COMMENT ON FUNCTION @extschema@.qr_break_resolve(break bigint, note text) IS 'Closes a break as resolved, with a note saying how; closed_by and closed_at record who and when. Returns the break';

CREATE FUNCTION @extschema@.qr_break_summary(ledger regclass, statement regclass, time_window interval DEFAULT NULL::interval, amount_tolerance numeric DEFAULT NULL::numeric, time_zone text DEFAULT 'Asia/Shanghai'::text) RETURNS TABLE(provider text, day date, status text, rows bigint, ledger_amount numeric, statement_amount numeric)
    LANGUAGE sql STABLE PARALLEL RESTRICTED
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT d.provider, (coalesce(d.ledger_ts, d.statement_ts) AT TIME ZONE time_zone)::date, d.status,
           count(*), sum(d.ledger_amount), sum(d.statement_amount)
      FROM @extschema@.qr_reconcile_detail(ledger, statement, time_window, amount_tolerance) d
     WHERE ledger IS NOT NULL AND statement IS NOT NULL AND time_zone IS NOT NULL
     GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
$$;

COMMENT ON FUNCTION @extschema@.qr_break_summary(ledger regclass, statement regclass, time_window interval, amount_tolerance numeric, time_zone text) IS 'qr_reconcile''s outcomes counted and summed by provider, day (in time_zone) and status; NULL relations or time zone give no rows, a NULL window or tolerance is the settings''';

CREATE FUNCTION @extschema@.qr_break_write_off(break bigint, note text) RETURNS @extschema@.qr_recon_breaks
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    IF break IS NULL OR note IS NULL OR pg_catalog.btrim(note) = '' THEN
        RAISE EXCEPTION 'qr_break_write_off needs a break and a note saying why' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    RETURN @extschema@.qr_break_move(break, 'written_off', NULL, note);
END $$;

COMMENT ON FUNCTION @extschema@.qr_break_write_off(break bigint, note text) IS 'Closes a break as written off, with a note saying why: later runs that find the same difference leave it written off. Returns the break';

CREATE FUNCTION @extschema@.qr_catalog_audit() RETURNS trigger
    LANGUAGE c
    AS 'MODULE_PATHNAME', 'qr_catalog_audit';

COMMENT ON FUNCTION @extschema@.qr_catalog_audit() IS 'Trigger: appends each change of a catalog table to qr_catalog_audit, as the audit table''s owner, naming the role that made it';

CREATE FUNCTION @extschema@.qr_catalog_check() RETURNS text
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    mine text := (SELECT e.extversion FROM pg_extension e WHERE e.extname = 'qrpay');
    own text;
    bad text;
BEGIN
    SELECT min(n.fingerprint) FILTER (WHERE n.ordinality = 1),
           string_agg(format('%s:%s (%s)', n.node, n.port,
                             CASE WHEN n.fingerprint IS NULL THEN 'no qrpay, or it did not answer'
                                  WHEN n.version IS DISTINCT FROM mine THEN 'qrpay ' || n.version
                                  ELSE 'catalog ' || left(n.fingerprint, 12) END), ', ' ORDER BY n.ordinality)
                      FILTER (WHERE NOT n.matches)
      INTO own, bad
      FROM @extschema@.qr_catalog_nodes() WITH ORDINALITY n;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'qrpay catalog differs between nodes: % against this node''s catalog %', bad, left(own, 12)
              USING ERRCODE = 'object_not_in_prerequisite_state',
                    HINT = 'Those nodes would identify, route and reconcile codes differently. Run SELECT * FROM qr_catalog_sync() on the coordinator.';
    END IF;
    RETURN own;
END $$;

COMMENT ON FUNCTION @extschema@.qr_catalog_check() IS 'Raises 55000 naming every node whose qrpay version or catalog fingerprint differs from this node''s (the coordinator''s), or that cannot answer; else returns the fingerprint. Distributed reconciliation and clearing call it before they run';

-- Rows are compared as their jsonb text: keys in jsonb's own order (the
-- same whatever order the columns were added in), numbers with their
-- scale, ranges and times written in UTC and ISO style, whatever the
-- session's TimeZone, DateStyle or IntervalStyle.
CREATE FUNCTION @extschema@.qr_catalog_fingerprint() RETURNS text
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET "TimeZone" TO 'UTC'
    SET "DateStyle" TO 'ISO, YMD'
    SET "IntervalStyle" TO 'postgres'
    SET extra_float_digits TO '1'
    AS $$
DECLARE
    t text;
    part text;
    acc text := '';
BEGIN
    FOREACH t IN ARRAY @extschema@.qr_catalog_tables() LOOP
        EXECUTE format('SELECT string_agg(r, E''\n'' ORDER BY r COLLATE "C") FROM (SELECT to_jsonb(x)::text AS r FROM @extschema@.%I x) s', t)
           INTO part;
        acc := acc || t || E'\n' || coalesce(part, '') || E'\n';
    END LOOP;
    RETURN encode(sha256(convert_to(acc, 'UTF8')), 'hex');
END $$;

COMMENT ON FUNCTION @extschema@.qr_catalog_fingerprint() IS 'SHA-256 (hex) of the content of the catalog tables (qr_catalog_tables), shipped rows and your own: equal on two nodes exactly when their catalogs hold the same rows, whatever the session''s TimeZone, DateStyle or IntervalStyle. Compare it across nodes with qr_catalog_nodes or qr_catalog_check';

CREATE FUNCTION @extschema@.qr_catalog_guard() RETURNS trigger
    LANGUAGE c
    AS 'MODULE_PATHNAME', 'qr_catalog_guard';

COMMENT ON FUNCTION @extschema@.qr_catalog_guard() IS 'Trigger: keeps shipped catalog rows read-only and checks provider patterns when they are written';

CREATE FUNCTION @extschema@.qr_catalog_invalidate() RETURNS trigger
    LANGUAGE c
    AS 'MODULE_PATHNAME', 'qr_catalog_invalidate';

COMMENT ON FUNCTION @extschema@.qr_catalog_invalidate() IS 'Trigger: tells every session to reload its cached provider catalog when the change commits';

CREATE FUNCTION @extschema@.qr_catalog_load(snapshot jsonb) RETURNS text
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET "TimeZone" TO 'UTC'
    SET "DateStyle" TO 'ISO, YMD'
    SET "IntervalStyle" TO 'postgres'
    SET extra_float_digits TO '1'
    AS $_$
DECLARE
    tables constant text[] := @extschema@.qr_catalog_tables();
    t text;
    own text;
    mine text := (SELECT e.extversion FROM pg_extension e WHERE e.extname = 'qrpay');
    i int;
    result text;
BEGIN
    IF snapshot IS NULL OR jsonb_typeof(snapshot) <> 'object' THEN
        RAISE EXCEPTION 'qr_catalog_load needs a snapshot made by qr_catalog_snapshot()'
              USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF snapshot->>'version' IS DISTINCT FROM mine THEN
        RAISE EXCEPTION 'qr_catalog_load: the snapshot is of qrpay %, this node has %', snapshot->>'version', mine
              USING ERRCODE = 'object_not_in_prerequisite_state',
                    HINT = 'Update the extension to the same version on every node first (ALTER EXTENSION qrpay UPDATE on the coordinator).';
    END IF;
    FOREACH t IN ARRAY tables LOOP
        IF jsonb_typeof(snapshot->t) IS DISTINCT FROM 'array' THEN
            RAISE EXCEPTION 'qr_catalog_load: the snapshot has no rows for %', t
                  USING ERRCODE = 'invalid_parameter_value';
        END IF;
    END LOOP;
    -- rows shipped with qrpay are the same wherever the version is: only
    -- the others are deleted and inserted (a row that changed is both)
    FOR i IN REVERSE cardinality(tables) .. 1 LOOP
        t := tables[i];
        own := CASE WHEN EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = format('@extschema@.%I', t)::regclass
                                    AND a.attname = 'shipped' AND NOT a.attisdropped)
                    THEN 'NOT x.shipped AND ' ELSE '' END;
        EXECUTE format('DELETE FROM @extschema@.%I x WHERE %s NOT EXISTS (
                          SELECT FROM jsonb_array_elements($1) e WHERE e.value::text = to_jsonb(x)::text)', t, own)
          USING snapshot->t;
    END LOOP;
    FOREACH t IN ARRAY tables LOOP
        own := CASE WHEN EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = format('@extschema@.%I', t)::regclass
                                    AND a.attname = 'shipped' AND NOT a.attisdropped)
                    THEN 'AND NOT coalesce((e.value->>''shipped'')::boolean, false)' ELSE '' END;
        EXECUTE format('INSERT INTO @extschema@.%1$I SELECT (jsonb_populate_record(NULL::@extschema@.%1$I, e.value)).*
                          FROM jsonb_array_elements($1) e
                         WHERE NOT EXISTS (SELECT FROM @extschema@.%1$I x WHERE to_jsonb(x)::text = e.value::text) %2$s', t, own)
          USING snapshot->t;
    END LOOP;
    result := @extschema@.qr_catalog_fingerprint();
    IF result IS DISTINCT FROM snapshot->>'fingerprint' THEN
        RAISE EXCEPTION 'qr_catalog_load: after loading, this node''s catalog (fingerprint %) still differs from the snapshot''s (%)',
                        result, snapshot->>'fingerprint'
              USING ERRCODE = 'object_not_in_prerequisite_state',
                    HINT = 'The rows shipped with qrpay differ: check that every node runs the same qrpay version and that no shipped row was changed.';
    END IF;
    RETURN result;
END $_$;

COMMENT ON FUNCTION @extschema@.qr_catalog_load(snapshot jsonb) IS 'Makes this node''s catalog tables hold exactly the rows of a snapshot of qr_catalog_snapshot (of the same qrpay version): your own rows missing from it are deleted, the snapshot''s missing here are inserted, in one transaction, through the tables'' guards and audit. Returns the new fingerprint; raises 55000 when it does not equal the snapshot''s. qr_catalog_sync calls it on every worker';

-- The nodes of a Citus cluster, the coordinator first; one row for a
-- database without Citus
CREATE FUNCTION @extschema@.qr_catalog_nodes() RETURNS TABLE(node text, port integer, version text, fingerprint text, matches boolean)
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    mine text := (SELECT e.extversion FROM pg_extension e WHERE e.extname = 'qrpay');
    own text := @extschema@.qr_catalog_fingerprint();
    w record;
BEGIN
    node := 'localhost'; port := current_setting('port')::integer; version := mine; fingerprint := own; matches := true;
    IF NOT EXISTS (SELECT FROM pg_extension e WHERE e.extname = 'citus') THEN
        RETURN NEXT;
        RETURN;
    END IF;
    EXECUTE 'SELECT n.nodename, n.nodeport FROM pg_catalog.pg_dist_node n WHERE n.groupid = 0 LIMIT 1' INTO w;
    IF w IS NOT NULL THEN
        node := w.nodename; port := w.nodeport;
    END IF;
    RETURN NEXT;
    FOR w IN EXECUTE format('SELECT nodename, nodeport, success, result FROM pg_catalog.run_command_on_workers(%L) ORDER BY 1, 2',
                            'SELECT e.extversion || '' '' || ' || '@extschema@.qr_catalog_fingerprint() FROM pg_catalog.pg_extension e WHERE e.extname = ''qrpay''')
    LOOP
        node := w.nodename; port := w.nodeport;
        IF w.success AND w.result LIKE '% %' THEN
            version := split_part(w.result, ' ', 1);
            fingerprint := split_part(w.result, ' ', 2);
        ELSE
            version := NULL;
            fingerprint := NULL;
        END IF;
        matches := version IS NOT DISTINCT FROM mine AND fingerprint IS NOT DISTINCT FROM own;
        RETURN NEXT;
    END LOOP;
END $$;

COMMENT ON FUNCTION @extschema@.qr_catalog_nodes() IS 'Each node''s qrpay version and catalog fingerprint (qr_catalog_fingerprint), the node this runs on (the coordinator) first, then every active Citus worker, and whether it matches the coordinator''s. Without Citus, one row';

CREATE FUNCTION @extschema@.qr_catalog_snapshot() RETURNS jsonb
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET "TimeZone" TO 'UTC'
    SET "DateStyle" TO 'ISO, YMD'
    SET "IntervalStyle" TO 'postgres'
    SET extra_float_digits TO '1'
    AS $$
DECLARE
    t text;
    rows jsonb;
    snap jsonb;
BEGIN
    snap := jsonb_build_object('version', (SELECT e.extversion FROM pg_extension e WHERE e.extname = 'qrpay'),
                               'fingerprint', @extschema@.qr_catalog_fingerprint());
    FOREACH t IN ARRAY @extschema@.qr_catalog_tables() LOOP
        EXECUTE format('SELECT coalesce(jsonb_agg(to_jsonb(x) ORDER BY to_jsonb(x)::text COLLATE "C"), ''[]'') FROM @extschema@.%I x', t)
           INTO rows;
        snap := snap || jsonb_build_object(t, rows);
    END LOOP;
    RETURN snap;
END $$;

COMMENT ON FUNCTION @extschema@.qr_catalog_snapshot() IS 'The catalog tables'' rows as one jsonb object: the extension version, the fingerprint, and for each table of qr_catalog_tables an array of its rows. qr_catalog_load makes another node''s catalog equal to it';

CREATE FUNCTION @extschema@.qr_catalog_sync() RETURNS TABLE(node text, port integer, version text, fingerprint text, matches boolean)
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    coordinator boolean;
    failed text;
BEGIN
    IF EXISTS (SELECT FROM pg_extension e WHERE e.extname = 'citus') THEN
        EXECUTE 'SELECT pg_catalog.citus_is_coordinator()' INTO coordinator;
        IF coordinator IS NOT TRUE THEN
            RAISE EXCEPTION 'qr_catalog_sync runs on the coordinator'
                  USING ERRCODE = 'object_not_in_prerequisite_state',
                        HINT = 'The coordinator''s catalog is the one every worker gets.';
        END IF;
        -- one statement per worker: each loads the whole snapshot or nothing
        EXECUTE format('SELECT string_agg(format(''%%s:%%s: %%s'', nodename, nodeport, result), ''; '')
                          FROM pg_catalog.run_command_on_workers(%L) WHERE NOT success',
                       format('SELECT @extschema@.qr_catalog_load(%L::jsonb)', @extschema@.qr_catalog_snapshot()::text))
           INTO failed;
        IF failed IS NOT NULL THEN
            RAISE EXCEPTION 'qr_catalog_sync failed on %', failed
                  USING ERRCODE = 'object_not_in_prerequisite_state';
        END IF;
    END IF;
    RETURN QUERY SELECT * FROM @extschema@.qr_catalog_nodes();
END $$;

COMMENT ON FUNCTION @extschema@.qr_catalog_sync() IS 'On a Citus coordinator: gives every active worker the coordinator''s catalog (qr_catalog_snapshot loaded by qr_catalog_load, one transaction per worker), then returns qr_catalog_nodes. Run it after changing a catalog table; without Citus it only returns this node';

-- The tables whose rows decide what the functions answer, in the order
-- rows are inserted (referenced tables first); rows are deleted in the
-- reverse order.  Every role can read them, so every role can compare
-- them.  The audit tables are each node's own history; the statement
-- formats, batches and lines and the reconciliation runs belong to the
-- back office, on the coordinator, where statements are loaded.
CREATE FUNCTION @extschema@.qr_catalog_tables() RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$ SELECT ARRAY['qr_providers', 'qr_cities', 'qr_provider_patterns', 'qr_interop_rules', 'qr_fee_rates',
                   'qr_recon_settings', 'qr_recon_fee_rates', 'qr_fx_rates']::text[] $$;

COMMENT ON FUNCTION @extschema@.qr_catalog_tables() IS 'The catalog tables that decide what qrpay''s functions answer and that must be the same on every node of a cluster, in the order their rows are loaded: qr_providers, qr_cities, qr_provider_patterns, qr_interop_rules, qr_fee_rates, qr_recon_settings, qr_recon_fee_rates, qr_fx_rates (every role can read them; the statement formats belong to the back office on the coordinator)';

CREATE FUNCTION @extschema@.qr_check(text) RETURNS text
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'qr_check';

COMMENT ON FUNCTION @extschema@.qr_check(text) IS 'NULL when the payload is a valid payment_qr, else the error message its input would raise';

CREATE FUNCTION @extschema@.qr_city_references_check() RETURNS trigger
    LANGUAGE c
    AS 'MODULE_PATHNAME', 'qr_city_references_check';

COMMENT ON FUNCTION @extschema@.qr_city_references_check() IS 'Trigger: a city that rules name is neither deleted nor renamed';

CREATE FUNCTION @extschema@.qr_clearing(transactions regclass, time_zone text DEFAULT 'Asia/Shanghai'::text) RETURNS TABLE(settlement_day date, currency text, participant text, paid numeric, received numeric, fees numeric, net numeric)
    LANGUAGE plpgsql STABLE STRICT PARALLEL RESTRICTED
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    need constant text[] := ARRAY['ts', 'currency', 'amount', 'payer', 'network', 'via'];
    missing text;
    unrouted bigint;
    unbounded bigint;
    endless bigint;
    example text;
    distributed boolean := false;
    at_expr text;
BEGIN
    SELECT c INTO missing FROM unnest(need) WITH ORDINALITY u(c, i)
     WHERE NOT EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = transactions AND a.attname = u.c
                          AND a.attnum > 0 AND NOT a.attisdropped)
     ORDER BY u.i LIMIT 1;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION '% has no column "%"', transactions, missing
              USING ERRCODE = 'undefined_column',
                    HINT = format('It needs the columns %s (extra columns are ignored).', array_to_string(need, ', '));
    END IF;
    -- a payment without a payer, payee network, amount, currency or time has
    -- no one to credit or no day to land on; a NaN or infinite amount has no
    -- net, an infinite time no settlement day: refuse them rather than net
    -- them into a NULL participant, a NaN position or an endless settlement
    EXECUTE format('SELECT count(*) FILTER (WHERE x.payer IS NULL OR x.network IS NULL OR x.amount IS NULL
                                                  OR x.currency IS NULL OR x.ts IS NULL),
                           count(*) FILTER (WHERE x.amount::numeric IN (''NaN'', ''Infinity'', ''-Infinity'')),
                           count(*) FILTER (WHERE NOT isfinite(x.ts::timestamptz))
                      FROM %s x', transactions)
       INTO unrouted, unbounded, endless;
    IF unrouted > 0 THEN
        RAISE EXCEPTION 'qr_clearing: rows of % without a payer, network, amount, currency or time: %', transactions, unrouted
              USING ERRCODE = 'null_value_not_allowed',
                    HINT = 'Clear routed payments only: leave out the rows qr_route found no route for (status none).';
    END IF;
    IF unbounded > 0 THEN
        EXECUTE format('SELECT x::text FROM %s x WHERE x.amount::numeric IN (''NaN'', ''Infinity'', ''-Infinity'') LIMIT 1',
                       transactions) INTO example;
        RAISE EXCEPTION 'qr_clearing: rows of % with a NaN or infinite amount: %; the first is %', transactions, unbounded, example
              USING ERRCODE = 'numeric_value_out_of_range',
                    HINT = 'Amounts must be finite numbers; correct or leave out those rows.';
    END IF;
    IF endless > 0 THEN
        EXECUTE format('SELECT x::text FROM %s x WHERE NOT isfinite(x.ts::timestamptz) LIMIT 1', transactions) INTO example;
        RAISE EXCEPTION 'qr_clearing: rows of % with an infinite time: %; the first is %', transactions, endless, example
              USING ERRCODE = 'datetime_field_overflow',
                    HINT = 'A payment settles on the day it was made: give it its real time.';
    END IF;
    -- a fee is rounded to the minor unit of the payment's currency (JPY
    -- to yen, BHD to fils), to 4 decimals where ISO 4217 gives none
    IF EXISTS (SELECT FROM pg_extension e WHERE e.extname = 'citus') THEN
        EXECUTE 'SELECT EXISTS (SELECT FROM pg_catalog.pg_dist_partition p WHERE p.logicalrelid = $1)'
           INTO distributed USING transactions;
    END IF;
    IF distributed THEN
        -- on Citus: each worker prices its shards' payments from its own
        -- qr_fee_rates (so every node must hold the coordinator's) and sums
        -- them per day, currency, payer, network and via; the coordinator
        -- adds those sums up into the legs.  Sums of the same fees: the
        -- same positions to the last digit.
        PERFORM @extschema@.qr_catalog_check();
        -- a time without zone is this session's local time, as the cast
        -- below makes it on one node: the workers are told which zone
        SELECT CASE a.atttypid WHEN 'timestamp'::regtype THEN format('pg_catalog.timezone(%L, x.ts)', current_setting('TimeZone'))
                               WHEN 'date'::regtype THEN format('pg_catalog.timezone(%L, x.ts::timestamp)', current_setting('TimeZone'))
                               ELSE 'x.ts::timestamptz' END
          INTO at_expr
          FROM pg_attribute a WHERE a.attrelid = transactions AND a.attname = 'ts';
        RETURN QUERY EXECUTE format($q$
        WITH g AS (
            SELECT t.day, t.cur, t.payer, t.network, t.via, sum(t.amount) AS amount, sum(t.fee) AS fee,
                   count(*) FILTER (WHERE t.fee <> 0) AS charged
              FROM (SELECT (%2$s AT TIME ZONE $1)::date AS day, x.currency::text AS cur,
                           x.amount::numeric AS amount, x.payer::text AS payer, x.network::text AS network,
                           x.via::text AS via,
                           @extschema@.qr_clearing_fee(x.payer::text, x.network::text, x.via::text, %2$s,
                                                       x.amount::numeric, x.currency::text) AS fee
                      FROM %1$s x
                     WHERE x.payer IS DISTINCT FROM x.network) t
             GROUP BY 1, 2, 3, 4, 5
        ), legs AS (
            SELECT day, cur, payer AS who, amount AS paid, 0::numeric AS received, 0::numeric AS fees FROM g
            UNION ALL SELECT day, cur, network, 0, amount - fee, 0 FROM g
            UNION ALL SELECT day, cur, via, 0, 0, fee FROM g WHERE charged > 0
        )
        SELECT day, cur, who, sum(paid), sum(received), sum(fees), sum(received) + sum(fees) - sum(paid)
          FROM legs GROUP BY day, cur, who ORDER BY day, cur, who
        $q$, transactions, at_expr) USING time_zone;
        RETURN;
    END IF;
    RETURN QUERY EXECUTE format($q$
    WITH t AS (
        SELECT (x.ts::timestamptz AT TIME ZONE $1)::date AS day, x.currency::text AS cur, x.amount::numeric AS amount,
               x.payer::text AS payer, x.network::text AS network, x.via::text AS via,
               coalesce(@extschema@.qr_round_amount(x.amount * f.rate + f.fixed, x.currency::text), 0) AS fee
          FROM %1$s x
          LEFT JOIN LATERAL (SELECT r.rate, r.fixed FROM @extschema@.qr_fee_rates r
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
END $_$;

COMMENT ON FUNCTION @extschema@.qr_clearing(transactions regclass, time_zone text) IS 'Net positions per settlement day, currency and participant from routed transactions (ts, currency, amount, payer, network, via): payers pay the amount, the payee network receives it less the fee of qr_fee_rates (rounded to the minor unit of the currency, qr_round_amount), the via earns the fee; on-us rows (payer = network) move nothing. Positions of a day and currency sum to zero. Over a Citus distributed table the payments are priced and summed on the workers (after qr_catalog_check)';

CREATE FUNCTION @extschema@.qr_clearing_fee(payer text, payee text, via text, at timestamp with time zone, amount numeric, currency text) RETURNS numeric
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT coalesce((SELECT @extschema@.qr_round_amount(amount * r.rate + r.fixed, currency)
                       FROM @extschema@.qr_fee_rates r
                      WHERE r.payer = qr_clearing_fee.payer AND r.payee = qr_clearing_fee.payee
                        AND r.via = qr_clearing_fee.via AND r.valid_during @> at
                      ORDER BY lower(r.valid_during) DESC NULLS LAST LIMIT 1), 0)
$$;

COMMENT ON FUNCTION @extschema@.qr_clearing_fee(payer text, payee text, via text, at timestamp with time zone, amount numeric, currency text) IS 'The fee qr_clearing charges on one payment: the qr_fee_rates row of the payer, payee network and via valid at that time (the latest starting one) applied to the amount (rate times amount plus fixed), rounded to the minor unit of the currency; 0 without a rate';

CREATE FUNCTION @extschema@.qr_conformance(payload text, OUT severity text, OUT path text, OUT message text) RETURNS SETOF record
    LANGUAGE c IMMUTABLE STRICT ROWS 3 PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'qr_conformance';

COMMENT ON FUNCTION @extschema@.qr_conformance(payload text, OUT severity text, OUT path text, OUT message text) IS 'Every deviation from strict EMVCo MPM of an accepted payload (warning, info), or the error of a rejected one';

CREATE FUNCTION @extschema@.qr_contains(code @extschema@.payment_qr, fields jsonb) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'qr_contains';

COMMENT ON FUNCTION @extschema@.qr_contains(code @extschema@.payment_qr, fields jsonb) IS 'Does the code hold every path: "value" pair of the object (nested objects extend the path, as qr_to_jsonb nests)? The @> operator';

CREATE FUNCTION @extschema@.qr_country(@extschema@.payment_qr) RETURNS text
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'qr_country';

COMMENT ON FUNCTION @extschema@.qr_country(@extschema@.payment_qr) IS 'ISO 3166-1 alpha-2 country: EMVCo tag 58, Swiss creditor country, the IBAN country of EPC/SPAYD/BezahlCode, IN for UPI';

CREATE FUNCTION @extschema@.qr_csv_fields(line text, delimiter text DEFAULT ','::text) RETURNS text[]
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'qr_csv_fields';

COMMENT ON FUNCTION @extschema@.qr_csv_fields(line text, delimiter text) IS 'The fields of one CSV line (RFC 4180 quoting, "" for a quote)';

CREATE FUNCTION @extschema@.qr_currency(@extschema@.payment_qr) RETURNS text
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'qr_currency';

COMMENT ON FUNCTION @extschema@.qr_currency(@extschema@.payment_qr) IS 'ISO 4217 alphabetic currency: EMVCo tag 53 (the number if the code is unknown), EUR for EPC, Swiss/SPAYD/BezahlCode currency, UPI cu (INR when absent)';

CREATE FUNCTION @extschema@.qr_emv(fields jsonb) RETURNS @extschema@.payment_qr
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'qr_emv';

COMMENT ON FUNCTION @extschema@.qr_emv(fields jsonb) IS 'An EMVCo merchant-presented code from the shape qr_to_jsonb returns: ids in ascending order, lengths in characters, the CRC computed; validated like input (22P02 naming the bad field)';

CREATE FUNCTION @extschema@.qr_emv_merge(codes @extschema@.payment_qr[]) RETURNS @extschema@.payment_qr
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'qr_emv_merge';

COMMENT ON FUNCTION @extschema@.qr_emv_merge(codes @extschema@.payment_qr[]) IS 'One code carrying the merchant accounts (02-51) of several EMVCo codes of one merchant, in id order, the other objects from the first: the universal code of INTEROP F12';

CREATE FUNCTION @extschema@.qr_exists(code @extschema@.payment_qr, path text) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'qr_exists';

COMMENT ON FUNCTION @extschema@.qr_exists(code @extschema@.payment_qr, path text) IS 'Does the code have a field at the path? The ? operator';

CREATE FUNCTION @extschema@.qr_exists_all(code @extschema@.payment_qr, paths text[]) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'qr_exists_all';

COMMENT ON FUNCTION @extschema@.qr_exists_all(code @extschema@.payment_qr, paths text[]) IS 'Does the code have a field at every one of the paths? The ?& operator';

CREATE FUNCTION @extschema@.qr_exists_any(code @extschema@.payment_qr, paths text[]) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'qr_exists_any';

COMMENT ON FUNCTION @extschema@.qr_exists_any(code @extschema@.payment_qr, paths text[]) IS 'Does the code have a field at any of the paths? The ?| operator';

CREATE FUNCTION @extschema@.qr_format(@extschema@.payment_qr) RETURNS text
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'qr_format';

COMMENT ON FUNCTION @extschema@.qr_format(@extschema@.payment_qr) IS 'Payload format: emv_mpm (EMVCo merchant-presented mode)';

CREATE FUNCTION @extschema@.qr_get(code @extschema@.payment_qr, path text) RETURNS text
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'qr_get';

COMMENT ON FUNCTION @extschema@.qr_get(code @extschema@.payment_qr, path text) IS 'Value at a path, for every format: EMVCo "59", "26.00", "62.50.00"; CPM hex tags "61.4F"; named fields "iban", "creditor.name", "query.pr", "pa"; NULL when absent';

CREATE FUNCTION @extschema@.qr_html(value text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(
               coalesce(value, ''), '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), '"', '&quot;'), '''', '&#39;')
$$;

COMMENT ON FUNCTION @extschema@.qr_html(value text) IS 'Text escaped for HTML (& < > " and '' as entities); NULL gives the empty string';

CREATE FUNCTION @extschema@.qr_identifiers(code @extschema@.payment_qr, OUT kind text, OUT value text, OUT country text) RETURNS SETOF record
    LANGUAGE c IMMUTABLE STRICT ROWS 4 PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'qr_identifiers';

COMMENT ON FUNCTION @extschema@.qr_identifiers(code @extschema@.payment_qr, OUT kind text, OUT value text, OUT country text) IS 'What provider patterns are matched against, in payload order: (kind, value, country) with kind format, emv_tag, emv_guid, cpm_aid, url, payment_code or bic';

CREATE FUNCTION @extschema@.qr_interop_share(codes regclass, at timestamp with time zone DEFAULT now(), region text DEFAULT NULL::text, scenario text DEFAULT 'offline'::text) RETURNS TABLE(payer text, codes_total bigint, payable bigint, share numeric, volume_total numeric, payable_volume numeric, volume_share numeric)
    LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    amount text;
    distributed boolean := false;
BEGIN
    IF codes IS NULL OR at IS NULL OR scenario IS NULL THEN
        RAISE EXCEPTION 'qr_interop_share needs a relation, a time and a scenario (a NULL region means each code''s own city)'
              USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF NOT EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = codes AND a.attname = 'code'
                      AND a.attnum > 0 AND NOT a.attisdropped) THEN
        RAISE EXCEPTION '% has no column "code"', codes
              USING ERRCODE = 'undefined_column', HINT = 'It needs a payment_qr column "code" (an amount column is optional).';
    END IF;
    -- the volume columns are filled when the relation has an amount column
    amount := CASE WHEN EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = codes AND a.attname = 'amount'
                                   AND a.attnum > 0 AND NOT a.attisdropped)
                   THEN 'c.amount::numeric' ELSE 'NULL::numeric' END;
    -- the payers are the coordinator's providers, passed as an array: on
    -- Citus the query then runs on the workers, each routing with its own
    -- copy of the catalog (checked equal first)
    IF EXISTS (SELECT FROM pg_extension e WHERE e.extname = 'citus') THEN
        EXECUTE 'SELECT EXISTS (SELECT FROM pg_catalog.pg_dist_partition p WHERE p.logicalrelid = $1)'
           INTO distributed USING codes;
        IF distributed THEN
            PERFORM @extschema@.qr_catalog_check();
        END IF;
    END IF;
    RETURN QUERY EXECUTE format($q$
        SELECT p.code, count(*), count(*) FILTER (WHERE a.ok),
               round(count(*) FILTER (WHERE a.ok)::numeric / nullif(count(*), 0), 4),
               sum(%2$s), CASE WHEN sum(%2$s) IS NOT NULL THEN coalesce(sum(%2$s) FILTER (WHERE a.ok), 0) END,
               round(coalesce(sum(%2$s) FILTER (WHERE a.ok), 0) / nullif(sum(%2$s), 0), 4)
          FROM %1$s c CROSS JOIN unnest($4) p(code),
               LATERAL @extschema@.qr_accepts(c.code, p.code, $1, $2, $3) a(ok)
         GROUP BY p.code ORDER BY 4 DESC, 1
    $q$, codes, amount) USING at, region, scenario, (SELECT array_agg(r.code) FROM @extschema@.qr_providers r);
END $_$;

COMMENT ON FUNCTION @extschema@.qr_interop_share(codes regclass, at timestamp with time zone, region text, scenario text) IS 'For every provider, the share of the codes (a relation with a payment_qr column "code") it could pay at that time, in that region and scenario (qr_accepts); when the relation has an amount column, the share of the volume too. On a Citus distributed table the codes are routed on the workers (after qr_catalog_check)';

CREATE FUNCTION @extschema@.qr_is_dynamic(@extschema@.payment_qr) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'qr_is_dynamic';

COMMENT ON FUNCTION @extschema@.qr_is_dynamic(@extschema@.payment_qr) IS 'EMVCo point of initiation 12 (dynamic) vs 11 (static); true for one-time consumer codes (CPM, China payment codes); NULL when the code does not say';

CREATE FUNCTION @extschema@.qr_is_valid(text) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'qr_is_valid';

COMMENT ON FUNCTION @extschema@.qr_is_valid(text) IS 'true when the payload is a valid payment_qr';

CREATE FUNCTION @extschema@.qr_match(ledger regclass, statement regclass, settings jsonb DEFAULT NULL::jsonb) RETURNS TABLE(status text, ledger_txn text, statement_txn text, amount_diff numeric, reason text, provider text, ledger_ts timestamp with time zone, statement_ts timestamp with time zone, ledger_amount numeric, statement_amount numeric, ledger_currency text, statement_currency text, group_id bigint, candidates text[], original_txn text, net_amount numeric, fee numeric, expected_fee numeric, fx_rate numeric)
    LANGUAGE c STABLE PARALLEL RESTRICTED
    AS 'MODULE_PATHNAME', 'qr_match';

COMMENT ON FUNCTION @extschema@.qr_match(ledger regclass, statement regclass, settings jsonb) IS 'Reconciles a ledger against a provider statement (both with txn_id, provider, reference, amount, currency, ts; optional parent_reference, kind, statement fee, ledger context) under each provider''s settings (qr_recon_settings, overridden by settings): groups by reference and parent reference (matched_group), refunds against their original (refund_matched, refund_orphan, net_amount), fees against qr_recon_fee_rates (fee_mismatch), other currencies through qr_fx_rates (fx_difference), rows without a key by amount and nearest time, ties never guessed (ambiguous, with the candidates), then sets that add up. Every row but context rows in exactly one result row; the result does not depend on work_mem';

CREATE FUNCTION @extschema@.qr_match_key(provider text, reference text, parent_reference text) RETURNS text
    LANGUAGE c IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'qr_match_key';

COMMENT ON FUNCTION @extschema@.qr_match_key(provider text, reference text, parent_reference text) IS 'The key every row qr_match can link shares: the parent reference, else the reference, else (for a row without one) the provider. Distribute a ledger and its statement by a column holding it, co-located, and qr_match runs on each shard group (under a provider''s keys that leave out references, rows are keyed as those keys say)';

-- qr_match on one shard group, for the coordinator.  Its rows travel as
-- one text value (what Citus's run_command functions carry): the largest
-- group id, then one line per row, the row's first width columns in the
-- text form of a row, times as microseconds since 2000-01-01 UTC (so that
-- no DateStyle or zone abbreviation stands between the nodes).  The
-- coordinator's styles are set for the transaction, so that the reasons
-- read as they would there.
CREATE FUNCTION @extschema@.qr_match_shard(ledger regclass, statement regclass, settings jsonb, width integer, styles text[]) RETURNS text
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    i int;
    top bigint;
    rows text;
BEGIN
    IF ledger IS NULL OR statement IS NULL OR width IS NULL THEN
        RAISE EXCEPTION 'qr_match_shard needs a ledger, a statement and a width'
              USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF width NOT IN (5, 10, 19) THEN
        RAISE EXCEPTION 'qr_match_shard sends 5, 10 or 19 columns, not %', width
              USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOR i IN 1 .. coalesce(cardinality(styles), 0) / 2 LOOP
        IF styles[2 * i - 1] NOT IN ('TimeZone', 'DateStyle', 'IntervalStyle') THEN
            RAISE EXCEPTION 'qr_match_shard sets TimeZone, DateStyle and IntervalStyle only, not %', styles[2 * i - 1]
                  USING ERRCODE = 'invalid_parameter_value';
        END IF;
        PERFORM set_config(styles[2 * i - 1], styles[2 * i], true);
    END LOOP;
    SELECT max(m.group_id),
           string_agg(CASE width
                      WHEN 5 THEN ROW(m.status, m.ledger_txn, m.statement_txn, m.amount_diff, m.reason)::text
                      WHEN 10 THEN ROW(m.status, m.ledger_txn, m.statement_txn, m.amount_diff, m.reason, m.provider,
                                       ((extract(epoch FROM m.ledger_ts) - 946684800) * 1000000)::bigint,
                                       ((extract(epoch FROM m.statement_ts) - 946684800) * 1000000)::bigint,
                                       m.ledger_amount, m.statement_amount)::text
                      ELSE ROW(m.status, m.ledger_txn, m.statement_txn, m.amount_diff, m.reason, m.provider,
                               ((extract(epoch FROM m.ledger_ts) - 946684800) * 1000000)::bigint,
                               ((extract(epoch FROM m.statement_ts) - 946684800) * 1000000)::bigint,
                               m.ledger_amount, m.statement_amount, m.ledger_currency, m.statement_currency,
                               m.group_id, m.candidates, m.original_txn, m.net_amount, m.fee, m.expected_fee,
                               m.fx_rate)::text END,
                      E'\n')
      INTO top, rows
      FROM @extschema@.qr_match(ledger, statement, settings) m;
    RETURN coalesce(top, 0) || E'\n' || coalesce(rows, '');
END $$;

COMMENT ON FUNCTION @extschema@.qr_match_shard(ledger regclass, statement regclass, settings jsonb, width integer, styles text[]) IS 'Run by qr_match on each worker for one shard group: qr_match over a ledger shard and its co-located statement shard, under the coordinator''s TimeZone, DateStyle and IntervalStyle (styles: name, value, ...), as text: the largest group_id, then one line per row holding its first width columns (5, 10 or 19) as a row''s text, times as microseconds since 2000-01-01 UTC';

CREATE FUNCTION @extschema@.qr_mcc(@extschema@.payment_qr) RETURNS text
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'qr_mcc';

COMMENT ON FUNCTION @extschema@.qr_mcc(@extschema@.payment_qr) IS 'Merchant category code, ISO 18245 (EMVCo tag 52)';

CREATE FUNCTION @extschema@.qr_merchant_city(@extschema@.payment_qr) RETURNS text
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'qr_merchant_city';

COMMENT ON FUNCTION @extschema@.qr_merchant_city(@extschema@.payment_qr) IS 'Merchant city: EMVCo tag 60, Swiss creditor town';

CREATE FUNCTION @extschema@.qr_merchant_name(@extschema@.payment_qr) RETURNS text
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'qr_merchant_name';

COMMENT ON FUNCTION @extschema@.qr_merchant_name(@extschema@.payment_qr) IS 'Merchant or payee name: EMVCo tag 59, EPC/BezahlCode name, Swiss creditor name, UPI pn, SPAYD RN';

-- currency minor units (ISO 4217) and rounding to them
CREATE FUNCTION @extschema@.qr_minor_unit(currency text) RETURNS integer
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'qr_minor_unit';

COMMENT ON FUNCTION @extschema@.qr_minor_unit(currency text) IS 'Decimals of the minor unit of a currency by ISO 4217 (list one), given by its alphabetic code in either case or its 3-digit numeric code: 0 for JPY, 2 for CNY, 3 for BHD, 4 for CLF; NULL for an unknown code and where the list gives none (N.A.: XAU, XDR, XTS, ...)';

CREATE FUNCTION @extschema@.qr_networks(code @extschema@.payment_qr) RETURNS text[]
    LANGUAGE c STABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'qr_networks';

COMMENT ON FUNCTION @extschema@.qr_networks(code @extschema@.payment_qr) IS 'Every provider the code belongs to or accepts, in payload order, from the qr_provider_patterns catalog (cached per session, reloaded when the catalog changes)';

-- two sides' rows paired one to one by nearest time (src/core/qr_pair.c);
-- qr_reconcile pairs its rows without a reference the same way
CREATE FUNCTION @extschema@.qr_pair_by_time(sides text[], ids text[], times timestamp with time zone[], time_window interval) RETURNS TABLE(ledger_txn text, statement_txn text, apart interval)
    LANGUAGE c IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'qr_pair_by_time';

COMMENT ON FUNCTION @extschema@.qr_pair_by_time(sides text[], ids text[], times timestamp with time zone[], time_window interval) IS 'Pairs ledger and statement rows one-to-one by nearest time within the window (closest pair first, no row reused); unpaired rows come back with the other side NULL. sides[i] is ''ledger'' or ''statement'' for ids[i] at times[i]';

CREATE FUNCTION @extschema@.qr_png(code @extschema@.payment_qr, module_px integer DEFAULT 4, margin integer DEFAULT 4, ecc text DEFAULT 'M'::text) RETURNS bytea
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'qr_png';

COMMENT ON FUNCTION @extschema@.qr_png(code @extschema@.payment_qr, module_px integer, margin integer, ecc text) IS 'The QR symbol as a 1-bit PNG (libqrencode, libpng)';

CREATE FUNCTION @extschema@.qr_provider(code @extschema@.payment_qr) RETURNS text
    LANGUAGE c STABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'qr_provider';

COMMENT ON FUNCTION @extschema@.qr_provider(code @extschema@.payment_qr) IS 'The code''s primary provider: the first of qr_networks, NULL when no catalog pattern matches';

CREATE FUNCTION @extschema@.qr_recon_audit() RETURNS trigger
    LANGUAGE c
    AS 'MODULE_PATHNAME', 'qr_recon_audit';

COMMENT ON FUNCTION @extschema@.qr_recon_audit() IS 'Trigger: appends each change of a back-office table (statement formats and batches, runs, breaks, reconciliation settings and rates) to qr_recon_audit, as the audit table''s owner, naming the role that made it';

-- The run proper, over pg_temp.qr_recon_run$ledger (txn_id, provider,
-- reference, parent_reference, kind, context, amount, currency, ts) and
-- pg_temp.qr_recon_run$statement (txn_id, provider, reference,
-- parent_reference, kind, amount, fee, currency, ts, and the line's batch,
-- line and provider id as stxn) that qr_recon_run filled: refunds of a
-- ledger without parent references linked, qr_match's outcomes under the
-- run's settings, breaks carried over, opened and closed, the results
-- written.
CREATE FUNCTION @extschema@.qr_recon_execute(run bigint, ledger_parents boolean) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    override jsonb;
    nl bigint;
    ns bigint;
BEGIN
    IF run IS NULL OR ledger_parents IS NULL THEN
        RAISE EXCEPTION 'qr_recon_execute needs a run and whether its ledger has parent references'
              USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT r.settings -> 'override' INTO override FROM @extschema@.qr_recon_runs r
     WHERE r.id = run AND r.status = 'running' AND r.xact = pg_catalog.pg_current_xact_id();
    IF NOT FOUND OR pg_catalog.to_regclass('pg_temp.qr_recon_run$ledger') IS NULL
       OR pg_catalog.to_regclass('pg_temp.qr_recon_run$statement') IS NULL THEN
        RAISE EXCEPTION 'qr_recon_execute is called by qr_recon_run' USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    -- a ledger without parent references: its row under a statement
    -- refund's own reference is that refund, of the order the statement names
    IF NOT ledger_parents THEN
        UPDATE pg_temp.qr_recon_run$ledger x SET parent_reference = s.parent_reference, kind = coalesce(x.kind, 'refund')
          FROM (SELECT DISTINCT ON (y.provider, y.reference) y.provider, y.reference, y.parent_reference
                  FROM pg_temp.qr_recon_run$statement y
                 WHERE y.reference IS NOT NULL AND y.parent_reference IS NOT NULL
                   AND (y.kind IN ('refund', 'reversal', 'chargeback') OR (y.kind IS NULL AND y.amount < 0))
                 ORDER BY y.provider, y.reference, y.txn_id) s
         WHERE s.provider = x.provider AND s.reference = x.reference AND NOT x.context;
    END IF;
    -- planned on their real sizes: temporary tables have no statistics
    -- until analyzed, and the joins below would nest loops over them
    ANALYZE pg_temp.qr_recon_run$ledger;
    ANALYZE pg_temp.qr_recon_run$statement;
    SELECT count(*) INTO nl FROM pg_temp.qr_recon_run$ledger x WHERE NOT x.context;
    SELECT count(*) INTO ns FROM pg_temp.qr_recon_run$statement;

    IF pg_catalog.to_regclass('pg_temp.qr_recon_run$outcome') IS NOT NULL THEN
        DROP TABLE pg_temp.qr_recon_run$outcome;
    END IF;
    CREATE TEMP TABLE qr_recon_run$outcome ON COMMIT DROP AS
    SELECT pg_catalog.row_number() OVER (ORDER BY coalesce(d.ledger_ts, d.statement_ts), d.ledger_txn, d.statement_txn)::int AS seq,
           d.status, d.provider, d.ledger_txn, s.stxn AS statement_txn, s.batch, s.line,
           coalesce(d.ledger_currency, d.statement_currency) AS currency, d.statement_currency,
           d.amount_diff, d.reason, d.ledger_ts, d.statement_ts, d.ledger_amount, d.statement_amount,
           d.group_id, d.candidates, d.original_txn, d.net_amount, d.fee, d.expected_fee, d.fx_rate,
           -- the row a break is about, if the outcome is one
           CASE WHEN d.status IN ('matched', 'matched_group', 'refund_matched') THEN NULL
                WHEN d.ledger_txn IS NOT NULL THEN 'ledger' ELSE 'statement' END AS side,
           CASE WHEN d.status IN ('matched', 'matched_group', 'refund_matched') THEN NULL
                ELSE coalesce(d.ledger_txn, s.stxn) END AS txn,
           CASE WHEN d.ledger_txn IS NOT NULL THEN l.reference ELSE s.reference END AS reference,
           NULL::bigint AS break
      FROM @extschema@.qr_match('pg_temp.qr_recon_run$ledger', 'pg_temp.qr_recon_run$statement', override) d
      LEFT JOIN pg_temp.qr_recon_run$statement s ON s.txn_id = d.statement_txn
      LEFT JOIN (SELECT DISTINCT ON (x.txn_id) x.txn_id, x.reference FROM pg_temp.qr_recon_run$ledger x
                  ORDER BY x.txn_id, x.context, x.reference) l ON l.txn_id = d.ledger_txn;

    CREATE INDEX ON pg_temp.qr_recon_run$outcome (provider, side, txn);
    ANALYZE pg_temp.qr_recon_run$outcome;

    -- breaks this run examined and no longer finds: resolved by this run
    UPDATE @extschema@.qr_recon_breaks b
       SET status = 'resolved', closed_run = run,
           note = coalesce(b.note || E'\n', '') || pg_catalog.format('resolved by run %s: %s', run, o.status)
      FROM (SELECT DISTINCT ON (x.provider, x.side, x.txn) x.provider, x.side, x.txn, x.status
              FROM (SELECT provider, 'ledger' AS side, ledger_txn AS txn, status FROM pg_temp.qr_recon_run$outcome WHERE ledger_txn IS NOT NULL
                    UNION ALL
                    SELECT provider, 'statement', statement_txn, status FROM pg_temp.qr_recon_run$outcome WHERE statement_txn IS NOT NULL) x
             ORDER BY x.provider, x.side, x.txn, x.status NOT IN ('matched', 'matched_group', 'refund_matched')) o
     WHERE b.status IN ('open', 'assigned') AND b.provider = o.provider AND b.side = o.side AND b.txn = o.txn
       AND NOT EXISTS (SELECT FROM pg_temp.qr_recon_run$outcome u
                        WHERE u.side = b.side AND u.provider = b.provider AND u.txn = b.txn);

    -- a statement break whose file was superseded or withdrawn, and which
    -- no file in force lists any more (the run would have read it):
    -- resolved by this run, the first to run without it
    UPDATE @extschema@.qr_recon_breaks b
       SET status = 'resolved', closed_run = run,
           note = coalesce(b.note || E'\n', '') || pg_catalog.format('resolved by run %s: batch %s, which listed it, is %s and no batch in force lists it',
                                                                   run, b.batch, x.status)
      FROM @extschema@.qr_statement_batches x
     WHERE b.status IN ('open', 'assigned') AND b.side = 'statement' AND x.id = b.batch
       AND x.status IN ('superseded', 'withdrawn')
       AND b.provider = ANY ((SELECT r.providers FROM @extschema@.qr_recon_runs r WHERE r.id = run)::text[])
       AND NOT EXISTS (SELECT FROM pg_temp.qr_recon_run$outcome u
                        WHERE u.provider = b.provider AND u.statement_txn = b.txn);

    -- breaks still found: the open one carried over, a written-off one
    -- left so, else a new one
    UPDATE pg_temp.qr_recon_run$outcome u SET break = w.id
      FROM @extschema@.qr_recon_breaks w
     WHERE u.side IS NOT NULL AND w.status = 'written_off' AND w.provider = u.provider AND w.side = u.side
       AND w.txn = u.txn AND w.kind = u.status;
    INSERT INTO @extschema@.qr_recon_breaks AS b (provider, side, txn, reference, kind, ledger_txn, statement_txn, batch,
                                                 line, currency, amount, txn_at, opened_run, last_run)
    SELECT DISTINCT ON (u.provider, u.side, u.txn)
           u.provider, u.side, u.txn, u.reference, u.status, u.ledger_txn, u.statement_txn, u.batch, u.line, u.currency,
           pg_catalog.abs(CASE WHEN u.status = 'fee_mismatch' THEN u.fee - u.expected_fee
                               WHEN u.status IN ('amount_mismatch', 'fx_difference') THEN u.amount_diff
                               ELSE coalesce(u.ledger_amount, u.statement_amount) END),
           coalesce(u.ledger_ts, u.statement_ts), run, run
      FROM pg_temp.qr_recon_run$outcome u
     WHERE u.side IS NOT NULL AND u.break IS NULL
     ORDER BY u.provider, u.side, u.txn, u.seq
    ON CONFLICT (provider, side, txn) WHERE status IN ('open', 'assigned') DO UPDATE
       SET kind = excluded.kind, ledger_txn = excluded.ledger_txn, statement_txn = excluded.statement_txn,
           batch = excluded.batch, line = excluded.line, currency = excluded.currency, amount = excluded.amount,
           txn_at = excluded.txn_at, last_run = run
     WHERE (b.kind, b.ledger_txn, b.statement_txn, b.batch, b.line, b.currency, b.amount, b.txn_at, b.last_run)
           IS DISTINCT FROM (excluded.kind, excluded.ledger_txn, excluded.statement_txn, excluded.batch, excluded.line,
                             excluded.currency, excluded.amount, excluded.txn_at, run);
    UPDATE pg_temp.qr_recon_run$outcome u SET break = b.id
      FROM @extschema@.qr_recon_breaks b
     WHERE u.side IS NOT NULL AND u.break IS NULL AND b.status IN ('open', 'assigned') AND b.provider = u.provider
       AND b.side = u.side AND b.txn = u.txn;

    INSERT INTO @extschema@.qr_recon_results (run, seq, status, provider, ledger_txn, statement_txn, batch, line, currency,
                                              amount_diff, reason, ledger_ts, statement_ts, ledger_amount, statement_amount, break,
                                              statement_currency, group_id, candidates, original_txn, net_amount, fee,
                                              expected_fee, fx_rate)
    SELECT run, u.seq, u.status, u.provider, u.ledger_txn, u.statement_txn, u.batch, u.line, u.currency, u.amount_diff,
           u.reason, u.ledger_ts, u.statement_ts, u.ledger_amount, u.statement_amount, u.break,
           u.statement_currency, u.group_id, u.candidates, u.original_txn, u.net_amount, u.fee, u.expected_fee, u.fx_rate
      FROM pg_temp.qr_recon_run$outcome u;

    UPDATE @extschema@.qr_recon_runs r
       SET status = 'done', finished_at = pg_catalog.clock_timestamp(), ledger_rows = nl, statement_rows = ns,
           outcomes = (SELECT coalesce(pg_catalog.jsonb_object_agg(c.status, c.n), '{}')
                         FROM (SELECT u.status, count(*) AS n FROM pg_temp.qr_recon_run$outcome u GROUP BY u.status) c)
     WHERE r.id = run;
    DROP TABLE pg_temp.qr_recon_run$outcome;
    DROP TABLE pg_temp.qr_recon_run$ledger;
    DROP TABLE pg_temp.qr_recon_run$statement;
END $_$;

COMMENT ON FUNCTION @extschema@.qr_recon_execute(run bigint, ledger_parents boolean) IS 'Internal to qr_recon_run: reconciles the rows it gathered with qr_match under the run''s settings (a ledger without parent references, ledger_parents false, has its row under a statement refund''s own reference taken as that refund), carries breaks over, opens and closes them, and writes the run''s results';

-- A run is written by the transaction that started it, and is final once
-- done; a result row belongs to a run its own transaction is writing; a
-- break moves open -> assigned -> resolved | written_off and closes once.
CREATE FUNCTION @extschema@.qr_recon_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    stray bigint;
BEGIN
    IF TG_TABLE_SCHEMA <> '@extschema@'
       OR NOT ((TG_TABLE_NAME = 'qr_recon_runs' AND TG_WHEN = 'BEFORE' AND TG_LEVEL = 'ROW' AND TG_OP IN ('INSERT', 'UPDATE', 'DELETE'))
            OR (TG_TABLE_NAME = 'qr_recon_results' AND TG_WHEN = 'AFTER' AND TG_LEVEL = 'STATEMENT' AND TG_OP = 'INSERT')
            OR (TG_TABLE_NAME = 'qr_recon_breaks' AND TG_WHEN = 'BEFORE' AND TG_LEVEL = 'ROW' AND TG_OP IN ('INSERT', 'UPDATE'))) THEN
        RAISE EXCEPTION 'trigger "%" on %.% cannot call qr_recon_guard(): it serves qr_recon_runs, qr_recon_results and qr_recon_breaks as the extension attached it',
              TG_NAME, TG_TABLE_SCHEMA, TG_TABLE_NAME
              USING ERRCODE = 'wrong_object_type',
                    HINT = 'Drop the trigger; the extension attaches its trigger functions to its tables itself.';
    END IF;
    -- rows a superuser inserts are taken as they are: pg_restore loads
    -- runs, results and breaks back so (a superuser could disable the
    -- trigger anyway); changes are checked for every role
    IF TG_OP = 'INSERT' AND (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = current_user) THEN
        RETURN NEW;
    END IF;
    IF TG_TABLE_NAME = 'qr_recon_runs' THEN
        IF TG_OP = 'INSERT' THEN
            NEW.status := 'running';
            NEW.xact := pg_catalog.pg_current_xact_id();
            NEW.started_by := current_user;
            NEW.session_role := session_user;
            NEW.started_at := pg_catalog.clock_timestamp();
            NEW.finished_at := NULL;
            RETURN NEW;
        END IF;
        IF TG_OP = 'DELETE' OR OLD.status <> 'running' OR OLD.xact <> pg_catalog.pg_current_xact_id()
           OR (NEW.id, NEW.started_at, NEW.started_by, NEW.session_role, NEW.ledger, NEW.statement, NEW.batches,
               NEW.providers, NEW.settings, NEW.xact)
              IS DISTINCT FROM (OLD.id, OLD.started_at, OLD.started_by, OLD.session_role, OLD.ledger, OLD.statement,
                                OLD.batches, OLD.providers, OLD.settings, OLD.xact) THEN
            RAISE EXCEPTION 'run % is final: % refused', OLD.id, TG_OP
                  USING ERRCODE = 'object_not_in_prerequisite_state',
                        HINT = 'A run is written by the transaction of qr_recon_run; start a new run instead.';
        END IF;
        RETURN NEW;
    END IF;
    IF TG_TABLE_NAME = 'qr_recon_results' THEN
        SELECT n.run INTO stray FROM new_results n
         WHERE NOT EXISTS (SELECT FROM @extschema@.qr_recon_runs r
                            WHERE r.id = n.run AND r.status = 'running' AND r.xact = pg_catalog.pg_current_xact_id())
         LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'results of run % refused: only the transaction running it writes them', stray
                  USING ERRCODE = 'object_not_in_prerequisite_state',
                        HINT = 'Results are written by qr_recon_run.';
        END IF;
        RETURN NULL;
    END IF;
    -- qr_recon_breaks
    IF TG_OP = 'INSERT' THEN
        IF NEW.status <> 'open' OR NEW.closed_at IS NOT NULL OR NEW.closed_run IS NOT NULL
           OR NOT EXISTS (SELECT FROM @extschema@.qr_recon_runs r WHERE r.id = NEW.opened_run AND r.status = 'running'
                             AND r.xact = pg_catalog.pg_current_xact_id()) THEN
            RAISE EXCEPTION 'breaks are opened by runs' USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'qr_recon_run opens the breaks it finds.';
        END IF;
        RETURN NEW;
    END IF;
    IF OLD.status IN ('resolved', 'written_off') THEN
        RAISE EXCEPTION 'break % is % and stays closed', OLD.id, pg_catalog.replace(OLD.status, '_', ' ')
              USING ERRCODE = 'object_not_in_prerequisite_state',
                    HINT = 'A later run that still finds the difference opens a new break.';
    END IF;
    IF (NEW.id, NEW.provider, NEW.side, NEW.txn, NEW.reference, NEW.opened_at, NEW.opened_run)
       IS DISTINCT FROM (OLD.id, OLD.provider, OLD.side, OLD.txn, OLD.reference, OLD.opened_at, OLD.opened_run) THEN
        RAISE EXCEPTION 'break %: what it is about does not change', OLD.id USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    -- what only a run in progress changes: what it found, and closing by a match
    IF (NEW.kind, NEW.ledger_txn, NEW.statement_txn, NEW.batch, NEW.line, NEW.currency, NEW.amount, NEW.txn_at, NEW.last_run,
        NEW.closed_run)
       IS DISTINCT FROM (OLD.kind, OLD.ledger_txn, OLD.statement_txn, OLD.batch, OLD.line, OLD.currency, OLD.amount,
                         OLD.txn_at, OLD.last_run, OLD.closed_run)
       AND NOT EXISTS (SELECT FROM @extschema@.qr_recon_runs r WHERE r.id = coalesce(NEW.closed_run, NEW.last_run)
                          AND r.status = 'running' AND r.xact = pg_catalog.pg_current_xact_id()) THEN
        RAISE EXCEPTION 'break %: what a run found is changed only by a run', OLD.id
              USING ERRCODE = 'object_not_in_prerequisite_state',
                    HINT = 'Work a break with qr_break_assign, qr_break_resolve and qr_break_write_off.';
    END IF;
    IF NEW.status = 'written_off' AND coalesce(pg_catalog.btrim(NEW.note), '') = '' THEN
        RAISE EXCEPTION 'break %: a write-off needs a note saying why', OLD.id USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF NEW.status = 'assigned' AND coalesce(pg_catalog.btrim(NEW.owner), '') = '' THEN
        RAISE EXCEPTION 'break %: an assigned break needs an owner', OLD.id USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF NEW.status IN ('resolved', 'written_off') THEN
        NEW.closed_at := pg_catalog.now();
        NEW.closed_by := current_user;
    ELSE
        NEW.closed_at := NULL;
        NEW.closed_by := NULL;
        IF NEW.closed_run IS NOT NULL THEN
            RAISE EXCEPTION 'break %: closed_run is set when a run resolves it', OLD.id USING ERRCODE = 'object_not_in_prerequisite_state';
        END IF;
    END IF;
    RETURN NEW;
END $$;

COMMENT ON FUNCTION @extschema@.qr_recon_guard() IS 'Trigger: a run is written by its own transaction and final once done, results are written only by the run''s transaction, and a break moves open -> assigned -> resolved or written off, closing once, with what a run found changed only by a run';

-- The run's inputs have optional columns: a relation that has one gives
-- it, else it is NULL.  Text is read as NULL when empty, as references are.
CREATE FUNCTION @extschema@.qr_recon_optional_column(rel regclass, col text, typ regtype) RETURNS text
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
    SELECT CASE WHEN NOT EXISTS (SELECT FROM pg_catalog.pg_attribute a
                                  WHERE a.attrelid = rel AND a.attname = col AND a.attnum > 0 AND NOT a.attisdropped)
                THEN pg_catalog.format('NULL::%s', typ)
                WHEN typ = 'text'::regtype
                THEN pg_catalog.format('CASE WHEN x.%1$I::text <> %2$L THEN x.%1$I::text END', col, '')
                ELSE pg_catalog.format('x.%I::%s', col, typ) END
$_$;

COMMENT ON FUNCTION @extschema@.qr_recon_optional_column(rel regclass, col text, typ regtype) IS 'Part of qr_recon_run: the select-list expression reading an optional column of a ledger or statement relation (alias x) as the type given, NULL when the relation has no such column (text: NULL when empty too)';

-- the run's report: the statuses that are not breaks are shown as matched
CREATE FUNCTION @extschema@.qr_recon_report(run bigint) RETURNS text
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    r @extschema@.qr_recon_runs;
    h text;
    t text;
    as_of timestamptz;
BEGIN
    IF run IS NULL THEN
        RAISE EXCEPTION 'qr_recon_report needs a run' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT * INTO r FROM @extschema@.qr_recon_runs x WHERE x.id = run;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no reconciliation run %', run USING ERRCODE = 'invalid_parameter_value',
              HINT = 'Runs are the ids qr_recon_run returns (qr_recon_runs).';
    END IF;
    as_of := coalesce(r.finished_at, pg_catalog.now());
    h := '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Reconciliation run ' || r.id || '</title>'
      || '<style>body{font:14px/1.4 sans-serif;margin:2em;color:#222}h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em}'
      || 'table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:3px 8px}td.n{text-align:right;font-variant-numeric:tabular-nums}'
      || 'th{background:#f2f2f2;text-align:left}tr.total td{font-weight:bold}.matched{color:#2a7}.break{color:#c33}'
      || 'dl{display:grid;grid-template-columns:max-content auto;gap:2px 12px}dt{font-weight:bold}</style></head><body>'
      || '<h1>Reconciliation run ' || r.id || '</h1><dl id="run">'
      || '<dt>Status</dt><dd>' || @extschema@.qr_html(r.status) || '</dd>'
      || '<dt>Started</dt><dd>' || @extschema@.qr_html(r.started_at::text) || ' by ' || @extschema@.qr_html(r.started_by) || '</dd>'
      || '<dt>Finished</dt><dd>' || @extschema@.qr_html(coalesce(r.finished_at::text, 'not yet')) || '</dd>'
      || '<dt>Ledger</dt><dd>' || @extschema@.qr_html(r.ledger) || ' (<span data-measure="ledger_rows">' || coalesce(r.ledger_rows, 0) || '</span> rows)</dd>'
      || '<dt>Statement</dt><dd>' || coalesce(CASE WHEN r.statement IS NOT NULL THEN @extschema@.qr_html(r.statement) END,
             (SELECT pg_catalog.string_agg(pg_catalog.format('batch %s: %s %s %s, %s lines, %s',
                        b.id, @extschema@.qr_html(b.provider), @extschema@.qr_html(b.format), @extschema@.qr_html(b.period::text),
                        b.lines, @extschema@.qr_html(b.status)), '<br>' ORDER BY b.id)
                FROM @extschema@.qr_statement_batches b WHERE b.id = ANY (r.batches)), '')
      || ' (<span data-measure="statement_rows">' || coalesce(r.statement_rows, 0) || '</span> rows)</dd>'
      || '<dt>Settings</dt><dd>' || @extschema@.qr_html(r.settings::text) || '</dd></dl>';

    -- outcomes by provider and status
    SELECT pg_catalog.string_agg(pg_catalog.format(
               '<tr%s><td>%s</td><td class="%s">%s</td><td class="n" data-provider="%s" data-status="%s" data-measure="rows">%s</td>'
               '<td class="n" data-provider="%s" data-status="%s" data-measure="ledger_amount">%s</td>'
               '<td class="n" data-provider="%s" data-status="%s" data-measure="statement_amount">%s</td></tr>',
               CASE WHEN g.total THEN ' class="total"' ELSE '' END,
               CASE WHEN g.total THEN 'all' ELSE @extschema@.qr_html(g.provider) END,
               CASE WHEN g.status IN ('matched', 'matched_group', 'refund_matched') THEN 'matched'
                    WHEN g.status IS NULL THEN '' ELSE 'break' END,
               CASE WHEN g.total THEN 'all' ELSE @extschema@.qr_html(g.status) END,
               CASE WHEN g.total THEN '*' ELSE @extschema@.qr_html(g.provider) END, CASE WHEN g.total THEN '*' ELSE @extschema@.qr_html(g.status) END, g.n,
               CASE WHEN g.total THEN '*' ELSE @extschema@.qr_html(g.provider) END, CASE WHEN g.total THEN '*' ELSE @extschema@.qr_html(g.status) END, g.la,
               CASE WHEN g.total THEN '*' ELSE @extschema@.qr_html(g.provider) END, CASE WHEN g.total THEN '*' ELSE @extschema@.qr_html(g.status) END, g.sa),
               '' ORDER BY g.total, g.provider, g.status)
      INTO t
      FROM (SELECT x.provider, x.status, count(*) AS n, coalesce(sum(x.ledger_amount), 0) AS la,
                   coalesce(sum(x.statement_amount), 0) AS sa, GROUPING(x.provider, x.status) = 3 AS total
              FROM @extschema@.qr_recon_results x WHERE x.run = r.id
             GROUP BY GROUPING SETS ((x.provider, x.status), ())) g;
    h := h || '<h2>Outcomes by provider and status</h2><table id="outcomes"><thead><tr><th>Provider</th><th>Status</th>'
           || '<th>Rows</th><th>Ledger amount</th><th>Statement amount</th></tr></thead><tbody>' || coalesce(t, '') || '</tbody></table>';

    -- the run's breaks still open, by age when the run ended
    WITH b AS (
        SELECT k.*, as_of - coalesce(k.txn_at, k.opened_at) AS age
          FROM @extschema@.qr_recon_breaks k
         WHERE k.status IN ('open', 'assigned') AND k.id IN (SELECT x.break FROM @extschema@.qr_recon_results x WHERE x.run = r.id)
    ), buckets(i, label, lo, hi) AS (
        VALUES (0, '0-1 days', interval '-100000 years', interval '1 day'), (1, '1-3 days', interval '1 day', interval '3 days'),
               (2, '3-7 days', interval '3 days', interval '7 days'), (3, '7-30 days', interval '7 days', interval '30 days'),
               (4, '30+ days', interval '30 days', interval '100000 years')
    ), c AS (
        SELECT u.i, u.label, count(b.id) AS n, coalesce(sum(b.amount), 0) AS amount
          FROM buckets u LEFT JOIN b ON b.age >= u.lo AND b.age < u.hi GROUP BY u.i, u.label
    )
    SELECT pg_catalog.string_agg(pg_catalog.format(
               '<g><rect x="%s" y="%s" width="80" height="%s" fill="#c33"><title>%s: %s breaks</title></rect>'
               '<text x="%s" y="%s" text-anchor="middle" data-bucket="%s" data-measure="breaks">%s</text>'
               '<text x="%s" y="225" text-anchor="middle">%s</text>'
               '<text x="%s" y="242" text-anchor="middle" font-size="11" data-bucket="%s" data-measure="amount">%s</text></g>',
               20 + c.i * 110, 200 - (170 * c.n / greatest(m.mx, 1)), 170 * c.n / greatest(m.mx, 1), c.label, c.n,
               60 + c.i * 110, 195 - (170 * c.n / greatest(m.mx, 1)), c.label, c.n,
               60 + c.i * 110, c.label, 60 + c.i * 110, c.label, c.amount), '' ORDER BY c.i)
      INTO t FROM c, (SELECT max(n) AS mx FROM c) m;
    h := h || '<h2>Open breaks by age</h2><svg id="aging" xmlns="http://www.w3.org/2000/svg" width="580" height="250" role="img" aria-label="open breaks by age">'
           || '<line x1="10" y1="200" x2="570" y2="200" stroke="#888"/>' || t || '</svg>';

    -- the largest of them
    SELECT pg_catalog.string_agg(pg_catalog.format(
               '<tr><td class="n">%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td class="n" data-break="%s" data-measure="amount">%s</td>'
               '<td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>',
               a.id, @extschema@.qr_html(a.provider), @extschema@.qr_html(a.kind), @extschema@.qr_html(a.status),
               @extschema@.qr_html(a.owner), a.id, a.amount, @extschema@.qr_html(a.currency),
               @extschema@.qr_html(a.ledger_txn), @extschema@.qr_html(a.statement_txn),
               @extschema@.qr_html(pg_catalog.date_trunc('second', as_of - coalesce(a.txn_at, a.opened_at))::text)),
               '' ORDER BY a.amount DESC NULLS LAST, a.id)
      INTO t
      FROM (SELECT k.* FROM @extschema@.qr_recon_breaks k
             WHERE k.status IN ('open', 'assigned') AND k.id IN (SELECT x.break FROM @extschema@.qr_recon_results x WHERE x.run = r.id)
             ORDER BY k.amount DESC NULLS LAST, k.id LIMIT 20) a;
    h := h || '<h2>Largest open breaks</h2><table id="largest"><thead><tr><th>Break</th><th>Provider</th><th>Kind</th><th>Status</th>'
           || '<th>Owner</th><th>Amount</th><th>Currency</th><th>Ledger row</th><th>Statement row</th><th>Age</th></tr></thead><tbody>'
           || coalesce(t, '<tr><td colspan="10">none</td></tr>') || '</tbody></table>'
           || '<p><small>Breaks as of ' || @extschema@.qr_html(pg_catalog.now()::text) || '; ages at the end of the run.</small></p></body></html>';
    RETURN h;
END $$;

COMMENT ON FUNCTION @extschema@.qr_recon_report(run bigint) IS 'A self-contained HTML page on a run: its inputs and settings, result rows and amounts by provider and status (matched, matched_group and refund_matched as matches, the rest as breaks), the run''s breaks still open as a chart by age, and the largest of them. psql -Atc "SELECT qr_recon_report(42)" > day.html';

-- the columns a ledger or statement relation must have
CREATE FUNCTION @extschema@.qr_recon_require_shape(rel regclass) RETURNS void
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    need constant text[] := ARRAY['txn_id', 'provider', 'reference', 'amount', 'currency', 'ts'];
    missing text;
BEGIN
    IF rel IS NULL THEN
        RAISE EXCEPTION 'a ledger or statement relation is needed' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT c INTO missing FROM pg_catalog.unnest(need) WITH ORDINALITY u(c, i)
     WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_attribute a WHERE a.attrelid = rel AND a.attname = u.c
                          AND a.attnum > 0 AND NOT a.attisdropped)
     ORDER BY u.i LIMIT 1;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION '% has no column "%"', rel, missing
              USING ERRCODE = 'undefined_column',
                    HINT = pg_catalog.format('It needs the columns %s (extra columns are ignored).', pg_catalog.array_to_string(need, ', '));
    END IF;
END $$;

COMMENT ON FUNCTION @extschema@.qr_recon_require_shape(rel regclass) IS 'Raises 42703 naming the first of the columns txn_id, provider, reference, amount, currency, ts that a ledger or statement relation lacks';

CREATE FUNCTION @extschema@.qr_recon_run(ledger regclass, batches bigint[], time_window interval DEFAULT NULL::interval, amount_tolerance numeric DEFAULT NULL::numeric, settings jsonb DEFAULT NULL::jsonb) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    ids bigint[];
    provs text[];
    bad record;
    run bigint;
    recorded jsonb;
    span_from timestamptz;
    span_to timestamptz;
    parent_expr text;
    columns text;
BEGIN
    IF ledger IS NULL OR batches IS NULL THEN
        RAISE EXCEPTION 'qr_recon_run needs a ledger and statement batches' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    PERFORM @extschema@.qr_recon_run_settings(NULL, time_window, amount_tolerance, settings);
    SELECT array_agg(DISTINCT u ORDER BY u) INTO ids FROM pg_catalog.unnest(batches) u WHERE u IS NOT NULL;
    IF ids IS NULL THEN
        RAISE EXCEPTION 'qr_recon_run needs at least one statement batch' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT u AS id INTO bad FROM pg_catalog.unnest(ids) u
     WHERE NOT EXISTS (SELECT FROM @extschema@.qr_statement_batches b WHERE b.id = u) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'no statement batch %', bad.id USING ERRCODE = 'invalid_parameter_value',
              HINT = 'Batches are the ids qr_statement_load returns (qr_statement_batches).';
    END IF;
    PERFORM @extschema@.qr_recon_require_shape(ledger);
    SELECT array_agg(DISTINCT b.provider ORDER BY b.provider) INTO provs
      FROM @extschema@.qr_statement_batches b WHERE b.id = ANY (ids);
    -- runs and loads of these providers wait for each other: then the
    -- batches read here cannot be superseded meanwhile, and two runs never
    -- both open the same break
    PERFORM @extschema@.qr_back_office_lock(provs);
    SELECT b.id, b.status, b.superseded_by INTO bad FROM @extschema@.qr_statement_batches b
     WHERE b.id = ANY (ids) AND b.status IN ('superseded', 'withdrawn') ORDER BY b.id LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'statement batch % is %', bad.id, bad.status
              USING ERRCODE = 'object_not_in_prerequisite_state',
                    HINT = CASE WHEN bad.status = 'superseded' THEN pg_catalog.format('Run batch %s, the corrected file, instead.', bad.superseded_by)
                                ELSE 'A withdrawn batch is not reconciled.' END;
    END IF;
    recorded := @extschema@.qr_recon_run_settings(provs, time_window, amount_tolerance, settings);

    -- the days the batches cover, as one span: the ledger is scanned once,
    -- and only its rows inside the span are checked against each batch
    SELECT min(pg_catalog.lower(b.period)), max(pg_catalog.upper(b.period)) INTO span_from, span_to
      FROM @extschema@.qr_statement_batches b WHERE b.id = ANY (ids);

    INSERT INTO @extschema@.qr_recon_runs (ledger, batches, providers, settings)
    VALUES (ledger::text, ids, provs, recorded)
    RETURNING id INTO run;

    -- the statement: the batches' readable lines, and, from other batches
    -- still in force, the lines of still-open statement breaks of these
    -- providers and the lines that share a reference with any of their open
    -- breaks: a break is judged again with the rows it was found with.  A
    -- refund line (one with a refund amount) counts as minus the refund,
    -- under its refund reference, with the order it refunds as its parent.
    IF pg_catalog.to_regclass('pg_temp.qr_recon_run$statement') IS NOT NULL THEN
        DROP TABLE pg_temp.qr_recon_run$statement;
    END IF;
    CREATE TEMP TABLE qr_recon_run$statement ON COMMIT DROP AS
    WITH picked AS (
        SELECT l.batch, l.line FROM @extschema@.qr_statement_lines l
         WHERE l.batch = ANY (ids) AND l.error IS NULL
        UNION
        SELECT l.batch, l.line
          FROM @extschema@.qr_recon_breaks k
          JOIN @extschema@.qr_statement_lines l ON (CASE WHEN l.refund_amount <> 0 THEN coalesce(l.refund_txn, l.refund_reference, l.provider_txn) ELSE l.provider_txn END) = k.txn
          JOIN @extschema@.qr_statement_batches b ON b.id = l.batch
         WHERE k.status IN ('open', 'assigned') AND k.side = 'statement' AND k.provider = ANY (provs)
           AND b.provider = k.provider AND b.status IN ('loaded', 'unbalanced') AND l.error IS NULL
        UNION
        SELECT l.batch, l.line
          FROM @extschema@.qr_recon_breaks k
          JOIN @extschema@.qr_statement_lines l ON (CASE WHEN l.refund_amount <> 0 THEN coalesce(l.refund_reference, l.refund_txn) ELSE l.reference END) = k.reference
          JOIN @extschema@.qr_statement_batches b ON b.id = l.batch
         WHERE k.status IN ('open', 'assigned') AND k.provider = ANY (provs)
           AND b.provider = k.provider AND b.status IN ('loaded', 'unbalanced') AND l.error IS NULL
    )
    SELECT l.batch || ':' || l.line AS txn_id, b.provider,
           CASE WHEN l.refund_amount <> 0 THEN coalesce(l.refund_reference, l.refund_txn) ELSE l.reference END AS reference,
           CASE WHEN l.refund_amount <> 0 THEN l.reference END AS parent_reference,
           CASE WHEN l.refund_amount <> 0 THEN 'refund' ELSE 'payment' END AS kind,
           CASE WHEN l.refund_amount <> 0 THEN -l.refund_amount ELSE l.amount END AS amount,
           l.fee, l.currency, l.ts, l.batch, l.line,
           CASE WHEN l.refund_amount <> 0 THEN coalesce(l.refund_txn, l.refund_reference, l.provider_txn) ELSE l.provider_txn END AS stxn
      FROM picked p
      JOIN @extschema@.qr_statement_lines l ON l.batch = p.batch AND l.line = p.line
      JOIN @extschema@.qr_statement_batches b ON b.id = l.batch;

    -- the ledger: these providers' rows on the batches' days, the rows of
    -- their still-open ledger breaks, and the rows that share a reference
    -- with any of their open breaks
    IF pg_catalog.to_regclass('pg_temp.qr_recon_run$ledger') IS NOT NULL THEN
        DROP TABLE pg_temp.qr_recon_run$ledger;
    END IF;
    parent_expr := @extschema@.qr_recon_optional_column(ledger, 'parent_reference', 'text');
    columns := pg_catalog.format($q$x.txn_id::text AS txn_id, x.provider::text AS provider,
               CASE WHEN x.reference::text <> '' THEN x.reference::text END AS reference,
               %s AS parent_reference, %s AS kind, coalesce(%s, false) AS context,
               x.amount::numeric AS amount, x.currency::text AS currency, x.ts::timestamptz AS ts$q$,
               parent_expr, @extschema@.qr_recon_optional_column(ledger, 'kind', 'text'),
               @extschema@.qr_recon_optional_column(ledger, 'context', 'boolean'));
    EXECUTE pg_catalog.format($q$
        CREATE TEMP TABLE qr_recon_run$ledger ON COMMIT DROP AS
        SELECT %s
          FROM %s x
         WHERE x.provider::text = ANY ($1)
           AND ((x.ts::timestamptz >= $3 AND x.ts::timestamptz < $4
                 AND EXISTS (SELECT FROM @extschema@.qr_statement_batches b
                              WHERE b.id = ANY ($2) AND b.provider = x.provider::text AND b.period @> x.ts::timestamptz))
                OR (x.provider::text, x.txn_id::text) IN (
                       SELECT k.provider, k.txn FROM @extschema@.qr_recon_breaks k
                        WHERE k.status IN ('open', 'assigned') AND k.side = 'ledger' AND k.provider = ANY ($1))
                OR (x.provider::text, x.reference::text) IN (
                       SELECT k.provider, k.reference FROM @extschema@.qr_recon_breaks k
                        WHERE k.status IN ('open', 'assigned') AND k.provider = ANY ($1) AND k.reference IS NOT NULL))$q$,
        columns, ledger)
    USING provs, ids, span_from, span_to;

    -- the originals of the refunds read (those of other days included),
    -- read as context: they get no result row, and are never paired.  A day
    -- without refunds does not scan the ledger again.
    IF EXISTS (SELECT FROM pg_temp.qr_recon_run$statement r WHERE r.parent_reference IS NOT NULL AND r.kind = 'refund')
       OR EXISTS (SELECT FROM pg_temp.qr_recon_run$ledger r
                   WHERE r.parent_reference IS NOT NULL
                     AND (r.kind IN ('refund', 'reversal', 'chargeback') OR (r.kind IS NULL AND r.amount < 0))) THEN
        EXECUTE pg_catalog.format($q$
            INSERT INTO pg_temp.qr_recon_run$ledger
            SELECT o.txn_id, o.provider, o.reference, o.parent_reference, o.kind, true, o.amount, o.currency, o.ts
              FROM (SELECT %s FROM %s x WHERE x.provider::text = ANY ($1)) o
             WHERE (o.provider, coalesce(o.parent_reference, o.reference)) IN (
                       SELECT r.provider, r.parent_reference FROM pg_temp.qr_recon_run$ledger r
                        WHERE r.parent_reference IS NOT NULL
                          AND (r.kind IN ('refund', 'reversal', 'chargeback') OR (r.kind IS NULL AND r.amount < 0))
                       UNION
                       SELECT r.provider, r.parent_reference FROM pg_temp.qr_recon_run$statement r
                        WHERE r.parent_reference IS NOT NULL AND r.kind = 'refund')
               AND coalesce(o.kind NOT IN ('refund', 'reversal', 'chargeback'), true)
               AND NOT (o.kind IS NULL AND o.amount < 0 AND o.parent_reference IS NOT NULL)
               AND NOT EXISTS (SELECT FROM pg_temp.qr_recon_run$ledger y WHERE y.txn_id = o.txn_id)$q$,
            columns, ledger)
        USING provs;
    END IF;

    PERFORM @extschema@.qr_recon_execute(run, parent_expr NOT LIKE 'NULL::%');
    RETURN run;
END $_$;

COMMENT ON FUNCTION @extschema@.qr_recon_run(ledger regclass, batches bigint[], time_window interval, amount_tolerance numeric, settings jsonb) IS 'Reconciles a ledger against statement batches with qr_match and records the run: the ledger rows of the batches'' providers on the batches'' days, plus those of still-open breaks, and the originals of the refunds read (as context: no result row of their own), against the batches'' lines (a refund line as minus the refund, under its refund reference, its order as parent), plus those of still-open statement breaks. Settings: each provider''s (qr_recon_settings), overridden by settings, and by time_window and amount_tolerance when given; qr_recon_runs.settings records them. Every row read but context rows lands in exactly one row of qr_recon_results; breaks are opened, carried over, or closed by the match. Runs and loads of one provider wait for each other. Returns the run id';

CREATE FUNCTION @extschema@.qr_recon_run(ledger regclass, statement regclass, time_window interval DEFAULT NULL::interval, amount_tolerance numeric DEFAULT NULL::numeric, settings jsonb DEFAULT NULL::jsonb) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    run bigint;
    provs text[];
    parent_expr text;
BEGIN
    IF ledger IS NULL OR statement IS NULL THEN
        RAISE EXCEPTION 'qr_recon_run needs a ledger and a statement' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    PERFORM @extschema@.qr_recon_run_settings(NULL, time_window, amount_tolerance, settings);
    PERFORM @extschema@.qr_recon_require_shape(ledger);
    PERFORM @extschema@.qr_recon_require_shape(statement);
    -- two runs over one statement relation wait for each other
    IF NOT pg_catalog.pg_try_advisory_xact_lock(1903325282, statement::oid::int) THEN
        RAISE NOTICE 'waiting for another run over % to finish', statement;
        PERFORM pg_catalog.pg_advisory_xact_lock(1903325282, statement::oid::int);
    END IF;
    IF pg_catalog.to_regclass('pg_temp.qr_recon_run$statement') IS NOT NULL THEN
        DROP TABLE pg_temp.qr_recon_run$statement;
    END IF;
    EXECUTE pg_catalog.format($q$
        CREATE TEMP TABLE qr_recon_run$statement ON COMMIT DROP AS
        SELECT 'S' || pg_catalog.row_number() OVER () AS txn_id, x.provider::text AS provider,
               CASE WHEN x.reference::text <> '' THEN x.reference::text END AS reference,
               %s AS parent_reference, %s AS kind,
               x.amount::numeric AS amount, %s AS fee, x.currency::text AS currency, x.ts::timestamptz AS ts,
               NULL::bigint AS batch, NULL::integer AS line, x.txn_id::text AS stxn
          FROM %s x$q$,
        @extschema@.qr_recon_optional_column(statement, 'parent_reference', 'text'),
        @extschema@.qr_recon_optional_column(statement, 'kind', 'text'),
        @extschema@.qr_recon_optional_column(statement, 'fee', 'numeric'), statement);
    IF pg_catalog.to_regclass('pg_temp.qr_recon_run$ledger') IS NOT NULL THEN
        DROP TABLE pg_temp.qr_recon_run$ledger;
    END IF;
    parent_expr := @extschema@.qr_recon_optional_column(ledger, 'parent_reference', 'text');
    EXECUTE pg_catalog.format($q$
        CREATE TEMP TABLE qr_recon_run$ledger ON COMMIT DROP AS
        SELECT x.txn_id::text AS txn_id, x.provider::text AS provider,
               CASE WHEN x.reference::text <> '' THEN x.reference::text END AS reference,
               %s AS parent_reference, %s AS kind, coalesce(%s, false) AS context,
               x.amount::numeric AS amount, x.currency::text AS currency, x.ts::timestamptz AS ts
          FROM %s x$q$,
        parent_expr, @extschema@.qr_recon_optional_column(ledger, 'kind', 'text'),
        @extschema@.qr_recon_optional_column(ledger, 'context', 'boolean'), ledger);
    SELECT array_agg(DISTINCT p ORDER BY p) INTO provs
      FROM (SELECT x.provider AS p FROM pg_temp.qr_recon_run$ledger x
            UNION SELECT y.provider FROM pg_temp.qr_recon_run$statement y) u;
    INSERT INTO @extschema@.qr_recon_runs (ledger, statement, settings)
    VALUES (ledger::text, statement::text,
            @extschema@.qr_recon_run_settings(ARRAY['*'] || provs, time_window, amount_tolerance, settings))
    RETURNING id INTO run;
    PERFORM @extschema@.qr_recon_execute(run, parent_expr NOT LIKE 'NULL::%');
    RETURN run;
END $_$;

COMMENT ON FUNCTION @extschema@.qr_recon_run(ledger regclass, statement regclass, time_window interval, amount_tolerance numeric, settings jsonb) IS 'Reconciles a ledger against any relation of the statement shape (txn_id, provider, reference, amount, currency, ts; optional parent_reference, kind, fee) and records the run as qr_recon_run over batches does, with the settings of every provider of the rows and of * (the others); two runs over one statement relation wait for each other';

CREATE FUNCTION @extschema@.qr_recon_run_settings(providers text[], time_window interval, amount_tolerance numeric, settings jsonb) RETURNS jsonb
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    override jsonb;
BEGIN
    IF settings IS NOT NULL AND pg_catalog.jsonb_typeof(settings) <> 'object' THEN
        -- qr_recon_settings_for says what is wrong with it
        PERFORM @extschema@.qr_recon_settings_for(NULL, settings);
    END IF;
    -- the arguments override the same keys of settings
    override := coalesce(settings, '{}')
             || pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object('time_window', time_window,
                                                                           'amount_tolerance', amount_tolerance));
    PERFORM @extschema@.qr_recon_settings_for(NULL, override);
    RETURN pg_catalog.jsonb_build_object('override', override, 'providers',
               (SELECT coalesce(pg_catalog.jsonb_object_agg(p, @extschema@.qr_recon_settings_for(p, override)), '{}')
                  FROM (SELECT DISTINCT u AS p FROM pg_catalog.unnest(providers) u WHERE u IS NOT NULL) x));
END $$;

COMMENT ON FUNCTION @extschema@.qr_recon_run_settings(providers text[], time_window interval, amount_tolerance numeric, settings jsonb) IS 'Part of qr_recon_run: the settings it records, {"override": settings with the time_window and amount_tolerance arguments set over it, "providers": {provider: qr_recon_settings_for(provider, override)}}; 22023 when the override cannot be applied';

-- A provider's settings as qr_match applies them.  The override is checked
-- without an exception block: a subtransaction is refused in parallel mode,
-- and this function is PARALLEL SAFE.
CREATE FUNCTION @extschema@.qr_recon_settings_for(provider text, settings jsonb DEFAULT NULL::jsonb) RETURNS jsonb
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    known constant text[] := ARRAY['keys', 'time_window', 'date_lag', 'amount_tolerance', 'tolerance_percent',
                                   'group_search', 'group_max_rows', 'statement_amounts', 'fx_tolerance_percent'];
    key_names constant text[] := ARRAY['reference', 'parent_reference', 'amount'];
    v_keys text[] := key_names;
    v_window interval := interval '15 minutes';
    v_lag interval := interval '0';
    v_tolerance numeric := 0;
    v_percent numeric := 0;
    v_group_search boolean := true;
    v_group_max integer := 5;
    v_amounts text := 'gross';
    v_fx_percent numeric := 1;
    r record;
    k text;
    v jsonb;
    kind text;
    t text;
    span interval;
    num numeric;
BEGIN
    -- the provider's own row, else the '*' row, else the built-in defaults
    -- (a row holds every setting: its columns default to the built-in values)
    FOR r IN SELECT s.* FROM @extschema@.qr_recon_settings s
              WHERE s.provider = '*' OR s.provider = qr_recon_settings_for.provider
              ORDER BY s.provider = '*' DESC LOOP
        v_keys := r.keys;
        v_window := r.time_window;
        v_lag := r.date_lag;
        v_tolerance := r.amount_tolerance;
        v_percent := r.tolerance_percent;
        v_group_search := r.group_search;
        v_group_max := r.group_max_rows;
        v_amounts := r.statement_amounts;
        v_fx_percent := r.fx_tolerance_percent;
    END LOOP;

    -- then the override: every key known, every value of its type and range;
    -- a key set to null is no override
    IF settings IS NOT NULL THEN
        IF pg_catalog.jsonb_typeof(settings) <> 'object' THEN
            RAISE EXCEPTION 'reconciliation settings are a jsonb object, not %', pg_catalog.jsonb_typeof(settings)
                  USING ERRCODE = 'invalid_parameter_value',
                        HINT = pg_catalog.format('The settings are %s.', pg_catalog.array_to_string(known, ', '));
        END IF;
        FOR k, v IN SELECT e.key, e.value FROM pg_catalog.jsonb_each(settings) e ORDER BY e.key LOOP
            kind := pg_catalog.jsonb_typeof(v);
            IF NOT k = ANY (known) THEN
                RAISE EXCEPTION 'unknown reconciliation setting "%"', k
                      USING ERRCODE = 'invalid_parameter_value',
                            HINT = pg_catalog.format('The settings are %s.', pg_catalog.array_to_string(known, ', '));
            END IF;
            CONTINUE WHEN kind = 'null';
            t := v #>> '{}';
            CASE k
            WHEN 'keys' THEN
                IF kind <> 'array' OR EXISTS (SELECT FROM pg_catalog.jsonb_array_elements(v) e
                                               WHERE pg_catalog.jsonb_typeof(e) <> 'string') THEN
                    RAISE EXCEPTION 'reconciliation setting "keys" is an array of key names, not %', v
                          USING ERRCODE = 'invalid_parameter_value',
                                HINT = 'For example ["reference", "parent_reference", "amount"].';
                END IF;
                v_keys := ARRAY(SELECT e FROM pg_catalog.jsonb_array_elements_text(v) e);
                IF pg_catalog.cardinality(v_keys) = 0 OR NOT v_keys <@ key_names THEN
                    RAISE EXCEPTION 'reconciliation setting "keys" names one or more of %, not %',
                          pg_catalog.array_to_string(key_names, ', '), v
                          USING ERRCODE = 'invalid_parameter_value';
                END IF;
            WHEN 'time_window', 'date_lag' THEN
                -- text that does not even start like an interval is refused
                -- here; the cast names the value of the rest
                IF kind <> 'string' OR t !~ '^\s*[-+@.0-9P]' OR t !~ '[0-9]' THEN
                    RAISE EXCEPTION 'reconciliation setting "%" is an interval as a string, not %', k, v
                          USING ERRCODE = 'invalid_parameter_value', HINT = 'For example "15 minutes" or "PT15M".';
                END IF;
                span := t::interval;
                IF span < interval '0' OR NOT pg_catalog.isfinite(span) THEN
                    RAISE EXCEPTION 'reconciliation setting "%" is a finite interval of zero or more, not %', k, t
                          USING ERRCODE = 'invalid_parameter_value';
                END IF;
                IF k = 'time_window' THEN
                    v_window := span;
                ELSE
                    v_lag := span;
                END IF;
            WHEN 'amount_tolerance', 'tolerance_percent', 'fx_tolerance_percent' THEN
                -- a number, or a string holding one (an interval or numeric
                -- argument turned into jsonb); not NaN or Infinity
                IF NOT (kind = 'number'
                        OR (kind = 'string' AND t ~ '^\s*[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?\s*$')) THEN
                    RAISE EXCEPTION 'reconciliation setting "%" is a finite number of zero or more, not %', k, v
                          USING ERRCODE = 'invalid_parameter_value';
                END IF;
                num := t::numeric;
                IF num < 0 THEN
                    RAISE EXCEPTION 'reconciliation setting "%" is a finite number of zero or more, not %', k, t
                          USING ERRCODE = 'invalid_parameter_value';
                END IF;
                IF k = 'amount_tolerance' THEN
                    v_tolerance := num;
                ELSIF k = 'tolerance_percent' THEN
                    v_percent := num;
                ELSE
                    v_fx_percent := num;
                END IF;
            WHEN 'group_search' THEN
                IF kind <> 'boolean' THEN
                    RAISE EXCEPTION 'reconciliation setting "group_search" is true or false, not %', v
                          USING ERRCODE = 'invalid_parameter_value';
                END IF;
                v_group_search := t::boolean;
            WHEN 'group_max_rows' THEN
                IF kind <> 'number' OR t::numeric <> pg_catalog.trunc(t::numeric) OR t::numeric < 2 OR t::numeric > 64 THEN
                    RAISE EXCEPTION 'reconciliation setting "group_max_rows" is a whole number from 2 to 64, not %', v
                          USING ERRCODE = 'invalid_parameter_value';
                END IF;
                v_group_max := t::numeric::integer;
            WHEN 'statement_amounts' THEN
                IF kind <> 'string' OR t NOT IN ('gross', 'net') THEN
                    RAISE EXCEPTION 'reconciliation setting "statement_amounts" is "gross" or "net", not %', v
                          USING ERRCODE = 'invalid_parameter_value';
                END IF;
                v_amounts := t;
            END CASE;
        END LOOP;
    END IF;
    RETURN pg_catalog.jsonb_build_object('keys', pg_catalog.to_jsonb(v_keys), 'time_window', v_window, 'date_lag', v_lag,
                                         'amount_tolerance', v_tolerance, 'tolerance_percent', v_percent,
                                         'group_search', v_group_search, 'group_max_rows', v_group_max,
                                         'statement_amounts', v_amounts, 'fx_tolerance_percent', v_fx_percent);
END $_$;

COMMENT ON FUNCTION @extschema@.qr_recon_settings_for(provider text, settings jsonb) IS 'The settings qr_match applies to a provider''s rows, as jsonb: the provider''s row of qr_recon_settings, else the ''*'' row, else the built-in defaults, overridden key by key by settings (its keys: keys, time_window, date_lag, amount_tolerance, tolerance_percent, group_search, group_max_rows, statement_amounts, fx_tolerance_percent; a key set to null overrides nothing). An unknown key or a value of the wrong type or range raises 22023 naming the key. A NULL provider gives the settings of every provider without a row of its own';

CREATE FUNCTION @extschema@.qr_reconcile(ledger regclass, statement regclass, time_window interval DEFAULT NULL::interval, amount_tolerance numeric DEFAULT NULL::numeric) RETURNS TABLE(status text, ledger_txn text, statement_txn text, amount_diff numeric, reason text)
    LANGUAGE c STABLE PARALLEL RESTRICTED
    AS 'MODULE_PATHNAME', 'qr_reconcile_detail';

COMMENT ON FUNCTION @extschema@.qr_reconcile(ledger regclass, statement regclass, time_window interval, amount_tolerance numeric) IS 'Reconciles a ledger against a provider statement (both with txn_id, provider, reference, amount, currency, ts), as qr_match does under each provider''s settings (a time window or amount tolerance given overrides them), returning its first five columns. Every row of both sides appears in exactly one result row: matched, matched_group, refund_matched; amount_mismatch, outside_window, missing_in_statement, missing_in_ledger, duplicate_in_ledger, duplicate_in_statement, ambiguous, refund_orphan, fee_mismatch or fx_difference';

-- qr_reconcile_detail and qr_reconcile are the engine itself, returning its
-- first ten and five columns: no wrapper materializes the result again
CREATE FUNCTION @extschema@.qr_reconcile_detail(ledger regclass, statement regclass, time_window interval DEFAULT NULL::interval, amount_tolerance numeric DEFAULT NULL::numeric) RETURNS TABLE(status text, ledger_txn text, statement_txn text, amount_diff numeric, reason text, provider text, ledger_ts timestamp with time zone, statement_ts timestamp with time zone, ledger_amount numeric, statement_amount numeric)
    LANGUAGE c STABLE PARALLEL RESTRICTED
    AS 'MODULE_PATHNAME', 'qr_reconcile_detail';

COMMENT ON FUNCTION @extschema@.qr_reconcile_detail(ledger regclass, statement regclass, time_window interval, amount_tolerance numeric) IS 'qr_match''s outcomes with the provider, the ledger and statement times and the ledger and statement amounts of each (its first ten columns); a time window or amount tolerance given overrides the settings, NULL leaves them (qr_recon_settings)';

CREATE FUNCTION @extschema@.qr_reference(@extschema@.payment_qr) RETURNS text
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'qr_reference';

COMMENT ON FUNCTION @extschema@.qr_reference(@extschema@.payment_qr) IS 'Payment reference for reconciliation: EMVCo 62.05, EPC structured reference or remittance text, Swiss reference or message, UPI tr, SPAYD X-VS or RF, BezahlCode separeference or reason';

CREATE FUNCTION @extschema@.qr_round_amount(amount numeric, currency text) RETURNS numeric
    LANGUAGE c IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'qr_round_amount';

COMMENT ON FUNCTION @extschema@.qr_round_amount(amount numeric, currency text) IS 'An amount rounded half away from zero to the minor unit of its currency (qr_minor_unit): 1234.5 JPY is 1235, 0.1235 BHD is 0.124; a currency without one (unknown, NULL, or N.A. like XAU) keeps 4 decimals, as in matching and clearing. A NULL amount gives NULL; NaN and infinities come back unchanged';

CREATE FUNCTION @extschema@.qr_route(code @extschema@.payment_qr, payer text, at timestamp with time zone DEFAULT now(), region text DEFAULT NULL::text, scenario text DEFAULT 'offline'::text) RETURNS @extschema@.qr_route_result
    LANGUAGE c STABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'qr_route';

COMMENT ON FUNCTION @extschema@.qr_route(code @extschema@.payment_qr, payer text, at timestamp with time zone, region text, scenario text) IS 'How payer app `payer` can pay this code at `at` in `region` (default: the code''s merchant city) and `scenario`: on_us, interop through a rule, or none with the reason. For a consumer-presented code, `payer` names the merchant''s acquiring network. NULL when code, payer, at or scenario is NULL';

CREATE FUNCTION @extschema@.qr_routes(code @extschema@.payment_qr, at timestamp with time zone DEFAULT now(), region text DEFAULT NULL::text, scenario text DEFAULT 'offline'::text, OUT payer text, OUT status text, OUT network text, OUT via text, OUT rule text) RETURNS SETOF record
    LANGUAGE c STABLE ROWS 8 PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'qr_routes';

COMMENT ON FUNCTION @extschema@.qr_routes(code @extschema@.payment_qr, at timestamp with time zone, region text, scenario text, OUT payer text, OUT status text, OUT network text, OUT via text, OUT rule text) IS 'Every provider that can pay this code (for a consumer-presented code: every acquiring network that can take it), and how';

CREATE FUNCTION @extschema@.qr_rule_cities_check() RETURNS trigger
    LANGUAGE c
    AS 'MODULE_PATHNAME', 'qr_rule_cities_check';

COMMENT ON FUNCTION @extschema@.qr_rule_cities_check() IS 'Trigger: every city a rule names is a row of qr_cities, locked FOR KEY SHARE until the transaction ends';

CREATE FUNCTION @extschema@.qr_settlement(transactions regclass, time_zone text DEFAULT 'Asia/Shanghai'::text) RETURNS TABLE(settlement_day date, currency text, debtor text, creditor text, amount numeric)
    LANGUAGE plpgsql STABLE STRICT PARALLEL RESTRICTED
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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
    -- need at most n - 1 transfers (qr_clearing's positions are finite: it
    -- refuses NaN and infinite amounts, which would never clear)
    FOR g IN SELECT p.settlement_day AS day, p.currency AS cur,
                    array_agg(p.participant ORDER BY p.net, p.participant) FILTER (WHERE p.net < 0) AS debtors,
                    array_agg(-p.net ORDER BY p.net, p.participant) FILTER (WHERE p.net < 0) AS debts,
                    array_agg(p.participant ORDER BY p.net DESC, p.participant) FILTER (WHERE p.net > 0) AS creditors,
                    array_agg(p.net ORDER BY p.net DESC, p.participant) FILTER (WHERE p.net > 0) AS credits
               FROM @extschema@.qr_clearing(transactions, time_zone) p
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

COMMENT ON FUNCTION @extschema@.qr_settlement(transactions regclass, time_zone text) IS 'Settlement instructions that bring every qr_clearing position to zero, per day and currency, with at most n - 1 transfers for n participants';

CREATE FUNCTION @extschema@.qr_statement_alipay(bill bytea, time_zone text DEFAULT 'Asia/Shanghai'::text) RETURNS SETOF @extschema@.qr_statement_line
    LANGUAGE c STABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'qr_statement_alipay_bytea';

COMMENT ON FUNCTION @extschema@.qr_statement_alipay(bill bytea, time_zone text) IS 'Reads an Alipay merchant bill file as Alipay delivers it, GBK-encoded';

CREATE FUNCTION @extschema@.qr_statement_alipay(bill text, time_zone text DEFAULT 'Asia/Shanghai'::text) RETURNS SETOF @extschema@.qr_statement_line
    LANGUAGE c STABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'qr_statement_alipay_text';

DO $script$ BEGIN EXECUTE format('COMMENT ON FUNCTION @extschema@.qr_statement_alipay(bill text, time_zone text) IS %L', @extschema@.qrpay_script_text('Reads an Alipay merchant bill (\4E1A\52A1\660E\7EC6 CSV: # comment lines, padded fields) already decoded to text')); END $script$;

-- A batch's identity and totals are set by the transaction that loads it;
-- afterwards only its status moves on (superseded, withdrawn) and never
-- back.  A batch that a run has read is not deleted.
CREATE FUNCTION @extschema@.qr_statement_batch_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    IF TG_TABLE_SCHEMA <> '@extschema@' OR TG_TABLE_NAME <> 'qr_statement_batches' OR TG_WHEN <> 'BEFORE'
       OR TG_LEVEL <> 'ROW' OR TG_OP NOT IN ('UPDATE', 'DELETE') THEN
        RAISE EXCEPTION 'trigger "%" on %.% cannot call qr_statement_batch_guard(): it serves qr_statement_batches, BEFORE UPDATE OR DELETE FOR EACH ROW',
              TG_NAME, TG_TABLE_SCHEMA, TG_TABLE_NAME
              USING ERRCODE = 'wrong_object_type',
                    HINT = 'Drop the trigger; the extension attaches its trigger functions to its tables itself.';
    END IF;
    IF TG_OP = 'DELETE' THEN
        IF EXISTS (SELECT FROM @extschema@.qr_recon_runs r WHERE r.batches OPERATOR(pg_catalog.@>) ARRAY[OLD.id]) THEN
            RAISE EXCEPTION 'batch % cannot be deleted: reconciliation runs have read it', OLD.id
                  USING ERRCODE = 'object_not_in_prerequisite_state',
                        HINT = 'Withdraw it instead: SELECT qr_statement_withdraw(batch, note).';
        END IF;
        -- (superseded_by is checked here rather than by a foreign key to
        -- the table itself, which pg_dump reports as a circular one)
        IF EXISTS (SELECT FROM @extschema@.qr_statement_batches b WHERE b.superseded_by = OLD.id) THEN
            RAISE EXCEPTION 'batch % cannot be deleted: it superseded other batches', OLD.id
                  USING ERRCODE = 'foreign_key_violation',
                        HINT = 'Withdraw it instead: SELECT qr_statement_withdraw(batch, note).';
        END IF;
        DELETE FROM @extschema@.qr_statement_lines l WHERE l.batch = OLD.id;
        RETURN OLD;
    END IF;
    IF OLD.load_xact = pg_catalog.pg_current_xact_id() THEN
        RETURN NEW;                                     -- being loaded
    END IF;
    IF (NEW.id, NEW.provider, NEW.format, NEW.bill_type, NEW.encoding, NEW.time_zone, NEW.file_sha256, NEW.file_bytes,
        NEW.period, NEW.covers, NEW.lines, NEW.bad_lines, NEW.amount, NEW.fee, NEW.refund_amount, NEW.currencies,
        NEW.summary, NEW.summary_errors, NEW.loaded_at, NEW.loaded_by, NEW.session_role, NEW.load_xact)
       IS DISTINCT FROM
       (OLD.id, OLD.provider, OLD.format, OLD.bill_type, OLD.encoding, OLD.time_zone, OLD.file_sha256, OLD.file_bytes,
        OLD.period, OLD.covers, OLD.lines, OLD.bad_lines, OLD.amount, OLD.fee, OLD.refund_amount, OLD.currencies,
        OLD.summary, OLD.summary_errors, OLD.loaded_at, OLD.loaded_by, OLD.session_role, OLD.load_xact) THEN
        RAISE EXCEPTION 'batch %: only its status, superseded_by and note change after it is loaded', OLD.id
              USING ERRCODE = 'object_not_in_prerequisite_state',
                    HINT = 'Load the corrected file with qr_statement_load: it supersedes this batch.';
    END IF;
    IF NEW.status IS DISTINCT FROM OLD.status AND OLD.status IN ('superseded', 'withdrawn') THEN
        RAISE EXCEPTION 'batch % is % and stays so', OLD.id, OLD.status
              USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF NEW.status IS DISTINCT FROM OLD.status AND NEW.status NOT IN ('superseded', 'withdrawn') THEN
        RAISE EXCEPTION 'batch %: status % is set by qr_statement_load, not by hand', OLD.id, NEW.status
              USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    RETURN NEW;
END $$;

COMMENT ON FUNCTION @extschema@.qr_statement_batch_guard() IS 'Trigger: a statement batch''s identity and totals are final once loaded, its status only moves on, and a batch that runs have read is not deleted';

CREATE FUNCTION @extschema@.qr_statement_csv(bill text, provider text, columns jsonb, delimiter text DEFAULT ','::text, time_zone text DEFAULT 'UTC'::text) RETURNS SETOF @extschema@.qr_statement_line
    LANGUAGE c STABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'qr_statement_csv';

COMMENT ON FUNCTION @extschema@.qr_statement_csv(bill text, provider text, columns jsonb, delimiter text, time_zone text) IS 'Reads any provider''s CSV statement: columns maps provider_txn, ts, amount (mandatory) and reference, currency, fee, status, refund_txn, refund_reference, refund_amount to header names';

-- a line's identity across two files of one provider: its transaction and
-- refund ids, and which occurrence of them it is; a line that could not be
-- read is known by its text
CREATE FUNCTION @extschema@.qr_statement_diff(old_batch bigint, new_batch bigint) RETURNS TABLE(change text, provider_txn text, refund_txn text, old_line integer, new_line integer, fields text[], old jsonb, new jsonb)
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    WITH o AS (
        SELECT l.line, coalesce(l.provider_txn, l.raw) AS k1, coalesce(l.refund_txn, '') AS k2,
               pg_catalog.row_number() OVER (PARTITION BY coalesce(l.provider_txn, l.raw), coalesce(l.refund_txn, '') ORDER BY l.line) AS k3,
               pg_catalog.to_jsonb(l) - 'batch' - 'line' AS body, l.provider_txn, l.refund_txn
          FROM @extschema@.qr_statement_lines l WHERE l.batch = old_batch
    ), n AS (
        SELECT l.line, coalesce(l.provider_txn, l.raw) AS k1, coalesce(l.refund_txn, '') AS k2,
               pg_catalog.row_number() OVER (PARTITION BY coalesce(l.provider_txn, l.raw), coalesce(l.refund_txn, '') ORDER BY l.line) AS k3,
               pg_catalog.to_jsonb(l) - 'batch' - 'line' AS body, l.provider_txn, l.refund_txn
          FROM @extschema@.qr_statement_lines l WHERE l.batch = new_batch
    )
    SELECT CASE WHEN o.line IS NULL THEN 'added' WHEN n.line IS NULL THEN 'removed' ELSE 'changed' END,
           coalesce(n.provider_txn, o.provider_txn), coalesce(n.refund_txn, o.refund_txn), o.line, n.line,
           CASE WHEN o.line IS NOT NULL AND n.line IS NOT NULL THEN
               ARRAY(SELECT k FROM pg_catalog.jsonb_object_keys(o.body || n.body) k
                      WHERE (o.body -> k) IS DISTINCT FROM (n.body -> k) ORDER BY k) END,
           o.body, n.body
      FROM o FULL JOIN n ON n.k1 = o.k1 AND n.k2 = o.k2 AND n.k3 = o.k3
     WHERE o.line IS NULL OR n.line IS NULL OR o.body IS DISTINCT FROM n.body
     ORDER BY coalesce(n.line, o.line), o.line
$$;

COMMENT ON FUNCTION @extschema@.qr_statement_diff(old_batch bigint, new_batch bigint) IS 'What changed from one statement batch to another (a corrected file and the batch it superseded): lines added, removed, and changed with the names of the changed fields; lines pair by transaction and refund id (by text for unreadable lines)';

CREATE FUNCTION @extschema@.qr_statement_info(file bytea, format text DEFAULT NULL::text, mapping jsonb DEFAULT NULL::jsonb) RETURNS TABLE(format text, bill_type text, encoding text, bom boolean, crlf boolean, columns text[], summary jsonb, period_start timestamp with time zone, period_end timestamp with time zone, records integer, error text)
    LANGUAGE c STABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'qr_statement_info';

COMMENT ON FUNCTION @extschema@.qr_statement_info(file bytea, format text, mapping jsonb) IS 'What a provider statement file is: its format, WeChat Pay bill type, encoding, byte order mark and CRLF line ends, header columns, the totals its summary or footer declares (count, amount, refund_amount, coupon_refund_amount, fee, order_amount, refund_requested_amount), the period it declares (Alipay), its number of data records, and what is wrong with it as a whole (a summary missing or not counting the records)';

-- A batch's lines are written by the transaction that loads it: checked
-- once per statement over the rows it inserted, which is stronger than a
-- foreign key (no line joins a batch loaded earlier) and costs one pass
-- instead of a lookup and a row lock per line.  The batch guard deletes
-- the lines of a batch deleted.
CREATE FUNCTION @extschema@.qr_statement_lines_check() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    stray bigint;
BEGIN
    IF TG_TABLE_SCHEMA <> '@extschema@' OR TG_TABLE_NAME <> 'qr_statement_lines' OR TG_WHEN <> 'AFTER'
       OR TG_LEVEL <> 'STATEMENT' OR TG_OP <> 'INSERT' THEN
        RAISE EXCEPTION 'trigger "%" on %.% cannot call qr_statement_lines_check(): it serves qr_statement_lines, AFTER INSERT FOR EACH STATEMENT',
              TG_NAME, TG_TABLE_SCHEMA, TG_TABLE_NAME
              USING ERRCODE = 'wrong_object_type',
                    HINT = 'Drop the trigger; the extension attaches its trigger functions to its tables itself.';
    END IF;
    -- rows a superuser inserts are taken as they are (pg_restore)
    IF (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = current_user) THEN
        RETURN NULL;
    END IF;
    SELECT n.batch INTO stray FROM (SELECT DISTINCT x.batch FROM new_lines x) n
     WHERE NOT EXISTS (SELECT FROM @extschema@.qr_statement_batches b
                        WHERE b.id = n.batch AND b.load_xact = pg_catalog.pg_current_xact_id())
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'lines of batch % refused: a batch''s lines are written by the transaction that loads it', stray
              USING ERRCODE = 'object_not_in_prerequisite_state',
                    HINT = 'Lines are written by qr_statement_load.';
    END IF;
    RETURN NULL;
END $$;

COMMENT ON FUNCTION @extschema@.qr_statement_lines_check() IS 'Trigger: the lines inserted belong to batches the same transaction is loading';

CREATE FUNCTION @extschema@.qr_statement_load(provider text, file bytea, format text DEFAULT NULL::text) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    sha bytea;
    existing bigint;
    fmt text := format;
    layout text;
    mapping jsonb;
    tz text;
    info record;
    batch_id bigint;
    v_covers text[];
    t record;
    errs text[] := '{}';
    v_period tstzrange;
    sum_amount numeric;
    sum_refunds numeric;
    clash record;
BEGIN
    IF provider IS NULL OR file IS NULL THEN
        RAISE EXCEPTION 'qr_statement_load needs a provider and a file' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF NOT EXISTS (SELECT FROM @extschema@.qr_providers p WHERE p.code = provider) THEN
        RAISE EXCEPTION 'unknown provider "%"', provider
              USING ERRCODE = 'invalid_parameter_value', HINT = 'Providers are the codes of qr_providers.';
    END IF;
    PERFORM @extschema@.qr_back_office_lock(ARRAY[provider]);
    sha := pg_catalog.sha256(file);
    SELECT b.id INTO existing FROM @extschema@.qr_statement_batches b
     WHERE b.provider = qr_statement_load.provider AND b.file_sha256 = sha;
    IF FOUND THEN
        RETURN existing;                                -- the same file again: the same batch
    END IF;

    -- the layout: built in, or a generic CSV mapping of qr_statement_formats;
    -- none named, the provider's own layout if it has exactly one, else
    -- told from the header
    IF fmt IS NULL THEN
        SELECT min(f.name) INTO fmt FROM @extschema@.qr_statement_formats f
         WHERE f.provider = qr_statement_load.provider HAVING count(*) = 1;
    END IF;
    IF fmt IS NOT NULL AND fmt NOT IN ('wechatpay', 'alipay') THEN
        SELECT f.mapping, f.name INTO mapping, layout FROM @extschema@.qr_statement_formats f
         WHERE f.name = fmt AND (f.provider IS NULL OR f.provider = qr_statement_load.provider);
        IF NOT FOUND THEN
            RAISE EXCEPTION 'no statement format "%" for provider "%"', fmt, provider
                  USING ERRCODE = 'invalid_parameter_value',
                        HINT = 'Name wechatpay, alipay, or a layout of qr_statement_formats (its provider NULL or this one).';
        END IF;
        fmt := 'csv';
    END IF;
    SELECT * INTO info FROM @extschema@.qr_statement_info(file, fmt, mapping);
    fmt := info.format;
    tz := coalesce(mapping ->> 'time_zone', CASE WHEN fmt = 'csv' THEN 'UTC' ELSE 'Asia/Shanghai' END);
    v_covers := CASE info.bill_type WHEN 'SUCCESS' THEN ARRAY['payments'] WHEN 'REFUND' THEN ARRAY['refunds']
                                  ELSE ARRAY['payments', 'refunds'] END;

    INSERT INTO @extschema@.qr_statement_batches AS b (provider, format, bill_type, encoding, time_zone, file_sha256,
                                                       file_bytes, covers, summary)
    VALUES (provider, coalesce(layout, fmt), info.bill_type, info.encoding, tz, sha, pg_catalog.length(file), v_covers,
            info.summary)
    RETURNING b.id INTO batch_id;
    INSERT INTO @extschema@.qr_statement_lines
    SELECT batch_id, p.line, p.provider_txn, p.reference, p.ts, p.amount, p.currency, p.fee, p.status, p.refund_txn,
           p.refund_reference, p.refund_amount, p.extra, p.error, p.raw
      FROM @extschema@.qr_statement_parse(file, fmt, mapping) p
     WHERE p.line IS NOT NULL;

    SELECT count(*)::int AS lines, count(*) FILTER (WHERE l.error IS NOT NULL)::int AS bad,
           coalesce(sum(l.amount), 0) AS amount, coalesce(sum(l.fee), 0) AS fee,
           coalesce(sum(l.refund_amount), 0) AS refund_amount,
           coalesce(sum(l.amount) FILTER (WHERE coalesce(l.refund_amount, 0) = 0), 0) AS payment_amount,
           coalesce(sum(l.amount) FILTER (WHERE l.refund_amount <> 0), 0) AS refund_lines_amount,
           coalesce(array_agg(DISTINCT l.currency ORDER BY l.currency) FILTER (WHERE l.currency IS NOT NULL), '{}') AS currencies,
           min(l.ts) AS first_ts, max(l.ts) AS last_ts
      INTO t FROM @extschema@.qr_statement_lines l WHERE l.batch = batch_id;

    -- the summary the file declares, against its lines: qr_statement_info
    -- reports a missing summary, a count that is not the lines', a quote
    -- left open; the amounts are checked here
    IF info.error IS NOT NULL THEN
        errs := errs || info.error;
    END IF;
    -- WeChat Pay's summary sums every line (settled amount, refunds, fees);
    -- Alipay's footer sums the payments' merchant receipts and, apart, the refunds'
    -- (negative, as their lines print it)
    sum_amount := CASE WHEN fmt = 'alipay' THEN t.payment_amount ELSE t.amount END;
    sum_refunds := CASE WHEN fmt = 'alipay' THEN t.refund_lines_amount ELSE t.refund_amount END;
    IF info.summary ? 'amount' AND (info.summary ->> 'amount') ~ '^-?[0-9]+(\.[0-9]+)?$'
       AND (info.summary ->> 'amount')::numeric <> sum_amount THEN
        errs := errs || pg_catalog.format('amount: the summary says %s, the lines add up to %s', info.summary ->> 'amount', sum_amount);
    END IF;
    IF info.summary ? 'refund_amount' AND (info.summary ->> 'refund_amount') ~ '^-?[0-9]+(\.[0-9]+)?$'
       AND (info.summary ->> 'refund_amount')::numeric <> sum_refunds THEN
        errs := errs || pg_catalog.format('refund_amount: the summary says %s, the lines add up to %s',
                                          info.summary ->> 'refund_amount', sum_refunds);
    END IF;
    IF info.summary ? 'fee' AND (info.summary ->> 'fee') ~ '^-?[0-9]+(\.[0-9]+)?$'
       AND (info.summary ->> 'fee')::numeric <> t.fee THEN
        errs := errs || pg_catalog.format('fee: the summary says %s, the lines add up to %s', info.summary ->> 'fee', t.fee);
    END IF;

    -- the days covered: as the file declares them (an end not after its
    -- start is not a period), else its lines' days
    IF info.period_start IS NOT NULL AND info.period_end IS NOT NULL AND info.period_start < info.period_end THEN
        v_period := pg_catalog.tstzrange(info.period_start, info.period_end);
    ELSIF t.first_ts IS NOT NULL THEN
        v_period := pg_catalog.tstzrange(pg_catalog.date_trunc('day', t.first_ts, tz),
                                       pg_catalog.date_trunc('day', t.last_ts, tz) + interval '1 day');
    END IF;

    UPDATE @extschema@.qr_statement_batches b
       SET lines = t.lines, bad_lines = t.bad, amount = t.amount, fee = t.fee, refund_amount = t.refund_amount,
           currencies = t.currencies, period = v_period, summary_errors = errs,
           status = CASE WHEN pg_catalog.cardinality(errs) > 0 THEN 'unbalanced' ELSE 'loaded' END
     WHERE b.id = batch_id;

    -- a corrected file supersedes the batches of the same provider it
    -- covers entirely (its days, and what they list); one that covers
    -- part of an earlier batch would count some lines twice: refused
    IF v_period IS NOT NULL THEN
        SELECT b.id, b.period, b.covers INTO clash FROM @extschema@.qr_statement_batches b
         WHERE b.provider = qr_statement_load.provider AND b.id <> batch_id AND b.status IN ('loaded', 'unbalanced')
           AND b.period && v_period AND b.covers && v_covers
           AND NOT (b.period <@ v_period AND b.covers <@ v_covers)
         ORDER BY b.id LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'the file covers % (%), which overlaps batch % (%, %) without covering all of it',
                  v_period, array_to_string(v_covers, ', '), clash.id, clash.period, array_to_string(clash.covers, ', ')
                  USING ERRCODE = 'exclusion_violation',
                        HINT = 'Its lines would be counted twice. Withdraw the earlier batch first (qr_statement_withdraw), or load a file that covers all of it.';
        END IF;
        UPDATE @extschema@.qr_statement_batches b SET status = 'superseded', superseded_by = batch_id
         WHERE b.provider = qr_statement_load.provider AND b.id <> batch_id AND b.status IN ('loaded', 'unbalanced')
           AND b.period <@ v_period AND b.covers <@ v_covers;
    END IF;
    RETURN batch_id;
END $_$;

COMMENT ON FUNCTION @extschema@.qr_statement_load(provider text, file bytea, format text) IS 'Loads a provider''s statement file as a batch and returns its id: read in C (format wechatpay, alipay, a qr_statement_formats layout, or NULL: the provider''s only layout, else told from the header), every line kept (unreadable ones with their reason), the summary checked against the lines (a mismatch marks the batch unbalanced). The same file again returns the same id and adds nothing; a corrected file for the days of an earlier batch supersedes it (qr_statement_diff shows the difference)';

CREATE FUNCTION @extschema@.qr_statement_parse(file bytea, format text DEFAULT NULL::text, mapping jsonb DEFAULT NULL::jsonb) RETURNS TABLE(line integer, provider_txn text, reference text, ts timestamp with time zone, amount numeric, currency text, fee numeric, status text, refund_txn text, refund_reference text, refund_amount numeric, extra jsonb, error text, raw text)
    LANGUAGE c STABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'qr_statement_parse';

COMMENT ON FUNCTION @extschema@.qr_statement_parse(file bytea, format text, mapping jsonb) IS 'Reads a provider statement file (WeChat Pay downloadbill ALL, SUCCESS or REFUND; Alipay business detail in GBK or UTF-8; any CSV through a mapping {"columns": {...}, "delimiter", "time_zone", "encoding"}) into one row per record: quoted fields may hold line breaks; columns outside the common shape come back in extra; an unreadable record comes back with its line, the reason and its raw text. format NULL: told from the header. A NULL file gives no rows';

CREATE FUNCTION @extschema@.qr_statement_read(bill text, provider text, columns jsonb, header_has text, footer_starts text, comment_prefix text, delimiter text, time_zone text) RETURNS SETOF @extschema@.qr_statement_line
    LANGUAGE c STABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'qr_statement_read';

COMMENT ON FUNCTION @extschema@.qr_statement_read(bill text, provider text, columns jsonb, header_has text, footer_starts text, comment_prefix text, delimiter text, time_zone text) IS 'Reads a CSV statement into qr_statement_line rows: columns maps each field to a header name; used by the WeChat Pay, Alipay and generic readers';

CREATE FUNCTION @extschema@.qr_statement_wechat(bill text, time_zone text DEFAULT 'Asia/Shanghai'::text) RETURNS SETOF @extschema@.qr_statement_line
    LANGUAGE c STABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'qr_statement_wechat';

COMMENT ON FUNCTION @extschema@.qr_statement_wechat(bill text, time_zone text) IS 'Reads a WeChat Pay merchant bill (downloadbill ALL, SUCCESS or REFUND, or the older layout; backtick-prefixed fields, summary footer): one row per transaction record, a row with error for each unreadable record and for a summary that is missing or does not count the records';

CREATE FUNCTION @extschema@.qr_statement_withdraw(batch bigint, note text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    b record;
BEGIN
    IF batch IS NULL OR note IS NULL OR pg_catalog.btrim(note) = '' THEN
        RAISE EXCEPTION 'qr_statement_withdraw needs a batch and a note saying why' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT x.provider, x.status INTO b FROM @extschema@.qr_statement_batches x WHERE x.id = batch;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no statement batch %', batch USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM @extschema@.qr_back_office_lock(ARRAY[b.provider]);
    UPDATE @extschema@.qr_statement_batches x SET status = 'withdrawn', note = qr_statement_withdraw.note
     WHERE x.id = batch;
END $$;

COMMENT ON FUNCTION @extschema@.qr_statement_withdraw(batch bigint, note text) IS 'Withdraws a statement batch (a file loaded by mistake): runs no longer read it; it stays, with the note, for the record';

CREATE FUNCTION @extschema@.qr_svg(code @extschema@.payment_qr, module_px integer DEFAULT 4, margin integer DEFAULT 4, ecc text DEFAULT 'M'::text) RETURNS text
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'qr_svg';

COMMENT ON FUNCTION @extschema@.qr_svg(code @extschema@.payment_qr, module_px integer, margin integer, ecc text) IS 'The QR symbol as SVG (libqrencode, byte mode, UTF-8 ECI when non-ASCII): module size in pixels, quiet zone in modules, error correction L, M, Q or H';

CREATE FUNCTION @extschema@.qr_tags(code @extschema@.payment_qr, OUT path text, OUT name text, OUT value text) RETURNS SETOF record
    LANGUAGE c IMMUTABLE STRICT ROWS 20 PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'qr_tags';

COMMENT ON FUNCTION @extschema@.qr_tags(code @extschema@.payment_qr, OUT path text, OUT name text, OUT value text) IS 'Every field as (path, name, value) in payload order, containers before their parts, for every format';

CREATE FUNCTION @extschema@.qr_text(code @extschema@.payment_qr) RETURNS text
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'qr_text';

COMMENT ON FUNCTION @extschema@.qr_text(code @extschema@.payment_qr) IS 'The QR symbol drawn with Unicode half blocks and a 4-module quiet zone, to scan off a terminal';

CREATE FUNCTION @extschema@.qr_with_amount(code @extschema@.payment_qr, amount numeric) RETURNS @extschema@.payment_qr
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'qr_with_amount';

COMMENT ON FUNCTION @extschema@.qr_with_amount(code @extschema@.payment_qr, amount numeric) IS 'The code for one amount: EMVCo tag 54 and point of initiation 12 with a new CRC; UPI am, EPC and Swiss amount, SPAYD AM, BezahlCode amount; an error for formats without an amount';

CREATE FUNCTION @extschema@.qr_with_reference(code @extschema@.payment_qr, reference text) RETURNS @extschema@.payment_qr
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'qr_with_reference';

COMMENT ON FUNCTION @extschema@.qr_with_reference(code @extschema@.payment_qr, reference text) IS 'The code for one order: EMVCo 62.05 (reference label) and point of initiation 12; UPI tr, EPC unstructured remittance, Swiss message, SPAYD MSG, BezahlCode reason; an error for formats without one';

-- ---------------------------------------------------------------------
-- Types, operators, operator classes and casts
-- ---------------------------------------------------------------------

CREATE OPERATOR @extschema@.< (
    FUNCTION = @extschema@.payment_qr_lt,
    LEFTARG = @extschema@.payment_qr,
    RIGHTARG = @extschema@.payment_qr,
    COMMUTATOR = OPERATOR(@extschema@.>),
    NEGATOR = OPERATOR(@extschema@.>=),
    RESTRICT = scalarltsel,
    JOIN = scalarltjoinsel
);

COMMENT ON OPERATOR @extschema@.< (@extschema@.payment_qr, @extschema@.payment_qr) IS 'sorts before (canonical byte order, not a semantic order)';

CREATE OPERATOR @extschema@.<= (
    FUNCTION = @extschema@.payment_qr_le,
    LEFTARG = @extschema@.payment_qr,
    RIGHTARG = @extschema@.payment_qr,
    COMMUTATOR = OPERATOR(@extschema@.>=),
    NEGATOR = OPERATOR(@extschema@.>),
    RESTRICT = scalarlesel,
    JOIN = scalarlejoinsel
);

COMMENT ON OPERATOR @extschema@.<= (@extschema@.payment_qr, @extschema@.payment_qr) IS 'sorts before or equal (canonical byte order)';

CREATE OPERATOR @extschema@.<> (
    FUNCTION = @extschema@.payment_qr_ne,
    LEFTARG = @extschema@.payment_qr,
    RIGHTARG = @extschema@.payment_qr,
    COMMUTATOR = OPERATOR(@extschema@.<>),
    NEGATOR = OPERATOR(@extschema@.=),
    RESTRICT = neqsel,
    JOIN = neqjoinsel
);

COMMENT ON OPERATOR @extschema@.<> (@extschema@.payment_qr, @extschema@.payment_qr) IS 'different payload';

CREATE OPERATOR @extschema@.= (
    FUNCTION = @extschema@.payment_qr_eq,
    LEFTARG = @extschema@.payment_qr,
    RIGHTARG = @extschema@.payment_qr,
    COMMUTATOR = OPERATOR(@extschema@.=),
    NEGATOR = OPERATOR(@extschema@.<>),
    MERGES,
    HASHES,
    RESTRICT = eqsel,
    JOIN = eqjoinsel
);

COMMENT ON OPERATOR @extschema@.= (@extschema@.payment_qr, @extschema@.payment_qr) IS 'same payload';

CREATE OPERATOR @extschema@.> (
    FUNCTION = @extschema@.payment_qr_gt,
    LEFTARG = @extschema@.payment_qr,
    RIGHTARG = @extschema@.payment_qr,
    COMMUTATOR = OPERATOR(@extschema@.<),
    NEGATOR = OPERATOR(@extschema@.<=),
    RESTRICT = scalargtsel,
    JOIN = scalargtjoinsel
);

COMMENT ON OPERATOR @extschema@.> (@extschema@.payment_qr, @extschema@.payment_qr) IS 'sorts after (canonical byte order, not a semantic order)';

CREATE OPERATOR @extschema@.>= (
    FUNCTION = @extschema@.payment_qr_ge,
    LEFTARG = @extschema@.payment_qr,
    RIGHTARG = @extschema@.payment_qr,
    COMMUTATOR = OPERATOR(@extschema@.<=),
    NEGATOR = OPERATOR(@extschema@.<),
    RESTRICT = scalargesel,
    JOIN = scalargejoinsel
);

COMMENT ON OPERATOR @extschema@.>= (@extschema@.payment_qr, @extschema@.payment_qr) IS 'sorts after or equal (canonical byte order)';

CREATE OPERATOR @extschema@.? (
    FUNCTION = @extschema@.qr_exists,
    LEFTARG = @extschema@.payment_qr,
    RIGHTARG = text,
    RESTRICT = matchingsel,
    JOIN = matchingjoinsel
);

COMMENT ON OPERATOR @extschema@.? (@extschema@.payment_qr, text) IS 'the code has a field at the path';

CREATE OPERATOR @extschema@.?& (
    FUNCTION = @extschema@.qr_exists_all,
    LEFTARG = @extschema@.payment_qr,
    RIGHTARG = text[],
    RESTRICT = matchingsel,
    JOIN = matchingjoinsel
);

COMMENT ON OPERATOR @extschema@.?& (@extschema@.payment_qr, text[]) IS 'the code has a field at every one of the paths';

CREATE OPERATOR @extschema@.?| (
    FUNCTION = @extschema@.qr_exists_any,
    LEFTARG = @extschema@.payment_qr,
    RIGHTARG = text[],
    RESTRICT = matchingsel,
    JOIN = matchingjoinsel
);

COMMENT ON OPERATOR @extschema@.?| (@extschema@.payment_qr, text[]) IS 'the code has a field at any of the paths';

CREATE OPERATOR @extschema@.@> (
    FUNCTION = @extschema@.qr_contains,
    LEFTARG = @extschema@.payment_qr,
    RIGHTARG = jsonb,
    RESTRICT = matchingsel,
    JOIN = matchingjoinsel
);

COMMENT ON OPERATOR @extschema@.@> (@extschema@.payment_qr, jsonb) IS 'the code holds every path: "value" pair';

CREATE OPERATOR FAMILY @extschema@.payment_qr_gin_ops USING gin;
ALTER OPERATOR FAMILY @extschema@.payment_qr_gin_ops USING gin ADD
    OPERATOR 7 @extschema@.@>(@extschema@.payment_qr,jsonb) ,
    OPERATOR 9 @extschema@.?(@extschema@.payment_qr,text) ,
    OPERATOR 10 @extschema@.?|(@extschema@.payment_qr,text[]) ,
    OPERATOR 11 @extschema@.?&(@extschema@.payment_qr,text[]) ,
    FUNCTION 1 (@extschema@.payment_qr, @extschema@.payment_qr) btint4cmp(integer,integer) ,
    FUNCTION 4 (@extschema@.payment_qr, @extschema@.payment_qr) @extschema@.payment_qr_gin_consistent(internal,smallint,@extschema@.payment_qr,integer,internal,internal,internal,internal) ,
    FUNCTION 6 (@extschema@.payment_qr, @extschema@.payment_qr) @extschema@.payment_qr_gin_triconsistent(internal,smallint,@extschema@.payment_qr,integer,internal,internal,internal) ,
    FUNCTION 7 (@extschema@.payment_qr, @extschema@.payment_qr) @extschema@.payment_qr_gin_options(internal);

CREATE OPERATOR CLASS @extschema@.payment_qr_gin_ops
    FOR TYPE @extschema@.payment_qr USING gin FAMILY @extschema@.payment_qr_gin_ops AS
    STORAGE integer ,
    FUNCTION 2 (@extschema@.payment_qr, @extschema@.payment_qr) @extschema@.payment_qr_gin_extract_value(@extschema@.payment_qr,internal,internal) ,
    FUNCTION 3 (@extschema@.payment_qr, @extschema@.payment_qr) @extschema@.payment_qr_gin_extract_query(@extschema@.payment_qr,internal,smallint,internal,internal,internal,internal);

COMMENT ON OPERATOR CLASS @extschema@.payment_qr_gin_ops USING gin IS 'GIN over path and path-value hashes of every field, the default before 0.11.0 (its indexes keep it): @> jsonb, ?, ?| and ?&, for every format; parameter value_bits (default 18) sets how finely value keys are kept apart';

CREATE OPERATOR FAMILY @extschema@.payment_qr_gin_split_ops USING gin;
ALTER OPERATOR FAMILY @extschema@.payment_qr_gin_split_ops USING gin ADD
    OPERATOR 7 @extschema@.@>(@extschema@.payment_qr,jsonb) ,
    OPERATOR 9 @extschema@.?(@extschema@.payment_qr,text) ,
    OPERATOR 10 @extschema@.?|(@extschema@.payment_qr,text[]) ,
    OPERATOR 11 @extschema@.?&(@extschema@.payment_qr,text[]) ,
    FUNCTION 1 (@extschema@.payment_qr, @extschema@.payment_qr) btint4cmp(integer,integer) ,
    FUNCTION 4 (@extschema@.payment_qr, @extschema@.payment_qr) @extschema@.payment_qr_gin_consistent(internal,smallint,@extschema@.payment_qr,integer,internal,internal,internal,internal) ,
    FUNCTION 6 (@extschema@.payment_qr, @extschema@.payment_qr) @extschema@.payment_qr_gin_triconsistent(internal,smallint,@extschema@.payment_qr,integer,internal,internal,internal) ,
    FUNCTION 7 (@extschema@.payment_qr, @extschema@.payment_qr) @extschema@.payment_qr_gin_split_options(internal);

CREATE OPERATOR CLASS @extschema@.payment_qr_gin_split_ops
    DEFAULT FOR TYPE @extschema@.payment_qr USING gin FAMILY @extschema@.payment_qr_gin_split_ops AS
    STORAGE integer ,
    FUNCTION 2 (@extschema@.payment_qr, @extschema@.payment_qr) @extschema@.payment_qr_gin_split_extract_value(@extschema@.payment_qr,internal,internal) ,
    FUNCTION 3 (@extschema@.payment_qr, @extschema@.payment_qr) @extschema@.payment_qr_gin_split_extract_query(@extschema@.payment_qr,internal,smallint,internal,internal,internal,internal);

COMMENT ON OPERATOR CLASS @extschema@.payment_qr_gin_split_ops USING gin IS 'Default GIN opclass since 0.11.0: a path key per field and two value keys per leaf (low and high bits of its hash, 2^value_bits buckets each; a value from a small set, 4 bytes or fewer or an EMVCo merchant account GUID, one exact key): @> jsonb, ?, ?| and ?&, for every format; parameter value_bits (8-16, default 13)';

CREATE OPERATOR FAMILY @extschema@.payment_qr_ops USING btree;
ALTER OPERATOR FAMILY @extschema@.payment_qr_ops USING btree ADD
    FUNCTION 2 (@extschema@.payment_qr, @extschema@.payment_qr) @extschema@.payment_qr_sortsupport(internal) ,
    FUNCTION 4 (@extschema@.payment_qr, @extschema@.payment_qr) @extschema@.payment_qr_equalimage(oid);

CREATE OPERATOR CLASS @extschema@.payment_qr_ops
    DEFAULT FOR TYPE @extschema@.payment_qr USING btree FAMILY @extschema@.payment_qr_ops AS
    OPERATOR 1 @extschema@.<(@extschema@.payment_qr,@extschema@.payment_qr) ,
    OPERATOR 2 @extschema@.<=(@extschema@.payment_qr,@extschema@.payment_qr) ,
    OPERATOR 3 @extschema@.=(@extschema@.payment_qr,@extschema@.payment_qr) ,
    OPERATOR 4 @extschema@.>=(@extschema@.payment_qr,@extschema@.payment_qr) ,
    OPERATOR 5 @extschema@.>(@extschema@.payment_qr,@extschema@.payment_qr) ,
    FUNCTION 1 (@extschema@.payment_qr, @extschema@.payment_qr) @extschema@.payment_qr_cmp(@extschema@.payment_qr,@extschema@.payment_qr);

COMMENT ON OPERATOR CLASS @extschema@.payment_qr_ops USING btree IS 'Default btree opclass: byte order of the payload; supports UNIQUE, ORDER BY, merge joins, deduplication';

CREATE OPERATOR FAMILY @extschema@.payment_qr_ops USING hash;
ALTER OPERATOR FAMILY @extschema@.payment_qr_ops USING hash ADD
    FUNCTION 2 (@extschema@.payment_qr, @extschema@.payment_qr) @extschema@.payment_qr_hash_extended(@extschema@.payment_qr,bigint);

CREATE OPERATOR CLASS @extschema@.payment_qr_ops
    DEFAULT FOR TYPE @extschema@.payment_qr USING hash FAMILY @extschema@.payment_qr_ops AS
    OPERATOR 1 @extschema@.=(@extschema@.payment_qr,@extschema@.payment_qr) ,
    FUNCTION 1 (@extschema@.payment_qr, @extschema@.payment_qr) @extschema@.payment_qr_hash(@extschema@.payment_qr);

COMMENT ON OPERATOR CLASS @extschema@.payment_qr_ops USING hash IS 'Default hash opclass: hash joins and aggregation, hash indexes, PARTITION BY HASH';

-- ---------------------------------------------------------------------
-- Tables, sequences and views
-- ---------------------------------------------------------------------

CREATE TABLE @extschema@.qr_catalog_audit (
    id bigint NOT NULL,
    at timestamp with time zone DEFAULT statement_timestamp() NOT NULL,
    xact xid8 DEFAULT pg_current_xact_id() NOT NULL,
    table_name text NOT NULL,
    operation text NOT NULL,
    role_name text NOT NULL,
    session_role text NOT NULL,
    old_row jsonb,
    new_row jsonb,
    CONSTRAINT qr_catalog_audit_operation_known CHECK ((operation = ANY (ARRAY['INSERT'::text, 'UPDATE'::text, 'DELETE'::text, 'TRUNCATE'::text])))
);

COMMENT ON TABLE @extschema@.qr_catalog_audit IS 'Every change to qr_providers, qr_provider_patterns, qr_cities, qr_interop_rules and qr_fee_rates: who, when, what, the row before and after. Written by a trigger as the table''s owner; no other role can write, change or delete its rows. Not dumped by pg_dump: it is the history of this database (a restore is itself recorded, as INSERTs by the restoring role)';

COMMENT ON COLUMN @extschema@.qr_catalog_audit.id IS 'Order of the changes';

COMMENT ON COLUMN @extschema@.qr_catalog_audit.at IS 'Start of the statement that made the change';

COMMENT ON COLUMN @extschema@.qr_catalog_audit.xact IS 'The transaction that made the change (changes of one transaction commit or vanish together)';

COMMENT ON COLUMN @extschema@.qr_catalog_audit.table_name IS 'The table changed';

COMMENT ON COLUMN @extschema@.qr_catalog_audit.operation IS 'INSERT, UPDATE, DELETE or TRUNCATE';

COMMENT ON COLUMN @extschema@.qr_catalog_audit.role_name IS 'The role in effect for the change (current_user, after SET ROLE)';

COMMENT ON COLUMN @extschema@.qr_catalog_audit.session_role IS 'The role that logged in (session_user)';

COMMENT ON COLUMN @extschema@.qr_catalog_audit.old_row IS 'The row before an UPDATE or DELETE';

COMMENT ON COLUMN @extschema@.qr_catalog_audit.new_row IS 'The row after an INSERT or UPDATE';

ALTER TABLE @extschema@.qr_catalog_audit ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME @extschema@.qr_catalog_audit_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

COMMENT ON SEQUENCE @extschema@.qr_catalog_audit_id_seq IS 'Numbers the rows of qr_catalog_audit';

CREATE TABLE @extschema@.qr_cities (
    name text NOT NULL,
    name_zh text,
    province text,
    capital boolean DEFAULT false NOT NULL,
    aliases text[] DEFAULT '{}'::text[] NOT NULL,
    shipped boolean DEFAULT false NOT NULL,
    CONSTRAINT qr_cities_name_not_empty CHECK ((name <> ''::text))
);

COMMENT ON TABLE @extschema@.qr_cities IS 'Cities interoperability rules may name, with the spellings a region argument or a code''s merchant city is matched against (case, spaces, apostrophes and hyphens ignored). Add your own rows; rows with shipped = true come with the extension';

COMMENT ON COLUMN @extschema@.qr_cities.name IS 'English name, as rules name the city';

COMMENT ON COLUMN @extschema@.qr_cities.name_zh IS 'Chinese name (matched too)';

COMMENT ON COLUMN @extschema@.qr_cities.province IS 'Province or provincial-level division';

COMMENT ON COLUMN @extschema@.qr_cities.capital IS 'true for the capitals of provincial-level divisions (the four municipalities included)';

COMMENT ON COLUMN @extschema@.qr_cities.aliases IS 'Other spellings matched (Xian, Canton, Amoy, ...)';

COMMENT ON COLUMN @extschema@.qr_cities.shipped IS 'true for rows installed by the extension: read-only, not dumped (they come back with the extension)';

CREATE TABLE @extschema@.qr_fee_rates (
    payer text NOT NULL,
    payee text NOT NULL,
    via text NOT NULL,
    valid_during tstzrange DEFAULT '(,)'::tstzrange NOT NULL,
    rate numeric DEFAULT 0 NOT NULL,
    fixed numeric DEFAULT 0 NOT NULL,
    source text,
    CONSTRAINT qr_fee_rates_fixed_finite CHECK (((fixed >= (0)::numeric) AND (fixed < 'Infinity'::numeric))),
    CONSTRAINT qr_fee_rates_rate_range CHECK (((rate >= (0)::numeric) AND (rate < (1)::numeric)))
);

COMMENT ON TABLE @extschema@.qr_fee_rates IS 'What the network or clearing path (via) charges on a route: rate x amount + fixed, per period; the payee network bears it. Rows are the user''s own and are dumped';

COMMENT ON COLUMN @extschema@.qr_fee_rates.payer IS 'The paying app';

COMMENT ON COLUMN @extschema@.qr_fee_rates.payee IS 'The payee network';

COMMENT ON COLUMN @extschema@.qr_fee_rates.via IS 'The network or clearing path that charges';

COMMENT ON COLUMN @extschema@.qr_fee_rates.valid_during IS 'When the rate holds; where periods of one route overlap, the one that began last applies';

COMMENT ON COLUMN @extschema@.qr_fee_rates.rate IS 'Share of the amount, 0.0006 for 0.06%';

COMMENT ON COLUMN @extschema@.qr_fee_rates.fixed IS 'Fixed fee per transaction, in the transaction''s currency';

COMMENT ON COLUMN @extschema@.qr_fee_rates.source IS 'The agreement or tariff the rate comes from';

CREATE TABLE @extschema@.qr_fx_rates (
    from_currency text NOT NULL,
    to_currency text NOT NULL,
    valid_during tstzrange DEFAULT '(,)'::tstzrange NOT NULL,
    rate numeric NOT NULL,
    source text,
    CONSTRAINT qr_fx_rates_from_currency_code CHECK ((from_currency ~ '^[A-Z]{3}$'::text)),
    CONSTRAINT qr_fx_rates_rate_range CHECK (((rate > (0)::numeric) AND (rate < 'Infinity'::numeric))),
    CONSTRAINT qr_fx_rates_to_currency_code CHECK ((to_currency ~ '^[A-Z]{3}$'::text)),
    CONSTRAINT qr_fx_rates_two_currencies CHECK ((from_currency <> to_currency)),
    CONSTRAINT qr_fx_rates_valid_during_nonempty CHECK ((NOT isempty(valid_during)))
);

COMMENT ON TABLE @extschema@.qr_fx_rates IS 'Exchange rates qr_match converts a statement line''s amount into its ledger row''s currency with: 1 from_currency = rate to_currency, during valid_during (by the statement line''s time; the period that began last applies). A line in another currency without a rate either way is an amount_mismatch. Rows are the user''s own and are dumped';

COMMENT ON COLUMN @extschema@.qr_fx_rates.from_currency IS 'ISO 4217 code converted from (three capital letters)';

COMMENT ON COLUMN @extschema@.qr_fx_rates.to_currency IS 'ISO 4217 code converted to (three capital letters), not from_currency';

COMMENT ON COLUMN @extschema@.qr_fx_rates.valid_during IS 'When the rate holds';

COMMENT ON COLUMN @extschema@.qr_fx_rates.rate IS 'Units of to_currency for one unit of from_currency (positive, finite); the inverse serves the other direction when it has no rate of its own';

COMMENT ON COLUMN @extschema@.qr_fx_rates.source IS 'Where the rate comes from (the provider''s settlement rate, a central bank fixing)';

CREATE TABLE @extschema@.qr_interop_rules (
    id text NOT NULL,
    payer text NOT NULL,
    payee text NOT NULL,
    via text,
    valid_during tstzrange DEFAULT '(,)'::tstzrange NOT NULL,
    cities text[],
    scenario text DEFAULT 'offline'::text NOT NULL,
    priority integer DEFAULT 0 NOT NULL,
    allowed boolean DEFAULT true NOT NULL,
    source text NOT NULL,
    shipped boolean DEFAULT false NOT NULL,
    CONSTRAINT qr_interop_rules_cities_not_empty CHECK ((cardinality(cities) > 0)),
    CONSTRAINT qr_interop_rules_id_syntax CHECK ((id ~ '^[A-Za-z0-9_.:-]+$'::text)),
    CONSTRAINT qr_interop_rules_payer_is_not_payee CHECK ((payer <> payee)),
    CONSTRAINT qr_interop_rules_scenario_known CHECK ((scenario = ANY (ARRAY['offline'::text, 'online'::text, 'mini_program'::text]))),
    CONSTRAINT qr_interop_rules_source_not_empty CHECK ((source <> ''::text)),
    CONSTRAINT qr_interop_rules_valid_not_empty CHECK ((NOT isempty(valid_during)))
);

COMMENT ON TABLE @extschema@.qr_interop_rules IS 'Who can pay whose codes: payer app, payee network, the network or clearing path used, when, where and in which scenario. Shipped rows encode China''s interoperability facts F1-F11, each citing its fact; add your own (bilateral agreements), end them with an UPDATE of valid_during, and override a shipped rule with one of higher priority';

COMMENT ON COLUMN @extschema@.qr_interop_rules.id IS 'Rule id, returned by qr_route (shipped: F<fact>-<payer>-<payee>)';

COMMENT ON COLUMN @extschema@.qr_interop_rules.payer IS 'The app that pays (qr_providers.code)';

COMMENT ON COLUMN @extschema@.qr_interop_rules.payee IS 'The network the code belongs to (qr_providers.code)';

COMMENT ON COLUMN @extschema@.qr_interop_rules.via IS 'The network or clearing path that carries the payment';

COMMENT ON COLUMN @extschema@.qr_interop_rules.valid_during IS 'When the rule holds; open-ended bounds allowed';

COMMENT ON COLUMN @extschema@.qr_interop_rules.cities IS 'Cities (qr_cities.name) where the rule holds; NULL for nationwide';

COMMENT ON COLUMN @extschema@.qr_interop_rules.scenario IS 'offline (scan at a till), online (checkout) or mini_program';

COMMENT ON COLUMN @extschema@.qr_interop_rules.priority IS 'Higher wins when several rules apply; at equal priority a block wins';

COMMENT ON COLUMN @extschema@.qr_interop_rules.allowed IS 'false makes the rule a block: the payer cannot pay the payee''s codes where it applies';

COMMENT ON COLUMN @extschema@.qr_interop_rules.source IS 'Why the rule exists: the fact, agreement or announcement it encodes';

COMMENT ON COLUMN @extschema@.qr_interop_rules.shipped IS 'true for rows installed by the extension: read-only, not dumped (they come back with the extension)';

CREATE TABLE @extschema@.qr_provider_patterns (
    provider text NOT NULL,
    kind text NOT NULL,
    pattern text NOT NULL,
    country text,
    min_length integer,
    max_length integer,
    note text,
    shipped boolean DEFAULT false NOT NULL,
    CONSTRAINT qr_provider_patterns_country_alpha2 CHECK ((country ~ '^[A-Z]{2}$'::text)),
    CONSTRAINT qr_provider_patterns_country_for_emv_only CHECK (((country IS NULL) OR (kind = ANY (ARRAY['emv_tag'::text, 'emv_guid'::text])))),
    CONSTRAINT qr_provider_patterns_kind_known CHECK ((kind = ANY (ARRAY['format'::text, 'emv_tag'::text, 'emv_guid'::text, 'cpm_aid'::text, 'url'::text, 'payment_code'::text, 'bic'::text]))),
    CONSTRAINT qr_provider_patterns_length_bounds CHECK (((max_length > 0) AND (max_length >= COALESCE(min_length, 1)))),
    CONSTRAINT qr_provider_patterns_min_length_positive CHECK ((min_length > 0))
);

COMMENT ON TABLE @extschema@.qr_provider_patterns IS 'How codes are recognised: a code belongs to a provider when one of its identifiers (see qr_identifiers) matches a pattern of that kind. Add your own rows; rows with shipped = true come with the extension';

COMMENT ON COLUMN @extschema@.qr_provider_patterns.provider IS 'The provider (qr_providers.code)';

COMMENT ON COLUMN @extschema@.qr_provider_patterns.kind IS 'What the pattern is matched against: format (format name), emv_tag (primitive merchant account id 02-25), emv_guid (sub-00 of templates 26-51, 80-99), cpm_aid (CPM ADF name in hex), url (the whole URL), payment_code (consumer code digits), bic (the payee bank''s BIC: QR Ph, EPC, SPAYD, BezahlCode)';

COMMENT ON COLUMN @extschema@.qr_provider_patterns.pattern IS 'Glob: * any run, ? one character, [a-z] or [!0-9] a class, \ escapes; ASCII letters match either case';

COMMENT ON COLUMN @extschema@.qr_provider_patterns.country IS 'emv_tag and emv_guid only: the code''s tag 58 must be this country';

COMMENT ON COLUMN @extschema@.qr_provider_patterns.min_length IS 'Least identifier length in characters (consumer codes: digits)';

COMMENT ON COLUMN @extschema@.qr_provider_patterns.max_length IS 'Greatest identifier length in characters';

COMMENT ON COLUMN @extschema@.qr_provider_patterns.note IS 'Source of the rule';

COMMENT ON COLUMN @extschema@.qr_provider_patterns.shipped IS 'true for rows installed by the extension: read-only, not dumped (they come back with the extension)';

CREATE TABLE @extschema@.qr_providers (
    code text NOT NULL,
    name text NOT NULL,
    kind text NOT NULL,
    country text,
    recognised_by text,
    shipped boolean DEFAULT false NOT NULL,
    CONSTRAINT qr_providers_code_syntax CHECK ((code ~ '^[a-z0-9_]+$'::text)),
    CONSTRAINT qr_providers_country_alpha2 CHECK ((country ~ '^[A-Z]{2}$'::text)),
    CONSTRAINT qr_providers_kind_check CHECK ((kind = ANY (ARRAY['bank'::text, 'bank_transfer'::text, 'card_network'::text, 'cbdc'::text, 'clearing'::text, 'instant_payment'::text, 'other'::text, 'telco_wallet'::text, 'unified_code'::text, 'wallet'::text]))),
    CONSTRAINT qr_providers_name_not_empty CHECK ((name <> ''::text))
);

COMMENT ON TABLE @extschema@.qr_providers IS 'Payment providers (wallets, card networks, instant-payment schemes, banks, clearing houses): the codes qr_networks and qr_provider return. Add your own rows; rows with shipped = true come with the extension';

COMMENT ON COLUMN @extschema@.qr_providers.code IS 'Provider code used across the SQL API: lower-case letters, digits, _';

COMMENT ON COLUMN @extschema@.qr_providers.name IS 'Display name';

COMMENT ON COLUMN @extschema@.qr_providers.kind IS 'wallet, card_network, cbdc, telco_wallet, bank, clearing, instant_payment, unified_code, bank_transfer or other';

COMMENT ON COLUMN @extschema@.qr_providers.country IS 'ISO 3166-1 alpha-2 home country, NULL for international networks';

COMMENT ON COLUMN @extschema@.qr_providers.recognised_by IS 'How the provider''s codes are recognised, in words (qr_provider_patterns holds the rules)';

COMMENT ON COLUMN @extschema@.qr_providers.shipped IS 'true for rows installed by the extension: read-only, not dumped (they come back with the extension)';

CREATE TABLE @extschema@.qr_recon_audit (
    id bigint NOT NULL,
    at timestamp with time zone DEFAULT statement_timestamp() NOT NULL,
    xact xid8 DEFAULT pg_current_xact_id() NOT NULL,
    table_name text NOT NULL,
    operation text NOT NULL,
    role_name text NOT NULL,
    session_role text NOT NULL,
    old_row jsonb,
    new_row jsonb,
    CONSTRAINT qr_recon_audit_operation_known CHECK ((operation = ANY (ARRAY['INSERT'::text, 'UPDATE'::text, 'DELETE'::text, 'TRUNCATE'::text])))
);

COMMENT ON TABLE @extschema@.qr_recon_audit IS 'Every change to qr_statement_formats, qr_statement_batches, qr_recon_runs, qr_recon_breaks, qr_recon_settings, qr_recon_fee_rates and qr_fx_rates: who, when, what, the row before and after. Written by a trigger as the table''s owner; no other role can write, change or delete its rows. Not dumped by pg_dump: it is the history of this database (a restore is itself recorded)';

COMMENT ON COLUMN @extschema@.qr_recon_audit.id IS 'Order of the changes';

COMMENT ON COLUMN @extschema@.qr_recon_audit.at IS 'Start of the statement that made the change';

COMMENT ON COLUMN @extschema@.qr_recon_audit.xact IS 'The transaction that made the change';

COMMENT ON COLUMN @extschema@.qr_recon_audit.table_name IS 'The table changed';

COMMENT ON COLUMN @extschema@.qr_recon_audit.operation IS 'INSERT, UPDATE, DELETE or TRUNCATE';

COMMENT ON COLUMN @extschema@.qr_recon_audit.role_name IS 'The role in effect for the change (current_user, after SET ROLE)';

COMMENT ON COLUMN @extschema@.qr_recon_audit.session_role IS 'The role that logged in (session_user)';

COMMENT ON COLUMN @extschema@.qr_recon_audit.old_row IS 'The row before an UPDATE or DELETE';

COMMENT ON COLUMN @extschema@.qr_recon_audit.new_row IS 'The row after an INSERT or UPDATE';

ALTER TABLE @extschema@.qr_recon_audit ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME @extschema@.qr_recon_audit_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

COMMENT ON SEQUENCE @extschema@.qr_recon_audit_id_seq IS 'Numbers the rows of qr_recon_audit';

-- Aging counts from the transaction's time; severity is the higher of the
-- amount's band (under 100, 1,000, 10,000 units of the currency, or more)
-- and the age's (under 1, 3, 7 days, or more)
CREATE VIEW @extschema@.qr_recon_break_aging AS
 SELECT b.id,
    b.provider,
    b.kind,
    b.status,
    b.owner,
    b.currency,
    b.amount,
    b.txn_at,
    b.opened_at,
    b.last_run,
    a.age,
        CASE
            WHEN (a.age < '1 day'::interval) THEN '0-1 days'::text
            WHEN (a.age < '3 days'::interval) THEN '1-3 days'::text
            WHEN (a.age < '7 days'::interval) THEN '3-7 days'::text
            WHEN (a.age < '30 days'::interval) THEN '7-30 days'::text
            ELSE '30+ days'::text
        END AS age_bucket,
    (ARRAY['low'::text, 'medium'::text, 'high'::text, 'critical'::text])[GREATEST(
        CASE
            WHEN (COALESCE(b.amount, (0)::numeric) < (100)::numeric) THEN 1
            WHEN (b.amount < (1000)::numeric) THEN 2
            WHEN (b.amount < (10000)::numeric) THEN 3
            ELSE 4
        END,
        CASE
            WHEN (a.age < '1 day'::interval) THEN 1
            WHEN (a.age < '3 days'::interval) THEN 2
            WHEN (a.age < '7 days'::interval) THEN 3
            ELSE 4
        END)] AS severity
   FROM @extschema@.qr_recon_breaks b,
    LATERAL ( SELECT (now() - COALESCE(b.txn_at, b.opened_at)) AS age) a
  WHERE (b.status = ANY (ARRAY['open'::text, 'assigned'::text]));

COMMENT ON VIEW @extschema@.qr_recon_break_aging IS 'Open and assigned breaks with their age (from the transaction''s time), age bucket (0-1, 1-3, 3-7, 7-30, 30+ days) and severity: the higher of the amount''s band (under 100, 1,000, 10,000 currency units, or more) and the age''s (under 1, 3, 7 days, or more) as low, medium, high, critical';

COMMENT ON COLUMN @extschema@.qr_recon_break_aging.id IS 'The break (qr_recon_breaks.id)';

COMMENT ON COLUMN @extschema@.qr_recon_break_aging.provider IS 'The provider of the break''s rows';

COMMENT ON COLUMN @extschema@.qr_recon_break_aging.kind IS 'The break''s status in reconciliation (amount_mismatch, missing_in_statement, ...)';

COMMENT ON COLUMN @extschema@.qr_recon_break_aging.status IS 'open or assigned';

COMMENT ON COLUMN @extschema@.qr_recon_break_aging.owner IS 'Who the break is assigned to, if anyone';

COMMENT ON COLUMN @extschema@.qr_recon_break_aging.currency IS 'Currency of the amount';

COMMENT ON COLUMN @extschema@.qr_recon_break_aging.amount IS 'The amount at stake';

COMMENT ON COLUMN @extschema@.qr_recon_break_aging.txn_at IS 'Time of the transaction the break is about';

COMMENT ON COLUMN @extschema@.qr_recon_break_aging.opened_at IS 'When a run opened the break';

COMMENT ON COLUMN @extschema@.qr_recon_break_aging.last_run IS 'The last run that saw the break';

COMMENT ON COLUMN @extschema@.qr_recon_break_aging.age IS 'Now minus the transaction''s time (the opening time when there is none)';

COMMENT ON COLUMN @extschema@.qr_recon_break_aging.age_bucket IS '0-1 days, 1-3 days, 3-7 days, 7-30 days or 30+ days';

COMMENT ON COLUMN @extschema@.qr_recon_break_aging.severity IS 'low, medium, high or critical: the higher of the amount''s band and the age''s';

ALTER TABLE @extschema@.qr_recon_breaks ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME @extschema@.qr_recon_breaks_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

COMMENT ON SEQUENCE @extschema@.qr_recon_breaks_id_seq IS 'Numbers the breaks';

CREATE TABLE @extschema@.qr_recon_fee_rates (
    provider text NOT NULL,
    currency text,
    valid_during tstzrange DEFAULT '(,)'::tstzrange NOT NULL,
    rate numeric DEFAULT 0 NOT NULL,
    fixed numeric DEFAULT 0 NOT NULL,
    source text,
    CONSTRAINT qr_recon_fee_rates_currency_code CHECK ((currency ~ '^[A-Z]{3}$'::text)),
    CONSTRAINT qr_recon_fee_rates_fixed_finite CHECK (((fixed >= (0)::numeric) AND (fixed < 'Infinity'::numeric))),
    CONSTRAINT qr_recon_fee_rates_rate_range CHECK (((rate >= (0)::numeric) AND (rate < (1)::numeric))),
    CONSTRAINT qr_recon_fee_rates_valid_during_nonempty CHECK ((NOT isempty(valid_during)))
);

COMMENT ON TABLE @extschema@.qr_recon_fee_rates IS 'The fee a provider charges on a statement line, by currency and period: expected fee = gross amount x rate + fixed, rounded to the currency''s minor unit. A line whose fee differs from it is a fee_mismatch. Where periods overlap the one that began last applies, and a row for the line''s currency beats a row for any currency. Rows are the user''s own and are dumped';

COMMENT ON COLUMN @extschema@.qr_recon_fee_rates.provider IS 'The provider that charges the fee';

COMMENT ON COLUMN @extschema@.qr_recon_fee_rates.currency IS 'ISO 4217 code of the lines it applies to (three capital letters), NULL for any currency';

COMMENT ON COLUMN @extschema@.qr_recon_fee_rates.valid_during IS 'When the rate holds, by the statement line''s time';

COMMENT ON COLUMN @extschema@.qr_recon_fee_rates.rate IS 'Share of the gross amount, 0.006 for 0.6% (at least 0, below 1)';

COMMENT ON COLUMN @extschema@.qr_recon_fee_rates.fixed IS 'Fixed fee per line, in the line''s currency (finite, zero or more)';

COMMENT ON COLUMN @extschema@.qr_recon_fee_rates.source IS 'The agreement or tariff the rate comes from';

CREATE TABLE @extschema@.qr_recon_results (
    run bigint NOT NULL,
    seq integer NOT NULL,
    status text NOT NULL,
    provider text,
    ledger_txn text,
    statement_txn text,
    batch bigint,
    line integer,
    currency text,
    amount_diff numeric,
    reason text,
    ledger_ts timestamp with time zone,
    statement_ts timestamp with time zone,
    ledger_amount numeric,
    statement_amount numeric,
    break bigint,
    statement_currency text,
    group_id bigint,
    candidates text[],
    original_txn text,
    net_amount numeric,
    fee numeric,
    expected_fee numeric,
    fx_rate numeric
);

COMMENT ON TABLE @extschema@.qr_recon_results IS 'Every outcome of every run: each row of the ledger and of the statement a run read is in exactly one of its result rows. Written by the run''s transaction, final afterwards. Rows are dumped';

COMMENT ON COLUMN @extschema@.qr_recon_results.run IS 'The run';

COMMENT ON COLUMN @extschema@.qr_recon_results.seq IS 'Order within the run';

COMMENT ON COLUMN @extschema@.qr_recon_results.status IS 'As qr_match: matched, matched_group, refund_matched (not breaks); amount_mismatch, outside_window, missing_in_statement, missing_in_ledger, duplicate_in_ledger, duplicate_in_statement, ambiguous, refund_orphan, fee_mismatch, fx_difference (breaks)';

COMMENT ON COLUMN @extschema@.qr_recon_results.provider IS 'The provider';

COMMENT ON COLUMN @extschema@.qr_recon_results.ledger_txn IS 'The ledger row (its txn_id)';

COMMENT ON COLUMN @extschema@.qr_recon_results.statement_txn IS 'The statement row: the provider''s transaction id (for a refund line, one with a refund amount: its refund id, else its refund reference, as Alipay''s refund batch number), or the statement relation''s txn_id';

COMMENT ON COLUMN @extschema@.qr_recon_results.batch IS 'The statement line''s batch';

COMMENT ON COLUMN @extschema@.qr_recon_results.line IS 'The statement line''s number in its file';

COMMENT ON COLUMN @extschema@.qr_recon_results.currency IS 'Currency of the ledger amount and of amount_diff (the statement''s when there is no ledger row)';

COMMENT ON COLUMN @extschema@.qr_recon_results.amount_diff IS 'Statement amount minus ledger amount, in the ledger''s currency (for a group, the difference of the sums, on its first row)';

COMMENT ON COLUMN @extschema@.qr_recon_results.reason IS 'Why the rows were paired, or were not';

COMMENT ON COLUMN @extschema@.qr_recon_results.ledger_ts IS 'The ledger row''s time';

COMMENT ON COLUMN @extschema@.qr_recon_results.statement_ts IS 'The statement row''s time';

COMMENT ON COLUMN @extschema@.qr_recon_results.ledger_amount IS 'The ledger row''s amount';

COMMENT ON COLUMN @extschema@.qr_recon_results.statement_amount IS 'The statement row''s amount (negative for a refund)';

COMMENT ON COLUMN @extschema@.qr_recon_results.break IS 'The break the outcome is (NULL for matched rows)';

COMMENT ON COLUMN @extschema@.qr_recon_results.statement_currency IS 'Currency of the statement amount';

COMMENT ON COLUMN @extschema@.qr_recon_results.group_id IS 'The group the row is part of: rows matched together (matched_group), a group that does not add up, the rows of a tie (ambiguous)';

COMMENT ON COLUMN @extschema@.qr_recon_results.candidates IS 'For an ambiguous row: the other side''s rows it could have been paired with';

COMMENT ON COLUMN @extschema@.qr_recon_results.original_txn IS 'For a refund, and for a payment that was refunded: the original payment''s ledger txn_id';

COMMENT ON COLUMN @extschema@.qr_recon_results.net_amount IS 'The original payment''s amount less all its refunds (on the refund rows and on the original''s own row)';

COMMENT ON COLUMN @extschema@.qr_recon_results.fee IS 'The provider''s fee on the statement line';

COMMENT ON COLUMN @extschema@.qr_recon_results.expected_fee IS 'The fee qr_recon_fee_rates gives for the line (fee_mismatch when it differs)';

COMMENT ON COLUMN @extschema@.qr_recon_results.fx_rate IS 'The qr_fx_rates rate the statement amount was converted into the ledger''s currency with';

CREATE TABLE @extschema@.qr_recon_runs (
    id bigint NOT NULL,
    started_at timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
    finished_at timestamp with time zone,
    started_by text DEFAULT CURRENT_USER NOT NULL,
    session_role text DEFAULT SESSION_USER NOT NULL,
    ledger text NOT NULL,
    statement text,
    batches bigint[],
    providers text[],
    settings jsonb NOT NULL,
    status text DEFAULT 'running'::text NOT NULL,
    ledger_rows bigint,
    statement_rows bigint,
    outcomes jsonb,
    xact xid8 DEFAULT pg_current_xact_id() NOT NULL,
    CONSTRAINT qr_recon_runs_input CHECK (((statement IS NULL) <> (batches IS NULL))),
    CONSTRAINT qr_recon_runs_status_known CHECK ((status = ANY (ARRAY['running'::text, 'done'::text])))
);

COMMENT ON TABLE @extschema@.qr_recon_runs IS 'One row per reconciliation run (qr_recon_run): its inputs and settings, who started it, when it ended and how many rows of each outcome it found. A run is written by one transaction and final once done. Rows are dumped';

COMMENT ON COLUMN @extschema@.qr_recon_runs.id IS 'The run id qr_recon_run returns';

COMMENT ON COLUMN @extschema@.qr_recon_runs.started_at IS 'When it started';

COMMENT ON COLUMN @extschema@.qr_recon_runs.finished_at IS 'When it ended';

COMMENT ON COLUMN @extschema@.qr_recon_runs.started_by IS 'The role that started it (current_user)';

COMMENT ON COLUMN @extschema@.qr_recon_runs.session_role IS 'The role that logged in (session_user)';

COMMENT ON COLUMN @extschema@.qr_recon_runs.ledger IS 'The ledger relation, schema-qualified';

COMMENT ON COLUMN @extschema@.qr_recon_runs.statement IS 'The statement relation, when the run read one rather than batches';

COMMENT ON COLUMN @extschema@.qr_recon_runs.batches IS 'The statement batches it read';

COMMENT ON COLUMN @extschema@.qr_recon_runs.providers IS 'The providers of those batches';

COMMENT ON COLUMN @extschema@.qr_recon_runs.settings IS 'What the run was told and what it applied: {"override": the settings given (time_window and amount_tolerance arguments included), "providers": {provider: its effective settings, as qr_recon_settings_for gives them}}. Runs of 0.8.0: time_window and amount_tolerance';

COMMENT ON COLUMN @extschema@.qr_recon_runs.status IS 'running until its transaction has written every result, then done';

COMMENT ON COLUMN @extschema@.qr_recon_runs.ledger_rows IS 'Ledger rows it read, context rows (the originals of refunds, read for them) not counted: each is in exactly one result row';

COMMENT ON COLUMN @extschema@.qr_recon_runs.statement_rows IS 'Statement rows it read (each is in exactly one result row)';

COMMENT ON COLUMN @extschema@.qr_recon_runs.outcomes IS 'Result rows by status';

COMMENT ON COLUMN @extschema@.qr_recon_runs.xact IS 'The transaction that ran it';

ALTER TABLE @extschema@.qr_recon_runs ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME @extschema@.qr_recon_runs_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

COMMENT ON SEQUENCE @extschema@.qr_recon_runs_id_seq IS 'Numbers the reconciliation runs';

CREATE TABLE @extschema@.qr_recon_settings (
    provider text NOT NULL,
    keys text[] DEFAULT '{reference,parent_reference,amount}'::text[] NOT NULL,
    time_window interval DEFAULT '00:15:00'::interval NOT NULL,
    date_lag interval DEFAULT '00:00:00'::interval NOT NULL,
    amount_tolerance numeric DEFAULT 0 NOT NULL,
    tolerance_percent numeric DEFAULT 0 NOT NULL,
    group_search boolean DEFAULT true NOT NULL,
    group_max_rows integer DEFAULT 5 NOT NULL,
    statement_amounts text DEFAULT 'gross'::text NOT NULL,
    fx_tolerance_percent numeric DEFAULT 1 NOT NULL,
    note text,
    CONSTRAINT qr_recon_settings_amount_tolerance_range CHECK (((amount_tolerance >= (0)::numeric) AND (amount_tolerance < 'Infinity'::numeric))),
    CONSTRAINT qr_recon_settings_date_lag_range CHECK (((date_lag >= '00:00:00'::interval) AND isfinite(date_lag))),
    CONSTRAINT qr_recon_settings_fx_tolerance_percent_range CHECK (((fx_tolerance_percent >= (0)::numeric) AND (fx_tolerance_percent < 'Infinity'::numeric))),
    CONSTRAINT qr_recon_settings_group_max_rows_range CHECK (((group_max_rows >= 2) AND (group_max_rows <= 64))),
    CONSTRAINT qr_recon_settings_keys_known CHECK (((keys <@ ARRAY['reference'::text, 'parent_reference'::text, 'amount'::text]) AND (cardinality(keys) > 0))),
    CONSTRAINT qr_recon_settings_provider_named CHECK ((provider <> ''::text)),
    CONSTRAINT qr_recon_settings_statement_amounts_known CHECK ((statement_amounts = ANY (ARRAY['gross'::text, 'net'::text]))),
    CONSTRAINT qr_recon_settings_time_window_range CHECK (((time_window >= '00:00:00'::interval) AND isfinite(time_window))),
    CONSTRAINT qr_recon_settings_tolerance_percent_range CHECK (((tolerance_percent >= (0)::numeric) AND (tolerance_percent < 'Infinity'::numeric)))
);

COMMENT ON TABLE @extschema@.qr_recon_settings IS 'How qr_match reconciles each provider''s rows: one row per provider, provider ''*'' for every provider without a row of its own. A provider''s settings are its own row, else the ''*'' row, else the built-in defaults (the column defaults), overridden key by key by the settings argument of qr_match or qr_recon_run (qr_recon_settings_for shows the result). Rows are the user''s own and are dumped';

COMMENT ON COLUMN @extschema@.qr_recon_settings.provider IS 'The provider (a qr_providers code, as the rows'' provider column holds it), or * for every provider without a row of its own';

COMMENT ON COLUMN @extschema@.qr_recon_settings.keys IS 'What pairs rows: reference (a row''s own reference), parent_reference (rows that belong to a payout, a merged order or, for refunds, to their original payment), amount (rows without a reference, by amount and time; and the search for groups that add up). A non-empty subset of these three';

COMMENT ON COLUMN @extschema@.qr_recon_settings.time_window IS 'How far apart the ledger and statement times of a pair may be, either way (finite, zero or more)';

COMMENT ON COLUMN @extschema@.qr_recon_settings.date_lag IS 'How much later than its ledger row, beyond the window, a statement row may come: a settlement cut-off (finite, zero or more)';

COMMENT ON COLUMN @extschema@.qr_recon_settings.amount_tolerance IS 'The absolute difference of amounts that still matches, in currency units (zero or more); the larger of it and tolerance_percent applies';

COMMENT ON COLUMN @extschema@.qr_recon_settings.tolerance_percent IS 'The difference that still matches, as a percentage of the ledger amount (zero or more)';

COMMENT ON COLUMN @extschema@.qr_recon_settings.group_search IS 'Whether rows left without a pair are matched to a set of 2 to group_max_rows rows of the other side, inside the window, whose amounts add up exactly';

COMMENT ON COLUMN @extschema@.qr_recon_settings.group_max_rows IS 'The most rows such a set may have (2 to 64); the search is bounded';

COMMENT ON COLUMN @extschema@.qr_recon_settings.statement_amounts IS 'gross: statement amounts are what the payer paid; net: they are after the provider''s fee, and amount + fee is compared';

COMMENT ON COLUMN @extschema@.qr_recon_settings.fx_tolerance_percent IS 'Across currencies: the difference, after conversion at the qr_fx_rates rate, that is an fx_difference rather than an amount_mismatch, as a percentage of the ledger amount';

COMMENT ON COLUMN @extschema@.qr_recon_settings.note IS 'Free text: why these settings';

CREATE TABLE @extschema@.qr_statement_batches (
    id bigint NOT NULL,
    provider text NOT NULL,
    format text NOT NULL,
    bill_type text,
    encoding text,
    time_zone text NOT NULL,
    file_sha256 bytea NOT NULL,
    file_bytes bigint NOT NULL,
    period tstzrange,
    covers text[] NOT NULL,
    lines integer DEFAULT 0 NOT NULL,
    bad_lines integer DEFAULT 0 NOT NULL,
    amount numeric DEFAULT 0 NOT NULL,
    fee numeric DEFAULT 0 NOT NULL,
    refund_amount numeric DEFAULT 0 NOT NULL,
    currencies text[] DEFAULT '{}'::text[] NOT NULL,
    summary jsonb,
    summary_errors text[] DEFAULT '{}'::text[] NOT NULL,
    status text DEFAULT 'loaded'::text NOT NULL,
    superseded_by bigint,
    note text,
    loaded_at timestamp with time zone DEFAULT now() NOT NULL,
    loaded_by text DEFAULT CURRENT_USER NOT NULL,
    session_role text DEFAULT SESSION_USER NOT NULL,
    load_xact xid8 DEFAULT pg_current_xact_id() NOT NULL,
    CONSTRAINT qr_statement_batches_covers_known CHECK (((covers <@ ARRAY['payments'::text, 'refunds'::text]) AND (cardinality(covers) > 0))),
    CONSTRAINT qr_statement_batches_sha256_length CHECK ((length(file_sha256) = 32)),
    CONSTRAINT qr_statement_batches_status_known CHECK ((status = ANY (ARRAY['loaded'::text, 'unbalanced'::text, 'superseded'::text, 'withdrawn'::text]))),
    CONSTRAINT qr_statement_batches_superseded CHECK (((status = 'superseded'::text) = (superseded_by IS NOT NULL)))
);

COMMENT ON TABLE @extschema@.qr_statement_batches IS 'One row per provider statement file loaded by qr_statement_load: what it is, the period it covers, its line count and totals, its summary and how the lines agree with it, and whether a corrected file superseded it. Rows are dumped';

COMMENT ON COLUMN @extschema@.qr_statement_batches.id IS 'The batch id qr_statement_load returns';

COMMENT ON COLUMN @extschema@.qr_statement_batches.provider IS 'The provider whose statement it is';

COMMENT ON COLUMN @extschema@.qr_statement_batches.format IS 'wechatpay, alipay, or the qr_statement_formats layout it was read with';

COMMENT ON COLUMN @extschema@.qr_statement_batches.bill_type IS 'WeChat Pay''s bill type (ALL, SUCCESS, REFUND), as its header shows';

COMMENT ON COLUMN @extschema@.qr_statement_batches.encoding IS 'The file''s encoding as read: UTF8 or GBK';

COMMENT ON COLUMN @extschema@.qr_statement_batches.time_zone IS 'The time zone of the file''s times, which also bounds its days';

COMMENT ON COLUMN @extschema@.qr_statement_batches.file_sha256 IS 'SHA-256 of the file as given: the same file loaded again is this batch';

COMMENT ON COLUMN @extschema@.qr_statement_batches.file_bytes IS 'Size of the file';

COMMENT ON COLUMN @extschema@.qr_statement_batches.period IS 'The days the file covers (as it declares them, else from its first to its last line''s day), in its time zone';

COMMENT ON COLUMN @extschema@.qr_statement_batches.covers IS 'What the file lists: payments, refunds or both (WeChat Pay''s SUCCESS and REFUND bills each list one)';

COMMENT ON COLUMN @extschema@.qr_statement_batches.lines IS 'Data lines of the file, read or not';

COMMENT ON COLUMN @extschema@.qr_statement_batches.bad_lines IS 'Lines that could not be read (kept in qr_statement_lines with their reason)';

COMMENT ON COLUMN @extschema@.qr_statement_batches.amount IS 'Sum of the lines'' amounts';

COMMENT ON COLUMN @extschema@.qr_statement_batches.fee IS 'Sum of the lines'' fees';

COMMENT ON COLUMN @extschema@.qr_statement_batches.refund_amount IS 'Sum of the lines'' refund amounts';

COMMENT ON COLUMN @extschema@.qr_statement_batches.currencies IS 'The currencies of the lines';

COMMENT ON COLUMN @extschema@.qr_statement_batches.summary IS 'The totals the file declares (WeChat Pay''s summary, Alipay''s footer), as qr_statement_info reads them';

COMMENT ON COLUMN @extschema@.qr_statement_batches.summary_errors IS 'Each total of the summary the lines disagree with, or the missing summary';

COMMENT ON COLUMN @extschema@.qr_statement_batches.status IS 'loaded; unbalanced (its lines disagree with its summary: see summary_errors); superseded (by a corrected file: superseded_by); withdrawn (qr_statement_withdraw)';

COMMENT ON COLUMN @extschema@.qr_statement_batches.superseded_by IS 'The batch of the corrected file (a batch that superseded others is not deleted)';

COMMENT ON COLUMN @extschema@.qr_statement_batches.note IS 'Why the batch was withdrawn';

COMMENT ON COLUMN @extschema@.qr_statement_batches.loaded_at IS 'When it was loaded';

COMMENT ON COLUMN @extschema@.qr_statement_batches.loaded_by IS 'The role that loaded it (current_user)';

COMMENT ON COLUMN @extschema@.qr_statement_batches.session_role IS 'The role that logged in (session_user)';

COMMENT ON COLUMN @extschema@.qr_statement_batches.load_xact IS 'The transaction that loaded it: only it may set the totals';

ALTER TABLE @extschema@.qr_statement_batches ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME @extschema@.qr_statement_batches_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

COMMENT ON SEQUENCE @extschema@.qr_statement_batches_id_seq IS 'Numbers the statement batches';

CREATE TABLE @extschema@.qr_statement_formats (
    name text NOT NULL,
    provider text,
    mapping jsonb NOT NULL,
    note text,
    CONSTRAINT qr_statement_formats_mapping_shape CHECK (((jsonb_typeof(mapping) = 'object'::text) AND (jsonb_typeof((mapping -> 'columns'::text)) = 'object'::text))),
    CONSTRAINT qr_statement_formats_name_free CHECK ((name <> ALL (ARRAY['wechatpay'::text, 'alipay'::text, 'csv'::text])))
);

COMMENT ON TABLE @extschema@.qr_statement_formats IS 'Named layouts of generic CSV statements, for qr_statement_load(provider, file, format => name): the header names of the columns, the delimiter, time zone and encoding. Rows are the user''s own and are dumped';

COMMENT ON COLUMN @extschema@.qr_statement_formats.name IS 'The name qr_statement_load''s format argument gives (not wechatpay, alipay or csv, which are built in)';

COMMENT ON COLUMN @extschema@.qr_statement_formats.provider IS 'The provider whose files have this layout (NULL: any)';

COMMENT ON COLUMN @extschema@.qr_statement_formats.mapping IS 'As qr_statement_parse''s mapping: {"columns": {"provider_txn": ..., "ts": ..., "amount": ..., optional reference, currency, fee, status, refund_txn, refund_reference, refund_amount}, "delimiter": ",", "time_zone": "UTC", "encoding": "UTF8" or "GBK"}';

COMMENT ON COLUMN @extschema@.qr_statement_formats.note IS 'Free text: where the layout comes from';

CREATE TABLE @extschema@.qr_statement_lines (
    batch bigint NOT NULL,
    line integer NOT NULL,
    provider_txn text,
    reference text,
    ts timestamp with time zone,
    amount numeric,
    currency text,
    fee numeric,
    status text,
    refund_txn text,
    refund_reference text,
    refund_amount numeric,
    extra jsonb,
    error text,
    raw text
);

COMMENT ON TABLE @extschema@.qr_statement_lines IS 'The data lines of each statement batch as qr_statement_parse reads them, those that could not be read included (error says why, raw holds the text). Written once by qr_statement_load; rows are dumped';

COMMENT ON COLUMN @extschema@.qr_statement_lines.batch IS 'The batch (qr_statement_batches.id): lines are written only by the transaction that loads their batch, and go with it';

COMMENT ON COLUMN @extschema@.qr_statement_lines.line IS 'Line number in the file where the record starts';

COMMENT ON COLUMN @extschema@.qr_statement_lines.provider_txn IS 'The provider''s transaction id';

COMMENT ON COLUMN @extschema@.qr_statement_lines.reference IS 'The merchant''s order id';

COMMENT ON COLUMN @extschema@.qr_statement_lines.ts IS 'When the transaction completed';

COMMENT ON COLUMN @extschema@.qr_statement_lines.amount IS 'The amount the provider settles for it';

COMMENT ON COLUMN @extschema@.qr_statement_lines.currency IS 'ISO 4217 code';

COMMENT ON COLUMN @extschema@.qr_statement_lines.fee IS 'The provider''s fee';

COMMENT ON COLUMN @extschema@.qr_statement_lines.status IS 'The provider''s status or business type of the line';

COMMENT ON COLUMN @extschema@.qr_statement_lines.refund_txn IS 'The provider''s refund id';

COMMENT ON COLUMN @extschema@.qr_statement_lines.refund_reference IS 'The merchant''s refund id or refund batch number';

COMMENT ON COLUMN @extschema@.qr_statement_lines.refund_amount IS 'The amount refunded';

COMMENT ON COLUMN @extschema@.qr_statement_lines.extra IS 'The line''s other columns, by their header names';

COMMENT ON COLUMN @extschema@.qr_statement_lines.error IS 'Why the line could not be read (its other fields are then NULL)';

COMMENT ON COLUMN @extschema@.qr_statement_lines.raw IS 'The text of a line that could not be read';

-- ---------------------------------------------------------------------
-- The shipped rows
-- ---------------------------------------------------------------------

INSERT INTO @extschema@.qr_cities (name, name_zh, province, capital, aliases, shipped) VALUES ('Beijing', @extschema@.qrpay_script_text('\5317\4EAC', true), 'Beijing', true, '{}', true);
INSERT INTO @extschema@.qr_cities (name, name_zh, province, capital, aliases, shipped) VALUES ('Shanghai', @extschema@.qrpay_script_text('\4E0A\6D77', true), 'Shanghai', true, '{}', true);
INSERT INTO @extschema@.qr_cities (name, name_zh, province, capital, aliases, shipped) VALUES ('Tianjin', @extschema@.qrpay_script_text('\5929\6D25', true), 'Tianjin', true, '{}', true);
INSERT INTO @extschema@.qr_cities (name, name_zh, province, capital, aliases, shipped) VALUES ('Chongqing', @extschema@.qrpay_script_text('\91CD\5E86', true), 'Chongqing', true, '{}', true);
INSERT INTO @extschema@.qr_cities (name, name_zh, province, capital, aliases, shipped) VALUES ('Shijiazhuang', @extschema@.qrpay_script_text('\77F3\5BB6\5E84', true), 'Hebei', true, '{}', true);
INSERT INTO @extschema@.qr_cities (name, name_zh, province, capital, aliases, shipped) VALUES ('Taiyuan', @extschema@.qrpay_script_text('\592A\539F', true), 'Shanxi', true, '{}', true);
INSERT INTO @extschema@.qr_cities (name, name_zh, province, capital, aliases, shipped) VALUES ('Hohhot', @extschema@.qrpay_script_text('\547C\548C\6D69\7279', true), 'Inner Mongolia', true, '{Huhhot,Huhehaote}', true);
INSERT INTO @extschema@.qr_cities (name, name_zh, province, capital, aliases, shipped) VALUES ('Shenyang', @extschema@.qrpay_script_text('\6C88\9633', true), 'Liaoning', true, '{}', true);
INSERT INTO @extschema@.qr_cities (name, name_zh, province, capital, aliases, shipped) VALUES ('Changchun', @extschema@.qrpay_script_text('\957F\6625', true), 'Jilin', true, '{}', true);
INSERT INTO @extschema@.qr_cities (name, name_zh, province, capital, aliases, shipped) VALUES ('Harbin', @extschema@.qrpay_script_text('\54C8\5C14\6EE8', true), 'Heilongjiang', true, '{}', true);
INSERT INTO @extschema@.qr_cities (name, name_zh, province, capital, aliases, shipped) VALUES ('Nanjing', @extschema@.qrpay_script_text('\5357\4EAC', true), 'Jiangsu', true, '{}', true);
INSERT INTO @extschema@.qr_cities (name, name_zh, province, capital, aliases, shipped) VALUES ('Hangzhou', @extschema@.qrpay_script_text('\676D\5DDE', true), 'Zhejiang', true, '{}', true);
INSERT INTO @extschema@.qr_cities (name, name_zh, province, capital, aliases, shipped) VALUES ('Hefei', @extschema@.qrpay_script_text('\5408\80A5', true), 'Anhui', true, '{}', true);
INSERT INTO @extschema@.qr_cities (name, name_zh, province, capital, aliases, shipped) VALUES ('Fuzhou', @extschema@.qrpay_script_text('\798F\5DDE', true), 'Fujian', true, '{}', true);
INSERT INTO @extschema@.qr_cities (name, name_zh, province, capital, aliases, shipped) VALUES ('Nanchang', @extschema@.qrpay_script_text('\5357\660C', true), 'Jiangxi', true, '{}', true);
INSERT INTO @extschema@.qr_cities (name, name_zh, province, capital, aliases, shipped) VALUES ('Jinan', @extschema@.qrpay_script_text('\6D4E\5357', true), 'Shandong', true, '{}', true);
INSERT INTO @extschema@.qr_cities (name, name_zh, province, capital, aliases, shipped) VALUES ('Zhengzhou', @extschema@.qrpay_script_text('\90D1\5DDE', true), 'Henan', true, '{}', true);
INSERT INTO @extschema@.qr_cities (name, name_zh, province, capital, aliases, shipped) VALUES ('Wuhan', @extschema@.qrpay_script_text('\6B66\6C49', true), 'Hubei', true, '{}', true);
INSERT INTO @extschema@.qr_cities (name, name_zh, province, capital, aliases, shipped) VALUES ('Changsha', @extschema@.qrpay_script_text('\957F\6C99', true), 'Hunan', true, '{}', true);
INSERT INTO @extschema@.qr_cities (name, name_zh, province, capital, aliases, shipped) VALUES ('Guangzhou', @extschema@.qrpay_script_text('\5E7F\5DDE', true), 'Guangdong', true, '{Canton}', true);
INSERT INTO @extschema@.qr_cities (name, name_zh, province, capital, aliases, shipped) VALUES ('Nanning', @extschema@.qrpay_script_text('\5357\5B81', true), 'Guangxi', true, '{}', true);
INSERT INTO @extschema@.qr_cities (name, name_zh, province, capital, aliases, shipped) VALUES ('Haikou', @extschema@.qrpay_script_text('\6D77\53E3', true), 'Hainan', true, '{}', true);
INSERT INTO @extschema@.qr_cities (name, name_zh, province, capital, aliases, shipped) VALUES ('Chengdu', @extschema@.qrpay_script_text('\6210\90FD', true), 'Sichuan', true, '{}', true);
INSERT INTO @extschema@.qr_cities (name, name_zh, province, capital, aliases, shipped) VALUES ('Guiyang', @extschema@.qrpay_script_text('\8D35\9633', true), 'Guizhou', true, '{}', true);
INSERT INTO @extschema@.qr_cities (name, name_zh, province, capital, aliases, shipped) VALUES ('Kunming', @extschema@.qrpay_script_text('\6606\660E', true), 'Yunnan', true, '{}', true);
INSERT INTO @extschema@.qr_cities (name, name_zh, province, capital, aliases, shipped) VALUES ('Lhasa', @extschema@.qrpay_script_text('\62C9\8428', true), 'Tibet', true, '{}', true);
INSERT INTO @extschema@.qr_cities (name, name_zh, province, capital, aliases, shipped) VALUES ('Xi''an', @extschema@.qrpay_script_text('\897F\5B89', true), 'Shaanxi', true, '{Xian}', true);
INSERT INTO @extschema@.qr_cities (name, name_zh, province, capital, aliases, shipped) VALUES ('Lanzhou', @extschema@.qrpay_script_text('\5170\5DDE', true), 'Gansu', true, '{}', true);
INSERT INTO @extschema@.qr_cities (name, name_zh, province, capital, aliases, shipped) VALUES ('Xining', @extschema@.qrpay_script_text('\897F\5B81', true), 'Qinghai', true, '{}', true);
INSERT INTO @extschema@.qr_cities (name, name_zh, province, capital, aliases, shipped) VALUES ('Yinchuan', @extschema@.qrpay_script_text('\94F6\5DDD', true), 'Ningxia', true, '{}', true);
INSERT INTO @extschema@.qr_cities (name, name_zh, province, capital, aliases, shipped) VALUES ('Urumqi', @extschema@.qrpay_script_text('\4E4C\9C81\6728\9F50', true), 'Xinjiang', true, '{Urumchi,Wulumuqi}', true);
INSERT INTO @extschema@.qr_cities (name, name_zh, province, capital, aliases, shipped) VALUES ('Shenzhen', @extschema@.qrpay_script_text('\6DF1\5733', true), 'Guangdong', false, '{}', true);
INSERT INTO @extschema@.qr_cities (name, name_zh, province, capital, aliases, shipped) VALUES ('Suzhou', @extschema@.qrpay_script_text('\82CF\5DDE', true), 'Jiangsu', false, '{}', true);
INSERT INTO @extschema@.qr_cities (name, name_zh, province, capital, aliases, shipped) VALUES ('Qingdao', @extschema@.qrpay_script_text('\9752\5C9B', true), 'Shandong', false, '{}', true);
INSERT INTO @extschema@.qr_cities (name, name_zh, province, capital, aliases, shipped) VALUES ('Xiamen', @extschema@.qrpay_script_text('\53A6\95E8', true), 'Fujian', false, '{Amoy}', true);
INSERT INTO @extschema@.qr_cities (name, name_zh, province, capital, aliases, shipped) VALUES ('Dalian', @extschema@.qrpay_script_text('\5927\8FDE', true), 'Liaoning', false, '{}', true);
INSERT INTO @extschema@.qr_cities (name, name_zh, province, capital, aliases, shipped) VALUES ('Ningbo', @extschema@.qrpay_script_text('\5B81\6CE2', true), 'Zhejiang', false, '{}', true);
INSERT INTO @extschema@.qr_cities (name, name_zh, province, capital, aliases, shipped) VALUES ('Dongguan', @extschema@.qrpay_script_text('\4E1C\839E', true), 'Guangdong', false, '{}', true);

INSERT INTO @extschema@.qr_interop_rules (id, payer, payee, via, valid_during, cities, scenario, priority, allowed, source, shipped) VALUES ('F1-unionpay-alipay', 'unionpay', 'alipay', 'unionpay', '["2021-07-31 16:00:00+00",)', NULL, 'online', 0, true, 'F1 (2021-08): Taobao accepts UnionPay Cloud QuickPass at checkout; about 85% of Taobao merchants by 2021-10 (Caixin/PYMNTS 2021-10-04)', true);
INSERT INTO @extschema@.qr_interop_rules (id, payer, payee, via, valid_during, cities, scenario, priority, allowed, source, shipped) VALUES ('F2-unionpay-alipay', 'unionpay', 'alipay', 'unionpay', '["2021-10-01 16:00:00+00",)', '{Beijing,Guangzhou,Shenzhen,Tianjin,Chengdu,Chongqing,Xi''an}', 'offline', 0, true, 'F2 (by 2021-10-02): Alipay payment codes and UnionPay Cloud QuickPass interoperable offline in Beijing, Guangzhou, Shenzhen, Tianjin, Chengdu, Chongqing and Xi''an (SCMP 2021-10-04)', true);
INSERT INTO @extschema@.qr_interop_rules (id, payer, payee, via, valid_during, cities, scenario, priority, allowed, source, shipped) VALUES ('F3-unionpay-alipay', 'unionpay', 'alipay', 'unionpay', '["2021-12-02 16:00:00+00",)', NULL, 'offline', 0, true, 'F3 (2021-12-03): Alipay and UnionPay receiving codes mutually scannable nationwide, with 28 banks and institutions (Caixin 2021-12-03)', true);
INSERT INTO @extschema@.qr_interop_rules (id, payer, payee, via, valid_during, cities, scenario, priority, allowed, source, shipped) VALUES ('F2-alipay-unionpay', 'alipay', 'unionpay', 'unionpay', '["2021-10-01 16:00:00+00",)', '{Beijing,Guangzhou,Shenzhen,Tianjin,Chengdu,Chongqing,Xi''an}', 'offline', 0, true, 'F2 (by 2021-10-02): Alipay payment codes and UnionPay Cloud QuickPass interoperable offline in Beijing, Guangzhou, Shenzhen, Tianjin, Chengdu, Chongqing and Xi''an (SCMP 2021-10-04)', true);
INSERT INTO @extschema@.qr_interop_rules (id, payer, payee, via, valid_during, cities, scenario, priority, allowed, source, shipped) VALUES ('F3-alipay-unionpay', 'alipay', 'unionpay', 'unionpay', '["2021-12-02 16:00:00+00",)', NULL, 'offline', 0, true, 'F3 (2021-12-03): Alipay and UnionPay receiving codes mutually scannable nationwide, with 28 banks and institutions (Caixin 2021-12-03)', true);
INSERT INTO @extschema@.qr_interop_rules (id, payer, payee, via, valid_during, cities, scenario, priority, allowed, source, shipped) VALUES ('F3-ccb-alipay', 'ccb', 'alipay', 'unionpay', '["2021-12-02 16:00:00+00",)', NULL, 'offline', 0, true, 'F3 (2021-12-03): the banks and institutions joining Alipay-UnionPay interoperability scan Alipay codes through UnionPay (Caixin 2021-12-03)', true);
INSERT INTO @extschema@.qr_interop_rules (id, payer, payee, via, valid_during, cities, scenario, priority, allowed, source, shipped) VALUES ('F3-boc-alipay', 'boc', 'alipay', 'unionpay', '["2021-12-02 16:00:00+00",)', NULL, 'offline', 0, true, 'F3 (2021-12-03): the banks and institutions joining Alipay-UnionPay interoperability scan Alipay codes through UnionPay (Caixin 2021-12-03)', true);
INSERT INTO @extschema@.qr_interop_rules (id, payer, payee, via, valid_during, cities, scenario, priority, allowed, source, shipped) VALUES ('F3-bocom-alipay', 'bocom', 'alipay', 'unionpay', '["2021-12-02 16:00:00+00",)', NULL, 'offline', 0, true, 'F3 (2021-12-03): the banks and institutions joining Alipay-UnionPay interoperability scan Alipay codes through UnionPay (Caixin 2021-12-03)', true);
INSERT INTO @extschema@.qr_interop_rules (id, payer, payee, via, valid_during, cities, scenario, priority, allowed, source, shipped) VALUES ('F3-pingan-alipay', 'pingan', 'alipay', 'unionpay', '["2021-12-02 16:00:00+00",)', NULL, 'offline', 0, true, 'F3 (2021-12-03): the banks and institutions joining Alipay-UnionPay interoperability scan Alipay codes through UnionPay (Caixin 2021-12-03)', true);
INSERT INTO @extschema@.qr_interop_rules (id, payer, payee, via, valid_during, cities, scenario, priority, allowed, source, shipped) VALUES ('F3-citic-alipay', 'citic', 'alipay', 'unionpay', '["2021-12-02 16:00:00+00",)', NULL, 'offline', 0, true, 'F3 (2021-12-03): the banks and institutions joining Alipay-UnionPay interoperability scan Alipay codes through UnionPay (Caixin 2021-12-03)', true);
INSERT INTO @extschema@.qr_interop_rules (id, payer, payee, via, valid_during, cities, scenario, priority, allowed, source, shipped) VALUES ('F4-unionpay-wechatpay', 'unionpay', 'wechatpay', 'unionpay', '["2021-09-21 16:00:00+00",)', '{Beijing,Shanghai,Tianjin,Chongqing,Shijiazhuang,Taiyuan,Hohhot,Shenyang,Changchun,Harbin,Nanjing,Hangzhou,Hefei,Fuzhou,Nanchang,Jinan,Zhengzhou,Wuhan,Changsha,Guangzhou,Nanning,Haikou,Chengdu,Guiyang,Kunming,Lhasa,Xi''an,Lanzhou,Xining,Yinchuan,Urumqi}', 'offline', 0, true, 'F4 (testing from 2021-09-22): Cloud QuickPass users scan WeChat Pay merchant codes and WeChat Pay users scan QuickPass codes in provincial capitals (SCMP 2021-10-04)', true);
INSERT INTO @extschema@.qr_interop_rules (id, payer, payee, via, valid_during, cities, scenario, priority, allowed, source, shipped) VALUES ('F4-wechatpay-unionpay', 'wechatpay', 'unionpay', 'unionpay', '["2021-09-21 16:00:00+00",)', '{Beijing,Shanghai,Tianjin,Chongqing,Shijiazhuang,Taiyuan,Hohhot,Shenyang,Changchun,Harbin,Nanjing,Hangzhou,Hefei,Fuzhou,Nanchang,Jinan,Zhengzhou,Wuhan,Changsha,Guangzhou,Nanning,Haikou,Chengdu,Guiyang,Kunming,Lhasa,Xi''an,Lanzhou,Xining,Yinchuan,Urumqi}', 'offline', 0, true, 'F4 (testing from 2021-09-22): Cloud QuickPass users scan WeChat Pay merchant codes and WeChat Pay users scan QuickPass codes in provincial capitals (SCMP 2021-10-04)', true);
INSERT INTO @extschema@.qr_interop_rules (id, payer, payee, via, valid_during, cities, scenario, priority, allowed, source, shipped) VALUES ('F5-unionpay-wechatpay', 'unionpay', 'wechatpay', 'unionpay', '["2021-09-21 16:00:00+00",)', NULL, 'mini_program', 0, true, 'F5 (2021-09-22, rolling out): WeChat mini programs (WeRead, Tencent Video, JD.com, Luckin Coffee, QQ Music, Q-Coin) accept Cloud QuickPass (SCMP 2021-10-04)', true);
INSERT INTO @extschema@.qr_interop_rules (id, payer, payee, via, valid_during, cities, scenario, priority, allowed, source, shipped) VALUES ('F6-wechatpay-alipay', 'wechatpay', 'alipay', 'wechatpay', '["2021-08-31 16:00:00+00",)', NULL, 'online', 0, true, 'F6 (2021-09): Alibaba platforms (Ele.me, Youku, Damai, Kaola, Shuqi) accept WeChat Pay at online checkout (Caixin/PYMNTS 2021-10-04)', true);
INSERT INTO @extschema@.qr_interop_rules (id, payer, payee, via, valid_during, cities, scenario, priority, allowed, source, shipped) VALUES ('F7-ccb-wechatpay', 'ccb', 'wechatpay', 'netsunion', '["2021-09-30 16:00:00+00",)', NULL, 'offline', 0, true, @extschema@.qrpay_script_text('F7 (before 2021-10): bank apps scan WeChat Pay codes nationwide (close to 30 banks by 2023); cleared through NetsUnion, the clearing house of non-bank payment institutions (PBoC 296\53F7, doc/routing.md \00A7 Provider identifiers) (SCMP 2021-10-04)'), true);
INSERT INTO @extschema@.qr_interop_rules (id, payer, payee, via, valid_during, cities, scenario, priority, allowed, source, shipped) VALUES ('F7-boc-wechatpay', 'boc', 'wechatpay', 'netsunion', '["2021-09-30 16:00:00+00",)', NULL, 'offline', 0, true, @extschema@.qrpay_script_text('F7 (before 2021-10): bank apps scan WeChat Pay codes nationwide (close to 30 banks by 2023); cleared through NetsUnion, the clearing house of non-bank payment institutions (PBoC 296\53F7, doc/routing.md \00A7 Provider identifiers) (SCMP 2021-10-04)'), true);
INSERT INTO @extschema@.qr_interop_rules (id, payer, payee, via, valid_during, cities, scenario, priority, allowed, source, shipped) VALUES ('F7-bocom-wechatpay', 'bocom', 'wechatpay', 'netsunion', '["2021-09-30 16:00:00+00",)', NULL, 'offline', 0, true, @extschema@.qrpay_script_text('F7 (before 2021-10): bank apps scan WeChat Pay codes nationwide (close to 30 banks by 2023); cleared through NetsUnion, the clearing house of non-bank payment institutions (PBoC 296\53F7, doc/routing.md \00A7 Provider identifiers) (SCMP 2021-10-04)'), true);
INSERT INTO @extschema@.qr_interop_rules (id, payer, payee, via, valid_during, cities, scenario, priority, allowed, source, shipped) VALUES ('F7-pingan-wechatpay', 'pingan', 'wechatpay', 'netsunion', '["2021-09-30 16:00:00+00",)', NULL, 'offline', 0, true, @extschema@.qrpay_script_text('F7 (before 2021-10): bank apps scan WeChat Pay codes nationwide (close to 30 banks by 2023); cleared through NetsUnion, the clearing house of non-bank payment institutions (PBoC 296\53F7, doc/routing.md \00A7 Provider identifiers) (SCMP 2021-10-04)'), true);
INSERT INTO @extschema@.qr_interop_rules (id, payer, payee, via, valid_during, cities, scenario, priority, allowed, source, shipped) VALUES ('F7-citic-wechatpay', 'citic', 'wechatpay', 'netsunion', '["2021-09-30 16:00:00+00",)', NULL, 'offline', 0, true, @extschema@.qrpay_script_text('F7 (before 2021-10): bank apps scan WeChat Pay codes nationwide (close to 30 banks by 2023); cleared through NetsUnion, the clearing house of non-bank payment institutions (PBoC 296\53F7, doc/routing.md \00A7 Provider identifiers) (SCMP 2021-10-04)'), true);
INSERT INTO @extschema@.qr_interop_rules (id, payer, payee, via, valid_during, cities, scenario, priority, allowed, source, shipped) VALUES ('F8-cmpay-wechatpay', 'cmpay', 'wechatpay', 'netsunion', '["2023-11-09 16:00:00+00",)', NULL, 'offline', 0, true, 'F8 (2023-11-10): the digital wallets of China Mobile, China Telecom and China Unicom pay by scanning WeChat Pay codes (SCMP 2023-11-11)', true);
INSERT INTO @extschema@.qr_interop_rules (id, payer, payee, via, valid_during, cities, scenario, priority, allowed, source, shipped) VALUES ('F8-bestpay-wechatpay', 'bestpay', 'wechatpay', 'netsunion', '["2023-11-09 16:00:00+00",)', NULL, 'offline', 0, true, 'F8 (2023-11-10): the digital wallets of China Mobile, China Telecom and China Unicom pay by scanning WeChat Pay codes (SCMP 2023-11-11)', true);
INSERT INTO @extschema@.qr_interop_rules (id, payer, payee, via, valid_during, cities, scenario, priority, allowed, source, shipped) VALUES ('F8-wopay-wechatpay', 'wopay', 'wechatpay', 'netsunion', '["2023-11-09 16:00:00+00",)', NULL, 'offline', 0, true, 'F8 (2023-11-10): the digital wallets of China Mobile, China Telecom and China Unicom pay by scanning WeChat Pay codes (SCMP 2023-11-11)', true);
INSERT INTO @extschema@.qr_interop_rules (id, payer, payee, via, valid_during, cities, scenario, priority, allowed, source, shipped) VALUES ('F9-ecny-wechatpay-online', 'ecny', 'wechatpay', 'ecny', '["2023-10-31 16:00:00+00",)', NULL, 'online', 0, true, 'F9 (2023-11): WeChat supports e-CNY as a payment option in the WeChat wallet, short video and mini programs (SCMP 2023-11-11)', true);
INSERT INTO @extschema@.qr_interop_rules (id, payer, payee, via, valid_during, cities, scenario, priority, allowed, source, shipped) VALUES ('F9-ecny-wechatpay-miniprogram', 'ecny', 'wechatpay', 'ecny', '["2023-10-31 16:00:00+00",)', NULL, 'mini_program', 0, true, 'F9 (2023-11): WeChat supports e-CNY as a payment option in the WeChat wallet, short video and mini programs (SCMP 2023-11-11)', true);
INSERT INTO @extschema@.qr_interop_rules (id, payer, payee, via, valid_during, cities, scenario, priority, allowed, source, shipped) VALUES ('F10-unionpay-wechatpay', 'unionpay', 'wechatpay', 'unionpay', '["2024-05-31 16:00:00+00",)', NULL, 'offline', 0, true, 'F10 (2024-06): all kinds of WeChat Pay receiving codes open to the whole UnionPay network; the Cloud QuickPass app scans any WeChat Pay code (China UnionPay 2024-06)', true);
INSERT INTO @extschema@.qr_interop_rules (id, payer, payee, via, valid_during, cities, scenario, priority, allowed, source, shipped) VALUES ('F11-alipay-wechatpay', 'alipay', 'wechatpay', NULL, '(,)', NULL, 'offline', 0, false, 'F11 (as of 2023-11): no direct interoperability between Alipay and WeChat Pay; an Alipay trial letting Alipay users scan with Alipay is on-us Alipay, not interop (SCMP 2023-11-11)', true);
INSERT INTO @extschema@.qr_interop_rules (id, payer, payee, via, valid_during, cities, scenario, priority, allowed, source, shipped) VALUES ('F11-wechatpay-alipay', 'wechatpay', 'alipay', NULL, '(,)', NULL, 'offline', 0, false, 'F11 (as of 2023-11): no direct interoperability between Alipay and WeChat Pay; an Alipay trial letting Alipay users scan with Alipay is on-us Alipay, not interop (SCMP 2023-11-11)', true);

INSERT INTO @extschema@.qr_provider_patterns (provider, kind, pattern, country, min_length, max_length, note, shipped) VALUES ('alipay', 'payment_code', '2[5-9]*', NULL, 16, 24, @extschema@.qrpay_script_text('doc/routing.md \00A7 Provider identifiers, consumer codes: Alipay consumer code, prefix 25-30, 16-24 digits'), true);
INSERT INTO @extschema@.qr_provider_patterns (provider, kind, pattern, country, min_length, max_length, note, shipped) VALUES ('alipay', 'payment_code', '30*', NULL, 16, 24, @extschema@.qrpay_script_text('doc/routing.md \00A7 Provider identifiers, consumer codes: Alipay consumer code, prefix 25-30, 16-24 digits'), true);
INSERT INTO @extschema@.qr_provider_patterns (provider, kind, pattern, country, min_length, max_length, note, shipped) VALUES ('wechatpay', 'url', 'wxp://*', NULL, NULL, NULL, @extschema@.qrpay_script_text('doc/routing.md \00A7 Provider identifiers, URL and text formats: WeChat Pay face-to-face collection code'), true);
INSERT INTO @extschema@.qr_provider_patterns (provider, kind, pattern, country, min_length, max_length, note, shipped) VALUES ('wechatpay', 'url', 'weixin://wxpay/*', NULL, NULL, NULL, @extschema@.qrpay_script_text('doc/routing.md \00A7 Provider identifiers, URL and text formats: WeChat Pay Native order code'), true);
INSERT INTO @extschema@.qr_provider_patterns (provider, kind, pattern, country, min_length, max_length, note, shipped) VALUES ('wechatpay', 'emv_guid', 'COM.QQ.WEIXIN.PAY', NULL, NULL, NULL, @extschema@.qrpay_script_text('doc/routing.md \00A7 Provider identifiers, EMVCo: WeChat Pay inside EMVCo codes (SGQR)'), true);
INSERT INTO @extschema@.qr_provider_patterns (provider, kind, pattern, country, min_length, max_length, note, shipped) VALUES ('wechatpay', 'payment_code', '1[0-5]*', NULL, 18, 18, @extschema@.qrpay_script_text('doc/routing.md \00A7 Provider identifiers, consumer codes: WeChat Pay consumer code, prefix 10-15, 18 digits'), true);
INSERT INTO @extschema@.qr_provider_patterns (provider, kind, pattern, country, min_length, max_length, note, shipped) VALUES ('unionpay', 'emv_tag', '15', NULL, NULL, NULL, 'EMVCo MPM Table 4.1: ids 15-16 UnionPay', true);
INSERT INTO @extschema@.qr_provider_patterns (provider, kind, pattern, country, min_length, max_length, note, shipped) VALUES ('unionpay', 'emv_tag', '16', NULL, NULL, NULL, 'EMVCo MPM Table 4.1: ids 15-16 UnionPay', true);
INSERT INTO @extschema@.qr_provider_patterns (provider, kind, pattern, country, min_length, max_length, note, shipped) VALUES ('unionpay', 'emv_guid', 'A000000333*', NULL, NULL, NULL, 'UnionPay RID A000000333 (ISO/IEC 7816-5) as a template GUID', true);
INSERT INTO @extschema@.qr_provider_patterns (provider, kind, pattern, country, min_length, max_length, note, shipped) VALUES ('unionpay', 'cpm_aid', 'A000000333*', NULL, NULL, NULL, 'UnionPay RID A000000333 (ISO/IEC 7816-5)', true);
INSERT INTO @extschema@.qr_provider_patterns (provider, kind, pattern, country, min_length, max_length, note, shipped) VALUES ('unionpay', 'payment_code', '62*', NULL, 19, 19, @extschema@.qrpay_script_text('doc/routing.md \00A7 Provider identifiers, consumer codes: UnionPay consumer code, prefix 62, 19 digits'), true);
INSERT INTO @extschema@.qr_provider_patterns (provider, kind, pattern, country, min_length, max_length, note, shipped) VALUES ('visa', 'emv_tag', '02', NULL, NULL, NULL, 'EMVCo MPM Table 4.1: ids 02-03 Visa', true);
INSERT INTO @extschema@.qr_provider_patterns (provider, kind, pattern, country, min_length, max_length, note, shipped) VALUES ('visa', 'emv_tag', '03', NULL, NULL, NULL, 'EMVCo MPM Table 4.1: ids 02-03 Visa', true);
INSERT INTO @extschema@.qr_provider_patterns (provider, kind, pattern, country, min_length, max_length, note, shipped) VALUES ('ecny', 'payment_code', '01*', NULL, 19, 19, @extschema@.qrpay_script_text('doc/routing.md \00A7 Provider identifiers, consumer codes: e-CNY consumer code, prefix 01, 19 digits (unverified: one open-source router)'), true);
INSERT INTO @extschema@.qr_provider_patterns (provider, kind, pattern, country, min_length, max_length, note, shipped) VALUES ('visa', 'cpm_aid', 'A000000003*', NULL, NULL, NULL, 'Visa RID A000000003 (ISO/IEC 7816-5)', true);
INSERT INTO @extschema@.qr_provider_patterns (provider, kind, pattern, country, min_length, max_length, note, shipped) VALUES ('mastercard', 'emv_tag', '04', NULL, NULL, NULL, 'EMVCo MPM Table 4.1: ids 04-05 Mastercard', true);
INSERT INTO @extschema@.qr_provider_patterns (provider, kind, pattern, country, min_length, max_length, note, shipped) VALUES ('mastercard', 'emv_tag', '05', NULL, NULL, NULL, 'EMVCo MPM Table 4.1: ids 04-05 Mastercard', true);
INSERT INTO @extschema@.qr_provider_patterns (provider, kind, pattern, country, min_length, max_length, note, shipped) VALUES ('mastercard', 'cpm_aid', 'A000000004*', NULL, NULL, NULL, 'Mastercard RID A000000004 (ISO/IEC 7816-5)', true);
INSERT INTO @extschema@.qr_provider_patterns (provider, kind, pattern, country, min_length, max_length, note, shipped) VALUES ('discover', 'emv_tag', '09', NULL, NULL, NULL, 'EMVCo MPM Table 4.1: ids 09-10 Discover', true);
INSERT INTO @extschema@.qr_provider_patterns (provider, kind, pattern, country, min_length, max_length, note, shipped) VALUES ('discover', 'emv_tag', '10', NULL, NULL, NULL, 'EMVCo MPM Table 4.1: ids 09-10 Discover', true);
INSERT INTO @extschema@.qr_provider_patterns (provider, kind, pattern, country, min_length, max_length, note, shipped) VALUES ('discover', 'cpm_aid', 'A000000152*', NULL, NULL, NULL, 'Discover RID A000000152 (ISO/IEC 7816-5)', true);
INSERT INTO @extschema@.qr_provider_patterns (provider, kind, pattern, country, min_length, max_length, note, shipped) VALUES ('amex', 'emv_tag', '11', NULL, NULL, NULL, 'EMVCo MPM Table 4.1: ids 11-12 American Express', true);
INSERT INTO @extschema@.qr_provider_patterns (provider, kind, pattern, country, min_length, max_length, note, shipped) VALUES ('amex', 'emv_tag', '12', NULL, NULL, NULL, 'EMVCo MPM Table 4.1: ids 11-12 American Express', true);
INSERT INTO @extschema@.qr_provider_patterns (provider, kind, pattern, country, min_length, max_length, note, shipped) VALUES ('amex', 'cpm_aid', 'A000000025*', NULL, NULL, NULL, 'American Express RID A000000025 (ISO/IEC 7816-5)', true);
INSERT INTO @extschema@.qr_provider_patterns (provider, kind, pattern, country, min_length, max_length, note, shipped) VALUES ('jcb', 'emv_tag', '13', NULL, NULL, NULL, 'EMVCo MPM Table 4.1: ids 13-14 JCB', true);
INSERT INTO @extschema@.qr_provider_patterns (provider, kind, pattern, country, min_length, max_length, note, shipped) VALUES ('jcb', 'emv_tag', '14', NULL, NULL, NULL, 'EMVCo MPM Table 4.1: ids 13-14 JCB', true);
INSERT INTO @extschema@.qr_provider_patterns (provider, kind, pattern, country, min_length, max_length, note, shipped) VALUES ('jcb', 'cpm_aid', 'A000000065*', NULL, NULL, NULL, 'JCB RID A000000065 (ISO/IEC 7816-5)', true);
INSERT INTO @extschema@.qr_provider_patterns (provider, kind, pattern, country, min_length, max_length, note, shipped) VALUES ('pix', 'emv_guid', 'br.gov.bcb.pix', NULL, NULL, NULL, @extschema@.qrpay_script_text('doc/routing.md \00A7 Provider identifiers, EMVCo: Pix (pix-utils)'), true);
INSERT INTO @extschema@.qr_provider_patterns (provider, kind, pattern, country, min_length, max_length, note, shipped) VALUES ('pix', 'emv_guid', 'br.gov.bcb.spi', NULL, NULL, NULL, @extschema@.qrpay_script_text('doc/routing.md \00A7 Provider identifiers, EMVCo: Pix pre-launch draft GUID'), true);
INSERT INTO @extschema@.qr_provider_patterns (provider, kind, pattern, country, min_length, max_length, note, shipped) VALUES ('promptpay', 'emv_guid', 'A000000677010111', NULL, NULL, NULL, @extschema@.qrpay_script_text('doc/routing.md \00A7 Provider identifiers, EMVCo: PromptPay credit transfer'), true);
INSERT INTO @extschema@.qr_provider_patterns (provider, kind, pattern, country, min_length, max_length, note, shipped) VALUES ('promptpay', 'emv_guid', 'A000000677010112', NULL, NULL, NULL, @extschema@.qrpay_script_text('doc/routing.md \00A7 Provider identifiers, EMVCo: Thai QR bill payment'), true);
INSERT INTO @extschema@.qr_provider_patterns (provider, kind, pattern, country, min_length, max_length, note, shipped) VALUES ('promptpay', 'emv_guid', 'A000000677012006', NULL, NULL, NULL, @extschema@.qrpay_script_text('doc/routing.md \00A7 Provider identifiers, EMVCo: Thai cross-border bill payment'), true);
INSERT INTO @extschema@.qr_provider_patterns (provider, kind, pattern, country, min_length, max_length, note, shipped) VALUES ('paynow', 'emv_guid', 'SG.PAYNOW', NULL, NULL, NULL, @extschema@.qrpay_script_text('doc/routing.md \00A7 Provider identifiers, EMVCo: PayNow'), true);
INSERT INTO @extschema@.qr_provider_patterns (provider, kind, pattern, country, min_length, max_length, note, shipped) VALUES ('sgqr', 'emv_guid', 'SG.SGQR', NULL, NULL, NULL, @extschema@.qrpay_script_text('doc/routing.md \00A7 Provider identifiers, EMVCo: SGQR unified code, tag 51'), true);
INSERT INTO @extschema@.qr_provider_patterns (provider, kind, pattern, country, min_length, max_length, note, shipped) VALUES ('qris', 'emv_guid', 'ID.CO.QRIS.WWW', NULL, NULL, NULL, @extschema@.qrpay_script_text('doc/routing.md \00A7 Provider identifiers, EMVCo: QRIS national template'), true);
INSERT INTO @extschema@.qr_provider_patterns (provider, kind, pattern, country, min_length, max_length, note, shipped) VALUES ('gopay', 'emv_guid', 'COM.GO-JEK.WWW', NULL, NULL, NULL, @extschema@.qrpay_script_text('doc/routing.md \00A7 Provider identifiers, EMVCo: GoPay as QRIS issuer/acquirer'), true);
INSERT INTO @extschema@.qr_provider_patterns (provider, kind, pattern, country, min_length, max_length, note, shipped) VALUES ('dana', 'emv_guid', 'ID.DANA.WWW', NULL, NULL, NULL, @extschema@.qrpay_script_text('doc/routing.md \00A7 Provider identifiers, EMVCo: DANA as QRIS issuer/acquirer'), true);
INSERT INTO @extschema@.qr_provider_patterns (provider, kind, pattern, country, min_length, max_length, note, shipped) VALUES ('bsi', 'emv_guid', 'ID.CO.BANKBSI.WWW', NULL, NULL, NULL, @extschema@.qrpay_script_text('doc/routing.md \00A7 Provider identifiers, EMVCo: Bank Syariah Indonesia as QRIS issuer/acquirer'), true);
INSERT INTO @extschema@.qr_provider_patterns (provider, kind, pattern, country, min_length, max_length, note, shipped) VALUES ('napas', 'emv_guid', 'A000000727', NULL, NULL, NULL, @extschema@.qrpay_script_text('doc/routing.md \00A7 Provider identifiers, EMVCo: VietQR / NAPAS 247, tag 38'), true);
INSERT INTO @extschema@.qr_provider_patterns (provider, kind, pattern, country, min_length, max_length, note, shipped) VALUES ('vnpay', 'emv_guid', 'A000000775', NULL, NULL, NULL, @extschema@.qrpay_script_text('doc/routing.md \00A7 Provider identifiers, EMVCo: VNPAY-QR'), true);
INSERT INTO @extschema@.qr_provider_patterns (provider, kind, pattern, country, min_length, max_length, note, shipped) VALUES ('fps', 'emv_guid', 'hk.com.hkicl', NULL, NULL, NULL, @extschema@.qrpay_script_text('doc/routing.md \00A7 Provider identifiers, EMVCo: HK FPS (HKICL)'), true);
INSERT INTO @extschema@.qr_provider_patterns (provider, kind, pattern, country, min_length, max_length, note, shipped) VALUES ('bakong', 'emv_guid', '*@*', 'KH', NULL, NULL, @extschema@.qrpay_script_text('doc/routing.md \00A7 Provider identifiers, EMVCo: KHQR tags 29/30 hold a Bakong account id name@bank'), true);
INSERT INTO @extschema@.qr_provider_patterns (provider, kind, pattern, country, min_length, max_length, note, shipped) VALUES ('qrph', 'emv_guid', 'com.p2pqrpay', NULL, NULL, NULL, @extschema@.qrpay_script_text('doc/routing.md \00A7 Provider identifiers, EMVCo: QR Ph P2P'), true);
INSERT INTO @extschema@.qr_provider_patterns (provider, kind, pattern, country, min_length, max_length, note, shipped) VALUES ('paymaya', 'emv_guid', 'com.paymaya', NULL, NULL, NULL, @extschema@.qrpay_script_text('doc/routing.md \00A7 Provider identifiers, EMVCo: PayMaya / Maya merchant'), true);
INSERT INTO @extschema@.qr_provider_patterns (provider, kind, pattern, country, min_length, max_length, note, shipped) VALUES ('paymaya', 'bic', 'PAPHPHM1*', NULL, NULL, NULL, @extschema@.qrpay_script_text('doc/routing.md \00A7 Provider identifiers, EMVCo: PayMaya''s BIC PAPHPHM1XXX as QR Ph P2P receiving institution'), true);
INSERT INTO @extschema@.qr_provider_patterns (provider, kind, pattern, country, min_length, max_length, note, shipped) VALUES ('duitnow', 'emv_guid', 'A000000615000101', NULL, NULL, NULL, @extschema@.qrpay_script_text('doc/routing.md \00A7 Provider identifiers, EMVCo: DuitNow QR (unverified, from a library README)'), true);
INSERT INTO @extschema@.qr_provider_patterns (provider, kind, pattern, country, min_length, max_length, note, shipped) VALUES ('upi', 'format', 'upi', NULL, NULL, NULL, @extschema@.qrpay_script_text('doc/routing.md \00A7 Provider identifiers, URL and text formats: upi://pay links'), true);
INSERT INTO @extschema@.qr_provider_patterns (provider, kind, pattern, country, min_length, max_length, note, shipped) VALUES ('epc', 'format', 'epc', NULL, NULL, NULL, @extschema@.qrpay_script_text('doc/routing.md \00A7 Provider identifiers, URL and text formats: EPC069-12 SEPA credit transfer'), true);
INSERT INTO @extschema@.qr_provider_patterns (provider, kind, pattern, country, min_length, max_length, note, shipped) VALUES ('swissqr', 'format', 'swiss_qr', NULL, NULL, NULL, @extschema@.qrpay_script_text('doc/routing.md \00A7 Provider identifiers, URL and text formats: Swiss QR-bill'), true);
INSERT INTO @extschema@.qr_provider_patterns (provider, kind, pattern, country, min_length, max_length, note, shipped) VALUES ('spayd', 'format', 'spayd', NULL, NULL, NULL, @extschema@.qrpay_script_text('doc/routing.md \00A7 Provider identifiers, URL and text formats: SPAYD'), true);
INSERT INTO @extschema@.qr_provider_patterns (provider, kind, pattern, country, min_length, max_length, note, shipped) VALUES ('bezahlcode', 'format', 'bezahlcode', NULL, NULL, NULL, @extschema@.qrpay_script_text('doc/routing.md \00A7 Provider identifiers, URL and text formats: BezahlCode bank:// URLs'), true);
INSERT INTO @extschema@.qr_provider_patterns (provider, kind, pattern, country, min_length, max_length, note, shipped) VALUES ('alipay', 'url', 'https://qr.alipay.com/*', NULL, NULL, NULL, @extschema@.qrpay_script_text('doc/routing.md \00A7 Provider identifiers, URL and text formats: Alipay merchant URL codes, any letter case'), true);
INSERT INTO @extschema@.qr_provider_patterns (provider, kind, pattern, country, min_length, max_length, note, shipped) VALUES ('alipay', 'url', 'http://qr.alipay.com/*', NULL, NULL, NULL, @extschema@.qrpay_script_text('doc/routing.md \00A7 Provider identifiers, URL and text formats: Alipay merchant URL codes, any letter case'), true);
INSERT INTO @extschema@.qr_provider_patterns (provider, kind, pattern, country, min_length, max_length, note, shipped) VALUES ('wechatpay', 'url', 'https://payapp.weixin.qq.com/*', NULL, NULL, NULL, @extschema@.qrpay_script_text('doc/routing.md \00A7 Provider identifiers, URL and text formats: WeChat Pay merchant URL (unverified, no vector)'), true);
INSERT INTO @extschema@.qr_provider_patterns (provider, kind, pattern, country, min_length, max_length, note, shipped) VALUES ('wechatpay', 'url', 'http://payapp.weixin.qq.com/*', NULL, NULL, NULL, @extschema@.qrpay_script_text('doc/routing.md \00A7 Provider identifiers, URL and text formats: WeChat Pay merchant URL (unverified, no vector)'), true);
INSERT INTO @extschema@.qr_provider_patterns (provider, kind, pattern, country, min_length, max_length, note, shipped) VALUES ('unionpay', 'url', 'https://qr.95516.com/*', NULL, NULL, NULL, @extschema@.qrpay_script_text('doc/routing.md \00A7 Provider identifiers, URL and text formats: UnionPay Cloud QuickPass URL codes'), true);
INSERT INTO @extschema@.qr_provider_patterns (provider, kind, pattern, country, min_length, max_length, note, shipped) VALUES ('unionpay', 'url', 'http://qr.95516.com/*', NULL, NULL, NULL, @extschema@.qrpay_script_text('doc/routing.md \00A7 Provider identifiers, URL and text formats: UnionPay Cloud QuickPass URL codes'), true);

INSERT INTO @extschema@.qr_providers (code, name, kind, country, recognised_by, shipped) VALUES ('alipay', 'Alipay (Ant Group)', 'wallet', 'CN', 'URL host qr.alipay.com (case-insensitive); consumer code 16-24 digits starting 25-30', true);
INSERT INTO @extschema@.qr_providers (code, name, kind, country, recognised_by, shipped) VALUES ('wechatpay', 'WeChat Pay (Tenpay)', 'wallet', 'CN', 'wxp:// and weixin://wxpay/ URLs; payapp.weixin.qq.com; EMV template GUID COM.QQ.WEIXIN.PAY; consumer code 18 digits starting 10-15', true);
INSERT INTO @extschema@.qr_providers (code, name, kind, country, recognised_by, shipped) VALUES ('unionpay', 'China UnionPay / Cloud QuickPass', 'card_network', 'CN', 'URL host qr.95516.com; EMV tags 15-16; AID prefix A000000333; consumer code 19 digits starting 62', true);
INSERT INTO @extschema@.qr_providers (code, name, kind, country, recognised_by, shipped) VALUES ('ecny', 'e-CNY digital yuan (PBoC)', 'cbdc', 'CN', 'consumer code prefix 01 (unverified); payer app only until a code format is documented', true);
INSERT INTO @extschema@.qr_providers (code, name, kind, country, recognised_by, shipped) VALUES ('cmpay', 'China Mobile Hebao', 'telco_wallet', 'CN', 'payer app', true);
INSERT INTO @extschema@.qr_providers (code, name, kind, country, recognised_by, shipped) VALUES ('bestpay', 'China Telecom Bestpay', 'telco_wallet', 'CN', 'payer app', true);
INSERT INTO @extschema@.qr_providers (code, name, kind, country, recognised_by, shipped) VALUES ('wopay', 'China Unicom Pay', 'telco_wallet', 'CN', 'payer app', true);
INSERT INTO @extschema@.qr_providers (code, name, kind, country, recognised_by, shipped) VALUES ('jdpay', 'JD Pay', 'wallet', 'CN', 'payer app', true);
INSERT INTO @extschema@.qr_providers (code, name, kind, country, recognised_by, shipped) VALUES ('ccb', 'China Construction Bank', 'bank', 'CN', 'payer app', true);
INSERT INTO @extschema@.qr_providers (code, name, kind, country, recognised_by, shipped) VALUES ('boc', 'Bank of China', 'bank', 'CN', 'payer app', true);
INSERT INTO @extschema@.qr_providers (code, name, kind, country, recognised_by, shipped) VALUES ('bocom', 'Bank of Communications', 'bank', 'CN', 'payer app', true);
INSERT INTO @extschema@.qr_providers (code, name, kind, country, recognised_by, shipped) VALUES ('pingan', 'Ping An Bank', 'bank', 'CN', 'payer app', true);
INSERT INTO @extschema@.qr_providers (code, name, kind, country, recognised_by, shipped) VALUES ('citic', 'China CITIC Bank', 'bank', 'CN', 'payer app', true);
INSERT INTO @extschema@.qr_providers (code, name, kind, country, recognised_by, shipped) VALUES ('netsunion', 'NetsUnion Clearing', 'clearing', 'CN', 'clearing network (not a code issuer)', true);
INSERT INTO @extschema@.qr_providers (code, name, kind, country, recognised_by, shipped) VALUES ('visa', 'Visa', 'card_network', NULL, 'EMV tags 02-03', true);
INSERT INTO @extschema@.qr_providers (code, name, kind, country, recognised_by, shipped) VALUES ('mastercard', 'Mastercard', 'card_network', NULL, 'EMV tags 04-05', true);
INSERT INTO @extschema@.qr_providers (code, name, kind, country, recognised_by, shipped) VALUES ('discover', 'Discover', 'card_network', NULL, 'EMV tags 09-10', true);
INSERT INTO @extschema@.qr_providers (code, name, kind, country, recognised_by, shipped) VALUES ('amex', 'American Express', 'card_network', NULL, 'EMV tags 11-12', true);
INSERT INTO @extschema@.qr_providers (code, name, kind, country, recognised_by, shipped) VALUES ('jcb', 'JCB', 'card_network', NULL, 'EMV tags 13-14', true);
INSERT INTO @extschema@.qr_providers (code, name, kind, country, recognised_by, shipped) VALUES ('pix', 'Pix (Banco Central do Brasil)', 'instant_payment', 'BR', 'EMV GUID br.gov.bcb.pix (also legacy br.gov.bcb.spi), case-insensitive', true);
INSERT INTO @extschema@.qr_providers (code, name, kind, country, recognised_by, shipped) VALUES ('promptpay', 'PromptPay (Thailand)', 'instant_payment', 'TH', 'EMV AIDs A000000677010111 (transfer), A000000677010112 (bill payment), A000000677012006 (cross-border bill payment)', true);
INSERT INTO @extschema@.qr_providers (code, name, kind, country, recognised_by, shipped) VALUES ('paynow', 'PayNow (Singapore)', 'instant_payment', 'SG', 'EMV GUID SG.PAYNOW', true);
INSERT INTO @extschema@.qr_providers (code, name, kind, country, recognised_by, shipped) VALUES ('sgqr', 'SGQR (Singapore unified code)', 'unified_code', 'SG', 'EMV GUID SG.SGQR in tag 51', true);
INSERT INTO @extschema@.qr_providers (code, name, kind, country, recognised_by, shipped) VALUES ('qris', 'QRIS (Indonesia)', 'unified_code', 'ID', 'EMV GUID ID.CO.QRIS.WWW', true);
INSERT INTO @extschema@.qr_providers (code, name, kind, country, recognised_by, shipped) VALUES ('gopay', 'GoPay', 'wallet', 'ID', 'EMV GUID COM.GO-JEK.WWW', true);
INSERT INTO @extschema@.qr_providers (code, name, kind, country, recognised_by, shipped) VALUES ('dana', 'DANA', 'wallet', 'ID', 'EMV GUID ID.DANA.WWW', true);
INSERT INTO @extschema@.qr_providers (code, name, kind, country, recognised_by, shipped) VALUES ('napas', 'VietQR / NAPAS 247', 'instant_payment', 'VN', 'EMV AID A000000727', true);
INSERT INTO @extschema@.qr_providers (code, name, kind, country, recognised_by, shipped) VALUES ('vnpay', 'VNPAY-QR', 'wallet', 'VN', 'EMV AID A000000775', true);
INSERT INTO @extschema@.qr_providers (code, name, kind, country, recognised_by, shipped) VALUES ('fps', 'FPS (Hong Kong, HKICL)', 'instant_payment', 'HK', 'EMV GUID hk.com.hkicl', true);
INSERT INTO @extschema@.qr_providers (code, name, kind, country, recognised_by, shipped) VALUES ('bakong', 'KHQR / Bakong (Cambodia)', 'instant_payment', 'KH', 'EMV tags 29/30 holding a Bakong account id name@bank, country KH', true);
INSERT INTO @extschema@.qr_providers (code, name, kind, country, recognised_by, shipped) VALUES ('qrph', 'QR Ph (Philippines)', 'unified_code', 'PH', 'EMV GUID com.p2pqrpay', true);
INSERT INTO @extschema@.qr_providers (code, name, kind, country, recognised_by, shipped) VALUES ('paymaya', 'PayMaya / Maya', 'wallet', 'PH', 'EMV GUID com.paymaya', true);
INSERT INTO @extschema@.qr_providers (code, name, kind, country, recognised_by, shipped) VALUES ('duitnow', 'DuitNow QR (Malaysia)', 'unified_code', 'MY', 'EMV AID A000000615000101 (unverified)', true);
INSERT INTO @extschema@.qr_providers (code, name, kind, country, recognised_by, shipped) VALUES ('upi', 'UPI (NPCI, India)', 'instant_payment', 'IN', 'upi://pay? links', true);
INSERT INTO @extschema@.qr_providers (code, name, kind, country, recognised_by, shipped) VALUES ('epc', 'SEPA credit transfer (EPC069-12 QR)', 'bank_transfer', 'EU', 'payload starting BCD', true);
INSERT INTO @extschema@.qr_providers (code, name, kind, country, recognised_by, shipped) VALUES ('swissqr', 'Swiss QR-bill', 'bank_transfer', 'CH', 'payload starting SPC', true);
INSERT INTO @extschema@.qr_providers (code, name, kind, country, recognised_by, shipped) VALUES ('spayd', 'SPAYD QR Platba (Czechia)', 'bank_transfer', 'CZ', 'payload starting SPD*', true);
INSERT INTO @extschema@.qr_providers (code, name, kind, country, recognised_by, shipped) VALUES ('bezahlcode', 'BezahlCode (Germany, legacy)', 'bank_transfer', 'DE', 'bank://singlepayment* URLs', true);
INSERT INTO @extschema@.qr_providers (code, name, kind, country, recognised_by, shipped) VALUES ('bsi', 'Bank Syariah Indonesia', 'bank', 'ID', 'EMV GUID ID.CO.BANKBSI.WWW (a QRIS issuer/acquirer)', true);

-- ---------------------------------------------------------------------
-- Keys and indexes
-- ---------------------------------------------------------------------

ALTER TABLE ONLY @extschema@.qr_catalog_audit
    ADD CONSTRAINT qr_catalog_audit_pkey PRIMARY KEY (id);

ALTER TABLE ONLY @extschema@.qr_cities
    ADD CONSTRAINT qr_cities_name_zh_key UNIQUE (name_zh);

ALTER TABLE ONLY @extschema@.qr_cities
    ADD CONSTRAINT qr_cities_pkey PRIMARY KEY (name);

ALTER TABLE ONLY @extschema@.qr_fee_rates
    ADD CONSTRAINT qr_fee_rates_pkey PRIMARY KEY (payer, payee, via, valid_during);

ALTER TABLE ONLY @extschema@.qr_fx_rates
    ADD CONSTRAINT qr_fx_rates_pkey PRIMARY KEY (from_currency, to_currency, valid_during);

ALTER TABLE ONLY @extschema@.qr_interop_rules
    ADD CONSTRAINT qr_interop_rules_pkey PRIMARY KEY (id);

ALTER TABLE ONLY @extschema@.qr_provider_patterns
    ADD CONSTRAINT qr_provider_patterns_pkey PRIMARY KEY (provider, kind, pattern);

ALTER TABLE ONLY @extschema@.qr_providers
    ADD CONSTRAINT qr_providers_pkey PRIMARY KEY (code);

ALTER TABLE ONLY @extschema@.qr_recon_audit
    ADD CONSTRAINT qr_recon_audit_pkey PRIMARY KEY (id);

ALTER TABLE ONLY @extschema@.qr_recon_breaks
    ADD CONSTRAINT qr_recon_breaks_pkey PRIMARY KEY (id);

ALTER TABLE ONLY @extschema@.qr_recon_results
    ADD CONSTRAINT qr_recon_results_pkey PRIMARY KEY (run, seq);

ALTER TABLE ONLY @extschema@.qr_recon_runs
    ADD CONSTRAINT qr_recon_runs_pkey PRIMARY KEY (id);

ALTER TABLE ONLY @extschema@.qr_recon_settings
    ADD CONSTRAINT qr_recon_settings_pkey PRIMARY KEY (provider);

ALTER TABLE ONLY @extschema@.qr_statement_batches
    ADD CONSTRAINT qr_statement_batches_file_once UNIQUE (provider, file_sha256);

ALTER TABLE ONLY @extschema@.qr_statement_batches
    ADD CONSTRAINT qr_statement_batches_pkey PRIMARY KEY (id);

ALTER TABLE ONLY @extschema@.qr_statement_formats
    ADD CONSTRAINT qr_statement_formats_pkey PRIMARY KEY (name);

ALTER TABLE ONLY @extschema@.qr_statement_lines
    ADD CONSTRAINT qr_statement_lines_pkey PRIMARY KEY (batch, line);

CREATE INDEX qr_catalog_audit_table_at ON @extschema@.qr_catalog_audit USING btree (table_name, at);

CREATE INDEX qr_interop_rules_pair ON @extschema@.qr_interop_rules USING btree (payer, payee);

CREATE INDEX qr_recon_audit_table_at ON @extschema@.qr_recon_audit USING btree (table_name, at);

CREATE UNIQUE INDEX qr_recon_breaks_open ON @extschema@.qr_recon_breaks USING btree (provider, side, txn) WHERE (status = ANY (ARRAY['open'::text, 'assigned'::text]));

CREATE INDEX qr_recon_breaks_open_reference ON @extschema@.qr_recon_breaks USING btree (provider, reference) WHERE ((status = ANY (ARRAY['open'::text, 'assigned'::text])) AND (reference IS NOT NULL));

CREATE INDEX qr_recon_breaks_written_off ON @extschema@.qr_recon_breaks USING btree (provider, side, txn) WHERE (status = 'written_off'::text);

CREATE UNIQUE INDEX qr_recon_fee_rates_key ON @extschema@.qr_recon_fee_rates USING btree (provider, COALESCE(currency, ''::text), valid_during);

CREATE INDEX qr_recon_results_break ON @extschema@.qr_recon_results USING btree (break) WHERE (break IS NOT NULL);

CREATE INDEX qr_statement_batches_provider ON @extschema@.qr_statement_batches USING btree (provider, lower(period));

CREATE INDEX qr_statement_lines_reference ON @extschema@.qr_statement_lines USING btree ((
CASE
    WHEN (refund_amount <> (0)::numeric) THEN COALESCE(refund_reference, refund_txn)
    ELSE reference
END));

-- a line as a run sees it: a refund line (one with a refund amount) by its
-- refund id and refund reference; a later run finds the lines of open
-- breaks through these
CREATE INDEX qr_statement_lines_txn ON @extschema@.qr_statement_lines USING btree ((
CASE
    WHEN (refund_amount <> (0)::numeric) THEN COALESCE(refund_txn, refund_reference, provider_txn)
    ELSE provider_txn
END));

-- ---------------------------------------------------------------------
-- Triggers
-- ---------------------------------------------------------------------

CREATE TRIGGER qr_cities_audit AFTER INSERT OR DELETE OR UPDATE ON @extschema@.qr_cities FOR EACH ROW EXECUTE FUNCTION @extschema@.qr_catalog_audit();

CREATE TRIGGER qr_cities_guard BEFORE INSERT OR DELETE OR UPDATE ON @extschema@.qr_cities FOR EACH ROW EXECUTE FUNCTION @extschema@.qr_catalog_guard();

CREATE TRIGGER qr_cities_guard_truncate BEFORE TRUNCATE ON @extschema@.qr_cities FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.qr_catalog_guard();

CREATE TRIGGER qr_cities_invalidate AFTER INSERT OR DELETE OR UPDATE OR TRUNCATE ON @extschema@.qr_cities FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.qr_catalog_invalidate();

CREATE TRIGGER qr_cities_references AFTER DELETE OR UPDATE OF name ON @extschema@.qr_cities FOR EACH ROW EXECUTE FUNCTION @extschema@.qr_city_references_check();

CREATE TRIGGER qr_fee_rates_audit AFTER INSERT OR DELETE OR UPDATE ON @extschema@.qr_fee_rates FOR EACH ROW EXECUTE FUNCTION @extschema@.qr_catalog_audit();

CREATE TRIGGER qr_fee_rates_audit_truncate AFTER TRUNCATE ON @extschema@.qr_fee_rates FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.qr_catalog_audit();

CREATE TRIGGER qr_fx_rates_audit AFTER INSERT OR DELETE OR UPDATE ON @extschema@.qr_fx_rates FOR EACH ROW EXECUTE FUNCTION @extschema@.qr_recon_audit();

CREATE TRIGGER qr_fx_rates_audit_truncate AFTER TRUNCATE ON @extschema@.qr_fx_rates FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.qr_recon_audit();

CREATE TRIGGER qr_interop_rules_audit AFTER INSERT OR DELETE OR UPDATE ON @extschema@.qr_interop_rules FOR EACH ROW EXECUTE FUNCTION @extschema@.qr_catalog_audit();

CREATE TRIGGER qr_interop_rules_cities AFTER INSERT OR UPDATE OF cities ON @extschema@.qr_interop_rules FOR EACH ROW EXECUTE FUNCTION @extschema@.qr_rule_cities_check();

CREATE TRIGGER qr_interop_rules_guard BEFORE INSERT OR DELETE OR UPDATE ON @extschema@.qr_interop_rules FOR EACH ROW EXECUTE FUNCTION @extschema@.qr_catalog_guard();

CREATE TRIGGER qr_interop_rules_guard_truncate BEFORE TRUNCATE ON @extschema@.qr_interop_rules FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.qr_catalog_guard();

CREATE TRIGGER qr_interop_rules_invalidate AFTER INSERT OR DELETE OR UPDATE OR TRUNCATE ON @extschema@.qr_interop_rules FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.qr_catalog_invalidate();

CREATE TRIGGER qr_provider_patterns_audit AFTER INSERT OR DELETE OR UPDATE ON @extschema@.qr_provider_patterns FOR EACH ROW EXECUTE FUNCTION @extschema@.qr_catalog_audit();

CREATE TRIGGER qr_provider_patterns_guard BEFORE INSERT OR DELETE OR UPDATE ON @extschema@.qr_provider_patterns FOR EACH ROW EXECUTE FUNCTION @extschema@.qr_catalog_guard();

CREATE TRIGGER qr_provider_patterns_guard_truncate BEFORE TRUNCATE ON @extschema@.qr_provider_patterns FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.qr_catalog_guard();

CREATE TRIGGER qr_provider_patterns_invalidate AFTER INSERT OR DELETE OR UPDATE OR TRUNCATE ON @extschema@.qr_provider_patterns FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.qr_catalog_invalidate();

CREATE TRIGGER qr_providers_audit AFTER INSERT OR DELETE OR UPDATE ON @extschema@.qr_providers FOR EACH ROW EXECUTE FUNCTION @extschema@.qr_catalog_audit();

CREATE TRIGGER qr_providers_guard BEFORE INSERT OR DELETE OR UPDATE ON @extschema@.qr_providers FOR EACH ROW EXECUTE FUNCTION @extschema@.qr_catalog_guard();

CREATE TRIGGER qr_providers_guard_truncate BEFORE TRUNCATE ON @extschema@.qr_providers FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.qr_catalog_guard();

CREATE TRIGGER qr_providers_invalidate AFTER INSERT OR DELETE OR UPDATE OR TRUNCATE ON @extschema@.qr_providers FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.qr_catalog_invalidate();

CREATE TRIGGER qr_recon_breaks_audit AFTER INSERT OR DELETE OR UPDATE ON @extschema@.qr_recon_breaks FOR EACH ROW EXECUTE FUNCTION @extschema@.qr_recon_audit();

CREATE TRIGGER qr_recon_breaks_guard BEFORE INSERT OR UPDATE ON @extschema@.qr_recon_breaks FOR EACH ROW EXECUTE FUNCTION @extschema@.qr_recon_guard();

CREATE TRIGGER qr_recon_breaks_kept BEFORE DELETE OR TRUNCATE ON @extschema@.qr_recon_breaks FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.qr_back_office_guard('immutable');

CREATE TRIGGER qr_recon_fee_rates_audit AFTER INSERT OR DELETE OR UPDATE ON @extschema@.qr_recon_fee_rates FOR EACH ROW EXECUTE FUNCTION @extschema@.qr_recon_audit();

CREATE TRIGGER qr_recon_fee_rates_audit_truncate AFTER TRUNCATE ON @extschema@.qr_recon_fee_rates FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.qr_recon_audit();

CREATE TRIGGER qr_recon_results_final BEFORE DELETE OR UPDATE OR TRUNCATE ON @extschema@.qr_recon_results FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.qr_back_office_guard('immutable');

CREATE TRIGGER qr_recon_results_written AFTER INSERT ON @extschema@.qr_recon_results REFERENCING NEW TABLE AS new_results FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.qr_recon_guard();

CREATE TRIGGER qr_recon_runs_audit AFTER INSERT OR DELETE OR UPDATE ON @extschema@.qr_recon_runs FOR EACH ROW EXECUTE FUNCTION @extschema@.qr_recon_audit();

CREATE TRIGGER qr_recon_runs_guard BEFORE INSERT OR DELETE OR UPDATE ON @extschema@.qr_recon_runs FOR EACH ROW EXECUTE FUNCTION @extschema@.qr_recon_guard();

CREATE TRIGGER qr_recon_runs_kept BEFORE TRUNCATE ON @extschema@.qr_recon_runs FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.qr_back_office_guard('immutable');

-- who changed how runs match, and when: every change is in qr_recon_audit
CREATE TRIGGER qr_recon_settings_audit AFTER INSERT OR DELETE OR UPDATE ON @extschema@.qr_recon_settings FOR EACH ROW EXECUTE FUNCTION @extschema@.qr_recon_audit();

CREATE TRIGGER qr_recon_settings_audit_truncate AFTER TRUNCATE ON @extschema@.qr_recon_settings FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.qr_recon_audit();

CREATE TRIGGER qr_statement_batches_audit AFTER INSERT OR DELETE OR UPDATE ON @extschema@.qr_statement_batches FOR EACH ROW EXECUTE FUNCTION @extschema@.qr_recon_audit();

CREATE TRIGGER qr_statement_batches_audit_truncate AFTER TRUNCATE ON @extschema@.qr_statement_batches FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.qr_recon_audit();

CREATE TRIGGER qr_statement_batches_guard BEFORE DELETE OR UPDATE ON @extschema@.qr_statement_batches FOR EACH ROW EXECUTE FUNCTION @extschema@.qr_statement_batch_guard();

CREATE TRIGGER qr_statement_formats_audit AFTER INSERT OR DELETE OR UPDATE ON @extschema@.qr_statement_formats FOR EACH ROW EXECUTE FUNCTION @extschema@.qr_recon_audit();

CREATE TRIGGER qr_statement_formats_audit_truncate AFTER TRUNCATE ON @extschema@.qr_statement_formats FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.qr_recon_audit();

CREATE TRIGGER qr_statement_lines_final BEFORE UPDATE OR TRUNCATE ON @extschema@.qr_statement_lines FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.qr_back_office_guard('immutable');

CREATE TRIGGER qr_statement_lines_written AFTER INSERT ON @extschema@.qr_statement_lines REFERENCING NEW TABLE AS new_lines FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.qr_statement_lines_check();

-- ---------------------------------------------------------------------
-- Foreign keys
-- ---------------------------------------------------------------------

ALTER TABLE ONLY @extschema@.qr_fee_rates
    ADD CONSTRAINT qr_fee_rates_payee_fkey FOREIGN KEY (payee) REFERENCES @extschema@.qr_providers(code) ON UPDATE CASCADE;

ALTER TABLE ONLY @extschema@.qr_fee_rates
    ADD CONSTRAINT qr_fee_rates_payer_fkey FOREIGN KEY (payer) REFERENCES @extschema@.qr_providers(code) ON UPDATE CASCADE;

ALTER TABLE ONLY @extschema@.qr_fee_rates
    ADD CONSTRAINT qr_fee_rates_via_fkey FOREIGN KEY (via) REFERENCES @extschema@.qr_providers(code) ON UPDATE CASCADE;

ALTER TABLE ONLY @extschema@.qr_interop_rules
    ADD CONSTRAINT qr_interop_rules_payee_fkey FOREIGN KEY (payee) REFERENCES @extschema@.qr_providers(code) ON UPDATE CASCADE;

ALTER TABLE ONLY @extschema@.qr_interop_rules
    ADD CONSTRAINT qr_interop_rules_payer_fkey FOREIGN KEY (payer) REFERENCES @extschema@.qr_providers(code) ON UPDATE CASCADE;

ALTER TABLE ONLY @extschema@.qr_interop_rules
    ADD CONSTRAINT qr_interop_rules_via_fkey FOREIGN KEY (via) REFERENCES @extschema@.qr_providers(code) ON UPDATE CASCADE;

ALTER TABLE ONLY @extschema@.qr_provider_patterns
    ADD CONSTRAINT qr_provider_patterns_provider_fkey FOREIGN KEY (provider) REFERENCES @extschema@.qr_providers(code) ON UPDATE CASCADE ON DELETE CASCADE;

ALTER TABLE ONLY @extschema@.qr_recon_breaks
    ADD CONSTRAINT qr_recon_breaks_closed_run_fkey FOREIGN KEY (closed_run) REFERENCES @extschema@.qr_recon_runs(id);

ALTER TABLE ONLY @extschema@.qr_recon_breaks
    ADD CONSTRAINT qr_recon_breaks_last_run_fkey FOREIGN KEY (last_run) REFERENCES @extschema@.qr_recon_runs(id);

ALTER TABLE ONLY @extschema@.qr_recon_breaks
    ADD CONSTRAINT qr_recon_breaks_opened_run_fkey FOREIGN KEY (opened_run) REFERENCES @extschema@.qr_recon_runs(id);

ALTER TABLE ONLY @extschema@.qr_recon_results
    ADD CONSTRAINT qr_recon_results_run_fkey FOREIGN KEY (run) REFERENCES @extschema@.qr_recon_runs(id);

ALTER TABLE ONLY @extschema@.qr_statement_batches
    ADD CONSTRAINT qr_statement_batches_provider_fkey FOREIGN KEY (provider) REFERENCES @extschema@.qr_providers(code) ON UPDATE CASCADE;

ALTER TABLE ONLY @extschema@.qr_statement_formats
    ADD CONSTRAINT qr_statement_formats_provider_fkey FOREIGN KEY (provider) REFERENCES @extschema@.qr_providers(code) ON UPDATE CASCADE;

-- ---------------------------------------------------------------------
-- Privileges
-- ---------------------------------------------------------------------

REVOKE ALL ON FUNCTION @extschema@.qr_back_office_guard() FROM PUBLIC;

GRANT SELECT,INSERT,UPDATE ON TABLE @extschema@.qr_recon_breaks TO @extowner@ WITH GRANT OPTION;

REVOKE ALL ON FUNCTION @extschema@.qr_catalog_audit() FROM PUBLIC;

REVOKE ALL ON FUNCTION @extschema@.qr_catalog_guard() FROM PUBLIC;

REVOKE ALL ON FUNCTION @extschema@.qr_catalog_invalidate() FROM PUBLIC;

REVOKE ALL ON FUNCTION @extschema@.qr_city_references_check() FROM PUBLIC;

REVOKE ALL ON FUNCTION @extschema@.qr_recon_audit() FROM PUBLIC;

REVOKE ALL ON FUNCTION @extschema@.qr_recon_guard() FROM PUBLIC;

REVOKE ALL ON FUNCTION @extschema@.qr_rule_cities_check() FROM PUBLIC;

REVOKE ALL ON FUNCTION @extschema@.qr_statement_batch_guard() FROM PUBLIC;

REVOKE ALL ON FUNCTION @extschema@.qr_statement_lines_check() FROM PUBLIC;

GRANT SELECT ON TABLE @extschema@.qr_catalog_audit TO @extowner@ WITH GRANT OPTION;

GRANT SELECT ON TABLE @extschema@.qr_cities TO PUBLIC;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE @extschema@.qr_cities TO @extowner@ WITH GRANT OPTION;

GRANT SELECT ON TABLE @extschema@.qr_fee_rates TO PUBLIC;
GRANT SELECT,INSERT,DELETE,TRUNCATE,UPDATE ON TABLE @extschema@.qr_fee_rates TO @extowner@ WITH GRANT OPTION;

GRANT SELECT ON TABLE @extschema@.qr_fx_rates TO PUBLIC;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE @extschema@.qr_fx_rates TO @extowner@ WITH GRANT OPTION;

GRANT SELECT ON TABLE @extschema@.qr_interop_rules TO PUBLIC;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE @extschema@.qr_interop_rules TO @extowner@ WITH GRANT OPTION;

GRANT SELECT ON TABLE @extschema@.qr_provider_patterns TO PUBLIC;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE @extschema@.qr_provider_patterns TO @extowner@ WITH GRANT OPTION;

GRANT SELECT ON TABLE @extschema@.qr_providers TO PUBLIC;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE @extschema@.qr_providers TO @extowner@ WITH GRANT OPTION;

GRANT SELECT ON TABLE @extschema@.qr_recon_audit TO @extowner@ WITH GRANT OPTION;

GRANT SELECT ON TABLE @extschema@.qr_recon_break_aging TO @extowner@ WITH GRANT OPTION;

GRANT USAGE ON SEQUENCE @extschema@.qr_recon_breaks_id_seq TO @extowner@ WITH GRANT OPTION;

GRANT SELECT ON TABLE @extschema@.qr_recon_fee_rates TO PUBLIC;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE @extschema@.qr_recon_fee_rates TO @extowner@ WITH GRANT OPTION;

GRANT SELECT,INSERT ON TABLE @extschema@.qr_recon_results TO @extowner@ WITH GRANT OPTION;

GRANT SELECT,INSERT,UPDATE ON TABLE @extschema@.qr_recon_runs TO @extowner@ WITH GRANT OPTION;

GRANT USAGE ON SEQUENCE @extschema@.qr_recon_runs_id_seq TO @extowner@ WITH GRANT OPTION;

GRANT SELECT ON TABLE @extschema@.qr_recon_settings TO PUBLIC;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE @extschema@.qr_recon_settings TO @extowner@ WITH GRANT OPTION;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE @extschema@.qr_statement_batches TO @extowner@ WITH GRANT OPTION;

GRANT USAGE ON SEQUENCE @extschema@.qr_statement_batches_id_seq TO @extowner@ WITH GRANT OPTION;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE @extschema@.qr_statement_formats TO @extowner@ WITH GRANT OPTION;

GRANT SELECT,INSERT,DELETE ON TABLE @extschema@.qr_statement_lines TO @extowner@ WITH GRANT OPTION;


DROP FUNCTION @extschema@.qrpay_script_text(text, boolean);

-- the tables and sequences pg_dump dumps: their rows that are not shipped
SELECT pg_catalog.pg_extension_config_dump('@extschema@.qr_providers', 'WHERE NOT shipped');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.qr_provider_patterns', 'WHERE NOT shipped');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.qr_cities', 'WHERE NOT shipped');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.qr_interop_rules', 'WHERE NOT shipped');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.qr_fee_rates', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.qr_statement_formats', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.qr_statement_batches', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.qr_statement_batches_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.qr_statement_lines', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.qr_recon_runs', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.qr_recon_runs_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.qr_recon_results', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.qr_recon_breaks', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.qr_recon_breaks_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.qr_recon_settings', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.qr_recon_fee_rates', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.qr_fx_rates', '');

/* qrpay 0.7.0 -> 0.8.0: the back office's day persisted */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION qrpay UPDATE TO '0.8.0'" to load this file. \quit

-- =====================================================================
-- Part 1. Statement readers in C (src/core/qr_bill.c, src/qrpay_statement.c)
-- =====================================================================

-- The statement readers of 0.6.0 split the bill on line breaks, so a quoted
-- field holding one (a product name typed on two lines) cut its row in two;
-- they took ~70 us a line, and a long quoted field quadratic time.  They
-- are now C (src/core/qr_bill.c reads RFC 4180 records over the whole file;
-- src/qrpay_statement.c adapts it): same names, arguments and results for
-- a valid bill.  Two functions are new: qr_statement_parse reads any of
-- the formats from the file's bytes, with the columns that do not fit the
-- common shape kept as jsonb, and qr_statement_info tells what a file is.

CREATE FUNCTION @extschema@.qr_statement_parse(file bytea, format text DEFAULT NULL, mapping jsonb DEFAULT NULL)
RETURNS TABLE (line integer, provider_txn text, reference text, ts timestamptz, amount numeric,
               currency text, fee numeric, status text, refund_txn text, refund_reference text,
               refund_amount numeric, extra jsonb, error text, raw text)
AS 'MODULE_PATHNAME' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.qr_statement_parse(bytea, text, jsonb) IS
    'Reads a provider statement file (WeChat Pay downloadbill ALL, SUCCESS or REFUND; Alipay business detail in GBK or UTF-8; any CSV through a mapping {"columns": {...}, "delimiter", "time_zone", "encoding"}) into one row per record: quoted fields may hold line breaks; columns outside the common shape come back in extra; an unreadable record comes back with its line, the reason and its raw text. format NULL: told from the header. A NULL file gives no rows';

CREATE FUNCTION @extschema@.qr_statement_info(file bytea, format text DEFAULT NULL, mapping jsonb DEFAULT NULL)
RETURNS TABLE (format text, bill_type text, encoding text, bom boolean, crlf boolean, columns text[],
               summary jsonb, period_start timestamptz, period_end timestamptz, records integer,
               error text)
AS 'MODULE_PATHNAME' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.qr_statement_info(bytea, text, jsonb) IS
    'What a provider statement file is: its format, WeChat Pay bill type, encoding, byte order mark and CRLF line ends, header columns, the totals its summary or footer declares (count, amount, refund_amount, coupon_refund_amount, fee, order_amount, refund_requested_amount), the period it declares (Alipay), its number of data records, and what is wrong with it as a whole (a summary missing or not counting the records)';

-- the readers of 0.6.0, now in C (same arguments, results and labels)
CREATE OR REPLACE FUNCTION @extschema@.qr_csv_fields(line text, delimiter text DEFAULT ',') RETURNS text[]
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION @extschema@.qr_statement_read(bill text, provider text, columns jsonb, header_has text,
                                  footer_starts text, comment_prefix text, delimiter text,
                                  time_zone text)
RETURNS SETOF @extschema@.qr_statement_line
AS 'MODULE_PATHNAME' LANGUAGE C STABLE PARALLEL SAFE;

CREATE OR REPLACE FUNCTION @extschema@.qr_statement_wechat(bill text, time_zone text DEFAULT 'Asia/Shanghai')
RETURNS SETOF @extschema@.qr_statement_line
AS 'MODULE_PATHNAME' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.qr_statement_wechat(text, text) IS
    'Reads a WeChat Pay merchant bill (downloadbill ALL, SUCCESS or REFUND, or the older layout; backtick-prefixed fields, summary footer): one row per transaction record, a row with error for each unreadable record and for a summary that is missing or does not count the records';

CREATE OR REPLACE FUNCTION @extschema@.qr_statement_alipay(bill text, time_zone text DEFAULT 'Asia/Shanghai')
RETURNS SETOF @extschema@.qr_statement_line
AS 'MODULE_PATHNAME', 'qr_statement_alipay_text' LANGUAGE C STABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION @extschema@.qr_statement_alipay(bill bytea, time_zone text DEFAULT 'Asia/Shanghai')
RETURNS SETOF @extschema@.qr_statement_line
AS 'MODULE_PATHNAME', 'qr_statement_alipay_bytea' LANGUAGE C STABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION @extschema@.qr_statement_csv(bill text, provider text, columns jsonb, delimiter text DEFAULT ',',
                                 time_zone text DEFAULT 'UTC')
RETURNS SETOF @extschema@.qr_statement_line
AS 'MODULE_PATHNAME' LANGUAGE C STABLE STRICT PARALLEL SAFE;

-- =====================================================================
-- Part 2. Statement batches, reconciliation runs, breaks, audit, report
-- =====================================================================

-- The back office's tables hold its own data: no role but the extension's
-- owner reads or writes them until granted (doc/reconciliation.md, "The back office's day, persisted").
-- Their rows are dumped; the audit trail, like qr_catalog_audit, is not.
-- Every write that must not happen (a result changed, a break reopened, a
-- batch's lines edited) is refused by a trigger, which a role other than
-- the table's owner cannot disable.  Rows a superuser inserts are taken
-- as they are, so that pg_restore can load runs, results and breaks back.

-- ---------------------------------------------------------------------
-- Audit trail of the back office
-- ---------------------------------------------------------------------

CREATE TABLE @extschema@.qr_recon_audit (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT pg_catalog.statement_timestamp(),
    xact xid8 NOT NULL DEFAULT pg_catalog.pg_current_xact_id(),
    table_name text NOT NULL,
    operation text NOT NULL CONSTRAINT qr_recon_audit_operation_known
        CHECK (operation IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE')),
    role_name text NOT NULL,
    session_role text NOT NULL,
    old_row jsonb,
    new_row jsonb
);
COMMENT ON TABLE @extschema@.qr_recon_audit IS
    'Every change to qr_statement_formats, qr_statement_batches, qr_recon_runs and qr_recon_breaks: who, when, what, the row before and after. Written by a trigger as the table''s owner; no other role can write, change or delete its rows. Not dumped by pg_dump: it is the history of this database (a restore is itself recorded)';
COMMENT ON COLUMN @extschema@.qr_recon_audit.id IS 'Order of the changes';
COMMENT ON COLUMN @extschema@.qr_recon_audit.at IS 'Start of the statement that made the change';
COMMENT ON COLUMN @extschema@.qr_recon_audit.xact IS 'The transaction that made the change';
COMMENT ON COLUMN @extschema@.qr_recon_audit.table_name IS 'The table changed';
COMMENT ON COLUMN @extschema@.qr_recon_audit.operation IS 'INSERT, UPDATE, DELETE or TRUNCATE';
COMMENT ON COLUMN @extschema@.qr_recon_audit.role_name IS 'The role in effect for the change (current_user, after SET ROLE)';
COMMENT ON COLUMN @extschema@.qr_recon_audit.session_role IS 'The role that logged in (session_user)';
COMMENT ON COLUMN @extschema@.qr_recon_audit.old_row IS 'The row before an UPDATE or DELETE';
COMMENT ON COLUMN @extschema@.qr_recon_audit.new_row IS 'The row after an INSERT or UPDATE';
COMMENT ON SEQUENCE @extschema@.qr_recon_audit_id_seq IS 'Numbers the rows of qr_recon_audit';
CREATE INDEX qr_recon_audit_table_at ON @extschema@.qr_recon_audit (table_name, at);
REVOKE ALL ON @extschema@.qr_recon_audit FROM PUBLIC;
GRANT SELECT ON @extschema@.qr_recon_audit TO @extowner@ WITH GRANT OPTION;

CREATE FUNCTION @extschema@.qr_recon_audit() RETURNS trigger
AS 'MODULE_PATHNAME' LANGUAGE C;
COMMENT ON FUNCTION @extschema@.qr_recon_audit() IS
    'Trigger: appends each change of a back-office table (statement formats and batches, runs, breaks) to qr_recon_audit, as the audit table''s owner, naming the role that made it';
REVOKE EXECUTE ON FUNCTION @extschema@.qr_recon_audit() FROM PUBLIC;

-- The guard of the back office's tables: refuses what its first argument
-- names.  It checks that it fires on one of the extension's own tables,
-- as the extension attached it.
CREATE FUNCTION @extschema@.qr_back_office_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
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
COMMENT ON FUNCTION @extschema@.qr_back_office_guard() IS
    'Trigger: refuses changes to rows of the back office that are final (run results, statement lines, runs, breaks)';
REVOKE EXECUTE ON FUNCTION @extschema@.qr_back_office_guard() FROM PUBLIC;

-- ---------------------------------------------------------------------
-- Statement formats: generic CSV mappings
-- ---------------------------------------------------------------------

CREATE TABLE @extschema@.qr_statement_formats (
    name text PRIMARY KEY CONSTRAINT qr_statement_formats_name_free
        CHECK (name NOT IN ('wechatpay', 'alipay', 'csv')),
    provider text REFERENCES @extschema@.qr_providers (code) ON UPDATE CASCADE,
    mapping jsonb NOT NULL CONSTRAINT qr_statement_formats_mapping_shape
        CHECK (pg_catalog.jsonb_typeof(mapping) = 'object'
               AND pg_catalog.jsonb_typeof(mapping -> 'columns') = 'object'),
    note text
);
COMMENT ON TABLE @extschema@.qr_statement_formats IS
    'Named layouts of generic CSV statements, for qr_statement_load(provider, file, format => name): the header names of the columns, the delimiter, time zone and encoding. Rows are the user''s own and are dumped';
COMMENT ON COLUMN @extschema@.qr_statement_formats.name IS 'The name qr_statement_load''s format argument gives (not wechatpay, alipay or csv, which are built in)';
COMMENT ON COLUMN @extschema@.qr_statement_formats.provider IS 'The provider whose files have this layout (NULL: any)';
COMMENT ON COLUMN @extschema@.qr_statement_formats.mapping IS
    'As qr_statement_parse''s mapping: {"columns": {"provider_txn": ..., "ts": ..., "amount": ..., optional reference, currency, fee, status, refund_txn, refund_reference, refund_amount}, "delimiter": ",", "time_zone": "UTC", "encoding": "UTF8" or "GBK"}';
COMMENT ON COLUMN @extschema@.qr_statement_formats.note IS 'Free text: where the layout comes from';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.qr_statement_formats', '');
GRANT SELECT, INSERT, UPDATE, DELETE ON @extschema@.qr_statement_formats TO @extowner@ WITH GRANT OPTION;
CREATE TRIGGER qr_statement_formats_audit AFTER INSERT OR UPDATE OR DELETE ON @extschema@.qr_statement_formats
    FOR EACH ROW EXECUTE FUNCTION @extschema@.qr_recon_audit();
CREATE TRIGGER qr_statement_formats_audit_truncate AFTER TRUNCATE ON @extschema@.qr_statement_formats
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.qr_recon_audit();

-- ---------------------------------------------------------------------
-- Statement batches and their lines
-- ---------------------------------------------------------------------

CREATE TABLE @extschema@.qr_statement_batches (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    provider text NOT NULL REFERENCES @extschema@.qr_providers (code) ON UPDATE CASCADE,
    format text NOT NULL,
    bill_type text,
    encoding text,
    time_zone text NOT NULL,
    file_sha256 bytea NOT NULL CONSTRAINT qr_statement_batches_sha256_length CHECK (pg_catalog.length(file_sha256) = 32),
    file_bytes bigint NOT NULL,
    period tstzrange,
    covers text[] NOT NULL CONSTRAINT qr_statement_batches_covers_known
        CHECK (covers <@ ARRAY['payments', 'refunds'] AND pg_catalog.cardinality(covers) > 0),
    lines integer NOT NULL DEFAULT 0,
    bad_lines integer NOT NULL DEFAULT 0,
    amount numeric NOT NULL DEFAULT 0,
    fee numeric NOT NULL DEFAULT 0,
    refund_amount numeric NOT NULL DEFAULT 0,
    currencies text[] NOT NULL DEFAULT '{}',
    summary jsonb,
    summary_errors text[] NOT NULL DEFAULT '{}',
    status text NOT NULL DEFAULT 'loaded' CONSTRAINT qr_statement_batches_status_known
        CHECK (status IN ('loaded', 'unbalanced', 'superseded', 'withdrawn')),
    superseded_by bigint,
    note text,
    loaded_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    loaded_by text NOT NULL DEFAULT CURRENT_USER,
    session_role text NOT NULL DEFAULT SESSION_USER,
    load_xact xid8 NOT NULL DEFAULT pg_catalog.pg_current_xact_id(),
    CONSTRAINT qr_statement_batches_file_once UNIQUE (provider, file_sha256),
    CONSTRAINT qr_statement_batches_superseded CHECK ((status = 'superseded') = (superseded_by IS NOT NULL))
);
COMMENT ON TABLE @extschema@.qr_statement_batches IS
    'One row per provider statement file loaded by qr_statement_load: what it is, the period it covers, its line count and totals, its summary and how the lines agree with it, and whether a corrected file superseded it. Rows are dumped';
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
COMMENT ON SEQUENCE @extschema@.qr_statement_batches_id_seq IS 'Numbers the statement batches';
CREATE INDEX qr_statement_batches_provider ON @extschema@.qr_statement_batches (provider, lower(period));
SELECT pg_catalog.pg_extension_config_dump('@extschema@.qr_statement_batches', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.qr_statement_batches_id_seq', '');
GRANT SELECT, INSERT, UPDATE, DELETE ON @extschema@.qr_statement_batches TO @extowner@ WITH GRANT OPTION;
GRANT USAGE ON SEQUENCE @extschema@.qr_statement_batches_id_seq TO @extowner@ WITH GRANT OPTION;

CREATE TABLE @extschema@.qr_statement_lines (
    batch bigint NOT NULL,
    line integer NOT NULL,
    provider_txn text,
    reference text,
    ts timestamptz,
    amount numeric,
    currency text,
    fee numeric,
    status text,
    refund_txn text,
    refund_reference text,
    refund_amount numeric,
    extra jsonb,
    error text,
    raw text,
    PRIMARY KEY (batch, line)
);
COMMENT ON TABLE @extschema@.qr_statement_lines IS
    'The data lines of each statement batch as qr_statement_parse reads them, those that could not be read included (error says why, raw holds the text). Written once by qr_statement_load; rows are dumped';
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
-- a line as a run sees it: a refund line (one with a refund amount) by its
-- refund id and refund reference; a later run finds the lines of open
-- breaks through these
CREATE INDEX qr_statement_lines_txn ON @extschema@.qr_statement_lines
    ((CASE WHEN refund_amount <> 0 THEN coalesce(refund_txn, refund_reference, provider_txn) ELSE provider_txn END));
CREATE INDEX qr_statement_lines_reference ON @extschema@.qr_statement_lines
    ((CASE WHEN refund_amount <> 0 THEN coalesce(refund_reference, reference) ELSE reference END));
SELECT pg_catalog.pg_extension_config_dump('@extschema@.qr_statement_lines', '');
GRANT SELECT, INSERT, DELETE ON @extschema@.qr_statement_lines TO @extowner@ WITH GRANT OPTION;
CREATE TRIGGER qr_statement_lines_final BEFORE UPDATE OR TRUNCATE ON @extschema@.qr_statement_lines
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.qr_back_office_guard('immutable');

-- A batch's lines are written by the transaction that loads it: checked
-- once per statement over the rows it inserted, which is stronger than a
-- foreign key (no line joins a batch loaded earlier) and costs one pass
-- instead of a lookup and a row lock per line.  The batch guard deletes
-- the lines of a batch deleted.
CREATE FUNCTION @extschema@.qr_statement_lines_check() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
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
COMMENT ON FUNCTION @extschema@.qr_statement_lines_check() IS
    'Trigger: the lines inserted belong to batches the same transaction is loading';
REVOKE EXECUTE ON FUNCTION @extschema@.qr_statement_lines_check() FROM PUBLIC;
CREATE TRIGGER qr_statement_lines_written AFTER INSERT ON @extschema@.qr_statement_lines
    REFERENCING NEW TABLE AS new_lines FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.qr_statement_lines_check();

-- A batch's identity and totals are set by the transaction that loads it;
-- afterwards only its status moves on (superseded, withdrawn) and never
-- back.  A batch that a run has read is not deleted.
CREATE FUNCTION @extschema@.qr_statement_batch_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
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
COMMENT ON FUNCTION @extschema@.qr_statement_batch_guard() IS
    'Trigger: a statement batch''s identity and totals are final once loaded, its status only moves on, and a batch that runs have read is not deleted';
REVOKE EXECUTE ON FUNCTION @extschema@.qr_statement_batch_guard() FROM PUBLIC;
CREATE TRIGGER qr_statement_batches_guard BEFORE UPDATE OR DELETE ON @extschema@.qr_statement_batches
    FOR EACH ROW EXECUTE FUNCTION @extschema@.qr_statement_batch_guard();
CREATE TRIGGER qr_statement_batches_audit AFTER INSERT OR UPDATE OR DELETE ON @extschema@.qr_statement_batches
    FOR EACH ROW EXECUTE FUNCTION @extschema@.qr_recon_audit();
CREATE TRIGGER qr_statement_batches_audit_truncate AFTER TRUNCATE ON @extschema@.qr_statement_batches
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.qr_recon_audit();

-- One lock per provider serializes what changes its batches and breaks:
-- loads (a corrected file and the batch it supersedes) and runs.  The
-- advisory lock's first key is qrpay's own (0x71727061, "qrpa").
CREATE FUNCTION @extschema@.qr_back_office_lock(providers text[]) RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SET search_path = pg_catalog, pg_temp AS $$
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
COMMENT ON FUNCTION @extschema@.qr_back_office_lock(text[]) IS
    'Takes, in a fixed order, the transaction-level advisory lock (1903325281, hashtext(provider)) of each provider: statement loads and reconciliation runs of one provider wait for each other (lock_timeout makes them fail instead, with 55P03)';

CREATE FUNCTION @extschema@.qr_statement_load(provider text, file bytea, format text DEFAULT NULL) RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SET search_path = pg_catalog, pg_temp AS $$
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
END $$;
COMMENT ON FUNCTION @extschema@.qr_statement_load(text, bytea, text) IS
    'Loads a provider''s statement file as a batch and returns its id: read in C (format wechatpay, alipay, a qr_statement_formats layout, or NULL: the provider''s only layout, else told from the header), every line kept (unreadable ones with their reason), the summary checked against the lines (a mismatch marks the batch unbalanced). The same file again returns the same id and adds nothing; a corrected file for the days of an earlier batch supersedes it (qr_statement_diff shows the difference)';

CREATE FUNCTION @extschema@.qr_statement_withdraw(batch bigint, note text) RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SET search_path = pg_catalog, pg_temp AS $$
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
COMMENT ON FUNCTION @extschema@.qr_statement_withdraw(bigint, text) IS
    'Withdraws a statement batch (a file loaded by mistake): runs no longer read it; it stays, with the note, for the record';

-- a line's identity across two files of one provider: its transaction and
-- refund ids, and which occurrence of them it is; a line that could not be
-- read is known by its text
CREATE FUNCTION @extschema@.qr_statement_diff(old_batch bigint, new_batch bigint)
RETURNS TABLE (change text, provider_txn text, refund_txn text, old_line integer, new_line integer,
               fields text[], old jsonb, new jsonb)
LANGUAGE sql STABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
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
COMMENT ON FUNCTION @extschema@.qr_statement_diff(bigint, bigint) IS
    'What changed from one statement batch to another (a corrected file and the batch it superseded): lines added, removed, and changed with the names of the changed fields; lines pair by transaction and refund id (by text for unreadable lines)';

-- ---------------------------------------------------------------------
-- Reconciliation runs, their results, breaks
-- ---------------------------------------------------------------------

CREATE TABLE @extschema@.qr_recon_runs (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    started_at timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    finished_at timestamptz,
    started_by text NOT NULL DEFAULT CURRENT_USER,
    session_role text NOT NULL DEFAULT SESSION_USER,
    ledger text NOT NULL,
    statement text,
    batches bigint[],
    providers text[],
    settings jsonb NOT NULL,
    status text NOT NULL DEFAULT 'running' CONSTRAINT qr_recon_runs_status_known CHECK (status IN ('running', 'done')),
    ledger_rows bigint,
    statement_rows bigint,
    outcomes jsonb,
    xact xid8 NOT NULL DEFAULT pg_catalog.pg_current_xact_id(),
    CONSTRAINT qr_recon_runs_input CHECK ((statement IS NULL) <> (batches IS NULL))
);
COMMENT ON TABLE @extschema@.qr_recon_runs IS
    'One row per reconciliation run (qr_recon_run): its inputs and settings, who started it, when it ended and how many rows of each outcome it found. A run is written by one transaction and final once done. Rows are dumped';
COMMENT ON COLUMN @extschema@.qr_recon_runs.id IS 'The run id qr_recon_run returns';
COMMENT ON COLUMN @extschema@.qr_recon_runs.started_at IS 'When it started';
COMMENT ON COLUMN @extschema@.qr_recon_runs.finished_at IS 'When it ended';
COMMENT ON COLUMN @extschema@.qr_recon_runs.started_by IS 'The role that started it (current_user)';
COMMENT ON COLUMN @extschema@.qr_recon_runs.session_role IS 'The role that logged in (session_user)';
COMMENT ON COLUMN @extschema@.qr_recon_runs.ledger IS 'The ledger relation, schema-qualified';
COMMENT ON COLUMN @extschema@.qr_recon_runs.statement IS 'The statement relation, when the run read one rather than batches';
COMMENT ON COLUMN @extschema@.qr_recon_runs.batches IS 'The statement batches it read';
COMMENT ON COLUMN @extschema@.qr_recon_runs.providers IS 'The providers of those batches';
COMMENT ON COLUMN @extschema@.qr_recon_runs.settings IS 'time_window and amount_tolerance';
COMMENT ON COLUMN @extschema@.qr_recon_runs.status IS 'running until its transaction has written every result, then done';
COMMENT ON COLUMN @extschema@.qr_recon_runs.ledger_rows IS 'Ledger rows it read (each is in exactly one result row)';
COMMENT ON COLUMN @extschema@.qr_recon_runs.statement_rows IS 'Statement rows it read (each is in exactly one result row)';
COMMENT ON COLUMN @extschema@.qr_recon_runs.outcomes IS 'Result rows by status';
COMMENT ON COLUMN @extschema@.qr_recon_runs.xact IS 'The transaction that ran it';
COMMENT ON SEQUENCE @extschema@.qr_recon_runs_id_seq IS 'Numbers the reconciliation runs';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.qr_recon_runs', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.qr_recon_runs_id_seq', '');
GRANT SELECT, INSERT, UPDATE ON @extschema@.qr_recon_runs TO @extowner@ WITH GRANT OPTION;
GRANT USAGE ON SEQUENCE @extschema@.qr_recon_runs_id_seq TO @extowner@ WITH GRANT OPTION;

CREATE TABLE @extschema@.qr_recon_results (
    run bigint NOT NULL REFERENCES @extschema@.qr_recon_runs (id),
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
    ledger_ts timestamptz,
    statement_ts timestamptz,
    ledger_amount numeric,
    statement_amount numeric,
    break bigint,
    PRIMARY KEY (run, seq)
);
COMMENT ON TABLE @extschema@.qr_recon_results IS
    'Every outcome of every run: each row of the ledger and of the statement a run read is in exactly one of its result rows. Written by the run''s transaction, final afterwards. Rows are dumped';
COMMENT ON COLUMN @extschema@.qr_recon_results.run IS 'The run';
COMMENT ON COLUMN @extschema@.qr_recon_results.seq IS 'Order within the run';
COMMENT ON COLUMN @extschema@.qr_recon_results.status IS 'As qr_reconcile: matched, amount_mismatch, outside_window, missing_in_statement, missing_in_ledger, duplicate_in_ledger, duplicate_in_statement';
COMMENT ON COLUMN @extschema@.qr_recon_results.provider IS 'The provider';
COMMENT ON COLUMN @extschema@.qr_recon_results.ledger_txn IS 'The ledger row (its txn_id)';
COMMENT ON COLUMN @extschema@.qr_recon_results.statement_txn IS 'The statement row: the provider''s transaction id (for a refund line, one with a refund amount: its refund id, else its refund reference, as Alipay''s refund batch number), or the statement relation''s txn_id';
COMMENT ON COLUMN @extschema@.qr_recon_results.batch IS 'The statement line''s batch';
COMMENT ON COLUMN @extschema@.qr_recon_results.line IS 'The statement line''s number in its file';
COMMENT ON COLUMN @extschema@.qr_recon_results.currency IS 'Currency of the amounts';
COMMENT ON COLUMN @extschema@.qr_recon_results.amount_diff IS 'Statement amount minus ledger amount';
COMMENT ON COLUMN @extschema@.qr_recon_results.reason IS 'Why the rows were paired, or were not';
COMMENT ON COLUMN @extschema@.qr_recon_results.ledger_ts IS 'The ledger row''s time';
COMMENT ON COLUMN @extschema@.qr_recon_results.statement_ts IS 'The statement row''s time';
COMMENT ON COLUMN @extschema@.qr_recon_results.ledger_amount IS 'The ledger row''s amount';
COMMENT ON COLUMN @extschema@.qr_recon_results.statement_amount IS 'The statement row''s amount (negative for a refund)';
COMMENT ON COLUMN @extschema@.qr_recon_results.break IS 'The break the outcome is (NULL for matched rows)';
CREATE INDEX qr_recon_results_break ON @extschema@.qr_recon_results (break) WHERE break IS NOT NULL;
SELECT pg_catalog.pg_extension_config_dump('@extschema@.qr_recon_results', '');
GRANT SELECT, INSERT ON @extschema@.qr_recon_results TO @extowner@ WITH GRANT OPTION;
CREATE TRIGGER qr_recon_results_final BEFORE UPDATE OR DELETE OR TRUNCATE ON @extschema@.qr_recon_results
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.qr_back_office_guard('immutable');

CREATE TABLE @extschema@.qr_recon_breaks (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    provider text NOT NULL,
    side text NOT NULL CONSTRAINT qr_recon_breaks_side_known CHECK (side IN ('ledger', 'statement')),
    txn text NOT NULL,
    reference text,
    kind text NOT NULL,
    ledger_txn text,
    statement_txn text,
    batch bigint,
    line integer,
    currency text,
    amount numeric,
    txn_at timestamptz,
    opened_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    opened_run bigint REFERENCES @extschema@.qr_recon_runs (id),
    last_run bigint REFERENCES @extschema@.qr_recon_runs (id),
    status text NOT NULL DEFAULT 'open' CONSTRAINT qr_recon_breaks_status_known
        CHECK (status IN ('open', 'assigned', 'resolved', 'written_off')),
    owner text,
    note text,
    closed_at timestamptz,
    closed_by text,
    closed_run bigint REFERENCES @extschema@.qr_recon_runs (id),
    CONSTRAINT qr_recon_breaks_assigned CHECK (status <> 'assigned' OR owner IS NOT NULL),
    CONSTRAINT qr_recon_breaks_closed CHECK ((status IN ('resolved', 'written_off')) = (closed_at IS NOT NULL AND closed_by IS NOT NULL)),
    CONSTRAINT qr_recon_breaks_written_off CHECK (status <> 'written_off' OR note IS NOT NULL)
);
COMMENT ON TABLE @extschema@.qr_recon_breaks IS
    'The breaks runs found, worked until they close: open, assigned to an owner, then resolved (by hand, or by the run that matched its rows) or written off. A break a later run still finds is the same break (last_run moves on). Every change is in qr_recon_audit. Rows are dumped';
COMMENT ON COLUMN @extschema@.qr_recon_breaks.id IS 'The break';
COMMENT ON COLUMN @extschema@.qr_recon_breaks.provider IS 'The provider';
COMMENT ON COLUMN @extschema@.qr_recon_breaks.side IS 'Which side''s row the break is about: ledger (missing_in_statement, amount_mismatch, outside_window, duplicate_in_ledger) or statement (missing_in_ledger, duplicate_in_statement)';
COMMENT ON COLUMN @extschema@.qr_recon_breaks.txn IS 'That row''s id: the ledger txn_id, or the provider''s transaction (refund) id. A row has one open break at most; a later run that finds it again carries it (kind and amounts move on)';
COMMENT ON COLUMN @extschema@.qr_recon_breaks.reference IS 'That row''s reference (the refund reference of a refund line): a later run reads again every row of both sides with this reference, so that the break is judged with the rows it was found with';
COMMENT ON COLUMN @extschema@.qr_recon_breaks.kind IS 'The outcome the latest run found (a qr_recon_results status)';
COMMENT ON COLUMN @extschema@.qr_recon_breaks.ledger_txn IS 'The ledger row, if any';
COMMENT ON COLUMN @extschema@.qr_recon_breaks.statement_txn IS 'The statement row, if any';
COMMENT ON COLUMN @extschema@.qr_recon_breaks.batch IS 'The statement line''s batch, if any';
COMMENT ON COLUMN @extschema@.qr_recon_breaks.line IS 'The statement line''s number, if any';
COMMENT ON COLUMN @extschema@.qr_recon_breaks.currency IS 'Currency of the amount';
COMMENT ON COLUMN @extschema@.qr_recon_breaks.amount IS 'The amount at stake: the difference for amount_mismatch, the row''s amount otherwise (absolute)';
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
COMMENT ON SEQUENCE @extschema@.qr_recon_breaks_id_seq IS 'Numbers the breaks';
CREATE UNIQUE INDEX qr_recon_breaks_open ON @extschema@.qr_recon_breaks (provider, side, txn)
    WHERE status IN ('open', 'assigned');
CREATE INDEX qr_recon_breaks_open_reference ON @extschema@.qr_recon_breaks (provider, reference)
    WHERE status IN ('open', 'assigned') AND reference IS NOT NULL;
CREATE INDEX qr_recon_breaks_written_off ON @extschema@.qr_recon_breaks (provider, side, txn)
    WHERE status = 'written_off';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.qr_recon_breaks', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.qr_recon_breaks_id_seq', '');
GRANT SELECT, INSERT, UPDATE ON @extschema@.qr_recon_breaks TO @extowner@ WITH GRANT OPTION;
GRANT USAGE ON SEQUENCE @extschema@.qr_recon_breaks_id_seq TO @extowner@ WITH GRANT OPTION;
CREATE TRIGGER qr_recon_breaks_kept BEFORE DELETE OR TRUNCATE ON @extschema@.qr_recon_breaks
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.qr_back_office_guard('immutable');

-- A run is written by the transaction that started it, and is final once
-- done; a result row belongs to a run its own transaction is writing; a
-- break moves open -> assigned -> resolved | written_off and closes once.
CREATE FUNCTION @extschema@.qr_recon_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
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
COMMENT ON FUNCTION @extschema@.qr_recon_guard() IS
    'Trigger: a run is written by its own transaction and final once done, results are written only by the run''s transaction, and a break moves open -> assigned -> resolved or written off, closing once, with what a run found changed only by a run';
REVOKE EXECUTE ON FUNCTION @extschema@.qr_recon_guard() FROM PUBLIC;

CREATE TRIGGER qr_recon_runs_guard BEFORE INSERT OR UPDATE OR DELETE ON @extschema@.qr_recon_runs
    FOR EACH ROW EXECUTE FUNCTION @extschema@.qr_recon_guard();
CREATE TRIGGER qr_recon_runs_kept BEFORE TRUNCATE ON @extschema@.qr_recon_runs
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.qr_back_office_guard('immutable');
CREATE TRIGGER qr_recon_results_written AFTER INSERT ON @extschema@.qr_recon_results
    REFERENCING NEW TABLE AS new_results FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.qr_recon_guard();
CREATE TRIGGER qr_recon_breaks_guard BEFORE INSERT OR UPDATE ON @extschema@.qr_recon_breaks
    FOR EACH ROW EXECUTE FUNCTION @extschema@.qr_recon_guard();
CREATE TRIGGER qr_recon_runs_audit AFTER INSERT OR UPDATE OR DELETE ON @extschema@.qr_recon_runs
    FOR EACH ROW EXECUTE FUNCTION @extschema@.qr_recon_audit();
CREATE TRIGGER qr_recon_breaks_audit AFTER INSERT OR UPDATE OR DELETE ON @extschema@.qr_recon_breaks
    FOR EACH ROW EXECUTE FUNCTION @extschema@.qr_recon_audit();

-- The run proper, over pg_temp.qr_recon_run$ledger and pg_temp.qr_recon_run$statement
-- (txn_id, provider, reference, amount, currency, ts; the statement with
-- its batch, line and provider id as stxn) that qr_recon_run filled:
-- qr_reconcile_detail's outcomes, breaks carried over, opened and closed,
-- the results written.
CREATE FUNCTION @extschema@.qr_recon_execute(run bigint, time_window interval, amount_tolerance numeric) RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    nl bigint;
    ns bigint;
BEGIN
    IF run IS NULL OR time_window IS NULL OR amount_tolerance IS NULL THEN
        RAISE EXCEPTION 'qr_recon_execute needs a run, a time window and an amount tolerance' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF pg_catalog.to_regclass('pg_temp.qr_recon_run$ledger') IS NULL OR pg_catalog.to_regclass('pg_temp.qr_recon_run$statement') IS NULL
       OR NOT EXISTS (SELECT FROM @extschema@.qr_recon_runs r WHERE r.id = run AND r.status = 'running'
                         AND r.xact = pg_catalog.pg_current_xact_id()) THEN
        RAISE EXCEPTION 'qr_recon_execute is called by qr_recon_run' USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    -- planned on their real sizes: temporary tables have no statistics
    -- until analyzed, and the joins below would nest loops over them
    ANALYZE pg_temp.qr_recon_run$ledger;
    ANALYZE pg_temp.qr_recon_run$statement;
    SELECT count(*) INTO nl FROM pg_temp.qr_recon_run$ledger;
    SELECT count(*) INTO ns FROM pg_temp.qr_recon_run$statement;

    IF pg_catalog.to_regclass('pg_temp.qr_recon_run$outcome') IS NOT NULL THEN
        DROP TABLE pg_temp.qr_recon_run$outcome;
    END IF;
    CREATE TEMP TABLE qr_recon_run$outcome ON COMMIT DROP AS
    SELECT pg_catalog.row_number() OVER (ORDER BY coalesce(d.ledger_ts, d.statement_ts), d.ledger_txn, d.statement_txn)::int AS seq,
           d.status, d.provider, d.ledger_txn, s.stxn AS statement_txn, s.batch, s.line,
           coalesce(s.currency, l.currency) AS currency, d.amount_diff, d.reason, d.ledger_ts, d.statement_ts,
           d.ledger_amount, d.statement_amount,
           -- the row a break is about, if the outcome is one
           CASE WHEN d.status = 'matched' THEN NULL
                WHEN d.ledger_txn IS NOT NULL THEN 'ledger' ELSE 'statement' END AS side,
           CASE WHEN d.status = 'matched' THEN NULL ELSE coalesce(d.ledger_txn, s.stxn) END AS txn,
           CASE WHEN d.ledger_txn IS NOT NULL THEN l.reference ELSE s.reference END AS reference,
           NULL::bigint AS break
      FROM @extschema@.qr_reconcile_detail('pg_temp.qr_recon_run$ledger', 'pg_temp.qr_recon_run$statement', time_window, amount_tolerance) d
      LEFT JOIN pg_temp.qr_recon_run$statement s ON s.txn_id = d.statement_txn
      LEFT JOIN (SELECT DISTINCT ON (x.txn_id) x.txn_id, x.currency, x.reference FROM pg_temp.qr_recon_run$ledger x
                  ORDER BY x.txn_id, x.currency, x.reference) l ON l.txn_id = d.ledger_txn;

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
             ORDER BY x.provider, x.side, x.txn, x.status <> 'matched') o
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
           pg_catalog.abs(CASE WHEN u.status = 'amount_mismatch' THEN u.amount_diff
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
                                              amount_diff, reason, ledger_ts, statement_ts, ledger_amount, statement_amount, break)
    SELECT run, u.seq, u.status, u.provider, u.ledger_txn, u.statement_txn, u.batch, u.line, u.currency, u.amount_diff,
           u.reason, u.ledger_ts, u.statement_ts, u.ledger_amount, u.statement_amount, u.break
      FROM pg_temp.qr_recon_run$outcome u;

    UPDATE @extschema@.qr_recon_runs r
       SET status = 'done', finished_at = pg_catalog.clock_timestamp(), ledger_rows = nl, statement_rows = ns,
           outcomes = (SELECT coalesce(pg_catalog.jsonb_object_agg(c.status, c.n), '{}')
                         FROM (SELECT u.status, count(*) AS n FROM pg_temp.qr_recon_run$outcome u GROUP BY u.status) c)
     WHERE r.id = run;
    DROP TABLE pg_temp.qr_recon_run$outcome;
    DROP TABLE pg_temp.qr_recon_run$ledger;
    DROP TABLE pg_temp.qr_recon_run$statement;
END $$;
COMMENT ON FUNCTION @extschema@.qr_recon_execute(bigint, interval, numeric) IS
    'Internal to qr_recon_run: reconciles the rows it gathered, carries breaks over, opens and closes them, and writes the run''s results';

-- the columns a ledger or statement relation must have
CREATE FUNCTION @extschema@.qr_recon_require_shape(rel regclass) RETURNS void
LANGUAGE plpgsql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
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
COMMENT ON FUNCTION @extschema@.qr_recon_require_shape(regclass) IS
    'Raises 42703 naming the first of the columns txn_id, provider, reference, amount, currency, ts that a ledger or statement relation lacks';

CREATE FUNCTION @extschema@.qr_recon_check_settings(time_window interval, amount_tolerance numeric) RETURNS void
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF time_window IS NULL OR amount_tolerance IS NULL THEN
        RAISE EXCEPTION 'a reconciliation run needs a time window and an amount tolerance' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF time_window < interval '0' OR NOT pg_catalog.isfinite(time_window) OR amount_tolerance < 0
       OR amount_tolerance IN ('NaN', 'Infinity') THEN
        RAISE EXCEPTION 'a reconciliation run needs a finite time window and amount tolerance of zero or more, not % and %',
              time_window, amount_tolerance USING ERRCODE = 'invalid_parameter_value';
    END IF;
END $$;
COMMENT ON FUNCTION @extschema@.qr_recon_check_settings(interval, numeric) IS
    'Raises 22004 or 22023 unless the time window and amount tolerance are finite and not negative';

CREATE FUNCTION @extschema@.qr_recon_run(ledger regclass, batches bigint[],
                                         time_window interval DEFAULT '15 minutes', amount_tolerance numeric DEFAULT 0)
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ids bigint[];
    provs text[];
    bad record;
    run bigint;
    span_from timestamptz;
    span_to timestamptz;
BEGIN
    IF ledger IS NULL OR batches IS NULL THEN
        RAISE EXCEPTION 'qr_recon_run needs a ledger and statement batches' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    PERFORM @extschema@.qr_recon_check_settings(time_window, amount_tolerance);
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

    -- the days the batches cover, as one span: the ledger is scanned once,
    -- and only its rows inside the span are checked against each batch
    SELECT min(pg_catalog.lower(b.period)), max(pg_catalog.upper(b.period)) INTO span_from, span_to
      FROM @extschema@.qr_statement_batches b WHERE b.id = ANY (ids);

    INSERT INTO @extschema@.qr_recon_runs (ledger, batches, providers, settings)
    VALUES (ledger::text, ids, provs,
            pg_catalog.jsonb_build_object('time_window', time_window, 'amount_tolerance', amount_tolerance))
    RETURNING id INTO run;

    -- the statement: the batches' readable lines (a refund counts against
    -- the ledger as minus the refund, by its refund reference), and, from
    -- other batches still in force, the lines of still-open statement
    -- breaks of these providers and the lines that share a reference with
    -- any of their open breaks: a break is judged again with the rows it
    -- was found with
    IF pg_catalog.to_regclass('pg_temp.qr_recon_run$statement') IS NOT NULL THEN
        DROP TABLE pg_temp.qr_recon_run$statement;
    END IF;
    CREATE TEMP TABLE qr_recon_run$statement ON COMMIT DROP AS
    SELECT l.batch || ':' || l.line AS txn_id, b.provider, (CASE WHEN l.refund_amount <> 0 THEN coalesce(l.refund_reference, l.reference) ELSE l.reference END) AS reference,
           CASE WHEN l.refund_amount <> 0 THEN -l.refund_amount ELSE l.amount END AS amount,
           l.currency, l.ts, l.batch, l.line, (CASE WHEN l.refund_amount <> 0 THEN coalesce(l.refund_txn, l.refund_reference, l.provider_txn) ELSE l.provider_txn END) AS stxn
      FROM @extschema@.qr_statement_lines l JOIN @extschema@.qr_statement_batches b ON b.id = l.batch
     WHERE l.batch = ANY (ids) AND l.error IS NULL
    UNION
    SELECT l.batch || ':' || l.line AS txn_id, b.provider, (CASE WHEN l.refund_amount <> 0 THEN coalesce(l.refund_reference, l.reference) ELSE l.reference END) AS reference,
           CASE WHEN l.refund_amount <> 0 THEN -l.refund_amount ELSE l.amount END AS amount,
           l.currency, l.ts, l.batch, l.line, (CASE WHEN l.refund_amount <> 0 THEN coalesce(l.refund_txn, l.refund_reference, l.provider_txn) ELSE l.provider_txn END) AS stxn
      FROM @extschema@.qr_recon_breaks k
      JOIN @extschema@.qr_statement_lines l ON (CASE WHEN l.refund_amount <> 0 THEN coalesce(l.refund_txn, l.refund_reference, l.provider_txn) ELSE l.provider_txn END) = k.txn
      JOIN @extschema@.qr_statement_batches b ON b.id = l.batch
     WHERE k.status IN ('open', 'assigned') AND k.side = 'statement' AND k.provider = ANY (provs)
       AND b.provider = k.provider AND b.status IN ('loaded', 'unbalanced') AND l.error IS NULL
    UNION
    SELECT l.batch || ':' || l.line AS txn_id, b.provider, (CASE WHEN l.refund_amount <> 0 THEN coalesce(l.refund_reference, l.reference) ELSE l.reference END) AS reference,
           CASE WHEN l.refund_amount <> 0 THEN -l.refund_amount ELSE l.amount END AS amount,
           l.currency, l.ts, l.batch, l.line, (CASE WHEN l.refund_amount <> 0 THEN coalesce(l.refund_txn, l.refund_reference, l.provider_txn) ELSE l.provider_txn END) AS stxn
      FROM @extschema@.qr_recon_breaks k
      JOIN @extschema@.qr_statement_lines l ON (CASE WHEN l.refund_amount <> 0 THEN coalesce(l.refund_reference, l.reference) ELSE l.reference END) = k.reference
      JOIN @extschema@.qr_statement_batches b ON b.id = l.batch
     WHERE k.status IN ('open', 'assigned') AND k.provider = ANY (provs)
       AND b.provider = k.provider AND b.status IN ('loaded', 'unbalanced') AND l.error IS NULL;

    -- the ledger: these providers' rows on the batches' days, the rows of
    -- their still-open ledger breaks, and the rows that share a reference
    -- with any of their open breaks
    IF pg_catalog.to_regclass('pg_temp.qr_recon_run$ledger') IS NOT NULL THEN
        DROP TABLE pg_temp.qr_recon_run$ledger;
    END IF;
    EXECUTE pg_catalog.format($q$
        CREATE TEMP TABLE qr_recon_run$ledger ON COMMIT DROP AS
        SELECT x.txn_id::text AS txn_id, x.provider::text AS provider,
               CASE WHEN x.reference::text <> '' THEN x.reference::text END AS reference,
               x.amount::numeric AS amount, x.currency::text AS currency, x.ts::timestamptz AS ts
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
                        WHERE k.status IN ('open', 'assigned') AND k.provider = ANY ($1) AND k.reference IS NOT NULL))$q$, ledger)
    USING provs, ids, span_from, span_to;

    PERFORM @extschema@.qr_recon_execute(run, time_window, amount_tolerance);
    RETURN run;
END $$;
COMMENT ON FUNCTION @extschema@.qr_recon_run(regclass, bigint[], interval, numeric) IS
    'Reconciles a ledger against statement batches and records the run: the ledger rows of the batches'' providers on the batches'' days, plus those of still-open breaks, against the batches'' lines (refunds as minus the refund, by refund reference), plus those of still-open statement breaks. Every row of both sides lands in exactly one row of qr_recon_results; breaks are opened, carried over, or closed by the match. Runs and loads of one provider wait for each other. Returns the run id';

CREATE FUNCTION @extschema@.qr_recon_run(ledger regclass, statement regclass,
                                         time_window interval DEFAULT '15 minutes', amount_tolerance numeric DEFAULT 0)
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    run bigint;
BEGIN
    IF ledger IS NULL OR statement IS NULL THEN
        RAISE EXCEPTION 'qr_recon_run needs a ledger and a statement' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    PERFORM @extschema@.qr_recon_check_settings(time_window, amount_tolerance);
    PERFORM @extschema@.qr_recon_require_shape(ledger);
    PERFORM @extschema@.qr_recon_require_shape(statement);
    -- two runs over one statement relation wait for each other
    IF NOT pg_catalog.pg_try_advisory_xact_lock(1903325282, statement::oid::int) THEN
        RAISE NOTICE 'waiting for another run over % to finish', statement;
        PERFORM pg_catalog.pg_advisory_xact_lock(1903325282, statement::oid::int);
    END IF;
    INSERT INTO @extschema@.qr_recon_runs (ledger, statement, settings)
    VALUES (ledger::text, statement::text,
            pg_catalog.jsonb_build_object('time_window', time_window, 'amount_tolerance', amount_tolerance))
    RETURNING id INTO run;
    IF pg_catalog.to_regclass('pg_temp.qr_recon_run$statement') IS NOT NULL THEN
        DROP TABLE pg_temp.qr_recon_run$statement;
    END IF;
    EXECUTE pg_catalog.format($q$
        CREATE TEMP TABLE qr_recon_run$statement ON COMMIT DROP AS
        SELECT 'S' || pg_catalog.row_number() OVER () AS txn_id, x.provider::text AS provider,
               CASE WHEN x.reference::text <> '' THEN x.reference::text END AS reference,
               x.amount::numeric AS amount, x.currency::text AS currency, x.ts::timestamptz AS ts,
               NULL::bigint AS batch, NULL::integer AS line, x.txn_id::text AS stxn
          FROM %s x$q$, statement);
    IF pg_catalog.to_regclass('pg_temp.qr_recon_run$ledger') IS NOT NULL THEN
        DROP TABLE pg_temp.qr_recon_run$ledger;
    END IF;
    EXECUTE pg_catalog.format($q$
        CREATE TEMP TABLE qr_recon_run$ledger ON COMMIT DROP AS
        SELECT x.txn_id::text AS txn_id, x.provider::text AS provider,
               CASE WHEN x.reference::text <> '' THEN x.reference::text END AS reference,
               x.amount::numeric AS amount, x.currency::text AS currency, x.ts::timestamptz AS ts
          FROM %s x$q$, ledger);
    PERFORM @extschema@.qr_recon_execute(run, time_window, amount_tolerance);
    RETURN run;
END $$;
COMMENT ON FUNCTION @extschema@.qr_recon_run(regclass, regclass, interval, numeric) IS
    'Reconciles a ledger against any relation of the statement shape (txn_id, provider, reference, amount, currency, ts) and records the run as qr_recon_run over batches does; two runs over one statement relation wait for each other';

-- ---------------------------------------------------------------------
-- Working the breaks
-- ---------------------------------------------------------------------

-- The three moves of a break share one UPDATE; qr_recon_guard checks the
-- move and stamps who closed it and when
CREATE FUNCTION @extschema@.qr_break_move(break bigint, status text, owner text, note text)
RETURNS @extschema@.qr_recon_breaks
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SET search_path = pg_catalog, pg_temp AS $$
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
COMMENT ON FUNCTION @extschema@.qr_break_move(bigint, text, text, text) IS
    'Moves a break to a status (qr_recon_guard checks the move), setting its owner if given and adding the note; what qr_break_assign, qr_break_resolve and qr_break_write_off do';

CREATE FUNCTION @extschema@.qr_break_assign(break bigint, owner text, note text DEFAULT NULL)
RETURNS @extschema@.qr_recon_breaks
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF break IS NULL OR owner IS NULL OR pg_catalog.btrim(owner) = '' THEN
        RAISE EXCEPTION 'qr_break_assign needs a break and an owner' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    RETURN @extschema@.qr_break_move(break, 'assigned', owner, note);
END $$;
COMMENT ON FUNCTION @extschema@.qr_break_assign(bigint, text, text) IS
    'Assigns an open break to an owner (or reassigns it), adding the note; returns the break';

CREATE FUNCTION @extschema@.qr_break_resolve(break bigint, note text)
RETURNS @extschema@.qr_recon_breaks
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF break IS NULL OR note IS NULL OR pg_catalog.btrim(note) = '' THEN
        RAISE EXCEPTION 'qr_break_resolve needs a break and a note saying how it was resolved' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    RETURN @extschema@.qr_break_move(break, 'resolved', NULL, note);
END $$;
COMMENT ON FUNCTION @extschema@.qr_break_resolve(bigint, text) IS
    'Closes a break as resolved, with a note saying how; closed_by and closed_at record who and when. Returns the break';

CREATE FUNCTION @extschema@.qr_break_write_off(break bigint, note text)
RETURNS @extschema@.qr_recon_breaks
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF break IS NULL OR note IS NULL OR pg_catalog.btrim(note) = '' THEN
        RAISE EXCEPTION 'qr_break_write_off needs a break and a note saying why' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    RETURN @extschema@.qr_break_move(break, 'written_off', NULL, note);
END $$;
COMMENT ON FUNCTION @extschema@.qr_break_write_off(bigint, text) IS
    'Closes a break as written off, with a note saying why: later runs that find the same difference leave it written off. Returns the break';

-- Aging counts from the transaction's time; severity is the higher of the
-- amount's band (under 100, 1,000, 10,000 units of the currency, or more)
-- and the age's (under 1, 3, 7 days, or more)
CREATE VIEW @extschema@.qr_recon_break_aging AS
SELECT b.id, b.provider, b.kind, b.status, b.owner, b.currency, b.amount, b.txn_at, b.opened_at, b.last_run,
       a.age,
       CASE WHEN a.age < interval '1 day' THEN '0-1 days' WHEN a.age < interval '3 days' THEN '1-3 days'
            WHEN a.age < interval '7 days' THEN '3-7 days' WHEN a.age < interval '30 days' THEN '7-30 days'
            ELSE '30+ days' END AS age_bucket,
       (ARRAY['low', 'medium', 'high', 'critical'])[GREATEST(
            CASE WHEN coalesce(b.amount, 0) < 100 THEN 1 WHEN b.amount < 1000 THEN 2 WHEN b.amount < 10000 THEN 3 ELSE 4 END,
            CASE WHEN a.age < interval '1 day' THEN 1 WHEN a.age < interval '3 days' THEN 2
                 WHEN a.age < interval '7 days' THEN 3 ELSE 4 END)] AS severity
  FROM @extschema@.qr_recon_breaks b,
       LATERAL (SELECT pg_catalog.now() - coalesce(b.txn_at, b.opened_at) AS age) a
 WHERE b.status IN ('open', 'assigned');
COMMENT ON VIEW @extschema@.qr_recon_break_aging IS
    'Open and assigned breaks with their age (from the transaction''s time), age bucket (0-1, 1-3, 3-7, 7-30, 30+ days) and severity: the higher of the amount''s band (under 100, 1,000, 10,000 currency units, or more) and the age''s (under 1, 3, 7 days, or more) as low, medium, high, critical';
GRANT SELECT ON @extschema@.qr_recon_break_aging TO @extowner@ WITH GRANT OPTION;

-- ---------------------------------------------------------------------
-- The run's report
-- ---------------------------------------------------------------------

CREATE FUNCTION @extschema@.qr_html(value text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(
               coalesce(value, ''), '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), '"', '&quot;'), '''', '&#39;')
$$;
COMMENT ON FUNCTION @extschema@.qr_html(text) IS
    'Text escaped for HTML (& < > " and '' as entities); NULL gives the empty string';

CREATE FUNCTION @extschema@.qr_recon_report(run bigint) RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    r @extschema@.qr_recon_runs;
    h text;
    t text;
    as_of timestamptz;
    maxn bigint;
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
               CASE WHEN g.status = 'matched' THEN 'matched' WHEN g.status IS NULL THEN '' ELSE 'break' END,
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
COMMENT ON FUNCTION @extschema@.qr_recon_report(bigint) IS
    'A self-contained HTML page on a run: its inputs and settings, result rows and amounts by provider and status, the run''s breaks still open as a chart by age, and the largest of them. psql -Atc "SELECT qr_recon_report(42)" > day.html';

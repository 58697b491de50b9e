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

-- (back office)

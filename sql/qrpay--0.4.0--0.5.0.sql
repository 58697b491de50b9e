/* qrpay 0.4.0 -> 0.5.0: making and printing codes */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION qrpay UPDATE TO '0.5.0'" to load this file. \quit

CREATE FUNCTION qr_emv(fields jsonb) RETURNS payment_qr
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION qr_emv(jsonb) IS
    'An EMVCo merchant-presented code from the shape qr_to_jsonb returns: ids in ascending order, lengths in characters, the CRC computed; validated like input (22P02 naming the bad field)';

CREATE FUNCTION qr_with_amount(code payment_qr, amount numeric) RETURNS payment_qr
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION qr_with_amount(payment_qr, numeric) IS
    'The code for one amount: EMVCo tag 54 and point of initiation 12 with a new CRC; UPI am, EPC and Swiss amount, SPAYD AM, BezahlCode amount; an error for formats without an amount';

CREATE FUNCTION qr_with_reference(code payment_qr, reference text) RETURNS payment_qr
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION qr_with_reference(payment_qr, text) IS
    'The code for one order: EMVCo 62.05 (reference label) and point of initiation 12; UPI tr, EPC unstructured remittance, Swiss message, SPAYD MSG, BezahlCode reason; an error for formats without one';

CREATE FUNCTION qr_emv_merge(codes payment_qr[]) RETURNS payment_qr
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION qr_emv_merge(payment_qr[]) IS
    'One code carrying the merchant accounts (02-51) of several EMVCo codes of one merchant, in id order, the other objects from the first: the universal code of INTEROP F12';

CREATE FUNCTION qr_svg(code payment_qr, module_px integer DEFAULT 4, margin integer DEFAULT 4,
                       ecc text DEFAULT 'M') RETURNS text
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION qr_svg(payment_qr, integer, integer, text) IS
    'The QR symbol as SVG (libqrencode, byte mode, UTF-8 ECI when non-ASCII): module size in pixels, quiet zone in modules, error correction L, M, Q or H';

CREATE FUNCTION qr_png(code payment_qr, module_px integer DEFAULT 4, margin integer DEFAULT 4,
                       ecc text DEFAULT 'M') RETURNS bytea
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION qr_png(payment_qr, integer, integer, text) IS
    'The QR symbol as a 1-bit PNG (libqrencode, libpng)';

CREATE FUNCTION qr_text(code payment_qr) RETURNS text
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION qr_text(payment_qr) IS
    'The QR symbol drawn with Unicode half blocks and a 4-module quiet zone, to scan off a terminal';

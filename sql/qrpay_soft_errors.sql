--
-- soft input errors (PostgreSQL 16 and later): payment_qr's input function
-- reports a payload that is no code through the caller's ErrorSaveContext,
-- so pg_input_is_valid and pg_input_error_info answer without an ERROR.
-- PostgreSQL 15 has neither function: there the suite says so and stops
-- (expected/qrpay_soft_errors_1.out).
--
SELECT current_setting('server_version_num')::int >= 160000 AS soft_errors \gset
\if :soft_errors
\else
\echo 'skipped: pg_input_is_valid and pg_input_error_info come with PostgreSQL 16'
\quit
\endif

-- a valid code, a bad CRC, a truncated payload, an empty one
SELECT pg_input_is_valid('00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***63041D3D', 'payment_qr') AS valid,
       pg_input_is_valid('00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***63041D3E', 'payment_qr') AS bad_crc,
       pg_input_is_valid('000201265800', 'payment_qr') AS truncated,
       pg_input_is_valid('', 'payment_qr') AS empty;

-- the soft error carries the SQLSTATE and message of the ERROR
SELECT message, detail, hint, sql_error_code
FROM pg_input_error_info('00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***63041D3E', 'payment_qr');
SELECT '00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***63041D3E'::payment_qr;
SELECT message, sql_error_code FROM pg_input_error_info('000201265800', 'payment_qr');
SELECT sql_error_code FROM pg_input_error_info('', 'payment_qr');

-- qr_check gives the same message as the soft error, for every kind of input
SELECT count(*) AS disagreements
FROM (VALUES ('000201265800'), (''), ('hello'), ('0002010102116304ABCD')) AS t(s)
WHERE qr_check(s) IS DISTINCT FROM (pg_input_error_info(s, 'payment_qr')).message;

-- a valid code has no error info
SELECT * FROM pg_input_error_info('00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***63041D3D', 'payment_qr');

--
-- Bad input: SQLSTATE 22P02 and a message that says what and where
--
\set VERBOSITY default
-- not a format qrpay reads
SELECT 'hello'::payment_qr;
\echo :LAST_ERROR_SQLSTATE
SELECT ''::payment_qr;
\echo :LAST_ERROR_SQLSTATE
-- truncated TLV: where, and how much is missing
SELECT '0002010102122614'::payment_qr;
\echo :LAST_ERROR_SQLSTATE
-- CRC mismatch names both values
SELECT '00020101021126140010com.pay.me5204411153031565802CN5904SHOP6007BEIJING6304FFFF'::payment_qr;
\echo :LAST_ERROR_SQLSTATE
-- lowercase CRC
SELECT '00020101021126140010com.pay.me5204411153031565802CN5904SHOP6007BEIJING6304f320'::payment_qr;
\echo :LAST_ERROR_SQLSTATE
-- missing mandatory tag 58 (country)
SELECT qr_check('00020101021126140010com.pay.me5204411153031565904SHOP6007BEIJING6304B2BD');
-- scanner artefact: a newline after the CRC
SELECT qr_check(E'00020101021126140010com.pay.me5204411153031565802CN5904SHOP6007BEIJING6304F320\n');
-- a value longer than the spec allows
SELECT qr_check('00020101021126140010com.pay.me5204411153031565802CN5926ABCDEFGHIJKLMNOPQRSTUVWXYZ6007BEIJING63040FC0');
-- the valid code those variants come from
SELECT qr_check('00020101021126140010com.pay.me5204411153031565802CN5904SHOP6007BEIJING6304F320') IS NULL AS valid;

-- bad arguments to accessors
SELECT qr_get('00020101021126140010com.pay.me5204411153031565802CN5904SHOP6007BEIJING6304F320', '5');
\echo :LAST_ERROR_SQLSTATE
SELECT qr_get('00020101021126140010com.pay.me5204411153031565802CN5904SHOP6007BEIJING6304F320', '62.05.01.02.03');
\echo :LAST_ERROR_SQLSTATE
SELECT qr_get('00020101021126140010com.pay.me5204411153031565802CN5904SHOP6007BEIJING6304F320', 'iban number');
\echo :LAST_ERROR_SQLSTATE

-- every accessor rejects a bad literal the same way
SELECT qr_merchant_name('x');
\echo :LAST_ERROR_SQLSTATE
SELECT qr_amount('000201');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM qr_tags('00020101021126140010com.pay.me');
\echo :LAST_ERROR_SQLSTATE
SELECT qr_to_jsonb('6304ABCD');
\echo :LAST_ERROR_SQLSTATE

-- binary input validates like text input
CREATE TEMP TABLE bin (code payment_qr);
INSERT INTO bin VALUES ('00020101021126140010com.pay.me5204411153031565802CN5904SHOP6007BEIJING6304F320');
\copy bin TO 'results/bin.copy' WITH (FORMAT binary)
\copy bin FROM 'results/bin.copy' WITH (FORMAT binary)
SELECT count(*), count(DISTINCT code) FROM bin;
-- a binary value is the version byte and the UTF-8 payload: a bad payload ...
\copy (SELECT '\x01'::bytea || convert_to('00020101021126140010com.pay.me5204411153031565802CN5904SHOP6007BEIJING6304F321', 'UTF8')) TO 'results/bad.copy' WITH (FORMAT binary)
\copy bin FROM 'results/bad.copy' WITH (FORMAT binary)
-- ... and an unknown version are refused
\copy (SELECT '\x02'::bytea || convert_to('00020101021126140010com.pay.me5204411153031565802CN5904SHOP6007BEIJING6304F320', 'UTF8')) TO 'results/bad.copy' WITH (FORMAT binary)
\copy bin FROM 'results/bad.copy' WITH (FORMAT binary)
SELECT count(*) FROM bin;

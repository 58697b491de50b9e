--
-- The formats beyond EMVCo MPM: one representative of each, its fields,
-- the cross-format accessors, jsonb, and the errors a clerk sees
--
\set VERBOSITY default

-- one code of each format, from the vectors
CREATE TABLE format_samples AS
SELECT DISTINCT ON (qr_format(code)) qr_format(code) AS format, id, code
FROM loaded
WHERE id IN ('cpm-emvco-example2', 'cn-authcode-wechat-doc', 'cn-wechat-native-bizpayurl',
             'in-upi-codeglyphx', 'epc-derhuerst-full', 'ch-qrbill-sample2', 'cz-spayd-full',
             'de-bezahlcode-sepa-gini', 'pix-mvallim-brcode1')
ORDER BY qr_format(code), id;

SELECT format, id, qr_merchant_name(code) AS name, qr_merchant_city(code) AS city,
       qr_country(code) AS country, qr_currency(code) AS cur, qr_amount(code) AS amount,
       qr_reference(code) AS reference, qr_account(code) AS account, qr_mcc(code) AS mcc,
       qr_is_dynamic(code) AS dynamic
FROM format_samples ORDER BY format;

-- every field of each, in payload order
SELECT s.format, t.path, t.name, t.value
FROM format_samples s, qr_tags(s.code) WITH ORDINALITY AS t(path, name, value, ord)
WHERE s.format <> 'emv_mpm'
ORDER BY s.format, t.ord;

SELECT format, qr_to_jsonb(code) FROM format_samples WHERE format <> 'emv_mpm' ORDER BY format;

-- qr_account across the national EMVCo profiles
SELECT id, qr_account(code) AS account
FROM loaded
WHERE id IN ('pix-utils-static_test_emv', 'th-promptpay-tax-id-number', 'th-billpay-thaiqr',
             'sg-paynow-odoo', 'hk-fps-bcd1', 'vn-vietqr-odoo', 'kh-khqr-merchant',
             'id-qris-bsi-static', 'ph-qrph-p2p-paymaya', 'emv-unionpay-tag15-LA',
             'pix-utils-dynamic_test_emv', 'cn-alipay-qr-uppercase', 'cpm-emvco-example1',
             'cn-authcode-alipay-blog')
ORDER BY id;

-- a Pix "***" reference asks the app to prompt: no reference yet; the
-- raw value stays readable by path
SELECT qr_reference(code), qr_get(code, '62.05') FROM loaded WHERE id = 'pix-utils-dynamic_test_emv';

-- paths of another format are NULL, never an error, so one query spans a
-- column of mixed formats
SELECT format, qr_get(code, 'iban') AS iban, qr_get(code, '59') AS tag59, qr_get(code, 'query.pr') AS pr
FROM format_samples ORDER BY format;

-- URL codes: scheme and host are matched in any case, kept as written
SELECT qr_get(c, 'scheme') AS scheme, qr_get(c, 'host') AS host, qr_get(c, 'path') AS path, c::text
FROM (VALUES ('HTTPS://QR.ALIPAY.COM/FKX09613RWE3ROTNTVR362'::payment_qr),
             ('https://qr.95516.com/00010000/62028489073949969691921655610979'),
             ('https://pay.example.com:8443/m/123?order=A-1&amt=10%2E5')) v(c);
SELECT qr_get('https://pay.example.com/m?order=A%2D1&note=caf%C3%A9', 'query.note') AS decoded,
       qr_get('https://pay.example.com/m?order=A%2D1&note=caf%C3%A9', 'query') AS raw;

-- China consumer codes by prefix and length (an unassigned prefix is kept,
-- and reported)
SELECT c, qr_format(c::payment_qr), qr_is_dynamic(c::payment_qr) FROM (VALUES
    ('134567890123456789'), ('2876344382566439'), ('6212345678901234567'), ('9912345678901234')) v(c);
SELECT * FROM qr_conformance('9912345678901234');
SELECT * FROM qr_conformance(E'BCD\n001\n2\nSCT\nBFSWDE33BER\nWikimedia\nDE33100205000001194700');
SELECT * FROM qr_conformance('upi://pay?pa=shop@okaxis&pn=Corner Shop');

-- errors: 22P02 naming the element or parameter and the offset
SELECT 'https://qr.alipay.com@evil.example/fkx1'::payment_qr;
\echo :LAST_ERROR_SQLSTATE
SELECT 'https://qr.95516.com/qrcGtwWeb-web/api/userAuth?version=1.0.0'::payment_qr;
SELECT 'upi://pay?pa=shop&pn=Corner'::payment_qr;
SELECT 'upi://pay?pa=shop@okaxis&pn=A&pa=x@y'::payment_qr;
\echo :LAST_ERROR_SQLSTATE
SELECT E'BCD\n002\n1\nSCT\n\nRed Cross\nBE72000000001617'::payment_qr;
SELECT E'SPC\n0200\n1\nCH4431999123000889012\nS\nRobert Schneider AG\nRue du Lac\n1268\n2501\nBiel\nCH\n\n\n\n\n\n\n\n1.00\nCHF\n\n\n\n\n\n\n\nNON\n\n\nEPD'::payment_qr;
SELECT 'SPD*1.0*ACC:CZ5855000000001265098001*XX:1'::payment_qr;
SELECT 'hQVDUFYwMWEFTwOgAAA='::payment_qr;
SELECT 'bank://singlepaymentsepa?name=Shop&iban=DE89370400440532013000&amount=10.50'::payment_qr;
SELECT '12006109882800940'::payment_qr;
SELECT qr_check(repeat('9', 40));

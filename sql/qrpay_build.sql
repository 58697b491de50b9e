--
-- Making and printing codes: qr_emv, qr_with_amount, qr_with_reference,
-- qr_emv_merge, qr_svg, qr_png, qr_text
--
\set VERBOSITY default

-- qr_emv builds what qr_to_jsonb describes: for every valid EMVCo vector
-- the jsonb comes back the same, CRC aside; and byte for byte where the
-- vector keeps its ids in ascending order (jsonb keeps no other order)
SELECT count(*) AS emv_vectors,
       count(*) FILTER (WHERE qr_to_jsonb(qr_emv(qr_to_jsonb(code))) - '63' = qr_to_jsonb(code) - '63') AS same_jsonb,
       count(*) FILTER (WHERE qr_emv(qr_to_jsonb(code)) = code) AS same_payload,
       count(*) FILTER (WHERE qr_to_jsonb(qr_emv(qr_to_jsonb(code))) = qr_to_jsonb(code)) AS same_jsonb_with_crc
FROM loaded WHERE qr_format(code) = 'emv_mpm';
SELECT qr_emv('{"00": "01", "26": {"00": "com.pay.me"}, "52": "4111", "53": "156", "58": "CN", "59": "SHOP", "60": "BEIJING", "64": {"00": "ZH", "01": "小店"}}');

-- a static code becomes one order's dynamic code, in every format that can
SELECT format, qr_with_amount(code, 12.50) AS with_amount, qr_amount(qr_with_amount(code, 12.50)) AS amount,
       qr_is_dynamic(qr_with_amount(code, 12.50)) AS dynamic
FROM format_samples WHERE format IN ('emv_mpm', 'upi', 'epc', 'swiss_qr', 'spayd', 'bezahlcode') ORDER BY 1;
-- (Swiss: the message, since QRR and SCOR references carry check digits;
-- SPAYD: the variable symbol for up to 10 digits, else the message)
SELECT format, qr_get(r, p) AS set_field, p AS path, qr_reference(r) AS qr_reference
FROM format_samples,
     LATERAL (SELECT qr_with_reference(code, 'ORDER-42') AS r) x,
     LATERAL (SELECT CASE format WHEN 'emv_mpm' THEN '62.05' WHEN 'upi' THEN 'tr' WHEN 'epc' THEN 'remittance'
                                 WHEN 'swiss_qr' THEN 'message' WHEN 'spayd' THEN 'MSG' ELSE 'reason' END AS p) y
WHERE format IN ('emv_mpm', 'upi', 'epc', 'swiss_qr', 'spayd', 'bezahlcode') ORDER BY 1;
SELECT qr_get(qr_with_reference(code, '20250042'), 'X-VS') FROM format_samples WHERE format = 'spayd';
-- on an EMVCo code: tag 54 after 53, 01 = 12, a new CRC, the rest untouched
SELECT qr_with_amount('00020101021126140010com.pay.me5204411153031565802CN5904SHOP6007BEIJING6304F320', 99.9);
SELECT qr_with_reference(qr_with_amount('00020101021126140010com.pay.me5204411153031565802CN5904SHOP6007BEIJING6304F320', 99.9), 'INV/2025/0042');
-- a code that already has an amount gets the new one in its place
SELECT qr_amount(qr_with_amount(code, 1)), qr_get(qr_with_amount(code, 1), '62.05')
FROM loaded WHERE id = 'hk-fps-odoo';

-- the universal code: one code, every network's merchant account
SELECT qr_emv_merge(ARRAY[
    '00020101021126140010com.pay.me5204411153031565802CN5904SHOP6007BEIJING6304F320',
    qr_emv('{"00": "01", "15": "2500034400010344500034453110001", "26": {"00": "COM.QQ.WEIXIN.PAY", "01": "123"}, "52": "4111", "53": "156", "58": "CN", "59": "SHOP", "60": "BEIJING"}')
]::payment_qr[]) AS universal \gset
SELECT :'universal', qr_networks(:'universal');
SELECT * FROM qr_routes(:'universal', '2024-07-01 12:00+08') WHERE payer IN ('alipay', 'ccb', 'cmpay') ORDER BY 1;

-- symbols: PNG signature and size, SVG shape, terminal text
SELECT substr(qr_png(code), 1, 8) = '\x89504e470d0a1a0a'::bytea AS png,
       get_byte(qr_png(code, 2, 4), 19) AS png_width_low_byte,
       qr_svg(code) LIKE '<svg xmlns="http://www.w3.org/2000/svg" width="%' AS svg,
       array_length(string_to_array(rtrim(qr_text(code), E'\n'), E'\n'), 1) AS text_lines
FROM loaded WHERE id = 'cn-alipay-qr';
SELECT qr_svg('wxp://f2f0abc', 1, 0, 'L');

-- errors
SELECT qr_emv('{"00": "01", "26": {"00": "com.pay.me"}, "52": "41111", "53": "156", "58": "CN", "59": "SHOP", "60": "BEIJING"}');
\echo :LAST_ERROR_SQLSTATE
SELECT qr_emv('{"00": "01", "5": "x"}');
SELECT qr_emv('{"00": "01", "59": 5}');
SELECT qr_emv('{"00": "01", "59": ""}');
SELECT qr_emv('{"format": "upi", "pa": "x@y"}');
SELECT qr_emv('[]');
SELECT qr_with_amount('120061098828009406', 1);
\echo :LAST_ERROR_SQLSTATE
SELECT qr_with_amount('wxp://f2f0abc', 1);
SELECT qr_with_amount(code, 0) FROM loaded WHERE id = 'in-upi-codeglyphx';
SELECT qr_with_amount(code, -5) FROM loaded WHERE id = 'in-upi-codeglyphx';
SELECT qr_with_amount(code, 1.005) FROM loaded WHERE id = 'epc-derhuerst-full';
SELECT qr_with_amount(code, 12345678901234) FROM loaded WHERE id = 'emv-spec-annexB';
SELECT qr_with_reference(code, '') FROM loaded WHERE id = 'in-upi-codeglyphx';
SELECT qr_with_reference(code, 'A REFERENCE LONGER THAN TWENTY-FIVE') FROM loaded WHERE id = 'emv-spec-annexB';
SELECT qr_emv_merge(ARRAY['wxp://f2f0abc']::payment_qr[]);
SELECT qr_png('wxp://f2f0abc', 0);
\echo :LAST_ERROR_SQLSTATE
SELECT qr_svg('wxp://f2f0abc', 4, 41);
SELECT qr_png('wxp://f2f0abc', 4, 4, 'X');
SELECT qr_png(('https://shop.example/' || repeat('a', 1500))::payment_qr, 1, 4, 'H');
\echo :LAST_ERROR_SQLSTATE

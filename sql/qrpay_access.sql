--
-- Accessors, qr_tags, qr_to_jsonb and qr_conformance on real codes
-- (the vectors table comes from qrpay_vectors)
--
SELECT id,
       qr_format(code) AS format,
       qr_merchant_name(code) AS name,
       qr_merchant_city(code) AS city,
       qr_mcc(code) AS mcc,
       qr_country(code) AS country,
       qr_currency(code) AS currency,
       qr_amount(code) AS amount,
       qr_is_dynamic(code) AS dynamic,
       qr_reference(code) AS reference
FROM loaded
WHERE id IN ('emv-spec-annexB', 'pix-utils-dynamic_test_emv', 'th-promptpay-tax-id-number',
             'vn-vietqr-odoo', 'kh-khqr-acleda_with_language', 'hk-fps-odoo-decimal',
             'id-qris-gopay-dynamic-20k', 'sg-paynow-odoo')
ORDER BY id;

-- qr_get: any path, nested templates, absent fields
SELECT qr_get(code, '26.00') AS pix_guid, qr_get(code, '26.01') AS pix_key,
       qr_get(code, '62.05') AS txid, qr_get(code, '61') AS absent,
       qr_get(code, '59.01') AS child_of_primitive
FROM loaded WHERE id = 'pix-utils-dynamic_test_emv';
SELECT qr_get(code, '64.00') AS lang, qr_get(code, '64.01') AS local_name,
       qr_get(code, '99.00') AS created
FROM loaded WHERE id = 'kh-khqr-acleda_with_language';

-- a currency number outside ISO 4217 comes back as the number
SELECT qr_currency('00020101021126140010com.pay.me5204411153030015802CN5904SHOP6007BEIJING630403F4');

-- every data object as rows, with the spec's names
SELECT * FROM qr_tags((SELECT code FROM loaded WHERE id = 'pix-utils-dynamic_test_emv'));
-- an opaque token in 62/50 (GoPay) is shown as a value, not parsed
SELECT * FROM qr_tags((SELECT code FROM loaded WHERE id = 'id-qris-gopay-dynamic-20k'))
WHERE path LIKE '62%';
-- a template nested inside 62 (PayMaya bills payment)
SELECT * FROM qr_tags((SELECT code FROM loaded WHERE id = 'ph-paymaya-billspay'))
WHERE path LIKE '62%';

-- jsonb: tag ids as keys, templates as nested objects
SELECT jsonb_pretty(qr_to_jsonb(code)) FROM loaded WHERE id = 'pix-utils-dynamic_test_emv';
SELECT qr_to_jsonb(code) -> '64' ->> '01' AS khmer_name FROM loaded WHERE id = 'kh-khqr-acleda_with_language';
-- every field qr_tags lists is in the jsonb at the same path (a CPM
-- code's repeated application templates 61 are a jsonb array: their
-- fields are looked up in the element of the same rank)
SELECT count(*) AS fields,
       count(*) FILTER (WHERE NOT coalesce(
           CASE WHEN jsonb_typeof(j #> p) = 'object' THEN true ELSE j #>> p = t.value END, false))
       AS mismatches
FROM loaded l,
     LATERAL (SELECT qr_to_jsonb(l.code) AS j) x,
     LATERAL (SELECT t.*, count(*) FILTER (WHERE t.path = '61') OVER (ORDER BY t.ord) AS rank61
              FROM qr_tags(l.code) WITH ORDINALITY AS t(path, name, value, ord)) t,
     LATERAL (SELECT CASE WHEN jsonb_typeof(j -> split_part(t.path, '.', 1)) = 'array'
                          THEN array_cat(ARRAY[split_part(t.path, '.', 1), (t.rank61 - 1)::text],
                                         (string_to_array(t.path, '.'))[2:])
                          ELSE string_to_array(t.path, '.') END AS p) y
WHERE t.path <> '61' OR jsonb_typeof(j -> '61') <> 'array';

-- one jsonb array element per CPM application template
SELECT l.id, jsonb_array_length(qr_to_jsonb(l.code) -> '61') AS templates,
       (SELECT count(*) FROM qr_tags(l.code) t WHERE t.path = '61') AS tags
FROM loaded l WHERE qr_format(l.code) = 'emv_cpm' ORDER BY 1;

-- conformance: strict EMVCo deviations of accepted codes ...
SELECT * FROM qr_conformance((SELECT payload FROM vectors WHERE id = 'th-promptpay-tax-id-number'));
SELECT * FROM qr_conformance((SELECT payload FROM vectors WHERE id = 'sg-sgqr-spec-sample'));
SELECT * FROM qr_conformance((SELECT payload FROM vectors WHERE id = 'id-qris-gopay-dynamic-20k'));
SELECT * FROM qr_conformance((SELECT payload FROM vectors WHERE id = 'th-billpay-thaiqr'));
-- a non-ASCII merchant name is accepted and reported
SELECT * FROM qr_conformance('00020101021126140010com.pay.me5204411153031565802VN5905Phở 16005HANOI63045298');
-- ... no rows for a strictly conforming code ...
SELECT count(*) FROM qr_conformance((SELECT payload FROM vectors WHERE id = 'emv-spec-annexB'));
-- ... and the error of a rejected one
SELECT * FROM qr_conformance((SELECT payload FROM vectors WHERE id = 'pix-utils-wrongcrc'));

-- how the vectors conform, by severity
SELECT c.severity, count(DISTINCT v.id) AS codes
FROM vectors v, qr_conformance(v.payload) c
WHERE v.format LIKE 'emvco_mpm%'
GROUP BY 1 ORDER BY 1;

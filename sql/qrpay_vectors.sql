--
-- Every row of test/data/vectors.tsv (payloads from public specifications
-- and libraries).  The file uses COPY's text escapes, so it loads as is.
--
CREATE TABLE vectors (
    id text, format text, networks text, valid text,
    payload text, expected_fields text, source text
);
\copy vectors FROM 'test/data/vectors.tsv' WITH (FORMAT text, HEADER true)

-- the vectors' format names and qr_format()'s
CREATE FUNCTION pg_temp.qr_format_of(vector_format text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN vector_format LIKE 'emvco_mpm%' THEN 'emv_mpm'
        WHEN vector_format = 'emvco_cpm' THEN 'emv_cpm'
        WHEN vector_format = 'url/upi' THEN 'upi'
        WHEN vector_format LIKE 'url/%' THEN 'url'
        WHEN vector_format = 'epc069' THEN 'epc'
        WHEN vector_format = 'swiss_qr_bill' THEN 'swiss_qr'
        ELSE vector_format
    END
$$;

SELECT pg_temp.qr_format_of(format) AS format, count(*) AS rows,
       count(*) FILTER (WHERE valid = '1') AS valid
FROM vectors GROUP BY 1 ORDER BY 1;

-- every row: the verdict matches the vector (no rows = all match)
SELECT id, valid, qr_is_valid(payload) AS accepted, qr_check(payload) AS error
FROM vectors
WHERE qr_is_valid(payload) <> (valid = '1')
ORDER BY id;

-- valid rows round-trip byte for byte and are detected as their format
SELECT id, qr_format(payload::payment_qr) FROM vectors
WHERE valid = '1'
  AND (payload::payment_qr::text IS DISTINCT FROM payload
       OR qr_format(payload::payment_qr) <> pg_temp.qr_format_of(format));

-- ... and their expected fields match the accessors (no rows = all match)
SELECT v.id, f.key, f.expected, f.actual
FROM vectors v,
     LATERAL (SELECT v.payload::payment_qr AS q, v.expected_fields::jsonb AS e) x,
     LATERAL (VALUES
        ('merchant_name', e->>'merchant_name', qr_merchant_name(q)),
        ('city', e->>'city', qr_merchant_city(q)),
        ('mcc', e->>'mcc', qr_mcc(q)),
        ('currency', e->>'currency', qr_get(q, '53')),
        ('amount', e->>'amount', qr_get(q, '54')),
        ('amount_numeric', (e->>'amount')::numeric::text, qr_amount(q)::text),
        ('country', e->>'country', qr_country(q)),
        ('point_of_initiation', e->>'point_of_initiation', qr_get(q, '01')),
        ('dynamic', (e->>'point_of_initiation' = '12')::text, qr_is_dynamic(q)::text),
        ('crc', e->>'crc', qr_get(q, '63')),
        ('format', 'emv_mpm', qr_format(q))
     ) AS f(key, expected, actual)
WHERE v.format LIKE 'emvco_mpm%' AND v.valid = '1'
  AND f.expected IS DISTINCT FROM f.actual
ORDER BY 1, 2;

-- the fields that were compared, so a silently empty comparison shows
SELECT count(*) FILTER (WHERE expected_fields::jsonb ? 'merchant_name') AS with_name,
       count(*) FILTER (WHERE expected_fields::jsonb ? 'amount') AS with_amount,
       count(*) FILTER (WHERE expected_fields::jsonb ? 'point_of_initiation') AS with_poi
FROM vectors WHERE format LIKE 'emvco_mpm%' AND valid = '1';

-- the GUIDs of merchant account templates, in payload order
SELECT v.id
FROM vectors v
WHERE v.format LIKE 'emvco_mpm%' AND v.valid = '1'
  AND (SELECT coalesce(jsonb_agg(t.value ORDER BY ord), '[]')
       FROM qr_tags(v.payload::payment_qr) WITH ORDINALITY AS t(path, name, value, ord)
       WHERE t.path ~ '^(2[6-9]|[34][0-9]|5[01]|[89][0-9])\.00$')
      IS DISTINCT FROM coalesce(v.expected_fields::jsonb -> 'guids', '[]');

-- the other formats' expected fields, by path (no rows = all match);
-- keys that are notes ("note", "error") or descriptions are not fields
SELECT v.id, m.key, v.expected_fields::jsonb ->> m.key AS expected,
       qr_get(v.payload::payment_qr, m.path) AS actual
FROM vectors v
JOIN (VALUES
    ('emv_cpm', 'pfi', '85'), ('emv_cpm', 'adf_name', '61.4F'), ('emv_cpm', 'track2', '61.57'),
    ('emv_cpm', 'pan', '62.5A'), ('emv_cpm', 'cardholder', '62.5F20'), ('emv_cpm', 'lang', '62.5F2D'),
    ('url', 'scheme', 'scheme'), ('url', 'host', 'host'), ('url', 'path', 'path'), ('url', 'pr', 'query.pr'),
    ('upi', 'pa', 'pa'), ('upi', 'pn', 'pn'), ('upi', 'cu', 'cu'), ('upi', 'mc', 'mc'), ('upi', 'am', 'am'),
    ('epc', 'version', 'version'), ('epc', 'bic', 'bic'), ('epc', 'name', 'name'), ('epc', 'iban', 'iban'),
    ('epc', 'amount', 'amount'), ('epc', 'purpose', 'purpose'), ('epc', 'structured_ref', 'reference'),
    ('epc', 'info', 'info'),
    ('swiss_qr', 'qr_type', 'qr_type'), ('swiss_qr', 'version', 'version'), ('swiss_qr', 'coding', 'coding'),
    ('swiss_qr', 'iban', 'iban'), ('swiss_qr', 'amount', 'amount'), ('swiss_qr', 'currency', 'currency'),
    ('swiss_qr', 'ref_type', 'reference_type'), ('swiss_qr', 'ref', 'reference'),
    ('spayd', 'acc', 'ACC'), ('spayd', 'am', 'AM'), ('spayd', 'cc', 'CC'), ('spayd', 'x-vs', 'X-VS'),
    ('spayd', 'dt', 'DT'), ('spayd', 'msg', 'MSG'),
    ('bezahlcode', 'amount', 'amount'), ('bezahlcode', 'iban', 'iban')
) AS m(format, key, path) ON m.format = pg_temp.qr_format_of(v.format)
WHERE v.valid = '1' AND v.expected_fields::jsonb ? m.key
  AND jsonb_typeof(v.expected_fields::jsonb -> m.key) = 'string'
  AND nullif(v.expected_fields::jsonb ->> m.key, '') IS DISTINCT FROM qr_get(v.payload::payment_qr, m.path);

-- derived expectations: the Alipay code is the URL's account, the
-- UnionPay institution code opens the path, a prefix opens the code
SELECT id FROM vectors v, LATERAL (SELECT payload::payment_qr AS q, expected_fields::jsonb AS e) x
WHERE valid = '1' AND (
       (e ? 'code' AND qr_account(q) IS DISTINCT FROM e->>'code')
    OR (e ? 'acq_code' AND split_part(qr_get(q, 'path'), '/', 1) IS DISTINCT FROM e->>'acq_code')
    OR (e ? 'prefix' AND NOT starts_with(coalesce(qr_get(q, 'code'), qr_get(q, 'path')), e->>'prefix'))
    OR (e ? 'length' AND length(qr_get(q, 'code')) IS DISTINCT FROM (e->>'length')::int)
    OR (e ? 'charset' AND qr_get(q, 'charset') IS DISTINCT FROM left(e->>'charset', 1)));

-- how many expected fields of the other formats were compared
SELECT pg_temp.qr_format_of(format) AS format, sum((SELECT count(*) FROM jsonb_object_keys(expected_fields::jsonb))) AS keys
FROM vectors WHERE valid = '1' AND format NOT LIKE 'emvco_mpm%' GROUP BY 1 ORDER BY 1;

-- networks: every provider the vector names is found, and qr_provider is
-- the first of qr_networks (no rows = all found)
SELECT id, networks, qr_networks(payload::payment_qr)
FROM vectors
WHERE valid = '1'
  AND (NOT string_to_array(nullif(networks, ''), ' ') <@ qr_networks(payload::payment_qr)
       OR qr_provider(payload::payment_qr) IS DISTINCT FROM (qr_networks(payload::payment_qr))[1]);
SELECT count(*) AS rows_with_networks, sum(cardinality(string_to_array(networks, ' '))) AS networks_checked
FROM vectors WHERE valid = '1' AND networks <> '';

-- every invalid row raises 22P02 on input, with the message qr_check gives
DO $$
DECLARE
    r record;
    n int := 0;
BEGIN
    FOR r IN SELECT * FROM vectors WHERE valid = '0' ORDER BY id LOOP
        BEGIN
            PERFORM r.payload::payment_qr;
            RAISE WARNING 'accepted invalid vector %', r.id;
        EXCEPTION WHEN invalid_text_representation THEN
            IF SQLERRM IS DISTINCT FROM qr_check(r.payload) THEN
                RAISE WARNING '% message differs: % / %', r.id, SQLERRM, qr_check(r.payload);
            END IF;
            n := n + 1;
        END;
    END LOOP;
    RAISE NOTICE '% invalid vectors rejected with SQLSTATE 22P02', n;
END $$;

-- the messages a clerk sees, one per invalid vector
SELECT id, qr_check(payload) FROM vectors
WHERE valid = '0' ORDER BY id;

-- a bulk load that quarantines bad rows instead of aborting: nothing lost
CREATE TABLE loaded (id text PRIMARY KEY, code payment_qr);
CREATE TABLE quarantine (id text PRIMARY KEY, payload text, error text);
INSERT INTO loaded SELECT id, payload::payment_qr FROM vectors WHERE qr_is_valid(payload);
INSERT INTO quarantine SELECT id, payload, qr_check(payload) FROM vectors WHERE NOT qr_is_valid(payload);
SELECT (SELECT count(*) FROM loaded) + (SELECT count(*) FROM quarantine) = (SELECT count(*) FROM vectors)
       AS nothing_lost;

--
-- Every row of test/data/vectors.tsv (payloads from public specifications
-- and libraries).  The file uses COPY's text escapes, so it loads as is.
--
CREATE TABLE vectors (
    id text, format text, networks text, valid text,
    payload text, expected_fields text, source text
);
\copy vectors FROM 'test/data/vectors.tsv' WITH (FORMAT text, HEADER true)

SELECT count(*) AS rows,
       count(*) FILTER (WHERE format LIKE 'emvco_mpm%') AS emv_mpm,
       count(*) FILTER (WHERE format LIKE 'emvco_mpm%' AND valid = '1') AS emv_mpm_valid
FROM vectors;

-- EMVCo merchant-presented rows: the verdict matches the vector
SELECT id, valid, qr_is_valid(payload) AS accepted, qr_check(payload) AS error
FROM vectors
WHERE format LIKE 'emvco_mpm%' AND qr_is_valid(payload) <> (valid = '1')
ORDER BY id;

-- valid rows round-trip byte for byte
SELECT id FROM vectors
WHERE format LIKE 'emvco_mpm%' AND valid = '1'
  AND payload::payment_qr::text IS DISTINCT FROM payload;

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

-- every invalid row raises 22P02 on input, with the message qr_check gives
DO $$
DECLARE
    r record;
    n int := 0;
BEGIN
    FOR r IN SELECT * FROM vectors WHERE format LIKE 'emvco_mpm%' AND valid = '0' ORDER BY id LOOP
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
    RAISE NOTICE '% invalid EMVCo vectors rejected with SQLSTATE 22P02', n;
END $$;

-- the messages a clerk sees, one per invalid vector
SELECT id, qr_check(payload) FROM vectors
WHERE format LIKE 'emvco_mpm%' AND valid = '0' ORDER BY id;

-- formats qrpay does not read yet are rejected, never stored as EMVCo
SELECT format, count(*) AS rows, count(*) FILTER (WHERE qr_is_valid(payload)) AS accepted
FROM vectors WHERE format NOT LIKE 'emvco_mpm%' GROUP BY format ORDER BY format;

-- a bulk load that quarantines bad rows instead of aborting: nothing lost
CREATE TABLE loaded (id text PRIMARY KEY, code payment_qr);
CREATE TABLE quarantine (id text PRIMARY KEY, payload text, error text);
INSERT INTO loaded SELECT id, payload::payment_qr FROM vectors WHERE qr_is_valid(payload);
INSERT INTO quarantine SELECT id, payload, qr_check(payload) FROM vectors WHERE NOT qr_is_valid(payload);
SELECT (SELECT count(*) FROM loaded) + (SELECT count(*) FROM quarantine) = (SELECT count(*) FROM vectors)
       AS nothing_lost;

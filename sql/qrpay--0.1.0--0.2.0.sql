/* qrpay 0.1.0 -> 0.2.0: every payment format, provider identification */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION qrpay UPDATE TO '0.2.0'" to load this file. \quit

COMMENT ON TYPE payment_qr IS
    'A payment QR payload, validated on input and stored losslessly (output is the exact input): EMVCo merchant- and consumer-presented, China consumer codes and merchant URL codes, UPI, EPC, Swiss QR-bill, SPAYD, BezahlCode';

COMMENT ON FUNCTION qr_get(payment_qr, text) IS
    'Value at a path, for every format: EMVCo "59", "26.00", "62.50.00"; CPM hex tags "61.4F"; named fields "iban", "creditor.name", "query.pr", "pa"; NULL when absent';
COMMENT ON FUNCTION qr_merchant_name(payment_qr) IS
    'Merchant or payee name: EMVCo tag 59, EPC/BezahlCode name, Swiss creditor name, UPI pn, SPAYD RN';
COMMENT ON FUNCTION qr_merchant_city(payment_qr) IS
    'Merchant city: EMVCo tag 60, Swiss creditor town';
COMMENT ON FUNCTION qr_country(payment_qr) IS
    'ISO 3166-1 alpha-2 country: EMVCo tag 58, Swiss creditor country, the IBAN country of EPC/SPAYD/BezahlCode, IN for UPI';
COMMENT ON FUNCTION qr_currency(payment_qr) IS
    'ISO 4217 alphabetic currency: EMVCo tag 53 (the number if the code is unknown), EUR for EPC, Swiss/SPAYD/BezahlCode currency, UPI cu (INR when absent)';
COMMENT ON FUNCTION qr_amount(payment_qr) IS
    'Transaction amount as numeric: EMVCo tag 54, EPC/Swiss amount, UPI am, SPAYD AM, BezahlCode amount; NULL when the payer enters it';
COMMENT ON FUNCTION qr_reference(payment_qr) IS
    'Payment reference for reconciliation: EMVCo 62.05, EPC structured reference or remittance text, Swiss reference or message, UPI tr, SPAYD X-VS or RF, BezahlCode separeference or reason';
COMMENT ON FUNCTION qr_is_dynamic(payment_qr) IS
    'EMVCo point of initiation 12 (dynamic) vs 11 (static); true for one-time consumer codes (CPM, China payment codes); NULL when the code does not say';
COMMENT ON FUNCTION qr_tags(payment_qr) IS
    'Every field as (path, name, value) in payload order, containers before their parts, for every format';
COMMENT ON FUNCTION qr_to_jsonb(payment_qr) IS
    'The code as jsonb: {"format": ..., <field>: <value>, <container>: {...}}, keys as qr_get paths, for every format';

CREATE FUNCTION qr_account(code payment_qr) RETURNS text
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION qr_account(payment_qr) IS
    'The payee account: Pix key, PromptPay id, PayNow proxy, FPS id, VietQR account, Bakong id, merchant PAN or the first network''s account of an EMVCo code; IBAN of EPC/Swiss/SPAYD; UPI VPA; the code of a URL; NULL for payer-presented codes';

CREATE FUNCTION qr_identifiers(code payment_qr, OUT kind text, OUT value text, OUT country text)
RETURNS SETOF record
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 4;
COMMENT ON FUNCTION qr_identifiers(payment_qr) IS
    'What provider patterns are matched against, in payload order: (kind, value, country) with kind format, emv_tag, emv_guid, cpm_aid, url, payment_code or bic';

-- ---------------------------------------------------------------------
-- Provider catalog
-- ---------------------------------------------------------------------

CREATE TABLE qr_providers (
    code text PRIMARY KEY CONSTRAINT qr_providers_code_syntax CHECK (code ~ '^[a-z0-9_]+$'),
    name text NOT NULL CONSTRAINT qr_providers_name_not_empty CHECK (name <> ''),
    kind text NOT NULL CHECK (kind IN ('bank', 'bank_transfer', 'card_network', 'cbdc', 'clearing', 'instant_payment', 'other', 'telco_wallet', 'unified_code', 'wallet')),
    country text CONSTRAINT qr_providers_country_alpha2 CHECK (country ~ '^[A-Z]{2}$'),
    recognised_by text,
    shipped boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE qr_providers IS
    'Payment providers (wallets, card networks, instant-payment schemes, banks, clearing houses): the codes qr_networks and qr_provider return. Add your own rows; rows with shipped = true come with the extension';
COMMENT ON COLUMN qr_providers.code IS 'Provider code used across the SQL API: lower-case letters, digits, _';
COMMENT ON COLUMN qr_providers.name IS 'Display name';
COMMENT ON COLUMN qr_providers.kind IS 'wallet, card_network, cbdc, telco_wallet, bank, clearing, instant_payment, unified_code, bank_transfer or other';
COMMENT ON COLUMN qr_providers.country IS 'ISO 3166-1 alpha-2 home country, NULL for international networks';
COMMENT ON COLUMN qr_providers.recognised_by IS 'How the provider''s codes are recognised, in words (qr_provider_patterns holds the rules)';
COMMENT ON COLUMN qr_providers.shipped IS 'true for rows installed by the extension: read-only, not dumped (they come back with the extension)';

CREATE TABLE qr_provider_patterns (
    provider text NOT NULL REFERENCES qr_providers (code) ON UPDATE CASCADE ON DELETE CASCADE,
    kind text NOT NULL CONSTRAINT qr_provider_patterns_kind_known CHECK (kind IN ('format', 'emv_tag', 'emv_guid', 'cpm_aid', 'url', 'payment_code', 'bic')),
    pattern text NOT NULL,
    country text CONSTRAINT qr_provider_patterns_country_alpha2 CHECK (country ~ '^[A-Z]{2}$'),
    min_length integer CONSTRAINT qr_provider_patterns_min_length_positive CHECK (min_length > 0),
    max_length integer CONSTRAINT qr_provider_patterns_length_bounds
        CHECK (max_length > 0 AND max_length >= coalesce(min_length, 1)),
    note text,
    shipped boolean NOT NULL DEFAULT false,
    PRIMARY KEY (provider, kind, pattern),
    CONSTRAINT qr_provider_patterns_country_for_emv_only CHECK (country IS NULL OR kind IN ('emv_tag', 'emv_guid'))
);
COMMENT ON TABLE qr_provider_patterns IS
    'How codes are recognised: a code belongs to a provider when one of its identifiers (see qr_identifiers) matches a pattern of that kind. Add your own rows; rows with shipped = true come with the extension';
COMMENT ON COLUMN qr_provider_patterns.provider IS 'The provider (qr_providers.code)';
COMMENT ON COLUMN qr_provider_patterns.kind IS 'What the pattern is matched against: format (format name), emv_tag (primitive merchant account id 02-25), emv_guid (sub-00 of templates 26-51, 80-99), cpm_aid (CPM ADF name in hex), url (the whole URL), payment_code (consumer code digits), bic (the payee bank''s BIC: QR Ph, EPC, SPAYD, BezahlCode)';
COMMENT ON COLUMN qr_provider_patterns.pattern IS 'Glob: * any run, ? one character, [a-z] or [!0-9] a class, \ escapes; ASCII letters match either case';
COMMENT ON COLUMN qr_provider_patterns.country IS 'emv_tag and emv_guid only: the code''s tag 58 must be this country';
COMMENT ON COLUMN qr_provider_patterns.min_length IS 'Least identifier length in characters (consumer codes: digits)';
COMMENT ON COLUMN qr_provider_patterns.max_length IS 'Greatest identifier length in characters';
COMMENT ON COLUMN qr_provider_patterns.note IS 'Source of the rule';
COMMENT ON COLUMN qr_provider_patterns.shipped IS 'true for rows installed by the extension: read-only, not dumped (they come back with the extension)';

CREATE FUNCTION qr_catalog_guard() RETURNS trigger
AS 'MODULE_PATHNAME' LANGUAGE C;
COMMENT ON FUNCTION qr_catalog_guard() IS
    'Trigger: keeps shipped catalog rows read-only and checks provider patterns when they are written';

CREATE FUNCTION qr_catalog_invalidate() RETURNS trigger
AS 'MODULE_PATHNAME' LANGUAGE C;
COMMENT ON FUNCTION qr_catalog_invalidate() IS
    'Trigger: tells every session to reload its cached provider catalog when the change commits';

CREATE TRIGGER qr_providers_guard BEFORE INSERT OR UPDATE OR DELETE ON qr_providers
    FOR EACH ROW EXECUTE FUNCTION qr_catalog_guard();
CREATE TRIGGER qr_providers_guard_truncate BEFORE TRUNCATE ON qr_providers
    FOR EACH STATEMENT EXECUTE FUNCTION qr_catalog_guard();
CREATE TRIGGER qr_providers_invalidate AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON qr_providers
    FOR EACH STATEMENT EXECUTE FUNCTION qr_catalog_invalidate();
CREATE TRIGGER qr_provider_patterns_guard BEFORE INSERT OR UPDATE OR DELETE ON qr_provider_patterns
    FOR EACH ROW EXECUTE FUNCTION qr_catalog_guard();
CREATE TRIGGER qr_provider_patterns_guard_truncate BEFORE TRUNCATE ON qr_provider_patterns
    FOR EACH STATEMENT EXECUTE FUNCTION qr_catalog_guard();
CREATE TRIGGER qr_provider_patterns_invalidate AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON qr_provider_patterns
    FOR EACH STATEMENT EXECUTE FUNCTION qr_catalog_invalidate();

-- Providers: providers.tsv (every provider of the interoperability facts,
-- payer-only apps included), plus QRIS issuers seen in real codes.
INSERT INTO qr_providers (code, name, kind, country, recognised_by, shipped) VALUES
    ('alipay', 'Alipay (Ant Group)', 'wallet', 'CN', 'URL host qr.alipay.com (case-insensitive); consumer code 16-24 digits starting 25-30', true),
    ('wechatpay', 'WeChat Pay (Tenpay)', 'wallet', 'CN', 'wxp:// and weixin://wxpay/ URLs; payapp.weixin.qq.com; EMV template GUID COM.QQ.WEIXIN.PAY; consumer code 18 digits starting 10-15', true),
    ('unionpay', 'China UnionPay / Cloud QuickPass', 'card_network', 'CN', 'URL host qr.95516.com; EMV tags 15-16; AID prefix A000000333; consumer code 19 digits starting 62', true),
    ('ecny', 'e-CNY digital yuan (PBoC)', 'cbdc', 'CN', 'consumer code prefix 01 (unverified); payer app only until a code format is documented', true),
    ('cmpay', 'China Mobile Hebao', 'telco_wallet', 'CN', 'payer app', true),
    ('bestpay', 'China Telecom Bestpay', 'telco_wallet', 'CN', 'payer app', true),
    ('wopay', 'China Unicom Pay', 'telco_wallet', 'CN', 'payer app', true),
    ('jdpay', 'JD Pay', 'wallet', 'CN', 'payer app', true),
    ('ccb', 'China Construction Bank', 'bank', 'CN', 'payer app', true),
    ('boc', 'Bank of China', 'bank', 'CN', 'payer app', true),
    ('bocom', 'Bank of Communications', 'bank', 'CN', 'payer app', true),
    ('pingan', 'Ping An Bank', 'bank', 'CN', 'payer app', true),
    ('citic', 'China CITIC Bank', 'bank', 'CN', 'payer app', true),
    ('netsunion', 'NetsUnion Clearing', 'clearing', 'CN', 'clearing network (not a code issuer)', true),
    ('visa', 'Visa', 'card_network', NULL, 'EMV tags 02-03', true),
    ('mastercard', 'Mastercard', 'card_network', NULL, 'EMV tags 04-05', true),
    ('discover', 'Discover', 'card_network', NULL, 'EMV tags 09-10', true),
    ('amex', 'American Express', 'card_network', NULL, 'EMV tags 11-12', true),
    ('jcb', 'JCB', 'card_network', NULL, 'EMV tags 13-14', true),
    ('pix', 'Pix (Banco Central do Brasil)', 'instant_payment', 'BR', 'EMV GUID br.gov.bcb.pix (also legacy br.gov.bcb.spi), case-insensitive', true),
    ('promptpay', 'PromptPay (Thailand)', 'instant_payment', 'TH', 'EMV AIDs A000000677010111 (transfer), A000000677010112 (bill payment), A000000677012006 (cross-border bill payment)', true),
    ('paynow', 'PayNow (Singapore)', 'instant_payment', 'SG', 'EMV GUID SG.PAYNOW', true),
    ('sgqr', 'SGQR (Singapore unified code)', 'unified_code', 'SG', 'EMV GUID SG.SGQR in tag 51', true),
    ('qris', 'QRIS (Indonesia)', 'unified_code', 'ID', 'EMV GUID ID.CO.QRIS.WWW', true),
    ('gopay', 'GoPay', 'wallet', 'ID', 'EMV GUID COM.GO-JEK.WWW', true),
    ('dana', 'DANA', 'wallet', 'ID', 'EMV GUID ID.DANA.WWW', true),
    ('napas', 'VietQR / NAPAS 247', 'instant_payment', 'VN', 'EMV AID A000000727', true),
    ('vnpay', 'VNPAY-QR', 'wallet', 'VN', 'EMV AID A000000775', true),
    ('fps', 'FPS (Hong Kong, HKICL)', 'instant_payment', 'HK', 'EMV GUID hk.com.hkicl', true),
    ('bakong', 'KHQR / Bakong (Cambodia)', 'instant_payment', 'KH', 'EMV tags 29/30 holding a Bakong account id name@bank, country KH', true),
    ('qrph', 'QR Ph (Philippines)', 'unified_code', 'PH', 'EMV GUID com.p2pqrpay', true),
    ('paymaya', 'PayMaya / Maya', 'wallet', 'PH', 'EMV GUID com.paymaya', true),
    ('duitnow', 'DuitNow QR (Malaysia)', 'unified_code', 'MY', 'EMV AID A000000615000101 (unverified)', true),
    ('upi', 'UPI (NPCI, India)', 'instant_payment', 'IN', 'upi://pay? links', true),
    ('epc', 'SEPA credit transfer (EPC069-12 QR)', 'bank_transfer', 'EU', 'payload starting BCD', true),
    ('swissqr', 'Swiss QR-bill', 'bank_transfer', 'CH', 'payload starting SPC', true),
    ('spayd', 'SPAYD QR Platba (Czechia)', 'bank_transfer', 'CZ', 'payload starting SPD*', true),
    ('bezahlcode', 'BezahlCode (Germany, legacy)', 'bank_transfer', 'DE', 'bank://singlepayment* URLs', true),
    ('bsi', 'Bank Syariah Indonesia', 'bank', 'ID', 'EMV GUID ID.CO.BANKBSI.WWW (a QRIS issuer/acquirer)', true);

-- This script is ASCII, so that it loads in every server encoding (with no
-- encoding line in qrpay.control, PostgreSQL reads it in the database's).
-- Shipped text beyond ASCII is written with \hhhh (four hex digits) for the character
-- U+hhhh, as in U&'' literals, and qrpay_script_text turns it into text of
-- the database encoding when the row is inserted.  A character that
-- encoding has no equivalent for becomes the six ASCII characters U+hhhh;
-- with whole => true (an optional alternate spelling, qr_cities.name_zh)
-- the value becomes NULL instead.  In a UTF8 or SQL_ASCII database every
-- value is the UTF-8 text itself.  The function lives while the script runs.
CREATE FUNCTION qrpay_script_text(escaped text, whole boolean DEFAULT false) RETURNS text
LANGUAGE plpgsql STRICT SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    m text[];
    cp int;
    result text := '';
BEGIN
    FOR m IN SELECT regexp_matches(escaped, '\\([0-9A-F]{4})|([^\\]+)', 'g') LOOP
        IF m[1] IS NULL THEN
            result := result || m[2];
            CONTINUE;
        END IF;
        cp := ('x' || lpad(m[1], 8, '0'))::bit(32)::int;
        BEGIN
            result := result || convert_from(decode(CASE
                WHEN cp < 128 THEN lpad(to_hex(cp), 2, '0')
                WHEN cp < 2048 THEN to_hex(192 + cp / 64) || to_hex(128 + cp % 64)
                ELSE to_hex(224 + cp / 4096) || to_hex(128 + cp / 64 % 64) || to_hex(128 + cp % 64) END, 'hex'), 'UTF8');
        EXCEPTION WHEN untranslatable_character THEN
            IF whole THEN
                RETURN NULL;
            END IF;
            result := result || 'U+' || m[1];
        END;
    END LOOP;
    RETURN result;
END $$;

-- Patterns: each rule cites its source (REFERENCE = the format reference
-- the project follows; EMVCo MPM Table 4.1; ISO/IEC 7816-5 RIDs).
INSERT INTO qr_provider_patterns (provider, kind, pattern, country, min_length, max_length, note, shipped) VALUES
    ('alipay', 'url', 'http*://qr.alipay.com/*', NULL, NULL, NULL, qrpay_script_text('REFERENCE \00A73: Alipay merchant URL codes, any letter case'), true),
    ('alipay', 'payment_code', '2[5-9]*', NULL, 16, 24, qrpay_script_text('REFERENCE \00A74: Alipay consumer code, prefix 25-30, 16-24 digits'), true),
    ('alipay', 'payment_code', '30*', NULL, 16, 24, qrpay_script_text('REFERENCE \00A74: Alipay consumer code, prefix 25-30, 16-24 digits'), true),
    ('wechatpay', 'url', 'wxp://*', NULL, NULL, NULL, qrpay_script_text('REFERENCE \00A73: WeChat Pay face-to-face collection code'), true),
    ('wechatpay', 'url', 'weixin://wxpay/*', NULL, NULL, NULL, qrpay_script_text('REFERENCE \00A73: WeChat Pay Native order code'), true),
    ('wechatpay', 'url', 'http*://payapp.weixin.qq.com/*', NULL, NULL, NULL, 'providers.tsv: WeChat Pay merchant URL (unverified, no vector)', true),
    ('wechatpay', 'emv_guid', 'COM.QQ.WEIXIN.PAY', NULL, NULL, NULL, qrpay_script_text('REFERENCE \00A72: WeChat Pay inside EMVCo codes (SGQR)'), true),
    ('wechatpay', 'payment_code', '1[0-5]*', NULL, 18, 18, qrpay_script_text('REFERENCE \00A74: WeChat Pay consumer code, prefix 10-15, 18 digits'), true),
    ('unionpay', 'url', 'http*://qr.95516.com/*', NULL, NULL, NULL, qrpay_script_text('REFERENCE \00A73: UnionPay Cloud QuickPass URL codes'), true),
    ('unionpay', 'emv_tag', '15', NULL, NULL, NULL, 'EMVCo MPM Table 4.1: ids 15-16 UnionPay', true),
    ('unionpay', 'emv_tag', '16', NULL, NULL, NULL, 'EMVCo MPM Table 4.1: ids 15-16 UnionPay', true),
    ('unionpay', 'emv_guid', 'A000000333*', NULL, NULL, NULL, 'UnionPay RID A000000333 (ISO/IEC 7816-5) as a template GUID', true),
    ('unionpay', 'cpm_aid', 'A000000333*', NULL, NULL, NULL, 'UnionPay RID A000000333 (ISO/IEC 7816-5)', true),
    ('unionpay', 'payment_code', '62*', NULL, 19, 19, qrpay_script_text('REFERENCE \00A74: UnionPay consumer code, prefix 62, 19 digits'), true),
    ('ecny', 'payment_code', '01*', NULL, 19, 19, qrpay_script_text('REFERENCE \00A74: e-CNY consumer code, prefix 01, 19 digits (unverified: one open-source router)'), true),
    ('visa', 'emv_tag', '02', NULL, NULL, NULL, 'EMVCo MPM Table 4.1: ids 02-03 Visa', true),
    ('visa', 'emv_tag', '03', NULL, NULL, NULL, 'EMVCo MPM Table 4.1: ids 02-03 Visa', true),
    ('visa', 'cpm_aid', 'A000000003*', NULL, NULL, NULL, 'Visa RID A000000003 (ISO/IEC 7816-5)', true),
    ('mastercard', 'emv_tag', '04', NULL, NULL, NULL, 'EMVCo MPM Table 4.1: ids 04-05 Mastercard', true),
    ('mastercard', 'emv_tag', '05', NULL, NULL, NULL, 'EMVCo MPM Table 4.1: ids 04-05 Mastercard', true),
    ('mastercard', 'cpm_aid', 'A000000004*', NULL, NULL, NULL, 'Mastercard RID A000000004 (ISO/IEC 7816-5)', true),
    ('discover', 'emv_tag', '09', NULL, NULL, NULL, 'EMVCo MPM Table 4.1: ids 09-10 Discover', true),
    ('discover', 'emv_tag', '10', NULL, NULL, NULL, 'EMVCo MPM Table 4.1: ids 09-10 Discover', true),
    ('discover', 'cpm_aid', 'A000000152*', NULL, NULL, NULL, 'Discover RID A000000152 (ISO/IEC 7816-5)', true),
    ('amex', 'emv_tag', '11', NULL, NULL, NULL, 'EMVCo MPM Table 4.1: ids 11-12 American Express', true),
    ('amex', 'emv_tag', '12', NULL, NULL, NULL, 'EMVCo MPM Table 4.1: ids 11-12 American Express', true),
    ('amex', 'cpm_aid', 'A000000025*', NULL, NULL, NULL, 'American Express RID A000000025 (ISO/IEC 7816-5)', true),
    ('jcb', 'emv_tag', '13', NULL, NULL, NULL, 'EMVCo MPM Table 4.1: ids 13-14 JCB', true),
    ('jcb', 'emv_tag', '14', NULL, NULL, NULL, 'EMVCo MPM Table 4.1: ids 13-14 JCB', true),
    ('jcb', 'cpm_aid', 'A000000065*', NULL, NULL, NULL, 'JCB RID A000000065 (ISO/IEC 7816-5)', true),
    ('pix', 'emv_guid', 'br.gov.bcb.pix', NULL, NULL, NULL, qrpay_script_text('REFERENCE \00A72: Pix (pix-utils)'), true),
    ('pix', 'emv_guid', 'br.gov.bcb.spi', NULL, NULL, NULL, qrpay_script_text('REFERENCE \00A72: Pix pre-launch draft GUID'), true),
    ('promptpay', 'emv_guid', 'A000000677010111', NULL, NULL, NULL, qrpay_script_text('REFERENCE \00A72: PromptPay credit transfer'), true),
    ('promptpay', 'emv_guid', 'A000000677010112', NULL, NULL, NULL, qrpay_script_text('REFERENCE \00A72: Thai QR bill payment'), true),
    ('promptpay', 'emv_guid', 'A000000677012006', NULL, NULL, NULL, qrpay_script_text('REFERENCE \00A72: Thai cross-border bill payment'), true),
    ('paynow', 'emv_guid', 'SG.PAYNOW', NULL, NULL, NULL, qrpay_script_text('REFERENCE \00A72: PayNow'), true),
    ('sgqr', 'emv_guid', 'SG.SGQR', NULL, NULL, NULL, qrpay_script_text('REFERENCE \00A72: SGQR unified code, tag 51'), true),
    ('qris', 'emv_guid', 'ID.CO.QRIS.WWW', NULL, NULL, NULL, qrpay_script_text('REFERENCE \00A72: QRIS national template'), true),
    ('gopay', 'emv_guid', 'COM.GO-JEK.WWW', NULL, NULL, NULL, qrpay_script_text('REFERENCE \00A72: GoPay as QRIS issuer/acquirer'), true),
    ('dana', 'emv_guid', 'ID.DANA.WWW', NULL, NULL, NULL, qrpay_script_text('REFERENCE \00A72: DANA as QRIS issuer/acquirer'), true),
    ('bsi', 'emv_guid', 'ID.CO.BANKBSI.WWW', NULL, NULL, NULL, qrpay_script_text('REFERENCE \00A72: Bank Syariah Indonesia as QRIS issuer/acquirer'), true),
    ('napas', 'emv_guid', 'A000000727', NULL, NULL, NULL, qrpay_script_text('REFERENCE \00A72: VietQR / NAPAS 247, tag 38'), true),
    ('vnpay', 'emv_guid', 'A000000775', NULL, NULL, NULL, qrpay_script_text('REFERENCE \00A72: VNPAY-QR'), true),
    ('fps', 'emv_guid', 'hk.com.hkicl', NULL, NULL, NULL, qrpay_script_text('REFERENCE \00A72: HK FPS (HKICL)'), true),
    ('bakong', 'emv_guid', '*@*', 'KH', NULL, NULL, qrpay_script_text('REFERENCE \00A72: KHQR tags 29/30 hold a Bakong account id name@bank'), true),
    ('qrph', 'emv_guid', 'com.p2pqrpay', NULL, NULL, NULL, qrpay_script_text('REFERENCE \00A72: QR Ph P2P'), true),
    ('paymaya', 'emv_guid', 'com.paymaya', NULL, NULL, NULL, qrpay_script_text('REFERENCE \00A72: PayMaya / Maya merchant'), true),
    ('paymaya', 'bic', 'PAPHPHM1*', NULL, NULL, NULL, qrpay_script_text('REFERENCE \00A72: PayMaya''s BIC PAPHPHM1XXX as QR Ph P2P receiving institution'), true),
    ('duitnow', 'emv_guid', 'A000000615000101', NULL, NULL, NULL, qrpay_script_text('REFERENCE \00A72: DuitNow QR (unverified, from a library README)'), true),
    ('upi', 'format', 'upi', NULL, NULL, NULL, qrpay_script_text('REFERENCE \00A73: upi://pay links'), true),
    ('epc', 'format', 'epc', NULL, NULL, NULL, qrpay_script_text('REFERENCE \00A73: EPC069-12 SEPA credit transfer'), true),
    ('swissqr', 'format', 'swiss_qr', NULL, NULL, NULL, qrpay_script_text('REFERENCE \00A73: Swiss QR-bill'), true),
    ('spayd', 'format', 'spayd', NULL, NULL, NULL, qrpay_script_text('REFERENCE \00A73: SPAYD'), true),
    ('bezahlcode', 'format', 'bezahlcode', NULL, NULL, NULL, qrpay_script_text('REFERENCE \00A73: BezahlCode bank:// URLs'), true);

DROP FUNCTION qrpay_script_text(text, boolean);

-- user rows (shipped = false) are dumped and restored with the database
SELECT pg_catalog.pg_extension_config_dump('qr_providers', 'WHERE NOT shipped');
SELECT pg_catalog.pg_extension_config_dump('qr_provider_patterns', 'WHERE NOT shipped');

CREATE FUNCTION qr_networks(code payment_qr) RETURNS text[]
AS 'MODULE_PATHNAME' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION qr_networks(payment_qr) IS
    'Every provider the code belongs to or accepts, in payload order, from the qr_provider_patterns catalog (cached per session, reloaded when the catalog changes)';

CREATE FUNCTION qr_provider(code payment_qr) RETURNS text
AS 'MODULE_PATHNAME' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION qr_provider(payment_qr) IS
    'The code''s primary provider: the first of qr_networks, NULL when no catalog pattern matches';

/* qrpay 0.2.0 -> 0.3.0: interoperability routing */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION qrpay UPDATE TO '0.3.0'" to load this file. \quit

-- ---------------------------------------------------------------------
-- URL patterns: one per scheme, so that their literal opening rejects a
-- URL of another host without any glob work
-- ---------------------------------------------------------------------

INSERT INTO qr_provider_patterns (provider, kind, pattern, country, min_length, max_length, note, shipped)
SELECT provider, kind, scheme || substr(pattern, 6), country, min_length, max_length, note, true
FROM qr_provider_patterns, (VALUES ('https'), ('http')) AS s(scheme)
WHERE shipped AND kind = 'url' AND pattern LIKE 'http*://%';
DELETE FROM qr_provider_patterns WHERE shipped AND kind = 'url' AND pattern LIKE 'http*://%';

-- ---------------------------------------------------------------------
-- Cities the rules name
-- ---------------------------------------------------------------------

CREATE TABLE qr_cities (
    name text PRIMARY KEY CONSTRAINT qr_cities_name_not_empty CHECK (name <> ''),
    name_zh text UNIQUE,
    province text,
    capital boolean NOT NULL DEFAULT false,
    aliases text[] NOT NULL DEFAULT '{}',
    shipped boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE qr_cities IS
    'Cities interoperability rules may name, with the spellings a region argument or a code''s merchant city is matched against (case, spaces, apostrophes and hyphens ignored). Add your own rows; rows with shipped = true come with the extension';
COMMENT ON COLUMN qr_cities.name IS 'English name, as rules name the city';
COMMENT ON COLUMN qr_cities.name_zh IS 'Chinese name (matched too)';
COMMENT ON COLUMN qr_cities.province IS 'Province or provincial-level division';
COMMENT ON COLUMN qr_cities.capital IS 'true for the capitals of provincial-level divisions (the four municipalities included)';
COMMENT ON COLUMN qr_cities.aliases IS 'Other spellings matched (Xian, Canton, Amoy, ...)';
COMMENT ON COLUMN qr_cities.shipped IS 'true for rows installed by the extension: read-only, not dumped (they come back with the extension)';

-- ---------------------------------------------------------------------
-- Interoperability rules
-- ---------------------------------------------------------------------

CREATE TABLE qr_interop_rules (
    id text PRIMARY KEY CONSTRAINT qr_interop_rules_id_syntax CHECK (id ~ '^[A-Za-z0-9_.:-]+$'),
    payer text NOT NULL REFERENCES qr_providers (code) ON UPDATE CASCADE,
    payee text NOT NULL REFERENCES qr_providers (code) ON UPDATE CASCADE,
    via text REFERENCES qr_providers (code) ON UPDATE CASCADE,
    valid_during tstzrange NOT NULL DEFAULT '(,)'
        CONSTRAINT qr_interop_rules_valid_not_empty CHECK (NOT isempty(valid_during)),
    cities text[] CONSTRAINT qr_interop_rules_cities_not_empty CHECK (cardinality(cities) > 0),
    scenario text NOT NULL DEFAULT 'offline'
        CONSTRAINT qr_interop_rules_scenario_known CHECK (scenario IN ('offline', 'online', 'mini_program')),
    priority integer NOT NULL DEFAULT 0,
    allowed boolean NOT NULL DEFAULT true,
    source text NOT NULL CONSTRAINT qr_interop_rules_source_not_empty CHECK (source <> ''),
    shipped boolean NOT NULL DEFAULT false,
    CONSTRAINT qr_interop_rules_payer_is_not_payee CHECK (payer <> payee)
);
CREATE INDEX qr_interop_rules_pair ON qr_interop_rules (payer, payee);
COMMENT ON TABLE qr_interop_rules IS
    'Who can pay whose codes: payer app, payee network, the network or clearing path used, when, where and in which scenario. Shipped rows encode China''s interoperability facts F1-F11, each citing its fact; add your own (bilateral agreements), end them with an UPDATE of valid_during, and override a shipped rule with one of higher priority';
COMMENT ON COLUMN qr_interop_rules.id IS 'Rule id, returned by qr_route (shipped: F<fact>-<payer>-<payee>)';
COMMENT ON COLUMN qr_interop_rules.payer IS 'The app that pays (qr_providers.code)';
COMMENT ON COLUMN qr_interop_rules.payee IS 'The network the code belongs to (qr_providers.code)';
COMMENT ON COLUMN qr_interop_rules.via IS 'The network or clearing path that carries the payment';
COMMENT ON COLUMN qr_interop_rules.valid_during IS 'When the rule holds; open-ended bounds allowed';
COMMENT ON COLUMN qr_interop_rules.cities IS 'Cities (qr_cities.name) where the rule holds; NULL for nationwide';
COMMENT ON COLUMN qr_interop_rules.scenario IS 'offline (scan at a till), online (checkout) or mini_program';
COMMENT ON COLUMN qr_interop_rules.priority IS 'Higher wins when several rules apply; at equal priority a block wins';
COMMENT ON COLUMN qr_interop_rules.allowed IS 'false makes the rule a block: the payer cannot pay the payee''s codes where it applies';
COMMENT ON COLUMN qr_interop_rules.source IS 'Why the rule exists: the fact, agreement or announcement it encodes';
COMMENT ON COLUMN qr_interop_rules.shipped IS 'true for rows installed by the extension: read-only, not dumped (they come back with the extension)';

CREATE TRIGGER qr_cities_guard BEFORE INSERT OR UPDATE OR DELETE ON qr_cities
    FOR EACH ROW EXECUTE FUNCTION qr_catalog_guard();
CREATE TRIGGER qr_cities_guard_truncate BEFORE TRUNCATE ON qr_cities
    FOR EACH STATEMENT EXECUTE FUNCTION qr_catalog_guard();
CREATE TRIGGER qr_cities_invalidate AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON qr_cities
    FOR EACH STATEMENT EXECUTE FUNCTION qr_catalog_invalidate();
CREATE TRIGGER qr_interop_rules_guard BEFORE INSERT OR UPDATE OR DELETE ON qr_interop_rules
    FOR EACH ROW EXECUTE FUNCTION qr_catalog_guard();
CREATE TRIGGER qr_interop_rules_guard_truncate BEFORE TRUNCATE ON qr_interop_rules
    FOR EACH STATEMENT EXECUTE FUNCTION qr_catalog_guard();
CREATE TRIGGER qr_interop_rules_invalidate AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON qr_interop_rules
    FOR EACH STATEMENT EXECUTE FUNCTION qr_catalog_invalidate();

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

-- the capitals of China's provincial-level divisions (F4), the seven
-- cities of F2, and other large cities
INSERT INTO qr_cities (name, name_zh, province, capital, aliases, shipped) VALUES
    ('Beijing', qrpay_script_text('\5317\4EAC', true), 'Beijing', true, '{}', true),
    ('Shanghai', qrpay_script_text('\4E0A\6D77', true), 'Shanghai', true, '{}', true),
    ('Tianjin', qrpay_script_text('\5929\6D25', true), 'Tianjin', true, '{}', true),
    ('Chongqing', qrpay_script_text('\91CD\5E86', true), 'Chongqing', true, '{}', true),
    ('Shijiazhuang', qrpay_script_text('\77F3\5BB6\5E84', true), 'Hebei', true, '{}', true),
    ('Taiyuan', qrpay_script_text('\592A\539F', true), 'Shanxi', true, '{}', true),
    ('Hohhot', qrpay_script_text('\547C\548C\6D69\7279', true), 'Inner Mongolia', true, ARRAY['Huhhot', 'Huhehaote'], true),
    ('Shenyang', qrpay_script_text('\6C88\9633', true), 'Liaoning', true, '{}', true),
    ('Changchun', qrpay_script_text('\957F\6625', true), 'Jilin', true, '{}', true),
    ('Harbin', qrpay_script_text('\54C8\5C14\6EE8', true), 'Heilongjiang', true, '{}', true),
    ('Nanjing', qrpay_script_text('\5357\4EAC', true), 'Jiangsu', true, '{}', true),
    ('Hangzhou', qrpay_script_text('\676D\5DDE', true), 'Zhejiang', true, '{}', true),
    ('Hefei', qrpay_script_text('\5408\80A5', true), 'Anhui', true, '{}', true),
    ('Fuzhou', qrpay_script_text('\798F\5DDE', true), 'Fujian', true, '{}', true),
    ('Nanchang', qrpay_script_text('\5357\660C', true), 'Jiangxi', true, '{}', true),
    ('Jinan', qrpay_script_text('\6D4E\5357', true), 'Shandong', true, '{}', true),
    ('Zhengzhou', qrpay_script_text('\90D1\5DDE', true), 'Henan', true, '{}', true),
    ('Wuhan', qrpay_script_text('\6B66\6C49', true), 'Hubei', true, '{}', true),
    ('Changsha', qrpay_script_text('\957F\6C99', true), 'Hunan', true, '{}', true),
    ('Guangzhou', qrpay_script_text('\5E7F\5DDE', true), 'Guangdong', true, ARRAY['Canton'], true),
    ('Nanning', qrpay_script_text('\5357\5B81', true), 'Guangxi', true, '{}', true),
    ('Haikou', qrpay_script_text('\6D77\53E3', true), 'Hainan', true, '{}', true),
    ('Chengdu', qrpay_script_text('\6210\90FD', true), 'Sichuan', true, '{}', true),
    ('Guiyang', qrpay_script_text('\8D35\9633', true), 'Guizhou', true, '{}', true),
    ('Kunming', qrpay_script_text('\6606\660E', true), 'Yunnan', true, '{}', true),
    ('Lhasa', qrpay_script_text('\62C9\8428', true), 'Tibet', true, '{}', true),
    ('Xi''an', qrpay_script_text('\897F\5B89', true), 'Shaanxi', true, ARRAY['Xian'], true),
    ('Lanzhou', qrpay_script_text('\5170\5DDE', true), 'Gansu', true, '{}', true),
    ('Xining', qrpay_script_text('\897F\5B81', true), 'Qinghai', true, '{}', true),
    ('Yinchuan', qrpay_script_text('\94F6\5DDD', true), 'Ningxia', true, '{}', true),
    ('Urumqi', qrpay_script_text('\4E4C\9C81\6728\9F50', true), 'Xinjiang', true, ARRAY['Urumchi', 'Wulumuqi'], true),
    ('Shenzhen', qrpay_script_text('\6DF1\5733', true), 'Guangdong', false, '{}', true),
    ('Suzhou', qrpay_script_text('\82CF\5DDE', true), 'Jiangsu', false, '{}', true),
    ('Qingdao', qrpay_script_text('\9752\5C9B', true), 'Shandong', false, '{}', true),
    ('Xiamen', qrpay_script_text('\53A6\95E8', true), 'Fujian', false, ARRAY['Amoy'], true),
    ('Dalian', qrpay_script_text('\5927\8FDE', true), 'Liaoning', false, '{}', true),
    ('Ningbo', qrpay_script_text('\5B81\6CE2', true), 'Zhejiang', false, '{}', true),
    ('Dongguan', qrpay_script_text('\4E1C\839E', true), 'Guangdong', false, '{}', true);

-- F1-F11 of the interoperability facts.  F12 (one universal merchant code,
-- planned) and F13 (e-CNY code standards, urged) name no route: F12 is how
-- qr_route treats a code that carries several networks' accounts.
INSERT INTO qr_interop_rules (id, payer, payee, via, valid_during, cities, scenario, priority, allowed, source, shipped) VALUES
    ('F1-unionpay-alipay', 'unionpay', 'alipay', 'unionpay', '[2021-08-01 00:00+08,)', NULL, 'online', 0, true, 'F1 (2021-08): Taobao accepts UnionPay Cloud QuickPass at checkout; about 85% of Taobao merchants by 2021-10 (Caixin/PYMNTS 2021-10-04)', true),
    ('F2-unionpay-alipay', 'unionpay', 'alipay', 'unionpay', '[2021-10-02 00:00+08,)', ARRAY['Beijing', 'Guangzhou', 'Shenzhen', 'Tianjin', 'Chengdu', 'Chongqing', 'Xi''an'], 'offline', 0, true, 'F2 (by 2021-10-02): Alipay payment codes and UnionPay Cloud QuickPass interoperable offline in Beijing, Guangzhou, Shenzhen, Tianjin, Chengdu, Chongqing and Xi''an (SCMP 2021-10-04)', true),
    ('F3-unionpay-alipay', 'unionpay', 'alipay', 'unionpay', '[2021-12-03 00:00+08,)', NULL, 'offline', 0, true, 'F3 (2021-12-03): Alipay and UnionPay receiving codes mutually scannable nationwide, with 28 banks and institutions (Caixin 2021-12-03)', true),
    ('F2-alipay-unionpay', 'alipay', 'unionpay', 'unionpay', '[2021-10-02 00:00+08,)', ARRAY['Beijing', 'Guangzhou', 'Shenzhen', 'Tianjin', 'Chengdu', 'Chongqing', 'Xi''an'], 'offline', 0, true, 'F2 (by 2021-10-02): Alipay payment codes and UnionPay Cloud QuickPass interoperable offline in Beijing, Guangzhou, Shenzhen, Tianjin, Chengdu, Chongqing and Xi''an (SCMP 2021-10-04)', true),
    ('F3-alipay-unionpay', 'alipay', 'unionpay', 'unionpay', '[2021-12-03 00:00+08,)', NULL, 'offline', 0, true, 'F3 (2021-12-03): Alipay and UnionPay receiving codes mutually scannable nationwide, with 28 banks and institutions (Caixin 2021-12-03)', true),
    ('F3-ccb-alipay', 'ccb', 'alipay', 'unionpay', '[2021-12-03 00:00+08,)', NULL, 'offline', 0, true, 'F3 (2021-12-03): the banks and institutions joining Alipay-UnionPay interoperability scan Alipay codes through UnionPay (Caixin 2021-12-03)', true),
    ('F3-boc-alipay', 'boc', 'alipay', 'unionpay', '[2021-12-03 00:00+08,)', NULL, 'offline', 0, true, 'F3 (2021-12-03): the banks and institutions joining Alipay-UnionPay interoperability scan Alipay codes through UnionPay (Caixin 2021-12-03)', true),
    ('F3-bocom-alipay', 'bocom', 'alipay', 'unionpay', '[2021-12-03 00:00+08,)', NULL, 'offline', 0, true, 'F3 (2021-12-03): the banks and institutions joining Alipay-UnionPay interoperability scan Alipay codes through UnionPay (Caixin 2021-12-03)', true),
    ('F3-pingan-alipay', 'pingan', 'alipay', 'unionpay', '[2021-12-03 00:00+08,)', NULL, 'offline', 0, true, 'F3 (2021-12-03): the banks and institutions joining Alipay-UnionPay interoperability scan Alipay codes through UnionPay (Caixin 2021-12-03)', true),
    ('F3-citic-alipay', 'citic', 'alipay', 'unionpay', '[2021-12-03 00:00+08,)', NULL, 'offline', 0, true, 'F3 (2021-12-03): the banks and institutions joining Alipay-UnionPay interoperability scan Alipay codes through UnionPay (Caixin 2021-12-03)', true),
    ('F4-unionpay-wechatpay', 'unionpay', 'wechatpay', 'unionpay', '[2021-09-22 00:00+08,)', ARRAY['Beijing', 'Shanghai', 'Tianjin', 'Chongqing', 'Shijiazhuang', 'Taiyuan', 'Hohhot', 'Shenyang', 'Changchun', 'Harbin', 'Nanjing', 'Hangzhou', 'Hefei', 'Fuzhou', 'Nanchang', 'Jinan', 'Zhengzhou', 'Wuhan', 'Changsha', 'Guangzhou', 'Nanning', 'Haikou', 'Chengdu', 'Guiyang', 'Kunming', 'Lhasa', 'Xi''an', 'Lanzhou', 'Xining', 'Yinchuan', 'Urumqi'], 'offline', 0, true, 'F4 (testing from 2021-09-22): Cloud QuickPass users scan WeChat Pay merchant codes and WeChat Pay users scan QuickPass codes in provincial capitals (SCMP 2021-10-04)', true),
    ('F4-wechatpay-unionpay', 'wechatpay', 'unionpay', 'unionpay', '[2021-09-22 00:00+08,)', ARRAY['Beijing', 'Shanghai', 'Tianjin', 'Chongqing', 'Shijiazhuang', 'Taiyuan', 'Hohhot', 'Shenyang', 'Changchun', 'Harbin', 'Nanjing', 'Hangzhou', 'Hefei', 'Fuzhou', 'Nanchang', 'Jinan', 'Zhengzhou', 'Wuhan', 'Changsha', 'Guangzhou', 'Nanning', 'Haikou', 'Chengdu', 'Guiyang', 'Kunming', 'Lhasa', 'Xi''an', 'Lanzhou', 'Xining', 'Yinchuan', 'Urumqi'], 'offline', 0, true, 'F4 (testing from 2021-09-22): Cloud QuickPass users scan WeChat Pay merchant codes and WeChat Pay users scan QuickPass codes in provincial capitals (SCMP 2021-10-04)', true),
    ('F5-unionpay-wechatpay', 'unionpay', 'wechatpay', 'unionpay', '[2021-09-22 00:00+08,)', NULL, 'mini_program', 0, true, 'F5 (2021-09-22, rolling out): WeChat mini programs (WeRead, Tencent Video, JD.com, Luckin Coffee, QQ Music, Q-Coin) accept Cloud QuickPass (SCMP 2021-10-04)', true),
    ('F6-wechatpay-alipay', 'wechatpay', 'alipay', 'wechatpay', '[2021-09-01 00:00+08,)', NULL, 'online', 0, true, 'F6 (2021-09): Alibaba platforms (Ele.me, Youku, Damai, Kaola, Shuqi) accept WeChat Pay at online checkout (Caixin/PYMNTS 2021-10-04)', true),
    ('F7-ccb-wechatpay', 'ccb', 'wechatpay', 'netsunion', '[2021-10-01 00:00+08,)', NULL, 'offline', 0, true, qrpay_script_text('F7 (before 2021-10): bank apps scan WeChat Pay codes nationwide (close to 30 banks by 2023); cleared through NetsUnion, the clearing house of non-bank payment institutions (PBoC 296\53F7, REFERENCE \00A75) (SCMP 2021-10-04)'), true),
    ('F7-boc-wechatpay', 'boc', 'wechatpay', 'netsunion', '[2021-10-01 00:00+08,)', NULL, 'offline', 0, true, qrpay_script_text('F7 (before 2021-10): bank apps scan WeChat Pay codes nationwide (close to 30 banks by 2023); cleared through NetsUnion, the clearing house of non-bank payment institutions (PBoC 296\53F7, REFERENCE \00A75) (SCMP 2021-10-04)'), true),
    ('F7-bocom-wechatpay', 'bocom', 'wechatpay', 'netsunion', '[2021-10-01 00:00+08,)', NULL, 'offline', 0, true, qrpay_script_text('F7 (before 2021-10): bank apps scan WeChat Pay codes nationwide (close to 30 banks by 2023); cleared through NetsUnion, the clearing house of non-bank payment institutions (PBoC 296\53F7, REFERENCE \00A75) (SCMP 2021-10-04)'), true),
    ('F7-pingan-wechatpay', 'pingan', 'wechatpay', 'netsunion', '[2021-10-01 00:00+08,)', NULL, 'offline', 0, true, qrpay_script_text('F7 (before 2021-10): bank apps scan WeChat Pay codes nationwide (close to 30 banks by 2023); cleared through NetsUnion, the clearing house of non-bank payment institutions (PBoC 296\53F7, REFERENCE \00A75) (SCMP 2021-10-04)'), true),
    ('F7-citic-wechatpay', 'citic', 'wechatpay', 'netsunion', '[2021-10-01 00:00+08,)', NULL, 'offline', 0, true, qrpay_script_text('F7 (before 2021-10): bank apps scan WeChat Pay codes nationwide (close to 30 banks by 2023); cleared through NetsUnion, the clearing house of non-bank payment institutions (PBoC 296\53F7, REFERENCE \00A75) (SCMP 2021-10-04)'), true),
    ('F8-cmpay-wechatpay', 'cmpay', 'wechatpay', 'netsunion', '[2023-11-10 00:00+08,)', NULL, 'offline', 0, true, 'F8 (2023-11-10): the digital wallets of China Mobile, China Telecom and China Unicom pay by scanning WeChat Pay codes (SCMP 2023-11-11)', true),
    ('F8-bestpay-wechatpay', 'bestpay', 'wechatpay', 'netsunion', '[2023-11-10 00:00+08,)', NULL, 'offline', 0, true, 'F8 (2023-11-10): the digital wallets of China Mobile, China Telecom and China Unicom pay by scanning WeChat Pay codes (SCMP 2023-11-11)', true),
    ('F8-wopay-wechatpay', 'wopay', 'wechatpay', 'netsunion', '[2023-11-10 00:00+08,)', NULL, 'offline', 0, true, 'F8 (2023-11-10): the digital wallets of China Mobile, China Telecom and China Unicom pay by scanning WeChat Pay codes (SCMP 2023-11-11)', true),
    ('F9-ecny-wechatpay-online', 'ecny', 'wechatpay', 'ecny', '[2023-11-01 00:00+08,)', NULL, 'online', 0, true, 'F9 (2023-11): WeChat supports e-CNY as a payment option in the WeChat wallet, short video and mini programs (SCMP 2023-11-11)', true),
    ('F9-ecny-wechatpay-miniprogram', 'ecny', 'wechatpay', 'ecny', '[2023-11-01 00:00+08,)', NULL, 'mini_program', 0, true, 'F9 (2023-11): WeChat supports e-CNY as a payment option in the WeChat wallet, short video and mini programs (SCMP 2023-11-11)', true),
    ('F10-unionpay-wechatpay', 'unionpay', 'wechatpay', 'unionpay', '[2024-06-01 00:00+08,)', NULL, 'offline', 0, true, 'F10 (2024-06): all kinds of WeChat Pay receiving codes open to the whole UnionPay network; the Cloud QuickPass app scans any WeChat Pay code (China UnionPay 2024-06)', true),
    ('F11-alipay-wechatpay', 'alipay', 'wechatpay', NULL, '(,)', NULL, 'offline', 0, false, 'F11 (as of 2023-11): no direct interoperability between Alipay and WeChat Pay; an Alipay trial letting Alipay users scan with Alipay is on-us Alipay, not interop (SCMP 2023-11-11)', true),
    ('F11-wechatpay-alipay', 'wechatpay', 'alipay', NULL, '(,)', NULL, 'offline', 0, false, 'F11 (as of 2023-11): no direct interoperability between Alipay and WeChat Pay; an Alipay trial letting Alipay users scan with Alipay is on-us Alipay, not interop (SCMP 2023-11-11)', true);

DROP FUNCTION qrpay_script_text(text, boolean);

SELECT pg_catalog.pg_extension_config_dump('qr_cities', 'WHERE NOT shipped');
SELECT pg_catalog.pg_extension_config_dump('qr_interop_rules', 'WHERE NOT shipped');

-- ---------------------------------------------------------------------
-- Routing
-- ---------------------------------------------------------------------

CREATE TYPE qr_route_result AS (status text, network text, via text, rule text, reason text);
COMMENT ON TYPE qr_route_result IS
    'A routing decision: status on_us, interop or none; the payee network chosen; the network or clearing path; the deciding rule; why none';

CREATE FUNCTION qr_route(code payment_qr, payer text, at timestamptz DEFAULT now(),
                         region text DEFAULT NULL, scenario text DEFAULT 'offline')
RETURNS qr_route_result
AS 'MODULE_PATHNAME' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION qr_route(payment_qr, text, timestamptz, text, text) IS
    'How payer app `payer` can pay this code at `at` in `region` (default: the code''s merchant city) and `scenario`: on_us, interop through a rule, or none with the reason. For a consumer-presented code, `payer` names the merchant''s acquiring network. NULL when code, payer, at or scenario is NULL';

CREATE FUNCTION qr_accepts(code payment_qr, payer text, at timestamptz DEFAULT now(),
                           region text DEFAULT NULL, scenario text DEFAULT 'offline')
RETURNS boolean
AS 'MODULE_PATHNAME' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION qr_accepts(payment_qr, text, timestamptz, text, text) IS
    'true when qr_route''s status is on_us or interop';

CREATE FUNCTION qr_routes(code payment_qr, at timestamptz DEFAULT now(),
                          region text DEFAULT NULL, scenario text DEFAULT 'offline',
                          OUT payer text, OUT status text, OUT network text, OUT via text, OUT rule text)
RETURNS SETOF record
AS 'MODULE_PATHNAME' LANGUAGE C STABLE PARALLEL SAFE ROWS 8;
COMMENT ON FUNCTION qr_routes(payment_qr, timestamptz, text, text) IS
    'Every provider that can pay this code (for a consumer-presented code: every acquiring network that can take it), and how';

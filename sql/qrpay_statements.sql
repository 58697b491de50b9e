--
-- Statement readers in C: WeChat Pay, Alipay and mapped CSV files read as
-- RFC 4180 records (quoted line breaks, doubled quotes, BOM, CRLF), in
-- UTF-8 or GBK, with their summaries, footers and periods; every error
-- with its SQLSTATE
--
\set VERBOSITY default
SET TimeZone = 'Asia/Shanghai';
SET DateStyle = ISO;

-- ---------------------------------------------------------------------
-- WeChat Pay, bill type ALL: the 27 columns of downloadbill v2
-- ---------------------------------------------------------------------
CREATE TABLE wx_all AS SELECT convert_to(
       '交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注' || E'\n'
    || E'`2025-03-01 10:00:00,`wx123,`1900000109,`0,`,`4200000001,`ORD1,`oUser1,`NATIVE,`SUCCESS,`CMB_CREDIT,`CNY,`10.00,`0.00,`0,`0,`0.00,`0.00,`,`,`coffee,`,`0.06000,`0.60%,`10.00,`0.00,`\n'
    || E'`2025-03-01 10:05:00,`wx123,`1900000109,`0,`,`4200000002,`ORD2,`oUser2,`JSAPI,`REFUND,`CFT,`CNY,`0.00,`0.00,`50000000001,`RF2,`5.00,`0.00,`ORIGINAL,`SUCCESS,"`two\nlines, ""quoted""",`,`-0.03000,`0.60%,`0.00,`5.00,`\n'
    || E'`2025-03-01 10:10:00,`wx123,`1900000109,`0,`,`4200000003,`ORD3,`oUser3,`NATIVE,`SUCCESS,`OTHERS,`,`7.50,`0.00,`0,`0,`0.00,`0.00,`,`,`tea,`,`0.05000,`0.60%,`7.50,`0.00,`\n'
    || E'总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\n'
    || E'`3,`17.50,`5.00,`0.00,`0.08000,`17.50,`5.00\n', 'UTF8') AS file;
SELECT * FROM qr_statement_info((SELECT file FROM wx_all));
SELECT line, provider_txn, reference, ts, amount, currency, fee, status, refund_txn, refund_reference,
       refund_amount, error FROM qr_statement_parse((SELECT file FROM wx_all));
-- the quoted line break stays in one row, kept in extra with its quotes undone
SELECT line, extra ->> '商品名称' AS goods, extra ->> '交易类型' AS trade_type, extra ? '商户数据包' AS empty_kept
FROM qr_statement_parse((SELECT file FROM wx_all), 'wechatpay') ORDER BY line;
-- the reader of 0.6.0 reads the same rows, and the summary counts them
SELECT provider, provider_txn, reference, amount, status, refund_amount, line, error
FROM qr_statement_wechat(convert_from((SELECT file FROM wx_all), 'UTF8'));

-- ---------------------------------------------------------------------
-- SUCCESS (20 columns, no refund columns) with a BOM and CRLF line ends
-- ---------------------------------------------------------------------
CREATE TABLE wx_success AS SELECT convert_to(E'\uFEFF'
    || '交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,商品名称,商户数据包,手续费,费率,订单金额,费率备注' || E'\r\n'
    || E'`2025-03-02 08:00:00,`wx123,`1900000109,`0,`,`4200000010,`ORD10,`oUser,`JSAPI,`SUCCESS,`CFT,`CNY,`0.01,`0.00,`pen,`,`0.00000,`0.60%,`0.01,`\r\n'
    || E'`2025-03-02T08:30,`wx123,`1900000109,`0,`,`4200000011,`ORD11,`oUser,`JSAPI,`SUCCESS,`CFT,`CNY,`12,`0.00,`ink,`,`0.07000,`0.60%,`12.00,`\r\n'
    || E'总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\r\n'
    || E'`2,`12.01,`0.00,`0.00,`0.07000,`12.01,`0.00\r\n', 'UTF8') AS file;
SELECT format, bill_type, encoding, bom, crlf, cardinality(columns) AS columns, summary, records, error
FROM qr_statement_info((SELECT file FROM wx_success));
SELECT line, provider_txn, ts, amount, fee, refund_txn, refund_amount, extra, error
FROM qr_statement_parse((SELECT file FROM wx_success));

-- ---------------------------------------------------------------------
-- REFUND (29 columns: refund applied and refunded times before the ids)
-- ---------------------------------------------------------------------
CREATE TABLE wx_refund AS SELECT convert_to(
       '交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,退款申请时间,退款成功时间,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注' || E'\n'
    || E'`2025-03-01 20:53:36,`wx123,`1900000109,`0,`,`4200000020,`ORD20,`oUser,`JSAPI,`REFUND,`CFT,`CNY,`0.00,`0.00,`2025-03-01 20:53:36,`2025-03-01 20:53:40,`50000000020,`RF20,`0.01,`0.00,`ORIGINAL,`SUCCESS,`cup,`,`0.00000,`0.60%,`0.00,`0.01,`\n'
    || E'总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\n'
    || E'`1,`0.00,`0.01,`0.00,`0.00000,`0.00,`0.01\n', 'UTF8') AS file;
SELECT format, bill_type, cardinality(columns) AS columns, summary, records, error
FROM qr_statement_info((SELECT file FROM wx_refund));
SELECT line, provider_txn, reference, amount, status, refund_txn, refund_reference, refund_amount,
       extra ->> '退款成功时间' AS refunded_at
FROM qr_statement_parse((SELECT file FROM wx_refund));

-- ---------------------------------------------------------------------
-- The older layout: 总金额 for the amount, a 5-name summary (REFUND, 26 columns)
-- ---------------------------------------------------------------------
CREATE TABLE wx_old AS SELECT convert_to(
       '交易时间,公众账号ID,商户号,子商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,总金额,代金券或立减优惠金额,退款申请时间,退款成功时间,微信退款单号,商户退款单号,退款金额,代金券或立减优惠退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率' || E'\n'
    || E'`2014-11-10 16:33:45,`wx2421b1c4370ec43b,`10000100,`0,`1000,`1001690740201411100005734289,`1415640626,`085e9858e3ba5186aafcbaed1,`MICROPAY,`REFUND,`CFT,`CNY,`0.01,`0.0,`2014-11-10 16:40:00,`2014-11-10 16:40:05,`2001690740201411100005734290,`RF1,`0.01,`0.0,`ORIGINAL,`SUCCESS,`goods,`,`0.00000,`0.60%\n'
    || E'`2014-11-10 16：33：45,`wx2421b1c4370ec43b,`10000100,`0,`1000,`1001690740201411100005734291,`1415640627,`085e9858e3ba5186aafcbaed1,`MICROPAY,`SUCCESS,`CFT,`CNY,`0.02,`0.0,`,`,`0,`0,`0,`0.0,`,`,`goods,`,`0.00000,`0.60%\n'
    || E'总交易单数,总交易额,总退款金额,总代金券或立减优惠退款金额,手续费总金额\n'
    || E'`2,`0.03,`0.01,`0.0,`0.00000\n', 'UTF8') AS file;
SELECT format, bill_type, cardinality(columns) AS columns, summary, records, error
FROM qr_statement_info((SELECT file FROM wx_old));
-- the second row's time has full-width colons, as the old documentation's example
SELECT line, provider_txn, amount, refund_txn, refund_amount, error
FROM qr_statement_parse((SELECT file FROM wx_old));

-- ---------------------------------------------------------------------
-- Alipay 业务明细: GBK, '#' lines, tab padding, refund rows with batch numbers
-- ---------------------------------------------------------------------
CREATE TABLE ali AS SELECT convert_to(
       E'#支付宝业务明细查询\n#账号：[20881234567890]\n#起始日期：[2025年03月01日 00:00:00]   终止日期：[2025年03月02日 00:00:00]\n'
    || E'#-----------------------------------------业务明细列表----------------------------------------\n'
    || '支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注' || E'\n'
    || E'2025030122001400001\t,ORD1\t,交易\t,咖啡\t,2025-03-01 10:00:00\t,2025-03-01 10:00:05\t,\t,\t,\t,\t,buyer@example.com\t,10.00\t,10.00\t,0.00\t,0.00\t,0.00\t,0.00\t,0.00\t,\t,0.00\t,0.00\t,\t,-0.06\t,0.00\t,\t\n'
    || E'2025030122001400001\t,ORD1\t,退款\t,咖啡\t,2025-03-01 11:00:00\t,2025-03-01 11:00:02\t,\t,\t,\t,\t,buyer@example.com\t,10.00\t,-4.00\t,0.00\t,0.00\t,0.00\t,0.00\t,0.00\t,\t,0.00\t,0.00\t,2025030100001RF1\t,0.02\t,0.00\t,部分退款\t\n'
    || E'2025030122001400002\t,ORD2\t,交易\t,"茶, 绿"\t,2025-03-01 12:00:00\t,2025-03-01 12:00:01\t,S01\t,门店一\t,\t,\t,buyer2@example.com\t,8.80\t,8.80\t,0.00\t,0.00\t,0.00\t,0.00\t,0.00\t,\t,0.00\t,0.00\t,\t,-0.05\t,0.00\t,\t\n'
    || E'#-----------------------------------------业务明细列表结束------------------------------------\n'
    || E'#交易合计：3笔\n#导出时间：[2025年03月02日 09:00:00]\n', 'GBK') AS file;
SELECT * FROM qr_statement_info((SELECT file FROM ali));
SELECT line, provider_txn, reference, ts, amount, currency, fee, status, refund_txn, refund_reference,
       refund_amount, extra ->> '商品名称' AS goods, extra ->> '备注' AS note, error
FROM qr_statement_parse((SELECT file FROM ali));
-- the readers of 0.6.0: the GBK bytes, and the same bill decoded
SELECT provider, provider_txn, reference, ts, amount, fee, status, refund_reference, refund_amount, line
FROM qr_statement_alipay((SELECT file FROM ali));
SELECT count(*) AS same_rows FROM (
    SELECT * FROM qr_statement_alipay((SELECT file FROM ali))
    INTERSECT SELECT * FROM qr_statement_alipay(convert_from((SELECT file FROM ali), 'GBK'))) x;
-- the same file in UTF-8: told apart by its bytes, or forced
SELECT format, encoding, records, period_start, period_end
FROM qr_statement_info(convert_to(convert_from((SELECT file FROM ali), 'GBK'), 'UTF8'));
SELECT count(*) AS rows FROM qr_statement_parse(convert_to(convert_from((SELECT file FROM ali), 'GBK'), 'UTF8'),
                                                'alipay', '{"encoding": "UTF8"}');
SELECT encoding, records FROM qr_statement_info((SELECT file FROM ali), 'alipay', '{"encoding": "gbk"}');

-- ---------------------------------------------------------------------
-- Any CSV through a mapping
-- ---------------------------------------------------------------------
SELECT line, provider_txn, reference, ts, amount, currency, fee, status, extra, error, raw
FROM qr_statement_parse(convert_to(E'id;when;order;sum;ccy;memo\r\nT1;2025-03-01 10:00:00;ORD9;12.30;HKD;"a;b"\r\n"T;2";2025-03-01 10:05;;7.00;HKD;\r\nT3;2025-13-01 10:00:00;;1;HKD;\r\nT4;2025-03-01 10:00:00;;1,5;HKD;x\r\n', 'UTF8'),
    'csv', '{"columns": {"provider_txn": "id", "ts": "when", "reference": "order", "amount": "sum", "currency": "ccy"},
             "delimiter": ";", "time_zone": "Asia/Hong_Kong"}');
SELECT format, bill_type, encoding, crlf, columns, summary, records, error
FROM qr_statement_info(convert_to(E'id,time,amount\n', 'UTF8'), 'csv',
                       '{"columns": {"provider_txn": "id", "ts": "time", "amount": "amount"}}');
-- the default time zone of a CSV is UTC
SELECT ts FROM qr_statement_parse(convert_to(E'id,time,amount\nA,2025-03-01 00:00,1\n', 'UTF8'), 'csv',
                                  '{"columns": {"provider_txn": "id", "ts": "time", "amount": "amount"}}');

-- ---------------------------------------------------------------------
-- Records the reader cannot read: line numbers, reasons, raw text
-- ---------------------------------------------------------------------
-- a quote left open runs to the end of the file: one error row, not a
-- silent swallow of the rest, and the summary is then missing
SELECT line, provider_txn, error, length(raw) AS raw_length
FROM qr_statement_parse(convert_to(E'交易时间,微信订单号,应结订单金额,商品名称\n`2025-03-01 10:00:00,`wx1,`1.00,`a\n`2025-03-01 10:00:01,`wx2,`1.00,"open\n`2025-03-01 10:00:02,`wx3,`1.00,`c\n总交易单数\n`3\n', 'UTF8'));
SELECT records, error FROM qr_statement_info(convert_to(E'交易时间,微信订单号,应结订单金额,商品名称\n`2025-03-01 10:00:00,`wx1,`1.00,`a\n`2025-03-01 10:00:01,`wx2,`1.00,"open\n总交易单数\n`2\n', 'UTF8'));
SELECT line, error FROM qr_statement_wechat(E'交易时间,微信订单号,应结订单金额\n`2025-03-01 10:00:00,`wx1,`1.00\n`2025-03-01 10:00:01,`wx2,"`1.00\n总交易单数\n`2\n');
-- every kind of bad value, with its column
SELECT line, error, raw FROM qr_statement_parse(convert_to(
       E'交易时间,微信订单号,应结订单金额,手续费,退款金额\n'
    || E'`2025-03-01 10:00:00,`wx1,`1.00,`0.01,`0\n'
    || E'`2025-03-01 25:00:00,`wx2,`1.00,`0.01,`0\n'
    || E'`2024-02-30 10:00:00,`wx3,`1.00,`0.01,`0\n'
    || E'`2024-02-29 10:00:00,`wx4,`1.00,`0.01,`0\n'
    || E'`2025-03-01 10:00:00,`wx5,`,`0.01,`0\n'
    || E'`2025-03-01 10:00:00,`wx6,`1.00,`1%,`0\n'
    || E'`2025-03-01 10:00:00,`wx7,`1.00,`0.01,`.5\n'
    || E'`2025-03-01 10:00:00,`wx8,`1.00,`0.01\n'
    || E'`2025-03-01 10:00:00,`wx9,`' || repeat('9', 100) || 'x,`0.01,`0\n'
    || E'\n  \t\n'
    || E'总交易单数\n`9\n', 'UTF8'), 'wechatpay') WHERE error IS NOT NULL OR provider_txn = 'wx4';

-- ---------------------------------------------------------------------
-- A WeChat Pay bill of 200,000 transactions, one of them with a line
-- break inside a quoted product name: 200,000 rows, the summary agrees
-- ---------------------------------------------------------------------
CREATE TABLE wx_big AS
SELECT convert_to('交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注' || E'\n'
    || string_agg(format('`%s,`wx123,`1900000109,`0,`,`42%s,`ORD%s,`oUser,`NATIVE,`SUCCESS,`CMB_CREDIT,`CNY,`%s,`0.00,`0,`0,`0.00,`0.00,`,`,%s,`,`0.01000,`0.60%%,`%s,`0.00,`',
                         to_char(timestamp '2025-03-01' + g * interval '400 ms', 'YYYY-MM-DD HH24:MI:SS'), g, g,
                         (g % 1000) + 1, CASE WHEN g = 123456 THEN E'"`gift\nbox"' ELSE '`goods' END, (g % 1000) + 1),
                  E'\n' ORDER BY g)
    || E'\n总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\n`'
    || count(*) || ',`' || sum((g % 1000) + 1) || ',`0.00,`0.00,`' || count(*) * 0.01 || ',`' || sum((g % 1000) + 1) || ',`0.00', 'UTF8') AS file
FROM generate_series(1, 200000) g;
SELECT array_length(string_to_array(convert_from(file, 'UTF8'), E'\n'), 1) AS physical_lines FROM wx_big;
CREATE TABLE wx_big_rows AS SELECT * FROM qr_statement_parse((SELECT file FROM wx_big));
SELECT count(*) AS rows, count(*) FILTER (WHERE error IS NOT NULL) AS errors, sum(amount) AS amount,
       count(DISTINCT provider_txn) AS transactions, max(line) AS last_line
FROM wx_big_rows;
SELECT line, provider_txn, extra ->> '商品名称' AS goods FROM wx_big_rows WHERE provider_txn IN ('42123456', '42123457');
SELECT i.records, i.summary ->> 'count' AS summary_count, i.summary ->> 'amount' AS summary_amount,
       (i.summary ->> 'amount')::numeric = (SELECT sum(amount) FROM wx_big_rows) AS amounts_agree, i.error
FROM qr_statement_info((SELECT file FROM wx_big)) i;
SELECT count(*) AS rows, count(*) FILTER (WHERE error IS NOT NULL) AS errors
FROM qr_statement_wechat(convert_from((SELECT file FROM wx_big), 'UTF8'));

-- ---------------------------------------------------------------------
-- qr_csv_fields, now the record reader's splitter
-- ---------------------------------------------------------------------
SELECT qr_csv_fields('a,"b,c",d'), qr_csv_fields(',"say ""hi""",'), qr_csv_fields(''),
       qr_csv_fields(E'x\t"y\tz"', E'\t'), qr_csv_fields(E'"two\nlines",b');

-- ---------------------------------------------------------------------
-- Errors, with their SQLSTATE
-- ---------------------------------------------------------------------
-- neither UTF-8 nor GBK
SELECT * FROM qr_statement_parse('\x8141ff'::bytea);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM qr_statement_parse('\xe4b8'::bytea, 'csv', '{"columns": {"provider_txn": "a", "ts": "b", "amount": "c"}, "encoding": "UTF8"}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM qr_statement_info('\x61ff'::bytea, NULL, '{"encoding": "GBK"}');
\echo :LAST_ERROR_SQLSTATE
-- a format the file does not tell, a format unknown
SELECT * FROM qr_statement_parse(convert_to(E'id,time,amount\nA,2025-03-01 00:00,1\n', 'UTF8'));
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM qr_statement_parse(convert_to(E'id\n', 'UTF8'), 'xml');
\echo :LAST_ERROR_SQLSTATE
-- a WeChat Pay bill without its amount column, an Alipay file without a header
SELECT * FROM qr_statement_parse(convert_to(E'交易时间,微信订单号,商户订单号\n', 'UTF8'));
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM qr_statement_parse(convert_to(E'#支付宝业务明细查询\n', 'GBK'), 'alipay');
\echo :LAST_ERROR_SQLSTATE
-- csv without a mapping, or without a required column
SELECT * FROM qr_statement_parse(convert_to(E'id,time,amount\n', 'UTF8'), 'csv');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM qr_statement_parse(convert_to(E'id,time,amount\n', 'UTF8'), 'csv', '{"columns": {"provider_txn": "id", "ts": "time"}}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM qr_statement_parse(convert_to(E'id,time,amount\n', 'UTF8'), 'csv', '{"columns": {"provider_txn": "id", "ts": "when", "amount": "amount"}}');
\echo :LAST_ERROR_SQLSTATE
-- bad mappings
SELECT * FROM qr_statement_parse(convert_to(E'id\n', 'UTF8'), 'csv', '["columns"]');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM qr_statement_parse(convert_to(E'id\n', 'UTF8'), 'csv', '{"colums": {}}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM qr_statement_parse(convert_to(E'id\n', 'UTF8'), 'csv', '{"columns": {"txn": "id"}}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM qr_statement_parse(convert_to(E'id\n', 'UTF8'), 'csv', '{"columns": {"provider_txn": 1}}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM qr_statement_parse(convert_to(E'id\n', 'UTF8'), 'csv', '{"columns": ["id"]}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM qr_statement_parse(convert_to(E'id\n', 'UTF8'), 'wechatpay', '{"delimiter": "||"}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM qr_statement_parse(convert_to(E'id\n', 'UTF8'), 'wechatpay', '{"delimiter": "\""}');
SELECT * FROM qr_statement_parse(convert_to(E'id\n', 'UTF8'), 'wechatpay', '{"encoding": "LATIN1"}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM qr_statement_parse(convert_to(E'id\n', 'UTF8'), 'wechatpay', '{"time_zone": "Mars/Olympus"}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM qr_statement_parse(convert_to(E'id\n', 'UTF8'), 'wechatpay', '{"time_zone": 8}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM qr_statement_wechat(E'交易时间,微信订单号,应结订单金额\n', 'Mars/Olympus');
\echo :LAST_ERROR_SQLSTATE
SELECT qr_csv_fields('a,b', '');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM qr_statement_csv(E'a,b\n1,2', 'fps', '{"ts": "a", "amount": "b"}');
\echo :LAST_ERROR_SQLSTATE
-- NULLs: no file, no rows; a NULL format is told from the header, a NULL mapping is none
SELECT count(*) AS no_rows FROM qr_statement_parse(NULL);
SELECT count(*) AS no_rows FROM qr_statement_info(NULL, 'csv', '{}');
SELECT count(*) AS rows FROM qr_statement_parse((SELECT file FROM wx_all), NULL, NULL);
SELECT * FROM qr_statement_read(E'a\n', 'fps', NULL, 'a', NULL, NULL, ',', 'UTC');
\echo :LAST_ERROR_SQLSTATE

-- Alipay's footer counts and sums the payments (交易合计) and the refunds
-- (退款合计, negative as their lines print it) apart
CREATE TABLE ali_footer AS SELECT convert_to(E'#支付宝业务明细查询\n支付宝交易号,商户订单号,业务类型,完成时间,商家实收（元）,服务费（元）,退款批次号/请求号\n'
    || E'2088a\t,O1\t,交易\t,2025-03-01 10:00:00\t,10.00\t,0.06\t,\t\n'
    || E'2088a\t,O1\t,退款\t,2025-03-01 11:00:00\t,-4.00\t,0.00\t,RF1\t\n'
    || E'#-----------------------------------------业务明细列表结束------------------------------------\n'
    || E'#交易合计：1笔，商家实收共10.00元，商家优惠共0.00元\n#退款合计：1笔，商家实收退款共-4.00元，商家优惠退款共0.00元\n'
    || E'#导出时间：[2025年03月02日 09:00:00]\n', 'GBK') AS file;
SELECT summary, records, error FROM qr_statement_info((SELECT file FROM ali_footer));
SELECT line, provider_txn, amount, status, refund_reference, refund_amount FROM qr_statement_parse((SELECT file FROM ali_footer));
-- a footer that does not count the lines says so
SELECT error FROM qr_statement_info(convert_to(replace(convert_from((SELECT file FROM ali_footer), 'GBK'), '#退款合计：1笔', '#退款合计：2笔'), 'GBK'));


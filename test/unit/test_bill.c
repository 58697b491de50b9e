/*
 * test_bill.c — unit tests of the statement readers (src/core/qr_bill.c):
 * RFC 4180 records, then the WeChat Pay, Alipay and CSV layouts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qr_bill.h"
#include "check.h"

/* the records of s, their texts joined by "|", their lines in lines[] */
static int
records(const char *s, char *out, long *lines, int *open)
{
	size_t		len = strlen(s);
	qr_rec_reader r;
	qr_record	rec;
	int			n = 0;

	out[0] = '\0';
	*open = 0;
	qr_rec_init(&r, s, len, ',');
	while (qr_rec_next(&r, &rec))
	{
		if (n)
			strcat(out, "|");
		strncat(out, rec.text, rec.len);
		lines[n++] = rec.line;
		*open |= rec.open_quote;
	}
	return n;
}

static void
test_records(void)
{
	char		out[256];
	long		lines[16];
	int			open;
	int			n;

	n = records("a,b\nc,d\n", out, lines, &open);
	CHECK(n == 2 && strcmp(out, "a,b|c,d") == 0 && lines[1] == 2, "LF: %d %s", n, out);
	n = records("a,b\r\nc,d", out, lines, &open);
	CHECK(n == 2 && strcmp(out, "a,b|c,d") == 0, "CRLF, no final break: %d %s", n, out);
	n = records("\xef\xbb\xbf" "a\nb\n", out, lines, &open);
	CHECK(n == 2 && strcmp(out, "a|b") == 0, "BOM skipped: %d %s", n, out);
	/* a quoted LF and a quoted CRLF stay in the record; the next starts lines later */
	n = records("x,\"a\nb\",y\nz,\"c\r\nd\"\r\nw\n", out, lines, &open);
	CHECK(n == 3 && strcmp(out, "x,\"a\nb\",y|z,\"c\r\nd\"|w") == 0, "quoted breaks: %d %s", n, out);
	CHECK(lines[0] == 1 && lines[1] == 3 && lines[2] == 5, "lines %ld %ld %ld", lines[0], lines[1], lines[2]);
	/* doubled quotes do not close; a quote inside an unquoted field is text */
	n = records("\"a\"\"\nb\",c\"d\ne\n", out, lines, &open);
	CHECK(n == 2 && lines[1] == 3, "doubled quote: %d %s", n, out);
	/* empty lines are empty records */
	n = records("a\n\n,\n", out, lines, &open);
	CHECK(n == 3 && strcmp(out, "a||,") == 0, "empty records: %d %s", n, out);
	/* a quote left open runs to the end, and says so */
	n = records("a\n\"b\nc\nd", out, lines, &open);
	CHECK(n == 2 && open && lines[1] == 2, "open quote: %d %d", n, open);
	n = records("", out, lines, &open);
	CHECK(n == 0, "empty file");

	/* a long quoted field: one record, read in linear time */
	{
		size_t		len = 4 * 1000 * 1000;
		char	   *s = malloc(len);
		qr_rec_reader r;
		qr_record	rec;

		memset(s, 'x', len);
		s[0] = '"';
		for (size_t i = 1000; i < len - 10; i += 1000)
		{
			/* doubled quotes and line breaks, neither ending the field */
			s[i] = (i / 1000) % 2 ? '\n' : '"';
			s[i + 1] = (i / 1000) % 2 ? 'x' : '"';
		}
		s[len - 2] = '"';
		s[len - 1] = '\n';
		qr_rec_init(&r, s, len, ',');
		n = 0;
		while (qr_rec_next(&r, &rec))
			n++;
		CHECK(n == 1, "long quoted field: %d records", n);
		free(s);
	}
}

static void
test_values(void)
{
	qr_bill_time t;

	CHECK(qr_bill_parse_time("2024-02-29 23:59:59", 19, &t) && t.day == 29 && t.sec == 59, "time");
	CHECK(qr_bill_parse_time("2024-02-29T23:59", 16, &t) && t.sec == 0, "time with T, no seconds");
	CHECK(!qr_bill_parse_time("2024-02-29 24:00:00", 19, &t), "hour 24");
	CHECK(!qr_bill_parse_time("2024-2-29 10:00:00", 18, &t), "one-digit month");
	CHECK(!qr_bill_parse_time("2024-13-01 10:00", 16, &t), "month 13");
	CHECK(!qr_bill_parse_time("2024-01-01 10:00:0", 18, &t), "short seconds");
	CHECK(qr_bill_is_number("12", 2) && qr_bill_is_number("-0.50", 5), "numbers");
	CHECK(!qr_bill_is_number("", 0) && !qr_bill_is_number("-", 1) && !qr_bill_is_number("1.", 2)
		  && !qr_bill_is_number(".5", 2) && !qr_bill_is_number("1e5", 3) && !qr_bill_is_number("+1", 2),
		  "not numbers");
}

/* opens s as format f, with a work buffer of its own */
static int
open_bill(qr_bill *b, qr_bill_format f, const char *s, char **work)
{
	size_t		len = strlen(s);

	memset(b, 0, sizeof(*b));
	b->format = f;
	b->delim = ',';
	*work = malloc(2 * len + 2);
	b->work = *work;
	return qr_bill_open(b, s, len);
}

static int
value_is(const qr_bill_row *row, qr_col c, const char *want)
{
	if (want == NULL)
		return row->val[c] == NULL;
	return row->val[c] && row->val_len[c] == strlen(want)
		   && memcmp(row->val[c], want, row->val_len[c]) == 0;
}

static const char *
total(const qr_bill *b, const char *key, char *buf)
{
	for (int i = 0; i < b->ntotals; i++)
		if (b->totals[i].key_len == strlen(key) && memcmp(b->totals[i].key, key, strlen(key)) == 0)
		{
			memcpy(buf, b->totals[i].value, b->totals[i].value_len);
			buf[b->totals[i].value_len] = '\0';
			return buf;
		}
	return NULL;
}

#define WX_ALL "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注"
#define WX_SUCCESS "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,商品名称,商户数据包,手续费,费率,订单金额,费率备注"
#define WX_REFUND "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,退款申请时间,退款成功时间,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注"
#define WX_OLD "交易时间,公众账号ID,商户号,子商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,总金额,代金券或立减优惠金额,退款申请时间,退款成功时间,微信退款单号,商户退款单号,退款金额,代金券或立减优惠退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率"
#define WX_SUMMARY "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"

static void
test_wechat(void)
{
	qr_bill		b;
	qr_bill_row row;
	char	   *work;
	char		buf[64];
	const char *all = WX_ALL "\r\n"
					  "`2025-03-01 10:00:00,`wx1,`190,`0,`,`4200000001,`ORD1,`oU,`NATIVE,`SUCCESS,`CMB,`CNY,`10.00,`0.00,`0,`0,`0.00,`0.00,`,`,\"`two\r\nlines, \"\"q\"\"\",`,`0.06000,`0.60%,`10.00,`0.00,`\r\n"
					  "`2025-03-01 10:05:00,`wx1,`190,`0,`,`4200000002,`ORD2,`oU,`JSAPI,`REFUND,`CFT,`,`0.00,`0.00,`5000001,`RF2,`5.00,`0.00,`ORIGINAL,`SUCCESS,`tea,`,`-0.03000,`0.60%,`0.00,`5.00,`\r\n"
					  WX_SUMMARY "\r\n`2,`10.00,`5.00,`0.00,`0.03000,`10.00,`5.00\r\n";

	CHECK(open_bill(&b, QR_BILL_DETECT, all, &work), "ALL opens: %s", b.message);
	CHECK(b.format == QR_BILL_WECHATPAY && strcmp(b.bill_type, "ALL") == 0 && b.ncols == 27 && b.crlf,
		  "ALL: format %d, %ld columns", b.format, b.ncols);
	CHECK(qr_bill_next(&b, &row) && row.ok && row.line == 2, "row 1: %s", row.error);
	CHECK(value_is(&row, QR_COL_PROVIDER_TXN, "4200000001") && value_is(&row, QR_COL_AMOUNT, "10.00")
		  && value_is(&row, QR_COL_FEE, "0.06000") && row.ts.hour == 10, "row 1 values");
	/* the quoted product name: one field, its CRLF and quote kept */
	CHECK(row.f[20].len == strlen("two\r\nlines, \"q\"") && memcmp(row.f[20].value, "two\r\nlines, \"q\"", row.f[20].len) == 0
		  && !qr_bill_is_mapped(&b, 20), "quoted product name");
	CHECK(qr_bill_next(&b, &row) && row.ok && row.line == 4, "row 2 on line 4: %ld %s", row.line, row.error);
	CHECK(value_is(&row, QR_COL_REFUND_TXN, "5000001") && value_is(&row, QR_COL_REFUND_AMOUNT, "5.00")
		  && value_is(&row, QR_COL_CURRENCY, ""), "row 2 refund values");
	CHECK(!qr_bill_next(&b, &row), "rows end at the summary");
	qr_bill_finish(&b);
	CHECK(b.has_summary && b.summary_line == 6 && b.ntotals == 7 && b.records == 2, "summary: %d %ld %d",
		  b.has_summary, b.summary_line, b.ntotals);
	CHECK(total(&b, "count", buf) && strcmp(buf, "2") == 0 && total(&b, "refund_requested_amount", buf)
		  && strcmp(buf, "5.00") == 0 && total(&b, "coupon_refund_amount", buf), "totals");
	free(work);

	CHECK(open_bill(&b, QR_BILL_WECHATPAY, WX_SUCCESS "\n" WX_SUMMARY "\n`0,`0,`0,`0,`0,`0,`0\n", &work)
		  && strcmp(b.bill_type, "SUCCESS") == 0 && b.ncols == 20 && b.col[QR_COL_REFUND_TXN] < 0, "SUCCESS");
	CHECK(!qr_bill_next(&b, &row), "SUCCESS: no rows");
	free(work);
	CHECK(open_bill(&b, QR_BILL_WECHATPAY, WX_REFUND "\n", &work) && strcmp(b.bill_type, "REFUND") == 0
		  && b.ncols == 29, "REFUND");
	free(work);
	CHECK(open_bill(&b, QR_BILL_WECHATPAY, WX_OLD "\n`2014-11-10 16:33:45,`wx,`1,`0,`1,`100169,`141,`085,`MICROPAY,`REFUND,`CFT,`CNY,`0.01,`0.0,`2014-11-10 16:40:00,`2014-11-10 16:40:05,`200169,`RF1,`0.01,`0.0,`ORIGINAL,`SUCCESS,`g,`,`0.00000,`0.60%\n"
					"总交易单数,总交易额,总退款金额,总代金券或立减优惠退款金额,手续费总金额\n`1,`0.01,`0.01,`0.0,`0\n", &work)
		  && strcmp(b.bill_type, "REFUND") == 0 && b.ncols == 26, "old layout: %s", b.message);
	CHECK(qr_bill_next(&b, &row) && row.ok && value_is(&row, QR_COL_AMOUNT, "0.01"), "old layout: amount from 总金额");
	qr_bill_finish(&b);
	CHECK(b.ntotals == 5 && total(&b, "amount", buf) && strcmp(buf, "0.01") == 0 && total(&b, "fee", buf),
		  "old summary");
	free(work);

	/* errors: a bad value names its column, a quote left open its line */
	CHECK(open_bill(&b, QR_BILL_WECHATPAY, "交易时间,微信订单号,应结订单金额\n`2025-02-29 10:00,`w,`1\n`2025-03-01 10:00,`w,`x\n`2025-03-01 10:00,`w,\"1\n总交易单数\n`3\n", &work), "errors open");
	CHECK(qr_bill_next(&b, &row) && !row.ok && strstr(row.error, "not a day of its month") && strstr(row.error, "交易时间"), "%s", row.error);
	CHECK(qr_bill_next(&b, &row) && !row.ok && strstr(row.error, "amount \"x\" in column \"应结订单金额\""), "%s", row.error);
	CHECK(qr_bill_next(&b, &row) && !row.ok && strstr(row.error, "line 4: the quote opened in column \"应结订单金额\""), "%s", row.error);
	CHECK(!qr_bill_next(&b, &row), "the open quote took the rest");
	qr_bill_finish(&b);
	CHECK(!b.has_summary && b.open_quote_line == 4, "no summary after an open quote");
	free(work);
	CHECK(!open_bill(&b, QR_BILL_WECHATPAY, "交易时间,微信订单号\n", &work) && b.missing == QR_COL_AMOUNT,
		  "missing amount: %s", b.message);
	free(work);
	CHECK(!open_bill(&b, QR_BILL_DETECT, "a,b\n1,2\n", &work) && strstr(b.message, "no header line"), "undetectable");
	free(work);
}

static void
test_alipay(void)
{
	qr_bill		b;
	qr_bill_row row;
	char	   *work;
	char		buf[64];
	const char *s =
		"#支付宝业务明细查询\n#账号：[20881234567890]\n"
		"#起始日期：[2025年03月01日 00:00:00]   终止日期：[2025年03月02日 00:00:00]\n"
		"#-----------------------------------------业务明细列表----------------------------------------\n"
		"支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注\n"
		"2088001\t,ORD1\t,交易\t,咖啡\t,2025-03-01 10:00:00\t,2025-03-01 10:00:05\t,\t,\t,\t,\t,b@x\t,10.00\t,10.00\t,0.00\t,0.00\t,0.00\t,0.00\t,0.00\t,\t,0.00\t,0.00\t,\t,-0.06\t,0.00\t,\t\n"
		"2088001\t,ORD1\t,退款\t,咖啡\t,2025-03-01 11:00:00\t,2025-03-01 11:00:02\t,\t,\t,\t,\t,b@x\t,10.00\t,-4.00\t,0.00\t,0.00\t,0.00\t,0.00\t,0.00\t,\t,0.00\t,0.00\t,RF1\t,0.02\t,0.00\t,\t\n"
		"#-----------------------------------------业务明细列表结束------------------------------------\n"
		"#交易合计：2笔\n#导出时间：[2025年03月02日 09:00:00]\n";

	CHECK(open_bill(&b, QR_BILL_DETECT, s, &work) && b.format == QR_BILL_ALIPAY && b.ncols == 25
		  && b.header_line == 5, "Alipay opens: %s", b.message);
	CHECK(qr_bill_next(&b, &row) && row.ok && value_is(&row, QR_COL_PROVIDER_TXN, "2088001")
		  && value_is(&row, QR_COL_FEE, "-0.06") && value_is(&row, QR_COL_REFUND_AMOUNT, NULL)
		  && row.ts.sec == 5, "trade row: %s", row.error);
	CHECK(qr_bill_next(&b, &row) && row.ok && value_is(&row, QR_COL_STATUS, "退款")
		  && value_is(&row, QR_COL_AMOUNT, "-4.00") && value_is(&row, QR_COL_REFUND_AMOUNT, "4.00")
		  && value_is(&row, QR_COL_REFUND_REFERENCE, "RF1"), "refund row");
	CHECK(!qr_bill_next(&b, &row), "rows end at the footer");
	qr_bill_finish(&b);
	CHECK(b.has_summary && total(&b, "count", buf) && strcmp(buf, "2") == 0 && b.summary_line == 9,
		  "footer count");
	CHECK(b.has_period && b.period_start.day == 1 && b.period_end.day == 2 && b.period_end.hour == 0,
		  "period");
	free(work);
}

static void
test_csv_mapping(void)
{
	qr_bill		b;
	qr_bill_row row;
	char	   *work;
	const char *s = "id;when;sum\nA;2025-03-01 10:00;1.5\n\"B;1\";2025-03-01 10:01;2\n";

	memset(&b, 0, sizeof(b));
	b.format = QR_BILL_CSV;
	b.delim = ';';
	b.name[QR_COL_PROVIDER_TXN] = "id";
	b.name_len[QR_COL_PROVIDER_TXN] = 2;
	b.name[QR_COL_TS] = "when";
	b.name_len[QR_COL_TS] = 4;
	b.name[QR_COL_AMOUNT] = "sum";
	b.name_len[QR_COL_AMOUNT] = 3;
	work = malloc(2 * strlen(s) + 2);
	b.work = work;
	CHECK(qr_bill_open(&b, s, strlen(s)), "csv opens: %s", b.message);
	CHECK(qr_bill_next(&b, &row) && row.ok && value_is(&row, QR_COL_AMOUNT, "1.5"), "csv row 1");
	CHECK(qr_bill_next(&b, &row) && row.ok && value_is(&row, QR_COL_PROVIDER_TXN, "B;1"), "csv row 2");
	CHECK(!qr_bill_next(&b, &row), "csv end");
	free(work);
}

void
test_bill(void)
{
	test_records();
	test_values();
	test_wechat();
	test_alipay();
	test_csv_mapping();
}

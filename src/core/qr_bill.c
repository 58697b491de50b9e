/*
 * qr_bill.c — provider bills read from the whole file: records first, then
 * the layouts of WeChat Pay, Alipay and any mapped CSV on top of them.
 *
 * Records.  A statement line used to be a physical line, so a quoted field
 * holding a line break (a WeChat Pay 商品名称 typed on two lines) cut its
 * row in two and shifted every line after it.  Here a record ends at a LF
 * (or CRLF) outside quotes (RFC 4180 §2, rule 6).  The reader keeps the
 * lenient quoting of qr_csv_split (a quote opens only at the start of a
 * field; text after the closing quote is kept), walking each byte once, so
 * a field of any length costs linear time.  A quote still open at the end
 * of the file cannot be told from a missing quote character: the record is
 * reported as unreadable, naming the line it started on, instead of
 * silently taking in the rest of the file.
 *
 * Layouts.  Columns are found by their header names, never by position:
 *
 *   WeChat Pay (downloadbill v2).  The header names the columns; every
 *   field of a data row (and of the totals line) opens with a backtick;
 *   the rows end at the summary header, which opens with 总交易单数, and
 *   the line after it holds the totals.  The ALL header has 27 columns
 *   (doc/reconciliation.md, Provider bills).  The SUCCESS header (20 columns: no refund
 *   columns) and the REFUND header (29 columns: 退款申请时间 and 退款成功时间
 *   before 微信退款单号) are those of WxJava's bill fixtures
 *   (Wechat-Group/weixin-java-tools, weixin-java-pay/src/test/java/com/
 *   github/binarywang/wxpay/bean/result/WxPayBillResultTest.java), which
 *   also shows all three ending with the same 7-name summary.  The older
 *   layout (总金额 for 应结订单金额, 代金券或立减优惠金额; 24 columns for ALL,
 *   26 for REFUND; a 5-name summary 总交易单数, 总交易额, 总退款金额,
 *   总代金券或立减优惠退款金额, 手续费总金额) is that of the downloadbill
 *   documentation as SDKs reproduce it (chzhxiang/hhtc).
 *   The bill type is read from the header: 退款申请时间 makes it REFUND,
 *   微信退款单号 otherwise ALL, neither SUCCESS.  RECHARGE_REFUND bills are
 *   not documented in the sources above; they read by name like the rest.
 *
 *   Alipay (业务明细, doc/reconciliation.md, Provider bills).  '#' lines before the header (the
 *   account, 起始日期：[...]   终止日期：[...]) and after the rows (the end
 *   of the list, 交易合计：N笔, the export time); fields padded with a tab.
 *   A 退款 row's 商家实收（元） is negative as the file prints it; its
 *   refund_amount is that amount's absolute value.
 *
 *   CSV.  The caller names the header of each column.
 *
 * Every field is cleaned the same way: one leading backtick dropped, then
 * spaces and tabs trimmed at both ends (as the SQL readers of 0.6.0 did,
 * in every format).
 */
#include <stdio.h>
#include <string.h>

#include "qr_bill.h"

/* Column names, as UTF-8 byte escapes (the Chinese in the comments) */
#define ZH_WECHAT_TXN		"\xe5\xbe\xae\xe4\xbf\xa1\xe8\xae\xa2\xe5\x8d\x95\xe5\x8f\xb7"	/* 微信订单号 */
#define ZH_ALIPAY_TXN		"\xe6\x94\xaf\xe4\xbb\x98\xe5\xae\x9d\xe4\xba\xa4\xe6\x98\x93\xe5\x8f\xb7"	/* 支付宝交易号 */
#define ZH_TRADE_TIME		"\xe4\xba\xa4\xe6\x98\x93\xe6\x97\xb6\xe9\x97\xb4"	/* 交易时间 */
#define ZH_MERCHANT_ORDER	"\xe5\x95\x86\xe6\x88\xb7\xe8\xae\xa2\xe5\x8d\x95\xe5\x8f\xb7"	/* 商户订单号 */
#define ZH_TRADE_STATE		"\xe4\xba\xa4\xe6\x98\x93\xe7\x8a\xb6\xe6\x80\x81"	/* 交易状态 */
#define ZH_CURRENCY			"\xe8\xb4\xa7\xe5\xb8\x81\xe7\xa7\x8d\xe7\xb1\xbb"	/* 货币种类 */
#define ZH_SETTLE_AMOUNT	"\xe5\xba\x94\xe7\xbb\x93\xe8\xae\xa2\xe5\x8d\x95\xe9\x87\x91\xe9\xa2\x9d"	/* 应结订单金额 */
#define ZH_TOTAL_AMOUNT		"\xe6\x80\xbb\xe9\x87\x91\xe9\xa2\x9d"	/* 总金额 */
#define ZH_WECHAT_REFUND	"\xe5\xbe\xae\xe4\xbf\xa1\xe9\x80\x80\xe6\xac\xbe\xe5\x8d\x95\xe5\x8f\xb7"	/* 微信退款单号 */
#define ZH_MERCHANT_REFUND	"\xe5\x95\x86\xe6\x88\xb7\xe9\x80\x80\xe6\xac\xbe\xe5\x8d\x95\xe5\x8f\xb7"	/* 商户退款单号 */
#define ZH_REFUND_AMOUNT	"\xe9\x80\x80\xe6\xac\xbe\xe9\x87\x91\xe9\xa2\x9d"	/* 退款金额 */
#define ZH_FEE				"\xe6\x89\x8b\xe7\xbb\xad\xe8\xb4\xb9"	/* 手续费 */
#define ZH_REFUND_APPLIED	"\xe9\x80\x80\xe6\xac\xbe\xe7\x94\xb3\xe8\xaf\xb7\xe6\x97\xb6\xe9\x97\xb4"	/* 退款申请时间 */
#define ZH_SUMMARY			"\xe6\x80\xbb\xe4\xba\xa4\xe6\x98\x93\xe5\x8d\x95\xe6\x95\xb0"	/* 总交易单数 */
#define ZH_BIZ_TYPE			"\xe4\xb8\x9a\xe5\x8a\xa1\xe7\xb1\xbb\xe5\x9e\x8b"	/* 业务类型 */
#define ZH_DONE_TIME		"\xe5\xae\x8c\xe6\x88\x90\xe6\x97\xb6\xe9\x97\xb4"	/* 完成时间 */
#define ZH_RECEIVED			"\xe5\x95\x86\xe5\xae\xb6\xe5\xae\x9e\xe6\x94\xb6\xef\xbc\x88\xe5\x85\x83\xef\xbc\x89"	/* 商家实收（元） */
#define ZH_SERVICE_FEE		"\xe6\x9c\x8d\xe5\x8a\xa1\xe8\xb4\xb9\xef\xbc\x88\xe5\x85\x83\xef\xbc\x89"	/* 服务费（元） */
#define ZH_REFUND_BATCH		"\xe9\x80\x80\xe6\xac\xbe\xe6\x89\xb9\xe6\xac\xa1\xe5\x8f\xb7/\xe8\xaf\xb7\xe6\xb1\x82\xe5\x8f\xb7"	/* 退款批次号/请求号 */
#define ZH_REFUND			"\xe9\x80\x80\xe6\xac\xbe"	/* 退款 */
#define ZH_TRADE_COUNT		"\xe4\xba\xa4\xe6\x98\x93\xe5\x90\x88\xe8\xae\xa1\xef\xbc\x9a"	/* 交易合计： */
#define ZH_REFUND_COUNT		"\xe9\x80\x80\xe6\xac\xbe\xe5\x90\x88\xe8\xae\xa1\xef\xbc\x9a"	/* 退款合计： */
#define ZH_RECEIVED_SUM		"\xe5\x95\x86\xe5\xae\xb6\xe5\xae\x9e\xe6\x94\xb6\xe5\x85\xb1"	/* 商家实收共 */
#define ZH_RECEIVED_REFUND_SUM	"\xe5\x95\x86\xe5\xae\xb6\xe5\xae\x9e\xe6\x94\xb6\xe9\x80\x80\xe6\xac\xbe\xe5\x85\xb1"	/* 商家实收退款共 */
#define ZH_DISCOUNT_SUM		"\xe5\x95\x86\xe5\xae\xb6\xe4\xbc\x98\xe6\x83\xa0\xe5\x85\xb1"	/* 商家优惠共 */
#define ZH_DISCOUNT_REFUND_SUM	"\xe5\x95\x86\xe5\xae\xb6\xe4\xbc\x98\xe6\x83\xa0\xe9\x80\x80\xe6\xac\xbe\xe5\x85\xb1"	/* 商家优惠退款共 */
#define ZH_YUAN				"\xe5\x85\x83"	/* 元 */
#define ZH_PERIOD_START		"\xe8\xb5\xb7\xe5\xa7\x8b\xe6\x97\xa5\xe6\x9c\x9f\xef\xbc\x9a["	/* 起始日期：[ */
#define ZH_PERIOD_END		"\xe7\xbb\x88\xe6\xad\xa2\xe6\x97\xa5\xe6\x9c\x9f\xef\xbc\x9a["	/* 终止日期：[ */
#define ZH_YEAR				"\xe5\xb9\xb4"	/* 年 */
#define ZH_MONTH			"\xe6\x9c\x88"	/* 月 */
#define ZH_DAY				"\xe6\x97\xa5"	/* 日 */

#define LIT(s) s, sizeof(s) - 1

static const char *const col_names[QR_NCOL] = {
	"ts", "provider_txn", "reference", "amount", "currency", "fee", "status",
	"refund_txn", "refund_reference", "refund_amount"
};

/* what a column is called in messages */
static const char *const col_words[QR_NCOL] = {
	"time", "provider transaction", "reference", "amount", "currency", "fee", "status",
	"refund transaction", "refund reference", "refund amount"
};

/* The WeChat Pay summary's names and the keys they are given. */
static const struct
{
	const char *name;
	size_t		len;
	const char *key;
}			wechat_totals[] = {
	{LIT(ZH_SUMMARY), "count"},
	/* 应结订单总金额 */
	{LIT("\xe5\xba\x94\xe7\xbb\x93\xe8\xae\xa2\xe5\x8d\x95\xe6\x80\xbb\xe9\x87\x91\xe9\xa2\x9d"), "amount"},
	/* 总交易额 (older layout) */
	{LIT("\xe6\x80\xbb\xe4\xba\xa4\xe6\x98\x93\xe9\xa2\x9d"), "amount"},
	/* 退款总金额 */
	{LIT("\xe9\x80\x80\xe6\xac\xbe\xe6\x80\xbb\xe9\x87\x91\xe9\xa2\x9d"), "refund_amount"},
	/* 总退款金额 (older layout) */
	{LIT("\xe6\x80\xbb\xe9\x80\x80\xe6\xac\xbe\xe9\x87\x91\xe9\xa2\x9d"), "refund_amount"},
	/* 充值券退款总金额 */
	{LIT("\xe5\x85\x85\xe5\x80\xbc\xe5\x88\xb8\xe9\x80\x80\xe6\xac\xbe\xe6\x80\xbb\xe9\x87\x91\xe9\xa2\x9d"), "coupon_refund_amount"},
	/* 总代金券或立减优惠退款金额 (older layout) */
	{LIT("\xe6\x80\xbb\xe4\xbb\xa3\xe9\x87\x91\xe5\x88\xb8\xe6\x88\x96\xe7\xab\x8b\xe5\x87\x8f\xe4\xbc\x98\xe6\x83\xa0\xe9\x80\x80\xe6\xac\xbe\xe9\x87\x91\xe9\xa2\x9d"), "coupon_refund_amount"},
	/* 手续费总金额 */
	{LIT("\xe6\x89\x8b\xe7\xbb\xad\xe8\xb4\xb9\xe6\x80\xbb\xe9\x87\x91\xe9\xa2\x9d"), "fee"},
	/* 订单总金额 */
	{LIT("\xe8\xae\xa2\xe5\x8d\x95\xe6\x80\xbb\xe9\x87\x91\xe9\xa2\x9d"), "order_amount"},
	/* 申请退款总金额 */
	{LIT("\xe7\x94\xb3\xe8\xaf\xb7\xe9\x80\x80\xe6\xac\xbe\xe6\x80\xbb\xe9\x87\x91\xe9\xa2\x9d"), "refund_requested_amount"}
};

const char *
qr_bill_format_name(qr_bill_format f)
{
	switch (f)
	{
		case QR_BILL_WECHATPAY:
			return "wechatpay";
		case QR_BILL_ALIPAY:
			return "alipay";
		case QR_BILL_CSV:
			return "csv";
		case QR_BILL_DETECT:
			break;
	}
	return NULL;
}

const char *
qr_col_name(qr_col c)
{
	return (unsigned) c < QR_NCOL ? col_names[c] : NULL;
}

int
qr_col_parse(const char *s, size_t n)
{
	for (int c = 0; c < QR_NCOL; c++)
		if (strlen(col_names[c]) == n && memcmp(col_names[c], s, n) == 0)
			return c;
	return -1;
}

/* ------------------------------------------------------------------ */
/* Records                                                             */
/* ------------------------------------------------------------------ */

int
qr_rec_init(qr_rec_reader *r, const char *buf, size_t len, char delim)
{
	r->buf = buf;
	r->len = len;
	r->pos = 0;
	r->line = 1;
	r->delim = delim;
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
	{
		r->pos = 3;
		return 1;
	}
	return 0;
}

int
qr_rec_next(qr_rec_reader *r, qr_record *rec)
{
	const char *s = r->buf;
	size_t		i = r->pos,
				n = r->len;
	enum
	{
		FIELD_START, UNQUOTED, QUOTED
	}			state = FIELD_START;
	long		breaks = 0;

	if (i >= n)
		return 0;
	rec->text = s + i;
	rec->line = r->line;
	rec->open_quote = 0;
	rec->crlf = 0;
	rec->quoted = 0;

	/*
	 * Most records hold no quote: such a record ends at the next LF, which
	 * memchr finds faster than the walk below.
	 */
	{
		const char *lf = memchr(s + i, '\n', n - i);
		size_t		end = lf ? (size_t) (lf - s) : n;

		if (memchr(s + i, '"', end - i) == NULL)
		{
			rec->len = end - i;
			if (lf)
			{
				if (rec->len > 0 && rec->text[rec->len - 1] == '\r')
				{
					rec->len--;
					rec->crlf = 1;
				}
				end++;
				r->line++;
			}
			r->pos = end;
			return 1;
		}
	}
	rec->quoted = 1;
	for (; i < n; i++)
	{
		char		c = s[i];

		if (c == '\n')
		{
			if (state != QUOTED)
				break;
			breaks++;
			continue;
		}
		switch (state)
		{
			case QUOTED:
				if (c == '"')
				{
					if (i + 1 < n && s[i + 1] == '"')
						i++;	/* a doubled quote: one '"' of text */
					else
						state = UNQUOTED;
				}
				break;
			case FIELD_START:
				if (c == '"')
					state = QUOTED;
				else if (c != r->delim)
					state = UNQUOTED;
				break;
			case UNQUOTED:
				if (c == r->delim)
					state = FIELD_START;
				break;
		}
	}
	rec->len = (size_t) (s + i - rec->text);
	if (i < n)
	{
		/* the LF; a CR before it (outside quotes, as the LF is) goes too */
		if (rec->len > 0 && rec->text[rec->len - 1] == '\r')
		{
			rec->len--;
			rec->crlf = 1;
		}
		i++;
		breaks++;
	}
	else
		rec->open_quote = state == QUOTED;
	r->pos = i;
	r->line += breaks;
	return 1;
}

/* ------------------------------------------------------------------ */
/* Values                                                              */
/* ------------------------------------------------------------------ */

static int
days_in_month(int y, int m)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return days[m - 1];
}

static int
digits(const char *s, int n, int *out)
{
	int			v = 0;

	for (int i = 0; i < n; i++)
	{
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 1;
}

int
qr_bill_parse_time(const char *s, size_t n, qr_bill_time *t)
{
	/* YYYY-MM-DD hh:mm, then optionally :ss */
	if (n != 16 && n != 19)
		return 0;
	if (s[4] != '-' || s[7] != '-' || (s[10] != ' ' && s[10] != 'T') || s[13] != ':')
		return 0;
	if (!digits(s, 4, &t->year) || !digits(s + 5, 2, &t->mon) || !digits(s + 8, 2, &t->day)
		|| !digits(s + 11, 2, &t->hour) || !digits(s + 14, 2, &t->min))
		return 0;
	t->sec = 0;
	if (n == 19 && (s[16] != ':' || !digits(s + 17, 2, &t->sec)))
		return 0;
	return t->year >= 1000 && t->mon >= 1 && t->mon <= 12 && t->day >= 1
		   && t->day <= 31 && t->hour <= 23 && t->min <= 59 && t->sec <= 59;
}

static int
day_exists(const qr_bill_time *t)
{
	return t->day <= days_in_month(t->year, t->mon);
}

int
qr_bill_is_number(const char *s, size_t n)
{
	size_t		i = 0,
				d;

	if (i < n && s[i] == '-')
		i++;
	for (d = i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		;
	if (i == d)
		return 0;
	if (i == n)
		return 1;
	if (s[i] != '.')
		return 0;
	for (d = ++i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		;
	return i > d && i == n;
}

/* ------------------------------------------------------------------ */
/* Fields                                                              */
/* ------------------------------------------------------------------ */

/* one leading backtick dropped, spaces and tabs trimmed */
static void
clean(qr_csv_field *f)
{
	const char *s = f->value;
	size_t		n = f->len;

	if (n > 0 && s[0] == '`')
	{
		s++;
		n--;
	}
	while (n > 0 && (s[0] == ' ' || s[0] == '\t'))
	{
		s++;
		n--;
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	f->value = s;
	f->len = n;
}

long
qr_rec_split(const qr_record *rec, char delim, qr_csv_field *out, long max, char *buf)
{
	const char *s = rec->text,
				*end = rec->text + rec->len;
	long		n = 0;

	if (rec->quoted)
		return qr_csv_split(rec->text, rec->len, delim, out, max, buf);
	/* no quote: each field is the text between two delimiters */
	if (rec->len == 0)
		return 0;
	for (;;)
	{
		const char *d = memchr(s, delim, (size_t) (end - s));
		const char *e = d ? d : end;

		if (n < max)
		{
			out[n].value = s;
			out[n].len = (size_t) (e - s);
		}
		n++;
		if (d == NULL)
			return n;
		s = d + 1;
	}
}

/* The record's fields, cleaned, into out (values in buf or the file); their count. */
static long
split_clean(const qr_record *rec, char delim, qr_csv_field *out, long max, char *buf)
{
	long		n = qr_rec_split(rec, delim, out, max, buf);

	for (long i = 0; i < n && i < max; i++)
		clean(&out[i]);
	return n;
}

static int
eq(const qr_csv_field *f, const char *s, size_t n)
{
	return f->len == n && memcmp(f->value, s, n) == 0;
}

static int
starts(const char *s, size_t n, const char *p, size_t pn)
{
	return n >= pn && memcmp(s, p, pn) == 0;
}

/* a record of spaces and tabs only */
static int
blank(const qr_record *rec)
{
	for (size_t i = 0; i < rec->len; i++)
		if (rec->text[i] != ' ' && rec->text[i] != '\t')
			return 0;
	return 1;
}

/* the record opens with p once its backticks are dropped */
static int
opens_with(const qr_record *rec, const char *p, size_t pn)
{
	size_t		i = 0;

	while (i < rec->len && rec->text[i] == '`')
		i++;
	return starts(rec->text + i, rec->len - i, p, pn);
}

static long
find_name(const qr_bill *b, const char *name, size_t len)
{
	for (long i = 0; i < b->ncols && i < QR_BILL_MAX_COLS; i++)
		if (eq(&b->head[i], name, len))
			return i;
	return -1;
}

/*
 * A message cut by snprintf may end inside a character of a long header
 * name: drop the partial character, so that messages stay UTF-8.
 */
static void
whole_chars(char *msg)
{
	size_t		n = strlen(msg),
				k = n;

	while (k > 0 && ((unsigned char) msg[k - 1] & 0xC0) == 0x80)
		k--;
	if (k > 0 && ((unsigned char) msg[k - 1] & 0x80))
	{
		unsigned char lead = (unsigned char) msg[k - 1];
		size_t		want = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;

		if (n - (k - 1) < want)
			msg[k - 1] = '\0';
	}
}

/* ------------------------------------------------------------------ */
/* Opening a bill                                                      */
/* ------------------------------------------------------------------ */

static const char *
label(const qr_bill *b)
{
	return b->label ? b->label : qr_bill_format_name(b->format);
}

static void
set_default(qr_bill *b, qr_col c, const char *name, size_t len)
{
	if (b->name[c] == NULL)
	{
		b->name[c] = name;
		b->name_len[c] = len;
	}
}

static void
format_defaults(qr_bill *b)
{
	switch (b->format)
	{
		case QR_BILL_WECHATPAY:
			set_default(b, QR_COL_TS, LIT(ZH_TRADE_TIME));
			set_default(b, QR_COL_PROVIDER_TXN, LIT(ZH_WECHAT_TXN));
			set_default(b, QR_COL_REFERENCE, LIT(ZH_MERCHANT_ORDER));
			set_default(b, QR_COL_STATUS, LIT(ZH_TRADE_STATE));
			set_default(b, QR_COL_CURRENCY, LIT(ZH_CURRENCY));
			set_default(b, QR_COL_AMOUNT, LIT(ZH_SETTLE_AMOUNT));
			set_default(b, QR_COL_REFUND_TXN, LIT(ZH_WECHAT_REFUND));
			set_default(b, QR_COL_REFUND_REFERENCE, LIT(ZH_MERCHANT_REFUND));
			set_default(b, QR_COL_REFUND_AMOUNT, LIT(ZH_REFUND_AMOUNT));
			set_default(b, QR_COL_FEE, LIT(ZH_FEE));
			if (b->footer == NULL)
			{
				b->footer = ZH_SUMMARY;
				b->footer_len = sizeof(ZH_SUMMARY) - 1;
			}
			break;
		case QR_BILL_ALIPAY:
			set_default(b, QR_COL_PROVIDER_TXN, LIT(ZH_ALIPAY_TXN));
			set_default(b, QR_COL_REFERENCE, LIT(ZH_MERCHANT_ORDER));
			set_default(b, QR_COL_STATUS, LIT(ZH_BIZ_TYPE));
			set_default(b, QR_COL_TS, LIT(ZH_DONE_TIME));
			set_default(b, QR_COL_AMOUNT, LIT(ZH_RECEIVED));
			set_default(b, QR_COL_FEE, LIT(ZH_SERVICE_FEE));
			set_default(b, QR_COL_REFUND_REFERENCE, LIT(ZH_REFUND_BATCH));
			if (b->footer == NULL)
			{
				b->footer = "#";
				b->footer_len = 1;
			}
			if (b->comment == NULL)
			{
				b->comment = "#";
				b->comment_len = 1;
			}
			break;
		case QR_BILL_CSV:
		case QR_BILL_DETECT:
			break;
	}
	if (b->header_has == NULL)
	{
		b->header_has = b->name[QR_COL_PROVIDER_TXN];
		b->header_has_len = b->name_len[QR_COL_PROVIDER_TXN];
	}
}

/* The reader's state before the first record. */
static void
bill_reset(qr_bill *b, const char *buf, size_t len)
{
	b->rowbuf = b->work + len + 1;
	b->bom = qr_rec_init(&b->rd, buf, len, b->delim);
	b->crlf = 0;
	b->header_line = 0;
	b->bill_type = NULL;
	b->ncols = 0;
	b->message[0] = '\0';
	b->missing = -1;
	b->done = 0;
	b->records = 0;
	b->has_summary = 0;
	b->summary_line = 0;
	b->ntotals = 0;
	b->has_period = 0;
	b->open_quote_line = 0;
	memset(b->mapped, 0, sizeof(b->mapped));
	for (int c = 0; c < QR_NCOL; c++)
		b->col[c] = -1;
}

/*
 * Is field i of the header record the one that makes it the header?  When
 * the layout is to be detected, the provider's transaction column names
 * it (and brings the layout's defaults).
 */
static int
header_hit(qr_bill *b, long i)
{
	if (b->format != QR_BILL_DETECT)
		return eq(&b->head[i], b->header_has, b->header_has_len);
	if (eq(&b->head[i], LIT(ZH_WECHAT_TXN)))
		b->format = QR_BILL_WECHATPAY;
	else if (eq(&b->head[i], LIT(ZH_ALIPAY_TXN)))
		b->format = QR_BILL_ALIPAY;
	if (b->format == QR_BILL_DETECT)
		return 0;
	format_defaults(b);
	return 1;
}

/*
 * The header: the first record with a field of that name, split into
 * b->head (values in hbuf).  Sets b->header_line, 0 when there is none.
 */
static void
find_header(qr_bill *b, char *hbuf)
{
	qr_record	rec;

	while (qr_rec_next(&b->rd, &rec))
	{
		long		n;

		if (rec.open_quote)
			b->open_quote_line = rec.line;
		if (b->comment && starts(rec.text, rec.len, b->comment, b->comment_len))
			continue;
		n = split_clean(&rec, b->delim, b->head, QR_BILL_MAX_COLS, hbuf);
		for (long i = 0; i < n && i < QR_BILL_MAX_COLS; i++)
		{
			if (header_hit(b, i))
			{
				b->ncols = n;
				b->header_line = rec.line;
				b->crlf = rec.crlf;
				return;
			}
		}
	}
}

/* b->message when no record is the header */
static void
no_header(qr_bill *b)
{
	if (b->format == QR_BILL_DETECT)
		snprintf(b->message, sizeof(b->message),
				 "no header line names a column " ZH_WECHAT_TXN " (WeChat Pay) or " ZH_ALIPAY_TXN " (Alipay)");
	else
		snprintf(b->message, sizeof(b->message),
				 "not %s %s statement: no header line with column \"%.*s\"",
				 strchr("aeiouAEIOU", label(b)[0]) ? "an" : "a", label(b), (int) b->header_has_len, b->header_has);
	if (b->open_quote_line)
	{
		size_t		k = strlen(b->message);

		snprintf(b->message + k, sizeof(b->message) - k,
				 " (the quote opened on line %ld is not closed before the end of the file)",
				 b->open_quote_line);
	}
}

/*
 * The columns, by name, into b->col and b->mapped; 0 with b->message when
 * a column every row needs is missing.
 */
static int
map_columns(qr_bill *b)
{
	if (b->format == QR_BILL_WECHATPAY && find_name(b, LIT(ZH_SETTLE_AMOUNT)) < 0
		&& find_name(b, LIT(ZH_TOTAL_AMOUNT)) >= 0
		&& b->name_len[QR_COL_AMOUNT] == sizeof(ZH_SETTLE_AMOUNT) - 1
		&& memcmp(b->name[QR_COL_AMOUNT], LIT(ZH_SETTLE_AMOUNT)) == 0)
	{
		/* the older layout's 总金额 */
		b->name[QR_COL_AMOUNT] = ZH_TOTAL_AMOUNT;
		b->name_len[QR_COL_AMOUNT] = sizeof(ZH_TOTAL_AMOUNT) - 1;
	}
	for (int c = 0; c < QR_NCOL; c++)
	{
		if (b->name[c] == NULL)
			continue;
		b->col[c] = (int) find_name(b, b->name[c], b->name_len[c]);
		if (b->col[c] >= 0)
			b->mapped[b->col[c]] = 1;
		else if (c == QR_COL_PROVIDER_TXN || c == QR_COL_TS || c == QR_COL_AMOUNT)
		{
			b->missing = c;
			snprintf(b->message, sizeof(b->message),
					 "the %s statement has no column \"%.*s\" (for %s)",
					 label(b), (int) b->name_len[c], b->name[c],
					 col_names[c]);
			return 0;
		}
	}
	if (b->format == QR_BILL_WECHATPAY)
		b->bill_type = find_name(b, LIT(ZH_REFUND_APPLIED)) >= 0 ? "REFUND"
					   : find_name(b, LIT(ZH_WECHAT_REFUND)) >= 0 ? "ALL" : "SUCCESS";
	return 1;
}

static int
open_bill(qr_bill *b, const char *buf, size_t len)
{
	bill_reset(b, buf, len);
	if (b->delim == '"' || b->delim == '\n' || b->delim == '\r')
	{
		snprintf(b->message, sizeof(b->message),
				 "a statement's delimiter cannot be a quote or a line break");
		return 0;
	}
	if (b->format != QR_BILL_DETECT)
		format_defaults(b);
	if (b->format == QR_BILL_CSV && b->header_has == NULL)
	{
		snprintf(b->message, sizeof(b->message),
				 "a CSV statement needs the name of its provider_txn column");
		return 0;
	}
	find_header(b, b->work);
	if (b->header_line == 0)
	{
		no_header(b);
		return 0;
	}
	if (b->ncols > QR_BILL_MAX_COLS)
	{
		snprintf(b->message, sizeof(b->message),
				 "the header on line %ld has %ld columns, more than %d",
				 b->header_line, b->ncols, QR_BILL_MAX_COLS);
		return 0;
	}
	b->open_quote_line = 0;
	return map_columns(b);
}

int
qr_bill_open(qr_bill *b, const char *buf, size_t len)
{
	if (open_bill(b, buf, len))
		return 1;
	whole_chars(b->message);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Rows                                                                */
/* ------------------------------------------------------------------ */

/* at most QR_BILL_VALUE_SHOWN bytes of a value, cut on a character boundary */
static int
shown(const char *s, size_t n)
{
	size_t		k = n;

	if (k > QR_BILL_VALUE_SHOWN)
	{
		k = QR_BILL_VALUE_SHOWN;
		while (k > 0 && ((unsigned char) s[k] & 0xC0) == 0x80)
			k--;
	}
	return (int) k;
}

static void
bad_value(const qr_bill *b, qr_bill_row *row, qr_col c, const char *what)
{
	const qr_csv_field *h = &b->head[b->col[c]];
	const char *v = row->f[b->col[c]].value;
	size_t		n = row->f[b->col[c]].len;

	row->ok = 0;
	snprintf(row->error, sizeof(row->error), "line %ld: %s \"%.*s%s\" in column \"%.*s\" %s",
			 row->line, col_words[c], shown(v, n), v, (size_t) shown(v, n) < n ? "..." : "",
			 (int) h->len, h->value, what);
	whole_chars(row->error);
}

/*
 * The next record of the rows, past blank and comment records; 0 at the
 * end of the file or at the footer (the reader is then left on it, for
 * qr_bill_finish).
 */
static int
next_row_record(qr_bill *b, qr_record *rec)
{
	for (;;)
	{
		if (!qr_rec_next(&b->rd, rec))
		{
			b->done = 1;
			return 0;
		}
		if (b->footer && opens_with(rec, b->footer, b->footer_len))
		{
			/* the rows end here; qr_bill_finish reads on from this record */
			b->done = 1;
			b->rd.pos = (size_t) (rec->text - b->rd.buf);
			b->rd.line = rec->line;
			return 0;
		}
		if (blank(rec))
			continue;
		if (b->comment && starts(rec->text, rec->len, b->comment, b->comment_len))
			continue;
		return 1;
	}
}

/* row->error for a record whose quote runs to the end of the file */
static void
open_quote(qr_bill *b, qr_bill_row *row, const qr_record *rec)
{
	long		k = row->nf - 1;

	b->open_quote_line = rec->line;
	row->ok = 0;
	if (k >= 0 && k < b->ncols)
		snprintf(row->error, sizeof(row->error),
				 "line %ld: the quote opened in column \"%.*s\" is not closed before the end of the file",
				 rec->line, (int) b->head[k].len, b->head[k].value);
	else
		snprintf(row->error, sizeof(row->error),
				 "line %ld: the quote opened in field %ld is not closed before the end of the file",
				 rec->line, k + 1);
	whole_chars(row->error);
}

/*
 * The time, amount, fee and refund amount of a row checked (and the time
 * parsed into row->ts); 0 with row->error on the first that is not valid.
 */
static int
row_values_valid(const qr_bill *b, qr_bill_row *row)
{
	if (!qr_bill_parse_time(row->val[QR_COL_TS], row->val_len[QR_COL_TS], &row->ts))
	{
		bad_value(b, row, QR_COL_TS, "is not YYYY-MM-DD hh:mm:ss");
		return 0;
	}
	if (!day_exists(&row->ts))
	{
		bad_value(b, row, QR_COL_TS, "is not a day of its month");
		return 0;
	}
	if (!qr_bill_is_number(row->val[QR_COL_AMOUNT], row->val_len[QR_COL_AMOUNT]))
	{
		bad_value(b, row, QR_COL_AMOUNT, "is not a number");
		return 0;
	}
	if (row->val_len[QR_COL_FEE] > 0
		&& !qr_bill_is_number(row->val[QR_COL_FEE], row->val_len[QR_COL_FEE]))
	{
		bad_value(b, row, QR_COL_FEE, "is not a number");
		return 0;
	}
	if (row->val_len[QR_COL_REFUND_AMOUNT] > 0
		&& !qr_bill_is_number(row->val[QR_COL_REFUND_AMOUNT], row->val_len[QR_COL_REFUND_AMOUNT]))
	{
		bad_value(b, row, QR_COL_REFUND_AMOUNT, "is not a number");
		return 0;
	}
	return 1;
}

/* an Alipay refund: the refund amount is what the row takes back */
static void
alipay_refund(const qr_bill *b, qr_bill_row *row)
{
	const char *a = row->val[QR_COL_AMOUNT];
	size_t		n = row->val_len[QR_COL_AMOUNT];

	if (!(b->format == QR_BILL_ALIPAY && b->col[QR_COL_REFUND_AMOUNT] < 0
		  && row->val[QR_COL_STATUS] && row->val_len[QR_COL_STATUS] == sizeof(ZH_REFUND) - 1
		  && memcmp(row->val[QR_COL_STATUS], ZH_REFUND, sizeof(ZH_REFUND) - 1) == 0))
		return;
	if (a[0] == '-')
	{
		a++;
		n--;
	}
	row->val[QR_COL_REFUND_AMOUNT] = a;
	row->val_len[QR_COL_REFUND_AMOUNT] = n;
}

int
qr_bill_next(qr_bill *b, qr_bill_row *row)
{
	qr_record	rec;

	if (b->done || !next_row_record(b, &rec))
		return 0;
	b->records++;
	row->line = rec.line;
	row->raw = rec.text;
	row->raw_len = rec.len;
	row->f = b->f;
	row->nf = split_clean(&rec, b->delim, b->f, QR_BILL_MAX_COLS, b->rowbuf);
	row->ok = 1;
	row->error[0] = '\0';
	for (int c = 0; c < QR_NCOL; c++)
	{
		row->val[c] = NULL;
		row->val_len[c] = 0;
	}
	if (rec.open_quote)
	{
		open_quote(b, row, &rec);
		return 1;
	}
	if (row->nf != b->ncols)
	{
		row->ok = 0;
		snprintf(row->error, sizeof(row->error), "line %ld has %ld fields; the header has %ld",
				 rec.line, row->nf, b->ncols);
		return 1;
	}
	for (int c = 0; c < QR_NCOL; c++)
		if (b->col[c] >= 0)
		{
			row->val[c] = b->f[b->col[c]].value;
			row->val_len[c] = b->f[b->col[c]].len;
		}
	if (row_values_valid(b, row))
		alipay_refund(b, row);
	return 1;
}

/* ------------------------------------------------------------------ */
/* After the rows                                                      */
/* ------------------------------------------------------------------ */

/* the digits of s[*i...] as a number; 0 when none or too many */
static int
read_int(const char *s, size_t n, size_t *i, int maxdigits, int *out)
{
	size_t		start = *i;
	int			v = 0;

	while (*i < n && s[*i] >= '0' && s[*i] <= '9' && (int) (*i - start) < maxdigits)
		v = v * 10 + (s[(*i)++] - '0');
	*out = v;
	return *i > start;
}

static int
expect(const char *s, size_t n, size_t *i, const char *p, size_t pn)
{
	if (!starts(s + *i, n - *i, p, pn))
		return 0;
	*i += pn;
	return 1;
}

/* "YYYY年MM月DD日 hh:mm:ss]" at p (after the "[") */
static int
period_time(const char *s, size_t n, size_t i, qr_bill_time *t)
{
	if (!(read_int(s, n, &i, 4, &t->year) && expect(s, n, &i, LIT(ZH_YEAR))
		  && read_int(s, n, &i, 2, &t->mon) && expect(s, n, &i, LIT(ZH_MONTH))
		  && read_int(s, n, &i, 2, &t->day) && expect(s, n, &i, LIT(ZH_DAY))
		  && expect(s, n, &i, LIT(" "))
		  && read_int(s, n, &i, 2, &t->hour) && expect(s, n, &i, LIT(":"))
		  && read_int(s, n, &i, 2, &t->min) && expect(s, n, &i, LIT(":"))
		  && read_int(s, n, &i, 2, &t->sec) && expect(s, n, &i, LIT("]"))))
		return 0;
	return t->year >= 1000 && t->mon >= 1 && t->mon <= 12 && t->day >= 1
		   && t->day <= days_in_month(t->year, t->mon) && t->hour <= 24 && t->min <= 59
		   && t->sec <= 59;
}

static const char *
find(const char *s, size_t n, const char *p, size_t pn)
{
	for (size_t i = 0; i + pn <= n; i++)
		if (memcmp(s + i, p, pn) == 0)
			return s + i;
	return NULL;
}

static void
alipay_preface(qr_bill *b)
{
	qr_rec_reader rd;
	qr_record	rec;

	qr_rec_init(&rd, b->rd.buf, b->rd.len, b->delim);
	while (qr_rec_next(&rd, &rec) && rec.line < b->header_line)
	{
		const char *a = find(rec.text, rec.len, LIT(ZH_PERIOD_START)),
					*z = find(rec.text, rec.len, LIT(ZH_PERIOD_END));
		const char *end = rec.text + rec.len;

		if (rec.len == 0 || rec.text[0] != '#' || a == NULL || z == NULL)
			continue;
		a += sizeof(ZH_PERIOD_START) - 1;
		z += sizeof(ZH_PERIOD_END) - 1;
		if (period_time(a, (size_t) (end - a), 0, &b->period_start)
			&& period_time(z, (size_t) (end - z), 0, &b->period_end))
			b->has_period = 1;
		return;
	}
}

static void
add_total(qr_bill *b, const char *key, size_t key_len, const char *v, size_t n)
{
	if (b->ntotals >= QR_BILL_MAX_TOTALS)
		return;
	b->totals[b->ntotals].key = key;
	b->totals[b->ntotals].key_len = key_len;
	b->totals[b->ntotals].value = v;
	b->totals[b->ntotals].value_len = n;
	b->ntotals++;
}

/* the digits (and a leading '-', a '.') at p, up to end: their length */
static size_t
number_len(const char *p, const char *end)
{
	size_t		n = 0;

	if (p + n < end && p[n] == '-')
		n++;
	while (p + n < end && ((p[n] >= '0' && p[n] <= '9') || p[n] == '.'))
		n++;
	return n;
}

/*
 * A footer line of an Alipay file that opens its text with label (after
 * the '#'): the count after it becomes total count_key, and the amounts
 * after sum_label and discount_label (each followed by 元) sum_key and
 * discount_key.  False when the line is not that one.
 */
static int
alipay_total(qr_bill *b, const qr_record *rec, const char *label, size_t label_len, const char *count_key,
			 const char *sum_label, size_t sum_len, const char *sum_key,
			 const char *discount_label, size_t discount_len, const char *discount_key)
{
	const char *end = rec->text + rec->len;
	const char *p = rec->text + 1;
	const char *q;
	size_t		n;

	if ((size_t) (end - p) < label_len || memcmp(p, label, label_len) != 0)
		return 0;
	p += label_len;
	n = number_len(p, end);
	add_total(b, count_key, strlen(count_key), p, n);
	if ((q = find(p, (size_t) (end - p), sum_label, sum_len)) != NULL)
	{
		q += sum_len;
		n = number_len(q, end);
		if (n > 0 && (size_t) (end - q) >= n + sizeof(ZH_YUAN) - 1 && memcmp(q + n, LIT(ZH_YUAN)) == 0)
			add_total(b, sum_key, strlen(sum_key), q, n);
	}
	if ((q = find(p, (size_t) (end - p), discount_label, discount_len)) != NULL)
	{
		q += discount_len;
		n = number_len(q, end);
		if (n > 0 && (size_t) (end - q) >= n + sizeof(ZH_YUAN) - 1 && memcmp(q + n, LIT(ZH_YUAN)) == 0)
			add_total(b, discount_key, strlen(discount_key), q, n);
	}
	return 1;
}

void
qr_bill_finish(qr_bill *b)
{
	qr_record	rec;

	/* read any rows the caller left */
	if (!b->done)
	{
		qr_bill_row row;

		while (qr_bill_next(b, &row))
			;
	}
	if (b->format == QR_BILL_WECHATPAY)
	{
		/*
		 * The summary header, then its totals on the next record that is
		 * not blank; both split into the row buffer, one after the other.
		 */
		qr_csv_field names[QR_BILL_MAX_TOTALS];
		long		nnames,
					n;
		char	   *vbuf;

		if (!qr_rec_next(&b->rd, &rec) || !opens_with(&rec, b->footer, b->footer_len))
			return;
		b->has_summary = 1;
		b->summary_line = rec.line + 1;
		nnames = split_clean(&rec, b->delim, names, QR_BILL_MAX_TOTALS, b->rowbuf);
		vbuf = b->rowbuf + rec.len;
		do
		{
			if (!qr_rec_next(&b->rd, &rec))
				return;
		} while (blank(&rec));
		b->summary_line = rec.line;
		n = split_clean(&rec, b->delim, b->f, QR_BILL_MAX_TOTALS, vbuf);
		for (long i = 0; i < n && i < nnames && i < QR_BILL_MAX_TOTALS; i++)
		{
			const char *key = names[i].value;
			size_t		klen = names[i].len;

			for (size_t k = 0; k < sizeof(wechat_totals) / sizeof(wechat_totals[0]); k++)
				if (eq(&names[i], wechat_totals[k].name, wechat_totals[k].len))
				{
					key = wechat_totals[k].key;
					klen = strlen(key);
					break;
				}
			add_total(b, key, klen, b->f[i].value, b->f[i].len);
		}
	}
	else if (b->format == QR_BILL_ALIPAY)
	{
		alipay_preface(b);
		while (qr_rec_next(&b->rd, &rec))
		{
			if (rec.len == 0 || rec.text[0] != '#')
				continue;
			/*
			 * The footer's two lines (as the merchant detail file prints
			 * them): #交易合计：N笔，商家实收共X元，商家优惠共Y元 counts the
			 * payments (业务类型 交易) and sums their 商家实收;
			 * #退款合计：M笔，商家实收退款共-Z元，商家优惠退款共W元 does the same
			 * for the refunds, their sum negative as their lines print it.
			 */
			if (alipay_total(b, &rec, LIT(ZH_TRADE_COUNT), "count", LIT(ZH_RECEIVED_SUM), "amount",
							 LIT(ZH_DISCOUNT_SUM), "discount"))
			{
				b->has_summary = 1;
				b->summary_line = rec.line;
			}
			else
				alipay_total(b, &rec, LIT(ZH_REFUND_COUNT), "refund_count", LIT(ZH_RECEIVED_REFUND_SUM),
							 "refund_amount", LIT(ZH_DISCOUNT_REFUND_SUM), "refund_discount");
		}
	}
}

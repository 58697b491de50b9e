/*
 * qrpay_statement.c — provider statements as rows: qr_statement_parse,
 * qr_statement_info, and the readers of 0.6.0 (qr_statement_read,
 * qr_statement_wechat, qr_statement_alipay, qr_statement_csv and
 * qr_csv_fields) on the same C reader.
 *
 * src/core/qr_bill.c reads the file; this file only adapts it:
 *   - the file's bytes to UTF-8 (a UTF-8 BOM skipped; bytes that are valid
 *     UTF-8 read as such, else as GBK, which is how Alipay delivers its
 *     files, or as the mapping says), refusing with 22021 what is neither
 *     and naming the byte offset;
 *   - what the reader found to the database encoding at the edge, refusing
 *     with 22P05 a character it cannot hold and naming the line and column;
 *   - times in the bill's time zone to timestamptz (the zone is looked up
 *     once per call), amounts to numeric;
 *   - the reader's complaints to SQLSTATEs: 22P02 for a file that is not
 *     the statement it should be, 22023 for a bad format name or mapping,
 *     22004 for a NULL the legacy reader cannot take.
 * A row that cannot be read is a row with its line number, the reason and
 * the record's text, never an error of the whole call.
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "pgtime.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "qrpay.h"
#include "qr_bill.h"

PG_FUNCTION_INFO_V1(qr_statement_parse);
PG_FUNCTION_INFO_V1(qr_statement_info);
PG_FUNCTION_INFO_V1(qr_statement_read);
PG_FUNCTION_INFO_V1(qr_statement_wechat);
PG_FUNCTION_INFO_V1(qr_statement_alipay_text);
PG_FUNCTION_INFO_V1(qr_statement_alipay_bytea);
PG_FUNCTION_INFO_V1(qr_statement_csv);
PG_FUNCTION_INFO_V1(qr_csv_fields);

/* 微信订单号, 支付宝交易号: a database encoding without them cannot hold such a bill */
#define ZH_WECHAT_TXN	"\xe5\xbe\xae\xe4\xbf\xa1\xe8\xae\xa2\xe5\x8d\x95\xe5\x8f\xb7"
#define ZH_ALIPAY_TXN	"\xe6\x94\xaf\xe4\xbb\x98\xe5\xae\x9d\xe4\xba\xa4\xe6\x98\x93\xe5\x8f\xb7"

typedef enum bill_encoding
{
	ENC_AUTO,
	ENC_UTF8,
	ENC_GBK
} bill_encoding;

/* What one call reads and how. */
typedef struct bill_call
{
	qr_bill    *b;
	const char *utf8;			/* the file as UTF-8 */
	size_t		len;
	const char *encoding;		/* "UTF8" or "GBK": how the bytes were read */
	pg_tz	   *tz;
	const char *tz_name;
	/* the header's names in the database encoding, converted when first needed */
	MemoryContext keycxt;
	char	  **key;
	size_t	   *key_len;
	/* how rows build extra; set up at the first row (extra_setup) */
	bool		extra_ready;
	bool		extra_sorted;	/* by keys; else through pushJsonbValue */
	int			nkeys;			/* distinct names of the extra columns */
	struct extra_key *keys;		/* in jsonb's order of keys */
	int		   *key_cols;		/* their columns, grouped by name, the last first */
	JsonbPair  *pairs;			/* nkeys, one row's */
	char	  **val;			/* per column: one row's value in the database encoding */
	size_t	   *val_len;
} bill_call;

/* A name of the header's extra columns, and where its columns are in key_cols. */
typedef struct extra_key
{
	char	   *name;
	size_t		len;
	int			first;
	int			ncols;
} extra_key;

/* ------------------------------------------------------------------ */
/* Encodings                                                           */
/* ------------------------------------------------------------------ */

static FmgrInfo gbk_fn;
static bool gbk_ready = false;

/* GBK bytes as UTF-8; NULL with *bad the offset of the first bad byte */
static char *
gbk_to_utf8(const char *s, size_t len, size_t *outlen, size_t *bad)
{
	unsigned char *dst;
	int			done;

	if (!gbk_ready)
	{
		Oid			proc = FindDefaultConversionProc(PG_GBK, PG_UTF8);

		if (!OidIsValid(proc))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_FUNCTION),
					 errmsg("default conversion function for encoding \"GBK\" to \"UTF8\" does not exist")));
		fmgr_info_cxt(proc, &gbk_fn, TopMemoryContext);
		gbk_ready = true;
	}
	if (len >= (MaxAllocSize - 1) / MAX_CONVERSION_GROWTH)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a statement of %zu bytes is too long to convert from GBK", len)));
	dst = palloc(len * MAX_CONVERSION_GROWTH + 1);
	dst[0] = '\0';
	/* noError: the converter stops before the first byte it cannot read */
	done = DatumGetInt32(FunctionCall6(&gbk_fn, Int32GetDatum(PG_GBK), Int32GetDatum(PG_UTF8),
									   CStringGetDatum(s), CStringGetDatum((char *) dst),
									   Int32GetDatum((int) len), BoolGetDatum(true)));
	if ((size_t) done < len)
	{
		*bad = (size_t) done;
		pfree(dst);
		return NULL;
	}
	*outlen = strlen((char *) dst);
	return (char *) dst;
}

/*
 * The file's bytes as UTF-8: as they are when they are UTF-8 (or the
 * mapping says so), else from GBK.  Sets call->encoding.
 */
static void
file_to_utf8(bill_call *call, const char *s, size_t len, bill_encoding enc)
{
	long		bad_utf8 = -1;
	size_t		bad_gbk = 0;
	int			ascii;
	char	   *out;
	size_t		outlen;

	if (enc != ENC_GBK)
	{
		bad_utf8 = qr_text_check(s, len, &ascii);
		if (bad_utf8 < 0)
		{
			call->utf8 = s;
			call->len = len;
			call->encoding = "UTF8";
			return;
		}
		if (enc == ENC_UTF8)
			ereport(ERROR,
					(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
					 errmsg("the statement is not valid UTF-8: byte 0x%02x at byte offset %ld",
							(unsigned char) s[bad_utf8], bad_utf8)));
	}
	out = gbk_to_utf8(s, len, &outlen, &bad_gbk);
	if (out == NULL)
	{
		if (enc == ENC_GBK)
			ereport(ERROR,
					(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
					 errmsg("the statement is not valid GBK: byte 0x%02x at byte offset %zu",
							(unsigned char) s[bad_gbk], bad_gbk)));
		ereport(ERROR,
				(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
				 errmsg("the statement is neither UTF-8 (byte 0x%02x at byte offset %ld) nor GBK (byte 0x%02x at byte offset %zu)",
						(unsigned char) s[bad_utf8], bad_utf8, (unsigned char) s[bad_gbk], bad_gbk),
				 errhint("Name the encoding in the mapping: {\"encoding\": \"UTF8\"} or {\"encoding\": \"GBK\"}.")));
	}
	call->utf8 = out;
	call->len = outlen;
	call->encoding = "GBK";
}

/* the first character of s the database encoding cannot hold */
static size_t
first_unconvertible(const char *s, size_t len)
{
	size_t		i = 0;

	while (i < len)
	{
		int			w = pg_utf_mblen((const unsigned char *) s + i);
		size_t		n;

		if (i + w > len)
			break;
		if (qrpay_server_from_utf8(s + i, w, &n) == NULL)
			break;
		i += w;
	}
	return i;
}

/*
 * UTF-8 text in the database encoding (a copy, NUL-terminated); 22P05 on a
 * character it cannot hold, naming where (line, what).
 */
static char *
server_cstring(const char *s, size_t len, long line, const char *what, size_t *outlen)
{
	const char *conv;

	if (qrpay_db_utf8())
	{
		*outlen = len;
		return pnstrdup(s, len);
	}
	conv = qrpay_server_from_utf8(s, len, outlen);
	if (conv == NULL)
	{
		size_t		bad = first_unconvertible(s, len);

		if (line > 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNTRANSLATABLE_CHARACTER),
					 errmsg("line %ld of the statement: the %s holds the character %s, which has no equivalent in encoding \"%s\"",
							line, what, qrpay_describe_utf8(s + bad, len - bad), GetDatabaseEncodingName())));
		ereport(ERROR,
				(errcode(ERRCODE_UNTRANSLATABLE_CHARACTER),
				 errmsg("the statement's %s holds the character %s, which has no equivalent in encoding \"%s\"",
						what, qrpay_describe_utf8(s + bad, len - bad), GetDatabaseEncodingName())));
	}
	return (char *) conv;
}

static Datum
server_text(const char *s, size_t len, long line, const char *what)
{
	size_t		n;

	if (qrpay_db_utf8())
		return PointerGetDatum(cstring_to_text_with_len(s, (int) len));
	s = server_cstring(s, len, line, what, &n);
	return PointerGetDatum(cstring_to_text_with_len(s, (int) n));
}

/* Database text as UTF-8 (22P05 when it holds a character UTF-8 lacks). */
static char *
utf8_of(text *t, size_t *len)
{
	return qrpay_utf8_from_server(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), len);
}

/*
 * The WeChat Pay and Alipay readers of 0.6.0 take the bill as database
 * text: an encoding without the bills' column names cannot hold one.
 */
static void
require_chinese(const char *fn, const char *probe)
{
	size_t		n;

	if (qrpay_server_from_utf8(probe, strlen(probe), &n) == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNTRANSLATABLE_CHARACTER),
				 errmsg("%s needs a database encoding that holds the bill's Chinese column names, which \"%s\" does not",
						fn, GetDatabaseEncodingName()),
				 errhint("Read the file as bytes with qr_statement_parse.")));
}

/* ------------------------------------------------------------------ */
/* Arguments                                                           */
/* ------------------------------------------------------------------ */

static pg_tz *
lookup_tz(const char *name)
{
	pg_tz	   *tz = pg_tzset(name);

	if (tz == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("time zone \"%s\" not recognized", name),
				 errhint("Name a zone of pg_timezone_names, such as Asia/Shanghai or UTC.")));
	return tz;
}

static char
one_byte_delimiter(const char *d, size_t n)
{
	if (n != 1 || (unsigned char) d[0] >= 0x80 || d[0] == '"' || d[0] == '\n' || d[0] == '\r')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a statement's delimiter is one ASCII character other than a quote or a line break, not \"%.*s\"",
						(int) n, d)));
	return d[0];
}

/* "columns": {"ts": "...", ...} into b->name (UTF-8); legacy ignores unknown keys */
static void
set_column(qr_bill *b, const char *key, int keylen, const JsonbValue *v, bool strict)
{
	int			c = qr_col_parse(key, keylen);
	size_t		n;

	if (c < 0)
	{
		if (strict)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the mapping names no column \"%.*s\"", keylen, key),
					 errhint("Its columns are ts, provider_txn, reference, amount, currency, fee, status, refund_txn, refund_reference and refund_amount.")));
		return;
	}
	if (v->type != jbvString)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the mapping's column \"%.*s\" must name a header as a string", keylen, key)));
	b->name[c] = qrpay_utf8_from_server(v->val.string.val, v->val.string.len, &n);
	b->name_len[c] = n;
}

static void
read_columns(qr_bill *b, Jsonb *cols, bool strict)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken r;
	char	   *key = NULL;
	int			keylen = 0;

	if (!JB_ROOT_IS_OBJECT(cols))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the columns of a statement mapping are a jsonb object of column names")));
	it = JsonbIteratorInit(&cols->root);
	while ((r = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (r == WJB_KEY)
		{
			key = v.val.string.val;
			keylen = v.val.string.len;
		}
		else if (r == WJB_VALUE)
			set_column(b, key, keylen, &v, strict);
	}
}

/* what a mapping says besides the columns */
typedef struct mapping
{
	char		delim;
	const char *tz;
	bill_encoding encoding;
	bool		has_columns;
} mapping;

static char *
mapping_string(const char *key, const JsonbValue *v)
{
	if (v->type != jbvString)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the mapping's \"%s\" must be a string", key)));
	return pnstrdup(v->val.string.val, v->val.string.len);
}

static void
read_mapping(qr_bill *b, Jsonb *jb, mapping *m)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken r;
	char	   *key = NULL;

	if (!JB_ROOT_IS_OBJECT(jb))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a statement mapping is a jsonb object: {\"columns\": {...}, \"delimiter\": \",\", \"time_zone\": \"UTC\", \"encoding\": \"UTF8\"}")));
	it = JsonbIteratorInit(&jb->root);
	while ((r = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (r == WJB_KEY)
		{
			key = pnstrdup(v.val.string.val, v.val.string.len);
			continue;
		}
		if (r != WJB_VALUE)
			continue;
		if (strcmp(key, "columns") == 0)
		{
			Jsonb	   *cols;

			if (v.type != jbvBinary)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("the columns of a statement mapping are a jsonb object of column names")));
			cols = JsonbValueToJsonb(&v);
			read_columns(b, cols, true);
			m->has_columns = true;
		}
		else if (strcmp(key, "delimiter") == 0)
		{
			char	   *d = mapping_string(key, &v);

			m->delim = one_byte_delimiter(d, strlen(d));
		}
		else if (strcmp(key, "time_zone") == 0)
			m->tz = mapping_string(key, &v);
		else if (strcmp(key, "encoding") == 0)
		{
			char	   *e = mapping_string(key, &v);

			if (pg_strcasecmp(e, "UTF8") == 0 || pg_strcasecmp(e, "UTF-8") == 0)
				m->encoding = ENC_UTF8;
			else if (pg_strcasecmp(e, "GBK") == 0)
				m->encoding = ENC_GBK;
			else
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("a statement's encoding is UTF8 or GBK, not \"%s\"", e)));
		}
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("a statement mapping has no key \"%s\"", key),
					 errhint("Its keys are columns, delimiter, time_zone and encoding.")));
	}
}

static qr_bill_format
format_named(const char *f)
{
	if (strcmp(f, "wechatpay") == 0)
		return QR_BILL_WECHATPAY;
	if (strcmp(f, "alipay") == 0)
		return QR_BILL_ALIPAY;
	if (strcmp(f, "csv") == 0)
		return QR_BILL_CSV;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown statement format \"%s\"", f),
			 errhint("The formats are wechatpay, alipay and csv (NULL: tell from the header).")));
	return QR_BILL_DETECT;		/* keep the compiler quiet */
}

/* A new qr_bill with its work buffer for a file of len bytes. */
static qr_bill *
new_bill(qr_bill_format format, char delim, size_t len)
{
	qr_bill    *b = palloc0(sizeof(qr_bill));

	if (len >= (MaxAllocSize - 2) / 2)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a statement of %zu bytes is too long to read", len)));
	b->format = format;
	b->delim = delim;
	return b;
}

/* Opens the bill, raising what the reader found wrong. */
static void
open_bill(bill_call *call)
{
	qr_bill    *b = call->b;

	b->work = palloc(2 * call->len + 2);
	if (!qr_bill_open(b, call->utf8, call->len))
	{
		char	   *msg;
		size_t		n;

		msg = server_cstring(b->message, strlen(b->message), 0, "message", &n);
		if (b->missing >= 0)
		{
			StringInfoData hdr;

			initStringInfo(&hdr);
			for (long i = 0; i < b->ncols; i++)
			{
				size_t		k;
				char	   *name = server_cstring(b->head[i].value, b->head[i].len, 0, "header", &k);

				appendStringInfo(&hdr, "%s%s", i ? ", " : "", name);
			}
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("%s", msg),
					 errhint("Its header is: %s", hdr.data)));
		}
		if (b->format == QR_BILL_DETECT)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("cannot tell the statement's format: %s", msg),
					 errhint("Name it: 'wechatpay', 'alipay' or 'csv' (with a mapping).")));
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("%s", msg)));
	}
	call->keycxt = CurrentMemoryContext;
	call->key = palloc0(sizeof(char *) * Max(b->ncols, 1));
	call->key_len = palloc0(sizeof(size_t) * Max(b->ncols, 1));
}

/* ------------------------------------------------------------------ */
/* Values                                                              */
/* ------------------------------------------------------------------ */

static Datum
time_datum(bill_call *call, const qr_bill_time *t, bool *isnull)
{
	struct pg_tm tm;
	int			off;
	TimestampTz ts;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = t->year;
	tm.tm_mon = t->mon;
	tm.tm_mday = t->day;
	tm.tm_hour = t->hour;
	tm.tm_min = t->min;
	tm.tm_sec = t->sec;
	off = DetermineTimeZoneOffset(&tm, call->tz);
	if (tm2timestamp(&tm, 0, &off, &ts) != 0 || !IS_VALID_TIMESTAMP(ts))
	{
		*isnull = true;
		return (Datum) 0;
	}
	*isnull = false;
	return TimestampTzGetDatum(ts);
}

/* a decimal the reader checked (-?\d+(\.\d+)?) as numeric */
static Datum
numeric_datum(const char *s, size_t n)
{
	char		buf[64];
	char	   *c;

	/*
	 * Up to 15 digits: the value as an integer and its count of decimals,
	 * which give the numeric numeric_in would (the same digits, weight and
	 * display scale) at a fraction of its cost.
	 */
	if (n <= 15)
	{
		int64		v = 0;
		int			scale = 0;
		bool		point = false;
		size_t		i = s[0] == '-' ? 1 : 0;

		for (; i < n; i++)
		{
			if (s[i] == '.')
				point = true;
			else
			{
				v = v * 10 + (s[i] - '0');
				scale += point;
			}
		}
		return NumericGetDatum(int64_div_fast_to_numeric(s[0] == '-' ? -v : v, scale));
	}
	c = n < sizeof(buf) ? buf : palloc(n + 1);

	memcpy(c, s, n);
	c[n] = '\0';
	return DirectFunctionCall3(numeric_in, CStringGetDatum(c), ObjectIdGetDatum(InvalidOid),
							   Int32GetDatum(-1));
}

/* a column's value as text, NULL when absent or empty */
static void
text_value(const qr_bill_row *row, qr_col c, Datum *v, bool *isnull)
{
	if (row->val[c] == NULL || row->val_len[c] == 0)
	{
		*isnull = true;
		return;
	}
	*v = server_text(row->val[c], row->val_len[c], row->line, qr_col_name(c));
	*isnull = false;
}

static void
numeric_value(const qr_bill_row *row, qr_col c, Datum *v, bool *isnull)
{
	if (row->val[c] == NULL || row->val_len[c] == 0)
	{
		*isnull = true;
		return;
	}
	*v = numeric_datum(row->val[c], row->val_len[c]);
	*isnull = false;
}

/*
 * The columns of the common shape, provider_txn to refund_amount, in that
 * order from values[0] (the order both result types share).
 */
static void
fill_shape(bill_call *call, const qr_bill_row *row, Datum *values, bool *nulls)
{
	text_value(row, QR_COL_PROVIDER_TXN, &values[0], &nulls[0]);
	text_value(row, QR_COL_REFERENCE, &values[1], &nulls[1]);
	values[2] = time_datum(call, &row->ts, &nulls[2]);
	numeric_value(row, QR_COL_AMOUNT, &values[3], &nulls[3]);
	text_value(row, QR_COL_CURRENCY, &values[4], &nulls[4]);
	if (nulls[4])
	{
		/* the bills of China's providers name no other */
		values[4] = CStringGetTextDatum("CNY");
		nulls[4] = false;
	}
	numeric_value(row, QR_COL_FEE, &values[5], &nulls[5]);
	text_value(row, QR_COL_STATUS, &values[6], &nulls[6]);
	text_value(row, QR_COL_REFUND_TXN, &values[7], &nulls[7]);
	text_value(row, QR_COL_REFUND_REFERENCE, &values[8], &nulls[8]);
	numeric_value(row, QR_COL_REFUND_AMOUNT, &values[9], &nulls[9]);
}

/* the header name of column i in the database encoding */
static void
header_key(bill_call *call, long i, char **key, size_t *len)
{
	if (call->key[i] == NULL)
	{
		/* kept for the whole call, while rows are built in a context reset each row */
		MemoryContext old = MemoryContextSwitchTo(call->keycxt);

		call->key[i] = server_cstring(call->b->head[i].value, call->b->head[i].len,
									  call->b->header_line, "header", &call->key_len[i]);
		MemoryContextSwitchTo(old);
	}
	*key = call->key[i];
	*len = call->key_len[i];
}

/* jsonb's order of an object's keys: the shorter first, then by their bytes */
static int
extra_key_cmp(const void *a, const void *b)
{
	const extra_key *x = a,
					 *y = b;

	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return memcmp(x->name, y->name, x->len);
}

/*
 * Sorts the header's extra columns by name once, as pushJsonbValue would
 * sort each row's keys: a row's pairs are then built in order, and
 * JsonbValueToJsonb gives the bytes pushJsonbValue's object would.  A name
 * the database encoding cannot hold leaves the rows to pushJsonbValue,
 * which names the line where it is first needed.
 */
static void
extra_setup(bill_call *call)
{
	qr_bill    *b = call->b;
	MemoryContext old = MemoryContextSwitchTo(call->keycxt);
	extra_key  *cols = palloc(sizeof(extra_key) * Max(b->ncols, 1));
	int			n = 0;

	call->extra_ready = true;
	for (long i = 0; i < b->ncols; i++)
	{
		const char *name;
		size_t		len;

		if (qr_bill_is_mapped(b, i))
			continue;
		name = qrpay_server_from_utf8(b->head[i].value, b->head[i].len, &len);
		if (name == NULL)
		{
			MemoryContextSwitchTo(old);
			return;
		}
		cols[n].name = unconstify(char *, name);
		cols[n].len = len;
		cols[n].first = (int) i;	/* the column, until grouped */
		n++;
	}
	/* by name, then the last column first: the value that wins (below) */
	qsort(cols, n, sizeof(extra_key), extra_key_cmp);
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && extra_key_cmp(&cols[j - 1], &cols[j]) == 0
			 && cols[j - 1].first < cols[j].first; j--)
		{
			extra_key	t = cols[j];

			cols[j] = cols[j - 1];
			cols[j - 1] = t;
		}
	call->keys = palloc(sizeof(extra_key) * Max(n, 1));
	call->key_cols = palloc(sizeof(int) * Max(n, 1));
	call->nkeys = 0;
	for (int i = 0; i < n; i++)
	{
		call->key_cols[i] = cols[i].first;
		if (i > 0 && extra_key_cmp(&cols[i - 1], &cols[i]) == 0)
		{
			call->keys[call->nkeys - 1].ncols++;
			continue;
		}
		call->keys[call->nkeys] = cols[i];
		call->keys[call->nkeys].first = i;
		call->keys[call->nkeys].ncols = 1;
		call->nkeys++;
	}
	call->pairs = palloc(sizeof(JsonbPair) * Max(call->nkeys, 1));
	call->val = palloc0(sizeof(char *) * Max(b->ncols, 1));
	call->val_len = palloc0(sizeof(size_t) * Max(b->ncols, 1));
	call->extra_sorted = true;
	MemoryContextSwitchTo(old);
}

/*
 * extra_datum's object, its keys in order: of columns of the same name the
 * last one not empty, as pushJsonbValue keeps the last value of a key.
 */
static Datum
extra_sorted(bill_call *call, const qr_bill_row *row)
{
	JsonbValue	obj;
	int			n = 0;

	/* the values first, in the order of the columns, as extra_datum converts them */
	for (long i = 0; i < call->b->ncols; i++)
	{
		if (qr_bill_is_mapped(call->b, i) || row->f[i].len == 0)
			continue;
		if (qrpay_db_utf8())
		{
			call->val[i] = unconstify(char *, row->f[i].value);
			call->val_len[i] = row->f[i].len;
		}
		else
			call->val[i] = server_cstring(row->f[i].value, row->f[i].len, row->line,
										  "extra field", &call->val_len[i]);
	}
	for (int k = 0; k < call->nkeys; k++)
	{
		const extra_key *key = &call->keys[k];

		for (int c = 0; c < key->ncols; c++)
		{
			int			i = call->key_cols[key->first + c];
			JsonbPair  *p = &call->pairs[n];

			if (row->f[i].len == 0)
				continue;
			p->key.type = jbvString;
			p->key.val.string.val = key->name;
			p->key.val.string.len = (int) key->len;
			p->value.type = jbvString;
			p->value.val.string.val = call->val[i];
			p->value.val.string.len = (int) call->val_len[i];
			p->order = n;
			n++;
			break;
		}
	}
	obj.type = jbvObject;
	obj.val.object.nPairs = n;
	obj.val.object.pairs = call->pairs;
	return JsonbPGetDatum(JsonbValueToJsonb(&obj));
}

/* The fields no column took, as {header name: value}, the empty left out. */
static Datum
extra_datum(bill_call *call, const qr_bill_row *row, bool *isnull)
{
	JsonbParseState *state = NULL;
	JsonbValue	k,
				v;

	if (!call->extra_ready)
		extra_setup(call);
	*isnull = false;
	if (call->extra_sorted && row->nf == call->b->ncols)
		return extra_sorted(call, row);
	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	for (long i = 0; i < row->nf && i < call->b->ncols; i++)
	{
		char	   *key;
		size_t		klen,
					vlen;
		char	   *val;

		if (qr_bill_is_mapped(call->b, i) || row->f[i].len == 0)
			continue;
		header_key(call, i, &key, &klen);
		if (qrpay_db_utf8())
		{
			val = unconstify(char *, row->f[i].value);
			vlen = row->f[i].len;
		}
		else
			val = server_cstring(row->f[i].value, row->f[i].len, row->line, "extra field", &vlen);
		k.type = jbvString;
		k.val.string.val = key;
		k.val.string.len = (int) klen;
		v.type = jbvString;
		v.val.string.val = val;
		v.val.string.len = (int) vlen;
		pushJsonbValue(&state, WJB_KEY, &k);
		pushJsonbValue(&state, WJB_VALUE, &v);
	}
	*isnull = false;
	return JsonbPGetDatum(JsonbValueToJsonb(pushJsonbValue(&state, WJB_END_OBJECT, NULL)));
}

/* ------------------------------------------------------------------ */
/* qr_statement_parse                                                  */
/* ------------------------------------------------------------------ */

enum
{
	P_LINE, P_PROVIDER_TXN, P_REFERENCE, P_TS, P_AMOUNT, P_CURRENCY, P_FEE, P_STATUS,
	P_REFUND_TXN, P_REFUND_REFERENCE, P_REFUND_AMOUNT, P_EXTRA, P_ERROR, P_RAW, P_NATTS
};

/*
 * Reads the arguments (file bytea, format text, mapping jsonb) shared by
 * qr_statement_parse and qr_statement_info into call; the file must not
 * be NULL.
 */
static void
parse_arguments(FunctionCallInfo fcinfo, bill_call *call)
{
	bytea	   *file = PG_GETARG_BYTEA_PP(0);
	qr_bill_format format = QR_BILL_DETECT;
	mapping		m = {',', NULL, ENC_AUTO, false};
	qr_bill    *b;

	if (!PG_ARGISNULL(1))
		format = format_named(text_to_cstring(PG_GETARG_TEXT_PP(1)));
	b = new_bill(format, ',', VARSIZE_ANY_EXHDR(file));
	if (!PG_ARGISNULL(2))
		read_mapping(b, PG_GETARG_JSONB_P(2), &m);
	if (format == QR_BILL_CSV && !m.has_columns)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a csv statement needs a mapping that names its columns"),
				 errhint("For instance {\"columns\": {\"provider_txn\": \"id\", \"ts\": \"time\", \"amount\": \"amount\"}}.")));
	if (format == QR_BILL_CSV)
	{
		static const qr_col required[] = {QR_COL_PROVIDER_TXN, QR_COL_TS, QR_COL_AMOUNT};

		for (size_t i = 0; i < lengthof(required); i++)
			if (b->name[required[i]] == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("a csv statement's mapping must name the %s column",
								qr_col_name(required[i])),
						 errhint("provider_txn, ts and amount are required.")));
	}
	b->delim = m.delim;
	call->b = b;
	call->tz_name = m.tz ? m.tz : format == QR_BILL_CSV ? "UTC" : "Asia/Shanghai";
	call->tz = lookup_tz(call->tz_name);
	file_to_utf8(call, VARDATA_ANY(file), VARSIZE_ANY_EXHDR(file), m.encoding);
	open_bill(call);
}

Datum
qr_statement_parse(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	bill_call	call;
	qr_bill_row row;
	MemoryContext rowcxt,
				  old;

	InitMaterializedSRF(fcinfo, 0);
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	memset(&call, 0, sizeof(call));
	parse_arguments(fcinfo, &call);

	rowcxt = AllocSetContextCreate(CurrentMemoryContext, "qr_statement_parse row",
								   ALLOCSET_DEFAULT_SIZES);
	while (qr_bill_next(call.b, &row))
	{
		Datum		values[P_NATTS];
		bool		nulls[P_NATTS];

		CHECK_FOR_INTERRUPTS();
		old = MemoryContextSwitchTo(rowcxt);
		for (int i = 0; i < P_NATTS; i++)
			nulls[i] = true;
		values[P_LINE] = Int32GetDatum((int32) Min(row.line, PG_INT32_MAX));
		nulls[P_LINE] = false;
		if (!row.ok)
		{
			values[P_ERROR] = server_text(row.error, strlen(row.error), row.line, "reason");
			nulls[P_ERROR] = false;
			values[P_RAW] = server_text(row.raw, row.raw_len, row.line, "record");
			nulls[P_RAW] = false;
		}
		else
		{
			fill_shape(&call, &row, &values[P_PROVIDER_TXN], &nulls[P_PROVIDER_TXN]);
			values[P_EXTRA] = extra_datum(&call, &row, &nulls[P_EXTRA]);
		}
		MemoryContextSwitchTo(old);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		MemoryContextReset(rowcxt);
	}
	MemoryContextDelete(rowcxt);
	PG_RETURN_NULL();
}

/* ------------------------------------------------------------------ */
/* qr_statement_info                                                   */
/* ------------------------------------------------------------------ */

enum
{
	I_FORMAT, I_BILL_TYPE, I_ENCODING, I_BOM, I_CRLF, I_COLUMNS, I_SUMMARY, I_PERIOD_START,
	I_PERIOD_END, I_RECORDS, I_ERROR, I_NATTS
};

/* the summary's totals as jsonb: numbers as numbers, anything else as text */
static Datum
summary_datum(bill_call *call)
{
	qr_bill    *b = call->b;
	JsonbParseState *state = NULL;
	JsonbValue	k,
				v;

	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	for (int i = 0; i < b->ntotals; i++)
	{
		const qr_bill_total *t = &b->totals[i];
		size_t		n;

		k.type = jbvString;
		k.val.string.val = server_cstring(t->key, t->key_len, b->summary_line, "summary", &n);
		k.val.string.len = (int) n;
		if (qr_bill_is_number(t->value, t->value_len))
		{
			v.type = jbvNumeric;
			v.val.numeric = DatumGetNumeric(numeric_datum(t->value, t->value_len));
		}
		else
		{
			v.type = jbvString;
			v.val.string.val = server_cstring(t->value, t->value_len, b->summary_line, "summary", &n);
			v.val.string.len = (int) n;
		}
		pushJsonbValue(&state, WJB_KEY, &k);
		pushJsonbValue(&state, WJB_VALUE, &v);
	}
	return JsonbPGetDatum(JsonbValueToJsonb(pushJsonbValue(&state, WJB_END_OBJECT, NULL)));
}

/* a total of the summary (WeChat Pay) or the footer (Alipay), NULL when none */
static const qr_bill_total *
summary_total(const qr_bill *b, const char *key)
{
	size_t		n = strlen(key);

	for (int i = 0; i < b->ntotals; i++)
		if (b->totals[i].key_len == n && memcmp(b->totals[i].key, key, n) == 0)
			return &b->totals[i];
	return NULL;
}

/* a count of the summary as a number: -1 unless 1 to 9 digits */
static long
total_count(const qr_bill_total *t)
{
	if (t == NULL || t->value_len == 0 || t->value_len >= 10)
		return -1;
	for (size_t i = 0; i < t->value_len; i++)
		if (t->value[i] < '0' || t->value[i] > '9')
			return -1;
	return atol(pnstrdup(t->value, t->value_len));
}

/*
 * What is wrong with the file as a whole, or NULL: no summary, a summary
 * that does not count the rows, a quote left open.  (UTF-8, for
 * server_text.)
 */
static char *
file_problem(const qr_bill *b, long rows)
{
	const qr_bill_total *count = summary_total(b, "count");
	const qr_bill_total *refunds = summary_total(b, "refund_count");
	StringInfoData s;
	char	   *summary = NULL;

	if (b->format == QR_BILL_WECHATPAY || b->format == QR_BILL_ALIPAY)
	{
		const char *what = b->format == QR_BILL_WECHATPAY
						   ? "summary (\xe6\x80\xbb\xe4\xba\xa4\xe6\x98\x93\xe5\x8d\x95\xe6\x95\xb0)"	/* 总交易单数 */
						   : "footer count (\xe4\xba\xa4\xe6\x98\x93\xe5\x90\x88\xe8\xae\xa1)";	/* 交易合计 */
		long		n = total_count(count),
					m = refunds ? total_count(refunds) : 0;

		if (!b->has_summary)
			summary = psprintf("the bill has no %s: it may be cut off", what);
		else if (count == NULL)
			summary = psprintf("the bill's %s has no totals line: it may be cut off", what);
		else if (refunds && (n < 0 || m < 0 || n + m != rows))
			/* Alipay's footer counts payments and refunds apart */
			summary = psprintf("the footer counts %.*s payments and %.*s refunds; the file holds %ld lines",
							   (int) count->value_len, count->value, (int) refunds->value_len, refunds->value, rows);
		else if (!refunds && (n < 0 || n != rows))
			summary = psprintf("the summary counts %.*s transactions; the bill holds %ld lines",
							   (int) count->value_len, count->value, rows);
	}
	if (b->open_quote_line == 0)
		return summary;
	initStringInfo(&s);
	appendStringInfo(&s, "the quote of the record on line %ld is not closed before the end of the file",
					 b->open_quote_line);
	if (summary)
		appendStringInfo(&s, "; %s", summary);
	return s.data;
}

static Datum
period_datum(bill_call *call, const qr_bill_time *t, bool *isnull)
{
	if (!call->b->has_period)
	{
		*isnull = true;
		return (Datum) 0;
	}
	if (t->hour == 24)
	{
		/* 24:00:00, the end of a day some exports write */
		qr_bill_time u = *t;
		bool		n;
		Datum		d;

		u.hour = 23;
		d = time_datum(call, &u, &n);
		*isnull = n;
		return n ? d : TimestampTzGetDatum(DatumGetTimestampTz(d) + USECS_PER_HOUR);
	}
	return time_datum(call, t, isnull);
}

Datum
qr_statement_info(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	bill_call	call;
	qr_bill    *b;
	qr_bill_row row;
	Datum		values[I_NATTS];
	bool		nulls[I_NATTS];
	Datum	   *names;
	char	   *problem;

	InitMaterializedSRF(fcinfo, 0);
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	memset(&call, 0, sizeof(call));
	parse_arguments(fcinfo, &call);
	b = call.b;

	/* the header's names, before the summary reuses the buffers */
	names = palloc(sizeof(Datum) * Max(b->ncols, 1));
	for (long i = 0; i < b->ncols; i++)
		names[i] = server_text(b->head[i].value, b->head[i].len, b->header_line, "header");
	values[I_COLUMNS] = PointerGetDatum(construct_array(names, (int) b->ncols, TEXTOID, -1, false,
														TYPALIGN_INT));
	while (qr_bill_next(b, &row))
		CHECK_FOR_INTERRUPTS();
	qr_bill_finish(b);

	memset(nulls, 0, sizeof(nulls));
	values[I_FORMAT] = CStringGetTextDatum(qr_bill_format_name(b->format));
	nulls[I_BILL_TYPE] = b->bill_type == NULL;
	if (b->bill_type)
		values[I_BILL_TYPE] = CStringGetTextDatum(b->bill_type);
	values[I_ENCODING] = CStringGetTextDatum(call.encoding);
	values[I_BOM] = BoolGetDatum(b->bom);
	values[I_CRLF] = BoolGetDatum(b->crlf);
	nulls[I_SUMMARY] = b->ntotals == 0;
	if (b->ntotals)
		values[I_SUMMARY] = summary_datum(&call);
	values[I_PERIOD_START] = period_datum(&call, &b->period_start, &nulls[I_PERIOD_START]);
	values[I_PERIOD_END] = period_datum(&call, &b->period_end, &nulls[I_PERIOD_END]);
	values[I_RECORDS] = Int32GetDatum((int32) Min(b->records, PG_INT32_MAX));
	problem = file_problem(b, b->records);
	nulls[I_ERROR] = problem == NULL;
	if (problem)
		values[I_ERROR] = server_text(problem, strlen(problem), 0, "reason");
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	PG_RETURN_NULL();
}

/* ------------------------------------------------------------------ */
/* The readers of 0.6.0: rows of qr_statement_line                     */
/* ------------------------------------------------------------------ */

enum
{
	L_PROVIDER, L_PROVIDER_TXN, L_REFERENCE, L_TS, L_AMOUNT, L_CURRENCY, L_FEE, L_STATUS,
	L_REFUND_TXN, L_REFUND_REFERENCE, L_REFUND_AMOUNT, L_LINE, L_ERROR, L_NATTS
};

/*
 * Every data row of the bill as a qr_statement_line; with summary_check,
 * a row for a WeChat Pay summary that is missing or does not count them.
 */
static void
legacy_rows(FunctionCallInfo fcinfo, bill_call *call, text *provider, bool summary_check)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	qr_bill_row row;
	long		rows = 0;
	MemoryContext rowcxt,
				  old;
	Datum		values[L_NATTS];
	bool		nulls[L_NATTS];

	open_bill(call);
	InitMaterializedSRF(fcinfo, 0);
	rowcxt = AllocSetContextCreate(CurrentMemoryContext, "qr_statement_read row",
								   ALLOCSET_DEFAULT_SIZES);
	while (qr_bill_next(call->b, &row))
	{
		CHECK_FOR_INTERRUPTS();
		rows++;
		old = MemoryContextSwitchTo(rowcxt);
		for (int i = 0; i < L_NATTS; i++)
			nulls[i] = true;
		values[L_LINE] = Int32GetDatum((int32) Min(row.line, PG_INT32_MAX));
		nulls[L_LINE] = false;
		if (!row.ok)
		{
			values[L_ERROR] = server_text(row.error, strlen(row.error), row.line, "reason");
			nulls[L_ERROR] = false;
		}
		else
		{
			values[L_PROVIDER] = PointerGetDatum(provider);
			nulls[L_PROVIDER] = false;
			fill_shape(call, &row, &values[L_PROVIDER_TXN], &nulls[L_PROVIDER_TXN]);
		}
		MemoryContextSwitchTo(old);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		MemoryContextReset(rowcxt);
	}
	MemoryContextDelete(rowcxt);
	if (summary_check)
	{
		char	   *problem;

		qr_bill_finish(call->b);
		problem = file_problem(call->b, rows);
		if (problem)
		{
			for (int i = 0; i < L_NATTS; i++)
				nulls[i] = true;
			if (call->b->has_summary)
			{
				values[L_LINE] = Int32GetDatum((int32) Min(call->b->summary_line, PG_INT32_MAX));
				nulls[L_LINE] = false;
			}
			values[L_ERROR] = server_text(problem, strlen(problem), 0, "reason");
			nulls[L_ERROR] = false;
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
}

/* a legacy reader's call over database text */
static void
legacy_text(bill_call *call, text *bill, qr_bill_format format, char delim, const char *tz)
{
	size_t		len;
	const char *s = utf8_of(bill, &len);

	call->b = new_bill(format, delim, len);
	call->utf8 = s;
	call->len = len;
	call->encoding = "UTF8";
	call->tz_name = tz;
	call->tz = lookup_tz(tz);
}

/*
 * qr_statement_read(bill, provider, columns, header_has, footer_starts,
 * comment_prefix, delimiter, time_zone): the generic reader of 0.6.0.
 */
Datum
qr_statement_read(PG_FUNCTION_ARGS)
{
	bill_call	call;
	text	   *delim;
	size_t		n;

	for (int i = 0; i < 8; i++)
		if (PG_ARGISNULL(i) && i != 4 && i != 5)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("qr_statement_read needs a bill, a provider, the columns, a header column, a delimiter and a time zone")));
	memset(&call, 0, sizeof(call));
	delim = PG_GETARG_TEXT_PP(6);
	legacy_text(&call, PG_GETARG_TEXT_PP(0), QR_BILL_CSV,
				one_byte_delimiter(VARDATA_ANY(delim), VARSIZE_ANY_EXHDR(delim)),
				text_to_cstring(PG_GETARG_TEXT_PP(7)));
	read_columns(call.b, PG_GETARG_JSONB_P(2), false);
	call.b->label = text_to_cstring(PG_GETARG_TEXT_PP(1));
	call.b->header_has = utf8_of(PG_GETARG_TEXT_PP(3), &n);
	call.b->header_has_len = n;
	if (!PG_ARGISNULL(4))
	{
		call.b->footer = utf8_of(PG_GETARG_TEXT_PP(4), &n);
		call.b->footer_len = n;
	}
	if (!PG_ARGISNULL(5))
	{
		call.b->comment = utf8_of(PG_GETARG_TEXT_PP(5), &n);
		call.b->comment_len = n;
	}
	legacy_rows(fcinfo, &call, PG_GETARG_TEXT_P_COPY(1), false);
	PG_RETURN_NULL();
}

/* a WeChat Pay or Alipay bill given as database text */
static void
legacy_format(FunctionCallInfo fcinfo, const char *fn, qr_bill_format format)
{
	bill_call	call;

	require_chinese(fn, format == QR_BILL_WECHATPAY ? ZH_WECHAT_TXN : ZH_ALIPAY_TXN);
	memset(&call, 0, sizeof(call));
	legacy_text(&call, PG_GETARG_TEXT_PP(0), format, ',', text_to_cstring(PG_GETARG_TEXT_PP(1)));
	legacy_rows(fcinfo, &call, cstring_to_text(qr_bill_format_name(format)),
				format == QR_BILL_WECHATPAY);
}

/* qr_statement_wechat(bill text, time_zone text) */
Datum
qr_statement_wechat(PG_FUNCTION_ARGS)
{
	legacy_format(fcinfo, "qr_statement_wechat", QR_BILL_WECHATPAY);
	PG_RETURN_NULL();
}

/* qr_statement_alipay(bill text, time_zone text) */
Datum
qr_statement_alipay_text(PG_FUNCTION_ARGS)
{
	legacy_format(fcinfo, "qr_statement_alipay", QR_BILL_ALIPAY);
	PG_RETURN_NULL();
}

/* qr_statement_alipay(bill bytea, time_zone text): the file in GBK, as delivered */
Datum
qr_statement_alipay_bytea(PG_FUNCTION_ARGS)
{
	bytea	   *bill = PG_GETARG_BYTEA_PP(0);
	bill_call	call;

	require_chinese("qr_statement_alipay", ZH_ALIPAY_TXN);
	memset(&call, 0, sizeof(call));
	call.tz_name = text_to_cstring(PG_GETARG_TEXT_PP(1));
	call.tz = lookup_tz(call.tz_name);
	file_to_utf8(&call, VARDATA_ANY(bill), VARSIZE_ANY_EXHDR(bill), ENC_GBK);
	call.b = new_bill(QR_BILL_ALIPAY, ',', call.len);
	legacy_rows(fcinfo, &call, cstring_to_text("alipay"), false);
	PG_RETURN_NULL();
}

/* qr_statement_csv(bill, provider, columns, delimiter, time_zone) */
Datum
qr_statement_csv(PG_FUNCTION_ARGS)
{
	bill_call	call;
	text	   *delim = PG_GETARG_TEXT_PP(3);

	memset(&call, 0, sizeof(call));
	legacy_text(&call, PG_GETARG_TEXT_PP(0), QR_BILL_CSV,
				one_byte_delimiter(VARDATA_ANY(delim), VARSIZE_ANY_EXHDR(delim)),
				text_to_cstring(PG_GETARG_TEXT_PP(4)));
	read_columns(call.b, PG_GETARG_JSONB_P(2), false);
	if (call.b->name[QR_COL_PROVIDER_TXN] == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("qr_statement_csv needs the columns to name provider_txn, ts and amount")));
	call.b->label = text_to_cstring(PG_GETARG_TEXT_PP(1));
	legacy_rows(fcinfo, &call, PG_GETARG_TEXT_P_COPY(1), false);
	PG_RETURN_NULL();
}

/* ------------------------------------------------------------------ */
/* qr_csv_fields                                                       */
/* ------------------------------------------------------------------ */

/* qr_csv_fields(line text, delimiter text): the fields of one CSV line */
Datum
qr_csv_fields(PG_FUNCTION_ARGS)
{
	text	   *line = PG_GETARG_TEXT_PP(0);
	text	   *delim = PG_GETARG_TEXT_PP(1);
	const char *s = VARDATA_ANY(line);
	size_t		len = VARSIZE_ANY_EXHDR(line);
	char	   *buf = palloc(len + 1);
	qr_csv_field *f;
	Datum	   *elems;
	long		n;

	n = qr_csv_split(s, len, one_byte_delimiter(VARDATA_ANY(delim), VARSIZE_ANY_EXHDR(delim)),
					 NULL, 0, buf);
	f = palloc(sizeof(qr_csv_field) * Max(n, 1));
	elems = palloc(sizeof(Datum) * Max(n, 1));
	qr_csv_split(s, len, VARDATA_ANY(delim)[0], f, n, buf);
	for (long i = 0; i < n; i++)
		elems[i] = PointerGetDatum(cstring_to_text_with_len(f[i].value, (int) f[i].len));
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, (int) n, TEXTOID, -1, false, TYPALIGN_INT));
}

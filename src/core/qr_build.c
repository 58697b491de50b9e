/*
 * qr_build.c — writing codes: the EMVCo TLV and CRC appenders, the field
 * writers of the line formats (EPC, Swiss QR-bill) and of the key=value
 * formats (UPI, SPAYD, BezahlCode), and the builders behind qr_emv,
 * qr_with_amount, qr_with_reference and qr_emv_merge.
 *
 * The builders write into a caller's buffer and do not validate what they
 * write: the PostgreSQL glue validates every result like input
 * (qrpay_from_utf8), so a builder can never store what the type would
 * refuse.  Their errors are the ones the input itself causes (a bad id, a
 * format without the field, an amount that is not positive).
 */
#include <stdio.h>
#include <string.h>

#include "qr_fmt.h"
#include "qr_utf8.h"

/* ------------------------------------------------------------------ */
/* Buffers and EMVCo TLV                                               */
/* ------------------------------------------------------------------ */

void
qr_buf_init(qr_buf *b, char *data, size_t cap)
{
	b->data = data;
	b->cap = cap;
	b->len = 0;
}

void
qr_buf_put(qr_buf *b, const void *s, size_t n)
{
	/* n == 0 may come with s == NULL (an empty padding line) */
	if (n > 0 && b->len <= b->cap && n <= b->cap - b->len)
		memcpy(b->data + b->len, s, n);
	b->len += n;
}

static void
put_str(qr_buf *b, const char *s)
{
	qr_buf_put(b, s, strlen(s));
}

static void
put_char(qr_buf *b, char c)
{
	qr_buf_put(b, &c, 1);
}

/* two decimal digits, 00-99 */
static void
put_2d(qr_buf *b, int v)
{
	char		d[2];

	d[0] = (char) ('0' + v / 10 % 10);
	d[1] = (char) ('0' + v % 10);
	qr_buf_put(b, d, 2);
}

static int
fits(const qr_buf *b)
{
	return b->len <= b->cap;
}

int
qr_tlv_append(qr_buf *b, int id, const char *value, size_t nbytes)
{
	int			chars = qr_utf8_count(value, value + nbytes);

	if (chars < 1 || chars > 99 || id < 0 || id > 99)
		return chars;
	put_2d(b, id);
	put_2d(b, chars);
	qr_buf_put(b, value, nbytes);
	return chars;
}

void
qr_crc_append(qr_buf *b)
{
	static const char hex[] = "0123456789ABCDEF";
	char		crc[4];
	uint16_t	c;

	put_str(b, "6304");
	/* over everything before, "6304" included (§4.7.3) */
	c = fits(b) ? qr_crc16(b->data, b->len) : 0;
	for (int i = 0; i < 4; i++)
		crc[i] = hex[(c >> (12 - 4 * i)) & 0xF];
	qr_buf_put(b, crc, 4);
}

/* ------------------------------------------------------------------ */
/* Errors                                                              */
/* ------------------------------------------------------------------ */

static qr_build_code
build_fail(qr_build_error *err, qr_build_code code, const char *detail,
		   const char *hint, const char *fmt,...) QR_PRINTF(5, 6);

static qr_build_code
build_fail(qr_build_error *err, qr_build_code code, const char *detail,
		   const char *hint, const char *fmt,...)
{
	va_list		ap;

	if (err == NULL)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	snprintf(err->detail, sizeof(err->detail), "%s", detail ? detail : "");
	snprintf(err->hint, sizeof(err->hint), "%s", hint ? hint : "");
	/* an amount or a key quoted in full may have been cut inside a character */
	qr_text_sanitize(err->message);
	return code;
}

static qr_build_code
space(const qr_buf *out, qr_build_error *err)
{
	return build_fail(err, QR_BUILD_SPACE, NULL, NULL,
					  "the output needs %lu bytes; the buffer holds %lu",
					  (unsigned long) out->len, (unsigned long) out->cap);
}

/* "field <path> must hold 1 to 99 characters" when a value does not fit LEN */
static qr_build_code
tlv(qr_buf *b, int id, const char *value, size_t nbytes, const char *path,
	qr_build_error *err)
{
	int			chars = qr_tlv_append(b, id, value, nbytes);
	char		detail[32];

	if (chars >= 1 && chars <= 99)
		return QR_BUILD_OK;
	snprintf(detail, sizeof(detail), "It holds %d.", chars);
	return build_fail(err, QR_BUILD_FIELD, detail, NULL,
					  "field %s must hold 1 to 99 characters", path);
}

static void
id_path(char path[QR_PATH_MAX], int id)
{
	snprintf(path, QR_PATH_MAX, "%02d", id);
}

/* ------------------------------------------------------------------ */
/* qr_emv: a code from its fields                                      */
/* ------------------------------------------------------------------ */

/* room for "NN.NN." and a key quoted in a message */
#define NODE_PATH_MAX 200

/*
 * One level as TLV, in the order given.  depth is 0 at the root; EMVCo
 * nests templates two deep at most (62.50-99 inside 62, Table 3.7).
 */
static qr_build_code
emv_level(const qr_node *nodes, int n, qr_buf *out, const char *base, int depth,
		  qr_build_error *err)
{
	for (int i = 0; i < n; i++)
	{
		const qr_node *nd = &nodes[i];
		char		path[NODE_PATH_MAX];
		int			id;
		qr_build_code rc;

		snprintf(path, sizeof(path), "%s%s%.*s", base, base[0] ? "." : "",
				 (int) (nd->keylen < 150 ? nd->keylen : 150), nd->key);
		if (nd->keylen != 2 || nd->key[0] < '0' || nd->key[0] > '9' ||
			nd->key[1] < '0' || nd->key[1] > '9')
			return build_fail(err, QR_BUILD_FIELD, NULL, NULL,
							  "field %s is not a 2-digit EMVCo id", path);
		id = (nd->key[0] - '0') * 10 + (nd->key[1] - '0');
		if (depth == 0 && id == 63)
			continue;			/* the CRC is computed */
		if (nd->kind == QR_NODE_STRING)
			rc = tlv(out, id, nd->value, nd->vlen, path, err);
		else if (nd->kind == QR_NODE_TEMPLATE)
		{
			size_t		at;
			int			chars;
			char		detail[32];

			if (depth >= 2)
				return build_fail(err, QR_BUILD_FIELD, NULL, NULL,
								  "field %s nests deeper than EMVCo templates go", path);
			/* the header is written once the template's length is known */
			put_str(out, "0000");
			at = out->len;
			rc = emv_level(nd->sub, nd->nsub, out, path, depth + 1, err);
			if (rc != QR_BUILD_OK)
				return rc;
			if (out->len == at)
				return build_fail(err, QR_BUILD_FIELD, NULL, NULL,
								  "field %s is an empty template", path);
			if (!fits(out))
				continue;		/* reported as QR_BUILD_SPACE at the end */
			chars = qr_utf8_count(out->data + at, out->data + out->len);
			if (chars > 99)
			{
				snprintf(detail, sizeof(detail), "It holds %d.", chars);
				return build_fail(err, QR_BUILD_FIELD, detail, NULL,
								  "field %s must hold 1 to 99 characters", path);
			}
			out->data[at - 4] = (char) ('0' + id / 10);
			out->data[at - 3] = (char) ('0' + id % 10);
			out->data[at - 2] = (char) ('0' + chars / 10);
			out->data[at - 1] = (char) ('0' + chars % 10);
			rc = QR_BUILD_OK;
		}
		else
			rc = build_fail(err, QR_BUILD_FIELD, NULL, NULL,
							"field %s must be a string or, for a template, an object", path);
		if (rc != QR_BUILD_OK)
			return rc;
	}
	return QR_BUILD_OK;
}

qr_build_code
qr_build_emv(const qr_node *root, int n, qr_buf *out, qr_build_error *err)
{
	qr_build_code rc = emv_level(root, n, out, "", 0, err);

	if (rc != QR_BUILD_OK)
		return rc;
	qr_crc_append(out);
	return fits(out) ? QR_BUILD_OK : space(out, err);
}

/* ------------------------------------------------------------------ */
/* Field writers                                                       */
/* ------------------------------------------------------------------ */

/*
 * The value to store under root id: value itself, or for 62 the old
 * template (if any) with its reference label 05 set, the other sub-ids
 * kept in their order.
 */
static qr_build_code
emv_put_new(qr_buf *out, int id, const char *value, size_t vlen, const qr_tlv *old,
			qr_build_error *err)
{
	char		path[QR_PATH_MAX];
	/*
	 * the old template (at most 99 characters of at most 4 bytes) with its
	 * 05 swapped for one of at most 4 + 99 * 4 bytes
	 */
	char		tpl[2 * (4 + 99 * 4)];
	qr_buf		t;
	qr_tlv_iter in;
	qr_tlv		u;
	int			put = 0;
	qr_build_code rc;

	if (id != 62)
	{
		id_path(path, id);
		return tlv(out, id, value, vlen, path, err);
	}
	qr_buf_init(&t, tpl, sizeof(tpl));
	if (old)
	{
		qr_tlv_iter_init(&in, old->value, old->value_bytes, 0);
		while (qr_tlv_next(&in, &u))
		{
			if (u.id == 5)
				continue;
			if (!put && u.id > 5)
			{
				if ((rc = tlv(&t, 5, value, vlen, "62.05", err)) != QR_BUILD_OK)
					return rc;
				put = 1;
			}
			if ((rc = tlv(&t, u.id, u.value, u.value_bytes, "62", err)) != QR_BUILD_OK)
				return rc;
		}
	}
	if (!put && (rc = tlv(&t, 5, value, vlen, "62.05", err)) != QR_BUILD_OK)
		return rc;
	if (!fits(&t))
	{
		/* more than 99 characters in any case: say so as for any other value */
		char		detail[32];

		snprintf(detail, sizeof(detail), "It holds more than %d.", 99);
		return build_fail(err, QR_BUILD_FIELD, detail, NULL,
						  "field 62 must hold 1 to 99 characters");
	}
	return tlv(out, 62, t.data, t.len, "62", err);
}

/*
 * An EMVCo root with 01 set to 12 (dynamic, Table 3.6) and root id
 * set to value (for id 62: the reference label 62.05 set inside the
 * template), the other objects in their order, a new CRC.
 */
static qr_build_code
emv_set(const char *buf, size_t len, int id, const char *value, size_t vlen,
		qr_buf *out, qr_build_error *err)
{
	qr_tlv_iter it;
	qr_tlv		t;
	int			exists = 0,
				done = 0;
	char		path[QR_PATH_MAX];
	qr_build_code rc;

	qr_tlv_iter_init(&it, buf, len, 0);
	while (qr_tlv_next(&it, &t))
		exists |= t.id == id;
	qr_tlv_iter_init(&it, buf, len, 0);
	while (qr_tlv_next(&it, &t))
	{
		if (t.id == 63 || t.id == 1)
			continue;
		if (t.id == id)
		{
			if ((rc = emv_put_new(out, id, value, vlen, &t, err)) != QR_BUILD_OK)
				return rc;
			continue;
		}
		if (!exists && !done && t.id > id)
		{
			if ((rc = emv_put_new(out, id, value, vlen, NULL, err)) != QR_BUILD_OK)
				return rc;
			done = 1;
		}
		id_path(path, t.id);
		if ((rc = tlv(out, t.id, t.value, t.value_bytes, path, err)) != QR_BUILD_OK)
			return rc;
		if (t.id == 0)
			qr_tlv_append(out, 1, "12", 2);	/* point of initiation: dynamic */
	}
	if (!exists && !done &&
		(rc = emv_put_new(out, id, value, vlen, NULL, err)) != QR_BUILD_OK)
		return rc;
	qr_crc_append(out);
	return QR_BUILD_OK;
}

/* How a writer stores a value. */
typedef enum vmode
{
	V_RAW,						/* as it is */
	V_PCT,						/* percent-encoded for a query (RFC 3986 §2.3) */
	V_PCT_COMMA					/* an amount with a decimal comma, percent-encoded */
} vmode;

/* RFC 3986 §2.3 unreserved characters stay, every other byte is %XX (§2.1) */
static void
put_value(qr_buf *out, const char *v, size_t n, vmode mode)
{
	static const char hex[] = "0123456789ABCDEF";

	if (mode == V_RAW)
	{
		qr_buf_put(out, v, n);
		return;
	}
	for (size_t i = 0; i < n; i++)
	{
		unsigned char c = (unsigned char) v[i];

		if (mode == V_PCT_COMMA && c == '.')
			c = ',';
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			c == '-' || c == '.' || c == '_' || c == '~')
			put_char(out, (char) c);
		else
		{
			char		e[3] = {'%', hex[c >> 4], hex[c & 0xF]};

			qr_buf_put(out, e, 3);
		}
	}
}

/* A line to set: prefix and value, written one after the other. */
typedef struct line_val
{
	int			line;			/* 0-based */
	const char *prefix;
	const char *value;
	size_t		vlen;
} line_val;

static void
put_line(qr_buf *out, const line_val *set, int nset, int k, const char *p, size_t n)
{
	for (int j = 0; j < nset; j++)
		if (set[j].line == k)
		{
			put_str(out, set[j].prefix);
			qr_buf_put(out, set[j].value, set[j].vlen);
			return;
		}
	qr_buf_put(out, p, n);
}

/*
 * The payload with the lines of set replaced, lines joined by LF (a CR
 * before an LF goes), and at least min_lines lines and enough to hold
 * every line set.  EPC069-12 and the Swiss QR-bill give every element
 * its line (REFERENCE §3; the element tables of qr_lines.c).
 */
static void
line_set(const char *buf, size_t len, const line_val *set, int nset, int min_lines,
		 qr_buf *out)
{
	const char *p = buf,
				*end = buf + len;
	int			k = 0,
				need = min_lines;

	for (int j = 0; j < nset; j++)
		if (set[j].line + 1 > need)
			need = set[j].line + 1;
	for (;;)
	{
		const char *nl = memchr(p, '\n', (size_t) (end - p));
		const char *stop = nl ? nl : end;
		size_t		n = (size_t) (stop - p);

		if (nl && n > 0 && stop[-1] == '\r')
			n--;
		if (k > 0)
			put_char(out, '\n');
		put_line(out, set, nset, k, p, n);
		k++;
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	for (; k < need; k++)
	{
		put_char(out, '\n');
		put_line(out, set, nset, k, NULL, 0);
	}
}

/*
 * key=value set in a URL's '?' query (sep '&', kv '=': UPI, BezahlCode) or
 * in SPAYD's '*' list (sep '*', kv ':'; the list starts after "SPD*").
 * Every pair whose key matches (ASCII case-insensitively) is rewritten,
 * a bare key as well (fuzz_reference: a second "tr" was appended after a
 * bare one, and the result refused as a duplicate); without one, the
 * pair is appended.  A URL's query ends where its
 * fragment starts (RFC 3986 §3.4, §3.5), so the pair goes before a "#";
 * fuzz_reference found it appended into the fragment, where no reader
 * looks for it.
 */
static void
param_set(const char *buf, size_t len, const char *key, const char *value, size_t vlen,
		  vmode mode, char sep, char kv, qr_buf *out)
{
	const char *frag = sep == '&' ? memchr(buf, '#', len) : NULL;
	const char *end = frag ? frag : buf + len;
	const char *start = sep == '&' ? memchr(buf, '?', (size_t) (end - buf)) :
						buf + (len < 4 ? len : 4);
	const char *p;
	int			done = 0;
	size_t		klen = strlen(key);
	char		last = sep;		/* the last byte of the query or list written */

	if (sep == '&' && start == NULL)
	{
		qr_buf_put(out, buf, (size_t) (end - buf));
		put_char(out, '?');
		put_str(out, key);
		put_char(out, kv);
		put_value(out, value, vlen, mode);
		qr_buf_put(out, end, (size_t) (buf + len - end));
		return;
	}
	p = sep == '&' ? start + 1 : start;
	qr_buf_put(out, buf, (size_t) (p - buf));
	while (p < end)
	{
		const char *stop = memchr(p, sep, (size_t) (end - p));
		size_t		n = (size_t) ((stop ? stop : end) - p);

		/* a bare key without a value counts too: readers take it as empty */
		if ((n == klen || (n > klen && p[klen] == kv)) && qr_ascii_prefix(p, n, key))
		{
			put_str(out, key);
			put_char(out, kv);
			put_value(out, value, vlen, mode);
			/* a value is never empty here; its last byte is no separator */
			last = kv;
			done = 1;
		}
		else
		{
			qr_buf_put(out, p, n);
			if (n)
				last = p[n - 1];
		}
		if (stop == NULL)
			break;
		put_char(out, sep);
		last = sep;
		p = stop + 1;
	}
	/*
	 * a separator unless the query or list is empty or ends in one (the
	 * glue once looked at the last byte written, and glued the pair to a
	 * value ending in "?": fuzz_reference)
	 */
	if (!done)
	{
		if (last != sep)
			put_char(out, sep);
		put_str(out, key);
		put_char(out, kv);
		put_value(out, value, vlen, mode);
	}
	qr_buf_put(out, end, (size_t) (buf + len - end));
}

/* ------------------------------------------------------------------ */
/* qr_with_amount and qr_with_reference                                */
/* ------------------------------------------------------------------ */

static qr_build_code
no_field(qr_fmt fmt, const char *what, qr_build_error *err)
{
	return build_fail(err, QR_BUILD_NO_FIELD, NULL,
					  "EMVCo merchant codes, UPI, EPC, Swiss QR-bill, SPAYD and BezahlCode codes do.",
					  "%s codes carry no %s field", qr_format_name(fmt), what);
}

/* Amounts are quoted in messages up to this many bytes. */
#define QUOTE(n) ((int) ((n) < 200 ? (n) : 200))

/*
 * A positive amount in plain notation with at most maxdec decimals?  The
 * text is numeric_out's: "-" for negatives, NaN, Infinity, -Infinity.
 */
static qr_build_code
amount_check(const char *a, size_t n, int maxdec, qr_build_error *err)
{
	const char *dot = memchr(a, '.', n);
	size_t		zeros = 0;
	char		hint[64];

	while (zeros < n && (a[zeros] == '0' || a[zeros] == '.'))
		zeros++;
	if (n == 0 || a[0] == '-' || zeros == n || memchr(a, 'e', n) ||
		(n == 3 && memcmp(a, "NaN", 3) == 0) || (n >= 8 && memcmp(a + n - 8, "Infinity", 8) == 0))
		return build_fail(err, QR_BUILD_AMOUNT, NULL, NULL,
						  "amount %.*s is not a positive amount", QUOTE(n), a);
	if (dot && (size_t) (a + n - dot - 1) > (size_t) maxdec)
	{
		snprintf(hint, sizeof(hint), "Round it first: round(amount, %d).", maxdec);
		return build_fail(err, QR_BUILD_AMOUNT, NULL, hint,
						  "amount %.*s has more than %d decimals", QUOTE(n), a, maxdec);
	}
	return QR_BUILD_OK;
}

qr_build_code
qr_build_amount(const char *buf, size_t len, const char *amount, size_t alen,
				qr_buf *out, qr_build_error *err)
{
	qr_fmt		fmt = qr_detect_format(buf, len);
	qr_build_code rc;
	line_val	lv;

	if (fmt != QR_FORMAT_EMV_MPM && fmt != QR_FORMAT_UPI && fmt != QR_FORMAT_EPC &&
		fmt != QR_FORMAT_SWISS_QR && fmt != QR_FORMAT_SPAYD && fmt != QR_FORMAT_BEZAHLCODE)
		return no_field(fmt, "amount", err);
	/* EMVCo's Transaction Amount (§4.7.5) is not bound to 2 decimals */
	rc = amount_check(amount, alen, fmt == QR_FORMAT_EMV_MPM ? 6 : 2, err);
	if (rc != QR_BUILD_OK)
		return rc;
	switch (fmt)
	{
		case QR_FORMAT_EMV_MPM:
			/* tag 54 holds up to 13 characters (Table 3.6) */
			if (alen > 13)
				return build_fail(err, QR_BUILD_AMOUNT, NULL, NULL,
								  "amount %.*s is longer than the 13 characters of EMVCo tag 54",
								  QUOTE(alen), amount);
			rc = emv_set(buf, len, 54, amount, alen, out, err);
			break;
		case QR_FORMAT_UPI:
			param_set(buf, len, "am", amount, alen, V_RAW, '&', '=', out);
			break;
		case QR_FORMAT_EPC:
			/* the 8th element: "EUR" and the amount in one (EPC069-12) */
			lv = (line_val) {7, "EUR", amount, alen};
			line_set(buf, len, &lv, 1, 8, out);
			break;
		case QR_FORMAT_SWISS_QR:
			/* the 19th element, Amount (Swiss QR-bill) */
			lv = (line_val) {18, "", amount, alen};
			line_set(buf, len, &lv, 1, 0, out);
			break;
		case QR_FORMAT_SPAYD:
			param_set(buf, len, "AM", amount, alen, V_RAW, '*', ':', out);
			break;
		default:				/* QR_FORMAT_BEZAHLCODE: a decimal comma */
			param_set(buf, len, "amount", amount, alen, V_PCT_COMMA, '&', '=', out);
			break;
	}
	if (rc != QR_BUILD_OK)
		return rc;
	return fits(out) ? QR_BUILD_OK : space(out, err);
}

qr_build_code
qr_build_reference(const char *buf, size_t len, const char *ref, size_t rlen,
				   qr_buf *out, qr_build_error *err)
{
	qr_fmt		fmt;
	qr_build_code rc = QR_BUILD_OK;
	line_val	lv[2];

	/* one line in every format, and SPAYD's separator nowhere */
	if (rlen == 0 || memchr(ref, '\n', rlen) || memchr(ref, '\r', rlen) || memchr(ref, '*', rlen))
		return build_fail(err, QR_BUILD_REFERENCE, NULL, NULL,
						  "a reference must be non-empty, on one line, without \"*\"");
	fmt = qr_detect_format(buf, len);
	switch (fmt)
	{
		case QR_FORMAT_EMV_MPM:
			/* 62.05 Reference Label (Table 3.7) */
			rc = emv_set(buf, len, 62, ref, rlen, out, err);
			break;
		case QR_FORMAT_UPI:
			param_set(buf, len, "tr", ref, rlen, V_PCT, '&', '=', out);
			break;
		case QR_FORMAT_EPC:
			/*
			 * the 11th element, the unstructured remittance; the 10th, the
			 * structured one, is cleared: EPC069-12 allows one or the other
			 * (see qr_lines.c).  (The
			 * glue once cleared and set in two passes; they differ only on
			 * a lone CR, which no valid EPC code holds.)
			 */
			lv[0] = (line_val) {9, "", "", 0};
			lv[1] = (line_val) {10, "", ref, rlen};
			line_set(buf, len, lv, 2, 11, out);
			break;
		case QR_FORMAT_SWISS_QR:
			/* the 30th element, Unstructured message (Swiss QR-bill) */
			lv[0] = (line_val) {29, "", ref, rlen};
			line_set(buf, len, lv, 1, 0, out);
			break;
		case QR_FORMAT_SPAYD:
			/* the variable symbol when the reference is one (up to 10 digits), else the message */
			if (rlen <= 10 && qr_all_digits(ref, rlen))
				param_set(buf, len, "X-VS", ref, rlen, V_RAW, '*', ':', out);
			else
				param_set(buf, len, "MSG", ref, rlen, V_RAW, '*', ':', out);
			break;
		case QR_FORMAT_BEZAHLCODE:
			param_set(buf, len, "reason", ref, rlen, V_PCT, '&', '=', out);
			break;
		default:
			return no_field(fmt, "reference", err);
	}
	if (rc != QR_BUILD_OK)
		return rc;
	return fits(out) ? QR_BUILD_OK : space(out, err);
}

/* ------------------------------------------------------------------ */
/* qr_emv_merge                                                        */
/* ------------------------------------------------------------------ */

/*
 * One code carrying the merchant accounts of several (INTEROP F12, the
 * universal code): the first code's other objects, every code's merchant
 * accounts 02-51 in id order; a template id taken twice by different
 * accounts moves to a free id in 26-51.
 */
qr_build_code
qr_build_merge(const char *const *codes, const size_t *lens, int n, qr_buf *out,
			   qr_build_error *err)
{
	const char *acct[100] = {0};
	size_t		acct_len[100] = {0};
	int			first = -1;
	int			accounts_done = 0;
	qr_tlv_iter it;
	qr_tlv		t;
	char		path[QR_PATH_MAX];
	qr_build_code rc;

	for (int i = 0; i < n; i++)
	{
		qr_fmt		fmt;

		if (codes[i] == NULL)
			continue;
		fmt = qr_detect_format(codes[i], lens[i]);
		if (fmt != QR_FORMAT_EMV_MPM)
			return build_fail(err, QR_BUILD_NOT_EMV, NULL, NULL,
							  "qr_emv_merge merges EMVCo merchant-presented codes; element %d is %s",
							  i + 1, qr_format_name(fmt));
		if (first < 0)
			first = i;
		qr_tlv_iter_init(&it, codes[i], lens[i], 0);
		while (qr_tlv_next(&it, &t))
		{
			int			id = t.id;

			if (id < 2 || id > 51)
				continue;
			if (acct[id] && acct_len[id] == t.value_bytes && memcmp(acct[id], t.value, t.value_bytes) == 0)
				continue;		/* the same account twice */
			if (acct[id])
			{
				if (id < 26)
					return build_fail(err, QR_BUILD_CLASH, NULL,
									  "Ids 02-25 belong to one network each (EMVCo Table 4.1) and cannot move.",
									  "two codes carry different accounts under primitive id %02d", id);
				for (id = 26; id <= 51 && acct[id]; id++)
					;
				if (id > 51)
					return build_fail(err, QR_BUILD_FULL, NULL, NULL,
									  "more merchant account templates than the 26 ids 26-51 hold");
			}
			acct[id] = t.value;
			acct_len[id] = t.value_bytes;
		}
	}
	if (first < 0)
		return build_fail(err, QR_BUILD_NOTHING, NULL, NULL, "no code to merge");
	qr_tlv_iter_init(&it, codes[first], lens[first], 0);
	while (qr_tlv_next(&it, &t))
	{
		if (t.id == 63 || (t.id >= 2 && t.id <= 51))
			continue;
		if (!accounts_done && t.id > 51)
		{
			for (int id = 2; id <= 51; id++)
				if (acct[id])
				{
					id_path(path, id);
					if ((rc = tlv(out, id, acct[id], acct_len[id], path, err)) != QR_BUILD_OK)
						return rc;
				}
			accounts_done = 1;
		}
		id_path(path, t.id);
		if ((rc = tlv(out, t.id, t.value, t.value_bytes, path, err)) != QR_BUILD_OK)
			return rc;
	}
	qr_crc_append(out);
	return fits(out) ? QR_BUILD_OK : space(out, err);
}

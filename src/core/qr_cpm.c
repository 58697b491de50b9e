/*
 * qr_cpm.c — EMVCo consumer-presented mode (EMV QRCPS Consumer-Presented
 * Mode v1.0, REFERENCE §1.8).
 *
 * The QR text is base64 (RFC 4648 §4, padded) of BER-TLV data objects
 * (EMV Book 3 Annex B): the Payload Format Indicator 85 "CPV01" first,
 * then one or more Application Templates 61, each with its ADF Name 4F
 * (the AID, 5-16 bytes), then an optional Common Data Template 62.  Paths
 * are hex tags ("61.4F"); values of the alphanumeric tags (50, 5F20,
 * 5F2D, 85, 9F12, 5F50) are text, all others upper-case hex.
 */
#include <stdio.h>
#include <string.h>

#include "qr_fmt.h"

#define CPM_MAX_BIN ((QR_MAX_BYTES / 4) * 3)
#define CPM_DEPTH 3

/* RFC 4648 Table 1, plus one: the value + 1 of each base64 character, 0 for the others */
static const unsigned char b64_table[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 63, 0, 0, 0, 64,
	53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 0, 0, 0, 0, 0, 0,
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
	16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 0, 0, 0, 0, 0,
	0, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41,
	42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

/* 0-63, or -1 when c is no base64 character */
static inline int
b64val(unsigned char c)
{
	return (int) b64_table[c] - 1;
}

/* Decode; returns the byte count or -1 with *bad at the offending char. */
static long
b64decode(const char *s, size_t n, unsigned char *out, const char **bad)
{
	size_t		o = 0;
	size_t		pad = 0;

	if (n % 4 != 0)
	{
		*bad = s + n;
		return -1;
	}
	if (n >= 1 && s[n - 1] == '=')
		pad++;
	if (n >= 2 && s[n - 2] == '=')
		pad++;
	for (size_t i = 0; i < n; i += 4)
	{
		int			v[4];

		/* any of the four invalid sets the sign bit of the OR */
		v[0] = b64val((unsigned char) s[i]);
		v[1] = b64val((unsigned char) s[i + 1]);
		v[2] = b64val((unsigned char) s[i + 2]);
		v[3] = b64val((unsigned char) s[i + 3]);
		if ((v[0] | v[1] | v[2] | v[3]) < 0)
		{
			for (int k = 0; k < 4; k++)
			{
				/* "=" stands for zero bits only in the padding of the last group */
				if (i + 4 == n && s[i + k] == '=' && k >= 4 - (int) pad)
					v[k] = 0;
				else if (v[k] < 0)
				{
					*bad = s + i + k;
					return -1;
				}
			}
		}
		out[o++] = (unsigned char) ((v[0] << 2) | (v[1] >> 4));
		out[o++] = (unsigned char) (((v[1] & 15) << 4) | (v[2] >> 2));
		out[o++] = (unsigned char) (((v[2] & 3) << 6) | v[3]);
	}
	/* RFC 4648 §3.5: the bits dropped by padding must be zero */
	if ((pad == 1 && (b64val((unsigned char) s[n - 2]) & 3)) ||
		(pad == 2 && (b64val((unsigned char) s[n - 3]) & 15)))
	{
		*bad = s + n - pad - 1;
		return -1;
	}
	return (long) (o - pad);
}

typedef struct ber
{
	unsigned	tag;			/* 1-3 tag bytes, big-endian */
	int			constructed;
	const unsigned char *val;
	size_t		len;
	size_t		at;				/* byte offset of the tag */
} ber;

/* One BER-TLV object at *pos; 1 ok, 0 at end, -1 malformed (*why set). */
static int
ber_next(const unsigned char *b, size_t n, size_t *pos, ber *out, const char **why)
{
	size_t		p = *pos;
	unsigned	tag;
	size_t		len;

	while (p < n && b[p] == 0x00)	/* padding between objects (Book 3 Annex B) */
		p++;
	if (p >= n)
		return 0;
	out->at = p;
	tag = b[p];
	out->constructed = (b[p] & 0x20) != 0;
	if ((b[p++] & 0x1F) == 0x1F)
	{
		int			k = 0;

		do
		{
			if (p >= n || ++k > 2)
			{
				*why = "a tag runs past the end or is longer than 3 bytes";
				return -1;
			}
			tag = (tag << 8) | b[p];
		} while (b[p++] & 0x80);
	}
	if (p >= n)
	{
		*why = "a tag has no length";
		return -1;
	}
	if (b[p] < 0x80)
		len = b[p++];
	else if (b[p] == 0x81 && p + 1 < n)
		len = b[p + 1], p += 2;
	else if (b[p] == 0x82 && p + 2 < n)
		len = ((size_t) b[p + 1] << 8) | b[p + 2], p += 3;
	else
	{
		*why = "a length is not in BER short form or 81/82 long form";
		return -1;
	}
	if (len > n - p)
	{
		*why = "a length runs past the end of the data";
		return -1;
	}
	out->tag = tag;
	out->val = b + p;
	out->len = len;
	*pos = p + len;
	return 1;
}

static void
tag_hex(unsigned tag, char dst[8])
{
	snprintf(dst, 8, tag > 0xFFFF ? "%06X" : tag > 0xFF ? "%04X" : "%02X", tag & 0xFFFFFFu);
}

/* EMV Book 3 Annex A names of the data objects CPM uses */
static const char *
tag_name(unsigned tag)
{
	switch (tag)
	{
		case 0x85:
			return "Payload Format Indicator";
		case 0x61:
			return "Application Template";
		case 0x62:
			return "Common Data Template";
		case 0x63:
			return "Application Specific Transparent Template";
		case 0x64:
			return "Common Data Transparent Template";
		case 0x4F:
			return "Application Definition File (ADF) Name";
		case 0x50:
			return "Application Label";
		case 0x57:
			return "Track 2 Equivalent Data";
		case 0x5A:
			return "Application PAN";
		case 0x82:
			return "Application Interchange Profile";
		case 0x5F20:
			return "Cardholder Name";
		case 0x5F2D:
			return "Language Preference";
		case 0x5F34:
			return "Application PAN Sequence Number";
		case 0x5F50:
			return "Issuer URL";
		case 0x9F08:
			return "Application Version Number";
		case 0x9F10:
			return "Issuer Application Data";
		case 0x9F12:
			return "Application Preferred Name";
		case 0x9F19:
			return "Token Requestor ID";
		case 0x9F24:
			return "Payment Account Reference";
		case 0x9F25:
			return "Last 4 Digits of PAN";
		case 0x9F26:
			return "Application Cryptogram";
		case 0x9F27:
			return "Cryptogram Information Data";
		case 0x9F36:
			return "Application Transaction Counter";
		case 0x9F37:
			return "Unpredictable Number";
		default:
			return "Data Object";
	}
}

static int
is_text_tag(unsigned tag)
{
	return tag == 0x85 || tag == 0x50 || tag == 0x5F20 || tag == 0x5F2D ||
		   tag == 0x9F12 || tag == 0x5F50;
}

static int
printable(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7E)
			return 0;
	return 1;
}

typedef struct cctx
{
	const char *buf;
	size_t		buflen;
	qr_error   *err;
	const unsigned char *bin;
} cctx;

/* Offset in the base64 text of a decoded byte: 4 characters per 3 bytes. */
static const char *
text_at(const cctx *c, size_t byte)
{
	size_t		o = (byte / 3) * 4;

	return c->buf + (o < c->buflen ? o : c->buflen);
}

/* "61.4F" from the tags of the enclosing templates and the object */
static const char *
path_of(char *dst, size_t size, const unsigned *tags, int n)
{
	size_t		o = 0;

	dst[0] = '\0';
	for (int i = 0; i < n && o + 8 < size; i++)
	{
		char		hex[8];

		tag_hex(tags[i], hex);
		o += (size_t) snprintf(dst + o, size - o, "%s%s", i ? "." : "", hex);
	}
	return dst;
}

static qr_errcode
cfail(const cctx *c, size_t byte, const unsigned *tags, int ntags, const char *what)
{
	char		path[40],
				where[48];

	path_of(path, sizeof(path), tags, ntags);
	snprintf(where, sizeof(where), path[0] ? "emv_cpm tag %s" : "emv_cpm", path);
	return qr_fail(c->err, QR_ERR_TLV, c->buf, text_at(c, byte), path, where, "%s", what);
}

/* tags[0..depth-1] are the enclosing templates */
static qr_errcode
check_level(const cctx *c, const unsigned char *b, size_t n, unsigned *tags, int depth)
{
	size_t		pos = 0;
	ber			t;
	int			r;
	const char *why = NULL;
	int			has_aid = 0;

	while ((r = ber_next(b, n, &pos, &t, &why)) > 0)
	{
		size_t		at = (size_t) (t.val - c->bin);

		tags[depth] = t.tag;
		if (t.len == 0)
			return cfail(c, at, tags, depth + 1, "empty value");
		if (t.constructed)
		{
			qr_errcode	rc;

			if (depth + 1 >= CPM_DEPTH)
				return cfail(c, at, tags, depth + 1, "templates nest deeper than CPM uses");
			if ((rc = check_level(c, t.val, t.len, tags, depth + 1)) != QR_OK)
				return rc;
		}
		else if (is_text_tag(t.tag) && !printable(t.val, t.len))
			return cfail(c, at, tags, depth + 1,
						 "alphanumeric data object holds bytes outside printable ASCII");
		if (t.tag == 0x4F)
		{
			if (t.len < 5 || t.len > 16)
				return cfail(c, at, tags, depth + 1, "the AID must be 5 to 16 bytes");
			has_aid = 1;
		}
	}
	if (r < 0)
		return cfail(c, t.at, tags, depth, why);
	if (depth == 1 && tags[0] == 0x61 && !has_aid)
		return cfail(c, (size_t) (b - c->bin), tags, depth,
					 "an Application Template needs its ADF Name (4F)");
	return QR_OK;
}

qr_errcode
qr_cpm_validate(const char *buf, size_t len, qr_error *err,
				qr_finding_fn report, void *arg)
{
	unsigned char bin[CPM_MAX_BIN + 3];
	const char *bad = NULL;
	long		n = b64decode(buf, len, bin, &bad);
	cctx		c;
	size_t		pos = 0;
	ber			t;
	int			r,
				apps = 0,
				common = 0,
				first = 1;
	const char *why = NULL;

	if (n < 0)
		return qr_fail(err, QR_ERR_FORMAT, buf, bad, "", "emv_cpm",
					   "not base64 (RFC 4648: A-Z a-z 0-9 + /, padded with = to a multiple of 4 characters)");
	c.buf = buf;
	c.buflen = len;
	c.err = err;
	c.bin = bin;
	while ((r = ber_next(bin, (size_t) n, &pos, &t, &why)) > 0)
	{
		unsigned	tags[CPM_DEPTH + 1];
		qr_errcode	rc;

		tags[0] = t.tag;
		if (first)
		{
			tags[0] = 0x85;
			if (t.tag != 0x85 || t.len != 5 || memcmp(t.val, "CPV01", 5) != 0)
				return cfail(&c, t.at, tags, 1, "the payload must open with 85 \"CPV01\" (CPM §5.1.1.1)");
			first = 0;
			continue;
		}
		if (t.tag == 0x61)
		{
			if (common)
				return cfail(&c, t.at, tags, 1, "an Application Template follows the Common Data Template");
			apps++;
		}
		else if (t.tag == 0x62)
		{
			if (common++)
				return cfail(&c, t.at, tags, 1, "the Common Data Template occurs twice");
		}
		else
			return cfail(&c, t.at, tags, 1,
						 "only Application Templates (61) and the Common Data Template (62) follow the format indicator");
		if (!t.constructed)
			return cfail(&c, t.at, tags, 1, "this tag must be a constructed template");
		if ((rc = check_level(&c, t.val, t.len, tags, 1)) != QR_OK)
			return rc;
	}
	if (r < 0)
		return cfail(&c, t.at, NULL, 0, why);
	if (apps == 0)
		return qr_fail(err, QR_ERR_MISSING, buf, NULL, "61", "emv_cpm",
					   "at least one Application Template (61) is mandatory");
	(void) report;
	(void) arg;
	return QR_OK;
}

typedef struct fctx
{
	qr_field_fn fn;
	void	   *arg;
	char		hexbuf[2 * CPM_MAX_BIN + 1];
} fctx;

static int
emit_level(fctx *f, const unsigned char *b, size_t n, const char *base, int depth)
{
	size_t		pos = 0;
	ber			t;
	const char *why;

	while (ber_next(b, n, &pos, &t, &why) > 0)
	{
		char		path[40],
					hex[8];
		qr_field	fd;

		tag_hex(t.tag, hex);
		snprintf(path, sizeof(path), "%s%s%s", base, base[0] ? "." : "", hex);
		fd.path = path;
		fd.name = tag_name(t.tag);
		fd.depth = depth;
		fd.container = t.constructed;
		fd.repeated = depth == 1 && t.tag == 0x61;
		if (is_text_tag(t.tag) && !t.constructed)
		{
			fd.value = (const char *) t.val;
			fd.value_len = t.len;
		}
		else
		{
			static const char digits[] = "0123456789ABCDEF";

			for (size_t i = 0; i < t.len; i++)
			{
				f->hexbuf[2 * i] = digits[t.val[i] >> 4];
				f->hexbuf[2 * i + 1] = digits[t.val[i] & 15];
			}
			fd.value = f->hexbuf;
			fd.value_len = 2 * t.len;
		}
		if (f->fn(f->arg, &fd))
			return 1;
		if (t.constructed && emit_level(f, t.val, t.len, path, depth + 1))
			return 1;
	}
	return 0;
}

int
qr_cpm_fields(const char *buf, size_t len, qr_field_fn fn, void *arg)
{
	unsigned char bin[CPM_MAX_BIN + 3];
	const char *bad;
	long		n = b64decode(buf, len, bin, &bad);
	fctx		f;

	if (n < 0)
		return 0;
	f.fn = fn;
	f.arg = arg;
	return emit_level(&f, bin, (size_t) n, "", 1);
}

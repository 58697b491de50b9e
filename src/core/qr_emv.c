/*
 * qr_emv.c — EMVCo Merchant-Presented Mode: validation, TLV walking and
 * lookup by path.
 *
 * Section numbers are those of EMV QRCPS Merchant-Presented Mode v1.0
 * (July 2017).  Validation runs in three passes over a payload, cheapest
 * and most telling first: structure (every TLV level parses, ids unique,
 * 00 first, 63 last), then the CRC (a wrong CRC means the other values are
 * not worth judging), then the value rules of Table 3.6/3.7/3.8.
 */
#include <stdio.h>
#include <string.h>

#include "qr_emv.h"
#include "qr_utf8.h"

/* Everything one validation needs, passed down the recursive walk. */
typedef struct vstate
{
	const char *buf;
	const char *end;
	int			ascii;			/* no byte >= 0x80: bytes are characters */
	qr_error   *err;
	qr_finding_fn report;
	void	   *report_arg;
} vstate;

/* What the root walk records for the value rules. */
typedef struct root_objects
{
	qr_tlv		obj[100];
	uint64_t	seen[2];		/* bitmap of ids present */
	int			last_id;
	int			n;
} root_objects;

#define SEEN(r, id) (((r)->seen[(id) >> 6] >> ((id) & 63)) & 1)

/* ------------------------------------------------------------------ */
/* Reporting                                                           */
/* ------------------------------------------------------------------ */

static void
path_format(char *dst, const int *ids, int depth)
{
	char	   *p = dst;

	for (int i = 0; i < depth; i++)
	{
		if (i > 0)
			*p++ = '.';
		*p++ = (char) ('0' + ids[i] / 10);
		*p++ = (char) ('0' + ids[i] % 10);
	}
	*p = '\0';
}

/*
 * Fill the error: the message always says where, as "tag 26.00 (Globally
 * Unique Identifier) at offset 19: ..." so a clerk can find the spot in the
 * payload without a parser.
 */
static qr_errcode
fail(vstate *st, qr_errcode code, const int *ids, int depth, int offset,
	 const char *fmt, const char *a, const char *b)
{
	qr_error   *e = st->err;
	char		what[QR_MSG_MAX];
	char		where[96];

	if (e == NULL)
		return code;
	e->code = code;
	e->offset = offset;
	e->path[0] = '\0';
	snprintf(what, sizeof(what), fmt, a ? a : "", b ? b : "");
	if (depth > 0)
	{
		path_format(e->path, ids, depth);
		if (offset >= 0)
			snprintf(where, sizeof(where), "tag %s (%s) at offset %d",
					 e->path, qr_emv_field_name(ids, depth), offset);
		else
			snprintf(where, sizeof(where), "tag %s (%s)",
					 e->path, qr_emv_field_name(ids, depth));
	}
	else if (offset >= 0)
		snprintf(where, sizeof(where), "at offset %d", offset);
	else
		where[0] = '\0';
	snprintf(e->message, sizeof(e->message), "%.95s%s%.150s",
			 where, where[0] ? ": " : "", what);
	return code;
}

static void
note(vstate *st, qr_severity sev, const int *ids, int depth, const char *fmt,
	 const char *a, const char *b)
{
	char		path[QR_PATH_MAX] = "";
	char		msg[QR_MSG_MAX];

	if (st->report == NULL)
		return;
	if (depth > 0)
		path_format(path, ids, depth);
	snprintf(msg, sizeof(msg), fmt, a ? a : "", b ? b : "");
	st->report(st->report_arg, sev, path, msg);
}

/*
 * Copy up to nchars whole characters of [s, end) for a message, control
 * characters shown as \xNN so a stray newline or NUL is visible.
 */
static const char *
snip(char *dst, size_t size, const char *s, const char *end, int nchars)
{
	size_t		o = 0;

	while (nchars-- > 0 && s < end)
	{
		unsigned char c = (unsigned char) *s;
		int			w = qr_utf8_width(c);

		if (w > end - s || o + 5 >= size)
			break;
		if (c < 0x20 || c == 0x7F)
			o += (size_t) snprintf(dst + o, size - o, "\\x%02X", c);
		else
		{
			memcpy(dst + o, s, (size_t) w);
			o += (size_t) w;
		}
		s += w;
	}
	dst[o] = '\0';
	return dst;
}

/* A small decimal for messages without pulling printf into every caller. */
static const char *
itoa_buf(char *buf, size_t size, long v)
{
	snprintf(buf, size, "%ld", v);
	return buf;
}

/* ------------------------------------------------------------------ */
/* Character classes (§1.4.1, Table 1.3)                               */
/* ------------------------------------------------------------------ */

static int
all_digits(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return 0;
	return n > 0;
}

/* "ans": the EMV Common Character Set, printable ASCII 0x20-0x7E. */
static int
all_ans(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char) p[i] < 0x20 || (unsigned char) p[i] > 0x7E)
			return 0;
	return 1;
}

static int
value_is(const qr_tlv *t, const char *s)
{
	size_t		n = strlen(s);

	return t->value_bytes == n && memcmp(t->value, s, n) == 0;
}

/*
 * Amount format of tags 54 and 56 (§4.7.5): digits with at most one ".",
 * no separators, not zero.  "98", "98." and "98.73" are valid; "98,73" and
 * "3 705" are not.
 */
static int
amount_ok(const qr_tlv *t)
{
	int			dots = 0,
				digits = 0,
				nonzero = 0;

	for (size_t i = 0; i < t->value_bytes; i++)
	{
		char		c = t->value[i];

		if (c == '.')
			dots++;
		else if (c >= '0' && c <= '9')
		{
			digits++;
			nonzero |= (c != '0');
		}
		else
			return 0;
	}
	return dots <= 1 && digits > 0 && nonzero;
}

/* ------------------------------------------------------------------ */
/* Structure                                                           */
/* ------------------------------------------------------------------ */

/*
 * Read one ID/LEN/VALUE at *p (character offset *off).  On success the
 * object is stored in *t and *p, *off advance past it.
 */
static qr_errcode
read_object(vstate *st, const char **p, const char *end, int *off,
			const int *parent, int depth, qr_tlv *t)
{
	const char *s = *p;
	int			ids[QR_PATH_DEPTH];
	char		n1[24],
				n2[24];
	const char *vend;
	int			len;

	memcpy(ids, parent, sizeof(int) * (size_t) depth);

	if (end - s < 2 || !all_digits(s, 2))
	{
		char		got[32];

		snip(got, sizeof(got), s, end, 2);
		if (depth == 0)
			return fail(st, QR_ERR_TLV, ids, 0, *off,
						"expected a 2-digit tag id, found \"%s\"%s", got,
						end - s < 2 ? " at the end of the payload" : "");
		return fail(st, QR_ERR_TLV, ids, depth, *off,
					"inside the template, expected a 2-digit id, found \"%s\"%s", got,
					end - s < 2 ? " at the end of the template" : "");
	}
	t->id = (s[0] - '0') * 10 + (s[1] - '0');
	t->offset = *off;
	ids[depth] = t->id;
	if (end - s < 4 || !all_digits(s + 2, 2))
	{
		char		got[32];

		snip(got, sizeof(got), s + 2, end, 2);
		return fail(st, QR_ERR_TLV, ids, depth + 1, *off,
					"expected a 2-digit length, found \"%s\"%s", got,
					end - s < 4 ? " (payload truncated)" : "");
	}
	len = (s[2] - '0') * 10 + (s[3] - '0');
	if (len == 0)
		return fail(st, QR_ERR_TLV, ids, depth + 1, *off,
					"length 00 is not allowed; a value has 1 to 99 characters", NULL, NULL);
	if (st->ascii)
		vend = (end - (s + 4) >= len) ? s + 4 + len : NULL;
	else
		vend = qr_utf8_skip(s + 4, end, len);
	if (vend == NULL)
		return fail(st, QR_ERR_TLV, ids, depth + 1, *off,
					"declared length %s runs past the end (%s characters remain)",
					itoa_buf(n1, sizeof(n1), len),
					itoa_buf(n2, sizeof(n2),
							 st->ascii ? (long) (end - s - 4) :
							 (long) qr_utf8_count(s + 4, end)));
	t->value = s + 4;
	t->value_bytes = (size_t) (vend - t->value);
	t->value_chars = len;
	*p = vend;
	*off += 4 + len;
	return QR_OK;
}

/*
 * Walk one template's value: every object parses and no id repeats
 * (§4.3.1.2).  Templates nested one level further (62/50-99) are walked
 * too.  On success, seen[] holds the ids present, for the value rules.
 */
static qr_errcode
walk_template(vstate *st, const qr_tlv *tpl, const int *ids, int depth,
			  uint64_t seen[2])
{
	const char *p = tpl->value;
	const char *end = p + tpl->value_bytes;
	int			off = tpl->offset + 4;
	int			sub[QR_PATH_DEPTH];
	char		n1[24];

	memcpy(sub, ids, sizeof(int) * (size_t) depth);
	seen[0] = seen[1] = 0;
	while (p < end)
	{
		qr_tlv		t;
		qr_errcode	rc = read_object(st, &p, end, &off, ids, depth, &t);

		if (rc != QR_OK)
			return rc;
		sub[depth] = t.id;
		if ((seen[t.id >> 6] >> (t.id & 63)) & 1)
			return fail(st, QR_ERR_DUPLICATE, sub, depth + 1, t.offset,
						"id %s occurs twice in the template; each id may appear once",
						itoa_buf(n1, sizeof(n1), t.id), NULL);
		seen[t.id >> 6] |= 1ULL << (t.id & 63);
		if (depth + 1 < QR_PATH_DEPTH && qr_emv_is_template(sub, depth + 1))
		{
			/*
			 * 62/50-99 are templates with a GUID in 00 (Table 3.7), but real
			 * codes put opaque tokens there (GoPay's per-transaction token in
			 * 62/50), so a value that does not parse is kept as it is and
			 * reported, not rejected.
			 */
			vstate		probe = *st;
			qr_error	scratch;
			uint64_t	inner[2];

			probe.err = &scratch;
			probe.report = NULL;
			if (walk_template(&probe, &t, sub, depth + 1, inner) != QR_OK)
				note(st, QR_SEV_WARNING, sub, depth + 1,
					 "is not the TLV template EMVCo MPM Table 3.7 describes; kept as an opaque value",
					 NULL, NULL);
			else if (!(inner[0] & 1))
				note(st, QR_SEV_WARNING, sub, depth + 1,
					 "the template lacks sub-id 00 (Globally Unique Identifier)", NULL, NULL);
		}
	}
	return QR_OK;
}

static qr_errcode
walk_root(vstate *st, root_objects *r)
{
	const char *p = st->buf;
	int			off = 0;
	int			ids[QR_PATH_DEPTH];
	char		n1[24];

	r->seen[0] = r->seen[1] = 0;
	r->n = 0;
	while (p < st->end)
	{
		qr_tlv		t;
		qr_errcode	rc;

		if (r->n > 0 && r->last_id == 63)
		{
			ids[0] = 63;
			return fail(st, QR_ERR_ORDER, ids, 1, r->obj[63].offset,
						"the CRC must be the last object, but %s more characters follow it",
						itoa_buf(n1, sizeof(n1),
								 st->ascii ? (long) (st->end - p) :
								 (long) qr_utf8_count(p, st->end)), NULL);
		}
		rc = read_object(st, &p, st->end, &off, ids, 0, &t);
		if (rc != QR_OK)
			return rc;
		ids[0] = t.id;
		if (r->n == 0 && t.id != 0)
			return fail(st, QR_ERR_ORDER, ids, 1, 0,
						"the payload must begin with tag 00 (Payload Format Indicator)",
						NULL, NULL);
		/* judged first: a wrong version makes every later rule moot */
		if (r->n == 0 && !value_is(&t, "01"))
			return fail(st, QR_ERR_VALUE, ids, 1, 0,
						"the payload format indicator must be \"01\"", NULL, NULL);
		if (SEEN(r, t.id))
			return fail(st, QR_ERR_DUPLICATE, ids, 1, t.offset,
						"tag %s occurs twice; each tag may appear once at the root",
						itoa_buf(n1, sizeof(n1), t.id), NULL);
		r->seen[t.id >> 6] |= 1ULL << (t.id & 63);
		r->obj[t.id] = t;
		r->last_id = t.id;
		r->n++;
		if (qr_emv_is_template(ids, 1))
		{
			uint64_t	inner[2];

			rc = walk_template(st, &t, ids, 1, inner);
			if (rc != QR_OK)
				return rc;
			/* 26-51 and 80-99 carry a GUID in sub-id 00 (§4.7.10, §4.7.13) */
			if (((t.id >= 26 && t.id <= 51) || t.id >= 80) && !(inner[0] & 1))
				return fail(st, QR_ERR_MISSING, ids, 1, t.offset,
							"the template lacks its mandatory sub-id 00 (Globally Unique Identifier)",
							NULL, NULL);
			/* 64 needs language and name (Table 3.8) */
			if (t.id == 64 && (inner[0] & 3) != 3)
				return fail(st, QR_ERR_MISSING, ids, 1, t.offset,
							"the language template needs sub-id 00 (Language Preference) and 01 (Merchant Name—Alternate Language)",
							NULL, NULL);
		}
	}
	if (!SEEN(r, 63))
	{
		ids[0] = 63;
		return fail(st, QR_ERR_CRC, ids, 1, off,
					"the payload has no CRC; it must end with \"6304\" and 4 hex digits",
					NULL, NULL);
	}
	return QR_OK;
}

/* ------------------------------------------------------------------ */
/* CRC (§4.7.3)                                                        */
/* ------------------------------------------------------------------ */

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static qr_errcode
check_crc(vstate *st, const root_objects *r)
{
	const qr_tlv *t = &r->obj[63];
	int			ids[1] = {63};
	char		want[8],
				got[32];
	uint16_t	crc;
	int			upper = 1;
	unsigned	found = 0;

	if (t->value_chars != 4)
		return fail(st, QR_ERR_CRC, ids, 1, t->offset,
					"the CRC must be 4 hex digits (length 04)", NULL, NULL);
	for (int i = 0; i < 4; i++)
	{
		int			h = hexval(t->value[i]);

		if (h < 0 && snip(got, sizeof(got), t->value, t->value + t->value_bytes, 4))
			return fail(st, QR_ERR_CRC, ids, 1, t->offset,
						"the CRC \"%s\" is not 4 hex digits", got, NULL);
		if (t->value[i] >= 'a')
			upper = 0;
		found = found * 16 + (unsigned) h;
	}
	/* the CRC covers everything up to and including "6304" */
	crc = qr_crc16(st->buf, (size_t) (t->value - st->buf));
	if (found == crc && upper)
		return QR_OK;
	snip(got, sizeof(got), t->value, t->value + t->value_bytes, 4);
	snprintf(want, sizeof(want), "%04X", crc);
	if (found != crc)
		return fail(st, QR_ERR_CRC, ids, 1, t->offset,
					"CRC mismatch: the payload carries %s, the computed CRC-16/CCITT-FALSE is %s",
					got, want);
	return fail(st, QR_ERR_CRC, ids, 1, t->offset,
				"the CRC \"%s\" must be written in uppercase hex (%s)", got, want);
}

/* ------------------------------------------------------------------ */
/* Value rules (Tables 3.6, 3.7, 3.8)                                  */
/* ------------------------------------------------------------------ */

/* Character limits of the primitive root objects that have one. */
static int
root_max_chars(int id)
{
	switch (id)
	{
		case 00:
		case 01:
		case 55:
		case 58:
			return 2;
		case 52:
		case 63:
			return 4;
		case 53:
			return 3;
		case 54:
		case 56:
			return 13;
		case 57:
			return 5;
		case 59:
			return 25;
		case 60:
			return 15;
		case 61:
			return 10;
		default:
			return 99;
	}
}

/*
 * National profiles that drop tags EMVCo calls mandatory.  The real codes
 * of these schemes omit them (PromptPay credit transfer and Thai bill
 * payment: 52, 59, 60; VietQR account transfer: 52, 59, 60), and rejecting
 * them would reject every code those schemes print.  The exemption is keyed
 * on the scheme's AID in a merchant account template, never on country.
 */
typedef struct profile_exemption
{
	const char *aid_prefix;
	const char *scheme;
} profile_exemption;

static const profile_exemption exemptions[] = {
	{"A000000677", "PromptPay/Thai QR"},	/* Bank of Thailand RID */
	{"A000000727", "VietQR (NAPAS)"},		/* NAPAS RID */
};

static const char *
exempt_scheme(vstate *st, const root_objects *r)
{
	for (int id = 26; id <= 51; id++)
	{
		qr_tlv		sub;
		qr_tlv_iter it;

		if (!SEEN(r, id))
			continue;
		qr_tlv_iter_init(&it, r->obj[id].value, r->obj[id].value_bytes, 0);
		while (qr_tlv_next(&it, &sub))
		{
			if (sub.id != 0)
				continue;
			for (size_t k = 0; k < sizeof(exemptions) / sizeof(exemptions[0]); k++)
			{
				size_t		n = strlen(exemptions[k].aid_prefix);

				if (sub.value_bytes >= n &&
					memcmp(sub.value, exemptions[k].aid_prefix, n) == 0)
					return exemptions[k].scheme;
			}
		}
	}
	(void) st;
	return NULL;
}

static qr_errcode
check_mandatory(vstate *st, const root_objects *r)
{
	static const int mandatory[] = {52, 53, 58, 59, 60};
	static const int exemptable[] = {52, 59, 60};
	const char *scheme = NULL;
	int			have_mai = 0;
	int			ids[1];

	for (int id = 2; id <= 51; id++)
		have_mai |= (int) SEEN(r, id);
	if (!have_mai)
		return fail(st, QR_ERR_MISSING, ids, 0, -1,
					"the payload has no merchant account information (tags 02-51); at least one is mandatory",
					NULL, NULL);

	for (size_t i = 0; i < sizeof(mandatory) / sizeof(mandatory[0]); i++)
	{
		int			id = mandatory[i];
		int			can_exempt = 0;

		if (SEEN(r, id))
			continue;
		for (size_t k = 0; k < sizeof(exemptable) / sizeof(exemptable[0]); k++)
			can_exempt |= (exemptable[k] == id);
		if (can_exempt && scheme == NULL)
			scheme = exempt_scheme(st, r);
		ids[0] = id;
		if (!can_exempt || scheme == NULL)
			return fail(st, QR_ERR_MISSING, ids, 1, -1,
						"this mandatory tag is missing", NULL, NULL);
		note(st, QR_SEV_WARNING, ids, 1,
			 "mandatory in EMVCo MPM but absent; accepted under the %s profile",
			 scheme, NULL);
	}
	return QR_OK;
}

/* Tag 62 sub-objects (Table 3.7, §4.8). */
static qr_errcode
check_additional_data(vstate *st, const qr_tlv *tpl)
{
	qr_tlv_iter it;
	qr_tlv		t;
	int			ids[2] = {62, 0};
	char		n1[24];

	qr_tlv_iter_init(&it, tpl->value, tpl->value_bytes, tpl->offset + 4);
	while (qr_tlv_next(&it, &t))
	{
		ids[1] = t.id;
		if (t.id >= 1 && t.id <= 8 && t.value_chars > 25)
			return fail(st, QR_ERR_VALUE, ids, 2, t.offset,
						"value is %s characters; the maximum is 25",
						itoa_buf(n1, sizeof(n1), t.value_chars), NULL);
		if (t.id == 9)
		{
			/* §4.8.1.3: only A, M, E, each at most once */
			int			mask = 0;

			for (size_t i = 0; i < t.value_bytes; i++)
			{
				char		c = t.value[i];
				int			bit = c == 'A' ? 1 : c == 'M' ? 2 : c == 'E' ? 4 : 0;

				if (bit == 0 || (mask & bit) || t.value_chars > 3)
				{
					char		got[32];

					snip(got, sizeof(got), t.value, t.value + t.value_bytes, 3);
					return fail(st, QR_ERR_VALUE, ids, 2, t.offset,
								"\"%s\" is not a request code list: use A (address), M (mobile) and E (email), each at most once",
								got, NULL);
				}
				mask |= bit;
			}
		}
		if (t.id >= 10 && t.id <= 49)
			note(st, QR_SEV_INFO, ids, 2,
				 "id is reserved for future use by EMVCo MPM v1.0", NULL, NULL);
	}
	return QR_OK;
}

/* Sub-objects of 26-51 / 80-99 (GUID length) and 64 (Table 3.8). */
static qr_errcode
check_template_values(vstate *st, const qr_tlv *tpl)
{
	qr_tlv_iter it;
	qr_tlv		t;
	int			ids[2] = {tpl->id, 0};
	char		n1[24];

	qr_tlv_iter_init(&it, tpl->value, tpl->value_bytes, tpl->offset + 4);
	while (qr_tlv_next(&it, &t))
	{
		ids[1] = t.id;
		if (tpl->id == 64)
		{
			if (t.id == 0 && t.value_chars != 2)
				return fail(st, QR_ERR_VALUE, ids, 2, t.offset,
							"the language preference must be a 2-letter ISO 639 code",
							NULL, NULL);
			if (t.id == 1 && t.value_chars > 25)
				return fail(st, QR_ERR_VALUE, ids, 2, t.offset,
							"value is %s characters; the maximum is 25",
							itoa_buf(n1, sizeof(n1), t.value_chars), NULL);
			if (t.id == 2 && t.value_chars > 15)
				return fail(st, QR_ERR_VALUE, ids, 2, t.offset,
							"value is %s characters; the maximum is 15",
							itoa_buf(n1, sizeof(n1), t.value_chars), NULL);
			if (t.id >= 3)
				note(st, QR_SEV_INFO, ids, 2,
					 "id is reserved for future use by EMVCo MPM v1.0", NULL, NULL);
		}
		else if (t.id == 0 && t.value_chars > 32)
			return fail(st, QR_ERR_VALUE, ids, 2, t.offset,
						"the GUID is %s characters; the maximum is 32",
						itoa_buf(n1, sizeof(n1), t.value_chars), NULL);
	}
	return QR_OK;
}

static qr_errcode
check_values(vstate *st, const root_objects *r)
{
	int			ids[1];
	char		n1[24],
				n2[24];
	const qr_tlv *t;
	qr_errcode	rc;

	for (int id = 0; id < 100; id++)
	{
		int			max;

		if (!SEEN(r, id))
			continue;
		t = &r->obj[id];
		ids[0] = id;
		max = root_max_chars(id);
		if (t->value_chars > max)
			return fail(st, QR_ERR_VALUE, ids, 1, t->offset,
						"value is %s characters; the maximum is %s",
						itoa_buf(n1, sizeof(n1), t->value_chars),
						itoa_buf(n2, sizeof(n2), max));
		if (id == 1 && !value_is(t, "11") && !value_is(t, "12"))
			return fail(st, QR_ERR_VALUE, ids, 1, t->offset,
						"must be 11 (static) or 12 (dynamic)", NULL, NULL);
		if (id == 52 && !(t->value_chars == 4 && all_digits(t->value, t->value_bytes)))
			return fail(st, QR_ERR_VALUE, ids, 1, t->offset,
						"the merchant category code must be 4 digits (ISO 18245)", NULL, NULL);
		if (id == 53 && !(t->value_chars == 3 && all_digits(t->value, t->value_bytes)))
			return fail(st, QR_ERR_VALUE, ids, 1, t->offset,
						"the currency must be a 3-digit ISO 4217 numeric code", NULL, NULL);
		if ((id == 54 || id == 56) && !amount_ok(t))
			return fail(st, QR_ERR_VALUE, ids, 1, t->offset,
						"an amount is digits with at most one \".\", no separators, and not zero",
						NULL, NULL);
		if (id == 55 && !value_is(t, "01") && !value_is(t, "02") && !value_is(t, "03"))
			return fail(st, QR_ERR_VALUE, ids, 1, t->offset,
						"must be 01 (prompt for tip), 02 (fixed fee) or 03 (percentage fee)",
						NULL, NULL);
		if (id == 58 && !(t->value_chars == 2 &&
						  t->value[0] >= 'A' && t->value[0] <= 'Z' &&
						  t->value[1] >= 'A' && t->value[1] <= 'Z'))
			return fail(st, QR_ERR_VALUE, ids, 1, t->offset,
						"the country must be an ISO 3166-1 alpha-2 code in capitals", NULL, NULL);
		if ((id == 59 || id == 60) && !all_ans(t->value, t->value_bytes))
			note(st, QR_SEV_WARNING, ids, 1,
				 "holds characters outside the EMV common character set (printable ASCII); local-script names belong in template 64",
				 NULL, NULL);
		if (id >= 65 && id <= 79)
			note(st, QR_SEV_INFO, ids, 1,
				 "tag is reserved for future use by EMVCo MPM v1.0", NULL, NULL);
		if (id == 62 && (rc = check_additional_data(st, t)) != QR_OK)
			return rc;
		if (((id >= 26 && id <= 51) || id == 64 || id >= 80) &&
			(rc = check_template_values(st, t)) != QR_OK)
			return rc;
	}

	/* 56 and 57 exist only with the matching 55 (Table 3.6, §4.7.6-8) */
	{
		int			tip = SEEN(r, 55) ? r->obj[55].value[1] - '0' : 0;

		ids[0] = 56;
		if (SEEN(r, 56) != (tip == 2))
			return fail(st, QR_ERR_VALUE, ids, 1, SEEN(r, 56) ? r->obj[56].offset : -1,
						SEEN(r, 56) ? "a fixed convenience fee requires tag 55 = 02"
						: "tag 55 = 02 (fixed fee) requires tag 56", NULL, NULL);
		ids[0] = 57;
		if (SEEN(r, 57) != (tip == 3))
			return fail(st, QR_ERR_VALUE, ids, 1, SEEN(r, 57) ? r->obj[57].offset : -1,
						SEEN(r, 57) ? "a percentage convenience fee requires tag 55 = 03"
						: "tag 55 = 03 (percentage fee) requires tag 57", NULL, NULL);
		if (tip == 3 && !amount_ok(&r->obj[57]))
			return fail(st, QR_ERR_VALUE, ids, 1, r->obj[57].offset,
						"the percentage must be a value from 00.01 to 99.99 without \"%%\"",
						NULL, NULL);
	}

	if (SEEN(r, 54) && SEEN(r, 1) && value_is(&r->obj[1], "11"))
	{
		ids[0] = 54;
		note(st, QR_SEV_INFO, ids, 1,
			 "a static code (01 = 11) carries a fixed amount; EMVCo suggests 12 for codes with an amount",
			 NULL, NULL);
	}
	return QR_OK;
}

/* ------------------------------------------------------------------ */
/* Entry point                                                         */
/* ------------------------------------------------------------------ */

qr_errcode
qr_emv_validate(const char *buf, size_t len, int ascii, qr_error *err,
				qr_finding_fn report, void *report_arg)
{
	vstate		st = {buf, buf + len, ascii, err, report, report_arg};
	root_objects r;
	qr_errcode	rc;
	char		n1[24];

	if ((rc = walk_root(&st, &r)) != QR_OK)
		return rc;
	if ((rc = check_crc(&st, &r)) != QR_OK)
		return rc;
	if ((rc = check_mandatory(&st, &r)) != QR_OK)
		return rc;
	if ((rc = check_values(&st, &r)) != QR_OK)
		return rc;

	/* §4.1: "should not exceed 512 alphanumeric characters" */
	if (report)
	{
		int			chars = ascii ? (int) len : qr_utf8_count(buf, buf + len);

		if (chars > 512)
			note(&st, QR_SEV_WARNING, NULL, 0,
				 "the payload is %s characters; EMVCo MPM says it should not exceed 512",
				 itoa_buf(n1, sizeof(n1), chars), NULL);
	}
	return QR_OK;
}

/* ------------------------------------------------------------------ */
/* Walking validated payloads                                          */
/* ------------------------------------------------------------------ */

void
qr_tlv_iter_init(qr_tlv_iter *it, const char *buf, size_t len, int base_offset)
{
	it->p = buf;
	it->end = buf + len;
	it->offset = base_offset;
}

/*
 * Defensive even though the input was validated: a value that is not TLV
 * (a primitive asked for as a template) ends the walk instead of reading
 * past the end.
 */
int
qr_tlv_next(qr_tlv_iter *it, qr_tlv *out)
{
	const char *s = it->p;
	const char *vend;
	int			len;

	if (it->end - s < 4 || !all_digits(s, 4))
		return 0;
	len = (s[2] - '0') * 10 + (s[3] - '0');
	vend = qr_utf8_skip(s + 4, it->end, len);
	if (vend == NULL || len == 0)
		return 0;
	out->id = (s[0] - '0') * 10 + (s[1] - '0');
	out->value = s + 4;
	out->value_bytes = (size_t) (vend - out->value);
	out->value_chars = len;
	out->offset = it->offset;
	it->p = vend;
	it->offset += 4 + len;
	return 1;
}

int
qr_tlv_well_formed(const char *buf, size_t len)
{
	qr_tlv_iter it;
	qr_tlv		t;
	int			n = 0;

	qr_tlv_iter_init(&it, buf, len, 0);
	while (qr_tlv_next(&it, &t))
		n++;
	return n > 0 && it.p == it.end;
}

int
qr_emv_is_template(const int *ids, int depth)
{
	int			id = ids[depth - 1];

	if (depth == 1)
		return (id >= 26 && id <= 51) || id == 62 || id == 64 || id >= 80;
	/* payment-system-specific templates inside 62 (Table 3.7) */
	if (depth == 2)
		return ids[0] == 62 && id >= 50;
	return 0;
}

int
qr_path_parse(const char *path, size_t pathlen, int ids[QR_PATH_DEPTH])
{
	int			depth = 0;
	size_t		i = 0;

	while (depth < QR_PATH_DEPTH)
	{
		if (pathlen - i < 2 || !all_digits(path + i, 2))
			return 0;
		ids[depth++] = (path[i] - '0') * 10 + (path[i + 1] - '0');
		i += 2;
		if (i == pathlen)
			return depth;
		if (path[i] != '.')
			return 0;
		i++;
	}
	return 0;
}

int
qr_emv_get(const char *buf, size_t len, const char *path, size_t pathlen,
		   const char **val, size_t *vlen)
{
	int			ids[QR_PATH_DEPTH];
	int			depth = qr_path_parse(path, pathlen, ids);
	const char *p = buf;
	size_t		n = len;

	if (depth == 0)
		return 0;
	for (int d = 0; d < depth; d++)
	{
		qr_tlv_iter it;
		qr_tlv		t;
		int			found = 0;

		/* only templates have children */
		if (d > 0 && !qr_emv_is_template(ids, d))
			return 0;
		qr_tlv_iter_init(&it, p, n, 0);
		while (qr_tlv_next(&it, &t))
			if (t.id == ids[d])
			{
				found = 1;
				break;
			}
		if (!found)
			return 0;
		p = t.value;
		n = t.value_bytes;
	}
	*val = p;
	*vlen = n;
	return 1;
}

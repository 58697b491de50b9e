/*
 * qr_emv.c — EMVCo Merchant-Presented Mode: validation, TLV walking and
 * lookup by path.
 *
 * Section numbers are those of EMV QRCPS Merchant-Presented Mode v1.0
 * (July 2017).  Validation is on the path of every row loaded, so it walks
 * the payload once, checking structure (every TLV level parses, ids unique,
 * 00 first, 63 last) and the value rules of Tables 3.6-3.8 as it goes.
 * Errors are still reported most telling first: structure, then the CRC (a
 * wrong CRC means the other values are not worth judging), then missing
 * mandatory objects, then value rules.
 */
#include <stdio.h>
#include <string.h>

#include "qr_emv.h"
#include "qr_fmt.h"
#include "qr_utf8.h"

/* Error paths stay out of line so the per-object path stays small. */
#if defined(__GNUC__)
#define QR_NOINLINE __attribute__((noinline))
#else
#define QR_NOINLINE
#endif

/* Everything one validation needs, passed down the recursive walk. */
typedef struct vstate
{
	const char *buf;
	const char *end;
	int			ascii;			/* no byte >= 0x80: bytes are characters */
	const char *high_start;		/* every byte >= 0x80 lies in */
	const char *high_end;		/* [high_start, high_end) */
	qr_error   *err;
	qr_finding_fn report;
	void	   *report_arg;
	int			deferred_id;	/* root id of the first value error; 100: none */
	qr_error	deferred;		/* its message, when err is not NULL */
	const char *scheme;			/* national profile named by a merchant account */
} vstate;

/* What the root walk records for the value rules. */
typedef struct root_objects
{
	qr_tlv		obj[64];		/* only the ids in ROOT_KEPT are filled */
	uint64_t	seen[2];		/* bitmap of ids present */
	int			last_id;
	int			n;
} root_objects;

/* Where an object starts: its id, 4 characters before the value. */
#define AT(t) ((t)->value - 4)

/* Root templates (§4.7.10-13): 26-51, 62, 64 and 80-99, as two bitmaps. */
#define ROOT_TEMPLATES_LO ((((1ULL << 26) - 1) << 26) | (1ULL << 62))
#define ROOT_TEMPLATES_HI (1ULL | (((1ULL << 20) - 1) << 16))
#define ROOT_TEMPLATE(id) \
	((int) (((id) < 64 ? ROOT_TEMPLATES_LO >> (id) : ROOT_TEMPLATES_HI >> ((id) - 64)) & 1))

#define SEEN(r, id) (((r)->seen[(id) >> 6] >> ((id) & 63)) & 1)

/* Root objects the rules after the walk read again: 01, 54-57, 63. */
#define ROOT_KEPT ((1ULL << 1) | (1ULL << 54) | (1ULL << 55) | (1ULL << 56) | \
				   (1ULL << 57) | (1ULL << 63))

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
static QR_NOINLINE qr_errcode
fail(vstate *st, qr_errcode code, const int *ids, int depth, const char *at,
	 const char *fmt, const char *a, const char *b)
{
	qr_error   *e = st->err;
	int			offset;
	char		what[QR_MSG_MAX];
	char		where[96];

	if (e == NULL)
		return code;
	/* offsets are counted only here, on the error path, not per object */
	offset = at == NULL ? -1 :
			 st->ascii ? (int) (at - st->buf) : qr_utf8_count(st->buf, at);
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

static QR_NOINLINE void
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

/*
 * Are the 4 bytes at s digits?  Tested as one word: every byte must have
 * high nibble 3, and adding 6 must keep it 3 (so the low nibble is at most
 * 9), with no carries between bytes.  An object's header is four digits,
 * and a merchant category code.
 */
static inline int
four_digits(const char *s)
{
	uint32_t	w;

	memcpy(&w, s, 4);
	return (((w & 0xF0F0F0F0u) ^ 0x30303030u) |
			(((w + 0x06060606u) & 0xF0F0F0F0u) ^ 0x30303030u)) == 0;
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

/* Explain why the header at s is not an id and a length (error path). */
static QR_NOINLINE qr_errcode
header_error(vstate *st, const char *s, const char *end,
			 const int *parent, int depth)
{
	int			ids[QR_PATH_DEPTH];
	char		got[32];

	memcpy(ids, parent, sizeof(int) * (size_t) depth);
	if (end - s < 2 || !all_digits(s, 2))
	{
		snip(got, sizeof(got), s, end, 2);
		if (depth == 0)
			return fail(st, QR_ERR_TLV, ids, 0, s,
						"expected a 2-digit tag id, found \"%s\"%s", got,
						end - s < 2 ? " at the end of the payload" : "");
		return fail(st, QR_ERR_TLV, ids, depth, s,
					"inside the template, expected a 2-digit id, found \"%s\"%s", got,
					end - s < 2 ? " at the end of the template" : "");
	}
	ids[depth] = (s[0] - '0') * 10 + (s[1] - '0');
	snip(got, sizeof(got), s + 2, end, 2);
	return fail(st, QR_ERR_TLV, ids, depth + 1, s,
				"expected a 2-digit length, found \"%s\"%s", got,
				end - s < 4 ? " (payload truncated)" : "");
}

/* Explain a zero length or one that runs past the end (error path). */
static QR_NOINLINE qr_errcode
length_error(vstate *st, const char *s, const char *end,
			 const int *parent, int depth, int id, int len)
{
	int			ids[QR_PATH_DEPTH];
	char		n1[24],
				n2[24];

	memcpy(ids, parent, sizeof(int) * (size_t) depth);
	ids[depth] = id;
	if (len == 0)
		return fail(st, QR_ERR_TLV, ids, depth + 1, s,
					"length 00 is not allowed; a value has 1 to 99 characters", NULL, NULL);
	return fail(st, QR_ERR_TLV, ids, depth + 1, s,
				"declared length %s runs past the end (%s characters remain)",
				itoa_buf(n1, sizeof(n1), len),
				itoa_buf(n2, sizeof(n2),
						 st->ascii ? (long) (end - s - 4) :
						 (long) qr_utf8_count(s + 4, end)));
}

/*
 * The end of a value of len characters at v whose bytes are not all known
 * to be characters, or NULL when it runs past end (out of line: most
 * values lie where bytes are characters).
 */
static QR_NOINLINE const char *
value_end_slow(const vstate *st, const char *v, const char *end, int len)
{
	if (v >= st->high_end)
		return end - v >= len ? v + len : NULL;
	return qr_utf8_skip_in(v, end, st->buf, st->end, len);
}

/*
 * Read one ID/LEN/VALUE at *p, in a level that ends at end; below
 * ascii_end bytes are characters (the level's end or the first byte >=
 * 0x80, whichever is first).  On success the object is stored in *t and
 * *p advances past it.  t->offset is not kept: validation finds offsets
 * from pointers when it reports an error (AT).
 *
 * The four header bytes are read as one word (four_digits).
 */
static inline qr_errcode
read_object(vstate *st, const char **p, const char *end, const char *ascii_end,
			const int *parent, int depth, qr_tlv *t)
{
	const char *s = *p;
	const char *v = s + 4;
	const char *vend;
	uint32_t	w,
				d;
	int			len;

	/*
	 * Both explainers report QR_ERR_TLV; saying so here lets the compiler
	 * see that *t is filled whenever QR_OK is returned.
	 */
	if (end - s < 4 || !four_digits(s))
	{
		header_error(st, s, end, parent, depth);
		return QR_ERR_TLV;
	}
	memcpy(&w, s, 4);
	/*
	 * The digits' values, the first in the low byte; then each byte times
	 * ten plus the next byte gives the id in byte 0 and the length in byte
	 * 2 (no byte's sum exceeds 99, so none carries into the next).
	 */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	d = w - 0x30303030u;
#else
	d = (uint32_t) (s[0] - '0') | (uint32_t) (s[1] - '0') << 8 |
		(uint32_t) (s[2] - '0') << 16 | (uint32_t) (s[3] - '0') << 24;
#endif
	d = d * 10 + (d >> 8);
	t->id = (int) (d & 0xFF);
	len = (int) ((d >> 16) & 0xFF);
	if (len != 0 && ascii_end - v >= len)
		vend = v + len;
	else if (len == 0 || (vend = value_end_slow(st, v, end, len)) == NULL)
	{
		length_error(st, s, end, parent, depth, t->id, len);
		return QR_ERR_TLV;
	}
	t->value = v;
	t->value_bytes = (size_t) (vend - v);
	t->value_chars = len;
	t->offset = 0;
	*p = vend;
	return QR_OK;
}

/* ------------------------------------------------------------------ */
/* Value rules (Tables 3.6, 3.7, 3.8), checked during the walk         */
/* ------------------------------------------------------------------ */

/*
 * Record a value-rule violation.  Structure errors stop the walk at once,
 * but a value error waits: a wrong CRC or a missing mandatory tag says more
 * about a damaged code, so those are reported first.  Among value errors
 * the one under the lowest root id wins, which makes the reported error
 * independent of the order the objects appear in.
 */
static QR_NOINLINE void
defer(vstate *st, int root_id, const int *ids, int depth, const char *at,
	  const char *fmt, const char *a, const char *b)
{
	qr_error   *saved = st->err;

	if (root_id >= st->deferred_id)
		return;
	st->deferred_id = root_id;
	st->err = saved ? &st->deferred : NULL;
	fail(st, QR_ERR_VALUE, ids, depth, at, fmt, a, b);
	st->err = saved;
}

/* Character limits of the primitive root objects (Table 3.6). */
static const unsigned char root_max_chars[100] = {
	[0] = 2,[1] = 2,[52] = 4,[53] = 3,[54] = 13,[55] = 2,[56] = 13,[57] = 5,
	[58] = 2,[59] = 25,[60] = 15,[61] = 10,[63] = 4,
};

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
exempt_scheme(const qr_tlv *guid)
{
	/* both AIDs are registered RIDs, which start with "A" (ISO/IEC 7816-5) */
	if (guid->value_bytes == 0 || guid->value[0] != 'A')
		return NULL;
	for (size_t k = 0; k < sizeof(exemptions) / sizeof(exemptions[0]); k++)
	{
		size_t		n = strlen(exemptions[k].aid_prefix);

		if (guid->value_bytes >= n && memcmp(guid->value, exemptions[k].aid_prefix, n) == 0)
			return exemptions[k].scheme;
	}
	return NULL;
}

/*
 * Add id to the bitmap of ids seen, kept in two words the caller holds in
 * registers (an array in memory would make every object's test wait for
 * the previous object's store); returns whether it was there already.
 */
static inline int
seen_add(uint64_t *lo, uint64_t *hi, int id)
{
	uint64_t	bit = 1ULL << (id & 63);
	int			upper = id >> 6;
	uint64_t	word = upper ? *hi : *lo;

	if (word & bit)
		return 1;
	*lo |= upper ? 0 : bit;
	*hi |= upper ? bit : 0;
	return 0;
}

static qr_errcode walk_template(vstate *st, const qr_tlv *tpl, const int *ids,
								int depth, uint64_t seen[2]);

/*
 * One object inside template 62 or 64 (ids[0] is the template, ids[1] the
 * object).  Templates nested in 62 (50-99) are walked here too.
 */
static void
data_template_rules(vstate *st, const qr_tlv *t, const int *ids)
{
	int			top = ids[0];
	int			id = ids[1];
	char		n1[24];

	if (top == 62)
	{
		if (id >= 1 && id <= 8 && t->value_chars > 25)
			defer(st, 62, ids, 2, AT(t), "value is %s characters; the maximum is 25",
				  itoa_buf(n1, sizeof(n1), t->value_chars), NULL);
		else if (id >= 1 && id <= 8 && st->report && !all_ans(t->value, t->value_bytes))
			/* Table 3.7 gives these format ans; a finding, not an error */
			note(st, QR_SEV_WARNING, ids, 2,
				 "holds characters outside the EMV common character set (printable ASCII)",
				 NULL, NULL);
		else if (id == 9)
		{
			/* §4.8.1.3: only A, M, E, each at most once */
			int			mask = 0,
						ok = t->value_chars <= 3;

			for (size_t i = 0; ok && i < t->value_bytes; i++)
			{
				char		c = t->value[i];
				int			bit = c == 'A' ? 1 : c == 'M' ? 2 : c == 'E' ? 4 : 0;

				ok = bit != 0 && !(mask & bit);
				mask |= bit;
			}
			if (!ok)
			{
				char		got[32];

				snip(got, sizeof(got), t->value, t->value + t->value_bytes, 3);
				defer(st, 62, ids, 2, AT(t),
					  "\"%s\" is not a request code list: use A (address), M (mobile) and E (email), each at most once",
					  got, NULL);
			}
		}
		else if (id >= 10 && id <= 49)
			note(st, QR_SEV_INFO, ids, 2,
				 "id is reserved for future use by EMVCo MPM v1.0", NULL, NULL);
		else if (id >= 50)
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
			if (walk_template(&probe, t, ids, 2, inner) != QR_OK)
				note(st, QR_SEV_WARNING, ids, 2,
					 "is not the TLV template EMVCo MPM Table 3.7 describes; kept as an opaque value",
					 NULL, NULL);
			else if (!(inner[0] & 1))
				note(st, QR_SEV_WARNING, ids, 2,
					 "the template lacks sub-id 00 (Globally Unique Identifier)", NULL, NULL);
		}
	}
	else if (top == 64)
	{
		if (id == 0 && t->value_chars != 2)
			defer(st, 64, ids, 2, AT(t),
				  "the language preference must be a 2-letter ISO 639 code", NULL, NULL);
		else if (id == 1 && t->value_chars > 25)
			defer(st, 64, ids, 2, AT(t), "value is %s characters; the maximum is 25",
				  itoa_buf(n1, sizeof(n1), t->value_chars), NULL);
		else if (id == 2 && t->value_chars > 15)
			defer(st, 64, ids, 2, AT(t), "value is %s characters; the maximum is 15",
				  itoa_buf(n1, sizeof(n1), t->value_chars), NULL);
		else if (id >= 3)
			note(st, QR_SEV_INFO, ids, 2,
				 "id is reserved for future use by EMVCo MPM v1.0", NULL, NULL);
	}
}

/*
 * One object inside a root template.  Merchant account templates (26-51)
 * and 80-99, most of a payload's templates, have a rule for sub-id 00
 * only, checked here inline; 62 and 64 have their own.
 */
static inline void
template_object_rules(vstate *st, const qr_tlv *t, const int *ids)
{
	int			top = ids[0];
	char		n1[24];

	if (top == 62 || top == 64)
		data_template_rules(st, t, ids);
	else if (ids[1] == 0)
	{
		/* 26-51 and 80-99: sub-id 00 is the GUID, at most 32 (§4.7.10) */
		if (t->value_chars > 32)
			defer(st, top, ids, 2, AT(t), "the GUID is %s characters; the maximum is 32",
				  itoa_buf(n1, sizeof(n1), t->value_chars), NULL);
		if (top <= 51 && st->scheme == NULL)
			st->scheme = exempt_scheme(t);
	}
}

/*
 * Walk one template's value: every object parses and no id repeats
 * (§4.3.1.2).  Objects of root templates get their value rules; seen[]
 * returns the ids present.
 */
static qr_errcode
walk_template(vstate *st, const qr_tlv *tpl, const int *ids, int depth,
			  uint64_t seen[2])
{
	const char *p = tpl->value;
	const char *end = p + tpl->value_bytes;
	const char *ascii_end = end < st->high_start ? end : st->high_start;
	int			sub[QR_PATH_DEPTH];
	char		n1[24];
	uint64_t	lo = 0,
				hi = 0;

	for (int k = 0; k < depth; k++)
		sub[k] = ids[k];
	while (p < end)
	{
		qr_tlv		t;
		qr_errcode	rc = read_object(st, &p, end, ascii_end, ids, depth, &t);

		if (rc != QR_OK)
			return rc;
		sub[depth] = t.id;
		if (seen_add(&lo, &hi, t.id))
			return fail(st, QR_ERR_DUPLICATE, sub, depth + 1, AT(&t),
						"id %s occurs twice in the template; each id may appear once",
						itoa_buf(n1, sizeof(n1), t.id), NULL);
		if (depth == 1)
			template_object_rules(st, &t, sub);
	}
	seen[0] = lo;
	seen[1] = hi;
	return QR_OK;
}

/* Rules of one root object; templates are walked from here. */
static qr_errcode
root_object_rules(vstate *st, const qr_tlv *t)
{
	int			id = t->id;
	int			ids[1] = {id};
	int			max = root_max_chars[id];
	char		n1[24],
				n2[24];

	/* no limit in the table: 99, which a 2-digit length cannot exceed */
	if (max != 0 && t->value_chars > max)
		defer(st, id, ids, 1, AT(t), "value is %s characters; the maximum is %s",
			  itoa_buf(n1, sizeof(n1), t->value_chars), itoa_buf(n2, sizeof(n2), max));
	switch (id)
	{
		case 1:
			if (!value_is(t, "11") && !value_is(t, "12"))
				defer(st, id, ids, 1, AT(t), "must be 11 (static) or 12 (dynamic)", NULL, NULL);
			break;
		case 52:
			/* four characters that are digits are four bytes */
			if (!(t->value_bytes == 4 && four_digits(t->value)))
				defer(st, id, ids, 1, AT(t),
					  "the merchant category code must be 4 digits (ISO 18245)", NULL, NULL);
			break;
		case 53:
			if (!(t->value_bytes == 3 && (unsigned) (t->value[0] - '0') <= 9 &&
				  (unsigned) (t->value[1] - '0') <= 9 && (unsigned) (t->value[2] - '0') <= 9))
				defer(st, id, ids, 1, AT(t),
					  "the currency must be a 3-digit ISO 4217 numeric code", NULL, NULL);
			break;
		case 54:
		case 56:
			if (!amount_ok(t))
				defer(st, id, ids, 1, AT(t),
					  "an amount is digits with at most one \".\", no separators, and not zero",
					  NULL, NULL);
			break;
		case 55:
			if (!value_is(t, "01") && !value_is(t, "02") && !value_is(t, "03"))
				defer(st, id, ids, 1, AT(t),
					  "must be 01 (prompt for tip), 02 (fixed fee) or 03 (percentage fee)",
					  NULL, NULL);
			break;
		case 58:
			if (!(t->value_chars == 2 &&
				  t->value[0] >= 'A' && t->value[0] <= 'Z' &&
				  t->value[1] >= 'A' && t->value[1] <= 'Z'))
				defer(st, id, ids, 1, AT(t),
					  "the country must be an ISO 3166-1 alpha-2 code in capitals", NULL, NULL);
			break;
		case 59:
		case 60:
		case 61:
			/* only a finding, so only looked for when someone listens */
			if (st->report && !all_ans(t->value, t->value_bytes))
				note(st, QR_SEV_WARNING, ids, 1,
					 "holds characters outside the EMV common character set (printable ASCII); local-script names belong in template 64",
					 NULL, NULL);
			break;
		default:
			if (id >= 65 && id <= 79)
				note(st, QR_SEV_INFO, ids, 1,
					 "tag is reserved for future use by EMVCo MPM v1.0", NULL, NULL);
	}

	if (ROOT_TEMPLATE(id))
	{
		uint64_t	inner[2];
		qr_errcode	rc = walk_template(st, t, ids, 1, inner);

		if (rc != QR_OK)
			return rc;
		/* 26-51 and 80-99 carry a GUID in sub-id 00 (§4.7.10, §4.7.13) */
		if (((id >= 26 && id <= 51) || id >= 80) && !(inner[0] & 1))
			return fail(st, QR_ERR_MISSING, ids, 1, AT(t),
						"the template lacks its mandatory sub-id 00 (Globally Unique Identifier)",
						NULL, NULL);
		/* 64 needs language and name (Table 3.8) */
		if (id == 64 && (inner[0] & 3) != 3)
			return fail(st, QR_ERR_MISSING, ids, 1, AT(t),
						"the language template needs sub-id 00 (Language Preference) and 01 (Merchant Name—Alternate Language)",
						NULL, NULL);
	}
	return QR_OK;
}

static qr_errcode
walk_root(vstate *st, root_objects *r)
{
	const char *p = st->buf;
	int			ids[QR_PATH_DEPTH];
	char		n1[24];
	uint64_t	lo = 0,
				hi = 0;
	int			last_id = -1,
				n = 0;

	while (p < st->end)
	{
		qr_tlv		t;
		qr_errcode	rc;

		if (last_id == 63)
		{
			ids[0] = 63;
			return fail(st, QR_ERR_ORDER, ids, 1, AT(&r->obj[63]),
						"the CRC must be the last object, but %s more characters follow it",
						itoa_buf(n1, sizeof(n1),
								 st->ascii ? (long) (st->end - p) :
								 (long) qr_utf8_count(p, st->end)), NULL);
		}
		rc = read_object(st, &p, st->end, st->high_start, ids, 0, &t);
		if (rc != QR_OK)
			return rc;
		ids[0] = t.id;
		if (n == 0)
		{
			if (t.id != 0)
				return fail(st, QR_ERR_ORDER, ids, 1, st->buf,
							"the payload must begin with tag 00 (Payload Format Indicator)",
							NULL, NULL);
			/* judged first: a wrong version makes every later rule moot */
			if (!value_is(&t, "01"))
				return fail(st, QR_ERR_VALUE, ids, 1, st->buf,
							"the payload format indicator must be \"01\"", NULL, NULL);
		}
		if (seen_add(&lo, &hi, t.id))
			return fail(st, QR_ERR_DUPLICATE, ids, 1, AT(&t),
						"tag %s occurs twice; each tag may appear once at the root",
						itoa_buf(n1, sizeof(n1), t.id), NULL);
		if (t.id < 64 && ((ROOT_KEPT >> t.id) & 1))
			r->obj[t.id] = t;
		last_id = t.id;
		n++;
		if ((rc = root_object_rules(st, &t)) != QR_OK)
			return rc;
	}
	r->seen[0] = lo;
	r->seen[1] = hi;
	r->last_id = last_id;
	r->n = n;
	if (!SEEN(r, 63))
	{
		ids[0] = 63;
		return fail(st, QR_ERR_CRC, ids, 1, st->end,
					"the payload has no CRC; it must end with \"6304\" and 4 hex digits",
					NULL, NULL);
	}
	return QR_OK;
}

/* ------------------------------------------------------------------ */
/* CRC (§4.7.3)                                                        */
/* ------------------------------------------------------------------ */

/*
 * The four digits of the CRC read together as one 32-bit word, without a
 * branch: a CRC's digits mix 0-9 and A-F at random, which no branch
 * predictor follows.  Returns their value; *bad is set when one is not a
 * hex digit, *lower when one is a lowercase letter.  Each byte is tested
 * for the ranges 0-9 and a-f (after folding case) by adding what carries
 * it into bit 7 at the range's start and again just past its end; with
 * every byte below 0x80 no sum carries into the next byte.  A letter's low
 * nibble is 1-6 for A-F and a-f alike, and bit 6 tells it from a digit.
 */
static inline unsigned
hex4(const char *s, unsigned *bad, unsigned *lower)
{
	uint32_t	w,
				folded,
				digit,
				letter,
				nib;

	memcpy(&w, s, 4);
	folded = w | 0x20202020u;
	digit = (w + 0x50505050u) & ~(w + 0x46464646u);		/* 0x30-0x39 */
	letter = (folded + 0x1F1F1F1Fu) & ~(folded + 0x19191919u);	/* a-f */
	*bad = (w & 0x80808080u) != 0 || ((digit | letter) & 0x80808080u) != 0x80808080u;
	*lower = ((w + 0x1F1F1F1Fu) & 0x80808080u) != 0;	/* a byte >= 'a' */
	nib = (w & 0x0F0F0F0Fu) + 9 * ((w >> 6) & 0x01010101u);
	/* the first character is the most significant digit */
	return ((nib & 0xFu) << 12) | (nib & 0xF00u) | ((nib >> 12) & 0xF0u) | (nib >> 24);
}

static qr_errcode
check_crc(vstate *st, const root_objects *r)
{
	const qr_tlv *t = &r->obj[63];
	int			ids[1] = {63};
	char		want[8],
				got[32];
	uint16_t	crc;
	unsigned	found,
				bad,
				lower;

	if (t->value_chars != 4)
		return fail(st, QR_ERR_CRC, ids, 1, AT(t),
					"the CRC must be 4 hex digits (length 04)", NULL, NULL);
	/* four characters take at least four bytes */
	found = hex4(t->value, &bad, &lower);
	if (bad)
	{
		snip(got, sizeof(got), t->value, t->value + t->value_bytes, 4);
		return fail(st, QR_ERR_CRC, ids, 1, AT(t),
					"the CRC \"%s\" is not 4 hex digits", got, NULL);
	}
	/* the CRC covers everything up to and including "6304" */
	crc = qr_crc16(st->buf, (size_t) (t->value - st->buf));
	if (found == crc && !lower)
		return QR_OK;
	snip(got, sizeof(got), t->value, t->value + t->value_bytes, 4);
	snprintf(want, sizeof(want), "%04X", crc);
	if (found != crc)
		return fail(st, QR_ERR_CRC, ids, 1, AT(t),
					"CRC mismatch: the payload carries %s, the computed CRC-16/CCITT-FALSE is %s",
					got, want);
	return fail(st, QR_ERR_CRC, ids, 1, AT(t),
				"the CRC \"%s\" must be written in uppercase hex (%s)", got, want);
}

/* ------------------------------------------------------------------ */
/* Rules over the whole payload                                        */
/* ------------------------------------------------------------------ */

/* Bitmap words of ids 2-51: merchant account information (Table 4.1). */
#define MAI_LOW		(~0ULL << 2)			/* ids 2-63, word 0 */
#define MAI_MASK0	(MAI_LOW & ((1ULL << 52) - 1))

static qr_errcode
check_mandatory(vstate *st, const root_objects *r)
{
	static const int mandatory[] = {52, 53, 58, 59, 60};
	const uint64_t all = (1ULL << 52) | (1ULL << 53) | (1ULL << 58) |
						 (1ULL << 59) | (1ULL << 60);
	int			ids[1];

	/* the usual case, a code with all of them */
	if ((r->seen[0] & MAI_MASK0) != 0 && (r->seen[0] & all) == all)
		return QR_OK;
	if ((r->seen[0] & MAI_MASK0) == 0)
		return fail(st, QR_ERR_MISSING, ids, 0, NULL,
					"the payload has no merchant account information (tags 02-51); at least one is mandatory",
					NULL, NULL);

	for (size_t i = 0; i < sizeof(mandatory) / sizeof(mandatory[0]); i++)
	{
		int			id = mandatory[i];
		int			can_exempt = id == 52 || id == 59 || id == 60;

		if (SEEN(r, id))
			continue;
		ids[0] = id;
		if (!can_exempt || st->scheme == NULL)
			return fail(st, QR_ERR_MISSING, ids, 1, NULL,
						"this mandatory tag is missing", NULL, NULL);
		note(st, QR_SEV_WARNING, ids, 1,
			 "mandatory in EMVCo MPM but absent; accepted under the %s profile",
			 st->scheme, NULL);
	}
	return QR_OK;
}

/* 56 and 57 exist only with the matching 55 (Table 3.6, §4.7.6-8). */
static qr_errcode
check_convenience_fee(vstate *st, const root_objects *r)
{
	int			tip = SEEN(r, 55) ? r->obj[55].value[1] - '0' : 0;
	int			ids[1];

	ids[0] = 56;
	if (SEEN(r, 56) != (tip == 2))
		return fail(st, QR_ERR_VALUE, ids, 1, SEEN(r, 56) ? AT(&r->obj[56]) : NULL,
					SEEN(r, 56) ? "a fixed convenience fee requires tag 55 = 02"
					: "tag 55 = 02 (fixed fee) requires tag 56", NULL, NULL);
	ids[0] = 57;
	if (SEEN(r, 57) != (tip == 3))
		return fail(st, QR_ERR_VALUE, ids, 1, SEEN(r, 57) ? AT(&r->obj[57]) : NULL,
					SEEN(r, 57) ? "a percentage convenience fee requires tag 55 = 03"
					: "tag 55 = 03 (percentage fee) requires tag 57", NULL, NULL);
	if (tip == 3 && !amount_ok(&r->obj[57]))
		return fail(st, QR_ERR_VALUE, ids, 1, AT(&r->obj[57]),
					"the percentage must be a value from 00.01 to 99.99 without \"%%\"",
					NULL, NULL);
	return QR_OK;
}

/* ------------------------------------------------------------------ */
/* Entry point                                                         */
/* ------------------------------------------------------------------ */

/*
 * One pass over the objects applies the structure rules (stopping at the
 * first violation) and the value rules (remembering the first); then the
 * CRC, the mandatory objects, the deferred value error and the rules that
 * relate several objects are judged, in that order.
 */
qr_errcode
qr_emv_validate(const char *buf, size_t len, size_t high_first,
				size_t high_last, qr_error *err, qr_finding_fn report,
				void *report_arg)
{
	vstate		st;
	root_objects r;
	qr_errcode	rc;
	int			ascii = high_first == len;
	char		n1[24];

	st.buf = buf;
	st.end = buf + len;
	st.ascii = ascii;
	st.high_start = buf + high_first;
	st.high_end = buf + high_last;
	st.err = err;
	st.report = report;
	st.report_arg = report_arg;
	st.deferred_id = 100;
	st.scheme = NULL;

	if ((rc = walk_root(&st, &r)) != QR_OK)
		return rc;
	if ((rc = check_crc(&st, &r)) != QR_OK)
		return rc;
	if ((rc = check_mandatory(&st, &r)) != QR_OK)
		return rc;
	if (st.deferred_id < 100)
	{
		if (err)
			*err = st.deferred;
		return QR_ERR_VALUE;
	}
	if ((rc = check_convenience_fee(&st, &r)) != QR_OK)
		return rc;

	if (report)
	{
		int			ids[1] = {54};
		int			chars = ascii ? (int) len : qr_utf8_count(buf, buf + len);

		if (SEEN(&r, 54) && SEEN(&r, 1) && value_is(&r.obj[1], "11"))
			note(&st, QR_SEV_INFO, ids, 1,
				 "a static code (01 = 11) carries a fixed amount; EMVCo suggests 12 for codes with an amount",
				 NULL, NULL);
		/* §4.1: "should not exceed 512 alphanumeric characters" */
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
		return ROOT_TEMPLATE(id);
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

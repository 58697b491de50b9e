/*
 * qr_parsed.c — one walk of a validated payload (see qr_parsed.h), and
 * provider identification over it.
 */
#include <stdint.h>
#include <string.h>

#include "qr_fmt.h"
#include "qr_parsed.h"
#include "qr_utf8.h"

/*
 * The named fields recorded for each format: every path the field
 * semantics (qr_fields.c) and identification read.  Paths are those of
 * qr_fields: URL query parameters under "query.", UPI parameters bare.
 */
typedef struct named_key
{
	const char *path;
	size_t		len;
} named_key;

#define K(s) {s, sizeof(s) - 1}

static const named_key format_keys[QR_FORMAT_COUNT][QR_PARSED_KEYS + 1] = {
	[QR_FORMAT_URL] = {K("query.pr"), K("query.product_id"), K("path"), {NULL, 0}},
	[QR_FORMAT_UPI] = {K("pn"), K("am"), K("cu"), K("tr"), K("pa"), K("mc"), {NULL, 0}},
	[QR_FORMAT_EPC] = {K("name"), K("amount"), K("reference"), K("remittance"), K("iban"), K("bic"), {NULL, 0}},
	[QR_FORMAT_SWISS_QR] = {
		K("creditor.name"), K("creditor.town"), K("creditor.country"), K("amount"),
		K("currency"), K("reference"), K("message"), K("iban"), {NULL, 0}
	},
	[QR_FORMAT_SPAYD] = {K("RN"), K("AM"), K("CC"), K("X-VS"), K("RF"), K("ACC"), {NULL, 0}},
	[QR_FORMAT_BEZAHLCODE] = {
		K("name"), K("amount"), K("currency"), K("separeference"), K("reason"), K("iban"),
		K("account"), K("bic"), {NULL, 0}
	},
};

/* A merchant account information template (EMVCo MPM §4.5.1, 26-51 and 80-99)? */
static int
is_account_template(int id)
{
	return (id >= 26 && id <= 51) || (id >= 80 && id <= 99);
}

/*
 * One data object of a validated TLV level at *s (EMVCo MPM §4.4.1.1:
 * 2-digit id, 2-digit length in characters, the value): its id and
 * value, *s moved past it.  0 at the end or where the level stops being
 * TLV, as qr_tlv_next; inline because the walk below is what
 * identification spends its time in.
 */
static inline int
tlv_step(const char **s, const char *end, int *id, const char **v, size_t *vlen)
{
	const char *p = *s;
	const char *vend;
	int			n;

	if (end - p < 4 || (unsigned) (p[0] - '0') > 9 || (unsigned) (p[1] - '0') > 9 ||
		(unsigned) (p[2] - '0') > 9 || (unsigned) (p[3] - '0') > 9)
		return 0;
	n = (p[2] - '0') * 10 + (p[3] - '0');
	vend = qr_utf8_skip(p + 4, end, n);
	if (vend == NULL || n == 0)
		return 0;
	*id = (p[0] - '0') * 10 + (p[1] - '0');
	*v = p + 4;
	*vlen = (size_t) (vend - *v);
	*s = vend;
	return 1;
}

int
qr_tlv_sub(const char *v, size_t n, int sub, const char **val, size_t *vlen)
{
	const char *s = v;
	int			id;

	while (tlv_step(&s, v + n, &id, val, vlen))
		if (id == sub)
			return 1;
	return 0;
}

/*
 * The root objects in payload order.  Offsets are 16 bits: a longer
 * payload (never valid) stops the record.
 */
static void
parse_emv(qr_parsed *p)
{
	const char *s = p->buf,
				*end = p->buf + p->len;
	const char *v;
	size_t		vlen;
	int			id,
				n = 0;

	while (tlv_step(&s, end, &id, &v, &vlen))
	{
		qr_pobject *o = &p->objects[n];
		size_t		off = (size_t) (v - p->buf);

		if (n == QR_PARSED_OBJECTS || off + vlen > UINT16_MAX)
		{
			p->overflow = 1;
			break;
		}
		o->id = (uint8_t) id;
		o->off = (uint16_t) off;
		o->len = (uint16_t) vlen;
		o->sub_state = QR_SUB_UNREAD;
		n++;
	}
	p->nobjects = n;
}

typedef struct named_walk
{
	qr_parsed  *p;
	const named_key *keys;
	int			nkeys;
	int			want;			/* the key asked for: stop once it is recorded */
} named_walk;

/* Record the first occurrence of each key the walk passes. */
static int
named_cb(void *arg, const qr_field *f)
{
	named_walk *w = arg;
	qr_parsed  *p = w->p;
	uintptr_t	v = (uintptr_t) f->value,
				b = (uintptr_t) p->buf;
	size_t		plen = strlen(f->path);
	int			k;

	for (k = 0; k < w->nkeys; k++)
		if (plen == w->keys[k].len && memcmp(f->path, w->keys[k].path, plen) == 0)
			break;
	if (k == w->nkeys || p->fields[k].value || (p->overflow & (1 << k)))
		return 0;
	if (v >= b && v + f->value_len <= b + p->len)
		p->fields[k].value = f->value;	/* a slice of the payload */
	else if (f->value_len < sizeof(p->text) - p->text_used)
	{
		/* decoded: kept in the parse (the walk's buffer is gone after it) */
		p->fields[k].value = memcpy(p->text + p->text_used, f->value, f->value_len);
		p->text_used += f->value_len;
	}
	else
		p->overflow |= 1 << k;
	p->fields[k].len = f->value_len;
	return k == w->want;
}

/*
 * Walk the named fields up to key want, recording every key passed on
 * the way, as qr_field_get would walk up to it.  A later request for a
 * key not yet passed walks again; once a walk reaches the end, every
 * key is known.
 */
static void
parse_named(qr_parsed *p, int want)
{
	named_walk	w;
	int			stopped = 0;

	w.p = p;
	w.keys = format_keys[p->format];
	w.want = want;
	for (w.nkeys = 0; w.keys[w.nkeys].path; w.nkeys++)
		if (p->named == QR_PARSED_UNWALKED)
			p->fields[w.nkeys].value = NULL;
	/* the format is known: its own walker, not qr_fields' detection again */
	switch (p->format)
	{
		case QR_FORMAT_URL:
		case QR_FORMAT_UPI:
		case QR_FORMAT_BEZAHLCODE:
			stopped = qr_url_fields(p->format, p->buf, p->len, named_cb, &w);
			break;
		case QR_FORMAT_EPC:
			stopped = qr_epc_fields(p->buf, p->len, named_cb, &w);
			break;
		case QR_FORMAT_SWISS_QR:
			stopped = qr_swiss_fields(p->buf, p->len, named_cb, &w);
			break;
		case QR_FORMAT_SPAYD:
			stopped = qr_spayd_fields(p->buf, p->len, named_cb, &w);
			break;
		default:
			break;
	}
	p->named = stopped ? QR_PARSED_PARTLY : QR_PARSED_WALKED;
}

qr_parsed *
qr_parse(qr_parsed *p, const char *buf, size_t len)
{
	p->buf = buf;
	p->len = len;
	p->format = qr_detect_format(buf, len);
	p->nobjects = 0;
	p->overflow = 0;
	p->text_used = 0;
	p->named = p->format == QR_FORMAT_EMV_MPM ? QR_PARSED_WALKED : QR_PARSED_UNWALKED;
	if (p->format == QR_FORMAT_EMV_MPM)
		parse_emv(p);
	return p;
}

int
qr_parsed_sub(qr_parsed *p, int i, const char **val, size_t *vlen)
{
	qr_pobject *o = &p->objects[i];

	if (o->sub_state == QR_SUB_UNREAD)
	{
		int			sub = is_account_template(o->id) ? 0 : o->id == 64 ? 2 : -1;
		const char *v;
		size_t		n;

		o->sub_state = QR_SUB_ABSENT;
		if (sub >= 0 && qr_tlv_sub(p->buf + o->off, o->len, sub, &v, &n))
		{
			o->sub_state = QR_SUB_PRESENT;
			o->sub_off = (uint16_t) (v - p->buf);
			o->sub_len = (uint16_t) n;
		}
	}
	if (o->sub_state != QR_SUB_PRESENT)
		return 0;
	*val = p->buf + o->sub_off;
	*vlen = o->sub_len;
	return 1;
}

/* The first root object id, NULL when absent. */
static const qr_pobject *
emv_object(const qr_parsed *p, int id)
{
	for (int i = 0; i < p->nobjects; i++)
		if (p->objects[i].id == id)
			return &p->objects[i];
	return NULL;
}

int
qr_parsed_field(qr_parsed *p, const char *path, const char **val, size_t *vlen)
{
	if (p->format == QR_FORMAT_EMV_MPM)
	{
		const qr_pobject *o;

		if (strlen(path) != 2 || path[0] < '0' || path[0] > '9' || path[1] < '0' || path[1] > '9')
			return -1;
		o = emv_object(p, (path[0] - '0') * 10 + (path[1] - '0'));
		if (o == NULL)
			return p->overflow ? -1 : 0;
		*val = p->buf + o->off;
		*vlen = o->len;
		return 1;
	}
	for (int k = 0; format_keys[p->format][k].path; k++)
		if (strcmp(path, format_keys[p->format][k].path) == 0)
		{
			if (p->named != QR_PARSED_WALKED &&
				(p->named == QR_PARSED_UNWALKED ||
				 (p->fields[k].value == NULL && !(p->overflow & (1 << k)))))
				parse_named(p, k);
			if (p->overflow & (1 << k))
				return -1;
			if (p->fields[k].value == NULL)
				return 0;
			*val = p->fields[k].value;
			*vlen = p->fields[k].len;
			return 1;
		}
	return -1;
}

long
qr_parsed_get(qr_parsed *p, const char *path, char *out, size_t cap)
{
	const char *v;
	size_t		n;

	switch (qr_parsed_field(p, path, &v, &n))
	{
		case 0:
			return -1;
		case 1:
			if (n >= cap)
				return -1;
			memcpy(out, v, n);
			out[n] = '\0';
			return (long) n;
		default:
			return qr_field_get(p->buf, p->len, path, strlen(path), out, cap);
	}
}

int
qr_parsed_dynamic(const qr_parsed *p)
{
	const qr_pobject *o;

	switch (p->format)
	{
		case QR_FORMAT_EMV_MPM:
			/* 01: 11 static, 12 dynamic (§4.6.1) */
			if ((o = emv_object(p, 1)) == NULL)
				return -1;
			return o->len == 2 && p->buf[o->off + 1] == '2';
		case QR_FORMAT_EMV_CPM:
		case QR_FORMAT_CN_PAYMENT_CODE:
			return 1;			/* one-time codes by definition */
		default:
			return -1;
	}
}

/* ------------------------------------------------------------------ */
/* Identifiers                                                         */
/* ------------------------------------------------------------------ */

static const char *const tag_ids[] = {
	"00", "01", "02", "03", "04", "05", "06", "07", "08", "09",
	"10", "11", "12", "13", "14", "15", "16", "17", "18", "19",
	"20", "21", "22", "23", "24", "25"
};

static int
add_ident(qr_ident *out, int n, qr_idkind kind, const char *value, size_t len)
{
	out[n].kind = kind;
	out[n].value = value;
	out[n].len = len;
	return n + 1;
}

/* A BIC identifier, copied (it may come from a decoded value). */
static int
add_bic(qr_ident *out, int n, int max, const char *s, size_t len)
{
	if (n >= max || len == 0 || len >= sizeof(out[0].hex))
		return n;
	memcpy(out[n].hex, s, len);
	out[n].hex[len] = '\0';
	return add_ident(out, n, QR_ID_BIC, out[n].hex, len);
}

/*
 * EMVCo MPM: primitive accounts 02-25 by id, templates by GUID, in payload
 * order; the country, city and alternate-language city of the objects
 * reached before out is full.
 */
static int
identify_emv(qr_parsed *p, qr_ident *out, int n, int max, qr_place *place)
{
	for (int i = 0; i < p->nobjects && n < max; i++)
	{
		const qr_pobject *o = &p->objects[i];
		const char *v = p->buf + o->off;
		const char *guid;
		size_t		glen;

		if (o->id == 58 && o->len == 2)
		{
			place->country[0] = v[0];
			place->country[1] = v[1];
			place->country[2] = '\0';
		}
		else if (o->id == 60)
		{
			place->city = v;
			place->city_len = o->len;
		}
		else if (o->id == 64)
			qr_parsed_sub(p, i, &place->city_alt, &place->city_alt_len);
		else if (o->id >= 2 && o->id <= 25)
			n = add_ident(out, n, QR_ID_EMV_TAG, tag_ids[o->id], 2);
		else if (is_account_template(o->id) && qr_parsed_sub(p, i, &guid, &glen))
		{
			const char *bic;
			size_t		blen;

			n = add_ident(out, n, QR_ID_EMV_GUID, guid, glen);
			/* QR Ph P2P: 01 is the receiving institution's BIC (REFERENCE §2) */
			if (qr_ascii_casecmp(guid, glen, "com.p2pqrpay", 12) == 0 &&
				qr_tlv_sub(v, o->len, 1, &bic, &blen))
				n = add_bic(out, n, max, bic, blen);
		}
	}
	return n;
}

typedef struct aid_state
{
	qr_ident   *out;
	int			max;
	int			n;
} aid_state;

static int
aid_cb(void *arg, const qr_field *f)
{
	aid_state  *a = arg;

	if (strcmp(f->path, "61.4F") != 0 || a->n >= a->max || f->value_len >= sizeof(a->out[0].hex))
		return 0;
	memcpy(a->out[a->n].hex, f->value, f->value_len);
	a->out[a->n].hex[f->value_len] = '\0';
	a->n = add_ident(a->out, a->n, QR_ID_CPM_AID, a->out[a->n].hex, f->value_len);
	return 0;
}

/* The BIC in value v (k bytes; k < 0: absent): EPC and BezahlCode bic, SPAYD ACC IBAN+BIC. */
static int
bic_add(qr_ident *out, int n, int max, qr_fmt fmt, const char *v, long k)
{
	const char *plus;

	if (k <= 0)
		return n;
	if (fmt != QR_FORMAT_SPAYD)
		return add_bic(out, n, max, v, (size_t) k);
	if ((plus = memchr(v, '+', (size_t) k)) != NULL)
		return add_bic(out, n, max, plus + 1, (size_t) (k - (plus + 1 - v)));
	return n;
}

/* The field read again: the parse keeps every value of a code a QR symbol can hold. */
static int
bic_reread(qr_parsed *p, const char *path, qr_ident *out, int n, int max)
{
	char		v[QR_VALUE_MAX];

	return bic_add(out, n, max, p->format, v,
				   qr_field_get(p->buf, p->len, path, strlen(path), v, sizeof(v)));
}

/* The payee bank's BIC of EPC, SPAYD and BezahlCode codes. */
static int
identify_bic(qr_parsed *p, qr_ident *out, int n, int max)
{
	const char *path = p->format == QR_FORMAT_SPAYD ? "ACC" : "bic";
	const char *v;
	size_t		k;

	switch (qr_parsed_field(p, path, &v, &k))
	{
		case 0:
			return n;
		case 1:
			return k < QR_VALUE_MAX ? bic_add(out, n, max, p->format, v, (long) k) : n;
		default:
			return bic_reread(p, path, out, n, max);
	}
}

int
qr_parsed_identify(qr_parsed *p, qr_ident *out, int max, qr_place *place)
{
	const char *name = qr_format_name(p->format);
	const char *town;
	size_t		tlen;
	int			n = 0;

	memset(place, 0, sizeof(*place));
	place->format = p->format;
	if (max <= 0 || p->format == QR_FORMAT_UNKNOWN)
		return 0;
	n = add_ident(out, n, QR_ID_FORMAT, name, strlen(name));
	switch (p->format)
	{
		case QR_FORMAT_EMV_MPM:
			return identify_emv(p, out, n, max, place);
		case QR_FORMAT_EMV_CPM:
			{
				aid_state	a = {out, max, n};

				qr_cpm_fields(p->buf, p->len, aid_cb, &a);
				return a.n;
			}
		case QR_FORMAT_CN_PAYMENT_CODE:
			return n < max ? add_ident(out, n, QR_ID_PAYMENT_CODE, p->buf, p->len) : n;
		case QR_FORMAT_URL:
		case QR_FORMAT_UPI:
		case QR_FORMAT_BEZAHLCODE:
			if (n < max)
				n = add_ident(out, n, QR_ID_URL, p->buf, p->len);
			return p->format == QR_FORMAT_BEZAHLCODE ? identify_bic(p, out, n, max) : n;
		case QR_FORMAT_SWISS_QR:
			/* the creditor's town is where routing looks for the city */
			if (qr_parsed_field(p, "creditor.town", &town, &tlen) > 0 && tlen > 0 &&
				town >= p->buf && town + tlen <= p->buf + p->len)
			{
				place->city = town;
				place->city_len = tlen;
			}
			return n;
		case QR_FORMAT_EPC:
		case QR_FORMAT_SPAYD:
			return identify_bic(p, out, n, max);
		default:
			return n;
	}
}

int
qr_identify(const char *buf, size_t len, qr_ident *out, int max, char country[3])
{
	qr_place	place;
	int			n = qr_identify_place(buf, len, out, max, &place);

	memcpy(country, place.country, 3);
	return n;
}

int
qr_identify_place(const char *buf, size_t len, qr_ident *out, int max, qr_place *place)
{
	qr_parsed	p;

	return qr_parsed_identify(qr_parse(&p, buf, len), out, max, place);
}

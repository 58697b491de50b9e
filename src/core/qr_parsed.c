/*
 * qr_parsed.c — one walk of a validated payload (see qr_parsed.h), and
 * provider identification over it.
 */
#include <stdint.h>
#include <string.h>

#include "qr_fmt.h"
#include "qr_parsed.h"

/*
 * The named fields recorded for each format: every path the field
 * semantics (qr_fields.c) and identification read.  Paths are those of
 * qr_fields: URL query parameters under "query.", UPI parameters bare.
 */
static const char *const format_keys[QR_FORMAT_COUNT][QR_PARSED_KEYS + 1] = {
	[QR_FORMAT_URL] = {"query.pr", "query.product_id", "path", NULL},
	[QR_FORMAT_UPI] = {"pn", "am", "cu", "tr", "pa", "mc", NULL},
	[QR_FORMAT_EPC] = {"name", "amount", "reference", "remittance", "iban", "bic", NULL},
	[QR_FORMAT_SWISS_QR] = {"creditor.name", "creditor.town", "creditor.country", "amount",
	"currency", "reference", "message", "iban", NULL},
	[QR_FORMAT_SPAYD] = {"RN", "AM", "CC", "X-VS", "RF", "ACC", NULL},
	[QR_FORMAT_BEZAHLCODE] = {"name", "amount", "currency", "separeference", "reason", "iban",
	"account", "bic", NULL},
};

/* A merchant account information template (EMVCo MPM §4.5.1, 26-51 and 80-99)? */
static int
is_account_template(int id)
{
	return (id >= 26 && id <= 51) || (id >= 80 && id <= 99);
}

int
qr_tlv_sub(const char *v, size_t n, int sub, const char **val, size_t *vlen)
{
	qr_tlv_iter it;
	qr_tlv		t;

	qr_tlv_iter_init(&it, v, n, 0);
	while (qr_tlv_next(&it, &t))
		if (t.id == sub)
		{
			*val = t.value;
			*vlen = t.value_bytes;
			return 1;
		}
	return 0;
}

/*
 * The root objects, each with the nested object identification reads:
 * an account template's GUID (00) or the alternate-language city (64.02).
 * Offsets are 16 bits: a longer payload (never valid) stops the record.
 */
static void
parse_emv(qr_parsed *p)
{
	qr_tlv_iter it;
	qr_tlv		t;

	qr_tlv_iter_init(&it, p->buf, p->len, 0);
	while (qr_tlv_next(&it, &t))
	{
		qr_pobject *o = &p->objects[p->nobjects];
		size_t		off = (size_t) (t.value - p->buf);
		int			sub = is_account_template(t.id) ? 0 : t.id == 64 ? 2 : -1;
		const char *v;
		size_t		vlen;

		if (p->nobjects == QR_PARSED_OBJECTS || off + t.value_bytes > UINT16_MAX)
		{
			p->overflow = 1;
			break;
		}
		o->id = (uint8_t) t.id;
		o->off = (uint16_t) off;
		o->len = (uint16_t) t.value_bytes;
		o->has_sub = 0;
		if (sub >= 0 && qr_tlv_sub(t.value, t.value_bytes, sub, &v, &vlen))
		{
			o->has_sub = 1;
			o->sub_off = (uint16_t) (v - p->buf);
			o->sub_len = (uint16_t) vlen;
		}
		p->nobjects++;
	}
}

typedef struct named_walk
{
	qr_parsed  *p;
	const char *const *keys;
	int			nkeys;
	int			found;
} named_walk;

/* Record the first occurrence of each key; stop once all are found. */
static int
named_cb(void *arg, const qr_field *f)
{
	named_walk *w = arg;
	qr_parsed  *p = w->p;
	uintptr_t	v = (uintptr_t) f->value,
				b = (uintptr_t) p->buf;
	int			k;

	for (k = 0; k < w->nkeys; k++)
		if (strcmp(f->path, w->keys[k]) == 0)
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
	return ++w->found == w->nkeys;
}

static void
parse_named(qr_parsed *p)
{
	named_walk	w;

	w.p = p;
	w.keys = format_keys[p->format];
	w.found = 0;
	for (w.nkeys = 0; w.keys[w.nkeys]; w.nkeys++)
		p->fields[w.nkeys].value = NULL;
	if (w.nkeys == 0)
		return;
	/* the format is known: its own walker, not qr_fields' detection again */
	switch (p->format)
	{
		case QR_FORMAT_URL:
		case QR_FORMAT_UPI:
		case QR_FORMAT_BEZAHLCODE:
			qr_url_fields(p->format, p->buf, p->len, named_cb, &w);
			break;
		case QR_FORMAT_EPC:
			qr_epc_fields(p->buf, p->len, named_cb, &w);
			break;
		case QR_FORMAT_SWISS_QR:
			qr_swiss_fields(p->buf, p->len, named_cb, &w);
			break;
		case QR_FORMAT_SPAYD:
			qr_spayd_fields(p->buf, p->len, named_cb, &w);
			break;
		default:
			break;
	}
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
	p->named = p->format == QR_FORMAT_EMV_MPM;
	if (p->format == QR_FORMAT_EMV_MPM)
		parse_emv(p);
	return p;
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
	if (!p->named)
	{
		parse_named(p);
		p->named = 1;
	}
	for (int k = 0; format_keys[p->format][k]; k++)
		if (strcmp(path, format_keys[p->format][k]) == 0)
		{
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
			memmove(out, v, n); /* v may point into out */
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
		{
			if (o->has_sub)
			{
				place->city_alt = p->buf + o->sub_off;
				place->city_alt_len = o->sub_len;
			}
		}
		else if (o->id >= 2 && o->id <= 25)
			n = add_ident(out, n, QR_ID_EMV_TAG, tag_ids[o->id], 2);
		else if (is_account_template(o->id) && o->has_sub)
		{
			const char *guid = p->buf + o->sub_off;
			const char *bic;
			size_t		blen;

			n = add_ident(out, n, QR_ID_EMV_GUID, guid, o->sub_len);
			/* QR Ph P2P: 01 is the receiving institution's BIC (REFERENCE §2) */
			if (qr_ascii_casecmp(guid, o->sub_len, "com.p2pqrpay", 12) == 0 &&
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

/* The payee bank's BIC of the formats that carry one. */
static int
identify_bic(qr_parsed *p, qr_ident *out, int n, int max)
{
	char		v[QR_VALUE_MAX];
	long		k;
	const char *plus;

	switch (p->format)
	{
		case QR_FORMAT_EPC:
		case QR_FORMAT_BEZAHLCODE:
			if ((k = qr_parsed_get(p, "bic", v, sizeof(v))) > 0)
				n = add_bic(out, n, max, v, (size_t) k);
			break;
		case QR_FORMAT_SPAYD:
			/* ACC is IBAN+BIC */
			if ((k = qr_parsed_get(p, "ACC", v, sizeof(v))) > 0 &&
				(plus = memchr(v, '+', (size_t) k)) != NULL)
				n = add_bic(out, n, max, plus + 1, (size_t) (k - (plus + 1 - v)));
			break;
		default:
			break;
	}
	return n;
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
			return identify_bic(p, out, n, max);
		case QR_FORMAT_SWISS_QR:
			/* the creditor's town is where routing looks for the city */
			if (qr_parsed_field(p, "creditor.town", &town, &tlen) > 0 && tlen > 0 &&
				town >= p->buf && town + tlen <= p->buf + p->len)
			{
				place->city = town;
				place->city_len = tlen;
			}
			return n;
		default:
			return identify_bic(p, out, n, max);
	}
}

/*
 * qr_fields.c — the field walk of EMVCo MPM, and the fields with one
 * meaning across formats (name, amount, account...) as a table read over
 * the one-walk parse of qr_parsed.c, where provider identification lives.
 */
#include <stdio.h>
#include <string.h>

#include "qr_fmt.h"
#include "qr_parsed.h"

/* ------------------------------------------------------------------ */
/* EMVCo MPM field walk                                                */
/* ------------------------------------------------------------------ */

static int
emv_level(const char *p, size_t n, const char *base, int *ids, int depth,
		  qr_field_fn fn, void *arg)
{
	qr_tlv_iter it;
	qr_tlv		t;

	qr_tlv_iter_init(&it, p, n, 0);
	while (qr_tlv_next(&it, &t))
	{
		char		path[QR_PATH_MAX];
		int			tpl;

		ids[depth] = t.id;
		snprintf(path, sizeof(path), "%s%s%02d", base, depth ? "." : "", t.id);
		/* opaque tokens in 62/50-99 (accepted by validation) stay values */
		tpl = depth + 1 < QR_PATH_DEPTH && qr_emv_is_template(ids, depth + 1) &&
			  qr_tlv_well_formed(t.value, t.value_bytes);
		if (qr_emit(fn, arg, path, qr_emv_field_name(ids, depth + 1), t.value,
					t.value_bytes, depth + 1, tpl))
			return 1;
		if (tpl && emv_level(t.value, t.value_bytes, path, ids, depth + 1, fn, arg))
			return 1;
	}
	return 0;
}

int
qr_emv_fields(const char *buf, size_t len, qr_field_fn fn, void *arg)
{
	int			ids[QR_PATH_DEPTH];

	return emv_level(buf, len, "", ids, 0, fn, arg);
}

/* ------------------------------------------------------------------ */
/* EMVCo MPM payee account (national profiles, REFERENCE §2)           */
/* ------------------------------------------------------------------ */

typedef struct account_rule
{
	const char *guid;			/* case-insensitive */
	int			prefix;			/* 1: guid is an AID prefix */
	int			subs[4];		/* sub-ids holding the account, in preference */
} account_rule;

static const account_rule account_rules[] = {
	{"br.gov.bcb.pix", 0, {1, -1}},	/* Pix key */
	{"br.gov.bcb.spi", 0, {1, -1}},	/* Pix pre-launch draft */
	{"A000000677010111", 0, {1, 2, 3, 4}},	/* PromptPay: mobile, national id,
											 * e-wallet, bank account */
	{"A000000677010112", 0, {1, -1}},	/* Thai QR bill payment: biller id */
	{"A000000677012006", 0, {1, -1}},	/* Thai cross-border bill payment */
	{"SG.PAYNOW", 0, {2, -1}},	/* PayNow proxy value */
	{"hk.com.hkicl", 0, {2, 3, 4, -1}},	/* FPS id, mobile, e-mail */
	{"com.p2pqrpay", 0, {4, 2, 5, -1}},	/* QR Ph P2P account, mobile */
	{"SG.SGQR", 0, {-1}},		/* SGQR id is no account */
	{"ID.CO.QRIS.WWW", 0, {2, -1}},	/* QRIS national merchant id (NMID) */
	{NULL, 0, {-1}}
};

/*
 * The payee account of the root objects: a primitive account 02-25, else
 * the national profile's sub-object of the first template it names.
 */
static int
emv_account(qr_parsed *p, const char **val, size_t *vlen)
{
	const char *country = NULL;
	size_t		clen = 0;

	qr_parsed_field(p, "58", &country, &clen);
	for (int i = 0; i < p->nobjects; i++)
	{
		const qr_pobject *o = &p->objects[i];
		const char *v = p->buf + o->off;
		const char *guid;
		size_t		glen;
		const account_rule *r;

		if (o->id >= 2 && o->id <= 25)
		{
			*val = v;			/* primitive: the value is the account */
			*vlen = o->len;
			return 1;
		}
		/* templates 26-51 and 80-99 with a GUID (sub-object 00) */
		if (o->id < 26 || (o->id > 51 && o->id < 80) || !qr_parsed_sub(p, i, &guid, &glen))
			continue;
		/* KHQR: 29/30 sub-00 is the Bakong account id name@bank itself */
		if ((o->id == 29 || o->id == 30) && clen == 2 && memcmp(country, "KH", 2) == 0 &&
			memchr(guid, '@', glen))
		{
			*val = guid;
			*vlen = glen;
			return 1;
		}
		/* VietQR: 01 is a template {00 acquirer BIN, 01 account or card} */
		if (qr_ascii_casecmp(guid, glen, "A000000727", 10) == 0)
		{
			const char *bene;
			size_t		blen;

			if (qr_tlv_sub(v, o->len, 1, &bene, &blen) &&
				qr_tlv_well_formed(bene, blen) && qr_tlv_sub(bene, blen, 1, val, vlen))
				return 1;
			continue;
		}
		for (r = account_rules; r->guid; r++)
			if (qr_ascii_casecmp(guid, glen, r->guid, strlen(r->guid)) == 0)
				break;
		if (r->guid)
		{
			for (int k = 0; k < 4 && r->subs[k] >= 0; k++)
				if (qr_tlv_sub(v, o->len, r->subs[k], val, vlen))
					return 1;
			continue;
		}
		if (o->id <= 51 && qr_tlv_sub(v, o->len, 1, val, vlen))
			return 1;			/* other networks: 01 by convention */
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Fields with one meaning across formats                              */
/* ------------------------------------------------------------------ */

static long
put(char *out, size_t cap, const char *s, size_t n)
{
	if (n >= cap)
		return -1;
	memmove(out, s, n);			/* s may point into out */
	out[n] = '\0';
	return (long) n;
}

/* "47,65" -> "47.65" */
static long
comma_to_point(char *out, long n)
{
	for (long i = 0; i < n; i++)
		if (out[i] == ',')
			out[i] = '.';
	return n;
}

/* IBAN country: the first two letters of the account */
static long
iban_country(char *out, long n)
{
	if (n < 2 || out[0] < 'A' || out[0] > 'Z' || out[1] < 'A' || out[1] > 'Z')
		return -1;
	out[2] = '\0';
	return 2;
}

/*
 * How each format answers each meaning.  A field rule names up to three
 * paths, the first present answering (paths as qr_fields names them); the
 * other operations shape that value or stand for the format's convention.
 */
typedef enum sem_op
{
	SEM_NONE = 0,				/* the format has no such field */
	SEM_FIELD,					/* the value as it is */
	SEM_CONST,					/* the format's convention: constant */
	SEM_FIELD_OR_CONST,			/* the value, else constant */
	SEM_AFTER_CURRENCY,			/* EPC "EUR12.5": what follows the currency */
	SEM_COMMA_POINT,			/* BezahlCode "47,65" -> "47.65" */
	SEM_IBAN_COUNTRY,			/* the first two letters of an IBAN */
	SEM_BEFORE_PLUS,			/* SPAYD "IBAN+BIC": the IBAN */
	SEM_EMV_CURRENCY,			/* ISO 4217 numeric to alphabetic */
	SEM_EMV_REFERENCE,			/* 62.05 unless the app is to prompt for it */
	SEM_EMV_ACCOUNT				/* the national profiles' account rules */
} sem_op;

typedef struct sem_rule
{
	sem_op		op;
	const char *paths[3];
	const char *constant;
} sem_rule;

#define SEM_COUNT (QR_SEM_MCC + 1)

static const sem_rule sem_rules[QR_FORMAT_COUNT][SEM_COUNT] = {
	[QR_FORMAT_EMV_MPM] = {
		[QR_SEM_NAME] = {SEM_FIELD, {"59"}},
		[QR_SEM_CITY] = {SEM_FIELD, {"60"}},
		[QR_SEM_COUNTRY] = {SEM_FIELD, {"58"}},
		[QR_SEM_AMOUNT] = {SEM_FIELD, {"54"}},
		[QR_SEM_CURRENCY] = {SEM_EMV_CURRENCY, {"53"}},
		[QR_SEM_REFERENCE] = {SEM_EMV_REFERENCE},
		[QR_SEM_ACCOUNT] = {SEM_EMV_ACCOUNT},
		[QR_SEM_MCC] = {SEM_FIELD, {"52"}},
	},
	[QR_FORMAT_UPI] = {
		[QR_SEM_NAME] = {SEM_FIELD, {"pn"}},
		[QR_SEM_COUNTRY] = {SEM_CONST, {NULL}, "IN"},
		/* UPI moves only rupees: no cu means INR */
		[QR_SEM_CURRENCY] = {SEM_FIELD_OR_CONST, {"cu"}, "INR"},
		[QR_SEM_AMOUNT] = {SEM_FIELD, {"am"}},
		[QR_SEM_REFERENCE] = {SEM_FIELD, {"tr"}},
		[QR_SEM_ACCOUNT] = {SEM_FIELD, {"pa"}},
		[QR_SEM_MCC] = {SEM_FIELD, {"mc"}},
	},
	[QR_FORMAT_EPC] = {
		[QR_SEM_NAME] = {SEM_FIELD, {"name"}},
		[QR_SEM_COUNTRY] = {SEM_IBAN_COUNTRY, {"iban"}},
		/* EPC069-12 credit transfers are in euro */
		[QR_SEM_CURRENCY] = {SEM_CONST, {NULL}, "EUR"},
		[QR_SEM_AMOUNT] = {SEM_AFTER_CURRENCY, {"amount"}},
		[QR_SEM_REFERENCE] = {SEM_FIELD, {"reference", "remittance"}},
		[QR_SEM_ACCOUNT] = {SEM_FIELD, {"iban"}},
	},
	[QR_FORMAT_SWISS_QR] = {
		[QR_SEM_NAME] = {SEM_FIELD, {"creditor.name"}},
		[QR_SEM_CITY] = {SEM_FIELD, {"creditor.town"}},
		[QR_SEM_COUNTRY] = {SEM_FIELD, {"creditor.country"}},
		[QR_SEM_CURRENCY] = {SEM_FIELD, {"currency"}},
		[QR_SEM_AMOUNT] = {SEM_FIELD, {"amount"}},
		[QR_SEM_REFERENCE] = {SEM_FIELD, {"reference", "message"}},
		[QR_SEM_ACCOUNT] = {SEM_FIELD, {"iban"}},
	},
	[QR_FORMAT_SPAYD] = {
		[QR_SEM_NAME] = {SEM_FIELD, {"RN"}},
		[QR_SEM_COUNTRY] = {SEM_IBAN_COUNTRY, {"ACC"}},
		[QR_SEM_CURRENCY] = {SEM_FIELD, {"CC"}},
		[QR_SEM_AMOUNT] = {SEM_FIELD, {"AM"}},
		/* the variable symbol is what Czech payees reconcile on */
		[QR_SEM_REFERENCE] = {SEM_FIELD, {"X-VS", "RF"}},
		[QR_SEM_ACCOUNT] = {SEM_BEFORE_PLUS, {"ACC"}},
	},
	[QR_FORMAT_BEZAHLCODE] = {
		[QR_SEM_NAME] = {SEM_FIELD, {"name"}},
		[QR_SEM_COUNTRY] = {SEM_IBAN_COUNTRY, {"iban"}},
		[QR_SEM_CURRENCY] = {SEM_FIELD, {"currency"}},
		[QR_SEM_AMOUNT] = {SEM_COMMA_POINT, {"amount"}},
		[QR_SEM_REFERENCE] = {SEM_FIELD, {"separeference", "reason"}},
		[QR_SEM_ACCOUNT] = {SEM_FIELD, {"iban", "account"}},
	},
	/* the code the URL carries: Native order id or path */
	[QR_FORMAT_URL] = {
		[QR_SEM_ACCOUNT] = {SEM_FIELD, {"query.pr", "query.product_id", "path"}},
	},
	/* EMVCo CPM and China payment codes are payer credentials: no payee */
};

/* The EMVCo operations, which read the parse rather than one value. */
static long
sem_emv(qr_parsed *p, sem_op op, char *out, size_t cap)
{
	const char *val;
	size_t		vlen;

	switch (op)
	{
		case SEM_EMV_CURRENCY:
			if (qr_parsed_field(p, "53", &val, &vlen) <= 0)
				return -1;
			{
				const char *alpha = qr_iso4217_alpha(val, vlen);

				/* a code missing from the table comes back as the number */
				return alpha ? put(out, cap, alpha, 3) : put(out, cap, val, vlen);
			}
		case SEM_EMV_REFERENCE:
			/* "***" asks the app to prompt for the value (§4.8.1): no reference yet */
			if (qr_parsed_field(p, "62", &val, &vlen) <= 0 ||
				!qr_tlv_sub(val, vlen, 5, &val, &vlen) ||
				(vlen == 3 && memcmp(val, "***", 3) == 0))
				return -1;
			return put(out, cap, val, vlen);
		case SEM_EMV_ACCOUNT:
			if (!emv_account(p, &val, &vlen))
				return -1;
			return put(out, cap, val, vlen);
		default:
			return -1;
	}
}

long
qr_parsed_semantic(qr_parsed *p, qr_sem sem, char *out, size_t cap)
{
	const sem_rule *r;
	long		n = -1;

	if ((unsigned) sem >= SEM_COUNT)
		return -1;
	r = &sem_rules[p->format][sem];
	if (r->op == SEM_NONE)
		return -1;
	if (r->op == SEM_CONST)
		return put(out, cap, r->constant, strlen(r->constant));
	if (r->op >= SEM_EMV_CURRENCY)
		return sem_emv(p, r->op, out, cap);
	for (int k = 0; k < 3 && r->paths[k] && n < 0; k++)
		n = qr_parsed_get(p, r->paths[k], out, cap);
	switch (r->op)
	{
		case SEM_FIELD_OR_CONST:
			return n >= 0 ? n : put(out, cap, r->constant, strlen(r->constant));
		case SEM_AFTER_CURRENCY:
			return n > 3 ? put(out, cap, out + 3, (size_t) n - 3) : -1;
		case SEM_COMMA_POINT:
			return n >= 0 ? comma_to_point(out, n) : -1;
		case SEM_IBAN_COUNTRY:
			return iban_country(out, n);
		case SEM_BEFORE_PLUS:
			if (n > 0)
			{
				char	   *plus = memchr(out, '+', (size_t) n);

				if (plus)
				{
					*plus = '\0';
					n = plus - out;
				}
			}
			return n;
		default:
			return n;
	}
}

long
qr_semantic(const char *buf, size_t len, qr_sem sem, char *out, size_t cap)
{
	qr_parsed	p;

	return qr_parsed_semantic(qr_parse(&p, buf, len), sem, out, cap);
}

int
qr_is_dynamic_code(const char *buf, size_t len)
{
	qr_parsed	p;

	return qr_parsed_dynamic(qr_parse(&p, buf, len));
}

/*
 * qr_fields.c — the field walk of EMVCo MPM, the fields with one meaning
 * across formats (name, amount, account...), and the identifiers provider
 * identification matches against the catalog.
 */
#include <stdio.h>
#include <string.h>

#include "qr_fmt.h"

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

/* Sub-object sub of template value [v, v+n); 1 when present. */
static int
sub_get(const char *v, size_t n, int sub, const char **val, size_t *vlen)
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

static int
emv_account(const char *buf, size_t len, const char **val, size_t *vlen)
{
	qr_tlv_iter it;
	qr_tlv		t;
	const char *country = NULL;
	size_t		clen = 0;

	qr_emv_get(buf, len, "58", 2, &country, &clen);
	qr_tlv_iter_init(&it, buf, len, 0);
	while (qr_tlv_next(&it, &t))
	{
		const char *guid;
		size_t		glen;
		const account_rule *r;

		if (t.id >= 2 && t.id <= 25)
		{
			*val = t.value;		/* primitive: the value is the account */
			*vlen = t.value_bytes;
			return 1;
		}
		if (!((t.id >= 26 && t.id <= 51) || (t.id >= 80 && t.id <= 99)) ||
			!sub_get(t.value, t.value_bytes, 0, &guid, &glen))
			continue;
		/* KHQR: 29/30 sub-00 is the Bakong account id name@bank itself */
		if ((t.id == 29 || t.id == 30) && clen == 2 && memcmp(country, "KH", 2) == 0 &&
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

			if (sub_get(t.value, t.value_bytes, 1, &bene, &blen) &&
				qr_tlv_well_formed(bene, blen) && sub_get(bene, blen, 1, val, vlen))
				return 1;
			continue;
		}
		for (r = account_rules; r->guid; r++)
			if (qr_ascii_casecmp(guid, glen, r->guid, strlen(r->guid)) == 0)
				break;
		if (r->guid)
		{
			for (int k = 0; k < 4 && r->subs[k] >= 0; k++)
				if (sub_get(t.value, t.value_bytes, r->subs[k], val, vlen))
					return 1;
			continue;
		}
		if (t.id <= 51 && sub_get(t.value, t.value_bytes, 1, val, vlen))
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

static long
get(const char *buf, size_t len, const char *path, char *out, size_t cap)
{
	return qr_field_get(buf, len, path, strlen(path), out, cap);
}

/* the first of several paths present */
static long
get_first(const char *buf, size_t len, const char *const *paths, char *out, size_t cap)
{
	for (; *paths; paths++)
	{
		long		n = get(buf, len, *paths, out, cap);

		if (n >= 0)
			return n;
	}
	return -1;
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

static long
sem_emv(const char *buf, size_t len, qr_sem sem, char *out, size_t cap)
{
	const char *val;
	size_t		vlen;
	const char *path = NULL;

	switch (sem)
	{
		case QR_SEM_NAME:
			path = "59";
			break;
		case QR_SEM_CITY:
			path = "60";
			break;
		case QR_SEM_COUNTRY:
			path = "58";
			break;
		case QR_SEM_AMOUNT:
			path = "54";
			break;
		case QR_SEM_REFERENCE:
			/* "***" asks the app to prompt for the value (§4.8.1): no reference yet */
			if (!qr_emv_get(buf, len, "62.05", 5, &val, &vlen) ||
				(vlen == 3 && memcmp(val, "***", 3) == 0))
				return -1;
			return put(out, cap, val, vlen);
		case QR_SEM_MCC:
			path = "52";
			break;
		case QR_SEM_CURRENCY:
			if (!qr_emv_get(buf, len, "53", 2, &val, &vlen))
				return -1;
			{
				const char *alpha = qr_iso4217_alpha(val, vlen);

				/* a code missing from the table comes back as the number */
				return alpha ? put(out, cap, alpha, 3) : put(out, cap, val, vlen);
			}
		case QR_SEM_ACCOUNT:
			if (!emv_account(buf, len, &val, &vlen))
				return -1;
			return put(out, cap, val, vlen);
	}
	if (!qr_emv_get(buf, len, path, strlen(path), &val, &vlen))
		return -1;
	return put(out, cap, val, vlen);
}

long
qr_semantic(const char *buf, size_t len, qr_sem sem, char *out, size_t cap)
{
	qr_fmt		fmt = qr_detect_format(buf, len);
	long		n;

	switch (fmt)
	{
		case QR_FORMAT_EMV_MPM:
			return sem_emv(buf, len, sem, out, cap);

		case QR_FORMAT_UPI:
			switch (sem)
			{
				case QR_SEM_NAME:
					return get(buf, len, "pn", out, cap);
				case QR_SEM_AMOUNT:
					return get(buf, len, "am", out, cap);
				case QR_SEM_CURRENCY:
					n = get(buf, len, "cu", out, cap);
					/* UPI moves only rupees: no cu means INR */
					return n >= 0 ? n : put(out, cap, "INR", 3);
				case QR_SEM_REFERENCE:
					return get(buf, len, "tr", out, cap);
				case QR_SEM_ACCOUNT:
					return get(buf, len, "pa", out, cap);
				case QR_SEM_MCC:
					return get(buf, len, "mc", out, cap);
				case QR_SEM_COUNTRY:
					return put(out, cap, "IN", 2);
				default:
					return -1;
			}

		case QR_FORMAT_EPC:
			switch (sem)
			{
				case QR_SEM_NAME:
					return get(buf, len, "name", out, cap);
				case QR_SEM_AMOUNT:
					n = get(buf, len, "amount", out, cap);
					return n > 3 ? put(out, cap, out + 3, (size_t) n - 3) : -1;
				case QR_SEM_CURRENCY:
					/* EPC069-12 credit transfers are in euro */
					return put(out, cap, "EUR", 3);
				case QR_SEM_REFERENCE:
					{
						static const char *const refs[] = {"reference", "remittance", NULL};

						return get_first(buf, len, refs, out, cap);
					}
				case QR_SEM_ACCOUNT:
					return get(buf, len, "iban", out, cap);
				case QR_SEM_COUNTRY:
					return iban_country(out, get(buf, len, "iban", out, cap));
				default:
					return -1;
			}

		case QR_FORMAT_SWISS_QR:
			switch (sem)
			{
				case QR_SEM_NAME:
					return get(buf, len, "creditor.name", out, cap);
				case QR_SEM_CITY:
					return get(buf, len, "creditor.town", out, cap);
				case QR_SEM_COUNTRY:
					return get(buf, len, "creditor.country", out, cap);
				case QR_SEM_AMOUNT:
					return get(buf, len, "amount", out, cap);
				case QR_SEM_CURRENCY:
					return get(buf, len, "currency", out, cap);
				case QR_SEM_REFERENCE:
					{
						static const char *const refs[] = {"reference", "message", NULL};

						return get_first(buf, len, refs, out, cap);
					}
				case QR_SEM_ACCOUNT:
					return get(buf, len, "iban", out, cap);
				default:
					return -1;
			}

		case QR_FORMAT_SPAYD:
			switch (sem)
			{
				case QR_SEM_NAME:
					return get(buf, len, "RN", out, cap);
				case QR_SEM_AMOUNT:
					return get(buf, len, "AM", out, cap);
				case QR_SEM_CURRENCY:
					return get(buf, len, "CC", out, cap);
				case QR_SEM_REFERENCE:
					{
						/* the variable symbol is what Czech payees reconcile on */
						static const char *const refs[] = {"X-VS", "RF", NULL};

						return get_first(buf, len, refs, out, cap);
					}
				case QR_SEM_ACCOUNT:
					n = get(buf, len, "ACC", out, cap);
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
				case QR_SEM_COUNTRY:
					return iban_country(out, get(buf, len, "ACC", out, cap));
				default:
					return -1;
			}

		case QR_FORMAT_BEZAHLCODE:
			switch (sem)
			{
				case QR_SEM_NAME:
					return get(buf, len, "name", out, cap);
				case QR_SEM_AMOUNT:
					n = get(buf, len, "amount", out, cap);
					return n >= 0 ? comma_to_point(out, n) : -1;
				case QR_SEM_CURRENCY:
					return get(buf, len, "currency", out, cap);
				case QR_SEM_REFERENCE:
					{
						static const char *const refs[] = {"separeference", "reason", NULL};

						return get_first(buf, len, refs, out, cap);
					}
				case QR_SEM_ACCOUNT:
					{
						static const char *const accs[] = {"iban", "account", NULL};

						return get_first(buf, len, accs, out, cap);
					}
				case QR_SEM_COUNTRY:
					return iban_country(out, get(buf, len, "iban", out, cap));
				default:
					return -1;
			}

		case QR_FORMAT_URL:
			if (sem != QR_SEM_ACCOUNT)
				return -1;
			{
				/* the code the URL carries: Native order id or path */
				static const char *const accs[] = {"query.pr", "query.product_id", "path", NULL};

				return get_first(buf, len, accs, out, cap);
			}

		case QR_FORMAT_EMV_CPM:
		case QR_FORMAT_CN_PAYMENT_CODE:
		case QR_FORMAT_UNKNOWN:
			/* payer credentials: they name no payee */
			return -1;
	}
	return -1;
}

int
qr_is_dynamic_code(const char *buf, size_t len)
{
	const char *val;
	size_t		vlen;

	switch (qr_detect_format(buf, len))
	{
		case QR_FORMAT_EMV_MPM:
			if (!qr_emv_get(buf, len, "01", 2, &val, &vlen))
				return -1;
			return vlen == 2 && val[1] == '2';
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
	a->out[a->n].kind = QR_ID_CPM_AID;
	a->out[a->n].value = a->out[a->n].hex;
	a->out[a->n].len = f->value_len;
	a->n++;
	return 0;
}

/* A BIC identifier, copied (it may come from a decoded value). */
static int
add_bic(qr_ident *out, int n, int max, const char *s, size_t len)
{
	if (n >= max || len == 0 || len >= sizeof(out[0].hex))
		return n;
	memcpy(out[n].hex, s, len);
	out[n].hex[len] = '\0';
	out[n].kind = QR_ID_BIC;
	out[n].value = out[n].hex;
	out[n].len = len;
	return n + 1;
}

static const char *const tag_ids[] = {
	"00", "01", "02", "03", "04", "05", "06", "07", "08", "09",
	"10", "11", "12", "13", "14", "15", "16", "17", "18", "19",
	"20", "21", "22", "23", "24", "25"
};

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
	qr_fmt		fmt = qr_detect_format(buf, len);
	const char *name = qr_format_name(fmt);
	int			n = 0;
	char	   *country = place->country;

	memset(place, 0, sizeof(*place));
	place->format = fmt;
	if (max <= 0 || fmt == QR_FORMAT_UNKNOWN)
		return 0;
	out[n].kind = QR_ID_FORMAT;
	out[n].value = name;
	out[n].len = strlen(name);
	n++;
	switch (fmt)
	{
		case QR_FORMAT_EMV_MPM:
			{
				qr_tlv_iter it;
				qr_tlv		t;

				qr_tlv_iter_init(&it, buf, len, 0);
				while (qr_tlv_next(&it, &t) && n < max)
				{
					const char *guid;
					size_t		glen;

					if (t.id == 58 && t.value_bytes == 2)
					{
						country[0] = t.value[0];
						country[1] = t.value[1];
						country[2] = '\0';
					}
					else if (t.id == 60)
					{
						place->city = t.value;
						place->city_len = t.value_bytes;
					}
					else if (t.id == 64)
						sub_get(t.value, t.value_bytes, 2, &place->city_alt, &place->city_alt_len);
					else if (t.id >= 2 && t.id <= 25)
					{
						out[n].kind = QR_ID_EMV_TAG;
						out[n].value = tag_ids[t.id];
						out[n].len = 2;
						n++;
					}
					else if (((t.id >= 26 && t.id <= 51) || (t.id >= 80 && t.id <= 99)) &&
							 sub_get(t.value, t.value_bytes, 0, &guid, &glen))
					{
						const char *bic;
						size_t		blen;

						out[n].kind = QR_ID_EMV_GUID;
						out[n].value = guid;
						out[n].len = glen;
						n++;
						/* QR Ph P2P: 01 is the receiving institution's BIC (REFERENCE §2) */
						if (qr_ascii_casecmp(guid, glen, "com.p2pqrpay", 12) == 0 &&
							sub_get(t.value, t.value_bytes, 1, &bic, &blen))
							n = add_bic(out, n, max, bic, blen);
					}
				}
				break;
			}
		case QR_FORMAT_EMV_CPM:
			{
				aid_state	a;

				a.out = out;
				a.max = max;
				a.n = n;
				qr_cpm_fields(buf, len, aid_cb, &a);
				n = a.n;
				break;
			}
		case QR_FORMAT_CN_PAYMENT_CODE:
			if (n < max)
			{
				out[n].kind = QR_ID_PAYMENT_CODE;
				out[n].value = buf;
				out[n].len = len;
				n++;
			}
			break;
		case QR_FORMAT_URL:
		case QR_FORMAT_UPI:
		case QR_FORMAT_BEZAHLCODE:
			if (n < max)
			{
				out[n].kind = QR_ID_URL;
				out[n].value = buf;
				out[n].len = len;
				n++;
			}
			if (fmt == QR_FORMAT_BEZAHLCODE)
			{
				char		bic[QR_VALUE_MAX];
				long		k = qr_field_get(buf, len, "bic", 3, bic, sizeof(bic));

				if (k > 0)
					n = add_bic(out, n, max, bic, (size_t) k);
			}
			break;
		case QR_FORMAT_EPC:
		case QR_FORMAT_SPAYD:
			{
				char		v[QR_VALUE_MAX];
				long		k = qr_field_get(buf, len, fmt == QR_FORMAT_EPC ? "bic" : "ACC", 3,
											 v, sizeof(v));
				const char *plus;

				if (fmt == QR_FORMAT_EPC && k > 0)
					n = add_bic(out, n, max, v, (size_t) k);
				else if (k > 0 && (plus = memchr(v, '+', (size_t) k)) != NULL)
					n = add_bic(out, n, max, plus + 1, (size_t) (k - (plus + 1 - v)));
			}
			break;
		default:
			break;
	}
	return n;
}

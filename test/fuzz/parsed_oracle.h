/*
 * parsed_oracle.h — provider identification and the fields with one
 * meaning across formats, answered the slow way: every value looked up
 * separately with qr_field_get / qr_emv_get / qr_fields, each detecting
 * the format and walking the payload again.  The fuzzers and unit tests
 * check that the one-walk parse (qr_parsed.h) gives the same answers.
 * Header-only (static functions) so that fuzz_fields.c and the unit tests
 * share it without a link dependency.
 */
#ifndef QRPAY_PARSED_ORACLE_H
#define QRPAY_PARSED_ORACLE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qrpay_core.h"

static char oracle_value[QR_VALUE_MAX];

/* Like qr_field_get, for a path given as a C string. */
static long
oracle_get(const char *buf, size_t len, const char *path, char *out, size_t cap)
{
	return qr_field_get(buf, len, path, strlen(path), out, cap);
}

static int
oracle_add(qr_ident *out, int n, qr_idkind kind, const char *v, size_t vlen)
{
	out[n].kind = kind;
	out[n].value = v;
	out[n].len = vlen;
	return n + 1;
}

static int
oracle_bic(qr_ident *out, int n, int max, const char *s, size_t len)
{
	if (n >= max || len == 0 || len >= sizeof(out[0].hex))
		return n;
	memcpy(out[n].hex, s, len);
	out[n].hex[len] = '\0';
	return oracle_add(out, n, QR_ID_BIC, out[n].hex, len);
}

/* "com.p2pqrpay" in any case (QR Ph P2P) */
static int
oracle_is_p2p(const char *v, size_t n)
{
	const char *p2p = "com.p2pqrpay";

	if (n != 12)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((v[i] >= 'A' && v[i] <= 'Z' ? v[i] + 32 : v[i]) != p2p[i])
			return 0;
	return 1;
}

typedef struct oracle_walk
{
	const char *buf;
	size_t		len;
	qr_ident   *out;
	int			max;
	int			n;
	qr_place   *place;
} oracle_walk;

/* EMVCo MPM root objects, each looked up again by its path. */
static int
oracle_emv_cb(void *arg, const qr_field *f)
{
	oracle_walk *w = arg;
	int			id;
	char		sub[8];
	const char *v;
	size_t		vlen;

	if (f->depth != 1)
		return 0;
	if (w->n >= w->max)
		return 1;
	id = atoi(f->path);
	if (id == 58 && f->value_len == 2)
	{
		memcpy(w->place->country, f->value, 2);
		w->place->country[2] = '\0';
	}
	else if (id == 60)
	{
		w->place->city = f->value;
		w->place->city_len = f->value_len;
	}
	else if (id == 64)
		qr_emv_get(w->buf, w->len, "64.02", 5, &w->place->city_alt, &w->place->city_alt_len);
	else if (id >= 2 && id <= 25)
	{
		static char tags[26][3];

		memcpy(tags[id], f->path, 3);
		w->n = oracle_add(w->out, w->n, QR_ID_EMV_TAG, tags[id], 2);
	}
	else if ((id >= 26 && id <= 51) || id >= 80)
	{
		snprintf(sub, sizeof(sub), "%02d.00", id);
		if (!qr_emv_get(w->buf, w->len, sub, 5, &v, &vlen))
			return 0;
		w->n = oracle_add(w->out, w->n, QR_ID_EMV_GUID, v, vlen);
		sub[4] = '1';
		if (oracle_is_p2p(v, vlen) &&
			qr_emv_get(w->buf, w->len, sub, 5, &v, &vlen))
			w->n = oracle_bic(w->out, w->n, w->max, v, vlen);
	}
	return 0;
}

/* EMVCo CPM: the ADF names (61.4F) in order. */
static int
oracle_cpm_cb(void *arg, const qr_field *f)
{
	oracle_walk *w = arg;

	if (strcmp(f->path, "61.4F") != 0 || w->n >= w->max || f->value_len >= sizeof(w->out[0].hex))
		return 0;
	memcpy(w->out[w->n].hex, f->value, f->value_len);
	w->out[w->n].hex[f->value_len] = '\0';
	w->n = oracle_add(w->out, w->n, QR_ID_CPM_AID, w->out[w->n].hex, f->value_len);
	return 0;
}

/*
 * qr_identify_place the slow way.  EMVCo tag identifiers point into the
 * walk's path (compare them by content); the Swiss town is copied into
 * oracle_value.
 */
static int
oracle_identify(const char *buf, size_t len, qr_ident *out, int max, qr_place *place)
{
	qr_fmt		fmt = qr_detect_format(buf, len);
	oracle_walk w = {buf, len, out, max, 0, place};
	long		k;
	const char *plus;

	memset(place, 0, sizeof(*place));
	place->format = fmt;
	if (max <= 0 || fmt == QR_FORMAT_UNKNOWN)
		return 0;
	w.n = oracle_add(out, 0, QR_ID_FORMAT, qr_format_name(fmt), strlen(qr_format_name(fmt)));
	if (fmt == QR_FORMAT_EMV_MPM)
		qr_fields(buf, len, oracle_emv_cb, &w);
	else if (fmt == QR_FORMAT_EMV_CPM)
		qr_fields(buf, len, oracle_cpm_cb, &w);
	else if (fmt == QR_FORMAT_CN_PAYMENT_CODE && w.n < max)
		w.n = oracle_add(out, w.n, QR_ID_PAYMENT_CODE, buf, len);
	else if ((fmt == QR_FORMAT_URL || fmt == QR_FORMAT_UPI || fmt == QR_FORMAT_BEZAHLCODE) && w.n < max)
		w.n = oracle_add(out, w.n, QR_ID_URL, buf, len);
	if ((fmt == QR_FORMAT_EPC || fmt == QR_FORMAT_BEZAHLCODE) &&
		(k = oracle_get(buf, len, "bic", oracle_value, sizeof(oracle_value))) > 0)
		w.n = oracle_bic(out, w.n, max, oracle_value, (size_t) k);
	if (fmt == QR_FORMAT_SPAYD &&
		(k = oracle_get(buf, len, "ACC", oracle_value, sizeof(oracle_value))) > 0 &&
		(plus = memchr(oracle_value, '+', (size_t) k)) != NULL)
		w.n = oracle_bic(out, w.n, max, plus + 1, (size_t) (k - (plus + 1 - oracle_value)));
	if (fmt == QR_FORMAT_SWISS_QR &&
		(k = oracle_get(buf, len, "creditor.town", oracle_value, sizeof(oracle_value))) > 0)
	{
		place->city = oracle_value;
		place->city_len = (size_t) k;
	}
	return w.n;
}

/* Do two identifications agree, values and places compared by content? */
static int
oracle_same_identity(const qr_ident *a, int na, const qr_place *pa,
					 const qr_ident *b, int nb, const qr_place *pb)
{
	if (na != nb || pa->format != pb->format || strcmp(pa->country, pb->country) != 0 ||
		(pa->city == NULL) != (pb->city == NULL) || pa->city_len != pb->city_len ||
		(pa->city && memcmp(pa->city, pb->city, pa->city_len) != 0) ||
		(pa->city_alt == NULL) != (pb->city_alt == NULL) || pa->city_alt_len != pb->city_alt_len ||
		(pa->city_alt && memcmp(pa->city_alt, pb->city_alt, pa->city_alt_len) != 0))
		return 0;
	for (int i = 0; i < na; i++)
		if (a[i].kind != b[i].kind || a[i].len != b[i].len ||
			memcmp(a[i].value, b[i].value, a[i].len) != 0)
			return 0;
	return 1;
}

/*
 * Where each meaning lives, format by format, as qr_get names it: up to
 * three paths (the first present answers), and how the value is read:
 * '=' as it is, '3' after the 3-letter currency, ',' with a decimal
 * comma, 'C' the IBAN's country, '+' before a "+", '$' the ISO 4217
 * number as a code, '*' unless "***"; a constant answers when no path
 * does.
 */
typedef struct oracle_sem
{
	qr_fmt		fmt;
	qr_sem		sem;
	const char *paths[3];
	char		how;
	const char *constant;
} oracle_sem;

static const oracle_sem oracle_sems[] = {
	{QR_FORMAT_EMV_MPM, QR_SEM_NAME, {"59"}, '=', NULL},
	{QR_FORMAT_EMV_MPM, QR_SEM_CITY, {"60"}, '=', NULL},
	{QR_FORMAT_EMV_MPM, QR_SEM_COUNTRY, {"58"}, '=', NULL},
	{QR_FORMAT_EMV_MPM, QR_SEM_AMOUNT, {"54"}, '=', NULL},
	{QR_FORMAT_EMV_MPM, QR_SEM_MCC, {"52"}, '=', NULL},
	{QR_FORMAT_EMV_MPM, QR_SEM_CURRENCY, {"53"}, '$', NULL},
	{QR_FORMAT_EMV_MPM, QR_SEM_REFERENCE, {"62.05"}, '*', NULL},
	{QR_FORMAT_UPI, QR_SEM_NAME, {"pn"}, '=', NULL},
	{QR_FORMAT_UPI, QR_SEM_AMOUNT, {"am"}, '=', NULL},
	{QR_FORMAT_UPI, QR_SEM_CURRENCY, {"cu"}, '=', "INR"},
	{QR_FORMAT_UPI, QR_SEM_REFERENCE, {"tr"}, '=', NULL},
	{QR_FORMAT_UPI, QR_SEM_ACCOUNT, {"pa"}, '=', NULL},
	{QR_FORMAT_UPI, QR_SEM_MCC, {"mc"}, '=', NULL},
	{QR_FORMAT_UPI, QR_SEM_COUNTRY, {NULL}, '=', "IN"},
	{QR_FORMAT_EPC, QR_SEM_NAME, {"name"}, '=', NULL},
	{QR_FORMAT_EPC, QR_SEM_AMOUNT, {"amount"}, '3', NULL},
	{QR_FORMAT_EPC, QR_SEM_CURRENCY, {NULL}, '=', "EUR"},
	{QR_FORMAT_EPC, QR_SEM_REFERENCE, {"reference", "remittance"}, '=', NULL},
	{QR_FORMAT_EPC, QR_SEM_ACCOUNT, {"iban"}, '=', NULL},
	{QR_FORMAT_EPC, QR_SEM_COUNTRY, {"iban"}, 'C', NULL},
	{QR_FORMAT_SWISS_QR, QR_SEM_NAME, {"creditor.name"}, '=', NULL},
	{QR_FORMAT_SWISS_QR, QR_SEM_CITY, {"creditor.town"}, '=', NULL},
	{QR_FORMAT_SWISS_QR, QR_SEM_COUNTRY, {"creditor.country"}, '=', NULL},
	{QR_FORMAT_SWISS_QR, QR_SEM_AMOUNT, {"amount"}, '=', NULL},
	{QR_FORMAT_SWISS_QR, QR_SEM_CURRENCY, {"currency"}, '=', NULL},
	{QR_FORMAT_SWISS_QR, QR_SEM_REFERENCE, {"reference", "message"}, '=', NULL},
	{QR_FORMAT_SWISS_QR, QR_SEM_ACCOUNT, {"iban"}, '=', NULL},
	{QR_FORMAT_SPAYD, QR_SEM_NAME, {"RN"}, '=', NULL},
	{QR_FORMAT_SPAYD, QR_SEM_AMOUNT, {"AM"}, '=', NULL},
	{QR_FORMAT_SPAYD, QR_SEM_CURRENCY, {"CC"}, '=', NULL},
	{QR_FORMAT_SPAYD, QR_SEM_REFERENCE, {"X-VS", "RF"}, '=', NULL},
	{QR_FORMAT_SPAYD, QR_SEM_ACCOUNT, {"ACC"}, '+', NULL},
	{QR_FORMAT_SPAYD, QR_SEM_COUNTRY, {"ACC"}, 'C', NULL},
	{QR_FORMAT_BEZAHLCODE, QR_SEM_NAME, {"name"}, '=', NULL},
	{QR_FORMAT_BEZAHLCODE, QR_SEM_AMOUNT, {"amount"}, ',', NULL},
	{QR_FORMAT_BEZAHLCODE, QR_SEM_CURRENCY, {"currency"}, '=', NULL},
	{QR_FORMAT_BEZAHLCODE, QR_SEM_REFERENCE, {"separeference", "reason"}, '=', NULL},
	{QR_FORMAT_BEZAHLCODE, QR_SEM_ACCOUNT, {"iban", "account"}, '=', NULL},
	{QR_FORMAT_BEZAHLCODE, QR_SEM_COUNTRY, {"iban"}, 'C', NULL},
	{QR_FORMAT_URL, QR_SEM_ACCOUNT, {"query.pr", "query.product_id", "path"}, '=', NULL},
};

/* Reshape the value v (n bytes, or -1) in out as row r says. */
static long
oracle_shape(const oracle_sem *r, char *out, long n)
{
	const char *alpha;
	char	   *plus;

	if (n < 0)
		return r->constant ? (long) strlen(strcpy(out, r->constant)) : -1;
	switch (r->how)
	{
		case '3':
			if (n <= 3)
				return -1;
			memmove(out, out + 3, (size_t) n - 3);
			out[n - 3] = '\0';
			return n - 3;
		case ',':
			for (long i = 0; i < n; i++)
				out[i] = out[i] == ',' ? '.' : out[i];
			return n;
		case 'C':
			if (n < 2 || out[0] < 'A' || out[0] > 'Z' || out[1] < 'A' || out[1] > 'Z')
				return -1;
			out[2] = '\0';
			return 2;
		case '+':
			if (n > 0 && (plus = memchr(out, '+', (size_t) n)) != NULL)
				*plus = '\0', n = plus - out;
			return n;
		case '$':
			alpha = qr_iso4217_alpha(out, (size_t) n);
			return alpha ? (long) strlen(strcpy(out, alpha)) : n;
		case '*':
			return n == 3 && memcmp(out, "***", 3) == 0 ? -1 : n;
		default:
			return n;
	}
}

/*
 * qr_semantic the slow way (out: QR_VALUE_MAX bytes); -2 for the EMVCo
 * account, whose national rules only the parse knows (its answer is
 * checked to be written in the code instead).
 */
static long
oracle_semantic(const char *buf, size_t len, qr_sem sem, char *out)
{
	qr_fmt		fmt = qr_detect_format(buf, len);

	if (fmt == QR_FORMAT_EMV_MPM && sem == QR_SEM_ACCOUNT)
		return -2;
	for (size_t i = 0; i < sizeof(oracle_sems) / sizeof(oracle_sems[0]); i++)
	{
		const oracle_sem *r = &oracle_sems[i];
		long		n = -1;

		if (r->fmt != fmt || r->sem != sem)
			continue;
		for (int k = 0; k < 3 && r->paths[k] && n < 0; k++)
			n = oracle_get(buf, len, r->paths[k], out, QR_VALUE_MAX);
		return oracle_shape(r, out, n);
	}
	return -1;
}

/* Are the n bytes at v written somewhere in the payload? */
static int
oracle_in_payload(const char *buf, size_t len, const char *v, size_t n)
{
	for (size_t i = 0; i + n <= len; i++)
		if (memcmp(buf + i, v, n) == 0)
			return 1;
	return 0;
}

#endif							/* QRPAY_PARSED_ORACLE_H */

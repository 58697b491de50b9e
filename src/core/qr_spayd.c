/*
 * qr_spayd.c — SPAYD, the Czech Short Payment Descriptor ("QR Platba").
 *
 * SPD*<version>*KEY:VALUE*KEY:VALUE...[*] (Czech Banking Association
 * standard; keys and rules as the reference reader inmite/spayd-sdk tests
 * them, REFERENCE §3): ACC (IBAN[+BIC]) mandatory; ALT-ACC, AM, CC, RF,
 * RN, DT, PT, MSG, CRC32, NT/NTA, X-VS/X-SS/X-KS, X-PER, X-ID, X-URL and
 * the standing-order keys FRQ, DL.  Unknown keys are invalid unless they
 * start with "X-"; "*" inside a value is written %2A.
 */
#include <stdio.h>
#include <string.h>

#include "qr_fmt.h"
#include "qr_utf8.h"

/* The rule a known key's value follows (see value_error). */
typedef enum spayd_rule
{
	RULE_NONE,
	RULE_ACC,					/* IBAN[+BIC] */
	RULE_ACC_LIST,				/* IBAN[+BIC],... */
	RULE_AMOUNT,
	RULE_CURRENCY,
	RULE_DIGITS,
	RULE_DATE,
	RULE_NOTIFY,
	RULE_CRC32
} spayd_rule;

typedef struct spayd_key
{
	const char *key;
	size_t		keylen;
	const char *name;
	int			maxchars;
	spayd_rule	rule;
} spayd_key;

#define KEY(k) k, sizeof(k) - 1

static const spayd_key spayd_keys[] = {
	{KEY("ACC"), "Account", 46, RULE_ACC},
	{KEY("ALT-ACC"), "Alternative Accounts", 93, RULE_ACC_LIST},
	{KEY("AM"), "Amount", 10, RULE_AMOUNT},
	{KEY("CC"), "Currency", 3, RULE_CURRENCY},
	{KEY("RF"), "Payee Reference", 16, RULE_DIGITS},
	{KEY("RN"), "Payee Name", 35, RULE_NONE},
	{KEY("DT"), "Due Date", 8, RULE_DATE},
	{KEY("PT"), "Payment Type", 3, RULE_NONE},
	{KEY("MSG"), "Message", 60, RULE_NONE},
	{KEY("CRC32"), "CRC32", 8, RULE_CRC32},
	{KEY("NT"), "Notification Type", 1, RULE_NOTIFY},
	{KEY("NTA"), "Notification Address", 320, RULE_NONE},
	{KEY("FRQ"), "Frequency", 3, RULE_NONE},
	{KEY("DL"), "Last Date", 8, RULE_DATE},
	{KEY("X-VS"), "Variable Symbol", 10, RULE_DIGITS},
	{KEY("X-SS"), "Specific Symbol", 10, RULE_DIGITS},
	{KEY("X-KS"), "Constant Symbol", 10, RULE_DIGITS},
	{KEY("X-PER"), "Retry Days", 2, RULE_DIGITS},
	{KEY("X-ID"), "Payer Identifier", 20, RULE_NONE},
	{KEY("X-URL"), "URL", 140, RULE_NONE},
	{NULL, 0, NULL, 0, RULE_NONE}
};

static const spayd_key *
key_of(const char *k, size_t n)
{
	for (const spayd_key *s = spayd_keys; s->key; s++)
		if (s->keylen == n && memcmp(s->key, k, n) == 0)
			return s;
	return NULL;
}

typedef struct kv
{
	const char *key;
	size_t		key_len;
	const char *val;
	size_t		val_len;
} kv;

#define KV_MAX 64

/* Split the pairs after "SPD*<version>*"; returns the count, -1 if too many. */
static int
pairs(const char *buf, size_t len, const char **ver, size_t *verlen, kv *out)
{
	const char *p = buf + 4,
				*end = buf + len;
	const char *star = memchr(p, '*', (size_t) (end - p));
	int			k = 0;

	*ver = p;
	*verlen = (size_t) ((star ? star : end) - p);
	p = star ? star + 1 : end;
	while (p < end)
	{
		const char *s = memchr(p, '*', (size_t) (end - p));
		const char *stop = s ? s : end;
		const char *colon = memchr(p, ':', (size_t) (stop - p));

		if (k == KV_MAX)
			return -1;
		out[k].key = p;
		out[k].key_len = (size_t) ((colon ? colon : stop) - p);
		out[k].val = colon ? colon + 1 : stop;
		out[k].val_len = colon ? (size_t) (stop - colon - 1) : 0;
		if (colon == NULL)
			out[k].key_len = (size_t) (stop - p), out[k].val = NULL;
		k++;
		p = s ? s + 1 : end;
	}
	return k;
}

/* "spayd attribute KEY", built only when a message needs it */
static const char *
where_of(char *dst, size_t size, const kv *p)
{
	snprintf(dst, size, "spayd attribute %.*s", (int) (p->key_len > 20 ? 20 : p->key_len), p->key);
	return dst;
}

static int
acc_valid(const char *s, size_t n)
{
	const char *plus = memchr(s, '+', n);
	size_t		in = plus ? (size_t) (plus - s) : n;

	if (!qr_iban_valid(s, in))
		return 0;
	return plus == NULL || qr_bic_valid(plus + 1, n - in - 1);
}

/* A list of accounts "IBAN[+BIC],IBAN[+BIC],..." (ALT-ACC). */
static int
acc_list_valid(const char *dec, long dn)
{
	const char *p = dec,
				*e = dec + dn;

	while (p <= e)
	{
		const char *c = memchr(p, ',', (size_t) (e - p));
		const char *stop = c ? c : e;

		if (!acc_valid(p, (size_t) (stop - p)))
			return 0;
		if (c == NULL)
			break;
		p = c + 1;
	}
	return 1;
}

/*
 * The rule of a known key for its decoded value dec (dn bytes): the
 * message of the violation, or NULL when the value is good.  *quote says
 * the message follows the value quoted (the amount and the dates).
 */
static const char *
value_error(const spayd_key *k, const char *dec, long dn, int *quote)
{
	long long	cents;

	*quote = 0;
	switch (k->rule)
	{
		case RULE_ACC:
			return acc_valid(dec, (size_t) dn) ? NULL :
				   "not an IBAN (mod 97) optionally followed by +BIC";
		case RULE_ACC_LIST:
			return acc_list_valid(dec, dn) ? NULL : "not a comma-separated list of IBAN[+BIC]";
		case RULE_AMOUNT:
			*quote = 1;
			return qr_decimal_parse(dec, (size_t) dn, '.', 2, &cents) ? NULL :
				   "is not an amount (digits, decimal point, at most 2 decimals)";
		case RULE_CURRENCY:
			return (dn != 3 || dec[0] < 'A' || dec[0] > 'Z' || dec[1] < 'A' || dec[1] > 'Z' ||
					dec[2] < 'A' || dec[2] > 'Z') ?
				   "the currency must be 3 capital letters (ISO 4217)" : NULL;
		case RULE_DIGITS:
			return (dn == 0 || !qr_all_digits(dec, (size_t) dn)) ? "the value must be digits" : NULL;
		case RULE_DATE:
			*quote = 1;
			return qr_date_valid(dec, (size_t) dn, 1) ? NULL : "is not a date written YYYYMMDD";
		case RULE_NOTIFY:
			return (dn != 1 || (dec[0] != 'P' && dec[0] != 'E')) ?
				   "the notification type must be P (phone) or E (e-mail)" : NULL;
		case RULE_CRC32:
			for (long j = 0; j < dn; j++)
				if (!((dec[j] >= '0' && dec[j] <= '9') || (dec[j] >= 'A' && dec[j] <= 'F')))
					return "the CRC32 must be 8 upper-case hex digits";
			return dn != 8 ? "the CRC32 must be 8 upper-case hex digits" : NULL;
		case RULE_NONE:
			break;
	}
	return NULL;
}

/*
 * One attribute ps[i] (the ones before it already checked): the name's
 * syntax, a known or X- key, no repetition, a value that decodes to UTF-8
 * text within the key's length and passes its rule.  *is_acc says the
 * attribute was ACC.
 */
static qr_errcode
check_attribute(const char *buf, const kv *ps, int i, qr_error *err, int *is_acc)
{
	const spayd_key *k = key_of(ps[i].key, ps[i].key_len);
	const char *bad = NULL;
	const char *msg;
	char		dec[QR_MAX_BYTES + 1];
	char		where[64];
	long		dn;
	int			ascii,
				quote;

#define WHERE where_of(where, sizeof(where), &ps[i])

	*is_acc = 0;
	if (ps[i].val == NULL)
		return qr_fail(err, QR_ERR_VALUE, buf, ps[i].key, "", "spayd",
					   "an attribute is KEY:VALUE; the \":\" is missing");
	for (size_t j = 0; j < ps[i].key_len; j++)
	{
		char		c = ps[i].key[j];

		if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'))
			return qr_fail(err, QR_ERR_VALUE, buf, ps[i].key + j, "", "spayd",
						   "attribute names are capital letters, digits and \"-\"");
	}
	if (k == NULL && !(ps[i].key_len > 2 && memcmp(ps[i].key, "X-", 2) == 0))
		return qr_fail(err, QR_ERR_VALUE, buf, ps[i].key, "", WHERE,
					   "unknown attribute; only keys starting with X- may be added to SPAYD");
	for (int j = 0; j < i; j++)
		if (ps[j].key_len == ps[i].key_len && memcmp(ps[j].key, ps[i].key, ps[i].key_len) == 0)
			return qr_fail(err, QR_ERR_DUPLICATE, buf, ps[i].key, "", WHERE, "the attribute occurs twice");
	dn = qr_pct_decode(ps[i].val, ps[i].val_len, dec, &bad);
	if (dn < 0)
		return qr_fail(err, QR_ERR_VALUE, buf, bad, "", WHERE,
					   "\"%%\" is not followed by two hex digits");
	if (!qr_ascii_clean(dec, (size_t) dn) && qr_utf8_check(dec, (size_t) dn, &ascii) >= 0)
		return qr_fail(err, QR_ERR_ENCODING, buf, ps[i].val, "", WHERE,
					   "the value decodes to bytes that are not UTF-8 text (or a NUL)");
	dec[dn] = '\0';
	if (k == NULL)
		return QR_OK;
	if (dn > k->maxchars && qr_utf8_count(dec, dec + dn) > k->maxchars)
		return qr_fail(err, QR_ERR_VALUE, buf, ps[i].val, k->key, WHERE,
					   "%d characters; the maximum is %d",
					   qr_utf8_count(dec, dec + dn), k->maxchars);
	*is_acc = k->rule == RULE_ACC;
	if ((msg = value_error(k, dec, dn, &quote)) != NULL)
		return quote ? qr_fail(err, QR_ERR_VALUE, buf, ps[i].val, k->key, WHERE, "\"%.20s\" %s", dec, msg)
			   : qr_fail(err, QR_ERR_VALUE, buf, ps[i].val, k->key, WHERE, "%s", msg);
#undef WHERE
	return QR_OK;
}

qr_errcode
qr_spayd_validate(const char *buf, size_t len, qr_error *err,
				  qr_finding_fn report, void *arg)
{
	kv			ps[KV_MAX];
	const char *ver;
	size_t		verlen;
	int			n = pairs(buf, len, &ver, &verlen, ps);
	int			have_acc = 0;

	if (!((verlen == 3 && (memcmp(ver, "1.0", 3) == 0 || memcmp(ver, "2.0", 3) == 0))))
		return qr_fail(err, QR_ERR_FORMAT, buf, ver, "version", "spayd",
					   "version \"%.*s\" is not supported; SPAYD versions are 1.0 and 2.0",
					   (int) (verlen > 10 ? 10 : verlen), ver);
	if (n < 0)
		return qr_fail(err, QR_ERR_VALUE, buf, NULL, "", "spayd", "more than %d attributes", KV_MAX);
	for (int i = 0; i < n; i++)
	{
		int			is_acc;
		qr_errcode	rc = check_attribute(buf, ps, i, err, &is_acc);

		if (rc != QR_OK)
			return rc;
		have_acc |= is_acc;
	}
	if (!have_acc)
		return qr_fail(err, QR_ERR_MISSING, buf, NULL, "ACC", "spayd attribute ACC",
					   "the account (ACC) is mandatory");
	(void) report;
	(void) arg;
	return QR_OK;
}

int
qr_spayd_fields(const char *buf, size_t len, qr_field_fn fn, void *arg)
{
	kv			ps[KV_MAX];
	const char *ver;
	size_t		verlen;
	int			n = pairs(buf, len, &ver, &verlen, ps);
	char		dec[QR_MAX_BYTES + 1];
	char		path[32];

	if (qr_emit(fn, arg, "version", "Version", ver, verlen, 1, 0))
		return 1;
	for (int i = 0; i < n; i++)
	{
		const spayd_key *k = key_of(ps[i].key, ps[i].key_len);
		long		dn = qr_pct_decode(ps[i].val, ps[i].val_len, dec, NULL);

		if (ps[i].val == NULL || dn < 0)
			continue;
		snprintf(path, sizeof(path), "%.*s", (int) (ps[i].key_len > 30 ? 30 : ps[i].key_len), ps[i].key);
		if (qr_emit(fn, arg, path, k ? k->name : "Extension Attribute", dec, (size_t) dn, 1, 0))
			return 1;
	}
	return 0;
}

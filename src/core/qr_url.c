/*
 * qr_url.c — URL-shaped payment codes: China's merchant URL codes and any
 * http(s) payment URL ("url"), UPI links ("upi") and BezahlCode ("bezahlcode").
 *
 * Syntax is RFC 3986: scheme "://" authority, then path, "?" query and
 * "#" fragment, characters outside unreserved / sub-delims / ":" "@" "/"
 * "?" percent-encoded.  Provider rules (REFERENCE §3):
 *   - Alipay      https://qr.alipay.com/<code>, any letter case (upper case
 *                 fits QR alphanumeric mode);
 *   - UnionPay    https://qr.95516.com/<8-digit institution code>/<code>;
 *                 other qr.95516.com paths (the qrcGtwWeb-web auth redirect)
 *                 are no payment code;
 *   - WeChat Pay  wxp://<token> (face-to-face collection code) and
 *                 weixin://wxpay/bizpayurl?pr=<id> (Native order code; the
 *                 legacy static form carries product_id instead of pr);
 *   - UPI         upi://pay?pa=<vpa>&pn=<name>[&am=&cu=&tn=&tr=&mc=...]
 *                 (NPCI linking spec as used by upiqr and payments-service);
 *   - BezahlCode  bank://<authority>?name=&iban=&amount=<decimal comma>...
 *                 (QRCoder BezahlCodeTests).
 * An http(s) URL on any other host is stored as "url" with its syntax
 * checked: which wallet it belongs to is the provider catalog's business.
 * A URL with userinfo ("https://qr.alipay.com@host/") is refused: the
 * host would not be the one the text suggests.
 */
#include <stdio.h>
#include <string.h>

#include "qr_fmt.h"
#include "qr_utf8.h"

typedef struct url_parts
{
	const char *scheme;
	size_t		scheme_len;
	const char *auth;			/* between "//" and the path, query or fragment */
	size_t		auth_len;
	const char *path;			/* after the authority, without the leading "/" */
	size_t		path_len;
	int			has_path;
	const char *query;
	size_t		query_len;
	int			has_query;
	const char *frag;
	size_t		frag_len;
	int			has_frag;
} url_parts;

/*
 * Character classes, one bit each, so that every test of a character is
 * one table load (random-looking tokens defeat the branches of a chain of
 * range tests):
 *   URI       RFC 3986 §2: unreserved, sub-delims, ":" and "@" (pchar),
 *             "/" and "?", and "%" of percent-encoding:
 *             A-Z a-z 0-9 and -._~!$&'()*+,;=:@/?%
 *   HOST      a DNS name or IPv4 address: A-Z a-z 0-9 - .
 *   VPA       a UPI VPA or a wxp:// token: A-Z a-z 0-9 . - _
 *   AUTH_END  what ends an authority: / ? #
 *   PATH_END  what ends a path: ? #
 */
#define URI 1
#define HOST 2
#define VPA 4
#define AUTH_END 8
#define PATH_END 16

static const unsigned char url_chars[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 1, 0, 24, 1, 1, 1, 1, 1, 1, 1, 1, 1, 7, 7, 9,
	7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 1, 1, 0, 1, 0, 25,
	1, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
	7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 0, 0, 0, 0, 5,
	0, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
	7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 0, 0, 0, 1, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

static inline int
uri_char(unsigned char c)
{
	return url_chars[c] & URI;
}

static void
split(const char *buf, size_t len, url_parts *u)
{
	const char *end = buf + len;
	const char *p = memchr(buf, ':', len);
	const char *q;

	memset(u, 0, sizeof(*u));
	u->scheme = buf;
	u->scheme_len = (size_t) (p - buf);
	p++;
	if (end - p >= 2 && p[0] == '/' && p[1] == '/')
		p += 2;
	u->auth = p;
	for (q = p; q < end && !(url_chars[(unsigned char) *q] & AUTH_END); q++)
		;
	u->auth_len = (size_t) (q - p);
	if (q < end && *q == '/')
	{
		const char *s = ++q;

		while (q < end && !(url_chars[(unsigned char) *q] & PATH_END))
			q++;
		u->path = s;
		u->path_len = (size_t) (q - s);
		u->has_path = 1;
	}
	if (q < end && *q == '?')
	{
		const char *s = ++q;
		const char *hash = memchr(q, '#', (size_t) (end - q));

		q = hash ? hash : end;
		u->query = s;
		u->query_len = (size_t) (q - s);
		u->has_query = 1;
	}
	if (q < end && *q == '#')
	{
		u->frag = q + 1;
		u->frag_len = (size_t) (end - q - 1);
		u->has_frag = 1;
	}
}

/*
 * Case-insensitive ASCII equality as a comparison result (0: equal), for
 * the keys, hosts and schemes matched here: inline, and a length that
 * differs settles it without reading a byte.
 */
static inline int
icmp(const char *a, size_t an, const char *b, size_t bn)
{
	if (an != bn)
		return 1;
	for (size_t i = 0; i < an; i++)
	{
		unsigned char x = (unsigned char) a[i],
					  y = (unsigned char) b[i];

		if (x != y && ((x | 0x20) != (y | 0x20) || (unsigned char) ((x | 0x20) - 'a') > 'z' - 'a'))
			return 1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Query parameters                                                    */
/* ------------------------------------------------------------------ */

typedef struct qparam
{
	const char *key;
	size_t		key_len;
	const char *val;			/* raw, still percent-encoded */
	size_t		val_len;
} qparam;

#define QPARAM_MAX 64

/* Split a query on "&"; empty pieces (a trailing "&") are skipped. */
static int
params(const char *q, size_t n, qparam *out, int max)
{
	const char *end = q + n;
	int			k = 0;

	while (q < end && k < max)
	{
		const char *amp = memchr(q, '&', (size_t) (end - q));
		const char *stop = amp ? amp : end;
		const char *eq = memchr(q, '=', (size_t) (stop - q));

		if (stop > q)
		{
			out[k].key = q;
			out[k].key_len = (size_t) ((eq ? eq : stop) - q);
			out[k].val = eq ? eq + 1 : stop;
			out[k].val_len = eq ? (size_t) (stop - eq - 1) : 0;
			k++;
		}
		q = amp ? amp + 1 : end;
	}
	return k;
}

static const qparam *
param_n(const qparam *ps, int n, const char *key, size_t keylen)
{
	for (int i = 0; i < n; i++)
		if (icmp(ps[i].key, ps[i].key_len, key, keylen) == 0)
			return &ps[i];
	return NULL;
}

static const qparam *
param(const qparam *ps, int n, const char *key)
{
	return param_n(ps, n, key, strlen(key));
}

/* ------------------------------------------------------------------ */
/* Names                                                               */
/* ------------------------------------------------------------------ */

typedef struct pname
{
	const char *key;
	const char *name;
} pname;

/* NPCI UPI linking specification parameters */
static const pname upi_names[] = {
	{"pa", "Payee VPA"}, {"pn", "Payee Name"}, {"am", "Amount"},
	{"mam", "Minimum Amount"}, {"cu", "Currency"}, {"tn", "Transaction Note"},
	{"tr", "Transaction Reference"}, {"tid", "Transaction Id"},
	{"mc", "Merchant Category Code"}, {"url", "Reference URL"},
	{"mode", "Initiation Mode"}, {"purpose", "Purpose Code"},
	{"orgid", "Originating Organisation Id"}, {"sign", "Signature"},
	{NULL, NULL}
};

/* BezahlCode URL parameters */
static const pname bc_names[] = {
	{"name", "Name"}, {"iban", "IBAN"}, {"bic", "BIC"}, {"account", "Account Number"},
	{"bnc", "Bank Code"}, {"amount", "Amount"}, {"currency", "Currency"},
	{"reason", "Reason"}, {"executiondate", "Execution Date"},
	{"separeference", "SEPA Reference"}, {"creditorid", "Creditor Id"},
	{"mandateid", "Mandate Id"}, {"dateofsignature", "Date of Signature"},
	{"periodictimeunit", "Periodic Time Unit"},
	{"periodictimeunitrotation", "Periodic Time Unit Rotation"},
	{"periodicfirstexecutiondate", "Periodic First Execution Date"},
	{"periodiclastexecutiondate", "Periodic Last Execution Date"},
	{NULL, NULL}
};

static const char *
name_of(const pname *t, const char *key, size_t n, const char *dflt)
{
	for (; t->key; t++)
		if (icmp(t->key, strlen(t->key), key, n) == 0)
			return t->name;
	return dflt;
}

/* BezahlCode authorities (QRCoder BezahlCode.AuthorityType) */
static const char *const bc_authorities[] = {
	"singlepayment", "singlepaymentsepa", "singledirectdebit",
	"singledirectdebitsepa", "periodicsinglepayment",
	"periodicsinglepaymentsepa", "contact", "contact_v2", NULL
};

/* ------------------------------------------------------------------ */
/* Validation                                                          */
/* ------------------------------------------------------------------ */

/* What a message names: "path", "parameter pa" (formatted only on failure). */
typedef struct label
{
	const char *kind;
	const char *key;
	int			keylen;
} label;

#define LBL_FMT "%s%s%.*s"
#define LBL_ARGS(l) (l).kind, (l).key ? " " : "", (l).key ? (l).keylen : 0, (l).key ? (l).key : ""

static label
lbl(const char *kind, const char *key, size_t keylen)
{
	label		l;

	l.kind = kind;
	l.key = key;
	l.keylen = (int) (keylen > 40 ? 40 : keylen);
	return l;
}

typedef struct vctx
{
	const char *buf;
	qr_error   *err;
	qr_finding_fn report;
	void	   *arg;
	const char *fmtname;
	char		dec[QR_MAX_BYTES + 1];	/* a decoded value */
} vctx;

/*
 * Check the characters of [s, s+n) of one URL component; lenient (UPI and
 * BezahlCode query values, where real codes carry raw spaces and letters
 * outside ASCII) turns those into a warning.
 */
static qr_errcode
check_chars(vctx *c, const char *s, size_t n, label what, int lenient)
{
	const unsigned char *u = (const unsigned char *) s;
	int			warned = 0;
	size_t		i = 0;

	/* eight characters per test while all are allowed; the rest one by one */
	while (i + 8 <= n && (url_chars[u[i]] & url_chars[u[i + 1]] & url_chars[u[i + 2]] &
						  url_chars[u[i + 3]] & url_chars[u[i + 4]] & url_chars[u[i + 5]] &
						  url_chars[u[i + 6]] & url_chars[u[i + 7]] & URI))
		i += 8;
	for (; i < n; i++)
	{
		unsigned char ch = (unsigned char) s[i];

		if (uri_char(ch))
			continue;
		if (lenient && (ch == ' ' || ch >= 0x80))
		{
			if (!warned)
				qr_notef(c->report, c->arg, QR_SEV_WARNING, "",
						 LBL_FMT " holds a %s that RFC 3986 wants percent-encoded",
						 LBL_ARGS(what), ch == ' ' ? "space" : "non-ASCII character");
			warned = 1;
			continue;
		}
		if (ch < 0x20 || ch == 0x7F)
			return qr_fail(c->err, QR_ERR_VALUE, c->buf, s + i, "", c->fmtname,
						   "control character 0x%02X in the " LBL_FMT, ch, LBL_ARGS(what));
		if (ch >= 0x80)
			return qr_fail(c->err, QR_ERR_VALUE, c->buf, s + i, "", c->fmtname,
						   "character outside ASCII in the " LBL_FMT "; URLs carry it percent-encoded",
						   LBL_ARGS(what));
		return qr_fail(c->err, QR_ERR_VALUE, c->buf, s + i, "", c->fmtname,
					   "character '%c' is not allowed in the " LBL_FMT " (RFC 3986 §2)", ch,
					   LBL_ARGS(what));
	}
	return QR_OK;
}

/* Percent-decode into c->dec and check the result is UTF-8 text. */
static long
decode(vctx *c, const char *s, size_t n, label what, qr_errcode *rc)
{
	const char *bad = NULL;
	long		dn = qr_pct_decode(s, n, c->dec, &bad);
	int			ascii;

	*rc = QR_OK;
	if (dn < 0)
	{
		*rc = qr_fail(c->err, QR_ERR_VALUE, c->buf, bad, "", c->fmtname,
					  "\"%%\" in the " LBL_FMT " is not followed by two hex digits", LBL_ARGS(what));
		return -1;
	}
	if (!qr_ascii_clean(c->dec, (size_t) dn) && qr_utf8_check(c->dec, (size_t) dn, &ascii) >= 0)
	{
		*rc = qr_fail(c->err, QR_ERR_ENCODING, c->buf, s, "", c->fmtname,
					  "the " LBL_FMT " decodes to bytes that are not UTF-8 text (or a NUL)", LBL_ARGS(what));
		return -1;
	}
	c->dec[dn] = '\0';
	return dn;
}

static qr_errcode
check_params(vctx *c, const qparam *ps, int n, int lenient, const char *kind)
{
	qr_errcode	rc;

	for (int i = 0; i < n; i++)
	{
		label		what = lbl(kind, ps[i].key, ps[i].key_len);

		if (ps[i].key_len == 0)
			return qr_fail(c->err, QR_ERR_VALUE, c->buf, ps[i].key, "", c->fmtname,
						   "a query parameter has no name");
		if ((rc = check_chars(c, ps[i].key, ps[i].key_len, what, 0)) != QR_OK)
			return rc;
		if ((rc = check_chars(c, ps[i].val, ps[i].val_len, what, lenient)) != QR_OK)
			return rc;
		decode(c, ps[i].val, ps[i].val_len, what, &rc);
		if (rc != QR_OK)
			return rc;
		if (lenient)
			for (int j = 0; j < i; j++)
				if (icmp(ps[j].key, ps[j].key_len, ps[i].key, ps[i].key_len) == 0)
					return qr_fail(c->err, QR_ERR_DUPLICATE, c->buf, ps[i].key, "", c->fmtname,
								   LBL_FMT " occurs twice", LBL_ARGS(what));
	}
	return QR_OK;
}

/* A parameter's decoded value into c->dec; -1 when absent. */
static long
pvalue(vctx *c, const qparam *ps, int n, const char *key, const qparam **where)
{
	size_t		keylen = strlen(key);
	const qparam *p = param_n(ps, n, key, keylen);
	qr_errcode	rc;

	if (where)
		*where = p;
	if (p == NULL)
		return -1;
	return decode(c, p->val, p->val_len, lbl("parameter", key, keylen), &rc);
}

static inline int
vpa_char(char ch)
{
	return url_chars[(unsigned char) ch] & VPA;
}

static qr_errcode
validate_upi(vctx *c, const url_parts *u)
{
	qparam		ps[QPARAM_MAX];
	int			n;
	const qparam *at;
	long		dn;
	long long	cents;
	qr_errcode	rc;
	static const char *const amounts[] = {"am", "mam", NULL};

	if (icmp(u->auth, u->auth_len, "pay", 3) != 0 || u->has_path)
		return qr_fail(c->err, QR_ERR_FORMAT, c->buf, u->auth, "", c->fmtname,
					   "only upi://pay links are payment codes");
	if (!u->has_query || u->query_len == 0)
		return qr_fail(c->err, QR_ERR_MISSING, c->buf, NULL, "pa", c->fmtname,
					   "the link has no parameters; pa (payee VPA) and pn (payee name) are mandatory");
	n = params(u->query, u->query_len, ps, QPARAM_MAX);
	if ((rc = check_params(c, ps, n, 1, "parameter")) != QR_OK)
		return rc;
	dn = pvalue(c, ps, n, "pa", &at);
	if (dn < 0)
		return qr_fail(c->err, QR_ERR_MISSING, c->buf, NULL, "pa", "upi parameter pa",
					   "the payee VPA is mandatory");
	{
		const char *atsign = memchr(c->dec, '@', (size_t) dn);
		int			ok = atsign != NULL && atsign > c->dec && atsign < c->dec + dn - 1;

		for (long i = 0; ok && i < dn; i++)
			ok = c->dec + i == atsign || vpa_char(c->dec[i]);
		if (!ok)
			return qr_fail(c->err, QR_ERR_VALUE, c->buf, at->val, "pa", "upi parameter pa",
						   "\"%.60s\" is not a VPA (handle@psp of letters, digits, \".\", \"-\", \"_\")",
						   c->dec);
	}
	if (pvalue(c, ps, n, "pn", &at) < 0)
		return qr_fail(c->err, QR_ERR_MISSING, c->buf, NULL, "pn", "upi parameter pn",
					   "the payee name is mandatory");
	for (int k = 0; amounts[k]; k++)
	{
		dn = pvalue(c, ps, n, amounts[k], &at);
		if (dn >= 0 && (!qr_decimal_parse(c->dec, (size_t) dn, '.', 2, &cents) || cents == 0))
			return qr_fail(c->err, QR_ERR_VALUE, c->buf, at->val, amounts[k],
						   amounts[k][0] == 'a' ? "upi parameter am" : "upi parameter mam",
						   "\"%.30s\" is not a positive amount with at most 2 decimals", c->dec);
	}
	dn = pvalue(c, ps, n, "cu", &at);
	if (dn >= 0)
	{
		if (dn != 3 || c->dec[0] < 'A' || c->dec[0] > 'Z' || c->dec[1] < 'A' ||
			c->dec[1] > 'Z' || c->dec[2] < 'A' || c->dec[2] > 'Z')
			return qr_fail(c->err, QR_ERR_VALUE, c->buf, at->val, "cu", "upi parameter cu",
						   "\"%.30s\" is not an ISO 4217 currency code", c->dec);
		if (memcmp(c->dec, "INR", 3) != 0)
			qr_notef(c->report, c->arg, QR_SEV_WARNING, "cu",
					 "UPI settles in INR; this link names %s", c->dec);
	}
	dn = pvalue(c, ps, n, "mc", &at);
	if (dn >= 0 && (dn != 4 || !qr_all_digits(c->dec, 4)))
		return qr_fail(c->err, QR_ERR_VALUE, c->buf, at->val, "mc", "upi parameter mc",
					   "\"%.30s\" is not a 4-digit merchant category code (ISO 18245)", c->dec);
	return QR_OK;
}

static int
bc_is_payment(const url_parts *u)
{
	return !qr_ascii_prefix(u->auth, u->auth_len, "contact");
}

static int
bc_is_sepa(const url_parts *u)
{
	return u->auth_len >= 4 &&
		   icmp(u->auth + u->auth_len - 4, 4, "sepa", 4) == 0;
}

static qr_errcode
validate_bezahlcode(vctx *c, const url_parts *u)
{
	qparam		ps[QPARAM_MAX];
	int			n,
				known = 0;
	const qparam *at;
	long		dn;
	long long	cents;
	qr_errcode	rc;
	static const char *const dates[] = {
		"executiondate", "periodicfirstexecutiondate",
		"periodiclastexecutiondate", "dateofsignature", NULL
	};

	for (int k = 0; !known && bc_authorities[k]; k++)
		if (icmp(u->auth, u->auth_len, bc_authorities[k],
				 strlen(bc_authorities[k])) == 0)
			known = 1;
	if (!known || u->has_path)
		return qr_fail(c->err, QR_ERR_FORMAT, c->buf, u->auth, "authority", c->fmtname,
					   "\"%.*s\" is not a BezahlCode authority (singlepayment, singlepaymentsepa, singledirectdebit, singledirectdebitsepa, periodicsinglepayment, periodicsinglepaymentsepa, contact, contact_v2)",
					   (int) (u->auth_len > 40 ? 40 : u->auth_len), u->auth);
	n = u->has_query ? params(u->query, u->query_len, ps, QPARAM_MAX) : 0;
	if ((rc = check_params(c, ps, n, 1, "parameter")) != QR_OK)
		return rc;
	if (pvalue(c, ps, n, "name", &at) <= 0)
		return qr_fail(c->err, QR_ERR_MISSING, c->buf, NULL, "name", "bezahlcode parameter name",
					   "the name is mandatory");
	if (!bc_is_payment(u))
		return QR_OK;
	if (bc_is_sepa(u))
	{
		dn = pvalue(c, ps, n, "iban", &at);
		if (dn < 0)
			return qr_fail(c->err, QR_ERR_MISSING, c->buf, NULL, "iban", "bezahlcode parameter iban",
						   "a SEPA BezahlCode needs the payee's IBAN");
		if (!qr_iban_valid(c->dec, (size_t) dn))
			return qr_fail(c->err, QR_ERR_VALUE, c->buf, at->val, "iban", "bezahlcode parameter iban",
						   "\"%.40s\" is not a valid IBAN (ISO 13616: country, check digits, mod 97)",
						   c->dec);
	}
	else if (pvalue(c, ps, n, "account", &at) < 0 || pvalue(c, ps, n, "bnc", &at) < 0)
		return qr_fail(c->err, QR_ERR_MISSING, c->buf, NULL, "account", "bezahlcode parameters",
					   "a non-SEPA BezahlCode needs account and bnc (bank code)");
	dn = pvalue(c, ps, n, "amount", &at);
	if (dn >= 0 && !qr_decimal_parse(c->dec, (size_t) dn, ',', 2, &cents))
		return qr_fail(c->err, QR_ERR_VALUE, c->buf, at->val, "amount", "bezahlcode parameter amount",
					   "\"%.30s\" is not an amount (digits, decimal comma, at most 2 decimals)",
					   c->dec);
	dn = pvalue(c, ps, n, "currency", &at);
	if (dn >= 0 && (dn != 3 || !qr_all_alnum(c->dec, 3) || qr_all_digits(c->dec, 3)))
		return qr_fail(c->err, QR_ERR_VALUE, c->buf, at->val, "currency", "bezahlcode parameter currency",
					   "\"%.30s\" is not an ISO 4217 currency code", c->dec);
	for (int k = 0; dates[k]; k++)
	{
		dn = pvalue(c, ps, n, dates[k], &at);
		if (dn >= 0 && !qr_date_valid(c->dec, (size_t) dn, 0))
			return qr_fail(c->err, QR_ERR_VALUE, c->buf, at->val, dates[k], "bezahlcode parameter",
						   "%s \"%.30s\" is not a date written DDMMYYYY", dates[k], c->dec);
	}
	return QR_OK;
}

static inline int
host_char(char ch)
{
	return url_chars[(unsigned char) ch] & HOST;
}

/* Host and port of an http(s) authority; userinfo refused. */
static qr_errcode
check_authority(vctx *c, const url_parts *u, size_t *hostlen)
{
	const char *colon;
	size_t		hn;

	if (memchr(u->auth, '@', u->auth_len))
		return qr_fail(c->err, QR_ERR_VALUE, c->buf, u->auth, "host", c->fmtname,
					   "the URL carries userinfo before \"@\", so its real host is not the one it starts with; payment URLs never do");
	colon = memchr(u->auth, ':', u->auth_len);
	hn = colon ? (size_t) (colon - u->auth) : u->auth_len;
	if (hn == 0)
		return qr_fail(c->err, QR_ERR_MISSING, c->buf, u->auth, "host", c->fmtname,
					   "the URL has no host");
	for (size_t i = 0; i < hn; i++)
		if (!host_char(u->auth[i]) || (u->auth[i] == '.' && (i == 0 || u->auth[i - 1] == '.')))
			return qr_fail(c->err, QR_ERR_VALUE, c->buf, u->auth + i, "host", c->fmtname,
						   "the host \"%.*s\" is not a DNS name or IPv4 address",
						   (int) (hn > 60 ? 60 : hn), u->auth);
	if (colon)
	{
		size_t		pn = u->auth_len - hn - 1;
		long		port = 0;

		if (pn == 0 || pn > 5 || !qr_all_digits(colon + 1, pn))
			return qr_fail(c->err, QR_ERR_VALUE, c->buf, colon, "port", c->fmtname,
						   "the port is not a number");
		for (size_t i = 0; i < pn; i++)
			port = port * 10 + (colon[1 + i] - '0');
		if (port == 0 || port > 65535)
			return qr_fail(c->err, QR_ERR_VALUE, c->buf, colon, "port", c->fmtname,
						   "port %ld is out of range", port);
	}
	*hostlen = hn;
	return QR_OK;
}

static int
host_is(const url_parts *u, size_t hn, const char *host)
{
	return icmp(u->auth, hn, host, strlen(host)) == 0;
}

static qr_errcode
validate_url(vctx *c, const url_parts *u)
{
	qr_errcode	rc;
	size_t		hn = 0;
	int			https = icmp(u->scheme, u->scheme_len, "https", 5) == 0;
	int			http = icmp(u->scheme, u->scheme_len, "http", 4) == 0;

	if (https || http)
	{
		if ((rc = check_authority(c, u, &hn)) != QR_OK)
			return rc;
		if ((rc = check_chars(c, u->path, u->path_len, lbl("path", NULL, 0), 0)) != QR_OK ||
			(rc = check_chars(c, u->query, u->query_len, lbl("query", NULL, 0), 0)) != QR_OK ||
			(rc = check_chars(c, u->frag, u->frag_len, lbl("fragment", NULL, 0), 0)) != QR_OK)
			return rc;
		if (host_is(u, hn, "qr.alipay.com"))
		{
			if (u->path_len == 0)
				return qr_fail(c->err, QR_ERR_MISSING, c->buf, NULL, "path", "url (Alipay)",
							   "an Alipay code URL carries the code after https://qr.alipay.com/");
		}
		else if (host_is(u, hn, "qr.95516.com"))
		{
			const char *slash = u->has_path ? memchr(u->path, '/', u->path_len) : NULL;

			if (slash == NULL || slash - u->path != 8 || !qr_all_digits(u->path, 8) ||
				slash == u->path + u->path_len - 1)
				return qr_fail(c->err, QR_ERR_VALUE, c->buf, u->has_path ? u->path : NULL,
							   "path", "url (UnionPay)",
							   "not a UnionPay payment code: those are https://qr.95516.com/<8-digit institution code>/<code>");
		}
		else
			return QR_OK;
		if (http)
			qr_notef(c->report, c->arg, QR_SEV_WARNING, "scheme",
					 "the provider publishes its codes over https, this one is http");
		return QR_OK;
	}
	if (icmp(u->scheme, u->scheme_len, "wxp", 3) == 0)
	{
		if (u->auth_len == 0)
			return qr_fail(c->err, QR_ERR_MISSING, c->buf, NULL, "path", "url (WeChat Pay)",
						   "wxp:// carries the collection code token after \"wxp://\"");
		for (size_t i = 0; i < u->auth_len; i++)
			if (!vpa_char(u->auth[i]) || u->auth[i] == '.')
				return qr_fail(c->err, QR_ERR_VALUE, c->buf, u->auth + i, "path", "url (WeChat Pay)",
							   "character '%c' cannot occur in a wxp:// code token", u->auth[i]);
		if (u->has_path || u->has_query || u->has_frag)
			return qr_fail(c->err, QR_ERR_VALUE, c->buf, u->auth + u->auth_len, "path",
						   "url (WeChat Pay)", "a wxp:// code is the token alone");
		return QR_OK;
	}
	/* weixin: */
	if (icmp(u->auth, u->auth_len, "wxpay", 5) != 0 ||
		icmp(u->path, u->path_len, "bizpayurl", 9) != 0 || !u->has_query)
		return qr_fail(c->err, QR_ERR_FORMAT, c->buf, u->auth, "path", "url (WeChat Pay)",
					   "the only weixin:// payment code is weixin://wxpay/bizpayurl?...");
	if ((rc = check_chars(c, u->query, u->query_len, lbl("query", NULL, 0), 0)) != QR_OK ||
		(rc = check_chars(c, u->frag, u->frag_len, lbl("fragment", NULL, 0), 0)) != QR_OK)
		return rc;
	{
		qparam		ps[QPARAM_MAX];
		int			n = params(u->query, u->query_len, ps, QPARAM_MAX);
		const qparam *pr = param(ps, n, "pr"),
					  *prod = param(ps, n, "product_id");

		if ((rc = check_params(c, ps, n, 0, "query parameter")) != QR_OK)
			return rc;
		if ((pr == NULL || pr->val_len == 0) && (prod == NULL || prod->val_len == 0))
			return qr_fail(c->err, QR_ERR_MISSING, c->buf, u->query, "query.pr", "url (WeChat Pay)",
						   "a bizpayurl code carries pr (Native order) or product_id (static form)");
	}
	return QR_OK;
}

qr_errcode
qr_url_validate(qr_fmt fmt, const char *buf, size_t len, qr_error *err,
				qr_finding_fn report, void *arg)
{
	vctx		c;
	url_parts	u;
	const char *colon = memchr(buf, ':', len);

	c.buf = buf;
	c.err = err;
	c.report = report;
	c.arg = arg;
	c.fmtname = qr_format_name(fmt);
	if (len < (size_t) (colon - buf) + 3 || colon[1] != '/' || colon[2] != '/')
		return qr_fail(err, QR_ERR_FORMAT, buf, colon, "", c.fmtname,
					   "the scheme must be followed by \"//\"");
	split(buf, len, &u);
	switch (fmt)
	{
		case QR_FORMAT_UPI:
			return validate_upi(&c, &u);
		case QR_FORMAT_BEZAHLCODE:
			return validate_bezahlcode(&c, &u);
		default:
			return validate_url(&c, &u);
	}
}

/* ------------------------------------------------------------------ */
/* Fields                                                              */
/* ------------------------------------------------------------------ */

static int
emit_lower(qr_field_fn fn, void *arg, const char *path, const char *name,
		   const char *s, size_t n)
{
	char		low[QR_MAX_BYTES + 1];

	for (size_t i = 0; i < n; i++)
		low[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char) (s[i] + 32) : s[i];
	return qr_emit(fn, arg, path, name, low, n, 1, 0);
}

static int
emit_params(qr_field_fn fn, void *arg, const char *prefix, const pname *names,
			const url_parts *u)
{
	qparam		ps[QPARAM_MAX];
	int			n = params(u->query, u->query_len, ps, QPARAM_MAX);
	char		dec[QR_MAX_BYTES + 1];
	char		path[96];

	for (int i = 0; i < n; i++)
	{
		long		dn = qr_pct_decode(ps[i].val, ps[i].val_len, dec, NULL);
		int			ascii;
		qr_field	f;

		/* a value that does not decode to UTF-8 text is shown as written */
		if (dn < 0 || qr_utf8_check(dec, (size_t) dn, &ascii) >= 0)
		{
			memcpy(dec, ps[i].val, ps[i].val_len);
			dn = (long) ps[i].val_len;
		}

		snprintf(path, sizeof(path), "%s%.*s", prefix,
				 (int) (ps[i].key_len > 80 ? 80 : ps[i].key_len), ps[i].key);
		f.path = path;
		f.name = names ? name_of(names, ps[i].key, ps[i].key_len, "Parameter") : "Query Parameter";
		f.value = dec;
		f.value_len = (size_t) dn;
		f.depth = prefix[0] ? 2 : 1;
		f.container = 0;
		f.repeated = 1;
		if (fn(arg, &f))
			return 1;
	}
	return 0;
}

int
qr_url_fields(qr_fmt fmt, const char *buf, size_t len, qr_field_fn fn, void *arg)
{
	url_parts	u;

	split(buf, len, &u);
	if (fmt == QR_FORMAT_UPI)
		return emit_params(fn, arg, "", upi_names, &u);
	if (fmt == QR_FORMAT_BEZAHLCODE)
	{
		if (emit_lower(fn, arg, "authority", "Authority", u.auth, u.auth_len))
			return 1;
		return emit_params(fn, arg, "", bc_names, &u);
	}
	if (emit_lower(fn, arg, "scheme", "Scheme", u.scheme, u.scheme_len))
		return 1;
	if (qr_ascii_prefix(u.scheme, u.scheme_len, "http"))
	{
		const char *colon = memchr(u.auth, ':', u.auth_len);
		size_t		hn = colon ? (size_t) (colon - u.auth) : u.auth_len;

		if (emit_lower(fn, arg, "host", "Host", u.auth, hn))
			return 1;
		if (colon && qr_emit(fn, arg, "port", "Port", colon + 1, u.auth_len - hn - 1, 1, 0))
			return 1;
		if (u.path_len && qr_emit(fn, arg, "path", "Path", u.path, u.path_len, 1, 0))
			return 1;
	}
	else
	{
		/* no host in wxp:// and weixin://: everything up to "?" is the path */
		size_t		pn = u.auth_len + (u.has_path ? 1 + u.path_len : 0);

		if (pn && qr_emit(fn, arg, "path", "Path", u.auth, pn, 1, 0))
			return 1;
	}
	if (u.query_len)
	{
		if (qr_emit(fn, arg, "query", "Query", u.query, u.query_len, 1, 1))
			return 1;
		if (emit_params(fn, arg, "query.", NULL, &u))
			return 1;
	}
	if (u.has_frag && u.frag_len &&
		qr_emit(fn, arg, "fragment", "Fragment", u.frag, u.frag_len, 1, 0))
		return 1;
	return 0;
}

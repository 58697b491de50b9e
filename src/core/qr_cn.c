/*
 * qr_cn.c — China consumer payment codes (付款码, "auth_code").
 *
 * The one-time numeric code a payer's wallet shows and the merchant scans.
 * Acquirers route them by prefix and length (REFERENCE §4):
 *   WeChat Pay  18 digits, prefix 10-15 (pay.weixin.qq.com POS guide,
 *               "ImportantParameters": 10-14 mainland, 15 Hong Kong users)
 *   Alipay      16-24 digits, prefix 25-30 (alipay.trade.pay, auth_code)
 *   UnionPay    19 digits, prefix 62 (Jeepay getPayWayCodeByBarCode)
 *   e-CNY       19 digits, prefix 01 (one open-source router; unverified,
 *               so a different length is only a warning)
 * A code of another prefix is accepted when it has 16-24 digits, the span
 * of the documented rules, so that a wallet whose prefix a bank adds to
 * the provider catalog can be stored; it is reported as undocumented.
 */
#include <stdio.h>
#include <string.h>

#include "qr_fmt.h"

typedef struct cn_rule
{
	int			lo,
				hi;				/* two-digit prefix range */
	int			minlen,
				maxlen;
	int			verified;
	const char *who;
} cn_rule;

static const cn_rule cn_rules[] = {
	{62, 62, 19, 19, 1, "UnionPay consumer codes (prefix 62)"},
	{10, 15, 18, 18, 1, "WeChat Pay consumer codes (prefix 10-15)"},
	{25, 30, 16, 24, 1, "Alipay consumer codes (prefix 25-30)"},
	{1, 1, 19, 19, 0, "e-CNY consumer codes (prefix 01, unverified)"},
};

#define CN_MIN 16
#define CN_MAX 24

static const cn_rule *
cn_rule_for(const char *buf)
{
	int			p = (buf[0] - '0') * 10 + (buf[1] - '0');

	for (size_t i = 0; i < sizeof(cn_rules) / sizeof(cn_rules[0]); i++)
		if (p >= cn_rules[i].lo && p <= cn_rules[i].hi)
			return &cn_rules[i];
	return NULL;
}

static void
span(char *dst, size_t size, int lo, int hi)
{
	if (lo == hi)
		snprintf(dst, size, "%d", lo);
	else
		snprintf(dst, size, "%d to %d", lo, hi);
}

qr_errcode
qr_cn_validate(const char *buf, size_t len, qr_error *err,
			   qr_finding_fn report, void *arg)
{
	const cn_rule *r = len >= 2 ? cn_rule_for(buf) : NULL;
	char		want[24];

	if (r != NULL && ((int) len < r->minlen || (int) len > r->maxlen))
	{
		span(want, sizeof(want), r->minlen, r->maxlen);
		if (r->verified)
			return qr_fail(err, QR_ERR_VALUE, buf, NULL, "", "",
						   "%s have %s digits; this one has %zu",
						   r->who, want, len);
		qr_notef(report, arg, QR_SEV_WARNING, "",
				 "%s have %s digits; this one has %zu", r->who, want, len);
	}
	if (len < CN_MIN || len > CN_MAX)
		return qr_fail(err, QR_ERR_VALUE, buf, NULL, "", "",
					   "an all-digit payload of %zu digits is no payment code: consumer payment codes have %d to %d digits",
					   len, CN_MIN, CN_MAX);
	if (r == NULL)
		qr_notef(report, arg, QR_SEV_INFO, "",
				 "prefix %.2s is not assigned to a documented provider; add it to the provider catalog to identify it",
				 buf);
	return QR_OK;
}

int
qr_cn_fields(const char *buf, size_t len, qr_field_fn fn, void *arg)
{
	return qr_emit(fn, arg, "code", "Payment Code", buf, len, 1, 0);
}

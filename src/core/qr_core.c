/*
 * qr_core.c — format detection, the validation entry point, ordering.
 */
#include <stdio.h>
#include <string.h>

#include "qrpay_core.h"
#include "qr_emv.h"
#include "qr_fmt.h"
#include "qr_utf8.h"

const char *
qr_format_name(qr_fmt fmt)
{
	switch (fmt)
	{
		case QR_FORMAT_EMV_MPM:
			return "emv_mpm";
		case QR_FORMAT_EMV_CPM:
			return "emv_cpm";
		case QR_FORMAT_CN_PAYMENT_CODE:
			return "cn_payment_code";
		case QR_FORMAT_URL:
			return "url";
		case QR_FORMAT_UPI:
			return "upi";
		case QR_FORMAT_EPC:
			return "epc";
		case QR_FORMAT_SWISS_QR:
			return "swiss_qr";
		case QR_FORMAT_SPAYD:
			return "spayd";
		case QR_FORMAT_BEZAHLCODE:
			return "bezahlcode";
		case QR_FORMAT_UNKNOWN:
			break;
	}
	return "unknown";
}

const char *
qr_format_list(void)
{
	return "emv_mpm (000201...), emv_cpm (hQVDUFY...), cn_payment_code (16-24 digits), "
		   "url (https://, wxp://, weixin://wxpay/), upi (upi://pay?), epc (BCD), "
		   "swiss_qr (SPC), spayd (SPD*) or bezahlcode (bank://)";
}

const char *
qr_severity_name(qr_severity sev)
{
	switch (sev)
	{
		case QR_SEV_INFO:
			return "info";
		case QR_SEV_WARNING:
			return "warning";
		case QR_SEV_ERROR:
			return "error";
	}
	return "error";
}

/* Case-insensitive prefix test, inline: detection runs for every payload. */
static inline int
has_prefix(const char *buf, size_t len, const char *prefix, size_t n)
{
	if (len < n)
		return 0;
	for (size_t i = 0; i < n; i++)
	{
		char		c = buf[i];

		if ((c >= 'A' && c <= 'Z' ? (char) (c + 32) : c) != prefix[i])
			return 0;
	}
	return 1;
}

#define HAS_PREFIX(buf, len, lit) has_prefix(buf, len, lit, sizeof(lit) - 1)

/*
 * Are 8 bytes all ASCII digits?  Every byte must have high nibble 3, and
 * adding 6 must keep it 3 (low nibble at most 9); a carry out of a byte
 * only happens from a byte that already fails.
 */
static inline int
digits8(const char *s)
{
	uint64_t	w;

	memcpy(&w, s, 8);
	return (w & 0xF0F0F0F0F0F0F0F0ULL) == 0x3030303030303030ULL &&
		   ((w + 0x0606060606060606ULL) & 0xF0F0F0F0F0F0F0F0ULL) == 0x3030303030303030ULL;
}

/* All digits: consumer codes are 16-24 of them, tested 8 at a time. */
static inline int
digits_only(const char *buf, size_t len)
{
	size_t		i = 0;

	if (len >= 8)
	{
		for (; i + 8 <= len; i += 8)
			if (!digits8(buf + i))
				return 0;
		return i == len || digits8(buf + len - 8);
	}
	for (; i < len; i++)
		if ((unsigned char) (buf[i] - '0') > 9)
			return 0;
	return 1;
}

/*
 * An EMVCo MPM payload opens with data object 00 (§4.6.1: "00" first),
 * i.e. "00" and a 2-digit length.  The length is not required to be 02
 * here so that "000301..." is reported as a bad payload format indicator
 * rather than as an unknown format.
 */
/*
 * The other formats follow REFERENCE §7's order: EMVCo CPM by its base64
 * "hQVDUFY" opening (CPM §5.1.1.1: tag 85 "CPV01"); URL and scheme forms
 * by scheme, case-insensitively (upper case fits QR alphanumeric mode);
 * EPC, Swiss QR-bill and SPAYD by their first line or prefix; and any
 * other all-digit payload of up to 30 digits as a China consumer code (no
 * documented consumer-code prefix is "00", and a complete EMVCo payload,
 * whose mandatory objects alone exceed 40 characters, is never that short).
 */
qr_fmt
qr_detect_format(const char *buf, size_t len)
{
	if (len == 0)
		return QR_FORMAT_UNKNOWN;
	if ((unsigned char) (buf[0] - '0') <= 9)
	{
		if (len >= 4 && buf[0] == '0' && buf[1] == '0' &&
			buf[2] >= '0' && buf[2] <= '9' && buf[3] >= '0' && buf[3] <= '9')
			return QR_FORMAT_EMV_MPM;
		if (len <= 30 && digits_only(buf, len))
			return QR_FORMAT_CN_PAYMENT_CODE;
		return QR_FORMAT_UNKNOWN;
	}
	if (len >= 7 && memcmp(buf, "hQVDUFY", 7) == 0)
		return QR_FORMAT_EMV_CPM;
	switch (buf[0] | 0x20)
	{
		case 'u':
			if (HAS_PREFIX(buf, len, "upi:"))
				return QR_FORMAT_UPI;
			break;
		case 'b':
			if (HAS_PREFIX(buf, len, "bank:"))
				return QR_FORMAT_BEZAHLCODE;
			break;
		case 'h':
			if (HAS_PREFIX(buf, len, "https:") || HAS_PREFIX(buf, len, "http:"))
				return QR_FORMAT_URL;
			break;
		case 'w':
			if (HAS_PREFIX(buf, len, "wxp:") || HAS_PREFIX(buf, len, "weixin:"))
				return QR_FORMAT_URL;
			break;
	}
	if (len >= 4 && memcmp(buf, "BCD", 3) == 0 && (buf[3] == '\n' || buf[3] == '\r'))
		return QR_FORMAT_EPC;
	if (len >= 4 && memcmp(buf, "SPC", 3) == 0 && (buf[3] == '\n' || buf[3] == '\r'))
		return QR_FORMAT_SWISS_QR;
	if (len >= 4 && memcmp(buf, "SPD*", 4) == 0)
		return QR_FORMAT_SPAYD;
	return QR_FORMAT_UNKNOWN;
}

/*
 * Is the sequence at p (lead byte 0xC2-0xF4, n bytes to the end) a correct
 * beginning that the payload ends in the middle of?
 */
static int
utf8_cut_off(const unsigned char *p, size_t n)
{
	size_t		need = p[0] < 0xE0 ? 1 : p[0] < 0xF0 ? 2 : 3;

	if (n > need)
		return 0;
	for (size_t k = 1; k < n; k++)
		if ((p[k] & 0xC0) != 0x80)
			return 0;
	return 1;
}

/* The error of a payload that is not UTF-8 or holds a NUL at byte bad. */
static qr_errcode
encoding_error(const char *buf, size_t len, long bad, qr_error *err)
{
	err->code = QR_ERR_ENCODING;
	err->offset = qr_utf8_count(buf, buf + bad);
	if (buf[bad] == '\0')
		snprintf(err->message, sizeof(err->message),
				 "at offset %d: the payload contains a NUL byte, which no payment QR format allows",
				 err->offset);
	else if ((unsigned char) buf[bad] >= 0xC2 && (unsigned char) buf[bad] <= 0xF4)
		snprintf(err->message, sizeof(err->message),
				 "at offset %d: the UTF-8 character starting with byte 0x%02X is %s; payment QR payloads are UTF-8",
				 err->offset, (unsigned char) buf[bad],
				 utf8_cut_off((const unsigned char *) buf + bad, len - (size_t) bad)
				 ? "cut off by the end of the payload" : "malformed");
	else
		snprintf(err->message, sizeof(err->message),
				 "at offset %d: byte 0x%02X cannot start a UTF-8 character; payment QR payloads are UTF-8",
				 err->offset, (unsigned char) buf[bad]);
	return err->code;
}

/*
 * Most payloads are plain ASCII: one block-wise test proves them UTF-8
 * without NUL.  The others are checked as UTF-8, which also finds the span
 * of their bytes >= 0x80 that the EMVCo walk steps characters in.
 */
qr_errcode
qr_validate(const char *buf, size_t len, qr_error *err,
			qr_finding_fn report, void *report_arg)
{
	long		bad;
	size_t		high_first = len,
				high_last = len;
	qr_error	scratch;
	qr_fmt		fmt;

	if (err == NULL)
		err = &scratch;
	err->code = QR_OK;
	err->offset = -1;
	err->path[0] = '\0';
	err->message[0] = '\0';

	if (len == 0)
	{
		err->code = QR_ERR_EMPTY;
		snprintf(err->message, sizeof(err->message), "the payload is empty");
		return err->code;
	}
	if (!qr_ascii_clean(buf, len) &&
		(bad = qr_utf8_check_span(buf, len, NULL, &high_first, &high_last)) >= 0)
		return encoding_error(buf, len, bad, err);
	if (len > QR_MAX_BYTES)
		return qr_fail(err, QR_ERR_FORMAT, buf, NULL, "", "",
					   "the payload is %zu bytes; no QR symbol holds more than %d (ISO/IEC 18004 version 40-L, byte mode)",
					   len, QR_MAX_BYTES);
	fmt = qr_detect_format(buf, len);
	switch (fmt)
	{
		case QR_FORMAT_EMV_MPM:
			return qr_emv_validate(buf, len, high_first, high_last, err, report,
								   report_arg);
		case QR_FORMAT_EMV_CPM:
			return qr_cpm_validate(buf, len, err, report, report_arg);
		case QR_FORMAT_CN_PAYMENT_CODE:
			return qr_cn_validate(buf, len, err, report, report_arg);
		case QR_FORMAT_URL:
		case QR_FORMAT_UPI:
		case QR_FORMAT_BEZAHLCODE:
			return qr_url_validate(fmt, buf, len, err, report, report_arg);
		case QR_FORMAT_EPC:
			return qr_epc_validate(buf, len, err, report, report_arg);
		case QR_FORMAT_SWISS_QR:
			return qr_swiss_validate(buf, len, err, report, report_arg);
		case QR_FORMAT_SPAYD:
			return qr_spayd_validate(buf, len, err, report, report_arg);
		case QR_FORMAT_UNKNOWN:
			break;
	}
	return qr_fail(err, QR_ERR_FORMAT, buf, buf, "", "",
				   "not a payment QR payload qrpay accepts; expected %s", qr_format_list());
}

/* ------------------------------------------------------------------ */
/* Fields                                                              */
/* ------------------------------------------------------------------ */

void
qr_fields(const char *buf, size_t len, qr_field_fn fn, void *arg)
{
	qr_fmt		fmt = qr_detect_format(buf, len);

	switch (fmt)
	{
		case QR_FORMAT_EMV_MPM:
			qr_emv_fields(buf, len, fn, arg);
			break;
		case QR_FORMAT_EMV_CPM:
			qr_cpm_fields(buf, len, fn, arg);
			break;
		case QR_FORMAT_CN_PAYMENT_CODE:
			qr_cn_fields(buf, len, fn, arg);
			break;
		case QR_FORMAT_URL:
		case QR_FORMAT_UPI:
		case QR_FORMAT_BEZAHLCODE:
			qr_url_fields(fmt, buf, len, fn, arg);
			break;
		case QR_FORMAT_EPC:
			qr_epc_fields(buf, len, fn, arg);
			break;
		case QR_FORMAT_SWISS_QR:
			qr_swiss_fields(buf, len, fn, arg);
			break;
		case QR_FORMAT_SPAYD:
			qr_spayd_fields(buf, len, fn, arg);
			break;
		case QR_FORMAT_UNKNOWN:
			break;
	}
}

typedef struct get_state
{
	const char *path;
	size_t		pathlen;
	char	   *out;
	size_t		cap;
	long		found;
} get_state;

static int
get_cb(void *arg, const qr_field *f)
{
	get_state  *g = arg;

	if (strlen(f->path) != g->pathlen || memcmp(f->path, g->path, g->pathlen) != 0)
		return 0;
	if (f->value_len >= g->cap)
		return 1;
	memcpy(g->out, f->value, f->value_len);
	g->out[f->value_len] = '\0';
	g->found = (long) f->value_len;
	return 1;
}

long
qr_field_get(const char *buf, size_t len, const char *path, size_t pathlen,
			 char *out, size_t cap)
{
	get_state	g;

	if (qr_detect_format(buf, len) == QR_FORMAT_EMV_MPM)
	{
		const char *val;
		size_t		vlen;

		if (!qr_emv_get(buf, len, path, pathlen, &val, &vlen) || vlen >= cap)
			return -1;
		memcpy(out, val, vlen);
		out[vlen] = '\0';
		return (long) vlen;
	}
	g.path = path;
	g.pathlen = pathlen;
	g.out = out;
	g.cap = cap;
	g.found = -1;
	qr_fields(buf, len, get_cb, &g);
	return g.found;
}

int
qr_path_valid(const char *path, size_t pathlen)
{
	size_t		i = 0;
	int			segs = 0;

	if (pathlen == 0 || pathlen > 64)
		return 0;
	while (i <= pathlen)
	{
		size_t		start = i;
		int			digits = 1;

		while (i < pathlen && path[i] != '.')
		{
			char		c = path[i];

			if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
				  (c >= 'a' && c <= 'z') || c == '_' || c == '-'))
				return 0;
			if (c < '0' || c > '9')
				digits = 0;
			i++;
		}
		if (i == start || (digits && i - start != 2) || ++segs > 4)
			return 0;
		i++;
	}
	return 1;
}

int
qr_compare(const char *a, size_t alen, const char *b, size_t blen)
{
	int			c = memcmp(a, b, alen < blen ? alen : blen);

	if (c != 0)
		return c < 0 ? -1 : 1;
	return alen < blen ? -1 : alen > blen ? 1 : 0;
}

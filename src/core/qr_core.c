/*
 * qr_core.c — format detection, the validation entry point, ordering.
 */
#include <stdio.h>
#include <string.h>

#include "qrpay_core.h"
#include "qr_emv.h"
#include "qr_utf8.h"

const char *
qr_format_name(qr_fmt fmt)
{
	switch (fmt)
	{
		case QR_FORMAT_EMV_MPM:
			return "emv_mpm";
		case QR_FORMAT_UNKNOWN:
			break;
	}
	return "unknown";
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

/*
 * An EMVCo MPM payload opens with data object 00 (§4.6.1: "00" first),
 * i.e. "00" and a 2-digit length.  The length is not required to be 02
 * here so that "000301..." is reported as a bad payload format indicator
 * rather than as an unknown format.
 */
qr_fmt
qr_detect_format(const char *buf, size_t len)
{
	if (len >= 4 && buf[0] == '0' && buf[1] == '0' &&
		buf[2] >= '0' && buf[2] <= '9' && buf[3] >= '0' && buf[3] <= '9')
		return QR_FORMAT_EMV_MPM;
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

qr_errcode
qr_validate(const char *buf, size_t len, qr_error *err,
			qr_finding_fn report, void *report_arg)
{
	int			ascii = 0;
	long		bad;
	qr_error	scratch;

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
	bad = qr_utf8_check(buf, len, &ascii);
	if (bad >= 0)
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
	switch (qr_detect_format(buf, len))
	{
		case QR_FORMAT_EMV_MPM:
			return qr_emv_validate(buf, len, ascii, err, report, report_arg);
		case QR_FORMAT_UNKNOWN:
			break;
	}
	err->code = QR_ERR_FORMAT;
	err->offset = 0;
	snprintf(err->message, sizeof(err->message),
			 "at offset 0: not a payment QR payload qrpay accepts; expected an EMVCo merchant-presented payload beginning with \"000201\"");
	return err->code;
}

int
qr_compare(const char *a, size_t alen, const char *b, size_t blen)
{
	int			c = memcmp(a, b, alen < blen ? alen : blen);

	if (c != 0)
		return c < 0 ? -1 : 1;
	return alen < blen ? -1 : alen > blen ? 1 : 0;
}

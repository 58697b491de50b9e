/*
 * qr_fmt.h — helpers shared by the format modules of src/core (internal).
 *
 * Each non-EMVCo format has a module with a validator (called by
 * qr_validate after the UTF-8 check) and a field walker (called by
 * qr_fields on payloads already validated).
 */
#ifndef QR_FMT_H
#define QR_FMT_H

#include <stdarg.h>

#include "qrpay_core.h"

#if defined(__GNUC__)
#define QR_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define QR_PRINTF(f, a)
#endif

/*
 * Fill err (when not NULL) with code, the character offset of at (NULL: no
 * offset) within buf, path, and a message "<where> at offset N: <what>".
 * Returns code.
 */
extern qr_errcode qr_fail(qr_error *err, qr_errcode code, const char *buf,
						  const char *at, const char *path, const char *where,
						  const char *fmt,...) QR_PRINTF(7, 8);

/* Report a finding to report (when not NULL). */
extern void qr_notef(qr_finding_fn report, void *arg, qr_severity sev,
					 const char *path, const char *fmt,...) QR_PRINTF(5, 6);

/* Replace every byte of s that does not form UTF-8 with "?". */
extern void qr_text_sanitize(char *s);

/* Emit one field; returns the callback's verdict (nonzero: stop). */
extern int	qr_emit(qr_field_fn fn, void *arg, const char *path, const char *name,
					const char *value, size_t vlen, int depth, int container);

/* ASCII helpers */
extern int	qr_hexval(char c);		/* 0-15, or -1 when c is no hex digit */
extern int	qr_all_digits(const char *s, size_t n);
extern int	qr_all_alnum(const char *s, size_t n);
extern int	qr_ascii_casecmp(const char *a, size_t an, const char *b, size_t bn);
extern int	qr_ascii_prefix(const char *s, size_t n, const char *prefix);	/* case-insensitive */

/*
 * A decimal amount: digits, at most one separator sep followed by at most
 * maxdec digits, at least one digit before the separator.  Returns 1 and
 * writes the value in hundredths (saturating) to *cents when well formed.
 */
extern int	qr_decimal_parse(const char *s, size_t n, char sep, int maxdec,
							 long long *cents);

/* ISO 13616 IBAN: 2 letters, 2 digits, up to 30 alphanumerics, mod 97 = 1. */
extern int	qr_iban_valid(const char *s, size_t n);

/* ISO 9362 BIC: 4 letters, 2 letters, 2 alphanumerics, optional 3 more. */
extern int	qr_bic_valid(const char *s, size_t n);

/* A calendar date written YYYYMMDD (ymd=1) or DDMMYYYY (ymd=0). */
extern int	qr_date_valid(const char *s, size_t n, int ymd);

/*
 * Percent-decode [s, s+n) into dst (capacity >= n).  Returns the decoded
 * length, or -1 with *bad set to the offending byte when a "%" is not
 * followed by two hex digits.
 */
extern long qr_pct_decode(const char *s, size_t n, char *dst, const char **bad);

/* Validators and field walkers of each format (payload is UTF-8, no NUL). */
extern qr_errcode qr_cn_validate(const char *buf, size_t len, qr_error *err,
								 qr_finding_fn report, void *arg);
extern int	qr_cn_fields(const char *buf, size_t len, qr_field_fn fn, void *arg);

extern qr_errcode qr_url_validate(qr_fmt fmt, const char *buf, size_t len,
								  qr_error *err, qr_finding_fn report, void *arg);
extern int	qr_url_fields(qr_fmt fmt, const char *buf, size_t len,
						  qr_field_fn fn, void *arg);

extern qr_errcode qr_epc_validate(const char *buf, size_t len, qr_error *err,
								  qr_finding_fn report, void *arg);
extern int	qr_epc_fields(const char *buf, size_t len, qr_field_fn fn, void *arg);

extern qr_errcode qr_swiss_validate(const char *buf, size_t len, qr_error *err,
									qr_finding_fn report, void *arg);
extern int	qr_swiss_fields(const char *buf, size_t len, qr_field_fn fn, void *arg);

extern qr_errcode qr_spayd_validate(const char *buf, size_t len, qr_error *err,
									qr_finding_fn report, void *arg);
extern int	qr_spayd_fields(const char *buf, size_t len, qr_field_fn fn, void *arg);

extern qr_errcode qr_cpm_validate(const char *buf, size_t len, qr_error *err,
								  qr_finding_fn report, void *arg);
extern int	qr_cpm_fields(const char *buf, size_t len, qr_field_fn fn, void *arg);

extern int	qr_emv_fields(const char *buf, size_t len, qr_field_fn fn, void *arg);

#endif							/* QR_FMT_H */

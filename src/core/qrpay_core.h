/*
 * qrpay_core.h — the payment-QR domain as a plain C99 library.
 *
 * Nothing here includes postgres.h: the PostgreSQL glue in the src directory adapts
 * this API, and the unit tests and fuzzers in test/ link it without a
 * server.  Every function works on UTF-8 bytes given as (pointer, length);
 * none allocates, none keeps global state, none longjmps.  Failures come
 * back as a filled-in qr_error (code, tag path, character offset, message).
 *
 * Spec references are to EMV QRCPS Merchant-Presented Mode v1.0 (2017),
 * "EMVCo MPM" below.
 */
#ifndef QRPAY_CORE_H
#define QRPAY_CORE_H

#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------ */
/* Formats                                                             */
/* ------------------------------------------------------------------ */

typedef enum qr_fmt
{
	QR_FORMAT_UNKNOWN = 0,
	QR_FORMAT_EMV_MPM = 1		/* EMVCo merchant-presented mode */
} qr_fmt;

/* Name a data team sees from qr_format(): "emv_mpm", ... */
extern const char *qr_format_name(qr_fmt fmt);

/* Which format a payload is; depends on the payload alone. */
extern qr_fmt qr_detect_format(const char *buf, size_t len);

/* ------------------------------------------------------------------ */
/* Errors and conformance findings                                     */
/* ------------------------------------------------------------------ */

typedef enum qr_errcode
{
	QR_OK = 0,
	QR_ERR_EMPTY,				/* empty payload */
	QR_ERR_FORMAT,				/* not a payment QR format qrpay knows */
	QR_ERR_ENCODING,			/* not valid UTF-8 */
	QR_ERR_TLV,					/* malformed id/length/value, truncation */
	QR_ERR_ORDER,				/* 00 not first, 63 not last */
	QR_ERR_DUPLICATE,			/* an id twice at one level */
	QR_ERR_MISSING,				/* a mandatory object is absent */
	QR_ERR_VALUE,				/* a value breaks its format or length */
	QR_ERR_CRC					/* CRC absent, malformed or wrong */
} qr_errcode;

#define QR_PATH_MAX 12		/* "62.50.00" + NUL, with room to spare */
#define QR_PATH_DEPTH 3		/* root, template, template inside 62 */
#define QR_MSG_MAX 256

typedef struct qr_error
{
	qr_errcode	code;
	int			offset;			/* character offset of the object, -1 if none */
	char		path[QR_PATH_MAX];	/* "59", "26.00"; "" when no tag applies */
	char		message[QR_MSG_MAX];	/* complete sentence, names tag and offset */
} qr_error;

typedef enum qr_severity
{
	QR_SEV_INFO = 0,			/* allowed by the spec, worth knowing */
	QR_SEV_WARNING = 1,			/* deviates from strict EMVCo, accepted */
	QR_SEV_ERROR = 2			/* the payload is rejected */
} qr_severity;

extern const char *qr_severity_name(qr_severity sev);

/*
 * Receives each strict-EMVCo deviation of an accepted payload (a
 * national-profile exemption, an over-long payload, a non-ASCII name...).
 * path is "" for payload-wide findings.
 */
typedef void (*qr_finding_fn) (void *arg, qr_severity sev, const char *path,
							   const char *message);

/*
 * Validate a payload.  Returns QR_OK, or the first error found (err filled
 * in).  When report is not NULL it is called for every deviation that does
 * not reject the payload.  err may be NULL when only the verdict matters.
 */
extern qr_errcode qr_validate(const char *buf, size_t len, qr_error *err,
							  qr_finding_fn report, void *report_arg);

/* ------------------------------------------------------------------ */
/* EMVCo MPM access (payloads already validated)                       */
/* ------------------------------------------------------------------ */

/* One ID/LEN/VALUE data object of a TLV level. */
typedef struct qr_tlv
{
	int			id;				/* 0..99 */
	const char *value;			/* points into the payload */
	size_t		value_bytes;	/* UTF-8 bytes of the value */
	int			value_chars;	/* characters, as the LEN field says */
	int			offset;			/* character offset of the ID in the payload */
} qr_tlv;

/* Walks one level of a validated TLV sequence. */
typedef struct qr_tlv_iter
{
	const char *p;
	const char *end;
	int			offset;			/* character offset of p */
} qr_tlv_iter;

extern void qr_tlv_iter_init(qr_tlv_iter *it, const char *buf, size_t len,
							 int base_offset);
/* 1 and *out filled while objects remain, 0 at the end or on bad input. */
extern int	qr_tlv_next(qr_tlv_iter *it, qr_tlv *out);

/*
 * Does the object at ids[0..depth-1] hold a nested TLV template?  ids[0] is
 * a root id; ids[1] an id inside it, ...
 */
extern int	qr_emv_is_template(const int *ids, int depth);

/* The spec's name of the data object at ids[0..depth-1]. */
extern const char *qr_emv_field_name(const int *ids, int depth);

/*
 * Does [buf, buf+len) parse completely as one TLV level of at least one
 * object?  Tells a template from an opaque value where real codes deviate
 * from the spec (tokens in 62/50-99).
 */
extern int	qr_tlv_well_formed(const char *buf, size_t len);

/*
 * Find the value at path "59", "26.00", "62.05" in a validated EMVCo
 * payload.  Returns 1 and sets *val and *vlen when present, 0 when absent or
 * when path is malformed (qr_path_parse tells which).
 */
extern int	qr_emv_get(const char *buf, size_t len, const char *path,
					   size_t pathlen, const char **val, size_t *vlen);

/*
 * Parse "26", "26.00" or "62.50.00" into ids; returns the depth (1 to
 * QR_PATH_DEPTH), or 0 if malformed.
 */
extern int	qr_path_parse(const char *path, size_t pathlen, int ids[QR_PATH_DEPTH]);

/* ISO 4217 alphabetic code for a 3-digit numeric code, NULL if unknown. */
extern const char *qr_iso4217_alpha(const char *num, size_t len);

/* ------------------------------------------------------------------ */
/* CRC                                                                 */
/* ------------------------------------------------------------------ */

/* CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, no reflection, xorout 0. */
extern uint16_t qr_crc16(const void *buf, size_t len);

/* ------------------------------------------------------------------ */
/* Comparison and hashing input                                        */
/* ------------------------------------------------------------------ */

/*
 * The total order of payment_qr: bytewise over the payload, shorter first
 * on a common prefix.  Equal iff the payloads are byte-identical.
 */
extern int	qr_compare(const char *a, size_t alen, const char *b, size_t blen);

#endif							/* QRPAY_CORE_H */

/*
 * qrpay.h — the on-disk payment_qr value and helpers shared by the glue.
 *
 * A payment_qr is a varlena holding one format-version byte followed by the
 * payload's UTF-8 bytes, exactly as scanned:
 *
 *     [varlena header][version = 1][payload ...]
 *
 * The version byte lets a later release change the layout (add a parse
 * index, say) and still read old values.  Comparison and hashing use only
 * the payload bytes, so equality stays "same payload" across versions.
 * Values are read with the packed detoast macros: the struct has no
 * alignment needs (one byte of header), so short values keep their 1-byte
 * varlena header on disk.
 */
#ifndef QRPAY_H
#define QRPAY_H

#include "postgres.h"
#include "fmgr.h"
#include "datatype/timestamp.h"
#include "access/tupdesc.h"
#include "utils/tuplestore.h"
#include "mb/pg_wchar.h"

#include "qrpay_core.h"

#define QRPAY_STORAGE_VERSION 1

/* payload bytes of a detoasted payment_qr */
#define QRPAY_PAYLOAD(v)		(VARDATA_ANY(v) + 1)
#define QRPAY_PAYLOAD_LEN(v)	((size_t) (VARSIZE_ANY_EXHDR(v) - 1))
#define QRPAY_VERSION(v)		(((const uint8 *) VARDATA_ANY(v))[0])

#define DatumGetPaymentQrPP(X)		((struct varlena *) PG_DETOAST_DATUM_PACKED(X))
#define PG_GETARG_PAYMENT_QR_PP(n)	DatumGetPaymentQrPP(PG_GETARG_DATUM(n))

/*
 * Does database text hold the payloads' UTF-8 bytes as they are?  True in
 * UTF8 databases, and in SQL_ASCII ones, where the server neither checks
 * nor converts encodings.  Then nothing is converted (see qrpay_io.c).
 */
static inline bool
qrpay_db_utf8(void)
{
	int			enc = GetDatabaseEncoding();

	return enc == PG_UTF8 || enc == PG_SQL_ASCII;
}

/* qrpay_io.c */
extern struct varlena *qrpay_from_utf8(const char *buf, size_t len);
extern char *qrpay_utf8_from_server(const char *s, size_t len, size_t *outlen);
extern text *qrpay_text_from_utf8(const char *s, size_t len);
extern const char *qrpay_server_from_utf8(const char *s, size_t len, size_t *outlen);
extern text *qrpay_field_text(const char *s, size_t len, const char *path,
							  const char *what);
extern void qrpay_check_version(const struct varlena *v);
extern char *qrpay_describe_utf8(const char *s, size_t avail);

/* qrpay_match.c, shared with qr_pair_by_time */
extern int	qrpay_text_cmp(const text *a, const text *b);	/* bytes, NULLs last */
extern int64 qrpay_interval_us(const Interval *w);	/* -1 when negative or infinite */

/* qrpay_distributed.c: qr_match on Citus */
extern bool qrpay_citus_colocated(Oid nsp, Oid lrel, Oid srel, char **lcol, char **scol, char **why);
extern void qrpay_match_on_shards(Oid nsp, Oid lrel, Oid srel, const char *settings,
								  Tuplestorestate *out, TupleDesc desc);

#endif							/* QRPAY_H */

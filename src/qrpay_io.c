/*
 * qrpay_io.c — payment_qr input/output, binary send/recv, and the
 * non-throwing validators for bulk loads.
 *
 * Every path into the type (text input, binary recv, qr_check) goes through
 * qr_validate() from src/core, so they accept and reject exactly the same
 * payloads with the same message.
 */
#include "postgres.h"

#include "funcapi.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "mb/pg_wchar.h"
#include "nodes/pg_list.h"
#include "utils/builtins.h"

#include "qrpay.h"

PG_MODULE_MAGIC;

PG_FUNCTION_INFO_V1(payment_qr_in);
PG_FUNCTION_INFO_V1(payment_qr_out);
PG_FUNCTION_INFO_V1(payment_qr_recv);
PG_FUNCTION_INFO_V1(payment_qr_send);
PG_FUNCTION_INFO_V1(qr_check);
PG_FUNCTION_INFO_V1(qr_is_valid);
PG_FUNCTION_INFO_V1(qr_conformance);

#define QRPAY_ERRMSG_PREFIX "invalid payment_qr: "

/*
 * Payloads are defined over UTF-8 (EMVCo MPM §1.4.3, and the CRC covers
 * UTF-8 bytes), so values are stored as UTF-8 whatever the database
 * encoding.  In a UTF8 database (the usual case) this is free.
 */
char *
qrpay_utf8_from_server(const char *s, size_t len, size_t *outlen)
{
	char	   *r;

	if (GetDatabaseEncoding() == PG_UTF8 || GetDatabaseEncoding() == PG_SQL_ASCII)
	{
		*outlen = len;
		return unconstify(char *, s);
	}
	r = pg_server_to_any(s, (int) len, PG_UTF8);
	*outlen = (r == s) ? len : strlen(r);
	return r;
}

text *
qrpay_text_from_utf8(const char *s, size_t len)
{
	char	   *conv;

	if (GetDatabaseEncoding() == PG_UTF8 || GetDatabaseEncoding() == PG_SQL_ASCII)
		return cstring_to_text_with_len(s, (int) len);
	conv = pg_any_to_server(s, (int) len, PG_UTF8);
	return cstring_to_text_with_len(conv, conv == s ? (int) len : (int) strlen(conv));
}

void
qrpay_check_version(const struct varlena *v)
{
	if (VARSIZE_ANY_EXHDR(v) < 1 || QRPAY_VERSION(v) != QRPAY_STORAGE_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("payment_qr value has unknown storage version %d",
						VARSIZE_ANY_EXHDR(v) < 1 ? -1 : (int) QRPAY_VERSION(v))));
}

static void
raise_invalid(const qr_error *err)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg(QRPAY_ERRMSG_PREFIX "%s", err->message)));
}

/* Validate UTF-8 payload bytes and build the stored value. */
struct varlena *
qrpay_from_utf8(const char *buf, size_t len)
{
	qr_error	err;
	struct varlena *v;

	if (qr_validate(buf, len, &err, NULL, NULL) != QR_OK)
		raise_invalid(&err);
	if (len > MaxAllocSize - VARHDRSZ - 1)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("payment_qr payload is too long")));
	v = (struct varlena *) palloc(VARHDRSZ + 1 + len);
	SET_VARSIZE(v, VARHDRSZ + 1 + len);
	((uint8 *) VARDATA(v))[0] = QRPAY_STORAGE_VERSION;
	memcpy(VARDATA(v) + 1, buf, len);
	return v;
}

Datum
payment_qr_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	size_t		len;
	char	   *utf8 = qrpay_utf8_from_server(str, strlen(str), &len);

	PG_RETURN_POINTER(qrpay_from_utf8(utf8, len));
}

Datum
payment_qr_out(PG_FUNCTION_ARGS)
{
	struct varlena *v = PG_GETARG_PAYMENT_QR_PP(0);

	qrpay_check_version(v);
	PG_RETURN_CSTRING(text_to_cstring(qrpay_text_from_utf8(QRPAY_PAYLOAD(v),
														   QRPAY_PAYLOAD_LEN(v))));
}

/*
 * Binary format: the storage version byte, then the payload as UTF-8.  recv
 * re-validates: a binary COPY or a Citus worker must not be able to store
 * what text input would reject.
 */
Datum
payment_qr_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			version = pq_getmsgbyte(buf);
	int			len = buf->len - buf->cursor;
	const char *payload;

	if (version != QRPAY_STORAGE_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported payment_qr binary format version %d", version)));
	payload = pq_getmsgbytes(buf, len);
	PG_RETURN_POINTER(qrpay_from_utf8(payload, (size_t) len));
}

Datum
payment_qr_send(PG_FUNCTION_ARGS)
{
	struct varlena *v = PG_GETARG_PAYMENT_QR_PP(0);
	StringInfoData buf;

	qrpay_check_version(v);
	pq_begintypsend(&buf);
	pq_sendbyte(&buf, QRPAY_STORAGE_VERSION);
	pq_sendbytes(&buf, QRPAY_PAYLOAD(v), (int) QRPAY_PAYLOAD_LEN(v));
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* ------------------------------------------------------------------ */
/* Non-throwing validation                                             */
/* ------------------------------------------------------------------ */

static qr_errcode
validate_text(text *t, qr_error *err, qr_finding_fn report, void *arg)
{
	size_t		len;
	char	   *utf8 = qrpay_utf8_from_server(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), &len);

	return qr_validate(utf8, len, err, report, arg);
}

/* NULL when the payload is valid, else the message payment_qr_in raises. */
Datum
qr_check(PG_FUNCTION_ARGS)
{
	qr_error	err;

	if (validate_text(PG_GETARG_TEXT_PP(0), &err, NULL, NULL) == QR_OK)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(psprintf(QRPAY_ERRMSG_PREFIX "%s", err.message)));
}

Datum
qr_is_valid(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(validate_text(PG_GETARG_TEXT_PP(0), NULL, NULL, NULL) == QR_OK);
}

/* Findings are held until the verdict is known. */
typedef struct finding
{
	qr_severity sev;
	char	   *path;
	char	   *message;
} finding;

static void
collect_finding(void *arg, qr_severity sev, const char *path, const char *msg)
{
	List	  **found = arg;
	finding    *f = palloc(sizeof(finding));

	f->sev = sev;
	f->path = pstrdup(path);
	f->message = pstrdup(msg);
	*found = lappend(*found, f);
}

static void
put_row(ReturnSetInfo *rsinfo, qr_severity sev, const char *path, const char *msg)
{
	Datum		values[3];
	bool		nulls[3] = {false, false, false};

	values[0] = CStringGetTextDatum(qr_severity_name(sev));
	if (path[0])
		values[1] = CStringGetTextDatum(path);
	else
		nulls[1] = true;
	values[2] = CStringGetTextDatum(msg);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/*
 * Every strict-EMVCo deviation of an accepted payload, or the error of a
 * rejected one (alone: deviations noticed before the error do not matter
 * for a code that cannot be stored): (severity, path, message).  No rows
 * means the payload conforms strictly.
 */
Datum
qr_conformance(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo;
	qr_error	err;
	List	   *found = NIL;
	ListCell   *lc;

	InitMaterializedSRF(fcinfo, 0);
	rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	if (validate_text(PG_GETARG_TEXT_PP(0), &err, collect_finding, &found) != QR_OK)
	{
		put_row(rsinfo, QR_SEV_ERROR, err.path, err.message);
		return (Datum) 0;
	}
	foreach(lc, found)
	{
		finding    *f = lfirst(lc);

		put_row(rsinfo, f->sev, f->path, f->message);
	}
	return (Datum) 0;
}

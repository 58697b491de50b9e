/*
 * qrpay_io.c — payment_qr input/output, binary send/recv, and the
 * non-throwing validators for bulk loads.
 *
 * Every path into the type (text input, binary recv, qr_check) goes through
 * qr_validate() from src/core, so they accept and reject exactly the same
 * payloads with the same message.
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "mb/pg_wchar.h"
#include "nodes/pg_list.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

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

/* ------------------------------------------------------------------ */
/* Encodings                                                           */
/* ------------------------------------------------------------------ */

/*
 * Payloads are defined over UTF-8 (EMVCo MPM §1.4.3; the CRC covers UTF-8
 * bytes, and the TLV lengths count UTF-8 characters), so values are stored
 * as UTF-8 whatever the database encoding, and so are hashed, compared and
 * indexed.  Text crosses into and out of the database encoding at the
 * edges: input, output, accessors, operator arguments and messages.
 *
 * In a UTF8 database (the usual case) the edges are free: no copy, no
 * conversion.  In SQL_ASCII the server checks no encoding and converts
 * nothing, so neither does qrpay: text is taken as the UTF-8 bytes it holds
 * (validation refuses what is not UTF-8, naming the offset) and returned as
 * stored.  Any other encoding converts at every edge, and a value holds
 * only characters that encoding can represent, so that its output, and
 * pg_dump, cannot fail.
 */

/* Converters between the database encoding and UTF-8, looked up once. */
static FmgrInfo to_utf8_fn;
static FmgrInfo from_utf8_fn;
static bool converters_ready = false;

static void
lookup_converter(FmgrInfo *fn, int src, int dst)
{
	Oid			proc = FindDefaultConversionProc(src, dst);

	if (!OidIsValid(proc))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("default conversion function for encoding \"%s\" to \"%s\" does not exist",
						pg_encoding_to_char(src), pg_encoding_to_char(dst))));
	fmgr_info_cxt(proc, fn, TopMemoryContext);
}

/*
 * Converts len bytes from one encoding to the other (one of them the
 * database's, the other UTF-8).  Returns the result, NUL-terminated, with
 * its length in *outlen; or NULL with *bad set to the byte offset of the
 * first character the target encoding cannot represent.
 */
static char *
convert(const char *s, size_t len, bool to_utf8, size_t *outlen, size_t *bad)
{
	int			db = GetDatabaseEncoding();
	unsigned char *dst;
	int			done;

	if (!converters_ready)
	{
		lookup_converter(&to_utf8_fn, db, PG_UTF8);
		lookup_converter(&from_utf8_fn, PG_UTF8, db);
		converters_ready = true;
	}
	if (len >= (MaxAllocSize - 1) / MAX_CONVERSION_GROWTH)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("payment_qr text of %zu bytes is too long for encoding conversion", len)));
	dst = palloc(len * MAX_CONVERSION_GROWTH + 1);
	/* noError: the converter stops before the first character it cannot map */
	done = DatumGetInt32(FunctionCall6(to_utf8 ? &to_utf8_fn : &from_utf8_fn,
									   Int32GetDatum(to_utf8 ? db : PG_UTF8),
									   Int32GetDatum(to_utf8 ? PG_UTF8 : db),
									   CStringGetDatum(s),
									   CStringGetDatum((char *) dst),
									   Int32GetDatum((int) len),
									   BoolGetDatum(true)));
	if ((size_t) done < len)
	{
		pfree(dst);
		*bad = (size_t) done;
		return NULL;
	}
	*outlen = strlen((char *) dst);
	return (char *) dst;
}

/* "U+6700" for the UTF-8 character at s, or "byte 0xE6" if it is not one */
char *
qrpay_describe_utf8(const char *s, size_t avail)
{
	int			w = pg_utf_mblen((const unsigned char *) s);

	if ((size_t) w > avail || !pg_utf8_islegal((const unsigned char *) s, w))
		return psprintf("byte 0x%02X", (unsigned char) s[0]);
	return psprintf("U+%04X", (unsigned) utf8_to_unicode((const unsigned char *) s));
}

/* Where a byte offset of a payload falls: the innermost field holding it. */
typedef struct field_at
{
	const char *target;
	char		path[64];
} field_at;

static int
find_field(void *arg, const qr_field *f)
{
	field_at   *fa = arg;

	/* decoded values (percent-encoding undone) do not point into the payload */
	if (fa->target >= f->value && fa->target < f->value + f->value_len)
		strlcpy(fa->path, f->path, sizeof(fa->path));
	return 0;
}

/*
 * Raises the error for a payload character the database encoding cannot
 * represent: the field (of a validated payload; "" when none holds it) and
 * the character offset, as validation errors name them.
 */
static void
raise_unrepresentable(const char *buf, size_t len, size_t bad, const char *lead)
{
	field_at	fa;
	char	   *where;

	fa.target = buf + bad;
	fa.path[0] = '\0';
	qr_fields(buf, len, find_field, &fa);
	where = fa.path[0] ? psprintf("field %s at offset %d", fa.path, qr_text_chars(buf, buf + bad))
			: psprintf("at offset %d", qr_text_chars(buf, buf + bad));
	ereport(ERROR,
			(errcode(ERRCODE_UNTRANSLATABLE_CHARACTER),
			 errmsg("%s%s: the character %s has no equivalent in encoding \"%s\"",
					lead, where, qrpay_describe_utf8(buf + bad, len - bad),
					GetDatabaseEncodingName())));
}

/*
 * Server text as UTF-8.  In UTF8 and SQL_ASCII databases this is s itself.
 * A character without a UTF-8 equivalent (WIN1252 0x81, say) makes the
 * text no payload: false, with err filled as validation would.
 */
static bool
utf8_from_server(const char *s, size_t len, char **out, size_t *outlen, qr_error *err)
{
	size_t		bad;
	int			w;
	StringInfoData seq;

	if (qrpay_db_utf8())
	{
		*out = unconstify(char *, s);
		*outlen = len;
		return true;
	}
	*out = convert(s, len, true, outlen, &bad);
	if (*out)
		return true;
	if (err == NULL)
		return false;
	w = Min(pg_encoding_mblen(GetDatabaseEncoding(), s + bad), (int) (len - bad));
	initStringInfo(&seq);
	for (int i = 0; i < w; i++)
		appendStringInfo(&seq, "%s0x%02x", i ? " " : "", (unsigned char) s[bad + i]);
	err->code = QR_ERR_ENCODING;
	err->offset = pg_mbstrlen_with_len(s, (int) bad);
	err->path[0] = '\0';
	snprintf(err->message, sizeof(err->message),
			 "at offset %d: the character with byte sequence %s in encoding \"%s\" has no equivalent in UTF-8, the encoding of payment QR payloads",
			 err->offset, seq.data, GetDatabaseEncodingName());
	return false;
}

/* Server text as UTF-8, raising 22P05 with the offset when it has no equivalent. */
char *
qrpay_utf8_from_server(const char *s, size_t len, size_t *outlen)
{
	char	   *out;
	qr_error	err;

	if (!utf8_from_server(s, len, &out, outlen, &err))
		ereport(ERROR,
				(errcode(ERRCODE_UNTRANSLATABLE_CHARACTER),
				 errmsg(QRPAY_ERRMSG_PREFIX "%s", err.message)));
	return out;
}

/*
 * UTF-8 field bytes as server text.  A stored payload is representable
 * (input and recv see to it), but a decoded value (a percent-encoded UPI
 * name) or a value stored before 0.7.0 may not be: 22P05 naming the field
 * by its path, else by what it is ("merchant name"), else as "value".
 */
text *
qrpay_field_text(const char *s, size_t len, const char *path, const char *what)
{
	char	   *conv;
	size_t		clen,
				bad;

	if (qrpay_db_utf8())
		return cstring_to_text_with_len(s, (int) len);
	conv = convert(s, len, false, &clen, &bad);
	if (conv == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNTRANSLATABLE_CHARACTER),
				 errmsg("payment_qr %s%s holds the character %s at offset %d, which has no equivalent in encoding \"%s\"",
						path ? "field " : "", path ? path : what ? what : "value",
						qrpay_describe_utf8(s + bad, len - bad), qr_text_chars(s, s + bad),
						GetDatabaseEncodingName())));
	return cstring_to_text_with_len(conv, (int) clen);
}

/*
 * UTF-8 field bytes in the database encoding, NUL-terminated (s itself, not
 * terminated, in UTF8 and SQL_ASCII databases), or NULL when that encoding
 * lacks one of their characters.
 */
const char *
qrpay_server_from_utf8(const char *s, size_t len, size_t *outlen)
{
	size_t		bad;

	if (qrpay_db_utf8())
	{
		*outlen = len;
		return s;
	}
	return convert(s, len, false, outlen, &bad);
}

text *
qrpay_text_from_utf8(const char *s, size_t len)
{
	return qrpay_field_text(s, len, NULL, NULL);
}

/*
 * The server-encoded form of a message or path that qrpay's core wrote in
 * UTF-8, quoting the payload.  Never fails: a character the database
 * encoding lacks is written as U+hhhh, a stray byte as byte 0xhh (hex digits).
 */
static char *
server_message(const char *s)
{
	size_t		len = strlen(s);
	StringInfoData out;

	if (qrpay_db_utf8())
		return unconstify(char *, s);
	initStringInfo(&out);
	while (len > 0)
	{
		size_t		clen,
					bad;
		char	   *conv = convert(s, len, false, &clen, &bad);
		int			w;

		if (conv)
		{
			appendBinaryStringInfo(&out, conv, (int) clen);
			break;
		}
		if (bad > 0)
		{
			size_t		unused;

			/* the characters before the first unmappable one all map */
			conv = convert(s, bad, false, &clen, &unused);
			Assert(conv != NULL);
			appendBinaryStringInfo(&out, conv, (int) clen);
			s += bad, len -= bad;
		}
		w = pg_utf_mblen((const unsigned char *) s);
		appendStringInfoString(&out, qrpay_describe_utf8(s, len));
		if ((size_t) w > len || !pg_utf8_islegal((const unsigned char *) s, w))
			w = 1;
		s += w, len -= (size_t) w;
	}
	return out.data;
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

/* core messages quote the payload in UTF-8 */
static void
raise_invalid(const qr_error *err)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg(QRPAY_ERRMSG_PREFIX "%s", server_message(err->message))));
}

/* The stored value of validated UTF-8 payload bytes. */
static struct varlena *
stored_value(const char *buf, size_t len)
{
	struct varlena *v;

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

/* Validate UTF-8 payload bytes and build the stored value. */
struct varlena *
qrpay_from_utf8(const char *buf, size_t len)
{
	qr_error	err;

	if (qr_validate(buf, len, &err, NULL, NULL) != QR_OK)
		raise_invalid(&err);
	return stored_value(buf, len);
}

/*
 * From 16 on, an input function reports a payload that is no code as a
 * soft error when its caller passes an ErrorSaveContext (fcinfo->context):
 * pg_input_is_valid answers false and pg_input_error_info gives the same
 * SQLSTATE and message the ERROR carries.  A payload too long to store
 * stays an ERROR.
 */
Datum
payment_qr_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	size_t		len;
	char	   *utf8;
#if PG_VERSION_NUM >= 160000
	qr_error	err;

	if (!utf8_from_server(str, strlen(str), &utf8, &len, &err))
		ereturn(fcinfo->context, (Datum) 0,
				(errcode(ERRCODE_UNTRANSLATABLE_CHARACTER),
				 errmsg(QRPAY_ERRMSG_PREFIX "%s", err.message)));
	if (qr_validate(utf8, len, &err, NULL, NULL) != QR_OK)
		ereturn(fcinfo->context, (Datum) 0,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg(QRPAY_ERRMSG_PREFIX "%s", server_message(err.message))));
	PG_RETURN_POINTER(stored_value(utf8, len));
#else
	utf8 = qrpay_utf8_from_server(str, strlen(str), &len);
	PG_RETURN_POINTER(qrpay_from_utf8(utf8, len));
#endif
}

Datum
payment_qr_out(PG_FUNCTION_ARGS)
{
	struct varlena *v = PG_GETARG_PAYMENT_QR_PP(0);

	const char *buf;
	size_t		len,
				outlen,
				bad;
	char	   *out;

	qrpay_check_version(v);
	buf = QRPAY_PAYLOAD(v);
	len = QRPAY_PAYLOAD_LEN(v);
	if (qrpay_db_utf8())
		PG_RETURN_CSTRING(pnstrdup(buf, len));
	out = convert(buf, len, false, &outlen, &bad);
	if (out == NULL)
		raise_unrepresentable(buf, len, bad, "payment_qr value cannot be written as text: ");
	PG_RETURN_CSTRING(out);
}

/*
 * Binary format: the storage version byte, then the payload as UTF-8,
 * whatever the database and client encodings.  It is the payload as its
 * specification defines it (the bytes the CRC covers), and it has been so
 * since 0.1.0; a binary COPY therefore moves codes between databases of
 * any encodings unchanged, which textrecv's client-encoding conversion
 * would not.  recv re-validates: a binary COPY or a Citus worker must not
 * be able to store what text input would reject.  That includes a code
 * the database encoding cannot represent, which text input can never
 * produce: its output, and so pg_dump, would fail.
 */
Datum
payment_qr_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			version = pq_getmsgbyte(buf);
	int			len = buf->len - buf->cursor;
	const char *payload;
	struct varlena *v;

	if (version != QRPAY_STORAGE_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported payment_qr binary format version %d", version)));
	payload = pq_getmsgbytes(buf, len);
	v = qrpay_from_utf8(payload, (size_t) len);
	if (!qrpay_db_utf8())
	{
		size_t		outlen,
					bad;

		if (convert(payload, (size_t) len, false, &outlen, &bad) == NULL)
			raise_unrepresentable(payload, (size_t) len, bad, QRPAY_ERRMSG_PREFIX);
	}
	PG_RETURN_POINTER(v);
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

/* err and the findings in UTF-8, as the core writes them */
static qr_errcode
validate_text(text *t, qr_error *err, qr_finding_fn report, void *arg)
{
	size_t		len;
	char	   *utf8;

	if (!utf8_from_server(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), &utf8, &len, err))
		return QR_ERR_ENCODING;
	return qr_validate(utf8, len, err, report, arg);
}

/* NULL when the payload is valid, else the message payment_qr_in raises. */
Datum
qr_check(PG_FUNCTION_ARGS)
{
	qr_error	err;

	if (validate_text(PG_GETARG_TEXT_PP(0), &err, NULL, NULL) == QR_OK)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(psprintf(QRPAY_ERRMSG_PREFIX "%s", server_message(err.message))));
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
		values[1] = CStringGetTextDatum(server_message(path));
	else
		nulls[1] = true;
	values[2] = CStringGetTextDatum(server_message(msg));
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

/*
 * qrpay_access.c — accessors for data teams: fields by path, named fields,
 * every tag as rows, and the jsonb view.
 *
 * Stored values were validated on the way in, so these only walk the TLV
 * (src/core qr_emv_get / qr_tlv_next); they never re-validate or compute a
 * CRC.  All are IMMUTABLE: the answer depends on the payload alone.
 */
#include "postgres.h"

#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "qrpay.h"

PG_FUNCTION_INFO_V1(qr_format);
PG_FUNCTION_INFO_V1(qr_get);
PG_FUNCTION_INFO_V1(qr_merchant_name);
PG_FUNCTION_INFO_V1(qr_merchant_city);
PG_FUNCTION_INFO_V1(qr_mcc);
PG_FUNCTION_INFO_V1(qr_country);
PG_FUNCTION_INFO_V1(qr_currency);
PG_FUNCTION_INFO_V1(qr_amount);
PG_FUNCTION_INFO_V1(qr_is_dynamic);
PG_FUNCTION_INFO_V1(qr_reference);
PG_FUNCTION_INFO_V1(qr_tags);
PG_FUNCTION_INFO_V1(qr_to_jsonb);

/* The payload of argument n, with its storage version checked. */
static struct varlena *
getarg_qr(FunctionCallInfo fcinfo, int n, const char **buf, size_t *len)
{
	struct varlena *v = PG_GETARG_PAYMENT_QR_PP(n);

	qrpay_check_version(v);
	*buf = QRPAY_PAYLOAD(v);
	*len = QRPAY_PAYLOAD_LEN(v);
	return v;
}

/* Value at a fixed path, or NULL when the code has no such field. */
static bool
lookup(FunctionCallInfo fcinfo, const char *path, const char **val, size_t *vlen)
{
	const char *buf;
	size_t		len;

	getarg_qr(fcinfo, 0, &buf, &len);
	if (qr_detect_format(buf, len) != QR_FORMAT_EMV_MPM)
		return false;
	return qr_emv_get(buf, len, path, strlen(path), val, vlen) != 0;
}

#define RETURN_FIELD(path) \
	do { \
		const char *val_; \
		size_t		vlen_; \
		if (!lookup(fcinfo, (path), &val_, &vlen_)) \
			PG_RETURN_NULL(); \
		PG_RETURN_TEXT_P(qrpay_text_from_utf8(val_, vlen_)); \
	} while (0)

Datum
qr_format(PG_FUNCTION_ARGS)
{
	const char *buf;
	size_t		len;

	getarg_qr(fcinfo, 0, &buf, &len);
	PG_RETURN_TEXT_P(cstring_to_text(qr_format_name(qr_detect_format(buf, len))));
}

Datum
qr_get(PG_FUNCTION_ARGS)
{
	text	   *path = PG_GETARG_TEXT_PP(1);
	int			ids[QR_PATH_DEPTH];
	const char *buf,
			   *val;
	size_t		len,
				vlen;

	if (qr_path_parse(VARDATA_ANY(path), VARSIZE_ANY_EXHDR(path), ids) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid payment_qr path \"%s\"", text_to_cstring(path)),
				 errhint("A path is 2-digit tag ids joined by dots, at most %d deep: \"59\", \"26.00\", \"62.50.00\".",
						 QR_PATH_DEPTH)));
	getarg_qr(fcinfo, 0, &buf, &len);
	if (qr_detect_format(buf, len) != QR_FORMAT_EMV_MPM ||
		!qr_emv_get(buf, len, VARDATA_ANY(path), VARSIZE_ANY_EXHDR(path), &val, &vlen))
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(qrpay_text_from_utf8(val, vlen));
}

Datum
qr_merchant_name(PG_FUNCTION_ARGS)
{
	RETURN_FIELD("59");
}

Datum
qr_merchant_city(PG_FUNCTION_ARGS)
{
	RETURN_FIELD("60");
}

Datum
qr_mcc(PG_FUNCTION_ARGS)
{
	RETURN_FIELD("52");
}

Datum
qr_country(PG_FUNCTION_ARGS)
{
	RETURN_FIELD("58");
}

Datum
qr_reference(PG_FUNCTION_ARGS)
{
	RETURN_FIELD("62.05");
}

/*
 * ISO 4217 alphabetic code of tag 53.  A numeric code missing from the
 * table (a currency created after this release) comes back as the number,
 * so no payment silently loses its currency.
 */
Datum
qr_currency(PG_FUNCTION_ARGS)
{
	const char *val,
			   *alpha;
	size_t		vlen;

	if (!lookup(fcinfo, "53", &val, &vlen))
		PG_RETURN_NULL();
	alpha = qr_iso4217_alpha(val, vlen);
	if (alpha)
		PG_RETURN_TEXT_P(cstring_to_text(alpha));
	PG_RETURN_TEXT_P(qrpay_text_from_utf8(val, vlen));
}

Datum
qr_amount(PG_FUNCTION_ARGS)
{
	const char *val;
	size_t		vlen;

	if (!lookup(fcinfo, "54", &val, &vlen))
		PG_RETURN_NULL();
	/* validated as digits with at most one "." (§4.7.5): numeric_in accepts it */
	PG_RETURN_DATUM(DirectFunctionCall3(numeric_in,
										CStringGetDatum(pnstrdup(val, vlen)),
										ObjectIdGetDatum(InvalidOid),
										Int32GetDatum(-1)));
}

/* Tag 01: 12 dynamic, 11 static; NULL when the code does not say. */
Datum
qr_is_dynamic(PG_FUNCTION_ARGS)
{
	const char *val;
	size_t		vlen;

	if (!lookup(fcinfo, "01", &val, &vlen))
		PG_RETURN_NULL();
	PG_RETURN_BOOL(vlen == 2 && val[1] == '2');
}

/* ------------------------------------------------------------------ */
/* Walking every tag                                                   */
/* ------------------------------------------------------------------ */

typedef void (*tag_visitor) (void *arg, const char *path, const int *ids, int depth,
							 const qr_tlv *t, bool is_template);

/*
 * Depth-first over every data object.  A template whose value does not
 * parse as TLV (opaque tokens in 62/50-99 accepted by validation) is
 * visited as a plain value.
 */
static void
walk_tags(const char *p, size_t n, const char *base, int *ids, int depth,
		  tag_visitor visit, void *arg)
{
	qr_tlv_iter it;
	qr_tlv		t;

	qr_tlv_iter_init(&it, p, n, 0);
	while (qr_tlv_next(&it, &t))
	{
		char		path[QR_PATH_MAX];
		bool		tpl;

		ids[depth] = t.id;
		snprintf(path, sizeof(path), "%s%s%02d", base, depth ? "." : "", t.id);
		tpl = depth + 1 < QR_PATH_DEPTH && qr_emv_is_template(ids, depth + 1) &&
			qr_tlv_well_formed(t.value, t.value_bytes);
		visit(arg, path, ids, depth + 1, &t, tpl);
		if (tpl)
			walk_tags(t.value, t.value_bytes, path, ids, depth + 1, visit, arg);
	}
}

typedef struct tags_state
{
	ReturnSetInfo *rsinfo;
} tags_state;

static void
put_tag(void *arg, const char *path, const int *ids, int depth,
		const qr_tlv *t, bool is_template)
{
	tags_state *ts = arg;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};

	values[0] = CStringGetTextDatum(path);
	values[1] = CStringGetTextDatum(qr_emv_field_name(ids, depth));
	values[2] = PointerGetDatum(qrpay_text_from_utf8(t->value, t->value_bytes));
	tuplestore_putvalues(ts->rsinfo->setResult, ts->rsinfo->setDesc, values, nulls);
}

/* Every data object as (path, name, value), templates before their parts. */
Datum
qr_tags(PG_FUNCTION_ARGS)
{
	tags_state	ts;
	const char *buf;
	size_t		len;
	int			ids[QR_PATH_DEPTH];

	InitMaterializedSRF(fcinfo, 0);
	ts.rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	getarg_qr(fcinfo, 0, &buf, &len);
	if (qr_detect_format(buf, len) == QR_FORMAT_EMV_MPM)
		walk_tags(buf, len, "", ids, 0, put_tag, &ts);
	return (Datum) 0;
}

/* ------------------------------------------------------------------ */
/* jsonb                                                               */
/* ------------------------------------------------------------------ */

static void
push_string(JsonbParseState **st, JsonbIteratorToken tok, const char *s, size_t n,
			bool convert)
{
	JsonbValue	v;

	v.type = jbvString;
	if (convert)
	{
		text	   *t = qrpay_text_from_utf8(s, n);

		v.val.string.val = VARDATA_ANY(t);
		v.val.string.len = (int) VARSIZE_ANY_EXHDR(t);
	}
	else
	{
		v.val.string.val = unconstify(char *, s);
		v.val.string.len = (int) n;
	}
	pushJsonbValue(st, tok, &v);
}

/* One TLV level as a jsonb object keyed by 2-digit id; templates nest. */
static void
push_level(JsonbParseState **st, const char *p, size_t n, int *ids, int depth)
{
	qr_tlv_iter it;
	qr_tlv		t;

	qr_tlv_iter_init(&it, p, n, 0);
	while (qr_tlv_next(&it, &t))
	{
		/* pushJsonbValue keeps the pointer, not a copy: one buffer per key */
		char	   *key = psprintf("%02d", t.id);

		ids[depth] = t.id;
		push_string(st, WJB_KEY, key, 2, false);
		if (depth + 1 < QR_PATH_DEPTH && qr_emv_is_template(ids, depth + 1) &&
			qr_tlv_well_formed(t.value, t.value_bytes))
		{
			pushJsonbValue(st, WJB_BEGIN_OBJECT, NULL);
			push_level(st, t.value, t.value_bytes, ids, depth + 1);
			pushJsonbValue(st, WJB_END_OBJECT, NULL);
		}
		else
			push_string(st, WJB_VALUE, t.value, t.value_bytes, true);
	}
}

/*
 * {"format": "emv_mpm", "00": "01", "26": {"00": "br.gov.bcb.pix", ...}, ...}
 * Tag ids are keys at their level, templates are nested objects.
 */
Datum
qr_to_jsonb(PG_FUNCTION_ARGS)
{
	JsonbParseState *st = NULL;
	JsonbValue *res;
	const char *buf;
	size_t		len;
	qr_fmt		fmt;
	int			ids[QR_PATH_DEPTH];
	const char *fname;

	getarg_qr(fcinfo, 0, &buf, &len);
	fmt = qr_detect_format(buf, len);
	fname = qr_format_name(fmt);
	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	push_string(&st, WJB_KEY, "format", 6, false);
	push_string(&st, WJB_VALUE, fname, strlen(fname), false);
	if (fmt == QR_FORMAT_EMV_MPM)
		push_level(&st, buf, len, ids, 0);
	res = pushJsonbValue(&st, WJB_END_OBJECT, NULL);
	PG_RETURN_JSONB_P(JsonbValueToJsonb(res));
}

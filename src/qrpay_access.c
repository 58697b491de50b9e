/*
 * qrpay_access.c — accessors for data teams: fields by path, named fields,
 * every tag as rows, and the jsonb view.
 *
 * Stored values were validated on the way in, so these only walk the
 * fields (src/core qr_fields, qr_field_get, and the one-walk parse that
 * qr_parsed_semantic reads); they never re-validate or compute a CRC.  All are IMMUTABLE: the answer depends on
 * the payload alone.
 */
#include "postgres.h"

#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "qrpay.h"
#include "qr_parsed.h"

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
PG_FUNCTION_INFO_V1(qr_account);
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

/*
 * A field with one meaning across formats (src/core qr_parsed_semantic),
 * or NULL when the code has no such field.
 */
static text *
semantic(FunctionCallInfo fcinfo, qr_sem sem, const char *what)
{
	const char *buf;
	size_t		len;
	qr_parsed	parsed;
	char		out[QR_VALUE_MAX];	/* copied into the result: no allocation per row */
	long		n;

	getarg_qr(fcinfo, 0, &buf, &len);
	n = qr_parsed_semantic(qr_parse(&parsed, buf, len), sem, out, sizeof(out));
	if (n < 0)
		return NULL;
	return qrpay_field_text(out, (size_t) n, NULL, what);
}

/* what names the field in the error for a value the database encoding lacks */
#define RETURN_SEMANTIC(sem, what) \
	do { \
		text	   *t_ = semantic(fcinfo, (sem), (what)); \
		if (t_ == NULL) \
			PG_RETURN_NULL(); \
		PG_RETURN_TEXT_P(t_); \
	} while (0)

Datum
qr_format(PG_FUNCTION_ARGS)
{
	const char *buf;
	size_t		len;

	getarg_qr(fcinfo, 0, &buf, &len);
	PG_RETURN_TEXT_P(cstring_to_text(qr_format_name(qr_detect_format(buf, len))));
}

/*
 * The value at a path.  A path that no format can have is an error; a
 * path the code's format does not have, or this code lacks, is NULL, so
 * one query works over a column mixing formats.
 */
Datum
qr_get(PG_FUNCTION_ARGS)
{
	text	   *path = PG_GETARG_TEXT_PP(1);
	const char *buf;
	size_t		len;
	char	   *out;
	long		n;

	if (!qr_path_valid(VARDATA_ANY(path), VARSIZE_ANY_EXHDR(path)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid payment_qr path \"%s\"", text_to_cstring(path)),
				 errhint("A path is 1 to 4 names of letters, digits, \"_\" or \"-\" joined by dots, EMVCo ids being 2 digits: \"59\", \"26.00\", \"62.50.00\", \"61.4F\", \"iban\", \"query.pr\".")));
	getarg_qr(fcinfo, 0, &buf, &len);
	out = palloc(QR_VALUE_MAX);
	n = qr_field_get(buf, len, VARDATA_ANY(path), VARSIZE_ANY_EXHDR(path), out, QR_VALUE_MAX);
	if (n < 0)
		PG_RETURN_NULL();
	/* the path names the field in an encoding error; built only where one can occur */
	PG_RETURN_TEXT_P(qrpay_field_text(out, (size_t) n,
									  qrpay_db_utf8() ? NULL : text_to_cstring(path), NULL));
}

Datum
qr_merchant_name(PG_FUNCTION_ARGS)
{
	RETURN_SEMANTIC(QR_SEM_NAME, "merchant name");
}

Datum
qr_merchant_city(PG_FUNCTION_ARGS)
{
	RETURN_SEMANTIC(QR_SEM_CITY, "merchant city");
}

Datum
qr_mcc(PG_FUNCTION_ARGS)
{
	RETURN_SEMANTIC(QR_SEM_MCC, "merchant category code");
}

Datum
qr_country(PG_FUNCTION_ARGS)
{
	RETURN_SEMANTIC(QR_SEM_COUNTRY, "country");
}

Datum
qr_reference(PG_FUNCTION_ARGS)
{
	RETURN_SEMANTIC(QR_SEM_REFERENCE, "reference");
}

Datum
qr_account(PG_FUNCTION_ARGS)
{
	RETURN_SEMANTIC(QR_SEM_ACCOUNT, "account");
}

/*
 * ISO 4217 alphabetic code.  An EMVCo numeric code missing from the table
 * (a currency created after this release) comes back as the number, so no
 * payment silently loses its currency.
 */
Datum
qr_currency(PG_FUNCTION_ARGS)
{
	RETURN_SEMANTIC(QR_SEM_CURRENCY, "currency");
}

Datum
qr_amount(PG_FUNCTION_ARGS)
{
	text	   *t = semantic(fcinfo, QR_SEM_AMOUNT, "amount");

	if (t == NULL)
		PG_RETURN_NULL();
	/* validated as digits with at most one "." on input: numeric_in accepts it */
	PG_RETURN_DATUM(DirectFunctionCall3(numeric_in,
										CStringGetDatum(text_to_cstring(t)),
										ObjectIdGetDatum(InvalidOid),
										Int32GetDatum(-1)));
}

/*
 * EMVCo tag 01: 12 dynamic, 11 static; consumer-presented codes are
 * one-time by nature; NULL when the code does not say.
 */
Datum
qr_is_dynamic(PG_FUNCTION_ARGS)
{
	const char *buf;
	size_t		len;
	qr_parsed	parsed;
	int			d;

	getarg_qr(fcinfo, 0, &buf, &len);
	d = qr_parsed_dynamic(qr_parse(&parsed, buf, len));
	if (d < 0)
		PG_RETURN_NULL();
	PG_RETURN_BOOL(d == 1);
}

/* ------------------------------------------------------------------ */
/* Walking every field                                                 */
/* ------------------------------------------------------------------ */

typedef struct tags_state
{
	ReturnSetInfo *rsinfo;
} tags_state;

static int
put_tag(void *arg, const qr_field *f)
{
	tags_state *ts = arg;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};

	values[0] = CStringGetTextDatum(f->path);
	values[1] = CStringGetTextDatum(f->name);
	values[2] = PointerGetDatum(qrpay_field_text(f->value, f->value_len, f->path, NULL));
	tuplestore_putvalues(ts->rsinfo->setResult, ts->rsinfo->setDesc, values, nulls);
	return 0;
}

/* Every field as (path, name, value), containers before their parts. */
Datum
qr_tags(PG_FUNCTION_ARGS)
{
	tags_state	ts;
	const char *buf;
	size_t		len;

	InitMaterializedSRF(fcinfo, 0);
	ts.rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	getarg_qr(fcinfo, 0, &buf, &len);
	qr_fields(buf, len, put_tag, &ts);
	return (Datum) 0;
}

/* ------------------------------------------------------------------ */
/* jsonb                                                               */
/* ------------------------------------------------------------------ */

/* convert: a field value (at path), which is UTF-8; keys are ASCII paths */
static void
push_string(JsonbParseState **st, JsonbIteratorToken tok, const char *s, size_t n,
			const char *convert)
{
	JsonbValue	v;

	v.type = jbvString;
	if (convert)
	{
		text	   *t = qrpay_field_text(s, n, convert, NULL);

		v.val.string.val = VARDATA_ANY(t);
		v.val.string.len = (int) VARSIZE_ANY_EXHDR(t);
	}
	else
	{
		/* pushJsonbValue keeps the pointer, not a copy */
		v.val.string.val = pnstrdup(s, n);
		v.val.string.len = (int) n;
	}
	pushJsonbValue(st, tok, &v);
}

#define JSON_DEPTH 8

/*
 * Builds nested objects from the field stream: a path's dotted prefix is
 * its enclosing object (opened implicitly when no container field named
 * it, as for the Swiss QR-bill's "creditor.name"), containers become
 * objects, and a repeated container (EMVCo CPM application templates)
 * becomes an array of objects.
 */
typedef struct json_state
{
	JsonbParseState *st;
	int			depth;			/* open objects below the root */
	size_t		prefix[JSON_DEPTH];	/* path length of each open object */
	bool		in_array[JSON_DEPTH];	/* the object is an array element */
	char		path[256];		/* path of the innermost open object */
	char		last_key[JSON_DEPTH + 1][64];	/* last repeated container key per level */
} json_state;

static void
close_to(json_state *js, const char *path)
{
	while (js->depth > 0)
	{
		size_t		pl = js->prefix[js->depth - 1];

		if (strncmp(path, js->path, pl) == 0 && path[pl] == '.')
			break;
		pushJsonbValue(&js->st, WJB_END_OBJECT, NULL);
		js->depth--;
		js->path[js->depth ? js->prefix[js->depth - 1] : 0] = '\0';
	}
}

static void
close_array_if(json_state *js, const char *key, bool repeated_container)
{
	char	   *last = js->last_key[js->depth];

	if (last[0] && !(repeated_container && strcmp(last, key) == 0))
	{
		pushJsonbValue(&js->st, WJB_END_ARRAY, NULL);
		last[0] = '\0';
	}
}

static void
open_object(json_state *js, const char *path, size_t pl)
{
	memcpy(js->path, path, pl);
	js->path[pl] = '\0';
	js->prefix[js->depth] = pl;
	js->last_key[js->depth + 1][0] = '\0';
	js->depth++;
	pushJsonbValue(&js->st, WJB_BEGIN_OBJECT, NULL);
}

static int
put_json(void *arg, const qr_field *f)
{
	json_state *js = arg;
	const char *path = f->path;
	const char *key;
	size_t		base;

	if (strlen(path) >= sizeof(js->path))
		return 0;
	/* arrays close when their level moves on */
	close_to(js, path);
	base = js->depth ? js->prefix[js->depth - 1] + 1 : 0;
	/* implicit enclosing objects */
	while (js->depth < JSON_DEPTH - 1)
	{
		const char *dot = strchr(path + base, '.');

		if (dot == NULL)
			break;
		close_array_if(js, "", false);
		push_string(&js->st, WJB_KEY, path + base, (size_t) (dot - (path + base)), NULL);
		open_object(js, path, (size_t) (dot - path));
		base = (size_t) (dot - path) + 1;
	}
	key = path + base;
	if (f->container && f->repeated && strlen(key) < sizeof(js->last_key[0]))
	{
		char	   *last = js->last_key[js->depth];

		if (strcmp(last, key) != 0)
		{
			close_array_if(js, key, true);
			push_string(&js->st, WJB_KEY, key, strlen(key), NULL);
			pushJsonbValue(&js->st, WJB_BEGIN_ARRAY, NULL);
			strcpy(last, key);
		}
		open_object(js, path, strlen(path));
		return 0;
	}
	close_array_if(js, key, false);
	push_string(&js->st, WJB_KEY, key, strlen(key), NULL);
	if (f->container && js->depth < JSON_DEPTH - 1)
		open_object(js, path, strlen(path));
	else
		push_string(&js->st, WJB_VALUE, f->value, f->value_len, path);
	return 0;
}

/*
 * {"format": "emv_mpm", "00": "01", "26": {"00": "br.gov.bcb.pix", ...}, ...}
 * Keys are the last part of each path, containers are nested objects.
 */
Datum
qr_to_jsonb(PG_FUNCTION_ARGS)
{
	json_state *js = palloc0(sizeof(json_state));
	JsonbValue *res;
	const char *buf;
	size_t		len;
	const char *fname;

	getarg_qr(fcinfo, 0, &buf, &len);
	fname = qr_format_name(qr_detect_format(buf, len));
	pushJsonbValue(&js->st, WJB_BEGIN_OBJECT, NULL);
	push_string(&js->st, WJB_KEY, "format", 6, NULL);
	push_string(&js->st, WJB_VALUE, fname, strlen(fname), NULL);
	qr_fields(buf, len, put_json, js);
	close_to(js, "");
	close_array_if(js, "", false);
	res = pushJsonbValue(&js->st, WJB_END_OBJECT, NULL);
	PG_RETURN_JSONB_P(JsonbValueToJsonb(res));
}

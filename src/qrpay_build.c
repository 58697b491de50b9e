/*
 * qrpay_build.c — making codes: qr_emv (an EMVCo code from the jsonb shape
 * qr_to_jsonb produces), qr_with_amount and qr_with_reference (a static
 * code turned into one order's dynamic code), qr_emv_merge (one code
 * carrying several networks' merchant accounts: F12's universal code).
 *
 * The codes are written by src/core (qr_build.c); this file converts
 * jsonb, numeric and text to its inputs and reports its errors.  Every
 * result is validated like input (qrpay_from_utf8), so a builder can never
 * store what the type would refuse.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "qrpay.h"

PG_FUNCTION_INFO_V1(qr_emv);
PG_FUNCTION_INFO_V1(qr_with_amount);
PG_FUNCTION_INFO_V1(qr_with_reference);
PG_FUNCTION_INFO_V1(qr_emv_merge);

/* ------------------------------------------------------------------ */
/* The core's verdict                                                  */
/* ------------------------------------------------------------------ */

static void
build_error(const qr_build_error *e)
{
	int			code = ERRCODE_INVALID_PARAMETER_VALUE;

	switch (e->code)
	{
		case QR_BUILD_FIELD:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid payment_qr: %s", e->message),
					 e->detail[0] ? errdetail("%s", e->detail) : 0));
			break;
		case QR_BUILD_FULL:
			code = ERRCODE_PROGRAM_LIMIT_EXCEEDED;
			break;
		case QR_BUILD_SPACE:
			elog(ERROR, "qrpay: %s", e->message);	/* a room bound is wrong */
			break;
		default:
			break;
	}
	ereport(ERROR,
			(errcode(code),
			 errmsg("%s", e->message),
			 e->detail[0] ? errdetail("%s", e->detail) : 0,
			 e->hint[0] ? errhint("%s", e->hint) : 0));
}

/* The built code, validated, or the core's error. */
static struct varlena *
built(qr_build_code rc, const qr_buf *out, const qr_build_error *e)
{
	if (rc != QR_BUILD_OK)
		build_error(e);
	return qrpay_from_utf8(out->data, out->len);
}

/* ------------------------------------------------------------------ */
/* qr_emv                                                              */
/* ------------------------------------------------------------------ */

/* An object container as a JsonbValue whose nested values stay binary. */
static JsonbValue *
unpack(JsonbContainer *c)
{
	JsonbIterator *it = JsonbIteratorInit(c);
	JsonbValue	v;
	JsonbIteratorToken tok;
	JsonbParseState *st = NULL;
	JsonbValue *res = NULL;

	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
		res = pushJsonbValue(&st, tok, tok < WJB_BEGIN_ARRAY ? &v : NULL);
	return res;
}

/*
 * One level of the jsonb object as core nodes, ids ascending (jsonb keeps
 * them so); *room grows by what the core needs to write them.
 */
static qr_node *
to_nodes(JsonbValue *obj, bool root, int *n, size_t *room)
{
	qr_node    *nodes = palloc0(sizeof(qr_node) * Max(obj->val.object.nPairs, 1));

	*n = 0;
	for (int i = 0; i < obj->val.object.nPairs; i++)
	{
		JsonbPair  *p = &obj->val.object.pairs[i];
		qr_node    *nd = &nodes[*n];

		nd->key = p->key.val.string.val;
		nd->keylen = p->key.val.string.len;
		if (root && nd->keylen == 6 && memcmp(nd->key, "format", 6) == 0)
			continue;
		(*n)++;
		*room += 4;
		if (p->value.type == jbvString)
		{
			nd->kind = QR_NODE_STRING;
			nd->value = qrpay_utf8_from_server(p->value.val.string.val,
											   p->value.val.string.len, &nd->vlen);
			*room += nd->vlen;
		}
		else if (p->value.type == jbvObject ||
				 (p->value.type == jbvBinary && JsonContainerIsObject(p->value.val.binary.data)))
		{
			nd->kind = QR_NODE_TEMPLATE;
			nd->sub = to_nodes(p->value.type == jbvObject ? &p->value : unpack(p->value.val.binary.data),
							   false, &nd->nsub, room);
		}
		else
			nd->kind = QR_NODE_OTHER;
	}
	return nodes;
}

Datum
qr_emv(PG_FUNCTION_ARGS)
{
	Jsonb	   *jb = PG_GETARG_JSONB_P(0);
	JsonbValue *fmt;
	qr_node    *nodes;
	int			n;
	size_t		room = 8;		/* the CRC */
	qr_buf		out;
	qr_build_error e;
	qr_build_code rc;

	if (!JB_ROOT_IS_OBJECT(jb))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid payment_qr: qr_emv takes an object of EMVCo ids, as qr_to_jsonb returns")));
	fmt = getKeyJsonValueFromContainer(&jb->root, "format", 6, NULL);
	if (fmt && !(fmt->type == jbvString && fmt->val.string.len == 7 &&
				 memcmp(fmt->val.string.val, "emv_mpm", 7) == 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid payment_qr: field format must be emv_mpm when given")));
	nodes = to_nodes(unpack(&jb->root), true, &n, &room);
	qr_buf_init(&out, palloc(room), room);
	rc = qr_build_emv(nodes, n, &out, &e);
	PG_RETURN_POINTER(built(rc, &out, &e));
}

/* ------------------------------------------------------------------ */
/* Changing codes                                                      */
/* ------------------------------------------------------------------ */

typedef qr_build_code (*setter) (const char *buf, size_t len, const char *v, size_t vlen,
								 qr_buf *out, qr_build_error *e);

/*
 * The code with one field set by fn; QR_BUILD_ROOM is enough unless the
 * code repeats the field's key, and then the first call says how much is.
 */
static struct varlena *
set_field(setter fn, const char *buf, size_t len, const char *v, size_t vlen)
{
	size_t		room = QR_BUILD_ROOM(len, vlen);
	qr_buf		out;
	qr_build_error e;
	qr_build_code rc;

	qr_buf_init(&out, palloc(room), room);
	rc = fn(buf, len, v, vlen, &out, &e);
	if (rc == QR_BUILD_SPACE)
	{
		room = out.len;
		qr_buf_init(&out, palloc(room), room);
		rc = fn(buf, len, v, vlen, &out, &e);
	}
	return built(rc, &out, &e);
}

Datum
qr_with_amount(PG_FUNCTION_ARGS)
{
	struct varlena *v = PG_GETARG_PAYMENT_QR_PP(0);
	Numeric		amount = PG_GETARG_NUMERIC(1);
	const char *buf = QRPAY_PAYLOAD(v);
	size_t		len = QRPAY_PAYLOAD_LEN(v);
	char	   *a;

	qrpay_check_version(v);
	a = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(amount)));
	PG_RETURN_POINTER(set_field(qr_build_amount, buf, len, a, strlen(a)));
}

Datum
qr_with_reference(PG_FUNCTION_ARGS)
{
	struct varlena *v = PG_GETARG_PAYMENT_QR_PP(0);
	text	   *ref = PG_GETARG_TEXT_PP(1);
	const char *buf = QRPAY_PAYLOAD(v);
	size_t		len = QRPAY_PAYLOAD_LEN(v);
	size_t		rlen;
	char	   *r = qrpay_utf8_from_server(VARDATA_ANY(ref), VARSIZE_ANY_EXHDR(ref), &rlen);

	qrpay_check_version(v);
	PG_RETURN_POINTER(set_field(qr_build_reference, buf, len, r, rlen));
}

/*
 * One code carrying the merchant accounts of several (INTEROP F12, the
 * universal code); NULL elements are skipped, and all of them give NULL.
 */
Datum
qr_emv_merge(PG_FUNCTION_ARGS)
{
	ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(0);
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	const char **codes;
	size_t	   *lens;
	size_t		room = 8;		/* the CRC */
	qr_buf		out;
	qr_build_error e;
	qr_build_code rc;

	deconstruct_array(arr, ARR_ELEMTYPE(arr), -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	codes = palloc0(sizeof(char *) * Max(n, 1));
	lens = palloc0(sizeof(size_t) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		struct varlena *v;

		if (nulls[i])
			continue;
		v = DatumGetPaymentQrPP(elems[i]);
		qrpay_check_version(v);
		codes[i] = QRPAY_PAYLOAD(v);
		lens[i] = QRPAY_PAYLOAD_LEN(v);
		room += lens[i];
	}
	qr_buf_init(&out, palloc(room), room);
	rc = qr_build_merge(codes, lens, n, &out, &e);
	if (rc == QR_BUILD_NOTHING)
		PG_RETURN_NULL();
	PG_RETURN_POINTER(built(rc, &out, &e));
}

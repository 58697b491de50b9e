/*
 * qrpay_build.c — making codes: qr_emv (an EMVCo code from the jsonb shape
 * qr_to_jsonb produces), qr_with_amount and qr_with_reference (a static
 * code turned into one order's dynamic code), qr_emv_merge (one code
 * carrying several networks' merchant accounts: F12's universal code).
 *
 * Every result is validated like input (qrpay_from_utf8), so a builder
 * can never store what the type would refuse.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "qrpay.h"
#include "qr_utf8.h"

PG_FUNCTION_INFO_V1(qr_emv);
PG_FUNCTION_INFO_V1(qr_with_amount);
PG_FUNCTION_INFO_V1(qr_with_reference);
PG_FUNCTION_INFO_V1(qr_emv_merge);

/* ------------------------------------------------------------------ */
/* EMVCo TLV                                                           */
/* ------------------------------------------------------------------ */

static void
bad_field(const char *path, const char *fmt, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid payment_qr: field %s %s", path, fmt),
			 detail ? errdetail("%s", detail) : 0));
}

/* id + 2-digit length in characters (EMVCo §4.4.1.1) + value */
static void
append_tlv(StringInfo s, int id, const char *value, int nbytes, const char *path)
{
	int			chars = qr_utf8_count(value, value + nbytes);

	if (chars < 1 || chars > 99)
		bad_field(path, "must hold 1 to 99 characters", psprintf("It holds %d.", chars));
	appendStringInfo(s, "%02d%02d", id, chars);
	appendBinaryStringInfo(s, value, nbytes);
}

static void
append_crc(StringInfo s)
{
	appendStringInfoString(s, "6304");
	appendStringInfo(s, "%04X", (unsigned) qr_crc16(s->data, s->len));
}

static int
emv_id(const char *key, int len, const char *path)
{
	if (len != 2 || key[0] < '0' || key[0] > '9' || key[1] < '0' || key[1] > '9')
		bad_field(path, "is not a 2-digit EMVCo id", NULL);
	return (key[0] - '0') * 10 + (key[1] - '0');
}

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

/* One level of the jsonb object as TLV, ids ascending (jsonb keeps them so). */
static void
build_level(JsonbValue *obj, StringInfo out, const char *base, bool root)
{
	for (int i = 0; i < obj->val.object.nPairs; i++)
	{
		JsonbPair  *p = &obj->val.object.pairs[i];
		char	   *key = p->key.val.string.val;
		int			klen = p->key.val.string.len;
		char	   *path;
		int			id;

		if (root && klen == 6 && memcmp(key, "format", 6) == 0)
			continue;
		path = psprintf("%s%s%.*s", base, base[0] ? "." : "", klen, key);
		id = emv_id(key, klen, path);
		if (root && id == 63)
			continue;			/* the CRC is computed */
		if (p->value.type == jbvString)
		{
			size_t		ulen;
			char	   *u = qrpay_utf8_from_server(p->value.val.string.val,
												   p->value.val.string.len, &ulen);

			append_tlv(out, id, u, (int) ulen, path);
		}
		else if (p->value.type == jbvObject ||
				 (p->value.type == jbvBinary && JsonContainerIsObject(p->value.val.binary.data)))
		{
			StringInfoData t;

			if (!root && base[0] && strchr(base, '.'))
				bad_field(path, "nests deeper than EMVCo templates go", NULL);
			initStringInfo(&t);
			build_level(p->value.type == jbvObject ? &p->value : unpack(p->value.val.binary.data),
						&t, path, false);
			if (t.len == 0)
				bad_field(path, "is an empty template", NULL);
			append_tlv(out, id, t.data, t.len, path);
		}
		else
			bad_field(path, "must be a string or, for a template, an object", NULL);
	}
}

Datum
qr_emv(PG_FUNCTION_ARGS)
{
	Jsonb	   *jb = PG_GETARG_JSONB_P(0);
	StringInfoData s;
	JsonbValue *fmt;

	if (!JB_ROOT_IS_OBJECT(jb))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid payment_qr: qr_emv takes an object of EMVCo ids, as qr_to_jsonb returns")));
	fmt = getKeyJsonValueFromContainer(&jb->root, "format", 6, NULL);
	if (fmt && !(fmt->type == jbvString && fmt->val.string.len == 7 &&
				 memcmp(fmt->val.string.val, "emv_mpm", 7) == 0))
		bad_field("format", "must be emv_mpm when given", NULL);
	initStringInfo(&s);
	build_level(unpack(&jb->root), &s, "", true);
	append_crc(&s);
	PG_RETURN_POINTER(qrpay_from_utf8(s.data, s.len));
}

/* ------------------------------------------------------------------ */
/* Changing codes                                                      */
/* ------------------------------------------------------------------ */

static void
no_field(qr_fmt fmt, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s codes carry no %s field", qr_format_name(fmt), what),
			 errhint("EMVCo merchant codes, UPI, EPC, Swiss QR-bill, SPAYD and BezahlCode codes do.")));
}

/* A positive amount as plain text with at most maxdec decimals */
static char *
amount_text(Numeric n, int maxdec)
{
	char	   *t = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(n)));
	char	   *dot = strchr(t, '.');

	if (t[0] == '-' || strspn(t, "0.") == strlen(t) || strcmp(t, "NaN") == 0 || strchr(t, 'e') ||
		strstr(t, "Infinity"))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("amount %s is not a positive amount", t)));
	if (dot && (int) strlen(dot + 1) > maxdec)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("amount %s has more than %d decimals", t, maxdec),
				 errhint("Round it first: round(amount, %d).", maxdec)));
	return t;
}

/*
 * An EMVCo root with 01 set to 12 (dynamic) and object id set to value
 * (or, for id 62, a 62 template with sub 05 set), ids in their order, a
 * new CRC.
 */
/* The value to store under id: the new value, or for 62 the template with 05 set. */
static void
append_new(StringInfo s, int id, const char *value, const qr_tlv *old)
{
	if (id == 62)
	{
		StringInfoData tpl;
		qr_tlv_iter in;
		qr_tlv		u;
		bool		put = false;

		initStringInfo(&tpl);
		if (old)
		{
			qr_tlv_iter_init(&in, old->value, old->value_bytes, 0);
			while (qr_tlv_next(&in, &u))
			{
				if (u.id == 5)
					continue;
				if (!put && u.id > 5)
				{
					append_tlv(&tpl, 5, value, (int) strlen(value), "62.05");
					put = true;
				}
				append_tlv(&tpl, u.id, u.value, (int) u.value_bytes, "62");
			}
		}
		if (!put)
			append_tlv(&tpl, 5, value, (int) strlen(value), "62.05");
		append_tlv(s, 62, tpl.data, tpl.len, "62");
	}
	else
		append_tlv(s, id, value, (int) strlen(value), psprintf("%02d", id));
}

/*
 * An EMVCo root with 01 set to 12 (dynamic) and object id set to value
 * (for id 62: the reference label 62.05 set inside the template), the
 * other objects in their order, a new CRC.
 */
static struct varlena *
emv_set(const char *buf, size_t len, int id, const char *value)
{
	StringInfoData s;
	qr_tlv_iter it;
	qr_tlv		t;
	bool		exists = false,
				done = false;

	qr_tlv_iter_init(&it, buf, len, 0);
	while (qr_tlv_next(&it, &t))
		exists |= t.id == id;
	initStringInfo(&s);
	qr_tlv_iter_init(&it, buf, len, 0);
	while (qr_tlv_next(&it, &t))
	{
		if (t.id == 63 || t.id == 1)
			continue;
		if (t.id == id)
		{
			append_new(&s, id, value, &t);
			continue;
		}
		if (!exists && !done && t.id > id)
		{
			append_new(&s, id, value, NULL);
			done = true;
		}
		append_tlv(&s, t.id, t.value, (int) t.value_bytes, psprintf("%02d", t.id));
		if (t.id == 0)
			append_tlv(&s, 1, "12", 2, "01");	/* point of initiation: dynamic */
	}
	if (!exists && !done)
		append_new(&s, id, value, NULL);
	append_crc(&s);
	return qrpay_from_utf8(s.data, s.len);
}

/* The payload with the element of line `line` (0-based) set, lines LF-joined. */
static struct varlena *
line_set(const char *buf, size_t len, int line, const char *value, int min_lines)
{
	StringInfoData s;
	const char *p = buf,
			   *end = buf + len;
	int			k = 0;

	initStringInfo(&s);
	while (p <= end)
	{
		const char *nl = memchr(p, '\n', (size_t) (end - p));
		const char *stop = nl ? nl : end;
		size_t		n = (size_t) (stop - p);

		if (nl && n > 0 && stop[-1] == '\r')
			n--;
		if (k > 0)
			appendStringInfoChar(&s, '\n');
		if (k == line)
			appendStringInfoString(&s, value);
		else
			appendBinaryStringInfo(&s, p, n);
		k++;
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	while (k <= line || k < min_lines)
	{
		appendStringInfoChar(&s, '\n');
		if (k == line)
			appendStringInfoString(&s, value);
		k++;
	}
	return qrpay_from_utf8(s.data, s.len);
}

/* key=value set in a '?' query (sep '&') or in SPAYD's '*' list (sep '*', kv ':') */
static struct varlena *
param_set(const char *buf, size_t len, const char *key, const char *value, char sep, char kv)
{
	StringInfoData s;
	const char *start = sep == '&' ? memchr(buf, '?', len) : buf + 4;
	const char *p,
			   *end = buf + len;
	bool		done = false;
	size_t		klen = strlen(key);

	initStringInfo(&s);
	if (sep == '&' && start == NULL)
	{
		appendBinaryStringInfo(&s, buf, len);
		appendStringInfo(&s, "?%s%c%s", key, kv, value);
		return qrpay_from_utf8(s.data, s.len);
	}
	p = sep == '&' ? start + 1 : start;
	appendBinaryStringInfo(&s, buf, (size_t) (p - buf));
	while (p < end)
	{
		const char *stop = memchr(p, sep, (size_t) (end - p));
		size_t		n = (size_t) ((stop ? stop : end) - p);

		if (n > klen && p[klen] == kv && pg_strncasecmp(p, key, klen) == 0)
		{
			appendStringInfo(&s, "%s%c%s", key, kv, value);
			done = true;
		}
		else
			appendBinaryStringInfo(&s, p, n);
		if (stop == NULL)
			break;
		appendStringInfoChar(&s, sep);
		p = stop + 1;
	}
	if (!done)
	{
		if (s.len > 0 && s.data[s.len - 1] != sep && s.data[s.len - 1] != '?')
			appendStringInfoChar(&s, sep);
		appendStringInfo(&s, "%s%c%s", key, kv, value);
	}
	return qrpay_from_utf8(s.data, s.len);
}

/* percent-encode for a query value (RFC 3986 unreserved kept) */
static char *
pct(const char *v)
{
	StringInfoData s;

	initStringInfo(&s);
	for (const unsigned char *p = (const unsigned char *) v; *p; p++)
	{
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
			*p == '-' || *p == '.' || *p == '_' || *p == '~')
			appendStringInfoChar(&s, (char) *p);
		else
			appendStringInfo(&s, "%%%02X", *p);
	}
	return s.data;
}

Datum
qr_with_amount(PG_FUNCTION_ARGS)
{
	struct varlena *v = PG_GETARG_PAYMENT_QR_PP(0);
	Numeric		amount = PG_GETARG_NUMERIC(1);
	const char *buf = QRPAY_PAYLOAD(v);
	size_t		len = QRPAY_PAYLOAD_LEN(v);
	qr_fmt		fmt;
	char	   *a;

	qrpay_check_version(v);
	fmt = qr_detect_format(buf, len);
	switch (fmt)
	{
		case QR_FORMAT_EMV_MPM:
			a = amount_text(amount, 6);
			if (strlen(a) > 13)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("amount %s is longer than the 13 characters of EMVCo tag 54", a)));
			PG_RETURN_POINTER(emv_set(buf, len, 54, a));
		case QR_FORMAT_UPI:
			PG_RETURN_POINTER(param_set(buf, len, "am", amount_text(amount, 2), '&', '='));
		case QR_FORMAT_EPC:
			PG_RETURN_POINTER(line_set(buf, len, 7, psprintf("EUR%s", amount_text(amount, 2)), 8));
		case QR_FORMAT_SWISS_QR:
			PG_RETURN_POINTER(line_set(buf, len, 18, amount_text(amount, 2), 0));
		case QR_FORMAT_SPAYD:
			PG_RETURN_POINTER(param_set(buf, len, "AM", amount_text(amount, 2), '*', ':'));
		case QR_FORMAT_BEZAHLCODE:
			{
				char	   *t = pstrdup(amount_text(amount, 2));
				char	   *dot = strchr(t, '.');

				if (dot)
					*dot = ',';	/* BezahlCode writes a decimal comma */
				PG_RETURN_POINTER(param_set(buf, len, "amount", pct(t), '&', '='));
			}
		default:
			no_field(fmt, "amount");
	}
	PG_RETURN_NULL();			/* not reached */
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
	qr_fmt		fmt;

	qrpay_check_version(v);
	r = pnstrdup(r, rlen);
	if (rlen == 0 || strpbrk(r, "\n\r*"))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a reference must be non-empty, on one line, without \"*\"")));
	fmt = qr_detect_format(buf, len);
	switch (fmt)
	{
		case QR_FORMAT_EMV_MPM:
			PG_RETURN_POINTER(emv_set(buf, len, 62, r));
		case QR_FORMAT_UPI:
			PG_RETURN_POINTER(param_set(buf, len, "tr", pct(r), '&', '='));
		case QR_FORMAT_EPC:
			{
				/* the unstructured remittance; structured and unstructured exclude each other */
				struct varlena *cleared = line_set(buf, len, 9, "", 0);

				PG_RETURN_POINTER(line_set(QRPAY_PAYLOAD(cleared), QRPAY_PAYLOAD_LEN(cleared), 10, r, 11));
			}
		case QR_FORMAT_SWISS_QR:
			PG_RETURN_POINTER(line_set(buf, len, 29, r, 0));
		case QR_FORMAT_SPAYD:
			/* the variable symbol when the reference is one (up to 10 digits), else the message */
			if (rlen <= 10 && strspn(r, "0123456789") == rlen)
				PG_RETURN_POINTER(param_set(buf, len, "X-VS", r, '*', ':'));
			PG_RETURN_POINTER(param_set(buf, len, "MSG", r, '*', ':'));
		case QR_FORMAT_BEZAHLCODE:
			PG_RETURN_POINTER(param_set(buf, len, "reason", pct(r), '&', '='));
		default:
			no_field(fmt, "reference");
	}
	PG_RETURN_NULL();			/* not reached */
}

/*
 * One code carrying the merchant accounts of several (INTEROP F12, the
 * universal code): the first code's other objects, every code's merchant
 * accounts 02-51 in id order; a template id taken twice by different
 * accounts moves to a free id in 26-51.
 */
Datum
qr_emv_merge(PG_FUNCTION_ARGS)
{
	ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(0);
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	char	   *acct[100] = {0};
	int			acct_len[100] = {0};
	struct varlena *first = NULL;
	StringInfoData s;
	qr_tlv_iter it;
	qr_tlv		t;
	bool		accounts_done = false;

	deconstruct_array(arr, ARR_ELEMTYPE(arr), -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	for (int i = 0; i < n; i++)
	{
		struct varlena *v;

		if (nulls[i])
			continue;
		v = DatumGetPaymentQrPP(elems[i]);
		qrpay_check_version(v);
		if (qr_detect_format(QRPAY_PAYLOAD(v), QRPAY_PAYLOAD_LEN(v)) != QR_FORMAT_EMV_MPM)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("qr_emv_merge merges EMVCo merchant-presented codes; element %d is %s", i + 1,
							qr_format_name(qr_detect_format(QRPAY_PAYLOAD(v), QRPAY_PAYLOAD_LEN(v))))));
		if (first == NULL)
			first = v;
		qr_tlv_iter_init(&it, QRPAY_PAYLOAD(v), QRPAY_PAYLOAD_LEN(v), 0);
		while (qr_tlv_next(&it, &t))
		{
			int			id = t.id;

			if (id < 2 || id > 51)
				continue;
			if (acct[id] && acct_len[id] == (int) t.value_bytes && memcmp(acct[id], t.value, t.value_bytes) == 0)
				continue;		/* the same account twice */
			if (acct[id])
			{
				if (id < 26)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("two codes carry different accounts under primitive id %02d", id),
							 errhint("Ids 02-25 belong to one network each (EMVCo Table 4.1) and cannot move.")));
				for (id = 26; id <= 51 && acct[id]; id++)
					;
				if (id > 51)
					ereport(ERROR,
							(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
							 errmsg("more merchant account templates than the 26 ids 26-51 hold")));
			}
			acct[id] = pnstrdup(t.value, t.value_bytes);
			acct_len[id] = (int) t.value_bytes;
		}
	}
	if (first == NULL)
		PG_RETURN_NULL();
	initStringInfo(&s);
	qr_tlv_iter_init(&it, QRPAY_PAYLOAD(first), QRPAY_PAYLOAD_LEN(first), 0);
	while (qr_tlv_next(&it, &t))
	{
		if (t.id == 63 || (t.id >= 2 && t.id <= 51))
			continue;
		if (!accounts_done && t.id > 51)
		{
			for (int id = 2; id <= 51; id++)
				if (acct[id])
					append_tlv(&s, id, acct[id], acct_len[id], psprintf("%02d", id));
			accounts_done = true;
		}
		append_tlv(&s, t.id, t.value, (int) t.value_bytes, psprintf("%02d", t.id));
	}
	append_crc(&s);
	PG_RETURN_POINTER(qrpay_from_utf8(s.data, s.len));
}

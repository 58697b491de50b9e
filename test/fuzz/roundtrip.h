/*
 * roundtrip.h — the round-trip property of the code writers, shared by the
 * fuzz target fuzz_roundtrip.c and the unit tests (test_build.c): a valid
 * code parsed into its fields, written back by a writer, and parsed again
 * gives the same fields, except the one the writer was asked to write
 * (which reads back as the value given) and what that field brings with
 * it by the format's rules.
 *
 * The writers and what they may change besides their field:
 * - RT_REBUILD, qr_build_emv from the code's own fields (qr_emv of
 *   qr_to_jsonb): nothing, byte for byte (check_rebuild in common.c);
 * - RT_AMOUNT, qr_build_amount: EMVCo 54 (Transaction Amount, with 01 set
 *   to 12, a dynamic code: EMVCo MPM Table 3.6, and the CRC 63); UPI am;
 *   EPC amount ("EUR" and the amount, EPC069-12); the Swiss QR-bill's
 *   amount; SPAYD AM; BezahlCode amount (with a decimal comma);
 * - RT_REFERENCE, qr_build_reference: EMVCo 62.05 (Reference Label,
 *   Table 3.7; the template 62 around it, 01 and 63 as above); UPI tr;
 *   EPC remittance (the unstructured remittance, and the structured one
 *   cleared: EPC069-12 allows one of the two); the Swiss QR-bill's
 *   message; SPAYD X-VS for up to 10 digits, else MSG; BezahlCode reason;
 * - RT_MERGE, qr_build_merge of the code alone and of the code with
 *   itself (qr_emv_merge): the same fields, merchant accounts perhaps in
 *   another order, and the same code both times.
 * URL and SPAYD keys match ASCII case-insensitively, as the writers match
 * them.  Fields keep their order, except the merge's.
 *
 * Values passed must be ones every format takes (a plain positive amount
 * of at most 7 integer digits and 2 decimals; a reference of 1 to 20 ASCII
 * letters and digits), so that a valid code must stay valid.
 *
 * Functions are static: the header is included once per program.
 */
#ifndef QRPAY_TEST_ROUNDTRIP_H
#define QRPAY_TEST_ROUNDTRIP_H

#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "qr_fmt.h"

typedef enum rt_op
{
	RT_REBUILD,
	RT_AMOUNT,
	RT_REFERENCE,
	RT_MERGE
} rt_op;

/* What a field of the code is to a writer. */
typedef enum rt_role
{
	RT_KEEP,					/* the same before and after */
	RT_SET,						/* the field written: the value given after */
	RT_GONE,					/* absent after (EPC's structured remittance) */
	RT_DYNAMIC,					/* EMVCo 01: 12 after */
	RT_SKIP						/* changes with the others: the CRC, template 62 */
} rt_role;

#define RT_FIELDS 1024

/* A code's fields in order: path and value of each in text. */
typedef struct rt_fields
{
	char		text[8 * QR_MAX_BYTES];
	size_t		ntext;
	size_t		at[RT_FIELDS];
	size_t		plen[RT_FIELDS];
	size_t		vlen[RT_FIELDS];
	int			n;
	int			overflow;
} rt_fields;

static int
rt_collect(void *arg, const qr_field *f)
{
	rt_fields  *fs = arg;
	size_t		plen = strlen(f->path);

	if (fs->n == RT_FIELDS || plen + f->value_len > sizeof(fs->text) - fs->ntext)
	{
		fs->overflow = 1;
		return 1;
	}
	fs->at[fs->n] = fs->ntext;
	fs->plen[fs->n] = plen;
	fs->vlen[fs->n] = f->value_len;
	memcpy(fs->text + fs->ntext, f->path, plen);
	memcpy(fs->text + fs->ntext + plen, f->value, f->value_len);
	fs->ntext += plen + f->value_len;
	fs->n++;
	return 0;
}

/* 0 when the walk did not fit fs */
static int
rt_walk(const char *buf, size_t len, rt_fields *fs)
{
	fs->ntext = 0;
	fs->n = 0;
	fs->overflow = 0;
	qr_fields(buf, len, rt_collect, fs);
	return !fs->overflow;
}

static const char *
rt_path(const rt_fields *fs, int i)
{
	return fs->text + fs->at[i];
}

static const char *
rt_value(const rt_fields *fs, int i)
{
	return fs->text + fs->at[i] + fs->plen[i];
}

/* path [p, p+n) is key, ASCII case-insensitively (qr_util.c) */
static int
rt_key_is(const char *p, size_t n, const char *key)
{
	return qr_ascii_casecmp(p, n, key, strlen(key)) == 0;
}

/*
 * The key a writer sets in a code of format fmt, and the one it clears
 * (*gone, or NULL); NULL when the format has no such field.
 */
static const char *
rt_written(qr_fmt fmt, rt_op op, const char *val, size_t vlen, const char **gone)
{
	int			amount = op == RT_AMOUNT;

	*gone = NULL;
	switch (fmt)
	{
		case QR_FORMAT_EMV_MPM:
			return amount ? "54" : "62.05";
		case QR_FORMAT_UPI:
			return amount ? "am" : "tr";
		case QR_FORMAT_EPC:
			if (amount)
				return "amount";
			*gone = "reference";
			return "remittance";
		case QR_FORMAT_SWISS_QR:
			return amount ? "amount" : "message";
		case QR_FORMAT_SPAYD:
			return amount ? "AM" : vlen <= 10 && qr_all_digits(val, vlen) ? "X-VS" : "MSG";
		case QR_FORMAT_BEZAHLCODE:
			return amount ? "amount" : "reason";
		default:
			return NULL;
	}
}

static rt_role
rt_role_of(qr_fmt fmt, rt_op op, const char *key, const char *gone, const char *p, size_t n)
{
	if (rt_key_is(p, n, key))
		return RT_SET;
	if (gone && rt_key_is(p, n, gone))
		return RT_GONE;
	if (fmt != QR_FORMAT_EMV_MPM)
		return RT_KEEP;
	if (n == 2 && memcmp(p, "01", 2) == 0)
		return RT_DYNAMIC;
	if ((n == 2 && memcmp(p, "63", 2) == 0) ||
		(op == RT_REFERENCE && n == 2 && memcmp(p, "62", 2) == 0))
		return RT_SKIP;
	return RT_KEEP;
}

/* the value a written field reads back as */
static size_t
rt_expected(qr_fmt fmt, rt_op op, const char *val, size_t vlen, char *out)
{
	size_t		k = 0;

	if (fmt == QR_FORMAT_EPC && op == RT_AMOUNT)
	{
		memcpy(out, "EUR", 3);
		k = 3;
	}
	memcpy(out + k, val, vlen);
	if (fmt == QR_FORMAT_BEZAHLCODE && op == RT_AMOUNT)
		for (size_t i = 0; i < vlen; i++)
			if (out[k + i] == '.')
				out[k + i] = ',';
	return k + vlen;
}

static rt_fields rt_before,
	   rt_after;

/*
 * The fields of after against those of before for a writer that set key
 * to want: NULL, or the property broken.
 */
static const char *
rt_compare(qr_fmt fmt, rt_op op, const char *key, const char *gone,
		   const char *want, size_t wlen)
{
	int			j = 0,
				set = 0,
				dynamic = 0;

	for (int i = 0; i < rt_after.n; i++)
	{
		const char *p = rt_path(&rt_after, i),
					*v = rt_value(&rt_after, i);
		size_t		pn = rt_after.plen[i],
					vn = rt_after.vlen[i];

		switch (rt_role_of(fmt, op, key, gone, p, pn))
		{
			case RT_SET:
				if (vn != wlen || memcmp(v, want, wlen) != 0)
					return "the field written does not read back as the value given";
				set++;
				continue;
			case RT_GONE:
				if (vn > 0)
					return "the field the writer clears is still there";
				continue;
			case RT_DYNAMIC:
				if (vn != 2 || memcmp(v, "12", 2) != 0)
					return "the code did not become dynamic (01 = 12)";
				dynamic++;
				continue;
			case RT_SKIP:
				continue;
			case RT_KEEP:
				break;
		}
		while (j < rt_before.n &&
			   rt_role_of(fmt, op, key, gone, rt_path(&rt_before, j), rt_before.plen[j]) != RT_KEEP)
			j++;
		if (j == rt_before.n || rt_before.plen[j] != pn || rt_before.vlen[j] != vn ||
			memcmp(rt_path(&rt_before, j), p, pn + vn) != 0)
			return "a field the writer does not write changed, moved or appeared";
		j++;
	}
	while (j < rt_before.n &&
		   rt_role_of(fmt, op, key, gone, rt_path(&rt_before, j), rt_before.plen[j]) != RT_KEEP)
		j++;
	if (j < rt_before.n)
		return "a field the writer does not write is gone";
	if (set == 0)
		return "the field written is not there";
	if (fmt == QR_FORMAT_EMV_MPM && dynamic != 1)
		return "the code did not become dynamic (no 01)";
	return NULL;
}

/*
 * Write with fn into a buffer of QR_BUILD_ROOM bytes (or the room it then
 * asks for); the buffer, malloc'd, or NULL when the writer refused.
 */
static char *
rt_write(set_fn fn, const char *code, size_t len, const char *val, size_t vlen, qr_buf *out)
{
	size_t		room = QR_BUILD_ROOM(len, vlen);
	char	   *data = malloc(room);
	qr_build_error e;
	qr_build_code rc;

	qr_buf_init(out, data, room);
	rc = fn(code, len, val, vlen, out, &e);
	if (rc == QR_BUILD_SPACE)
	{
		room = out->len;
		data = realloc(data, room);
		qr_buf_init(out, data, room);
		rc = fn(code, len, val, vlen, out, &e);
	}
	if (rc != QR_BUILD_OK)
	{
		free(data);
		return NULL;
	}
	return data;
}

/* one field set: see the comment atop this file */
static const char *
rt_check_set(rt_op op, qr_fmt fmt, const char *code, size_t len, const char *val,
			 size_t vlen, int *checked)
{
	const char *gone;
	const char *key = rt_written(fmt, op, val, vlen, &gone);
	const char *broken = NULL;
	char		want[160];
	size_t		wlen;
	qr_buf		out;
	char	   *data;

	if (key == NULL || vlen == 0 || vlen > 128)
		return NULL;
	data = rt_write(op == RT_AMOUNT ? qr_build_amount : qr_build_reference,
					code, len, val, vlen, &out);
	/* (a reference can overfill a nearly full template 62) */
	if (data == NULL)
		return NULL;
	if (qr_validate(out.data, out.len, NULL, NULL, NULL) != QR_OK)
		broken = "the code written does not validate";
	else if (qr_detect_format(out.data, out.len) != fmt)
		broken = "the code written is of another format";
	else if (rt_walk(code, len, &rt_before) && rt_walk(out.data, out.len, &rt_after))
	{
		wlen = rt_expected(fmt, op, val, vlen, want);
		broken = rt_compare(fmt, op, key, gone, want, wlen);
		(*checked)++;
		if (broken == NULL && fmt == QR_FORMAT_EMV_MPM)
			check_rebuild(out.data, out.len);
	}
	free(data);
	return broken;
}

/* field i of fs is the CRC */
static int
rt_is_crc(const rt_fields *fs, int i)
{
	return fs->plen[i] == 2 && memcmp(rt_path(fs, i), "63", 2) == 0;
}

/* the fields before and after the same, in any order, the CRC aside */
static int
rt_same_fields(void)
{
	static unsigned char used[RT_FIELDS];

	memset(used, 0, sizeof(used));
	for (int i = 0; i < rt_after.n; i++)
	{
		int			k;

		if (rt_is_crc(&rt_after, i))
			continue;
		for (k = 0; k < rt_before.n; k++)
			if (!used[k] && rt_before.plen[k] == rt_after.plen[i] &&
				rt_before.vlen[k] == rt_after.vlen[i] &&
				memcmp(rt_path(&rt_before, k), rt_path(&rt_after, i),
					   rt_after.plen[i] + rt_after.vlen[i]) == 0)
				break;
		if (k == rt_before.n)
			return 0;
		used[k] = 1;
	}
	for (int k = 0; k < rt_before.n; k++)
		if (!used[k] && !rt_is_crc(&rt_before, k))
			return 0;
	return 1;
}

/* the code merged alone and with itself: see the comment atop this file */
static const char *
rt_check_merge(const char *code, size_t len, int *checked)
{
	const char *codes[2] = {code, code};
	size_t		lens[2] = {len, len};
	char	   *one = malloc(len + 8),
				*two = malloc(len + 8);
	qr_buf		o1,
				o2;
	qr_build_error e;
	const char *broken = NULL;

	qr_buf_init(&o1, one, len + 8);
	qr_buf_init(&o2, two, len + 8);
	if (qr_build_merge(codes, lens, 1, &o1, &e) != QR_BUILD_OK ||
		qr_build_merge(codes, lens, 2, &o2, &e) != QR_BUILD_OK)
		broken = "a valid code does not merge with itself";
	else if (o1.len != o2.len || memcmp(one, two, o1.len) != 0)
		broken = "a code merged alone and with itself differ";
	else if (qr_validate(one, o1.len, NULL, NULL, NULL) != QR_OK)
		broken = "the merged code does not validate";
	else if (rt_walk(code, len, &rt_before) && rt_walk(one, o1.len, &rt_after))
	{
		if (!rt_same_fields())
			broken = "the merged code's fields are not the code's";
		(*checked)++;
	}
	free(one);
	free(two);
	return broken;
}

/*
 * The round trip of op over a code and a value (ignored by RT_REBUILD and
 * RT_MERGE): NULL, or the property broken.  Codes that do not validate,
 * and formats without the field, are passed over; *checked counts the
 * round trips compared field by field.  A rebuilt code that differs
 * aborts, as check_rebuild does (also after every EMVCo code written).
 */
static const char *
rt_check(rt_op op, const char *code, size_t len, const char *val, size_t vlen, int *checked)
{
	qr_fmt		fmt;

	if (qr_validate(code, len, NULL, NULL, NULL) != QR_OK)
		return NULL;
	fmt = qr_detect_format(code, len);
	switch (op)
	{
		case RT_REBUILD:
			if (fmt != QR_FORMAT_EMV_MPM)
				return NULL;
			check_rebuild(code, len);
			(*checked)++;
			return NULL;
		case RT_MERGE:
			return fmt == QR_FORMAT_EMV_MPM ? rt_check_merge(code, len, checked) : NULL;
		default:
			return rt_check_set(op, fmt, code, len, val, vlen, checked);
	}
}

#endif

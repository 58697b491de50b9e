/*
 * qrpay_match_rows.c — a row of qr_match's stream as the engine holds it
 * (pointing into a tuple, copied in one allocation, or read from a blob of
 * the spill files), and the arithmetic on amounts: rounding to a
 * currency's minor unit, tolerances, and sums in whole minor units.
 */
#include "postgres.h"

#include "utils/builtins.h"
#include "utils/memutils.h"

#include "qrpay.h"
#include "qrpay_money.h"
#include "qrpay_match.h"

static void *
field(Datum *v, bool *n, int col)
{
	return n[col] ? NULL : PG_DETOAST_DATUM_PACKED(v[col]);
}

/* the row's fields, pointing into the deformed values */
void
qrm_row_from(m_row *r, Datum *v, bool *n)
{
	r->side = DatumGetInt32(v[C_SIDE]);
	r->txn = field(v, n, C_TXN);
	r->provider = field(v, n, C_PROVIDER);
	r->ref = field(v, n, C_REF);
	r->parent = field(v, n, C_PARENT);
	r->refund = !n[C_REFUND] && DatumGetBool(v[C_REFUND]);
	r->amount = field(v, n, C_AMOUNT);
	r->cur = field(v, n, C_CUR);
	r->ts_null = n[C_TS];
	r->ts = n[C_TS] ? 0 : DatumGetTimestampTz(v[C_TS]);
	r->fee = field(v, n, C_FEE);
	r->context = !n[C_CONTEXT] && DatumGetBool(v[C_CONTEXT]);
	r->gkey = field(v, n, C_GKEY);
	r->ramount = field(v, n, C_RAMOUNT);
}

text *
qrm_copy_text(const text *t)
{
	text	   *c;

	if (t == NULL)
		return NULL;
	c = (text *) palloc(VARSIZE_ANY_EXHDR(t) + VARHDRSZ);
	SET_VARSIZE(c, VARSIZE_ANY_EXHDR(t) + VARHDRSZ);
	memcpy(VARDATA(c), VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
	return c;
}

/*
 * A copy of the row in the current context, in one allocation (a window of
 * metro fares holds tens of thousands of them): the struct, then each field
 * as a varlena with a 4-byte header.
 */
m_row *
qrm_row_copy(const m_row *r)
{
	const struct varlena *f[9] = {
		(const struct varlena *) r->txn, (const struct varlena *) r->provider,
		(const struct varlena *) r->ref, (const struct varlena *) r->parent, (const struct varlena *) r->amount,
		(const struct varlena *) r->cur, (const struct varlena *) r->fee, (const struct varlena *) r->gkey,
		(const struct varlena *) r->ramount
	};
	void	   *to[9];
	Size		len = MAXALIGN(sizeof(m_row));
	m_row	   *c;
	char	   *p;

	for (int i = 0; i < 9; i++)
		if (f[i])
			len += INTALIGN(VARSIZE_ANY_EXHDR(f[i]) + VARHDRSZ);
	c = palloc(len);
	*c = *r;
	p = (char *) c + MAXALIGN(sizeof(m_row));
	for (int i = 0; i < 9; i++)
	{
		to[i] = NULL;
		if (f[i] == NULL)
			continue;
		to[i] = p;
		SET_VARSIZE(p, VARSIZE_ANY_EXHDR(f[i]) + VARHDRSZ);
		memcpy(VARDATA(p), VARDATA_ANY(f[i]), VARSIZE_ANY_EXHDR(f[i]));
		p += INTALIGN(VARSIZE_ANY_EXHDR(f[i]) + VARHDRSZ);
	}
	c->txn = to[0];
	c->provider = to[1];
	c->ref = to[2];
	c->parent = to[3];
	c->amount = to[4];
	c->cur = to[5];
	c->fee = to[6];
	c->gkey = to[7];
	c->ramount = to[8];
	return c;
}

void
qrm_row_free(m_row *r)
{
	pfree(r);
}

/*
 * A NaN or infinite amount has no difference to any other: the row is
 * refused, naming it.  NaN and the infinities are the numerics whose first
 * header word has both top bits set (NUMERIC_SPECIAL in numeric.c).
 */
void
qrm_require_finite(const m_row *r)
{
	uint16		header;

	if (r->amount == NULL)
		return;
	memcpy(&header, VARDATA_ANY(r->amount), sizeof(header));
	if ((header & 0xC000) != 0xC000)
		return;
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("qr_match: %s row %s has amount %s",
					r->side == SIDE_LEDGER ? "ledger" : "statement",
					r->txn ? quote_literal_cstr(text_to_cstring(r->txn)) : "with NULL txn_id",
					qrm_numeric_text(r->amount)),
			 errhint("Amounts must be finite numbers; correct or leave out the row.")));
}

void
qrm_row_from_blob(m_row *r, m_blob *b)
{
	void	   *f[NBLOBF];

	for (int i = 0; i < NBLOBF; i++)
		f[i] = b->off[i] ? (char *) b + b->off[i] : NULL;
	memset(r, 0, sizeof(*r));
	r->gkey = f[0];
	r->provider = f[1];
	r->ref = f[2];
	r->parent = f[3];
	r->txn = f[4];
	r->amount = f[5];
	r->cur = f[6];
	r->fee = f[7];
	r->side = b->side;
	r->ts = b->ts;
	r->ts_null = b->ts_null;
	r->refund = b->refund;
	r->context = b->context;
}

/* byte order ("C" collation), NULLs last */
int
qrpay_text_cmp(const text *a, const text *b)
{
	int			la,
				lb,
				c;

	if (a == NULL || b == NULL)
		return (a == NULL) - (b == NULL);
	la = VARSIZE_ANY_EXHDR(a);
	lb = VARSIZE_ANY_EXHDR(b);
	c = memcmp(VARDATA_ANY(a), VARDATA_ANY(b), Min(la, lb));
	return c != 0 ? c : (la > lb) - (la < lb);
}

/* the decimals of a currency: its ISO 4217 minor unit, else 4 */
int
qrm_scale_of(const text *cur)
{
	int			s = qrpay_minor_unit_text(cur);

	return s < 0 ? 4 : s;
}

Numeric
qrm_round_to(Numeric a, int scale)
{
	return DatumGetNumeric(DirectFunctionCall2(numeric_round, NumericGetDatum(a), Int32GetDatum(scale)));
}

Numeric
qrm_num_add(Numeric a, Numeric b)
{
	return DatumGetNumeric(DirectFunctionCall2(numeric_add, NumericGetDatum(a), NumericGetDatum(b)));
}

Numeric
qrm_num_sub(Numeric a, Numeric b)
{
	return DatumGetNumeric(DirectFunctionCall2(numeric_sub, NumericGetDatum(a), NumericGetDatum(b)));
}

Numeric
qrm_num_mul(Numeric a, Numeric b)
{
	return DatumGetNumeric(DirectFunctionCall2(numeric_mul, NumericGetDatum(a), NumericGetDatum(b)));
}

Numeric
qrm_num_abs(Numeric a)
{
	return DatumGetNumeric(DirectFunctionCall1(numeric_abs, NumericGetDatum(a)));
}

int
qrm_num_cmp(Numeric a, Numeric b)
{
	return DatumGetInt32(DirectFunctionCall2(numeric_cmp, NumericGetDatum(a), NumericGetDatum(b)));
}

bool
qrm_num_is_zero(Numeric a)
{
	return qrm_num_cmp(a, int64_to_numeric(0)) == 0;
}

/* the larger of the absolute tolerance and the percentage of base */
Numeric
qrm_tolerance_of(const m_settings *s, Numeric base, Numeric pct)
{
	Numeric		p;

	if (qrm_num_is_zero(pct))
		return s->tol_abs;
	p = DatumGetNumeric(DirectFunctionCall2(numeric_div, NumericGetDatum(qrm_num_mul(qrm_num_abs(base), pct)),
											NumericGetDatum(int64_to_numeric(100))));
	return qrm_num_cmp(p, s->tol_abs) > 0 ? p : s->tol_abs;
}

/*
 * A rounded amount as a count of 10^-scale units; false if it does not
 * fit.  The amount of a row read from a slot may have a short varlena
 * header (qrm_row_from leaves fields packed), which qrpay_amount_units
 * does not read: it is expanded first.
 */
bool
qrm_units_of(Numeric a, int scale, int64 *u)
{
	bool		overflow = false;

	*u = qrpay_amount_units(DatumGetNumeric(NumericGetDatum(a)), scale, &overflow);
	return !overflow;
}

/* units back to a numeric of that scale */
Numeric
qrm_units_numeric(int64 u, int scale)
{
	char		digits[32];
	char		buf[40];
	int			len,
				neg = u < 0;
	uint64		m = neg ? (uint64) 0 - (uint64) u : (uint64) u;

	len = snprintf(digits, sizeof(digits), "%llu", (unsigned long long) m);
	if (scale == 0)
		snprintf(buf, sizeof(buf), "%s%s", neg ? "-" : "", digits);
	else if (len > scale)
		snprintf(buf, sizeof(buf), "%s%.*s.%s", neg ? "-" : "", len - scale, digits, digits + len - scale);
	else
		snprintf(buf, sizeof(buf), "%s0.%0*d%s", neg ? "-" : "", scale - len, 0, digits);
	return DatumGetNumeric(DirectFunctionCall3(numeric_in, CStringGetDatum(buf),
											   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1)));
}

/* zero with a currency's decimals (0.00 for CNY), built once per scale */
Numeric
qrm_zero_at(m_state *st, int scale)
{
	if (scale < 0 || scale >= (int) lengthof(st->zeros))
		return st->zero;
	if (st->zeros[scale] == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(st->cxt);

		st->zeros[scale] = qrm_units_numeric(0, scale);
		MemoryContextSwitchTo(old);
	}
	return st->zeros[scale];
}

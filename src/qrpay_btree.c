/*
 * qrpay_btree.c — ordering operators and the btree support functions
 * (1 compare, 2 sortsupport, 4 equalimage).
 *
 * The order is bytewise over the stored payload (src/core qr_compare): it is
 * total, collation-free and needs no parsing, and "equal" means "the same
 * payload", which is what makes hashing (qrpay_hash.c), deduplication and
 * merge joins consistent with it.  It is a canonical order, not a
 * meaningful one: sort by an accessor for a meaningful order.
 */
#include "postgres.h"

#include "utils/sortsupport.h"

#include "qrpay.h"

PG_FUNCTION_INFO_V1(payment_qr_cmp);
PG_FUNCTION_INFO_V1(payment_qr_eq);
PG_FUNCTION_INFO_V1(payment_qr_ne);
PG_FUNCTION_INFO_V1(payment_qr_lt);
PG_FUNCTION_INFO_V1(payment_qr_le);
PG_FUNCTION_INFO_V1(payment_qr_gt);
PG_FUNCTION_INFO_V1(payment_qr_ge);
PG_FUNCTION_INFO_V1(payment_qr_sortsupport);
PG_FUNCTION_INFO_V1(payment_qr_equalimage);

/*
 * Compare two datums, freeing detoasted copies: index support functions
 * must not leak (fmgr.h, PG_FREE_IF_COPY), and a sort calls this millions
 * of times in one memory context.
 */
static int
compare_datums(Datum a, Datum b)
{
	struct varlena *va = DatumGetPaymentQrPP(a);
	struct varlena *vb = DatumGetPaymentQrPP(b);
	int			r = qr_compare(QRPAY_PAYLOAD(va), QRPAY_PAYLOAD_LEN(va),
							   QRPAY_PAYLOAD(vb), QRPAY_PAYLOAD_LEN(vb));

	if ((Pointer) va != DatumGetPointer(a))
		pfree(va);
	if ((Pointer) vb != DatumGetPointer(b))
		pfree(vb);
	return r;
}

Datum
payment_qr_cmp(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(compare_datums(PG_GETARG_DATUM(0), PG_GETARG_DATUM(1)));
}

Datum
payment_qr_eq(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(compare_datums(PG_GETARG_DATUM(0), PG_GETARG_DATUM(1)) == 0);
}

Datum
payment_qr_ne(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(compare_datums(PG_GETARG_DATUM(0), PG_GETARG_DATUM(1)) != 0);
}

Datum
payment_qr_lt(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(compare_datums(PG_GETARG_DATUM(0), PG_GETARG_DATUM(1)) < 0);
}

Datum
payment_qr_le(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(compare_datums(PG_GETARG_DATUM(0), PG_GETARG_DATUM(1)) <= 0);
}

Datum
payment_qr_gt(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(compare_datums(PG_GETARG_DATUM(0), PG_GETARG_DATUM(1)) > 0);
}

Datum
payment_qr_ge(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(compare_datums(PG_GETARG_DATUM(0), PG_GETARG_DATUM(1)) >= 0);
}

static int
sort_compare(Datum a, Datum b, SortSupport ssup)
{
	return compare_datums(a, b);
}

/*
 * A direct comparator saves the fmgr call per comparison.  No abbreviated
 * keys: every EMVCo payload begins "000201" and most continue "010211" or
 * "010212", so the first 8 bytes (what fits in a Datum) would almost never
 * decide a comparison and abbreviation would cost more than it saves.
 */
Datum
payment_qr_sortsupport(PG_FUNCTION_ARGS)
{
	SortSupport ssup = (SortSupport) PG_GETARG_POINTER(0);

	ssup->comparator = sort_compare;
	PG_RETURN_VOID();
}

/*
 * Equal payment_qr values are byte-identical payloads, so an equal key may
 * be represented by any one of them: btree deduplication is safe.  Without
 * this function PostgreSQL turns deduplication off for every index on the
 * type (btree.sgml, "equalimage").
 */
Datum
payment_qr_equalimage(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(true);
}

/*
 * qrpay_hash.c — hash opclass support 1 (32-bit) and 2 (64-bit, seeded).
 *
 * Both hash the payload bytes only (never the version byte), so equal
 * values (btree: same payload) hash equally.  hash_any_extended with seed 0
 * yields hash_any in its low 32 bits, the contract support 2 must keep.
 * These values decide hash partitions: changing them breaks existing
 * partitioned tables, so they are pinned by a regression test.
 */
#include "postgres.h"

#include "common/hashfn.h"

#include "qrpay.h"

PG_FUNCTION_INFO_V1(payment_qr_hash);
PG_FUNCTION_INFO_V1(payment_qr_hash_extended);

Datum
payment_qr_hash(PG_FUNCTION_ARGS)
{
	struct varlena *v = PG_GETARG_PAYMENT_QR_PP(0);
	Datum		h = hash_any((const unsigned char *) QRPAY_PAYLOAD(v),
							 (int) QRPAY_PAYLOAD_LEN(v));

	PG_FREE_IF_COPY(v, 0);
	return h;
}

Datum
payment_qr_hash_extended(PG_FUNCTION_ARGS)
{
	struct varlena *v = PG_GETARG_PAYMENT_QR_PP(0);
	Datum		h = hash_any_extended((const unsigned char *) QRPAY_PAYLOAD(v),
									  (int) QRPAY_PAYLOAD_LEN(v),
									  (uint64) PG_GETARG_INT64(1));

	PG_FREE_IF_COPY(v, 0);
	return h;
}

/*
 * fuzz_amount.c — libFuzzer harness for qr_build_amount (qr_with_amount).
 *
 * Input: see fuzz_set in common.h (control byte, amount, code).  A
 * canonical amount is what numeric_out writes for a positive amount every
 * format takes: 1-7 integer digits without a leading zero, at most 2
 * decimals (SPAYD's AM holds 10 characters).  Properties: see check_set
 * in common.c (fits QR_BUILD_ROOM; a valid code stays valid with a
 * canonical amount, reads it back, is unchanged when the same amount is
 * set again, and for EMVCo is rebuilt byte for byte from its fields).
 */
#include <stdint.h>

#include "common.h"

/* digits taken from the input bytes, cycled */
static size_t
canonical_amount(char *val, size_t vlen)
{
	unsigned char in[128];
	size_t		ints,
				decs,
				k = 0;

	for (size_t i = 0; i < 8; i++)
		in[i] = vlen ? (unsigned char) val[i % vlen] : 0;
	ints = 1 + in[0] % 7;
	decs = in[1] % 3;
	for (size_t i = 0; i < ints; i++)
		val[k++] = (char) ('0' + (i == 0 ? 1 + in[i + 1] % 9 : in[i + 1] % 10));
	if (decs)
	{
		val[k++] = '.';
		for (size_t i = 0; i < decs; i++)
			val[k++] = (char) ('0' + in[(i + 3) % 8] % 10);
	}
	return k;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_set(data, size, qr_build_amount, QR_SEM_AMOUNT, canonical_amount);
	return 0;
}

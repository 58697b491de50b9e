/*
 * fuzz_reference.c — libFuzzer harness for qr_build_reference
 * (qr_with_reference).
 *
 * Input: see fuzz_set in common.h (control byte, reference, code).  A
 * canonical reference is 1 to 20 ASCII letters and digits, which every
 * format's reference field takes (EMVCo 62.05 holds 25, SPAYD's X-VS 10
 * digits, its MSG 60 characters).  Properties: see check_set in common.c.
 */
#include <stdint.h>

#include "common.h"

static size_t
canonical_reference(char *val, size_t vlen)
{
	static const char alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

	if (vlen == 0)
		val[vlen++] = 'R';
	if (vlen > 20)
		vlen = 20;
	for (size_t i = 0; i < vlen; i++)
		val[i] = alnum[(unsigned char) val[i] % (sizeof(alnum) - 1)];
	return vlen;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_set(data, size, qr_build_reference, QR_SEM_REFERENCE, canonical_reference);
	return 0;
}

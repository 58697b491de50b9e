/*
 * fuzz_roundtrip.c — libFuzzer harness for the round trip of every code
 * writer: parse, write, parse gives the same fields (roundtrip.h).
 *
 * Input: a control byte (bits 0-1: the writer, RT_REBUILD, RT_AMOUNT,
 * RT_REFERENCE or RT_MERGE; the other bits: the value's length, at most
 * 63), the value's bytes, then the code (its trailing EMVCo CRC
 * repaired).  The value is made one every format takes: an amount of 1-7
 * integer digits and 0-2 decimals, or a reference of 1-20 ASCII letters
 * and digits, both drawn from its bytes.  Codes that do not validate are
 * passed over: the property is about valid codes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "roundtrip.h"

/* a plain positive amount, as numeric_out writes it */
static size_t
amount_from(const unsigned char *in, size_t n, char *out)
{
	uint32_t	x = 0;
	unsigned	decimals;

	for (size_t i = 0; i < n && i < 4; i++)
		x = x * 256 + in[i];
	decimals = (n > 4 ? in[4] : x) % 3;
	/* 1 to 9999999 units, then the decimals' digits */
	if (decimals == 0)
		return (size_t) snprintf(out, 32, "%lu", 1 + (unsigned long) x % 9999999);
	return (size_t) snprintf(out, 32, "%lu.%0*lu", 1 + (unsigned long) (x / 7) % 9999999,
							 (int) decimals, (unsigned long) x % (decimals == 1 ? 10 : 100));
}

/* 1 to 20 ASCII letters and digits */
static size_t
reference_from(const unsigned char *in, size_t n, char *out)
{
	static const char set[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	size_t		k = n == 0 ? 1 : n > 20 ? 20 : n;

	for (size_t i = 0; i < k; i++)
		out[i] = set[(i < n ? in[i] : 0) % (sizeof(set) - 1)];
	return k;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	rt_op		op;
	size_t		vlen,
				len;
	char		val[64];
	char	   *code;
	const char *broken;
	int			checked = 0;

	if (size < 1)
		return 0;
	op = (rt_op) (data[0] & 3);
	vlen = (size_t) (data[0] >> 2);
	if (vlen > size - 1)
		vlen = size - 1;
	len = size - 1 - vlen;
	if (op == RT_AMOUNT)
		vlen = amount_from(data + 1, vlen, val);
	else
		vlen = reference_from(data + 1, vlen, val);
	/* an exact-size copy, so that reading past the code is caught */
	code = malloc(len ? len : 1);
	memcpy(code, data + 1 + (size - 1 - len), len);
	fix_crc(code, len);
	broken = rt_check(op, code, len, val, vlen, &checked);
	if (broken)
	{
		fprintf(stderr, "round trip %d with \"%.*s\": %s\n", (int) op, (int) vlen, val, broken);
		abort();
	}
	free(code);
	return 0;
}

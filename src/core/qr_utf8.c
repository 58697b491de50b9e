/*
 * qr_utf8.c — strict UTF-8 validation (RFC 3629 §4 syntax).
 *
 * The server checks text input against the database encoding, but binary
 * recv, the fuzzers and databases in SQL_ASCII hand us arbitrary bytes; the
 * CRC is defined over UTF-8 (EMVCo MPM §4.7.3), so we insist on it here.
 * NUL is refused in the same pass: text cannot hold it, so a payload with
 * one could be stored through binary input but never printed back.
 */
#include "qr_utf8.h"

/* 16 bytes at p are ASCII without NUL: a byte in 0x01-0x7F keeps its high
 * bit clear after subtracting 1, a NUL or a byte >= 0x80 does not. */
static inline int
clean16(const unsigned char *p)
{
	uint64_t	a,
				b;

	memcpy(&a, p, 8);
	memcpy(&b, p + 8, 8);
	return ((a | (a - QR_LOW_BITS) | b | (b - QR_LOW_BITS)) & QR_HIGH_BITS) == 0;
}

long
qr_utf8_check(const char *buf, size_t len, int *ascii)
{
	const unsigned char *s = (const unsigned char *) buf;
	size_t		i = 0;
	int			all_ascii = 1;

	while (i < len)
	{
		size_t		stop;

		/*
		 * Sixteen bytes at a time while they are plain ASCII; the last 16
		 * bytes, overlapping what was checked, cover a short tail.  A block
		 * that fails is then checked byte by byte, all of it, before the
		 * next block test.
		 */
		if (len - i >= 16)
		{
			if (clean16(s + i))
			{
				i += 16;
				continue;
			}
			stop = i + 16;
		}
		else
		{
			if (len >= 16 && clean16(s + len - 16))
				break;
			stop = len;
		}
		while (i < stop)
		{
			unsigned char c = s[i];
			size_t		need;
			unsigned	lo = 0x80,
						hi = 0xBF;

			if (c == 0)
				return (long) i;
			if (c < 0x80)
			{
				i++;
				continue;
			}
			all_ascii = 0;
			/* RFC 3629 table: the second byte's range depends on the lead */
			if (c >= 0xC2 && c <= 0xDF)
				need = 1;
			else if (c >= 0xE0 && c <= 0xEF)
			{
				need = 2;
				if (c == 0xE0)
					lo = 0xA0;	/* overlong */
				else if (c == 0xED)
					hi = 0x9F;	/* UTF-16 surrogates */
			}
			else if (c >= 0xF0 && c <= 0xF4)
			{
				need = 3;
				if (c == 0xF0)
					lo = 0x90;	/* overlong */
				else if (c == 0xF4)
					hi = 0x8F;	/* above U+10FFFF */
			}
			else
				return (long) i;
			if (len - i <= need)
				return (long) i;
			if (s[i + 1] < lo || s[i + 1] > hi)
				return (long) i;
			for (size_t k = 2; k <= need; k++)
				if ((s[i + k] & 0xC0) != 0x80)
					return (long) i;
			i += need + 1;
		}
	}
	if (ascii)
		*ascii = all_ascii;
	return -1;
}

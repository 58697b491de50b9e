/*
 * qr_utf8.c — strict UTF-8 validation (RFC 3629 §4 syntax).
 *
 * The server checks text input against the database encoding, but binary
 * recv, the fuzzers and databases in SQL_ASCII hand us arbitrary bytes; the
 * CRC is defined over UTF-8 (EMVCo MPM §4.7.3), so we insist on it here.
 * NUL is refused in the same pass: text cannot hold it, so a payload with
 * one could be stored through binary input but never printed back.
 */
#include "qrpay_core.h"
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

static long qr_utf8_check_bytes(const char *buf, size_t len, int *ascii);

/*
 * The character at s, whose lead byte is >= 0x80, with left bytes from s
 * to the end: its length in bytes when it is well formed, else 0.  RFC 3629's
 * table: the second byte's range depends on the lead.
 */
static inline size_t
multibyte(const unsigned char *s, size_t left)
{
	unsigned char c = s[0];
	size_t		need;
	unsigned	lo = 0x80,
				hi = 0xBF;

	if (c >= 0xE0 && c <= 0xEF)
	{
		need = 2;
		if (c == 0xE0)
			lo = 0xA0;			/* overlong */
		else if (c == 0xED)
			hi = 0x9F;			/* UTF-16 surrogates */
	}
	else if (c >= 0xC2 && c <= 0xDF)
		need = 1;
	else if (c >= 0xF0 && c <= 0xF4)
	{
		need = 3;
		if (c == 0xF0)
			lo = 0x90;			/* overlong */
		else if (c == 0xF4)
			hi = 0x8F;			/* above U+10FFFF */
	}
	else
		return 0;
	if (left <= need || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t k = 2; k <= need; k++)
		if ((s[k] & 0xC0) != 0x80)
			return 0;
	return need + 1;
}

#if defined(__SSE2__) && defined(__GNUC__)

/*
 * With SSE2: sixteen bytes are loaded at i and the positions of their
 * NULs and bytes >= 0x80 taken as a bit mask; the ASCII bytes before the
 * first such position are passed over at once, so only multibyte
 * characters are looked at one by one, and a run of them without
 * reloading.  Near the end the last sixteen
 * bytes are loaded instead and the mask shifted past what was checked.
 */
long
qr_utf8_check(const char *buf, size_t len, int *ascii)
{
	const unsigned char *s = (const unsigned char *) buf;
	const __m128i zero = _mm_setzero_si128();
	size_t		i = 0;
	int			all_ascii = 1;

	if (len < 16)
		return qr_utf8_check_bytes(buf, len, ascii);
	while (i < len)
	{
		size_t		base = len - i >= 16 ? i : len - 16;
		__m128i		v = _mm_loadu_si128((const __m128i *) (s + base));
		unsigned	m = (unsigned) (_mm_movemask_epi8(v) |
									_mm_movemask_epi8(_mm_cmpeq_epi8(v, zero)));
		size_t		w;

		m >>= i - base;
		if (m == 0)
		{
			i = base + 16;
			continue;
		}
		i += (size_t) __builtin_ctz(m);
		if (s[i] == 0)
			return (long) i;
		all_ascii = 0;
		/* local-script text runs multibyte characters together */
		do
		{
			if ((w = multibyte(s + i, len - i)) == 0)
				return (long) i;
			i += w;
		} while (i < len && s[i] >= 0x80);
	}
	if (ascii)
		*ascii = all_ascii;
	return -1;
}

#else

long
qr_utf8_check(const char *buf, size_t len, int *ascii)
{
	return qr_utf8_check_bytes(buf, len, ascii);
}

#endif

/* The portable check, also used for short buffers. */
static long
qr_utf8_check_bytes(const char *buf, size_t len, int *ascii)
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
			size_t		w;

			if (s[i] == 0)
				return (long) i;
			if (s[i] < 0x80)
			{
				i++;
				continue;
			}
			all_ascii = 0;
			if ((w = multibyte(s + i, len - i)) == 0)
				return (long) i;
			i += w;
		}
	}
	if (ascii)
		*ascii = all_ascii;
	return -1;
}

long
qr_text_check(const char *buf, size_t len, int *ascii)
{
	return qr_utf8_check(buf, len, ascii);
}

int
qr_text_chars(const char *buf, const char *end)
{
	return qr_utf8_count(buf, end);
}

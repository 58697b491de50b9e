/*
 * qr_utf8.h — UTF-8 helpers shared inside src/core (not part of the public
 * API).  EMVCo MPM counts lengths in characters (§4.4.1.1: "0104最佳运输"
 * declares 4 for 12 bytes), so every TLV walk has to step over characters.
 */
#ifndef QR_UTF8_H
#define QR_UTF8_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define QR_HIGH_BITS 0x8080808080808080ULL
#define QR_LOW_BITS 0x0101010101010101ULL

/* Bytes of the character whose lead byte is c (input already validated). */
static inline int
qr_utf8_width(unsigned char c)
{
	return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

/*
 * Step over n characters of validated UTF-8 starting at p; NULL if fewer
 * than n characters remain before end.  Payment codes are mostly ASCII, so
 * eight bytes at a time are tested for high bits before falling back to
 * per-character stepping.
 */
static inline const char *
qr_utf8_skip(const char *p, const char *end, int n)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	/* most values are short and ASCII even in a payload that is not */
	if (n < 8 && end - p >= 8)
	{
		uint64_t	w;

		memcpy(&w, p, 8);
		if ((w & QR_HIGH_BITS & ((1ULL << (8 * n)) - 1)) == 0)
			return p + n;
	}
#endif
	while (n > 0)
	{
		if (n >= 8 && end - p >= 8)
		{
			uint64_t	w;

			memcpy(&w, p, 8);
			if ((w & QR_HIGH_BITS) == 0)
			{
				p += 8;
				n -= 8;
				continue;
			}
		}
		if (p >= end)
			return NULL;
		p += qr_utf8_width((unsigned char) *p);
		n--;
	}
	return p <= end ? p : NULL;
}

/* Characters in [p, end) of validated UTF-8. */
static inline int
qr_utf8_count(const char *p, const char *end)
{
	int			n = 0;

	while (p < end)
	{
		if (end - p >= 8)
		{
			uint64_t	w;

			memcpy(&w, p, 8);
			if ((w & QR_HIGH_BITS) == 0)
			{
				p += 8;
				n += 8;
				continue;
			}
		}
		p += qr_utf8_width((unsigned char) *p);
		n++;
	}
	return n;
}

/*
 * Check [buf, buf+len) is well-formed UTF-8 (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF) without NUL bytes.  Returns -1 when
 * valid, else the byte offset of the first NUL or bad sequence.  *ascii is set when every byte is
 * below 0x80, which lets the walkers treat bytes as characters.
 */
extern long qr_utf8_check(const char *buf, size_t len, int *ascii);

/*
 * Is [buf, buf+len) ASCII without NUL?  Then it is valid UTF-8 and every
 * byte is a character, which is the case of most payloads; only the others
 * need qr_utf8_check's byte-level look.  A byte in 0x01-0x7F keeps its high
 * bit clear after subtracting 1, a NUL or a byte >= 0x80 does not; with
 * SSE2 sixteen bytes are tested per step, flags accumulated and read once.
 * The last block overlaps the one before it rather than looping per byte.
 */
static inline int
qr_ascii_clean(const char *buf, size_t len)
{
	uint64_t	a,
				b;

#if defined(__SSE2__)
	if (len >= 16)
	{
		const __m128i zero = _mm_setzero_si128();
		__m128i		acc = zero,
					v;
		size_t		i;

		for (i = 0; i + 16 <= len; i += 16)
		{
			v = _mm_loadu_si128((const __m128i *) (buf + i));
			acc = _mm_or_si128(acc, _mm_or_si128(v, _mm_cmpeq_epi8(v, zero)));
		}
		if (i < len)
		{
			v = _mm_loadu_si128((const __m128i *) (buf + len - 16));
			acc = _mm_or_si128(acc, _mm_or_si128(v, _mm_cmpeq_epi8(v, zero)));
		}
		return _mm_movemask_epi8(acc) == 0;
	}
#endif
	if (len >= 8)
	{
		uint64_t	acc = 0;
		size_t		i;

		for (i = 0; i + 8 <= len; i += 8)
		{
			memcpy(&a, buf + i, 8);
			acc |= a | (a - QR_LOW_BITS);
		}
		memcpy(&b, buf + len - 8, 8);
		return ((acc | b | (b - QR_LOW_BITS)) & QR_HIGH_BITS) == 0;
	}
	for (size_t i = 0; i < len; i++)
		if ((unsigned char) buf[i] - 1u >= 0x7Fu)
			return 0;
	return 1;
}

/*
 * Bytes [*first, *last) of buf hold every byte >= 0x80 of it: outside that
 * span each byte is a character.  A mostly ASCII payload with one
 * local-script template (EMVCo MPM template 64) then steps characters only
 * inside the span.  Both ends are len when no byte is >= 0x80.
 */
static inline void
qr_high_span(const char *buf, size_t len, size_t *first, size_t *last)
{
	size_t		i = 0,
				j = len;

#if defined(__SSE2__)
	while (i + 16 <= len &&
		   _mm_movemask_epi8(_mm_loadu_si128((const __m128i *) (buf + i))) == 0)
		i += 16;
#endif
	while (i < len && (unsigned char) buf[i] < 0x80)
		i++;
	if (i == len)
	{
		*first = *last = len;
		return;
	}
#if defined(__SSE2__)
	while (j >= i + 16 &&
		   _mm_movemask_epi8(_mm_loadu_si128((const __m128i *) (buf + j - 16))) == 0)
		j -= 16;
#endif
	while ((unsigned char) buf[j - 1] < 0x80)
		j--;
	*first = i;
	*last = j;
}

#endif							/* QR_UTF8_H */

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

#if defined(__SSE2__)
/*
 * Where the character with index n (from 0) of the bytes at 'at' starts,
 * counting only the bytes whose bit is set in keep, a run of the block's
 * bytes: its offset in the block, or -1 when the run holds n characters
 * or fewer, with *count set to how many it holds.  A character starts at
 * every byte outside 0x80-0xBF; a running count of them across the block
 * (prefix sums by shifts) equals n + 1 first where that character starts,
 * so no byte is looked at on its own.
 */
static inline int
qr_utf8_nth_start(const char *at, unsigned keep, int n, int *count)
{
	const __m128i idx = _mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
	__m128i		v = _mm_loadu_si128((const __m128i *) at);
	__m128i		run,
				sum;
	unsigned	hit;
	int			first = __builtin_ctz(keep),
				past = 32 - __builtin_clz(keep);

	run = _mm_and_si128(_mm_cmpgt_epi8(_mm_set1_epi8((char) past), idx),
						_mm_cmpgt_epi8(idx, _mm_set1_epi8((char) (first - 1))));
	sum = _mm_sub_epi8(_mm_setzero_si128(),
					   _mm_and_si128(run, _mm_cmpgt_epi8(v, _mm_set1_epi8(-65))));
	sum = _mm_add_epi8(sum, _mm_slli_si128(sum, 1));
	sum = _mm_add_epi8(sum, _mm_slli_si128(sum, 2));
	sum = _mm_add_epi8(sum, _mm_slli_si128(sum, 4));
	sum = _mm_add_epi8(sum, _mm_slli_si128(sum, 8));
	hit = (unsigned) _mm_movemask_epi8(_mm_cmpeq_epi8(sum, _mm_set1_epi8((char) (n + 1))));
	if (n < 16 && hit != 0)
		return __builtin_ctz(hit);
	*count = _mm_extract_epi16(sum, 7) >> 8;
	return -1;
}
#endif

/*
 * Step over n characters of validated UTF-8 starting at p; NULL if fewer
 * than n characters remain before end.  [p, end) holds whole characters
 * (a payload or a value of one), and [lo, hi), which holds [p, end), may
 * be read: a payload's bytes around a value.  Payment codes are mostly
 * ASCII, so a short value's eight bytes are first tested for high bits;
 * then sixteen bytes at a time have their characters counted at once
 * (qr_utf8_nth_start), the last block ending at end when fewer than
 * sixteen bytes can be read from p.  Only where not even that can be read
 * is a character stepped over at a time.
 */
static inline const char *
qr_utf8_skip_in(const char *p, const char *end, const char *lo,
				const char *hi, int n)
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
#if defined(__SSE2__)
	while (p < end)
	{
		const char *at;
		unsigned	keep;
		int			k,
					count;

		if (hi - p >= 16)
		{
			at = p;
			keep = end - p >= 16 ? 0xFFFFu : (1u << (end - p)) - 1;
		}
		else if (end - lo >= 16)
		{
			at = end - 16;
			keep = (0xFFFFu << (p - at)) & 0xFFFFu;
		}
		else
			break;
		if ((k = qr_utf8_nth_start(at, keep, n, &count)) >= 0)
			return at + k;
		n -= count;
		p = at + 16;
	}
	if (p >= end)
		return n == 0 ? end : NULL;
#else
	(void) lo;
	(void) hi;
#endif
	/* a character at a time, or eight ASCII bytes */
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

/* Step over n characters of validated UTF-8 in [p, end). */
static inline const char *
qr_utf8_skip(const char *p, const char *end, int n)
{
	return qr_utf8_skip_in(p, end, p, end, n);
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
 * qr_utf8_check that also returns the span qr_high_span would, which a
 * block-wise check finds on the way.
 */
extern long qr_utf8_check_span(const char *buf, size_t len, int *ascii,
							   size_t *first, size_t *last);

/*
 * The two halves of the check, for the tests that compare them: the
 * byte-level check that finds the first bad byte, and the block-wise proof
 * of validity (1 valid, 0 not, -1 when the processor lacks SSSE3 or the
 * build is not for x86-64).
 */
extern long qr_utf8_check_scalar(const char *buf, size_t len, int *ascii);
extern int	qr_utf8_valid_blocks(const char *buf, size_t len,
								 size_t *first, size_t *last);

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

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

#if defined(__x86_64__) && defined(__GNUC__)
#define QR_HAVE_SSSE3 1
#include <tmmintrin.h>

/*
 * Block-wise validation with SSSE3, branch-free inside a block: every byte
 * is classified by three table lookups, on the high and low nibble of the
 * byte before it and the high nibble of its own, and the classes AND-ed
 * together; a bit left set names an error (the method of Keiser and
 * Lemire, "Validating UTF-8 in less than one instruction per byte",
 * Software: Practice and Experience 51(5), 2021).  The tables encode RFC
 * 3629 §4's syntax for a pair of bytes:
 *
 *	 SHORT	  a lead byte (C0-FF) not followed by a continuation (80-BF)
 *	 LONG	  a continuation after an ASCII byte
 *	 OVER2	  C0 or C1 then a continuation: an overlong 2-byte form
 *	 OVER3	  E0 then 80-9F: an overlong 3-byte form
 *	 SURR	  ED then A0-BF: a UTF-16 surrogate
 *	 LARGE	  F4 then 90-BF, or F5-FF then 90-BF: above U+10FFFF
 *	 OVER4	  F0 then 80-8F (overlong) or F5-FF then 80-8F (too large)
 *	 CONT2	  a continuation after a continuation
 *
 * CONT2 is right exactly where the byte is the third of a 3- or 4-byte
 * character (two bytes back is E0-FF) or the fourth of a 4-byte one (three
 * back is F0-FF), so it is compared with that rather than taken as an
 * error.  A lead byte that F5-FF or F8-FF makes impossible is caught by
 * SHORT, LARGE or OVER4 whatever follows.
 */
#define U_SHORT 0x01
#define U_LONG 0x02
#define U_OVER3 0x04
#define U_LARGE 0x08
#define U_SURR 0x10
#define U_OVER2 0x20
#define U_OVER4 0x40
#define U_CONT2 0x80
#define U_ANY (U_SHORT | U_LONG | U_CONT2)

/* The class bits by the high nibble of the byte before... */
static const unsigned char by_prev_high[16] = {
	U_LONG, U_LONG, U_LONG, U_LONG, U_LONG, U_LONG, U_LONG, U_LONG,
	U_CONT2, U_CONT2, U_CONT2, U_CONT2,
	U_SHORT | U_OVER2, U_SHORT, U_SHORT | U_OVER3 | U_SURR, U_SHORT | U_LARGE | U_OVER4,
};

/* ...by its low nibble... */
static const unsigned char by_prev_low[16] = {
	U_ANY | U_OVER2 | U_OVER3 | U_OVER4, U_ANY | U_OVER2, U_ANY, U_ANY,
	U_ANY | U_LARGE, U_ANY | U_LARGE | U_OVER4, U_ANY | U_LARGE | U_OVER4,
	U_ANY | U_LARGE | U_OVER4, U_ANY | U_LARGE | U_OVER4, U_ANY | U_LARGE | U_OVER4,
	U_ANY | U_LARGE | U_OVER4, U_ANY | U_LARGE | U_OVER4, U_ANY | U_LARGE | U_OVER4,
	U_ANY | U_LARGE | U_OVER4 | U_SURR, U_ANY | U_LARGE | U_OVER4,
	U_ANY | U_LARGE | U_OVER4,
};

/* ...and by the byte's own high nibble. */
static const unsigned char by_high[16] = {
	U_SHORT, U_SHORT, U_SHORT, U_SHORT, U_SHORT, U_SHORT, U_SHORT, U_SHORT,
	U_LONG | U_OVER2 | U_OVER3 | U_OVER4 | U_CONT2,
	U_LONG | U_OVER2 | U_OVER3 | U_LARGE | U_CONT2,
	U_LONG | U_OVER2 | U_SURR | U_LARGE | U_CONT2,
	U_LONG | U_OVER2 | U_SURR | U_LARGE | U_CONT2,
	U_SHORT, U_SHORT, U_SHORT, U_SHORT,
};

/*
 * One block: the error bits of the 16 bytes of v whose predecessors are
 * the bytes of p1, p2 and p3 (one, two and three places back).
 */
__attribute__((target("ssse3")))
static inline __m128i
utf8_block_errors(__m128i v, __m128i p1, __m128i p2, __m128i p3)
{
	const __m128i prev_high = _mm_loadu_si128((const __m128i *) by_prev_high);
	const __m128i prev_low = _mm_loadu_si128((const __m128i *) by_prev_low);
	const __m128i own_high = _mm_loadu_si128((const __m128i *) by_high);
	const __m128i nib = _mm_set1_epi8(0x0F);
	__m128i		cls,
				two_back,
				three_back,
				third_or_fourth;

	cls = _mm_and_si128(_mm_shuffle_epi8(prev_high, _mm_and_si128(_mm_srli_epi16(p1, 4), nib)),
						_mm_shuffle_epi8(prev_low, _mm_and_si128(p1, nib)));
	cls = _mm_and_si128(cls, _mm_shuffle_epi8(own_high, _mm_and_si128(_mm_srli_epi16(v, 4), nib)));
	/* bit 7 set where two back is >= E0 or three back is >= F0 */
	two_back = _mm_subs_epu8(p2, _mm_set1_epi8(0xE0 - 0x80));
	three_back = _mm_subs_epu8(p3, _mm_set1_epi8(0xF0 - 0x80));
	third_or_fourth = _mm_and_si128(_mm_or_si128(two_back, three_back),
									_mm_set1_epi8((char) 0x80));
	return _mm_xor_si128(cls, third_or_fourth);
}

/*
 * Is [s, s+len) UTF-8 without NUL?  The span of its bytes >= 0x80 is
 * returned as qr_high_span would.  Blocks are read at 0, 16, ... and the
 * last one ends at the end, overlapping the one before; a block's
 * predecessor bytes are read from memory, except in the first, where they
 * are the zeros before the payload (ASCII).  A payload under 32 bytes is
 * copied into 32 zeros first: a character it cuts off is then followed by
 * a zero, which is an error as the end is.
 */
__attribute__((target("ssse3")))
static int
utf8_valid_ssse3(const unsigned char *s, size_t len, size_t *first, size_t *last)
{
	const __m128i zero = _mm_setzero_si128();
	unsigned char pad[32];
	__m128i		v,
				errors;
	size_t		n = len,
				lo = len,
				hi = len;
	unsigned	m;

	if (len < 32)
	{
		/* NULs are looked for here, the padding's zeros are not NULs */
		if (memchr(s, 0, len) != NULL)
			return 0;
		memset(pad, 0, sizeof(pad));
		memcpy(pad, s, len);
		s = pad;
		n = sizeof(pad);
	}
	v = _mm_loadu_si128((const __m128i *) s);
	errors = utf8_block_errors(v, _mm_slli_si128(v, 1), _mm_slli_si128(v, 2),
							   _mm_slli_si128(v, 3));
	if (s != pad)
		errors = _mm_or_si128(errors, _mm_cmpeq_epi8(v, zero));
	if ((m = (unsigned) _mm_movemask_epi8(v)) != 0)
	{
		lo = (size_t) __builtin_ctz(m);
		hi = 32 - (size_t) __builtin_clz(m);
	}
	for (size_t i = 16; i < n; i += 16)
	{
		size_t		at = n - i >= 16 ? i : n - 16;

		v = _mm_loadu_si128((const __m128i *) (s + at));
		errors = _mm_or_si128(errors, utf8_block_errors(
								  v, _mm_loadu_si128((const __m128i *) (s + at - 1)),
								  _mm_loadu_si128((const __m128i *) (s + at - 2)),
								  _mm_loadu_si128((const __m128i *) (s + at - 3))));
		if (s != pad)
			errors = _mm_or_si128(errors, _mm_cmpeq_epi8(v, zero));
		if ((m = (unsigned) _mm_movemask_epi8(v)) != 0)
		{
			if (lo == len)
				lo = at + (size_t) __builtin_ctz(m);
			hi = at + 32 - (size_t) __builtin_clz(m);
		}
	}
	if (_mm_movemask_epi8(_mm_cmpeq_epi8(errors, zero)) != 0xFFFF)
		return 0;
	/* a character the end cuts off (zeros follow a padded payload) */
	if (s[n - 1] >= 0xC0 || s[n - 2] >= 0xE0 || s[n - 3] >= 0xF0)
		return 0;
	*first = lo;
	*last = hi;
	return 1;
}

static int
ssse3_usable(void)
{
	static int	known = -1;

	if (known < 0)
		known = __builtin_cpu_supports("ssse3");
	return known;
}
#endif

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
qr_utf8_check_scalar(const char *buf, size_t len, int *ascii)
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
qr_utf8_check_scalar(const char *buf, size_t len, int *ascii)
{
	return qr_utf8_check_bytes(buf, len, ascii);
}

#endif

int
qr_utf8_valid_blocks(const char *buf, size_t len, size_t *first, size_t *last)
{
#ifdef QR_HAVE_SSSE3
	if (len > 0 && ssse3_usable())
		return utf8_valid_ssse3((const unsigned char *) buf, len, first, last);
#endif
	return -1;
}

/*
 * Valid text, the common case, is proved block-wise when the processor
 * allows; the scalar check runs for the rest and finds the first bad byte.
 */
long
qr_utf8_check_span(const char *buf, size_t len, int *ascii,
				   size_t *first, size_t *last)
{
	long		bad;

	if (qr_utf8_valid_blocks(buf, len, first, last) == 1)
	{
		if (ascii)
			*ascii = *first == len;
		return -1;
	}
	if ((bad = qr_utf8_check_scalar(buf, len, ascii)) < 0)
		qr_high_span(buf, len, first, last);
	return bad;
}

/* The same without the span, which the byte-level check need not look for. */
long
qr_utf8_check(const char *buf, size_t len, int *ascii)
{
	size_t		first,
				last;

	if (qr_utf8_valid_blocks(buf, len, &first, &last) == 1)
	{
		if (ascii)
			*ascii = first == len;
		return -1;
	}
	return qr_utf8_check_scalar(buf, len, ascii);
}

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

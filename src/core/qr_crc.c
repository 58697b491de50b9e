/*
 * qr_crc.c — CRC-16/CCITT-FALSE (EMVCo MPM §4.7.3: ISO/IEC 13239, polynomial
 * 0x1021, initial value 0xFFFF, unreflected, no final xor; check value 29B1
 * for "123456789").
 *
 * The CRC is checked for every payload that enters the database, so it is on
 * the COPY path.  A bit-at-a-time loop costs 8 shifts per byte; "slicing by
 * 8" tables (4 KiB, they stay in L1) fold eight bytes per step with
 * independent lookups the CPU can overlap; on x86-64 with PCLMULQDQ,
 * carry-less multiplication folds sixteen bytes per step.
 */
#include "qrpay_core.h"

#define SLICES 8

static uint16_t crc_table[SLICES][256];
static int	crc_ready;

/*
 * Tables are derived, not transcribed, so they cannot drift from the
 * polynomial.  Building them is idempotent: two threads racing here write
 * the same values, so no lock is needed (the server is single-threaded per
 * backend anyway; the fuzzers are single-threaded).
 */
static void
crc_init(void)
{
	for (int i = 0; i < 256; i++)
	{
		uint16_t	c = (uint16_t) (i << 8);

		for (int k = 0; k < 8; k++)
			c = (c & 0x8000) ? (uint16_t) ((c << 1) ^ 0x1021) : (uint16_t) (c << 1);
		crc_table[0][i] = c;
	}
	/* table[k][i]: CRC of byte i followed by k zero bytes */
	for (int i = 0; i < 256; i++)
		for (int k = 1; k < SLICES; k++)
		{
			uint16_t	prev = crc_table[k - 1][i];

			crc_table[k][i] = (uint16_t) ((prev << 8) ^ crc_table[0][prev >> 8]);
		}
	crc_ready = 1;
}

static uint16_t
crc_tables(uint16_t crc, const unsigned char *p, size_t len)
{
	while (len >= SLICES)
	{
		/*
		 * The 16-bit state meets the first two bytes; the other six are only
		 * shifted through, so they index the tables directly: table k holds
		 * a byte followed by k more bytes of this block.
		 */
		crc = (uint16_t) (crc_table[7][(crc >> 8) ^ p[0]] ^
						  crc_table[6][(crc & 0xFF) ^ p[1]] ^
						  crc_table[5][p[2]] ^ crc_table[4][p[3]] ^
						  crc_table[3][p[4]] ^ crc_table[2][p[5]] ^
						  crc_table[1][p[6]] ^ crc_table[0][p[7]]);
		p += SLICES;
		len -= SLICES;
	}
	while (len--)
		crc = (uint16_t) ((crc << 8) ^ crc_table[0][((crc >> 8) ^ *p++) & 0xFF]);
	return crc;
}

#if defined(__x86_64__) && defined(__GNUC__)
#define QR_HAVE_CLMUL 1
#include <immintrin.h>

/* x^n mod P for the folds by 128 and 256 bits, P = x^16 + x^12 + x^5 + 1 */
#define K_128 0xAEFC
#define K_192 0x650B
#define K_256 0x8E29
#define K_320 0x26AA
/* x^64 mod P, x^112 mod P, and floor(x^64 / P) for the Barrett step */
#define K_64 0xB861
#define K_112 0x4563
#define MU_64 0x111303471A041ULL
#define POLY 0x11021

/* carry-less product of two 64-bit polynomials, low and high halves */
__attribute__((target("pclmul,ssse3")))
static inline __m128i
clmul64(uint64_t a, uint64_t b)
{
	return _mm_clmulepi64_si128(_mm_cvtsi64_si128((long long) a),
								_mm_cvtsi64_si128((long long) b), 0x00);
}

/*
 * The CRC from 0 of the sixteen bytes whose register-order state is X, that
 * is X * x^16 mod P.  X is cut at bits 96 and 48 into a (32 bits), b and c
 * (48 bits each): X * x^16 = a * x^112 + b * x^64 + c * x^16, and with
 * x^112 and x^64 replaced by their residues the three terms fit in 64 bits,
 * W.  Barrett reduction then gives W mod P exactly: the quotient is
 * floor(floor(W / x^16) * floor(x^64 / P) / x^48), and W minus quotient * P
 * is the remainder, in the low 16 bits.
 */
__attribute__((target("pclmul,ssse3")))
static inline uint16_t
crc_finish(__m128i x)
{
	uint64_t	lo = (uint64_t) _mm_cvtsi128_si64(x);
	uint64_t	hi = (uint64_t) _mm_cvtsi128_si64(_mm_unpackhi_epi64(x, x));
	uint64_t	w,
				q;
	__m128i		t;

	t = _mm_xor_si128(clmul64(hi >> 32, K_112),
					  clmul64(((hi & 0xFFFFFFFFu) << 16) | (lo >> 48), K_64));
	w = (uint64_t) _mm_cvtsi128_si64(t) ^ ((lo & 0xFFFFFFFFFFFFULL) << 16);
	t = clmul64(w >> 16, MU_64);
	q = ((uint64_t) _mm_cvtsi128_si64(t) >> 48) |
		((uint64_t) _mm_cvtsi128_si64(_mm_unpackhi_epi64(t, t)) << 16);
	return (uint16_t) (w ^ (uint64_t) _mm_cvtsi128_si64(clmul64(q, POLY)));
}

/* X * x^128 (k = K_192:K_128) or X * x^256 (K_320:K_256), reduced below 80 bits */
__attribute__((target("pclmul,ssse3")))
static inline __m128i
fold(__m128i x, __m128i k)
{
	return _mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x11), _mm_clmulepi64_si128(x, k, 0x00));
}

/*
 * Carry-less multiplication folds 16 bytes per step: with the state X
 * (128 bits, first byte's top bit as x^127), X * x^128 mod P equals
 * X_hi * (x^192 mod P) + X_lo * (x^128 mod P), two PCLMULQDQs whose
 * products are under 80 bits, so the next block is simply XORed in.
 * The folded state has the same CRC as the bytes it replaced; the last
 * 16-byte state is reduced by crc_finish.
 *
 * A CRC whose register starts at I equals the CRC from 0 of the bytes
 * with I XORed into the first two, and from 0 leading zero bytes change
 * nothing.  So the payload is taken as if zeros came first, enough to
 * make its length a multiple of 16: the first block is its first
 * len % 16 bytes shifted to the block's end (one PSHUFB, which also puts
 * the bytes in register order), and every later block is whole, with no
 * byte-at-a-time tail.  When len % 16 is 1, the first byte is taken
 * through the tables so that I's two bytes fall in the first block.
 *
 * Each fold waits for the one before it, so two states take alternate
 * blocks, each folded by 256 bits, and are joined at the end: half the
 * chain of dependent multiplications.
 */
__attribute__((target("pclmul,ssse3")))
static uint16_t
crc_clmul(const unsigned char *p, size_t len)
{
	/* loaded at offset k: byte j of the result is byte 15 - j - k, or 0 */
	static const unsigned char shift_rev[32] = {
		15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0,
		0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
		0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80
	};
	const __m128i rev = _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
	const __m128i k128 = _mm_set_epi64x(K_192, K_128);
	const __m128i k256 = _mm_set_epi64x(K_320, K_256);
	__m128i		x,
				y;
	uint16_t	init = 0xFFFF;
	size_t		head;

	if (len % 16 == 1)
	{
		init = crc_tables(init, p, 1);
		p++;
		len--;
	}
	head = len % 16 ? len % 16 : 16;
	x = _mm_xor_si128(_mm_loadu_si128((const __m128i *) p),
					  _mm_cvtsi32_si128((int) ((init >> 8) | ((init & 0xFF) << 8))));
	x = _mm_shuffle_epi8(x, _mm_loadu_si128((const __m128i *) (shift_rev + 16 - head)));
	p += head;
	len -= head;
	/* len >= 32 on entry leaves at least one whole block */
	y = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *) p), rev);
	p += 16;
	len -= 16;
	while (len >= 32)
	{
		x = _mm_xor_si128(fold(x, k256),
						  _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *) p), rev));
		y = _mm_xor_si128(fold(y, k256),
						  _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *) (p + 16)), rev));
		p += 32;
		len -= 32;
	}
	x = _mm_xor_si128(fold(x, k128), y);
	if (len >= 16)
		x = _mm_xor_si128(fold(x, k128),
						  _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *) p), rev));
	return crc_finish(x);
}

static int
clmul_usable(void)
{
	static int	known = -1;

	if (known < 0)
		known = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("ssse3");
	return known;
}
#endif

uint16_t
qr_crc16(const void *buf, size_t len)
{
	if (!crc_ready)
		crc_init();
#ifdef QR_HAVE_CLMUL
	/* below two blocks the tables are as fast */
	if (len >= 32 && clmul_usable())
		return crc_clmul(buf, len);
#endif
	return crc_tables(0xFFFF, buf, len);
}

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
 * The folded state has the same CRC as the bytes it replaced, so the last
 * 16-byte state finishes through the tables: no Barrett step.
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
	unsigned char state[16];

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
	_mm_storeu_si128((__m128i *) state, _mm_shuffle_epi8(x, rev));
	return crc_tables(0, state, 16);
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

/*
 * test_utf8.c — unit tests of the fast paths under validation
 * (src/core/qr_utf8.c, qr_utf8.h, the CRC digits of qr_emv.c), each
 * against a plain byte-by-byte definition:
 *   - the block-wise UTF-8 check against the byte-level one, on every
 *     sequence of four bytes from the bytes where RFC 3629's rules change,
 *     at offsets inside a block, across a block boundary and at the end;
 *   - character skipping by blocks against stepping one character at a
 *     time, for every count, in values with and without readable bytes
 *     around them;
 *   - the CRC's four digits, read as one word, against a per-character
 *     reading, for every ASCII byte in every position.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qrpay_core.h"
#include "qr_utf8.h"
#include "check.h"

/* The bytes where a rule of RFC 3629 §4 starts or stops, and a few more. */
static const unsigned char edges[] = {
	0x00, 0x01, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1,
	0xC2, 0xDF, 0xE0, 0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4,
	0xF5, 0xF7, 0xF8, 0xFF,
};

#define N_EDGES (sizeof(edges) / sizeof(edges[0]))

/*
 * Where the four bytes go, buffer length and offset: under 32 bytes (the
 * copied case) at the start, the end and across byte 16; from 32 bytes on
 * at the start (first block), across a block boundary and at the end
 * (the last block, which overlaps the one before).
 */
static const struct
{
	size_t		len,
				at;
}			places[] = {
	{4, 0}, {16, 12}, {20, 14}, {33, 29}, {40, 0}, {40, 14}, {40, 36},
};

static void
test_blocks(void)
{
	unsigned char buf[64];
	size_t		first,
				last,
				f2,
				l2;
	long		tried = 0,
				wrong = 0,
				valid = 0;
	int			have = qr_utf8_valid_blocks("A", 1, &first, &last);

#if defined(__x86_64__) && defined(__GNUC__)
	CHECK(have == 1 || !__builtin_cpu_supports("ssse3"),
		  "the block-wise check runs on this x86-64 processor (%d)", have);
#else
	CHECK(have == -1, "no block-wise check outside x86-64 (%d)", have);
#endif
	if (have < 0)
		return;
	for (size_t p = 0; p < sizeof(places) / sizeof(places[0]); p++)
		for (size_t a = 0; a < N_EDGES; a++)
			for (size_t b = 0; b < N_EDGES; b++)
				for (size_t c = 0; c < N_EDGES; c++)
					for (size_t d = 0; d < N_EDGES; d++)
					{
						size_t		len = places[p].len,
									at = places[p].at;
						int			ascii,
									blocks;
						long		bad;

						memset(buf, 'A', len);
						buf[at] = edges[a];
						buf[at + 1] = edges[b];
						buf[at + 2] = edges[c];
						buf[at + 3] = edges[d];
						blocks = qr_utf8_valid_blocks((const char *) buf, len, &first, &last);
						bad = qr_utf8_check_scalar((const char *) buf, len, &ascii);
						tried++;
						if (blocks != (bad < 0))
						{
							if (wrong++ < 5)
								fprintf(stderr, "blocks %d, bytes %ld: %02X %02X %02X %02X at %zu of %zu\n",
										blocks, bad, edges[a], edges[b], edges[c], edges[d], at, len);
							continue;
						}
						if (!blocks)
							continue;
						valid++;
						qr_high_span((const char *) buf, len, &f2, &l2);
						if (first != f2 || last != l2)
							wrong++;
					}
	CHECK(wrong == 0 && valid > 0,
		  "block-wise and byte-level UTF-8 checks agree on %ld buffers (%ld valid, %ld differ)",
		  tried, valid, wrong);
}

/* A random well-formed character of 1-4 bytes at s; its length. */
static int
random_char(unsigned char *s, uint32_t *seed)
{
	static const char *const chars[] = {"A", "7", " ", "\xC3\xA9", "\xD7\x90",
										"\xE4\xB8\xAD", "\xE1\x9E\x80", "\xEF\xBC\x88", "\xF0\x9F\x98\x80"
									   };
	const char *c;

	*seed = *seed * 1103515245u + 12345u;
	c = chars[(*seed >> 16) % (sizeof(chars) / sizeof(chars[0]))];
	memcpy(s, c, strlen(c));
	return (int) strlen(c);
}

/* Step over n characters one at a time: the definition. */
static const char *
skip_reference(const char *p, const char *end, int n)
{
	while (n-- > 0)
	{
		if (p >= end)
			return NULL;
		p += qr_utf8_width((unsigned char) *p);
	}
	return p <= end ? p : NULL;
}

static void
test_skip(void)
{
	unsigned char buf[160];
	uint32_t	seed = 17;
	long		tried = 0,
				wrong = 0;

	for (int round = 0; round < 3000; round++)
	{
		int			pre = round % 24,
					len = 0,
					chars = 0,
					target = (round * 7) % 70;
		size_t		total;

		memset(buf, 'x', sizeof(buf));
		while (len < target)
		{
			len += random_char(buf + pre + len, &seed);
			chars++;
		}
		total = (size_t) pre + (size_t) len + (size_t) (round % 5);
		for (int n = 0; n <= chars + 1; n++)
		{
			const char *p = (const char *) buf + pre;
			const char *end = p + len;
			const char *want = skip_reference(p, end, n);

			tried += 2;
			/* only the value readable, then the whole buffer */
			if (qr_utf8_skip(p, end, n) != want)
				wrong++;
			if (qr_utf8_skip_in(p, end, (const char *) buf, (const char *) buf + total, n) != want)
				wrong++;
		}
	}
	CHECK(wrong == 0, "skipping characters by blocks agrees with stepping one at a time (%ld of %ld differ)",
		  wrong, tried);
}

/*
 * Every ASCII byte in each position of a correct CRC: the verdict the
 * digits' reading gives against what the characters say.
 */
static void
test_crc_digits(void)
{
	static const char body[] =
		"00020101021129300012D156000000000510A93FO3230Q31280012D15600000001030812345678"
		"52044111530315654031005802CN5914BEST TRANSPORT6007BEIJING6304";
	size_t		n = strlen(body);
	char		buf[sizeof(body) + 4];
	char		good[5];
	long		wrong = 0;

	memcpy(buf, body, n);
	snprintf(good, sizeof(good), "%04X", qr_crc16(body, n));
	for (int pos = 0; pos < 4; pos++)
		for (int c = 1; c < 0x80; c++)
		{
			qr_error	err;
			qr_errcode	rc;
			int			hex = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') ||
							  (c >= 'a' && c <= 'f');
			int			same = hex && (c | 0x20) == (good[pos] | 0x20);
			const char *want;

			memcpy(buf + n, good, 4);
			buf[n + pos] = (char) c;
			rc = qr_validate(buf, n + 4, &err, NULL, NULL);
			if (!hex)
				want = "is not 4 hex digits";
			else if (!same)
				want = "CRC mismatch";
			else if (c >= 'a')
				want = "uppercase";
			else
				want = NULL;
			if (want == NULL ? rc != QR_OK
				: rc != QR_ERR_CRC || strstr(err.message, want) == NULL)
			{
				if (wrong++ < 5)
					fprintf(stderr, "CRC digit 0x%02X at %d: %s\n", c, pos,
							rc == QR_OK ? "accepted" : err.message);
			}
		}
	CHECK(wrong == 0, "every ASCII byte in every CRC position gets the right verdict (%ld wrong)",
		  wrong);
}

void
test_utf8(void)
{
	test_blocks();
	test_skip();
	test_crc_digits();
}

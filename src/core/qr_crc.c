/*
 * qr_crc.c — CRC-16/CCITT-FALSE (EMVCo MPM §4.7.3: ISO/IEC 13239, polynomial
 * 0x1021, initial value 0xFFFF, unreflected, no final xor; check value 29B1
 * for "123456789").
 *
 * The CRC is checked for every payload that enters the database, so it is on
 * the COPY path.  A bit-at-a-time loop costs 8 shifts per byte; "slicing by
 * 4" tables fold four bytes per step instead, which keeps validation of a
 * typical 150-byte code well under the cost of the TLV walk.
 */
#include "qrpay_core.h"

static uint16_t crc_table[4][256];
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
		for (int k = 1; k < 4; k++)
		{
			uint16_t	prev = crc_table[k - 1][i];

			crc_table[k][i] = (uint16_t) ((prev << 8) ^ crc_table[0][prev >> 8]);
		}
	crc_ready = 1;
}

uint16_t
qr_crc16(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint16_t	crc = 0xFFFF;

	if (!crc_ready)
		crc_init();

	while (len >= 4)
	{
		/*
		 * The 16-bit state meets the first two bytes; the last two bytes are
		 * only shifted through, so they index the tables directly.
		 */
		unsigned	a = (unsigned) ((crc >> 8) ^ p[0]);
		unsigned	b = (unsigned) ((crc & 0xFF) ^ p[1]);

		crc = (uint16_t) (crc_table[3][a] ^ crc_table[2][b] ^
						  crc_table[1][p[2]] ^ crc_table[0][p[3]]);
		p += 4;
		len -= 4;
	}
	while (len--)
		crc = (uint16_t) ((crc << 8) ^ crc_table[0][((crc >> 8) ^ *p++) & 0xFF]);
	return crc;
}

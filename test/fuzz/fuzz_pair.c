/*
 * fuzz_pair.c — libFuzzer harness for qr_pair_nearest (reconciliation's
 * pairing by nearest time).
 *
 * Input: a window (2 bytes, or the whole int64 range), then one row per
 * 3 bytes: a time step, a side and a spread that makes some steps huge,
 * so that gaps near INT64_MAX are tried.  Rows come in time order, as the
 * function requires.  Properties: the pairing is symmetric, pairs join
 * rows of different sides at most window apart, pairs never cross (the
 * k-th paired ledger row goes with the k-th paired statement row), and no
 * two adjacent unpaired rows of different sides lie within the window
 * (the greedy pairing leaves none).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qrpay_core.h"

#define MAX_ROWS 512

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int64_t t[MAX_ROWS];
	static unsigned char side[MAX_ROWS];
	static long mate[MAX_ROWS];
	static int64_t work[QR_PAIR_WORK(MAX_ROWS) / sizeof(int64_t) + 1];
	int64_t		window,
				now;
	long		n = 0,
				prev_l = -1,
				prev_s = -1,
				last = -1;

	if (size < 3)
		return 0;
	window = data[0] == 0xFF ? INT64_MAX : (int64_t) (data[0] << 8 | data[1]);
	/* the first row may sit anywhere, the far past included */
	now = data[2] & 1 ? INT64_MIN + data[2] : -(int64_t) data[2] * 1000;
	for (size_t k = 3; k + 2 < size && n < MAX_ROWS; k += 3)
	{
		int64_t		step = data[k];

		/* a huge gap, saturating at INT64_MAX */
		if (data[k + 2] & 0x80)
			step = (data[k + 2] & 0x3F) >= 55 ? INT64_MAX : step << (data[k + 2] & 0x3F);
		if (now > INT64_MAX - step)
			now = INT64_MAX;
		else
			now += step;
		t[n] = now;
		side[n] = data[k + 1] & 1;
		n++;
	}
	qr_pair_nearest(t, side, n, window, mate, work);
	for (long i = 0; i < n; i++)
	{
		long		m = mate[i];

		if (m < -1 || m >= n)
			abort();
		if (m < 0)
			continue;
		if (mate[m] != i || side[m] == side[i])
			abort();
		/* within the window: rows are in time order, so compare without overflow */
		{
			int64_t		lo = t[i < m ? i : m],
						hi = t[i < m ? m : i];

			if (lo < 0 && hi > INT64_MAX + lo)
				abort();
			if (hi - lo > window)
				abort();
		}
		/* uncrossed: ledger rows in order pair with statement rows in order */
		if (side[i] == 0)
		{
			if (prev_l >= 0 && m <= mate[prev_l])
				abort();
			prev_l = i;
		}
		else
		{
			if (prev_s >= 0 && m <= mate[prev_s])
				abort();
			prev_s = i;
		}
	}
	/* maximal: among the unpaired rows, no adjacent two could still pair */
	for (long i = 0; i < n; i++)
	{
		if (mate[i] >= 0)
			continue;
		if (last >= 0 && side[last] != side[i] &&
			!(t[last] < 0 && t[i] > INT64_MAX + t[last]) && t[i] - t[last] <= window)
			abort();
		last = i;
	}
	return 0;
}

/*
 * fuzz_subset.c — libFuzzer harness for qr_subset_find (the rows of one
 * side that add up to a row of the other), against the brute force of
 * subset_oracle.h.
 *
 * Input: min_rows, max_rows and budget (a byte each; budget 0xFF is
 * unbounded), a 2-byte mask choosing the amounts the target is the sum of
 * (mask 0: INT64_MIN, 0xFFFF: INT64_MAX), then one amount per 2 bytes: the
 * top bits of the first choose small signed change, cents, or a value near
 * INT64_MAX or INT64_MIN, so that sums pass 2^63 and 2^64.  Properties:
 * with an unbounded budget the answer is the brute force's; with the given
 * budget it is the same answer or GAVE_UP, and a larger budget never gives
 * up where a smaller one did not.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qr_subset.h"
#include "subset_oracle.h"

/* the MANY check walks pairs of subsets: 3^n, kept small */
#define FUZZ_ROWS 12

static qr_subset_result
run(int64_t target, const int64_t *amount, size_t n, int lo, int hi, long budget,
	size_t *pick, int *npick)
{
	static uint64_t work[QR_SUBSET_WORK(FUZZ_ROWS, FUZZ_ROWS) / sizeof(uint64_t) + 1];

	return qr_subset_find(target, amount, n, lo, hi, budget, pick, npick, work);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int64_t		amount[FUZZ_ROWS] = {0};
	size_t		pick[2 * FUZZ_ROWS],
				bounded_pick[2 * FUZZ_ROWS],
				n = 0;
	int			npick,
				bounded_npick,
				lo,
				hi;
	unsigned	mask;
	long		budget;
	int64_t		target = 0;
	qr_subset_result full,
					 bounded;
	const char *why;

	if (size < 5)
		return 0;
	lo = data[0] % 5 - 1;
	hi = data[1] % 8 - 1;
	budget = data[2] == 0xFF ? LONG_MAX : (long) data[2];
	mask = (unsigned) data[3] << 8 | data[4];
	for (size_t k = 5; k + 1 < size && n < FUZZ_ROWS; k += 2)
	{
		uint8_t		b = data[k],
					v = data[k + 1];

		switch (b >> 6)
		{
			case 0:
				amount[n] = (int8_t) v;
				break;
			case 1:
				amount[n] = (int64_t) ((b & 0x3F) << 8 | v) * (b & 1 ? -1 : 1);
				break;
			case 2:
				amount[n] = INT64_MAX - (int64_t) (v & 7);
				break;
			default:
				amount[n] = INT64_MIN + (int64_t) (v & 7);
				break;
		}
		n++;
	}
	if (mask == 0)
		target = INT64_MIN;
	else if (mask == 0xFFFF)
		target = INT64_MAX;
	else
	{
		uint64_t	sum = 0;

		for (size_t i = 0; i < n; i++)
			if (mask >> i & 1)
				sum += (uint64_t) amount[i];
		target = (int64_t) sum;
	}

	full = run(target, amount, n, lo, hi, LONG_MAX, pick, &npick);
	why = oracle_check(target, amount, n, lo, hi, full, pick, npick);
	if (why != NULL)
	{
		fprintf(stderr, "qr_subset_find: %s\n", why);
		abort();
	}
	bounded = run(target, amount, n, lo, hi, budget, bounded_pick, &bounded_npick);
	if (bounded == QR_SUBSET_GAVE_UP)
	{
		if (bounded_npick != 0)
			abort();
		return 0;
	}
	if (bounded != full || bounded_npick != npick ||
		memcmp(bounded_pick, pick, (size_t) npick * sizeof(size_t)) != 0)
		abort();
	if (budget < LONG_MAX &&
		run(target, amount, n, lo, hi, budget + 1, bounded_pick, &bounded_npick) != full)
		abort();
	return 0;
}

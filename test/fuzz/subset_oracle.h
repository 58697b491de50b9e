/*
 * subset_oracle.h — what qr_subset_find must answer, by brute force over
 * every subset of at most ORACLE_MAX amounts.  Shared by the unit tests
 * (test/unit/test_money.c) and the fuzzer (test/fuzz/fuzz_subset.c).
 */
#ifndef QRPAY_SUBSET_ORACLE_H
#define QRPAY_SUBSET_ORACLE_H

#include <stddef.h>
#include <stdint.h>

#include "qr_subset.h"

#define ORACLE_MAX 16

static uint64_t
oracle_magnitude(int64_t x)
{
	return x < 0 ? (uint64_t) 0 - (uint64_t) x : (uint64_t) x;
}

/* is the set of indexes in mask a subset the definition accepts? */
static int
oracle_valid(int64_t target, const int64_t *amount, size_t n, int lo, int hi, uint32_t mask)
{
	uint64_t	total = oracle_magnitude(target),
				sum = 0;
	int			rows = 0;

	for (size_t i = 0; i < n; i++)
	{
		uint64_t	a = oracle_magnitude(amount[i]);

		if (!(mask >> i & 1))
			continue;
		if (amount[i] == 0 || (amount[i] < 0) != (target < 0) || a >= total)
			return 0;
		if (a > total - sum)
			return 0;
		sum += a;
		rows++;
	}
	return sum == total && rows >= lo && rows <= hi && rows >= 1;
}

/*
 * Checks one complete answer (not GAVE_UP) of qr_subset_find against every
 * subset; returns NULL when it is right, else what is wrong.
 */
static const char *
oracle_check(int64_t target, const int64_t *amount, size_t n, int lo, int hi,
			 qr_subset_result got, const size_t *pick, int npick)
{
	uint32_t	picked = 0,
				only = 0;
	long		count = 0;

	if (n > ORACLE_MAX)
		return "too many amounts for the oracle";
	for (uint32_t mask = 1; mask < (uint32_t) 1 << n; mask++)
		if (oracle_valid(target, amount, n, lo, hi, mask))
		{
			only = mask;
			count++;
		}
	if (npick < 0 || npick > 2 * ORACLE_MAX)
		return "npick out of range";
	for (int i = 0; i < npick; i++)
	{
		if (pick[i] >= n)
			return "pick out of range";
		if (i > 0 && pick[i] <= pick[i - 1])
			return "pick not ascending";
		picked |= (uint32_t) 1 << pick[i];
	}
	switch (got)
	{
		case QR_SUBSET_NONE:
			if (count != 0)
				return "NONE, but a subset exists";
			return npick == 0 ? NULL : "NONE with a pick";
		case QR_SUBSET_ONE:
			if (count != 1)
				return count ? "ONE, but there are several subsets" : "ONE, but there is none";
			return picked == only ? NULL : "ONE, but not the subset";
		case QR_SUBSET_MANY:
			if (count < 2)
				return "MANY, but there are fewer than two subsets";
			/* pick must be the union of two different subsets */
			for (uint32_t a = picked; a != 0; a = (a - 1) & picked)
			{
				uint32_t	rest = picked & ~a;

				if (!oracle_valid(target, amount, n, lo, hi, a))
					continue;
				/* b covers the rest of pick and some of a, and is not a */
				for (uint32_t sub = a;; sub = (sub - 1) & a)
				{
					uint32_t	b = rest | sub;

					if (b != a && oracle_valid(target, amount, n, lo, hi, b))
						return NULL;
					if (sub == 0)
						break;
				}
			}
			return "MANY, but pick is not the union of two subsets";
		case QR_SUBSET_GAVE_UP:
			break;
	}
	return "gave up";
}

#endif							/* QRPAY_SUBSET_ORACLE_H */

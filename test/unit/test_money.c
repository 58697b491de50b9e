/*
 * test_money.c — unit tests of ISO 4217 minor units (src/core/qr_names.c)
 * and of the bounded subset search (src/core/qr_subset.c).
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "qrpay_core.h"
#include "qr_subset.h"
#include "check.h"
#include "subset_oracle.h"

#define MINOR(s) qr_iso4217_minor((s), strlen(s))

static void
test_minor_units(void)
{
	int			listed = 0,
				by_letters = 0;

	CHECK(MINOR("JPY") == 0, "JPY 0");
	CHECK(MINOR("CNY") == 2, "CNY 2");
	CHECK(MINOR("BHD") == 3, "BHD 3");
	CHECK(MINOR("CLF") == 4, "CLF 4");
	CHECK(MINOR("UYW") == 4, "UYW 4");
	CHECK(MINOR("XAU") == -1, "XAU N.A.");
	CHECK(MINOR("XXX") == -1, "XXX N.A.");
	CHECK(MINOR("HRK") == 2 && MINOR("SLL") == 2, "withdrawn codes kept: 2");
	CHECK(MINOR("156") == 2, "156 CNY");
	CHECK(MINOR("392") == 0, "392 JPY");
	CHECK(MINOR("048") == 3, "048 BHD");
	CHECK(MINOR("959") == -1, "959 XAU");
	CHECK(MINOR("jpy") == 0 && MINOR("Jpy") == 0 && MINOR("bhD") == 3, "letters in either case");
	CHECK(MINOR("ABC") == -1, "unknown letters");
	CHECK(MINOR("000") == -1, "unknown number");
	CHECK(MINOR("JP") == -1 && MINOR("JPYY") == -1 && MINOR("") == -1, "not three characters");
	CHECK(MINOR(" JP") == -1 && MINOR("JP1") == -1 && MINOR("1JP") == -1 && MINOR("15 ") == -1,
		  "neither letters nor digits");
	CHECK(qr_iso4217_minor("JPY", 2) == -1, "length is honoured");
	CHECK(qr_iso4217_minor("J\0Y", 3) == -1, "NUL is no letter");
	CHECK(MINOR("\xEF\xBC\xAA") == -1, "non-ASCII bytes");

	{
		static const char *const zero[] = {
			"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX",
			"UYI", "VND", "VUV", "XAF", "XOF", "XPF"
		};
		static const char *const three[] = {"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"};
		static const char *const none[] = {
			"XAU", "XAG", "XPT", "XPD", "XBA", "XBB", "XBC", "XBD", "XDR", "XSU", "XUA", "XTS", "XXX"
		};

		for (size_t i = 0; i < sizeof(zero) / sizeof(zero[0]); i++)
			CHECK(MINOR(zero[i]) == 0, "%s has no minor unit", zero[i]);
		for (size_t i = 0; i < sizeof(three) / sizeof(three[0]); i++)
			CHECK(MINOR(three[i]) == 3, "%s has 3 decimals", three[i]);
		for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++)
			CHECK(MINOR(none[i]) == -1, "%s: N.A.", none[i]);
	}

	/*
	 * Every numeric code's letters resolve to the same currency, and no
	 * other letters resolve at all: the two tables hold the same codes.
	 */
	for (int num = 0; num < 1000; num++)
	{
		char		digits[4];
		const char *alpha;
		int			minor;

		snprintf(digits, sizeof(digits), "%03d", num);
		alpha = qr_iso4217_alpha(digits, 3);
		minor = qr_iso4217_minor(digits, 3);
		if (alpha == NULL)
		{
			CHECK(minor == -1 && qr_iso4217_number(digits, 3) == -1, "%s unknown", digits);
			continue;
		}
		listed++;
		CHECK(qr_iso4217_number(alpha, 3) == num, "%s resolves to %s", alpha, digits);
		CHECK(qr_iso4217_number(digits, 3) == num, "%s is itself", digits);
		CHECK(MINOR(alpha) == minor, "%s and %s agree", alpha, digits);
		CHECK(minor >= -1 && minor <= 4, "%s: minor unit %d", alpha, minor);
	}
	for (char a = 'A'; a <= 'Z'; a++)
		for (char b = 'A'; b <= 'Z'; b++)
			for (char c = 'A'; c <= 'Z'; c++)
			{
				char		code[3] = {a, b, c};
				char		lower[3] = {(char) (a + 32), (char) (b + 32), (char) (c + 32)};
				int			num = qr_iso4217_number(code, 3);

				if (num < 0)
					continue;
				by_letters++;
				CHECK(qr_iso4217_number(lower, 3) == num, "%.3s in lower case", code);
			}
	CHECK(listed == by_letters && listed > 170, "%d codes by number, %d by letters", listed, by_letters);
}

/* ------------------------------------------------------------------ */

static uint64_t rng = 0x9E3779B97F4A7C15u;

static uint64_t
next_random(void)
{
	/* xorshift64*: reproducible across platforms */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545F4914F6CDD1Du;
}

typedef struct
{
	qr_subset_result result;
	size_t		pick[2 * ORACLE_MAX];
	int			npick;
} answer;

static answer
find(int64_t target, const int64_t *amount, size_t n, int lo, int hi, long budget)
{
	static uint64_t work[QR_SUBSET_WORK(64, 64) / sizeof(uint64_t) + 1];
	answer		a;

	memset(&a, 0, sizeof(a));
	a.result = qr_subset_find(target, amount, n, lo, hi, budget, a.pick, &a.npick, work);
	return a;
}

static int
same_answer(const answer *x, const answer *y)
{
	return x->result == y->result && x->npick == y->npick &&
		   memcmp(x->pick, y->pick, (size_t) x->npick * sizeof(size_t)) == 0;
}

/* one random case against the oracle, with an unbounded and a small budget */
static void
check_random_case(int round)
{
	int64_t		amount[ORACLE_MAX];
	size_t		n = (size_t) (next_random() % (ORACLE_MAX + 1));
	int			kind = (int) (next_random() % 4);
	int			lo = (int) (next_random() % 4);
	int			hi = lo + (int) (next_random() % 6) - 1;
	int64_t		target;
	answer		full,
				again,
				bounded;
	const char *why;
	long		budget = (long) (next_random() % 40);

	for (size_t i = 0; i < n; i++)
	{
		switch (kind)
		{
			case 0:				/* few distinct values: ties */
				amount[i] = (int64_t) (next_random() % 7) - 2;
				break;
			case 1:				/* cents of everyday payments */
				amount[i] = (int64_t) (next_random() % 5000) + 1;
				break;
			case 2:				/* near the ends of int64, and small change */
				if (next_random() % 3 == 0)
					amount[i] = (int64_t) (next_random() % 7) - 3;
				else
					amount[i] = next_random() & 1 ? INT64_MAX - (int64_t) (next_random() % 4)
								: INT64_MIN + (int64_t) (next_random() % 4);
				break;
			default:			/* both signs */
				amount[i] = (int64_t) (next_random() % 41) - 20;
				break;
		}
	}
	/* half the targets are sums of a few amounts, so subsets exist */
	if (n > 0 && next_random() % 2)
	{
		uint64_t	sum = 0;

		for (size_t i = 0; i < n; i++)
			if (next_random() % 3 == 0)
				sum += (uint64_t) amount[i];
		target = (int64_t) sum;
	}
	else if (kind == 2)
		target = next_random() & 1 ? INT64_MIN : INT64_MAX;
	else
		target = (int64_t) (next_random() % 200) - 50;

	full = find(target, amount, n, lo, hi, LONG_MAX);
	why = oracle_check(target, amount, n, lo, hi, full.result, full.pick, full.npick);
	CHECK(why == NULL, "round %d: %s (n %zu, rows %d..%d, target %lld)", round, why, n, lo, hi,
		  (long long) target);
	again = find(target, amount, n, lo, hi, LONG_MAX);
	CHECK(same_answer(&full, &again), "round %d: not deterministic", round);
	/* a budget either suffices, for the same answer, or gives up */
	bounded = find(target, amount, n, lo, hi, budget);
	CHECK(bounded.result == QR_SUBSET_GAVE_UP ? bounded.npick == 0 : same_answer(&full, &bounded),
		  "round %d: budget %ld changes the answer", round, budget);
	if (bounded.result != QR_SUBSET_GAVE_UP)
	{
		answer		more = find(target, amount, n, lo, hi, budget + 1);

		CHECK(same_answer(&bounded, &more), "round %d: a larger budget gives up", round);
	}
}

static void
test_subset_cases(void)
{
	int64_t		a[64];
	answer		r;

	/* 10.00 = 3.00 + 7.00 only */
	{
		int64_t		x[] = {300, 450, 700, 1000, 1200};

		r = find(1000, x, 5, 2, 5, 1000);
		CHECK(r.result == QR_SUBSET_ONE && r.npick == 2 && r.pick[0] == 0 && r.pick[1] == 2,
			  "3.00 + 7.00 = 10.00 (the equal row is not a subset)");
		r = find(1000, x, 5, 3, 5, 1000);
		CHECK(r.result == QR_SUBSET_NONE && r.npick == 0, "no three rows make 10.00");
		r = find(1000, x, 5, 2, 1, 1000);
		CHECK(r.result == QR_SUBSET_NONE, "max_rows below min_rows");
	}
	/* two rows of equal amount: two index sets, a tie */
	{
		int64_t		x[] = {500, 250, 500, 250};

		r = find(750, x, 4, 2, 2, 1000);
		CHECK(r.result == QR_SUBSET_MANY, "equal amounts make a tie");
		CHECK(r.npick >= 3, "the competing rows: %d", r.npick);
	}
	/* negative targets take negative rows only; zero never takes part */
	{
		int64_t		x[] = {-300, 0, 300, -700, 700};

		r = find(-1000, x, 5, 2, 4, 1000);
		CHECK(r.result == QR_SUBSET_ONE && r.npick == 2 && r.pick[0] == 0 && r.pick[1] == 3,
			  "refunds add up to a negative payout");
		r = find(0, x, 5, 1, 4, 1000);
		CHECK(r.result == QR_SUBSET_NONE, "a zero target has no subset");
	}
	/* magnitudes near 2^63: sums overflow int64 but not the search */
	{
		int64_t		x[] = {INT64_MIN + 1, -1, INT64_MAX, INT64_MAX, INT64_MIN / 2 + 2, INT64_MIN / 2};

		r = find(INT64_MIN, x, 6, 2, 3, 1000);
		CHECK(r.result == QR_SUBSET_ONE && r.npick == 2 && r.pick[0] == 0 && r.pick[1] == 1,
			  "INT64_MIN = (INT64_MIN + 1) + (-1): %d", (int) r.result);
		r = find(INT64_MAX, x, 6, 2, 6, 1000);
		CHECK(r.result == QR_SUBSET_NONE, "INT64_MAX is no candidate of itself");
	}
	{
		/* the three large rows together pass 2^64 */
		int64_t		x[] = {-1, INT64_MIN + 1, INT64_MIN + 2, INT64_MIN + 3};

		r = find(INT64_MIN, x, 4, 2, 4, 1000);
		CHECK(r.result == QR_SUBSET_ONE && r.npick == 2 && r.pick[0] == 0 && r.pick[1] == 1,
			  "bounds above 2^64");
	}
	/* the budget counts rows tried */
	{
		int64_t		x[] = {1, 2, 4, 8, 16, 32};

		CHECK(find(63, x, 6, 2, 6, 6).result == QR_SUBSET_ONE, "six nodes suffice for six rows");
		CHECK(find(63, x, 6, 2, 6, 5).result == QR_SUBSET_GAVE_UP, "five do not");
		CHECK(find(63, x, 6, 2, 6, 0).result == QR_SUBSET_GAVE_UP, "no budget");
		CHECK(find(64, x, 6, 2, 6, 0).result == QR_SUBSET_NONE, "certain without a node");
	}

	/*
	 * Pruning: 64 rows of the same amount cannot make an amount that is no
	 * multiple of it: one row tried per level, not C(64, 5).
	 */
	for (int i = 0; i < 64; i++)
		a[i] = 700;
	CHECK(find(2000, a, 64, 2, 5, 64).result == QR_SUBSET_NONE, "identical rows tried once per level");
	CHECK(find(2100, a, 64, 2, 5, 64).result == QR_SUBSET_MANY, "and their sum is a tie");
	/* 64 distinct amounts: the three largest found at once */
	for (int i = 0; i < 64; i++)
		a[i] = 100000 + i * 37;
	r = find(a[63] + a[62] + a[61], a, 64, 2, 5, 3);
	CHECK(r.result == QR_SUBSET_GAVE_UP, "one subset, uncertain after three nodes");
	r = find(a[63] + a[62] + a[61], a, 64, 2, 5, 200000);
	CHECK(r.result == QR_SUBSET_ONE && r.npick == 3 && r.pick[0] == 61, "the three largest");
	/* beyond reach of five rows: refused at the root */
	CHECK(find(5 * a[63] + 1, a, 64, 2, 5, 0).result == QR_SUBSET_NONE, "beyond five rows");
	CHECK(find(2 * a[0] - 1, a, 64, 2, 5, 0).result == QR_SUBSET_NONE, "below two rows");
}

void
test_money(void)
{
	test_minor_units();
	test_subset_cases();
	for (int round = 0; round < 20000; round++)
		check_random_case(round);
}

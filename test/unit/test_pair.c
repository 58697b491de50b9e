/*
 * test_pair.c — unit tests of nearest-time pairing (src/core/qr_pair.c).
 */
#include <stdio.h>
#include <string.h>

#include "qrpay_core.h"
#include "check.h"

#define L 0
#define S 1
#define NONE (-1)

/* pairs n rows and checks every mate against want */
static void
expect(const char *name, const int64_t *t, const unsigned char *side, long n,
	   int64_t window, const long *want)
{
	long		mate[16],
				i;
	int64_t		work[QR_PAIR_WORK(16) / sizeof(int64_t) + 1];
	int			same = 1;

	qr_pair_nearest(t, side, n, window, mate, work);
	for (i = 0; i < n; i++)
		if (mate[i] != want[i])
			same = 0;
	CHECK(same, "%s: mates differ", name);
	if (!same)
		for (i = 0; i < n; i++)
			fprintf(stderr, "  row %ld: mate %ld, want %ld\n", i, mate[i], want[i]);
}

/*
 * The definition, by brute force: while some pair of rows of different
 * sides lies within the window, take the closest (on a tie, the one that
 * ends first, then the one that starts last: the adjacent one); then match
 * the k-th paired ledger row with the k-th paired statement row.
 */
static void
pair_by_definition(const int64_t *t, const unsigned char *side, long n,
				   int64_t window, long *mate)
{
	int			taken[16] = {0};
	long		led[16],
				stm[16],
				nl = 0,
				ns = 0,
				i,
				j;

	for (;;)
	{
		long		bi = -1,
					bj = -1;
		int64_t		best = 0;

		for (j = 0; j < n; j++)
			for (i = j - 1; i >= 0; i--)
			{
				int64_t		g = t[j] - t[i];

				if (taken[i] || taken[j] || side[i] == side[j] || g > window)
					continue;
				if (bi < 0 || g < best)
				{
					bi = i;
					bj = j;
					best = g;
				}
			}
		if (bi < 0)
			break;
		taken[bi] = taken[bj] = 1;
	}
	for (i = 0; i < n; i++)
	{
		mate[i] = -1;
		if (taken[i] && side[i] == 0)
			led[nl++] = i;
		else if (taken[i])
			stm[ns++] = i;
	}
	for (i = 0; i < nl; i++)
	{
		mate[led[i]] = stm[i];
		mate[stm[i]] = led[i];
	}
}

/* a small deterministic generator, so that a failure can be replayed */
static uint32_t
next_random(uint32_t *state)
{
	*state = *state * 1103515245u + 12345u;
	return *state >> 16;
}

static void
test_pair_random(void)
{
	uint32_t	state = 20251129;
	int			round,
				bad = 0;

	for (round = 0; round < 200000 && bad < 5; round++)
	{
		int64_t		t[12];
		unsigned char side[12];
		long		n = 1 + next_random(&state) % 12,
					mate[12],
					want[12],
					i;
		int64_t		work[QR_PAIR_WORK(12) / sizeof(int64_t) + 1];
		int64_t		window = next_random(&state) % 8;
		int			same = 1;

		/* few distinct times, so that ties are common */
		for (i = 0; i < n; i++)
		{
			t[i] = next_random(&state) % 16;
			side[i] = next_random(&state) % 2;
		}
		/* (time, side) order, as the callers sort */
		for (i = 1; i < n; i++)
		{
			long		k = i;

			while (k > 0 && (t[k - 1] > t[k] || (t[k - 1] == t[k] && side[k - 1] > side[k])))
			{
				int64_t		x = t[k];
				unsigned char y = side[k];

				t[k] = t[k - 1];
				side[k] = side[k - 1];
				t[k - 1] = x;
				side[k - 1] = y;
				k--;
			}
		}
		qr_pair_nearest(t, side, n, window, mate, work);
		pair_by_definition(t, side, n, window, want);
		for (i = 0; i < n; i++)
			if (mate[i] != want[i])
				same = 0;
		if (!same)
		{
			bad++;
			fprintf(stderr, "round %d, window %lld:", round, (long long) window);
			for (i = 0; i < n; i++)
				fprintf(stderr, " %c%lld:%ld/%ld", side[i] ? 'S' : 'L', (long long) t[i], mate[i], want[i]);
			fputc('\n', stderr);
		}
	}
	CHECK(bad == 0, "qr_pair_nearest differs from the definition in %d random clusters", bad);
}

void
test_pair(void)
{
	test_pair_random();

	/* the nearest statement row, not the first: S 10:00, L 10:10, S 10:11 */
	{
		const int64_t t[] = {0, 600, 660};
		const unsigned char side[] = {S, L, S};
		const long	want[] = {NONE, 2, 1};

		expect("nearest, not first", t, side, 3, 900, want);
	}
	/* two equal payments settled later: first paid, first settled */
	{
		const int64_t t[] = {0, 60, 120, 180};
		const unsigned char side[] = {L, L, S, S};
		const long	want[] = {2, 3, 0, 1};

		expect("no crossing", t, side, 4, 900, want);
	}
	/* one payment lost among many: the others keep their partners */
	{
		const int64_t t[] = {0, 40, 3600, 3620, 3660, 7200, 7240};
		const unsigned char side[] = {L, S, L, L, S, L, S};
		const long	want[] = {1, 0, NONE, 4, 3, 6, 5};

		expect("one lost", t, side, 7, 300, want);
	}
	/* beyond the window nothing pairs; the window itself is inclusive */
	{
		const int64_t t[] = {0, 301};
		const unsigned char side[] = {L, S};
		const long	none[] = {NONE, NONE};
		const long	both[] = {1, 0};

		expect("beyond the window", t, side, 2, 300, none);
		expect("on the window", t, side, 2, 301, both);
	}
	/* one side only: nothing pairs */
	{
		const int64_t t[] = {0, 1, 2};
		const unsigned char side[] = {S, S, S};
		const long	want[] = {NONE, NONE, NONE};

		expect("one side", t, side, 3, 900, want);
	}
	/* equal gaps: the earlier pair is taken, the later row is left */
	{
		const int64_t t[] = {0, 10, 20};
		const unsigned char side[] = {L, S, L};
		const long	want[] = {1, 0, NONE};

		expect("tie to the earlier", t, side, 3, 900, want);
	}
	/* a second pass pairs what the first left: L S L S with the middle closest */
	{
		const int64_t t[] = {0, 50, 55, 100};
		const unsigned char side[] = {L, S, L, S};
		const long	want[] = {1, 0, 3, 2};

		expect("second pass", t, side, 4, 900, want);
	}
	/* times at the ends of int64 do not overflow */
	{
		const int64_t t[] = {INT64_MIN + 1, INT64_MAX};
		const unsigned char side[] = {L, S};
		const long	want[] = {NONE, NONE};

		expect("far apart", t, side, 2, INT64_MAX, want);
	}
	/* no rows */
	{
		long		mate[1];
		int64_t		work[1];

		qr_pair_nearest(NULL, NULL, 0, 900, mate, work);
		CHECK(1, "no rows");
	}
}

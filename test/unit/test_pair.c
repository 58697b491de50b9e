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
				work[32],
				i;
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

void
test_pair(void)
{
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
		long		mate[1],
					work[2];

		qr_pair_nearest(NULL, NULL, 0, 900, mate, work);
		CHECK(1, "no rows");
	}
}

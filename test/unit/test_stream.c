/*
 * test_stream.c — unit tests of streamed pairing by nearest time
 * (src/core/qr_stream.c) against known answers and against the batch
 * definition, qr_stream_reference (test/fuzz/fuzz_stream.c).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qr_stream.h"
#include "check.h"

/* test/fuzz/fuzz_stream.c */
extern void qr_stream_reference(const int64_t *t, const unsigned char *side, size_t n,
								int64_t before, int64_t after, size_t max_set, long *res);
extern int	qr_stream_run(qr_stream *s, const int64_t *t, const unsigned char *side, size_t n,
						  int64_t before, int64_t after, long *res, size_t *maxheld,
						  void (*refill) (void *arg), void *arg);

#define L 0
#define S 1
/* a row's result: its partner's index, or these */
#define A (-1)					/* alone */
#define AMB(k) (-2 - (k))		/* ambiguous, set k (sets numbered by first row) */

#define MAX_HAND 40

static void *
std_alloc(void *ctx, size_t n)
{
	(void) ctx;
	return malloc(n);
}

static void
std_release(void *ctx, void *p)
{
	(void) ctx;
	free(p);
}

static const qr_stream_mem std_mem = {std_alloc, std_release, NULL};

static void
show(const char *what, const int64_t *t, const unsigned char *side, size_t n, const long *res)
{
	fprintf(stderr, "  %s:", what);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, " %c%lld=%ld", side[i] ? 'S' : 'L', (long long) t[i], res[i]);
	fputc('\n', stderr);
}

/*
 * streams the rows through s, whose sets have max_set rows at most, and
 * checks the result against want and the reference
 */
static void
expect(qr_stream *s, size_t max_set, const char *name, const int64_t *t, const unsigned char *side,
	   size_t n, int64_t before, int64_t after, const long *want)
{
	long		got[MAX_HAND],
				ref[MAX_HAND];
	size_t		held;
	int			rc = qr_stream_run(s, t, side, n, before, after, got, &held, NULL, NULL);

	qr_stream_reference(t, side, n, before, after, max_set, ref);
	CHECK(rc == 0 && memcmp(got, want, n * sizeof(long)) == 0, "%s: stream differs", name);
	CHECK(memcmp(ref, want, n * sizeof(long)) == 0, "%s: reference differs", name);
	if (rc != 0 || memcmp(got, want, n * sizeof(long)) != 0 || memcmp(ref, want, n * sizeof(long)) != 0)
	{
		show("want", t, side, n, want);
		show("stream", t, side, n, got);
		show("reference", t, side, n, ref);
	}
}

#define EXPECT(s, name, before, after, ...) \
	EXPECT_SETS(s, QR_STREAM_MAX_SET, name, before, after, __VA_ARGS__)

#define EXPECT_SETS(s, max_set, name, before, after, ...) \
	do { \
		static const struct { int64_t t; unsigned char side; long want; } rows_[] = {__VA_ARGS__}; \
		int64_t		t_[MAX_HAND]; \
		unsigned char side_[MAX_HAND]; \
		long		want_[MAX_HAND]; \
		size_t		n_ = sizeof(rows_) / sizeof(rows_[0]); \
		for (size_t i_ = 0; i_ < n_; i_++) \
		{ \
			t_[i_] = rows_[i_].t; \
			side_[i_] = rows_[i_].side; \
			want_[i_] = rows_[i_].want; \
		} \
		expect(s, max_set, name, t_, side_, n_, before, after, want_); \
	} while (0)

static void
test_stream_hand(qr_stream *s)
{
	/* the nearest partner, not the first */
	EXPECT(s, "nearest", 900, 900, {0, S, A}, {600, L, 2}, {660, S, 1});
	/* one payment lost among equal ones: the others keep their partners */
	EXPECT(s, "one lost", 900, 900,
	{0, L, 1}, {20, S, 0}, {60, L, A}, {120, L, 4}, {140, S, 3});
	/* closest first makes (10, 11) and (0, 30), which cross: uncrossed */
	EXPECT(s, "uncrossed", 0, 30, {0, L, 2}, {10, L, 3}, {11, S, 0}, {30, S, 1});
	/* first paid, first settled: two payments settled later, in order */
	EXPECT(s, "first paid first settled", 900, 900,
	{0, L, 2}, {60, L, 3}, {120, S, 0}, {180, S, 1});
	/* a row equally close to two others: the three are one set */
	EXPECT(s, "equidistant", 15, 15, {0, L, AMB(0)}, {10, S, AMB(0)}, {20, L, AMB(0)});
	EXPECT(s, "equidistant statement", 15, 15, {0, S, AMB(0)}, {10, L, AMB(0)}, {20, S, AMB(0)});
	/* a chain of equal gaps is one set, however long; (55, 57) goes first */
	EXPECT(s, "plateau", 15, 15,
	{0, L, AMB(0)}, {10, S, AMB(0)}, {20, L, AMB(0)}, {30, S, AMB(0)}, {40, L, AMB(0)},
	{55, S, 6}, {57, L, 5});
	/* the closest pair goes first, even when it leaves a row alone */
	EXPECT(s, "closest first", 15, 15,
	{0, L, AMB(0)}, {10, S, AMB(0)}, {20, L, AMB(0)}, {30, S, AMB(0)}, {40, L, 5},
	{45, S, 4}, {60, L, A});
	/* two ledger rows at the same time against one statement row */
	EXPECT(s, "same time", 900, 900, {0, L, AMB(0)}, {0, L, AMB(0)}, {5, S, AMB(0)});
	/* ... and against two: still no way to tell which goes with which */
	EXPECT(s, "two and two", 900, 900,
	{0, L, AMB(0)}, {0, L, AMB(0)}, {5, S, AMB(0)}, {5, S, AMB(0)});
	/* a tie that shows only once the closest pair is gone */
	EXPECT(s, "tie revealed", 30, 30,
	{0, L, AMB(0)}, {10, S, AMB(0)}, {15, L, 3}, {16, S, 2}, {20, L, AMB(0)});
	/* equal gaps that do not touch are independent pairs */
	EXPECT(s, "apart", 5, 5, {0, L, 1}, {3, S, 0}, {10, L, 3}, {13, S, 2});
	/* the same time, ledger then statement: distance 0 */
	EXPECT(s, "distance zero", 0, 0, {7, L, 1}, {7, S, 0}, {8, L, A});
	/* the window: inclusive, and before and after apart */
	EXPECT(s, "on the window", 300, 300, {0, L, 1}, {300, S, 0});
	EXPECT(s, "beyond the window", 300, 300, {0, L, A}, {301, S, A});
	EXPECT(s, "statement late", 0, 10, {0, S, A}, {3, L, 2}, {8, S, 1});
	EXPECT(s, "statement early", 5, 0, {0, S, 1}, {3, L, 0}, {8, S, A});
	/* a tie in distance, but only one side of it within the window */
	EXPECT(s, "asymmetric tie", 5, 15, {0, L, 1}, {10, S, 0}, {20, L, A});
	/* date lag: the statement a day (1440 minutes) and 5 minutes late */
	EXPECT(s, "date lag", 15, 15 + 1440, {0, L, 1}, {1445, S, 0});
	EXPECT(s, "no date lag", 15, 15, {0, L, A}, {1445, S, A});
	/* one side only */
	EXPECT(s, "ledger only", 900, 900, {0, L, A}, {0, L, A}, {1, L, A}, {5000, L, A});
	EXPECT(s, "statement only", 900, 900, {0, S, A}, {1, S, A});
	/* the ends of int64 */
	EXPECT(s, "far apart", INT64_MAX, INT64_MAX, {INT64_MIN, L, A}, {INT64_MAX, S, A});
	EXPECT(s, "INT64_MAX apart", INT64_MAX, INT64_MAX, {INT64_MIN, L, 1}, {-1, S, 0});
	EXPECT(s, "INT64_MAX + 1 apart", INT64_MAX, INT64_MAX, {INT64_MIN, L, A}, {0, S, A});
	EXPECT(s, "statement first, far", INT64_MAX, 0, {INT64_MIN, S, 1}, {-1, L, 0});
	EXPECT(s, "at INT64_MAX", 1, 1,
	{INT64_MAX - 1, S, A}, {INT64_MAX, L, 2}, {INT64_MAX, S, 1});
	EXPECT(s, "at INT64_MIN", 1, 1,
	{INT64_MIN, L, AMB(0)}, {INT64_MIN + 1, S, AMB(0)}, {INT64_MIN + 2, L, AMB(0)});
	EXPECT(s, "windows at INT64_MAX", INT64_MAX, INT64_MAX,
	{INT64_MIN, S, A}, {INT64_MIN + 1, S, A}, {INT64_MAX, L, A});
	/* no rows */
	{
		long		res[1];
		size_t		held;

		CHECK(qr_stream_run(s, NULL, NULL, 0, 900, 900, res, &held, NULL, NULL) == 0 && held == 0,
			  "no rows");
	}
}

/*
 * Sets cut at a few rows: the same ties, reported in consecutive sets of
 * max_set rows in input order; every other row as without the cut.
 */
static void
test_stream_cut(void)
{
	qr_stream  *s1 = qr_stream_create_capped(0, 0, &std_mem, 1),
				*s2 = qr_stream_create_capped(0, 0, &std_mem, 2),
				 *s3 = qr_stream_create_capped(0, 0, &std_mem, 3);

	EXPECT_SETS(s2, 2, "plateau cut", 15, 15,
	{0, L, AMB(0)}, {10, S, AMB(0)}, {20, L, AMB(1)}, {30, S, AMB(1)}, {40, L, AMB(2)},
	{55, S, 6}, {57, L, 5});
	EXPECT_SETS(s1, 1, "sets of one row", 15, 15, {0, L, AMB(0)}, {10, S, AMB(1)}, {20, L, AMB(2)});
	/* the last set holds two rows, one of each side: tied, not a pair */
	EXPECT_SETS(s3, 3, "two rows left", 15, 15,
	{0, L, AMB(0)}, {10, S, AMB(0)}, {20, L, AMB(0)}, {30, S, AMB(1)}, {40, L, AMB(1)});
	/*
	 * The plateau's end taken by a closer row after its first set went out:
	 * the two rows left are the rest of the set, tied, not a pair
	 */
	EXPECT_SETS(s2, 2, "end taken after a cut", 15, 15,
	{0, L, AMB(0)}, {10, S, AMB(0)}, {20, L, AMB(1)}, {30, S, AMB(1)}, {40, L, 5},
	{42, S, 4});
	EXPECT_SETS(s2, 2, "end taken, one row left", 15, 15,
	{0, L, AMB(0)}, {10, S, AMB(0)}, {20, L, AMB(1)}, {30, S, AMB(1)}, {40, L, AMB(2)},
	{50, S, 6}, {52, L, 5});
	/* a tie and the twins of its first row, one set cut between twins */
	EXPECT_SETS(s2, 2, "cut between twins", 15, 15,
	{0, L, AMB(0)}, {0, L, AMB(0)}, {0, L, AMB(1)}, {10, S, AMB(1)}, {20, L, AMB(2)});
	/* the neighbours: the closest pair first, a row left alone */
	EXPECT_SETS(s2, 2, "closest first, cut", 15, 15,
	{0, L, AMB(0)}, {10, S, AMB(0)}, {20, L, AMB(1)}, {30, S, AMB(1)}, {40, L, 5},
	{45, S, 4}, {60, L, A});
	/* a tie revealed once a closer pair is gone, after a cut on its right */
	EXPECT_SETS(s2, 2, "tie revealed, cut", 30, 30,
	{0, L, AMB(0)}, {10, S, AMB(0)}, {15, L, 3}, {16, S, 2}, {20, L, AMB(1)},
	{30, S, AMB(1)}, {40, L, AMB(2)});
	/*
	 * (S6, L11, S16) is a plateau once (S8, L10) pair, but L2 lies closer
	 * to the first S6 and pairs with it: its twin, the second S6, starts
	 * the plateau; the pair, the twins and the plateau are one set
	 */
	EXPECT_SETS(s1, 1, "start taken by a closer row", 9, 6,
	{2, L, AMB(0)}, {6, S, AMB(1)}, {6, S, AMB(2)}, {8, S, 4}, {10, L, 3}, {11, L, AMB(3)},
	{16, S, AMB(4)});
	/* a plateau cut after a twin: the twin does not meet the rest */
	EXPECT_SETS(s1, 1, "cut after a twin", 7, 27,
	{2, L, AMB(0)}, {4, L, AMB(1)}, {7, S, AMB(2)}, {10, L, AMB(3)}, {13, S, AMB(4)},
	{16, L, AMB(5)}, {19, S, AMB(6)}, {19, S, AMB(7)}, {19, S, AMB(8)}, {22, L, AMB(9)},
	{25, S, AMB(10)}, {28, L, AMB(11)}, {31, S, AMB(12)}, {34, L, AMB(13)}, {37, S, AMB(14)},
	{37, S, AMB(15)}, {40, L, AMB(16)});
	/* a plateau merged with another once the rows between them pair */
	EXPECT_SETS(s3, 3, "merged plateaus", 10, 10,
	{0, L, AMB(0)}, {10, S, AMB(0)}, {20, L, AMB(0)}, {24, L, 4}, {25, S, 3},
	{30, S, AMB(1)}, {40, L, AMB(1)}, {50, S, AMB(1)}, {60, L, AMB(2)});
	qr_stream_destroy(s1);
	qr_stream_destroy(s2);
	qr_stream_destroy(s3);
}

/*
 * A metro second: n_stmt statement rows printed at second 3 (times in ms)
 * against 17 ledger rows spread over second 0, 57-58 ms apart.  Closest
 * first pairs the latest ledger row with a statement row, the next latest
 * with another, and so on; the statement rows are twins, so every row
 * paired with one of them is ambiguous, as one set.
 */
static void
metro_second(qr_stream *s, size_t n_stmt, const char *name, long first_ledger)
{
	int64_t		t[34];
	unsigned char side[34];
	long		want[34];
	size_t		n = 0,
				i;

	for (i = 0; i < 17; i++)
	{
		t[n] = (int64_t) i * 576 / 10;
		side[n] = L;
		want[n++] = i == 0 ? first_ledger : AMB(0);
	}
	for (i = 0; i < n_stmt; i++)
	{
		t[n] = 3000;
		side[n] = S;
		want[n++] = AMB(0);
	}
	expect(s, QR_STREAM_MAX_SET, name, t, side, n, 900000, 900000, want);
}

static void
test_stream_twins(qr_stream *s)
{
	/* 17 and 17: one set of 34 */
	metro_second(s, 17, "metro second", AMB(0));
	/* 16 statement rows: the earliest ledger row, furthest away, is alone */
	metro_second(s, 16, "metro second, one lost", A);
	/* twins and nothing paired stay alone */
	EXPECT(s, "twins alone", 5, 5, {0, L, A}, {0, L, A}, {0, L, A}, {20, S, A}, {20, S, A});
	/* a twin chain: twins linked by pairs, however far, are one set */
	EXPECT(s, "twin chain", 10, 10,
	{0, L, AMB(0)}, {0, L, AMB(0)}, {10, S, AMB(0)}, {10, S, AMB(0)}, {20, L, AMB(0)},
	{20, L, AMB(0)}, {30, S, AMB(0)}, {30, S, AMB(0)}, {40, L, AMB(0)}, {55, S, A});
	/* distinct times: pairs as before */
	EXPECT(s, "no twins", 10, 10, {0, L, 1}, {3, S, 0}, {10, L, 3}, {12, S, 2});
	/* a twin with a pair on each side: both pairs and the twins, one set */
	EXPECT(s, "twins between pairs", 10, 10,
	{0, L, AMB(0)}, {10, S, AMB(0)}, {10, S, AMB(0)}, {20, L, AMB(0)}, {40, L, A});
	/*
	 * Equal gaps, the leftmost plateau first: (S4, L5) and (L5, S6) tie at
	 * 1; (S4, L5) pairs first, then the first S4 meets the second L5, a
	 * plateau with S6, and the L2 rows find no partner left.  (Right to
	 * left, both pairs of gap 1 would go, then (L2, S4): all one set.)
	 */
	EXPECT(s, "leftmost first", 1, 2,
	{2, L, A}, {2, L, A}, {4, S, AMB(0)}, {4, S, AMB(0)}, {5, L, AMB(0)}, {5, L, AMB(0)},
	{6, S, AMB(0)});
	/* mirrored in time: every row pairs, the twins make them one set */
	EXPECT(s, "leftmost first, mirrored", 2, 1,
	{0, S, AMB(0)}, {1, L, AMB(0)}, {1, L, AMB(0)}, {2, S, AMB(0)}, {2, S, AMB(0)},
	{4, L, AMB(0)}, {4, L, AMB(0)});
}

/* the order check: (t, side) going backwards is refused, nothing changes */
static void
test_stream_order(void)
{
	qr_stream  *s = qr_stream_create(10, 10, &std_mem);
	qr_stream_event ev;
	int			x;

	CHECK(qr_stream_push(s, 5, S, &x) == 0, "first row");
	CHECK(qr_stream_push(s, 5, L, &x) == -2, "a ledger row after a statement row of its time");
	CHECK(qr_stream_push(s, 4, S, &x) == -2, "an earlier time");
	CHECK(qr_stream_held(s) == 1, "refused rows are not held");
	CHECK(qr_stream_push(s, 5, S, &x) == 0 && qr_stream_push(s, 6, L, &x) == 0, "in order");
	qr_stream_finish(s);
	CHECK(qr_stream_push(s, 7, L, &x) == -2, "a row after finish");
	CHECK(qr_stream_next(s, &ev) == 1 && ev.kind == QR_STREAM_AMBIGUOUS && ev.n == 3,
		  "two statement rows at one time, one ledger row: one set");
	CHECK(qr_stream_next(s, &ev) == 0 && qr_stream_held(s) == 0, "nothing else");
	/* reset drops what is left and starts over */
	qr_stream_reset(s, 0, 0);
	CHECK(qr_stream_push(s, 1, L, &x) == 0 && qr_stream_held(s) == 1, "after reset");
	qr_stream_reset(s, 0, 0);
	CHECK(qr_stream_held(s) == 0, "reset drops the rows");
	qr_stream_finish(s);
	CHECK(qr_stream_next(s, &ev) == 0, "empty group");
	qr_stream_destroy(s);
}

/* a small deterministic generator, so that a failure can be replayed */
static uint32_t
next_random(uint32_t *state)
{
	*state = *state * 1103515245u + 12345u;
	return *state >> 16;
}

/*
 * Random groups with few distinct times and gaps (ties everywhere), with
 * three window shapes, and every fourth group mostly runs of rows evenly
 * spaced, ledger and statement alternating (long plateaus): the stream
 * must equal the definition, with sets of QR_STREAM_MAX_SET rows and with
 * sets of 1 to 4 rows, cut often.
 */
static void
test_stream_random(void)
{
	static const size_t caps[] = {QR_STREAM_MAX_SET, 1, 2, 3, 4};
	qr_stream  *s[5];
	uint32_t	state = 20260114;
	int			round,
				k,
				bad = 0;

	for (k = 0; k < 5; k++)
		s[k] = qr_stream_create_capped(0, 0, &std_mem, caps[k]);
	for (round = 0; round < 60000 && bad < 5; round++)
	{
		int64_t		t[40];
		unsigned char side[40];
		long		want[40],
					got[40];
		size_t		n = 1 + next_random(&state) % 40,
					held,
					i;
		int			shape = round % 3,
					runs = round % 4 == 3;
		int64_t		before = next_random(&state) % 8,
					after = shape == 0 ? before : shape == 1 ? next_random(&state) % 8 : before + 20,
					now = 0;
		uint32_t	spread = 1 + next_random(&state) % 6,
					step = next_random(&state) % 8;

		k = (round / 4) % 5;
		for (i = 0; i < n; i++)
		{
			if (runs && i > 0 && next_random(&state) % 8 != 0)
			{
				now += step;
				side[i] = !side[i - 1];
			}
			else
			{
				if (next_random(&state) % 3 != 0)
					now += next_random(&state) % spread;
				side[i] = next_random(&state) % 2;
			}
			t[i] = now;
			if (i > 0 && t[i] == t[i - 1] && side[i] < side[i - 1])
				side[i] = side[i - 1];
		}
		qr_stream_reference(t, side, n, before, after, caps[k], want);
		if (qr_stream_run(s[k], t, side, n, before, after, got, &held, NULL, NULL) != 0 ||
			memcmp(want, got, n * sizeof(long)) != 0)
		{
			bad++;
			fprintf(stderr, "round %d, before %lld, after %lld, sets of %zu rows at most:\n", round,
					(long long) before, (long long) after, caps[k]);
			show("reference", t, side, n, want);
			show("stream", t, side, n, got);
		}
	}
	CHECK(bad == 0, "the stream differs from the definition in %d random groups", bad);
	for (k = 0; k < 5; k++)
		qr_stream_destroy(s[k]);
}

/* the state of a generated stream of rows */
typedef struct
{
	uint64_t	i;				/* rows so far */
	uint32_t	random;
	int64_t		t;
	unsigned char side;
	uint64_t	ledger,			/* metro: the next ledger and statement rows */
				statement;
} row_gen;

typedef void (*row_next) (row_gen *g);

/*
 * Pushes n generated rows, taking the events as they come; returns the most
 * rows held, counts the events by kind in count and their rows in rows,
 * and gives the most rows of an AMBIGUOUS event in *most_set.
 */
static size_t
stream_long(int64_t before, int64_t after, size_t n, row_next next, uint64_t *count,
			uint64_t *rows, size_t *most_set)
{
	qr_stream  *s = qr_stream_create(before, after, &std_mem);
	qr_stream_event ev;
	row_gen		g = {0, 7, 0, 0, 0, 0};
	size_t		most = 0,
				j;
	/* row i's handle is &seen[i], marked when it comes out */
	unsigned char *seen = calloc(n + 1, 1);
	int			twice = 0;
	uint64_t	total = 0;

	memset(count, 0, 4 * sizeof(uint64_t));
	memset(rows, 0, 4 * sizeof(uint64_t));
	*most_set = 0;
	for (g.i = 0; g.i <= n; g.i++)
	{
		if (g.i < n)
		{
			next(&g);
			if (qr_stream_push(s, g.t, g.side, &seen[g.i]) != 0)
				break;
		}
		else
			qr_stream_finish(s);
		while (qr_stream_next(s, &ev))
		{
			count[ev.kind]++;
			rows[ev.kind] += ev.n;
			total += ev.n;
			if (ev.kind == QR_STREAM_AMBIGUOUS && ev.n > *most_set)
				*most_set = ev.n;
			for (j = 0; j < ev.n; j++)
			{
				unsigned char *r = ev.rows[j];

				twice |= *r;
				*r = 1;
			}
		}
		if (qr_stream_held(s) > most)
			most = qr_stream_held(s);
	}
	CHECK(total == n && !twice && qr_stream_held(s) == 0,
		  "every row of the long stream comes out once");
	qr_stream_destroy(s);
	free(seen);
	return most;
}

#define SECOND ((int64_t) 1000000)	/* microseconds */

/* ledger and statement alternating a second apart, each up to 5 ms late */
static void
gen_alternating(row_gen *g)
{
	g->t = (int64_t) g->i * SECOND + (int64_t) (next_random(&g->random) % 5000);
	g->side = g->i % 2;
}

/* exactly a second apart: every gap is equal */
static void
gen_even(row_gen *g)
{
	g->t = (int64_t) g->i * SECOND;
	g->side = g->i % 2;
}

static void
gen_ledger(row_gen *g)
{
	g->t = (int64_t) g->i * SECOND;
	g->side = 0;
}

/* one ledger row, then a statement row each millisecond from 10 minutes on */
static void
gen_flood(row_gen *g)
{
	g->t = g->i == 0 ? 0 : 600 * SECOND + (int64_t) g->i * 1000;
	g->side = g->i > 0;
}

/*
 * A payment each second, settled a day, 3 s and 300 ms later: in time
 * order, payments alone for a day, then a settlement and a payment each
 * second.
 */
#define LAG (86403 * SECOND + 300000)
static void
gen_lagged(row_gen *g)
{
	uint64_t	j = g->i - 86404;

	if (g->i < 86404)
	{
		g->t = (int64_t) g->i * SECOND;
		g->side = 0;
	}
	else if (j % 2 == 0)
	{
		g->t = (int64_t) (j / 2) * SECOND + LAG;
		g->side = 1;
	}
	else
	{
		g->t = (int64_t) (86404 + j / 2) * SECOND;
		g->side = 0;
	}
}

/*
 * A metro day: a fare every 57.6 ms (1.5 million a day), the statement
 * line of each printed 3 s later at second resolution (17 or 18 lines at
 * each second), every 1000th line missing.  Times in microseconds.
 */
#define METRO_FARES 1500000
#define METRO_STEP 57600

static int64_t
metro_line(uint64_t k)
{
	int64_t		t = (int64_t) k * METRO_STEP + 3 * SECOND;

	return t - t % SECOND;
}

static void
gen_metro(row_gen *g)
{
	int64_t		tl = (int64_t) g->ledger * METRO_STEP;

	if (g->statement % 1000 == 999)
		g->statement++;
	if (g->ledger < METRO_FARES &&
		(g->statement >= METRO_FARES || tl <= metro_line(g->statement)))
	{
		g->t = tl;
		g->side = 0;
		g->ledger++;
	}
	else
	{
		g->t = metro_line(g->statement);
		g->side = 1;
		g->statement++;
	}
}

static void
test_stream_bounds(void)
{
	const int64_t window = 15 * 60 * SECOND;
	uint64_t	count[4],
				rows[4];
	size_t		most,
				most_set;

	/*
	 * A long alternating stream: the rows held follow the window, not the
	 * group.  A row left without its partner keeps a candidate to the next
	 * such row of the other side, up to a window away, which is final only
	 * once nothing closer to that one can come: a few windows at most.
	 */
	most = stream_long(window, window, 10000000, gen_alternating, count, rows, &most_set);
	CHECK(most < 5 * 15 * 60, "alternating stream: %zu rows held at most", most);
	CHECK(count[QR_STREAM_PAIR] > 4500000, "alternating stream: %llu pairs",
		  (unsigned long long) count[QR_STREAM_PAIR]);

	/*
	 * The metro day: the lines of a second are twins, so each second's
	 * lines and the fares paired with them are one set; a fare whose line
	 * is missing is alone (or tied, when closest first left it the nearest
	 * of two).  The rows held follow the window, not the day.
	 */
	most = stream_long(window, window, 2 * METRO_FARES - METRO_FARES / 1000, gen_metro, count,
					   rows, &most_set);
	/* 35 rows a second: three windows at most */
	CHECK(most < 3 * 35 * 15 * 60, "metro day: %zu rows held at most", most);
	CHECK(rows[QR_STREAM_AMBIGUOUS] > 2 * METRO_FARES - 3 * METRO_FARES / 1000 &&
		  count[QR_STREAM_AMBIGUOUS] > METRO_FARES / 18 && most_set < 64,
		  "metro day: %llu rows in %llu sets of %zu rows at most, %llu alone",
		  (unsigned long long) rows[QR_STREAM_AMBIGUOUS],
		  (unsigned long long) count[QR_STREAM_AMBIGUOUS], most_set,
		  (unsigned long long) count[QR_STREAM_ALONE]);
	CHECK(count[QR_STREAM_ALONE] <= METRO_FARES / 1000,
		  "metro day: %llu rows alone", (unsigned long long) count[QR_STREAM_ALONE]);

	/* one side only: a row goes as soon as no partner can come */
	most = stream_long(window, window, 1000000, gen_ledger, count, rows, &most_set);
	CHECK(most <= 15 * 60 + 2, "ledger only: %zu rows held at most", most);
	CHECK(count[QR_STREAM_ALONE] == 1000000, "ledger only: all alone");

	/* settlements a day late, the date lag in the window: a day is held */
	most = stream_long(window, window + 86400 * SECOND, 400000, gen_lagged, count, rows, &most_set);
	CHECK(most < 2 * (86400 + 15 * 60 + 10), "date lag: %zu rows held at most", most);
	CHECK(count[QR_STREAM_PAIR] > 100000, "date lag: %llu pairs",
		  (unsigned long long) count[QR_STREAM_PAIR]);

	/*
	 * A stray ledger row and a flood of statement rows: its pair waits
	 * until nothing closer can come, the flood goes a window after each row
	 * (rows too dense to be held in fewer), in time linear in the rows.
	 */
	most = stream_long(window, window, 1500000, gen_flood, count, rows, &most_set);
	CHECK(count[QR_STREAM_PAIR] == 1 && count[QR_STREAM_ALONE] == 1500000 - 2,
		  "flood: %llu pairs", (unsigned long long) count[QR_STREAM_PAIR]);
	CHECK(most <= 900000 + 2, "flood: %zu rows held at most", most);

	/*
	 * Evenly spaced, alternating: every gap equal, one plateau of 10 million
	 * rows, all of them tied, reported in sets of QR_STREAM_MAX_SET rows
	 * (the last one less) as they come: a set's worth and a few dozen rows
	 * of the plateau's end are held, however long the plateau.
	 */
	most = stream_long(window, window, 10000000, gen_even, count, rows, &most_set);
	CHECK(rows[QR_STREAM_AMBIGUOUS] == 10000000 && most_set == QR_STREAM_MAX_SET &&
		  count[QR_STREAM_AMBIGUOUS] == (10000000 + QR_STREAM_MAX_SET - 1) / QR_STREAM_MAX_SET,
		  "evenly spaced: %llu rows in %llu sets of %zu rows at most",
		  (unsigned long long) rows[QR_STREAM_AMBIGUOUS],
		  (unsigned long long) count[QR_STREAM_AMBIGUOUS], most_set);
	CHECK(most <= QR_STREAM_MAX_SET + 40, "evenly spaced: %zu rows held at most", most);
}

/*
 * An allocator that fails every k-th call, except for a few calls after a
 * refill: a refused push changes nothing and succeeds once memory is back.
 */
typedef struct
{
	unsigned long calls;
	unsigned long every;
	int			grace;
} flaky_mem;

static void *
flaky_alloc(void *ctx, size_t n)
{
	flaky_mem  *m = ctx;

	if (m->grace > 0)
		m->grace--;
	else if (m->every > 0 && ++m->calls % m->every == 0)
		return NULL;
	return malloc(n);
}

static void
flaky_refill(void *arg)
{
	((flaky_mem *) arg)->grace = 16;
}

static void
test_stream_memory(void)
{
	flaky_mem	m = {0, 0, 0};
	qr_stream_mem mem = {flaky_alloc, std_release, &m};
	qr_stream  *s = qr_stream_create(3, 3, &mem);
	int64_t		t[200];
	unsigned char side[200];
	long		want[200],
				got[200];
	size_t		held;
	uint32_t	state = 99;
	int			i;

	for (i = 0; i < 200; i++)
	{
		t[i] = i == 0 ? 0 : t[i - 1] + next_random(&state) % 3;
		side[i] = next_random(&state) % 2;
		if (i > 0 && t[i] == t[i - 1] && side[i] < side[i - 1])
			side[i] = side[i - 1];
	}
	/* every other allocation fails: each refused push succeeds when retried */
	m.every = 2;
	qr_stream_reference(t, side, 200, 3, 3, QR_STREAM_MAX_SET, want);
	CHECK(qr_stream_run(s, t, side, 200, 3, 3, got, &held, flaky_refill, &m) == 0 &&
		  memcmp(want, got, sizeof(want)) == 0, "pushes refused for want of memory change nothing");
	qr_stream_destroy(s);
	m.calls = 0;
	m.every = 1;
	m.grace = 0;
	CHECK(qr_stream_create(3, 3, &mem) == NULL, "no memory for the stream");
	CHECK(qr_stream_create(3, 3, NULL) == NULL, "no allocator");
}

void
test_stream(void)
{
	qr_stream  *s = qr_stream_create(0, 0, &std_mem);

	test_stream_hand(s);
	test_stream_twins(s);
	qr_stream_destroy(s);
	test_stream_cut();
	test_stream_random();
	test_stream_order();
	test_stream_memory();
	test_stream_bounds();
}

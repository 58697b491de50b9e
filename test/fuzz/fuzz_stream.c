/*
 * fuzz_stream.c — libFuzzer harness for qr_stream (pairing by nearest
 * time, streamed), and the batch definition it must equal,
 * qr_stream_reference, which the unit tests (test/unit/test_stream.c)
 * use too.
 *
 * Input: the before and after windows (a byte each: 0-15, a power of 16
 * up to 2^56, or INT64_MAX at 0xFF), where the first row sits (a byte:
 * INT64_MIN, near INT64_MAX, or near 0), which allocation fails (a byte,
 * 0 for none), the most rows of a set (a byte: below 0x80, 1-8, so that
 * sets are cut; else QR_STREAM_MAX_SET), then one row per byte: bit 0 the
 * side, the rest a time step of 0-15 times 1-4, or a huge step (top three
 * bits set) that saturates at INT64_MAX.  Steps are small against the
 * windows, so that equal times and equal gaps (ties) are common.
 * Properties: the rows go through a stream and come back each in exactly
 * one event, well formed, pairs in order and within the window; the pairs
 * and sets equal qr_stream_reference's; a push refused for want of memory
 * leaves the stream as it was and succeeds once memory is back; after a
 * reset, the same holds with the windows swapped; no memory is left once
 * the stream is destroyed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qr_stream.h"

#define MAX_ROWS 256

/* result codes per row: the partner's index, ALONE, or ambiguous set k */
#define RES_ALONE (-1)
#define RES_SET(k) (-2 - (long) (k))

/* a candidate: rows a < b (in time) of different sides that may pair */
static int
may_pair(int64_t ta, unsigned char sa, int64_t tb, unsigned char sb,
		 int64_t before, int64_t after, uint64_t *gap)
{
	uint64_t	reach = (uint64_t) (sa == 0 ? after : before);

	if (sa == sb)
		return 0;
	*gap = (uint64_t) tb - (uint64_t) ta;
	return *gap <= reach;
}

static size_t
root(size_t *up, size_t i)
{
	while (up[i] != i)
		i = up[i] = up[up[i]];
	return i;
}

/*
 * The definition (qr_stream.h), by brute force over arrays: while a
 * candidate is left among neighbouring rows, the first plateau of the
 * smallest gap pairs (one candidate) or becomes a plateau set, and leaves;
 * the k-th paired ledger row goes with the k-th paired statement row; the
 * components of pair, twin and plateau edges are sets when they have a
 * plateau edge or both a twin and a pair edge, each cut into sets of
 * max_set rows (1 at least) in input order.  res[i] gets row i's partner,
 * RES_ALONE, or RES_SET(k) with sets numbered in the order of their first
 * rows.  Rows come in (t, side) order.
 */
void
qr_stream_reference(const int64_t *t, const unsigned char *side, size_t n,
					int64_t before, int64_t after, size_t max_set, long *res)
{
	unsigned char *alive = malloc(n + 1);
	long	   *plateau = malloc((n + 1) * sizeof(long));
	long	   *partner = malloc((n + 1) * sizeof(long));
	size_t	   *up = malloc((n + 1) * sizeof(size_t));
	unsigned char *flags = malloc(n + 1);
	size_t	   *seen = malloc((n + 1) * sizeof(size_t));
	long	   *piece = malloc((n + 1) * sizeof(long));
	size_t		i,
				j,
				sidx;
	long		nplateau = 0,
				nset = 0;

	if (before < 0)
		before = 0;
	if (after < 0)
		after = 0;
	if (max_set == 0)
		max_set = 1;
	for (i = 0; i < n; i++)
	{
		alive[i] = 1;
		plateau[i] = -1;
		partner[i] = -1;
		up[i] = i;
		flags[i] = 0;
		seen[i] = 0;
	}
	for (;;)
	{
		uint64_t	best = 0,
					g;
		int			found = 0;
		size_t		prev = (size_t) -1,
					start = (size_t) -1,
					m = 0,
					chain[2];

		/* the smallest gap among neighbours in the list */
		for (j = 0; j < n; j++)
		{
			if (!alive[j])
				continue;
			if (prev != (size_t) -1 &&
				may_pair(t[prev], side[prev], t[j], side[j], before, after, &g) &&
				(!found || g < best))
			{
				best = g;
				found = 1;
			}
			prev = j;
		}
		if (!found)
			break;
		/* the first plateau of that gap: from its first link, rightwards */
		prev = (size_t) -1;
		for (j = 0; j < n; j++)
		{
			if (!alive[j])
				continue;
			if (prev != (size_t) -1 &&
				may_pair(t[prev], side[prev], t[j], side[j], before, after, &g) && g == best)
			{
				if (start == (size_t) -1)
				{
					start = prev;
					m = 0;
					chain[0] = prev;
				}
				if (m < 1)
					chain[1] = j;
				m++;
			}
			else if (start != (size_t) -1)
				break;
			prev = j;
		}
		/* start .. prev, the last row of the plateau, with m candidates */
		if (m == 1)
		{
			partner[chain[0]] = partner[chain[1]] = 0;
			alive[chain[0]] = alive[chain[1]] = 0;
		}
		else
		{
			for (j = start; j < n; j++)
			{
				if (!alive[j])
					continue;
				plateau[j] = nplateau;
				alive[j] = 0;
				if (j == prev)
					break;
			}
			nplateau++;
		}
	}
	/* uncrossing */
	sidx = 0;
	for (i = 0; i < n; i++)
	{
		if (partner[i] < 0 || side[i] != 0)
			continue;
		while (!(partner[sidx] >= 0 && side[sidx] == 1))
			sidx++;
		partner[i] = (long) sidx;
		partner[sidx] = (long) i;
		sidx++;
	}
	/* the components: pair, twin and plateau edges */
	for (i = 0; i < n; i++)
	{
		if (partner[i] > (long) i)
		{
			up[root(up, i)] = root(up, (size_t) partner[i]);
			flags[i] |= 2;
		}
		if (i > 0 && t[i] == t[i - 1] && side[i] == side[i - 1])
		{
			up[root(up, i)] = root(up, i - 1);
			flags[i] |= 1;
		}
		for (j = 0; j < i; j++)
			if (plateau[i] >= 0 && plateau[j] == plateau[i])
			{
				up[root(up, i)] = root(up, j);
				flags[i] |= 4;
				break;
			}
	}
	for (i = 0; i < n; i++)
		flags[root(up, i)] |= flags[i];
	/* ambiguous components cut into sets, numbered by their first rows */
	for (i = 0; i < n; i++)
	{
		size_t		r = root(up, i);

		if ((flags[r] & 4) || (flags[r] & 3) == 3)
		{
			if (seen[r] % max_set == 0)
				piece[r] = nset++;
			seen[r]++;
			res[i] = RES_SET(piece[r]);
		}
		else
			res[i] = partner[i] >= 0 ? partner[i] : RES_ALONE;
	}
	free(alive);
	free(plateau);
	free(partner);
	free(up);
	free(flags);
	free(seen);
	free(piece);
}

/*
 * Pushes the rows through s (reset to the windows first), taking every
 * event after each push and after finish, and writes the same codes as
 * qr_stream_reference to res.  Returns 0, or -1 when a push fails or a row
 * comes back twice, never, or in a malformed event.  *maxheld gets the
 * most rows held after a push's events were taken.  When a push is refused
 * for want of memory and refill is given, the stream must hold what it
 * held; refill(arg) is called and the push tried once more.
 */
int
qr_stream_run(qr_stream *s, const int64_t *t, const unsigned char *side, size_t n,
			  int64_t before, int64_t after, long *res, size_t *maxheld,
			  void (*refill) (void *arg), void *arg)
{
	long	   *setno = malloc((n + 1) * sizeof(long));
	long		nsets = 0,
				renum = 0,
				last_l = -1,
				last_s = -1;
	size_t		i,
				j,
				done = 0;
	int			bad = 0;
	qr_stream_event ev;

	qr_stream_reset(s, before, after);
	*maxheld = 0;
	for (i = 0; i < n; i++)
	{
		res[i] = -1000;
		setno[i] = -1;
	}
	for (i = 0; i <= n && !bad; i++)
	{
		if (i < n)
		{
			size_t		before_push = qr_stream_held(s);
			int			rc = qr_stream_push(s, t[i], side[i], (void *) &t[i]);

			if (rc == -1 && refill != NULL && qr_stream_held(s) == before_push)
			{
				refill(arg);
				rc = qr_stream_push(s, t[i], side[i], (void *) &t[i]);
			}
			if (rc != 0)
			{
				bad = 1;
				break;
			}
		}
		else
			qr_stream_finish(s);
		while (qr_stream_next(s, &ev))
		{
			size_t		k[2];

			if (ev.n == 0 || ev.rows == NULL || ev.sides == NULL)
			{
				bad = 1;
				break;
			}
			for (j = 0; j < ev.n; j++)
			{
				const int64_t *p = ev.rows[j];
				size_t		r;

				if (p < t || p >= t + n || (r = (size_t) (p - t)) > i || res[r] != -1000 ||
					ev.sides[j] != side[r] ||
					(ev.kind == QR_STREAM_AMBIGUOUS && j > 0 && ev.rows[j - 1] >= ev.rows[j]))
				{
					bad = 1;
					break;
				}
				res[r] = -999;
				done++;
				if (j < 2)
					k[j] = r;
			}
			if (bad)
				break;
			if (ev.kind == QR_STREAM_PAIR)
			{
				/* uncrossed, the pair still lies within the window */
				int64_t		tl = t[k[0]],
							ts = t[k[1]];
				int			within = ts >= tl ?
									 (uint64_t) ts - (uint64_t) tl <= (uint64_t) (after > 0 ? after : 0) :
									 (uint64_t) tl - (uint64_t) ts <= (uint64_t) (before > 0 ? before : 0);

				if (ev.n != 2 || ev.row[0] != ev.rows[0] || ev.row[1] != ev.rows[1] ||
					side[k[0]] != 0 || side[k[1]] != 1 || !within ||
					(long) k[0] <= last_l || (long) k[1] <= last_s)
				{
					bad = 1;
					break;
				}
				last_l = (long) k[0];
				last_s = (long) k[1];
				res[k[0]] = (long) k[1];
				res[k[1]] = (long) k[0];
			}
			else if (ev.kind == QR_STREAM_ALONE)
			{
				if (ev.n != 1 || ev.row[0] != ev.rows[0])
				{
					bad = 1;
					break;
				}
				res[k[0]] = RES_ALONE;
			}
			else if (ev.kind == QR_STREAM_AMBIGUOUS)
			{
				for (j = 0; j < ev.n; j++)
					setno[(const int64_t *) ev.rows[j] - t] = nsets;
				nsets++;
			}
			else
			{
				bad = 1;
				break;
			}
		}
		if (qr_stream_held(s) > *maxheld)
			*maxheld = qr_stream_held(s);
	}
	if (!bad && (done != n || qr_stream_held(s) != 0))
		bad = 1;
	/* sets numbered by their first rows, as the reference does */
	if (!bad)
	{
		long	   *map = malloc((size_t) (nsets + 1) * sizeof(long));

		for (j = 0; j < (size_t) nsets; j++)
			map[j] = -1;
		for (i = 0; i < n; i++)
			if (setno[i] >= 0)
			{
				if (map[setno[i]] < 0)
					map[setno[i]] = renum++;
				res[i] = RES_SET(map[setno[i]]);
			}
		free(map);
	}
	free(setno);
	return bad ? -1 : 0;
}

/* ------------------------------------------------------------------ */
/* The harness                                                         */
/* ------------------------------------------------------------------ */

typedef struct
{
	long		count;			/* allocations so far */
	long		fail_at;		/* this one fails (0: none) */
	long		live;
} fuzz_mem;

static void *
fuzz_alloc(void *ctx, size_t n)
{
	fuzz_mem   *m = ctx;

	if (++m->count == m->fail_at)
		return NULL;
	m->live++;
	return malloc(n);
}

static void
fuzz_release(void *ctx, void *p)
{
	fuzz_mem   *m = ctx;

	m->live--;
	free(p);
}

static int64_t
window(uint8_t c)
{
	if (c == 0xFF)
		return INT64_MAX;
	if (c >= 0xF0)
		return (int64_t) 1 << ((c - 0xF0) * 4);
	return c & 15;
}

/* memory is back */
static void
refill(void *arg)
{
	((fuzz_mem *) arg)->fail_at = 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int64_t t[MAX_ROWS];
	static unsigned char side[MAX_ROWS];
	static long want[MAX_ROWS],
		   got[MAX_ROWS];
	fuzz_mem	m = {0, 0, 0};
	qr_stream_mem mem = {fuzz_alloc, fuzz_release, &m};
	qr_stream  *s;
	int64_t		before,
				after,
				now;
	size_t		n = 0,
				held,
				max_set;

	if (size < 5)
		return 0;
	before = window(data[0]);
	after = window(data[1]);
	now = data[2] == 0 ? INT64_MIN : data[2] == 1 ? INT64_MAX - 40 : (int64_t) data[2] * 7 - 900;
	max_set = data[4] < 0x80 ? 1 + (data[4] & 7) : QR_STREAM_MAX_SET;
	for (size_t k = 5; k < size && n < MAX_ROWS; k++)
	{
		uint8_t		b = data[k];
		unsigned	hi = b >> 5;
		uint64_t	step;

		if (hi == 7)
			step = (uint64_t) 1 << (((b >> 1) & 15) + 48);
		else
			step = (uint64_t) ((b >> 1) & 15) * (hi < 4 ? 1 : hi - 2);
		if (n > 0)
		{
			/* now + step, saturating at INT64_MAX */
			uint64_t	room = (uint64_t) INT64_MAX - (uint64_t) now;

			now = step >= room ? INT64_MAX : (int64_t) ((uint64_t) now + step);
		}
		t[n] = now;
		side[n] = b & 1;
		/* (t, side) order: at an equal time the ledger comes first */
		if (n > 0 && t[n] == t[n - 1] && side[n] < side[n - 1])
			side[n] = side[n - 1];
		n++;
	}

	/* the failing allocation (if any) comes while the memory grows */
	m.fail_at = data[3];
	s = max_set == QR_STREAM_MAX_SET ? qr_stream_create(before, after, &mem) :
		qr_stream_create_capped(before, after, &mem, max_set);
	if (s == NULL && m.fail_at == 1)
	{
		refill(&m);
		s = qr_stream_create_capped(before, after, &mem, max_set);
	}
	if (s == NULL)
		abort();
	qr_stream_reference(t, side, n, before, after, max_set, want);
	if (qr_stream_run(s, t, side, n, before, after, got, &held, refill, &m) != 0 ||
		memcmp(want, got, n * sizeof(long)) != 0)
		abort();
	refill(&m);
	/* the same stream, reset, with the windows the other way round */
	qr_stream_reference(t, side, n, after, before, max_set, want);
	if (qr_stream_run(s, t, side, n, after, before, got, &held, NULL, NULL) != 0 ||
		memcmp(want, got, n * sizeof(long)) != 0)
		abort();
	qr_stream_destroy(s);
	if (m.live != 0)
		abort();
	return 0;
}

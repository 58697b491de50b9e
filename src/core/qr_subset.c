/*
 * qr_subset.c — bounded exact subset sum: which rows of one side add up to
 * a row of the other.
 *
 * Every candidate has the target's sign, so the search works on
 * magnitudes: T = |target|, and candidates of magnitude 1..T-1.  They are
 * sorted largest first (ties by index, which makes the search order, and
 * so the subsets found first, deterministic), and a depth-first search
 * picks positions in increasing order, so that each index set is visited
 * at most once: the second set found proves MANY.
 *
 * Three bounds prune a level, where r is what is left to reach, k the rows
 * the subset still needs at least and L the rows it may still take:
 * - a row larger than r minus the k-1 smallest rows after it cannot be
 *   part of the subset (the rest would overshoot): the first usable row
 *   is found by binary search over the sorted magnitudes;
 * - when the L largest usable rows do not reach r, no choice at this level
 *   does (later rows are smaller): the level is exhausted;
 * - a row that led to no subset is not tried again in the same place
 *   under the name of another row of the same amount: the rows after the
 *   second are a part of those after the first, so it would lead to none
 *   either.  (After a row that led to a subset, its twin is tried: it
 *   gives the second subset, the tie.)
 * Sums of ranges come from prefix sums held in 128 bits (two words), and
 * the remainder r never exceeds T, so no sum overflows.
 */
#include "qr_subset.h"

/* a sum of magnitudes: below n * 2^63, held in two 64-bit words */
typedef struct
{
	uint64_t	hi;
	uint64_t	lo;
} wide;

typedef struct
{
	const uint64_t *mag;		/* candidates' magnitudes, largest first */
	const uint64_t *pre_hi;		/* prefix sums of mag[0..i), high words */
	const uint64_t *pre_lo;		/* and low words */
} sums;

static uint64_t
magnitude(int64_t x)
{
	return x < 0 ? (uint64_t) 0 - (uint64_t) x : (uint64_t) x;
}

/* the sum of mag[a..b) */
static wide
span(const sums *s, size_t a, size_t b)
{
	wide		w;

	w.lo = s->pre_lo[b] - s->pre_lo[a];
	w.hi = s->pre_hi[b] - s->pre_hi[a] - (s->pre_lo[b] < s->pre_lo[a]);
	return w;
}

static int
reaches(wide w, uint64_t r)
{
	return w.hi > 0 || w.lo >= r;
}

/* the first position in [from, to) whose magnitude is at most t (or to) */
static size_t
first_at_most(const uint64_t *mag, size_t from, size_t to, uint64_t t)
{
	while (from < to)
	{
		size_t		mid = from + (to - from) / 2;

		if (mag[mid] <= t)
			to = mid;
		else
			from = mid + 1;
	}
	return from;
}

/*
 * Does index x come before index y?  With amount: by magnitude, largest
 * first, then by index; without: by index.
 */
static int
before(const int64_t *amount, size_t x, size_t y)
{
	if (amount != NULL)
	{
		uint64_t	mx = magnitude(amount[x]),
					my = magnitude(amount[y]);

		if (mx != my)
			return mx > my;
	}
	return x < y;
}

static void
sift(size_t *a, size_t root, size_t n, const int64_t *amount)
{
	for (;;)
	{
		size_t		child = 2 * root + 1;
		size_t		t;

		if (child >= n)
			return;
		if (child + 1 < n && before(amount, a[child], a[child + 1]))
			child++;
		if (!before(amount, a[root], a[child]))
			return;
		t = a[root];
		a[root] = a[child];
		a[child] = t;
		root = child;
	}
}

/* heapsort of n indexes into the order of before() */
static void
sort_indexes(size_t *a, size_t n, const int64_t *amount)
{
	for (size_t i = n / 2; i-- > 0;)
		sift(a, i, n, amount);
	for (size_t end = n; end-- > 1;)
	{
		size_t		t = a[0];

		a[0] = a[end];
		a[end] = t;
		sift(a, 0, end, amount);
	}
}

/*
 * Adds the subset perm[pos[0..k)] to pick: the first one as it is, the
 * second merged in (the union).  Both end in ascending order.
 */
static void
record(size_t *pick, int *npick, const size_t *perm, const size_t *pos, size_t k)
{
	size_t		have = (size_t) *npick,
				out = 0;

	for (size_t i = 0; i < k; i++)
		pick[have + i] = perm[pos[i]];
	sort_indexes(pick, have + k, NULL);
	for (size_t i = 0; i < have + k; i++)
		if (out == 0 || pick[i] != pick[out - 1])
			pick[out++] = pick[i];
	*npick = (int) out;
}

/*
 * The candidates into perm[0..m), largest first: the rows of the target's
 * sign, nonzero and smaller than the target; their magnitudes into mag and
 * the prefix sums into pre_hi and pre_lo.  Returns m.
 */
static size_t
candidates(int64_t target, const int64_t *amount, size_t n, size_t *perm,
		   uint64_t *mag, uint64_t *pre_hi, uint64_t *pre_lo)
{
	uint64_t	total = magnitude(target);
	size_t		m = 0;

	for (size_t i = 0; i < n; i++)
		if (amount[i] != 0 && (amount[i] < 0) == (target < 0) && magnitude(amount[i]) < total)
			perm[m++] = i;
	sort_indexes(perm, m, amount);
	pre_hi[0] = pre_lo[0] = 0;
	for (size_t i = 0; i < m; i++)
	{
		mag[i] = magnitude(amount[perm[i]]);
		pre_lo[i + 1] = pre_lo[i] + mag[i];
		pre_hi[i + 1] = pre_hi[i] + (pre_lo[i + 1] < pre_lo[i]);
	}
	return m;
}

/*
 * The first position at or after next that a subset still reaching r can
 * take, with need rows still needed at least and room rows still allowed
 * (the first two bounds atop this file); m when there is none.
 */
static size_t
first_usable(const sums *s, size_t m, size_t next, size_t need, size_t room, uint64_t r)
{
	wide		smallest;
	size_t		last,
				q,
				take;

	if (m - next < need)
		return m;
	smallest = span(s, m - (need - 1), m);
	if (reaches(smallest, r))
		return m;
	last = m - need + 1;
	q = first_at_most(s->mag, next, last, r - smallest.lo);
	if (q >= last)
		return m;
	take = room < m - q ? room : m - q;
	if (!reaches(span(s, q, q + take), r))
		return m;
	return q;
}

qr_subset_result
qr_subset_find(int64_t target, const int64_t *amount, size_t n,
			   int min_rows, int max_rows, long budget,
			   size_t *pick, int *npick, void *work)
{
	uint64_t	total = magnitude(target),
				r;
	uint64_t   *mag = work;
	uint64_t   *pre_hi = mag + n;
	uint64_t   *pre_lo = pre_hi + n + 1;
	size_t	   *perm = (size_t *) (pre_lo + n + 1);
	size_t	   *pos = perm + n;
	long	   *found_before;
	sums		s = {mag, pre_hi, pre_lo};
	size_t		m = 0,
				fewest,
				most,
				depth = 0,
				next = 0;
	long		nodes = 0,
				found = 0;

	*npick = 0;
	if (max_rows < 1 || max_rows < min_rows)
		return QR_SUBSET_NONE;
	fewest = min_rows < 1 ? 1 : (size_t) min_rows;
	most = (size_t) max_rows < n ? (size_t) max_rows : n;
	found_before = (long *) (pos + most + 1);

	m = candidates(target, amount, n, perm, mag, pre_hi, pre_lo);
	if (most > m)
		most = m;
	if (most < fewest)
		return QR_SUBSET_NONE;

	r = total;
	for (;;)
	{
		/* the rows still needed at least, the rows still allowed: which to try */
		size_t		q = first_usable(&s, m, next, fewest > depth ? fewest - depth : 1,
									 most - depth, r);

		if (q < m)
		{
			if (nodes >= budget)
			{
				*npick = 0;
				return QR_SUBSET_GAVE_UP;
			}
			nodes++;
			pos[depth] = q;
			found_before[depth] = found;
			depth++;
			r -= mag[q];
			if (r == 0)
			{
				/* need was 1 here: the subset has enough rows */
				record(pick, npick, perm, pos, depth);
				if (++found == 2)
					return QR_SUBSET_MANY;
			}
			else if (depth < most)
			{
				next = q + 1;
				continue;
			}
		}

		/* this level is done: back to the row chosen one level up */
		if (depth == 0)
			break;
		depth--;
		q = pos[depth];
		r += mag[q];
		if (found == found_before[depth])
			next = first_at_most(mag, q + 1, m, mag[q] - 1);
		else
			next = q + 1;
	}
	if (found == 1)
		return QR_SUBSET_ONE;
	return QR_SUBSET_NONE;
}

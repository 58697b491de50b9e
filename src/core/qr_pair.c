/*
 * qr_pair.c — one-to-one pairing of ledger and statement rows by nearest
 * time, for the rows reconciliation cannot match by reference.
 *
 * The closest pair of rows of different sides is always adjacent among the
 * rows not yet paired (a row between two others is of a different side
 * than one of them, and closer to it).  So the candidates are the adjacent
 * pairs, kept in a binary heap; taking a pair joins its neighbours, which
 * become a candidate in turn.  Stale candidates are skipped when popped.
 */
#include "qrpay_core.h"

/* a candidate: rows i and j adjacent at the time, gap apart */
typedef struct
{
	int64_t		gap;
	int64_t		i;
	int64_t		j;
} cand;

/* the closest first; on a tie, the pair that ends first */
static int
before(const cand *a, const cand *b)
{
	return a->gap < b->gap || (a->gap == b->gap && a->j < b->j);
}

static void
push(cand *heap, long *size, cand c)
{
	long		k = (*size)++;

	while (k > 0 && before(&c, &heap[(k - 1) / 2]))
	{
		heap[k] = heap[(k - 1) / 2];
		k = (k - 1) / 2;
	}
	heap[k] = c;
}

static cand
pop(cand *heap, long *size)
{
	cand		top = heap[0],
				last = heap[--(*size)];
	long		k = 0;

	for (;;)
	{
		long		c = 2 * k + 1;

		if (c >= *size)
			break;
		if (c + 1 < *size && before(&heap[c + 1], &heap[c]))
			c++;
		if (!before(&heap[c], &last))
			break;
		heap[k] = heap[c];
		k = c;
	}
	if (*size > 0)
		heap[k] = last;
	return top;
}

/* rows a < b as a candidate, when they can pair */
static void
consider(cand *heap, long *size, const int64_t *t, const unsigned char *side,
		 long a, long b, int64_t window)
{
	cand		c;

	if (a < 0 || b < 0 || side[a] == side[b])
		return;
	if (t[a] < 0 && t[b] > INT64_MAX + t[a])
		return;					/* further apart than any window */
	c.gap = t[b] - t[a];
	if (c.gap > window)
		return;
	c.i = a;
	c.j = b;
	push(heap, size, c);
}

void
qr_pair_nearest(const int64_t *t, const unsigned char *side, long n,
				int64_t window, long *mate, void *work)
{
	cand	   *heap = (cand *) work;	/* at most 2n candidates are pushed */
	long	   *prev = (long *) (heap + 2 * n);
	long	   *next = prev + n;
	long		size = 0,
				i,
				l,
				s;

	for (i = 0; i < n; i++)
	{
		prev[i] = i - 1;
		next[i] = i + 1 < n ? i + 1 : -1;
		mate[i] = -1;
	}
	for (i = 0; i + 1 < n; i++)
		consider(heap, &size, t, side, i, i + 1, window);
	while (size > 0)
	{
		cand		c = pop(heap, &size);
		long		a = (long) c.i,
					b = (long) c.j;

		if (mate[a] >= 0 || mate[b] >= 0 || next[a] != b)
			continue;			/* stale: a row was taken since */
		mate[a] = b;
		mate[b] = a;
		/* unlink both; their neighbours become adjacent */
		if (prev[a] >= 0)
			next[prev[a]] = next[b];
		if (next[b] >= 0)
			prev[next[b]] = prev[a];
		consider(heap, &size, t, side, prev[a], next[b], window);
	}

	/* the k-th paired ledger row goes with the k-th paired statement row */
	l = 0;
	s = 0;
	for (;;)
	{
		while (l < n && (side[l] != 0 || mate[l] < 0))
			l++;
		while (s < n && (side[s] != 1 || mate[s] < 0))
			s++;
		if (l >= n || s >= n)
			break;
		prev[l] = s;			/* prev and next are done with: the new mates */
		next[s] = l;
		l++;
		s++;
	}
	for (i = 0; i < n; i++)
		if (mate[i] >= 0)
			mate[i] = side[i] == 0 ? prev[i] : next[i];
}

/*
 * qr_stream.c — pairing by nearest time, streamed (semantics in
 * qr_stream.h).
 *
 * The undecided bundles stand in a doubly linked list, in order; each
 * knows whether the link to its right neighbour is a candidate and its
 * gap.  A plateau B1..Bm of gap g is final when
 *   - Bm is not the newest bundle (more rows may join it), and
 *   - no bundle in the list within g to the left of B1 is of the other
 *     side and may pair with B1, and likewise to the right of Bm, and
 *   - when every bundle right of Bm is within g, no bundle yet to come
 *     could be of the other side, within g of Bm and pair with it.
 * Such a bundle (a "blocker") is the only thing that could ever give an
 * end of the plateau a link of gap <= g: any bundle that becomes its
 * neighbour later lies at least as far.  Bundles already decided do not
 * count: a plateau decided with a larger gap had no blocker either, so
 * none of its rows is within its gap of ours, and one decided with a
 * smaller gap is gone first in the batch order too.  A blocker in the
 * list always means a candidate of smaller gap between it and the
 * plateau, so following blockers ends at the newest rows: whatever is
 * undecided hangs on what is yet to come.
 *
 * A plateau that is not final waits on its first blocker: it is looked at
 * again when that bundle leaves the list; when only rows yet to come could
 * block it, when the newest time passes its gap (a heap keeps these in
 * time order); when it holds the newest bundle, at the next bundle.  A
 * plateau that changes shape (an end taken by a closer pair, two links
 * merged) is looked at again from the links next to the change.  So a
 * look is caused by a change next to the plateau and walks the bundles
 * within its gap only, and a long run of rows of one side after a plateau
 * is not walked again at each row.  To find B1 without walking a long
 * plateau, each bundle keeps the first bundle of the plateau its left link
 * belongs to.
 *
 * A plateau B1..Bm not yet final with no blocker left of B1 keeps B1 and
 * its rows whatever comes: a bundle that comes next to B1 on the left lies
 * further than g, and nothing but Bm can be taken from its right end
 * (once Bm is taken by a closer row, the new end's neighbour lies further
 * than g too).  So the rows of B1..Bm-1 are in its set, and the cuts of
 * the set (qr_stream.h, 4) are known from B1 on.  Once more than a set's
 * worth lies before Bm-1, the leading sets are given out and their
 * bundles leave the list (the last one cut may keep rows), always leaving
 * a row of Bm-2: what remains is a plateau of two bundles or more even if
 * Bm is taken, marked as the rest of a set, never a pair.  Nothing else
 * changes: the new left neighbour of the rest lies further than g from it,
 * a link of a gap above g, settled after the plateau in any case; and a
 * plateau on the left that a bundle of the cut blocked waits on that
 * bundle, and looks again when it leaves, as when the whole plateau
 * leaves.  Each bundle knows how many rows of its plateau come before it,
 * so that no look walks the plateau to count them.
 *
 * The oldest bundle is ALONE when nothing in the list (the first bundle of
 * the other side is the nearest) and nothing to come may pair with it.
 *
 * Rows sit in a ring in input order, from the oldest row not yet given out
 * in an event.  AMBIGUOUS and ALONE events are made when decided.  Pairs
 * are made when every earlier row is decided: two cursors walk the ring
 * for the next paired row of each side, and the k-th of one side goes
 * with the k-th of the other.
 *
 * All memory is reserved by qr_stream_push before it changes anything, so
 * deciding never allocates: an event per row and a row slot per row held
 * at most, one bundle per row.
 */
#include <string.h>

#include "qr_stream.h"

#define NIL ((size_t) -1)
#define OPEN ((size_t) -2)		/* waiting for the next bundle */
#define LATER ((size_t) -3)		/* waiting for a time (in the heap) */

enum
{
	ROW_PENDING,
	ROW_PAIRED,					/* paired, its pair not yet made */
	ROW_DONE
};

typedef struct
{
	void	   *row;
	unsigned char side;
	unsigned char state;
} slot;

typedef struct
{
	int64_t		t;
	uint64_t	seq;			/* its first row */
	size_t		n;				/* its rows: seq .. seq + n - 1 */
	size_t		prev,
				next;			/* the list; next also links free nodes */
	size_t		sprev,
				snext;			/* the bundles of its side in the list */
	size_t		pstart;			/* B1 of the plateau of the link prev->this */
	size_t		pre;			/* its rows in the bundles pstart .. prev */
	uint64_t	gap;			/* of the link this->next, when cand */
	size_t		wb;				/* waiting on this bundle, OPEN, LATER or NIL */
	size_t		wprev,
				wnext;			/* the waiters of wb (OPEN: s->ohead) */
	size_t		whead;			/* the bundles waiting on this one */
	uint64_t	wkey;			/* LATER: until the newest time (ordered) reaches it */
	size_t		hpos;			/* LATER: where in the heap */
	unsigned char side;
	unsigned char cand;			/* the link this->next is a candidate */
	unsigned char queued;
	unsigned char alive;
	unsigned char rest;			/* its plateau is the rest of a cut set */
} bundle;

typedef struct
{
	int			kind;
	size_t		off;			/* in orow / oside */
	size_t		n;
} event;

struct qr_stream
{
	qr_stream_mem mem;
	uint64_t	before,
				after;
	size_t		max_set;		/* the most rows of a set */
	int			finished;
	int			any;			/* a row was pushed */
	int64_t		tn;				/* the newest row's time and side */
	unsigned char sn;

	slot	   *ring;			/* capacity a power of 2 */
	size_t		ringcap;
	uint64_t	head,			/* oldest row held */
				next_seq;
	uint64_t	cur[2];			/* per side: rows before it hold no pending pair */

	bundle	   *b;
	size_t		bcap;
	size_t		freeb;
	size_t		first,
				last;			/* the list; last is the newest bundle */
	size_t		sfirst[2],
				slast[2];
	size_t		ohead;			/* the bundles waiting for the next bundle */
	size_t	   *heap;			/* capacity bcap: the bundles waiting LATER */
	size_t		nheap;
	size_t	   *work;			/* capacity bcap: bundles to look at */
	size_t		nwork;

	event	   *ev;
	size_t		evcap,
				evhead,
				evcount;
	void	  **orow;
	unsigned char *oside;
	size_t		ocap,
				oscap,
				ocount;
	size_t		held;
};

/* ------------------------------------------------------------------ */
/* Memory                                                              */
/* ------------------------------------------------------------------ */

/* a new array of n elements of size, or NULL (also on overflow) */
static void *
get(qr_stream *s, size_t n, size_t size)
{
	if (n > (size_t) -1 / size)
		return NULL;
	return s->mem.alloc(s->mem.ctx, n * size);
}

static void
put(qr_stream *s, void *p)
{
	if (p != NULL)
		s->mem.release(s->mem.ctx, p);
}

/* the capacity to grow to for need elements: doubling, 16 at least */
static size_t
grown(size_t cap, size_t need)
{
	size_t		c = cap < 16 ? 16 : cap;

	while (c < need)
	{
		if (c > (size_t) -1 / 2)
			return need;
		c *= 2;
	}
	return c;
}

/* grows a plain array to hold need elements, keeping the first keep */
static int
reserve(qr_stream *s, void **arr, size_t *cap, size_t need, size_t size, size_t keep)
{
	void	   *p;
	size_t		c;

	if (need <= *cap)
		return 0;
	c = grown(*cap, need);
	p = get(s, c, size);
	if (p == NULL)
		return -1;
	if (keep > 0)
		memcpy(p, *arr, keep * size);
	put(s, *arr);
	*arr = p;
	*cap = c;
	return 0;
}

static int
reserve_ring(qr_stream *s, size_t need)
{
	slot	   *p;
	size_t		c = s->ringcap < 16 ? 16 : s->ringcap;
	uint64_t	q;

	if (need <= s->ringcap)
		return 0;
	while (c < need)
	{
		if (c > (size_t) -1 / 4)
			return -1;
		c *= 2;
	}
	p = get(s, c, sizeof(slot));
	if (p == NULL)
		return -1;
	for (q = s->head; q < s->next_seq; q++)
		p[q & (c - 1)] = s->ring[q & (s->ringcap - 1)];
	put(s, s->ring);
	s->ring = p;
	s->ringcap = c;
	return 0;
}

/* one free bundle node at least, and room to queue every node */
static int
reserve_bundle(qr_stream *s)
{
	bundle	   *p;
	size_t	   *w,
			   *h;
	size_t		c,
				i;

	if (s->freeb != NIL)
		return 0;
	c = grown(s->bcap, s->bcap + 1);
	p = get(s, c, sizeof(bundle));
	w = get(s, c, sizeof(size_t));
	h = get(s, c, sizeof(size_t));
	if (p == NULL || w == NULL || h == NULL)
	{
		put(s, p);
		put(s, w);
		put(s, h);
		return -1;
	}
	if (s->bcap > 0)
	{
		memcpy(p, s->b, s->bcap * sizeof(bundle));
		memcpy(h, s->heap, s->nheap * sizeof(size_t));
	}
	for (i = s->bcap; i < c; i++)
	{
		p[i].alive = 0;
		p[i].next = i + 1 < c ? i + 1 : NIL;
	}
	s->freeb = s->bcap;
	put(s, s->b);
	put(s, s->work);
	put(s, s->heap);
	s->b = p;
	s->work = w;
	s->heap = h;
	s->bcap = c;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Links, windows                                                      */
/* ------------------------------------------------------------------ */

/* later - earlier, exact for any two int64 */
static uint64_t
dist(int64_t earlier, int64_t later)
{
	return (uint64_t) later - (uint64_t) earlier;
}

/* how far to the right (later) a row of side may find its partner */
static uint64_t
rreach(const qr_stream *s, unsigned char side)
{
	return side == 0 ? s->after : s->before;
}

/* how far to the left (earlier) */
static uint64_t
lreach(const qr_stream *s, unsigned char side)
{
	return side == 0 ? s->before : s->after;
}

/* sets the link of u to its right neighbour */
static void
set_link(qr_stream *s, size_t u)
{
	bundle	   *B = s->b;
	size_t		v = B[u].next;

	B[u].cand = 0;
	if (v == NIL || B[v].side == B[u].side)
		return;
	B[u].gap = dist(B[u].t, B[v].t);
	B[u].cand = B[u].gap <= rreach(s, B[u].side);
}

/* the link prev(x) -> x is a candidate of the same gap as x -> next(x) */
static int
same_run(const bundle *B, size_t x)
{
	size_t		p = B[x].prev;

	return p != NIL && B[p].cand && B[x].cand && B[p].gap == B[x].gap;
}

/* pstart and pre of next(x), the link x -> next(x) being a candidate */
static void
follow(bundle *B, size_t x)
{
	size_t		y = B[x].next;

	if (same_run(B, x))
	{
		B[y].pstart = B[x].pstart;
		B[y].pre = B[x].pre + B[x].n;
	}
	else
	{
		B[y].pstart = x;
		B[y].pre = B[x].n;
	}
}

/*
 * pstart and pre of c and of the bundles right of it, after the link a -> c
 * or the rows of c changed
 */
static void
fix_pstart(qr_stream *s, size_t a, size_t c)
{
	bundle	   *B = s->b;
	size_t		x = c;

	if (a != NIL && B[a].cand)
		follow(B, a);
	while (B[x].cand)
	{
		follow(B, x);
		x = B[x].next;
		if (!same_run(B, x))
			break;
	}
}

/* int64 times as uint64 in the same order */
static uint64_t
ordered(int64_t t)
{
	return (uint64_t) t ^ ((uint64_t) 1 << 63);
}

/*
 * Could a bundle yet to come, of the side other than x's, lie within lim
 * of x and pair with it?  The newest row is (tn, sn); a new bundle comes
 * after it: a statement bundle may share its time when it is a ledger row.
 */
static int
future_within(const qr_stream *s, size_t x, uint64_t lim)
{
	const bundle *X = &s->b[x];
	unsigned char other = !X->side;
	uint64_t	reach = rreach(s, X->side),
				d;

	if (s->finished)
		return 0;
	d = dist(X->t, s->tn);
	if (!(other == 1 && s->sn == 0))
	{
		if (s->tn == INT64_MAX)
			return 0;
		d++;
	}
	return d <= lim && d <= reach;
}

/*
 * The newest time (ordered) from which future_within(s, x, lim) may be
 * false: once a newer row has come, no bundle yet to come is within lim.
 */
static uint64_t
future_until(const qr_stream *s, size_t x, uint64_t lim)
{
	uint64_t	reach = rreach(s, s->b[x].side),
				t = ordered(s->b[x].t);

	if (reach < lim)
		lim = reach;
	return lim > (uint64_t) -1 - t ? (uint64_t) -1 : t + lim;
}

/* ------------------------------------------------------------------ */
/* Waiting and looking again                                           */
/* ------------------------------------------------------------------ */

static void
queue(qr_stream *s, size_t u)
{
	if (u == NIL || s->b[u].queued)
		return;
	s->b[u].queued = 1;
	s->work[s->nwork++] = u;
}

/* the heap of LATER waiters, smallest wkey first */
static void
heap_set(qr_stream *s, size_t i, size_t u)
{
	s->heap[i] = u;
	s->b[u].hpos = i;
}

static void
heap_fix(qr_stream *s, size_t i)
{
	bundle	   *B = s->b;
	size_t		u = s->heap[i];

	while (i > 0 && B[s->heap[(i - 1) / 2]].wkey > B[u].wkey)
	{
		heap_set(s, i, s->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	for (;;)
	{
		size_t		c = 2 * i + 1;

		if (c >= s->nheap)
			break;
		if (c + 1 < s->nheap && B[s->heap[c + 1]].wkey < B[s->heap[c]].wkey)
			c++;
		if (B[s->heap[c]].wkey >= B[u].wkey)
			break;
		heap_set(s, i, s->heap[c]);
		i = c;
	}
	heap_set(s, i, u);
}

static void
unwait(qr_stream *s, size_t u)
{
	bundle	   *B = s->b;
	size_t		w = B[u].wb;

	if (w == NIL)
		return;
	B[u].wb = NIL;
	if (w == LATER)
	{
		size_t		i = B[u].hpos;

		if (i < --s->nheap)
		{
			heap_set(s, i, s->heap[s->nheap]);
			heap_fix(s, i);
		}
		return;
	}
	if (B[u].wprev != NIL)
		B[B[u].wprev].wnext = B[u].wnext;
	else if (w == OPEN)
		s->ohead = B[u].wnext;
	else
		B[w].whead = B[u].wnext;
	if (B[u].wnext != NIL)
		B[B[u].wnext].wprev = B[u].wprev;
}

/* u looks again when blocker leaves the list (OPEN: at the next bundle) */
static void
wait_on(qr_stream *s, size_t u, size_t blocker)
{
	bundle	   *B = s->b;
	size_t	   *head = blocker == OPEN ? &s->ohead : &B[blocker].whead;

	unwait(s, u);
	B[u].wb = blocker;
	B[u].wprev = NIL;
	B[u].wnext = *head;
	if (*head != NIL)
		B[*head].wprev = u;
	*head = u;
}

/* u looks again once the newest time (ordered) reaches key, or at finish */
static void
wait_until(qr_stream *s, size_t u, uint64_t key)
{
	unwait(s, u);
	s->b[u].wb = LATER;
	s->b[u].wkey = key;
	heap_set(s, s->nheap++, u);
	heap_fix(s, s->nheap - 1);
}

/* queues everything waiting on blocker (OPEN: for the next bundle) */
static void
wake(qr_stream *s, size_t blocker)
{
	bundle	   *B = s->b;
	size_t	   *head = blocker == OPEN ? &s->ohead : &B[blocker].whead;

	while (*head != NIL)
	{
		size_t		u = *head;

		*head = B[u].wnext;
		B[u].wb = NIL;
		queue(s, u);
	}
}

/* queues the LATER waiters whose time has come (all of them at finish) */
static void
wake_due(qr_stream *s)
{
	uint64_t	now = ordered(s->tn);

	while (s->nheap > 0 && (s->finished || s->b[s->heap[0]].wkey <= now))
	{
		size_t		u = s->heap[0];

		unwait(s, u);
		queue(s, u);
	}
}

/* ------------------------------------------------------------------ */
/* Events                                                              */
/* ------------------------------------------------------------------ */

static void
emit(qr_stream *s, int kind, size_t off)
{
	event	   *e = &s->ev[s->evcount++];

	e->kind = kind;
	e->off = off;
	e->n = s->ocount - off;
}

static void
out_row(qr_stream *s, uint64_t seq)
{
	slot	   *r = &s->ring[seq & (s->ringcap - 1)];

	s->orow[s->ocount] = r->row;
	s->oside[s->ocount] = r->side;
	s->ocount++;
	r->state = ROW_DONE;
}

/* ------------------------------------------------------------------ */
/* Decisions                                                           */
/* ------------------------------------------------------------------ */

/* takes x out of the list; whatever waited on it looks again */
static void
drop(qr_stream *s, size_t x)
{
	bundle	   *B = s->b;
	unsigned char sd = B[x].side;

	unwait(s, x);
	wake(s, x);
	if (B[x].prev != NIL)
		B[B[x].prev].next = B[x].next;
	else
		s->first = B[x].next;
	if (B[x].next != NIL)
		B[B[x].next].prev = B[x].prev;
	else
		s->last = B[x].prev;
	if (B[x].sprev != NIL)
		B[B[x].sprev].snext = B[x].snext;
	else
		s->sfirst[sd] = B[x].snext;
	if (B[x].snext != NIL)
		B[B[x].snext].sprev = B[x].sprev;
	else
		s->slast[sd] = B[x].sprev;
	B[x].alive = 0;
	B[x].next = s->freeb;
	s->freeb = x;
}

/* the plateau first..last is final: pair or ambiguous set, then out */
static void
settle_plateau(qr_stream *s, size_t first, size_t last)
{
	bundle	   *B = s->b;
	size_t		a = B[first].prev,
				c = B[last].next,
				x,
				nx;

	if (B[first].next == last && B[first].n == 1 && B[last].n == 1 && !B[first].rest)
	{
		s->ring[B[first].seq & (s->ringcap - 1)].state = ROW_PAIRED;
		s->ring[B[last].seq & (s->ringcap - 1)].state = ROW_PAIRED;
	}
	else
	{
		/* sets of max_set rows, the last one of what is left */
		size_t		off = s->ocount;

		for (x = first;; x = B[x].next)
		{
			uint64_t	q;

			for (q = B[x].seq; q < B[x].seq + B[x].n; q++)
			{
				out_row(s, q);
				if (s->ocount - off == s->max_set)
				{
					emit(s, QR_STREAM_AMBIGUOUS, off);
					off = s->ocount;
				}
			}
			if (x == last)
				break;
		}
		if (s->ocount > off)
			emit(s, QR_STREAM_AMBIGUOUS, off);
	}
	for (x = first;; x = nx)
	{
		nx = B[x].next;
		drop(s, x);
		if (x == last)
			break;
	}
	/*
	 * The outer neighbours meet: look at the new link, and at the links
	 * next to it, whose plateaus may have lost an end to this one
	 */
	if (a != NIL)
	{
		set_link(s, a);
		queue(s, a);
		queue(s, B[a].prev);
	}
	if (c != NIL)
	{
		fix_pstart(s, a, c);
		queue(s, c);
	}
}

/*
 * The first blocker of the plateau end e on its right (or left): a bundle
 * in the list within g of e, of the other side, that may pair with e; NIL
 * when none.  *all_within says whether every bundle that way is within g.
 */
static size_t
blocker(const qr_stream *s, size_t e, int right, uint64_t g, int *all_within)
{
	const bundle *B = s->b;
	uint64_t	reach = right ? rreach(s, B[e].side) : lreach(s, B[e].side);
	size_t		x;

	*all_within = 0;
	for (x = right ? B[e].next : B[e].prev; x != NIL; x = right ? B[x].next : B[x].prev)
	{
		uint64_t	d = right ? dist(B[e].t, B[x].t) : dist(B[x].t, B[e].t);

		if (d > g)
			break;
		if (B[x].side != B[e].side && d <= reach)
			return x;
	}
	*all_within = x == NIL;
	return NIL;
}

/*
 * The plateau from first, own -> next(own) its last link, with no blocker
 * left of first and more than max_set rows before own: gives out its
 * leading sets of max_set rows while more than max_set rows are left
 * before own, keeping a row of the bundle before own.  Returns the
 * plateau's first bundle.
 */
static size_t
cut(qr_stream *s, size_t first, size_t own)
{
	bundle	   *B = s->b;
	size_t		a = B[first].prev,
				x = first,
				sets,
				off;

	for (sets = (B[own].pre - 1) / s->max_set; sets > 0; sets--)
	{
		off = s->ocount;
		while (s->ocount - off < s->max_set)
		{
			if (B[x].n == 0)
			{
				size_t		nx = B[x].next;

				drop(s, x);
				x = nx;
			}
			out_row(s, B[x].seq);
			B[x].seq++;
			B[x].n--;
		}
		emit(s, QR_STREAM_AMBIGUOUS, off);
	}
	if (B[x].n == 0)
	{
		size_t		nx = B[x].next;

		drop(s, x);
		x = nx;
	}
	B[x].rest = 1;
	/* as in settle_plateau: the left neighbour has a new link */
	if (a != NIL)
	{
		set_link(s, a);
		queue(s, a);
		queue(s, B[a].prev);
	}
	fix_pstart(s, a, x);
	return x;
}

/* looks at the plateau of the link u -> next(u): final, or waits */
static void
look(qr_stream *s, size_t u)
{
	bundle	   *B = s->b;
	size_t		first,
				last,
				own = u,
				x;
	uint64_t	g;
	int			all_within;

	if (!B[u].alive || !B[u].cand)
		return;
	g = B[u].gap;
	first = B[B[u].next].pstart;
	last = B[u].next;
	while (B[last].cand && B[last].gap == g)
	{
		own = last;
		last = B[last].next;
	}
	/* more than a set before own, sure to stay when B1 is */
	if (own != first && B[own].pre > s->max_set &&
		blocker(s, first, 0, g, &all_within) == NIL)
		first = cut(s, first, own);
	/* the newest bundle may still grow */
	if (last == s->last && !s->finished)
	{
		wait_on(s, own, OPEN);
		return;
	}
	if ((x = blocker(s, first, 0, g, &all_within)) != NIL)
		wait_on(s, first, x);
	else if ((x = blocker(s, last, 1, g, &all_within)) != NIL)
		wait_on(s, own, x);
	else if (all_within && future_within(s, last, g))
		wait_until(s, own, future_until(s, last, g));
	else
		settle_plateau(s, first, last);
}

/* the oldest bundle, when nothing may ever pair with it: 1 when taken */
static int
alone_first(qr_stream *s)
{
	bundle	   *B = s->b;
	size_t		x = s->first,
				h,
				off;
	uint64_t	q;

	if (x == NIL || (x == s->last && !s->finished) || B[x].cand)
		return 0;
	h = s->sfirst[!B[x].side];
	if (h != NIL && dist(B[x].t, B[h].t) <= rreach(s, B[x].side))
		return 0;
	if (future_within(s, x, (uint64_t) -1))
		return 0;
	for (q = B[x].seq; q < B[x].seq + B[x].n; q++)
	{
		off = s->ocount;
		out_row(s, q);
		emit(s, QR_STREAM_ALONE, off);
	}
	drop(s, x);
	return 1;
}

/* makes the pairs whose rows, and every row before them, are decided */
static void
release(qr_stream *s)
{
	uint64_t	limit = s->first == NIL ? s->next_seq : s->b[s->first].seq;
	size_t		mask = s->ringcap - 1;

	for (;;)
	{
		int			k;

		for (k = 0; k < 2; k++)
		{
			if (s->cur[k] < s->head)
				s->cur[k] = s->head;
			while (s->cur[k] < limit &&
				   (s->ring[s->cur[k] & mask].side != k ||
					s->ring[s->cur[k] & mask].state != ROW_PAIRED))
				s->cur[k]++;
		}
		if (s->cur[0] >= limit || s->cur[1] >= limit)
			break;
		{
			size_t		off = s->ocount;

			out_row(s, s->cur[0]);
			out_row(s, s->cur[1]);
			emit(s, QR_STREAM_PAIR, off);
		}
	}
	while (s->head < s->next_seq && s->ring[s->head & mask].state == ROW_DONE)
		s->head++;
}

/* takes every decision that has become final */
static void
settle(qr_stream *s)
{
	do
	{
		while (s->nwork > 0)
		{
			size_t		u = s->work[--s->nwork];

			s->b[u].queued = 0;
			look(s, u);
		}
	} while (alone_first(s));
	release(s);
}

/* ------------------------------------------------------------------ */
/* API                                                                 */
/* ------------------------------------------------------------------ */

static void
clear(qr_stream *s, int64_t before, int64_t after)
{
	size_t		i;

	s->before = before > 0 ? (uint64_t) before : 0;
	s->after = after > 0 ? (uint64_t) after : 0;
	s->finished = 0;
	s->any = 0;
	s->tn = 0;
	s->sn = 0;
	s->head = s->next_seq = 0;
	s->cur[0] = s->cur[1] = 0;
	s->first = s->last = NIL;
	s->sfirst[0] = s->sfirst[1] = s->slast[0] = s->slast[1] = NIL;
	s->ohead = NIL;
	s->nheap = 0;
	s->nwork = 0;
	s->freeb = NIL;
	for (i = s->bcap; i-- > 0;)
	{
		s->b[i].alive = 0;
		s->b[i].next = s->freeb;
		s->freeb = i;
	}
	s->evhead = s->evcount = 0;
	s->ocount = 0;
	s->held = 0;
}

qr_stream *
qr_stream_create(int64_t before, int64_t after, const qr_stream_mem *mem)
{
	return qr_stream_create_capped(before, after, mem, QR_STREAM_MAX_SET);
}

qr_stream *
qr_stream_create_capped(int64_t before, int64_t after, const qr_stream_mem *mem, size_t max_set)
{
	qr_stream  *s;

	if (mem == NULL || mem->alloc == NULL || mem->release == NULL)
		return NULL;
	s = mem->alloc(mem->ctx, sizeof(qr_stream));
	if (s == NULL)
		return NULL;
	memset(s, 0, sizeof(*s));
	s->mem = *mem;
	s->max_set = max_set > 0 ? max_set : 1;
	s->ring = NULL;
	s->b = NULL;
	s->work = NULL;
	s->heap = NULL;
	s->ev = NULL;
	s->orow = NULL;
	s->oside = NULL;
	clear(s, before, after);
	return s;
}

void
qr_stream_reset(qr_stream *s, int64_t before, int64_t after)
{
	clear(s, before, after);
}

void
qr_stream_destroy(qr_stream *s)
{
	if (s == NULL)
		return;
	put(s, s->ring);
	put(s, s->b);
	put(s, s->work);
	put(s, s->heap);
	put(s, s->ev);
	put(s, s->orow);
	put(s, s->oside);
	s->mem.release(s->mem.ctx, s);
}

size_t
qr_stream_held(const qr_stream *s)
{
	return s->held;
}

/* moves the events not yet given out to the front of their arrays */
static void
compact(qr_stream *s)
{
	size_t		i,
				base;

	if (s->evhead == s->evcount)
	{
		s->evhead = s->evcount = 0;
		s->ocount = 0;
		return;
	}
	/* only once half is given out: each move then pays for itself */
	if (s->evhead == 0 || s->evhead < s->evcount - s->evhead)
		return;
	base = s->ev[s->evhead].off;
	memmove(s->orow, s->orow + base, (s->ocount - base) * sizeof(void *));
	memmove(s->oside, s->oside + base, s->ocount - base);
	s->ocount -= base;
	memmove(s->ev, s->ev + s->evhead, (s->evcount - s->evhead) * sizeof(event));
	s->evcount -= s->evhead;
	s->evhead = 0;
	for (i = 0; i < s->evcount; i++)
		s->ev[i].off -= base;
}

int
qr_stream_push(qr_stream *s, int64_t t, unsigned char side, void *row)
{
	bundle	   *B;
	size_t		x,
				top,
				need;
	int			grow;

	side = side != 0;
	if (s->finished || (s->any && (t < s->tn || (t == s->tn && side < s->sn))))
		return -2;
	grow = !(s->any && t == s->tn && side == s->sn);

	/*
	 * Room for this row in the ring and, at one event per row, in the
	 * events: every row held may come out before the next push.
	 */
	compact(s);
	need = s->ocount + (s->held - (s->evcount > s->evhead ? s->ocount - s->ev[s->evhead].off : 0)) + 1;
	if (reserve_ring(s, (size_t) (s->next_seq - s->head) + 1) < 0 ||
		reserve(s, (void **) &s->ev, &s->evcap, s->evcount + (need - s->ocount), sizeof(event), s->evcount) < 0 ||
		reserve(s, (void **) &s->orow, &s->ocap, need, sizeof(void *), s->ocount) < 0 ||
		reserve(s, (void **) &s->oside, &s->oscap, need, 1, s->ocount) < 0 ||
		(grow && reserve_bundle(s) < 0))
		return -1;

	{
		slot	   *r = &s->ring[s->next_seq & (s->ringcap - 1)];

		r->row = row;
		r->side = side;
		r->state = ROW_PENDING;
	}
	s->held++;
	B = s->b;
	if (!grow)
	{
		B[s->last].n++;
		s->next_seq++;
		return 0;
	}

	/* a new bundle, the newest: the one before it is complete now */
	x = s->freeb;
	s->freeb = B[x].next;
	memset(&B[x], 0, sizeof(bundle));
	B[x].t = t;
	B[x].side = side;
	B[x].seq = s->next_seq++;
	B[x].n = 1;
	B[x].alive = 1;
	B[x].next = NIL;
	B[x].wb = B[x].wprev = B[x].wnext = B[x].whead = NIL;
	B[x].pstart = NIL;
	top = s->last;
	B[x].prev = top;
	if (top != NIL)
		B[top].next = x;
	else
		s->first = x;
	s->last = x;
	B[x].snext = NIL;
	B[x].sprev = s->slast[side];
	if (s->slast[side] != NIL)
		B[s->slast[side]].snext = x;
	else
		s->sfirst[side] = x;
	s->slast[side] = x;
	s->any = 1;
	s->tn = t;
	s->sn = side;

	if (top != NIL)
	{
		set_link(s, top);
		fix_pstart(s, top, x);
		queue(s, top);
	}
	wake(s, OPEN);
	wake_due(s);
	settle(s);
	return 0;
}

void
qr_stream_finish(qr_stream *s)
{
	if (s->finished)
		return;
	s->finished = 1;
	compact(s);
	wake(s, OPEN);
	wake_due(s);
	settle(s);
}

int
qr_stream_next(qr_stream *s, qr_stream_event *ev)
{
	const event *e;

	if (s->evhead >= s->evcount)
		return 0;
	e = &s->ev[s->evhead++];
	ev->kind = e->kind;
	ev->rows = s->orow + e->off;
	ev->sides = s->oside + e->off;
	ev->n = e->n;
	ev->row[0] = s->orow[e->off];
	ev->row[1] = e->n == 2 && e->kind == QR_STREAM_PAIR ? s->orow[e->off + 1] : NULL;
	s->held -= e->n;
	return 1;
}

/*
 * qr_stream.c — pairing by nearest time, streamed (semantics in
 * qr_stream.h).
 *
 * Two stages.  The first settles the list of rows (qr_stream.h, 1-2):
 * each row still in the list is a node of a doubly linked list, in order;
 * each knows whether the link to its right neighbour is a candidate and
 * its gap.  A plateau N1..Nm of gap g is final when
 *   - Nm is not the newest row (rows that come next may be its twins and
 *     the first of them would then sit between it and what follows), and
 *   - no node in the list within g to the left of N1 is of the other side
 *     and may pair with N1, and likewise to the right of Nm, and
 *   - when every node right of Nm is within g, no row yet to come could be
 *     of the other side, within g of Nm and pair with it.
 * Such a node (a "blocker") is the only thing that could ever give an end
 * of the plateau a link of gap <= g: any node that becomes its neighbour
 * later lies at least as far.  Nodes already decided do not count: a
 * plateau decided with a larger gap had no blocker either, so none of its
 * rows is within its gap of ours, and one decided with a smaller gap is
 * gone first in the batch order too.  A blocker in the list always means a
 * candidate of smaller gap between it and the plateau, so following
 * blockers ends at the newest rows: whatever is undecided hangs on what is
 * yet to come.
 *
 * A plateau that is not final waits on its first blocker: it is looked at
 * again when that node leaves the list; when only rows yet to come could
 * block it, when the newest time passes its gap (a heap keeps these in
 * time order); when it holds the newest node, at the next row.  A plateau
 * that changes shape (an end taken by a closer pair, two links merged) is
 * looked at again from the links next to the change.  So a look is caused
 * by a change next to the plateau and walks the nodes within its gap only,
 * and a long run of rows of one side after a plateau is not walked again
 * at each row.  To find N1 without walking a long plateau, each node keeps
 * the first node of the plateau its left link belongs to, and how many
 * nodes of it come before it.
 *
 * A plateau N1..Nm not yet final with no blocker left of N1 keeps N1 and
 * its rows whatever comes: a node that comes next to N1 on the left lies
 * further than g, and nothing but Nm can be taken from its right end (once
 * Nm is taken by a closer row, the new end's neighbour lies further than g
 * too).  So N1..Nm-2 are sure to be in its set: once more than CUT of them
 * lie there, they leave the list, marked as rows of the set, and Nm-2 is
 * marked as the rest of that set (its plateau is never a pair, even if Nm
 * is taken).  Nothing else changes: the new left neighbour of the rest
 * lies further than g from it, a link of a gap above g, settled after the
 * plateau in any case; and a plateau on the left that a node of the cut
 * blocked waits on that node, and looks again when it leaves, as when the
 * whole plateau leaves.
 *
 * The oldest node is ALONE when nothing in the list (the first node of the
 * other side is the nearest) and nothing to come may pair with it.
 *
 * The second stage (qr_stream.h, 3-5) reads the rows in input order once
 * the first stage has decided them: the rows before the oldest node in the
 * list.  Rows sit in a ring in input order, from the oldest row not yet
 * given out.  Each row read joins a component (with a list of its rows in
 * input order): the previous row when it is its twin, the k-th paired row
 * of the other side when it is the k-th paired row of its side (a queue
 * holds the paired rows still waiting for theirs), and the rows of its
 * set read before it.  A component counts what may still join it: a
 * paired row waiting in the queue, a set with rows not yet read (or still
 * in the list), and its newest row while the next row may be a twin.  At
 * zero it is final and goes out: one AMBIGUOUS set (in sets of max_set
 * rows), a PAIR, or ALONE rows.  The rows of the component of the oldest
 * row held, when it is sure to be ambiguous, go out as a set as soon as
 * max_set of them are sure to be its first ones: every row before the
 * max_set-th is out or in it, and none of them is still referred to (a
 * paired row in the queue, the last row read of an open set), so nothing
 * to come can fall before it.  Components merge by moving the rows of the
 * smaller into the larger.
 *
 * All memory is reserved by qr_stream_push before it changes anything, so
 * deciding never allocates: an event per row and a row slot per row held
 * at most, one node, one component and one set per row held.
 */
#include <string.h>

#include "qr_stream.h"

#define NIL ((size_t) -1)
#define OPEN ((size_t) -2)		/* waiting for the next row */
#define LATER ((size_t) -3)		/* waiting for a time (in the heap) */
#define NONE ((uint64_t) -1)	/* no row */

/* N1..Nm-2 of a plateau leave the list once more than this many */
#define CUT 32

enum
{
	ROW_PENDING,				/* in the list */
	ROW_ALONE,
	ROW_PAIRED,
	ROW_SET,					/* in set slot.set */
	ROW_DONE					/* given out */
};

/* component flags: its edges */
#define C_TWIN 1
#define C_PAIR 2
#define C_SET 4

typedef struct
{
	void	   *row;
	int64_t		t;
	uint64_t	cnext;			/* the next row of its component */
	uint64_t	qnext;			/* the next row in the queue of paired rows */
	size_t		comp;			/* its component, once read */
	size_t		set;			/* ROW_SET: its set */
	unsigned char side;
	unsigned char state;
	unsigned char pins;			/* referred to: in the queue, last read of a set */
} slot;

typedef struct
{
	int64_t		t;
	uint64_t	seq;			/* its row */
	size_t		prev,
				next;			/* the list; next also links free nodes */
	size_t		sprev,
				snext;			/* the nodes of its side in the list */
	size_t		pstart;			/* N1 of the plateau of the link prev->this */
	size_t		pre;			/* the nodes pstart .. prev */
	uint64_t	gap;			/* of the link this->next, when cand */
	size_t		wb;				/* waiting on this node, OPEN, LATER or NIL */
	size_t		wprev,
				wnext;			/* the waiters of wb (OPEN: s->ohead) */
	size_t		whead;			/* the nodes waiting on this one */
	uint64_t	wkey;			/* LATER: until the newest time (ordered) reaches it */
	size_t		hpos;			/* LATER: where in the heap */
	size_t		rest;			/* 1 + the set its plateau is the rest of, or 0 */
	unsigned char side;
	unsigned char cand;			/* the link this->next is a candidate */
	unsigned char queued;
	unsigned char alive;
} node;

typedef struct
{
	uint64_t	first,
				last;			/* its rows not yet out, in input order */
	size_t		count;
	size_t		pend;			/* what may still join it */
	size_t		next;			/* free list */
	unsigned char flags;
} comp;

typedef struct
{
	size_t		left;			/* rows marked and not yet read */
	uint64_t	last;			/* the last row read, or NONE */
	size_t		next;			/* free list */
	unsigned char open;			/* the rest of it is still in the list */
} rset;

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
	uint64_t	head,			/* oldest row not out */
				next_seq;

	node	   *b;
	size_t		bcap;
	size_t		freeb;
	size_t		first,
				last;			/* the list; last is the newest node */
	size_t		sfirst[2],
				slast[2];
	size_t		ohead;			/* the nodes waiting for the next row */
	size_t	   *heap;			/* capacity bcap: the nodes waiting LATER */
	size_t		nheap;
	size_t	   *work;			/* capacity bcap: nodes to look at */
	size_t		nwork;

	/* the second stage */
	uint64_t	read;			/* the next row to read */
	int			tail;			/* the row read last may still get a twin */
	uint64_t	qhead[2],
				qtail[2];		/* per side: the paired rows waiting */
	uint64_t	vend;			/* rows head .. vend-1: out or in head's component */
	size_t		vcount;			/* of them, not out */
	comp	   *comps;			/* capacity bcap, as sets */
	rset	   *sets;
	size_t		freec,
				frees;

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

/*
 * Nodes (with room to queue each), components and sets for need rows
 * held: one each per row at most
 */
static int
reserve_rows(qr_stream *s, size_t need)
{
	node	   *p;
	size_t	   *w,
			   *h;
	comp	   *c;
	rset	   *r;
	size_t		cap,
				i;

	if (need <= s->bcap)
		return 0;
	cap = grown(s->bcap, need);
	p = get(s, cap, sizeof(node));
	w = get(s, cap, sizeof(size_t));
	h = get(s, cap, sizeof(size_t));
	c = get(s, cap, sizeof(comp));
	r = get(s, cap, sizeof(rset));
	if (p == NULL || w == NULL || h == NULL || c == NULL || r == NULL)
	{
		put(s, p);
		put(s, w);
		put(s, h);
		put(s, c);
		put(s, r);
		return -1;
	}
	if (s->bcap > 0)
	{
		memcpy(p, s->b, s->bcap * sizeof(node));
		memcpy(h, s->heap, s->nheap * sizeof(size_t));
		memcpy(c, s->comps, s->bcap * sizeof(comp));
		memcpy(r, s->sets, s->bcap * sizeof(rset));
	}
	for (i = cap; i-- > s->bcap;)
	{
		p[i].alive = 0;
		p[i].next = s->freeb;
		s->freeb = i;
		c[i].next = s->freec;
		s->freec = i;
		r[i].next = s->frees;
		s->frees = i;
	}
	put(s, s->b);
	put(s, s->work);
	put(s, s->heap);
	put(s, s->comps);
	put(s, s->sets);
	s->b = p;
	s->work = w;
	s->heap = h;
	s->comps = c;
	s->sets = r;
	s->bcap = cap;
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
	node	   *B = s->b;
	size_t		v = B[u].next;

	B[u].cand = 0;
	if (v == NIL || B[v].side == B[u].side)
		return;
	B[u].gap = dist(B[u].t, B[v].t);
	B[u].cand = B[u].gap <= rreach(s, B[u].side);
}

/* the link prev(x) -> x is a candidate of the same gap as x -> next(x) */
static int
same_run(const node *B, size_t x)
{
	size_t		p = B[x].prev;

	return p != NIL && B[p].cand && B[x].cand && B[p].gap == B[x].gap;
}

/* pstart and pre of next(x), the link x -> next(x) being a candidate */
static void
follow(node *B, size_t x)
{
	size_t		y = B[x].next;

	if (same_run(B, x))
	{
		B[y].pstart = B[x].pstart;
		B[y].pre = B[x].pre + 1;
	}
	else
	{
		B[y].pstart = x;
		B[y].pre = 1;
	}
}

/*
 * pstart and pre of c and of the nodes right of it, after the link a -> c
 * or the rows of c changed
 */
static void
fix_pstart(qr_stream *s, size_t a, size_t c)
{
	node	   *B = s->b;
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
 * Could a row yet to come, of the side other than x's, lie within lim of
 * x and pair with it?  The newest row is (tn, sn); a row to come may share
 * its time when its side is sn or after.
 */
static int
future_within(const qr_stream *s, size_t x, uint64_t lim)
{
	const node *X = &s->b[x];
	unsigned char other = !X->side;
	uint64_t	reach = rreach(s, X->side),
				d;

	if (s->finished)
		return 0;
	d = dist(X->t, s->tn);
	if (other < s->sn)
	{
		if (s->tn == INT64_MAX)
			return 0;
		d++;
	}
	return d <= lim && d <= reach;
}

/*
 * The newest time (ordered) from which future_within(s, x, lim) may be
 * false: once a newer row has come, no row yet to come is within lim.
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
	node	   *B = s->b;
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
	node	   *B = s->b;
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

/* u looks again when blocker leaves the list (OPEN: at the next row) */
static void
wait_on(qr_stream *s, size_t u, size_t blocker)
{
	node	   *B = s->b;
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

/* queues everything waiting on blocker (OPEN: for the next row) */
static void
wake(qr_stream *s, size_t blocker)
{
	node	   *B = s->b;
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

static slot *
row_at(const qr_stream *s, uint64_t seq)
{
	return &s->ring[seq & (s->ringcap - 1)];
}

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
	slot	   *r = row_at(s, seq);

	s->orow[s->ocount] = r->row;
	s->oside[s->ocount] = r->side;
	s->ocount++;
	r->state = ROW_DONE;
}

/* ------------------------------------------------------------------ */
/* The first stage: the list                                           */
/* ------------------------------------------------------------------ */

/* takes x out of the list; whatever waited on it looks again */
static void
drop(qr_stream *s, size_t x)
{
	node	   *B = s->b;
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

/* the set of the plateau from x: its rest's, or a new one */
static size_t
set_of(qr_stream *s, size_t x)
{
	size_t		k = s->b[x].rest;

	if (k > 0)
		return k - 1;
	k = s->frees;
	s->frees = s->sets[k].next;
	s->sets[k].left = 0;
	s->sets[k].last = NONE;
	return k;
}

/* the row of node x is in set k */
static void
mark_set(qr_stream *s, size_t x, size_t k)
{
	slot	   *r = row_at(s, s->b[x].seq);

	r->state = ROW_SET;
	r->set = k;
	s->sets[k].left++;
}

/* the outer neighbours a and c of what left the list meet */
static void
rejoin(qr_stream *s, size_t a, size_t c)
{
	/* look at the new link, and at the links next to it, whose plateaus may have lost an end */
	if (a != NIL)
	{
		set_link(s, a);
		queue(s, a);
		queue(s, s->b[a].prev);
	}
	if (c != NIL)
	{
		fix_pstart(s, a, c);
		queue(s, c);
	}
}

/* the plateau first..last is final: pair or set, then out of the list */
static void
settle_plateau(qr_stream *s, size_t first, size_t last)
{
	node	   *B = s->b;
	size_t		a = B[first].prev,
				c = B[last].next,
				x,
				nx;

	if (B[first].next == last && B[first].rest == 0)
	{
		row_at(s, B[first].seq)->state = ROW_PAIRED;
		row_at(s, B[last].seq)->state = ROW_PAIRED;
	}
	else
	{
		size_t		k = set_of(s, first);

		s->sets[k].open = 0;
		for (x = first;; x = B[x].next)
		{
			mark_set(s, x, k);
			if (x == last)
				break;
		}
	}
	for (x = first;; x = nx)
	{
		nx = B[x].next;
		drop(s, x);
		if (x == last)
			break;
	}
	rejoin(s, a, c);
}

/*
 * The first blocker of the plateau end e on its right (or left): a node in
 * the list within g of e, of the other side, that may pair with e; NIL
 * when none.  *all_within says whether every node that way is within g.
 */
static size_t
blocker(const qr_stream *s, size_t e, int right, uint64_t g, int *all_within)
{
	const node *B = s->b;
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
 * left of first: its nodes before prev(own) leave the list as rows of its
 * set, prev(own) is the rest of the set.  Returns prev(own).
 */
static size_t
cut(qr_stream *s, size_t first, size_t own)
{
	node	   *B = s->b;
	size_t		a = B[first].prev,
				keep = B[own].prev,
				k = set_of(s, first),
				x = first;

	s->sets[k].open = 1;
	while (x != keep)
	{
		size_t		nx = B[x].next;

		mark_set(s, x, k);
		drop(s, x);
		x = nx;
	}
	B[keep].rest = k + 1;
	/*
	 * a and keep are not neighbours in the batch order: a meets what
	 * follows the whole plateau, when it leaves (a twin of N1 would meet
	 * keep at exactly g)
	 */
	if (a != NIL)
	{
		B[a].cand = 0;
		queue(s, B[a].prev);
	}
	fix_pstart(s, NIL, keep);
	return keep;
}

/* looks at the plateau of the link u -> next(u): final, or waits */
static void
look(qr_stream *s, size_t u)
{
	node	   *B = s->b;
	size_t		first,
				last,
				own = u,
				x,
				y;
	uint64_t	g,
				lim;
	int			all_within,
				strict;

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
	/*
	 * Enough nodes sure to stay when N1 is (fewer when sets are small, so
	 * that tests with small sets cut often)
	 */
	if (own != first && B[own].pre > (s->max_set < CUT ? s->max_set : CUT) &&
		(B[first].rest > 0 || blocker(s, first, 0, g, &all_within) == NIL))
		first = cut(s, first, own);
	/* the newest row may still get a twin */
	if (last == s->last && !s->finished)
	{
		wait_on(s, own, OPEN);
		return;
	}
	/*
	 * Past a twin of Nm, a row at exactly g forms a plateau of its own with
	 * that twin, settled after this one (the leftmost first): only rows
	 * closer than g may block on the right
	 */
	y = B[last].next;
	strict = y != NIL && B[y].t == B[last].t && B[y].side == B[last].side;
	lim = strict ? g - 1 : g;
	all_within = 0;
	/* the rest of a set: N1 was cut with no blocker on its left, and has none since */
	if (B[first].rest == 0 && (x = blocker(s, first, 0, g, &all_within)) != NIL)
		wait_on(s, first, x);
	else if (!(strict && g == 0) && (x = blocker(s, last, 1, lim, &all_within)) != NIL)
		wait_on(s, own, x);
	else if (!(strict && g == 0) && all_within && future_within(s, last, lim))
		wait_until(s, own, future_until(s, last, lim));
	else
		settle_plateau(s, first, last);
}

/* the oldest node, when nothing may ever pair with it: 1 when taken */
static int
alone_first(qr_stream *s)
{
	node	   *B = s->b;
	size_t		x = s->first,
				h;

	if (x == NIL || (x == s->last && !s->finished) || B[x].cand)
		return 0;
	h = s->sfirst[!B[x].side];
	if (h != NIL && dist(B[x].t, B[h].t) <= rreach(s, B[x].side))
		return 0;
	if (future_within(s, x, (uint64_t) -1))
		return 0;
	row_at(s, B[x].seq)->state = ROW_ALONE;
	drop(s, x);
	return 1;
}

/* ------------------------------------------------------------------ */
/* The second stage: components                                        */
/* ------------------------------------------------------------------ */

/* one set, or a PAIR, or ALONE rows (qr_stream.h, 4) */
static int
ambiguous(const comp *C)
{
	return (C->flags & C_SET) || (C->flags & (C_TWIN | C_PAIR)) == (C_TWIN | C_PAIR);
}

static void
free_comp(qr_stream *s, size_t c)
{
	s->comps[c].next = s->freec;
	s->freec = c;
}

/* the component c is final: out it goes */
static void
give_out(qr_stream *s, size_t c)
{
	comp	   *C = &s->comps[c];
	uint64_t	q = C->first,
				nq;
	size_t		off = s->ocount;

	if (ambiguous(C))
	{
		for (; q != NONE; q = nq)
		{
			nq = row_at(s, q)->cnext;
			out_row(s, q);
			if (s->ocount - off == s->max_set)
			{
				emit(s, QR_STREAM_AMBIGUOUS, off);
				off = s->ocount;
			}
		}
		if (s->ocount > off)
			emit(s, QR_STREAM_AMBIGUOUS, off);
	}
	else if (C->flags & C_PAIR)
	{
		/* a pair and nothing else: the ledger row first */
		uint64_t	r = row_at(s, q)->cnext;

		if (row_at(s, q)->side != 0)
		{
			nq = q;
			q = r;
			r = nq;
		}
		out_row(s, q);
		out_row(s, r);
		emit(s, QR_STREAM_PAIR, off);
	}
	else
	{
		for (; q != NONE; q = nq)
		{
			nq = row_at(s, q)->cnext;
			off = s->ocount;
			out_row(s, q);
			emit(s, QR_STREAM_ALONE, off);
		}
	}
	free_comp(s, c);
}

/* gives out the first max_set rows of c, sure to be its first set */
static void
give_out_first(qr_stream *s, size_t c)
{
	comp	   *C = &s->comps[c];
	size_t		off = s->ocount,
				i;

	for (i = 0; i < s->max_set; i++)
	{
		uint64_t	q = C->first;

		C->first = row_at(s, q)->cnext;
		out_row(s, q);
	}
	C->count -= s->max_set;
	emit(s, QR_STREAM_AMBIGUOUS, off);
}

/* one component of a and b: the rows of the smaller move; returns it */
static size_t
merge(qr_stream *s, size_t a, size_t b)
{
	comp	   *A,
			   *X;
	uint64_t	q;

	if (a == b)
		return a;
	if (s->comps[a].count < s->comps[b].count)
	{
		size_t		t = a;

		a = b;
		b = t;
	}
	A = &s->comps[a];
	X = &s->comps[b];
	for (q = X->first; q != NONE; q = row_at(s, q)->cnext)
		row_at(s, q)->comp = a;
	if (A->last < X->first)
	{
		row_at(s, A->last)->cnext = X->first;
		A->last = X->last;
	}
	else if (X->last < A->first)
	{
		row_at(s, X->last)->cnext = A->first;
		A->first = X->first;
	}
	else
	{
		/* interleaved: merged in input order */
		uint64_t	x = A->first,
					y = X->first,
					first = NONE,
					last = NONE;

		while (x != NONE || y != NONE)
		{
			uint64_t	r;

			if (y == NONE || (x != NONE && x < y))
			{
				r = x;
				x = row_at(s, x)->cnext;
			}
			else
			{
				r = y;
				y = row_at(s, y)->cnext;
			}
			if (last == NONE)
				first = r;
			else
				row_at(s, last)->cnext = r;
			last = r;
		}
		row_at(s, last)->cnext = NONE;
		A->first = first;
		A->last = last;
	}
	A->count += X->count;
	A->pend += X->pend;
	A->flags |= X->flags;
	free_comp(s, b);
	return a;
}

static int
twins(const slot *p, const slot *r)
{
	return p->t == r->t && p->side == r->side;
}

/* reads row r: the component it joins */
static void
read_row(qr_stream *s, uint64_t r)
{
	slot	   *R = row_at(s, r);
	size_t		c = s->freec;

	s->freec = s->comps[c].next;
	s->comps[c].first = s->comps[c].last = r;
	s->comps[c].count = 1;
	s->comps[c].pend = 1;		/* a twin may follow */
	s->comps[c].flags = 0;
	R->comp = c;
	R->cnext = NONE;
	if (s->tail)
	{
		slot	   *P = row_at(s, r - 1);
		size_t		pc = P->comp;

		s->comps[pc].pend--;
		if (twins(P, R))
		{
			c = merge(s, pc, c);
			s->comps[c].flags |= C_TWIN;
		}
		else if (s->comps[pc].pend == 0)
			give_out(s, pc);
	}
	s->tail = 1;
	if (R->state == ROW_PAIRED)
	{
		int			k = R->side,
					o = !k;

		if (s->qhead[o] != NONE)
		{
			/* the k-th paired row of one side goes with the k-th of the other */
			slot	   *Q = row_at(s, s->qhead[o]);

			s->qhead[o] = Q->qnext;
			if (s->qhead[o] == NONE)
				s->qtail[o] = NONE;
			Q->pins--;
			s->comps[Q->comp].pend--;
			c = merge(s, c, Q->comp);
			s->comps[c].flags |= C_PAIR;
		}
		else
		{
			R->qnext = NONE;
			if (s->qtail[k] != NONE)
				row_at(s, s->qtail[k])->qnext = r;
			else
				s->qhead[k] = r;
			s->qtail[k] = r;
			R->pins++;
			s->comps[c].pend++;
		}
	}
	else if (R->state == ROW_SET)
	{
		rset	   *X = &s->sets[R->set];

		X->left--;
		if (X->last != NONE)
		{
			slot	   *L = row_at(s, X->last);

			L->pins--;
			c = merge(s, c, L->comp);
		}
		else
			s->comps[c].pend++;
		s->comps[c].flags |= C_SET;
		if (X->left == 0 && !X->open)
		{
			s->comps[c].pend--;
			X->next = s->frees;
			s->frees = R->set;
		}
		else
		{
			X->last = r;
			R->pins++;
		}
	}
}

/*
 * Reads the rows the first stage has decided, gives out the components
 * that are final, and the first sets of the component of the oldest row
 * held once they are sure.
 */
static void
second_stage(qr_stream *s)
{
	uint64_t	limit = s->first == NIL ? s->next_seq : s->b[s->first].seq;

	while (s->read < limit)
		read_row(s, s->read++);
	/* the row read last gets no twin when the next one differs */
	if (s->tail && (s->read < s->next_seq ? !twins(row_at(s, s->read - 1), row_at(s, s->read))
					: s->finished))
	{
		size_t		pc = row_at(s, s->read - 1)->comp;

		s->tail = 0;
		if (--s->comps[pc].pend == 0)
			give_out(s, pc);
	}
	for (;;)
	{
		size_t		h;
		comp	   *C;

		while (s->head < s->read && row_at(s, s->head)->state == ROW_DONE)
			s->head++;
		if (s->vend <= s->head)
		{
			s->vend = s->head;
			s->vcount = 0;
		}
		if (s->head >= s->read)
			break;
		h = row_at(s, s->head)->comp;
		while (s->vend < s->read)
		{
			slot	   *V = row_at(s, s->vend);

			if (V->pins > 0 || (V->state != ROW_DONE && V->comp != h))
				break;
			if (V->state != ROW_DONE)
				s->vcount++;
			s->vend++;
		}
		C = &s->comps[h];
		if (!ambiguous(C) || C->count <= s->max_set || s->vcount < s->max_set)
			break;
		give_out_first(s, h);
		s->vcount -= s->max_set;
	}
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
	second_stage(s);
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
	s->first = s->last = NIL;
	s->sfirst[0] = s->sfirst[1] = s->slast[0] = s->slast[1] = NIL;
	s->ohead = NIL;
	s->nheap = 0;
	s->nwork = 0;
	s->freeb = s->freec = s->frees = NIL;
	for (i = s->bcap; i-- > 0;)
	{
		s->b[i].alive = 0;
		s->b[i].next = s->freeb;
		s->freeb = i;
		s->comps[i].next = s->freec;
		s->freec = i;
		s->sets[i].next = s->frees;
		s->frees = i;
	}
	s->read = 0;
	s->tail = 0;
	s->qhead[0] = s->qhead[1] = s->qtail[0] = s->qtail[1] = NONE;
	s->vend = 0;
	s->vcount = 0;
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
	s->comps = NULL;
	s->sets = NULL;
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
	put(s, s->comps);
	put(s, s->sets);
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
	node	   *B;
	size_t		x,
				top,
				need,
				rows;

	side = side != 0;
	if (s->finished || (s->any && (t < s->tn || (t == s->tn && side < s->sn))))
		return -2;

	/*
	 * Room for this row in the ring, the nodes, components and sets and,
	 * at one event per row, in the events: every row held may come out
	 * before the next push.
	 */
	compact(s);
	rows = (size_t) (s->next_seq - s->head) + 1;
	need = s->ocount + (s->held - (s->evcount > s->evhead ? s->ocount - s->ev[s->evhead].off : 0)) + 1;
	if (reserve_ring(s, rows) < 0 ||
		reserve_rows(s, rows) < 0 ||
		reserve(s, (void **) &s->ev, &s->evcap, s->evcount + (need - s->ocount), sizeof(event), s->evcount) < 0 ||
		reserve(s, (void **) &s->orow, &s->ocap, need, sizeof(void *), s->ocount) < 0 ||
		reserve(s, (void **) &s->oside, &s->oscap, need, 1, s->ocount) < 0)
		return -1;

	{
		slot	   *r = row_at(s, s->next_seq);

		r->row = row;
		r->t = t;
		r->side = side;
		r->state = ROW_PENDING;
		r->pins = 0;
	}
	s->held++;

	/* a new node, the newest */
	B = s->b;
	x = s->freeb;
	s->freeb = B[x].next;
	memset(&B[x], 0, sizeof(node));
	B[x].t = t;
	B[x].side = side;
	B[x].seq = s->next_seq++;
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

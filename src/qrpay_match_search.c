/*
 * qrpay_match_search.c — the rows without a key that no row of their
 * amount paired, by provider, currency and time: for each, a small set of
 * rows of the other side within the window that sums to it
 * (src/core/qr_subset.c), in a window that slides along time and holds
 * only the rows a later search can still reach.
 */
#include "postgres.h"

#include "common/int.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "qrpay.h"
#include "qrpay_money.h"
#include "qrpay_match.h"
#include "qr_subset.h"

#define SEARCH_BUDGET	20000	/* subset search nodes per row */

typedef struct m_left
{
	m_row		r;
	int64		units;
	bool		searchable;		/* units fit int64 */
	int			state;			/* 0 not yet searched, 1 searched, 2 taken */
} m_left;

typedef struct m_window
{
	m_left	  **q;				/* ring of the rows held, in time order */
	long		head,
				len,
				cap;
	long		next_target;	/* index (from head) of the next row to search for */
	uint64		min_abs;		/* the smallest magnitude of a row held ... */
	long		at_min;			/* ... and how many rows have it; 0: recount */
} m_window;

static uint64
mag(int64 u)
{
	return u < 0 ? (uint64) 0 - (uint64) u : (uint64) u;
}

static m_left *
win_at(m_window *w, long i)
{
	return w->q[(w->head + i) % w->cap];
}

static void
win_push(m_window *w, m_left *x)
{
	if (w->len == w->cap)
	{
		long		ncap = w->cap * 2;
		m_left	  **nq = palloc(sizeof(m_left *) * ncap);

		for (long i = 0; i < w->len; i++)
			nq[i] = win_at(w, i);
		pfree(w->q);
		w->q = nq;
		w->head = 0;
		w->cap = ncap;
	}
	w->q[(w->head + w->len) % w->cap] = x;
	w->len++;
	if (x->searchable && x->units != 0 && w->at_min < 0)
	{
		w->min_abs = mag(x->units);	/* the first row that counts */
		w->at_min = 1;
	}
	else if (x->searchable && x->units != 0 && w->at_min > 0)
	{
		if (mag(x->units) < w->min_abs)
		{
			w->min_abs = mag(x->units);
			w->at_min = 1;
		}
		else if (mag(x->units) == w->min_abs)
			w->at_min++;
	}
}

/*
 * The smallest magnitude among the rows held: no two rows can add up to a
 * row smaller than twice it, which spares the search of most rows in a
 * window of one amount (metro fares).
 */
static uint64
win_min(m_window *w)
{
	if (w->at_min == 0)
	{
		w->min_abs = PG_UINT64_MAX;
		for (long i = 0; i < w->len; i++)
		{
			m_left	   *c = win_at(w, i);

			if (!c->searchable || c->units == 0)
				continue;
			if (mag(c->units) < w->min_abs)
			{
				w->min_abs = mag(c->units);
				w->at_min = 1;
			}
			else if (mag(c->units) == w->min_abs)
				w->at_min++;
		}
		if (w->at_min == 0)
			w->at_min = -1;		/* none: recounted on the next push */
	}
	return w->min_abs;
}

static void
left_free(m_left *x)
{
	void	   *p[] = {x->r.txn, x->r.provider, x->r.cur, x->r.amount};

	for (int i = 0; i < (int) lengthof(p); i++)
		if (p[i])
			pfree(p[i]);
	pfree(x);
}

/* the oldest row leaves the window: emitted unless a group took it */
static void
win_pop(m_state *st, m_window *w)
{
	m_left	   *x = win_at(w, 0);

	if (x->state != 2)
	{
		MemoryContext old = MemoryContextSwitchTo(st->emitcxt);

		qrm_emit_one(st, &x->r, qrm_missing_status(&x->r),
					 x->r.side == SIDE_LEDGER ? "no reference, and no statement row of this amount within the window"
					 : "no reference, and no ledger row of this amount within the window", 0);
		MemoryContextSwitchTo(old);
	}
	if (x->searchable && x->units != 0 && w->at_min > 0 && mag(x->units) == w->min_abs)
		w->at_min--;
	left_free(x);
	w->head = (w->head + 1) % w->cap;
	w->len--;
	w->next_target--;
}

static bool
near(TimestampTz a, TimestampTz b, int64 span)
{
	int64		d;

	if (pg_sub_s64_overflow(a, b, &d))
		return false;
	return d <= span && d >= -span;
}

/* search a group for the row at index t of the window */
static void
search_target(m_state *st, m_window *w, long t, const m_settings *set, int64 span)
{
	m_left	   *x = win_at(w, t);
	long		ncand = 0;
	long	   *idx;
	int64	   *amt;
	size_t		pick[128];
	int			npick = 0;
	qr_subset_result res;
	void	   *work;

	x->state = 1;
	if (!x->searchable || x->units == 0 || mag(x->units) / 2 < win_min(w))
		return;
	idx = palloc(sizeof(long) * w->len);
	amt = palloc(sizeof(int64) * w->len);
	for (long i = 0; i < w->len; i++)
	{
		m_left	   *c = win_at(w, i);

		if (c->state == 2 || c->r.side == x->r.side || !c->searchable || c->units == 0 ||
			!near(c->r.ts, x->r.ts, span))
			continue;
		if ((c->units > 0) != (x->units > 0))
			continue;
		if (c->units > 0 ? c->units >= x->units : c->units <= x->units)
			continue;
		idx[ncand] = i;
		amt[ncand] = c->units;
		ncand++;
	}
	if (ncand < 2)
	{
		pfree(idx);
		pfree(amt);
		return;
	}
	work = palloc(QR_SUBSET_WORK(ncand, set->group_max));
	res = qr_subset_find(x->units, amt, ncand, 2, set->group_max, SEARCH_BUDGET, pick, &npick, work);
	if (res == QR_SUBSET_ONE || res == QR_SUBSET_MANY)
	{
		MemoryContext old = MemoryContextSwitchTo(st->emitcxt);
		int64		group = ++st->next_group;
		m_out		o;

		qrm_out_of(&o, &x->r);
		o.group = group;
		if (res == QR_SUBSET_ONE)
		{
			o.status = "matched_group";
			o.reason = psprintf("no reference: %d %s rows within the window sum to %s", npick,
								x->r.side == SIDE_LEDGER ? "statement" : "ledger", qrm_numeric_text(x->r.amount));
			qrm_emit(st, &o);
			for (int k = 0; k < npick; k++)
			{
				m_left	   *c = win_at(w, idx[pick[k]]);
				m_out		oc;

				qrm_out_of(&oc, &c->r);
				oc.status = "matched_group";
				oc.group = group;
				oc.reason = psprintf("no reference: with %d other rows, sums to %s %s %s", npick - 1,
									 x->r.side == SIDE_LEDGER ? "ledger" : "statement",
									 x->r.txn ? text_to_cstring(x->r.txn) : "row", qrm_numeric_text(x->r.amount));
				qrm_emit(st, &oc);
				c->state = 2;
			}
		}
		else
		{
			Datum		e[MAX_CANDIDATES];
			int			k;

			/* the rows of the first two sets found compete */
			for (k = 0; k < npick && k < MAX_CANDIDATES; k++)
			{
				m_left	   *c = win_at(w, idx[pick[k]]);

				e[k] = c->r.txn ? PointerGetDatum(c->r.txn) : CStringGetTextDatum("");
			}
			o.status = "ambiguous";
			o.candidates = PointerGetDatum(construct_array(e, k, TEXTOID, -1, false, TYPALIGN_INT));
			o.reason = psprintf("no reference: more than one set of %s rows within the window sums to %s; none is guessed",
								x->r.side == SIDE_LEDGER ? "statement" : "ledger", qrm_numeric_text(x->r.amount));
			qrm_emit(st, &o);
		}
		x->state = 2;
		MemoryContextSwitchTo(old);
	}
	pfree(work);
	pfree(idx);
	pfree(amt);
}

/* the rows left alone, by provider, currency and time */
void
qrm_search_groups(m_state *st)
{
	m_window	w;
	text	   *bprov = NULL,
				*bcur = NULL;
	bool		inblock = false;
	const m_settings *set = NULL;
	int64		span = 0;
	MemoryContext holdcxt = AllocSetContextCreate(st->cxt, "qr_match window", ALLOCSET_DEFAULT_SIZES);
	MemoryContext old;

	tuplesort_performsort(st->left);
	old = MemoryContextSwitchTo(holdcxt);
	memset(&w, 0, sizeof(w));
	w.cap = 64;
	w.q = palloc(sizeof(m_left *) * w.cap);
	for (;;)
	{
		m_left	   *x = NULL;
		bool		more;
		bool		newblock;

		more = tuplesort_gettupleslot(st->left, true, false, st->left_slot, NULL);
		if (more)
		{
			Datum	   *v;
			bool	   *n;
			bool		overflow = false;

			slot_getallattrs(st->left_slot);
			v = st->left_slot->tts_values;
			n = st->left_slot->tts_isnull;
			x = palloc0(sizeof(m_left));
			x->r.provider = n[0] ? NULL : qrm_copy_text(DatumGetTextPP(v[0]));
			x->r.cur = n[1] ? NULL : qrm_copy_text(DatumGetTextPP(v[1]));
			x->r.ts = DatumGetInt64(v[2]);
			x->r.side = DatumGetInt32(v[3]);
			x->r.txn = n[4] ? NULL : qrm_copy_text(DatumGetTextPP(v[4]));
			x->r.amount = (Numeric) qrm_copy_text((text *) DatumGetPointer(v[5]));
			x->units = qrpay_amount_units(DatumGetNumeric(v[6]), qrm_scale_of(x->r.cur), &overflow);
			x->searchable = !overflow;
		}
		newblock = !more || !inblock || !text_eq(x->r.provider, bprov) || !text_eq(x->r.cur, bcur);
		/* search every row whose window the new row has passed, then let go of what no search needs */
		while (w.next_target < w.len &&
			   (newblock || !near(win_at(&w, w.next_target)->r.ts, x->r.ts, span)))
		{
			if (win_at(&w, w.next_target)->state == 0)
				search_target(st, &w, w.next_target, set, span);
			w.next_target++;
		}
		/* a searched row no later search can reach leaves the window */
		while (w.len > 0 && w.next_target > 0)
		{
			if (!newblock)
			{
				TimestampTz ref = w.next_target < w.len ? win_at(&w, w.next_target)->r.ts : x->r.ts;

				if (near(win_at(&w, 0)->r.ts, ref, span))
					break;
			}
			win_pop(st, &w);
		}
		if (st->emitted >= 1024)
			qrm_emit_reset(st);
		if (!more)
			break;
		if (newblock)
		{
			Assert(w.len == 0);
			if (bprov)
				pfree(bprov);
			if (bcur)
				pfree(bcur);
			bprov = qrm_copy_text(x->r.provider);
			bcur = qrm_copy_text(x->r.cur);
			inblock = true;
			set = qrm_settings_of(st, bprov);
			span = Max(set->before_us, set->after_us);
			w.next_target = 0;
		}
		win_push(&w, x);
	}
	MemoryContextSwitchTo(old);
	MemoryContextDelete(holdcxt);
	tuplesort_end(st->left);
	st->left = NULL;
}

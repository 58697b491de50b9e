/*
 * qrpay_match_group.c — the rows of one group key (a reference, or the
 * parent reference of a payout and its refunds), read twice: first counted
 * as they stream by, then, once the group is complete, summed where sums
 * are needed and each row sent to its outcome.
 */
#include "postgres.h"

#include "common/int.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "qrpay.h"
#include "qrpay_match.h"

static void
refund_sub_close(m_group *g)
{
	int			side;

	if (!g->rsub_has[0] && !g->rsub_has[1])
		return;
	side = g->rsub_has[SIDE_STATEMENT] ? SIDE_STATEMENT : SIDE_LEDGER;
	if (!g->rsub_ok[side] ||
		pg_add_s64_overflow(g->refunds, g->rsub_amt[side] < 0 ? -g->rsub_amt[side] : g->rsub_amt[side], &g->refunds))
		g->refunds_ok = false;
	g->rsub = NULL;
	g->rsub_has[0] = g->rsub_has[1] = false;
}

/*
 * A field of a row kept for the group: a row of a set held whole stays put
 * until its group ends, a row read from a slot is copied into groupcxt.
 */
static text *
keep_text(m_state *st, const text *t, bool stable)
{
	MemoryContext old;
	text	   *c;

	if (stable || t == NULL)
		return (text *) t;
	old = MemoryContextSwitchTo(st->groupcxt);
	c = qrm_copy_text(t);
	MemoryContextSwitchTo(old);
	return c;
}

void
qrm_group_begin(m_state *st, m_group *g, const m_row *r, const m_settings *set, bool stable)
{
	MemoryContextReset(st->groupcxt);	/* nothing to do when nothing was kept */
	memset(g, 0, sizeof(*g));
	g->provider = keep_text(st, r->provider, stable);
	g->gkey = keep_text(st, r->gkey, stable);
	g->set = set;
	g->sum_ok = true;
	g->orig_ok = true;
	g->refunds_ok = true;
}

/* pass 1: a row of the group as it streams by, counted (copies in groupcxt) */
void
qrm_group_count(m_state *st, m_group *g, const m_row *r, bool stable)
{
	if (r->refund)
	{
		if (!r->context)
			g->nrefunds++;
		return;
	}
	if (r->side == SIDE_LEDGER && !g->has_orig)
	{
		g->has_orig = true;
		g->orig_txn = keep_text(st, r->txn, stable);
		g->orig_cur = keep_text(st, r->cur, stable);
	}
	if (r->context)
		return;
	if (g->n[0] + g->n[1] == 0)
	{
		g->cur = keep_text(st, r->cur, stable);
		g->scale = -1;			/* looked up when needed */
	}
	g->n[r->side]++;
	if (r->parent != NULL)
		g->parts = true;
}

/*
 * The group's sums in minor units, for a group of more than one row a side
 * or with refunds: what the payments of each side add up to, what the
 * original was, and what was refunded of it (each refund reference once,
 * its statement row where there is one).
 */
static void
group_money(m_state *st, m_group *g, const m_row *r)
{
	int64		u;

	if (!r->refund)
	{
		if (r->side == SIDE_LEDGER &&
			(r->amount == NULL || !text_eq(r->cur, g->orig_cur) ||
			 !qrm_units_of(r->amount, qrm_scale_of(r->cur), &u) || pg_add_s64_overflow(g->orig, u, &g->orig)))
			g->orig_ok = false;
		if (r->context)
			return;
		if (r->amount == NULL || !text_eq(r->cur, g->cur) || !qrm_units_of(r->amount, g->scale, &u) ||
			pg_add_s64_overflow(g->sum[r->side], u, &g->sum[r->side]))
			g->sum_ok = false;
		return;
	}
	if (r->context)
		return;
	/* a refund: the first row of each side of its own reference counts */
	if (!(g->rsub_has[0] || g->rsub_has[1]) || !text_eq(r->ref, g->rsub))
	{
		MemoryContext old = MemoryContextSwitchTo(st->groupcxt);

		refund_sub_close(g);
		g->rsub = qrm_copy_text(r->ref);
		MemoryContextSwitchTo(old);
	}
	if (!g->rsub_has[r->side])
	{
		g->rsub_has[r->side] = true;
		g->rsub_ok[r->side] = r->amount != NULL && g->has_orig && text_eq(r->cur, g->orig_cur) &&
							  qrm_units_of(r->amount, qrm_scale_of(r->cur), &g->rsub_amt[r->side]);
	}
}

/*
 * The rows of the group being read: a few held as tuples in groupcxt, more
 * in a tuplestore (which spills past work_mem).
 */
void
qrm_group_store(m_state *st, TupleTableSlot *slot, m_blob *blob)
{
	MemoryContext old = MemoryContextSwitchTo(st->groupcxt);

	if (blob != NULL)
	{
		/* its set is held whole: the blob stays put until the group ends */
		if (st->gn == st->gmax)
		{
			st->gmax = st->gmax ? st->gmax * 2 : 64;
			st->gblobs = st->gblobs ? repalloc_huge(st->gblobs, st->gmax * sizeof(m_blob *))
						 : MemoryContextAllocHuge(st->groupcxt, st->gmax * sizeof(m_blob *));
		}
		st->gblobs[st->gn++] = blob;
		st->gmode_blobs = true;
	}
	else if (!st->gspilled && st->gn < GROUP_HELD)
		st->gbuf[st->gn++] = ExecCopySlotMinimalTuple(slot);
	else
	{
		if (!st->gspilled)
		{
			for (int i = 0; i < st->gn; i++)
			{
				ExecStoreMinimalTuple(st->gbuf[i], st->gslot, false);
				tuplestore_puttupleslot(st->gstore, st->gslot);
			}
			st->gspilled = true;
		}
		tuplestore_puttupleslot(st->gstore, slot);
	}
	MemoryContextSwitchTo(old);
}

/*
 * A row of the group kept until the group ends (in groupcxt): the tuples
 * held stay put, a row read back from the tuplestore is copied.
 */
static m_row *
group_keep(m_state *st, const m_row *r)
{
	m_row	   *k;

	if (st->gspilled)
		return qrm_row_copy(r);
	k = palloc(sizeof(m_row));
	*k = *r;
	return k;
}

static void
group_rewind(m_state *st)
{
	st->gpos = 0;
	if (st->gspilled)
		tuplestore_rescan(st->gstore);
}

/* the group's next row into r (fields valid until the next call); false at the end */
static bool
group_next(m_state *st, m_row *r)
{
	if (st->gmode_blobs)
	{
		if (st->gpos >= st->gn)
			return false;
		qrm_row_from_blob(r, st->gblobs[st->gpos++]);
		return true;
	}
	if (st->gspilled)
	{
		if (!tuplestore_gettupleslot(st->gstore, true, false, st->gslot))
			return false;
	}
	else
	{
		if (st->gpos >= st->gn)
			return false;
		ExecStoreMinimalTuple(st->gbuf[st->gpos++], st->gslot, false);
	}
	slot_getallattrs(st->gslot);
	qrm_row_from(r, st->gslot->tts_values, st->gslot->tts_isnull);
	return true;
}

/* what a group's payments come to as a whole (group_verdict) */
typedef struct m_verdict
{
	bool		both;			/* payments on both sides */
	bool		pairwise;		/* one payment a side: a pair */
	bool		grouped;		/* several a side whose sums agree */
	bool		diff_shown;		/* the difference went out on a row */
	int64		group;			/* the group id of its rows, 0: none */
	Numeric		gdiff;			/* statement sum minus ledger sum */
	char	   *greason;		/* the reason its rows share */
} m_verdict;

/*
 * Pass 2, before the rows: the sums of a group of more than one row a side
 * or with refunds (the rows read once more), and its net after refunds.
 */
static void
group_sums(m_state *st, m_group *g)
{
	if (g->nrefunds > 0 || g->n[0] > 1 || g->n[1] > 1 || g->parts)
	{
		m_row		r;

		g->scale = qrm_scale_of(g->cur);
		MemoryContextSwitchTo(st->emitcxt);
		group_rewind(st);
		while (group_next(st, &r))
			group_money(st, g, &r);
		MemoryContextSwitchTo(st->groupcxt);
		refund_sub_close(g);
	}
	else
		g->sum_ok = g->orig_ok = false;	/* not needed */
	if (g->has_orig && g->orig_ok && g->refunds_ok && g->nrefunds > 0)
	{
		int64		net;

		if (!pg_sub_s64_overflow(g->orig, g->refunds, &net))
		{
			g->net = qrm_units_numeric(net, qrm_scale_of(g->orig_cur));
			g->over_refund = g->refunds > g->orig;
		}
	}
}

/*
 * What the group's payments come to as a whole: whether their sums agree
 * (a group of several rows a side), the difference, the group id and the
 * reason its rows share.
 */
static void
group_verdict(m_state *st, m_group *g, m_verdict *v)
{
	memset(v, 0, sizeof(*v));
	v->both = g->n[0] > 0 && g->n[1] > 0;
	v->pairwise = g->n[0] == 1 && g->n[1] == 1;
	if (v->both && g->sum_ok && !v->pairwise)
	{
		int64		d;

		if (!pg_sub_s64_overflow(g->sum[1], g->sum[0], &d))
		{
			v->gdiff = qrm_units_numeric(d, g->scale);
			v->grouped = qrm_num_cmp(qrm_num_abs(v->gdiff),
									 qrm_tolerance_of(g->set, qrm_units_numeric(g->sum[0], g->scale), g->set->tol_pct)) <= 0;
		}
	}
	if (v->grouped || (g->parts && !v->pairwise))
		v->group = ++st->next_group;
	if (v->grouped)
		v->greason = psprintf("group %s: %ld ledger rows sum to %s, %ld statement rows to %s",
							  text_to_cstring(g->gkey), g->n[0], qrm_numeric_text(qrm_units_numeric(g->sum[0], g->scale)),
							  g->n[1], qrm_numeric_text(qrm_units_numeric(g->sum[1], g->scale)));
	else if (g->parts && v->both && !v->pairwise)
		v->greason = psprintf("group %s: %ld ledger rows sum to %s, %ld statement rows to %s",
							  text_to_cstring(g->gkey), g->n[0], g->sum_ok ? qrm_numeric_text(qrm_units_numeric(g->sum[0], g->scale)) : "?",
							  g->n[1], g->sum_ok ? qrm_numeric_text(qrm_units_numeric(g->sum[1], g->scale)) : "?");
	else if (g->parts)
		v->greason = psprintf("group %s: no %s rows", text_to_cstring(g->gkey), g->n[0] ? "statement" : "ledger");
}

/*
 * The row as its side's earliest (kept in groupcxt until the group ends),
 * unless that side has one already: false then, the row being a duplicate.
 */
static bool
keep_earliest(m_state *st, m_row *r, m_row **first)
{
	MemoryContext prev;

	if (first[r->side] != NULL)
		return false;
	prev = MemoryContextSwitchTo(st->groupcxt);
	first[r->side] = group_keep(st, r);
	MemoryContextSwitchTo(prev);
	return true;
}

/*
 * A payment of the group.  One reference, or a payout of one payment:
 * each side's earliest row is kept to be reconciled (first), the others
 * are duplicates.  Otherwise the row is a member of the group, matched
 * with it or not.
 */
static void
group_payment(m_state *st, m_group *g, m_verdict *v, m_row *r, m_row **first)
{
	m_out		o;

	if (!v->grouped && (!g->parts || v->pairwise))
	{
		if (!keep_earliest(st, r, first))
			qrm_emit_one(st, r, qrm_duplicate_status(r),
						 psprintf("reference %s occurs %ld times in the %s; its earliest row is reconciled",
								  text_to_cstring(r->ref), g->n[r->side],
								  r->side == SIDE_LEDGER ? "ledger" : "statement"), 0);
		return;
	}
	qrm_out_of(&o, r);
	o.group = v->group;
	o.reason = v->greason;
	if (r->side == SIDE_LEDGER && g->nrefunds > 0 && g->has_orig)
		o.net = g->net;
	if (v->grouped)
		o.status = "matched_group";
	else
	{
		o.status = v->both ? "amount_mismatch" : qrm_missing_status(r);
		if (v->both && !v->diff_shown)
		{
			o.diff = v->gdiff;
			v->diff_shown = true;
		}
	}
	qrm_emit(st, &o);
}

/*
 * A refund of the group; they come one own reference after the other, and
 * the earliest row of each side of a reference (rfirst) is reconciled
 * against the original when the next reference begins.
 */
static void
group_refund(m_state *st, m_group *g, m_row *r, m_row **rfirst)
{
	if ((rfirst[0] || rfirst[1]) && !text_eq(r->ref, (rfirst[0] ? rfirst[0] : rfirst[1])->ref))
	{
		qrm_emit_refund(st, g, rfirst[0], rfirst[1]);
		rfirst[0] = rfirst[1] = NULL;
	}
	if (!keep_earliest(st, r, rfirst))
		qrm_emit_one(st, r, qrm_duplicate_status(r),
					 psprintf("refund %s occurs more than once in the %s; its earliest row is reconciled",
							  r->ref ? text_to_cstring(r->ref) : "(none)", r->side == SIDE_LEDGER ? "ledger" : "statement"), 0);
}

/* a reference's earliest rows: paired, or the one side's missing in the other */
static void
group_reference(m_state *st, m_group *g, m_row **first)
{
	m_row	   *r = first[0] ? first[0] : first[1];
	m_out		o;

	if (first[0] && first[1])
	{
		qrm_emit_reference_pair(st, g, first[0], first[1]);
		return;
	}
	if (r == NULL)
		return;
	qrm_out_of(&o, r);
	o.status = qrm_missing_status(r);
	o.reason = psprintf("reference %s not in the %s", text_to_cstring(r->ref),
						r->side == SIDE_LEDGER ? "statement" : "ledger");
	if (r->side == SIDE_LEDGER && g->nrefunds > 0)
		o.net = g->net;
	qrm_emit(st, &o);
}

/* pass 2: the group's rows again, each to its outcome */
void
qrm_group_end(m_state *st, m_group *g)
{
	m_verdict	v;
	m_row	   *first[2] = {NULL, NULL};	/* payments: each side's earliest */
	m_row	   *rfirst[2] = {NULL, NULL};	/* the refund reference being read */
	MemoryContext old = MemoryContextSwitchTo(st->groupcxt);

	group_sums(st, g);
	group_verdict(st, g, &v);
	MemoryContextSwitchTo(st->emitcxt);
	group_rewind(st);
	for (;;)
	{
		m_row		r;

		if (st->emitted >= 1024)
			qrm_emit_reset(st);
		if (!group_next(st, &r))
			break;
		if (r.context)
			continue;
		if (!r.refund)
			group_payment(st, g, &v, &r, first);
		else
			group_refund(st, g, &r, rfirst);
	}
	if (rfirst[0] || rfirst[1])
		qrm_emit_refund(st, g, rfirst[0], rfirst[1]);
	group_reference(st, g, first);
	if (st->gspilled)
		tuplestore_clear(st->gstore);
	st->gspilled = false;
	st->gmode_blobs = false;
	st->gblobs = NULL;			/* groupcxt is reset when the next group begins */
	st->gmax = 0;
	st->gn = 0;
	MemoryContextSwitchTo(old);
}

/*
 * qrpay_match_emit.c — qr_match's result rows: each outcome with its
 * status and the reason a back office reads, a reference's two rows
 * compared (window, amounts, currencies, fees), and refunds against their
 * original payment.
 */
#include "postgres.h"

#include "common/int.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "qrpay.h"
#include "qrpay_match.h"

static char *
text_or_empty(const text *t)
{
	return t ? text_to_cstring(t) : "";
}

/*
 * A text datum for a string that stays the same for the whole call (a
 * status, a fixed reason), built once: most result rows share a handful.
 */
static Datum
constant_text(m_state *st, const char *s)
{
	int			i;

	for (i = 0; i < st->nconst; i++)
		if (st->const_ptr[i] == s)
			return st->const_datum[i];
	if (i == lengthof(st->const_ptr))
		return CStringGetTextDatum(s);
	{
		MemoryContext old = MemoryContextSwitchTo(st->cxt);

		st->const_ptr[i] = s;
		st->const_datum[i] = PointerGetDatum(cstring_to_text(s));
		st->nconst++;
		MemoryContextSwitchTo(old);
	}
	return st->const_datum[i];
}

void
qrm_emit(m_state *st, const m_out *o)
{
	Datum		v[NCOLS];
	bool		n[NCOLS];
	const m_row *l = o->l;
	const m_row *s = o->s;
	const m_row *any = l ? l : s;

	memset(n, 0, sizeof(n));
	v[0] = constant_text(st, o->status);
	n[1] = l == NULL || l->txn == NULL;
	v[1] = n[1] ? (Datum) 0 : PointerGetDatum(l->txn);
	n[2] = s == NULL || s->txn == NULL;
	v[2] = n[2] ? (Datum) 0 : PointerGetDatum(s->txn);
	n[3] = o->diff == NULL;
	v[3] = n[3] ? (Datum) 0 : NumericGetDatum(o->diff);
	n[4] = o->reason == NULL;
	v[4] = n[4] ? (Datum) 0 : o->reason_constant ? constant_text(st, o->reason) : CStringGetTextDatum(o->reason);
	n[5] = any->provider == NULL;
	v[5] = n[5] ? (Datum) 0 : PointerGetDatum(any->provider);
	n[6] = l == NULL || l->ts_null;
	v[6] = n[6] ? (Datum) 0 : TimestampTzGetDatum(l->ts);
	n[7] = s == NULL || s->ts_null;
	v[7] = n[7] ? (Datum) 0 : TimestampTzGetDatum(s->ts);
	n[8] = l == NULL || l->amount == NULL;
	v[8] = n[8] ? (Datum) 0 : NumericGetDatum(l->amount);
	n[9] = s == NULL || s->amount == NULL;
	v[9] = n[9] ? (Datum) 0 : NumericGetDatum(s->amount);
	n[10] = l == NULL || l->cur == NULL;
	v[10] = n[10] ? (Datum) 0 : PointerGetDatum(l->cur);
	n[11] = s == NULL || s->cur == NULL;
	v[11] = n[11] ? (Datum) 0 : PointerGetDatum(s->cur);
	n[12] = o->group == 0;
	v[12] = Int64GetDatum(o->group);
	n[13] = o->candidates == (Datum) 0;
	v[13] = o->candidates;
	n[14] = o->original == NULL;
	v[14] = n[14] ? (Datum) 0 : PointerGetDatum(o->original);
	n[15] = o->net == NULL;
	v[15] = n[15] ? (Datum) 0 : NumericGetDatum(o->net);
	n[16] = s == NULL || s->fee == NULL;
	v[16] = n[16] ? (Datum) 0 : NumericGetDatum(s->fee);
	n[17] = o->expected_fee == NULL;
	v[17] = n[17] ? (Datum) 0 : NumericGetDatum(o->expected_fee);
	n[18] = o->fx_rate == NULL;
	v[18] = n[18] ? (Datum) 0 : NumericGetDatum(o->fx_rate);
	/* qr_reconcile_detail and qr_reconcile return only the first columns */
	tuplestore_putvalues(st->out, st->desc, v, n);
	st->emitted++;
}

/*
 * Forget what the rows emitted so far needed.  The group's slot lets go of
 * its row first: a row read back from the group's tuplestore once it went
 * to disk was allocated in emitcxt, and the slot frees it when it takes
 * the next row, which must not come after emitcxt was reset.
 */
void
qrm_emit_reset(m_state *st)
{
	if (st->gslot != NULL)
		ExecClearTuple(st->gslot);
	MemoryContextReset(st->emitcxt);
	st->emitted = 0;
	st->generation++;
	CHECK_FOR_INTERRUPTS();
}

/* an empty result row for r alone, on its side */
void
qrm_out_of(m_out *o, const m_row *r)
{
	memset(o, 0, sizeof(*o));
	if (r->side == SIDE_LEDGER)
		o->l = r;
	else
		o->s = r;
}

/* one row alone: as missing on its side, or with the status given */
void
qrm_emit_one(m_state *st, const m_row *r, const char *status, char *reason, int64 group)
{
	m_out		o;

	qrm_out_of(&o, r);
	o.status = status;
	o.reason = reason;
	o.group = group;
	qrm_emit(st, &o);
}

const char *
qrm_missing_status(const m_row *r)
{
	return r->side == SIDE_LEDGER ? "missing_in_statement" : "missing_in_ledger";
}

const char *
qrm_duplicate_status(const m_row *r)
{
	return r->side == SIDE_LEDGER ? "duplicate_in_ledger" : "duplicate_in_statement";
}

/* how far apart two times are, as interval text */
char *
qrm_apart_text(const m_row *a, const m_row *b)
{
	TimestampTz lo = Min(a->ts, b->ts);
	TimestampTz hi = Max(a->ts, b->ts);
	int64		d;

	if (pg_sub_s64_overflow(hi, lo, &d))
		return "too far";
	return DatumGetCString(DirectFunctionCall1(interval_out,
											   DirectFunctionCall2(timestamp_mi, TimestampTzGetDatum(hi),
																   TimestampTzGetDatum(lo))));
}

/* may a ledger row at lt and a statement row at stt pair under s? */
static bool
within(const m_settings *s, TimestampTz lt, TimestampTz stt)
{
	int64		d;

	if (pg_sub_s64_overflow(stt, lt, &d))
		return false;
	return d >= -s->before_us && d <= s->after_us;
}

/*
 * A reference's two rows in different currencies: the statement's amount
 * converted at the rate of its time (qr_fx_rates) against the ledger's,
 * within fx_tolerance_percent.
 */
static void
emit_fx_pair(m_state *st, m_out *o, const char *ref, const m_settings *set)
{
	const m_row *l = o->l;
	const m_row *s = o->s;
	Numeric		rate = NULL;
	Numeric		conv,
				lr;

	if (l->cur != NULL && s->cur != NULL)
		rate = qrm_fx_rate(st, s->cur, l->cur, has_time(s) ? s->ts : l->ts);
	if (rate == NULL)
	{
		o->status = "amount_mismatch";
		o->reason = psprintf("reference %s: ledger %s %s, statement %s %s, and no rate from %s to %s",
							 ref, qrm_numeric_text(l->amount), text_or_empty(l->cur),
							 qrm_numeric_text(s->amount), text_or_empty(s->cur),
							 s->cur ? text_to_cstring(s->cur) : "no currency",
							 l->cur ? text_to_cstring(l->cur) : "no currency");
		qrm_emit(st, o);
		return;
	}
	conv = qrm_round_to(qrm_num_mul(s->amount, rate), qrm_scale_of(l->cur));
	lr = qrm_round_to(l->amount, qrm_scale_of(l->cur));
	o->fx_rate = rate;
	o->diff = qrm_num_sub(conv, lr);
	if (qrm_num_is_zero(o->diff))
	{
		o->status = "matched";
		o->reason = psprintf("by reference, %s %s at %s", qrm_numeric_text(conv), text_to_cstring(l->cur), qrm_numeric_text(rate));
	}
	else
	{
		bool		within_fx = qrm_num_cmp(qrm_num_abs(o->diff), qrm_tolerance_of(set, lr, set->fx_pct)) <= 0 &&
								!qrm_num_is_zero(set->fx_pct);

		o->status = within_fx ? "fx_difference" : "amount_mismatch";
		o->reason = psprintf("reference %s: statement %s %s is %s %s at %s, %s from the ledger's %s (%s %s%%)",
							 ref, qrm_numeric_text(s->amount), text_to_cstring(s->cur), qrm_numeric_text(conv),
							 text_to_cstring(l->cur), qrm_numeric_text(rate), qrm_numeric_text(o->diff),
							 qrm_numeric_text(lr), within_fx ? "within" : "beyond", qrm_numeric_text(set->fx_pct));
	}
	qrm_emit(st, o);
}

/*
 * A reference's two rows in one currency with amounts that differ, or a
 * fee: the statement's amount (its gross, when the provider's statement
 * amounts are net) rounded against the ledger's, within the tolerance, and
 * then its fee against the rate expected.
 */
static void
emit_amount_pair(m_state *st, m_out *o, const char *ref, const m_settings *set)
{
	const m_row *l = o->l;
	const m_row *s = o->s;
	int			scale = qrm_scale_of(l->cur);
	Numeric		gross = (set->net && s->fee) ? qrm_num_add(s->amount, s->fee) : s->amount;
	Numeric		lr = qrm_round_to(l->amount, scale);

	o->diff = qrm_num_sub(qrm_round_to(gross, scale), lr);
	if (qrm_num_cmp(qrm_num_abs(o->diff), qrm_tolerance_of(set, lr, set->tol_pct)) > 0)
	{
		o->status = "amount_mismatch";
		o->reason = psprintf("reference %s: ledger %s, statement %s%s", ref, qrm_numeric_text(l->amount),
							 qrm_numeric_text(s->amount), (set->net && s->fee) ? psprintf(" + fee %s", qrm_numeric_text(s->fee)) : "");
		qrm_emit(st, o);
		return;
	}
	if (s->fee != NULL)
		o->expected_fee = qrm_expected_fee(st, s, gross);
	if (o->expected_fee != NULL && qrm_num_cmp(qrm_round_to(s->fee, scale), o->expected_fee) != 0)
	{
		o->status = "fee_mismatch";
		o->reason = psprintf("reference %s: fee %s, the rate expects %s on %s", ref, qrm_numeric_text(s->fee),
							 qrm_numeric_text(o->expected_fee), qrm_numeric_text(gross));
		qrm_emit(st, o);
		return;
	}
	o->status = "matched";
	o->reason = "by reference";
	qrm_emit(st, o);
}

/*
 * A reference's ledger row against its statement row: outside the window,
 * without amounts, in two currencies, the same amount, or amounts to
 * compare.
 */
void
qrm_emit_reference_pair(m_state *st, m_group *g, const m_row *l, const m_row *s)
{
	const m_settings *set = g->set;
	char	   *ref = text_to_cstring(l->ref ? l->ref : g->gkey);
	m_out		o;

	memset(&o, 0, sizeof(o));
	o.l = l;
	o.s = s;
	if (g->has_orig && g->nrefunds > 0)
		o.net = g->net;
	if (has_time(l) && has_time(s) && !within(set, l->ts, s->ts))
	{
		o.status = "outside_window";
		o.reason = psprintf("same reference %s, %s apart (window %s): a settlement cut-off",
							ref, qrm_apart_text(l, s), set->window_text);
		if (l->amount && s->amount)
			o.diff = qrm_num_sub(s->amount, l->amount);
		qrm_emit(st, &o);
	}
	else if (l->amount == NULL || s->amount == NULL)
	{
		o.status = (l->amount == NULL && s->amount == NULL) ? "matched" : "amount_mismatch";
		o.reason = (l->amount == NULL && s->amount == NULL) ? "by reference, neither with an amount" :
				   psprintf("reference %s: ledger %s, statement %s", ref,
							l->amount ? qrm_numeric_text(l->amount) : "without an amount",
							s->amount ? qrm_numeric_text(s->amount) : "without an amount");
		qrm_emit(st, &o);
	}
	else if (!text_eq(l->cur, s->cur))
		emit_fx_pair(st, &o, ref, set);
	else if (s->fee == NULL &&
			 DatumGetBool(DirectFunctionCall2(numeric_eq, NumericGetDatum(l->amount), NumericGetDatum(s->amount))))
	{
		/* the same amount: nothing to round or compare */
		o.status = "matched";
		o.reason = "by reference";
		o.reason_constant = true;
		o.diff = qrm_zero_at(st, qrm_scale_of(l->cur));
		qrm_emit(st, &o);
	}
	else
		emit_amount_pair(st, &o, ref, set);
}

/* a refund (one row per side at most) against its original */
void
qrm_emit_refund(m_state *st, m_group *g, const m_row *l, const m_row *s)
{
	m_out		o;
	const m_row *any = s ? s : l;
	char	   *ref = any->ref ? text_to_cstring(any->ref) : "(none)";

	memset(&o, 0, sizeof(o));
	o.l = l;
	o.s = s;
	o.original = g->has_orig ? g->orig_txn : NULL;
	if (l && s && l->amount && s->amount)
		o.diff = qrm_num_sub(qrm_round_to(s->amount, qrm_scale_of(s->cur)), qrm_round_to(l->amount, qrm_scale_of(l->cur)));
	if (g->has_orig)
		o.net = g->net;
	if (!g->has_orig)
	{
		o.status = "refund_orphan";
		o.reason = psprintf("refund %s of %s: the original payment is not in the ledger", ref,
							text_to_cstring(g->gkey));
	}
	else if (s == NULL)
	{
		o.status = "missing_in_statement";
		o.reason = psprintf("refund %s of %s is not in the statement", ref, text_to_cstring(g->gkey));
	}
	else if (l == NULL)
	{
		/* the provider refunded a payment the ledger has, and the ledger never booked the refund */
		o.status = "missing_in_ledger";
		o.reason = psprintf("refund %s of %s (payment %s) is not in the ledger", ref, text_to_cstring(g->gkey),
							text_to_cstring(g->orig_txn));
	}
	else if ((l->amount == NULL) != (s->amount == NULL) || !text_eq(l->cur, s->cur) ||
			 (o.diff && qrm_num_cmp(qrm_num_abs(o.diff), qrm_tolerance_of(g->set, l->amount, g->set->tol_pct)) > 0))
	{
		o.status = "amount_mismatch";
		o.reason = psprintf("refund %s of %s: ledger %s, statement %s", ref, text_to_cstring(g->gkey),
							l->amount ? qrm_numeric_text(l->amount) : "without an amount",
							s->amount ? qrm_numeric_text(s->amount) : "without an amount");
	}
	else if (g->over_refund)
	{
		o.status = "amount_mismatch";
		o.reason = psprintf("refunds of %s total %s, more than the payment's %s", text_to_cstring(g->gkey),
							qrm_numeric_text(qrm_units_numeric(g->refunds, qrm_scale_of(g->orig_cur))),
							qrm_numeric_text(qrm_units_numeric(g->orig, qrm_scale_of(g->orig_cur))));
	}
	else
	{
		o.status = "refund_matched";
		o.reason = psprintf("refund %s of payment %s", ref, text_to_cstring(g->orig_txn));
	}
	qrm_emit(st, &o);
}

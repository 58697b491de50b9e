/*
 * qrpay_match_stream.c — the rows in their order, each to its group (rows
 * with a key) or its amount (rows without one).  An amount's rows pass
 * through src/core/qr_stream.c, which pairs them by nearest time within
 * the window and holds only the rows still undecided; what it leaves alone
 * goes to the group search (qrpay_match_search.c) or is missing.
 */
#include "postgres.h"

#include "catalog/pg_collation.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "qrpay.h"
#include "qrpay_match.h"

static void *
stream_alloc(void *ctx, size_t n)
{
	return MemoryContextAllocExtended((MemoryContext) ctx, n, MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM);
}

static void
stream_release(void *ctx, void *p)
{
	pfree(p);
}

/*
 * The candidates of row i of an ambiguous set (rows in time order): the
 * rows of the other side next to it on either hand, that is, the nearest
 * earlier and the nearest later rows of the other side with their twins
 * (rows of the same side and time), which a plateau puts equally close.
 */
static Datum
candidates_array(m_row *const *rows, const unsigned char *sides, size_t n, size_t i, long *count)
{
	Datum		e[MAX_CANDIDATES];
	int			k = 0;
	long		j;

	*count = 0;
	for (int dir = -1; dir <= 1; dir += 2)
	{
		TimestampTz at = 0;
		bool		found = false;

		for (j = (long) i + dir; j >= 0 && j < (long) n; j += dir)
		{
			if (sides[j] == sides[i])
			{
				if (found)
					break;
				continue;
			}
			if (found && rows[j]->ts != at)
				break;
			found = true;
			at = rows[j]->ts;
			if (k < MAX_CANDIDATES && rows[j]->txn != NULL)
				e[k++] = PointerGetDatum(rows[j]->txn);
			(*count)++;
		}
	}
	return PointerGetDatum(construct_array(e, k, TEXTOID, -1, false, TYPALIGN_INT));
}

/* a row qr_stream left alone: searched for a group later, or missing now */
static void
leave_alone(m_state *st, m_row *r, const m_settings *set)
{
	Datum		v[7];
	bool		n[7];

	if (!(set->group_search && set->use_amount && has_time(r) && r->amount != NULL))
	{
		qrm_emit_one(st, r, qrm_missing_status(r),
					 r->side == SIDE_LEDGER ? "no reference, and no statement row of this amount within the window"
					 : "no reference, and no ledger row of this amount within the window", 0);
		return;
	}
	memset(n, 0, sizeof(n));
	v[0] = PointerGetDatum(r->provider);
	n[0] = r->provider == NULL;
	v[1] = PointerGetDatum(r->cur);
	n[1] = r->cur == NULL;
	v[2] = Int64GetDatum(r->ts);
	v[3] = Int32GetDatum(r->side);
	v[4] = PointerGetDatum(r->txn);
	n[4] = r->txn == NULL;
	v[5] = NumericGetDatum(r->amount);
	v[6] = NumericGetDatum(r->ramount ? r->ramount : r->amount);
	ExecClearTuple(st->left_in);
	memcpy(st->left_in->tts_values, v, sizeof(v));
	memcpy(st->left_in->tts_isnull, n, sizeof(n));
	ExecStoreVirtualTuple(st->left_in);
	tuplesort_puttupleslot(st->left, st->left_in);
	st->nleft++;
}

/*
 * The pairing of rows without a key (its rows in streamcxt), and the sort
 * of the rows it leaves alone by provider, currency, time, side and id.
 */
void
qrm_stream_begin(m_state *st)
{
	qr_stream_mem mem;
	TupleDesc	ld;
	AttrNumber	keys[5] = {1, 2, 3, 4, 5};
	Oid			ops[5] = {TextLessOperator, TextLessOperator, Int8LessOperator, Int4LessOperator, TextLessOperator};
	Oid			colls[5] = {C_COLLATION_OID, C_COLLATION_OID, InvalidOid, InvalidOid, C_COLLATION_OID};
	bool		nullsfirst[5] = {false, false, false, false, false};

	st->streamcxt = AllocSetContextCreate(st->cxt, "qr_match window", ALLOCSET_DEFAULT_SIZES);
	mem.alloc = stream_alloc;
	mem.release = stream_release;
	mem.ctx = st->streamcxt;
	st->stream = qr_stream_create(0, 0, &mem);
	if (st->stream == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));

	ld = CreateTemplateTupleDesc(7);
	TupleDescInitEntry(ld, 1, "provider", TEXTOID, -1, 0);
	TupleDescInitEntry(ld, 2, "currency", TEXTOID, -1, 0);
	TupleDescInitEntry(ld, 3, "ts", INT8OID, -1, 0);
	TupleDescInitEntry(ld, 4, "side", INT4OID, -1, 0);
	TupleDescInitEntry(ld, 5, "txn_id", TEXTOID, -1, 0);
	TupleDescInitEntry(ld, 6, "amount", NUMERICOID, -1, 0);
	TupleDescInitEntry(ld, 7, "ramount", NUMERICOID, -1, 0);
	st->left_desc = ld;
	st->left_slot = MakeSingleTupleTableSlot(ld, &TTSOpsMinimalTuple);
	st->left_in = MakeSingleTupleTableSlot(ld, &TTSOpsVirtual);
	st->left = tuplesort_begin_heap(ld, 5, keys, ops, colls, nullsfirst, work_mem, NULL, TUPLESORT_NONE);
}

static void
drain_stream(m_state *st, const m_settings *set)
{
	qr_stream_event ev;

	while (qr_stream_next(st->stream, &ev))
	{
		MemoryContext old = MemoryContextSwitchTo(st->emitcxt);

		if (ev.kind == QR_STREAM_PAIR)
		{
			m_out		o;

			memset(&o, 0, sizeof(o));
			o.l = ev.row[0];
			o.s = ev.row[1];
			o.status = "matched";
			o.diff = st->zero;
			o.reason = psprintf("no reference: same amount, %s apart", qrm_apart_text(o.l, o.s));
			qrm_emit(st, &o);
			qrm_row_free(ev.row[0]);
			qrm_row_free(ev.row[1]);
		}
		else if (ev.kind == QR_STREAM_ALONE)
		{
			leave_alone(st, ev.row[0], set);
			qrm_row_free(ev.row[0]);
		}
		else
		{
			int64		group = ++st->next_group;
			m_row	  **rows = (m_row **) ev.rows;

			for (size_t i = 0; i < ev.n; i++)
			{
				m_out		o;
				long		others;

				qrm_out_of(&o, rows[i]);
				o.status = "ambiguous";
				o.group = group;
				o.candidates = candidates_array(rows, ev.sides, ev.n, i, &others);
				o.reason = others > 0
						   ? psprintf("no reference: %ld %s rows of this amount are equally close; none is guessed",
									  others, ev.sides[i] == SIDE_LEDGER ? "statement" : "ledger")
						   : psprintf("no reference: one of a run of rows of this amount all equally close to each other, reported in sets of at most %d; none is guessed",
									  QR_STREAM_MAX_SET);
				qrm_emit(st, &o);
			}
			for (size_t i = 0; i < ev.n; i++)
				qrm_row_free(rows[i]);
		}
		MemoryContextSwitchTo(old);
	}
}

/* the group or amount being read, to its end */
void
qrm_flush(m_state *st)
{
	if (st->in_group)
	{
		qrm_group_end(st, &st->g);
		st->in_group = false;
	}
	if (st->in_amount)
	{
		qr_stream_finish(st->stream);
		drain_stream(st, st->aset);
		st->in_amount = false;
	}
}

/*
 * A row, in order, to its group or amount (in emitcxt): read from a slot
 * (its fields then live in the slot, or detoasted in emitcxt), or held in
 * memory as a blob until its set is done.
 */
void
qrm_process(m_state *st, m_row *rp, TupleTableSlot *slot, m_blob *blob)
{
	m_row		r = *rp;
	const m_settings *set;
	uint64		gen = st->generation;

	qrm_require_finite(&r);
	if (st->last_set == NULL || !text_eq(r.provider, st->last_prov))
	{
		MemoryContext old = MemoryContextSwitchTo(st->cxt);

		if (st->last_prov)
			pfree(st->last_prov);
		st->last_prov = qrm_copy_text(r.provider);
		st->last_set = qrm_settings_of(st, r.provider);
		MemoryContextSwitchTo(old);
	}
	set = st->last_set;

	/* the group or amount being read ends where the key changes */
	if (st->in_group && (r.gkey == NULL || !text_eq(r.gkey, st->g.gkey) || !text_eq(r.provider, st->g.provider)))
	{
		qrm_group_end(st, &st->g);
		st->in_group = false;
	}
	if (st->in_amount && (r.gkey != NULL || r.refund || !text_eq(r.provider, st->akey_prov) ||
						  !text_eq(r.cur, st->akey_cur) || r.ramount == NULL ||
						  qrm_num_cmp(r.ramount, st->akey_amt) != 0))
	{
		qr_stream_finish(st->stream);
		drain_stream(st, st->aset);
		st->in_amount = false;
	}
	if (st->emitted >= 1024)
		qrm_emit_reset(st);
	if (st->generation != gen && slot != NULL)
		qrm_row_from(&r, slot->tts_values, slot->tts_isnull);	/* its detoasted fields lived there */

	if (r.gkey != NULL)
	{
		if (!st->in_group)
		{
			qrm_group_begin(st, &st->g, &r, set, blob != NULL);
			st->in_group = true;
		}
		qrm_group_store(st, slot, blob);
		qrm_group_count(st, &st->g, &r, blob != NULL);
		return;
	}
	if (r.context)
		return;
	if (r.refund)
	{
		qrm_emit_one(st, &r, "refund_orphan", "a refund without a reference to its original payment", 0);
		return;
	}
	if (!(set->use_amount && has_time(&r) && r.amount != NULL && r.ramount != NULL))
	{
		qrm_emit_one(st, &r, qrm_missing_status(&r),
					 r.side == SIDE_LEDGER ? "no reference, and no statement row of this amount within the window"
					 : "no reference, and no ledger row of this amount within the window", 0);
		return;
	}
	if (!st->in_amount)
	{
		MemoryContext old = MemoryContextSwitchTo(st->cxt);

		if (st->akey_prov)
			pfree(st->akey_prov);
		if (st->akey_cur)
			pfree(st->akey_cur);
		if (st->akey_amt)
			pfree(st->akey_amt);
		st->akey_prov = qrm_copy_text(r.provider);
		st->akey_cur = qrm_copy_text(r.cur);
		st->akey_amt = (Numeric) qrm_copy_text((text *) r.ramount);
		MemoryContextSwitchTo(old);
		st->aset = set;
		qr_stream_reset(st->stream, set->before_us, set->after_us);
		st->in_amount = true;
	}
	{
		MemoryContext old = MemoryContextSwitchTo(st->streamcxt);
		m_row	   *c = qrm_row_copy(&r);

		MemoryContextSwitchTo(old);
		switch (qr_stream_push(st->stream, r.ts, (unsigned char) r.side, c))
		{
			case 0:
				break;
			case -1:
				ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
				break;
			default:
				elog(ERROR, "qr_match: rows without a reference reached the pairing out of order");
		}
	}
	drain_stream(st, st->aset);
}

/* a row of a sorted stream */
void
qrm_process_slot(m_state *st, TupleTableSlot *slot)
{
	m_row		r;

	qrm_row_from(&r, slot->tts_values, slot->tts_isnull);
	qrm_process(st, &r, slot, NULL);
}

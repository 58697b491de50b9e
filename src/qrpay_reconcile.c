/*
 * qrpay_reconcile.c — qr_pair_by_time: two sides' rows paired one to one
 * by nearest time (src/core/qr_pair.c), over arrays.  Reconciliation of
 * whole relations is qr_match (qrpay_match.c).
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "qrpay.h"

PG_FUNCTION_INFO_V1(qr_pair_by_time);

#define SIDE_LEDGER		0
#define SIDE_STATEMENT	1

/* ------------------------------------------------------------------ */
/* qr_pair_by_time(sides text[], ids text[], times timestamptz[], window) */
/* ------------------------------------------------------------------ */

typedef struct pair_item
{
	TimestampTz t;
	unsigned char side;
	text	   *id;
} pair_item;

/* time, side, id (bytes), NULL ids last */
static int
pair_item_cmp(const void *pa, const void *pb)
{
	const pair_item *a = pa;
	const pair_item *b = pb;

	if (a->t != b->t)
		return a->t < b->t ? -1 : 1;
	if (a->side != b->side)
		return (int) a->side - (int) b->side;
	return qrpay_text_cmp(a->id, b->id);
}

static void
put_pair(Tuplestorestate *ts, TupleDesc desc, const pair_item *l, const pair_item *s)
{
	Datum		v[3];
	bool		n[3];

	n[0] = l == NULL || l->id == NULL;
	v[0] = n[0] ? (Datum) 0 : PointerGetDatum(l->id);
	n[1] = s == NULL || s->id == NULL;
	v[1] = n[1] ? (Datum) 0 : PointerGetDatum(s->id);
	n[2] = l == NULL || s == NULL;
	v[2] = n[2] ? (Datum) 0
		   : DirectFunctionCall2(timestamp_mi, TimestampTzGetDatum(Max(l->t, s->t)),
								 TimestampTzGetDatum(Min(l->t, s->t)));
	tuplestore_putvalues(ts, desc, v, n);
}

Datum
qr_pair_by_time(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Datum	   *sd = NULL,
				*idd = NULL,
				 *td = NULL;
	bool	   *sn = NULL,
				*idn = NULL,
				 *tn = NULL;
	int			ns = -1,
				nid = -1,
				nt = -1,
				i,
				m = 0;
	int64		window;
	pair_item  *items;
	int64	   *t;
	unsigned char *side;
	long	   *mate;
	void	   *work;

	if (!PG_ARGISNULL(0))
		deconstruct_array(PG_GETARG_ARRAYTYPE_P(0), TEXTOID, -1, false, TYPALIGN_INT, &sd, &sn, &ns);
	if (!PG_ARGISNULL(1))
		deconstruct_array(PG_GETARG_ARRAYTYPE_P(1), TEXTOID, -1, false, TYPALIGN_INT, &idd, &idn, &nid);
	if (!PG_ARGISNULL(2))
		deconstruct_array(PG_GETARG_ARRAYTYPE_P(2), TIMESTAMPTZOID, sizeof(TimestampTz), FLOAT8PASSBYVAL,
						  TYPALIGN_DOUBLE, &td, &tn, &nt);
	if (ns != nid || nid != nt)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("qr_pair_by_time needs sides, ids and times of one length")));
	if (PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("qr_pair_by_time needs a time window")));
	window = qrpay_interval_us(PG_GETARG_INTERVAL_P(3));
	if (window < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("qr_pair_by_time needs a time window of zero or more, not %s",
						DatumGetCString(DirectFunctionCall1(interval_out, PG_GETARG_DATUM(3))))));
	items = palloc(Max(ns, 1) * sizeof(pair_item));
	for (i = 0; i < ns; i++)
	{
		char	   *sv = sn[i] ? NULL : TextDatumGetCString(sd[i]);

		if (sv == NULL || (strcmp(sv, "ledger") != 0 && strcmp(sv, "statement") != 0))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("qr_pair_by_time: every side is 'ledger' or 'statement'")));
		items[i].side = sv[0] == 'l' ? SIDE_LEDGER : SIDE_STATEMENT;
		items[i].id = idn[i] ? NULL : (text *) PG_DETOAST_DATUM(idd[i]);
		/* an infinite time cannot be measured: no time at all */
		if (!tn[i] && TIMESTAMP_NOT_FINITE(DatumGetTimestampTz(td[i])))
			tn[i] = true;
		items[i].t = tn[i] ? 0 : DatumGetTimestampTz(td[i]);
	}

	InitMaterializedSRF(fcinfo, 0);
	/* rows without a time cannot be paired: they come first, in input order */
	for (i = 0; i < ns; i++)
		if (tn[i])
			put_pair(rsinfo->setResult, rsinfo->setDesc,
					 items[i].side == SIDE_LEDGER ? &items[i] : NULL,
					 items[i].side == SIDE_STATEMENT ? &items[i] : NULL);
	for (i = 0; i < ns; i++)
		if (!tn[i])
			items[m++] = items[i];
	if (m == 0)
		return (Datum) 0;
	qsort(items, m, sizeof(pair_item), pair_item_cmp);
	t = palloc_extended(m * sizeof(int64), MCXT_ALLOC_HUGE);
	side = palloc_extended(m, MCXT_ALLOC_HUGE);
	mate = palloc_extended(m * sizeof(long), MCXT_ALLOC_HUGE);
	work = palloc_extended(QR_PAIR_WORK(m), MCXT_ALLOC_HUGE);
	for (i = 0; i < m; i++)
	{
		t[i] = items[i].t;
		side[i] = items[i].side;
	}
	qr_pair_nearest(t, side, m, window, mate, work);
	/* the pairs in time order of their ledger rows, then the rest */
	for (i = 0; i < m; i++)
		if (side[i] == SIDE_LEDGER && mate[i] >= 0)
			put_pair(rsinfo->setResult, rsinfo->setDesc, &items[i], &items[mate[i]]);
	for (i = 0; i < m; i++)
		if (mate[i] < 0)
			put_pair(rsinfo->setResult, rsinfo->setDesc,
					 side[i] == SIDE_LEDGER ? &items[i] : NULL,
					 side[i] == SIDE_STATEMENT ? &items[i] : NULL);
	return (Datum) 0;
}

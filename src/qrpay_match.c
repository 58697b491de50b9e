/*
 * qrpay_match.c — qr_match: a ledger against a provider statement, every
 * row of both sides in exactly one outcome, with groups, refunds, fees,
 * currencies and settings per provider.
 *
 * Both relations are read in one scan, each row with its group key (its
 * parent reference, else its own reference, as the provider's keys allow)
 * and, for a row without one, its amount rounded to its currency's minor
 * unit.
 *
 *  - Rows with a key are held until they pass work_mem, then written to
 *    temporary files partitioned by the hash of (provider, key); each part
 *    is read back and sorted in memory by hash, key, provider, payments
 *    before refunds, own reference, time, side and id, and its groups are
 *    reconciled one after the other (a part still too large is split by
 *    further bits of the hash; one whose rows all share a hash goes
 *    through a tuplesort).  A group is read twice, for its totals and to
 *    emit its rows: held where its rows lie, or in a tuplestore when they
 *    came from a sort.
 *  - Rows without a key go to a tuplesort by rounded amount, currency,
 *    provider and time; each amount's rows pass through
 *    src/core/qr_stream.c, which pairs them by nearest time holding only
 *    the rows still undecided within the window; the rows it leaves alone
 *    go to a tuplesort by time and, when group search is on, are searched
 *    for small sets that sum to a row of the other side
 *    (src/core/qr_subset.c) inside a sliding window.
 *
 * So memory is work_mem for the sorts and stores plus what one window
 * holds, whatever the skew, and nothing in the result depends on work_mem.
 *
 * This file holds the SQL entry points, the query that reads both sides,
 * and the hand-over to Citus shard groups; qrpay_match.h lists the others.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/value.h"
#include "parser/parse_func.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/regproc.h"
#include "utils/typcache.h"

#include "qrpay.h"
#include "qrpay_match.h"

PG_FUNCTION_INFO_V1(qr_match);
PG_FUNCTION_INFO_V1(qr_reconcile_detail);

static bool
has_column(Oid rel, const char *name)
{
	return get_attnum(rel, name) != InvalidAttrNumber;
}

/* every column the reconciliation reads must be there (42703 names the first missing) */
static void
require_columns(Oid rel)
{
	static const char *const cols[6] = {"txn_id", "provider", "reference", "amount", "currency", "ts"};

	for (int i = 0; i < 6; i++)
		if (!has_column(rel, cols[i]))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("%s has no column \"%s\"",
							DatumGetCString(DirectFunctionCall1(regclassout, ObjectIdGetDatum(rel))), cols[i]),
					 errhint("It needs the columns txn_id, provider, reference, amount, currency, ts (extra columns are ignored; parent_reference, kind, fee and context are read when present).")));
}

/*
 * A row's time as timestamptz.  A time without zone (or a date) is the
 * session's local time, as a cast makes it, but with the zone written out:
 * on Citus the expression runs on the workers, whose sessions may be in
 * another zone.
 */
static char *
time_sql(Oid rel)
{
	Oid			type = get_atttype(rel, get_attnum(rel, "ts"));
	const char *zone = quote_literal_cstr(GetConfigOption("TimeZone", false, false));

	if (type == TIMESTAMPOID)
		return psprintf("pg_catalog.timezone(%s, x.ts)", zone);
	if (type == DATEOID)
		return psprintf("pg_catalog.timezone(%s, x.ts::timestamp)", zone);
	return "x.ts::timestamptz";
}

/*
 * One side's rows as the streams read them.  refs and parents list the
 * providers whose use of references and of parent references differs from
 * the defaults (use_ref and use_parent); NULL when none does.  dcol, when
 * given, adds that column as text, dkey (a distribution column).
 */
static char *
side_sql(Oid rel, int side, bool use_ref, bool use_parent, const char *refs, const char *parents,
		 const char *dcol)
{
	char	   *name = DatumGetCString(DirectFunctionCall1(regclassout, ObjectIdGetDatum(rel)));
	const char *ur = refs == NULL ? (use_ref ? "true" : "false")
					 : psprintf("(coalesce(x.provider::text = ANY (%s), false) <> %s)", refs, use_ref ? "true" : "false");
	const char *up = parents == NULL ? (use_parent ? "true" : "false")
					 : psprintf("(coalesce(x.provider::text = ANY (%s), false) <> %s)", parents, use_parent ? "true" : "false");
	char	   *parent = has_column(rel, "parent_reference")
						 ? psprintf("CASE WHEN %s THEN NULLIF(x.parent_reference::text, '') END", up) : "NULL::text";
	char	   *refund;

	if (has_column(rel, "kind"))
		refund = psprintf("coalesce(%s AND (lower(btrim(x.kind::text)) IN ('refund', 'reversal', 'chargeback') OR "
						  "(x.kind IS NULL AND x.amount::numeric < 0 AND %s IS NOT NULL)), false)", up, parent);
	else
		refund = psprintf("coalesce(%s AND x.amount::numeric < 0 AND %s IS NOT NULL, false)", up, parent);
	return psprintf("SELECT %d AS side, x.txn_id::text AS txn_id, x.provider::text AS provider, "
					"CASE WHEN %s THEN NULLIF(x.reference::text, '') END AS ref, %s AS parent, %s AS refund, "
					"x.amount::numeric AS amount, x.currency::text AS currency, %s AS ts, "
					"%s AS fee, %s AS context%s%s%s FROM %s x",
					side, ur, parent, refund, time_sql(rel),
					(side == SIDE_STATEMENT && has_column(rel, "fee")) ? "x.fee::numeric" : "NULL::numeric",
					(side == SIDE_LEDGER && has_column(rel, "context")) ? "coalesce(x.context::boolean, false)" : "false",
					dcol ? ", x." : "", dcol ? quote_identifier(dcol) : "", dcol ? "::text AS dkey" : "",
					name);
}

/*
 * The stream: both sides' rows, each with its group key (its parent
 * reference, else its own reference, when the provider's keys use them)
 * and, for a row without one, its amount rounded to its currency's minor
 * unit.  The sort keys come first, so that sorts read them without walking
 * the other columns.
 */
static char *
stream_sql(m_state *st, Oid lrel, Oid srel, const char *refs, const char *parents)
{
	const char *nsp = quote_identifier(get_namespace_name(st->nsp));

	Oid			args[2] = {NUMERICOID, TEXTOID};
	/* before 0.9.0 the schema has no qr_round_amount: amounts are then compared as they are */
	bool		rounds = OidIsValid(LookupFuncName(list_make2(makeString(get_namespace_name(st->nsp)),
															  makeString("qr_round_amount")), 2, args, true));

	return psprintf("SELECT v.gkey, v.provider, v.refund, v.ref, "
					"CASE WHEN v.gkey IS NULL THEN v.currency END AS ucur, "
					"CASE WHEN v.gkey IS NULL THEN %s END AS ramount, "
					"v.ts, v.side, v.txn_id, v.parent, v.amount, v.currency, v.fee, v.context FROM ("
					"SELECT w.*, COALESCE(w.parent, w.ref) AS gkey FROM (%s UNION ALL %s) w) v",
					rounds ? psprintf("%s.qr_round_amount(v.amount, v.currency)", nsp) : "v.amount",
					side_sql(lrel, SIDE_LEDGER, st->dflt.use_ref, st->dflt.use_parent, refs, parents, NULL),
					side_sql(srel, SIDE_STATEMENT, st->dflt.use_ref, st->dflt.use_parent, refs, parents, NULL));
}

static void key_exceptions(m_state *st, char **refs, char **parents);

/* what makes qr_match run on the shards, when it reads through the coordinator */
#define DISTRIBUTE_HINT "Distribute both by a column holding qr_match_key(provider, reference, parent_reference), " \
	"co-located, and each shard group is reconciled on its worker."

/*
 * Rows of a distributed relation whose distribution column (dcol) does not
 * hold the key the engine links them by: their group key, else (a row
 * without one) their provider, as qr_match_key says under each provider's
 * keys.  With none on either side, no match can cross shard groups.
 */
static int64
misplaced_rows(m_state *st, Oid rel, int side, const char *dcol)
{
	char	   *refs,
			   *parents;
	bool		isnull;
	Datum		n;

	key_exceptions(st, &refs, &parents);
	if (SPI_execute(psprintf("SELECT pg_catalog.count(*) FROM (%s) w "
							 "WHERE w.dkey IS DISTINCT FROM COALESCE(w.parent, w.ref, w.provider)",
							 side_sql(rel, side, st->dflt.use_ref, st->dflt.use_parent, refs, parents, dcol)),
					true, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "qr_match could not check how %s is distributed", get_rel_name(rel));
	n = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return isnull ? 0 : DatumGetInt64(n);
}

/*
 * On Citus, co-located ledger and statement tables distributed by their
 * match key are reconciled on each shard group by the workers; other
 * distributed tables are read through the coordinator, with a notice.
 * True when the result was made on the shards.
 */
static bool
run_on_shards(m_state *st, FunctionCallInfo fcinfo, bool detail, Oid lrel, Oid srel)
{
	char	   *lcol,
			   *scol,
			   *why = NULL;
	int64		off;
	char	   *settings;

	if (!qrpay_citus_colocated(st->nsp, lrel, srel, &lcol, &scol, &why))
	{
		if (why != NULL)
			ereport(NOTICE,
					(errmsg("qr_match reads %s and %s through the coordinator: %s",
							get_rel_name(lrel), get_rel_name(srel), why),
					 errhint(DISTRIBUTE_HINT)));
		return false;
	}
	/*
	 * The workers answer on connections of their own, outside this
	 * transaction, each with a fresh snapshot: they would not see what it
	 * wrote before (any command that changed something, even on the
	 * workers, advances the command counter), nor read as of the
	 * snapshot of a REPEATABLE READ or SERIALIZABLE transaction
	 */
	if (GetCurrentCommandId(false) != FirstCommandId || IsolationUsesXactSnapshot())
	{
		ereport(NOTICE,
				(errmsg("qr_match reads %s and %s through the coordinator: %s",
						get_rel_name(lrel), get_rel_name(srel),
						IsolationUsesXactSnapshot()
						? "the workers' own connections would not read as of this transaction's snapshot"
						: "this transaction has changed data, which the workers' own connections would not see"),
				 errhint("Reconcile in a transaction of its own (READ COMMITTED), and each shard group is "
						 "reconciled on its worker.")));
		return false;
	}
	off = misplaced_rows(st, lrel, SIDE_LEDGER, lcol) + misplaced_rows(st, srel, SIDE_STATEMENT, scol);
	if (off > 0)
	{
		ereport(NOTICE,
				(errmsg("qr_match reads %s and %s through the coordinator: " INT64_FORMAT " of their rows are "
						"distributed by something other than their match key (columns %s and %s)",
						get_rel_name(lrel), get_rel_name(srel), off, lcol, scol),
				 errhint(DISTRIBUTE_HINT)));
		return false;
	}
	if (!detail)
		settings = st->override ? JsonbToCString(NULL, &st->override->root, VARSIZE(st->override)) : NULL;
	else
	{
		/* qr_reconcile_detail's window and tolerance, as qr_match's settings */
		StringInfoData j;

		initStringInfo(&j);
		appendStringInfoChar(&j, '{');
		if (!PG_ARGISNULL(3) && (numeric_is_nan(PG_GETARG_NUMERIC(3)) || numeric_is_inf(PG_GETARG_NUMERIC(3))))
			return false;		/* no JSON number: refused as on one node */
		if (!PG_ARGISNULL(2))
		{
			appendStringInfoString(&j, "\"time_window\": ");
			escape_json(&j, DatumGetCString(DirectFunctionCall1(interval_out, PG_GETARG_DATUM(2))));
		}
		if (!PG_ARGISNULL(3))
			appendStringInfo(&j, "%s\"amount_tolerance\": %s", PG_ARGISNULL(2) ? "" : ", ",
							 DatumGetCString(DirectFunctionCall1(numeric_out, PG_GETARG_DATUM(3))));
		appendStringInfoChar(&j, '}');
		settings = j.data;
	}
	qrpay_match_on_shards(st->nsp, lrel, srel, settings, st->out, st->desc);
	return true;
}

/* the providers whose keys differ from the defaults', as two ARRAY[...] literals (NULL: none) */
static void
key_exceptions(m_state *st, char **refs, char **parents)
{
	StringInfoData r,
				   p;

	initStringInfo(&r);
	initStringInfo(&p);
	for (int i = 0; i < st->nsetrows; i++)
	{
		const char *name = st->setrows[i].provider;
		text	   *t;
		const m_settings *s;

		if (name == NULL || strcmp(name, "*") == 0)
			continue;
		t = cstring_to_text(name);
		s = qrm_settings_of(st, t);
		if (s->use_ref != st->dflt.use_ref)
			appendStringInfo(&r, "%s%s", r.len ? ", " : "", quote_literal_cstr(name));
		if (s->use_parent != st->dflt.use_parent)
			appendStringInfo(&p, "%s%s", p.len ? ", " : "", quote_literal_cstr(name));
	}
	*refs = r.len ? psprintf("ARRAY[%s]::text[]", r.data) : NULL;
	*parents = p.len ? psprintf("ARRAY[%s]::text[]", p.data) : NULL;
}

/* the executor hands each row of the stream straight here */
typedef struct m_receiver
{
	DestReceiver pub;
	m_state    *st;
} m_receiver;

static bool
receive_row(TupleTableSlot *slot, DestReceiver *self)
{
	m_state    *st = ((m_receiver *) self)->st;
	MemoryContext old = MemoryContextSwitchTo(st->emitcxt);

	slot_getallattrs(slot);
	if (slot->tts_isnull[C_GKEY])
		tuplesort_puttupleslot(st->unkeyed, slot);
	else
		qrm_hold_keyed(st, slot);
	MemoryContextSwitchTo(old);
	return true;
}

static void
receive_startup(DestReceiver *self, int operation, TupleDesc typeinfo)
{
	m_state    *st = ((m_receiver *) self)->st;
	MemoryContext old;
	/* rows without a key: by rounded amount, currency, provider, refund, time, side, id */
	AttrNumber	keys[7] = {C_RAMOUNT + 1, C_UCUR + 1, C_PROVIDER + 1, C_REFUND + 1, C_TS + 1, C_SIDE + 1, C_TXN + 1};
	Oid			ops[7];
	Oid			colls[7] = {
		InvalidOid, C_COLLATION_OID, C_COLLATION_OID, InvalidOid, InvalidOid, InvalidOid,
		C_COLLATION_OID
	};
	bool		nf[7] = {false, false, false, false, false, false, false};

	if (st->gslot != NULL)
		return;
	old = MemoryContextSwitchTo(st->cxt);
	st->stream_desc = CreateTupleDescCopy(typeinfo);
	st->gslot = MakeSingleTupleTableSlot(st->stream_desc, &TTSOpsMinimalTuple);
	st->uslot = MakeSingleTupleTableSlot(st->stream_desc, &TTSOpsMinimalTuple);
	ops[0] = lookup_type_cache(NUMERICOID, TYPECACHE_LT_OPR)->lt_opr;
	ops[1] = TextLessOperator;
	ops[2] = TextLessOperator;
	ops[3] = lookup_type_cache(BOOLOID, TYPECACHE_LT_OPR)->lt_opr;
	ops[4] = lookup_type_cache(TIMESTAMPTZOID, TYPECACHE_LT_OPR)->lt_opr;
	ops[5] = Int4LessOperator;
	ops[6] = TextLessOperator;
	st->unkeyed = tuplesort_begin_heap(st->stream_desc, 7, keys, ops, colls, nf, work_mem, NULL, TUPLESORT_NONE);
	MemoryContextSwitchTo(old);
}

static void
receive_nothing(DestReceiver *self)
{
}

/* the stream, then its rows with a key a group at a time, then the others */
static void
run(m_state *st, Oid lrel, Oid srel)
{
	char	   *refs,
			   *parents;
	m_receiver rcv;
	SPIExecuteOptions opts;

	key_exceptions(st, &refs, &parents);
	memset(&rcv, 0, sizeof(rcv));
	rcv.pub.receiveSlot = receive_row;
	rcv.pub.rStartup = receive_startup;
	rcv.pub.rShutdown = receive_nothing;
	rcv.pub.rDestroy = receive_nothing;
	rcv.pub.mydest = DestNone;
	rcv.st = st;
	memset(&opts, 0, sizeof(opts));
	opts.read_only = true;
	opts.dest = (DestReceiver *) &rcv;
	if (SPI_execute_extended(stream_sql(st, lrel, srel, refs, parents), &opts) < 0)
		elog(ERROR, "qr_match could not read the ledger and the statement");
	if (st->gslot == NULL)
		return;					/* no rows */
	qrm_process_keyed(st);
	tuplesort_performsort(st->unkeyed);
	while (tuplesort_gettupleslot(st->unkeyed, true, false, st->uslot, NULL))
	{
		MemoryContext old = MemoryContextSwitchTo(st->emitcxt);

		slot_getallattrs(st->uslot);
		qrm_process_slot(st, st->uslot);
		MemoryContextSwitchTo(old);
	}
	MemoryContextSwitchTo(st->emitcxt);
	qrm_flush(st);
	MemoryContextSwitchTo(st->cxt);
	tuplesort_end(st->unkeyed);
	st->unkeyed = NULL;
}

/*
 * search_path = pg_catalog, pg_temp while the queries run: the query text
 * built here means what it says whatever the caller's path holds, and a
 * regclass prints schema-qualified unless it is a temporary table.
 */
static int
pin_search_path(void)
{
	int			nestlevel = NewGUCNestLevel();

	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	/* the stream's query is simple: compiling it costs more than it saves */
	(void) set_config_option("jit", "off",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	return nestlevel;
}

/* both entry points: the relations, and the settings as a jsonb or as a window and a tolerance */
static Datum
match(FunctionCallInfo fcinfo, bool detail)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	m_state		st;
	Oid			lrel,
				srel;
	int			pinned;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("qr_match needs a ledger and a statement relation")));
	lrel = PG_GETARG_OID(0);
	srel = PG_GETARG_OID(1);
	memset(&st, 0, sizeof(st));
	st.cxt = CurrentMemoryContext;
	st.nsp = get_func_namespace(fcinfo->flinfo->fn_oid);
	st.override = (detail || PG_ARGISNULL(2)) ? NULL : PG_GETARG_JSONB_P(2);
	require_columns(lrel);
	require_columns(srel);

	InitMaterializedSRF(fcinfo, 0);
	st.out = rsinfo->setResult;
	st.desc = rsinfo->setDesc;
	/* qr_reconcile_detail returns the first ten columns, qr_reconcile the first five */
	if (detail ? (st.desc->natts != 10 && st.desc->natts != 5) : st.desc->natts != NCOLS)
		elog(ERROR, "qr_match cannot return %d columns", st.desc->natts);
	st.zero = int64_to_numeric(0);
	st.groupcxt = AllocSetContextCreate(st.cxt, "qr_match group", ALLOCSET_DEFAULT_SIZES);
	st.emitcxt = AllocSetContextCreate(st.cxt, "qr_match rows", ALLOCSET_DEFAULT_SIZES);
	st.gstore = tuplestore_begin_heap(false, false, work_mem);
	qrm_hold_begin(&st);
	qrm_stream_begin(&st);

	SPI_connect();
	pinned = pin_search_path();
	qrm_read_override(&st);
	if (detail)
	{
		/* qr_reconcile_detail's window and tolerance, when given, override */
		st.over.n[1] = PG_ARGISNULL(2);
		st.over.v[1] = PG_ARGISNULL(2) ? (Datum) 0 : PG_GETARG_DATUM(2);
		st.over.n[3] = PG_ARGISNULL(3);
		st.over.v[3] = PG_ARGISNULL(3) ? (Datum) 0 : PG_GETARG_DATUM(3);
	}
	qrm_read_settings(&st);
	if (!run_on_shards(&st, fcinfo, detail, lrel, srel))
	{
		run(&st, lrel, srel);
		qrm_search_groups(&st);
	}
	AtEOXact_GUC(true, pinned);
	SPI_finish();

	MemoryContextSwitchTo(st.cxt);
	tuplestore_end(st.gstore);
	qr_stream_destroy(st.stream);
	MemoryContextDelete(st.streamcxt);
	MemoryContextDelete(st.groupcxt);
	MemoryContextDelete(st.emitcxt);
	return (Datum) 0;
}

Datum
qr_match(PG_FUNCTION_ARGS)
{
	return match(fcinfo, false);
}

/*
 * qr_match's first ten columns (qr_reconcile_detail) or five
 * (qr_reconcile), with the window and tolerance as arguments.
 */
Datum
qr_reconcile_detail(PG_FUNCTION_ARGS)
{
	return match(fcinfo, true);
}

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
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "common/int.h"
#include "common/int128.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "nodes/makefuncs.h"
#include "nodes/value.h"
#include "parser/parse_func.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "storage/buffile.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/rangetypes.h"
#include "utils/regproc.h"
#include "utils/timestamp.h"
#include "utils/tuplesort.h"
#include "utils/tuplestore.h"
#include "utils/typcache.h"

#include "qrpay.h"
#include "qrpay_money.h"
#include "qr_stream.h"
#include "qr_subset.h"

PG_FUNCTION_INFO_V1(qr_match);
PG_FUNCTION_INFO_V1(qr_reconcile_detail);

#define SIDE_LEDGER		0
#define SIDE_STATEMENT	1
#define NCOLS			19		/* qr_match's result columns */
#define MAX_CANDIDATES	10		/* candidates listed for an ambiguous row */
#define SEARCH_BUDGET	20000	/* subset search nodes per row */
#define GROUP_HELD		8		/* rows of a group held before its tuplestore */

/* the stream's columns (see stream_sql) */
enum
{
	C_GKEY, C_PROVIDER, C_REFUND, C_REF, C_UCUR, C_RAMOUNT, C_TS, C_SIDE, C_TXN,
	C_PARENT, C_AMOUNT, C_CUR, C_FEE, C_CONTEXT, C_NCOLS
};

/* ------------------------------------------------------------------ */
/* settings                                                            */
/* ------------------------------------------------------------------ */

typedef struct m_settings
{
	bool		use_ref,
				use_parent,
				use_amount;
	Interval	window;
	Interval	lag;
	Numeric		tol_abs;
	Numeric		tol_pct;
	bool		group_search;
	int			group_max;
	bool		net;
	Numeric		fx_pct;
	/* derived */
	int64		before_us;		/* statement may be this much earlier */
	int64		after_us;		/* ... and this much later (window + lag) */
	char	   *window_text;
} m_settings;

/* a row of qr_recon_settings, NULL fields unset */
typedef struct m_setrow
{
	char	   *provider;
	Datum		v[9];
	bool		n[9];
} m_setrow;

/* the settings' names, in the order of m_setrow.v and of the query below */
static const char *const set_names[9] = {
	"keys", "time_window", "date_lag", "amount_tolerance", "tolerance_percent",
	"group_search", "group_max_rows", "statement_amounts", "fx_tolerance_percent"
};

/* a tstzrange of a rates table, as its bounds */
typedef struct m_period
{
	bool		lo_inf,
				hi_inf,
				lo_inc,
				hi_inc;
	TimestampTz lo,
				hi;
} m_period;

typedef struct m_fxrate
{
	char	   *from;
	char	   *to;
	m_period	during;
	Numeric		rate;
} m_fxrate;

typedef struct m_feerate
{
	char	   *provider;
	char	   *cur;			/* NULL: any */
	m_period	during;
	Numeric		rate,
				fixed;
} m_feerate;

/* ------------------------------------------------------------------ */
/* rows and state                                                      */
/* ------------------------------------------------------------------ */

/* a row of the stream; its fields point into a tuple or a copy */
typedef struct m_row
{
	int			side;
	text	   *txn;
	text	   *provider;
	text	   *ref;
	text	   *parent;
	bool		refund;
	Numeric		amount;
	text	   *cur;
	bool		ts_null;
	TimestampTz ts;
	Numeric		fee;
	bool		context;
	text	   *gkey;
	Numeric		ramount;
} m_row;

/* one result row */
typedef struct m_out
{
	const char *status;
	const m_row *l;
	const m_row *s;
	Numeric		diff;
	char	   *reason;
	int64		group;			/* 0: none */
	Datum		candidates;		/* text[] or 0 */
	text	   *original;
	Numeric		net;
	Numeric		expected_fee;
	Numeric		fx_rate;
	bool		reason_constant;	/* reason is a string literal */
} m_out;

typedef struct m_group
{
	text	   *provider;
	text	   *gkey;
	const m_settings *set;
	/* payments, context rows apart, in minor units of their one currency */
	long		n[2];
	int64		sum[2];
	bool		sum_ok;			/* one currency, every amount set, no overflow */
	bool		parts;			/* a payment belongs to the key through its parent */
	text	   *cur;
	int			scale;
	/* the original of the refunds: ledger payments, context rows included */
	bool		has_orig;
	text	   *orig_txn;
	text	   *orig_cur;
	int64		orig;
	bool		orig_ok;
	/* refunds: each own reference counts once, its statement row if any */
	long		nrefunds;
	int64		refunds;
	bool		refunds_ok;
	text	   *rsub;			/* pass 1: the refund reference being read */
	bool		rsub_has[2];
	bool		rsub_ok[2];
	int64		rsub_amt[2];
	bool		over_refund;
	Numeric		net;			/* original minus refunds, when known */
} m_group;

typedef struct m_state
{
	Oid			nsp;			/* the extension's schema */
	Jsonb	   *override;
	/* settings */
	m_setrow   *setrows;
	int			nsetrows;
	m_setrow   *star;			/* the '*' row, if any */
	m_setrow	over;			/* the argument's overrides */
	m_settings	dflt;			/* effective defaults: built in <- '*' <- overrides */
	List	   *provider_settings;	/* of m_provset */
	m_feerate  *fees;
	int			nfees;
	struct m_fxrate *fx;
	int			nfx;
	/* output */
	Tuplestorestate *out;
	TupleDesc	desc;
	int64		next_group;
	Numeric		zero;
	Numeric		zeros[8];		/* zero_at's, by scale */
	/* the group being read */
	MemoryContext cxt;			/* the call's */
	MemoryContext groupcxt;		/* reset per group */
	MemoryContext emitcxt;		/* reset every few rows emitted */
	long		emitted;
	uint64		generation;		/* emitcxt resets so far */
	const char *const_ptr[32];	/* constant_text's strings ... */
	Datum		const_datum[32];	/* ... and their datums */
	int			nconst;
	Tuplestorestate *gstore;	/* the group's rows past GROUP_HELD */
	MinimalTuple gbuf[GROUP_HELD];	/* the group's first rows */
	long		gn;
	long		gpos;
	bool		gspilled;
	bool		gmode_blobs;	/* the group's rows are blobs of a set held whole */
	struct m_blob **gblobs;
	long		gmax;
	/* rows with a key before they are sorted */
	MemoryContext holdcxt;
	struct m_blob **held;
	long		nheld,
				maxheld;
	Size		held_bytes;
	Size		budget;
	BufFile   **parts;
	int64	   *part_bytes;
	/* rows without a key, sorted */
	Tuplesortstate *unkeyed;
	TupleTableSlot *gslot;
	TupleTableSlot *uslot;
	TupleDesc	stream_desc;
	/* rows without a key */
	MemoryContext streamcxt;	/* the rows qr_stream holds */
	qr_stream  *stream;
	Tuplesortstate *left;		/* rows qr_stream left alone */
	TupleDesc	left_desc;
	TupleTableSlot *left_slot;
	TupleTableSlot *left_in;
	long		nleft;
	/* the stream's position: the group or amount being read */
	bool		in_group;
	m_group		g;
	bool		in_amount;
	text	   *akey_prov;
	text	   *akey_cur;
	Numeric		akey_amt;
	const m_settings *aset;
	text	   *last_prov;
	const m_settings *last_set;
} m_state;

typedef struct m_provset
{
	char	   *provider;		/* NULL for rows without a provider */
	text	   *ptext;			/* the same as text */
	m_settings	s;
} m_provset;

/* ------------------------------------------------------------------ */
/* settings: built in <- '*' row <- provider's row <- argument         */
/* ------------------------------------------------------------------ */

/*
 * The window in microseconds as interval comparison reads it (a month is
 * 30 days, a day 24 hours), capped at the largest int64; -1 when negative
 * or infinite.
 */
int64
qrpay_interval_us(const Interval *w)
{
	INT128		span;

#if PG_VERSION_NUM >= 170000
	/* 17 has infinite intervals: no window or lag is infinite */
	if (INTERVAL_NOT_FINITE(w))
		return -1;
#endif
	span = int64_to_int128(w->time);
	int128_add_int64_mul_int64(&span, w->day, USECS_PER_DAY);
	int128_add_int64_mul_int64(&span, w->month, 30 * USECS_PER_DAY);
	if (int128_compare(span, int64_to_int128(0)) < 0)
		return -1;
	if (int128_compare(span, int64_to_int128(PG_INT64_MAX)) > 0)
		return PG_INT64_MAX;
	return int128_to_int64(span);
}

static char *
numeric_text(Numeric a)
{
	return a ? DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(a))) : "";
}

static char *
interval_text(const Interval *i)
{
	return DatumGetCString(DirectFunctionCall1(interval_out, IntervalPGetDatum(i)));
}

static void
bad_setting(const char *name, const char *what, const char *from)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("qr_match setting \"%s\" %s (%s)", name, what, from),
			 errhint("Settings: keys, time_window, date_lag, amount_tolerance, tolerance_percent, group_search, group_max_rows, statement_amounts, fx_tolerance_percent.")));
}

static bool
numeric_negative_or_special(Numeric n)
{
	if (numeric_is_nan(n) || numeric_is_inf(n))
		return true;
	return DatumGetInt32(DirectFunctionCall2(numeric_cmp, NumericGetDatum(n),
											 NumericGetDatum(int64_to_numeric(0)))) < 0;
}

/* one row's (or the argument's) settings over s; NULL fields leave s as it is */
static void
apply_settings(m_settings *s, const Datum *v, const bool *n, const char *from)
{
	if (!n[0])
	{
		Datum	   *e;
		bool	   *en;
		int			ne;

		deconstruct_array(DatumGetArrayTypeP(v[0]), TEXTOID, -1, false, TYPALIGN_INT, &e, &en, &ne);
		if (ne == 0)
			bad_setting("keys", "must name at least one of reference, parent_reference, amount", from);
		s->use_ref = s->use_parent = s->use_amount = false;
		for (int i = 0; i < ne; i++)
		{
			char	   *k = en[i] ? "NULL" : TextDatumGetCString(e[i]);

			if (strcmp(k, "reference") == 0)
				s->use_ref = true;
			else if (strcmp(k, "parent_reference") == 0)
				s->use_parent = true;
			else if (strcmp(k, "amount") == 0)
				s->use_amount = true;
			else
				bad_setting("keys", psprintf("names \"%s\", not reference, parent_reference or amount", k), from);
		}
	}
	if (!n[1])
	{
		s->window = *DatumGetIntervalP(v[1]);
		if (qrpay_interval_us(&s->window) < 0)
			bad_setting("time_window", psprintf("is %s: it must be zero or more", interval_text(&s->window)), from);
	}
	if (!n[2])
	{
		s->lag = *DatumGetIntervalP(v[2]);
		if (qrpay_interval_us(&s->lag) < 0)
			bad_setting("date_lag", psprintf("is %s: it must be zero or more", interval_text(&s->lag)), from);
	}
	if (!n[3])
	{
		s->tol_abs = DatumGetNumeric(v[3]);
		if (numeric_negative_or_special(s->tol_abs))
			bad_setting("amount_tolerance", psprintf("is %s: it must be a finite number, zero or more", numeric_text(s->tol_abs)), from);
	}
	if (!n[4])
	{
		s->tol_pct = DatumGetNumeric(v[4]);
		if (numeric_negative_or_special(s->tol_pct))
			bad_setting("tolerance_percent", psprintf("is %s: it must be a finite number, zero or more", numeric_text(s->tol_pct)), from);
	}
	if (!n[5])
		s->group_search = DatumGetBool(v[5]);
	if (!n[6])
	{
		s->group_max = DatumGetInt32(v[6]);
		if (s->group_max < 2 || s->group_max > 64)
			bad_setting("group_max_rows", psprintf("is %d: it must be between 2 and 64", s->group_max), from);
	}
	if (!n[7])
	{
		char	   *a = TextDatumGetCString(v[7]);

		if (strcmp(a, "gross") != 0 && strcmp(a, "net") != 0)
			bad_setting("statement_amounts", psprintf("is \"%s\": it is gross or net", a), from);
		s->net = a[0] == 'n';
	}
	if (!n[8])
	{
		s->fx_pct = DatumGetNumeric(v[8]);
		if (numeric_negative_or_special(s->fx_pct))
			bad_setting("fx_tolerance_percent", psprintf("is %s: it must be a finite number, zero or more", numeric_text(s->fx_pct)), from);
	}
}

static void
derive_settings(m_settings *s)
{
	int64		w = qrpay_interval_us(&s->window);
	int64		lag = qrpay_interval_us(&s->lag);

	s->before_us = w;
	if (pg_add_s64_overflow(w, lag, &s->after_us))
		s->after_us = PG_INT64_MAX;
	s->window_text = interval_text(&s->window);
	if (lag > 0)
		s->window_text = psprintf("%s, date lag %s", s->window_text, interval_text(&s->lag));
}

static void
builtin_settings(m_settings *s)
{
	memset(s, 0, sizeof(*s));
	s->use_ref = s->use_parent = s->use_amount = true;
	s->window.time = 15 * 60 * USECS_PER_SEC;
	s->tol_abs = int64_to_numeric(0);
	s->tol_pct = int64_to_numeric(0);
	s->group_search = true;
	s->group_max = 5;
	s->net = false;
	s->fx_pct = int64_to_numeric(1);
}

/* error context while a setting of the argument is read */
static void
setting_context(void *arg)
{
	errcontext("qr_match setting \"%s\"", (const char *) arg);
}

static Datum
text_input(Oid typin, const char *s, Oid typioparam, int32 typmod)
{
	return OidInputFunctionCall(typin, (char *) s, typioparam, typmod);
}

/*
 * An interval setting of the argument: text that is not an interval is a
 * bad value of the setting (22023 naming it), as a negative one is.  The
 * input function's error is caught only to be raised again as that.
 */
static Datum
interval_setting(const char *key, const char *sv)
{
	MemoryContext cxt = CurrentMemoryContext;
	Datum		d = (Datum) 0;

	PG_TRY();
	{
		d = text_input(F_INTERVAL_IN, sv, InvalidOid, -1);
	}
	PG_CATCH();
	{
		ErrorData  *e;

		MemoryContextSwitchTo(cxt);
		e = CopyErrorData();
		if (e->sqlerrcode != ERRCODE_INVALID_DATETIME_FORMAT &&
			e->sqlerrcode != ERRCODE_DATETIME_VALUE_OUT_OF_RANGE &&
			e->sqlerrcode != ERRCODE_INTERVAL_FIELD_OVERFLOW)
			PG_RE_THROW();
		FlushErrorState();
		bad_setting(key, psprintf("is \"%s\": %s", sv, e->message), "settings argument");
	}
	PG_END_TRY();
	return d;
}

/* the argument's settings as a row: each key typed as its column */
static void
read_override(m_state *st)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	int			depth = 0;

	memset(&st->over, 0, sizeof(st->over));
	for (int i = 0; i < 9; i++)
		st->over.n[i] = true;
	if (st->override == NULL)
		return;
	if (!JB_ROOT_IS_OBJECT(st->override))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("qr_match settings must be a JSON object, such as {\"time_window\": \"1 hour\"}")));
	it = JsonbIteratorInit(&st->override->root);
	while ((tok = JsonbIteratorNext(&it, &v, false)) != WJB_DONE)
	{
		char	   *key;
		int			k;
		ErrorContextCallback cb;
		char	   *sv = NULL;

		if (tok == WJB_BEGIN_OBJECT || tok == WJB_BEGIN_ARRAY)
		{
			depth++;
			continue;
		}
		if (tok == WJB_END_OBJECT || tok == WJB_END_ARRAY)
		{
			depth--;
			continue;
		}
		if (tok != WJB_KEY || depth != 1)
			continue;
		key = pnstrdup(v.val.string.val, v.val.string.len);
		for (k = 0; k < 9; k++)
			if (strcmp(key, set_names[k]) == 0)
				break;
		if (k == 9)
			bad_setting(key, "is not a setting", "settings argument");
		tok = JsonbIteratorNext(&it, &v, true);
		cb.callback = setting_context;
		cb.arg = key;
		cb.previous = error_context_stack;
		error_context_stack = &cb;
		if (v.type == jbvNull)
		{
			error_context_stack = cb.previous;
			continue;			/* null: no override */
		}
		if (v.type == jbvString)
			sv = pnstrdup(v.val.string.val, v.val.string.len);
		switch (k)
		{
			case 0:				/* keys: an array of strings */
				{
					JsonbIterator *ai;
					JsonbValue	e;
					ArrayBuildState *ab = initArrayResult(TEXTOID, CurrentMemoryContext, false);

					if (v.type != jbvBinary || !JsonContainerIsArray(v.val.binary.data))
						bad_setting(key, "must be an array such as [\"reference\", \"amount\"]", "settings argument");
					ai = JsonbIteratorInit(v.val.binary.data);
					while ((tok = JsonbIteratorNext(&ai, &e, true)) != WJB_DONE)
					{
						if (tok != WJB_ELEM)
							continue;
						if (e.type != jbvString)
							bad_setting(key, "must hold strings", "settings argument");
						accumArrayResult(ab, PointerGetDatum(cstring_to_text_with_len(e.val.string.val, e.val.string.len)),
										 false, TEXTOID, CurrentMemoryContext);
					}
					st->over.v[k] = makeArrayResult(ab, CurrentMemoryContext);
					break;
				}
			case 1:
			case 2:				/* intervals, as text */
				if (sv == NULL)
					bad_setting(key, "must be an interval as text, such as \"15 minutes\"", "settings argument");
				st->over.v[k] = interval_setting(key, sv);
				break;
			case 3:
			case 4:
			case 8:				/* numbers */
				if (v.type == jbvNumeric)
					st->over.v[k] = NumericGetDatum(v.val.numeric);
				else if (sv != NULL)
					st->over.v[k] = text_input(F_NUMERIC_IN, sv, InvalidOid, -1);
				else
					bad_setting(key, "must be a number", "settings argument");
				break;
			case 5:
				if (v.type != jbvBool)
					bad_setting(key, "must be true or false", "settings argument");
				st->over.v[k] = BoolGetDatum(v.val.boolean);
				break;
			case 6:
				if (v.type != jbvNumeric ||
					!DatumGetBool(DirectFunctionCall2(numeric_eq, NumericGetDatum(v.val.numeric),
													  DirectFunctionCall2(numeric_round, NumericGetDatum(v.val.numeric),
																		  Int32GetDatum(0)))))
					bad_setting(key, "must be a whole number", "settings argument");
				st->over.v[k] = DirectFunctionCall1(numeric_int4, NumericGetDatum(v.val.numeric));
				break;
			case 7:
				if (sv == NULL)
					bad_setting(key, "must be \"gross\" or \"net\"", "settings argument");
				st->over.v[k] = CStringGetTextDatum(sv);
				break;
		}
		st->over.n[k] = false;
		error_context_stack = cb.previous;
	}
}

/*
 * Does the extension's schema hold this relation?  A database whose
 * extension is still at a version before 0.9.0 (the library was upgraded,
 * ALTER EXTENSION UPDATE not yet run) has no settings or rates tables: the
 * built-in settings apply, and no fee or rate is known.
 */
static bool
has_table(m_state *st, const char *name)
{
	return OidIsValid(get_relname_relid(name, st->nsp));
}

/*
 * Columns 3 to 8 of a rates query: lower_inf, upper_inf, lower_inc,
 * upper_inc, lower and upper of its valid_during.
 */
static void
read_period(HeapTuple t, TupleDesc d, m_period *p)
{
	bool		isnull;
	Datum		x;

	p->lo_inf = DatumGetBool(SPI_getbinval(t, d, 3, &isnull));
	p->hi_inf = DatumGetBool(SPI_getbinval(t, d, 4, &isnull));
	p->lo_inc = DatumGetBool(SPI_getbinval(t, d, 5, &isnull));
	p->hi_inc = DatumGetBool(SPI_getbinval(t, d, 6, &isnull));
	x = SPI_getbinval(t, d, 7, &isnull);
	p->lo = isnull ? 0 : DatumGetTimestampTz(x);
	x = SPI_getbinval(t, d, 8, &isnull);
	p->hi = isnull ? 0 : DatumGetTimestampTz(x);
}

/* qr_recon_settings, the fee rates, and the effective defaults */
static void
read_settings(m_state *st)
{
	const char *nsp = quote_identifier(get_namespace_name(st->nsp));
	char	   *sql;
	uint64		i;
	m_settings	probe;

	sql = has_table(st, "qr_recon_settings") ?
		  psprintf("SELECT provider, keys, time_window, date_lag, amount_tolerance, tolerance_percent, "
				   "group_search, group_max_rows, statement_amounts, fx_tolerance_percent "
				   "FROM %s.qr_recon_settings ORDER BY provider COLLATE \"C\"", nsp)
		  : "SELECT NULL::text, NULL::text[], NULL::interval, NULL::interval, NULL::numeric, NULL::numeric, "
		  "NULL::boolean, NULL::integer, NULL::text, NULL::numeric WHERE false";
	if (SPI_execute(sql, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "qr_match could not read qr_recon_settings");
	st->nsetrows = (int) SPI_processed;
	st->setrows = MemoryContextAllocZero(st->cxt, sizeof(m_setrow) * Max(st->nsetrows, 1));
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	t = SPI_tuptable->vals[i];
		m_setrow   *r = &st->setrows[i];
		bool		isnull;
		Datum		p = SPI_getbinval(t, SPI_tuptable->tupdesc, 1, &isnull);
		MemoryContext old = MemoryContextSwitchTo(st->cxt);

		r->provider = isnull ? NULL : TextDatumGetCString(p);
		for (int k = 0; k < 9; k++)
		{
			Form_pg_attribute a = TupleDescAttr(SPI_tuptable->tupdesc, k + 1);

			r->v[k] = SPI_getbinval(t, SPI_tuptable->tupdesc, k + 2, &r->n[k]);
			if (!r->n[k])
				r->v[k] = datumCopy(r->v[k], a->attbyval, a->attlen);
		}
		MemoryContextSwitchTo(old);
		if (r->provider != NULL && strcmp(r->provider, "*") == 0)
			st->star = r;
		/* a row of the table is checked as it is read: the first bad one is named */
		builtin_settings(&probe);
		apply_settings(&probe, r->v, r->n, psprintf("qr_recon_settings row of %s", r->provider ? r->provider : "NULL"));
	}
	SPI_freetuptable(SPI_tuptable);

	builtin_settings(&st->dflt);
	if (st->star)
		apply_settings(&st->dflt, st->star->v, st->star->n, "qr_recon_settings row *");
	apply_settings(&st->dflt, st->over.v, st->over.n, "settings argument");
	derive_settings(&st->dflt);

	sql = has_table(st, "qr_recon_fee_rates") ?
		  psprintf("SELECT provider, currency, lower_inf(valid_during), upper_inf(valid_during), "
				   "lower_inc(valid_during), upper_inc(valid_during), lower(valid_during), upper(valid_during), "
				   "rate, fixed FROM %s.qr_recon_fee_rates WHERE NOT isempty(valid_during)", nsp)
		  : "SELECT NULL::text WHERE false";
	if (SPI_execute(sql, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "qr_match could not read qr_recon_fee_rates");
	st->nfees = (int) SPI_processed;
	st->fees = MemoryContextAllocZero(st->cxt, sizeof(m_feerate) * Max(st->nfees, 1));
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	t = SPI_tuptable->vals[i];
		TupleDesc	d = SPI_tuptable->tupdesc;
		m_feerate  *f = &st->fees[i];
		bool		isnull;
		Datum		x;
		MemoryContext old = MemoryContextSwitchTo(st->cxt);

		x = SPI_getbinval(t, d, 1, &isnull);
		f->provider = TextDatumGetCString(x);
		x = SPI_getbinval(t, d, 2, &isnull);
		f->cur = isnull ? NULL : TextDatumGetCString(x);
		read_period(t, d, &f->during);
		f->rate = DatumGetNumericCopy(SPI_getbinval(t, d, 9, &isnull));
		f->fixed = DatumGetNumericCopy(SPI_getbinval(t, d, 10, &isnull));
		MemoryContextSwitchTo(old);
	}
	SPI_freetuptable(SPI_tuptable);

	sql = has_table(st, "qr_fx_rates") ?
		  psprintf("SELECT from_currency, to_currency, lower_inf(valid_during), upper_inf(valid_during), "
				   "lower_inc(valid_during), upper_inc(valid_during), lower(valid_during), upper(valid_during), "
				   "rate FROM %s.qr_fx_rates WHERE NOT isempty(valid_during)", nsp)
		  : "SELECT NULL::text WHERE false";
	if (SPI_execute(sql, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "qr_match could not read qr_fx_rates");
	st->nfx = (int) SPI_processed;
	st->fx = MemoryContextAllocZero(st->cxt, sizeof(m_fxrate) * Max(st->nfx, 1));
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	t = SPI_tuptable->vals[i];
		TupleDesc	d = SPI_tuptable->tupdesc;
		m_fxrate   *f = &st->fx[i];
		bool		isnull;
		MemoryContext old = MemoryContextSwitchTo(st->cxt);

		f->from = TextDatumGetCString(SPI_getbinval(t, d, 1, &isnull));
		f->to = TextDatumGetCString(SPI_getbinval(t, d, 2, &isnull));
		read_period(t, d, &f->during);
		f->rate = DatumGetNumericCopy(SPI_getbinval(t, d, 9, &isnull));
		MemoryContextSwitchTo(old);
	}
	SPI_freetuptable(SPI_tuptable);
}

/* the effective settings of a provider (cached per call) */
static const m_settings *
settings_of(m_state *st, const text *provider)
{
	ListCell   *lc;
	m_provset  *ps;
	char	   *name;
	MemoryContext old;

	foreach(lc, st->provider_settings)
	{
		ps = lfirst(lc);
		if (ps->ptext == NULL ? provider == NULL :
			(provider != NULL && VARSIZE_ANY_EXHDR(provider) == VARSIZE_ANY_EXHDR(ps->ptext) &&
			 memcmp(VARDATA_ANY(provider), VARDATA_ANY(ps->ptext), VARSIZE_ANY_EXHDR(provider)) == 0))
			return &ps->s;
	}
	old = MemoryContextSwitchTo(st->cxt);
	name = provider ? text_to_cstring(provider) : NULL;
	ps = palloc0(sizeof(m_provset));
	ps->provider = name;
	ps->ptext = name ? cstring_to_text(name) : NULL;
	builtin_settings(&ps->s);
	if (st->star)
		apply_settings(&ps->s, st->star->v, st->star->n, "qr_recon_settings row *");
	for (int i = 0; i < st->nsetrows; i++)
		if (name != NULL && st->setrows[i].provider != NULL && strcmp(st->setrows[i].provider, name) == 0)
			apply_settings(&ps->s, st->setrows[i].v, st->setrows[i].n, psprintf("qr_recon_settings row of %s", name));
	apply_settings(&ps->s, st->over.v, st->over.n, "settings argument");
	derive_settings(&ps->s);
	st->provider_settings = lappend(st->provider_settings, ps);
	MemoryContextSwitchTo(old);
	return &ps->s;
}

/* ------------------------------------------------------------------ */
/* rows                                                                */
/* ------------------------------------------------------------------ */

static inline bool
text_eq(const text *a, const text *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return VARSIZE_ANY_EXHDR(a) == VARSIZE_ANY_EXHDR(b) &&
		   memcmp(VARDATA_ANY(a), VARDATA_ANY(b), VARSIZE_ANY_EXHDR(a)) == 0;
}

static inline bool
has_time(const m_row *r)
{
	return !r->ts_null && !TIMESTAMP_NOT_FINITE(r->ts);
}

static char *
text_or_empty(const text *t)
{
	return t ? text_to_cstring(t) : "";
}

static void *
field(Datum *v, bool *n, int col)
{
	return n[col] ? NULL : PG_DETOAST_DATUM_PACKED(v[col]);
}

/* the row's fields, pointing into the deformed values */
static void
row_from(m_row *r, Datum *v, bool *n)
{
	r->side = DatumGetInt32(v[C_SIDE]);
	r->txn = field(v, n, C_TXN);
	r->provider = field(v, n, C_PROVIDER);
	r->ref = field(v, n, C_REF);
	r->parent = field(v, n, C_PARENT);
	r->refund = !n[C_REFUND] && DatumGetBool(v[C_REFUND]);
	r->amount = field(v, n, C_AMOUNT);
	r->cur = field(v, n, C_CUR);
	r->ts_null = n[C_TS];
	r->ts = n[C_TS] ? 0 : DatumGetTimestampTz(v[C_TS]);
	r->fee = field(v, n, C_FEE);
	r->context = !n[C_CONTEXT] && DatumGetBool(v[C_CONTEXT]);
	r->gkey = field(v, n, C_GKEY);
	r->ramount = field(v, n, C_RAMOUNT);
}

static text *
copy_text(const text *t)
{
	text	   *c;

	if (t == NULL)
		return NULL;
	c = (text *) palloc(VARSIZE_ANY_EXHDR(t) + VARHDRSZ);
	SET_VARSIZE(c, VARSIZE_ANY_EXHDR(t) + VARHDRSZ);
	memcpy(VARDATA(c), VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
	return c;
}

/*
 * A copy of the row in the current context, in one allocation (a window of
 * metro fares holds tens of thousands of them): the struct, then each field
 * as a varlena with a 4-byte header.
 */
static m_row *
row_copy(const m_row *r)
{
	const struct varlena *f[9] = {
		(const struct varlena *) r->txn, (const struct varlena *) r->provider,
		(const struct varlena *) r->ref, (const struct varlena *) r->parent, (const struct varlena *) r->amount,
		(const struct varlena *) r->cur, (const struct varlena *) r->fee, (const struct varlena *) r->gkey,
		(const struct varlena *) r->ramount
	};
	void	   *to[9];
	Size		len = MAXALIGN(sizeof(m_row));
	m_row	   *c;
	char	   *p;

	for (int i = 0; i < 9; i++)
		if (f[i])
			len += INTALIGN(VARSIZE_ANY_EXHDR(f[i]) + VARHDRSZ);
	c = palloc(len);
	*c = *r;
	p = (char *) c + MAXALIGN(sizeof(m_row));
	for (int i = 0; i < 9; i++)
	{
		to[i] = NULL;
		if (f[i] == NULL)
			continue;
		to[i] = p;
		SET_VARSIZE(p, VARSIZE_ANY_EXHDR(f[i]) + VARHDRSZ);
		memcpy(VARDATA(p), VARDATA_ANY(f[i]), VARSIZE_ANY_EXHDR(f[i]));
		p += INTALIGN(VARSIZE_ANY_EXHDR(f[i]) + VARHDRSZ);
	}
	c->txn = to[0];
	c->provider = to[1];
	c->ref = to[2];
	c->parent = to[3];
	c->amount = to[4];
	c->cur = to[5];
	c->fee = to[6];
	c->gkey = to[7];
	c->ramount = to[8];
	return c;
}

static void
row_free(m_row *r)
{
	pfree(r);
}

/*
 * A NaN or infinite amount has no difference to any other: the row is
 * refused, naming it.  NaN and the infinities are the numerics whose first
 * header word has both top bits set (NUMERIC_SPECIAL in numeric.c).
 */
static void
require_finite(const m_row *r)
{
	uint16		header;

	if (r->amount == NULL)
		return;
	memcpy(&header, VARDATA_ANY(r->amount), sizeof(header));
	if ((header & 0xC000) != 0xC000)
		return;
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("qr_match: %s row %s has amount %s",
					r->side == SIDE_LEDGER ? "ledger" : "statement",
					r->txn ? quote_literal_cstr(text_to_cstring(r->txn)) : "with NULL txn_id",
					numeric_text(r->amount)),
			 errhint("Amounts must be finite numbers; correct or leave out the row.")));
}

#define PART_BITS		6		/* 64 parts when the rows first spill, and per split */
#define NBLOBF			8

/* a row with a key as held and spilled: the header, then its fields as varlenas */
typedef struct m_blob
{
	uint32		len;			/* bytes, header included */
	int32		side;
	uint64		hash;			/* of (provider, key) */
	TimestampTz ts;
	bool		ts_null;
	bool		refund;
	bool		context;
	uint32		off[NBLOBF];	/* of gkey, provider, ref, parent, txn, amount, cur, fee; 0: NULL */
} m_blob;

static const int blob_col[NBLOBF] = {C_GKEY, C_PROVIDER, C_REF, C_PARENT, C_TXN, C_AMOUNT, C_CUR, C_FEE};

static void
row_from_blob(m_row *r, m_blob *b)
{
	void	   *f[NBLOBF];

	for (int i = 0; i < NBLOBF; i++)
		f[i] = b->off[i] ? (char *) b + b->off[i] : NULL;
	memset(r, 0, sizeof(*r));
	r->gkey = f[0];
	r->provider = f[1];
	r->ref = f[2];
	r->parent = f[3];
	r->txn = f[4];
	r->amount = f[5];
	r->cur = f[6];
	r->fee = f[7];
	r->side = b->side;
	r->ts = b->ts;
	r->ts_null = b->ts_null;
	r->refund = b->refund;
	r->context = b->context;
}

/* byte order ("C" collation), NULLs last */
int
qrpay_text_cmp(const text *a, const text *b)
{
	int			la,
				lb,
				c;

	if (a == NULL || b == NULL)
		return (a == NULL) - (b == NULL);
	la = VARSIZE_ANY_EXHDR(a);
	lb = VARSIZE_ANY_EXHDR(b);
	c = memcmp(VARDATA_ANY(a), VARDATA_ANY(b), Min(la, lb));
	return c != 0 ? c : (la > lb) - (la < lb);
}

/* ------------------------------------------------------------------ */
/* amounts                                                             */
/* ------------------------------------------------------------------ */

/* the decimals of a currency: its ISO 4217 minor unit, else 4 */
static int
scale_of(const text *cur)
{
	int			s = qrpay_minor_unit_text(cur);

	return s < 0 ? 4 : s;
}

static Numeric
round_to(Numeric a, int scale)
{
	return DatumGetNumeric(DirectFunctionCall2(numeric_round, NumericGetDatum(a), Int32GetDatum(scale)));
}

static Numeric
num_add(Numeric a, Numeric b)
{
	return DatumGetNumeric(DirectFunctionCall2(numeric_add, NumericGetDatum(a), NumericGetDatum(b)));
}

static Numeric
num_sub(Numeric a, Numeric b)
{
	return DatumGetNumeric(DirectFunctionCall2(numeric_sub, NumericGetDatum(a), NumericGetDatum(b)));
}

static Numeric
num_mul(Numeric a, Numeric b)
{
	return DatumGetNumeric(DirectFunctionCall2(numeric_mul, NumericGetDatum(a), NumericGetDatum(b)));
}

static Numeric
num_abs(Numeric a)
{
	return DatumGetNumeric(DirectFunctionCall1(numeric_abs, NumericGetDatum(a)));
}

static int
num_cmp(Numeric a, Numeric b)
{
	return DatumGetInt32(DirectFunctionCall2(numeric_cmp, NumericGetDatum(a), NumericGetDatum(b)));
}

static bool
num_is_zero(Numeric a)
{
	return num_cmp(a, int64_to_numeric(0)) == 0;
}

/* the larger of the absolute tolerance and the percentage of base */
static Numeric
tolerance_of(const m_settings *s, Numeric base, Numeric pct)
{
	Numeric		p;

	if (num_is_zero(pct))
		return s->tol_abs;
	p = DatumGetNumeric(DirectFunctionCall2(numeric_div, NumericGetDatum(num_mul(num_abs(base), pct)),
											NumericGetDatum(int64_to_numeric(100))));
	return num_cmp(p, s->tol_abs) > 0 ? p : s->tol_abs;
}

/* ------------------------------------------------------------------ */
/* output                                                              */
/* ------------------------------------------------------------------ */

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

static void
emit(m_state *st, const m_out *o)
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

/* forget what the rows emitted so far needed */
static void
emit_reset(m_state *st)
{
	MemoryContextReset(st->emitcxt);
	st->emitted = 0;
	st->generation++;
	CHECK_FOR_INTERRUPTS();
}

/* one row alone: as missing on its side, or with the status given */
static void
emit_one(m_state *st, const m_row *r, const char *status, char *reason, int64 group)
{
	m_out		o;

	memset(&o, 0, sizeof(o));
	if (r->side == SIDE_LEDGER)
		o.l = r;
	else
		o.s = r;
	o.status = status;
	o.reason = reason;
	o.group = group;
	emit(st, &o);
}

static const char *
missing_status(const m_row *r)
{
	return r->side == SIDE_LEDGER ? "missing_in_statement" : "missing_in_ledger";
}

static const char *
duplicate_status(const m_row *r)
{
	return r->side == SIDE_LEDGER ? "duplicate_in_ledger" : "duplicate_in_statement";
}

/* how far apart two times are, as interval text */
static char *
apart_text(const m_row *a, const m_row *b)
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

/* ------------------------------------------------------------------ */
/* groups with a key                                                   */
/* ------------------------------------------------------------------ */


/* a rounded amount as a count of 10^-scale units; false if it does not fit */
static bool
units_of(Numeric a, int scale, int64 *u)
{
	bool		overflow = false;

	*u = qrpay_amount_units(a, scale, &overflow);
	return !overflow;
}

/* units back to a numeric of that scale */
static Numeric
units_numeric(int64 u, int scale)
{
	char		digits[32];
	char		buf[40];
	int			len,
				neg = u < 0;
	uint64		m = neg ? (uint64) 0 - (uint64) u : (uint64) u;

	len = snprintf(digits, sizeof(digits), "%llu", (unsigned long long) m);
	if (scale == 0)
		snprintf(buf, sizeof(buf), "%s%s", neg ? "-" : "", digits);
	else if (len > scale)
		snprintf(buf, sizeof(buf), "%s%.*s.%s", neg ? "-" : "", len - scale, digits, digits + len - scale);
	else
		snprintf(buf, sizeof(buf), "%s0.%0*d%s", neg ? "-" : "", scale - len, 0, digits);
	return DatumGetNumeric(DirectFunctionCall3(numeric_in, CStringGetDatum(buf),
											   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1)));
}

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
	c = copy_text(t);
	MemoryContextSwitchTo(old);
	return c;
}

/* pass 1: a row of the group as it streams by, counted (copies in groupcxt) */
static void
group_count(m_state *st, m_group *g, const m_row *r, bool stable)
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
			 !units_of(r->amount, scale_of(r->cur), &u) || pg_add_s64_overflow(g->orig, u, &g->orig)))
			g->orig_ok = false;
		if (r->context)
			return;
		if (r->amount == NULL || !text_eq(r->cur, g->cur) || !units_of(r->amount, g->scale, &u) ||
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
		g->rsub = copy_text(r->ref);
		MemoryContextSwitchTo(old);
	}
	if (!g->rsub_has[r->side])
	{
		g->rsub_has[r->side] = true;
		g->rsub_ok[r->side] = r->amount != NULL && g->has_orig && text_eq(r->cur, g->orig_cur) &&
							  units_of(r->amount, scale_of(r->cur), &g->rsub_amt[r->side]);
	}
}

/*
 * The rows of the group being read: a few held as tuples in groupcxt, more
 * in a tuplestore (which spills past work_mem).
 */
static void
group_store(m_state *st, TupleTableSlot *slot, m_blob *blob)
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
		return row_copy(r);
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
		row_from_blob(r, st->gblobs[st->gpos++]);
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
	row_from(r, st->gslot->tts_values, st->gslot->tts_isnull);
	return true;
}

/* is t inside the period, as its bounds say? */
static bool
in_period(TimestampTz t, const m_period *p)
{
	if (!p->lo_inf && (t < p->lo || (t == p->lo && !p->lo_inc)))
		return false;
	if (!p->hi_inf && (t > p->hi || (t == p->hi && !p->hi_inc)))
		return false;
	return true;
}

/* did period a begin after period b (an unbounded start being the earliest)? */
static bool
later_start(const m_period *a, const m_period *b)
{
	return b->lo_inf ? !a->lo_inf : (!a->lo_inf && a->lo > b->lo);
}

/*
 * The rate from one currency to another at a time: a rate quoted that way,
 * else the inverse of one quoted the other way; the period that began last
 * wins.  NULL when qr_fx_rates has none.
 */
static Numeric
fx_rate(m_state *st, const text *from, const text *to, TimestampTz at)
{
	char	   *f = text_to_cstring(from);
	char	   *t = text_to_cstring(to);
	const m_fxrate *best = NULL;
	bool		inverse = false;

	for (int pass = 0; pass < 2 && best == NULL; pass++)
		for (int i = 0; i < st->nfx; i++)
		{
			const m_fxrate *x = &st->fx[i];

			if (strcmp(x->from, pass == 0 ? f : t) != 0 || strcmp(x->to, pass == 0 ? t : f) != 0 ||
				!in_period(at, &x->during))
				continue;
			if (best == NULL || later_start(&x->during, &best->during))
			{
				best = x;
				inverse = pass == 1;
			}
		}
	if (best == NULL)
		return NULL;
	if (!inverse)
		return best->rate;
	return DatumGetNumeric(DirectFunctionCall2(numeric_div, NumericGetDatum(int64_to_numeric(1)),
											   NumericGetDatum(best->rate)));
}

/* the fee the rates table expects on a gross amount, NULL when no rate applies */
static Numeric
expected_fee(m_state *st, const m_row *s, Numeric gross)
{
	const m_feerate *best = NULL;
	char	   *prov = s->provider ? text_to_cstring(s->provider) : NULL;
	char	   *cur = s->cur ? text_to_cstring(s->cur) : NULL;

	if (prov == NULL || !has_time(s))
		return NULL;
	for (int i = 0; i < st->nfees; i++)
	{
		const m_feerate *f = &st->fees[i];

		if (strcmp(f->provider, prov) != 0)
			continue;
		if (f->cur != NULL && (cur == NULL || strcmp(f->cur, cur) != 0))
			continue;
		if (!in_period(s->ts, &f->during))
			continue;
		/* a currency's own rate before a rate for any; then the period that began last */
		if (best == NULL ||
			(f->cur != NULL) > (best->cur != NULL) ||
			((f->cur != NULL) == (best->cur != NULL) &&
			 later_start(&f->during, &best->during)))
			best = f;
	}
	if (best == NULL)
		return NULL;
	return round_to(num_add(num_mul(gross, best->rate), best->fixed), scale_of(s->cur));
}

/* zero with a currency's decimals (0.00 for CNY), built once per scale */
static Numeric
zero_at(m_state *st, int scale)
{
	if (scale < 0 || scale >= (int) lengthof(st->zeros))
		return st->zero;
	if (st->zeros[scale] == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(st->cxt);

		st->zeros[scale] = units_numeric(0, scale);
		MemoryContextSwitchTo(old);
	}
	return st->zeros[scale];
}

/* a reference's ledger row against its statement row */
static void
emit_reference_pair(m_state *st, m_group *g, const m_row *l, const m_row *s)
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
							ref, apart_text(l, s), set->window_text);
		if (l->amount && s->amount)
			o.diff = num_sub(s->amount, l->amount);
		emit(st, &o);
		return;
	}
	if (l->amount == NULL || s->amount == NULL)
	{
		o.status = (l->amount == NULL && s->amount == NULL) ? "matched" : "amount_mismatch";
		o.reason = (l->amount == NULL && s->amount == NULL) ? "by reference, neither with an amount" :
				   psprintf("reference %s: ledger %s, statement %s", ref,
							l->amount ? numeric_text(l->amount) : "without an amount",
							s->amount ? numeric_text(s->amount) : "without an amount");
		emit(st, &o);
		return;
	}
	if (!text_eq(l->cur, s->cur))
	{
		Numeric		rate = NULL;
		Numeric		conv,
					lr;

		if (l->cur != NULL && s->cur != NULL)
			rate = fx_rate(st, s->cur, l->cur, has_time(s) ? s->ts : l->ts);
		if (rate == NULL)
		{
			o.status = "amount_mismatch";
			o.reason = psprintf("reference %s: ledger %s %s, statement %s %s, and no rate from %s to %s",
								ref, numeric_text(l->amount), text_or_empty(l->cur),
								numeric_text(s->amount), text_or_empty(s->cur),
								s->cur ? text_to_cstring(s->cur) : "no currency",
								l->cur ? text_to_cstring(l->cur) : "no currency");
			emit(st, &o);
			return;
		}
		conv = round_to(num_mul(s->amount, rate), scale_of(l->cur));
		lr = round_to(l->amount, scale_of(l->cur));
		o.fx_rate = rate;
		o.diff = num_sub(conv, lr);
		if (num_is_zero(o.diff))
		{
			o.status = "matched";
			o.reason = psprintf("by reference, %s %s at %s", numeric_text(conv), text_to_cstring(l->cur), numeric_text(rate));
		}
		else if (num_cmp(num_abs(o.diff), tolerance_of(set, lr, set->fx_pct)) <= 0 &&
				 !num_is_zero(set->fx_pct))
		{
			o.status = "fx_difference";
			o.reason = psprintf("reference %s: statement %s %s is %s %s at %s, %s from the ledger's %s (within %s%%)",
								ref, numeric_text(s->amount), text_to_cstring(s->cur), numeric_text(conv),
								text_to_cstring(l->cur), numeric_text(rate), numeric_text(o.diff),
								numeric_text(lr), numeric_text(set->fx_pct));
		}
		else
		{
			o.status = "amount_mismatch";
			o.reason = psprintf("reference %s: statement %s %s is %s %s at %s, %s from the ledger's %s (beyond %s%%)",
								ref, numeric_text(s->amount), text_to_cstring(s->cur), numeric_text(conv),
								text_to_cstring(l->cur), numeric_text(rate), numeric_text(o.diff),
								numeric_text(lr), numeric_text(set->fx_pct));
		}
		emit(st, &o);
		return;
	}
	if (s->fee == NULL &&
		DatumGetBool(DirectFunctionCall2(numeric_eq, NumericGetDatum(l->amount), NumericGetDatum(s->amount))))
	{
		/* the same amount: nothing to round or compare */
		o.status = "matched";
		o.reason = "by reference";
		o.reason_constant = true;
		o.diff = zero_at(st, scale_of(l->cur));
		emit(st, &o);
		return;
	}
	{
		int			scale = scale_of(l->cur);
		Numeric		gross = (set->net && s->fee) ? num_add(s->amount, s->fee) : s->amount;
		Numeric		lr = round_to(l->amount, scale);

		o.diff = num_sub(round_to(gross, scale), lr);
		if (num_cmp(num_abs(o.diff), tolerance_of(set, lr, set->tol_pct)) > 0)
		{
			o.status = "amount_mismatch";
			o.reason = psprintf("reference %s: ledger %s, statement %s%s", ref, numeric_text(l->amount),
								numeric_text(s->amount), (set->net && s->fee) ? psprintf(" + fee %s", numeric_text(s->fee)) : "");
			emit(st, &o);
			return;
		}
		if (s->fee != NULL)
			o.expected_fee = expected_fee(st, s, gross);
		if (o.expected_fee != NULL && num_cmp(round_to(s->fee, scale), o.expected_fee) != 0)
		{
			o.status = "fee_mismatch";
			o.reason = psprintf("reference %s: fee %s, the rate expects %s on %s", ref, numeric_text(s->fee),
								numeric_text(o.expected_fee), numeric_text(gross));
			emit(st, &o);
			return;
		}
		o.status = "matched";
		o.reason = "by reference";
		emit(st, &o);
	}
}

/* a refund (one row per side at most) against its original */
static void
emit_refund(m_state *st, m_group *g, const m_row *l, const m_row *s)
{
	m_out		o;
	const m_row *any = s ? s : l;
	char	   *ref = any->ref ? text_to_cstring(any->ref) : "(none)";

	memset(&o, 0, sizeof(o));
	o.l = l;
	o.s = s;
	o.original = g->has_orig ? g->orig_txn : NULL;
	if (l && s && l->amount && s->amount)
		o.diff = num_sub(round_to(s->amount, scale_of(s->cur)), round_to(l->amount, scale_of(l->cur)));
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
			 (o.diff && num_cmp(num_abs(o.diff), tolerance_of(g->set, l->amount, g->set->tol_pct)) > 0))
	{
		o.status = "amount_mismatch";
		o.reason = psprintf("refund %s of %s: ledger %s, statement %s", ref, text_to_cstring(g->gkey),
							l->amount ? numeric_text(l->amount) : "without an amount",
							s->amount ? numeric_text(s->amount) : "without an amount");
	}
	else if (g->over_refund)
	{
		o.status = "amount_mismatch";
		o.reason = psprintf("refunds of %s total %s, more than the payment's %s", text_to_cstring(g->gkey),
							numeric_text(units_numeric(g->refunds, scale_of(g->orig_cur))),
							numeric_text(units_numeric(g->orig, scale_of(g->orig_cur))));
	}
	else
	{
		o.status = "refund_matched";
		o.reason = psprintf("refund %s of payment %s", ref, text_to_cstring(g->orig_txn));
	}
	emit(st, &o);
}

/* pass 2: the group's rows again, each to its outcome */
static void
group_end(m_state *st, m_group *g)
{
	bool		both = g->n[0] > 0 && g->n[1] > 0;
	bool		pairwise = g->n[0] == 1 && g->n[1] == 1;	/* one row a side: a pair */
	bool		grouped = false;
	bool		diff_shown = false;
	int64		group = 0;
	m_row	   *first[2] = {NULL, NULL};	/* payments: each side's earliest */
	m_row	   *rfirst[2] = {NULL, NULL};	/* the refund reference being read */
	text	   *rsub = NULL;
	Numeric		gdiff = NULL;
	char	   *greason = NULL;
	MemoryContext old = MemoryContextSwitchTo(st->groupcxt);

	if (g->nrefunds > 0 || g->n[0] > 1 || g->n[1] > 1 || g->parts)
	{
		m_row		r;

		g->scale = scale_of(g->cur);
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
			g->net = units_numeric(net, scale_of(g->orig_cur));
			g->over_refund = g->refunds > g->orig;
		}
	}
	if (both && g->sum_ok && !pairwise)
	{
		int64		d;

		if (!pg_sub_s64_overflow(g->sum[1], g->sum[0], &d))
		{
			gdiff = units_numeric(d, g->scale);
			grouped = num_cmp(num_abs(gdiff), tolerance_of(g->set, units_numeric(g->sum[0], g->scale), g->set->tol_pct)) <= 0;
		}
	}
	if (grouped || (g->parts && !pairwise))
		group = ++st->next_group;
	if (grouped)
		greason = psprintf("group %s: %ld ledger rows sum to %s, %ld statement rows to %s",
						   text_to_cstring(g->gkey), g->n[0], numeric_text(units_numeric(g->sum[0], g->scale)),
						   g->n[1], numeric_text(units_numeric(g->sum[1], g->scale)));
	else if (g->parts && both && !pairwise)
		greason = psprintf("group %s: %ld ledger rows sum to %s, %ld statement rows to %s",
						   text_to_cstring(g->gkey), g->n[0], g->sum_ok ? numeric_text(units_numeric(g->sum[0], g->scale)) : "?",
						   g->n[1], g->sum_ok ? numeric_text(units_numeric(g->sum[1], g->scale)) : "?");
	else if (g->parts)
		greason = psprintf("group %s: no %s rows", text_to_cstring(g->gkey), g->n[0] ? "statement" : "ledger");

	MemoryContextSwitchTo(st->emitcxt);
	group_rewind(st);
	for (;;)
	{
		m_row		r;

		if (st->emitted >= 1024)
			emit_reset(st);
		if (!group_next(st, &r))
			break;
		if (r.context)
			continue;
		if (!r.refund)
		{
			m_out		o;

			if (!grouped && (!g->parts || pairwise))
			{
				/*
				 * one reference, or a payout of one payment: each side's
				 * earliest row is reconciled, the others are duplicates
				 */
				if (first[r.side] == NULL)
				{
					MemoryContext prev = MemoryContextSwitchTo(st->groupcxt);

					first[r.side] = group_keep(st, &r);
					MemoryContextSwitchTo(prev);
				}
				else
					emit_one(st, &r, duplicate_status(&r),
							 psprintf("reference %s occurs %ld times in the %s; its earliest row is reconciled",
									  text_to_cstring(r.ref), g->n[r.side],
									  r.side == SIDE_LEDGER ? "ledger" : "statement"), 0);
				continue;
			}
			memset(&o, 0, sizeof(o));
			if (r.side == SIDE_LEDGER)
				o.l = &r;
			else
				o.s = &r;
			o.group = group;
			o.reason = greason;
			if (r.side == SIDE_LEDGER && g->nrefunds > 0 && g->has_orig)
				o.net = g->net;
			if (grouped)
				o.status = "matched_group";
			else
			{
				o.status = both ? "amount_mismatch" : missing_status(&r);
				if (both && !diff_shown)
				{
					o.diff = gdiff;
					diff_shown = true;
				}
			}
			emit(st, &o);
			continue;
		}
		/* refunds, one own reference after the other */
		if ((rfirst[0] || rfirst[1]) && !text_eq(r.ref, rsub))
		{
			emit_refund(st, g, rfirst[0], rfirst[1]);
			rfirst[0] = rfirst[1] = NULL;
		}
		if (rfirst[r.side] == NULL)
		{
			MemoryContext prev = MemoryContextSwitchTo(st->groupcxt);

			rfirst[r.side] = group_keep(st, &r);
			rsub = rfirst[r.side]->ref;
			MemoryContextSwitchTo(prev);
		}
		else
			emit_one(st, &r, duplicate_status(&r),
					 psprintf("refund %s occurs more than once in the %s; its earliest row is reconciled",
							  r.ref ? text_to_cstring(r.ref) : "(none)", r.side == SIDE_LEDGER ? "ledger" : "statement"), 0);
	}
	if (rfirst[0] || rfirst[1])
		emit_refund(st, g, rfirst[0], rfirst[1]);
	if (first[0] && first[1])
		emit_reference_pair(st, g, first[0], first[1]);
	else if (first[0] || first[1])
	{
		m_row	   *r = first[0] ? first[0] : first[1];
		m_out		o;

		memset(&o, 0, sizeof(o));
		if (r->side == SIDE_LEDGER)
			o.l = r;
		else
			o.s = r;
		o.status = missing_status(r);
		o.reason = psprintf("reference %s not in the %s", text_to_cstring(r->ref),
							r->side == SIDE_LEDGER ? "statement" : "ledger");
		if (r->side == SIDE_LEDGER && g->nrefunds > 0)
			o.net = g->net;
		emit(st, &o);
	}
	if (st->gspilled)
		tuplestore_clear(st->gstore);
	st->gspilled = false;
	st->gmode_blobs = false;
	st->gblobs = NULL;			/* groupcxt is reset when the next group begins */
	st->gmax = 0;
	st->gn = 0;
	MemoryContextSwitchTo(old);
}

/* ------------------------------------------------------------------ */
/* rows without a key: one amount at a time, by nearest time           */
/* ------------------------------------------------------------------ */

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
		emit_one(st, r, missing_status(r),
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
			o.reason = psprintf("no reference: same amount, %s apart", apart_text(o.l, o.s));
			emit(st, &o);
			row_free(ev.row[0]);
			row_free(ev.row[1]);
		}
		else if (ev.kind == QR_STREAM_ALONE)
		{
			leave_alone(st, ev.row[0], set);
			row_free(ev.row[0]);
		}
		else
		{
			int64		group = ++st->next_group;
			m_row	  **rows = (m_row **) ev.rows;

			for (size_t i = 0; i < ev.n; i++)
			{
				m_out		o;
				long		others;

				memset(&o, 0, sizeof(o));
				if (ev.sides[i] == SIDE_LEDGER)
					o.l = rows[i];
				else
					o.s = rows[i];
				o.status = "ambiguous";
				o.group = group;
				o.candidates = candidates_array(rows, ev.sides, ev.n, i, &others);
				o.reason = others > 0
						   ? psprintf("no reference: %ld %s rows of this amount are equally close; none is guessed",
									  others, ev.sides[i] == SIDE_LEDGER ? "statement" : "ledger")
						   : psprintf("no reference: one of a run of rows of this amount all equally close to each other, reported in sets of at most %d; none is guessed",
									  QR_STREAM_MAX_SET);
				emit(st, &o);
			}
			for (size_t i = 0; i < ev.n; i++)
				row_free(rows[i]);
		}
		MemoryContextSwitchTo(old);
	}
}

/* ------------------------------------------------------------------ */
/* rows left alone: small sets that sum to a row of the other side     */
/* ------------------------------------------------------------------ */

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

		emit_one(st, &x->r, missing_status(&x->r),
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

		memset(&o, 0, sizeof(o));
		if (x->r.side == SIDE_LEDGER)
			o.l = &x->r;
		else
			o.s = &x->r;
		o.group = group;
		if (res == QR_SUBSET_ONE)
		{
			o.status = "matched_group";
			o.reason = psprintf("no reference: %d %s rows within the window sum to %s", npick,
								x->r.side == SIDE_LEDGER ? "statement" : "ledger", numeric_text(x->r.amount));
			emit(st, &o);
			for (int k = 0; k < npick; k++)
			{
				m_left	   *c = win_at(w, idx[pick[k]]);
				m_out		oc;

				memset(&oc, 0, sizeof(oc));
				if (c->r.side == SIDE_LEDGER)
					oc.l = &c->r;
				else
					oc.s = &c->r;
				oc.status = "matched_group";
				oc.group = group;
				oc.reason = psprintf("no reference: with %d other rows, sums to %s %s %s", npick - 1,
									 x->r.side == SIDE_LEDGER ? "ledger" : "statement",
									 x->r.txn ? text_to_cstring(x->r.txn) : "row", numeric_text(x->r.amount));
				emit(st, &oc);
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
								x->r.side == SIDE_LEDGER ? "statement" : "ledger", numeric_text(x->r.amount));
			emit(st, &o);
		}
		x->state = 2;
		MemoryContextSwitchTo(old);
	}
	pfree(work);
	pfree(idx);
	pfree(amt);
}

/* the rows left alone, by provider, currency and time */
static void
search_groups(m_state *st)
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
			x->r.provider = n[0] ? NULL : copy_text(DatumGetTextPP(v[0]));
			x->r.cur = n[1] ? NULL : copy_text(DatumGetTextPP(v[1]));
			x->r.ts = DatumGetInt64(v[2]);
			x->r.side = DatumGetInt32(v[3]);
			x->r.txn = n[4] ? NULL : copy_text(DatumGetTextPP(v[4]));
			x->r.amount = (Numeric) copy_text((text *) DatumGetPointer(v[5]));
			x->units = qrpay_amount_units(DatumGetNumeric(v[6]), scale_of(x->r.cur), &overflow);
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
			emit_reset(st);
		if (!more)
			break;
		if (newblock)
		{
			Assert(w.len == 0);
			if (bprov)
				pfree(bprov);
			if (bcur)
				pfree(bcur);
			bprov = copy_text(x->r.provider);
			bcur = copy_text(x->r.cur);
			inblock = true;
			set = settings_of(st, bprov);
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

/* ------------------------------------------------------------------ */
/* the stream                                                          */
/* ------------------------------------------------------------------ */

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
		s = settings_of(st, t);
		if (s->use_ref != st->dflt.use_ref)
			appendStringInfo(&r, "%s%s", r.len ? ", " : "", quote_literal_cstr(name));
		if (s->use_parent != st->dflt.use_parent)
			appendStringInfo(&p, "%s%s", p.len ? ", " : "", quote_literal_cstr(name));
	}
	*refs = r.len ? psprintf("ARRAY[%s]::text[]", r.data) : NULL;
	*parents = p.len ? psprintf("ARRAY[%s]::text[]", p.data) : NULL;
}

static void process_slot(m_state *st, TupleTableSlot *slot);

static void
group_begin(m_state *st, m_group *g, const m_row *r, const m_settings *set, bool stable)
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

/* the group or amount being read, to its end */
static void
flush(m_state *st)
{
	if (st->in_group)
	{
		group_end(st, &st->g);
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
static void
process(m_state *st, m_row *rp, TupleTableSlot *slot, m_blob *blob)
{
	m_row		r = *rp;
	const m_settings *set;
	uint64		gen = st->generation;

	require_finite(&r);
	if (st->last_set == NULL || !text_eq(r.provider, st->last_prov))
	{
		MemoryContext old = MemoryContextSwitchTo(st->cxt);

		if (st->last_prov)
			pfree(st->last_prov);
		st->last_prov = copy_text(r.provider);
		st->last_set = settings_of(st, r.provider);
		MemoryContextSwitchTo(old);
	}
	set = st->last_set;

	/* the group or amount being read ends where the key changes */
	if (st->in_group && (r.gkey == NULL || !text_eq(r.gkey, st->g.gkey) || !text_eq(r.provider, st->g.provider)))
	{
		group_end(st, &st->g);
		st->in_group = false;
	}
	if (st->in_amount && (r.gkey != NULL || r.refund || !text_eq(r.provider, st->akey_prov) ||
						  !text_eq(r.cur, st->akey_cur) || r.ramount == NULL ||
						  num_cmp(r.ramount, st->akey_amt) != 0))
	{
		qr_stream_finish(st->stream);
		drain_stream(st, st->aset);
		st->in_amount = false;
	}
	if (st->emitted >= 1024)
		emit_reset(st);
	if (st->generation != gen && slot != NULL)
		row_from(&r, slot->tts_values, slot->tts_isnull);	/* its detoasted fields lived there */

	if (r.gkey != NULL)
	{
		if (!st->in_group)
		{
			group_begin(st, &st->g, &r, set, blob != NULL);
			st->in_group = true;
		}
		group_store(st, slot, blob);
		group_count(st, &st->g, &r, blob != NULL);
		return;
	}
	if (r.context)
		return;
	if (r.refund)
	{
		emit_one(st, &r, "refund_orphan", "a refund without a reference to its original payment", 0);
		return;
	}
	if (!(set->use_amount && has_time(&r) && r.amount != NULL && r.ramount != NULL))
	{
		emit_one(st, &r, missing_status(&r),
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
		st->akey_prov = copy_text(r.provider);
		st->akey_cur = copy_text(r.cur);
		st->akey_amt = (Numeric) copy_text((text *) r.ramount);
		MemoryContextSwitchTo(old);
		st->aset = set;
		qr_stream_reset(st->stream, set->before_us, set->after_us);
		st->in_amount = true;
	}
	{
		MemoryContext old = MemoryContextSwitchTo(st->streamcxt);
		m_row	   *c = row_copy(&r);

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


/* ------------------------------------------------------------------ */
/* rows with a key: held, partitioned by their key's hash when they    */
/* pass work_mem, and each part sorted in memory                       */
/* ------------------------------------------------------------------ */

static uint64
key_hash(const text *provider, const text *gkey)
{
	uint64		h = provider ? hash_bytes_extended((const unsigned char *) VARDATA_ANY(provider),
												   VARSIZE_ANY_EXHDR(provider), 0) : 0x9e3779b97f4a7c15;

	return hash_combine64(h, hash_bytes_extended((const unsigned char *) VARDATA_ANY(gkey),
												 VARSIZE_ANY_EXHDR(gkey), 1));
}

/* the row of a slot as one blob in the current context */
static m_blob *
blob_from(TupleTableSlot *slot)
{
	struct varlena *f[NBLOBF];
	Size		len = MAXALIGN(sizeof(m_blob));
	m_blob	   *b;
	char	   *p;

	for (int i = 0; i < NBLOBF; i++)
	{
		f[i] = slot->tts_isnull[blob_col[i]] ? NULL
			   : (struct varlena *) PG_DETOAST_DATUM_PACKED(slot->tts_values[blob_col[i]]);
		if (f[i])
			len += INTALIGN(VARSIZE_ANY_EXHDR(f[i]) + VARHDRSZ);
	}
	b = palloc(len);
	b->len = (uint32) len;
	b->side = DatumGetInt32(slot->tts_values[C_SIDE]);
	b->ts_null = slot->tts_isnull[C_TS];
	b->ts = b->ts_null ? 0 : DatumGetTimestampTz(slot->tts_values[C_TS]);
	b->refund = !slot->tts_isnull[C_REFUND] && DatumGetBool(slot->tts_values[C_REFUND]);
	b->context = !slot->tts_isnull[C_CONTEXT] && DatumGetBool(slot->tts_values[C_CONTEXT]);
	p = (char *) b + MAXALIGN(sizeof(m_blob));
	for (int i = 0; i < NBLOBF; i++)
	{
		if (f[i] == NULL)
		{
			b->off[i] = 0;
			continue;
		}
		b->off[i] = (uint32) (p - (char *) b);
		SET_VARSIZE(p, VARSIZE_ANY_EXHDR(f[i]) + VARHDRSZ);
		memcpy(VARDATA(p), VARDATA_ANY(f[i]), VARSIZE_ANY_EXHDR(f[i]));
		p += INTALIGN(VARSIZE_ANY_EXHDR(f[i]) + VARHDRSZ);
	}
	b->hash = key_hash(b->off[1] ? (text *) ((char *) b + b->off[1]) : NULL, (text *) ((char *) b + b->off[0]));
	return b;
}


/*
 * The order rows with a key are read in: by the hash of their key first
 * (a group is contiguous whatever order the groups come in), key,
 * provider, payments before refunds, own reference, time (NULLs last),
 * side, id; the remaining fields break what ties are left, so that the
 * order is the same every time.
 */
static int
blob_cmp(const void *pa, const void *pb)
{
	const m_blob *x = *(m_blob *const *) pa;
	const m_blob *y = *(m_blob *const *) pb;
	m_row		a,
				b;
	int			c;

	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	row_from_blob(&a, (m_blob *) x);
	row_from_blob(&b, (m_blob *) y);
	if ((c = qrpay_text_cmp(a.gkey, b.gkey)) != 0 || (c = qrpay_text_cmp(a.provider, b.provider)) != 0)
		return c;
	if (a.refund != b.refund)
		return (int) a.refund - (int) b.refund;
	if ((c = qrpay_text_cmp(a.ref, b.ref)) != 0)
		return c;
	if (a.ts_null != b.ts_null)
		return (int) a.ts_null - (int) b.ts_null;
	if (a.ts != b.ts)
		return a.ts < b.ts ? -1 : 1;
	if (a.side != b.side)
		return a.side - b.side;
	if ((c = qrpay_text_cmp(a.txn, b.txn)) != 0 || (c = qrpay_text_cmp(a.parent, b.parent)) != 0 ||
		(c = qrpay_text_cmp(a.cur, b.cur)) != 0)
		return c;
	if ((a.amount == NULL) != (b.amount == NULL))
		return (a.amount == NULL) - (b.amount == NULL);
	if (a.amount && (c = num_cmp(a.amount, b.amount)) != 0)
		return c;
	if ((a.fee == NULL) != (b.fee == NULL))
		return (a.fee == NULL) - (b.fee == NULL);
	if (a.fee && (c = num_cmp(a.fee, b.fee)) != 0)
		return c;
	return (int) a.context - (int) b.context;
}

static Size
blob_cost(const m_blob *b)
{
	return b->len + sizeof(m_blob *) + 16;	/* the pointer, the chunk header */
}

static void
blob_write(BufFile *f, int64 *bytes, const m_blob *b)
{
	BufFileWrite(f, (void *) b, b->len);
	*bytes += b->len;
}

/* the next blob of a file, in the current context; NULL at its end */
static m_blob *
blob_read(BufFile *f)
{
	uint32		len;
	size_t		got = BufFileRead(f, &len, sizeof(len));
	m_blob	   *b;

	if (got == 0)
		return NULL;
	if (got != sizeof(len) || len < sizeof(m_blob))
		ereport(ERROR, (errcode_for_file_access(), errmsg("qr_match could not read back a temporary file")));
	b = palloc(len);
	b->len = len;
	if (BufFileRead(f, (char *) b + sizeof(len), len - sizeof(len)) != len - sizeof(len))
		ereport(ERROR, (errcode_for_file_access(), errmsg("qr_match could not read back a temporary file")));
	return b;
}

/* the part of a hash among 2^bits, from its bits above shift */
static int
part_of(uint64 hash, int shift, int bits)
{
	return (int) ((hash >> shift) & ((UINT64CONST(1) << bits) - 1));
}

/* a held row as it is sorted: its hash beside it, so that most comparisons stay in the array */
typedef struct m_sortitem
{
	uint64		hash;
	m_blob	   *b;
} m_sortitem;

static int
sortitem_cmp(const void *pa, const void *pb)
{
	const m_sortitem *a = pa;
	const m_sortitem *b = pb;

	if (a->hash != b->hash)
		return a->hash < b->hash ? -1 : 1;
	return blob_cmp(&a->b, &b->b);
}

/* the rows of one set (a part, or all of them), each group in order */
static void
process_set(m_state *st, m_blob **rows, long n)
{
	m_sortitem *items = MemoryContextAllocHuge(st->holdcxt, Max(n, 1) * sizeof(m_sortitem));

	for (long i = 0; i < n; i++)
	{
		items[i].hash = rows[i]->hash;
		items[i].b = rows[i];
	}
	qsort(items, n, sizeof(m_sortitem), sortitem_cmp);
	for (long i = 0; i < n; i++)
	{
		m_row		r;
		MemoryContext old = MemoryContextSwitchTo(st->emitcxt);

#ifdef __GNUC__
		/* the rows come in hash order, scattered in memory: ask for the next ones early */
		if (i + 8 < n)
			__builtin_prefetch(items[i + 8].b);
#endif

		row_from_blob(&r, items[i].b);
		process(st, &r, NULL, items[i].b);
		MemoryContextSwitchTo(old);
	}
	MemoryContextSwitchTo(st->emitcxt);
	flush(st);
	MemoryContextSwitchTo(st->cxt);
	pfree(items);
}

/* a row with a key from the stream */
static void
hold_keyed(m_state *st, TupleTableSlot *slot)
{
	MemoryContext old = MemoryContextSwitchTo(st->holdcxt);
	m_blob	   *b = blob_from(slot);

	if (st->parts != NULL)
	{
		blob_write(st->parts[part_of(b->hash, 0, PART_BITS)], &st->part_bytes[part_of(b->hash, 0, PART_BITS)], b);
		pfree(b);
		MemoryContextSwitchTo(old);
		return;
	}
	if (st->nheld == st->maxheld)
	{
		st->maxheld = st->maxheld ? st->maxheld * 2 : 1024;
		st->held = st->held ? repalloc_huge(st->held, st->maxheld * sizeof(m_blob *))
				   : MemoryContextAllocHuge(st->holdcxt, st->maxheld * sizeof(m_blob *));
	}
	st->held[st->nheld++] = b;
	st->held_bytes += blob_cost(b);
	if (st->held_bytes > st->budget)
	{
		/* from now on every row with a key goes to the parts */
		MemoryContextSwitchTo(st->cxt);
		st->parts = palloc((1 << PART_BITS) * sizeof(BufFile *));
		st->part_bytes = palloc0((1 << PART_BITS) * sizeof(int64));
		for (int i = 0; i < (1 << PART_BITS); i++)
			st->parts[i] = BufFileCreateTemp(false);
		for (long i = 0; i < st->nheld; i++)
			blob_write(st->parts[part_of(st->held[i]->hash, 0, PART_BITS)],
					   &st->part_bytes[part_of(st->held[i]->hash, 0, PART_BITS)], st->held[i]);
		MemoryContextReset(st->holdcxt);
		st->held = NULL;
		st->nheld = st->maxheld = 0;
		st->held_bytes = 0;
	}
	MemoryContextSwitchTo(old);
}

/*
 * A part too large for memory whose rows all share one hash (one key, or
 * keys whose hashes collide): sorted by a tuplesort, which spills.
 */
static void
process_sorted_file(m_state *st, BufFile *f)
{
	AttrNumber	keys[7] = {C_GKEY + 1, C_PROVIDER + 1, C_REFUND + 1, C_REF + 1, C_TS + 1, C_SIDE + 1, C_TXN + 1};
	Oid			ops[7] = {
		TextLessOperator, TextLessOperator,
		lookup_type_cache(BOOLOID, TYPECACHE_LT_OPR)->lt_opr, TextLessOperator,
		Int8LessOperator, Int4LessOperator, TextLessOperator
	};
	Oid			colls[7] = {
		C_COLLATION_OID, C_COLLATION_OID, InvalidOid, C_COLLATION_OID, InvalidOid, InvalidOid,
		C_COLLATION_OID
	};
	bool		nf[7] = {false, false, false, false, false, false, false};
	Tuplesortstate *ts;
	TupleTableSlot *in = MakeSingleTupleTableSlot(st->stream_desc, &TTSOpsVirtual);
	TupleTableSlot *out = MakeSingleTupleTableSlot(st->stream_desc, &TTSOpsMinimalTuple);
	m_blob	   *b;

	ts = tuplesort_begin_heap(st->stream_desc, 7, keys, ops, colls, nf, work_mem, NULL, TUPLESORT_NONE);
	while ((b = blob_read(f)) != NULL)
	{
		m_row		r;

		row_from_blob(&r, b);
		ExecClearTuple(in);
		memset(in->tts_isnull, true, st->stream_desc->natts * sizeof(bool));
#define PUT(col, val, isnull) do { in->tts_isnull[col] = (isnull); in->tts_values[col] = (isnull) ? (Datum) 0 : (val); } while (0)
		PUT(C_GKEY, PointerGetDatum(r.gkey), r.gkey == NULL);
		PUT(C_PROVIDER, PointerGetDatum(r.provider), r.provider == NULL);
		PUT(C_REFUND, BoolGetDatum(r.refund), false);
		PUT(C_REF, PointerGetDatum(r.ref), r.ref == NULL);
		PUT(C_TS, Int64GetDatum(r.ts), r.ts_null);
		PUT(C_SIDE, Int32GetDatum(r.side), false);
		PUT(C_TXN, PointerGetDatum(r.txn), r.txn == NULL);
		PUT(C_PARENT, PointerGetDatum(r.parent), r.parent == NULL);
		PUT(C_AMOUNT, PointerGetDatum(r.amount), r.amount == NULL);
		PUT(C_CUR, PointerGetDatum(r.cur), r.cur == NULL);
		PUT(C_FEE, PointerGetDatum(r.fee), r.fee == NULL);
		PUT(C_CONTEXT, BoolGetDatum(r.context), false);
#undef PUT
		ExecStoreVirtualTuple(in);
		tuplesort_puttupleslot(ts, in);
		pfree(b);
		CHECK_FOR_INTERRUPTS();
	}
	BufFileClose(f);
	tuplesort_performsort(ts);
	while (tuplesort_gettupleslot(ts, true, false, out, NULL))
	{
		MemoryContext old = MemoryContextSwitchTo(st->emitcxt);

		slot_getallattrs(out);
		process_slot(st, out);
		MemoryContextSwitchTo(old);
	}
	MemoryContextSwitchTo(st->emitcxt);
	flush(st);
	MemoryContextSwitchTo(st->cxt);
	tuplesort_end(ts);
	ExecDropSingleTupleTableSlot(in);
	ExecDropSingleTupleTableSlot(out);
}

/*
 * A part: in memory when it fits, else split by the hash's next bits into
 * as many parts as should each fit (at most 2^PART_BITS at a time).
 */
static void
process_file(m_state *st, BufFile *f, int64 bytes, int shift)
{
	m_blob	   *b;
	int			bits = 0;

	if (BufFileSeek(f, 0, 0, SEEK_SET) != 0)
		ereport(ERROR, (errcode_for_file_access(), errmsg("qr_match could not rewind a temporary file")));
	/* held, a row costs its pointer and chunk header besides its bytes: about a quarter more */
	if ((bytes + bytes / 4) > (int64) st->budget && shift >= 64)
	{
		process_sorted_file(st, f);
		return;
	}
	while (bits < PART_BITS && shift + bits < 64 && (bytes + bytes / 4) >> bits > (int64) st->budget)
		bits++;
	if (bits > 0)
	{
		int			nsub = 1 << bits;
		BufFile   **sub = palloc(nsub * sizeof(BufFile *));
		int64	   *subbytes = palloc0(nsub * sizeof(int64));
		uint64		first = 0;
		bool		one_hash = true,
					any = false;
		MemoryContext old = MemoryContextSwitchTo(st->cxt);

		/* the files outlive holdcxt, which each part held in memory resets */
		for (int i = 0; i < nsub; i++)
			sub[i] = BufFileCreateTemp(false);
		MemoryContextSwitchTo(st->holdcxt);
		while ((b = blob_read(f)) != NULL)
		{
			if (any && b->hash != first)
				one_hash = false;
			first = b->hash;
			any = true;
			blob_write(sub[part_of(b->hash, shift, bits)], &subbytes[part_of(b->hash, shift, bits)], b);
			pfree(b);
			CHECK_FOR_INTERRUPTS();
		}
		MemoryContextSwitchTo(old);
		BufFileClose(f);
		for (int i = 0; i < nsub; i++)
		{
			if (one_hash && subbytes[i] > 0)
			{
				if (BufFileSeek(sub[i], 0, 0, SEEK_SET) != 0)
					ereport(ERROR, (errcode_for_file_access(), errmsg("qr_match could not rewind a temporary file")));
				process_sorted_file(st, sub[i]);
			}
			else
				process_file(st, sub[i], subbytes[i], shift + bits);
		}
		pfree(sub);
		pfree(subbytes);
		return;
	}
	{
		MemoryContext old = MemoryContextSwitchTo(st->holdcxt);

		st->nheld = st->maxheld = 0;
		st->held = NULL;
		while ((b = blob_read(f)) != NULL)
		{
			if (st->nheld == st->maxheld)
			{
				st->maxheld = st->maxheld ? st->maxheld * 2 : 1024;
				st->held = st->held ? repalloc_huge(st->held, st->maxheld * sizeof(m_blob *))
						   : MemoryContextAllocHuge(st->holdcxt, st->maxheld * sizeof(m_blob *));
			}
			st->held[st->nheld++] = b;
		}
		MemoryContextSwitchTo(old);
		BufFileClose(f);
		process_set(st, st->held, st->nheld);
		MemoryContextReset(st->holdcxt);
		st->held = NULL;
		st->nheld = st->maxheld = 0;
	}
}

/* every row with a key, after the stream */
static void
process_keyed(m_state *st)
{
	if (st->parts == NULL)
	{
		process_set(st, st->held, st->nheld);
		MemoryContextReset(st->holdcxt);
		st->held = NULL;
		st->nheld = st->maxheld = 0;
		return;
	}
	for (int i = 0; i < (1 << PART_BITS); i++)
		process_file(st, st->parts[i], st->part_bytes[i], PART_BITS);
}

/* a row of a sorted stream */
static void
process_slot(m_state *st, TupleTableSlot *slot)
{
	m_row		r;

	row_from(&r, slot->tts_values, slot->tts_isnull);
	process(st, &r, slot, NULL);
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
		hold_keyed(st, slot);
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
	process_keyed(st);
	tuplesort_performsort(st->unkeyed);
	while (tuplesort_gettupleslot(st->unkeyed, true, false, st->uslot, NULL))
	{
		MemoryContext old = MemoryContextSwitchTo(st->emitcxt);

		slot_getallattrs(st->uslot);
		process_slot(st, st->uslot);
		MemoryContextSwitchTo(old);
	}
	MemoryContextSwitchTo(st->emitcxt);
	flush(st);
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
	qr_stream_mem mem;
	TupleDesc	ld;
	AttrNumber	keys[5] = {1, 2, 3, 4, 5};
	Oid			ops[5] = {TextLessOperator, TextLessOperator, Int8LessOperator, Int4LessOperator, TextLessOperator};
	Oid			colls[5] = {C_COLLATION_OID, C_COLLATION_OID, InvalidOid, InvalidOid, C_COLLATION_OID};
	bool		nullsfirst[5] = {false, false, false, false, false};

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
	st.streamcxt = AllocSetContextCreate(st.cxt, "qr_match window", ALLOCSET_DEFAULT_SIZES);
	st.holdcxt = AllocSetContextCreate(st.cxt, "qr_match keyed rows", ALLOCSET_DEFAULT_SIZES);
	st.budget = (Size) work_mem * 1024;
	st.gstore = tuplestore_begin_heap(false, false, work_mem);
	mem.alloc = stream_alloc;
	mem.release = stream_release;
	mem.ctx = st.streamcxt;
	st.stream = qr_stream_create(0, 0, &mem);
	if (st.stream == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));

	ld = CreateTemplateTupleDesc(7);
	TupleDescInitEntry(ld, 1, "provider", TEXTOID, -1, 0);
	TupleDescInitEntry(ld, 2, "currency", TEXTOID, -1, 0);
	TupleDescInitEntry(ld, 3, "ts", INT8OID, -1, 0);
	TupleDescInitEntry(ld, 4, "side", INT4OID, -1, 0);
	TupleDescInitEntry(ld, 5, "txn_id", TEXTOID, -1, 0);
	TupleDescInitEntry(ld, 6, "amount", NUMERICOID, -1, 0);
	TupleDescInitEntry(ld, 7, "ramount", NUMERICOID, -1, 0);
	st.left_desc = ld;
	st.left_slot = MakeSingleTupleTableSlot(ld, &TTSOpsMinimalTuple);
	st.left_in = MakeSingleTupleTableSlot(ld, &TTSOpsVirtual);
	st.left = tuplesort_begin_heap(ld, 5, keys, ops, colls, nullsfirst, work_mem, NULL, TUPLESORT_NONE);

	SPI_connect();
	pinned = pin_search_path();
	read_override(&st);
	if (detail)
	{
		/* qr_reconcile_detail's window and tolerance, when given, override */
		st.over.n[1] = PG_ARGISNULL(2);
		st.over.v[1] = PG_ARGISNULL(2) ? (Datum) 0 : PG_GETARG_DATUM(2);
		st.over.n[3] = PG_ARGISNULL(3);
		st.over.v[3] = PG_ARGISNULL(3) ? (Datum) 0 : PG_GETARG_DATUM(3);
	}
	read_settings(&st);
	if (!run_on_shards(&st, fcinfo, detail, lrel, srel))
	{
		run(&st, lrel, srel);
		search_groups(&st);
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

/*
 * qrpay_match_settings.c — qr_match's settings and rates: the built-in
 * settings, then qr_recon_settings' '*' row, then the provider's row, then
 * the settings argument (qr_match's jsonb, or qr_reconcile_detail's window
 * and tolerance), each checked as it is read; and the fee and exchange
 * rates valid at a row's time.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/int.h"
#include "common/int128.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "qrpay.h"
#include "qrpay_match.h"

/* the settings' names, in the order of m_setrow.v and of qrm_read_settings' query */
static const char *const set_names[9] = {
	"keys", "time_window", "date_lag", "amount_tolerance", "tolerance_percent",
	"group_search", "group_max_rows", "statement_amounts", "fx_tolerance_percent"
};

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

char *
qrm_numeric_text(Numeric a)
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
			bad_setting("amount_tolerance", psprintf("is %s: it must be a finite number, zero or more", qrm_numeric_text(s->tol_abs)), from);
	}
	if (!n[4])
	{
		s->tol_pct = DatumGetNumeric(v[4]);
		if (numeric_negative_or_special(s->tol_pct))
			bad_setting("tolerance_percent", psprintf("is %s: it must be a finite number, zero or more", qrm_numeric_text(s->tol_pct)), from);
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
			bad_setting("fx_tolerance_percent", psprintf("is %s: it must be a finite number, zero or more", qrm_numeric_text(s->fx_pct)), from);
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

/* the keys setting of the argument: an array of strings, as text[] */
static Datum
override_keys(const char *key, JsonbValue *v)
{
	JsonbIterator *ai;
	JsonbValue	e;
	JsonbIteratorToken tok;
	ArrayBuildState *ab = initArrayResult(TEXTOID, CurrentMemoryContext, false);

	if (v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data))
		bad_setting(key, "must be an array such as [\"reference\", \"amount\"]", "settings argument");
	ai = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&ai, &e, true)) != WJB_DONE)
	{
		if (tok != WJB_ELEM)
			continue;
		if (e.type != jbvString)
			bad_setting(key, "must hold strings", "settings argument");
		accumArrayResult(ab, PointerGetDatum(cstring_to_text_with_len(e.val.string.val, e.val.string.len)),
						 false, TEXTOID, CurrentMemoryContext);
	}
	return makeArrayResult(ab, CurrentMemoryContext);
}

/*
 * The value of setting k (set_names) of the argument, typed as its column
 * of qr_recon_settings; sv is the value when it is a JSON string.
 */
static Datum
override_value(const char *key, int k, JsonbValue *v, const char *sv)
{
	switch (k)
	{
		case 0:
			return override_keys(key, v);
		case 1:
		case 2:				/* intervals, as text */
			if (sv == NULL)
				bad_setting(key, "must be an interval as text, such as \"15 minutes\"", "settings argument");
			return interval_setting(key, sv);
		case 3:
		case 4:
		case 8:				/* numbers */
			if (v->type == jbvNumeric)
				return NumericGetDatum(v->val.numeric);
			if (sv == NULL)
				bad_setting(key, "must be a number", "settings argument");
			return text_input(F_NUMERIC_IN, sv, InvalidOid, -1);
		case 5:
			if (v->type != jbvBool)
				bad_setting(key, "must be true or false", "settings argument");
			return BoolGetDatum(v->val.boolean);
		case 6:
			if (v->type != jbvNumeric ||
				!DatumGetBool(DirectFunctionCall2(numeric_eq, NumericGetDatum(v->val.numeric),
												  DirectFunctionCall2(numeric_round, NumericGetDatum(v->val.numeric),
																	  Int32GetDatum(0)))))
				bad_setting(key, "must be a whole number", "settings argument");
			return DirectFunctionCall1(numeric_int4, NumericGetDatum(v->val.numeric));
		default:				/* 7 */
			if (sv == NULL)
				bad_setting(key, "must be \"gross\" or \"net\"", "settings argument");
			return CStringGetTextDatum(sv);
	}
}

/* the argument's settings as a row: each key typed as its column */
void
qrm_read_override(m_state *st)
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
		st->over.v[k] = override_value(key, k, &v, sv);
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
void
qrm_read_settings(m_state *st)
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
const m_settings *
qrm_settings_of(m_state *st, const text *provider)
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
Numeric
qrm_fx_rate(m_state *st, const text *from, const text *to, TimestampTz at)
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
Numeric
qrm_expected_fee(m_state *st, const m_row *s, Numeric gross)
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
	return qrm_round_to(qrm_num_add(qrm_num_mul(gross, best->rate), best->fixed), qrm_scale_of(s->cur));
}

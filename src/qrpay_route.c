/*
 * qrpay_route.c — interoperability routing in SQL: qr_route, qr_accepts,
 * qr_routes.
 *
 * The decision is src/core's qr_route_choose over the cached rules
 * (qrpay_catalog.c); this file resolves the arguments (payer code,
 * region, scenario), the code's networks and city, and builds the
 * results.  STABLE: the answer depends on the catalog tables.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "miscadmin.h"
#include "pgtime.h"
#include "utils/timestamp.h"

#include "qrpay.h"
#include "qrpay_catalog.h"

PG_FUNCTION_INFO_V1(qr_route);
PG_FUNCTION_INFO_V1(qr_accepts);
PG_FUNCTION_INFO_V1(qr_routes);

#define MAX_NETWORKS 64

/* Per call site: the last payer text resolved, and the result tuple type. */
typedef struct route_extra
{
	char	   *payer_text;
	int			payer;
	uint64		generation;		/* of the catalog payer was resolved in */
	TupleDesc	tupdesc;
	Datum		status[3];		/* none, on_us, interop as text */
} route_extra;

static const char *
provider_name(void *arg, int provider)
{
	return qrpay_provider_code(provider);
}

/*
 * A rule bound in the session's time zone, as timestamptz prints it.
 * Rules have few distinct bounds and a "none" answer names one per
 * pair, so the text of each is kept, with everything timestamptz_out
 * reads to write it: the time zone, DateStyle and DateOrder (the order
 * of day and month in the SQL and Postgres styles).  IntervalStyle only
 * shapes intervals, which a bound is not.
 */
#define TIME_SLOTS 256			/* power of two */

typedef struct time_slot
{
	int64		t;
	const void *tz;
	int			datestyle;
	int			dateorder;
	char		text[64];
} time_slot;

static time_slot time_slots[TIME_SLOTS];

static const char *
time_text(void *arg, int64 t, char *buf, size_t size)
{
	/* bounds are whole days or hours: hash the microseconds before taking slots */
	time_slot  *slot = &time_slots[(((uint64) t * UINT64CONST(0x9E3779B97F4A7C15)) >> 56) % TIME_SLOTS];

	if (slot->tz != session_timezone || slot->t != t || slot->datestyle != DateStyle ||
		slot->dateorder != DateOrder)
	{
		char	   *s = DatumGetCString(DirectFunctionCall1(timestamptz_out, TimestampTzGetDatum(t)));

		strlcpy(slot->text, s, sizeof(slot->text));
		pfree(s);
		slot->t = t;
		slot->tz = session_timezone;
		slot->datestyle = DateStyle;
		slot->dateorder = DateOrder;
	}
	strlcpy(buf, slot->text, size);
	return buf;
}

static const qr_route_printer printer = {provider_name, time_text, NULL};

static int
resolve_payer(FunctionCallInfo fcinfo, route_extra *x, text *payer, const char *what)
{
	char	   *p;
	int			idx;
	size_t		n = VARSIZE_ANY_EXHDR(payer);

	/* the same payer as the previous row: no copy, one lookup */
	if (x && x->payer_text && x->generation == qrpay_catalog_generation(fcinfo) &&
		strlen(x->payer_text) == n && memcmp(x->payer_text, VARDATA_ANY(payer), n) == 0)
		return x->payer;
	p = text_to_cstring(payer);
	idx = qrpay_provider_lookup(fcinfo, p);
	if (idx < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown %s \"%s\"", what, p),
				 errhint("Providers are the codes of the qr_providers table; add one with INSERT INTO qr_providers (code, name, kind) VALUES (...).")));
	if (x)
	{
		if (x->payer_text)
			pfree(x->payer_text);
		x->payer_text = MemoryContextStrdup(fcinfo->flinfo->fn_mcxt, p);
		x->payer = idx;
		x->generation = qrpay_catalog_generation(fcinfo);
	}
	pfree(p);
	return idx;
}

static qr_scenario
resolve_scenario(text *scenario)
{
	int			s = qr_scenario_parse(VARDATA_ANY(scenario), VARSIZE_ANY_EXHDR(scenario));

	if (s < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown scenario \"%s\"", text_to_cstring(scenario)),
				 errhint("Scenarios are offline, online and mini_program.")));
	return (qr_scenario) s;
}

typedef struct route_input
{
	int			networks[MAX_NETWORKS];
	qr_route_query q;
	char	   *city_text;
	char		city_buf[QR_VALUE_MAX];
} route_input;

/*
 * A city the code names (UTF-8), looked up in the database encoding, as the
 * region argument and qr_cities are spelled.  A name that encoding cannot
 * spell is looked up by its UTF-8 bytes, which is how the shipped Chinese
 * names are held there (the install script is loaded byte for byte).
 */
static int
code_city_lookup(FunctionCallInfo fcinfo, const char *s, size_t n, const char **server,
				 size_t *slen)
{
	*server = qrpay_server_from_utf8(s, n, slen);
	if (*server == NULL)
		return qrpay_city_lookup(fcinfo, s, n);
	return qrpay_city_lookup(fcinfo, *server, *slen);
}

/*
 * The code's city, kept for the answer's reason in the database encoding;
 * not quoted when that encoding cannot spell it.
 */
static void
code_city(FunctionCallInfo fcinfo, route_input *in, const char *s, size_t n)
{
	const char *server;
	size_t		slen;

	in->q.city = code_city_lookup(fcinfo, s, n, &server, &slen);
	if (server == NULL || slen >= sizeof(in->city_buf))
		return;
	memmove(in->city_buf, server, slen);	/* s may be city_buf itself */
	in->city_buf[slen] = '\0';
	in->city_text = in->city_buf;
}

/*
 * The code's networks, whether it is consumer-presented, and its city:
 * the region argument, or the city the code names (EMVCo 60, else the
 * alternate-language city 64.02, e.g. 北京; the Swiss QR-bill creditor's
 * town), all from identification's one walk of the code.
 */
static void
prepare(FunctionCallInfo fcinfo, struct varlena *v, Datum at, text *region,
		qr_scenario scenario, route_input *in)
{
	qr_place	place;
	qr_fmt		fmt;

	memset(&in->q, 0, sizeof(in->q));
	in->q.nnetworks = qrpay_code_providers(fcinfo, QRPAY_PAYLOAD(v), QRPAY_PAYLOAD_LEN(v),
										   in->networks, MAX_NETWORKS, &place);
	fmt = place.format;
	in->q.networks = in->networks;
	in->q.consumer_presented = fmt == QR_FORMAT_EMV_CPM || fmt == QR_FORMAT_CN_PAYMENT_CODE;
	in->q.at = DatumGetTimestampTz(at);
	in->q.scenario = scenario;
	in->q.city = -1;
	in->city_text = NULL;
	if (region)
	{
		in->city_text = text_to_cstring(region);
		in->q.city = qrpay_city_lookup(fcinfo, in->city_text, strlen(in->city_text));
	}
	else
	{
		if (place.city)
			code_city(fcinfo, in, place.city, place.city_len);
		if (in->q.city < 0 && place.city_alt)
		{
			const char *server;
			size_t		slen;

			in->q.city = code_city_lookup(fcinfo, place.city_alt, place.city_alt_len,
										  &server, &slen);
		}
	}
	if (in->q.city >= 0)
		in->city_text = unconstify(char *, qrpay_city_name(in->q.city));
	in->q.city_text = in->city_text;
}

/* The decision for payer or acquirer party; a "none" says why when asked. */
static void
decide(FunctionCallInfo fcinfo, route_input *in, int party, bool explain, qr_route_answer *a)
{
	const qr_ruleset *rs = qrpay_ruleset(fcinfo);

	in->q.party = party;
	qr_route_choose(rs, &in->q, a);
	if (explain && a->status == QR_ROUTE_NONE)
		qr_route_explain(rs, &in->q, &printer, a);
}

static route_extra *
extra(FunctionCallInfo fcinfo)
{
	if (fcinfo->flinfo->fn_extra == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
		route_extra *x = palloc0(sizeof(route_extra));

		for (int s = 0; s < 3; s++)
			x->status[s] = CStringGetTextDatum(qr_route_status_name((qr_route_status) s));
		fcinfo->flinfo->fn_extra = x;
		MemoryContextSwitchTo(old);
	}
	return (route_extra *) fcinfo->flinfo->fn_extra;
}

/* NULL code, payer, time or scenario: NULL; region NULL: the code's city */
static bool
null_args(FunctionCallInfo fcinfo)
{
	return PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(4);
}

Datum
qr_route(PG_FUNCTION_ARGS)
{
	route_extra *x;
	struct varlena *v;
	route_input in;
	qr_route_answer a;
	int			payer;
	Datum		values[5];
	bool		nulls[5] = {false, false, false, false, false};

	if (null_args(fcinfo))
		PG_RETURN_NULL();
	x = extra(fcinfo);
	if (x->tupdesc == NULL)
	{
		TupleDesc	td;
		MemoryContext old;

		if (get_call_result_type(fcinfo, NULL, &td) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "qr_route must return a composite type");
		old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
		x->tupdesc = BlessTupleDesc(CreateTupleDescCopy(td));
		MemoryContextSwitchTo(old);
	}
	v = PG_GETARG_PAYMENT_QR_PP(0);
	qrpay_check_version(v);
	payer = resolve_payer(fcinfo, x, PG_GETARG_TEXT_PP(1), "payer");
	prepare(fcinfo, v, PG_GETARG_DATUM(2), PG_ARGISNULL(3) ? NULL : PG_GETARG_TEXT_PP(3),
			resolve_scenario(PG_GETARG_TEXT_PP(4)), &in);
	decide(fcinfo, &in, payer, true, &a);

	values[0] = x->status[a.status];
	if (a.network >= 0)
		values[1] = qrpay_provider_datum(a.network);
	else
		nulls[1] = true;
	if (a.via >= 0)
		values[2] = qrpay_provider_datum(a.via);
	else
		nulls[2] = true;
	if (a.rule)
		values[3] = qrpay_rule_id_datum(a.rule);
	else
		nulls[3] = true;
	if (a.reason[0])
		values[4] = CStringGetTextDatum(a.reason);
	else
		nulls[4] = true;
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(x->tupdesc, values, nulls)));
}

Datum
qr_accepts(PG_FUNCTION_ARGS)
{
	struct varlena *v;
	route_input in;
	qr_route_answer a;
	int			payer;

	if (null_args(fcinfo))
		PG_RETURN_NULL();
	v = PG_GETARG_PAYMENT_QR_PP(0);
	qrpay_check_version(v);
	payer = resolve_payer(fcinfo, extra(fcinfo), PG_GETARG_TEXT_PP(1), "payer");
	prepare(fcinfo, v, PG_GETARG_DATUM(2), PG_ARGISNULL(3) ? NULL : PG_GETARG_TEXT_PP(3),
			resolve_scenario(PG_GETARG_TEXT_PP(4)), &in);
	decide(fcinfo, &in, payer, false, &a);
	PG_RETURN_BOOL(a.status != QR_ROUTE_NONE);
}

/*
 * Every provider that can take part: for a merchant-presented code, every
 * payer app that can pay it; for a consumer-presented code, every
 * acquiring network that can take it (the payer is then the code's own
 * provider).
 */
Datum
qr_routes(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo;
	struct varlena *v;
	route_input in;
	int			n;

	/* the result set exists before anything can return: an empty one for NULLs */
	InitMaterializedSRF(fcinfo, 0);
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(3))
		return (Datum) 0;
	rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	v = PG_GETARG_PAYMENT_QR_PP(0);
	qrpay_check_version(v);
	prepare(fcinfo, v, PG_GETARG_DATUM(1), PG_ARGISNULL(2) ? NULL : PG_GETARG_TEXT_PP(2),
			resolve_scenario(PG_GETARG_TEXT_PP(3)), &in);
	n = qrpay_provider_count(fcinfo);
	for (int p = 0; p < n; p++)
	{
		qr_route_answer a;
		Datum		values[5];
		bool		nulls[5] = {false, false, false, false, false};

		decide(fcinfo, &in, p, false, &a);
		if (a.status == QR_ROUTE_NONE)
			continue;
		values[0] = qrpay_provider_datum(a.payer >= 0 ? a.payer : p);
		values[1] = CStringGetTextDatum(qr_route_status_name(a.status));
		values[2] = qrpay_provider_datum(a.network);
		if (a.via >= 0)
			values[3] = qrpay_provider_datum(a.via);
		else
			nulls[3] = true;
		if (a.rule)
			values[4] = qrpay_rule_id_datum(a.rule);
		else
			nulls[4] = true;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

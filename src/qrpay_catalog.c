/*
 * qrpay_catalog.c — the provider catalog (qr_providers,
 * qr_provider_patterns) cached in backend memory, and the functions that
 * read it: qr_networks, qr_provider.
 *
 * The cache follows Citus's metadata cache: one relcache callback,
 * registered once per backend, drops a validity flag when either table's
 * relcache entry is invalidated; a statement-level trigger on both tables
 * (qr_catalog_invalidate) sends that invalidation for INSERT, UPDATE,
 * DELETE and TRUNCATE, which plain DML does not.  The message is
 * transactional: other backends see it when the change commits, this
 * backend at its next command, and a rolled-back change is never seen.
 *
 * The cache is filled with SPI as the owner of the catalog tables, so that
 * every role gets the same answers whatever it may read itself, and with
 * schema-qualified text, so that no search_path can redirect a name.  A
 * fill is coherent with the invalidations it consumes (see fill()): under
 * READ COMMITTED it reads the latest snapshot and is kept until the next
 * invalidation; under REPEATABLE READ or SERIALIZABLE it reads the
 * transaction snapshot, which may predate a commit whose invalidation was
 * already processed, so such a fill only serves its own transaction.
 *
 * Matching never scans the catalog per row: patterns are grouped by kind,
 * the verdict for an EMVCo GUID, tag, CPM AID or format — identifiers that
 * repeat across millions of codes — is remembered per identifier, and the
 * text[] of each distinct provider list is built once.
 *
 * The triggers (end of file) trust nothing about how they were attached:
 * each checks that it fires on the extension's own table, at the time,
 * level and events it was written for, before it reads a column.  Rule to
 * city references are checked after each row the way PostgreSQL's foreign
 * keys are (ri_triggers.c): by a locking query under a fresh snapshot.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "commands/trigger.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

/* the backend's local transaction id: PGPROC holds it in vxid from 17 on */
#if PG_VERSION_NUM >= 170000
#define MY_LXID (MyProc->vxid.lxid)
#else
#define MY_LXID (MyProc->lxid)
#endif

#include "qrpay.h"
#include "qrpay_catalog.h"

PG_FUNCTION_INFO_V1(qr_networks);
PG_FUNCTION_INFO_V1(qr_provider);
PG_FUNCTION_INFO_V1(qr_identifiers);
PG_FUNCTION_INFO_V1(qr_catalog_invalidate);
PG_FUNCTION_INFO_V1(qr_catalog_guard);
PG_FUNCTION_INFO_V1(qr_rule_cities_check);
PG_FUNCTION_INFO_V1(qr_city_references_check);
PG_FUNCTION_INFO_V1(qr_catalog_audit);
PG_FUNCTION_INFO_V1(qr_recon_audit);

#define MEMO_SLOTS 4096			/* power of two */
#define MEMO_MAX_PROVIDERS 8

typedef struct memo_entry
{
	uint32		hash;
	int16		kind;
	int16		nprov;			/* -1: slot empty */
	char	   *key;
	int			keylen;
	int			prov[MEMO_MAX_PROVIDERS];
} memo_entry;

/* A provider list and its text[] result, built once per catalog load. */
#define ARRAY_SLOTS 1024		/* power of two */
#define ARRAY_MAX_PROVIDERS 8

typedef struct array_entry
{
	uint32		hash;
	int16		nprov;			/* -1: slot empty */
	int			prov[ARRAY_MAX_PROVIDERS];
	ArrayType  *array;
} array_entry;

typedef struct city_key
{
	char	   *key;			/* normalized spelling */
	int			city;
} city_key;

/* How long a fill may be used (until an invalidation in any case). */
typedef enum cache_scope
{
	SCOPE_LASTING,				/* coherent fill: until the next invalidation */
	SCOPE_XACT,					/* read under a transaction snapshot */
	SCOPE_STATEMENT				/* fills kept racing invalidations: this statement */
} cache_scope;

/* Fills tried before one is used for the current statement only. */
#define FILL_TRIES 5

typedef struct catalog_cache
{
	bool		valid;
	cache_scope scope;
	LocalTransactionId lxid;	/* of the fill, for SCOPE_XACT and SCOPE_STATEMENT */
	TimestampTz stmt_start;		/* of the fill, for SCOPE_STATEMENT */
	Oid			nsp;			/* the extension's schema */
	Oid			providers_relid;
	Oid			patterns_relid;
	MemoryContext cxt;
	int			nproviders;
	char	  **codes;			/* provider codes, sorted */
	Datum	   *code_datums;	/* the same as text */
	int			npatterns;
	qr_pattern *patterns;		/* sorted by kind */
	int			kind_start[QR_IDKIND_MAX + 2];
	memo_entry *memo;
	int			memo_used;
	array_entry *arrays;
	int			arrays_used;
	/* routing (tables from 0.3.0 on; absent in older installations) */
	Oid			cities_relid;
	Oid			rules_relid;
	int			ncities;
	char	  **city_names;		/* canonical names, by city number */
	int			ncity_keys;
	city_key   *city_keys;		/* normalized spellings, sorted */
	int			nrules;
	qr_rule    *rules;
	Datum	   *rule_id_datums;	/* by position in the sorted rule array */
	int		   *payer_start;
	qr_ruleset	ruleset;
} catalog_cache;

static catalog_cache cache;
static bool callback_registered = false;
static uint64 generation = 0;	/* counts cache fills */
static uint64 invalidations = 0;	/* counts invalidations of the catalog */

static void ensure(FunctionCallInfo fcinfo);

static void
catalog_relcache_callback(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == cache.providers_relid ||
		relid == cache.patterns_relid || relid == cache.cities_relid ||
		relid == cache.rules_relid)
	{
		cache.valid = false;
		invalidations++;
	}
}

static int
cmp_kind(const void *a, const void *b)
{
	const qr_pattern *x = a,
					  *y = b;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	/* keep catalog order (provider, pattern) within a kind */
	return x->provider != y->provider ? (x->provider < y->provider ? -1 : 1) : 0;
}

static int
provider_index(const char *code)
{
	int			lo = 0,
				hi = cache.nproviders - 1;

	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;
		int			c = strcmp(code, cache.codes[mid]);

		if (c == 0)
			return mid;
		if (c < 0)
			hi = mid - 1;
		else
			lo = mid + 1;
	}
	return -1;
}

static Oid
extension_schema(FunctionCallInfo fcinfo)
{
	Oid			nsp = InvalidOid;

	if (fcinfo && fcinfo->flinfo && OidIsValid(fcinfo->flinfo->fn_oid))
		nsp = get_func_namespace(fcinfo->flinfo->fn_oid);
	if (!OidIsValid(nsp))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("qrpay catalog functions must be called through SQL")));
	return nsp;
}

/*
 * A city spelling as it is matched: ASCII letters lower-cased; spaces,
 * apostrophes, hyphens and dots dropped ("XI'AN", "Xi an" and "xian" are
 * one key); other characters (Chinese names) kept as they are.
 */
char *
qrpay_city_key(const char *s, size_t n)
{
	char	   *k = palloc(n + 1);
	size_t		o = 0;

	for (size_t i = 0; i < n; i++)
	{
		char		c = s[i];

		if (c == ' ' || c == '\'' || c == '-' || c == '.')
			continue;
		k[o++] = (c >= 'A' && c <= 'Z') ? (char) (c + 32) : c;
	}
	k[o] = '\0';
	return k;
}

static int
cmp_city_key(const void *a, const void *b)
{
	return strcmp(((const city_key *) a)->key, ((const city_key *) b)->key);
}

int
qrpay_city_lookup(FunctionCallInfo fcinfo, const char *s, size_t n)
{
	city_key	probe;
	city_key   *hit;
	char		local[128];

	ensure(fcinfo);
	if (cache.ncity_keys == 0)
		return -1;
	if (n < sizeof(local))
	{
		/* the key of a short spelling, without an allocation per row */
		size_t		o = 0;

		for (size_t i = 0; i < n; i++)
		{
			char		c = s[i];

			if (c == ' ' || c == '\'' || c == '-' || c == '.')
				continue;
			local[o++] = (c >= 'A' && c <= 'Z') ? (char) (c + 32) : c;
		}
		local[o] = '\0';
		probe.key = local;
		hit = bsearch(&probe, cache.city_keys, cache.ncity_keys, sizeof(city_key), cmp_city_key);
		return hit ? hit->city : -1;
	}
	probe.key = qrpay_city_key(s, n);
	hit = bsearch(&probe, cache.city_keys, cache.ncity_keys, sizeof(city_key), cmp_city_key);
	pfree(probe.key);
	return hit ? hit->city : -1;
}

const char *
qrpay_city_name(int city)
{
	return cache.city_names[city];
}

static void
add_city_key(int *n, const char *spelling, int city)
{
	if (spelling == NULL || spelling[0] == '\0')
		return;
	cache.city_keys[*n].key = qrpay_city_key(spelling, strlen(spelling));
	cache.city_keys[*n].city = city;
	(*n)++;
}

static int
cmp_int(const void *a, const void *b)
{
	int			x = *(const int *) a,
				y = *(const int *) b;

	return x < y ? -1 : x > y;
}

/* tstzrange bound as [from, until) microseconds; open bounds widen */
static int64
bound_value(HeapTuple tup, TupleDesc td, int col, int inc_col, bool lower)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, td, col, &isnull);
	bool		inc;
	int64		v;

	if (isnull)
		return lower ? QR_TIME_MIN : QR_TIME_MAX;
	v = DatumGetTimestampTz(d);
	if (TIMESTAMP_IS_NOBEGIN(v))
		return QR_TIME_MIN;
	if (TIMESTAMP_IS_NOEND(v))
		return QR_TIME_MAX;
	inc = DatumGetBool(SPI_getbinval(tup, td, inc_col, &isnull));
	/* [from, until): an exclusive lower or inclusive upper bound moves by 1 us */
	if (lower ? !inc : inc)
		v += 1;
	return v;
}

/*
 * The columns an SPI read of the catalog returned must have the types the
 * code below decodes: the extension's tables have them unless someone
 * altered a column, and then the cache refuses to load rather than read
 * an int as an array.
 */
static void
expect_types(const char *table, const Oid *types, int n)
{
	TupleDesc	desc = SPI_tuptable->tupdesc;

	for (int i = 0; i < n; i++)
		if (types[i] != InvalidOid && SPI_gettypeid(desc, i + 1) != types[i])
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("the qrpay catalog table %s has been altered", table),
					 errdetail("Column \"%s\" is of type %s, not %s.",
							   SPI_fname(desc, i + 1),
							   format_type_be(SPI_gettypeid(desc, i + 1)),
							   format_type_be(types[i])),
					 errhint("Reinstall the extension: DROP EXTENSION qrpay; CREATE EXTENSION qrpay.")));
}

/* A text[] datum as C strings, NULL elements left out. */
static char **
text_array_strings(Datum d, int *count)
{
	Datum	   *elems;
	bool	   *nulls;
	int			ne,
				n = 0;
	char	  **out;

	deconstruct_array(DatumGetArrayTypeP(d), TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, &nulls, &ne);
	out = palloc(sizeof(char *) * (ne + 1));
	for (int k = 0; k < ne; k++)
		if (!nulls[k])
			out[n++] = TextDatumGetCString(elems[k]);
	*count = n;
	return out;
}

/*
 * Cities and rules, when this installation has the routing tables.  The
 * constraints forbid NULLs in most columns read here; a row that breaks
 * them anyway is left out rather than dereferenced.
 */
static void
fill_routing(const char *schema)
{
	static const Oid city_types[] = {TEXTOID, TEXTOID, TEXTARRAYOID};
	static const Oid rule_types[] = {
		TEXTOID, TEXTOID, TEXTOID, TEXTOID,
		TIMESTAMPTZOID, BOOLOID, TIMESTAMPTZOID, BOOLOID,
		TEXTARRAYOID, TEXTOID, INT4OID, BOOLOID, TEXTOID
	};
	StringInfoData q;
	MemoryContext old;
	int			ret,
				nkeys = 0;

	cache.ncities = 0;
	cache.ncity_keys = 0;
	cache.nrules = 0;
	cache.payer_start = MemoryContextAllocZero(cache.cxt, sizeof(int) * (cache.nproviders + 1));
	qr_ruleset_build(&cache.ruleset, NULL, 0, cache.payer_start, cache.nproviders);
	if (!OidIsValid(cache.cities_relid) || !OidIsValid(cache.rules_relid))
		return;

	initStringInfo(&q);
	appendStringInfo(&q,
					 "SELECT x.name, x.name_zh, x.aliases FROM %s.qr_cities x "
					 "WHERE x.name IS NOT NULL ORDER BY x.name COLLATE pg_catalog.\"C\"", schema);
	if ((ret = SPI_execute(q.data, true, 0)) != SPI_OK_SELECT)
		elog(ERROR, "reading qr_cities failed: %d", ret);
	expect_types("qr_cities", city_types, lengthof(city_types));
	old = MemoryContextSwitchTo(cache.cxt);
	cache.ncities = (int) SPI_processed;
	cache.city_names = palloc(sizeof(char *) * (cache.ncities + 1));
	{
		int			cap = cache.ncities * 2 + 1;

		for (int i = 0; i < cache.ncities; i++)
		{
			bool		isnull;
			Datum		al = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 3, &isnull);

			if (!isnull)
			{
				ArrayType  *a = DatumGetArrayTypeP(al);

				cap += ArrayGetNItems(ARR_NDIM(a), ARR_DIMS(a));
			}
		}
		cache.city_keys = palloc(sizeof(city_key) * cap);
	}
	for (int i = 0; i < cache.ncities; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	td = SPI_tuptable->tupdesc;
		bool		isnull;
		Datum		al;

		cache.city_names[i] = pstrdup(SPI_getvalue(tup, td, 1));
		add_city_key(&nkeys, cache.city_names[i], i);
		add_city_key(&nkeys, SPI_getvalue(tup, td, 2), i);
		al = SPI_getbinval(tup, td, 3, &isnull);
		if (!isnull)
		{
			int			ne;
			char	  **aliases = text_array_strings(al, &ne);

			for (int k = 0; k < ne; k++)
				add_city_key(&nkeys, aliases[k], i);
		}
	}
	qsort(cache.city_keys, nkeys, sizeof(city_key), cmp_city_key);
	cache.ncity_keys = nkeys;
	MemoryContextSwitchTo(old);

	resetStringInfo(&q);
	appendStringInfo(&q,
					 "SELECT x.id, x.payer, x.payee, x.via, "
					 "pg_catalog.lower(x.valid_during), pg_catalog.lower_inc(x.valid_during), "
					 "pg_catalog.upper(x.valid_during), pg_catalog.upper_inc(x.valid_during), "
					 "x.cities, x.scenario, x.priority, x.allowed, x.source "
					 "FROM %s.qr_interop_rules x", schema);
	if ((ret = SPI_execute(q.data, true, 0)) != SPI_OK_SELECT)
		elog(ERROR, "reading qr_interop_rules failed: %d", ret);
	expect_types("qr_interop_rules", rule_types, lengthof(rule_types));
	old = MemoryContextSwitchTo(cache.cxt);
	cache.rules = palloc0(sizeof(qr_rule) * (SPI_processed + 1));
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	td = SPI_tuptable->tupdesc;
		qr_rule    *r = &cache.rules[cache.nrules];
		char	   *id = SPI_getvalue(tup, td, 1);
		char	   *payer = SPI_getvalue(tup, td, 2);
		char	   *payee = SPI_getvalue(tup, td, 3);
		char	   *via = SPI_getvalue(tup, td, 4);
		char	   *sc = SPI_getvalue(tup, td, 10);
		char	   *source = SPI_getvalue(tup, td, 13);
		bool		priority_null,
					allowed_null,
					nationwide;
		Datum		cities = SPI_getbinval(tup, td, 9, &nationwide);
		Datum		priority = SPI_getbinval(tup, td, 11, &priority_null);
		Datum		allowed = SPI_getbinval(tup, td, 12, &allowed_null);

		/* the NOT NULL constraints forbid these */
		if (!id || !payer || !payee || !sc || priority_null || allowed_null)
			continue;
		r->id = pstrdup(id);
		r->payer = provider_index(payer);
		r->payee = provider_index(payee);
		r->via = via ? provider_index(via) : -1;
		r->from = bound_value(tup, td, 5, 6, true);
		r->until = bound_value(tup, td, 7, 8, false);
		r->scenario = (qr_scenario) qr_scenario_parse(sc, strlen(sc));
		r->priority = DatumGetInt32(priority);
		r->allowed = DatumGetBool(allowed);
		r->source = pstrdup(source ? source : "");
		r->ncities = -1;
		if (r->payer < 0 || r->payee < 0 || (int) r->scenario < 0)
			continue;			/* the foreign keys and checks forbid these */
		if (!nationwide)
		{
			int			ne,
						nc = 0;
			char	  **names = text_array_strings(cities, &ne);
			int		   *cs = palloc(sizeof(int) * (ne + 1));

			for (int k = 0; k < ne; k++)
			{
				city_key	probe;
				city_key   *hit;

				probe.key = qrpay_city_key(names[k], strlen(names[k]));
				hit = bsearch(&probe, cache.city_keys, cache.ncity_keys, sizeof(city_key), cmp_city_key);
				if (hit)
					cs[nc++] = hit->city;
			}
			qsort(cs, nc, sizeof(int), cmp_int);
			r->cities = cs;
			r->ncities = nc;
		}
		cache.nrules++;
	}
	pfree(cache.payer_start);
	cache.payer_start = palloc(sizeof(int) * (cache.nproviders + 1));
	qr_ruleset_build(&cache.ruleset, cache.rules, cache.nrules, cache.payer_start, cache.nproviders);
	cache.rule_id_datums = palloc(sizeof(Datum) * (cache.nrules + 1));
	for (int i = 0; i < cache.nrules; i++)
		cache.rule_id_datums[i] = CStringGetTextDatum(cache.rules[i].id);
	MemoryContextSwitchTo(old);
}

/*
 * One read of every catalog table into cache.cxt, under the active
 * snapshot, as whoever the caller made the current user.
 */
static void
fill_tables(const char *schema)
{
	static const Oid code_types[] = {TEXTOID};
	static const Oid pattern_types[] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, INT4OID, INT4OID};
	StringInfoData q;
	MemoryContext old;
	int			ret;

	MemoryContextReset(cache.cxt);
	if ((ret = SPI_connect()) != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed: %d", ret);

	initStringInfo(&q);
	appendStringInfo(&q,
					 "SELECT x.code FROM %s.qr_providers x WHERE x.code IS NOT NULL "
					 "ORDER BY x.code COLLATE pg_catalog.\"C\"", schema);
	if ((ret = SPI_execute(q.data, true, 0)) != SPI_OK_SELECT)
		elog(ERROR, "reading qr_providers failed: %d", ret);
	expect_types("qr_providers", code_types, lengthof(code_types));
	old = MemoryContextSwitchTo(cache.cxt);
	cache.nproviders = (int) SPI_processed;
	cache.codes = palloc(sizeof(char *) * (cache.nproviders + 1));
	cache.code_datums = palloc(sizeof(Datum) * (cache.nproviders + 1));
	for (int i = 0; i < cache.nproviders; i++)
	{
		char	   *c = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);

		cache.codes[i] = pstrdup(c);
		cache.code_datums[i] = CStringGetTextDatum(c);
	}
	MemoryContextSwitchTo(old);

	resetStringInfo(&q);
	appendStringInfo(&q,
					 "SELECT x.provider, x.kind, x.pattern, x.country, "
					 "COALESCE(x.min_length, 0), COALESCE(x.max_length, 0) "
					 "FROM %s.qr_provider_patterns x "
					 "WHERE x.provider IS NOT NULL AND x.kind IS NOT NULL AND x.pattern IS NOT NULL "
					 "ORDER BY x.provider COLLATE pg_catalog.\"C\", x.kind, x.pattern COLLATE pg_catalog.\"C\"",
					 schema);
	if ((ret = SPI_execute(q.data, true, 0)) != SPI_OK_SELECT)
		elog(ERROR, "reading qr_provider_patterns failed: %d", ret);
	expect_types("qr_provider_patterns", pattern_types, lengthof(pattern_types));
	old = MemoryContextSwitchTo(cache.cxt);
	cache.npatterns = 0;
	cache.patterns = palloc0(sizeof(qr_pattern) * (SPI_processed + 1));
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	td = SPI_tuptable->tupdesc;
		qr_pattern *p = &cache.patterns[cache.npatterns];
		char	   *prov = SPI_getvalue(tup, td, 1);
		char	   *kind = SPI_getvalue(tup, td, 2);
		char	   *pat = SPI_getvalue(tup, td, 3);
		char	   *country = SPI_getvalue(tup, td, 4);
		bool		isnull;

		p->provider = provider_index(prov);
		p->kind = (qr_idkind) qr_idkind_parse(kind, strlen(kind));
		if (p->provider < 0 || p->kind == 0)
			continue;			/* the foreign key and the kind check forbid these */
		p->pattern = pstrdup(pat);
		p->plen = strlen(pat);
		if (country && strlen(country) == 2)
			memcpy(p->country, country, 3);
		p->lit_len = qr_glob_literal_prefix(p->pattern, p->plen);
		p->min_len = DatumGetInt32(SPI_getbinval(tup, td, 5, &isnull));
		p->max_len = DatumGetInt32(SPI_getbinval(tup, td, 6, &isnull));
		cache.npatterns++;
	}
	qsort(cache.patterns, cache.npatterns, sizeof(qr_pattern), cmp_kind);
	for (int k = 0, i = 0; k <= QR_IDKIND_MAX + 1; k++)
	{
		while (i < cache.npatterns && (int) cache.patterns[i].kind < k)
			i++;
		cache.kind_start[k] = i;
	}
	cache.memo = palloc(sizeof(memo_entry) * MEMO_SLOTS);
	for (int i = 0; i < MEMO_SLOTS; i++)
		cache.memo[i].nprov = -1;
	cache.memo_used = 0;
	cache.arrays = palloc(sizeof(array_entry) * ARRAY_SLOTS);
	for (int i = 0; i < ARRAY_SLOTS; i++)
		cache.arrays[i].nprov = -1;
	cache.arrays_used = 0;
	MemoryContextSwitchTo(old);
	fill_routing(schema);
	SPI_finish();
}

/* pg_class.relowner of a relation. */
static Oid
relation_owner(Oid relid)
{
	HeapTuple	tp = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Oid			owner;

	if (!HeapTupleIsValid(tp))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	owner = ((Form_pg_class) GETSTRUCT(tp))->relowner;
	ReleaseSysCache(tp);
	return owner;
}

/*
 * Run the catalog reads as the owner of the catalog tables, as
 * RefreshMatViewByOid does for a view's query and ri_triggers.c for a
 * foreign key's: the answer of qr_networks or of a guard must not depend
 * on whether the caller may read the tables, nor on row security
 * (SECURITY_NOFORCE_RLS: the owner sees every row even under FORCE ROW
 * LEVEL SECURITY).  SECURITY_RESTRICTED_OPERATION keeps anything the reads
 * might run from changing the session; the text is schema-qualified, so
 * the caller's search_path resolves nothing.
 */
#define OWNER_SEC_CONTEXT \
	(SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION | SECURITY_NOFORCE_RLS)

/*
 * Fill the cache, coherent with the invalidations it consumes.
 *
 * A fill that reads under snapshot S and marks the cache valid is stale if
 * some commit C is invisible to S but C's invalidation was processed
 * before the cache was marked: nothing would invalidate it again.  A
 * committing backend makes C visible in the ProcArray before it sends C's
 * invalidations (CommitTransaction), so every invalidation accepted before
 * S is taken belongs to a commit S sees.  The fill therefore accepts the
 * pending invalidations, notes the counter the relcache callback bumps,
 * takes S, reads, accepts again: if the counter did not move, every commit
 * S misses will invalidate the cache later, and it may be kept.  If it
 * moved, the fill is retried under a newer snapshot; after FILL_TRIES
 * fills raced by writers, the last one serves the current statement only.
 *
 * Under READ COMMITTED S is the latest snapshot: a statement may see a
 * catalog newer than its own snapshot, never an older one than the
 * previous statement saw.  Under REPEATABLE READ and SERIALIZABLE S is the
 * transaction snapshot, so that the catalog agrees with the transaction's
 * data; a newer snapshot would not help then, and the fill serves the
 * transaction only.  In parallel mode (a parallel worker, or the leader
 * running a parallel plan) no new snapshot may be taken: the fill reads
 * the statement's snapshot and serves that statement only.
 */
static void
fill(FunctionCallInfo fcinfo)
{
	Oid			nsp = extension_schema(fcinfo);
	const char *schema;
	bool		xact_snapshot = IsolationUsesXactSnapshot();
	bool		parallel = IsInParallelMode();
	Oid			owner;
	Oid			save_userid;
	int			save_sec_context;
	int			attempt;

	if (!callback_registered)
	{
		CacheRegisterRelcacheCallback(catalog_relcache_callback, (Datum) 0);
		callback_registered = true;
	}
	if (cache.cxt == NULL)
		cache.cxt = AllocSetContextCreate(CacheMemoryContext, "qrpay provider catalog",
										  ALLOCSET_SMALL_SIZES);
	cache.valid = false;
	cache.nsp = nsp;
	cache.providers_relid = get_relname_relid("qr_providers", nsp);
	cache.patterns_relid = get_relname_relid("qr_provider_patterns", nsp);
	cache.cities_relid = get_relname_relid("qr_cities", nsp);
	cache.rules_relid = get_relname_relid("qr_interop_rules", nsp);
	if (!OidIsValid(cache.providers_relid) || !OidIsValid(cache.patterns_relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("the qrpay provider catalog tables are missing from schema \"%s\"",
						get_namespace_name(nsp)),
				 errhint("Reinstall the extension: DROP EXTENSION qrpay; CREATE EXTENSION qrpay.")));
	schema = quote_identifier(get_namespace_name(nsp));
	owner = relation_owner(cache.providers_relid);

	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(owner, save_sec_context | OWNER_SEC_CONTEXT);
	PG_TRY();
	{
		for (attempt = 1;; attempt++)
		{
			uint64		seen;

			AcceptInvalidationMessages();
			seen = invalidations;
			if (xact_snapshot)
				PushActiveSnapshot(GetTransactionSnapshot());
			else if (parallel)
				PushActiveSnapshot(ActiveSnapshotSet() ? GetActiveSnapshot() : GetTransactionSnapshot());
			else
				PushActiveSnapshot(GetLatestSnapshot());
			fill_tables(schema);
			PopActiveSnapshot();
			AcceptInvalidationMessages();
			if (xact_snapshot)
			{
				cache.scope = SCOPE_XACT;
				break;
			}
			if (parallel)
			{
				cache.scope = SCOPE_STATEMENT;
				break;
			}
			if (invalidations == seen)
			{
				cache.scope = SCOPE_LASTING;
				break;
			}
			if (attempt == FILL_TRIES)
			{
				cache.scope = SCOPE_STATEMENT;
				break;
			}
		}
	}
	PG_FINALLY();
	{
		SetUserIdAndSecContext(save_userid, save_sec_context);
	}
	PG_END_TRY();

	generation++;
	cache.lxid = MY_LXID;
	cache.stmt_start = GetCurrentStatementStartTimestamp();
	cache.valid = true;
}

static void
ensure(FunctionCallInfo fcinfo)
{
	if (cache.valid && cache.scope != SCOPE_LASTING && cache.lxid != MY_LXID)
		cache.valid = false;
	if (cache.valid && cache.scope == SCOPE_STATEMENT &&
		cache.stmt_start != GetCurrentStatementStartTimestamp())
		cache.valid = false;
	if (!cache.valid)
		fill(fcinfo);
}

/* ------------------------------------------------------------------ */
/* Matching                                                            */
/* ------------------------------------------------------------------ */

static void
add_provider(int *out, int *n, int max, int p)
{
	for (int i = 0; i < *n; i++)
		if (out[i] == p)
			return;
	if (*n < max)
		out[(*n)++] = p;
}

static int
match_linear(const qr_ident *id, const char *country, int *prov, int max)
{
	int			n = 0;

	for (int i = cache.kind_start[id->kind]; i < cache.kind_start[id->kind + 1]; i++)
		if (qr_pattern_match(&cache.patterns[i], id, country))
			add_provider(prov, &n, max, cache.patterns[i].provider);
	return n;
}

/*
 * Providers of one identifier.  Identifiers that recur across codes
 * (everything but whole URLs and consumer codes) are remembered; a
 * pattern with a country condition makes the verdict country-dependent,
 * so the country is part of the key for EMVCo identifiers.
 */
static int
match_ident(const qr_ident *id, const char *country, int *prov, int max)
{
	uint32		h;
	int			slot;
	memo_entry *e;
	char		key[40];
	int			keylen;

	if (id->kind == QR_ID_URL || id->kind == QR_ID_PAYMENT_CODE || id->len > 32)
		return match_linear(id, country, prov, max);
	memcpy(key, id->value, id->len);
	key[id->len] = country[0] ? country[0] : '-';
	key[id->len + 1] = country[0] ? country[1] : '-';
	keylen = (int) id->len + 2;
	h = hash_bytes((const unsigned char *) key, keylen) ^ (uint32) id->kind;
	for (slot = h & (MEMO_SLOTS - 1);; slot = (slot + 1) & (MEMO_SLOTS - 1))
	{
		e = &cache.memo[slot];
		if (e->nprov < 0)
			break;
		if (e->hash == h && e->kind == (int16) id->kind && e->keylen == keylen &&
			memcmp(e->key, key, keylen) == 0)
		{
			int			n = Min(e->nprov, max);

			memcpy(prov, e->prov, sizeof(int) * n);
			return n;
		}
	}
	{
		int			n = match_linear(id, country, prov, max);

		/* keep the table at most half full; a full memo just stops learning */
		if (cache.memo_used < MEMO_SLOTS / 2 && n <= MEMO_MAX_PROVIDERS)
		{
			e->hash = h;
			e->kind = (int16) id->kind;
			e->key = MemoryContextAlloc(cache.cxt, keylen);
			memcpy(e->key, key, keylen);
			e->keylen = keylen;
			memcpy(e->prov, prov, sizeof(int) * n);
			e->nprov = (int16) n;
			cache.memo_used++;
		}
		return n;
	}
}

int
qrpay_code_providers(FunctionCallInfo fcinfo, const char *buf, size_t len,
					 int *out, int max, qr_place *place)
{
	qr_ident	ids[QR_IDENT_MAX];
	qr_place	local;
	const char *country;
	int			nids,
				n = 0;

	ensure(fcinfo);
	if (place == NULL)
		place = &local;
	nids = qr_identify_place(buf, len, ids, QR_IDENT_MAX, place);
	country = place->country;
	for (int i = 0; i < nids; i++)
	{
		int			prov[64];
		int			k = match_ident(&ids[i], country, prov, 64);

		for (int j = 0; j < k; j++)
			add_provider(out, &n, max, prov[j]);
	}
	return n;
}

const char *
qrpay_provider_code(int index)
{
	return cache.codes[index];
}

uint64
qrpay_catalog_generation(FunctionCallInfo fcinfo)
{
	ensure(fcinfo);
	return generation;
}

Datum
qrpay_provider_datum(int index)
{
	return cache.code_datums[index];
}

int
qrpay_provider_lookup(FunctionCallInfo fcinfo, const char *code)
{
	ensure(fcinfo);
	return provider_index(code);
}

int
qrpay_provider_count(FunctionCallInfo fcinfo)
{
	ensure(fcinfo);
	return cache.nproviders;
}

const qr_ruleset *
qrpay_ruleset(FunctionCallInfo fcinfo)
{
	ensure(fcinfo);
	return &cache.ruleset;
}

Datum
qrpay_rule_id_datum(const qr_rule *r)
{
	return cache.rule_id_datums[r - cache.rules];
}

/* ------------------------------------------------------------------ */
/* SQL functions                                                       */
/* ------------------------------------------------------------------ */

#define MAX_NETWORKS 64

static ArrayType *
build_array(const int *prov, int n)
{
	Datum		elems[MAX_NETWORKS];

	for (int i = 0; i < n; i++)
		elems[i] = cache.code_datums[prov[i]];
	return construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT);
}

/*
 * The text[] of a provider list: a code table holds few distinct lists, so
 * each is built once per catalog load and copied out.
 */
static ArrayType *
networks_array(const int *prov, int n)
{
	uint32		h;
	int			slot;
	array_entry *e;
	ArrayType  *a;

	if (n > ARRAY_MAX_PROVIDERS)
		return build_array(prov, n);
	h = hash_bytes((const unsigned char *) prov, (int) (sizeof(int) * n)) ^ (uint32) n;
	for (slot = h & (ARRAY_SLOTS - 1);; slot = (slot + 1) & (ARRAY_SLOTS - 1))
	{
		e = &cache.arrays[slot];
		if (e->nprov < 0)
			break;
		if (e->hash == h && e->nprov == n && memcmp(e->prov, prov, sizeof(int) * n) == 0)
		{
			a = palloc(VARSIZE(e->array));
			memcpy(a, e->array, VARSIZE(e->array));
			return a;
		}
	}
	if (cache.arrays_used >= ARRAY_SLOTS / 2)
		return build_array(prov, n);
	{
		MemoryContext old = MemoryContextSwitchTo(cache.cxt);

		e->array = build_array(prov, n);
		MemoryContextSwitchTo(old);
	}
	e->hash = h;
	memcpy(e->prov, prov, sizeof(int) * n);
	e->nprov = (int16) n;
	cache.arrays_used++;
	a = palloc(VARSIZE(e->array));
	memcpy(a, e->array, VARSIZE(e->array));
	return a;
}

Datum
qr_networks(PG_FUNCTION_ARGS)
{
	struct varlena *v = PG_GETARG_PAYMENT_QR_PP(0);
	int			prov[MAX_NETWORKS];
	int			n;

	qrpay_check_version(v);
	n = qrpay_code_providers(fcinfo, QRPAY_PAYLOAD(v), QRPAY_PAYLOAD_LEN(v), prov, MAX_NETWORKS, NULL);
	PG_RETURN_ARRAYTYPE_P(networks_array(prov, n));
}

Datum
qr_provider(PG_FUNCTION_ARGS)
{
	struct varlena *v = PG_GETARG_PAYMENT_QR_PP(0);
	int			prov[1];

	qrpay_check_version(v);
	if (qrpay_code_providers(fcinfo, QRPAY_PAYLOAD(v), QRPAY_PAYLOAD_LEN(v), prov, 1, NULL) == 0)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(datumCopy(cache.code_datums[prov[0]], false, -1));
}

/* What the catalog matches against: (kind, value) in payload order. */
Datum
qr_identifiers(PG_FUNCTION_ARGS)
{
	struct varlena *v = PG_GETARG_PAYMENT_QR_PP(0);
	ReturnSetInfo *rsinfo;
	qr_ident	ids[QR_IDENT_MAX];
	char		country[3];
	int			n;

	qrpay_check_version(v);
	InitMaterializedSRF(fcinfo, 0);
	rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	n = qr_identify(QRPAY_PAYLOAD(v), QRPAY_PAYLOAD_LEN(v), ids, QR_IDENT_MAX, country);
	for (int i = 0; i < n; i++)
	{
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		values[0] = CStringGetTextDatum(qr_idkind_name(ids[i].kind));
		values[1] = PointerGetDatum(qrpay_text_from_utf8(ids[i].value, ids[i].len));
		if (country[0] && (ids[i].kind == QR_ID_EMV_TAG || ids[i].kind == QR_ID_EMV_GUID))
			values[2] = CStringGetTextDatum(country);
		else
			nulls[2] = true;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* ------------------------------------------------------------------ */
/* Triggers                                                            */
/* ------------------------------------------------------------------ */

/*
 * The trigger functions are ordinary functions any role may attach to any
 * table it owns, with any timing: CREATE TRIGGER needs no privilege on the
 * function beyond EXECUTE.  So before a trigger reads a column it checks
 * that the relation is the extension's own table of that name (the same
 * OID as the table in the schema of the function itself; a temporary
 * qr_cities is not it), and that it fires at the time, level and events it
 * was written for.  Past that check the table's columns are known, and
 * catalog_attnum() still verifies each one it reads.
 */
typedef enum catalog_table
{
	TABLE_PROVIDERS,
	TABLE_PATTERNS,
	TABLE_CITIES,
	TABLE_RULES,
	TABLE_FEE_RATES,
	/* the back office's tables (0.8.0), audited to qr_recon_audit */
	TABLE_FORMATS,
	TABLE_BATCHES,
	TABLE_RUNS,
	TABLE_BREAKS,
	/* the reconciliation settings and rates (0.9.0), audited to qr_recon_audit */
	TABLE_RECON_SETTINGS,
	TABLE_RECON_FEE_RATES,
	TABLE_FX_RATES,
	TABLE_COUNT
} catalog_table;

static const char *const catalog_table_names[TABLE_COUNT] = {
	"qr_providers", "qr_provider_patterns", "qr_cities", "qr_interop_rules", "qr_fee_rates",
	"qr_statement_formats", "qr_statement_batches", "qr_recon_runs", "qr_recon_breaks",
	"qr_recon_settings", "qr_recon_fee_rates", "qr_fx_rates"
};

#define TABLE_BIT(t) (1 << (t))
/* the tables the cache reads, which the guard and invalidation serve */
#define CACHED_TABLES (TABLE_BIT(TABLE_FEE_RATES) - 1)
/* the tables qr_catalog_audit records */
#define CATALOG_TABLES (TABLE_BIT(TABLE_FORMATS) - 1)
/* the tables qr_recon_audit records */
#define BACK_OFFICE_TABLES ((TABLE_BIT(TABLE_COUNT) - 1) & ~CATALOG_TABLES)

/* A relation as messages name it; any temporary schema is pg_temp. */
static char *
relation_label(Relation rel)
{
	Oid			nsp = RelationGetNamespace(rel);
	char	   *nspname = isAnyTempNamespace(nsp) ? "pg_temp" : get_namespace_name(nsp);

	return quote_qualified_identifier(nspname ? nspname : "?", RelationGetRelationName(rel));
}

static const char *
firing_label(TriggerEvent ev)
{
	const char *timing = TRIGGER_FIRED_BEFORE(ev) ? "BEFORE" :
						 TRIGGER_FIRED_AFTER(ev) ? "AFTER" : "INSTEAD OF";
	const char *event = TRIGGER_FIRED_BY_INSERT(ev) ? "INSERT" :
						TRIGGER_FIRED_BY_UPDATE(ev) ? "UPDATE" :
						TRIGGER_FIRED_BY_DELETE(ev) ? "DELETE" :
						TRIGGER_FIRED_BY_TRUNCATE(ev) ? "TRUNCATE" : "an unknown event";

	return psprintf("%s %s FOR EACH %s", timing, event,
					TRIGGER_FIRED_FOR_ROW(ev) ? "ROW" : "STATEMENT");
}

/*
 * The trigger data of a call of trigger function fn, after checking that
 * it is called as a trigger on one of the extension's tables in the mask
 * tables; *which receives the table.
 */
static TriggerData *
catalog_trigger(FunctionCallInfo fcinfo, const char *fn, int tables, catalog_table *which)
{
	TriggerData *td;
	Oid			nsp;
	Oid			relid;
	StringInfoData names;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("%s() must be called as a trigger", fn)));
	td = (TriggerData *) fcinfo->context;
	nsp = extension_schema(fcinfo);
	relid = RelationGetRelid(td->tg_relation);
	for (int t = 0; t < TABLE_COUNT; t++)
		if ((tables & TABLE_BIT(t)) && get_relname_relid(catalog_table_names[t], nsp) == relid)
		{
			*which = (catalog_table) t;
			return td;
		}

	initStringInfo(&names);
	for (int t = 0; t < TABLE_COUNT; t++)
		if (tables & TABLE_BIT(t))
			appendStringInfo(&names, "%s%s", names.len ? ", " : "", catalog_table_names[t]);
	ereport(ERROR,
			(errcode(ERRCODE_WRONG_OBJECT_TYPE),
			 errmsg("trigger \"%s\" on %s cannot call %s(): that is not a qrpay catalog table it serves",
					td->tg_trigger->tgname, relation_label(td->tg_relation), fn),
			 errdetail("%s() serves only the extension's own tables of schema \"%s\": %s.",
					   fn, get_namespace_name(nsp), names.data),
			 errhint("Drop the trigger; the extension attaches its trigger functions to its tables itself.")));
	pg_unreachable();
}

/* The trigger fires as fn was written for (expected), or it errors. */
static void
require_firing(TriggerData *td, const char *fn, bool fits, const char *expected)
{
	if (!fits)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("trigger \"%s\" on %s fires %s, which %s() is not written for",
						td->tg_trigger->tgname, relation_label(td->tg_relation),
						firing_label(td->tg_event), fn),
				 errdetail("%s() must fire %s.", fn, expected),
				 errhint("Drop the trigger; the extension attaches its trigger functions to its tables itself.")));
}

/*
 * The number of column col of a catalog table, which must be of type
 * type: true of the extension's tables unless someone altered them.
 */
static int
catalog_attnum(Relation rel, const char *col, Oid type)
{
	TupleDesc	desc = RelationGetDescr(rel);
	int			att = SPI_fnumber(desc, col);

	if (att <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the qrpay catalog table %s has been altered", relation_label(rel)),
				 errdetail("It has no column \"%s\".", col),
				 errhint("Reinstall the extension: DROP EXTENSION qrpay; CREATE EXTENSION qrpay.")));
	if (TupleDescAttr(desc, att - 1)->atttypid != type)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the qrpay catalog table %s has been altered", relation_label(rel)),
				 errdetail("Column \"%s\" is of type %s, not %s.", col,
						   format_type_be(TupleDescAttr(desc, att - 1)->atttypid),
						   format_type_be(type)),
				 errhint("Reinstall the extension: DROP EXTENSION qrpay; CREATE EXTENSION qrpay.")));
	return att;
}

/* A text column of a row as a C string, NULL when NULL. */
static char *
row_text(TriggerData *td, HeapTuple tup, const char *col)
{
	int			att = catalog_attnum(td->tg_relation, col, TEXTOID);
	bool		isnull;
	Datum		d = heap_getattr(tup, att, RelationGetDescr(td->tg_relation), &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

/* A rule id or city name in a message; NULL ones fail NOT NULL later. */
#define SHOWN(s) ((s) ? (s) : "(null)")

static bool
row_shipped(TriggerData *td, HeapTuple tup)
{
	int			att = catalog_attnum(td->tg_relation, "shipped", BOOLOID);
	bool		isnull;
	Datum		d = heap_getattr(tup, att, RelationGetDescr(td->tg_relation), &isnull);

	return !isnull && DatumGetBool(d);
}

/* Is this call made by the extension's own install or update script? */
static bool
own_script(FunctionCallInfo fcinfo)
{
	return creating_extension &&
		   CurrentExtensionObject == getExtensionOfObject(ProcedureRelationId, fcinfo->flinfo->fn_oid);
}

/*
 * AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ... FOR EACH STATEMENT on
 * the catalog tables: invalidate the table's relcache entry, which every
 * backend's callback turns into a cache reload.
 */
Datum
qr_catalog_invalidate(PG_FUNCTION_ARGS)
{
	const char *fn = "qr_catalog_invalidate";
	catalog_table which;
	TriggerData *td = catalog_trigger(fcinfo, fn, CACHED_TABLES, &which);

	require_firing(td, fn, TRIGGER_FIRED_AFTER(td->tg_event) && TRIGGER_FIRED_FOR_STATEMENT(td->tg_event),
				   "AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE FOR EACH STATEMENT");
	CacheInvalidateRelcacheByRelid(RelationGetRelid(td->tg_relation));
	return PointerGetDatum(NULL);
}

/*
 * The cities of a rule, each resolved to its qr_cities name (so "beijing"
 * and "北京" are stored as "Beijing"); an unknown city is an error.  This
 * reads the cache, so it sees the cities committed before the statement
 * (and the transaction's own); whether they still exist when the
 * statement ends is qr_rule_cities_check's business.
 */
static HeapTuple
canonical_cities(FunctionCallInfo fcinfo, TriggerData *td, HeapTuple tup)
{
	TupleDesc	desc = RelationGetDescr(td->tg_relation);
	int			att = catalog_attnum(td->tg_relation, "cities", TEXTARRAYOID);
	bool		isnull;
	Datum		d;
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	Datum		repl;
	bool		repl_null = false;

	d = heap_getattr(tup, att, desc, &isnull);
	if (isnull)
		return tup;
	deconstruct_array(DatumGetArrayTypeP(d), TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	for (int i = 0; i < n; i++)
	{
		char	   *name;
		int			city;

		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("rule \"%s\" lists a NULL city", SHOWN(row_text(td, tup, "id"))),
					 errhint("Use cities = NULL for a nationwide rule.")));
		name = TextDatumGetCString(elems[i]);
		city = qrpay_city_lookup(fcinfo, name, strlen(name));
		if (city < 0)
			ereport(ERROR,
					(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
					 errmsg("unknown city \"%s\" in rule \"%s\"", name, SHOWN(row_text(td, tup, "id"))),
					 errhint("Cities are the names, Chinese names or aliases of qr_cities; add the city there first.")));
		elems[i] = CStringGetTextDatum(qrpay_city_name(city));
	}
	repl = PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
	return heap_modify_tuple_by_cols(tup, desc, 1, &att, &repl, &repl_null);
}

/*
 * BEFORE ... FOR EACH ROW on the catalog tables, and BEFORE TRUNCATE.
 *
 * Shipped rows (shipped = true) come with the extension and are not
 * dumped (pg_extension_config_dump filters them out), so an edit to one
 * would silently vanish in a dump and restore: they are read-only outside
 * the extension's own scripts, and users add rows of their own instead.
 * Patterns are checked here so that a bad glob is refused when it is
 * written, with a message saying why, not when a query later uses it.
 */
Datum
qr_catalog_guard(PG_FUNCTION_ARGS)
{
	const char *fn = "qr_catalog_guard";
	catalog_table which;
	TriggerData *td = catalog_trigger(fcinfo, fn, CACHED_TABLES, &which);
	TriggerEvent ev = td->tg_event;
	const char *table = catalog_table_names[which];
	HeapTuple	newtup = NULL;

	require_firing(td, fn,
				   TRIGGER_FIRED_BEFORE(ev) &&
				   (TRIGGER_FIRED_FOR_ROW(ev) ? !TRIGGER_FIRED_BY_TRUNCATE(ev) : TRIGGER_FIRED_BY_TRUNCATE(ev)),
				   "BEFORE INSERT OR UPDATE OR DELETE FOR EACH ROW, or BEFORE TRUNCATE FOR EACH STATEMENT");
	if (TRIGGER_FIRED_FOR_ROW(ev))
		newtup = TRIGGER_FIRED_BY_UPDATE(ev) ? td->tg_newtuple : td->tg_trigtuple;
	if (own_script(fcinfo))
		return PointerGetDatum(newtup);

	if (TRIGGER_FIRED_BY_TRUNCATE(ev))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("cannot truncate %s: it holds the rows shipped with qrpay", table),
				 errhint("Delete your own rows with DELETE FROM %s WHERE NOT shipped.", table)));

	if (TRIGGER_FIRED_BY_UPDATE(ev) || TRIGGER_FIRED_BY_DELETE(ev))
	{
		if (row_shipped(td, td->tg_trigtuple))
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("cannot %s a row shipped with qrpay in %s",
							TRIGGER_FIRED_BY_UPDATE(ev) ? "update" : "delete", table),
					 errdetail("Shipped rows come back with the extension on restore, so a change to one would not survive pg_dump."),
					 errhint("Add a row of your own instead; it is dumped and restored with your data.")));
	}
	if (TRIGGER_FIRED_BY_DELETE(ev))
		return PointerGetDatum(newtup);
	if (row_shipped(td, newtup))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("rows of %s with shipped = true are written only by the extension", table),
				 errhint("Leave shipped at its default, false.")));
	if (which == TABLE_RULES)
		newtup = canonical_cities(fcinfo, td, newtup);
	if (which == TABLE_PATTERNS)
	{
		char	   *pattern = row_text(td, newtup, "pattern");
		const char *why = pattern ? qr_glob_check(pattern, strlen(pattern)) : NULL;

		if (why)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid provider pattern \"%s\": %s", pattern, why),
					 errhint("Patterns are globs: * any run, ? one character, [a-z] or [!0-9] a class, \\ escapes; letters match either case.")));
	}
	return PointerGetDatum(newtup);
}

/* ------------------------------------------------------------------ */
/* Rule -> city references                                             */
/* ------------------------------------------------------------------ */

/*
 * qr_interop_rules.cities names qr_cities rows, but an array cannot carry
 * a foreign key, so two AFTER ROW triggers do what RI_FKey_check and
 * RI_FKey_noaction_del do: the rule side locks the cities it names FOR
 * KEY SHARE (a concurrent DELETE of one waits for the rule's transaction,
 * then finds the rule), the city side looks for rules naming the city
 * FOR KEY SHARE under the latest snapshot (a rule committed after a
 * REPEATABLE READ snapshot is found too).  AFTER ROW, because only at the
 * end of the statement are its other rows' effects visible: a CTE that
 * inserts a rule and deletes its city is refused.  The BEFORE ROW guard
 * still resolves spellings to city names from the cache.
 *
 * Restore.  pg_dump sorts the data of the extension's configuration tables
 * by type and name, and along real foreign keys between them
 * (processExtensionTables), so a plain pg_restore loads qr_cities before
 * qr_interop_rules, as it loads qr_providers before the tables that name
 * providers.  But those orderings are not dependencies in the archive:
 * pg_restore -j loads every configuration table at once, each in its own
 * session and transaction.  Rules may then be written before their cities
 * are committed, and no check can tell that apart from a rule naming a
 * city that will never come: deferring it to the end of the rules'
 * transaction does not help, the cities' transaction may not have begun.
 * (The foreign keys to qr_providers have the same race, hidden by their
 * checks running only at the end of each COPY.)  The sound way is to give
 * the order back: restore the data of the configuration tables in one
 * serial pass, then the rest in parallel, as test/dump_upgrade.sh does
 * with pg_restore -L.
 */

/* A plan kept for the backend, prepared again when its text changes. */
typedef struct kept_plan
{
	char	   *query;
	SPIPlanPtr	plan;
} kept_plan;

static kept_plan rule_check_plan;
static kept_plan city_check_plan;

static SPIPlanPtr
plan_for(kept_plan *kp, const char *query, Oid argtype)
{
	SPIPlanPtr	plan;

	if (kp->plan && strcmp(kp->query, query) == 0)
		return kp->plan;
	if (kp->plan)
	{
		SPI_freeplan(kp->plan);
		pfree(kp->query);
		kp->plan = NULL;
	}
	plan = SPI_prepare(query, 1, &argtype);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed for \"%s\": %s", query, SPI_result_code_string(SPI_result));
	SPI_keepplan(plan);
	kp->query = MemoryContextStrdup(TopMemoryContext, query);
	kp->plan = plan;
	return plan;
}

/*
 * Run a check query (SPI connected) as the owner of the table it reads,
 * as ri_PerformCheck does.  detect_new_rows: under REPEATABLE READ or
 * SERIALIZABLE read the latest snapshot, with the transaction snapshot as
 * crosscheck, to find rows committed after the transaction began.
 * Otherwise SPI takes a new snapshot (the transaction's, under REPEATABLE
 * READ: a row locked there that a concurrent transaction deleted is a
 * serialization failure).
 */
static int
execute_as_owner(Oid owner, kept_plan *kp, const char *query, Oid argtype, Datum arg,
				 Snapshot test_snapshot, Snapshot crosscheck_snapshot, long limit)
{
	Oid			save_userid;
	int			save_sec_context;
	volatile int ret = 0;

	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(owner, save_sec_context | OWNER_SEC_CONTEXT);
	PG_TRY();
	{
		SPIPlanPtr	plan = plan_for(kp, query, argtype);

		ret = SPI_execute_snapshot(plan, &arg, NULL, test_snapshot, crosscheck_snapshot,
								   false, false, limit);
	}
	PG_FINALLY();
	{
		SetUserIdAndSecContext(save_userid, save_sec_context);
	}
	PG_END_TRY();
	return ret;
}

static uint64
run_check(Oid relid, kept_plan *kp, const char *query, Oid argtype, Datum arg,
		  bool detect_new_rows, long limit)
{
	Snapshot	test_snapshot = InvalidSnapshot;
	Snapshot	crosscheck_snapshot = InvalidSnapshot;
	int			ret;

	if (IsolationUsesXactSnapshot() && detect_new_rows)
	{
		CommandCounterIncrement();	/* see all of this transaction's work */
		test_snapshot = GetLatestSnapshot();
		crosscheck_snapshot = GetTransactionSnapshot();
	}
	ret = execute_as_owner(relation_owner(relid), kp, query, argtype, arg,
						   test_snapshot, crosscheck_snapshot, limit);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_snapshot returned %s", SPI_result_code_string(ret));
	return SPI_processed;
}

/* The OID of the extension's table name, or an error if it is missing. */
static Oid
catalog_relid(Oid nsp, const char *name)
{
	Oid			relid = get_relname_relid(name, nsp);

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("the qrpay catalog table %s is missing from schema \"%s\"",
						name, get_namespace_name(nsp)),
				 errhint("Reinstall the extension: DROP EXTENSION qrpay; CREATE EXTENSION qrpay.")));
	return relid;
}

/*
 * AFTER INSERT OR UPDATE OF cities ON qr_interop_rules FOR EACH ROW:
 * every city the rule names is a row of qr_cities, locked FOR KEY SHARE
 * until the transaction ends.
 */
Datum
qr_rule_cities_check(PG_FUNCTION_ARGS)
{
	const char *fn = "qr_rule_cities_check";
	catalog_table which;
	TriggerData *td = catalog_trigger(fcinfo, fn, TABLE_BIT(TABLE_RULES), &which);
	TriggerEvent ev = td->tg_event;
	Relation	rel = td->tg_relation;
	bool		update = TRIGGER_FIRED_BY_UPDATE(ev);
	HeapTuple	tup;
	TupleTableSlot *slot;
	int			att;
	bool		isnull;
	Datum		cities;
	char	  **names;
	char	   *missing = NULL;
	int			n;
	Oid			nsp;
	char	   *query;
	MemoryContext cxt = CurrentMemoryContext;

	require_firing(td, fn, TRIGGER_FIRED_AFTER(ev) && TRIGGER_FIRED_FOR_ROW(ev) &&
				   (TRIGGER_FIRED_BY_INSERT(ev) || update),
				   "AFTER INSERT OR UPDATE FOR EACH ROW");
	tup = update ? td->tg_newtuple : td->tg_trigtuple;
	slot = update ? td->tg_newslot : td->tg_trigslot;
	att = catalog_attnum(rel, "cities", TEXTARRAYOID);

	/*
	 * A row that a later command of this transaction updated or deleted is
	 * checked by that command's trigger, if at all (as in RI_FKey_check).
	 */
	if (slot == NULL || !table_tuple_satisfies_snapshot(rel, slot, SnapshotSelf))
		return PointerGetDatum(NULL);
	cities = heap_getattr(tup, att, RelationGetDescr(rel), &isnull);
	if (isnull)
		return PointerGetDatum(NULL);	/* nationwide */
	names = text_array_strings(cities, &n);
	if (n == 0)
		return PointerGetDatum(NULL);

	nsp = extension_schema(fcinfo);
	query = psprintf("SELECT x.name FROM %s.qr_cities x WHERE x.name OPERATOR(pg_catalog.=) ANY ($1) "
					 "FOR KEY SHARE OF x",
					 quote_identifier(get_namespace_name(nsp)));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	run_check(catalog_relid(nsp, "qr_cities"), &rule_check_plan, query, TEXTARRAYOID, cities, false, 0);
	for (int k = 0; k < n && missing == NULL; k++)
	{
		bool		found = false;

		for (uint64 i = 0; i < SPI_processed && !found; i++)
		{
			char	   *name = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);

			found = name && strcmp(name, names[k]) == 0;
		}
		if (!found)
			missing = MemoryContextStrdup(cxt, names[k]);
	}
	SPI_finish();
	if (missing)
		ereport(ERROR,
				(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
				 errmsg("rule \"%s\" names city \"%s\", which is not in qr_cities",
						SHOWN(row_text(td, tup, "id")), missing),
				 errdetail("The city was deleted or renamed by this statement or by a transaction that committed since it was read."),
				 errhint("Rules may name only cities of qr_cities; add the city there first.")));
	return PointerGetDatum(NULL);
}

/*
 * AFTER DELETE OR UPDATE OF name ON qr_cities FOR EACH ROW: a city some
 * rule names is neither deleted nor renamed.
 */
Datum
qr_city_references_check(PG_FUNCTION_ARGS)
{
	const char *fn = "qr_city_references_check";
	catalog_table which;
	TriggerData *td = catalog_trigger(fcinfo, fn, TABLE_BIT(TABLE_CITIES), &which);
	TriggerEvent ev = td->tg_event;
	char	   *name;
	char	   *rule = NULL;
	Oid			nsp;
	char	   *query;
	MemoryContext cxt = CurrentMemoryContext;

	require_firing(td, fn, TRIGGER_FIRED_AFTER(ev) && TRIGGER_FIRED_FOR_ROW(ev) &&
				   (TRIGGER_FIRED_BY_DELETE(ev) || TRIGGER_FIRED_BY_UPDATE(ev)),
				   "AFTER DELETE OR UPDATE FOR EACH ROW");
	name = row_text(td, td->tg_trigtuple, "name");
	if (name == NULL)
		return PointerGetDatum(NULL);
	if (TRIGGER_FIRED_BY_UPDATE(ev))
	{
		char	   *newname = row_text(td, td->tg_newtuple, "name");

		if (newname && strcmp(name, newname) == 0)
			return PointerGetDatum(NULL);
	}

	nsp = extension_schema(fcinfo);
	query = psprintf("SELECT x.id FROM %s.qr_interop_rules x "
					 "WHERE x.cities OPERATOR(pg_catalog.@>) ARRAY[$1]::pg_catalog.text[] "
					 "FOR KEY SHARE OF x",
					 quote_identifier(get_namespace_name(nsp)));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (run_check(catalog_relid(nsp, "qr_interop_rules"), &city_check_plan, query, TEXTOID,
				  CStringGetTextDatum(name), true, 1) > 0)
	{
		char	   *id = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);

		rule = MemoryContextStrdup(cxt, SHOWN(id));
	}
	SPI_finish();
	if (rule)
		ereport(ERROR,
				(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
				 errmsg("city \"%s\" is named by rule \"%s\"", name, rule),
				 errhint("Change or delete the rules that name it first.")));
	return PointerGetDatum(NULL);
}

/*
 * AFTER INSERT OR UPDATE OR DELETE ... FOR EACH ROW, or AFTER TRUNCATE ...
 * FOR EACH STATEMENT, on one of the tables in the mask tables: one row of
 * the audit table audit (in the extension's schema) per change.
 *
 * Written in C rather than as a SECURITY DEFINER function because "who"
 * must be the role that made the change, and inside a SECURITY DEFINER
 * function current_user is the function's owner.  Here the caller's user
 * id is read first, and only the INSERT runs as the audit table's owner,
 * so no other role needs (or gets) any privilege on that table.
 */
static Datum
audit_change(FunctionCallInfo fcinfo, const char *fn, int tables, const char *audit)
{
	catalog_table which;
	TriggerData *td = catalog_trigger(fcinfo, fn, tables, &which);
	TriggerEvent ev = td->tg_event;
	Oid			nsp = extension_schema(fcinfo);
	Oid			reltype = td->tg_relation->rd_rel->reltype;
	TupleDesc	desc = RelationGetDescr(td->tg_relation);
	HeapTuple	oldtup = NULL,
				newtup = NULL;
	const char *op;
	Oid			audit_relid,
				save_userid;
	int			save_sec_context,
				ret;
	Datum		args[6];
	char		argnulls[6] = {' ', ' ', ' ', ' ', ' ', ' '};
	Oid			argtypes[6] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, reltype, reltype};
	char	   *query;

	require_firing(td, fn,
				   TRIGGER_FIRED_AFTER(ev) &&
				   (TRIGGER_FIRED_BY_TRUNCATE(ev) ? !TRIGGER_FIRED_FOR_ROW(ev) : TRIGGER_FIRED_FOR_ROW(ev)),
				   "AFTER INSERT OR UPDATE OR DELETE FOR EACH ROW, or AFTER TRUNCATE FOR EACH STATEMENT");
	if (TRIGGER_FIRED_BY_INSERT(ev))
	{
		op = "INSERT";
		newtup = td->tg_trigtuple;
	}
	else if (TRIGGER_FIRED_BY_UPDATE(ev))
	{
		op = "UPDATE";
		oldtup = td->tg_trigtuple;
		newtup = td->tg_newtuple;
	}
	else if (TRIGGER_FIRED_BY_DELETE(ev))
	{
		op = "DELETE";
		oldtup = td->tg_trigtuple;
	}
	else
		op = "TRUNCATE";

	audit_relid = get_relname_relid(audit, nsp);
	if (!OidIsValid(audit_relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("the qrpay audit table %s is missing from schema \"%s\"",
						audit, get_namespace_name(nsp)),
				 errhint("Reinstall the extension: DROP EXTENSION qrpay; CREATE EXTENSION qrpay.")));

	/* who: the role in effect for the change, and the login behind it */
	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	args[0] = CStringGetTextDatum(catalog_table_names[which]);
	args[1] = CStringGetTextDatum(op);
	args[2] = CStringGetTextDatum(GetUserNameFromId(save_userid, false));
	args[3] = CStringGetTextDatum(GetUserNameFromId(GetSessionUserId(), false));
	args[4] = oldtup ? heap_copy_tuple_as_datum(oldtup, desc) : (Datum) 0;
	args[5] = newtup ? heap_copy_tuple_as_datum(newtup, desc) : (Datum) 0;
	if (!oldtup)
		argnulls[4] = 'n';
	if (!newtup)
		argnulls[5] = 'n';
	query = psprintf("INSERT INTO %s.%s "
					 "(table_name, operation, role_name, session_role, old_row, new_row) "
					 "VALUES ($1, $2, $3, $4, pg_catalog.to_jsonb($5), pg_catalog.to_jsonb($6))",
					 quote_identifier(get_namespace_name(nsp)), audit);

	SetUserIdAndSecContext(relation_owner(audit_relid), save_sec_context | OWNER_SEC_CONTEXT);
	PG_TRY();
	{
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		if ((ret = SPI_execute_with_args(query, 6, argtypes, args, argnulls, false, 0)) != SPI_OK_INSERT)
			elog(ERROR, "writing %s failed: %d", audit, ret);
		SPI_finish();
	}
	PG_FINALLY();
	{
		SetUserIdAndSecContext(save_userid, save_sec_context);
	}
	PG_END_TRY();
	return PointerGetDatum(NULL);
}

/* the catalog tables and qr_fee_rates: qr_catalog_audit */
Datum
qr_catalog_audit(PG_FUNCTION_ARGS)
{
	return audit_change(fcinfo, "qr_catalog_audit", CATALOG_TABLES, "qr_catalog_audit");
}

/*
 * The back office's tables (statement formats and batches, reconciliation
 * runs, breaks, the reconciliation settings and rates): qr_recon_audit.
 * Statement lines and run results are not audited row by row: lines are
 * written once with their batch and results once with their run, and
 * neither can change afterwards.
 */
Datum
qr_recon_audit(PG_FUNCTION_ARGS)
{
	return audit_change(fcinfo, "qr_recon_audit", BACK_OFFICE_TABLES, "qr_recon_audit");
}

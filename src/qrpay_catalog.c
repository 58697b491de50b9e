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
 * The cache is filled with SPI under the current snapshot.  Under
 * REPEATABLE READ or SERIALIZABLE that snapshot may predate a commit whose
 * invalidation was already processed, so such a fill only serves its own
 * transaction.
 *
 * Matching never scans the catalog per row: patterns are grouped by kind,
 * the verdict for an EMVCo GUID, tag, CPM AID or format — identifiers that
 * repeat across millions of codes — is remembered per identifier, and the
 * text[] of each distinct provider list is built once.
 */
#include "postgres.h"

#include "access/xact.h"
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
#include "utils/timestamp.h"

#include "qrpay.h"
#include "qrpay_catalog.h"

PG_FUNCTION_INFO_V1(qr_networks);
PG_FUNCTION_INFO_V1(qr_provider);
PG_FUNCTION_INFO_V1(qr_identifiers);
PG_FUNCTION_INFO_V1(qr_catalog_invalidate);
PG_FUNCTION_INFO_V1(qr_catalog_guard);

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

typedef struct catalog_cache
{
	bool		valid;
	bool		xact_scoped;	/* filled under a transaction snapshot */
	LocalTransactionId lxid;
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

static void ensure(FunctionCallInfo fcinfo);

static void
catalog_relcache_callback(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == cache.providers_relid ||
		relid == cache.patterns_relid || relid == cache.cities_relid ||
		relid == cache.rules_relid)
		cache.valid = false;
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

/* Cities and rules, when this installation has the routing tables. */
static void
fill_routing(const char *schema)
{
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
	appendStringInfo(&q, "SELECT name, name_zh, aliases FROM %s.qr_cities ORDER BY name COLLATE \"C\"", schema);
	if ((ret = SPI_execute(q.data, true, 0)) != SPI_OK_SELECT)
		elog(ERROR, "reading qr_cities failed: %d", ret);
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
				cap += ArrayGetNItems(ARR_NDIM(DatumGetArrayTypeP(al)), ARR_DIMS(DatumGetArrayTypeP(al)));
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
			Datum	   *elems;
			bool	   *nulls;
			int			ne;

			deconstruct_array(DatumGetArrayTypeP(al), TEXTOID, -1, false, TYPALIGN_INT,
							  &elems, &nulls, &ne);
			for (int k = 0; k < ne; k++)
				if (!nulls[k])
					add_city_key(&nkeys, TextDatumGetCString(elems[k]), i);
		}
	}
	qsort(cache.city_keys, nkeys, sizeof(city_key), cmp_city_key);
	cache.ncity_keys = nkeys;
	MemoryContextSwitchTo(old);

	resetStringInfo(&q);
	appendStringInfo(&q,
					 "SELECT id, payer, payee, via, lower(valid_during), lower_inc(valid_during), "
					 "upper(valid_during), upper_inc(valid_during), cities, scenario, priority, allowed, source "
					 "FROM %s.qr_interop_rules", schema);
	if ((ret = SPI_execute(q.data, true, 0)) != SPI_OK_SELECT)
		elog(ERROR, "reading qr_interop_rules failed: %d", ret);
	old = MemoryContextSwitchTo(cache.cxt);
	cache.rules = palloc0(sizeof(qr_rule) * (SPI_processed + 1));
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	td = SPI_tuptable->tupdesc;
		qr_rule    *r = &cache.rules[cache.nrules];
		char	   *via = SPI_getvalue(tup, td, 4);
		char	   *sc = SPI_getvalue(tup, td, 10);
		bool		isnull,
					nationwide;
		Datum		cities = SPI_getbinval(tup, td, 9, &nationwide);

		r->id = pstrdup(SPI_getvalue(tup, td, 1));
		r->payer = provider_index(SPI_getvalue(tup, td, 2));
		r->payee = provider_index(SPI_getvalue(tup, td, 3));
		r->via = via ? provider_index(via) : -1;
		r->from = bound_value(tup, td, 5, 6, true);
		r->until = bound_value(tup, td, 7, 8, false);
		r->scenario = (qr_scenario) qr_scenario_parse(sc, strlen(sc));
		r->priority = DatumGetInt32(SPI_getbinval(tup, td, 11, &isnull));
		r->allowed = DatumGetBool(SPI_getbinval(tup, td, 12, &isnull));
		r->source = pstrdup(SPI_getvalue(tup, td, 13));
		r->ncities = -1;
		if (r->payer < 0 || r->payee < 0 || (int) r->scenario < 0)
			continue;			/* the foreign keys and checks forbid these */
		if (!nationwide)
		{
			Datum	   *elems;
			bool	   *nulls;
			int			ne,
						nc = 0;
			int		   *cs;

			deconstruct_array(DatumGetArrayTypeP(cities), TEXTOID, -1, false, TYPALIGN_INT,
							  &elems, &nulls, &ne);
			cs = palloc(sizeof(int) * (ne + 1));
			for (int k = 0; k < ne; k++)
			{
				char	   *name;
				city_key	probe;
				city_key   *hit;

				if (nulls[k])
					continue;
				name = TextDatumGetCString(elems[k]);
				probe.key = qrpay_city_key(name, strlen(name));
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

static void
fill(FunctionCallInfo fcinfo)
{
	Oid			nsp = extension_schema(fcinfo);
	const char *schema;
	StringInfoData q;
	MemoryContext old;
	int			ret;

	if (!callback_registered)
	{
		CacheRegisterRelcacheCallback(catalog_relcache_callback, (Datum) 0);
		callback_registered = true;
	}
	if (cache.cxt == NULL)
		cache.cxt = AllocSetContextCreate(CacheMemoryContext, "qrpay provider catalog",
										  ALLOCSET_SMALL_SIZES);
	MemoryContextReset(cache.cxt);
	cache.valid = false;
	cache.nsp = nsp;
	cache.providers_relid = get_relname_relid("qr_providers", nsp);
	cache.patterns_relid = get_relname_relid("qr_provider_patterns", nsp);
	if (!OidIsValid(cache.providers_relid) || !OidIsValid(cache.patterns_relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("the qrpay provider catalog tables are missing from schema \"%s\"",
						get_namespace_name(nsp)),
				 errhint("Reinstall the extension: DROP EXTENSION qrpay; CREATE EXTENSION qrpay.")));
	schema = quote_identifier(get_namespace_name(nsp));

	if ((ret = SPI_connect()) != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed: %d", ret);

	initStringInfo(&q);
	appendStringInfo(&q, "SELECT code FROM %s.qr_providers ORDER BY code COLLATE \"C\"", schema);
	if ((ret = SPI_execute(q.data, true, 0)) != SPI_OK_SELECT)
		elog(ERROR, "reading qr_providers failed: %d", ret);
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
					 "SELECT provider, kind, pattern, country, coalesce(min_length, 0), coalesce(max_length, 0) "
					 "FROM %s.qr_provider_patterns ORDER BY provider COLLATE \"C\", kind, pattern COLLATE \"C\"",
					 schema);
	if ((ret = SPI_execute(q.data, true, 0)) != SPI_OK_SELECT)
		elog(ERROR, "reading qr_provider_patterns failed: %d", ret);
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

		p->provider = provider_index(prov);
		p->kind = (qr_idkind) qr_idkind_parse(kind, strlen(kind));
		if (p->provider < 0 || p->kind == 0)
			continue;			/* the foreign key and the kind check forbid these */
		p->pattern = pstrdup(pat);
		p->plen = strlen(pat);
		if (country && strlen(country) == 2)
			memcpy(p->country, country, 3);
		p->lit_len = qr_glob_literal_prefix(p->pattern, p->plen);
		p->min_len = atoi(SPI_getvalue(tup, td, 5));
		p->max_len = atoi(SPI_getvalue(tup, td, 6));
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
	cache.cities_relid = get_relname_relid("qr_cities", nsp);
	cache.rules_relid = get_relname_relid("qr_interop_rules", nsp);
	fill_routing(schema);
	SPI_finish();

	generation++;
	cache.xact_scoped = IsolationUsesXactSnapshot();
	cache.lxid = MyProc->lxid;
	cache.valid = true;
}

static void
ensure(FunctionCallInfo fcinfo)
{
	if (cache.valid && cache.xact_scoped && cache.lxid != MyProc->lxid)
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
 * AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ... FOR EACH STATEMENT on
 * the catalog tables: invalidate the table's relcache entry, which every
 * backend's callback turns into a cache reload.
 */
Datum
qr_catalog_invalidate(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("qr_catalog_invalidate() must be called as a trigger")));
	CacheInvalidateRelcacheByRelid(RelationGetRelid(td->tg_relation));
	return PointerGetDatum(NULL);
}

static bool
row_shipped(TriggerData *td, HeapTuple tup)
{
	bool		isnull;
	int			att = SPI_fnumber(td->tg_relation->rd_att, "shipped");
	Datum		d;

	if (att <= 0)
		return false;
	d = heap_getattr(tup, att, td->tg_relation->rd_att, &isnull);
	return !isnull && DatumGetBool(d);
}

static char *
row_text(TriggerData *td, HeapTuple tup, const char *col)
{
	int			att = SPI_fnumber(td->tg_relation->rd_att, col);

	return att > 0 ? SPI_getvalue(tup, td->tg_relation->rd_att, att) : NULL;
}

/*
 * The cities of a rule, each resolved to its qr_cities name (so "beijing"
 * and "北京" are stored as "Beijing"); an unknown city is an error.
 */
static HeapTuple
canonical_cities(FunctionCallInfo fcinfo, TriggerData *td, HeapTuple tup)
{
	TupleDesc	desc = td->tg_relation->rd_att;
	int			att = SPI_fnumber(desc, "cities");
	bool		isnull;
	Datum		d;
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	Datum		repl;
	bool		repl_null = false;

	if (att <= 0)
		return tup;
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
					 errmsg("rule \"%s\" lists a NULL city", row_text(td, tup, "id")),
					 errhint("Use cities = NULL for a nationwide rule.")));
		name = TextDatumGetCString(elems[i]);
		city = qrpay_city_lookup(fcinfo, name, strlen(name));
		if (city < 0)
			ereport(ERROR,
					(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
					 errmsg("unknown city \"%s\" in rule \"%s\"", name, row_text(td, tup, "id")),
					 errhint("Cities are the names, Chinese names or aliases of qr_cities; add the city there first.")));
		elems[i] = CStringGetTextDatum(qrpay_city_name(city));
	}
	repl = PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
	return heap_modify_tuple_by_cols(tup, desc, 1, &att, &repl, &repl_null);
}

/* A city some rule names cannot be deleted or renamed. */
static void
city_not_in_use(FunctionCallInfo fcinfo, const char *name)
{
	int			city = qrpay_city_lookup(fcinfo, name, strlen(name));

	if (city < 0)
		return;
	for (int i = 0; i < cache.nrules; i++)
		for (int k = 0; k < cache.rules[i].ncities; k++)
			if (cache.rules[i].cities[k] == city)
				ereport(ERROR,
						(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
						 errmsg("city \"%s\" is named by rule \"%s\"", name, cache.rules[i].id),
						 errhint("Change or delete the rules that name it first.")));
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
	TriggerData *td = (TriggerData *) fcinfo->context;
	const char *table;
	HeapTuple	newtup = NULL;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("qr_catalog_guard() must be called as a trigger")));
	table = RelationGetRelationName(td->tg_relation);
	if (TRIGGER_FIRED_FOR_ROW(td->tg_event))
		newtup = TRIGGER_FIRED_BY_UPDATE(td->tg_event) ? td->tg_newtuple : td->tg_trigtuple;
	if (creating_extension)
		return PointerGetDatum(newtup);

	if (TRIGGER_FIRED_BY_TRUNCATE(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("cannot truncate %s: it holds the rows shipped with qrpay", table),
				 errhint("Delete your own rows with DELETE FROM %s WHERE NOT shipped.", table)));

	if (TRIGGER_FIRED_BY_UPDATE(td->tg_event) || TRIGGER_FIRED_BY_DELETE(td->tg_event))
	{
		if (row_shipped(td, td->tg_trigtuple))
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("cannot %s a row shipped with qrpay in %s",
							TRIGGER_FIRED_BY_UPDATE(td->tg_event) ? "update" : "delete", table),
					 errdetail("Shipped rows come back with the extension on restore, so a change to one would not survive pg_dump."),
					 errhint("Add a row of your own instead; it is dumped and restored with your data.")));
	}
	if (strcmp(table, "qr_cities") == 0 &&
		(TRIGGER_FIRED_BY_DELETE(td->tg_event) ||
		 strcmp(row_text(td, td->tg_trigtuple, "name"), row_text(td, newtup, "name")) != 0))
		city_not_in_use(fcinfo, row_text(td, td->tg_trigtuple, "name"));
	if (TRIGGER_FIRED_BY_DELETE(td->tg_event))
		return PointerGetDatum(newtup);
	if (row_shipped(td, newtup))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("rows of %s with shipped = true are written only by the extension", table),
				 errhint("Leave shipped at its default, false.")));
	if (strcmp(table, "qr_interop_rules") == 0)
		newtup = canonical_cities(fcinfo, td, newtup);
	if (strcmp(table, "qr_provider_patterns") == 0)
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

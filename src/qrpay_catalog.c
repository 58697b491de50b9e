/*
 * qrpay_catalog.c — the provider catalog (qr_providers,
 * qr_provider_patterns) and the routing tables (qr_cities,
 * qr_interop_rules) cached in backend memory, and the functions that read
 * it: qr_networks, qr_provider, qr_identifiers.  The triggers of these
 * tables are in qrpay_guard.c.
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
 * the verdict for an EMVCo GUID, tag, CPM AID, BIC or format —
 * identifiers that repeat across millions of codes — is remembered per
 * identifier, and the text[] of each distinct provider list is built once.
 * Both memos are simplehash.h tables that grow as they learn, each in a
 * memory context of its own under the cache's, so that a refill frees
 * them with the rest and their size is what the contexts hold
 * (pg_backend_memory_contexts shows them).
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
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

/*
 * The identification memo: the providers of one identifier, keyed by its
 * kind, its value and the code's country (a pattern with a country
 * condition makes the verdict depend on it).  Only
 * identifiers of at most MEMO_VALUE_MAX bytes matched by at most
 * MEMO_MAX_PROVIDERS providers are remembered; the others are matched
 * every time.
 */
#define MEMO_VALUE_MAX 32
#define MEMO_MAX_PROVIDERS 8

/*
 * Kinds with this many patterns or fewer are matched every time: a
 * literal-prefix test per pattern costs less than hashing the identifier,
 * and far less than a memo too large for the CPU's caches (a BIC per bank
 * against the one shipped BIC pattern).
 */
#define MEMO_MIN_PATTERNS 4
#define MEMO_INITIAL 256		/* entries the table is first sized for */

/*
 * The memo grows with the distinct identifiers it meets, up to MEMO_BUDGET
 * bytes (a table of 65,536 entries, some 50,000 identifiers); one that
 * grows past it is emptied and learns again, so that a stream of distinct
 * identifiers costs a bounded amount of memory in every backend.
 */
#define MEMO_BUDGET (8 * 1024 * 1024)

/*
 * The key is zero-padded, so that equality compares the whole struct (a
 * fixed-size comparison the compiler expands in line).
 */
typedef struct memo_key
{
	int16		kind;
	int16		len;			/* of key */
	char		key[MEMO_VALUE_MAX + 4];	/* value, then the country or "--" */
} memo_key;

typedef struct memo_entry
{
	memo_key	key;
	uint32		hash;
	char		status;			/* simplehash.h's */
	int16		nprov;
	int			prov[MEMO_MAX_PROVIDERS];
} memo_entry;

static inline uint32
memo_key_hash(const memo_key *k)
{
	return hash_combine((uint32) k->kind, hash_bytes((const unsigned char *) k->key, k->len));
}

static inline bool
memo_key_equal(const memo_key *a, const memo_key *b)
{
	return memcmp(a, b, sizeof(memo_key)) == 0;
}

#define SH_PREFIX memo
#define SH_ELEMENT_TYPE memo_entry
#define SH_KEY_TYPE memo_key
#define SH_KEY key
#define SH_HASH_KEY(tb, k) memo_key_hash(&(k))
#define SH_EQUAL(tb, a, b) memo_key_equal(&(a), &(b))
#define SH_STORE_HASH
#define SH_GET_HASH(tb, a) ((a)->hash)
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

/*
 * A provider list and its text[] result, built once per catalog load: a
 * code table holds few distinct lists.  The table and its arrays live in
 * a context of their own; one that reaches ARRAY_BUDGET bytes starts again
 * empty.
 */
#define ARRAY_MAX_PROVIDERS 8
#define ARRAY_INITIAL 64
#define ARRAY_BUDGET (4 * 1024 * 1024)

/* zero-padded, as memo_key is */
typedef struct prov_list
{
	int			n;
	int			prov[ARRAY_MAX_PROVIDERS];
} prov_list;

typedef struct array_entry
{
	prov_list	key;
	uint32		hash;
	char		status;			/* simplehash.h's */
	ArrayType  *array;
} array_entry;

static inline uint32
prov_list_hash(const prov_list *l)
{
	return hash_bytes((const unsigned char *) l->prov, (int) (sizeof(int) * l->n)) ^ (uint32) l->n;
}

static inline bool
prov_list_equal(const prov_list *a, const prov_list *b)
{
	return memcmp(a, b, sizeof(prov_list)) == 0;
}

#define SH_PREFIX arrays
#define SH_ELEMENT_TYPE array_entry
#define SH_KEY_TYPE prov_list
#define SH_KEY key
#define SH_HASH_KEY(tb, k) prov_list_hash(&(k))
#define SH_EQUAL(tb, a, b) prov_list_equal(&(a), &(b))
#define SH_STORE_HASH
#define SH_GET_HASH(tb, a) ((a)->hash)
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

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
	MemoryContext cxt;			/* everything below; reset by each fill */
	int			nproviders;
	char	  **codes;			/* provider codes, sorted */
	Datum	   *code_datums;	/* the same as text */
	int			npatterns;
	qr_pattern *patterns;		/* sorted by kind */
	int			kind_start[QR_IDKIND_MAX + 2];
	MemoryContext memo_cxt;		/* child of cxt */
	memo_hash  *memo;
	MemoryContext arrays_cxt;	/* child of cxt */
	arrays_hash *arrays;
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

Oid
qrpay_extension_schema(FunctionCallInfo fcinfo)
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
size_t
qrpay_city_key(const char *s, size_t n, char *out)
{
	size_t		o = 0;

	for (size_t i = 0; i < n; i++)
	{
		char		c = s[i];

		if (c == ' ' || c == '\'' || c == '-' || c == '.')
			continue;
		out[o++] = (c >= 'A' && c <= 'Z') ? (char) (c + 32) : c;
	}
	out[o] = '\0';
	return o;
}

static int
cmp_city_key(const void *a, const void *b)
{
	return strcmp(((const city_key *) a)->key, ((const city_key *) b)->key);
}

/*
 * City number of a spelling in the loaded cache, -1 if none.  A short
 * spelling's key is written on the stack: no allocation per row.
 */
static int
find_city(const char *s, size_t n)
{
	city_key	probe;
	city_key   *hit;
	char		local[128];

	if (cache.ncity_keys == 0)
		return -1;
	probe.key = n < sizeof(local) ? local : palloc(n + 1);
	qrpay_city_key(s, n, probe.key);
	hit = bsearch(&probe, cache.city_keys, cache.ncity_keys, sizeof(city_key), cmp_city_key);
	if (probe.key != local)
		pfree(probe.key);
	return hit ? hit->city : -1;
}

int
qrpay_city_lookup(FunctionCallInfo fcinfo, const char *s, size_t n)
{
	ensure(fcinfo);
	return find_city(s, n);
}

const char *
qrpay_city_name(int city)
{
	return cache.city_names[city];
}

/* Called in cache.cxt. */
static void
add_city_key(int *n, const char *spelling, int city)
{
	size_t		len;

	if (spelling == NULL || spelling[0] == '\0')
		return;
	len = strlen(spelling);
	cache.city_keys[*n].key = palloc(len + 1);
	qrpay_city_key(spelling, len, cache.city_keys[*n].key);
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

char **
qrpay_text_array_strings(Datum d, int *count)
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

/* Room for every spelling of the cities SPI just read: two names and the aliases. */
static int
city_key_capacity(void)
{
	int			cap = (int) SPI_processed * 2 + 1;

	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		Datum		al = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 3, &isnull);

		if (!isnull)
		{
			ArrayType  *a = DatumGetArrayTypeP(al);

			cap += ArrayGetNItems(ARR_NDIM(a), ARR_DIMS(a));
		}
	}
	return cap;
}

/* The cities, and their spellings sorted by key for find_city(). */
static void
fill_cities(StringInfo q, const char *schema)
{
	static const Oid city_types[] = {TEXTOID, TEXTOID, TEXTARRAYOID};
	MemoryContext old;
	int			ret,
				nkeys = 0;

	resetStringInfo(q);
	appendStringInfo(q,
					 "SELECT x.name, x.name_zh, x.aliases FROM %s.qr_cities x "
					 "WHERE x.name IS NOT NULL ORDER BY x.name COLLATE pg_catalog.\"C\"", schema);
	if ((ret = SPI_execute(q->data, true, 0)) != SPI_OK_SELECT)
		elog(ERROR, "reading qr_cities failed: %d", ret);
	expect_types("qr_cities", city_types, lengthof(city_types));
	old = MemoryContextSwitchTo(cache.cxt);
	cache.ncities = (int) SPI_processed;
	cache.city_names = palloc(sizeof(char *) * (cache.ncities + 1));
	cache.city_keys = palloc(sizeof(city_key) * city_key_capacity());
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
			char	  **aliases = qrpay_text_array_strings(al, &ne);

			for (int k = 0; k < ne; k++)
				add_city_key(&nkeys, aliases[k], i);
		}
	}
	qsort(cache.city_keys, nkeys, sizeof(city_key), cmp_city_key);
	cache.ncity_keys = nkeys;
	MemoryContextSwitchTo(old);
}

/*
 * One row of the rules query as a rule, in cache.cxt.  False for a row
 * the constraints forbid (NULLs, unknown providers or scenario): it is
 * left out rather than dereferenced.
 */
static bool
rule_from_row(HeapTuple tup, TupleDesc td, qr_rule *r)
{
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

	if (!id || !payer || !payee || !sc || priority_null || allowed_null)
		return false;
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
		return false;
	if (!nationwide)
	{
		int			ne,
					nc = 0;
		char	  **names = qrpay_text_array_strings(cities, &ne);
		int		   *cs = palloc(sizeof(int) * (ne + 1));

		for (int k = 0; k < ne; k++)
		{
			int			city = find_city(names[k], strlen(names[k]));

			if (city >= 0)
				cs[nc++] = city;
		}
		qsort(cs, nc, sizeof(int), cmp_int);
		r->cities = cs;
		r->ncities = nc;
	}
	return true;
}

/* The rules, grouped by payer into cache.ruleset. */
static void
fill_rules(StringInfo q, const char *schema)
{
	static const Oid rule_types[] = {
		TEXTOID, TEXTOID, TEXTOID, TEXTOID,
		TIMESTAMPTZOID, BOOLOID, TIMESTAMPTZOID, BOOLOID,
		TEXTARRAYOID, TEXTOID, INT4OID, BOOLOID, TEXTOID
	};
	MemoryContext old;
	int			ret;

	resetStringInfo(q);
	appendStringInfo(q,
					 "SELECT x.id, x.payer, x.payee, x.via, "
					 "pg_catalog.lower(x.valid_during), pg_catalog.lower_inc(x.valid_during), "
					 "pg_catalog.upper(x.valid_during), pg_catalog.upper_inc(x.valid_during), "
					 "x.cities, x.scenario, x.priority, x.allowed, x.source "
					 "FROM %s.qr_interop_rules x", schema);
	if ((ret = SPI_execute(q->data, true, 0)) != SPI_OK_SELECT)
		elog(ERROR, "reading qr_interop_rules failed: %d", ret);
	expect_types("qr_interop_rules", rule_types, lengthof(rule_types));
	old = MemoryContextSwitchTo(cache.cxt);
	cache.rules = palloc0(sizeof(qr_rule) * (SPI_processed + 1));
	for (uint64 i = 0; i < SPI_processed; i++)
		if (rule_from_row(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, &cache.rules[cache.nrules]))
			cache.nrules++;
	pfree(cache.payer_start);
	cache.payer_start = palloc(sizeof(int) * (cache.nproviders + 1));
	qr_ruleset_build(&cache.ruleset, cache.rules, cache.nrules, cache.payer_start, cache.nproviders);
	cache.rule_id_datums = palloc(sizeof(Datum) * (cache.nrules + 1));
	for (int i = 0; i < cache.nrules; i++)
		cache.rule_id_datums[i] = CStringGetTextDatum(cache.rules[i].id);
	MemoryContextSwitchTo(old);
}

/*
 * Cities and rules, when this installation has the routing tables; an
 * empty rule set otherwise.
 */
static void
fill_routing(const char *schema)
{
	StringInfoData q;

	cache.ncities = 0;
	cache.ncity_keys = 0;
	cache.nrules = 0;
	cache.payer_start = MemoryContextAllocZero(cache.cxt, sizeof(int) * (cache.nproviders + 1));
	qr_ruleset_build(&cache.ruleset, NULL, 0, cache.payer_start, cache.nproviders);
	if (!OidIsValid(cache.cities_relid) || !OidIsValid(cache.rules_relid))
		return;
	initStringInfo(&q);
	fill_cities(&q, schema);
	fill_rules(&q, schema);
}

/*
 * One read of every catalog table into cache.cxt (reset first, which also
 * frees the memos of the previous fill), under the active
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
	MemoryContextSwitchTo(old);
	/* the memos start empty with each fill, in contexts the next fill frees */
	cache.memo_cxt = AllocSetContextCreate(cache.cxt, "qrpay identification memo",
										   ALLOCSET_DEFAULT_SIZES);
	cache.memo = memo_create(cache.memo_cxt, MEMO_INITIAL, NULL);
	cache.arrays_cxt = AllocSetContextCreate(cache.cxt, "qrpay provider arrays",
											 ALLOCSET_SMALL_SIZES);
	cache.arrays = arrays_create(cache.arrays_cxt, ARRAY_INITIAL, NULL);
	fill_routing(schema);
	SPI_finish();
}

/* pg_class.relowner of a relation. */
Oid
qrpay_relation_owner(Oid relid)
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
	Oid			nsp = qrpay_extension_schema(fcinfo);
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
	owner = qrpay_relation_owner(cache.providers_relid);

	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(owner, save_sec_context | QRPAY_OWNER_SEC_CONTEXT);
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
 * A memo that has grown past MEMO_BUDGET bytes starts again, empty and
 * small.  simplehash.h doubles a table when it fills up, or earlier when
 * an insertion would move too many entries, so the check follows each
 * insertion rather than predicting growth.
 */
static void
memo_keep_budget(void)
{
	Size		held = MemoryContextMemAllocated(cache.memo_cxt, false);

	if (held <= MEMO_BUDGET)
		return;
	elog(DEBUG1, "qrpay identification memo emptied at %u identifiers (%zu bytes)",
		 cache.memo->members, held);
	MemoryContextReset(cache.memo_cxt);
	cache.memo = memo_create(cache.memo_cxt, MEMO_INITIAL, NULL);
}

/*
 * Providers of one identifier.  Identifiers that recur across codes
 * (everything but whole URLs and consumer codes) are remembered when
 * their kind has more than MEMO_MIN_PATTERNS patterns; a pattern with a
 * country condition makes the verdict country-dependent, so the country
 * is part of the key.
 */
static int
match_ident(const qr_ident *id, const char *country, int *prov, int max)
{
	memo_key	k;
	uint32		h;
	memo_entry *e;
	bool		found;
	int			n;

	if (id->kind == QR_ID_URL || id->kind == QR_ID_PAYMENT_CODE || id->len > MEMO_VALUE_MAX ||
		cache.kind_start[id->kind + 1] - cache.kind_start[id->kind] <= MEMO_MIN_PATTERNS)
		return match_linear(id, country, prov, max);
	memset(&k, 0, sizeof(k));
	k.kind = (int16) id->kind;
	memcpy(k.key, id->value, id->len);
	k.key[id->len] = country[0] ? country[0] : '-';
	k.key[id->len + 1] = country[0] ? country[1] : '-';
	k.len = (int16) (id->len + 2);
	h = memo_key_hash(&k);
	e = memo_lookup_hash(cache.memo, k, h);
	if (e != NULL)
	{
		n = Min(e->nprov, max);
		memcpy(prov, e->prov, sizeof(int) * n);
		return n;
	}
	n = match_linear(id, country, prov, max);
	if (n <= MEMO_MAX_PROVIDERS)
	{
		e = memo_insert_hash(cache.memo, k, h, &found);
		memcpy(e->prov, prov, sizeof(int) * n);
		e->nprov = (int16) n;
		memo_keep_budget();
	}
	return n;
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
 * The text[] of a provider list, from the arrays memo, copied out.  An
 * arrays context that reaches ARRAY_BUDGET starts again empty.
 */
static ArrayType *
networks_array(const int *prov, int n)
{
	prov_list	l;
	array_entry *e;
	ArrayType  *a;

	if (n > ARRAY_MAX_PROVIDERS)
		return build_array(prov, n);
	memset(&l, 0, sizeof(l));
	l.n = n;
	memcpy(l.prov, prov, sizeof(int) * n);
	e = arrays_lookup(cache.arrays, l);
	if (e == NULL)
	{
		MemoryContext old;
		bool		found;

		if (MemoryContextMemAllocated(cache.arrays_cxt, false) >= ARRAY_BUDGET)
		{
			MemoryContextReset(cache.arrays_cxt);
			cache.arrays = arrays_create(cache.arrays_cxt, ARRAY_INITIAL, NULL);
		}
		old = MemoryContextSwitchTo(cache.arrays_cxt);
		a = build_array(prov, n);
		MemoryContextSwitchTo(old);
		e = arrays_insert(cache.arrays, l, &found);
		e->array = a;
	}
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


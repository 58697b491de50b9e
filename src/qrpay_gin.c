/*
 * qrpay_gin.c — the containment and existence operators and their GIN
 * operator class.
 *
 *   code @> '{"26.00": "br.gov.bcb.pix", "52": "5812"}'   every pair present
 *   code ? '62.07'      the path exists
 *   code ?| '{...}'     any of the paths exists
 *   code ?& '{...}'     all of the paths exist
 *
 * Paths are qr_get's, for every format.  A jsonb object may also nest the
 * way qr_to_jsonb does ('{"26": {"00": "br.gov.bcb.pix"}}').  Keys are
 * 32-bit hashes from src/core qr_gin.c, so the index is lossy and every
 * match is rechecked on the payload.  Strategy numbers follow jsonb_ops.
 *
 * Two operator classes: payment_qr_gin_split_ops, the default since
 * 0.11.0 (two value keys per leaf), and payment_qr_gin_ops, the default
 * before (one folded value key per leaf).  Indexes keep the scheme they
 * were built with, so each class keeps its own extractValue and
 * extractQuery; they share the consistent functions, which only AND or OR
 * the keys.
 */
#include "postgres.h"

#include "access/gin.h"
#include "access/reloptions.h"
#include "access/stratnum.h"
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "qrpay.h"

PG_FUNCTION_INFO_V1(qr_contains);
PG_FUNCTION_INFO_V1(qr_exists);
PG_FUNCTION_INFO_V1(qr_exists_any);
PG_FUNCTION_INFO_V1(qr_exists_all);
PG_FUNCTION_INFO_V1(payment_qr_gin_extract_value);
PG_FUNCTION_INFO_V1(payment_qr_gin_extract_query);
PG_FUNCTION_INFO_V1(payment_qr_gin_consistent);
PG_FUNCTION_INFO_V1(payment_qr_gin_triconsistent);
PG_FUNCTION_INFO_V1(payment_qr_gin_options);
PG_FUNCTION_INFO_V1(payment_qr_gin_split_extract_value);
PG_FUNCTION_INFO_V1(payment_qr_gin_split_extract_query);
PG_FUNCTION_INFO_V1(payment_qr_gin_split_options);

/* Operator class parameter: CREATE INDEX ... (code payment_qr_gin_ops (value_bits = 22)) */
typedef struct gin_options
{
	int32		vl_len_;
	int			value_bits;
} gin_options;

/* The one parameter of either class: value_bits, with its meaning and range. */
static void
value_bits_option(local_relopts *relopts, const char *desc, int def, int min, int max)
{
	init_local_reloptions(relopts, sizeof(gin_options));
	add_local_int_reloption(relopts, "value_bits", desc, def, min, max,
							offsetof(gin_options, value_bits));
}

Datum
payment_qr_gin_options(PG_FUNCTION_ARGS)
{
	value_bits_option((local_relopts *) PG_GETARG_POINTER(0),
					  "value keys are folded into 2^value_bits buckets; more bits, fewer rechecks, a larger index",
					  QR_GIN_BITS_DEFAULT, QR_GIN_BITS_MIN, QR_GIN_BITS_MAX);
	PG_RETURN_VOID();
}

/* payment_qr_gin_split_ops (value_bits, default 13): the bits of each of a value's two keys */
Datum
payment_qr_gin_split_options(PG_FUNCTION_ARGS)
{
	value_bits_option((local_relopts *) PG_GETARG_POINTER(0),
					  "each of a value's two keys keeps value_bits bits of its hash; more bits, fewer rechecks, a larger index",
					  QR_GIN_SPLIT_BITS_DEFAULT, QR_GIN_SPLIT_BITS_MIN, QR_GIN_SPLIT_BITS_MAX);
	PG_RETURN_VOID();
}

static int
value_bits(FunctionCallInfo fcinfo, int dflt)
{
	if (PG_HAS_OPCLASS_OPTIONS())
		return ((gin_options *) PG_GET_OPCLASS_OPTIONS())->value_bits;
	return dflt;
}

#define STRATEGY_CONTAINS 7
#define STRATEGY_EXISTS 9
#define STRATEGY_EXISTS_ANY 10
#define STRATEGY_EXISTS_ALL 11

/* ------------------------------------------------------------------ */
/* Query arguments                                                     */
/* ------------------------------------------------------------------ */

static void
check_path(const char *path, size_t len)
{
	if (!qr_path_valid(path, len))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid payment_qr path \"%.*s\"", (int) len, path),
				 errhint("A path is 1 to 4 names of letters, digits, \"_\" or \"-\" joined by dots, EMVCo ids being 2 digits: \"59\", \"26.00\", \"61.4F\", \"iban\", \"query.pr\".")));
}

typedef struct qpair
{
	char	   *path;
	size_t		pathlen;
	char	   *value;
	size_t		vlen;
} qpair;

/*
 * The (path, value) pairs of a jsonb object: string values at dotted
 * paths, nested objects extending the path.  Values are compared with (and
 * hashed like) the stored fields, so they are converted to UTF-8 as text
 * input is (qrpay_io.c); paths need no conversion, since check_path admits
 * only ASCII, which every server encoding spells the same.
 */
static qpair *
jsonb_pairs(Jsonb *jb, int *npairs)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	int			depth = 0,
				n = 0,
				cap = 8;
	qpair	   *out = palloc(sizeof(qpair) * cap);
	StringInfoData path;
	int			mark[QR_PATH_DEPTH + 2];
	char	   *key = NULL;
	int			keylen = 0;

	if (!JB_ROOT_IS_OBJECT(jb))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("payment_qr @> jsonb takes an object of path: \"value\" pairs"),
				 errhint("For example '{\"26.00\": \"br.gov.bcb.pix\", \"52\": \"5812\"}'.")));
	initStringInfo(&path);
	it = JsonbIteratorInit(&jb->root);
	while ((tok = JsonbIteratorNext(&it, &v, false)) != WJB_DONE)
	{
		switch (tok)
		{
			case WJB_BEGIN_OBJECT:
				if (depth > 0)
				{
					/* a nested object: its keys continue the path */
					if (depth > 4)
						ereport(ERROR,
								(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
								 errmsg("payment_qr @> jsonb nests deeper than a path goes")));
					mark[depth] = path.len;
					if (path.len)
						appendStringInfoChar(&path, '.');
					appendBinaryStringInfo(&path, key, keylen);
				}
				else
					mark[0] = 0;
				depth++;
				break;
			case WJB_END_OBJECT:
				depth--;
				if (depth > 0)
				{
					path.len = mark[depth];
					path.data[path.len] = '\0';
				}
				break;
			case WJB_KEY:
				key = v.val.string.val;
				keylen = v.val.string.len;
				break;
			case WJB_VALUE:
				{
					int			plen = path.len;

					if (v.type != jbvString)
						ereport(ERROR,
								(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
								 errmsg("payment_qr @> jsonb compares text values; \"%.*s\" is not a string", keylen, key),
								 errhint("Write values as strings, exactly as qr_get returns them: '{\"54\": \"10.50\"}'.")));
					if (path.len)
						appendStringInfoChar(&path, '.');
					appendBinaryStringInfo(&path, key, keylen);
					check_path(path.data, path.len);
					if (n == cap)
						out = repalloc(out, sizeof(qpair) * (cap *= 2));
					out[n].path = pnstrdup(path.data, path.len);
					out[n].pathlen = path.len;
					if (qrpay_db_utf8())
					{
						out[n].value = pnstrdup(v.val.string.val, v.val.string.len);
						out[n].vlen = v.val.string.len;
					}
					else
						out[n].value = qrpay_utf8_from_server(v.val.string.val,
															  v.val.string.len,
															  &out[n].vlen);
					n++;
					path.len = plen;
					path.data[plen] = '\0';
					break;
				}
			case WJB_BEGIN_ARRAY:
			case WJB_ELEM:
			case WJB_END_ARRAY:
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("payment_qr @> jsonb takes no arrays"),
						 errhint("Give each path once; a path that occurs several times in a code matches any of its values.")));
				break;
			case WJB_DONE:
				break;
		}
	}
	*npairs = n;
	return out;
}

/* The non-NULL paths of a text[] */
static text **
array_paths(ArrayType *a, int *n)
{
	Datum	   *elems;
	bool	   *nulls;
	int			ne,
				k = 0;
	text	  **out;

	deconstruct_array(a, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &ne);
	out = palloc(sizeof(text *) * (ne + 1));
	for (int i = 0; i < ne; i++)
		if (!nulls[i])
		{
			out[k] = DatumGetTextPP(elems[i]);
			check_path(VARDATA_ANY(out[k]), VARSIZE_ANY_EXHDR(out[k]));
			k++;
		}
	*n = k;
	return out;
}

/* ------------------------------------------------------------------ */
/* Operators                                                           */
/* ------------------------------------------------------------------ */

/*
 * The pairs of the last query an operator's call site took apart, kept
 * across calls: a bitmap heap scan rechecks every candidate row against
 * the same query, and taking the jsonb apart costs more than the check.
 * The query's bytes are kept to compare with, so a query that changes
 * from row to row (a join, a parameter) replaces them, in a memory
 * context of their own that is reset each time.
 */
typedef struct query_cache
{
	MemoryContext cxt;
	Jsonb	   *query;			/* a copy; NULL while not filled */
	qpair	   *pairs;
	int			n;
} query_cache;

static qpair *
query_pairs(FunctionCallInfo fcinfo, Jsonb *jb, int *n)
{
	FmgrInfo   *flinfo = fcinfo->flinfo;
	query_cache *c;
	MemoryContext old;

	if (flinfo == NULL)
		return jsonb_pairs(jb, n);
	c = flinfo->fn_extra;
	if (c != NULL && c->query != NULL && VARSIZE(c->query) == VARSIZE(jb) &&
		memcmp(c->query, jb, VARSIZE(jb)) == 0)
	{
		*n = c->n;
		return c->pairs;
	}
	if (c == NULL)
	{
		c = MemoryContextAllocZero(flinfo->fn_mcxt, sizeof(query_cache));
		c->cxt = AllocSetContextCreate(flinfo->fn_mcxt, "qrpay @> query",
									   ALLOCSET_SMALL_SIZES);
		flinfo->fn_extra = c;
	}
	/* empty until filled: an error while taking the query apart leaves none */
	c->query = NULL;
	MemoryContextReset(c->cxt);
	old = MemoryContextSwitchTo(c->cxt);
	c->pairs = jsonb_pairs(jb, &c->n);
	c->query = palloc(VARSIZE(jb));
	memcpy(c->query, jb, VARSIZE(jb));
	MemoryContextSwitchTo(old);
	*n = c->n;
	return c->pairs;
}

Datum
qr_contains(PG_FUNCTION_ARGS)
{
	struct varlena *v = PG_GETARG_PAYMENT_QR_PP(0);
	Jsonb	   *jb = PG_GETARG_JSONB_P(1);
	int			n;
	qpair	   *pairs;

	qrpay_check_version(v);
	pairs = query_pairs(fcinfo, jb, &n);
	for (int i = 0; i < n; i++)
		if (!qr_has_value(QRPAY_PAYLOAD(v), QRPAY_PAYLOAD_LEN(v), pairs[i].path, pairs[i].pathlen,
						  pairs[i].value, pairs[i].vlen))
			PG_RETURN_BOOL(false);
	PG_RETURN_BOOL(true);
}

Datum
qr_exists(PG_FUNCTION_ARGS)
{
	struct varlena *v = PG_GETARG_PAYMENT_QR_PP(0);
	text	   *path = PG_GETARG_TEXT_PP(1);

	qrpay_check_version(v);
	check_path(VARDATA_ANY(path), VARSIZE_ANY_EXHDR(path));
	PG_RETURN_BOOL(qr_has_path(QRPAY_PAYLOAD(v), QRPAY_PAYLOAD_LEN(v),
							   VARDATA_ANY(path), VARSIZE_ANY_EXHDR(path)));
}

static bool
exists_many(FunctionCallInfo fcinfo, bool all)
{
	struct varlena *v = PG_GETARG_PAYMENT_QR_PP(0);
	int			n;
	text	  **paths = array_paths(PG_GETARG_ARRAYTYPE_P(1), &n);

	qrpay_check_version(v);
	for (int i = 0; i < n; i++)
	{
		bool		has = qr_has_path(QRPAY_PAYLOAD(v), QRPAY_PAYLOAD_LEN(v),
									  VARDATA_ANY(paths[i]), VARSIZE_ANY_EXHDR(paths[i]));

		if (has != all)
			return has;			/* any: first hit; all: first miss */
	}
	return all;
}

Datum
qr_exists_any(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(exists_many(fcinfo, false));
}

Datum
qr_exists_all(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(exists_many(fcinfo, true));
}

/* ------------------------------------------------------------------ */
/* GIN support                                                         */
/* ------------------------------------------------------------------ */

typedef struct keyset
{
	Datum	   *keys;
	int			n;
	int			cap;
} keyset;

static void
add_key(void *arg, uint32_t key)
{
	keyset	   *k = arg;

	if (k->n == k->cap)
		k->keys = repalloc(k->keys, sizeof(Datum) * (k->cap *= 2));
	k->keys[k->n++] = Int32GetDatum((int32) key);
}

static int
cmp_datum_int4(const void *a, const void *b)
{
	int32		x = DatumGetInt32(*(const Datum *) a),
				y = DatumGetInt32(*(const Datum *) b);

	return x < y ? -1 : x > y;
}

/* Support 2: the keys of a stored code, each once. */
static Datum *
extract_value(FunctionCallInfo fcinfo, bool split)
{
	struct varlena *v = PG_GETARG_PAYMENT_QR_PP(0);
	int32	   *nkeys = (int32 *) PG_GETARG_POINTER(1);
	keyset		k;
	int			u = 0;

	qrpay_check_version(v);
	k.cap = 32;
	k.n = 0;
	k.keys = palloc(sizeof(Datum) * k.cap);
	if (split)
		qr_gin_split_keys_of(QRPAY_PAYLOAD(v), QRPAY_PAYLOAD_LEN(v),
							 value_bits(fcinfo, QR_GIN_SPLIT_BITS_DEFAULT), add_key, &k);
	else
		qr_gin_keys(QRPAY_PAYLOAD(v), QRPAY_PAYLOAD_LEN(v),
					value_bits(fcinfo, QR_GIN_BITS_DEFAULT), add_key, &k);
	if (k.n > 1)
	{
		qsort(k.keys, k.n, sizeof(Datum), cmp_datum_int4);
		for (int i = 1; i < k.n; i++)
			if (k.keys[i] != k.keys[u])
				k.keys[++u] = k.keys[i];
		k.n = u + 1;
	}
	*nkeys = k.n;
	return k.keys;
}

Datum
payment_qr_gin_extract_value(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(extract_value(fcinfo, false));
}

Datum
payment_qr_gin_split_extract_value(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(extract_value(fcinfo, true));
}

/*
 * The keys of a @> query: per pair its value key (the split scheme's two),
 * or its path key where the field may carry no value key.
 */
static Datum *
contains_keys(FunctionCallInfo fcinfo, bool split, int *nkeys)
{
	int			np,
				n = 0;
	qpair	   *pairs = jsonb_pairs(PG_GETARG_JSONB_P(0), &np);
	Datum	   *keys = palloc(sizeof(Datum) * (2 * np + 1));
	int			bits = value_bits(fcinfo, split ? QR_GIN_SPLIT_BITS_DEFAULT : QR_GIN_BITS_DEFAULT);

	for (int i = 0; i < np; i++)
	{
		const qpair *p = &pairs[i];

		if (qr_gin_path_unvalued(p->path, p->pathlen))
			keys[n++] = Int32GetDatum((int32) qr_gin_path_key(p->path, p->pathlen));
		else if (split)
		{
			uint32_t	two[2];
			int			nk = qr_gin_split_keys(p->path, p->pathlen, p->value, p->vlen, bits, two);

			for (int k = 0; k < nk; k++)
				keys[n++] = Int32GetDatum((int32) two[k]);
		}
		else
			keys[n++] = Int32GetDatum((int32) qr_gin_value_key(p->path, p->pathlen,
															   p->value, p->vlen, bits));
	}
	*nkeys = n;
	return keys;
}

/* Support 3: the keys a query needs. */
static Datum *
extract_query(FunctionCallInfo fcinfo, bool split)
{
	int32	   *nkeys = (int32 *) PG_GETARG_POINTER(1);
	StrategyNumber strategy = PG_GETARG_UINT16(2);
	int32	   *searchMode = (int32 *) PG_GETARG_POINTER(6);
	Datum	   *keys = NULL;
	int			n = 0;

	switch (strategy)
	{
		case STRATEGY_CONTAINS:
			keys = contains_keys(fcinfo, split, &n);
			if (n == 0)
				*searchMode = GIN_SEARCH_MODE_ALL;	/* '{}' is in every code */
			break;
		case STRATEGY_EXISTS:
			{
				text	   *path = PG_GETARG_TEXT_PP(0);

				check_path(VARDATA_ANY(path), VARSIZE_ANY_EXHDR(path));
				keys = palloc(sizeof(Datum));
				keys[0] = Int32GetDatum((int32) qr_gin_path_key(VARDATA_ANY(path),
																VARSIZE_ANY_EXHDR(path)));
				n = 1;
				break;
			}
		case STRATEGY_EXISTS_ANY:
		case STRATEGY_EXISTS_ALL:
			{
				text	  **paths = array_paths(PG_GETARG_ARRAYTYPE_P(0), &n);

				keys = palloc(sizeof(Datum) * (n + 1));
				for (int i = 0; i < n; i++)
					keys[i] = Int32GetDatum((int32) qr_gin_path_key(VARDATA_ANY(paths[i]),
																	VARSIZE_ANY_EXHDR(paths[i])));
				/* ?& of nothing holds for every code; ?| of nothing for none */
				if (n == 0 && strategy == STRATEGY_EXISTS_ALL)
					*searchMode = GIN_SEARCH_MODE_ALL;
				break;
			}
		default:
			elog(ERROR, "payment_qr GIN: unknown strategy %d", strategy);
	}
	*nkeys = n;
	return keys;
}

Datum
payment_qr_gin_extract_query(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(extract_query(fcinfo, false));
}

Datum
payment_qr_gin_split_extract_query(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(extract_query(fcinfo, true));
}

/* Support 4: can the item match, given which keys it has?  Always rechecked. */
Datum
payment_qr_gin_consistent(PG_FUNCTION_ARGS)
{
	bool	   *check = (bool *) PG_GETARG_POINTER(0);
	StrategyNumber strategy = PG_GETARG_UINT16(1);
	int32		nkeys = PG_GETARG_INT32(3);
	bool	   *recheck = (bool *) PG_GETARG_POINTER(5);
	bool		res;

	*recheck = true;			/* hashes collide; the payload decides */
	if (strategy == STRATEGY_EXISTS_ANY)
	{
		res = false;
		for (int i = 0; i < nkeys && !res; i++)
			res = check[i];
	}
	else
	{
		res = true;
		for (int i = 0; i < nkeys && res; i++)
			res = check[i];
	}
	PG_RETURN_BOOL(res);
}

/* Support 6: the same in three-valued logic; a match is never more than MAYBE. */
Datum
payment_qr_gin_triconsistent(PG_FUNCTION_ARGS)
{
	GinTernaryValue *check = (GinTernaryValue *) PG_GETARG_POINTER(0);
	StrategyNumber strategy = PG_GETARG_UINT16(1);
	int32		nkeys = PG_GETARG_INT32(3);

	if (strategy == STRATEGY_EXISTS_ANY)
	{
		for (int i = 0; i < nkeys; i++)
			if (check[i] != GIN_FALSE)
				PG_RETURN_GIN_TERNARY_VALUE(GIN_MAYBE);
		PG_RETURN_GIN_TERNARY_VALUE(GIN_FALSE);
	}
	for (int i = 0; i < nkeys; i++)
		if (check[i] == GIN_FALSE)
			PG_RETURN_GIN_TERNARY_VALUE(GIN_FALSE);
	PG_RETURN_GIN_TERNARY_VALUE(GIN_MAYBE);
}

/*
 * qrpay_reconcile.c — qr_reconcile_detail: a ledger against a provider
 * statement, every row of both sides in exactly one outcome.
 *
 * Both relations are read once through SPI.  Rows are grouped in memory:
 * rows with a reference by (provider, reference), rows without one by
 * (provider, amount, currency).  When the rows held pass work_mem, they go
 * out to temporary files partitioned by the hash of their group, and each
 * partition is then reconciled on its own; a partition still too large is
 * split again with further bits of the hash.  A group never spans two
 * partitions, so the outcome does not depend on work_mem.
 *
 * Within a group of referenced rows, each side's earliest row (by time,
 * then transaction id) is reconciled against the other side's, and the
 * side's other rows are duplicates.  Rows without a reference are sorted
 * by time within their group, cut into clusters wherever two neighbours
 * lie further apart than the window, and paired one to one by nearest time
 * (src/core's qr_pair_nearest, which qr_pair_by_time also exposes).
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "common/int.h"
#include "common/int128.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/buffile.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/regproc.h"
#include "utils/timestamp.h"

#include "qrpay.h"

PG_FUNCTION_INFO_V1(qr_reconcile_detail);
PG_FUNCTION_INFO_V1(qr_match);
PG_FUNCTION_INFO_V1(qr_pair_by_time);

/* qr_reconcile_detail returns the first 10 columns, qr_match all */
#define QR_MATCH_COLS	19

#define SIDE_LEDGER		0
#define SIDE_STATEMENT	1

#define FIRST_BITS		8		/* 256 partitions when the rows first spill */
#define FANOUT_FIRST	(1 << FIRST_BITS)
#define MAX_SPLIT_BITS	8		/* a partition split again: at most 256 parts */
#define EXPANSION		3		/* bytes held in memory per byte spilled */

/*
 * One input row.  Strings and the amount are varlenas: with 4-byte headers
 * when held in memory or read back from a partition, possibly short ones
 * while a row read from a relation passes straight to a partition.
 */
typedef struct rec_row
{
	TimestampTz ts;
	bool		ts_null;
	unsigned char side;
	text	   *id;
	text	   *provider;
	text	   *ref;			/* NULL: no reference */
	text	   *cur;
	Numeric		amount;
	uint64		hash;			/* of its group's key */
	struct rec_group *grp;
} rec_row;

typedef struct rec_group
{
	rec_row    *key;			/* a row carrying the group's key */
	long		n[2];			/* rows per side */
	rec_row    *early[2];		/* each side's earliest row */
} rec_group;

/* the record a row is spilled as, followed by the bytes of its fields */
typedef struct spill_head
{
	uint64		hash;
	TimestampTz ts;
	uint32		len[5];			/* id, provider, ref, cur, amount; ~0 for NULL */
	unsigned char side;
	bool		ts_null;
} spill_head;

typedef struct rec_state
{
	/* arguments */
	int64		window_us;		/* the window as interval comparison sees it */
	Numeric		tolerance;
	/* output */
	Tuplestorestate *out;
	TupleDesc	desc;
	Datum		st_matched,
				st_mismatch,
				st_outside,
				st_missing_s,
				st_missing_l,
				st_dup_l,
				st_dup_s,
				by_reference,
				no_stmt_reason,
				no_ledger_reason,
				zero;
	char	   *window_text;
	/* rows held in memory */
	MemoryContext callcxt;		/* outlives SPI: the partitions live here */
	MemoryContext rowcxt;
	rec_row    *rows;
	long		nrows,
				maxrows;
	Size		held;			/* bytes of rows held */
	uint64		seq;			/* rows read */
	Size		budget;
	/* partitions, once the rows spill */
	BufFile   **parts;
	int64	   *part_bytes;
} rec_state;

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

/* byte order ("C" collation), NULLs last */
static int
text_cmp(const text *a, const text *b)
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

/* a time reconciliation can measure: set and finite */
static inline bool
has_time(const rec_row *r)
{
	return !r->ts_null && !TIMESTAMP_NOT_FINITE(r->ts);
}

/* time order, NULLs last */
static int
ts_cmp(const rec_row *a, const rec_row *b)
{
	if (a->ts_null || b->ts_null)
		return (int) a->ts_null - (int) b->ts_null;
	return (a->ts > b->ts) - (a->ts < b->ts);
}

/* a row's place among its side's rows of one reference: time, then id */
static int
earlier(const rec_row *a, const rec_row *b)
{
	int			c = ts_cmp(a, b);

	return c != 0 ? c : text_cmp(a->id, b->id);
}

static uint64
hash_text(const text *t, uint64 seed)
{
	if (t == NULL)
		return hash_combine64(seed, 0x9e3779b97f4a7c15);
	return hash_combine64(seed, hash_bytes_extended((const unsigned char *) VARDATA_ANY(t),
													VARSIZE_ANY_EXHDR(t), 0));
}

/*
 * The group key's hash: (provider, reference), or (provider, amount,
 * currency).  A row with neither reference nor amount is a group of its
 * own; seq, the row's number in the call, spreads those.
 */
static uint64
row_hash(const rec_row *r, uint64 seq)
{
	uint64		h = hash_text(r->provider, 0);

	if (r->ref != NULL)
		return hash_text(r->ref, h);
	h = hash_text(r->cur, h);
	if (r->amount == NULL)
		return hash_combine64(h, hash_bytes_extended((const unsigned char *) &seq, sizeof(seq), 1));
	return hash_combine64(h, DatumGetUInt64(DirectFunctionCall2(hash_numeric_extended,
																NumericGetDatum(r->amount),
																Int64GetDatum(0))));
}

static bool
numeric_equal(Numeric a, Numeric b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return DatumGetBool(DirectFunctionCall2(numeric_eq, NumericGetDatum(a), NumericGetDatum(b)));
}

static bool
same_group(const rec_row *a, const rec_row *b)
{
	if (a->hash != b->hash || !text_eq(a->provider, b->provider))
		return false;
	if (a->ref != NULL || b->ref != NULL)
		return text_eq(a->ref, b->ref);
	/* a row without an amount is a group of its own */
	return a->amount != NULL && b->amount != NULL && text_eq(a->cur, b->cur) &&
		numeric_equal(a->amount, b->amount);
}

/* a varlena copied into the current context with a 4-byte header */
static text *
copy_varlena(const char *data, Size len)
{
	text	   *t = (text *) palloc(len + VARHDRSZ);

	SET_VARSIZE(t, len + VARHDRSZ);
	memcpy(VARDATA(t), data, len);
	return t;
}

static void
hold_row(rec_state *st, const rec_row *r)
{
	if (st->nrows == st->maxrows)
	{
		st->maxrows *= 2;
		st->rows = repalloc_huge(st->rows, st->maxrows * sizeof(rec_row));
	}
	st->rows[st->nrows++] = *r;
}

/* ------------------------------------------------------------------ */
/* spilling                                                            */
/* ------------------------------------------------------------------ */

static void
spill_row(BufFile *f, int64 *bytes, const rec_row *r)
{
	const struct varlena *field[5] = {(const struct varlena *) r->id, (const struct varlena *) r->provider,
		(const struct varlena *) r->ref, (const struct varlena *) r->cur,
	(const struct varlena *) r->amount};
	char		local[1024];
	char	   *buf = local;
	spill_head h;
	Size		size = sizeof(h);
	Size		at;
	int			i;

	memset(&h, 0, sizeof(h));
	h.hash = r->hash;
	h.ts = r->ts;
	h.ts_null = r->ts_null;
	h.side = r->side;
	for (i = 0; i < 5; i++)
	{
		h.len[i] = field[i] ? VARSIZE_ANY_EXHDR(field[i]) : ~(uint32) 0;
		if (field[i])
			size += h.len[i];
	}
	if (size > sizeof(local))
		buf = palloc(size);
	memcpy(buf, &h, sizeof(h));
	at = sizeof(h);
	for (i = 0; i < 5; i++)
		if (field[i])
		{
			memcpy(buf + at, VARDATA_ANY(field[i]), h.len[i]);
			at += h.len[i];
		}
	BufFileWrite(f, buf, size);
	*bytes += size;
	if (buf != local)
		pfree(buf);
}

static void
short_read(void)
{
	ereport(ERROR,
			(errcode_for_file_access(),
			 errmsg("qr_reconcile could not read back a temporary file")));
}

static void
read_exact(BufFile *f, void *buf, size_t len)
{
	if (BufFileRead(f, buf, len) != len)
		short_read();
}

/* the next spilled row into the current context; false at the end */
static bool
unspill_row(BufFile *f, rec_row *r)
{
	spill_head h;
	text	  **field[4] = {&r->id, &r->provider, &r->ref, &r->cur};
	size_t		got;
	int			i;

	got = BufFileRead(f, &h, sizeof(h));
	if (got == 0)
		return false;
	if (got != sizeof(h))
		short_read();
	memset(r, 0, sizeof(*r));
	r->hash = h.hash;
	r->ts = h.ts;
	r->ts_null = h.ts_null;
	r->side = h.side;
	for (i = 0; i < 5; i++)
	{
		text	   *t = NULL;

		if (h.len[i] != ~(uint32) 0)
		{
			t = (text *) palloc(h.len[i] + VARHDRSZ);
			SET_VARSIZE(t, h.len[i] + VARHDRSZ);
			read_exact(f, VARDATA(t), h.len[i]);
		}
		if (i < 4)
			*field[i] = t;
		else
			r->amount = (Numeric) t;
	}
	return true;
}

/* the partition of a hash among 2^bits, from its bits above shift */
static int
part_of(uint64 hash, int shift, int bits)
{
	return (int) ((hash >> shift) & ((UINT64CONST(1) << bits) - 1));
}

/* ------------------------------------------------------------------ */
/* output                                                              */
/* ------------------------------------------------------------------ */

typedef struct rec_out
{
	Datum		status;
	const rec_row *l;
	const rec_row *s;
	Datum		diff;
	bool		diff_null;
	Datum		reason;
} rec_out;

static void
emit(rec_state *st, const rec_out *o)
{
	Datum		v[QR_MATCH_COLS];
	bool		n[QR_MATCH_COLS];
	const rec_row *any = o->l ? o->l : o->s;

	memset(n, 0, sizeof(n));
	/* qr_match's further columns: currencies of both sides, the rest unset */
	for (int i = 10; i < QR_MATCH_COLS; i++)
		n[i] = true;
	n[10] = o->l == NULL || o->l->cur == NULL;
	v[10] = n[10] ? (Datum) 0 : PointerGetDatum(o->l->cur);
	n[11] = o->s == NULL || o->s->cur == NULL;
	v[11] = n[11] ? (Datum) 0 : PointerGetDatum(o->s->cur);
	v[0] = o->status;
	n[1] = o->l == NULL || o->l->id == NULL;
	v[1] = n[1] ? (Datum) 0 : PointerGetDatum(o->l->id);
	n[2] = o->s == NULL || o->s->id == NULL;
	v[2] = n[2] ? (Datum) 0 : PointerGetDatum(o->s->id);
	v[3] = o->diff;
	n[3] = o->diff_null;
	v[4] = o->reason;
	n[5] = any->provider == NULL;
	v[5] = n[5] ? (Datum) 0 : PointerGetDatum(any->provider);
	n[6] = o->l == NULL || o->l->ts_null;
	v[6] = n[6] ? (Datum) 0 : TimestampTzGetDatum(o->l->ts);
	n[7] = o->s == NULL || o->s->ts_null;
	v[7] = n[7] ? (Datum) 0 : TimestampTzGetDatum(o->s->ts);
	n[8] = o->l == NULL || o->l->amount == NULL;
	v[8] = n[8] ? (Datum) 0 : NumericGetDatum(o->l->amount);
	n[9] = o->s == NULL || o->s->amount == NULL;
	v[9] = n[9] ? (Datum) 0 : NumericGetDatum(o->s->amount);
	tuplestore_putvalues(st->out, st->desc, v, n);
}

static char *
text_or_empty(const text *t)
{
	return t ? text_to_cstring(t) : "";
}

static char *
numeric_text(Numeric a)
{
	return a ? DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(a))) : "";
}

/* how far apart two times are, as interval text (later - earlier) */
static char *
apart_text(const rec_row *a, const rec_row *b)
{
	TimestampTz lo = a->ts < b->ts ? a->ts : b->ts;
	TimestampTz hi = a->ts < b->ts ? b->ts : a->ts;
	int64		d;

	if (pg_sub_s64_overflow(hi, lo, &d))
		return "too far";		/* only between the ends of the timestamp range */
	return DatumGetCString(DirectFunctionCall1(interval_out,
											   DirectFunctionCall2(timestamp_mi, TimestampTzGetDatum(hi),
																   TimestampTzGetDatum(lo))));
}

/* is b - a beyond the window?  Both times are set. */
static bool
beyond(const rec_state *st, TimestampTz a, TimestampTz b)
{
	int64		d;

	if (a > b)
	{
		TimestampTz x = a;

		a = b;
		b = x;
	}
	if (pg_sub_s64_overflow(b, a, &d))
		return true;
	return d > st->window_us;
}

static Datum
cstring_datum(const char *s)
{
	return PointerGetDatum(cstring_to_text(s));
}

/* ------------------------------------------------------------------ */
/* reconciling the rows held                                           */
/* ------------------------------------------------------------------ */

/* a reference's earliest ledger row against its earliest statement row */
static void
emit_reference(rec_state *st, const rec_group *g)
{
	rec_out		o;
	const rec_row *l = g->early[SIDE_LEDGER];
	const rec_row *s = g->early[SIDE_STATEMENT];
	const text *ref = g->key->ref;

	memset(&o, 0, sizeof(o));
	o.l = l;
	o.s = s;
	o.diff_null = l == NULL || s == NULL || l->amount == NULL || s->amount == NULL;
	if (!o.diff_null)
		o.diff = DirectFunctionCall2(numeric_sub, NumericGetDatum(s->amount), NumericGetDatum(l->amount));
	if (l == NULL)
	{
		o.status = st->st_missing_l;
		o.reason = cstring_datum(psprintf("reference %s not in the ledger", text_to_cstring(ref)));
	}
	else if (s == NULL)
	{
		o.status = st->st_missing_s;
		o.reason = cstring_datum(psprintf("reference %s not in the statement", text_to_cstring(ref)));
	}
	else if (has_time(l) && has_time(s) && beyond(st, l->ts, s->ts))
	{
		o.status = st->st_outside;
		o.reason = cstring_datum(psprintf("same reference %s, %s apart (window %s): a settlement cut-off",
										  text_to_cstring(ref), apart_text(l, s), st->window_text));
	}
	else if (!text_eq(l->cur, s->cur))
	{
		o.status = st->st_mismatch;
		o.reason = cstring_datum(psprintf("reference %s: ledger %s %s, statement %s %s", text_to_cstring(ref),
										  numeric_text(l->amount), text_or_empty(l->cur),
										  numeric_text(s->amount), text_or_empty(s->cur)));
	}
	else if ((l->amount == NULL) != (s->amount == NULL) ||
			 (!o.diff_null &&
			  DatumGetInt32(DirectFunctionCall2(numeric_cmp,
												DirectFunctionCall1(numeric_abs, o.diff),
												NumericGetDatum(st->tolerance))) > 0))
	{
		o.status = st->st_mismatch;
		o.reason = cstring_datum(psprintf("reference %s: ledger %s, statement %s", text_to_cstring(ref),
										  l->amount ? numeric_text(l->amount) : "without an amount",
										  s->amount ? numeric_text(s->amount) : "without an amount"));
	}
	else
	{
		o.status = st->st_matched;
		o.reason = st->by_reference;
	}
	emit(st, &o);
}

static void
emit_duplicate(rec_state *st, const rec_row *r)
{
	rec_out		o;
	const rec_group *g = r->grp;

	memset(&o, 0, sizeof(o));
	o.diff_null = true;
	if (r->side == SIDE_LEDGER)
	{
		o.l = r;
		o.status = st->st_dup_l;
		o.reason = cstring_datum(psprintf("reference %s occurs %ld times in the ledger; its earliest row is reconciled",
										  text_to_cstring(r->ref), g->n[SIDE_LEDGER]));
	}
	else
	{
		o.s = r;
		o.status = st->st_dup_s;
		o.reason = cstring_datum(psprintf("reference %s occurs %ld times in the statement; its earliest row is reconciled",
										  text_to_cstring(r->ref), g->n[SIDE_STATEMENT]));
	}
	emit(st, &o);
}

static void
emit_unpaired(rec_state *st, const rec_row *r)
{
	rec_out		o;

	memset(&o, 0, sizeof(o));
	o.diff_null = true;
	if (r->side == SIDE_LEDGER)
	{
		o.l = r;
		o.status = st->st_missing_s;
		o.reason = st->no_stmt_reason;
	}
	else
	{
		o.s = r;
		o.status = st->st_missing_l;
		o.reason = st->no_ledger_reason;
	}
	emit(st, &o);
}

static void
emit_pair(rec_state *st, const rec_row *l, const rec_row *s)
{
	rec_out		o;

	memset(&o, 0, sizeof(o));
	o.l = l;
	o.s = s;
	o.status = st->st_matched;
	o.diff = st->zero;
	o.reason = cstring_datum(psprintf("no reference: same amount, %s apart", apart_text(l, s)));
	emit(st, &o);
}

/* rows without a reference: same group, then time, side and id */
static int
noref_cmp(const void *pa, const void *pb)
{
	const rec_row *a = *(rec_row *const *) pa;
	const rec_row *b = *(rec_row *const *) pb;
	int			c;

	if (a->grp != b->grp)
		return a->grp < b->grp ? -1 : 1;
	if ((c = ts_cmp(a, b)) != 0)
		return c;
	if (a->side != b->side)
		return (int) a->side - (int) b->side;
	return text_cmp(a->id, b->id);
}

/* one cluster of rows without a reference, in (time, side, id) order */
static void
reconcile_cluster(rec_state *st, rec_row **c, long m)
{
	int64	   *t;
	unsigned char *side;
	long	   *mate,
				i;
	void	   *work;

	if (m == 1)
	{
		emit_unpaired(st, c[0]);
		return;
	}
	if (m == 2 && c[0]->side != c[1]->side)
	{
		emit_pair(st, c[c[0]->side == SIDE_LEDGER ? 0 : 1], c[c[0]->side == SIDE_LEDGER ? 1 : 0]);
		return;
	}
	t = palloc_extended(m * sizeof(int64), MCXT_ALLOC_HUGE);
	side = palloc_extended(m, MCXT_ALLOC_HUGE);
	mate = palloc_extended(m * sizeof(long), MCXT_ALLOC_HUGE);
	work = palloc_extended(QR_PAIR_WORK(m), MCXT_ALLOC_HUGE);
	for (i = 0; i < m; i++)
	{
		t[i] = c[i]->ts;
		side[i] = c[i]->side;
	}
	qr_pair_nearest(t, side, m, st->window_us, mate, work);
	for (i = 0; i < m; i++)
	{
		if (mate[i] < 0)
			emit_unpaired(st, c[i]);
		else if (side[i] == SIDE_LEDGER)
			emit_pair(st, c[i], c[mate[i]]);
	}
	pfree(t);
	pfree(side);
	pfree(mate);
	pfree(work);
}

/* every row held belongs to groups held whole: reconcile them */
static void
reconcile_held(rec_state *st)
{
	long		n = st->nrows;
	long		cap,
				i,
				ngroups = 0,
				nnoref = 0,
				emitted = 0;
	int			bits;
	long	   *slot;
	rec_group  *groups;
	rec_row   **noref;
	MemoryContext tmp,
				old;

	if (n == 0)
		return;
	tmp = AllocSetContextCreate(CurrentMemoryContext, "qr_reconcile output", ALLOCSET_DEFAULT_SIZES);
	for (bits = 4, cap = 16; cap < 2 * n; cap *= 2)
		bits++;
	slot = palloc_extended(cap * sizeof(long), MCXT_ALLOC_HUGE);
	memset(slot, 0xff, cap * sizeof(long));
	groups = palloc_extended(n * sizeof(rec_group), MCXT_ALLOC_HUGE);
	noref = palloc_extended(n * sizeof(rec_row *), MCXT_ALLOC_HUGE);

	/* group the rows: open addressing on the key's hash */
	for (i = 0; i < n; i++)
	{
		rec_row    *r = &st->rows[i];

		/* all rows of a partition share the hash's low bits: mix them all */
		long		h = (long) ((r->hash * UINT64CONST(0x9E3779B97F4A7C15)) >> (64 - bits));
		rec_group  *g = NULL;

		if ((i & 4095) == 4095)
			CHECK_FOR_INTERRUPTS();
		while (slot[h] >= 0)
		{
			if (same_group(groups[slot[h]].key, r))
			{
				g = &groups[slot[h]];
				break;
			}
			h = (h + 1) & (cap - 1);
		}
		if (g == NULL)
		{
			slot[h] = ngroups;
			g = &groups[ngroups++];
			memset(g, 0, sizeof(*g));
			g->key = r;
		}
		r->grp = g;
		if (r->ref == NULL)
		{
			noref[nnoref++] = r;
			continue;
		}
		g->n[r->side]++;
		if (g->early[r->side] == NULL || earlier(r, g->early[r->side]) < 0)
			g->early[r->side] = r;
	}

	old = MemoryContextSwitchTo(tmp);
	/* rows with a reference: each group once, at its earliest ledger row
	 * (or its earliest statement row when the ledger has none); the rest
	 * are duplicates */
	for (i = 0; i < n; i++)
	{
		rec_row    *r = &st->rows[i];
		rec_group  *g = r->grp;

		if (r->ref == NULL)
			continue;
		if (r != g->early[r->side])
			emit_duplicate(st, r);
		else if (r->side == SIDE_LEDGER || g->n[SIDE_LEDGER] == 0)
			emit_reference(st, g);
		if ((i & 1023) == 1023)
		{
			CHECK_FOR_INTERRUPTS();
			MemoryContextReset(tmp);
		}
	}
	MemoryContextReset(tmp);

	/* rows without a reference: clusters of each group in time order */
	qsort(noref, nnoref, sizeof(rec_row *), noref_cmp);
	for (i = 0; i < nnoref;)
	{
		long		j = i + 1;

		/* a row without a (finite) time or an amount is a cluster of its own */
		if (has_time(noref[i]) && noref[i]->amount != NULL)
			while (j < nnoref && noref[j]->grp == noref[i]->grp && has_time(noref[j]) &&
				   !beyond(st, noref[j - 1]->ts, noref[j]->ts))
				j++;
		reconcile_cluster(st, noref + i, j - i);
		emitted += j - i;
		i = j;
		if (emitted >= 1024)
		{
			emitted = 0;
			CHECK_FOR_INTERRUPTS();
			MemoryContextReset(tmp);
		}
	}
	MemoryContextSwitchTo(old);
	MemoryContextDelete(tmp);
	pfree(slot);
	pfree(groups);
	pfree(noref);
}

static void
forget_held(rec_state *st)
{
	MemoryContextReset(st->rowcxt);
	st->nrows = 0;
	st->held = 0;
	st->maxrows = 1024;
	st->rows = MemoryContextAllocHuge(st->rowcxt, st->maxrows * sizeof(rec_row));
}

static Size
row_size(const rec_row *r)
{
	Size		s = sizeof(rec_row) + sizeof(rec_group) + sizeof(void *) + 2 * sizeof(long);

	if (r->id)
		s += VARSIZE(r->id);
	if (r->provider)
		s += VARSIZE(r->provider);
	if (r->ref)
		s += VARSIZE(r->ref);
	if (r->cur)
		s += VARSIZE(r->cur);
	if (r->amount)
		s += VARSIZE(r->amount);
	return s + 6 * 16;			/* palloc chunk headers and rounding */
}

/*
 * A spilled partition: reconciled in memory when it fits, else split by
 * the hash's next bits into as many parts as should each fit (a group is
 * never split; once the hash's bits run out, it is held as it is).
 */
static void
reconcile_file(rec_state *st, BufFile *f, int64 bytes, int shift)
{
	rec_row		r;
	MemoryContext old;
	int			bits = 0;

	if (BufFileSeek(f, 0, 0, SEEK_SET) != 0)
		ereport(ERROR, (errcode_for_file_access(),
						errmsg("qr_reconcile could not rewind a temporary file")));
	/* parts enough that each holds half the budget */
	while (bits < MAX_SPLIT_BITS && shift + bits < 64 &&
		   (Size) (bytes >> bits) * EXPANSION * 2 > st->budget)
		bits++;
	if ((Size) bytes * EXPANSION > st->budget && bits > 0)
	{
		int			nsub = 1 << bits;
		BufFile   **sub = palloc(nsub * sizeof(BufFile *));
		int64	   *subbytes = palloc0(nsub * sizeof(int64));
		int			k;

		bool		one_hash = true;
		uint64		first = 0;
		bool		any = false;

		for (k = 0; k < nsub; k++)
			sub[k] = BufFileCreateTemp(false);
		old = MemoryContextSwitchTo(st->rowcxt);
		while (unspill_row(f, &r))
		{
			if (any && r.hash != first)
				one_hash = false;
			first = r.hash;
			any = true;
			k = part_of(r.hash, shift, bits);
			spill_row(sub[k], &subbytes[k], &r);
			MemoryContextReset(st->rowcxt);
			CHECK_FOR_INTERRUPTS();
		}
		MemoryContextSwitchTo(old);
		forget_held(st);
		BufFileClose(f);
		/* rows of one hash cannot be split further: hold them as they are */
		for (k = 0; k < nsub; k++)
			reconcile_file(st, sub[k], subbytes[k], one_hash ? 64 : shift + bits);
		pfree(sub);
		pfree(subbytes);
		return;
	}
	old = MemoryContextSwitchTo(st->rowcxt);
	while (unspill_row(f, &r))
	{
		hold_row(st, &r);
		if ((st->nrows & 4095) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	MemoryContextSwitchTo(old);
	BufFileClose(f);
	reconcile_held(st);
	forget_held(st);
}

/* the rows held go out to the partitions; from now on every row does */
static void
start_spilling(rec_state *st)
{
	long		i;
	MemoryContext old = MemoryContextSwitchTo(st->callcxt);

	st->parts = palloc(FANOUT_FIRST * sizeof(BufFile *));
	st->part_bytes = palloc0(FANOUT_FIRST * sizeof(int64));
	for (i = 0; i < FANOUT_FIRST; i++)
		st->parts[i] = BufFileCreateTemp(false);
	MemoryContextSwitchTo(old);
	for (i = 0; i < st->nrows; i++)
	{
		int			k = part_of(st->rows[i].hash, 0, FIRST_BITS);

		spill_row(st->parts[k], &st->part_bytes[k], &st->rows[i]);
	}
	forget_held(st);
}

/* ------------------------------------------------------------------ */
/* reading the relations                                               */
/* ------------------------------------------------------------------ */

/* a field of the tuple, detoasted but not copied; NULL for SQL NULL */
static text *
field_packed(Datum *values, bool *nulls, int col)
{
	return nulls[col] ? NULL : (text *) PG_DETOAST_DATUM_PACKED(values[col]);
}

/*
 * The same field as a 4-byte-header copy in the current context; a
 * detoasted value (one that is not the tuple's own datum) is freed.
 */
static text *
field_copy(text *v, Datum orig)
{
	text	   *t;

	if (v == NULL)
		return NULL;
	t = copy_varlena(VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v));
	if ((Pointer) v != DatumGetPointer(orig))
		pfree(v);
	return t;
}

/*
 * search_path = pg_catalog, pg_temp until unpin_search_path: the
 * query text built by the glue then means what it says whatever the
 * caller's path holds (a look-alike function, operator or type in a
 * schema the caller searches first is never picked), and a regclass
 * prints schema-qualified unless it is a temporary table.  The setting is
 * undone by the GUC nest level, also when an error unwinds the call.
 */
static int
pin_search_path(void)
{
	int			nestlevel = NewGUCNestLevel();

	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	return nestlevel;
}

static void
unpin_search_path(int nestlevel)
{
	AtEOXact_GUC(true, nestlevel);
}

/*
 * A NaN or infinite amount has no difference to any other: the row is
 * refused, naming it, rather than matched or reported with a NaN.  The
 * test runs on every row, so it reads the header word of the value as it
 * lies in the tuple (NaN and the infinities are the numerics whose first
 * header word has both top bits set: NUMERIC_SPECIAL in numeric.c's
 * on-disk format) instead of copying a short value to unpack it.
 */
static void
require_finite(Datum amount, const text *id, unsigned char side, Oid rel)
{
	struct varlena *v = (struct varlena *) DatumGetPointer(amount);
	Numeric		n;
	uint16		header;

	if (VARATT_IS_EXTENDED(v) && !VARATT_IS_SHORT(v))
		v = (struct varlena *) PG_DETOAST_DATUM_PACKED(amount);
	memcpy(&header, VARDATA_ANY(v), sizeof(header));
	if ((header & 0xC000) != 0xC000)
		return;
	n = DatumGetNumeric(PointerGetDatum(v));
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("qr_reconcile: %s row %s of %s has amount %s",
					side == SIDE_LEDGER ? "ledger" : "statement",
					id ? quote_literal_cstr(text_to_cstring(id)) : "with NULL txn_id",
					get_rel_name(rel), numeric_text(n)),
			 errhint("Amounts must be finite numbers; correct or leave out the row.")));
}

/*
 * The relation is read under search_path = pg_catalog, pg_temp (see
 * pin_search_path), so its name prints schema-qualified and the
 * casts resolve to the built-in types whatever the caller's path holds.
 */
static void
read_side(rec_state *st, Oid rel, unsigned char side)
{
	char	   *name = DatumGetCString(DirectFunctionCall1(regclassout, ObjectIdGetDatum(rel)));
	char	   *sql = psprintf("SELECT x.txn_id::text, x.provider::text, "
							   "CASE WHEN x.reference::text <> '' THEN x.reference::text END, "
							   "x.amount::numeric, x.currency::text, x.ts::timestamptz FROM %s x", name);
	Portal		portal = SPI_cursor_open_with_args(NULL, sql, 0, NULL, NULL, NULL, true, 0);

	for (;;)
	{
		uint64		i;

		SPI_cursor_fetch(portal, true, 10000);
		if (SPI_processed == 0)
			break;
		for (i = 0; i < SPI_processed; i++)
		{
			MemoryContext old = MemoryContextSwitchTo(st->rowcxt);
			rec_row		r;
			Datum		values[6];
			bool		nulls[6];

			heap_deform_tuple(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, values, nulls);
			memset(&r, 0, sizeof(r));
			r.side = side;
			r.id = field_packed(values, nulls, 0);
			r.provider = field_packed(values, nulls, 1);
			r.ref = field_packed(values, nulls, 2);
			r.amount = (Numeric) field_packed(values, nulls, 3);
			r.cur = field_packed(values, nulls, 4);
			r.ts_null = nulls[5];
			r.ts = nulls[5] ? 0 : DatumGetTimestampTz(values[5]);
			if (!nulls[3])
				require_finite(values[3], r.id, side, rel);
			if (st->parts != NULL)
			{
				int			k;

				r.hash = row_hash(&r, st->seq++);
				k = part_of(r.hash, 0, FIRST_BITS);
				spill_row(st->parts[k], &st->part_bytes[k], &r);
				MemoryContextSwitchTo(old);
				MemoryContextReset(st->rowcxt);
				continue;
			}
			/* held: 4-byte-header copies, without the detoasted originals */
			r.id = field_copy(r.id, values[0]);
			r.provider = field_copy(r.provider, values[1]);
			r.ref = field_copy(r.ref, values[2]);
			r.amount = (Numeric) field_copy((text *) r.amount, values[3]);
			r.cur = field_copy(r.cur, values[4]);
			r.hash = row_hash(&r, st->seq++);
			hold_row(st, &r);
			st->held += row_size(&r);
			MemoryContextSwitchTo(old);
			if (st->held > st->budget)
				start_spilling(st);
		}
		SPI_freetuptable(SPI_tuptable);
		CHECK_FOR_INTERRUPTS();
	}
	SPI_cursor_close(portal);
}

/* every column the reconciliation reads must be there (42703 names the first missing) */
static void
require_columns(Oid rel)
{
	static const char *const cols[6] = {"txn_id", "provider", "reference", "amount", "currency", "ts"};

	for (int i = 0; i < 6; i++)
		if (get_attnum(rel, cols[i]) == InvalidAttrNumber)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("%s has no column \"%s\"",
							DatumGetCString(DirectFunctionCall1(regclassout, ObjectIdGetDatum(rel))), cols[i]),
					 errhint("It needs the columns txn_id, provider, reference, amount, currency, ts (extra columns are ignored).")));
}

/*
 * The window in microseconds as interval comparison reads it (a month is
 * 30 days, a day 24 hours), capped at the largest int64; -1 when negative.
 */
static int64
window_span(const Interval *w)
{
	INT128		span = int64_to_int128(w->time);

	int128_add_int64_mul_int64(&span, w->day, USECS_PER_DAY);
	int128_add_int64_mul_int64(&span, w->month, 30 * USECS_PER_DAY);
	if (int128_compare(span, int64_to_int128(0)) < 0)
		return -1;
	if (int128_compare(span, int64_to_int128(PG_INT64_MAX)) > 0)
		return PG_INT64_MAX;
	return int128_to_int64(span);
}

/* ------------------------------------------------------------------ */
/* qr_reconcile_detail(ledger, statement, time_window, amount_tolerance) */
/* ------------------------------------------------------------------ */

static Datum reconcile(FunctionCallInfo fcinfo, Interval *w, Numeric tolerance);

Datum
qr_reconcile_detail(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("qr_reconcile needs both relations, a time window and an amount tolerance")));
	return reconcile(fcinfo, PG_GETARG_INTERVAL_P(2), PG_GETARG_NUMERIC(3));
}

/* qr_match(ledger, statement, settings jsonb): the window and tolerance of the settings */
Datum
qr_match(PG_FUNCTION_ARGS)
{
	Interval   *w = DatumGetIntervalP(DirectFunctionCall3(interval_in, CStringGetDatum("15 minutes"),
														  ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1)));
	Numeric		tol = int64_to_numeric(0);

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("qr_match needs a ledger and a statement relation")));
	if (!PG_ARGISNULL(2))
	{
		Jsonb	   *j = PG_GETARG_JSONB_P(2);
		JsonbValue *v;

		v = getKeyJsonValueFromContainer(&j->root, "time_window", 11, NULL);
		if (v != NULL && v->type == jbvString)
			w = DatumGetIntervalP(DirectFunctionCall3(interval_in,
													  CStringGetDatum(pnstrdup(v->val.string.val, v->val.string.len)),
													  ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1)));
		v = getKeyJsonValueFromContainer(&j->root, "amount_tolerance", 16, NULL);
		if (v != NULL && v->type == jbvNumeric)
			tol = v->val.numeric;
	}
	return reconcile(fcinfo, w, tol);
}

static Datum
reconcile(FunctionCallInfo fcinfo, Interval *w, Numeric tolerance)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	rec_state	st;
	MemoryContext callcxt = CurrentMemoryContext;
	int			k,
				pinned;

	memset(&st, 0, sizeof(st));
	st.tolerance = tolerance;
	st.window_us = window_span(w);
	if (st.window_us < 0 ||
		DatumGetInt32(DirectFunctionCall2(numeric_cmp, NumericGetDatum(st.tolerance),
										  DirectFunctionCall1(int4_numeric, Int32GetDatum(0)))) < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("qr_reconcile needs a time window and an amount tolerance of zero or more, not %s and %s",
						DatumGetCString(DirectFunctionCall1(interval_out, IntervalPGetDatum(w))),
						numeric_text(st.tolerance))));
	st.window_text = DatumGetCString(DirectFunctionCall1(interval_out, IntervalPGetDatum(w)));

	InitMaterializedSRF(fcinfo, 0);
	st.out = rsinfo->setResult;
	st.desc = rsinfo->setDesc;
	st.budget = (Size) work_mem * 1024L;

	/* the result's constant texts live as long as the call */
	st.st_matched = cstring_datum("matched");
	st.st_mismatch = cstring_datum("amount_mismatch");
	st.st_outside = cstring_datum("outside_window");
	st.st_missing_s = cstring_datum("missing_in_statement");
	st.st_missing_l = cstring_datum("missing_in_ledger");
	st.st_dup_l = cstring_datum("duplicate_in_ledger");
	st.st_dup_s = cstring_datum("duplicate_in_statement");
	st.by_reference = cstring_datum("by reference");
	st.no_stmt_reason = cstring_datum("no reference, and no statement row of this amount within the window");
	st.no_ledger_reason = cstring_datum("no reference, and no ledger row of this amount within the window");
	st.zero = DirectFunctionCall1(int4_numeric, Int32GetDatum(0));

	st.callcxt = callcxt;
	st.rowcxt = AllocSetContextCreate(callcxt, "qr_reconcile rows", ALLOCSET_DEFAULT_SIZES);
	forget_held(&st);

	require_columns(PG_GETARG_OID(0));
	require_columns(PG_GETARG_OID(1));
	SPI_connect();
	pinned = pin_search_path();
	read_side(&st, PG_GETARG_OID(0), SIDE_LEDGER);
	read_side(&st, PG_GETARG_OID(1), SIDE_STATEMENT);
	unpin_search_path(pinned);
	SPI_finish();

	MemoryContextSwitchTo(callcxt);
	if (st.parts == NULL)
		reconcile_held(&st);
	else
	{
		forget_held(&st);
		for (k = 0; k < FANOUT_FIRST; k++)
			reconcile_file(&st, st.parts[k], st.part_bytes[k], FIRST_BITS);
	}
	MemoryContextDelete(st.rowcxt);
	return (Datum) 0;
}

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
	return text_cmp(a->id, b->id);
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
	window = window_span(PG_GETARG_INTERVAL_P(3));
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

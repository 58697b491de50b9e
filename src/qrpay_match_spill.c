/*
 * qrpay_match_spill.c — rows with a key, before they are reconciled: held
 * in a memory context of their own while it stays within work_mem, then
 * written to temporary files partitioned by the hash of (provider, key).
 * Each part is read back and sorted in memory when it should fit, else
 * split by further bits of the hash; a part whose rows all share one hash
 * goes through a tuplesort.  Every group's rows come out contiguous and in
 * one order, whichever way they went.
 */
#include "postgres.h"

#include "catalog/pg_collation.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "miscadmin.h"
#include "port/pg_bitutils.h"
#include "utils/memutils.h"
#include "utils/typcache.h"

#include "qrpay.h"
#include "qrpay_match.h"

#define PART_BITS		6		/* 64 parts when the rows first spill, and per split */
#define NBLOBF			8

static const int blob_col[NBLOBF] = {C_GKEY, C_PROVIDER, C_REF, C_PARENT, C_TXN, C_AMOUNT, C_CUR, C_FEE};

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
	qrm_row_from_blob(&a, (m_blob *) x);
	qrm_row_from_blob(&b, (m_blob *) y);
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
	if (a.amount && (c = qrm_num_cmp(a.amount, b.amount)) != 0)
		return c;
	if ((a.fee == NULL) != (b.fee == NULL))
		return (a.fee == NULL) - (b.fee == NULL);
	if (a.fee && (c = qrm_num_cmp(a.fee, b.fee)) != 0)
		return c;
	return (int) a.context - (int) b.context;
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

		qrm_row_from_blob(&r, items[i].b);
		qrm_process(st, &r, NULL, items[i].b);
		MemoryContextSwitchTo(old);
	}
	MemoryContextSwitchTo(st->emitcxt);
	qrm_flush(st);
	MemoryContextSwitchTo(st->cxt);
	pfree(items);
}

/*
 * The context rows with a key are held in, and what they may take of it.
 * A generation context: its rows are let go of all at once, and it does
 * not round a chunk up to a power of two as an AllocSet does, so that a
 * row takes its bytes and a chunk header (an AllocSet took about half as
 * much again for the rows of bench/match.sh).  Its blocks grow to at most
 * a sixteenth of work_mem, as CreateWorkExprContext (execUtils.c) sizes
 * the contexts of hash aggregation, so that the context's measure
 * (MemoryContextMemAllocated) moves in small steps and a small work_mem is
 * not overshot by a block.
 */
void
qrm_hold_begin(m_state *st)
{
	Size		max_block = pg_prevpower2_size_t((Size) work_mem * 1024 / 16);

	max_block = Min(max_block, ALLOCSET_DEFAULT_MAXSIZE);
	max_block = Max(max_block, ALLOCSET_DEFAULT_INITSIZE);
	st->holdcxt = GenerationContextCreate(st->cxt, "qr_match keyed rows",
										  ALLOCSET_DEFAULT_MINSIZE, ALLOCSET_DEFAULT_INITSIZE, max_block);
	st->budget = (Size) work_mem * 1024;
	st->mem_per_byte = 0;
}

/* a blob onto the array of rows held in holdcxt */
static void
hold_blob(m_state *st, m_blob *b)
{
	if (st->nheld == st->maxheld)
	{
		st->maxheld = st->maxheld ? st->maxheld * 2 : 1024;
		st->held = st->held ? repalloc_huge(st->held, st->maxheld * sizeof(m_blob *))
				   : MemoryContextAllocHuge(st->holdcxt, st->maxheld * sizeof(m_blob *));
	}
	st->held[st->nheld++] = b;
}

/* let go of the rows held: holdcxt back to its first block */
static void
hold_reset(m_state *st)
{
	MemoryContextReset(st->holdcxt);
	st->held = NULL;
	st->nheld = st->maxheld = 0;
}

/*
 * The rows held have passed work_mem: they go to 2^PART_BITS temporary
 * files by their hash, as every row with a key after them will.  What
 * holdcxt took for them, over the bytes they take in the files, is what a
 * part read back will take for each of its bytes (process_file).
 */
static void
spill_held(m_state *st)
{
	MemoryContext old = MemoryContextSwitchTo(st->cxt);
	Size		held = MemoryContextMemAllocated(st->holdcxt, true);
	int64		written = 0;

	st->parts = palloc((1 << PART_BITS) * sizeof(BufFile *));
	st->part_bytes = palloc0((1 << PART_BITS) * sizeof(int64));
	for (int i = 0; i < (1 << PART_BITS); i++)
		st->parts[i] = BufFileCreateTemp(false);
	for (long i = 0; i < st->nheld; i++)
		blob_write(st->parts[part_of(st->held[i]->hash, 0, PART_BITS)],
				   &st->part_bytes[part_of(st->held[i]->hash, 0, PART_BITS)], st->held[i]);
	for (int i = 0; i < (1 << PART_BITS); i++)
		written += st->part_bytes[i];
	st->mem_per_byte = Max((double) held / (double) Max(written, 1), 1.0);
	ereport(DEBUG1,
			(errmsg_internal("qr_match spilled %ld rows with a key: %zu bytes in memory, " INT64_FORMAT " in files",
							 st->nheld, held, written)));
	hold_reset(st);
	MemoryContextSwitchTo(old);
}

/* a row with a key from the stream: held while holdcxt stays within work_mem */
void
qrm_hold_keyed(m_state *st, TupleTableSlot *slot)
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
	hold_blob(st, b);
	if (MemoryContextMemAllocated(st->holdcxt, true) > st->budget)
		spill_held(st);
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

		qrm_row_from_blob(&r, b);
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
		qrm_process_slot(st, out);
		MemoryContextSwitchTo(old);
	}
	MemoryContextSwitchTo(st->emitcxt);
	qrm_flush(st);
	MemoryContextSwitchTo(st->cxt);
	tuplesort_end(ts);
	ExecDropSingleTupleTableSlot(in);
	ExecDropSingleTupleTableSlot(out);
}

static void process_file(m_state *st, BufFile *f, int64 bytes, int shift);

/*
 * A part too large for memory, split by the hash's next bits into 2^bits
 * parts, each then read back in its turn.  When every row shared one hash,
 * no further bit would split them: each part goes through a tuplesort.
 */
static void
split_file(m_state *st, BufFile *f, int shift, int bits)
{
	int			nsub = 1 << bits;
	BufFile   **sub = palloc(nsub * sizeof(BufFile *));
	int64	   *subbytes = palloc0(nsub * sizeof(int64));
	uint64		first = 0;
	bool		one_hash = true,
				any = false;
	m_blob	   *b;
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
}

/* a part in memory: its rows held in holdcxt, reconciled, then let go of */
static void
hold_file(m_state *st, BufFile *f)
{
	MemoryContext old = MemoryContextSwitchTo(st->holdcxt);
	m_blob	   *b;

	hold_reset(st);
	while ((b = blob_read(f)) != NULL)
		hold_blob(st, b);
	MemoryContextSwitchTo(old);
	BufFileClose(f);
	process_set(st, st->held, st->nheld);
	hold_reset(st);
}

/*
 * A part: in memory when it should fit, else split by the hash's next bits
 * into as many parts as should each fit (at most 2^PART_BITS at a time).
 *
 * What a part will take in memory is known only once it is read, so it is
 * estimated from its bytes in the file.  A row read back is allocated as
 * the same blob it was when first held, so holdcxt takes for it what it
 * took then: mem_per_byte, holdcxt's own measure over the bytes its rows
 * wrote when they first spilled, carries that over.  It covers the chunk
 * headers, the blocks' slack and the array of pointers (1.4 to 1.6 for the
 * rows of bench/match.sh at work_mem 64kB to 4MB); the sort's array of
 * (hash, row) pairs comes on top while the part is reconciled.
 */
static void
process_file(m_state *st, BufFile *f, int64 bytes, int shift)
{
	double		need = (double) bytes * st->mem_per_byte;
	int			bits = 0;

	Assert(st->mem_per_byte >= 1.0);
	if (BufFileSeek(f, 0, 0, SEEK_SET) != 0)
		ereport(ERROR, (errcode_for_file_access(), errmsg("qr_match could not rewind a temporary file")));
	if (need > (double) st->budget && shift >= 64)
	{
		process_sorted_file(st, f);
		return;
	}
	while (bits < PART_BITS && shift + bits < 64 && need / (double) (UINT64CONST(1) << bits) > (double) st->budget)
		bits++;
	if (bits > 0)
		split_file(st, f, shift, bits);
	else
		hold_file(st, f);
}

/* every row with a key, after the stream */
void
qrm_process_keyed(m_state *st)
{
	if (st->parts == NULL)
	{
		process_set(st, st->held, st->nheld);
		hold_reset(st);
		return;
	}
	for (int i = 0; i < (1 << PART_BITS); i++)
		process_file(st, st->parts[i], st->part_bytes[i], PART_BITS);
}

/*
 * qrpay_match.h — what the files of the matching engine (qr_match,
 * qr_reconcile, qr_reconcile_detail) share: its settings, rows, groups and
 * state, and the functions each file offers the others.  Private to them;
 * the rest of the extension sees only qrpay.h.
 *
 *   qrpay_match.c           the SQL entry points, the query that reads both
 *                           sides, and Citus shard groups
 *   qrpay_match_settings.c  qr_recon_settings, the settings argument, and the
 *                           fee and exchange rates
 *   qrpay_match_rows.c      rows as the engine holds them, and amounts
 *   qrpay_match_spill.c     rows with a key: held in memory up to work_mem,
 *                           else partitioned by hash into temporary files
 *   qrpay_match_group.c     a group of rows with one key, counted and then
 *                           reconciled
 *   qrpay_match_stream.c    the rows in order, to their group or amount;
 *                           rows without a key paired by nearest time
 *   qrpay_match_search.c    rows left alone: small sets that sum to a row
 *   qrpay_match_emit.c      result rows and their reasons
 *
 * Functions shared among these files are named qrm_*.
 */
#ifndef QRPAY_MATCH_H
#define QRPAY_MATCH_H

#include "postgres.h"

#include "executor/tuptable.h"
#include "storage/buffile.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"
#include "utils/tuplesort.h"
#include "utils/tuplestore.h"

#include "qr_stream.h"

#define SIDE_LEDGER		0
#define SIDE_STATEMENT	1
#define NCOLS			19		/* qr_match's result columns */
#define MAX_CANDIDATES	10		/* candidates listed for an ambiguous row */
#define GROUP_HELD		8		/* rows of a group held before its tuplestore */

/* the stream's columns (see stream_sql) */
enum
{
	C_GKEY, C_PROVIDER, C_REFUND, C_REF, C_UCUR, C_RAMOUNT, C_TS, C_SIDE, C_TXN,
	C_PARENT, C_AMOUNT, C_CUR, C_FEE, C_CONTEXT, C_NCOLS
};

/* settings: built in <- '*' row <- provider's row <- argument */
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

/* rows and state */

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
	Numeric		zeros[8];		/* qrm_zero_at's, by scale */
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
	MemoryContext holdcxt;		/* theirs alone, measured against budget */
	struct m_blob **held;
	long		nheld,
				maxheld;
	Size		budget;			/* work_mem, in bytes */
	double		mem_per_byte;	/* holdcxt's measure over the file bytes of
								 * the rows it held, when they spilled */
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

/* the same bytes, or both NULL */
static inline bool
text_eq(const text *a, const text *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return VARSIZE_ANY_EXHDR(a) == VARSIZE_ANY_EXHDR(b) &&
		   memcmp(VARDATA_ANY(a), VARDATA_ANY(b), VARSIZE_ANY_EXHDR(a)) == 0;
}

/* a row with a finite time */
static inline bool
has_time(const m_row *r)
{
	return !r->ts_null && !TIMESTAMP_NOT_FINITE(r->ts);
}

/* qrpay_match_settings.c */
extern char *qrm_numeric_text(Numeric a);
extern void qrm_read_override(m_state *st);
extern void qrm_read_settings(m_state *st);
extern const m_settings *qrm_settings_of(m_state *st, const text *provider);
extern Numeric qrm_fx_rate(m_state *st, const text *from, const text *to, TimestampTz at);
extern Numeric qrm_expected_fee(m_state *st, const m_row *s, Numeric gross);

/* qrpay_match_rows.c */
extern void qrm_row_from(m_row *r, Datum *v, bool *n);
extern void qrm_row_from_blob(m_row *r, m_blob *b);
extern text *qrm_copy_text(const text *t);
extern m_row *qrm_row_copy(const m_row *r);
extern void qrm_row_free(m_row *r);
extern void qrm_require_finite(const m_row *r);
extern int	qrm_scale_of(const text *cur);
extern Numeric qrm_round_to(Numeric a, int scale);
extern Numeric qrm_num_add(Numeric a, Numeric b);
extern Numeric qrm_num_sub(Numeric a, Numeric b);
extern Numeric qrm_num_mul(Numeric a, Numeric b);
extern Numeric qrm_num_abs(Numeric a);
extern int	qrm_num_cmp(Numeric a, Numeric b);
extern bool qrm_num_is_zero(Numeric a);
extern Numeric qrm_tolerance_of(const m_settings *s, Numeric base, Numeric pct);
extern bool qrm_units_of(Numeric a, int scale, int64 *u);
extern Numeric qrm_units_numeric(int64 u, int scale);
extern Numeric qrm_zero_at(m_state *st, int scale);

/* qrpay_match_emit.c */
extern void qrm_out_of(m_out *o, const m_row *r);
extern void qrm_emit(m_state *st, const m_out *o);
extern void qrm_emit_reset(m_state *st);
extern void qrm_emit_one(m_state *st, const m_row *r, const char *status, char *reason, int64 group);
extern const char *qrm_missing_status(const m_row *r);
extern const char *qrm_duplicate_status(const m_row *r);
extern char *qrm_apart_text(const m_row *a, const m_row *b);
extern void qrm_emit_reference_pair(m_state *st, m_group *g, const m_row *l, const m_row *s);
extern void qrm_emit_refund(m_state *st, m_group *g, const m_row *l, const m_row *s);

/* qrpay_match_group.c */
extern void qrm_group_begin(m_state *st, m_group *g, const m_row *r, const m_settings *set, bool stable);
extern void qrm_group_store(m_state *st, TupleTableSlot *slot, m_blob *blob);
extern void qrm_group_count(m_state *st, m_group *g, const m_row *r, bool stable);
extern void qrm_group_end(m_state *st, m_group *g);

/* qrpay_match_stream.c */
extern void qrm_stream_begin(m_state *st);
extern void qrm_process(m_state *st, m_row *rp, TupleTableSlot *slot, m_blob *blob);
extern void qrm_process_slot(m_state *st, TupleTableSlot *slot);
extern void qrm_flush(m_state *st);

/* qrpay_match_search.c */
extern void qrm_search_groups(m_state *st);

/* qrpay_match_spill.c */
extern void qrm_hold_begin(m_state *st);
extern void qrm_hold_keyed(m_state *st, TupleTableSlot *slot);
extern void qrm_process_keyed(m_state *st);

#endif							/* QRPAY_MATCH_H */

/*
 * qr_stream.h — pairing by nearest time, streamed: the rows of one amount
 * group (same provider, currency and rounded amount) come in time order and
 * are paired while only the rows still undecided are held.
 *
 * What the pairing decides (closest pair first, never a guess, first paid
 * first settled):
 *
 *   A ledger row at time tl and a statement row at time ts may pair when
 *   -before <= ts - tl <= after; their distance is |ts - tl|.  Rows come in
 *   (t, side, id) order, side 0 for the ledger and 1 for the statement.
 *
 *   1. A bundle is a run of rows with the same side and the same time.
 *   2. The bundles stand in a list, in order.  Two neighbours in the list
 *      of different sides whose rows may pair are a candidate; its gap is
 *      their distance.
 *   3. The smallest gap g among the candidates is settled first.  The
 *      candidates of gap g joined through shared bundles form a plateau
 *      B1..Bm (each two neighbours in it a candidate of gap g).  When m is
 *      2 and each bundle holds one row, the two rows PAIR.  Otherwise the
 *      closest partner is not unique, and rather than guess, every row of
 *      B1..Bm is AMBIGUOUS, as one set: a row's candidates are the set's
 *      rows of the other side.  B1..Bm then leave the list; their outer
 *      neighbours become neighbours (a new candidate when they qualify,
 *      always with a gap larger than g).  Plateaus of equal gap that do
 *      not touch are independent: their order does not matter.
 *   4. A set of more than QR_STREAM_MAX_SET (4096) rows is reported as
 *      consecutive sets of at most 4096: its rows in input order, cut
 *      after every 4096th.  So a run of equally close rows longer than
 *      4096 is reported in consecutive sets of at most 4096 rows.  Each of
 *      their rows is still AMBIGUOUS (it was tied), but its candidates are
 *      only the rows of the other side in its own set, which may hold
 *      rows of one side only.  The cut changes nothing else: B1..Bm leave
 *      the list as in 3, so every other row pairs, is tied or is alone as
 *      without it.  The limit is a constant so that the sets never depend
 *      on how much memory is at hand.
 *   5. Rows that never pair nor join a set are ALONE.
 *   6. Pairs never cross: the k-th paired ledger row (in input order) goes
 *      with the k-th paired statement row.  These are the pairs reported.
 *      They still lie within the window.  Say the k-th paired ledger row
 *      is at time l.  The partners taken in 3 by the paired ledger rows
 *      from the k-th on all lie at or after l - before, so at most k - 1
 *      paired statement rows lie before it; the partners of the first k
 *      all lie at or before l + after.  So the k-th paired statement row
 *      lies within [l - before, l + after].
 *
 * Streaming: a decision is taken as soon as no row yet to come can change
 * it.  A plateau is final once no bundle of the other side within g of
 * either of its ends may pair with that end: neither one still in the list
 * (which would mean a smaller gap next to it, settled first) nor one yet
 * to come.  A bundle is ALONE once nothing in the list and nothing to come
 * may pair with it.  Pairs are reported when every earlier row is final,
 * since an undecided earlier row may still shift the k-th of its side.
 * So the rows held are those from the oldest undecided one on: a few
 * windows' worth at most in practice (a row left without its partner may
 * still pair with another such row up to a window later, and that pair is
 * final only once nothing closer to either can come).  More are held only
 * while a tie (a plateau) or a run of ever closer gaps stays open at the
 * newest row.  A plateau still open gives out its leading rows as soon as
 * they fill a set of 4096 and are sure to be in it (nothing to come can
 * take them from it): a long plateau (rows evenly spaced, ledger and
 * statement alternating) holds at most 4096 rows besides its last two
 * bundles.
 *
 * Memory comes from the caller's allocator only.  A push that cannot get
 * memory returns -1 and leaves the stream as it was.
 */
#ifndef QR_STREAM_H
#define QR_STREAM_H

#include <stddef.h>
#include <stdint.h>

typedef struct qr_stream qr_stream;

typedef struct qr_stream_mem
{
	void	   *(*alloc) (void *ctx, size_t n);	/* NULL when out of memory */
	void		(*release) (void *ctx, void *p);
	void	   *ctx;
} qr_stream_mem;

enum
{
	QR_STREAM_PAIR = 1,			/* row[0] ledger, row[1] statement */
	QR_STREAM_ALONE = 2,		/* row[0] */
	QR_STREAM_AMBIGUOUS = 3		/* rows[0..n-1], sides[0..n-1] */
};

typedef struct qr_stream_event
{
	int			kind;
	void	   *row[2];			/* PAIR: ledger, statement; ALONE: the row */
	/*
	 * Every event's rows in input order (PAIR: ledger then statement), with
	 * their sides; valid until the next call on the stream.
	 */
	void	   *const *rows;
	const unsigned char *sides;
	size_t		n;
} qr_stream_event;

/* The most rows of an AMBIGUOUS event (4 above) */
#define QR_STREAM_MAX_SET 4096

/*
 * A stream for rows paired within [-before, after] (negative taken as 0).
 * mem must be given (it is copied).  NULL when out of memory.
 */
extern qr_stream *qr_stream_create(int64_t before, int64_t after, const qr_stream_mem *mem);

/*
 * The same with sets cut at max_set rows (0 taken as 1) instead of
 * QR_STREAM_MAX_SET, so that tests can cut sets of a few rows.
 */
extern qr_stream *qr_stream_create_capped(int64_t before, int64_t after, const qr_stream_mem *mem,
										  size_t max_set);

/*
 * Pushes one row: side 0 ledger, 1 statement (any non-zero is 1); row is
 * the caller's handle, given back in events.  Rows must come in (t, side,
 * id) order.  0 when taken; -1 when out of memory; -2 when (t, side) goes
 * backwards or the group was finished.  On -1 and -2 the stream is as it
 * was.
 */
extern int	qr_stream_push(qr_stream *s, int64_t t, unsigned char side, void *row);

/* The group ends: every row becomes decidable. */
extern void qr_stream_finish(qr_stream *s);

/*
 * The next event ready: 1 with ev filled, 0 when none is ready now.  Call
 * it until 0 after each push and after finish; every pushed row comes out
 * in exactly one event.  The order is deterministic: ALONE and AMBIGUOUS
 * events as they are decided, PAIR events in input order of their rows.
 */
extern int	qr_stream_next(qr_stream *s, qr_stream_event *ev);

/* Starts the next group, dropping whatever is left; keeps the memory. */
extern void qr_stream_reset(qr_stream *s, int64_t before, int64_t after);

/* Rows pushed and not yet given back by qr_stream_next. */
extern size_t qr_stream_held(const qr_stream *s);

extern void qr_stream_destroy(qr_stream *s);

#endif							/* QR_STREAM_H */

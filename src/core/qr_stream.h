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
 *   Twins are rows of the same side at the same time.
 *
 *   1. The rows stand in a list, in order.  Two neighbours in the list of
 *      different sides that may pair are a candidate; its gap is their
 *      distance.  Neighbours of the same side never are.
 *   2. The smallest gap g among the candidates is settled first.  The
 *      candidates of gap g joined through shared rows form a plateau
 *      R1..Rm (each two neighbours in it a candidate of gap g).  When m is
 *      2 the two rows pair.  Otherwise the closest partner is not unique,
 *      and rather than guess, R1..Rm are a tie.  R1..Rm then leave the
 *      list; their outer neighbours become neighbours (a new candidate when
 *      they qualify: its gap is larger than g, or equal to it when the
 *      outer neighbours are twins of R1 and Rm).  Of several plateaus of
 *      gap g, the leftmost (earliest) is settled first: with twins the
 *      order can matter.
 *   3. Pairs never cross: the k-th paired ledger row (in input order) goes
 *      with the k-th paired statement row.  These are the pairs.  They
 *      still lie within the window.  Say the k-th paired ledger row is at
 *      time l.  The partners taken in 2 by the paired ledger rows from the
 *      k-th on all lie at or after l - before, so at most k - 1 paired
 *      statement rows lie before it; the partners of the first k all lie at
 *      or before l + after.  So the k-th paired statement row lies within
 *      [l - before, l + after].
 *   4. Rows identical in amount and time cannot be told apart: every row
 *      paired with one of two twins, and the twins themselves, are
 *      ambiguous.  Join rows by pairs (3), by twins, and by ties (2, the
 *      rows of one tie).  A group of rows so joined is one AMBIGUOUS set
 *      when it holds a tie, or twins and a pair; otherwise it is a PAIR
 *      (two rows, one pair) or ALONE rows (a row on its own, or twins none
 *      of which paired).  A row's candidates are the set's rows of the
 *      other side.
 *   5. A set of more than QR_STREAM_MAX_SET (4096) rows is reported as
 *      consecutive sets of at most 4096: its rows in input order, cut
 *      after every 4096th.  Each of their rows is still AMBIGUOUS, but its
 *      candidates are only the rows of the other side in its own set,
 *      which may hold rows of one side only.  The cut changes nothing else.
 *      The limit is a constant so that the sets never depend on how much
 *      memory is at hand.
 *
 * Example, a metro line: fares of 2.00 every 57.6 ms in the ledger (times
 * in ms), each printed in the statement 3 s later at second resolution, so
 * 17 or 18 statement rows at each second, all twins.  Closest first pairs
 * the statement rows of second 3 with the ledger rows nearest before it
 * (those of second 2, not of second 0 where they came from), and the k-th
 * with the k-th they become pairs of rows 3 s apart; either way no pair
 * can be told from another: the rows of a second on the statement and the
 * ledger rows paired with them are one AMBIGUOUS set of about 35 rows,
 * each ledger row with that second's statement rows as candidates.  When
 * one statement row of a second is missing, one ledger row fewer pairs
 * near it: the one left furthest from any statement row is ALONE, or,
 * paired further away, in another second's set; the others are not
 * shifted.  Without the twins rule the statement rows of a second would
 * take only the ledger rows next to them and leave most of the others
 * ALONE.
 *
 * Streaming: a decision is taken as soon as no row yet to come can change
 * it.  A plateau is final once no row of the other side within g of either
 * of its ends may pair with that end: neither one still in the list (which
 * would mean a smaller gap next to it, settled first, or on the left a
 * plateau of gap g settled before it) nor one yet to come.  A row is ALONE
 * in the list once nothing in the list and nothing to come may pair with
 * it.  Rows are joined (3-4) in input order once every earlier row is
 * decided, since an undecided earlier row may still shift the k-th of its
 * side, and a joined group goes out once nothing to come can join it: a
 * pair, a twin or a tie reaches a window at most beyond its newest row.
 * So the rows held are those from the oldest undecided one on: a few
 * windows' worth at most in practice (a row left without its partner may
 * still pair with another such row up to a window later, and that pair is
 * final only once nothing closer to either can come).  More are held only
 * while a tie, a run of twins or a run of ever closer gaps stays open at
 * the newest row.  A set still open gives out its leading 4096 rows as
 * soon as they are sure to be its first ones: a long plateau (rows evenly
 * spaced, ledger and statement alternating) holds a set's worth and a few
 * dozen rows, however long it is.
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

/* The most rows of an AMBIGUOUS event (5 above) */
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

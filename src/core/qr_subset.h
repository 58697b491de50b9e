/*
 * qr_subset.h — the rows of one side whose amounts add up to a row of the
 * other: a payout settling several payments, several payments settled at
 * once.  A bounded exact subset-sum search over integer minor units.
 */
#ifndef QR_SUBSET_H
#define QR_SUBSET_H

#include <stddef.h>
#include <stdint.h>

typedef enum
{
	QR_SUBSET_NONE,				/* no subset adds up to the target */
	QR_SUBSET_ONE,				/* exactly one subset does */
	QR_SUBSET_MANY,				/* at least two different subsets do */
	QR_SUBSET_GAVE_UP			/* the budget ran out before the answer was certain */
} qr_subset_result;

/*
 * Bytes of work buffer qr_subset_find needs for n amounts and subsets of at
 * most max_rows rows (a max_rows above n counts as n).
 */
#define QR_SUBSET_WORK(n, max_rows) \
	((size_t) (n) * (3 * sizeof(uint64_t) + sizeof(size_t)) + 2 * sizeof(uint64_t) + \
	 ((size_t) (max_rows) < (size_t) (n) ? (size_t) (max_rows) + 1 : (size_t) (n) + 1) * \
	 (sizeof(size_t) + sizeof(long)))

/*
 * Which sets of min_rows to max_rows indexes of amount[0..n) add up to
 * target exactly?  Amounts are integers in minor units.  Only amounts of
 * the target's sign and of strictly smaller magnitude can take part (a
 * zero amount or target never does), so every subset has at least two
 * rows.  Subsets are sets of indexes: two rows of equal amount make two
 * subsets, a tie.
 *
 * ONE: pick[0..*npick) holds the subset's indexes in ascending order.
 * MANY: pick[0..*npick) holds the union of the first two subsets found,
 * ascending (the rows that compete).  NONE, GAVE_UP: *npick is 0.  pick
 * must hold 2 * max_rows indexes (2 * n when max_rows is larger).
 *
 * budget bounds the search nodes (rows tried as part of a subset): when
 * more are needed before the answer is certain (a second subset found, or
 * none possible beyond the first), the result is GAVE_UP.  The search is
 * deterministic: the same input gives the same result and the same pick.
 * work must hold QR_SUBSET_WORK(n, max_rows) bytes, aligned for uint64_t.
 * Nothing is allocated.
 */
extern qr_subset_result qr_subset_find(int64_t target, const int64_t *amount, size_t n,
									   int min_rows, int max_rows, long budget,
									   size_t *pick, int *npick, void *work);

#endif							/* QR_SUBSET_H */

/*
 * qrpay_money.h — amounts in a currency's minor units, for the glue that
 * compares amounts (qrpay_money.c).
 */
#ifndef QRPAY_MONEY_H
#define QRPAY_MONEY_H

#include "postgres.h"
#include "utils/numeric.h"

/*
 * Decimals a currency is rounded to where ISO 4217 gives it none (unknown
 * codes, NULL, N.A. like XAU): the policy of matching and clearing alike.
 */
#define QRPAY_DEFAULT_SCALE 4

/*
 * The ISO 4217 minor unit of a currency given as text (alphabetic code in
 * either case, or 3-digit numeric code): 0 to 4, or -1 when unknown, N.A.
 * or currency is NULL.  currency may have a short (packed) header.
 */
extern int	qrpay_minor_unit_text(const text *currency);

/*
 * amount rounded half away from zero to scale decimals, as an integer
 * count of 10^-scale units: 12.345 at scale 2 is 1235.  *overflow is set
 * (and 0 returned) when that count does not fit int64, or amount is NaN or
 * infinite; otherwise it is cleared.  scale is 0 to 18 (10^18 is the
 * largest power of ten an int64 holds).  Allocates nothing that outlives
 * the call: safe to run per row.
 */
extern int64 qrpay_amount_units(Numeric amount, int scale, bool *overflow);

#endif							/* QRPAY_MONEY_H */

/*
 * qrpay_money.c — amounts and the minor units of their currencies:
 * qr_minor_unit, qr_round_amount, and the integer minor units that
 * matching compares amounts in.
 *
 * ISO 4217 gives each currency the decimals of its minor unit (JPY 0, CNY
 * 2, BHD 3, CLF 4; src/core/qr_names.c holds the list).  A currency the
 * list gives none (an unknown code, or N.A. like XAU) keeps
 * QRPAY_DEFAULT_SCALE decimals, in matching and clearing alike: no
 * precision of cents is made up for it, and amounts differing only far
 * behind the decimal point still compare equal.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#include "qrpay.h"
#include "qrpay_money.h"

PG_FUNCTION_INFO_V1(qr_minor_unit);
PG_FUNCTION_INFO_V1(qr_round_amount);

/* 10^18 is the largest power of ten an int64 holds */
#define MAX_FAST_SCALE 18

int
qrpay_minor_unit_text(const text *currency)
{
	if (currency == NULL)
		return -1;
	return qr_iso4217_minor(VARDATA_ANY(currency), VARSIZE_ANY_EXHDR(currency));
}

/*
 * Constants of qrpay_amount_units, made once per backend: the powers of
 * ten, and the bounds outside which a value rounds to a count beyond int64
 * (the value rounds half away from zero, so ...807.5 already does).
 */
static Numeric power_of_ten[MAX_FAST_SCALE + 1];
static Numeric below_int64;		/* -9223372036854775808.5 */
static Numeric above_int64;		/* 9223372036854775807.5 */

static Numeric
numeric_constant(const char *s)
{
	return DatumGetNumeric(DirectFunctionCall3(numeric_in, CStringGetDatum(s),
											   ObjectIdGetDatum(InvalidOid),
											   Int32GetDatum(-1)));
}

static void
make_constants(void)
{
	MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
	int64		p = 1;

	for (int i = 0; i <= MAX_FAST_SCALE; i++)
	{
		power_of_ten[i] = int64_to_numeric(p);
		if (i < MAX_FAST_SCALE)
			p *= 10;
	}
	below_int64 = numeric_constant("-9223372036854775808.5");
	/* set last: a failure above leaves the constants to be made again */
	above_int64 = numeric_constant("9223372036854775807.5");
	MemoryContextSwitchTo(old);
}

static int
compare(Numeric a, Numeric b)
{
	return DatumGetInt32(DirectFunctionCall2(numeric_cmp, NumericGetDatum(a), NumericGetDatum(b)));
}

/*
 * amount * 10^scale is exact in numeric, and its conversion to int8 rounds
 * half away from zero: the same as round(amount, scale) * 10^scale, with
 * one rounding fewer.  The bounds are checked first because numeric_int8
 * raises an error where this function must only say "overflow".
 */
int64
qrpay_amount_units(Numeric amount, int scale, bool *overflow)
{
	Numeric		scaled = amount;
	bool		failed = false;
	int64		units;

	*overflow = false;
	if (scale < 0 || scale > MAX_FAST_SCALE)
		elog(ERROR, "qrpay_amount_units: scale %d is outside 0 to %d", scale, MAX_FAST_SCALE);
	if (numeric_is_nan(amount) || numeric_is_inf(amount))
	{
		*overflow = true;
		return 0;
	}
	if (above_int64 == NULL)
		make_constants();
	if (scale > 0)
	{
		scaled = numeric_mul_opt_error(amount, power_of_ten[scale], &failed);
		if (failed)
		{
			*overflow = true;
			return 0;
		}
	}
	if (compare(scaled, below_int64) <= 0 || compare(scaled, above_int64) >= 0)
	{
		*overflow = true;
		units = 0;
	}
	else
		units = DatumGetInt64(DirectFunctionCall1(numeric_int8, NumericGetDatum(scaled)));
	if (scaled != amount)
		pfree(scaled);
	return units;
}

/* qr_minor_unit(currency text) RETURNS integer: NULL when ISO 4217 gives none */
Datum
qr_minor_unit(PG_FUNCTION_ARGS)
{
	int			minor = qrpay_minor_unit_text(PG_GETARG_TEXT_PP(0));

	if (minor < 0)
		PG_RETURN_NULL();
	PG_RETURN_INT32(minor);
}

/*
 * qr_round_amount(amount numeric, currency text) RETURNS numeric: rounded
 * half away from zero to the currency's minor unit, or to
 * QRPAY_DEFAULT_SCALE decimals when it has none (a NULL currency too).
 * NaN and infinities come back as they are.
 */
Datum
qr_round_amount(PG_FUNCTION_ARGS)
{
	Numeric		amount;
	int			scale;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	amount = PG_GETARG_NUMERIC(0);
	if (numeric_is_nan(amount) || numeric_is_inf(amount))
		PG_RETURN_NUMERIC(amount);
	scale = PG_ARGISNULL(1) ? -1 : qrpay_minor_unit_text(PG_GETARG_TEXT_PP(1));
	if (scale < 0)
		scale = QRPAY_DEFAULT_SCALE;
	PG_RETURN_DATUM(DirectFunctionCall2(numeric_round, NumericGetDatum(amount),
										Int32GetDatum(scale)));
}

/*
 * qr_pair.c — one-to-one pairing of ledger and statement rows by nearest
 * time, for the rows reconciliation cannot match by reference.
 */
#include "qrpay_core.h"

/* the gap between live rows a and b when they can pair, else -1 */
static int64_t
gap(const int64_t *t, const unsigned char *side, long a, long b, int64_t window)
{
	int64_t		d;

	if (side[a] == side[b])
		return -1;
	if (t[a] < 0 && t[b] > INT64_MAX + t[a])
		return -1;				/* further apart than any window */
	d = t[b] - t[a];
	return d <= window ? d : -1;
}

void
qr_pair_nearest(const int64_t *t, const unsigned char *side, long n,
				int64_t window, long *mate, long *work)
{
	long	   *live = work;	/* rows not yet paired, in order */
	long	   *next = work + n;
	long		m = n;
	long		i,
				k,
				l,
				s;
	int			paired;

	for (i = 0; i < n; i++)
	{
		live[i] = i;
		mate[i] = -1;
	}
	/*
	 * A pass takes (i, i + 1) when no neighbouring pair of the pass's start
	 * is closer; ties go to the earlier pair, so two taken pairs never share
	 * a row.
	 */
	do
	{
		int64_t		prev = -1;	/* gap (i - 1, i) */

		paired = 0;
		k = 0;
		i = 0;
		while (i < m)
		{
			int64_t		g = i + 1 < m ? gap(t, side, live[i], live[i + 1], window) : -1;
			int64_t		after = i + 2 < m ? gap(t, side, live[i + 1], live[i + 2], window) : -1;

			if (g >= 0 && (after < 0 || g <= after) && (prev < 0 || g < prev))
			{
				mate[live[i]] = live[i + 1];
				mate[live[i + 1]] = live[i];
				paired = 1;
				prev = after;	/* the gap before row i + 2 */
				i += 2;
			}
			else
			{
				next[k++] = live[i];
				prev = g;
				i++;
			}
		}
		for (i = 0; i < k; i++)
			live[i] = next[i];
		m = k;
	} while (paired && m > 1);

	/* the k-th paired ledger row goes with the k-th paired statement row */
	l = 0;
	s = 0;
	for (;;)
	{
		while (l < n && (side[l] != 0 || mate[l] < 0))
			l++;
		while (s < n && (side[s] != 1 || mate[s] < 0))
			s++;
		if (l >= n || s >= n)
			break;
		work[l] = s;			/* live[] is done with; reuse as the new mates */
		work[n + s] = l;
		l++;
		s++;
	}
	for (i = 0; i < n; i++)
		if (mate[i] >= 0)
			mate[i] = side[i] == 0 ? work[i] : work[n + i];
}

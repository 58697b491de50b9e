/*
 * qr_route.c — the interoperability routing matcher.
 *
 * Which network clears a scan depends on who pays, whose code it is, when,
 * where and how (doc/routing.md, facts F1-F13: China's wallets opened to
 * each other by city, scenario and date).  The rules are data; this file only
 * decides.  Rules are sorted by (payer, payee) with the highest priority
 * first, so one decision reads the few rules of each candidate pair and
 * stops at the first that matches: the cost does not grow with the
 * number of rules of other pairs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qrpay_core.h"
#include "qr_fmt.h"

static const char *const scenario_names[QR_SCENARIO_COUNT] = {
	"offline", "online", "mini_program"
};

const char *
qr_scenario_name(qr_scenario s)
{
	return (s >= 0 && s < QR_SCENARIO_COUNT) ? scenario_names[s] : "unknown";
}

int
qr_scenario_parse(const char *s, size_t n)
{
	for (int k = 0; k < QR_SCENARIO_COUNT; k++)
		if (strlen(scenario_names[k]) == n && memcmp(scenario_names[k], s, n) == 0)
			return k;
	return -1;
}

const char *
qr_route_status_name(qr_route_status s)
{
	switch (s)
	{
		case QR_ROUTE_ON_US:
			return "on_us";
		case QR_ROUTE_INTEROP:
			return "interop";
		case QR_ROUTE_NONE:
			break;
	}
	return "none";
}

static int
cmp_rule(const void *a, const void *b)
{
	const qr_rule *x = a,
				   *y = b;

	if (x->payer != y->payer)
		return x->payer < y->payer ? -1 : 1;
	if (x->payee != y->payee)
		return x->payee < y->payee ? -1 : 1;
	if (x->priority != y->priority)
		return x->priority > y->priority ? -1 : 1;
	/* at equal priority a block is read first: refusing is the safe side */
	if (x->allowed != y->allowed)
		return x->allowed ? 1 : -1;
	return strcmp(x->id, y->id);
}

void
qr_ruleset_build(qr_ruleset *rs, qr_rule *rules, int n, int *payer_start, int nproviders)
{
	int			i = 0;

	qsort(rules, (size_t) n, sizeof(qr_rule), cmp_rule);
	for (int p = 0; p <= nproviders; p++)
	{
		while (i < n && rules[i].payer < p)
			i++;
		payer_start[p] = i;
	}
	rs->rules = rules;
	rs->n = n;
	rs->payer_start = payer_start;
	rs->nproviders = nproviders;
}

/* The rules of (payer, payee): [*lo, *hi). */
static void
pair_range(const qr_ruleset *rs, int payer, int payee, int *lo, int *hi)
{
	int			a,
				b;

	*lo = *hi = 0;
	if (payer < 0 || payer >= rs->nproviders)
		return;
	a = rs->payer_start[payer];
	b = rs->payer_start[payer + 1];
	/* first rule with payee >= wanted */
	while (a < b)
	{
		int			m = a + (b - a) / 2;

		if (rs->rules[m].payee < payee)
			a = m + 1;
		else
			b = m;
	}
	*lo = a;
	b = rs->payer_start[payer + 1];
	while (a < b && rs->rules[a].payee == payee)
		a++;
	*hi = a;
}

static int
has_city(const qr_rule *r, int city)
{
	int			lo = 0,
				hi = r->ncities - 1;

	if (r->ncities < 0)
		return 1;				/* nationwide */
	while (lo <= hi)
	{
		int			m = (lo + hi) / 2;

		if (r->cities[m] == city)
			return 1;
		if (r->cities[m] < city)
			lo = m + 1;
		else
			hi = m - 1;
	}
	return 0;
}

/* A string builder for reasons: no printf on a path taken per row. */
typedef struct sbuf
{
	char	   *d;
	size_t		size;
	size_t		n;
} sbuf;

static void
sb_s(sbuf *b, const char *s)
{
	while (*s && b->n + 1 < b->size)
		b->d[b->n++] = *s++;
	b->d[b->n] = '\0';
}

static void
sb_i(sbuf *b, int v)
{
	char		t[16];
	int			k = 0;
	unsigned	u = v < 0 ? (unsigned) -v : (unsigned) v;

	do
		t[k++] = (char) ('0' + u % 10);
	while ((u /= 10) > 0);
	if (v < 0)
		t[k++] = '-';
	while (k > 0 && b->n + 1 < b->size)
		b->d[b->n++] = t[--k];
	b->d[b->n] = '\0';
}

static void
sb_sep(sbuf *b)
{
	if (b->n > 0)
		sb_s(b, "; ");
}

/* Why rule r (of the query's scenario) does not apply to q, in words. */
static void
why_not(const qr_rule *r, const qr_route_query *q, const qr_route_printer *print, sbuf *b)
{
	char		t[64];

	sb_s(b, "rule ");
	sb_s(b, r->id);
	if (q->at < r->from)
	{
		sb_s(b, " applies from ");
		sb_s(b, print->time(print->arg, r->from, t, sizeof(t)));
	}
	else if (q->at >= r->until)
	{
		sb_s(b, " ended ");
		sb_s(b, print->time(print->arg, r->until, t, sizeof(t)));
	}
	else
	{
		sb_s(b, " covers ");
		sb_i(b, r->ncities);
		sb_s(b, " named cities");
		if (q->city < 0)
			sb_s(b, q->city_text ? " and the region given is none of them"
				 : " and no region is known (give one, or the code names no city)");
		else
		{
			sb_s(b, ", not ");
			sb_s(b, q->city_text ? q->city_text : "this one");
		}
	}
}

static int
applies(const qr_rule *r, const qr_route_query *q)
{
	return q->at >= r->from && q->at < r->until && r->scenario == q->scenario &&
		   (r->ncities < 0 || (q->city >= 0 && has_city(r, q->city)));
}

/* The payer and payee of the code's i-th network (see qr_route_choose). */
static void
pair_of(const qr_route_query *q, int i, int *payer, int *payee)
{
	*payer = q->consumer_presented ? q->networks[i] : q->party;
	*payee = q->consumer_presented ? q->party : q->networks[i];
}

void
qr_route_choose(const qr_ruleset *rs, const qr_route_query *q, qr_route_answer *out)
{
	const qr_rule *best = NULL;
	int			best_payer = -1,
				best_net = -1;

	out->status = QR_ROUTE_NONE;
	out->payer = q->consumer_presented ? -1 : q->party;
	out->network = -1;
	out->via = -1;
	out->rule = NULL;
	out->reason[0] = '\0';

	/* on-us: the payer app and the payee network are one provider */
	for (int i = 0; i < q->nnetworks; i++)
		if (q->networks[i] == q->party)
		{
			out->status = QR_ROUTE_ON_US;
			out->payer = q->party;
			out->network = q->party;
			out->via = q->party;
			return;
		}

	/*
	 * A merchant-presented code: the party pays one of the code's networks.
	 * A consumer-presented code: one of the code's providers pays the
	 * party's merchant.  The first rule that applies decides a pair; a
	 * block deciding one is remembered for a "none" answer (the first
	 * network's that has one).
	 */
	for (int i = 0; i < q->nnetworks; i++)
	{
		int			payer,
					payee,
					lo,
					hi;

		pair_of(q, i, &payer, &payee);
		pair_range(rs, payer, payee, &lo, &hi);
		for (int k = lo; k < hi; k++)
		{
			const qr_rule *r = &rs->rules[k];

			if (!applies(r, q))
				continue;
			if (r->allowed && (best == NULL || r->priority > best->priority))
			{
				best = r;
				best_payer = payer;
				best_net = payee;
			}
			else if (!r->allowed && out->rule == NULL)
				out->rule = r;
			break;
		}
	}
	if (best)
	{
		out->status = QR_ROUTE_INTEROP;
		out->payer = best_payer;
		out->network = best_net;
		out->via = best->via;
		out->rule = best;
	}
}

/* No rule of the query's scenario for a pair: which scenarios it has rules for. */
static void
explain_scenarios(const qr_ruleset *rs, const qr_route_query *q, int lo, int hi, sbuf *b)
{
	int			seen[QR_SCENARIO_COUNT] = {0};

	sb_s(b, "no rule covers ");
	sb_s(b, qr_scenario_name(q->scenario));
	sb_s(b, " payments (its rules are for ");
	for (int k = lo; k < hi; k++)
		seen[rs->rules[k].scenario] = 1;
	for (int k = 0, first = 1; k < QR_SCENARIO_COUNT; k++)
		if (seen[k])
		{
			if (!first)
				sb_s(b, ", ");
			sb_s(b, qr_scenario_name((qr_scenario) k));
			first = 0;
		}
	sb_s(b, ")");
}

/* Why payer cannot pay payee's codes for q, in words. */
static void
explain_pair(const qr_ruleset *rs, const qr_route_query *q, const qr_route_printer *print,
			 int payer, int payee, sbuf *b)
{
	int			lo,
				hi,
				shown = 0;

	pair_range(rs, payer, payee, &lo, &hi);
	/* a block that applies: rules come blocks first within a priority */
	for (int k = lo; k < hi; k++)
	{
		const qr_rule *r = &rs->rules[k];

		if (applies(r, q) && !r->allowed)
		{
			sb_s(b, "rule ");
			sb_s(b, r->id);
			sb_s(b, " blocks ");
			sb_s(b, print->provider(print->arg, payer));
			sb_s(b, " paying ");
			sb_s(b, print->provider(print->arg, payee));
			sb_s(b, " codes (");
			sb_s(b, r->source);
			sb_s(b, ")");
			return;
		}
	}
	if (lo == hi)
	{
		sb_s(b, "no rule lets ");
		sb_s(b, print->provider(print->arg, payer));
		sb_s(b, " pay ");
		sb_s(b, print->provider(print->arg, payee));
		sb_s(b, " codes");
		return;
	}
	sb_s(b, print->provider(print->arg, payer));
	sb_s(b, " paying ");
	sb_s(b, print->provider(print->arg, payee));
	sb_s(b, ": ");
	/* the rules of this scenario say most */
	for (int k = lo; k < hi && shown < 3; k++)
		if (rs->rules[k].scenario == q->scenario)
		{
			if (shown++)
				sb_s(b, "; ");
			why_not(&rs->rules[k], q, print, b);
		}
	if (shown == 0)
		explain_scenarios(rs, q, lo, hi, b);
}

void
qr_route_explain(const qr_ruleset *rs, const qr_route_query *q,
				 const qr_route_printer *print, qr_route_answer *out)
{
	sbuf		b = {out->reason, sizeof(out->reason), 0};

	out->reason[0] = '\0';
	if (out->status != QR_ROUTE_NONE)
		return;
	if (q->nnetworks == 0)
	{
		strcpy(out->reason,
			   "the code names no provider of the catalog (see qr_identifiers and qr_provider_patterns)");
		return;
	}
	/* pair by pair */
	for (int i = 0; i < q->nnetworks; i++)
	{
		int			payer,
					payee;

		pair_of(q, i, &payer, &payee);
		sb_sep(&b);
		explain_pair(rs, q, print, payer, payee, &b);
	}
	qr_text_sanitize(out->reason);	/* sources are user text, cut to fit */
}

void
qr_route_decide(const qr_ruleset *rs, const qr_route_query *q,
				const qr_route_printer *print, qr_route_answer *out)
{
	qr_route_choose(rs, q, out);
	if (out->status == QR_ROUTE_NONE)
		qr_route_explain(rs, q, print, out);
}

/*
 * fuzz_route.c — libFuzzer harness for the interoperability routing
 * matcher: qr_ruleset_build, qr_route_decide, and the decision and its
 * explanation apart (qr_route_choose, qr_route_explain), over fuzzed
 * rules and queries.
 *
 * The answer is checked against the definition qrpay_core.h gives, by
 * brute force over the unsorted rules: on-us when the party is one of the
 * code's networks; else, for each network in the code's order, the rule
 * of that payer and payee with the highest priority (then a block before
 * an allowing rule, then the smallest id) that applies to the time,
 * scenario and city decides the pair; the
 * best allowed decision wins, earlier networks winning ties.  A "none"
 * answer carries a reason and names the block deciding the first blocked
 * network, if any; every reason is NUL-terminated.  qr_route_choose
 * answers the same as qr_route_decide with an empty reason, and
 * qr_route_explain then writes qr_route_decide's reason.
 *
 * Input: a header (providers, party, networks, time, city, scenario),
 * then 8 bytes per rule.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qrpay_core.h"

#define MAX_RULES 64
#define NPROV 8

static const char *
prov_name(void *arg, int p)
{
	static const char *const names[NPROV] = {
		"alipay", "wechat", "unionpay", "promptpay",
		"paynow", "upi", "pix", "khqr"
	};

	(void) arg;
	return p >= 0 && p < NPROV ? names[p] : "?";
}

static const char *
time_text(void *arg, int64_t t, char *buf, size_t size)
{
	(void) arg;
	snprintf(buf, size, "%lld", (long long) t);
	return buf;
}

static int	city_pool[MAX_RULES][8];

/* ids "r00".."r63": distinct, so that the order of rules is total */
static char ids[MAX_RULES][4];

static int
applies(const qr_rule *r, const qr_route_query *q)
{
	int			in = r->ncities < 0;

	for (int k = 0; k < r->ncities && q->city >= 0; k++)
		in |= r->cities[k] == q->city;
	return q->at >= r->from && q->at < r->until && r->scenario == q->scenario && in;
}

/* the deciding rule of one payer and payee, NULL when none applies */
static const qr_rule *
decide_pair(const qr_rule *rules, int n, int payer, int payee, const qr_route_query *q)
{
	const qr_rule *best = NULL;

	for (int k = 0; k < n; k++)
	{
		const qr_rule *r = &rules[k];

		if (r->payer != payer || r->payee != payee || !applies(r, q))
			continue;
		/* at equal priority a block is read first (qr_route.c) */
		if (best == NULL || r->priority > best->priority ||
			(r->priority == best->priority && r->allowed < best->allowed) ||
			(r->priority == best->priority && r->allowed == best->allowed &&
			 strcmp(r->id, best->id) < 0))
			best = r;
	}
	return best;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static qr_rule rules[MAX_RULES],
		   orig[MAX_RULES];
	int			payer_start[NPROV + 1];
	int			networks[4];
	qr_ruleset	rs;
	qr_route_query q;
	qr_route_answer a;
	qr_route_printer pr = {prov_name, time_text, NULL};
	const qr_rule *want = NULL,
				   *block = NULL;
	int			want_payer = -1,
				want_net = -1,
				n = 0;

	if (size < 6)
		return 0;
	for (int k = 0; k < MAX_RULES; k++)
		snprintf(ids[k], sizeof(ids[k]), "r%02d", k);
	memset(&q, 0, sizeof(q));
	q.party = data[0] % NPROV;
	q.consumer_presented = data[0] >> 7;
	q.nnetworks = data[1] % 5;
	for (int k = 0; k < q.nnetworks; k++)
		networks[k] = (data[1] >> (2 + k)) % NPROV;
	q.networks = networks;
	q.at = (int64_t) (data[2] % 16) - 2;
	q.city = (int) (data[3] % 6) - 1;
	q.city_text = data[3] & 0x80 ? "Bangkok" : NULL;
	q.scenario = (qr_scenario) (data[4] % QR_SCENARIO_COUNT);
	for (size_t p = 6; p + 8 <= size && n < MAX_RULES; p += 8, n++)
	{
		const uint8_t *b = data + p;
		qr_rule    *r = &orig[n];
		int			nc = b[6] % 5,
					c = -1;

		r->payer = b[0] % NPROV;
		r->payee = b[1] % NPROV;
		r->via = (int) (b[1] >> 4) % NPROV - 1;
		r->from = b[2] & 0x80 ? QR_TIME_MIN : (int64_t) (b[2] % 12) - 2;
		r->until = b[3] & 0x80 ? QR_TIME_MAX : r->from + b[3] % 8;
		r->scenario = (qr_scenario) (b[4] % QR_SCENARIO_COUNT);
		r->priority = b[5] % 4;
		r->allowed = (b[4] >> 4) & 1;
		/* sorted city numbers, or nationwide */
		r->ncities = b[6] & 0x80 ? -1 : nc;
		for (int k = 0; k < nc; k++)
			city_pool[n][k] = c += 1 + (b[7] >> (2 * k)) % 3;
		r->cities = city_pool[n];
		r->id = ids[n];
		r->source = "fuzz";
	}
	memcpy(rules, orig, sizeof(qr_rule) * n);
	qr_ruleset_build(&rs, rules, n, payer_start, NPROV);
	qr_route_decide(&rs, &q, &pr, &a);

	if (memchr(a.reason, '\0', sizeof(a.reason)) == NULL)
		abort();
	{
		qr_route_answer c;

		qr_route_choose(&rs, &q, &c);
		if (c.status != a.status || c.payer != a.payer || c.network != a.network ||
			c.via != a.via || c.rule != a.rule || c.reason[0] != '\0')
			abort();
		qr_route_explain(&rs, &q, &pr, &c);
		if (strcmp(c.reason, a.reason) != 0 || c.rule != a.rule)
			abort();
	}
	for (int k = 0; k < q.nnetworks; k++)
		if (networks[k] == q.party)
		{
			if (a.status != QR_ROUTE_ON_US || a.network != q.party)
				abort();
			return 0;
		}
	for (int k = 0; k < q.nnetworks; k++)
	{
		int			payer = q.consumer_presented ? networks[k] : q.party;
		int			payee = q.consumer_presented ? q.party : networks[k];
		const qr_rule *r = decide_pair(orig, n, payer, payee, &q);

		if (r && !r->allowed && block == NULL)
			block = r;
		if (r && r->allowed && (want == NULL || r->priority > want->priority))
		{
			want = r;
			want_payer = payer;
			want_net = payee;
		}
	}
	if (want == NULL)
	{
		if (a.status != QR_ROUTE_NONE || a.reason[0] == '\0' ||
			(block == NULL ? a.rule != NULL : a.rule == NULL || strcmp(a.rule->id, block->id) != 0))
			abort();
		return 0;
	}
	if (a.status != QR_ROUTE_INTEROP || a.rule == NULL || strcmp(a.rule->id, want->id) != 0 ||
		a.payer != want_payer || a.network != want_net || a.via != want->via)
		abort();
	return 0;
}

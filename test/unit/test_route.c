/*
 * test_route.c — unit tests of the interoperability routing matcher
 * (src/core/qr_route.c) on a small hand-made rule set: every query is
 * answered by qr_route_decide and by qr_route_choose then
 * qr_route_explain, which must agree.
 */
#include <stdio.h>
#include <string.h>

#include "qrpay_core.h"
#include "check.h"

enum
{
	ALIPAY, WECHAT, UNIONPAY, BANK, TELCO, NPROV
};

static const char *const pname[NPROV] = {"alipay", "wechatpay", "unionpay", "bank", "telco"};

static const char *
prov(void *arg, int p)
{
	(void) arg;
	return pname[p];
}

static const char *
when(void *arg, int64_t t, char *buf, size_t size)
{
	(void) arg;
	snprintf(buf, size, "t%lld", (long long) t);
	return buf;
}

static const qr_route_printer printer = {prov, when, NULL};

/* cities: 0 Beijing, 1 Lhasa, 2 Shenzhen */
static const int seven[] = {0, 2};
static const int capitals[] = {0, 1};

static qr_route_answer
route(const qr_ruleset *rs, const int *nets, int n, int party, int cpm, int64_t at, int city,
	  qr_scenario sc)
{
	qr_route_query q;
	qr_route_answer a,
					c;

	memset(&q, 0, sizeof(q));
	q.networks = nets;
	q.nnetworks = n;
	q.party = party;
	q.consumer_presented = cpm;
	q.at = at;
	q.city = city;
	q.city_text = city == 1 ? "Lhasa" : NULL;
	q.scenario = sc;
	qr_route_decide(rs, &q, &printer, &a);
	/* the decision alone, then its explanation, is the same answer */
	qr_route_choose(rs, &q, &c);
	CHECK(c.status == a.status && c.payer == a.payer && c.network == a.network &&
		  c.via == a.via && c.rule == a.rule && c.reason[0] == '\0',
		  "qr_route_choose decides as qr_route_decide (%s)", qr_route_status_name(a.status));
	qr_route_explain(rs, &q, &printer, &c);
	CHECK(strcmp(c.reason, a.reason) == 0 && c.rule == a.rule && (a.status == QR_ROUTE_NONE) == (c.reason[0] != '\0'),
		  "qr_route_explain writes the reason of a none only: %s", c.reason);
	return a;
}

void
test_route(void)
{
	qr_rule		rules[] = {
		/* payer, payee, via, from, until, cities, n, scenario, prio, allowed, id, source */
		{UNIONPAY, ALIPAY, UNIONPAY, 100, QR_TIME_MAX, seven, 2, QR_SCENARIO_OFFLINE, 0, 1, "F2", "seven cities"},
		{UNIONPAY, ALIPAY, UNIONPAY, 200, QR_TIME_MAX, NULL, -1, QR_SCENARIO_OFFLINE, 0, 1, "F3", "nationwide"},
		{UNIONPAY, WECHAT, UNIONPAY, 50, QR_TIME_MAX, capitals, 2, QR_SCENARIO_OFFLINE, 0, 1, "F4", "capitals"},
		{UNIONPAY, WECHAT, UNIONPAY, 300, QR_TIME_MAX, NULL, -1, QR_SCENARIO_OFFLINE, 0, 1, "F10", "all"},
		{UNIONPAY, WECHAT, UNIONPAY, 50, QR_TIME_MAX, NULL, -1, QR_SCENARIO_MINI_PROGRAM, 0, 1, "F5", "mini"},
		{ALIPAY, WECHAT, -1, QR_TIME_MIN, QR_TIME_MAX, NULL, -1, QR_SCENARIO_OFFLINE, 0, 0, "F11", "no interop"},
		{BANK, WECHAT, TELCO, 50, 150, NULL, -1, QR_SCENARIO_OFFLINE, 0, 1, "B1", "ended"},
		{BANK, WECHAT, UNIONPAY, 50, QR_TIME_MAX, NULL, -1, QR_SCENARIO_OFFLINE, 5, 0, "B2", "bank block"},
		{BANK, WECHAT, UNIONPAY, 50, QR_TIME_MAX, NULL, -1, QR_SCENARIO_OFFLINE, 9, 1, "B3", "override"},
		{TELCO, UNIONPAY, UNIONPAY, 0, QR_TIME_MAX, NULL, -1, QR_SCENARIO_OFFLINE, 0, 1, "T1", "telco to unionpay"},
		{WECHAT, UNIONPAY, UNIONPAY, 50, QR_TIME_MAX, capitals, 2, QR_SCENARIO_OFFLINE, 0, 1, "F4b", "capitals"},
	};
	int			start[NPROV + 1];
	qr_ruleset	rs;
	qr_route_answer a;
	int			ali[] = {ALIPAY};
	int			wx[] = {WECHAT};
	int			agg[] = {ALIPAY, UNIONPAY};	/* an aggregated code (F12) */
	int			none[1];

	qr_ruleset_build(&rs, rules, (int) (sizeof(rules) / sizeof(rules[0])), start, NPROV);

	a = route(&rs, ali, 1, UNIONPAY, 0, 150, 0, QR_SCENARIO_OFFLINE);
	CHECK(a.status == QR_ROUTE_INTEROP && a.network == ALIPAY && a.via == UNIONPAY &&
		  strcmp(a.rule->id, "F2") == 0, "F2 in a named city");
	a = route(&rs, ali, 1, UNIONPAY, 0, 150, 1, QR_SCENARIO_OFFLINE);
	CHECK(a.status == QR_ROUTE_NONE && strstr(a.reason, "not Lhasa") && strstr(a.reason, "F3 applies from t200"),
		  "F2 outside its cities, F3 not yet: %s", a.reason);
	a = route(&rs, ali, 1, UNIONPAY, 0, 250, 1, QR_SCENARIO_OFFLINE);
	CHECK(a.status == QR_ROUTE_INTEROP && strcmp(a.rule->id, "F3") == 0, "F3 nationwide later");
	a = route(&rs, ali, 1, UNIONPAY, 0, 250, -1, QR_SCENARIO_OFFLINE);
	CHECK(a.status == QR_ROUTE_INTEROP && strcmp(a.rule->id, "F3") == 0, "nationwide needs no city");
	a = route(&rs, ali, 1, UNIONPAY, 0, 150, -1, QR_SCENARIO_OFFLINE);
	CHECK(a.status == QR_ROUTE_NONE && strstr(a.reason, "no region is known"), "unknown city: %s", a.reason);

	a = route(&rs, wx, 1, UNIONPAY, 0, 100, 2, QR_SCENARIO_OFFLINE);
	CHECK(a.status == QR_ROUTE_NONE, "F4 is capitals only");
	a = route(&rs, wx, 1, UNIONPAY, 0, 400, 2, QR_SCENARIO_OFFLINE);
	CHECK(a.status == QR_ROUTE_INTEROP && strcmp(a.rule->id, "F10") == 0, "F10 everywhere");
	a = route(&rs, wx, 1, UNIONPAY, 0, 100, 2, QR_SCENARIO_MINI_PROGRAM);
	CHECK(a.status == QR_ROUTE_INTEROP && strcmp(a.rule->id, "F5") == 0, "scenario selects F5");
	a = route(&rs, wx, 1, UNIONPAY, 0, 100, 2, QR_SCENARIO_ONLINE);
	CHECK(a.status == QR_ROUTE_NONE && strstr(a.reason, "no rule covers online payments (its rules are for offline, mini_program)"),
		  "scenario mismatch explained: %s", a.reason);

	a = route(&rs, wx, 1, ALIPAY, 0, 100, 0, QR_SCENARIO_OFFLINE);
	CHECK(a.status == QR_ROUTE_NONE && a.rule && strcmp(a.rule->id, "F11") == 0 &&
		  strstr(a.reason, "blocks alipay paying wechatpay"), "a block: %s", a.reason);
	a = route(&rs, wx, 1, WECHAT, 0, 100, 0, QR_SCENARIO_OFFLINE);
	CHECK(a.status == QR_ROUTE_ON_US && a.network == WECHAT && a.rule == NULL, "on-us");
	a = route(&rs, wx, 1, TELCO, 0, 100, 0, QR_SCENARIO_OFFLINE);
	CHECK(a.status == QR_ROUTE_NONE && strstr(a.reason, "no rule lets telco pay wechatpay codes"),
		  "no rule at all: %s", a.reason);

	/* priorities: the override beats the block, the block beats the ended rule */
	a = route(&rs, wx, 1, BANK, 0, 100, 0, QR_SCENARIO_OFFLINE);
	CHECK(a.status == QR_ROUTE_INTEROP && strcmp(a.rule->id, "B3") == 0, "higher priority wins");
	rules[8].allowed = 1;
	a = route(&rs, wx, 1, BANK, 0, 200, 0, QR_SCENARIO_OFFLINE);
	CHECK(a.status == QR_ROUTE_INTEROP && strcmp(a.rule->id, "B3") == 0, "ended rule ignored");

	/* an aggregated code: the network the payer can reach */
	a = route(&rs, agg, 2, TELCO, 0, 100, 0, QR_SCENARIO_OFFLINE);
	CHECK(a.status == QR_ROUTE_INTEROP && a.network == UNIONPAY && strcmp(a.rule->id, "T1") == 0,
		  "aggregated code routes to the reachable network");
	a = route(&rs, agg, 2, UNIONPAY, 0, 100, 0, QR_SCENARIO_OFFLINE);
	CHECK(a.status == QR_ROUTE_ON_US && a.network == UNIONPAY, "aggregated code on-us");

	/* consumer-presented: the code's provider pays the party's merchant */
	a = route(&rs, wx, 1, UNIONPAY, 1, 100, 0, QR_SCENARIO_OFFLINE);
	CHECK(a.status == QR_ROUTE_INTEROP && a.payer == WECHAT && a.network == UNIONPAY &&
		  strcmp(a.rule->id, "F4b") == 0, "consumer code at a UnionPay merchant in a capital");
	a = route(&rs, wx, 1, UNIONPAY, 1, 100, 2, QR_SCENARIO_OFFLINE);
	CHECK(a.status == QR_ROUTE_NONE && strstr(a.reason, "wechatpay paying unionpay"),
		  "consumer code outside the capitals: %s", a.reason);

	a = route(&rs, none, 0, UNIONPAY, 0, 100, 0, QR_SCENARIO_OFFLINE);
	CHECK(a.status == QR_ROUTE_NONE && strstr(a.reason, "names no provider"), "unidentified code");

	CHECK(qr_scenario_parse("mini_program", 12) == QR_SCENARIO_MINI_PROGRAM &&
		  qr_scenario_parse("shop", 4) < 0 && strcmp(qr_route_status_name(QR_ROUTE_ON_US), "on_us") == 0,
		  "names");
}

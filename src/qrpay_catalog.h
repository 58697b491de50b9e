/*
 * qrpay_catalog.h — the backend cache of the provider catalog, for the
 * glue that needs provider codes (qrpay_catalog.c).
 */
#ifndef QRPAY_CATALOG_H
#define QRPAY_CATALOG_H

#include "postgres.h"
#include "fmgr.h"

#include "qrpay_core.h"

/*
 * Provider numbers (indexes into the cached, sorted code list) of a
 * payload in payload order, at most max; fcinfo locates the extension's
 * schema; place (may be NULL) receives the code's country and city.
 * Loads the cache when needed.
 */
extern int	qrpay_code_providers(FunctionCallInfo fcinfo, const char *buf, size_t len,
								 int *out, int max, qr_place *place);

/* The code of a provider number returned above, as C string and as text. */
extern const char *qrpay_provider_code(int index);
extern Datum qrpay_provider_datum(int index);

/* Provider number of a code, -1 when the catalog has none. */
extern int	qrpay_provider_lookup(FunctionCallInfo fcinfo, const char *code);
extern int	qrpay_provider_count(FunctionCallInfo fcinfo);

/* A number that changes whenever the cache is refilled. */
extern uint64 qrpay_catalog_generation(FunctionCallInfo fcinfo);

/* Routing: the rules, city lookup, rule ids as text. */
extern const qr_ruleset *qrpay_ruleset(FunctionCallInfo fcinfo);
extern Datum qrpay_rule_id_datum(const qr_rule *r);
extern char *qrpay_city_key(const char *s, size_t n);
/* City number of a spelling (name, Chinese name or alias), -1 if none. */
extern int	qrpay_city_lookup(FunctionCallInfo fcinfo, const char *s, size_t n);
extern const char *qrpay_city_name(int city);

#endif							/* QRPAY_CATALOG_H */

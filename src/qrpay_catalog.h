/*
 * qrpay_catalog.h — the backend cache of the provider catalog, for the
 * glue that needs provider codes (qrpay_catalog.c), and what the
 * catalog's triggers (qrpay_guard.c) share with it.
 */
#ifndef QRPAY_CATALOG_H
#define QRPAY_CATALOG_H

#include "postgres.h"
#include "fmgr.h"
#include "miscadmin.h"

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

/*
 * The matching key of a city spelling of n bytes written to out, which
 * has room for n + 1 bytes; returns the key's length.
 */
extern size_t qrpay_city_key(const char *s, size_t n, char *out);
/* City number of a spelling (name, Chinese name or alias), -1 if none. */
extern int	qrpay_city_lookup(FunctionCallInfo fcinfo, const char *s, size_t n);
extern const char *qrpay_city_name(int city);

/* The schema of the extension, from the function fcinfo calls. */
extern Oid	qrpay_extension_schema(FunctionCallInfo fcinfo);
/* pg_class.relowner of a relation. */
extern Oid	qrpay_relation_owner(Oid relid);
/* A text[] datum as C strings, NULL elements left out. */
extern char **qrpay_text_array_strings(Datum d, int *count);

/*
 * The security context in which the catalog is read as the owner of its
 * tables, as RefreshMatViewByOid does for a view's query and ri_triggers.c
 * for a foreign key's: the answer of qr_networks or of a guard must not
 * depend on whether the caller may read the tables, nor on row security
 * (SECURITY_NOFORCE_RLS: the owner sees every row even under FORCE ROW
 * LEVEL SECURITY).  SECURITY_RESTRICTED_OPERATION keeps anything the reads
 * might run from changing the session; the queries are schema-qualified,
 * so the caller's search_path resolves nothing.
 */
#define QRPAY_OWNER_SEC_CONTEXT \
	(SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION | SECURITY_NOFORCE_RLS)

#endif							/* QRPAY_CATALOG_H */

/*
 * qrpay_catalog.h — the backend cache of the provider catalog, for the
 * glue that needs provider codes (qrpay_catalog.c).
 */
#ifndef QRPAY_CATALOG_H
#define QRPAY_CATALOG_H

#include "postgres.h"
#include "fmgr.h"

/*
 * Provider numbers (indexes into the cached, sorted code list) of a
 * payload in payload order, at most max; fcinfo locates the extension's
 * schema.  Loads the cache when needed.
 */
extern int	qrpay_code_providers(FunctionCallInfo fcinfo, const char *buf, size_t len,
								 int *out, int max);

/* The code of a provider number returned above. */
extern const char *qrpay_provider_code(int index);

#endif							/* QRPAY_CATALOG_H */

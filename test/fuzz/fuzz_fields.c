/*
 * fuzz_fields.c — libFuzzer harness for the field accessors and the
 * small parsers behind qr_get and the catalog: qr_path_parse,
 * qr_path_valid, qr_field_get, qr_emv_get, qr_has_path, qr_has_value,
 * the GIN path keys, qr_iso4217_alpha, qr_idkind_parse,
 * qr_scenario_parse, and qr_identify with a short output array.
 * (fuzz_validate walks the fields a payload has; here the paths and names
 * are fuzzed too.)
 *
 * Input: one byte for the path length, the path, then the payload (its
 * trailing EMVCo CRC repaired).  Properties: a parsed path is valid and
 * prints back as itself; names parse back to themselves; a value found at
 * a path is text, is found again by qr_has_path and qr_has_value, and for
 * EMVCo agrees with qr_emv_get; qr_identify never writes past max.  The
 * one-walk parse (qr_parsed.h) answers as the per-call accessors do
 * (parsed_oracle.h): the value at the path as qr_field_get, the
 * identifiers and place (with the short array too), every field with one
 * meaning, read in an order the input chooses, and the dynamic flag.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "qr_parsed.h"
#include "parsed_oracle.h"

static char value[QR_VALUE_MAX];

static void
check_names(const char *s, size_t n)
{
	int			ids[QR_PATH_DEPTH];
	int			depth = qr_path_parse(s, n, ids);
	int			k;
	const char *alpha;

	if (depth < 0 || depth > QR_PATH_DEPTH)
		abort();
	if (depth > 0)
	{
		char		back[QR_PATH_MAX];
		size_t		blen = 0;

		if (!qr_path_valid(s, n))
			abort();
		for (int i = 0; i < depth; i++)
		{
			if (ids[i] < 0 || ids[i] > 99)
				abort();
			blen += (size_t) snprintf(back + blen, sizeof(back) - blen, "%s%02d", i ? "." : "", ids[i]);
		}
		if (blen != n || memcmp(back, s, n) != 0)
			abort();
		(void) qr_emv_field_name(ids, depth);
		(void) qr_emv_is_template(ids, depth);
	}
	(void) qr_gin_path_key(s, n);
	(void) qr_gin_path_unvalued(s, n);
	alpha = qr_iso4217_alpha(s, n);
	if (alpha && strlen(alpha) != 3)
		abort();
	k = qr_idkind_parse(s, n);
	if (k && (strlen(qr_idkind_name((qr_idkind) k)) != n || memcmp(qr_idkind_name((qr_idkind) k), s, n) != 0))
		abort();
	k = qr_scenario_parse(s, n);
	if (k >= 0 && (strlen(qr_scenario_name((qr_scenario) k)) != n ||
				   memcmp(qr_scenario_name((qr_scenario) k), s, n) != 0))
		abort();
}

/* The parse against the oracle; order (0-255) picks the order of meanings. */
static void
check_parsed(const char *buf, size_t len, const char *path, size_t plen, int order)
{
	static qr_parsed p;
	static char got[QR_VALUE_MAX],
		   want[QR_VALUE_MAX];
	static qr_ident a[QR_IDENT_MAX],
		   b[QR_IDENT_MAX];
	char		cpath[32];
	qr_place	pa,
				pb;
	long		n,
				m;
	int			max = order % 2 ? 1 + (order >> 1) % 4 : QR_IDENT_MAX;

	qr_parse(&p, buf, len);
	/* a path the parse records or not: the same value as qr_field_get */
	memcpy(cpath, path, plen);
	cpath[plen] = '\0';
	if (qr_path_valid(path, plen) && strlen(cpath) == plen)
	{
		n = qr_parsed_get(&p, cpath, got, sizeof(got));
		m = qr_field_get(buf, len, path, plen, want, sizeof(want));
		if (n != m || (n >= 0 && memcmp(got, want, (size_t) n) != 0))
			abort();
	}
	for (int i = 0; i <= QR_SEM_MCC; i++)
	{
		qr_sem		s = (qr_sem) ((i + order) % (QR_SEM_MCC + 1));

		n = qr_parsed_semantic(&p, s, got, sizeof(got));
		m = oracle_semantic(buf, len, s, want);
		if (m == -2 ? n >= 0 && !oracle_in_payload(buf, len, got, (size_t) n)
			: n != m || (n >= 0 && memcmp(got, want, (size_t) n) != 0))
			abort();
	}
	n = qr_parsed_identify(&p, a, max, &pa);
	m = oracle_identify(buf, len, b, max, &pb);
	if (!oracle_same_identity(a, (int) n, &pa, b, (int) m, &pb))
		abort();
	if (p.format == QR_FORMAT_EMV_MPM)
	{
		m = oracle_get(buf, len, "01", want, sizeof(want));
		if (qr_parsed_dynamic(&p) != (m < 0 ? -1 : m == 2 && want[1] == '2'))
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t		plen,
				len;
	const char *path;
	char	   *buf;
	long		k;

	if (size < 1)
		return 0;
	plen = data[0] % 24;
	if (plen > size - 1)
		plen = size - 1;
	path = (const char *) data + 1;
	len = size - 1 - plen;
	check_names(path, plen);
	buf = malloc(len ? len : 1);
	memcpy(buf, path + plen, len);
	fix_crc(buf, len);
	if (qr_validate(buf, len, NULL, NULL, NULL) != QR_OK)
	{
		free(buf);
		return 0;
	}
	k = qr_field_get(buf, len, path, plen, value, sizeof(value));
	if (k >= 0)
	{
		must_be_text(value, (size_t) k);
		if (!qr_has_path(buf, len, path, plen) || !qr_has_value(buf, len, path, plen, value, (size_t) k))
			abort();
	}
	if (qr_detect_format(buf, len) == QR_FORMAT_EMV_MPM)
	{
		int			ids[QR_PATH_DEPTH];
		const char *val;
		size_t		vlen;

		/* a root object or a template's object: the walk's value is the TLV value */
		if (qr_path_parse(path, plen, ids) > 0 && qr_path_parse(path, plen, ids) < QR_PATH_DEPTH &&
			qr_emv_get(buf, len, path, plen, &val, &vlen) && k >= 0 &&
			(k != (long) vlen || memcmp(val, value, vlen) != 0))
			abort();
	}
	{
		int			max = 1 + (int) (plen % 3);
		qr_ident   *ids = malloc(sizeof(qr_ident) * (size_t) max);
		char		country[3];
		int			n = qr_identify(buf, len, ids, max, country);

		if (n < 0 || n > max)
			abort();
		free(ids);
	}
	check_parsed(buf, len, path, plen, data[0]);
	free(buf);
	return 0;
}

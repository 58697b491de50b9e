/*
 * fuzz_validate.c — libFuzzer harness for the payment_qr validator.
 *
 * Beyond "no crash, no sanitizer report" it checks the properties the
 * PostgreSQL layer relies on:
 *   - the verdict is deterministic (input and recv must agree);
 *   - an error message is non-empty, NUL-terminated, valid UTF-8 (it goes
 *     straight into ereport) and names an offset or a tag;
 *   - on an accepted payload every path the walker yields can be looked up
 *     again with qr_emv_get and gives the same bytes;
 *   - every field, cross-format value and identifier of an accepted payload
 *     is valid UTF-8 without NUL (they become text) and every field path
 *     is well formed and found again by qr_field_get;
 *   - the GIN keys of a payload hold every field's path key and, unless
 *     the path may go unvalued, its value key, and the operators find
 *     every field (the index never misses what a scan finds);
 *   - qr_compare is reflexive;
 *   - the block-wise UTF-8 check agrees with the byte-level one, verdict
 *     and span of bytes >= 0x80.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qrpay_core.h"
#include "qr_utf8.h"

static void
ignore(void *arg, qr_severity sev, const char *path, const char *msg)
{
	int			ascii;

	(void) arg;
	(void) sev;
	(void) path;
	if (qr_utf8_check(msg, strlen(msg), &ascii) >= 0)
		abort();
}

static void
walk(const char *buf, size_t len, const char *base, size_t baselen,
	 int *ids, int depth, const char *p, size_t n)
{
	qr_tlv_iter it;
	qr_tlv		t;

	qr_tlv_iter_init(&it, p, n, 0);
	while (qr_tlv_next(&it, &t))
	{
		char		path[QR_PATH_MAX];
		size_t		plen = baselen;
		const char *val;
		size_t		vlen;

		memcpy(path, base, baselen);
		if (plen)
			path[plen++] = '.';
		path[plen++] = (char) ('0' + t.id / 10);
		path[plen++] = (char) ('0' + t.id % 10);
		ids[depth] = t.id;
		if (!qr_emv_get(buf, len, path, plen, &val, &vlen))
		{
			/* a repeated id inside an opaque 62/50-99 value is not addressable */
			if (depth < 2)
				abort();
		}
		else if (depth < 2 && (vlen != t.value_bytes || val != t.value))
			abort();
		(void) qr_emv_field_name(ids, depth + 1);
		if (depth + 1 < QR_PATH_DEPTH && qr_emv_is_template(ids, depth + 1))
			walk(buf, len, path, plen, ids, depth + 1, t.value, t.value_bytes);
	}
}

static void
must_be_text(const char *s, size_t n)
{
	int			ascii;

	if (qr_utf8_check(s, n, &ascii) >= 0)
		abort();
}

typedef struct fstate
{
	const char *buf;
	size_t		len;
	uint32_t	keys[4096];
	int			nkeys;
} fstate;

static void
add_key(void *arg, uint32_t key)
{
	fstate	   *st = arg;

	if (st->nkeys < 4096)
		st->keys[st->nkeys++] = key;
}

static int
has_key(const fstate *st, uint32_t key)
{
	for (int i = 0; i < st->nkeys; i++)
		if (st->keys[i] == key)
			return 1;
	return st->nkeys >= 4096;	/* too many to keep: assume present */
}

static char scratch[QR_VALUE_MAX];

static int
field_cb(void *arg, const qr_field *f)
{
	fstate	   *st = arg;

	must_be_text(f->value, f->value_len);
	must_be_text(f->path, strlen(f->path));
	if (f->name == NULL || f->depth < 1)
		abort();
	/* keys taken from the payload (URL parameters) may fall outside the path syntax */
	if (qr_path_valid(f->path, strlen(f->path)) &&
		qr_field_get(st->buf, st->len, f->path, strlen(f->path), scratch, sizeof(scratch)) < 0)
		abort();
	if (!has_key(st, qr_gin_path_key(f->path, strlen(f->path))))
		abort();
	if (!qr_gin_path_unvalued(f->path, strlen(f->path)) &&
		!has_key(st, qr_gin_value_key(f->path, strlen(f->path), f->value, f->value_len,
									  QR_GIN_BITS_DEFAULT)))
		abort();
	if (!qr_has_value(st->buf, st->len, f->path, strlen(f->path), f->value, f->value_len) ||
		!qr_has_path(st->buf, st->len, f->path, strlen(f->path)))
		abort();
	return 0;
}

static void
check_fields(const char *buf, size_t size)
{
	static fstate st;
	qr_ident	ids[QR_IDENT_MAX];
	char		country[3];
	int			n;

	st.buf = buf;
	st.len = size;
	st.nkeys = 0;
	qr_gin_keys(buf, size, QR_GIN_BITS_DEFAULT, add_key, &st);
	qr_fields(buf, size, field_cb, &st);
	for (int s = QR_SEM_NAME; s <= QR_SEM_MCC; s++)
	{
		long		k = qr_semantic(buf, size, (qr_sem) s, scratch, sizeof(scratch));

		if (k >= 0)
			must_be_text(scratch, (size_t) k);
	}
	(void) qr_is_dynamic_code(buf, size);
	n = qr_identify(buf, size, ids, QR_IDENT_MAX, country);
	if (n < 1 || n > QR_IDENT_MAX)
		abort();
	for (int i = 0; i < n; i++)
		must_be_text(ids[i].value, ids[i].len);
	{
		qr_place	place;

		if (qr_identify_place(buf, size, ids, QR_IDENT_MAX, &place) != n ||
			strcmp(place.country, country) != 0)
			abort();
		/* the cities routing matches on point into the payload */
		if (place.city && (place.city < buf || place.city + place.city_len > buf + size))
			abort();
		if (place.city_alt && (place.city_alt < buf || place.city_alt + place.city_alt_len > buf + size))
			abort();
	}
}

static int	check_one(const char *buf, size_t size);

/*
 * Random bytes almost never carry a correct CRC, which would stop most
 * inputs at the CRC check; each input is therefore also tried with its
 * trailing "6304XXXX" corrected, so the value rules get fuzzed too.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *fixed;
	char		hex[5];

	check_one((const char *) data, size);
	if (size < 8 || memcmp(data + size - 8, "6304", 4) != 0)
		return 0;
	fixed = malloc(size);
	memcpy(fixed, data, size);
	snprintf(hex, sizeof(hex), "%04X", qr_crc16(fixed, size - 4));
	memcpy(fixed + size - 4, hex, 4);
	check_one(fixed, size);
	free(fixed);
	return 0;
}

/* The two UTF-8 checks, the block-wise one where this processor has it. */
static void
utf8_checks_agree(const char *buf, size_t size)
{
	size_t		first,
				last,
				f2,
				l2;
	int			ascii;
	int			blocks = qr_utf8_valid_blocks(buf, size, &first, &last);
	long		bad = qr_utf8_check_scalar(buf, size, &ascii);

	if (blocks < 0)
		return;
	if (blocks != (bad < 0))
		abort();
	if (blocks)
	{
		qr_high_span(buf, size, &f2, &l2);
		if (first != f2 || last != l2 || ascii != (first == size))
			abort();
	}
}

static int
check_one(const char *buf, size_t size)
{
	qr_error	e1,
				e2;
	qr_errcode	rc = qr_validate(buf, size, &e1, ignore, NULL);
	int			ascii;

	utf8_checks_agree(buf, size);
	if (qr_validate(buf, size, &e2, NULL, NULL) != rc)
		abort();
	if (rc != QR_OK)
	{
		size_t		mlen = strnlen(e1.message, sizeof(e1.message));

		if (mlen == 0 || mlen == sizeof(e1.message))
			abort();
		if (qr_utf8_check(e1.message, mlen, &ascii) >= 0)
			abort();
		if (strcmp(e1.message, e2.message) != 0)
			abort();
		return 0;
	}
	if (qr_detect_format(buf, size) == QR_FORMAT_EMV_MPM)
	{
		int			ids[QR_PATH_DEPTH];

		walk(buf, size, "", 0, ids, 0, buf, size);
	}
	check_fields(buf, size);
	if (qr_compare(buf, size, buf, size) != 0)
		abort();
	return 0;
}

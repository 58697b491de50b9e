/*
 * fuzz_merge.c — libFuzzer harness for qr_build_merge (qr_emv_merge, the
 * universal code of INTEROP F12).
 *
 * Input: up to 4 codes separated by "\n|\n" (each with its trailing CRC
 * repaired); an empty piece stands for a NULL element.  Properties: the
 * result fits the sum of the codes plus 8; when every code is a valid
 * EMVCo code and the merge succeeds, the result holds every code's
 * merchant accounts (02-51) under some id of 02-51, the first code's
 * other objects unchanged, validates, and merging it with itself or
 * alone gives it back.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

#define MAX_CODES 4

/* Does the code hold value under some root id of 02-51? */
static int
has_account(const char *buf, size_t len, const char *v, size_t n)
{
	qr_tlv_iter it;
	qr_tlv		t;

	qr_tlv_iter_init(&it, buf, len, 0);
	while (qr_tlv_next(&it, &t))
		if (t.id >= 2 && t.id <= 51 && t.value_bytes == n && memcmp(t.value, v, n) == 0)
			return 1;
	return 0;
}

/* where "\n|\n" starts at or after from, or size */
static size_t
find_sep(const char *s, size_t size, size_t from)
{
	for (size_t i = from; i + 3 <= size; i++)
		if (s[i] == '\n' && s[i + 1] == '|' && s[i + 2] == '\n')
			return i;
	return size;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *copy = malloc(size ? size : 1);
	const char *codes[MAX_CODES];
	size_t		lens[MAX_CODES];
	int			n = 0,
				all_valid = 1;
	size_t		room = 8;
	char	   *buf;
	qr_buf		out;
	qr_build_error e;
	qr_build_code rc;

	memcpy(copy, data, size);
	for (size_t i = 0;;)
	{
		size_t		end = n < MAX_CODES - 1 ? find_sep(copy, size, i) : size;
		size_t		len = end - i;

		fix_crc(copy + i, len);
		codes[n] = len ? copy + i : NULL;
		lens[n] = len;
		if (len && qr_validate(codes[n], len, NULL, NULL, NULL) != QR_OK)
			all_valid = 0;
		room += len;
		n++;
		if (end == size)
			break;
		i = end + 3;
	}
	buf = malloc(room);
	qr_buf_init(&out, buf, room);
	rc = qr_build_merge(codes, lens, n, &out, &e);
	if (rc == QR_BUILD_SPACE || (rc == QR_BUILD_OK && out.len > room))
		abort();
	if (rc != QR_BUILD_OK)
	{
		if (e.message[0] == '\0')
			abort();
		must_be_text(e.message, strlen(e.message));
	}
	else if (all_valid)
	{
		qr_tlv_iter it;
		qr_tlv		t;
		int			first = 0;
		const char *pair[2] = {out.data, out.data};
		size_t		plen[2] = {out.len, out.len};
		char	   *again = malloc(out.len + 8);
		qr_buf		o2;

		while (codes[first] == NULL)
			first++;
		for (int k = 0; k < n; k++)
		{
			if (codes[k] == NULL)
				continue;
			qr_tlv_iter_init(&it, codes[k], lens[k], 0);
			while (qr_tlv_next(&it, &t))
			{
				const char *val;
				size_t		vlen;
				char		path[3] = {(char) ('0' + t.id / 10), (char) ('0' + t.id % 10), 0};

				if (t.id >= 2 && t.id <= 51)
				{
					if (!has_account(out.data, out.len, t.value, t.value_bytes))
						abort();
				}
				else if (k == first && t.id != 63 &&
						 (!qr_emv_get(out.data, out.len, path, 2, &val, &vlen) ||
						  vlen != t.value_bytes || memcmp(val, t.value, vlen) != 0))
					abort();
			}
		}
		if (qr_validate(out.data, out.len, NULL, NULL, NULL) != QR_OK)
			abort();
		for (int m = 1; m <= 2; m++)
		{
			qr_buf_init(&o2, again, out.len + 8);
			if (qr_build_merge(pair, plen, m, &o2, &e) != QR_BUILD_OK ||
				o2.len != out.len || memcmp(o2.data, out.data, out.len) != 0)
				abort();
		}
		free(again);
	}
	free(buf);
	free(copy);
	return 0;
}

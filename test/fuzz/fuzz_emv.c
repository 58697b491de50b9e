/*
 * fuzz_emv.c — libFuzzer harness for qr_build_emv (qr_emv: an EMVCo code
 * from the jsonb shape of qr_to_jsonb).
 *
 * The first byte picks the input's reading:
 *   even: the rest is a code (its trailing CRC repaired); a valid EMVCo
 *         code is written back from its own fields and must come out
 *         byte for byte, with the same fields (parse, write, parse);
 *   odd:  the rest describes nodes, as jsonb could hold them: per node a
 *         key byte (below 200: the id, as 2 digits; else 1 or 2 raw key
 *         bytes), a kind byte (string, template or neither) and a length
 *         byte (the string's bytes, or the template's node count).
 *         Whatever the nodes, the code fits the room the caller computes
 *         (4 bytes a node, its value, 8 for the CRC), an error says why
 *         in valid text, and a result that validates holds every root
 *         string at its id and rebuilds from its own fields.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

#define POOL 512

typedef struct decoder
{
	const uint8_t *p;
	const uint8_t *end;
	qr_node		node[POOL];
	int			used;
	char		keys[POOL][3];
	size_t		room;
} decoder;

static int
take(decoder *d)
{
	return d->p < d->end ? *d->p++ : 0;
}

/* count nodes into a block of the pool; returns the block or NULL */
static qr_node *
level(decoder *d, int count, int depth, int *n)
{
	qr_node    *block = d->node + d->used;

	if (count > POOL - d->used)
		count = POOL - d->used;
	d->used += count;
	*n = count;
	for (int k = 0; k < count; k++)
	{
		qr_node    *nd = &block[k];
		int			kb = take(d),
					kind = take(d) % 8,
					len = take(d);
		char	   *key = d->keys[nd - d->node];

		if (kb < 200)
		{
			key[0] = (char) ('0' + kb % 100 / 10);
			key[1] = (char) ('0' + kb % 10);
			nd->keylen = 2;
		}
		else
		{
			key[0] = (char) take(d);
			key[1] = (char) take(d);
			nd->keylen = kb & 1 ? 1 : 2;
		}
		nd->key = key;
		d->room += 4;
		if (kind <= 4)
		{
			size_t		have = (size_t) (d->end - d->p);

			nd->kind = QR_NODE_STRING;
			nd->vlen = (size_t) len % 120 < have ? (size_t) len % 120 : have;
			nd->value = (const char *) d->p;
			d->p += nd->vlen;
			d->room += nd->vlen;
		}
		else if (kind <= 6 && depth < 4)
		{
			nd->kind = QR_NODE_TEMPLATE;
			nd->sub = level(d, len % 6, depth + 1, &nd->nsub);
		}
		else
			nd->kind = QR_NODE_OTHER;
	}
	return block;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static decoder d;
	qr_node    *root;
	int			n;
	qr_buf		out;
	qr_build_error e;
	qr_build_code rc;
	char	   *buf;

	if (size < 1)
		return 0;
	if (!(data[0] & 1))
	{
		size_t		len = size - 1;
		char	   *code = malloc(len ? len : 1);

		memcpy(code, data + 1, len);
		fix_crc(code, len);
		if (qr_detect_format(code, len) == QR_FORMAT_EMV_MPM &&
			qr_validate(code, len, NULL, NULL, NULL) == QR_OK)
			check_rebuild(code, len);
		free(code);
		return 0;
	}
	memset(&d, 0, sizeof(d));
	d.p = data + 1;
	d.end = data + size;
	d.room = 8;
	root = level(&d, take(&d) % 24, 0, &n);
	buf = malloc(d.room);
	qr_buf_init(&out, buf, d.room);
	rc = qr_build_emv(root, n, &out, &e);
	if (rc == QR_BUILD_SPACE || (rc == QR_BUILD_OK && out.len > d.room))
		abort();
	if (rc != QR_BUILD_OK)
	{
		if (rc != QR_BUILD_FIELD || e.message[0] == '\0')
			abort();
		must_be_text(e.message, strlen(e.message));
		must_be_text(e.detail, strlen(e.detail));
	}
	/* (digits and a CRC can also make a consumer code: only EMVCo counts) */
	else if (qr_detect_format(out.data, out.len) == QR_FORMAT_EMV_MPM &&
			 qr_validate(out.data, out.len, NULL, NULL, NULL) == QR_OK)
	{
		for (int k = 0; k < n; k++)
		{
			const char *val;
			size_t		vlen;

			if (root[k].kind != QR_NODE_STRING || memcmp(root[k].key, "63", 2) == 0)
				continue;
			if (!qr_emv_get(out.data, out.len, root[k].key, 2, &val, &vlen) ||
				vlen != root[k].vlen || memcmp(val, root[k].value, vlen) != 0)
				abort();
		}
		check_rebuild(out.data, out.len);
	}
	free(buf);
	return 0;
}

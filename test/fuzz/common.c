/*
 * common.c — see common.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "qr_utf8.h"

static const char *
keep(node_tree *t, const char *s, size_t n)
{
	char	   *p;

	if (n > sizeof(t->text) - t->ntext)
	{
		t->overflow = 1;
		return "";
	}
	p = t->text + t->ntext;
	memcpy(p, s, n);
	t->ntext += n;
	return p;
}

static int
collect(void *arg, const qr_field *f)
{
	node_tree  *t = arg;
	const char *dot = strrchr(f->path, '.');
	const char *key = dot ? dot + 1 : f->path;

	if (t->nfield == NODES_MAX)
	{
		t->overflow = 1;
		return 1;
	}
	t->depth[t->nfield] = f->depth;
	t->container[t->nfield] = f->container;
	t->key[t->nfield] = keep(t, key, strlen(key));
	t->value[t->nfield] = keep(t, f->value, f->value_len);
	t->vlen[t->nfield] = f->value_len;
	t->nfield++;
	return 0;
}

/*
 * The level of fields [*i, ...) at depth, as one block of nodes; *i ends
 * past the level.  Children of a level follow their container in the walk.
 */
static qr_node *
level(node_tree *t, int *i, int depth, int *count)
{
	int			n = 0;
	qr_node    *block;

	for (int j = *i; j < t->nfield && t->depth[j] >= depth; j++)
		if (t->depth[j] == depth)
			n++;
	block = t->node + t->nnode;
	t->nnode += n;
	*count = n;
	for (int k = 0; k < n; k++)
	{
		qr_node    *nd = &block[k];
		int			f = (*i)++;

		nd->key = t->key[f];
		nd->keylen = 2;			/* every EMVCo id is 2 digits */
		nd->kind = t->container[f] ? QR_NODE_TEMPLATE : QR_NODE_STRING;
		nd->value = t->value[f];
		nd->vlen = t->vlen[f];
		nd->sub = NULL;
		nd->nsub = 0;
		if (t->container[f])
			nd->sub = level(t, i, depth + 1, &nd->nsub);
	}
	return block;
}

int
nodes_from_code(const char *buf, size_t len, node_tree *t)
{
	int			i = 0,
				n;

	t->nnode = t->nfield = 0;
	t->ntext = 0;
	t->overflow = 0;
	qr_fields(buf, len, collect, t);
	if (t->overflow)
		return -1;
	level(t, &i, 1, &n);
	return n;
}

int
fix_crc(char *buf, size_t len)
{
	char		hex[5];

	if (len < 8 || memcmp(buf + len - 8, "6304", 4) != 0)
		return 0;
	snprintf(hex, sizeof(hex), "%04X", qr_crc16(buf, len - 4));
	memcpy(buf + len - 4, hex, 4);
	return 1;
}

typedef struct text_state
{
	char	   *out;
	size_t		cap;
	size_t		len;
} text_state;

static int
text_cb(void *arg, const qr_field *f)
{
	text_state *st = arg;
	size_t		plen = strlen(f->path);

	if (st->len + plen + f->value_len + 2 <= st->cap)
	{
		memcpy(st->out + st->len, f->path, plen);
		st->out[st->len + plen] = '=';
		memcpy(st->out + st->len + plen + 1, f->value, f->value_len);
		st->out[st->len + plen + 1 + f->value_len] = '\n';
	}
	st->len += plen + f->value_len + 2;
	return 0;
}

size_t
fields_text(const char *buf, size_t len, char *out, size_t cap)
{
	text_state	st = {out, cap, 0};

	qr_fields(buf, len, text_cb, &st);
	return st.len;
}

void
must_be_text(const char *s, size_t n)
{
	int			ascii;

	if (qr_utf8_check(s, n, &ascii) >= 0)
		abort();
}

static char text_a[8 * QR_MAX_BYTES],
	   text_b[8 * QR_MAX_BYTES];
static node_tree tree;

/*
 * An EMVCo MPM code written back from its own fields is the same code
 * (qr_emv of qr_to_jsonb), and the fields walked from both agree.
 */
void
check_rebuild(const char *buf, size_t len)
{
	int			n = nodes_from_code(buf, len, &tree);
	qr_buf		out;
	qr_build_error e;
	char	   *data;
	size_t		room = 8,
				la;

	if (n < 0)
		return;
	for (int k = 0; k < tree.nnode; k++)
		room += 4 + (tree.node[k].kind == QR_NODE_STRING ? tree.node[k].vlen : 0);
	data = malloc(room);
	qr_buf_init(&out, data, room);
	if (qr_build_emv(tree.node, n, &out, &e) != QR_BUILD_OK ||
		out.len != len || memcmp(out.data, buf, len) != 0)
		abort();
	la = fields_text(out.data, out.len, text_a, sizeof(text_a));
	if (la != fields_text(buf, len, text_b, sizeof(text_b)) ||
		memcmp(text_a, text_b, la < sizeof(text_a) ? la : sizeof(text_a)) != 0)
		abort();
	free(data);
}

static char readback[QR_VALUE_MAX];

static int
all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

void
check_set(set_fn fn, qr_sem sem, const char *code, size_t len, const char *val, size_t vlen,
		  int canonical)
{
	size_t		room = QR_BUILD_ROOM(len, vlen);
	char	   *data = malloc(room);
	char	   *again = malloc(room + 3 * vlen + 64);
	qr_buf		out,
				out2;
	qr_build_error e;
	qr_build_code rc;
	qr_error	err;
	int			valid_in = qr_validate(code, len, NULL, NULL, NULL) == QR_OK;
	qr_fmt		fmt = qr_detect_format(code, len);
	long		k;

	qr_buf_init(&out, data, room);
	rc = fn(code, len, val, vlen, &out, &e);
	if (rc == QR_BUILD_SPACE)
	{
		/* a repeated key: the room asked for is enough, and no more */
		size_t		need = out.len;

		if (need <= room)
			abort();
		free(data);
		free(again);
		room = need;
		data = malloc(room);
		again = malloc(room + 3 * vlen + 64);
		qr_buf_init(&out, data, room);
		rc = fn(code, len, val, vlen, &out, &e);
		if (rc != QR_BUILD_OK || out.len != need)
			abort();
	}
	if (rc == QR_BUILD_OK && out.len > room)
		abort();
	if (rc != QR_BUILD_OK)
	{
		must_be_text(e.message, strlen(e.message));
		if (e.message[0] == '\0')
			abort();
		goto done;
	}
	if (!valid_in || qr_validate(out.data, out.len, &err, NULL, NULL) != QR_OK)
	{
		/* a canonical value keeps a valid code valid */
		if (valid_in && canonical)
			abort();
		goto done;
	}
	if (qr_detect_format(out.data, out.len) != fmt)
		abort();
	/*
	 * the value reads back; a reference that is no QRR/SCOR or variable
	 * symbol goes in the Swiss QR-bill's or SPAYD's message
	 */
	if (fmt == QR_FORMAT_SWISS_QR && sem == QR_SEM_REFERENCE)
		k = qr_field_get(out.data, out.len, "message", 7, readback, sizeof(readback));
	else if (fmt == QR_FORMAT_SPAYD && sem == QR_SEM_REFERENCE &&
			 !(vlen <= 10 && all_digits(val, vlen)))
		k = qr_field_get(out.data, out.len, "MSG", 3, readback, sizeof(readback));
	else
		k = qr_semantic(out.data, out.len, sem, readback, sizeof(readback));
	if (canonical && (k != (long) vlen || memcmp(readback, val, vlen) != 0))
		abort();
	/*
	 * setting the value again changes nothing (for canonical values: an
	 * amount numeric_out never writes, "1&2" say, goes in as it comes and
	 * can add a parameter)
	 */
	qr_buf_init(&out2, again, room + 3 * vlen + 64);
	if (canonical &&
		(fn(out.data, out.len, val, vlen, &out2, &e) != QR_BUILD_OK ||
		 out2.len != out.len || memcmp(out2.data, out.data, out.len) != 0))
		abort();
	if (fmt == QR_FORMAT_EMV_MPM)
		check_rebuild(out.data, out.len);
done:
	free(data);
	free(again);
}

void
fuzz_set(const unsigned char *data, size_t size, set_fn fn, qr_sem sem, canon_fn canon)
{
	char		val[128];
	size_t		vlen,
				len;
	char	   *code;
	int			canonical;

	if (size < 1)
		return;
	canonical = data[0] & 1;
	vlen = (size_t) (data[0] >> 1);
	if (vlen > size - 1)
		vlen = size - 1;
	len = size - 1 - vlen;
	memcpy(val, data + 1, vlen);
	if (canonical)
		vlen = canon(val, vlen);
	/* an exact-size copy, so that reading past the code is caught */
	code = malloc(len ? len : 1);
	memcpy(code, data + 1 + (size - 1 - len), len);
	fix_crc(code, len);
	check_set(fn, sem, code, len, val, vlen, canonical);
	free(code);
}

/*
 * fuzz_csv.c — libFuzzer harness for qr_csv_split, differential against
 * a transcription of the SQL function qr_csv_fields
 * (sql/qrpay--0.5.0--0.6.0.sql) kept as close to its PL/pgSQL as C allows:
 * 1-based positions, the string_to_array shortcut for lines without a
 * quote, substr() past the end giving "".
 *
 * Input: the first byte picks the delimiter, the rest is the line.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qrpay_core.h"

#define MAX_FIELDS 4096

typedef struct ref_fields
{
	long		n;
	size_t		start[MAX_FIELDS];
	size_t		len[MAX_FIELDS];
	char		text[4096];
	size_t		used;
} ref_fields;

static void
ref_add(ref_fields *r, const char *s, size_t n)
{
	if (r->n < MAX_FIELDS)
	{
		r->start[r->n] = r->used;
		r->len[r->n] = n;
	}
	memcpy(r->text + r->used, s, n);
	r->used += n;
	r->n++;
}

/* substr(line, i, 1) with 1-based i: "" (-1) past the end */
static int
at(const char *line, size_t n, size_t i)
{
	return i >= 1 && i <= n ? (unsigned char) line[i - 1] : -1;
}

static void
reference(const char *line, size_t n, char delim, ref_fields *r)
{
	char		f[4096];
	size_t		flen,
				i = 1;
	int			quoted;

	r->n = 0;
	r->used = 0;
	if (memchr(line, '"', n) == NULL)
	{
		/* string_to_array(line, delimiter): '' has no elements */
		size_t		s = 0;

		if (n == 0)
			return;
		for (size_t k = 0; k < n; k++)
			if (line[k] == delim)
			{
				ref_add(r, line + s, k - s);
				s = k + 1;
			}
		ref_add(r, line + s, n - s);
		return;
	}
	for (;;)
	{
		flen = 0;
		quoted = at(line, n, i) == '"';
		if (quoted)
			i++;
		while (i <= n)
		{
			int			c = at(line, n, i);

			if (quoted && c == '"')
			{
				if (at(line, n, i + 1) == '"')
				{
					f[flen++] = '"';
					i += 2;
					continue;
				}
				quoted = 0;
				i++;
				continue;
			}
			else if (!quoted && c == (unsigned char) delim)
				break;
			f[flen++] = (char) c;
			i++;
		}
		ref_add(r, f, flen);
		if (i > n)
			break;
		i++;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char delims[] = {',', '\t', ';', '|', ' ', '`'};
	static ref_fields r;
	static qr_csv_field f[MAX_FIELDS];
	char	   *buf;
	char		delim;
	long		n;
	const char *line;
	size_t		len;

	if (size < 1 || size > 4000)
		return 0;
	/* mostly the delimiters statements use; sometimes any byte */
	delim = data[0] < 0xC0 ? delims[data[0] % sizeof(delims)] : (char) data[0];
	line = (const char *) data + 1;
	len = size - 1;
	buf = malloc(len ? len : 1);
	n = qr_csv_split(line, len, delim, f, MAX_FIELDS, buf);
	if (delim == '"')
	{
		if (n != -1)
			abort();
		free(buf);
		return 0;
	}
	reference(line, len, delim, &r);
	if (n != r.n)
		abort();
	for (long k = 0; k < n && k < MAX_FIELDS; k++)
	{
		/* every value lies in buf, which holds no more than the line */
		if (f[k].value < buf || f[k].value + f[k].len > buf + len)
			abort();
		if (f[k].len != r.len[k] || memcmp(f[k].value, r.text + r.start[k], f[k].len) != 0)
			abort();
	}
	/* a smaller out counts the same fields and fills a prefix */
	if (n > 0 && qr_csv_split(line, len, delim, f, n / 2, buf) != n)
		abort();
	free(buf);
	return 0;
}

/*
 * vectors.c — see vectors.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vectors.h"

static char *
unescape(const char *s, size_t n, size_t *outlen)
{
	char	   *out = malloc(n + 1);
	size_t		o = 0;

	for (size_t i = 0; i < n; i++)
	{
		if (s[i] == '\\' && i + 1 < n)
		{
			char		c = s[++i];

			out[o++] = c == 'n' ? '\n' : c == 'r' ? '\r' : c == 't' ? '\t' : c;
			if (c != 'n' && c != 'r' && c != 't' && c != '\\')
			{
				/* unknown escape: keep it literally, as the data's README says */
				out[o - 1] = '\\';
				out[o++] = c;
			}
		}
		else
			out[o++] = s[i];
	}
	out[o] = '\0';
	if (outlen)
		*outlen = o;
	return out;
}

int
vectors_load(const char *path, vector **out)
{
	FILE	   *f = fopen(path, "rb");
	char	   *text;
	long		size;
	int			n = 0,
				cap = 256;
	vector	   *v;
	char	   *line;

	if (f == NULL)
	{
		perror(path);
		return -1;
	}
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fseek(f, 0, SEEK_SET);
	text = malloc((size_t) size + 1);
	if (fread(text, 1, (size_t) size, f) != (size_t) size)
	{
		fclose(f);
		return -1;
	}
	text[size] = '\0';
	fclose(f);

	v = calloc((size_t) cap, sizeof(vector));
	line = strchr(text, '\n');	/* skip the header */
	while (line && *++line)
	{
		char	   *eol = strchr(line, '\n');
		char	   *col[7];
		int			k = 0;
		char	   *p = line;

		if (eol)
			*eol = '\0';
		while (k < 7)
		{
			char	   *tab = strchr(p, '\t');

			col[k++] = p;
			if (tab == NULL)
				break;
			*tab = '\0';
			p = tab + 1;
		}
		if (k < 6)
		{
			fprintf(stderr, "%s: row %d has %d columns\n", path, n + 2, k);
			return -1;
		}
		if (n == cap)
			v = realloc(v, sizeof(vector) * (size_t) (cap *= 2));
		v[n].file_text = text;
		v[n].id = col[0];
		v[n].format = col[1];
		v[n].networks = col[2];
		v[n].valid = col[3][0] == '1';
		v[n].payload = unescape(col[4], strlen(col[4]), &v[n].payload_len);
		v[n].expected = unescape(col[5], strlen(col[5]), NULL);
		n++;
		line = eol;
	}
	*out = v;
	return n;
}

void
vectors_free(vector *v, int n)
{
	for (int i = 0; i < n; i++)
	{
		free(v[i].payload);
		free(v[i].expected);
	}
	if (n > 0)
		free(v[0].file_text);
	free(v);
}

char *
json_string_member(const char *json, const char *key)
{
	size_t		klen = strlen(key);
	int			depth = 0;

	for (const char *p = json; *p; p++)
	{
		if (*p == '{' || *p == '[')
			depth++;
		else if (*p == '}' || *p == ']')
			depth--;
		else if (*p == '"')
		{
			const char *s = p + 1;
			const char *e = s;

			while (*e && *e != '"')
				e += (*e == '\\' && e[1]) ? 2 : 1;
			if (depth == 1 && (size_t) (e - s) == klen && memcmp(s, key, klen) == 0
				&& e[1] == ':')
			{
				const char *vs = e + 2;

				if (*vs != '"')
					return NULL;	/* null, number or object */
				vs++;
				e = vs;
				while (*e && *e != '"')
					e += (*e == '\\' && e[1]) ? 2 : 1;
				{
					char	   *r = malloc((size_t) (e - vs) + 1);
					size_t		o = 0;

					for (const char *q = vs; q < e; q++)
						r[o++] = (*q == '\\' && q + 1 < e) ? *++q : *q;
					r[o] = '\0';
					return r;
				}
			}
			p = *e ? e : e - 1;
		}
	}
	return NULL;
}

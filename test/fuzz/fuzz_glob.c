/*
 * fuzz_glob.c — libFuzzer harness for the catalog's glob patterns:
 * qr_glob_check, qr_glob_match, qr_glob_literal_prefix and
 * qr_pattern_match.
 *
 * qr_glob_match skips ahead to the next literal after a "*" instead of
 * trying every split; it is checked against a plain dynamic program over
 * (pattern token, subject position) that tries them all.  The classes'
 * syntax ("[!...]", a leading "]", "a-z", "\x") is the one qr_match.c
 * documents; the reference parses it on its own.
 *
 * Input: one byte for the pattern length, the pattern, then the subject;
 * the last bytes of a long input also set the length bounds and country
 * of a qr_pattern.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qrpay_core.h"

#define MAX_LEN 128

static unsigned char
fold(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char) (c + 32) : c;
}

typedef enum
{
	T_LIT,
	T_ANY,
	T_STAR,
	T_CLASS
} tkind;

typedef struct token
{
	tkind		kind;
	unsigned char c;			/* T_LIT */
	int			neg;			/* T_CLASS */
	int			nrange;
	unsigned char lo[MAX_LEN];
	unsigned char hi[MAX_LEN];
} token;

/* The class at pat[i] == '[' into t; returns the index past it, 0 if open. */
static size_t
parse_class(const char *pat, size_t n, size_t i, token *t)
{
	size_t		j = i + 1;
	unsigned char items[MAX_LEN];
	int			literal[MAX_LEN];
	int			nitems = 0;

	t->kind = T_CLASS;
	t->neg = 0;
	t->nrange = 0;
	if (j < n && pat[j] == '!')
		t->neg = 1, j++;
	/* the items up to the closing "]": a leading "]" and "\x" are literal */
	for (int first = 1; j < n && (pat[j] != ']' || first); first = 0)
	{
		if (pat[j] == '\\' && j + 1 < n)
			j++, literal[nitems] = 1;
		else
			literal[nitems] = 0;
		items[nitems++] = (unsigned char) pat[j++];
	}
	if (j >= n)
		return 0;
	/* "x-y" is a range when a further item follows the "-" */
	for (int k = 0; k < nitems; k++)
	{
		t->lo[t->nrange] = fold(items[k]);
		if (k + 2 < nitems && items[k + 1] == '-' && !literal[k + 1])
		{
			t->hi[t->nrange++] = fold(items[k + 2]);
			k += 2;
		}
		else
			t->hi[t->nrange] = t->lo[t->nrange], t->nrange++;
	}
	return j + 1;
}

static int
tokenize(const char *pat, size_t n, token *tok)
{
	int			nt = 0;

	for (size_t i = 0; i < n;)
	{
		token	   *t = &tok[nt++];

		if (pat[i] == '*')
			t->kind = T_STAR, i++;
		else if (pat[i] == '?')
			t->kind = T_ANY, i++;
		else if (pat[i] == '[')
		{
			i = parse_class(pat, n, i, t);
			if (i == 0)
				return -1;
		}
		else
		{
			if (pat[i] == '\\')
				i++;
			if (i >= n)
				return -1;
			t->kind = T_LIT;
			t->c = fold((unsigned char) pat[i++]);
		}
	}
	return nt;
}

static int
token_matches(const token *t, unsigned char c)
{
	int			hit = 0;

	c = fold(c);
	if (t->kind == T_ANY)
		return 1;
	if (t->kind == T_LIT)
		return t->c == c;
	for (int r = 0; r < t->nrange; r++)
		if (c >= t->lo[r] && c <= t->hi[r])
			hit = 1;
	return hit != t->neg;
}

/* m[p][i]: tokens p.. match subject i.. */
static int
reference_match(const token *tok, int nt, const char *s, size_t n)
{
	static unsigned char m[MAX_LEN + 1][MAX_LEN + 1];

	for (int p = nt; p >= 0; p--)
		for (long i = (long) n; i >= 0; i--)
		{
			if (p == nt)
				m[p][i] = i == (long) n;
			else if (tok[p].kind == T_STAR)
				m[p][i] = m[p + 1][i] || (i < (long) n && m[p][i + 1]);
			else
				m[p][i] = i < (long) n && token_matches(&tok[p], (unsigned char) s[i]) && m[p + 1][i + 1];
		}
	return m[0][0];
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static token tok[MAX_LEN];
	const char *pat,
		  *s;
	size_t		plen,
				slen;
	const char *why;
	int			nt,
				got;

	if (size < 1)
		return 0;
	plen = data[0] % MAX_LEN;
	if (plen > size - 1)
		plen = size - 1;
	pat = (const char *) data + 1;
	s = pat + plen;
	slen = size - 1 - plen;
	if (slen > MAX_LEN)
		slen = MAX_LEN;

	why = qr_glob_check(pat, plen);
	nt = tokenize(pat, plen, tok);
	/* the checker and the reference agree on what is well formed */
	if ((why == NULL) != (nt >= 0 && plen > 0))
		abort();
	if (why != NULL)
		return 0;
	got = qr_glob_match(pat, plen, s, slen);
	if (got != reference_match(tok, nt, s, slen))
		abort();
	{
		size_t		lit = qr_glob_literal_prefix(pat, plen);
		qr_pattern	p;
		qr_ident	id;
		int			want;

		if (lit > plen)
			abort();
		/* a match starts with the literal opening */
		if (got)
			for (size_t k = 0; k < lit; k++)
				if (k >= slen || fold((unsigned char) s[k]) != fold((unsigned char) pat[k]))
					abort();
		memset(&p, 0, sizeof(p));
		memset(&id, 0, sizeof(id));
		p.kind = QR_ID_EMV_GUID;
		p.pattern = pat;
		p.plen = plen;
		p.lit_len = lit;
		p.min_len = size > 2 ? data[size - 1] % 24 : 0;
		p.max_len = size > 3 ? data[size - 2] % 40 : 0;
		if (size > 4 && data[size - 3] & 1)
			memcpy(p.country, "TH", 3);
		id.kind = QR_ID_EMV_GUID;
		id.value = s;
		id.len = slen;
		/* the prefilters only ever say no where the glob would too */
		want = got && (p.min_len == 0 || slen >= (size_t) p.min_len) &&
			   (p.max_len == 0 || slen <= (size_t) p.max_len) && !(p.country[0] && size > 5 && data[size - 4] & 1);
		if (qr_pattern_match(&p, &id, size > 5 && data[size - 4] & 1 ? "VN" : "TH") != want)
			abort();
		id.kind = QR_ID_URL;
		if (qr_pattern_match(&p, &id, "TH"))
			abort();
	}
	return 0;
}

/*
 * qr_match.c — matching payload identifiers against provider catalog
 * patterns: the kinds of pattern, a small glob, and one pattern test.
 *
 * The glob is the shell's (fnmatch without FNM_PATHNAME): "*", "?",
 * bracket classes with ranges and "!" negation, backslash escapes; ASCII
 * letters compare case-insensitively: real codes write the same GUID in
 * both cases (BR.GOV.BCB.PIX and br.gov.bcb.pix, REFERENCE §1.3), and URL
 * schemes and hosts are case-insensitive (RFC 3986 §3.1, §3.2.2).
 */
#include <string.h>

#include "qr_fmt.h"

static const char *const kind_names[QR_IDKIND_MAX + 1] = {
	NULL, "format", "emv_tag", "emv_guid", "cpm_aid", "url", "payment_code", "bic"
};

const char *
qr_idkind_name(qr_idkind k)
{
	if (k < 1 || k > QR_IDKIND_MAX)
		return "unknown";
	return kind_names[k];
}

int
qr_idkind_parse(const char *s, size_t n)
{
	for (int k = 1; k <= QR_IDKIND_MAX; k++)
		if (strlen(kind_names[k]) == n && memcmp(kind_names[k], s, n) == 0)
			return k;
	return 0;
}

static unsigned char
fold(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char) (c + 32) : c;
}

/* Length of the bracket class at p (p[0] == '['), 0 if unterminated. */
static size_t
class_len(const char *p, size_t n)
{
	size_t		i = 1;

	if (i < n && p[i] == '!')
		i++;
	if (i < n && p[i] == ']')
		i++;					/* a leading ] is literal */
	while (i < n && p[i] != ']')
		i += (p[i] == '\\' && i + 1 < n) ? 2 : 1;	/* \x is a literal x */
	return i < n ? i + 1 : 0;
}

static int
class_match(const char *p, size_t clen, unsigned char c)
{
	size_t		i = 1;
	int			neg = 0,
				hit = 0;

	c = fold(c);
	if (p[i] == '!')
		neg = 1, i++;
	for (; i < clen - 1; i++)
	{
		unsigned char lo;

		if (p[i] == '\\')
			i++;
		lo = fold((unsigned char) p[i]);
		if (i + 2 < clen - 1 && p[i + 1] == '-')
		{
			size_t		h = i + 2;
			unsigned char hi;

			if (p[h] == '\\' && h + 1 < clen - 1)
				h++;
			hi = fold((unsigned char) p[h]);
			if (c >= lo && c <= hi)
				hit = 1;
			i = h;
		}
		else if (c == lo)
			hit = 1;
	}
	return hit != neg;
}

const char *
qr_glob_check(const char *pat, size_t plen)
{
	if (plen == 0)
		return "the pattern is empty";
	for (size_t i = 0; i < plen; i++)
	{
		if (pat[i] == '\\')
		{
			if (++i == plen)
				return "the pattern ends with a lone backslash";
		}
		else if (pat[i] == '[')
		{
			size_t		cl = class_len(pat + i, plen - i);

			if (cl == 0)
				return "a \"[\" class is not closed by \"]\"";
			i += cl - 1;
		}
	}
	return NULL;
}

/*
 * After a "*" at pattern position p, advance *from to where the next
 * pattern character can match when it is a plain literal.  Returns 0 when
 * it occurs nowhere further, so no match is possible.
 */
static int
jump_to_literal(const char *pat, size_t plen, size_t p, const char *s, size_t slen, size_t *from)
{
	unsigned char want;

	if (p >= plen || pat[p] == '*' || pat[p] == '?' || pat[p] == '[' || pat[p] == '\\')
		return 1;
	want = fold((unsigned char) pat[p]);
	while (*from < slen && fold((unsigned char) s[*from]) != want)
		(*from)++;
	return *from < slen;
}

int
qr_glob_match(const char *pat, size_t plen, const char *s, size_t slen)
{
	size_t		p = 0,
				i = 0;
	size_t		star_p = (size_t) -1,
				star_i = 0;

	while (i < slen)
	{
		if (p < plen)
		{
			char		c = pat[p];

			if (c == '*')
			{
				star_p = ++p;
				star_i = i;
				if (!jump_to_literal(pat, plen, p, s, slen, &star_i))
					return 0;
				i = star_i;
				continue;
			}
			if (c == '?')
			{
				p++, i++;
				continue;
			}
			if (c == '[')
			{
				size_t		cl = class_len(pat + p, plen - p);

				if (cl && class_match(pat + p, cl, (unsigned char) s[i]))
				{
					p += cl, i++;
					continue;
				}
			}
			else
			{
				if (c == '\\' && p + 1 < plen)
					c = pat[p + 1];
				if (fold((unsigned char) c) == fold((unsigned char) s[i]))
				{
					p += pat[p] == '\\' ? 2 : 1;
					i++;
					continue;
				}
			}
		}
		if (star_p == (size_t) -1)
			return 0;
		p = star_p;				/* let the last "*" take one more character */
		++star_i;
		if (!jump_to_literal(pat, plen, p, s, slen, &star_i))
			return 0;
		i = star_i;
	}
	while (p < plen && pat[p] == '*')
		p++;
	return p == plen;
}

size_t
qr_glob_literal_prefix(const char *pat, size_t plen)
{
	size_t		i = 0;

	while (i < plen && pat[i] != '*' && pat[i] != '?' && pat[i] != '[' && pat[i] != '\\')
		i++;
	return i;
}

int
qr_pattern_match(const qr_pattern *pt, const qr_ident *id, const char *country)
{
	if (pt->kind != id->kind)
		return 0;
	/* the literal opening rejects most identifiers before any glob work */
	if (pt->lit_len > 0 &&
		(id->len < pt->lit_len || fold((unsigned char) pt->pattern[0]) != fold((unsigned char) id->value[0]) ||
		 qr_ascii_casecmp(pt->pattern, pt->lit_len, id->value, pt->lit_len) != 0))
		return 0;
	if (pt->min_len > 0 && id->len < (size_t) pt->min_len)
		return 0;
	if (pt->max_len > 0 && id->len > (size_t) pt->max_len)
		return 0;
	if (pt->country[0] && (country[0] != pt->country[0] || country[1] != pt->country[1]))
		return 0;
	return qr_glob_match(pt->pattern, pt->plen, id->value, id->len);
}

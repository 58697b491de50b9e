/*
 * qr_util.c — error and field plumbing, and the checks several formats
 * share: decimals, IBAN, BIC, dates, percent-encoding.
 */
#include <stdio.h>
#include <string.h>

#include "qr_fmt.h"
#include "qr_utf8.h"

/*
 * Messages quote payload text cut to a byte budget ("%.60s"), which can
 * split a character: replace any byte that does not form UTF-8 with "?"
 * so the message is always valid text.
 */
void
qr_text_sanitize(char *s)
{
	size_t		n = strlen(s);
	int			ascii;
	long		bad;

	while ((bad = qr_utf8_check(s, n, &ascii)) >= 0)
		s[bad] = '?';
}

qr_errcode
qr_fail(qr_error *err, qr_errcode code, const char *buf, const char *at,
		const char *path, const char *where, const char *fmt,...)
{
	char		what[QR_MSG_MAX];
	va_list		ap;

	if (err == NULL)
		return code;
	err->code = code;
	err->offset = at == NULL ? -1 : qr_utf8_count(buf, at);
	snprintf(err->path, sizeof(err->path), "%s", path ? path : "");
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (where && *where && err->offset >= 0)
		snprintf(err->message, sizeof(err->message), "%.80s at offset %d: %.280s",
				 where, err->offset, what);
	else if (where && *where)
		snprintf(err->message, sizeof(err->message), "%.80s: %.290s", where, what);
	else if (err->offset >= 0)
		snprintf(err->message, sizeof(err->message), "at offset %d: %.340s",
				 err->offset, what);
	else
		snprintf(err->message, sizeof(err->message), "%.370s", what);
	qr_text_sanitize(err->message);
	return code;
}

void
qr_notef(qr_finding_fn report, void *arg, qr_severity sev, const char *path,
		 const char *fmt,...)
{
	char		msg[QR_MSG_MAX];
	va_list		ap;

	if (report == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	qr_text_sanitize(msg);
	report(arg, sev, path ? path : "", msg);
}

int
qr_emit(qr_field_fn fn, void *arg, const char *path, const char *name,
		const char *value, size_t vlen, int depth, int container)
{
	qr_field	f;

	f.path = path;
	f.name = name;
	f.value = value;
	f.value_len = vlen;
	f.depth = depth;
	f.container = container;
	f.repeated = 0;
	return fn(arg, &f);
}

int
qr_all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

static int
is_alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int
is_upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

int
qr_all_alnum(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_alnum(s[i]))
			return 0;
	return 1;
}

static char
lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char) (c + 32) : c;
}

int
qr_ascii_casecmp(const char *a, size_t an, const char *b, size_t bn)
{
	size_t		n = an < bn ? an : bn;

	if (n > 0 && lower(a[0]) != lower(b[0]))
		return (unsigned char) lower(a[0]) < (unsigned char) lower(b[0]) ? -1 : 1;

	for (size_t i = 0; i < n; i++)
	{
		char		x = lower(a[i]),
					y = lower(b[i]);

		if (x != y)
			return (unsigned char) x < (unsigned char) y ? -1 : 1;
	}
	return an < bn ? -1 : an > bn ? 1 : 0;
}

int
qr_ascii_prefix(const char *s, size_t n, const char *prefix)
{
	size_t		i;

	for (i = 0; prefix[i]; i++)
		if (i >= n || lower(s[i]) != lower(prefix[i]))
			return 0;
	return 1;
}

int
qr_decimal_parse(const char *s, size_t n, char sep, int maxdec, long long *cents)
{
	size_t		i = 0;
	long long	v = 0;
	int			dec = 0,
				intdigits = 0;

	while (i < n && s[i] >= '0' && s[i] <= '9')
	{
		if (v < 1000000000000000LL)
			v = v * 10 + (s[i] - '0');
		intdigits++;
		i++;
	}
	if (intdigits == 0)
		return 0;
	v *= 100;
	if (i < n)
	{
		if (s[i] != sep)
			return 0;
		i++;
		while (i < n && s[i] >= '0' && s[i] <= '9')
		{
			if (dec < 2)
				v += (s[i] - '0') * (dec == 0 ? 10 : 1);
			dec++;
			i++;
		}
		if (i < n || dec > maxdec)
			return 0;
	}
	if (cents)
		*cents = v;
	return 1;
}

/*
 * The remainder is taken only when the accumulator nears 2^50 (then
 * rem * 100 + 35 still fits in 64 bits), not once per character.
 */
int
qr_iban_valid(const char *s, size_t n)
{
	uint64_t	rem = 0;

	if (n < 5 || n > 34 || !is_upper(s[0]) || !is_upper(s[1]) ||
		s[2] < '0' || s[2] > '9' || s[3] < '0' || s[3] > '9')
		return 0;
	for (size_t k = 0; k < n; k++)
	{
		/* country and check digits move to the end */
		char		c = s[k + 4 < n ? k + 4 : k + 4 - n];

		if (c >= '0' && c <= '9')
			rem = rem * 10 + (uint64_t) (c - '0');
		else if (is_upper(c))
			rem = rem * 100 + (uint64_t) (c - 'A' + 10);
		else
			return 0;
		if (rem >= (UINT64_C(1) << 50))
			rem %= 97;
	}
	return rem % 97 == 1;
}

int
qr_bic_valid(const char *s, size_t n)
{
	if (n != 8 && n != 11)
		return 0;
	for (size_t i = 0; i < 6; i++)
		if (!is_upper(s[i]))
			return 0;
	for (size_t i = 6; i < n; i++)
		if (!is_upper(s[i]) && !(s[i] >= '0' && s[i] <= '9'))
			return 0;
	return 1;
}

int
qr_date_valid(const char *s, size_t n, int ymd)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int			y,
				m,
				d;

	if (n != 8 || !qr_all_digits(s, 8))
		return 0;
	if (ymd)
	{
		y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
		m = (s[4] - '0') * 10 + (s[5] - '0');
		d = (s[6] - '0') * 10 + (s[7] - '0');
	}
	else
	{
		d = (s[0] - '0') * 10 + (s[1] - '0');
		m = (s[2] - '0') * 10 + (s[3] - '0');
		y = (s[4] - '0') * 1000 + (s[5] - '0') * 100 + (s[6] - '0') * 10 + (s[7] - '0');
	}
	if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return 0;
	if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 0;
	return 1;
}

/* without branches on the digit: hex digits come in no predictable order */
int
qr_hexval(char c)
{
	unsigned	d = (unsigned) (unsigned char) c - '0';
	unsigned	l = (unsigned) ((unsigned char) c | 0x20) - 'a';

	return d <= 9 ? (int) d : l <= 5 ? (int) l + 10 : -1;
}

long
qr_pct_decode(const char *s, size_t n, char *dst, const char **bad)
{
	size_t		o = 0;

	for (size_t i = 0; i < n; i++)
	{
		if (s[i] == '%')
		{
			int			h,
						l;

			if (i + 2 >= n)
			{
				if (bad)
					*bad = s + i;
				return -1;
			}
			h = qr_hexval(s[i + 1]);
			l = qr_hexval(s[i + 2]);
			if (h < 0 || l < 0)
			{
				if (bad)
					*bad = s + i;
				return -1;
			}
			dst[o++] = (char) (h * 16 + l);
			i += 2;
		}
		else
			dst[o++] = s[i];
	}
	return (long) o;
}

/*
 * qr_csv.c — the fields of one line of a provider's CSV statement.
 *
 * The same reading as the SQL function qr_csv_fields (sql/qrpay--0.5.0--
 * 0.6.0.sql), so that a reader in C can replace it without changing what
 * a statement says:
 *   - a field that opens with '"' is quoted: delimiters inside it are
 *     text, '""' is one '"' (RFC 4180 §2, rules 5-7), and the next lone
 *     '"' closes the quoting;
 *   - whatever follows a closing quote up to the next delimiter is kept as
 *     text, a '"' in it included: RFC 4180 forbids both, but the SQL
 *     function keeps them, and statements are read leniently;
 *   - a '"' inside a field that did not open with one is text;
 *   - a quote left open runs to the end of the line;
 *   - a delimiter at the end of the line ends an empty last field;
 *   - an empty line has no fields (as string_to_array('', ',') has none).
 * The delimiter is one byte.  Lines are UTF-8 and '"' and the delimiter
 * are ASCII, so stepping over bytes splits where the SQL function,
 * stepping over characters, does.
 */
#include <string.h>

#include "qrpay_core.h"

long
qr_csv_split(const char *line, size_t len, char delim, qr_csv_field *out, long max,
			 char *buf)
{
	size_t		i = 0,
				w = 0;
	long		n = 0;

	if (delim == '"')
		return -1;
	if (len == 0)
		return 0;
	for (;;)
	{
		size_t		start = w;
		int			quoted = line[i] == '"';

		if (quoted)
			i++;
		while (i < len)
		{
			char		c = line[i];

			if (quoted && c == '"')
			{
				if (i + 1 < len && line[i + 1] == '"')
				{
					buf[w++] = '"';
					i += 2;
					continue;
				}
				quoted = 0;
				i++;
				continue;
			}
			if (!quoted && c == delim)
				break;
			buf[w++] = c;
			i++;
		}
		if (n < max)
		{
			out[n].value = buf + start;
			out[n].len = w - start;
		}
		n++;
		if (i >= len)
			break;
		i++;					/* the delimiter */
		if (i == len)
		{
			/* it ended the line: an empty last field */
			if (n < max)
			{
				out[n].value = buf + w;
				out[n].len = 0;
			}
			n++;
			break;
		}
	}
	return n;
}

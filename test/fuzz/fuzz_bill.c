/*
 * fuzz_bill.c — libFuzzer harness for the statement readers
 * (src/core/qr_bill.c): records against a plain reference reader, then
 * every layout over the same bytes.
 *
 * Input: the first byte picks the delimiter and the format, the rest is
 * the file (any bytes: the reader must not care whether they are UTF-8).
 *
 * The reference splits the whole file with the rules stated in qr_bill.c
 * and qr_csv.c, written as directly as possible: a character at a time,
 * a quote opening only at the start of a field, "" inside quotes being
 * one quote, a record ending at a LF outside quotes with a CR before it
 * dropped.  Each record the reader gives must be the reference's, with
 * the same line, and its fields (qr_csv_split) must be the reference's.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qr_bill.h"

#define MAX_FIELDS 512

typedef struct ref_record
{
	size_t		start,
				len;			/* in the file */
	long		line;
	int			open;
	long		nfields;
	char	   *fields;			/* values, each followed by a NUL-free length */
	size_t		flen[MAX_FIELDS];
	size_t		foff[MAX_FIELDS];
} ref_record;

/* the next record from *pos by the rules, its fields unquoted into buf */
static int
ref_next(const char *s, size_t n, char delim, size_t *pos, long *line, ref_record *r, char *buf)
{
	size_t		i = *pos,
				w = 0,
				fstart = 0;
	int			quoted = 0,
				at_start = 1;

	if (i >= n)
		return 0;
	r->start = i;
	r->line = *line;
	r->nfields = 0;
	r->open = 0;
	r->fields = buf;
	for (;;)
	{
		if (i >= n)
		{
			r->open = quoted;
			break;
		}
		if (quoted)
		{
			if (s[i] == '"' && i + 1 < n && s[i + 1] == '"')
			{
				buf[w++] = '"';
				i += 2;
			}
			else if (s[i] == '"')
			{
				quoted = 0;
				i++;
			}
			else
			{
				if (s[i] == '\n')
					(*line)++;
				buf[w++] = s[i++];
			}
			continue;
		}
		if (s[i] == '\n')
			break;
		if (at_start && s[i] == '"')
		{
			quoted = 1;
			at_start = 0;
			i++;
			continue;
		}
		at_start = 0;
		if (s[i] == delim)
		{
			if (r->nfields < MAX_FIELDS)
			{
				r->foff[r->nfields] = fstart;
				r->flen[r->nfields] = w - fstart;
			}
			r->nfields++;
			fstart = w;
			at_start = 1;
			i++;
			continue;
		}
		buf[w++] = s[i++];
	}
	r->len = i - r->start;
	if (i < n)
	{
		/* the LF; a CR before it leaves the record and its last field */
		if (r->len > 0 && s[i - 1] == '\r')
		{
			r->len--;
			if (w > fstart)
				w--;
		}
		(*line)++;
		i++;
	}
	/* the last field; an empty record has none */
	if (r->len > 0)
	{
		if (r->nfields < MAX_FIELDS)
		{
			r->foff[r->nfields] = fstart;
			r->flen[r->nfields] = w - fstart;
		}
		r->nfields++;
	}
	*pos = i;
	return 1;
}

static void
check_records(const char *s, size_t n, char delim)
{
	qr_rec_reader rd;
	qr_record	rec;
	ref_record *ref = malloc(sizeof(ref_record));
	char	   *rbuf = malloc(n + 1);
	char	   *fbuf = malloc(n + 1);
	qr_csv_field *f = malloc(sizeof(qr_csv_field) * MAX_FIELDS);
	size_t		pos = 0;
	long		line = 1;
	int			bom = qr_rec_init(&rd, s, n, delim);

	if (bom)
		pos = 3;
	while (qr_rec_next(&rd, &rec))
	{
		long		nf;

		if (!ref_next(s, n, delim, &pos, &line, ref, rbuf))
			abort();
		/* the same record, on the same line, inside the file */
		if (rec.text != s + ref->start || rec.len != ref->len || rec.line != ref->line
			|| rec.open_quote != ref->open)
			abort();
		if (rec.text < s || rec.text + rec.len > s + n)
			abort();
		/* the same fields */
		nf = qr_csv_split(rec.text, rec.len, delim, f, MAX_FIELDS, fbuf);
		if (nf != ref->nfields)
			abort();
		for (long k = 0; k < nf && k < MAX_FIELDS; k++)
		{
			if (f[k].value < fbuf || f[k].value + f[k].len > fbuf + rec.len)
				abort();
			if (f[k].len != ref->flen[k] || memcmp(f[k].value, ref->fields + ref->foff[k], f[k].len) != 0)
				abort();
		}
	}
	if (ref_next(s, n, delim, &pos, &line, ref, rbuf))
		abort();
	free(f);
	free(fbuf);
	free(rbuf);
	free(ref);
}

/* every row of every layout: nothing read out of bounds, messages terminated */
static void
check_layout(const char *s, size_t n, char delim, qr_bill_format format)
{
	qr_bill    *b = calloc(1, sizeof(qr_bill));
	qr_bill_row *row = malloc(sizeof(qr_bill_row));
	char	   *work = malloc(2 * n + 2);
	long		rows = 0;

	b->format = format;
	b->delim = delim;
	b->work = work;
	if (format == QR_BILL_CSV)
	{
		b->name[QR_COL_PROVIDER_TXN] = "id";
		b->name_len[QR_COL_PROVIDER_TXN] = 2;
		b->name[QR_COL_TS] = "ts";
		b->name_len[QR_COL_TS] = 2;
		b->name[QR_COL_AMOUNT] = "amount";
		b->name_len[QR_COL_AMOUNT] = 6;
		b->name[QR_COL_FEE] = "fee";
		b->name_len[QR_COL_FEE] = 3;
	}
	if (qr_bill_open(b, s, n))
	{
		while (qr_bill_next(b, row))
		{
			rows++;
			if (strlen(row->error) >= sizeof(row->error) || (row->ok && row->error[0]))
				abort();
			if (row->raw < s || row->raw + row->raw_len > s + n)
				abort();
			for (int c = 0; c < QR_NCOL; c++)
				if (row->ok && row->val[c])
				{
					volatile char sink = 0;

					for (size_t i = 0; i < row->val_len[c]; i++)
						sink ^= row->val[c][i];
					(void) sink;
				}
		}
		qr_bill_finish(b);
		if (b->records != rows)
			abort();
		for (int i = 0; i < b->ntotals; i++)
			if (b->totals[i].key == NULL || (b->totals[i].value_len && b->totals[i].value == NULL))
				abort();
	}
	else if (strlen(b->message) == 0 || strlen(b->message) >= sizeof(b->message))
		abort();
	free(work);
	free(row);
	free(b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char delims[] = {',', ';', '\t', '|'};
	const char *s;
	size_t		n;
	char		delim;

	if (size < 1 || size > 1 << 16)
		return 0;
	delim = delims[data[0] % sizeof(delims)];
	s = (const char *) data + 1;
	n = size - 1;
	check_records(s, n, delim);
	check_layout(s, n, ',', (qr_bill_format) ((data[0] >> 2) % 4));
	if (delim != ',')
		check_layout(s, n, delim, QR_BILL_CSV);
	return 0;
}

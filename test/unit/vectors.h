/*
 * vectors.h — reads test/data/vectors.tsv for the server-less tests.
 *
 * Columns: id, format, networks, valid, payload, expected_fields, source.
 * payload, expected_fields and source escape LF as \n, CR as \r, tab as \t
 * and backslash as \\ (the same escapes COPY's text format uses, which is
 * why the SQL tests can load the file with COPY unchanged).
 */
#ifndef QRPAY_TEST_VECTORS_H
#define QRPAY_TEST_VECTORS_H

#include <stddef.h>

typedef struct vector
{
	char	   *id;
	char	   *format;
	char	   *networks;
	int			valid;
	char	   *payload;
	size_t		payload_len;
	char	   *expected;		/* JSON text */
	char	   *file_text;		/* the loaded file, which id/format/networks point into */
} vector;

/* Loads every row; returns the count, or -1 (message on stderr). */
extern int	vectors_load(const char *path, vector **out);

/* Frees what vectors_load allocated. */
extern void vectors_free(vector *v, int n);

/*
 * Top-level string member of a flat JSON object; returns a malloc'd copy,
 * NULL when absent or null.
 */
extern char *json_string_member(const char *json, const char *key);

#endif

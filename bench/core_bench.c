/*
 * core_bench: single-core throughput of qr_validate() over a payload file.
 *
 *   core_bench FILE [MIN_SECONDS]
 *
 * The whole file is loaded and split into lines before the clock starts, so
 * only parsing is timed, not I/O.  Passes over all payloads repeat until
 * MIN_SECONDS (default 2) have elapsed, which keeps short inputs from
 * measuring timer noise.  A CRC-only pass is timed the same way: the CRC
 * touches every byte once and cannot be skipped, so it is the floor under
 * any validator and shows how much of the cost is the TLV walk itself.
 *
 * Lines use COPY's text escapes (\n inside EPC and Swiss QR-bill
 * payloads), undone on load.  After the whole-file figures, each format's
 * payloads are timed on their own (emv_mpm_best_per_sec: EMVCo MPM codes
 * per second in their fastest pass).
 *
 * Output is key=value lines, easy to read and to parse from bench/run.
 */
#define _POSIX_C_SOURCE 199309L

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "qrpay_core.h"

typedef struct payload
{
	const char *p;
	size_t		len;
} payload;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static char *
load(const char *path, size_t *len)
{
	FILE	   *f = fopen(path, "rb");
	char	   *buf = NULL;
	size_t		cap = 0,
				n = 0,
				got;

	if (!f)
	{
		perror(path);
		exit(1);
	}
	do
	{
		if (cap - n < (1 << 20))
		{
			cap = cap ? cap * 2 : (size_t) 64 << 20;
			buf = realloc(buf, cap);
			if (!buf)
			{
				fprintf(stderr, "core_bench: out of memory\n");
				exit(1);
			}
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got > 0);
	if (ferror(f))
	{
		perror(path);
		exit(1);
	}
	fclose(f);
	*len = n;
	return buf;
}

/* Undo COPY text escapes in place; returns the new length. */
static size_t
unescape(char *s, size_t n)
{
	size_t		o = 0;

	for (size_t i = 0; i < n; i++)
	{
		if (s[i] == '\\' && i + 1 < n)
		{
			char		c = s[++i];

			s[o++] = c == 'n' ? '\n' : c == 'r' ? '\r' : c == 't' ? '\t' : c;
		}
		else
			s[o++] = s[i];
	}
	return o;
}

/* The volatile sink keeps the compiler from treating a pass as dead code. */
static volatile unsigned long sink;

static unsigned long
pass_validate(const payload *pl, size_t n)
{
	unsigned long bad = 0;
	qr_error	err;

	for (size_t i = 0; i < n; i++)
		bad += qr_validate(pl[i].p, pl[i].len, &err, NULL, NULL) != QR_OK;
	return bad;
}

/*
 * Validation passes over pl until min_s seconds have elapsed; each pass
 * is timed on its own.  Returns the fastest pass in seconds, the number
 * of passes and the elapsed time through *passes and *elapsed.
 */
static double
timed_passes(const payload *pl, size_t n, double min_s, unsigned long *passes, double *elapsed)
{
	double		best = 1e300,
				t0 = now();

	*passes = 0;
	do
	{
		double		p0 = now(),
					took;

		sink += pass_validate(pl, n);
		took = now() - p0;
		if (took < best)
			best = took;
		(*passes)++;
		*elapsed = now() - t0;
	} while (*elapsed < min_s);
	return best;
}

static void
pass_crc(const payload *pl, size_t n)
{
	unsigned long acc = 0;

	for (size_t i = 0; i < n; i++)
		acc += qr_crc16(pl[i].p, pl[i].len > 4 ? pl[i].len - 4 : pl[i].len);
	sink += acc;
}

/*
 * Split the file's lines into payloads (in place, escapes undone);
 * returns the array and the count and total bytes through *n and *bytes.
 */
static payload *
split_payloads(char *buf, size_t flen, size_t *n, size_t *bytes)
{
	size_t		cap = 1 << 16;
	payload    *pl = malloc(cap * sizeof(*pl));

	*n = 0;
	*bytes = 0;
	for (size_t i = 0; i < flen;)
	{
		char	   *nl = memchr(buf + i, '\n', flen - i);
		size_t		e = nl ? (size_t) (nl - buf) : flen;

		if (e > i)
		{
			if (pl && *n == cap)
			{
				cap *= 2;
				pl = realloc(pl, cap * sizeof(*pl));
			}
			if (!pl)
			{
				fprintf(stderr, "core_bench: out of memory\n");
				exit(1);
			}
			pl[*n].p = buf + i;
			pl[*n].len = unescape(buf + i, e - i);
			*bytes += pl[*n].len;
			(*n)++;
		}
		i = e + 1;
	}
	return pl;
}

/*
 * Each format's payloads on their own: count, average size and the
 * fastest pass's time per payload; for EMVCo MPM, the codes most rules
 * apply to, also payloads per second.  Each format gets the whole
 * MIN_SECONDS: on a shared machine a neighbour's burst can last longer
 * than a short loop, and then not one of its passes is clean.  The payloads of a format are
 * copied next to each other first, as a file of that format alone holds
 * them: read in place, every payload would be a cache miss of its own
 * between the other formats' lines, and the figure would time memory
 * rather than validation.
 */
static void
per_format(const payload *pl, size_t n, size_t bytes, double min_s)
{
	payload    *sub = malloc(n * sizeof(*sub));
	char	   *packed = malloc(bytes + 1);

	if (!sub || !packed)
	{
		fprintf(stderr, "core_bench: out of memory\n");
		exit(1);
	}
	for (int f = 1; f < QR_FORMAT_COUNT; f++)
	{
		size_t		k = 0,
					kb = 0;

		for (size_t i = 0; i < n; i++)
			if ((int) qr_detect_format(pl[i].p, pl[i].len) == f)
			{
				memcpy(packed + kb, pl[i].p, pl[i].len);
				sub[k].p = packed + kb;
				sub[k++].len = pl[i].len;
				kb += pl[i].len;
			}
		if (k > 0)
		{
			unsigned long sub_passes;
			double		el,
						best = timed_passes(sub, k, min_s, &sub_passes, &el);

			printf("format_%s=%zu %.1f %.1f\n", qr_format_name((qr_fmt) f), k,
				   (double) kb / (double) k, best * 1e9 / (double) k);
			if (f == QR_FORMAT_EMV_MPM)
				printf("emv_mpm_best_per_sec=%.0f\n", (double) k / best);
		}
	}
	free(packed);
	free(sub);
}

int
main(int argc, char **argv)
{
	size_t		flen,
				n,
				bytes;
	char	   *buf;
	payload    *pl;
	double		min_s = 2.0,
				t0,
				el,
				best;
	unsigned long passes,
			 rejected;
	qr_error	err;

	if (argc < 2 || argc > 3)
	{
		fprintf(stderr, "usage: core_bench FILE [MIN_SECONDS]\n");
		return 2;
	}
	if (argc == 3)
		min_s = atof(argv[2]);

	buf = load(argv[1], &flen);
	pl = split_payloads(buf, flen, &n, &bytes);
	if (n == 0)
	{
		fprintf(stderr, "core_bench: %s holds no payloads\n", argv[1]);
		return 1;
	}

	/*
	 * An untimed pass warms caches and branch predictors and tells whether
	 * the input is what it should be: a rejected payload takes the error
	 * path, which is not what this benchmark is meant to measure.
	 */
	rejected = pass_validate(pl, n);
	if (rejected)
	{
		for (size_t i = 0; i < n; i++)
			if (qr_validate(pl[i].p, pl[i].len, &err, NULL, NULL) != QR_OK)
			{
				fprintf(stderr, "core_bench: warning: %lu of %zu payloads rejected; first (line %zu): %s\n",
						rejected, n, i + 1, err.message);
				break;
			}
	}

	/*
	 * Each pass is timed on its own and the fastest one is reported too:
	 * on a shared machine a neighbour's burst lengthens some passes, never
	 * shortens one, so the fastest pass is the steadiest figure.
	 */
	best = timed_passes(pl, n, min_s, &passes, &el);

	printf("payloads=%zu\n", n);
	printf("avg_bytes=%.1f\n", (double) bytes / (double) n);
	printf("rejected=%lu\n", rejected);
	printf("validate_passes=%lu\n", passes);
	printf("validate_seconds=%.3f\n", el);
	printf("validate_per_sec=%.0f\n", (double) n * (double) passes / el);
	printf("validate_mb_per_sec=%.1f\n", (double) bytes * (double) passes / el / 1e6);
	printf("validate_ns_per_payload=%.1f\n", el * 1e9 / ((double) n * (double) passes));
	printf("validate_best_per_sec=%.0f\n", (double) n / best);
	printf("validate_best_ns_per_payload=%.1f\n", best * 1e9 / (double) n);

	passes = 0;
	t0 = now();
	do
	{
		pass_crc(pl, n);
		passes++;
		el = now() - t0;
	} while (el < min_s);

	printf("crc_per_sec=%.0f\n", (double) n * (double) passes / el);
	printf("crc_mb_per_sec=%.1f\n", (double) bytes * (double) passes / el / 1e6);
	printf("crc_ns_per_payload=%.1f\n", el * 1e9 / ((double) n * (double) passes));

	per_format(pl, n, bytes, min_s);

	free(pl);
	free(buf);
	return 0;
}

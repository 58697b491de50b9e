/*
 * test_core.c — unit tests of src/core without a server.
 *
 *   test_core VECTORS.tsv                 run the tests
 *   test_core VECTORS.tsv --corpus DIR    also write each payload to DIR
 *                                         (the fuzzers' seed corpus)
 *
 * Ends with "N passed, N failed"; exits non-zero on any failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qrpay_core.h"
#include "check.h"
#include "vectors.h"

int			passed,
			failed;

/* test_formats.c */
extern void test_formats(const vector *v, int n);
extern void test_format_errors(void);
extern void test_match(const vector *v, int n);

/* test_route.c */
extern void test_route(void);

/* test_parsed.c */
extern void test_parsed(const vector *v, int n);

/* test_pair.c */
extern void test_pair(void);

/* test_money.c */
extern void test_money(void);
/* test_stream.c */
extern void test_stream(void);

/* test_build.c */
extern void test_build(const vector *v, int n);
extern void test_bill(void);

/* test_utf8.c */
extern void test_utf8(void);

static int
is_emv_mpm(const vector *v)
{
	return strncmp(v->format, "emvco_mpm", 9) == 0;
}

/* ------------------------------------------------------------------ */

static uint16_t
crc_bitwise(const unsigned char *p, size_t n)
{
	uint16_t	crc = 0xFFFF;

	while (n--)
	{
		crc ^= (uint16_t) (*p++ << 8);
		for (int k = 0; k < 8; k++)
			crc = (crc & 0x8000) ? (uint16_t) ((crc << 1) ^ 0x1021) : (uint16_t) (crc << 1);
	}
	return crc;
}

static void
test_crc(void)
{
	unsigned char buf[1100];
	unsigned	seed = 12345;
	int			mismatches = 0,
				first_len = -1;

	CHECK(qr_crc16("123456789", 9) == 0x29B1, "CRC-16/CCITT-FALSE check value");
	CHECK(qr_crc16("", 0) == 0xFFFF, "CRC of nothing is the initial value");

	/*
	 * The fast paths (sliced tables; carry-less multiply where the CPU has
	 * it) against the definition, at every length up past the largest
	 * payloads and at every alignment.
	 */
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char) ((seed = seed * 1103515245u + 12345u) >> 16);
	for (size_t start = 0; start < 4; start++)
		for (size_t n = 0; n + start <= sizeof(buf); n++)
			if (qr_crc16(buf + start, n) != crc_bitwise(buf + start, n))
			{
				if (mismatches++ == 0)
					first_len = (int) n;
			}
	CHECK(mismatches == 0, "fast CRC equals bitwise CRC at every length and alignment "
		  "(%d mismatches, first at length %d)", mismatches, first_len);
}

/* ------------------------------------------------------------------ */

static char *
get(const vector *v, const char *path)
{
	const char *val;
	size_t		n;
	char	   *r;

	if (!qr_emv_get(v->payload, v->payload_len, path, strlen(path), &val, &n))
		return NULL;
	r = malloc(n + 1);
	memcpy(r, val, n);
	r[n] = '\0';
	return r;
}

static void
check_field(const vector *v, const char *key, const char *path)
{
	char	   *want = json_string_member(v->expected, key);
	char	   *have = get(v, path);

	if (want == NULL)
		CHECK(have == NULL, "%s: %s absent in expected_fields but tag %s = \"%s\"",
			  v->id, key, path, have);
	else
		CHECK(have && strcmp(want, have) == 0, "%s: %s expected \"%s\", tag %s = \"%s\"",
			  v->id, key, want, path, have ? have : "(absent)");
	free(want);
	free(have);
}

static void
test_vectors(const vector *v, int n)
{
	int			emv = 0;

	for (int i = 0; i < n; i++)
	{
		qr_error	err;
		qr_errcode	rc = qr_validate(v[i].payload, v[i].payload_len, &err, NULL, NULL);

		if (!is_emv_mpm(&v[i]))
			continue;			/* test_formats */
		emv++;
		if (v[i].valid)
		{
			CHECK(rc == QR_OK, "%s: valid vector rejected: %s", v[i].id, err.message);
			if (rc != QR_OK)
				continue;
			CHECK(qr_detect_format(v[i].payload, v[i].payload_len) == QR_FORMAT_EMV_MPM,
				  "%s: detected as emv_mpm", v[i].id);
			check_field(&v[i], "merchant_name", "59");
			check_field(&v[i], "city", "60");
			check_field(&v[i], "mcc", "52");
			check_field(&v[i], "currency", "53");
			check_field(&v[i], "amount", "54");
			check_field(&v[i], "country", "58");
			check_field(&v[i], "point_of_initiation", "01");
			CHECK(qr_compare(v[i].payload, v[i].payload_len,
							 v[i].payload, v[i].payload_len) == 0,
				  "%s: equal to itself", v[i].id);
		}
		else
		{
			CHECK(rc != QR_OK, "%s: invalid vector accepted", v[i].id);
			CHECK(err.message[0] != '\0', "%s: error has a message", v[i].id);
			CHECK(strstr(err.message, "offset") != NULL || err.code == QR_ERR_MISSING,
				  "%s: message names an offset: %s", v[i].id, err.message);
		}
	}
	CHECK(emv >= 75, "vectors file holds the EMVCo rows (%d)", emv);
}

/* ------------------------------------------------------------------ */

typedef struct findings
{
	int			n;
	char		text[16][QR_MSG_MAX + 32];
} findings;

static void
collect(void *arg, qr_severity sev, const char *path, const char *msg)
{
	findings   *f = arg;

	if (f->n < 16)
		snprintf(f->text[f->n++], sizeof(f->text[0]), "%s|%s|%s",
				 qr_severity_name(sev), path, msg);
}

static int
has_finding(const findings *f, const char *prefix)
{
	for (int i = 0; i < f->n; i++)
		if (strncmp(f->text[i], prefix, strlen(prefix)) == 0)
			return 1;
	return 0;
}

static const vector *
by_id(const vector *v, int n, const char *id)
{
	for (int i = 0; i < n; i++)
		if (strcmp(v[i].id, id) == 0)
			return &v[i];
	fprintf(stderr, "vector %s not found\n", id);
	exit(2);
}

static void
test_findings(const vector *v, int n)
{
	findings	f = {0};
	const vector *pp = by_id(v, n, "th-promptpay-local-phone-number");
	const vector *sg = by_id(v, n, "sg-sgqr-spec-sample");
	const vector *spec = by_id(v, n, "emv-spec-annexB");

	CHECK(qr_validate(pp->payload, pp->payload_len, NULL, collect, &f) == QR_OK,
		  "PromptPay accepted");
	CHECK(has_finding(&f, "warning|52|") && has_finding(&f, "warning|59|") &&
		  has_finding(&f, "warning|60|"), "PromptPay exemptions reported (%d findings)", f.n);

	f.n = 0;
	CHECK(qr_validate(sg->payload, sg->payload_len, NULL, collect, &f) == QR_OK,
		  "SGQR sample accepted");
	CHECK(has_finding(&f, "warning||the payload is "), "over-512 warning reported (%d findings, first %s)", f.n, f.text[0]);

	f.n = 0;
	CHECK(qr_validate(spec->payload, spec->payload_len, NULL, collect, &f) == QR_OK,
		  "EMVCo Annex B accepted");
	CHECK(f.n == 0, "the spec example conforms strictly (%d findings: %s)", f.n,
		  f.n ? f.text[0] : "");
}

/* body + "6304" + its CRC, in buf (NUL-terminated); returns the length */
static size_t
with_crc(char *buf, const char *body)
{
	size_t		n = strlen(body);

	memcpy(buf, body, n);
	memcpy(buf + n, "6304", 4);
	snprintf(buf + n + 4, 5, "%04X", qr_crc16(buf, n + 4));
	return n + 8;
}

/* Each rule on a payload derived from the spec example, CRC recomputed. */
static void
expect_error(const char *body, qr_errcode code, const char *path, const char *needle)
{
	char		buf[1024];
	qr_error	err;
	size_t		n = with_crc(buf, body);

	qr_validate(buf, n, &err, NULL, NULL);
	CHECK(err.code == code && strcmp(err.path, path) == 0 &&
		  strstr(err.message, needle) != NULL,
		  "%s: got code %d path \"%s\" message \"%s\"", body, err.code, err.path, err.message);
}

#define HEAD "000201010212"
#define MAI "26140010com.pay.me"
#define TAIL "520441115303156580" "2CN5904SHOP6007BEIJING"

static void
test_rules(void)
{
	qr_error	err;

	expect_error(HEAD MAI TAIL, QR_OK, "", "");
	expect_error(HEAD MAI TAIL "540512.50", QR_OK, "", "");
	expect_error(HEAD MAI TAIL "5403.50", QR_OK, "", "");
	expect_error(HEAD MAI TAIL "540398.", QR_OK, "", "");
	expect_error(HEAD MAI TAIL "540598,73", QR_ERR_VALUE, "54", "amount");
	expect_error(HEAD MAI TAIL "54040.00", QR_ERR_VALUE, "54", "not zero");
	expect_error(HEAD MAI TAIL "54053 705", QR_ERR_VALUE, "54", "separators");
	expect_error(HEAD MAI TAIL "542012", QR_ERR_TLV, "54", "runs past the end");
	expect_error("000202" MAI TAIL, QR_ERR_VALUE, "00", "\"01\"");
	expect_error("01021200020" "1" MAI TAIL, QR_ERR_FORMAT, "", "emv_mpm (000201...)");
	expect_error("0002010102" "12" "000201" MAI TAIL, QR_ERR_DUPLICATE, "00", "twice");
	expect_error("0002010102" "13" MAI TAIL, QR_ERR_VALUE, "01", "11 (static) or 12");
	expect_error(HEAD TAIL, QR_ERR_MISSING, "", "merchant account");
	expect_error(HEAD MAI "5303156580" "2CN5904SHOP6007BEIJING", QR_ERR_MISSING, "52", "missing");
	expect_error(HEAD MAI TAIL "5303156", QR_ERR_DUPLICATE, "53", "twice");
	expect_error(HEAD "26100106abcdef" TAIL, QR_ERR_MISSING, "26", "sub-id 00");
	expect_error(HEAD "2640" "0036" "123456789012345678901234567890123456" TAIL,
				 QR_ERR_VALUE, "26.00", "maximum is 32");
	expect_error(HEAD MAI "5204ABCD5303156580" "2CN5904SHOP6007BEIJING",
				 QR_ERR_VALUE, "52", "4 digits");
	expect_error(HEAD MAI TAIL "550202", QR_ERR_VALUE, "56", "requires tag 56");
	expect_error(HEAD MAI TAIL "5502025603100", QR_OK, "", "");
	expect_error(HEAD MAI TAIL "550203570412.5", QR_OK, "", "");
	expect_error(HEAD MAI TAIL "5502015603100", QR_ERR_VALUE, "56", "requires tag 55 = 02");
	expect_error(HEAD MAI TAIL "550204", QR_ERR_VALUE, "55", "must be 01");
	expect_error(HEAD MAI TAIL "6207" "0703ABC", QR_OK, "", "");
	expect_error(HEAD MAI TAIL "6206" "0902MM", QR_ERR_VALUE, "62.09", "request code");
	expect_error(HEAD MAI TAIL "6230" "0126" "12345678901234567890123456", QR_ERR_VALUE,
				 "62.01", "maximum is 25");
	expect_error(HEAD MAI TAIL "6406" "0002ZH", QR_ERR_MISSING, "64", "sub-id 00 (Language Preference) and 01");
	expect_error(HEAD MAI TAIL "6414" "0002ZH" "0104最佳运输", QR_OK, "", "");
	expect_error(HEAD MAI TAIL "6414" "0002ZH" "0105最佳运输", QR_ERR_TLV, "64.01", "runs past");
	expect_error(HEAD MAI TAIL "6210" "5006" "0102AB", QR_OK, "", "");
	expect_error(HEAD MAI TAIL "6107" "1234567", QR_OK, "", "");
	expect_error(HEAD MAI TAIL "6111" "12345678901", QR_ERR_VALUE, "61", "maximum is 10");
	expect_error(HEAD MAI "5204411153031565802cn5904SHOP6007BEIJING", QR_ERR_VALUE, "58",
				 "alpha-2");
	expect_error(HEAD MAI TAIL "8005" "01ABC", QR_ERR_TLV, "80.01", "2-digit length");
	expect_error(HEAD MAI TAIL "8007" "0103ABC", QR_ERR_MISSING, "80", "sub-id 00");
	expect_error(HEAD MAI TAIL "6200", QR_ERR_TLV, "62", "length 00");
	expect_error(HEAD MAI TAIL "62040A01", QR_ERR_TLV, "62", "2-digit id");

	/* envelope */
	CHECK(qr_validate("", 0, &err, NULL, NULL) == QR_ERR_EMPTY, "empty");
	CHECK(qr_validate("hello", 5, &err, NULL, NULL) == QR_ERR_FORMAT &&
		  strstr(err.message, "000201"), "unknown format names what qrpay accepts");
	CHECK(qr_validate("0002\xC3\x28", 6, &err, NULL, NULL) == QR_ERR_ENCODING &&
		  err.offset == 4, "invalid UTF-8 reported at its character offset (%d)", err.offset);
	CHECK(qr_validate("0002\xED\xA0\x80", 7, &err, NULL, NULL) == QR_ERR_ENCODING &&
		  strstr(err.message, "malformed"), "UTF-16 surrogate rejected: %s", err.message);
	CHECK(qr_validate("0002\xE6\x9C", 6, &err, NULL, NULL) == QR_ERR_ENCODING &&
		  err.offset == 4 && strstr(err.message, "cut off"),
		  "a character cut off at the end is named so: %s", err.message);
	CHECK(qr_validate("0002\x9C", 5, &err, NULL, NULL) == QR_ERR_ENCODING &&
		  strstr(err.message, "cannot start"), "stray continuation byte: %s", err.message);
	CHECK(qr_validate("0002\xC0\x80", 6, &err, NULL, NULL) == QR_ERR_ENCODING,
		  "overlong NUL rejected");
	CHECK(qr_validate("000201\0" "0", 8, &err, NULL, NULL) == QR_ERR_ENCODING &&
		  err.offset == 6 && strstr(err.message, "NUL"), "NUL byte refused: %s", err.message);
	CHECK(qr_validate("00020101021263", 14, &err, NULL, NULL) == QR_ERR_TLV,
		  "truncated CRC object");
	{
		const char *nocrc = HEAD MAI TAIL;

		CHECK(qr_validate(nocrc, strlen(nocrc), &err, NULL, NULL) == QR_ERR_CRC &&
			  strcmp(err.path, "63") == 0, "missing CRC: %s", err.message);
	}
	{
		char		buf[256];
		const char *body = HEAD MAI TAIL "6304";
		size_t		n = strlen(body);

		memcpy(buf, body, n);
		snprintf(buf + n, 5, "%04x", qr_crc16(body, n));
		CHECK(qr_validate(buf, n + 4, &err, NULL, NULL) == QR_ERR_CRC &&
			  strstr(err.message, "uppercase"), "lowercase CRC: %s", err.message);
		snprintf(buf + n, 5, "%04X", (unsigned) (qr_crc16(body, n) ^ 1));
		CHECK(qr_validate(buf, n + 4, &err, NULL, NULL) == QR_ERR_CRC &&
			  strstr(err.message, "mismatch"), "CRC mismatch names both values: %s", err.message);
		snprintf(buf + n, 6, "%04X\n", qr_crc16(body, n));
		CHECK(qr_validate(buf, n + 5, &err, NULL, NULL) == QR_ERR_ORDER &&
			  strstr(err.message, "1 more"), "trailing newline: %s", err.message);
	}
}

/* Non-ans text in fields of format ans is reported, not refused. */
static void
test_ans_findings(void)
{
	findings	f = {0};
	char		buf[256];
	size_t		n = with_crc(buf, HEAD MAI TAIL "61041\t34" "6207" "0503Ph\xE1\xBB\x9F");

	CHECK(qr_validate(buf, n, NULL, collect, &f) == QR_OK, "accepted");
	CHECK(has_finding(&f, "warning|61|") && has_finding(&f, "warning|62.05|"),
		  "control character in 61 and non-ASCII in 62.05 reported (%d findings)", f.n);
}

static void
test_access(void)
{
	int			ids[QR_PATH_DEPTH];
	const char *val;
	size_t		n;
	const char *p = "00020101021229300012D156000000000510A93FO3230Q"
					"6407" "0002ZH" "6304";

	CHECK(qr_path_parse("26", 2, ids) == 1 && ids[0] == 26, "path 26");
	CHECK(qr_path_parse("62.05", 5, ids) == 2 && ids[1] == 5, "path 62.05");
	CHECK(qr_path_parse("62.50.00", 8, ids) == 3 && ids[2] == 0, "path 62.50.00");
	CHECK(qr_path_parse("6", 1, ids) == 0, "short path");
	CHECK(qr_path_parse("62.", 3, ids) == 0, "dangling dot");
	CHECK(qr_path_parse("62.05.01.02", 11, ids) == 0, "too deep");
	CHECK(qr_path_parse("a2", 2, ids) == 0, "non-digit");
	CHECK(qr_path_parse("", 0, ids) == 0, "empty path");
	CHECK(qr_emv_get(p, strlen(p), "29.05", 5, &val, &n) && n == 10 &&
		  memcmp(val, "A93FO3230Q", 10) == 0, "nested lookup");
	CHECK(!qr_emv_get(p, strlen(p), "01.00", 5, &val, &n), "a primitive has no children");
	CHECK(qr_emv_get(p, strlen(p), "64.00", 5, &val, &n) && n == 2, "language lookup");
	CHECK(!qr_emv_get(p, strlen(p), "65", 2, &val, &n), "absent tag");

	{
		int			a[] = {62, 5};
		int			b[] = {26, 0};
		int			c[] = {59};

		CHECK(strcmp(qr_emv_field_name(a, 2), "Reference Label") == 0, "62.05 name");
		CHECK(strcmp(qr_emv_field_name(b, 2), "Globally Unique Identifier") == 0, "GUID name");
		CHECK(strcmp(qr_emv_field_name(c, 1), "Merchant Name") == 0, "59 name");
	}
	CHECK(strcmp(qr_iso4217_alpha("156", 3), "CNY") == 0, "156 CNY");
	CHECK(strcmp(qr_iso4217_alpha("986", 3), "BRL") == 0, "986 BRL");
	CHECK(strcmp(qr_iso4217_alpha("008", 3), "ALL") == 0, "008 ALL (first)");
	CHECK(strcmp(qr_iso4217_alpha("999", 3), "XXX") == 0, "999 XXX (last)");
	CHECK(qr_iso4217_alpha("000", 3) == NULL, "000 unknown");
	CHECK(qr_iso4217_alpha("15", 2) == NULL, "two digits");

	CHECK(qr_compare("a", 1, "b", 1) < 0 && qr_compare("b", 1, "a", 1) > 0, "byte order");
	CHECK(qr_compare("ab", 2, "a", 1) > 0 && qr_compare("a", 1, "ab", 2) < 0, "prefix first");
	CHECK(qr_compare("\xC3\xA9", 2, "z", 1) > 0, "bytes compare unsigned");
}

static void
write_corpus(const vector *v, int n, const char *dir)
{
	for (int i = 0; i < n; i++)
	{
		char		path[4096];
		FILE	   *f;

		snprintf(path, sizeof(path), "%s/%s", dir, v[i].id);
		f = fopen(path, "wb");
		if (f == NULL)
		{
			perror(path);
			exit(2);
		}
		fwrite(v[i].payload, 1, v[i].payload_len, f);
		fclose(f);
	}
}

int
main(int argc, char **argv)
{
	vector	   *v;
	int			n;

	if (argc < 2)
	{
		fprintf(stderr, "usage: %s vectors.tsv [--corpus DIR]\n", argv[0]);
		return 2;
	}
	n = vectors_load(argv[1], &v);
	if (n < 0)
		return 2;
	if (argc == 4 && strcmp(argv[2], "--corpus") == 0)
		write_corpus(v, n, argv[3]);

	test_crc();
	test_utf8();
	test_vectors(v, n);
	test_findings(v, n);
	test_rules();
	test_ans_findings();
	test_access();
	test_formats(v, n);
	test_format_errors();
	test_match(v, n);
	test_route();
	test_parsed(v, n);
	test_pair();
	test_money();
	test_stream();
	test_build(v, n);
	test_bill();

	vectors_free(v, n);
	printf("core: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}

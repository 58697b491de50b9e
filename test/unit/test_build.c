/*
 * test_build.c — the code writers of src/core (qr_build.c), their round
 * trip (test/fuzz/roundtrip.h), and the CSV field splitter (qr_csv.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qrpay_core.h"
#include "check.h"
#include "common.h"
#include "roundtrip.h"
#include "vectors.h"

static char out_data[4 * QR_MAX_BYTES];
static char again_data[4 * QR_MAX_BYTES];
static char value[QR_VALUE_MAX];

/* ------------------------------------------------------------------ */

static void
test_appenders(const vector *v, int n)
{
	qr_buf		b;
	char		small[3];
	char		hundred[101];

	qr_buf_init(&b, out_data, sizeof(out_data));
	CHECK(qr_tlv_append(&b, 64, "最佳运输", strlen("最佳运输")) == 4 &&
		  b.len == 4 + strlen("最佳运输") && memcmp(out_data, "6404最佳运输", b.len) == 0,
		  "TLV length counts characters (EMVCo MPM 4.4.1.1)");
	CHECK(qr_tlv_append(&b, 1, "", 0) == 0 && b.len == 4 + strlen("最佳运输"),
		  "an empty value is not written");
	memset(hundred, 'x', 100);
	hundred[100] = '\0';
	CHECK(qr_tlv_append(&b, 59, hundred, 100) == 100 && b.len == 4 + strlen("最佳运输"),
		  "a value of 100 characters is not written");

	qr_buf_init(&b, small, sizeof(small));
	qr_tlv_append(&b, 59, "ABC", 3);
	CHECK(b.len == 7 && b.cap == 3, "a short buffer counts the room needed (%lu)",
		  (unsigned long) b.len);

	/* the CRC appender gives every valid EMVCo vector's own CRC */
	for (int i = 0; i < n; i++)
	{
		if (!v[i].valid || qr_detect_format(v[i].payload, v[i].payload_len) != QR_FORMAT_EMV_MPM)
			continue;
		qr_buf_init(&b, out_data, sizeof(out_data));
		qr_buf_put(&b, v[i].payload, v[i].payload_len - 8);
		qr_crc_append(&b);
		CHECK(b.len == v[i].payload_len && memcmp(out_data, v[i].payload, b.len) == 0,
			  "%s: CRC appended as the vector has it", v[i].id);
	}
}

/* ------------------------------------------------------------------ */

static int
has_field(qr_fmt fmt)
{
	return fmt == QR_FORMAT_EMV_MPM || fmt == QR_FORMAT_UPI || fmt == QR_FORMAT_EPC ||
		   fmt == QR_FORMAT_SWISS_QR || fmt == QR_FORMAT_SPAYD || fmt == QR_FORMAT_BEZAHLCODE;
}

typedef qr_build_code (*setter) (const char *buf, size_t len, const char *v, size_t vlen,
								 qr_buf *out, qr_build_error *err);

/*
 * Set value with fn, check the result validates and reads back as value
 * through sem, and that setting it again changes nothing.
 */
static void
set_and_read(const vector *v, setter fn, const char *what, const char *val, qr_sem sem)
{
	qr_buf		out,
				again;
	qr_build_error e;
	qr_error	err;
	qr_fmt		fmt = qr_detect_format(v->payload, v->payload_len);
	qr_build_code rc;
	long		k;

	qr_buf_init(&out, out_data, sizeof(out_data));
	rc = fn(v->payload, v->payload_len, val, strlen(val), &out, &e);
	if (!has_field(fmt))
	{
		char		want[128];

		snprintf(want, sizeof(want), "%s codes carry no %s field", qr_format_name(fmt), what);
		CHECK(rc == QR_BUILD_NO_FIELD && strcmp(e.message, want) == 0,
			  "%s: no %s field: %s", v->id, what, rc ? e.message : "built");
		return;
	}
	/* a reference can overfill a 62 template that is nearly full already */
	if (rc == QR_BUILD_FIELD && strcmp(e.message, "field 62 must hold 1 to 99 characters") == 0)
		return;
	CHECK(rc == QR_BUILD_OK, "%s: %s %s set: %s", v->id, what, val, rc ? e.message : "");
	if (rc != QR_BUILD_OK)
		return;
	CHECK(out.len <= QR_BUILD_ROOM(v->payload_len, strlen(val)), "%s: within the room", v->id);
	CHECK(qr_validate(out.data, out.len, &err, NULL, NULL) == QR_OK,
		  "%s: with %s %s, the code validates: %s", v->id, what, val, err.message);
	/*
	 * the Swiss QR-bill's reference is its QRR/SCOR element, which a
	 * payment reference does not replace: it goes in the message
	 */
	if (fmt == QR_FORMAT_SWISS_QR && sem == QR_SEM_REFERENCE)
		k = qr_field_get(out.data, out.len, "message", 7, value, sizeof(value));
	else
		k = qr_semantic(out.data, out.len, sem, value, sizeof(value));
	CHECK(k == (long) strlen(val) && memcmp(value, val, (size_t) k) == 0,
		  "%s: %s reads back as %s (%.*s)", v->id, what, val, (int) (k < 0 ? 0 : k), value);
	qr_buf_init(&again, again_data, sizeof(again_data));
	rc = fn(out.data, out.len, val, strlen(val), &again, &e);
	CHECK(rc == QR_BUILD_OK && again.len == out.len && memcmp(again.data, out.data, out.len) == 0,
		  "%s: setting the %s again changes nothing", v->id, what);
	CHECK(qr_detect_format(out.data, out.len) == fmt, "%s: same format", v->id);
}

static void
test_vectors_rewritten(const vector *v, int n)
{
	static node_tree t;
	int			emv = 0;

	for (int i = 0; i < n; i++)
	{
		qr_buf		out;
		qr_build_error e;
		int			nroot;

		if (!v[i].valid)
			continue;
		set_and_read(&v[i], qr_build_amount, "amount", "12.34", QR_SEM_AMOUNT);
		/* SPAYD: a reference of digits is the variable symbol (X-VS), which reads back */
		set_and_read(&v[i], qr_build_reference, "reference", "20240117", QR_SEM_REFERENCE);
		if (qr_detect_format(v[i].payload, v[i].payload_len) != QR_FORMAT_EMV_MPM)
			continue;

		/* parse, write, compare: qr_emv of qr_to_jsonb gives the code back */
		emv++;
		nroot = nodes_from_code(v[i].payload, v[i].payload_len, &t);
		qr_buf_init(&out, out_data, sizeof(out_data));
		CHECK(nroot > 0 && qr_build_emv(t.node, nroot, &out, &e) == QR_BUILD_OK &&
			  out.len == v[i].payload_len && memcmp(out.data, v[i].payload, out.len) == 0,
			  "%s: rebuilt from its fields, byte for byte", v[i].id);
	}
	CHECK(emv >= 40, "EMVCo vectors rebuilt (%d)", emv);
}

/* ------------------------------------------------------------------ */

static const vector *
find(const vector *v, int n, const char *id)
{
	for (int i = 0; i < n; i++)
		if (strcmp(v[i].id, id) == 0)
			return &v[i];
	return NULL;
}

static void
expect_amount(const char *code, const char *amount, qr_build_code want, const char *msg,
			  const char *hint)
{
	qr_buf		out;
	qr_build_error e;
	qr_build_code rc;

	qr_buf_init(&out, out_data, sizeof(out_data));
	rc = qr_build_amount(code, strlen(code), amount, strlen(amount), &out, &e);
	CHECK(rc == want && strcmp(e.message, msg) == 0 && strcmp(e.hint, hint) == 0,
		  "amount %s: \"%s\" / \"%s\"", amount, rc ? e.message : "built", rc ? e.hint : "");
}

static void
test_errors(const vector *v, int n)
{
	const vector *emv = find(v, n, "emv-spec-annexB");
	const char *upi = "upi://pay?pa=shop@bank&pn=Shop";
	qr_buf		out;
	qr_build_error e;
	qr_build_code rc;
	char		ref[101];

	if (emv == NULL)
	{
		CHECK(0, "vector emv-spec-annexB present");
		return;
	}
	/* the messages and hints the qrpay_build regression suite shows */
	expect_amount(emv->payload, "0", QR_BUILD_AMOUNT, "amount 0 is not a positive amount", "");
	expect_amount(emv->payload, "-5", QR_BUILD_AMOUNT, "amount -5 is not a positive amount", "");
	expect_amount(emv->payload, "NaN", QR_BUILD_AMOUNT, "amount NaN is not a positive amount", "");
	expect_amount(emv->payload, "12345678901234", QR_BUILD_AMOUNT,
				  "amount 12345678901234 is longer than the 13 characters of EMVCo tag 54", "");
	expect_amount(emv->payload, "1.0000005", QR_BUILD_AMOUNT, "amount 1.0000005 has more than 6 decimals",
				  "Round it first: round(amount, 6).");
	expect_amount(upi, "1.005", QR_BUILD_AMOUNT, "amount 1.005 has more than 2 decimals",
				  "Round it first: round(amount, 2).");
	expect_amount("https://example.com/pay", "1", QR_BUILD_NO_FIELD,
				  "url codes carry no amount field",
				  "EMVCo merchant codes, UPI, EPC, Swiss QR-bill, SPAYD and BezahlCode codes do.");

	qr_buf_init(&out, out_data, sizeof(out_data));
	rc = qr_build_reference(upi, strlen(upi), "a*b", 3, &out, &e);
	CHECK(rc == QR_BUILD_REFERENCE &&
		  strcmp(e.message, "a reference must be non-empty, on one line, without \"*\"") == 0,
		  "reference with a star: %s", e.message);
	CHECK(qr_build_reference(upi, strlen(upi), "", 0, &out, &e) == QR_BUILD_REFERENCE,
		  "empty reference");
	memset(ref, 'R', 100);
	ref[100] = '\0';
	rc = qr_build_reference(emv->payload, emv->payload_len, ref, 100, &out, &e);
	CHECK(rc == QR_BUILD_FIELD && strcmp(e.message, "field 62.05 must hold 1 to 99 characters") == 0 &&
		  strcmp(e.detail, "It holds 100.") == 0, "reference of 100: %s / %s", e.message, e.detail);

	/* BezahlCode writes a decimal comma, percent-encoded in its query */
	qr_buf_init(&out, out_data, sizeof(out_data));
	rc = qr_build_amount("bank://singlepayment?name=x&amount=1", 36, "2.50", 4, &out, &e);
	CHECK(rc == QR_BUILD_OK && out.len == 41 &&
		  memcmp(out.data, "bank://singlepayment?name=x&amount=2%2C50", 41) == 0,
		  "BezahlCode amount: %.*s", (int) out.len, out.data);
	/*
	 * a short EPC code is padded with empty lines up to the 11th element
	 * (fuzz_amount's first finding: the padding passed memcpy a NULL
	 * source, undefined even for 0 bytes)
	 */
	qr_buf_init(&out, out_data, sizeof(out_data));
	rc = qr_build_reference("BCD\r\n002\r\n1\r\nSCT", 16, "R1", 2, &out, &e);
	CHECK(rc == QR_BUILD_OK && out.len == 22 &&
		  memcmp(out.data, "BCD\n002\n1\nSCT\n\n\n\n\n\n\nR1", 22) == 0,
		  "EPC reference padded: %.*s", (int) out.len, out.data);
	qr_buf_init(&out, out_data, sizeof(out_data));
	rc = qr_build_amount("BCD\n002", 7, "5", 1, &out, &e);
	CHECK(rc == QR_BUILD_OK && out.len == 17 && memcmp(out.data, "BCD\n002\n\n\n\n\n\nEUR5", 17) == 0,
		  "EPC amount padded: %.*s", (int) out.len, out.data);
	/* the pair goes in the query, before a fragment (fuzz_reference) */
	qr_buf_init(&out, out_data, sizeof(out_data));
	rc = qr_build_reference("upi://pay?pa=a@b&#x", 19, "R1", 2, &out, &e);
	CHECK(rc == QR_BUILD_OK && out.len == 24 && memcmp(out.data, "upi://pay?pa=a@b&tr=R1#x", 24) == 0,
		  "UPI reference before the fragment: %.*s", (int) out.len, out.data);
	qr_buf_init(&out, out_data, sizeof(out_data));
	rc = qr_build_reference("upi://pay#x?y", 13, "R1", 2, &out, &e);
	CHECK(rc == QR_BUILD_OK && out.len == 19 && memcmp(out.data, "upi://pay?tr=R1#x?y", 19) == 0,
		  "UPI query made before the fragment: %.*s", (int) out.len, out.data);
	/* a value ending in "?" still gets a separator after it (fuzz_reference) */
	qr_buf_init(&out, out_data, sizeof(out_data));
	rc = qr_build_reference("upi://pay?pa=a@b&pn=Who?", 24, "R1", 2, &out, &e);
	CHECK(rc == QR_BUILD_OK && out.len == 30 && memcmp(out.data, "upi://pay?pa=a@b&pn=Who?&tr=R1", 30) == 0,
		  "UPI reference after a value ending in ?: %.*s", (int) out.len, out.data);
	qr_buf_init(&out, out_data, sizeof(out_data));
	rc = qr_build_reference("upi://pay?", 10, "R1", 2, &out, &e);
	CHECK(rc == QR_BUILD_OK && out.len == 15 && memcmp(out.data, "upi://pay?tr=R1", 15) == 0,
		  "UPI reference into an empty query: %.*s", (int) out.len, out.data);
	/*
	 * a repeated key gets the value at each; the room is then asked for
	 * (fuzz_reference: QR_BUILD_ROOM counted one value)
	 */
	{
		const char *twice = "bank://singlepayment?reason=a&reason=b&name=x";
		size_t		tl = strlen(twice);
		char		pct[41];

		memset(pct, '%', 40);
		pct[40] = '\0';
		qr_buf_init(&out, out_data, QR_BUILD_ROOM(tl, 40));
		rc = qr_build_reference(twice, tl, pct, 40, &out, &e);
		CHECK(rc == QR_BUILD_SPACE && out.len == tl - 2 + 2 * 120, "room asked for: %lu",
			  (unsigned long) out.len);
		qr_buf_init(&out, out_data, tl - 2 + 2 * 120);
		rc = qr_build_reference(twice, tl, pct, 40, &out, &e);
		CHECK(rc == QR_BUILD_OK, "built in the room asked for");
	}
	/* a bare key is rewritten, not repeated (fuzz_reference) */
	qr_buf_init(&out, out_data, sizeof(out_data));
	rc = qr_build_reference("upi://pay?pa=a@b&TR&pn=x", 24, "R1", 2, &out, &e);
	CHECK(rc == QR_BUILD_OK && out.len == 27 && memcmp(out.data, "upi://pay?pa=a@b&tr=R1&pn=x", 27) == 0,
		  "UPI bare tr rewritten: %.*s", (int) out.len, out.data);
	/* a URL without a query gets one */
	qr_buf_init(&out, out_data, sizeof(out_data));
	rc = qr_build_reference("upi://pay", 9, "A B", 3, &out, &e);
	CHECK(rc == QR_BUILD_OK && out.len == 18 && memcmp(out.data, "upi://pay?tr=A%20B", 18) == 0,
		  "UPI reference appended: %.*s", (int) out.len, out.data);
}

/* ------------------------------------------------------------------ */

static void
test_emv_nodes(void)
{
	qr_node		sub[1] = {{"00", 2, QR_NODE_STRING, "", 0, NULL, 0}};
	qr_node		deep[1] = {{"00", 2, QR_NODE_TEMPLATE, NULL, 0, sub, 1}};
	qr_node		mid[1] = {{"50", 2, QR_NODE_TEMPLATE, NULL, 0, deep, 1}};
	qr_node		n[1];
	qr_buf		out;
	qr_build_error e;

	qr_buf_init(&out, out_data, sizeof(out_data));
	n[0] = (qr_node) {"5", 1, QR_NODE_STRING, "x", 1, NULL, 0};
	CHECK(qr_build_emv(n, 1, &out, &e) == QR_BUILD_FIELD &&
		  strcmp(e.message, "field 5 is not a 2-digit EMVCo id") == 0, "%s", e.message);
	n[0] = (qr_node) {"59", 2, QR_NODE_OTHER, NULL, 0, NULL, 0};
	CHECK(qr_build_emv(n, 1, &out, &e) == QR_BUILD_FIELD &&
		  strcmp(e.message, "field 59 must be a string or, for a template, an object") == 0,
		  "%s", e.message);
	n[0] = (qr_node) {"59", 2, QR_NODE_STRING, "", 0, NULL, 0};
	CHECK(qr_build_emv(n, 1, &out, &e) == QR_BUILD_FIELD &&
		  strcmp(e.message, "field 59 must hold 1 to 99 characters") == 0 &&
		  strcmp(e.detail, "It holds 0.") == 0, "%s / %s", e.message, e.detail);
	n[0] = (qr_node) {"62", 2, QR_NODE_TEMPLATE, NULL, 0, mid, 1};
	CHECK(qr_build_emv(n, 1, &out, &e) == QR_BUILD_FIELD &&
		  strcmp(e.message, "field 62.50.00 nests deeper than EMVCo templates go") == 0,
		  "%s", e.message);
	n[0] = (qr_node) {"26", 2, QR_NODE_TEMPLATE, NULL, 0, NULL, 0};
	CHECK(qr_build_emv(n, 1, &out, &e) == QR_BUILD_FIELD &&
		  strcmp(e.message, "field 26 is an empty template") == 0, "%s", e.message);
	qr_buf_init(&out, out_data, sizeof(out_data));
	n[0] = (qr_node) {"63", 2, QR_NODE_STRING, "ABCD", 4, NULL, 0};
	CHECK(qr_build_emv(n, 1, &out, &e) == QR_BUILD_OK && out.len == 8 &&
		  memcmp(out.data, "6304", 4) == 0, "a root 63 is replaced by the computed CRC");
}

static void
test_merge(const vector *v, int n)
{
	const vector *a = find(v, n, "emv-spec-annexB");
	const char *codes[3];
	size_t		lens[3];
	qr_buf		out;
	qr_build_error e;
	qr_error	err;
	qr_build_code rc;
	const char *val;
	size_t		vlen;

	if (a == NULL)
		return;
	/* a code merged with itself is itself */
	codes[0] = a->payload;
	lens[0] = a->payload_len;
	codes[1] = NULL;
	lens[1] = 0;
	codes[2] = a->payload;
	lens[2] = a->payload_len;
	qr_buf_init(&out, out_data, sizeof(out_data));
	rc = qr_build_merge(codes, lens, 3, &out, &e);
	CHECK(rc == QR_BUILD_OK && out.len == a->payload_len && memcmp(out.data, a->payload, out.len) == 0,
		  "a code merged with itself: %s", rc ? e.message : "");

	/* another account under 29 moves to the first free id of 26-51 */
	{
		static char other[512];
		qr_buf		o;

		qr_buf_init(&o, other, sizeof(other));
		qr_buf_put(&o, "000201", 6);
		qr_tlv_append(&o, 29, "0012D15600000099", 16);
		qr_tlv_append(&o, 52, "4111", 4);
		qr_tlv_append(&o, 53, "156", 3);
		qr_tlv_append(&o, 58, "CN", 2);
		qr_tlv_append(&o, 59, "AB", 2);
		qr_tlv_append(&o, 60, "CD", 2);
		qr_crc_append(&o);
		CHECK(qr_validate(other, o.len, &err, NULL, NULL) == QR_OK, "merge input: %s", err.message);
		codes[1] = other;
		lens[1] = o.len;
		qr_buf_init(&out, out_data, sizeof(out_data));
		rc = qr_build_merge(codes, lens, 2, &out, &e);
		CHECK(rc == QR_BUILD_OK && qr_validate(out.data, out.len, &err, NULL, NULL) == QR_OK,
			  "merged code validates: %s", rc ? e.message : err.message);
		CHECK(qr_emv_get(out.data, out.len, "26", 2, &val, &vlen) && vlen == 16 &&
			  memcmp(val, "0012D15600000099", 16) == 0, "the second 29 moved to 26");
	}
	codes[0] = "https://example.com/";
	lens[0] = strlen(codes[0]);
	CHECK(qr_build_merge(codes, lens, 1, &out, &e) == QR_BUILD_NOT_EMV &&
		  strcmp(e.message, "qr_emv_merge merges EMVCo merchant-presented codes; element 1 is url") == 0,
		  "%s", e.message);
	codes[0] = NULL;
	CHECK(qr_build_merge(codes, lens, 1, &out, &e) == QR_BUILD_NOTHING, "nothing to merge");
}

/* ------------------------------------------------------------------ */

/*
 * Parse, write, parse: every writer on every valid vector gives the same
 * fields but the one it writes (test/fuzz/roundtrip.h, which
 * fuzz_roundtrip fuzzes), and every format with the field takes part.
 */
static void
test_roundtrip(const vector *v, int n)
{
	static const char *const amounts[] = {"12.34", "7", "1234567.8"};
	static const char *const refs[] = {"INV2024", "20240117", "R"};
	static const qr_fmt writable[] = {QR_FORMAT_EMV_MPM, QR_FORMAT_UPI, QR_FORMAT_EPC,
									  QR_FORMAT_SWISS_QR, QR_FORMAT_SPAYD, QR_FORMAT_BEZAHLCODE
									 };
	int			per_fmt[2][QR_FORMAT_COUNT] = {{0}};
	int			rebuilt = 0,
				merged = 0;

	for (int i = 0; i < n; i++)
	{
		qr_fmt		fmt = qr_detect_format(v[i].payload, v[i].payload_len);
		const char *broken;

		if (!v[i].valid)
			continue;
		for (int k = 0; k < 3; k++)
		{
			broken = rt_check(RT_AMOUNT, v[i].payload, v[i].payload_len, amounts[k],
							  strlen(amounts[k]), &per_fmt[0][fmt]);
			CHECK(broken == NULL, "%s: amount %s: %s", v[i].id, amounts[k], broken);
			broken = rt_check(RT_REFERENCE, v[i].payload, v[i].payload_len, refs[k],
							  strlen(refs[k]), &per_fmt[1][fmt]);
			CHECK(broken == NULL, "%s: reference %s: %s", v[i].id, refs[k], broken);
		}
		broken = rt_check(RT_REBUILD, v[i].payload, v[i].payload_len, "", 0, &rebuilt);
		CHECK(broken == NULL, "%s: rebuilt: %s", v[i].id, broken);
		broken = rt_check(RT_MERGE, v[i].payload, v[i].payload_len, "", 0, &merged);
		CHECK(broken == NULL, "%s: merged: %s", v[i].id, broken);
	}
	for (size_t f = 0; f < sizeof(writable) / sizeof(writable[0]); f++)
		CHECK(per_fmt[0][writable[f]] > 0 && per_fmt[1][writable[f]] > 0,
			  "%s: amount and reference round trips (%d, %d)", qr_format_name(writable[f]),
			  per_fmt[0][writable[f]], per_fmt[1][writable[f]]);
	CHECK(rebuilt >= 40 && merged == rebuilt, "EMVCo round trips: %d rebuilt, %d merged",
		  rebuilt, merged);
}

/* ------------------------------------------------------------------ */

/* "a|b|c" for the fields of line, or "(none)" */
static void
expect_csv(const char *line, char delim, long nwant, const char *want)
{
	qr_csv_field f[16];
	char		buf[256],
				have[512];
	long		nf = qr_csv_split(line, strlen(line), delim, f, 16, buf);
	size_t		w = 0;

	have[0] = '\0';
	for (long i = 0; i < nf && i < 16; i++)
		w += (size_t) snprintf(have + w, sizeof(have) - w, "%s%.*s", i ? "|" : "",
							   (int) f[i].len, f[i].value);
	CHECK(nf == nwant && strcmp(have, want) == 0, "CSV [%s]: %ld fields \"%s\", want %ld \"%s\"",
		  line, nf, have, nwant, want);
}

static void
test_csv(void)
{
	qr_csv_field f[2];
	char		buf[64];

	expect_csv("", ',', 0, "");	/* string_to_array('', ',') is empty */
	expect_csv("a", ',', 1, "a");
	expect_csv("a,b,,c", ',', 4, "a|b||c");
	expect_csv("a,", ',', 2, "a|");
	expect_csv(",", ',', 2, "|");
	expect_csv("\"a,b\",c", ',', 2, "a,b|c");
	expect_csv("\"say \"\"hi\"\"\",x", ',', 2, "say \"hi\"|x");
	expect_csv("\"\"", ',', 1, "");
	expect_csv("\"", ',', 1, "");
	expect_csv("\"open,to the end", ',', 1, "open,to the end");
	/* after the closing quote and inside an unquoted field, '"' is text */
	expect_csv("\"ab\"c\"d\",x", ',', 2, "abc\"d\"|x");
	expect_csv("a\"b,c", ',', 2, "a\"b|c");
	expect_csv(" \"a\",b", ',', 2, " \"a\"|b");
	expect_csv("a\t\"b\tc\"\td", '\t', 3, "a|b\tc|d");
	expect_csv("`2024-01-17,`x", ',', 2, "`2024-01-17|`x");
	CHECK(qr_csv_split("a,b,c", 5, ',', f, 2, buf) == 3, "more fields than out holds are counted");
	CHECK(qr_csv_split("a", 1, '"', f, 2, buf) == -1, "'\"' is no delimiter");
}

void
test_build(const vector *v, int n)
{
	test_appenders(v, n);
	test_vectors_rewritten(v, n);
	test_errors(v, n);
	test_emv_nodes();
	test_merge(v, n);
	test_roundtrip(v, n);
	test_csv();
}

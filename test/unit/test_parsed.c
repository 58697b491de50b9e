/*
 * test_parsed.c — unit tests of the one-walk parse (src/core/qr_parsed.c):
 * what it records, and that identification, the fields with one meaning
 * and the dynamic flag read from it equal the answers of the per-call
 * accessors (test/fuzz/parsed_oracle.h) on every valid vector.
 */
#include <stdio.h>
#include <string.h>

#include "qrpay_core.h"
#include "qr_parsed.h"
#include "check.h"
#include "vectors.h"
#include "parsed_oracle.h"

static char got[QR_VALUE_MAX];
static char want[QR_VALUE_MAX];

/* Every answer of one payload against the oracle. */
static void
check_payload(const char *id, const char *buf, size_t len)
{
	qr_parsed	p;
	qr_ident	a[QR_IDENT_MAX],
				b[QR_IDENT_MAX];
	qr_place	pa,
				pb;
	char		dyn[8];

	for (int max = 1; max <= QR_IDENT_MAX; max = max < 4 ? max + 1 : QR_IDENT_MAX)
	{
		int			na = qr_parsed_identify(qr_parse(&p, buf, len), a, max, &pa);
		int			nb = oracle_identify(buf, len, b, max, &pb);

		CHECK(oracle_same_identity(a, na, &pa, b, nb, &pb), "%s: identification (max %d)", id, max);
		if (max == QR_IDENT_MAX)
			break;
	}
	/* one parse answers every meaning, in any order */
	qr_parse(&p, buf, len);
	for (int s = QR_SEM_MCC; s >= QR_SEM_NAME; s--)
	{
		long		n = qr_parsed_semantic(&p, (qr_sem) s, got, sizeof(got));
		long		m = oracle_semantic(buf, len, (qr_sem) s, want);

		if (m == -2)
			CHECK(n < 0 || oracle_in_payload(buf, len, got, (size_t) n),
				  "%s: the account is written in the code", id);
		else
			CHECK(n == m && (n < 0 || memcmp(got, want, (size_t) n) == 0),
				  "%s: meaning %d: %ld \"%s\", expected %ld \"%s\"", id, s, n,
				  n >= 0 ? got : "", m, m >= 0 ? want : "");
		CHECK(qr_semantic(buf, len, (qr_sem) s, want, sizeof(want)) == n,
			  "%s: qr_semantic reads the same parse", id);
	}
	if (p.format == QR_FORMAT_EMV_MPM)
	{
		long		k = oracle_get(buf, len, "01", dyn, sizeof(dyn));

		CHECK(qr_parsed_dynamic(&p) == (k < 0 ? -1 : k == 2 && dyn[1] == '2'), "%s: dynamic", id);
	}
}

/* What the parse records of the EMVCo specification's example (Annex B). */
static void
test_parse_annex_b(const char *buf, size_t len)
{
	qr_parsed	p;
	qr_ident	ids[QR_IDENT_MAX];
	qr_place	place;
	const char *v;
	size_t		vlen;
	int			n,
				guids = 0;

	qr_parse(&p, buf, len);
	CHECK(p.format == QR_FORMAT_EMV_MPM && p.named == QR_PARSED_WALKED && p.overflow == 0,
		  "annex B: EMVCo, walked whole");
	CHECK(p.nobjects == 15 && p.objects[0].id == 0 && p.objects[p.nobjects - 1].id == 63,
		  "annex B: root objects 00 .. 63, got %d", p.nobjects);
	for (int i = 0; i < p.nobjects; i++)
		CHECK(p.objects[i].sub_state == QR_SUB_UNREAD, "annex B: nested objects read on first use only");
	for (int i = 0; i < p.nobjects; i++)
		if (p.objects[i].id != 64 && qr_parsed_sub(&p, i, &v, &vlen))
			guids++;
	CHECK(guids == 3, "annex B: three GUIDs (29, 31, 91), got %d", guids);
	CHECK(qr_parsed_field(&p, "59", &v, &vlen) == 1 && vlen == 14 && memcmp(v, "BEST TRANSPORT", 14) == 0,
		  "annex B: 59 from the parse");
	CHECK(qr_parsed_field(&p, "57", &v, &vlen) == 0, "annex B: no 57");
	CHECK(qr_parsed_field(&p, "62.05", &v, &vlen) == -1, "annex B: nested paths are not recorded");
	CHECK(qr_parsed_get(&p, "62.03", got, sizeof(got)) == 4 && strcmp(got, "1234") == 0,
		  "annex B: an unrecorded path is read from the payload");
	CHECK(qr_parsed_get(&p, "59", got, 14) == -1, "annex B: a value longer than cap is absent");
	n = qr_parsed_identify(&p, ids, QR_IDENT_MAX, &place);
	CHECK(n == 4 && ids[1].kind == QR_ID_EMV_GUID && ids[1].len == 12 &&
		  memcmp(ids[1].value, "D15600000000", 12) == 0, "annex B: format and three GUIDs");
	CHECK(strcmp(place.country, "CN") == 0 && place.city_len == 7 && memcmp(place.city, "BEIJING", 7) == 0 &&
		  place.city_alt_len == 6 && memcmp(place.city_alt, "北京", 6) == 0,
		  "annex B: country, city and alternate-language city");
	CHECK(place.city >= buf && place.city_alt + place.city_alt_len <= buf + len,
		  "annex B: the cities point into the payload");
	CHECK(qr_parsed_dynamic(&p) == 1, "annex B: 01 = 12 is dynamic");
}

/* The Swiss QR-bill creditor's town is where routing looks for a city. */
static void
test_parse_swiss(const char *buf, size_t len)
{
	qr_parsed	p;
	qr_ident	ids[QR_IDENT_MAX];
	qr_place	place;
	int			n = qr_parsed_identify(qr_parse(&p, buf, len), ids, QR_IDENT_MAX, &place);

	CHECK(n == 1 && place.city_len == 4 && memcmp(place.city, "Biel", 4) == 0 &&
		  place.city >= buf && place.city < buf + len,
		  "swiss: the creditor's town, into the payload");
	CHECK(qr_parsed_semantic(&p, QR_SEM_CITY, got, sizeof(got)) == 4 && strcmp(got, "Biel") == 0,
		  "swiss: the same town as qr_merchant_city");
}

/* Named fields: walked on first request only, decoded values kept in the parse. */
static void
test_parse_named(void)
{
	static const char upi[] = "upi://pay?pa=alice%40upi&pn=Alice%20B&am=12.5";
	qr_parsed	p;
	qr_ident	ids[QR_IDENT_MAX];
	qr_place	place;
	const char *v;
	size_t		vlen;
	int			n;

	qr_parse(&p, upi, strlen(upi));
	n = qr_parsed_identify(&p, ids, QR_IDENT_MAX, &place);
	CHECK(n == 2 && ids[1].kind == QR_ID_URL && p.named == QR_PARSED_UNWALKED,
		  "upi: identification needs no named field");
	CHECK(qr_parsed_field(&p, "pa", &v, &vlen) == 1 && vlen == 9 && memcmp(v, "alice@upi", 9) == 0 &&
		  v >= p.text && v < p.text + sizeof(p.text), "upi: a decoded value lives in the parse");
	CHECK(p.named == QR_PARSED_PARTLY && qr_parsed_field(&p, "pn", &v, &vlen) == 1 &&
		  p.named == QR_PARSED_PARTLY, "upi: walked up to pa, then again up to pn");
	CHECK(qr_parsed_field(&p, "tr", &v, &vlen) == 0 && p.named == QR_PARSED_WALKED,
		  "upi: an absent key walks to the end");
	CHECK(qr_parsed_field(&p, "query.zz", &v, &vlen) == -1, "upi: unrecorded key");
	CHECK(qr_parsed_semantic(&p, QR_SEM_NAME, got, sizeof(got)) == 7 && strcmp(got, "Alice B") == 0,
		  "upi: name decoded");
	CHECK(qr_parsed_semantic(&p, QR_SEM_CURRENCY, got, sizeof(got)) == 3 && strcmp(got, "INR") == 0,
		  "upi: no cu means INR");
	CHECK(qr_parsed_dynamic(&p) == -1, "upi: does not say whether dynamic");

}

void
test_parsed(const vector *v, int n)
{
	int			checked = 0;

	for (int i = 0; i < n; i++)
	{
		if (!v[i].valid || qr_validate(v[i].payload, v[i].payload_len, NULL, NULL, NULL) != QR_OK)
			continue;
		check_payload(v[i].id, v[i].payload, v[i].payload_len);
		if (strcmp(v[i].id, "emv-spec-annexB") == 0)
			test_parse_annex_b(v[i].payload, v[i].payload_len);
		if (strcmp(v[i].id, "ch-qrbill-sample1") == 0)
			test_parse_swiss(v[i].payload, v[i].payload_len);
		checked++;
	}
	CHECK(checked > 50, "parsed: %d valid vectors checked", checked);
	test_parse_named();
}

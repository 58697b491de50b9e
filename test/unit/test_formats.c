/*
 * test_formats.c — unit tests of the formats beyond EMVCo MPM, the
 * cross-format fields, identifiers and the catalog glob.
 */
#define _GNU_SOURCE				/* FNM_CASEFOLD, the reference for the glob */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "qrpay_core.h"
#include "check.h"
#include "vectors.h"

/* vectors.tsv format column -> qr_format() name */
static const char *
expected_format(const char *vf)
{
	static const struct
	{
		const char *prefix;
		const char *name;
	}			map[] = {
		{"emvco_mpm", "emv_mpm"}, {"emvco_cpm", "emv_cpm"},
		{"cn_payment_code", "cn_payment_code"}, {"url/upi", "upi"}, {"url/", "url"},
		{"epc069", "epc"}, {"swiss_qr_bill", "swiss_qr"}, {"spayd", "spayd"},
		{"bezahlcode", "bezahlcode"},
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strncmp(vf, map[i].prefix, strlen(map[i].prefix)) == 0)
			return map[i].name;
	return NULL;
}

/*
 * expected_fields keys -> qrpay paths, per format.  Keys not listed are
 * notes ("note", "error"), descriptions ("charset": "1(UTF-8)") or
 * derived values checked in check_derived.
 */
typedef struct keymap
{
	const char *format;
	const char *key;
	const char *path;
} keymap;

static const keymap keymaps[] = {
	{"emv_cpm", "pfi", "85"}, {"emv_cpm", "adf_name", "61.4F"},
	{"emv_cpm", "track2", "61.57"}, {"emv_cpm", "pan", "62.5A"},
	{"emv_cpm", "cardholder", "62.5F20"}, {"emv_cpm", "lang", "62.5F2D"},
	{"url", "scheme", "scheme"}, {"url", "host", "host"}, {"url", "path", "path"},
	{"url", "pr", "query.pr"},
	{"upi", "pa", "pa"}, {"upi", "pn", "pn"}, {"upi", "cu", "cu"}, {"upi", "mc", "mc"},
	{"upi", "am", "am"},
	{"epc", "version", "version"}, {"epc", "bic", "bic"}, {"epc", "name", "name"},
	{"epc", "iban", "iban"}, {"epc", "amount", "amount"}, {"epc", "purpose", "purpose"},
	{"epc", "structured_ref", "reference"}, {"epc", "info", "info"},
	{"swiss_qr", "qr_type", "qr_type"}, {"swiss_qr", "version", "version"},
	{"swiss_qr", "coding", "coding"}, {"swiss_qr", "iban", "iban"},
	{"swiss_qr", "amount", "amount"}, {"swiss_qr", "currency", "currency"},
	{"swiss_qr", "ref_type", "reference_type"}, {"swiss_qr", "ref", "reference"},
	{"spayd", "acc", "ACC"}, {"spayd", "am", "AM"}, {"spayd", "cc", "CC"},
	{"spayd", "x-vs", "X-VS"}, {"spayd", "dt", "DT"}, {"spayd", "msg", "MSG"},
	{"bezahlcode", "amount", "amount"}, {"bezahlcode", "iban", "iban"},
};

static char value[QR_VALUE_MAX];

static const char *
field(const vector *v, const char *path)
{
	long		n = qr_field_get(v->payload, v->payload_len, path, strlen(path),
								 value, sizeof(value));

	return n < 0 ? NULL : value;
}

/* Keys whose value is derived from a field rather than equal to one. */
static void
check_derived(const vector *v, const char *fmt)
{
	char	   *want;
	const char *have;
	char		acct[QR_VALUE_MAX];

	if ((want = json_string_member(v->expected, "code")) != NULL)
	{
		/* the Alipay code after the host is the payee account of the URL */
		long		n = qr_semantic(v->payload, v->payload_len, QR_SEM_ACCOUNT, acct, sizeof(acct));

		CHECK(n >= 0 && strcmp(acct, want) == 0, "%s: account %s, expected %s",
			  v->id, n >= 0 ? acct : "(absent)", want);
		free(want);
	}
	if ((want = json_string_member(v->expected, "acq_code")) != NULL)
	{
		have = field(v, "path");
		CHECK(have && strncmp(have, want, strlen(want)) == 0 && have[strlen(want)] == '/',
			  "%s: UnionPay institution code %s", v->id, want);
		free(want);
	}
	if ((want = json_string_member(v->expected, "prefix")) != NULL)
	{
		have = field(v, strcmp(fmt, "url") == 0 ? "path" : "code");
		CHECK(have && strncmp(have, want, strlen(want)) == 0, "%s: prefix %s", v->id, want);
		free(want);
	}
	if ((want = json_string_member(v->expected, "charset")) != NULL)
	{
		have = field(v, "charset");
		CHECK(have && have[0] == want[0], "%s: charset %s", v->id, want);
		free(want);
	}
}

typedef struct gin_state
{
	const vector *v;
	uint32_t	keys[512];
	int			nkeys;
	uint32_t	split[512];		/* payment_qr_gin_split_ops' keys */
	int			nsplit;
	int			checked;
	int			missing;
} gin_state;

static void
gin_add(void *arg, uint32_t key)
{
	gin_state  *g = arg;

	if (g->nkeys < 512)
		g->keys[g->nkeys++] = key;
}

static int
gin_has(const gin_state *g, uint32_t key)
{
	for (int i = 0; i < g->nkeys; i++)
		if (g->keys[i] == key)
			return 1;
	return 0;
}

static void
gin_add_split(void *arg, uint32_t key)
{
	gin_state  *g = arg;

	if (g->nsplit < 512)
		g->split[g->nsplit++] = key;
}

/* the split scheme: the field's one or two value keys are all there */
static int
gin_has_split(const gin_state *g, const qr_field *f, size_t pl)
{
	uint32_t	two[2];
	int			n = qr_gin_split_keys(f->path, pl, f->value, f->value_len, QR_GIN_SPLIT_BITS_DEFAULT, two);

	for (int k = 0; k < n; k++)
	{
		int			found = 0;

		for (int i = 0; i < g->nsplit; i++)
			found |= g->split[i] == two[k];
		if (!found)
			return 0;
	}
	return 1;
}

/* every field is found by its path key, its value key and the operators */
static int
gin_field(void *arg, const qr_field *f)
{
	gin_state  *g = arg;
	size_t		pl = strlen(f->path);

	g->checked++;
	if (!gin_has(g, qr_gin_path_key(f->path, pl)) ||
		(!qr_gin_path_unvalued(f->path, pl) &&
		 (!gin_has(g, qr_gin_value_key(f->path, pl, f->value, f->value_len, QR_GIN_BITS_DEFAULT)) ||
		  !gin_has_split(g, f, pl))) ||
		!qr_has_value(g->v->payload, g->v->payload_len, f->path, pl, f->value, f->value_len))
	{
		if (g->missing++ < 3)
			fprintf(stderr, "%s: field %s not found by its keys\n", g->v->id, f->path);
	}
	return 0;
}

static void
test_gin_keys(const vector *v, int n)
{
	gin_state	g = {0};
	int			fields = 0;

	for (int i = 0; i < n; i++)
	{
		if (!v[i].valid)
			continue;
		g.v = &v[i];
		g.nkeys = 0;
		g.nsplit = 0;
		qr_gin_keys(v[i].payload, v[i].payload_len, QR_GIN_BITS_DEFAULT, gin_add, &g);
		qr_gin_split_keys_of(v[i].payload, v[i].payload_len, QR_GIN_SPLIT_BITS_DEFAULT, gin_add_split, &g);
		qr_fields(v[i].payload, v[i].payload_len, gin_field, &g);
		fields = g.checked;
	}
	CHECK(g.missing == 0 && fields > 900, "GIN keys cover every field of every vector (%d fields, %d missing)",
		  fields, g.missing);
	CHECK(qr_gin_path_unvalued("63", 2) && qr_gin_path_unvalued("26", 2) && qr_gin_path_unvalued("62.50", 5) &&
		  qr_gin_path_unvalued("61", 2) && qr_gin_path_unvalued("62.64", 5) && qr_gin_path_unvalued("62.24", 5) &&
		  qr_gin_path_unvalued("61.63", 5) && qr_gin_path_unvalued("query", 5) &&
		  !qr_gin_path_unvalued("59", 2) && !qr_gin_path_unvalued("60", 2) && !qr_gin_path_unvalued("26.00", 5) &&
		  !qr_gin_path_unvalued("61.4F", 5) && !qr_gin_path_unvalued("62.5F20", 7) && !qr_gin_path_unvalued("iban", 4),
		  "paths that may carry no value key");
	/* indexes built before 0.11.0 hold these keys: they never change */
	CHECK(qr_gin_path_key("59", 2) == 0x9d5ec598u &&
		  qr_gin_value_key("59", 2, "SHOP", 4, 18) == 0x0002c026u &&
		  qr_gin_value_key("26.00", 5, "br.gov.bcb.pix", 14, 22) == 0x00186771u,
		  "payment_qr_gin_ops keys are those of 0.10.0");
	{
		uint32_t	two[2];

		CHECK(qr_gin_split_keys("59", 2, "SHOP", 4, 13, two) == 1 &&
			  qr_gin_split_keys("26.00", 5, "br.gov.bcb.pix", 14, 13, two) == 1 &&
			  qr_gin_split_keys("51.00", 5, "br.gov.bcb.pix", 14, 13, two) == 1 &&
			  qr_gin_split_keys("52.00", 5, "br.gov.bcb.pix", 14, 13, two) == 2 &&
			  qr_gin_split_keys("59", 2, "CORNER SHOP", 11, 13, two) == 2 &&
			  two[0] < (1u << 13) && two[1] >= 0x40000000u && two[1] < 0x40000000u + (1u << 13),
			  "split keys: one exact key for a small set's value, else two of value_bits bits");
	}
	CHECK((qr_gin_path_key("59", 2) & 0x80000000u) && !(qr_gin_value_key("59", 2, "x", 1, 18) >> 18) &&
		  qr_gin_value_key("59", 2, "x", 1, 18) != qr_gin_value_key("60", 2, "x", 1, 18),
		  "path keys and folded value keys live in separate ranges");
}

void
test_formats(const vector *v, int n)
{
	int			rows = 0,
				fields = 0;

	for (int i = 0; i < n; i++)
	{
		const char *fmt = expected_format(v[i].format);
		qr_error	err;
		qr_errcode	rc;

		if (fmt == NULL || strcmp(fmt, "emv_mpm") == 0)
			continue;
		rows++;
		rc = qr_validate(v[i].payload, v[i].payload_len, &err, NULL, NULL);
		if (!v[i].valid)
		{
			CHECK(rc != QR_OK, "%s: invalid %s vector accepted", v[i].id, fmt);
			CHECK(err.message[0] != '\0', "%s: error has a message", v[i].id);
			continue;
		}
		CHECK(rc == QR_OK, "%s: valid %s vector rejected: %s", v[i].id, fmt, err.message);
		if (rc != QR_OK)
			continue;
		CHECK(strcmp(qr_format_name(qr_detect_format(v[i].payload, v[i].payload_len)), fmt) == 0,
			  "%s: detected as %s", v[i].id, fmt);
		for (size_t k = 0; k < sizeof(keymaps) / sizeof(keymaps[0]); k++)
		{
			char	   *want;
			const char *have;

			if (strcmp(keymaps[k].format, fmt) != 0 ||
				(want = json_string_member(v[i].expected, keymaps[k].key)) == NULL)
				continue;
			have = field(&v[i], keymaps[k].path);
			/* an empty element ("ref": "") is an absent field */
			CHECK(want[0] == '\0' ? have == NULL : (have && strcmp(have, want) == 0),
				  "%s: %s expected \"%s\", %s = \"%s\"", v[i].id, keymaps[k].key, want,
				  keymaps[k].path, have ? have : "(absent)");
			fields++;
			free(want);
		}
		check_derived(&v[i], fmt);
	}
	CHECK(rows >= 40, "vectors file holds the other formats' rows (%d)", rows);
	test_gin_keys(v, n);
	CHECK(fields >= 60, "expected fields compared (%d)", fields);
}

/* ------------------------------------------------------------------ */

static void
expect(const char *payload, qr_errcode code, const char *needle)
{
	qr_error	err;
	qr_errcode	rc = qr_validate(payload, strlen(payload), &err, NULL, NULL);

	CHECK(rc == code && (code == QR_OK || strstr(err.message, needle) != NULL),
		  "%.60s: got code %d \"%s\", expected %d with \"%s\"", payload, rc,
		  rc ? err.message : "", code, needle);
}

#define CH_HEAD "SPC\n0200\n1\n"
#define CH_CRED "S\nRobert Schneider AG\nRue du Lac\n1268\n2501\nBiel\nCH\n\n\n\n\n\n\n\n"
#define CH_DEBT "S\nPia Rutschmann\nMarktgasse\n28\n9400\nRorschach\nCH\n"
#define EPC_HEAD "BCD\n002\n1\nSCT\nBPOTBEB1\nRed Cross of Belgium\nBE72000000001616\n"

void
test_format_errors(void)
{
	char		big[QR_MAX_BYTES + 10];
	qr_error	err;

	/* China consumer codes (REFERENCE §4) */
	expect("12006109882800940", QR_ERR_VALUE, "WeChat Pay consumer codes (prefix 10-15) have 18 digits; this one has 17");
	expect("287634438256643", QR_ERR_VALUE, "Alipay consumer codes (prefix 25-30) have 16 to 24 digits");
	expect("621234567890123456", QR_ERR_VALUE, "UnionPay consumer codes (prefix 62) have 19 digits");
	expect("993", QR_ERR_VALUE, "16 to 24 digits");
	expect("9912345678901234", QR_OK, "");
	expect("0112345678901234567", QR_OK, "");

	/* URL codes */
	expect("https://qr.alipay.com@evil.example/fkx1", QR_ERR_VALUE, "userinfo");
	expect("https://qr.alipay.com/", QR_ERR_MISSING, "carries the code");
	expect("https://qr.95516.com/qrcGtwWeb-web/api/userAuth?version=1.0.0", QR_ERR_VALUE,
		   "not a UnionPay payment code");
	expect("https://qr.95516.com/0001000/6202", QR_ERR_VALUE, "8-digit institution code");
	expect("wxp://", QR_ERR_MISSING, "token");
	expect("wxp://f2f0abc?x=1", QR_ERR_VALUE, "the token alone");
	expect("weixin://dl/scan", QR_ERR_FORMAT, "weixin://wxpay/bizpayurl");
	expect("weixin://wxpay/bizpayurl?appid=1", QR_ERR_MISSING, "pr (Native order)");
	expect("https://exa mple.com/pay", QR_ERR_VALUE, "DNS name");
	expect("https://shop.example/pay?id=a b", QR_ERR_VALUE, "character ' '");
	expect("https://shop.example:99999/", QR_ERR_VALUE, "out of range");
	expect("https:/shop.example/", QR_ERR_FORMAT, "\"//\"");
	expect("https://shop.example/pay?id=1", QR_OK, "");
	expect("HTTPS://QR.ALIPAY.COM/FKX0", QR_OK, "");
	expect("http://qr.alipay.com/fkx0", QR_OK, "");

	/* UPI */
	expect("upi://pay?pn=A", QR_ERR_MISSING, "payee VPA is mandatory");
	expect("upi://pay?pa=a@b", QR_ERR_MISSING, "payee name");
	expect("upi://pay?pa=abc&pn=A", QR_ERR_VALUE, "is not a VPA");
	expect("upi://pay?pa=a@b&pn=A&am=0", QR_ERR_VALUE, "positive amount");
	expect("upi://pay?pa=a@b&pn=A&am=1.234", QR_ERR_VALUE, "at most 2 decimals");
	expect("upi://pay?pa=a@b&pn=A&pa=c@d", QR_ERR_DUPLICATE, "occurs twice");
	expect("upi://collect?pa=a@b&pn=A", QR_ERR_FORMAT, "only upi://pay");
	expect("upi://pay?pa=a@b&pn=A%2", QR_ERR_VALUE, "two hex digits");
	expect("upi://pay?pa=a@b&pn=A%FF", QR_ERR_ENCODING, "not UTF-8");
	expect("upi://pay?pa=a@b&pn=A%00", QR_ERR_ENCODING, "NUL");
	expect("upi://pay?pa=a@b&pn=A&mc=12", QR_ERR_VALUE, "merchant category");
	expect("upi://pay?pa=a@b&pn=Shop Name&cu=INR", QR_OK, "");

	/* BezahlCode */
	expect("bank://foo?name=x", QR_ERR_FORMAT, "not a BezahlCode authority");
	expect("bank://singlepaymentsepa?name=x", QR_ERR_MISSING, "IBAN");
	expect("bank://singlepaymentsepa?name=x&iban=DE89370400440532013001", QR_ERR_VALUE, "valid IBAN");
	expect("bank://singlepaymentsepa?name=x&iban=DE89370400440532013000&amount=1.5", QR_ERR_VALUE,
		   "decimal comma");
	expect("bank://singlepayment?name=x", QR_ERR_MISSING, "account and bnc");
	expect("bank://singlepaymentsepa?name=x&iban=DE89370400440532013000&executiondate=31022024",
		   QR_ERR_VALUE, "DDMMYYYY");
	expect("bank://contact?name=x", QR_OK, "");

	/* EPC069-12 */
	expect(EPC_HEAD "EUR1.00\n\n\n\n\nextra", QR_ERR_VALUE, "more than the 12 elements");
	expect("BCD\n001\n1\nSCT\n\nRed Cross\nBE72000000001616", QR_ERR_MISSING, "mandatory in version 001");
	expect("BCD\n002\n1\nSCT\n\nRed Cross\nBE72000000001617", QR_ERR_VALUE, "mod 97");
	expect("BCD\n002\n9\nSCT\n\nRed Cross\nBE72000000001616", QR_ERR_VALUE, "character set");
	expect("BCD\n003\n1\nSCT\n\nRed Cross\nBE72000000001616", QR_ERR_VALUE, "001 or 002");
	expect(EPC_HEAD "EUR0.00", QR_ERR_VALUE, "0.01 to 999999999.99");
	expect(EPC_HEAD "EUR1.001", QR_ERR_VALUE, "EUR followed by");
	expect(EPC_HEAD "EUR1\n\nRF18539007547034\nInvoice 7", QR_ERR_VALUE, "both present");
	expect("BCD\n002\n1\nSCT\nBPOTBEB1\nRed Cross", QR_ERR_MISSING, "element 7");
	expect(EPC_HEAD "EUR1\n\n\nthanks\n", QR_OK, "");

	/* Swiss QR-bill */
	expect("SPC\r\n0100\r\n\r\n\r\n", QR_ERR_VALUE, "version not supported");
	expect(CH_HEAD "CH5800791123000889012\n" CH_CRED "1.00\nCHF\n" CH_DEBT "NON\n\n\nEPX",
		   QR_ERR_VALUE, "trailer must be EPD");
	expect(CH_HEAD "CH5800791123000889012\n" CH_CRED "1.00\nCHF\n" CH_DEBT
		   "QRR\n210000000003139471430009017\n\nEPD", QR_ERR_VALUE, "needs a QR-IBAN");
	expect(CH_HEAD "CH4431999123000889012\n" CH_CRED "1.00\nCHF\n" CH_DEBT
		   "QRR\n210000000003139471430009018\n\nEPD", QR_ERR_VALUE, "check digit");
	expect(CH_HEAD "CH4431999123000889012\n" CH_CRED "1.00\nCHF\n" CH_DEBT "NON\n\n\nEPD",
		   QR_ERR_VALUE, "must be used with reference type QRR");
	expect(CH_HEAD "CH5800791123000889012\n" CH_CRED "1.00\nCHF\n" CH_DEBT
		   "SCOR\nRF18539007547035\n\nEPD", QR_ERR_VALUE, "ISO 11649");
	expect(CH_HEAD "CH5800791123000889012\n" CH_CRED "1.00\nUSD\n" CH_DEBT "NON\n\n\nEPD",
		   QR_ERR_VALUE, "CHF or EUR");
	expect("SPC\n0200\n2\nCH5800791123000889012\n" CH_CRED "1.00\nCHF\n" CH_DEBT "NON\n\n\nEPD",
		   QR_ERR_VALUE, "coding type");
	expect(CH_HEAD "CH5800791123000889013\n" CH_CRED "1.00\nCHF\n" CH_DEBT "NON\n\n\nEPD",
		   QR_ERR_VALUE, "CH or LI IBAN");
	expect(CH_HEAD "CH5800791123000889012\n" CH_CRED "1.00\nCHF\n" CH_DEBT "NON\n\n",
		   QR_ERR_MISSING, "ends after 30 elements");
	expect(CH_HEAD "CH5800791123000889012\n" CH_CRED "\nCHF\n\n\n\n\n\n\n\nNON\n\n\nEPD\n", QR_OK, "");

	/* SPAYD */
	expect("SPD*1.0*ACC:CZ5855000000001265098001*FOO:1", QR_ERR_VALUE, "unknown attribute");
	expect("SPD*1.0*ACC:CZ5855000000001265098001*X-FOO:1", QR_OK, "");
	expect("SPD*1.0*AM:1.00", QR_ERR_MISSING, "ACC");
	expect("SPD*1.0*ACC:CZ5855000000001265098001*AM:1*AM:2", QR_ERR_DUPLICATE, "twice");
	expect("SPD*1.0*ACC:CZ5855000000001265098002", QR_ERR_VALUE, "mod 97");
	expect("SPD*1.0*ACC:CZ5855000000001265098001*DT:20230230", QR_ERR_VALUE, "YYYYMMDD");
	expect("SPD*1.0*ACC:CZ5855000000001265098001*MSG:PLATBA%2AZA", QR_OK, "");
	expect("SPD*1.0*ACC", QR_ERR_VALUE, "\":\" is missing");

	/* EMVCo CPM */
	expect("hQVDUFYwMWEaTwegAAAAVVVVVw8SNFZ4kBI0WNGRIgESNF8", QR_ERR_FORMAT, "base64");
	expect("hQVDUFYwMWEaTwegAAAAVVVVVw8SNFZ4kBI0WNGRIgESNF*=", QR_ERR_FORMAT, "base64");
	expect("hQVDUFYwMQ==", QR_ERR_MISSING, "Application Template (61)");
	expect("hQVDUFYwMmEaTwegAAAAVVVVVw8SNFZ4kBI0WNGRIgESNF8=", QR_ERR_TLV, "CPV01");
	/* 61 with a 3-byte AID: 85 05 CPV01 61 05 4F 03 A00000 */
	expect("hQVDUFYwMWEFTwOgAAA=", QR_ERR_TLV, "5 to 16 bytes");
	/* 61 declaring 0x30 bytes with 5 present */
	expect("hQVDUFYwMWEwTwOgAAA=", QR_ERR_TLV, "runs past the end");

	/* the largest QR symbol bounds every format */
	memset(big, 'a', sizeof(big));
	memcpy(big, "https://shop.example/", 21);
	CHECK(qr_validate(big, sizeof(big), &err, NULL, NULL) == QR_ERR_FORMAT &&
		  strstr(err.message, "2953"), "oversize payload: %s", err.message);

	/* paths */
	CHECK(qr_path_valid("59", 2) && qr_path_valid("62.50.00", 8) && qr_path_valid("query.pr", 8) &&
		  qr_path_valid("61.4F", 5) && qr_path_valid("X-VS", 4) &&
		  qr_path_valid("creditor.address_line1", 22), "well-formed paths");
	CHECK(!qr_path_valid("5", 1) && !qr_path_valid("", 0) && !qr_path_valid("a..b", 4) &&
		  !qr_path_valid("a b", 3) && !qr_path_valid("1.2.3.4.5", 9) &&
		  !qr_path_valid("062", 3), "malformed paths");
}

/* ------------------------------------------------------------------ */

static const vector *
find(const vector *v, int n, const char *id)
{
	for (int i = 0; i < n; i++)
		if (strcmp(v[i].id, id) == 0)
			return &v[i];
	fprintf(stderr, "vector %s not found\n", id);
	exit(2);
}

static int
has_ident(const qr_ident *ids, int n, qr_idkind kind, const char *value)
{
	for (int i = 0; i < n; i++)
		if (ids[i].kind == kind && ids[i].len == strlen(value) &&
			memcmp(ids[i].value, value, ids[i].len) == 0)
			return i + 1;
	return 0;
}

void
test_match(const vector *v, int n)
{
	qr_ident	ids[QR_IDENT_MAX];
	char		country[3];
	int			k;
	const vector *sg = find(v, n, "sg-sgqr-spec-sample");
	const vector *kh = find(v, n, "kh-khqr-individual");
	const vector *cpm = find(v, n, "cpm-emvco-example2");
	qr_pattern	bakong = {QR_ID_EMV_GUID, "*@*", 3, "KH", 0, 0, 0, 0};
	qr_pattern	wechat = {QR_ID_PAYMENT_CODE, "1[0-5]*", 7, "", 1, 18, 18, 0};
	qr_pattern	alipay = {QR_ID_URL, "https://qr.alipay.com/*", 23, "", 22, 0, 0, 0};
	qr_ident	url = {QR_ID_URL, "HTTPS://QR.ALIPAY.COM/FKX0", 26, ""};
	qr_ident	url2 = {QR_ID_URL, "https://qr.alipay.co/x", 22, ""};
	qr_ident	code = {QR_ID_PAYMENT_CODE, "120061098828009406", 18, ""};
	qr_ident	code17 = {QR_ID_PAYMENT_CODE, "12006109882800940", 17, ""};
	qr_ident	code16 = {QR_ID_PAYMENT_CODE, "160061098828009406", 18, ""};

	k = qr_identify(sg->payload, sg->payload_len, ids, QR_IDENT_MAX, country);
	CHECK(strcmp(country, "SG") == 0, "SGQR country");
	CHECK(has_ident(ids, k, QR_ID_FORMAT, "emv_mpm") == 1, "format comes first");
	CHECK(has_ident(ids, k, QR_ID_EMV_TAG, "15") && has_ident(ids, k, QR_ID_EMV_GUID, "SG.PAYNOW") &&
		  has_ident(ids, k, QR_ID_EMV_GUID, "COM.QQ.WEIXIN.PAY") &&
		  has_ident(ids, k, QR_ID_EMV_GUID, "SG.SGQR"), "SGQR identifiers");
	CHECK(has_ident(ids, k, QR_ID_EMV_TAG, "15") < has_ident(ids, k, QR_ID_EMV_GUID, "SG.PAYNOW") &&
		  has_ident(ids, k, QR_ID_EMV_GUID, "SG.PAYNOW") < has_ident(ids, k, QR_ID_EMV_GUID, "SG.SGQR"),
		  "identifiers in payload order");
	CHECK(qr_identify(sg->payload, sg->payload_len, ids, 3, country) == 3, "max respected");

	k = qr_identify(kh->payload, kh->payload_len, ids, QR_IDENT_MAX, country);
	CHECK(strcmp(country, "KH") == 0 && k >= 2 && ids[1].kind == QR_ID_EMV_GUID &&
		  qr_pattern_match(&bakong, &ids[1], country) &&
		  !qr_pattern_match(&bakong, &ids[1], "SG"), "Bakong account matched only in KH");

	k = qr_identify(cpm->payload, cpm->payload_len, ids, QR_IDENT_MAX, country);
	CHECK(k == 3 && has_ident(ids, k, QR_ID_CPM_AID, "A0000000555555") &&
		  has_ident(ids, k, QR_ID_CPM_AID, "A0000000666666"), "CPM AIDs of both templates");

	CHECK(qr_glob_literal_prefix("https://qr.alipay.com/*", 23) == 22 &&
		  qr_glob_literal_prefix("1[0-5]*", 7) == 1 && qr_glob_literal_prefix("*@*", 3) == 0,
		  "literal prefixes");
	CHECK(qr_pattern_match(&alipay, &url, "") && !qr_pattern_match(&alipay, &url2, ""),
		  "literal opening compared in any case");
	CHECK(qr_pattern_match(&wechat, &code, "") && !qr_pattern_match(&wechat, &code17, "") &&
		  !qr_pattern_match(&wechat, &code16, ""), "prefix class and length bounds");

	/* glob */
	CHECK(qr_glob_match("br.gov.bcb.pix", 14, "BR.GOV.BCB.PIX", 14), "case-insensitive");
	CHECK(qr_glob_match("https://qr.alipay.com/*", 23, "HTTPS://QR.ALIPAY.COM/FKX0", 26), "URL prefix");
	CHECK(!qr_glob_match("https://qr.alipay.com/*", 23, "https://qr.alipay.com.evil/x", 28),
		  "host must end where the pattern says");
	CHECK(qr_glob_match("A000000677*", 11, "A000000677010111", 16) &&
		  !qr_glob_match("A000000677*", 11, "A00000067", 9), "AID prefix");
	CHECK(qr_glob_match("a?c", 3, "abc", 3) && !qr_glob_match("a?c", 3, "ac", 2), "?");
	CHECK(qr_glob_match("[!0-9]x", 7, "ax", 2) && !qr_glob_match("[!0-9]x", 7, "1x", 2), "negated class");
	CHECK(qr_glob_match("a\\*", 3, "a*", 2) && !qr_glob_match("a\\*", 3, "ab", 2), "escape");
	CHECK(qr_glob_match("*a*b*", 5, "xxaxxbxx", 8) && !qr_glob_match("*a*b*", 5, "xxbxxaxx", 8),
		  "backtracking");
	CHECK(qr_glob_check("[a-", 3) != NULL && qr_glob_check("a\\", 2) != NULL &&
		  qr_glob_check("", 0) != NULL && qr_glob_check("[]]*", 4) == NULL, "glob syntax");
	/* the glob agrees with fnmatch(3) on random patterns and strings */
	{
		static const char pset[] = "ab*?[]!-\\Ab";
		static const char sset[] = "abAB-!";
		unsigned	seed = 7;
		int			disagree = 0,
					compared = 0;
		char		pat[12],
					str[12];

		for (int t = 0; t < 200000; t++)
		{
			int			pl = 1 + (int) ((seed = seed * 1103515245u + 12345u) >> 16) % 8;
			int			sl = (int) ((seed = seed * 1103515245u + 12345u) >> 16) % 9;

			for (int i = 0; i < pl; i++)
				pat[i] = pset[((seed = seed * 1103515245u + 12345u) >> 16) % (sizeof(pset) - 1)];
			pat[pl] = '\0';
			for (int i = 0; i < sl; i++)
				str[i] = sset[((seed = seed * 1103515245u + 12345u) >> 16) % (sizeof(sset) - 1)];
			str[sl] = '\0';
			if (qr_glob_check(pat, (size_t) pl) != NULL)
				continue;
			compared++;
			if ((fnmatch(pat, str, FNM_CASEFOLD) == 0) != (qr_glob_match(pat, (size_t) pl, str, (size_t) sl) != 0))
			{
				if (disagree++ < 5)
					fprintf(stderr, "glob \"%s\" on \"%s\": fnmatch %d\n", pat, str,
							fnmatch(pat, str, FNM_CASEFOLD) == 0);
			}
		}
		CHECK(disagree == 0 && compared > 50000, "glob = fnmatch(FNM_CASEFOLD): %d of %d disagree",
			  disagree, compared);
	}
	CHECK(qr_idkind_parse("emv_guid", 8) == QR_ID_EMV_GUID && qr_idkind_parse("guid", 4) == 0 &&
		  strcmp(qr_idkind_name(QR_ID_URL), "url") == 0, "kind names");
}

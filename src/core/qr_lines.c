/*
 * qr_lines.c — line-structured bank-transfer codes: EPC069-12 SEPA credit
 * transfer ("epc") and the Swiss QR-bill ("swiss_qr").
 *
 * Both are one element per line, LF or CR LF separated (REFERENCE §3).
 *
 * EPC069-12 (European Payments Council, "Quick Response Code: guidelines
 * to enable data capture for the initiation of a SEPA credit transfer"):
 * BCD, version 001/002, character set 1-8, SCT, BIC (mandatory in 001),
 * name <= 70, IBAN, "EUR"+amount 0.01-999999999.99, purpose <= 4,
 * structured reference <= 35 or unstructured remittance <= 140 (not both),
 * beneficiary-to-originator information <= 70; payload <= 331 bytes.
 *
 * Swiss QR-bill (SIX, Swiss Implementation Guidelines for the QR-bill,
 * version 2.x, "data structure of the Swiss QR Code"): SPC, version 02xx
 * (the minor version is ignored), coding type 1, CH/LI IBAN, creditor
 * (address type S or K, name, address, country), 7 ultimate-creditor
 * elements reserved for future use, amount, CHF/EUR, ultimate debtor,
 * reference type QRR/SCOR/NON and reference, unstructured message <= 140,
 * trailer EPD, then optional billing information and up to two
 * alternative schemes; at most 997 characters.  A QR-IBAN (institution id
 * 30000-31999) goes with a QRR reference and only with it.
 */
#include <stdio.h>
#include <string.h>

#include "qr_fmt.h"
#include "qr_utf8.h"

#define MAX_LINES 40

typedef struct line
{
	const char *s;
	size_t		n;
} line;

/*
 * The first LF in [p, end), or NULL.  Lines are short (a QR-bill has 31
 * of them), so sixteen bytes are compared at once where they exist
 * instead of calling memchr for every line.
 */
static inline const char *
find_lf(const char *p, const char *end)
{
#if defined(__SSE2__) && defined(__GNUC__)
	const __m128i lf = _mm_set1_epi8('\n');

	while (end - p >= 16)
	{
		int			m = _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *) p), lf));

		if (m)
			return p + __builtin_ctz((unsigned) m);
		p += 16;
	}
#endif
	return memchr(p, '\n', (size_t) (end - p));
}

/* Split on LF, dropping a CR before it.  Returns the number of lines. */
static int
split_lines(const char *buf, size_t len, line *out, int max, int *more)
{
	const char *p = buf,
				*end = buf + len;
	int			k = 0;

	*more = 0;
	while (p <= end)
	{
		const char *nl = find_lf(p, end);
		const char *stop = nl ? nl : end;

		if (k == max)
		{
			*more = 1;
			break;
		}
		out[k].s = p;
		out[k].n = (size_t) (stop - p);
		if (nl && out[k].n > 0 && stop[-1] == '\r')
			out[k].n--;
		k++;
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return k;
}

static int
chars(const line *l)
{
	return qr_utf8_count(l->s, l->s + l->n);
}

typedef struct elem
{
	const char *path;
	const char *name;
	int			maxchars;
} elem;

/* ------------------------------------------------------------------ */
/* EPC069-12                                                           */
/* ------------------------------------------------------------------ */

static const elem epc_elems[] = {
	{"service_tag", "Service Tag", 3},
	{"version", "Version", 3},
	{"charset", "Character Set", 1},
	{"identification", "Identification", 3},
	{"bic", "BIC of the Beneficiary Bank", 11},
	{"name", "Name of the Beneficiary", 70},
	{"iban", "Account Number of the Beneficiary", 34},
	{"amount", "Amount of the Credit Transfer in Euro", 15},
	{"purpose", "Purpose of the Credit Transfer", 4},
	{"reference", "Remittance Information (Structured)", 35},
	{"remittance", "Remittance Information (Unstructured)", 140},
	{"info", "Beneficiary to Originator Information", 70},
};

#define EPC_ELEMS 12

static qr_errcode
bad_line(qr_error *err, const char *buf, const line *l, const char *fmtname,
		 const elem *e, const char *what)
{
	char		where[96];

	snprintf(where, sizeof(where), "%s element %s", fmtname, e->path);
	return qr_fail(err, QR_ERR_VALUE, buf, l->s, e->path, where, "%s", what);
}

/*
 * Does [buf, buf+len) hold no control character but LF?  Then no line
 * holds one, and check_control need not look line by line (CR, which a
 * line may end with, sends a payload to the line-by-line look).
 */
static int
only_lf_controls(const char *buf, size_t len)
{
#if defined(__SSE2__)
	const __m128i lf = _mm_set1_epi8('\n');
	const __m128i c1f = _mm_set1_epi8(0x1F);
	const __m128i del = _mm_set1_epi8(0x7F);
	__m128i		acc = _mm_setzero_si128();
	size_t		i;

	if (len < 16)
		return 0;
	for (i = 0;; i += 16)
	{
		__m128i		v;

		if (i + 16 > len)
			i = len - 16;
		v = _mm_loadu_si128((const __m128i *) (buf + i));
		/* v <= 0x1F unsigned, or 0x7F, and not LF */
		acc = _mm_or_si128(acc,
						   _mm_andnot_si128(_mm_cmpeq_epi8(v, lf),
											_mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(v, c1f), v),
														 _mm_cmpeq_epi8(v, del))));
		if (i + 16 >= len)
			break;
	}
	return _mm_movemask_epi8(acc) == 0;
#else
	(void) buf;
	(void) len;
	return 0;
#endif
}

static qr_errcode
check_control(qr_error *err, const char *buf, const line *ls, int n, const char *fmtname)
{
	if (n > 0 && only_lf_controls(ls[0].s, (size_t) (ls[n - 1].s + ls[n - 1].n - ls[0].s)))
		return QR_OK;
	for (int i = 0; i < n; i++)
	{
		size_t		k = 0;

		/*
		 * Eight bytes at a time while none is below 0x20 (w - 0x20.. borrows
		 * into the high bit of such a byte) or 0x7F (zero after the xor);
		 * then byte by byte from the first block that may hold one.
		 */
		for (; k + 8 <= ls[i].n; k += 8)
		{
			uint64_t	w,
						x;

			memcpy(&w, ls[i].s + k, 8);
			x = w ^ 0x7F7F7F7F7F7F7F7FULL;
			if ((((w - 0x2020202020202020ULL) & ~w) | ((x - QR_LOW_BITS) & ~x)) & QR_HIGH_BITS)
				break;
		}
		for (; k < ls[i].n; k++)
		{
			unsigned char c = (unsigned char) ls[i].s[k];

			if (c < 0x20 || c == 0x7F)
				return qr_fail(err, QR_ERR_VALUE, buf, ls[i].s + k, "", fmtname,
							   "control character 0x%02X inside line %d", c, i + 1);
		}
	}
	return QR_OK;
}

static qr_errcode
check_lengths(qr_error *err, const char *buf, const line *ls, int n,
			  const elem *es, const char *fmtname)
{
	char		msg[96];

	for (int i = 0; i < n; i++)
	{
		int			c;

		/* a line has no more characters than bytes: count only when it may matter */
		if (ls[i].n <= (size_t) es[i].maxchars)
			continue;
		c = chars(&ls[i]);
		if (c > es[i].maxchars)
		{
			snprintf(msg, sizeof(msg), "%d characters; the maximum is %d", c, es[i].maxchars);
			return bad_line(err, buf, &ls[i], fmtname, &es[i], msg);
		}
	}
	return QR_OK;
}

static int
is_eq(const line *l, const char *s)
{
	return l->n == strlen(s) && memcmp(l->s, s, l->n) == 0;
}

/* amount 0.01 to 999999999.99 with at most 2 decimals */
static int
amount_ok(const char *s, size_t n)
{
	long long	cents;

	return qr_decimal_parse(s, n, '.', 2, &cents) && cents >= 1 && cents <= 99999999999LL;
}

/* Lines of an EPC payload with a trailing empty line dropped. */
static int
epc_lines(const char *buf, size_t len, line *ls, int *more)
{
	int			n = split_lines(buf, len, ls, EPC_ELEMS + 1, more);

	if (n == EPC_ELEMS + 1 && ls[EPC_ELEMS].n == 0 && !*more)
		n = EPC_ELEMS;
	return n;
}

qr_errcode
qr_epc_validate(const char *buf, size_t len, qr_error *err,
				qr_finding_fn report, void *arg)
{
	line		ls[EPC_ELEMS + 1];
	int			more,
				n = epc_lines(buf, len, ls, &more);
	qr_errcode	rc;
	const elem *e = epc_elems;

	if (n > EPC_ELEMS || more)
		return qr_fail(err, QR_ERR_VALUE, buf, ls[EPC_ELEMS].s, "", "epc",
					   "more than the %d elements EPC069-12 defines", EPC_ELEMS);
	if ((rc = check_control(err, buf, ls, n, "epc")) != QR_OK)
		return rc;
	if (len > 331)
		return qr_fail(err, QR_ERR_VALUE, buf, NULL, "", "epc",
					   "the payload is %zu bytes; EPC069-12 allows at most 331", len);
	if (n < 7)
		return qr_fail(err, QR_ERR_MISSING, buf, NULL, e[n].path, "epc",
					   "the payload ends after %d lines; element %d (%s) is mandatory",
					   n, n + 1, e[n].name);
	if ((rc = check_lengths(err, buf, ls, n, e, "epc")) != QR_OK)
		return rc;
	if (!is_eq(&ls[1], "001") && !is_eq(&ls[1], "002"))
		return bad_line(err, buf, &ls[1], "epc", &e[1], "the version must be 001 or 002");
	if (ls[2].n != 1 || ls[2].s[0] < '1' || ls[2].s[0] > '8')
		return bad_line(err, buf, &ls[2], "epc", &e[2],
						"the character set must be a digit 1 (UTF-8) to 8 (ISO 8859-15)");
	if (!is_eq(&ls[3], "SCT"))
		return bad_line(err, buf, &ls[3], "epc", &e[3], "the identification must be SCT");
	if (ls[4].n == 0 && is_eq(&ls[1], "001"))
		return qr_fail(err, QR_ERR_MISSING, buf, ls[4].s, "bic", "epc element bic",
					   "the BIC is mandatory in version 001");
	if (ls[4].n > 0 && !qr_bic_valid(ls[4].s, ls[4].n))
		return bad_line(err, buf, &ls[4], "epc", &e[4],
						"not a BIC (ISO 9362: 8 or 11 characters, letters then alphanumerics)");
	if (ls[5].n == 0)
		return qr_fail(err, QR_ERR_MISSING, buf, ls[5].s, "name", "epc element name",
					   "the beneficiary name is mandatory");
	if (!qr_iban_valid(ls[6].s, ls[6].n))
		return bad_line(err, buf, &ls[6], "epc", &e[6],
						"not a valid IBAN (ISO 13616: country, check digits, mod 97)");
	if (n > 7 && ls[7].n > 0 &&
		(ls[7].n < 4 || memcmp(ls[7].s, "EUR", 3) != 0 || !amount_ok(ls[7].s + 3, ls[7].n - 3)))
		return bad_line(err, buf, &ls[7], "epc", &e[7],
						"the amount must be EUR followed by 0.01 to 999999999.99 with at most 2 decimals");
	if (n > 8 && ls[8].n > 0 && !qr_all_alnum(ls[8].s, ls[8].n))
		return bad_line(err, buf, &ls[8], "epc", &e[8], "the purpose code must be alphanumeric");
	if (n > 10 && ls[9].n > 0 && ls[10].n > 0)
		return bad_line(err, buf, &ls[10], "epc", &e[10],
						"structured and unstructured remittance information are both present; EPC069-12 allows one");
	if (!is_eq(&ls[2], "1"))
		qr_notef(report, arg, QR_SEV_INFO, "charset",
				 "character set %c: the QR symbol carries this text in that encoding, not UTF-8",
				 ls[2].s[0]);
	return QR_OK;
}

static int
emit_lines(const line *ls, int n, const elem *es, qr_field_fn fn, void *arg)
{
	for (int i = 0; i < n; i++)
		if (ls[i].n > 0 && qr_emit(fn, arg, es[i].path, es[i].name, ls[i].s, ls[i].n, 1, 0))
			return 1;
	return 0;
}

int
qr_epc_fields(const char *buf, size_t len, qr_field_fn fn, void *arg)
{
	line		ls[EPC_ELEMS + 1];
	int			more,
				n = epc_lines(buf, len, ls, &more);

	return emit_lines(ls, n > EPC_ELEMS ? EPC_ELEMS : n, epc_elems, fn, arg);
}

/* ------------------------------------------------------------------ */
/* Swiss QR-bill                                                       */
/* ------------------------------------------------------------------ */

#define CH_FIXED 31				/* QRType .. Trailer */
#define CH_ELEMS 34				/* with billing information and 2 AV */

static const elem ch_elems_s[CH_ELEMS] = {
	{"qr_type", "QR Type", 3},
	{"version", "Version", 4},
	{"coding", "Coding Type", 1},
	{"iban", "IBAN", 21},
	{"creditor.address_type", "Creditor Address Type", 1},
	{"creditor.name", "Creditor Name", 70},
	{"creditor.street", "Creditor Street", 70},
	{"creditor.building_number", "Creditor Building Number", 16},
	{"creditor.postal_code", "Creditor Postal Code", 16},
	{"creditor.town", "Creditor Town", 35},
	{"creditor.country", "Creditor Country", 2},
	{"ultimate_creditor.address_type", "Ultimate Creditor Address Type", 1},
	{"ultimate_creditor.name", "Ultimate Creditor Name", 70},
	{"ultimate_creditor.street", "Ultimate Creditor Street", 70},
	{"ultimate_creditor.building_number", "Ultimate Creditor Building Number", 16},
	{"ultimate_creditor.postal_code", "Ultimate Creditor Postal Code", 16},
	{"ultimate_creditor.town", "Ultimate Creditor Town", 35},
	{"ultimate_creditor.country", "Ultimate Creditor Country", 2},
	{"amount", "Amount", 12},
	{"currency", "Currency", 3},
	{"debtor.address_type", "Ultimate Debtor Address Type", 1},
	{"debtor.name", "Ultimate Debtor Name", 70},
	{"debtor.street", "Ultimate Debtor Street", 70},
	{"debtor.building_number", "Ultimate Debtor Building Number", 16},
	{"debtor.postal_code", "Ultimate Debtor Postal Code", 16},
	{"debtor.town", "Ultimate Debtor Town", 35},
	{"debtor.country", "Ultimate Debtor Country", 2},
	{"reference_type", "Reference Type", 4},
	{"reference", "Reference", 27},
	{"message", "Unstructured Message", 140},
	{"trailer", "Trailer", 3},
	{"bill_information", "Bill Information", 140},
	{"alternative_scheme_1", "Alternative Scheme Parameters", 100},
	{"alternative_scheme_2", "Alternative Scheme Parameters", 100},
};

/* Combined addresses (type K) name elements 3 and 4 differently. */
static const char *const k_paths[3][2] = {
	{"creditor.address_line1", "creditor.address_line2"},
	{"ultimate_creditor.address_line1", "ultimate_creditor.address_line2"},
	{"debtor.address_line1", "debtor.address_line2"},
};

static void
ch_elems(const line *ls, int n, elem *out)
{
	static const int starts[3] = {4, 11, 20};

	memcpy(out, ch_elems_s, sizeof(ch_elems_s));
	for (int a = 0; a < 3; a++)
		if (n > starts[a] && is_eq(&ls[starts[a]], "K"))
		{
			out[starts[a] + 2].path = k_paths[a][0];
			out[starts[a] + 2].name = "Address Line 1";
			out[starts[a] + 3].path = k_paths[a][1];
			out[starts[a] + 3].name = "Address Line 2";
			out[starts[a] + 3].maxchars = 70;
		}
}

static int
ch_lines(const char *buf, size_t len, line *ls, int *more)
{
	int			n = split_lines(buf, len, ls, CH_ELEMS + 1, more);

	if (n > CH_FIXED && ls[n - 1].n == 0 && !*more)
		n--;					/* a final line break */
	return n;
}

/* ISO 7064 mod 10 recursive, the QR reference's check digit */
static int
qrr_valid(const char *s, size_t n)
{
	/* the table of the recursive mod 10, indexed by carry + digit (0-18) */
	static const int table[19] = {0, 9, 4, 6, 8, 2, 7, 1, 3, 5, 0, 9, 4, 6, 8, 2, 7, 1, 3};
	int			carry = 0;

	if (n != 27 || !qr_all_digits(s, n))
		return 0;
	for (size_t i = 0; i < 26; i++)
		carry = table[carry + (s[i] - '0')];
	return (10 - carry) % 10 == s[26] - '0';
}

/* ISO 11649 creditor reference: RF, 2 check digits, up to 21 alphanumerics, mod 97 = 1 */
static int
scor_valid(const char *s, size_t n)
{
	unsigned	rem = 0;

	if (n < 5 || n > 25 || s[0] != 'R' || s[1] != 'F' || !qr_all_alnum(s, n))
		return 0;
	for (size_t k = 0; k < n; k++)
	{
		char		c = s[(k + 4) % n];

		if (c >= '0' && c <= '9')
			rem = (rem * 10 + (unsigned) (c - '0')) % 97;
		else if (c >= 'A' && c <= 'Z')
			rem = (rem * 100 + (unsigned) (c - 'A' + 10)) % 97;
		else if (c >= 'a' && c <= 'z')
			rem = (rem * 100 + (unsigned) (c - 'a' + 10)) % 97;
	}
	return rem == 1;
}

static qr_errcode
check_address(qr_error *err, const char *buf, const line *ls, int at, const elem *es,
			  int mandatory)
{
	const line *t = &ls[at];
	int			any = 0;

	for (int i = 0; i < 7; i++)
		any |= ls[at + i].n > 0;
	if (!any)
	{
		if (mandatory)
			return qr_fail(err, QR_ERR_MISSING, buf, t->s, es[at].path, "swiss_qr element",
						   "the creditor address is mandatory");
		return QR_OK;
	}
	if (!is_eq(t, "S") && !is_eq(t, "K"))
		return bad_line(err, buf, t, "swiss_qr", &es[at], "the address type must be S (structured) or K (combined)");
	if (ls[at + 1].n == 0)
		return qr_fail(err, QR_ERR_MISSING, buf, ls[at + 1].s, es[at + 1].path,
					   "swiss_qr element", "%s is mandatory in an address", es[at + 1].path);
	if (is_eq(t, "S") && (ls[at + 4].n == 0 || ls[at + 5].n == 0))
		return qr_fail(err, QR_ERR_MISSING, buf, ls[at + 4].s, es[at + 4].path, "swiss_qr element",
					   "a structured (S) address needs postal code and town");
	if (is_eq(t, "K") && (ls[at + 3].n == 0 || ls[at + 4].n > 0 || ls[at + 5].n > 0))
		return bad_line(err, buf, &ls[at + 3], "swiss_qr", &es[at + 3],
						"a combined (K) address has its postal code and town in address line 2 and leaves those elements empty");
	if (ls[at + 6].n != 2 || ls[at + 6].s[0] < 'A' || ls[at + 6].s[0] > 'Z' ||
		ls[at + 6].s[1] < 'A' || ls[at + 6].s[1] > 'Z')
		return bad_line(err, buf, &ls[at + 6], "swiss_qr", &es[at + 6],
						"the country must be an ISO 3166-1 alpha-2 code");
	return QR_OK;
}

qr_errcode
qr_swiss_validate(const char *buf, size_t len, qr_error *err,
				  qr_finding_fn report, void *arg)
{
	line		ls[CH_ELEMS + 1];
	elem		es[CH_ELEMS];
	int			more,
				n = ch_lines(buf, len, ls, &more);
	qr_errcode	rc;
	int			iid;

	if (n >= 2 && !(ls[1].n == 4 && ls[1].s[0] == '0' && ls[1].s[1] == '2' &&
					qr_all_digits(ls[1].s, 4)))
		return bad_line(err, buf, &ls[1], "swiss_qr", &ch_elems_s[1],
						"version not supported: Swiss QR-bill payloads are version 02xx (0200, 0201, ...)");
	if (n > CH_ELEMS || more)
		return qr_fail(err, QR_ERR_VALUE, buf, ls[CH_ELEMS].s, "", "swiss_qr",
					   "more than %d elements (31, billing information and two alternative schemes)",
					   CH_ELEMS);
	if (n < CH_FIXED)
		return qr_fail(err, QR_ERR_MISSING, buf, NULL, ch_elems_s[n].path, "swiss_qr",
					   "the payload ends after %d elements; the QR-bill has %d, %s being element %d",
					   n, CH_FIXED, ch_elems_s[n].path, n + 1);
	if ((rc = check_control(err, buf, ls, n, "swiss_qr")) != QR_OK)
		return rc;
	if (len > 997 && qr_utf8_count(buf, buf + len) > 997)
		return qr_fail(err, QR_ERR_VALUE, buf, NULL, "", "swiss_qr",
					   "the payload exceeds the 997 characters the QR-bill allows");
	ch_elems(ls, n, es);
	if ((rc = check_lengths(err, buf, ls, n, es, "swiss_qr")) != QR_OK)
		return rc;
	if (!is_eq(&ls[2], "1"))
		return bad_line(err, buf, &ls[2], "swiss_qr", &es[2], "the coding type must be 1 (UTF-8, Latin subset)");
	if (ls[3].n != 21 || (memcmp(ls[3].s, "CH", 2) != 0 && memcmp(ls[3].s, "LI", 2) != 0) ||
		!qr_iban_valid(ls[3].s, ls[3].n))
		return bad_line(err, buf, &ls[3], "swiss_qr", &es[3],
						"not a valid CH or LI IBAN (21 characters, mod 97)");
	if ((rc = check_address(err, buf, ls, 4, es, 1)) != QR_OK)
		return rc;
	for (int i = 11; i < 18; i++)
		if (ls[i].n > 0)
		{
			qr_notef(report, arg, QR_SEV_WARNING, es[i].path,
					 "the ultimate creditor is reserved for future use and must be left empty");
			break;
		}
	if (ls[18].n > 0 && !amount_ok(ls[18].s, ls[18].n))
		return bad_line(err, buf, &ls[18], "swiss_qr", &es[18],
						"the amount must be 0.01 to 999999999.99 with at most 2 decimals");
	if (!is_eq(&ls[19], "CHF") && !is_eq(&ls[19], "EUR"))
		return bad_line(err, buf, &ls[19], "swiss_qr", &es[19], "the currency must be CHF or EUR");
	if ((rc = check_address(err, buf, ls, 20, es, 0)) != QR_OK)
		return rc;
	iid = (ls[3].s[4] - '0') * 10000 + (ls[3].s[5] - '0') * 1000 + (ls[3].s[6] - '0') * 100 +
		  (ls[3].s[7] - '0') * 10 + (ls[3].s[8] - '0');
	if (is_eq(&ls[27], "QRR"))
	{
		if (!qrr_valid(ls[28].s, ls[28].n))
			return bad_line(err, buf, &ls[28], "swiss_qr", &es[28],
							"a QR reference is 27 digits whose last is the mod 10 recursive check digit");
		if (iid < 30000 || iid > 31999)
			return bad_line(err, buf, &ls[27], "swiss_qr", &es[27],
							"a QR reference needs a QR-IBAN (institution id 30000-31999)");
	}
	else if (is_eq(&ls[27], "SCOR") || is_eq(&ls[27], "NON"))
	{
		if (is_eq(&ls[27], "SCOR") && !scor_valid(ls[28].s, ls[28].n))
			return bad_line(err, buf, &ls[28], "swiss_qr", &es[28],
							"not an ISO 11649 creditor reference (RF, check digits, mod 97)");
		if (is_eq(&ls[27], "NON") && ls[28].n > 0)
			return bad_line(err, buf, &ls[28], "swiss_qr", &es[28],
							"reference type NON carries no reference");
		if (iid >= 30000 && iid <= 31999)
			return bad_line(err, buf, &ls[27], "swiss_qr", &es[27],
							"a QR-IBAN (institution id 30000-31999) must be used with reference type QRR");
	}
	else
		return bad_line(err, buf, &ls[27], "swiss_qr", &es[27], "the reference type must be QRR, SCOR or NON");
	if (!is_eq(&ls[30], "EPD"))
		return bad_line(err, buf, &ls[30], "swiss_qr", &es[30], "the trailer must be EPD");
	return QR_OK;
}

int
qr_swiss_fields(const char *buf, size_t len, qr_field_fn fn, void *arg)
{
	line		ls[CH_ELEMS + 1];
	elem		es[CH_ELEMS];
	int			more,
				n = ch_lines(buf, len, ls, &more);

	if (n > CH_ELEMS)
		n = CH_ELEMS;
	ch_elems(ls, n, es);
	return emit_lines(ls, n, es, fn, arg);
}

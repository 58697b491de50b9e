/*
 * qr_names.c — names the specs give to data objects, and ISO 4217 codes.
 */
#include <stdlib.h>
#include <string.h>

#include "qrpay_core.h"

/* EMVCo MPM Table 3.6 (root) and Table 4.1 (merchant account ranges) */
static const char *
root_name(int id)
{
	switch (id)
	{
		case 0:
			return "Payload Format Indicator";
		case 1:
			return "Point of Initiation Method";
		case 2:
		case 3:
			return "Merchant Account Information (Visa)";
		case 4:
		case 5:
			return "Merchant Account Information (Mastercard)";
		case 9:
		case 10:
			return "Merchant Account Information (Discover)";
		case 11:
		case 12:
			return "Merchant Account Information (Amex)";
		case 13:
		case 14:
			return "Merchant Account Information (JCB)";
		case 15:
		case 16:
			return "Merchant Account Information (UnionPay)";
		case 52:
			return "Merchant Category Code";
		case 53:
			return "Transaction Currency";
		case 54:
			return "Transaction Amount";
		case 55:
			return "Tip or Convenience Indicator";
		case 56:
			return "Value of Convenience Fee Fixed";
		case 57:
			return "Value of Convenience Fee Percentage";
		case 58:
			return "Country Code";
		case 59:
			return "Merchant Name";
		case 60:
			return "Merchant City";
		case 61:
			return "Postal Code";
		case 62:
			return "Additional Data Field Template";
		case 63:
			return "CRC";
		case 64:
			return "Merchant Information—Language Template";
	}
	if ((id >= 6 && id <= 8) || (id >= 17 && id <= 25))
		return "Merchant Account Information (reserved by EMVCo)";
	if (id >= 26 && id <= 51)
		return "Merchant Account Information";
	if (id >= 65 && id <= 79)
		return "RFU for EMVCo";
	return "Unreserved Template";
}

/* Table 3.7 */
static const char *
additional_data_name(int id)
{
	static const char *const names[] = {
		NULL, "Bill Number", "Mobile Number", "Store Label", "Loyalty Number",
		"Reference Label", "Customer Label", "Terminal Label",
		"Purpose of Transaction", "Additional Consumer Data Request"
	};

	if (id >= 1 && id <= 9)
		return names[id];
	if (id >= 50)
		return "Payment System specific template";
	return "RFU for EMVCo";
}

/* Table 3.8 */
static const char *
language_name(int id)
{
	switch (id)
	{
		case 0:
			return "Language Preference";
		case 1:
			return "Merchant Name—Alternate Language";
		case 2:
			return "Merchant City—Alternate Language";
	}
	return "RFU for EMVCo";
}

const char *
qr_emv_field_name(const int *ids, int depth)
{
	int			top = ids[0];

	if (depth <= 1)
		return root_name(top);
	if (depth == 2)
	{
		if (top == 62)
			return additional_data_name(ids[1]);
		if (top == 64)
			return language_name(ids[1]);
		/* 26-51 and 80-99: §4.7.10 and §4.7.13 define only sub-id 00 */
		if (ids[1] == 0)
			return "Globally Unique Identifier";
		return top >= 80 ? "Context Specific Data" : "Payment Network Specific";
	}
	if (ids[2] == 0)
		return "Globally Unique Identifier";
	return "Payment System Specific";
}

/* ------------------------------------------------------------------ */
/* ISO 4217: codes and minor units                                     */
/* ------------------------------------------------------------------ */

typedef struct iso4217
{
	short		num;
	char		alpha[4];
	signed char minor;			/* decimals of the minor unit; -1: N.A. */
} iso4217;

/*
 * ISO 4217, list one (current currency and funds codes), sorted by
 * number for bsearch, plus codes withdrawn recently enough to appear in
 * stored historical payments (HRK, SLL: 2 decimals, as when current).
 * minor is the list's "Minor unit" column: 0 for currencies without a
 * minor unit in use (JPY, KRW, the CFA and CFP francs, ...), 3 for the
 * dinars of Bahrain, Iraq, Jordan, Kuwait, Libya and Tunisia and the Omani
 * rial, 4 for the units of account CLF and UYW, 2 for the rest; the list
 * gives N.A. (-1 here) for the precious metals, the bond market units,
 * XDR, XSU, XUA, the testing code XTS and the no-currency code (999).
 */
static const iso4217 currencies[] = {
	{8, "ALL", 2}, {12, "DZD", 2}, {32, "ARS", 2}, {36, "AUD", 2}, {44, "BSD", 2},
	{48, "BHD", 3}, {50, "BDT", 2}, {51, "AMD", 2}, {52, "BBD", 2}, {60, "BMD", 2},
	{64, "BTN", 2}, {68, "BOB", 2}, {72, "BWP", 2}, {84, "BZD", 2}, {90, "SBD", 2},
	{96, "BND", 2}, {104, "MMK", 2}, {108, "BIF", 0}, {116, "KHR", 2}, {124, "CAD", 2},
	{132, "CVE", 2}, {136, "KYD", 2}, {144, "LKR", 2}, {152, "CLP", 0}, {156, "CNY", 2},
	{170, "COP", 2}, {174, "KMF", 0}, {188, "CRC", 2}, {191, "HRK", 2}, {192, "CUP", 2},
	{203, "CZK", 2}, {208, "DKK", 2}, {214, "DOP", 2}, {222, "SVC", 2}, {230, "ETB", 2},
	{232, "ERN", 2}, {238, "FKP", 2}, {242, "FJD", 2}, {262, "DJF", 0}, {270, "GMD", 2},
	{292, "GIP", 2}, {320, "GTQ", 2}, {324, "GNF", 0}, {328, "GYD", 2}, {332, "HTG", 2},
	{340, "HNL", 2}, {344, "HKD", 2}, {348, "HUF", 2}, {352, "ISK", 0}, {356, "INR", 2},
	{360, "IDR", 2}, {364, "IRR", 2}, {368, "IQD", 3}, {376, "ILS", 2}, {388, "JMD", 2},
	{392, "JPY", 0}, {398, "KZT", 2}, {400, "JOD", 3}, {404, "KES", 2}, {408, "KPW", 2},
	{410, "KRW", 0}, {414, "KWD", 3}, {417, "KGS", 2}, {418, "LAK", 2}, {422, "LBP", 2},
	{426, "LSL", 2}, {430, "LRD", 2}, {434, "LYD", 3}, {446, "MOP", 2}, {454, "MWK", 2},
	{458, "MYR", 2}, {462, "MVR", 2}, {480, "MUR", 2}, {484, "MXN", 2}, {496, "MNT", 2},
	{498, "MDL", 2}, {504, "MAD", 2}, {512, "OMR", 3}, {516, "NAD", 2}, {524, "NPR", 2},
	{532, "ANG", 2}, {533, "AWG", 2}, {548, "VUV", 0}, {554, "NZD", 2}, {558, "NIO", 2},
	{566, "NGN", 2}, {578, "NOK", 2}, {586, "PKR", 2}, {590, "PAB", 2}, {598, "PGK", 2},
	{600, "PYG", 0}, {604, "PEN", 2}, {608, "PHP", 2}, {634, "QAR", 2}, {643, "RUB", 2},
	{646, "RWF", 0}, {654, "SHP", 2}, {682, "SAR", 2}, {690, "SCR", 2}, {694, "SLL", 2},
	{702, "SGD", 2}, {704, "VND", 0}, {706, "SOS", 2}, {710, "ZAR", 2}, {728, "SSP", 2},
	{748, "SZL", 2}, {752, "SEK", 2}, {756, "CHF", 2}, {760, "SYP", 2}, {764, "THB", 2},
	{776, "TOP", 2}, {780, "TTD", 2}, {784, "AED", 2}, {788, "TND", 3}, {800, "UGX", 0},
	{807, "MKD", 2}, {818, "EGP", 2}, {826, "GBP", 2}, {834, "TZS", 2}, {840, "USD", 2},
	{858, "UYU", 2}, {860, "UZS", 2}, {882, "WST", 2}, {886, "YER", 2}, {901, "TWD", 2},
	{924, "ZWG", 2}, {925, "SLE", 2}, {926, "VED", 2}, {927, "UYW", 4}, {928, "VES", 2},
	{929, "MRU", 2}, {930, "STN", 2}, {931, "CUC", 2}, {932, "ZWL", 2}, {933, "BYN", 2},
	{934, "TMT", 2}, {936, "GHS", 2}, {938, "SDG", 2}, {940, "UYI", 0}, {941, "RSD", 2},
	{943, "MZN", 2}, {944, "AZN", 2}, {946, "RON", 2}, {947, "CHE", 2}, {948, "CHW", 2},
	{949, "TRY", 2}, {950, "XAF", 0}, {951, "XCD", 2}, {952, "XOF", 0}, {953, "XPF", 0},
	{955, "XBA", -1}, {956, "XBB", -1}, {957, "XBC", -1}, {958, "XBD", -1}, {959, "XAU", -1},
	{960, "XDR", -1}, {961, "XAG", -1}, {962, "XPT", -1}, {963, "XTS", -1}, {964, "XPD", -1},
	{965, "XUA", -1}, {967, "ZMW", 2}, {968, "SRD", 2}, {969, "MGA", 2}, {970, "COU", 2},
	{971, "AFN", 2}, {972, "TJS", 2}, {973, "AOA", 2}, {975, "BGN", 2}, {976, "CDF", 2},
	{977, "BAM", 2}, {978, "EUR", 2}, {979, "MXV", 2}, {980, "UAH", 2}, {981, "GEL", 2},
	{984, "BOV", 2}, {985, "PLN", 2}, {986, "BRL", 2}, {990, "CLF", 4}, {994, "XSU", -1},
	{997, "USN", 2}, {999, "XXX", -1},
};

#define N_CURRENCIES (sizeof(currencies) / sizeof(currencies[0]))

/* The same codes in alphabetical order, for the lookup by letters. */
typedef struct iso4217_alpha
{
	char		alpha[4];
	short		num;
} iso4217_alpha;

static const iso4217_alpha by_alpha[] = {
	{"AED", 784}, {"AFN", 971}, {"ALL", 8}, {"AMD", 51}, {"ANG", 532}, {"AOA", 973},
	{"ARS", 32}, {"AUD", 36}, {"AWG", 533}, {"AZN", 944}, {"BAM", 977}, {"BBD", 52},
	{"BDT", 50}, {"BGN", 975}, {"BHD", 48}, {"BIF", 108}, {"BMD", 60}, {"BND", 96}, {"BOB", 68},
	{"BOV", 984}, {"BRL", 986}, {"BSD", 44}, {"BTN", 64}, {"BWP", 72}, {"BYN", 933},
	{"BZD", 84}, {"CAD", 124}, {"CDF", 976}, {"CHE", 947}, {"CHF", 756}, {"CHW", 948},
	{"CLF", 990}, {"CLP", 152}, {"CNY", 156}, {"COP", 170}, {"COU", 970}, {"CRC", 188},
	{"CUC", 931}, {"CUP", 192}, {"CVE", 132}, {"CZK", 203}, {"DJF", 262}, {"DKK", 208},
	{"DOP", 214}, {"DZD", 12}, {"EGP", 818}, {"ERN", 232}, {"ETB", 230}, {"EUR", 978},
	{"FJD", 242}, {"FKP", 238}, {"GBP", 826}, {"GEL", 981}, {"GHS", 936}, {"GIP", 292},
	{"GMD", 270}, {"GNF", 324}, {"GTQ", 320}, {"GYD", 328}, {"HKD", 344}, {"HNL", 340},
	{"HRK", 191}, {"HTG", 332}, {"HUF", 348}, {"IDR", 360}, {"ILS", 376}, {"INR", 356},
	{"IQD", 368}, {"IRR", 364}, {"ISK", 352}, {"JMD", 388}, {"JOD", 400}, {"JPY", 392},
	{"KES", 404}, {"KGS", 417}, {"KHR", 116}, {"KMF", 174}, {"KPW", 408}, {"KRW", 410},
	{"KWD", 414}, {"KYD", 136}, {"KZT", 398}, {"LAK", 418}, {"LBP", 422}, {"LKR", 144},
	{"LRD", 430}, {"LSL", 426}, {"LYD", 434}, {"MAD", 504}, {"MDL", 498}, {"MGA", 969},
	{"MKD", 807}, {"MMK", 104}, {"MNT", 496}, {"MOP", 446}, {"MRU", 929}, {"MUR", 480},
	{"MVR", 462}, {"MWK", 454}, {"MXN", 484}, {"MXV", 979}, {"MYR", 458}, {"MZN", 943},
	{"NAD", 516}, {"NGN", 566}, {"NIO", 558}, {"NOK", 578}, {"NPR", 524}, {"NZD", 554},
	{"OMR", 512}, {"PAB", 590}, {"PEN", 604}, {"PGK", 598}, {"PHP", 608}, {"PKR", 586},
	{"PLN", 985}, {"PYG", 600}, {"QAR", 634}, {"RON", 946}, {"RSD", 941}, {"RUB", 643},
	{"RWF", 646}, {"SAR", 682}, {"SBD", 90}, {"SCR", 690}, {"SDG", 938}, {"SEK", 752},
	{"SGD", 702}, {"SHP", 654}, {"SLE", 925}, {"SLL", 694}, {"SOS", 706}, {"SRD", 968},
	{"SSP", 728}, {"STN", 930}, {"SVC", 222}, {"SYP", 760}, {"SZL", 748}, {"THB", 764},
	{"TJS", 972}, {"TMT", 934}, {"TND", 788}, {"TOP", 776}, {"TRY", 949}, {"TTD", 780},
	{"TWD", 901}, {"TZS", 834}, {"UAH", 980}, {"UGX", 800}, {"USD", 840}, {"USN", 997},
	{"UYI", 940}, {"UYU", 858}, {"UYW", 927}, {"UZS", 860}, {"VED", 926}, {"VES", 928},
	{"VND", 704}, {"VUV", 548}, {"WST", 882}, {"XAF", 950}, {"XAG", 961}, {"XAU", 959},
	{"XBA", 955}, {"XBB", 956}, {"XBC", 957}, {"XBD", 958}, {"XCD", 951}, {"XDR", 960},
	{"XOF", 952}, {"XPD", 964}, {"XPF", 953}, {"XPT", 962}, {"XSU", 994}, {"XTS", 963},
	{"XUA", 965}, {"XXX", 999}, {"YER", 886}, {"ZAR", 710}, {"ZMW", 967}, {"ZWG", 924},
	{"ZWL", 932},
};

static int
cmp_iso(const void *k, const void *e)
{
	return (int) *(const short *) k - (int) ((const iso4217 *) e)->num;
}

static int
cmp_alpha(const void *k, const void *e)
{
	return memcmp(k, ((const iso4217_alpha *) e)->alpha, 3);
}

static const iso4217 *
by_number(const char *num, size_t len)
{
	short		key;

	if (len != 3)
		return NULL;
	for (size_t i = 0; i < 3; i++)
		if (num[i] < '0' || num[i] > '9')
			return NULL;
	key = (short) ((num[0] - '0') * 100 + (num[1] - '0') * 10 + (num[2] - '0'));
	return bsearch(&key, currencies, N_CURRENCIES, sizeof(currencies[0]), cmp_iso);
}

/* the entry of a 3-digit or 3-letter code (letters in either case) */
static const iso4217 *
by_code(const char *code, size_t len)
{
	char		up[3];
	const iso4217_alpha *hit;

	if (len != 3)
		return NULL;
	if (code[0] >= '0' && code[0] <= '9')
		return by_number(code, len);
	for (size_t i = 0; i < 3; i++)
	{
		char		c = code[i];

		if (c >= 'a' && c <= 'z')
			c = (char) (c - 'a' + 'A');
		if (c < 'A' || c > 'Z')
			return NULL;
		up[i] = c;
	}
	hit = bsearch(up, by_alpha, sizeof(by_alpha) / sizeof(by_alpha[0]),
				  sizeof(by_alpha[0]), cmp_alpha);
	return hit ? bsearch(&hit->num, currencies, N_CURRENCIES, sizeof(currencies[0]), cmp_iso) : NULL;
}

const char *
qr_iso4217_alpha(const char *num, size_t len)
{
	const iso4217 *hit = by_number(num, len);

	return hit ? hit->alpha : NULL;
}

int
qr_iso4217_number(const char *code, size_t len)
{
	const iso4217 *hit = by_code(code, len);

	return hit ? hit->num : -1;
}

int
qr_iso4217_minor(const char *code, size_t len)
{
	const iso4217 *hit = by_code(code, len);

	return hit ? hit->minor : -1;
}

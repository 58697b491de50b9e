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
/* ISO 4217: numeric to alphabetic                                     */
/* ------------------------------------------------------------------ */

typedef struct iso4217
{
	short		num;
	char		alpha[4];
} iso4217;

/*
 * Current ISO 4217 list (sorted by number for bsearch), plus codes
 * withdrawn recently enough to appear in stored historical payments
 * (HRK, SLL).
 */
static const iso4217 currencies[] = {
	{8, "ALL"}, {12, "DZD"}, {32, "ARS"}, {36, "AUD"}, {44, "BSD"},
	{48, "BHD"}, {50, "BDT"}, {51, "AMD"}, {52, "BBD"}, {60, "BMD"},
	{64, "BTN"}, {68, "BOB"}, {72, "BWP"}, {84, "BZD"}, {90, "SBD"},
	{96, "BND"}, {104, "MMK"}, {108, "BIF"}, {116, "KHR"}, {124, "CAD"},
	{132, "CVE"}, {136, "KYD"}, {144, "LKR"}, {152, "CLP"}, {156, "CNY"},
	{170, "COP"}, {174, "KMF"}, {188, "CRC"}, {191, "HRK"}, {192, "CUP"},
	{203, "CZK"}, {208, "DKK"}, {214, "DOP"}, {222, "SVC"}, {230, "ETB"},
	{232, "ERN"}, {238, "FKP"}, {242, "FJD"}, {262, "DJF"}, {270, "GMD"},
	{292, "GIP"}, {320, "GTQ"}, {324, "GNF"}, {328, "GYD"}, {332, "HTG"},
	{340, "HNL"}, {344, "HKD"}, {348, "HUF"}, {352, "ISK"}, {356, "INR"},
	{360, "IDR"}, {364, "IRR"}, {368, "IQD"}, {376, "ILS"}, {388, "JMD"},
	{392, "JPY"}, {398, "KZT"}, {400, "JOD"}, {404, "KES"}, {408, "KPW"},
	{410, "KRW"}, {414, "KWD"}, {417, "KGS"}, {418, "LAK"}, {422, "LBP"},
	{426, "LSL"}, {430, "LRD"}, {434, "LYD"}, {446, "MOP"}, {454, "MWK"},
	{458, "MYR"}, {462, "MVR"}, {480, "MUR"}, {484, "MXN"}, {496, "MNT"},
	{498, "MDL"}, {504, "MAD"}, {512, "OMR"}, {516, "NAD"}, {524, "NPR"},
	{532, "ANG"}, {533, "AWG"}, {548, "VUV"}, {554, "NZD"}, {558, "NIO"},
	{566, "NGN"}, {578, "NOK"}, {586, "PKR"}, {590, "PAB"}, {598, "PGK"},
	{600, "PYG"}, {604, "PEN"}, {608, "PHP"}, {634, "QAR"}, {643, "RUB"},
	{646, "RWF"}, {654, "SHP"}, {682, "SAR"}, {690, "SCR"}, {694, "SLL"},
	{702, "SGD"}, {704, "VND"}, {706, "SOS"}, {710, "ZAR"}, {728, "SSP"},
	{748, "SZL"}, {752, "SEK"}, {756, "CHF"}, {760, "SYP"}, {764, "THB"},
	{776, "TOP"}, {780, "TTD"}, {784, "AED"}, {788, "TND"}, {800, "UGX"},
	{807, "MKD"}, {818, "EGP"}, {826, "GBP"}, {834, "TZS"}, {840, "USD"},
	{858, "UYU"}, {860, "UZS"}, {882, "WST"}, {886, "YER"}, {901, "TWD"},
	{924, "ZWG"}, {925, "SLE"}, {926, "VED"}, {927, "UYW"}, {928, "VES"},
	{929, "MRU"}, {930, "STN"}, {931, "CUC"}, {932, "ZWL"}, {933, "BYN"},
	{934, "TMT"}, {936, "GHS"}, {938, "SDG"}, {940, "UYI"}, {941, "RSD"},
	{943, "MZN"}, {944, "AZN"}, {946, "RON"}, {947, "CHE"}, {948, "CHW"},
	{949, "TRY"}, {950, "XAF"}, {951, "XCD"}, {952, "XOF"}, {953, "XPF"},
	{955, "XBA"}, {956, "XBB"}, {957, "XBC"}, {958, "XBD"}, {959, "XAU"},
	{960, "XDR"}, {961, "XAG"}, {962, "XPT"}, {963, "XTS"}, {964, "XPD"},
	{965, "XUA"}, {967, "ZMW"}, {968, "SRD"}, {969, "MGA"}, {970, "COU"},
	{971, "AFN"}, {972, "TJS"}, {973, "AOA"}, {975, "BGN"}, {976, "CDF"},
	{977, "BAM"}, {978, "EUR"}, {979, "MXV"}, {980, "UAH"}, {981, "GEL"},
	{984, "BOV"}, {985, "PLN"}, {986, "BRL"}, {990, "CLF"}, {994, "XSU"},
	{997, "USN"}, {999, "XXX"},
};

static int
cmp_iso(const void *k, const void *e)
{
	return (int) *(const short *) k - (int) ((const iso4217 *) e)->num;
}

const char *
qr_iso4217_alpha(const char *num, size_t len)
{
	short		key;
	const iso4217 *hit;

	if (len != 3)
		return NULL;
	for (size_t i = 0; i < 3; i++)
		if (num[i] < '0' || num[i] > '9')
			return NULL;
	key = (short) ((num[0] - '0') * 100 + (num[1] - '0') * 10 + (num[2] - '0'));
	hit = bsearch(&key, currencies, sizeof(currencies) / sizeof(currencies[0]),
				  sizeof(currencies[0]), cmp_iso);
	return hit ? hit->alpha : NULL;
}

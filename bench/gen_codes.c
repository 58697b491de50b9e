/*
 * gen_codes: write N valid payment QR payloads, one a line, in the mix a
 * Chinese acquirer's transaction table holds.
 *
 *   gen_codes N [seed] [--emv-only] > payloads.txt
 *
 * Lines use COPY's text escapes (\n for the line breaks of EPC and Swiss
 * QR-bill payloads), so that the file loads with COPY unchanged.
 *
 * Mostly consumer codes (WeChat Pay, Alipay, UnionPay, e-CNY) and China
 * merchant URL codes, then EMVCo merchant-presented codes, whose national
 * profiles and shapes follow the real codes in test/data/vectors.tsv, and
 * a tail of the other formats (EMVCo CPM, UPI, EPC, Swiss QR-bill, SPAYD,
 * BezahlCode) as cross-border and foreign-card traffic.  --emv-only writes
 * only the EMVCo MPM profiles.  Output is a pure function of N, the seed
 * and the option.
 *
 * Every payload is checked twice before it is written: by the builder
 * (character-counted lengths, one ID per level, value limits) and by
 * qr_validate() from the core library, so a benchmark can never quietly
 * measure the rejection path.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qrpay_core.h"

#define PAYLOAD_MAX 2048

/* ------------------------------------------------------------------ */
/* PRNG: splitmix64, so the same seed gives the same file everywhere   */
/* ------------------------------------------------------------------ */

static uint64_t rng_state;

static uint64_t
rng_next(void)
{
	uint64_t	z = (rng_state += UINT64_C(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

/* Uniform in [0, n); the modulo bias is irrelevant at these sizes. */
static unsigned
rnd(unsigned n)
{
	return (unsigned) ((rng_next() >> 11) % n);
}

/* True with probability pct/100. */
static int
chance(unsigned pct)
{
	return rnd(100) < pct;
}

#define PICK(arr) ((arr)[rnd(sizeof(arr) / sizeof((arr)[0]))])

static void
digits(char *out, int n)
{
	for (int i = 0; i < n; i++)
		out[i] = (char) ('0' + rnd(10));
	out[n] = '\0';
}

static void
hexstr(char *out, int n, int upper)
{
	const char *hx = upper ? "0123456789ABCDEF" : "0123456789abcdef";

	for (int i = 0; i < n; i++)
		out[i] = hx[rnd(16)];
	out[n] = '\0';
}

static void
alnum(char *out, int n)
{
	static const char set[] = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789";

	for (int i = 0; i < n; i++)
		out[i] = set[rnd(sizeof(set) - 1)];
	out[n] = '\0';
}

static void
uuid4(char *out)
{
	char		h[33];

	hexstr(h, 32, 0);
	h[12] = '4';
	h[16] = "89ab"[rnd(4)];
	snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", h, h + 8, h + 12, h + 16, h + 20);
}

/* ------------------------------------------------------------------ */
/* Failure                                                             */
/* ------------------------------------------------------------------ */

static unsigned long cur_row;

static void
die(const char *what, const char *detail)
{
	fprintf(stderr, "gen_codes: row %lu: %s%s%s\n", cur_row, what,
			detail ? ": " : "", detail ? detail : "");
	exit(1);
}

/* ------------------------------------------------------------------ */
/* TLV builder                                                         */
/* ------------------------------------------------------------------ */

/*
 * One TLV level, written by the core's appenders (qr_tlv_append,
 * qr_crc_append) into out, a qr_buf over b one byte short of it.  seen[]
 * catches a profile that emits an ID twice, which qr_validate would also
 * reject, but here the message names the profile code at fault.
 */
typedef struct level
{
	char		b[PAYLOAD_MAX];
	qr_buf		out;
	unsigned char seen[100];
} level;

static void
lv_init(level *l)
{
	qr_buf_init(&l->out, l->b, sizeof(l->b) - 1);
	memset(l->seen, 0, sizeof(l->seen));
}

/* Appends one data object; returns its length in characters (1..99). */
static int
put_n(level *l, int id, const char *v, size_t vbytes)
{
	char		hdr[8];
	int			chars;

	if (id < 0 || id > 99)
		die("data object ID out of range", NULL);
	snprintf(hdr, sizeof(hdr), "%02d", id);
	if (l->seen[id])
		die("duplicate ID at one level", hdr);
	chars = qr_tlv_append(&l->out, id, v, vbytes);
	if (chars < 1 || chars > 99)
		die("value length not in 1..99 characters", hdr);
	if (l->out.len > l->out.cap)
		die("payload buffer overflow", NULL);
	l->seen[id] = 1;
	return chars;
}

static void
put(level *l, int id, const char *v)
{
	put_n(l, id, v, strlen(v));
}

static void
put_tpl(level *l, int id, const level *t)
{
	put_n(l, id, t->out.data, t->out.len);
}

/* A value with a character limit and, for ans fields, printable ASCII only. */
static void
put_lim(level *l, int id, const char *v, int maxchars, int ans)
{
	char		where[64];

	snprintf(where, sizeof(where), "ID %02d value \"%s\"", id, v);
	if (ans)
		for (const char *p = v; *p; p++)
			if ((unsigned char) *p < 0x20 || (unsigned char) *p > 0x7E)
				die("non-ans character in an ans field", where);
	if (put_n(l, id, v, strlen(v)) > maxchars)
		die("value longer than its limit", where);
}

/* ------------------------------------------------------------------ */
/* Shared field makers                                                 */
/* ------------------------------------------------------------------ */

/* Amount with two decimals, skewed towards small tickets like real sales. */
static void
amount_dec(char *out)
{
	unsigned	units;

	switch (rnd(4))
	{
		case 0:
			units = 1 + rnd(20);
			break;
		case 1:
			units = 1 + rnd(100);
			break;
		case 2:
			units = 10 + rnd(500);
			break;
		default:
			units = 100 + rnd(5000);
			break;
	}
	if (chance(30))
		sprintf(out, "%u.00", units);
	else
		sprintf(out, "%u.%02u", units, rnd(100));
}

/* Amount in a currency quoted without decimals (IDR, VND, KHR). */
static void
amount_int(char *out, unsigned step, unsigned maxsteps)
{
	sprintf(out, "%u", step * (1 + rnd(maxsteps)));
}

/* Join words and cut at a limit on a word boundary, trimming the tail. */
static void
join_name(char *out, size_t lim, const char *a, const char *b)
{
	char		tmp[128];
	size_t		n;

	snprintf(tmp, sizeof(tmp), "%s%s%s", a, (b && *b) ? " " : "", b ? b : "");
	n = strlen(tmp);
	if (n > lim)
	{
		n = lim;
		while (n > 0 && tmp[n] != ' ')
			n--;
		if (n == 0)
			n = lim;
	}
	while (n > 0 && tmp[n - 1] == ' ')
		n--;
	memcpy(out, tmp, n);
	out[n] = '\0';
}

static const char *const mcc_retail[] = {
	"5411", "5499", "5812", "5814", "5912", "5311", "5651", "5732", "5942",
	"5462", "5541", "5999", "7230", "7011", "4121", "5691", "5945", "8062",
	"5311", "5812", "5812", "5411", "5499", "5814"
};

/* ------------------------------------------------------------------ */
/* Profiles                                                            */
/* ------------------------------------------------------------------ */

/*
 * Each profile fills root (00 already in place) with everything up to but
 * excluding 63.  dyn selects the dynamic form (01=12, usually an amount).
 */

/* China UnionPay: primitive tag 15 and a Chinese-language template 64. */
static void
prof_unionpay_cn(level *root, int dyn)
{
	static const struct
	{
		const char *py;
		const char *zh;
		const char *area;
	}			city[] = {
		{"SHANGHAI", "上海", "2900"}, {"BEIJING", "北京", "1000"},
		{"GUANGZHOU", "广州", "5810"}, {"SHENZHEN", "深圳", "5840"},
		{"HANGZHOU", "杭州", "3310"}, {"CHENGDU", "成都", "6510"},
		{"WUHAN", "武汉", "5210"}, {"NANJING", "南京", "3010"},
		{"XIAN", "西安", "7910"}, {"SUZHOU", "苏州", "3050"},
		{"CHONGQING", "重庆", "6530"}, {"TIANJIN", "天津", "1100"},
	};
	static const struct
	{
		const char *py;
		const char *zh;
	}			brand[] = {
		{"XINGFU", "幸福"}, {"JINLONG", "金龙"}, {"HUAMEI", "华美"},
		{"DAFA", "大发"}, {"LAOZIHAO", "老字号"}, {"YONGHE", "永和"},
		{"TIANTIAN", "天天"}, {"HAOYUN", "好运"}, {"MINGYUE", "明月"},
		{"FUXING", "复兴"}, {"XIANGYANG", "向阳"}, {"CHANGSHENG", "长盛"},
	};
	static const struct
	{
		const char *en;
		const char *zh;
		const char *mcc;
	}			kind[] = {
		{"NOODLE HOUSE", "面馆", "5812"}, {"SUPERMARKET", "超市", "5411"},
		{"PHARMACY", "大药房", "5912"}, {"BAKERY", "面包房", "5462"},
		{"TEA HOUSE", "茶楼", "5812"}, {"CONVENIENCE STORE", "便利店", "5499"},
		{"HOTEL", "大酒店", "7011"}, {"FRUIT SHOP", "水果店", "5499"},
		{"ELECTRONICS", "电器城", "5732"}, {"FASHION", "服装店", "5651"},
		{"HOTPOT", "火锅店", "5812"}, {"BOOKSTORE", "书店", "5942"},
		{"HAIR SALON", "美发店", "7230"}, {"PETROL STATION", "加油站", "5541"},
		{"DUMPLING HOUSE", "饺子馆", "5814"}, {"DEPARTMENT STORE", "百货", "5311"},
	};
	static const char *const branch[] = {
		"（旗舰店）", "（南京路店）", "（人民广场店）", "（二店）", "（中山路店）",
		"（火车站店）"
	};
	static const char *const acq_iin[] = {
		"48020000", "48030000", "48040000", "48050000", "48100000",
		"48210000", "48270000", "48480000", "49900156", "48560000"
	};
	int			c = rnd(sizeof(city) / sizeof(city[0]));
	int			b = rnd(sizeof(brand) / sizeof(brand[0]));
	int			k = rnd(sizeof(kind) / sizeof(kind[0]));
	char		v[128],
				mid[32],
				d[16];
	level		t;

	/* 8-digit acquirer IIN, 8-digit forwarding IIN, 15-character MID */
	digits(d, 4);
	snprintf(mid, sizeof(mid), "898%s%s%s", city[c].area, kind[k].mcc, d);
	snprintf(v, sizeof(v), "%s%s%s", PICK(acq_iin),
			 chance(70) ? "00010344" : "00010156", mid);
	if (strlen(v) != 31)
		die("UnionPay tag 15 is not 31 characters", v);
	put(root, 15, v);
	put(root, 52, chance(85) ? kind[k].mcc : PICK(mcc_retail));
	put(root, 53, "156");
	if (dyn)
	{
		amount_dec(v);
		put(root, 54, v);
	}
	put(root, 58, "CN");
	join_name(v, 25, brand[b].py, kind[k].en);
	put_lim(root, 59, v, 25, 1);
	put_lim(root, 60, city[c].py, 15, 1);

	lv_init(&t);
	if (dyn)
	{
		digits(d, 12);
		snprintf(v, sizeof(v), "2025%s", d);
	}
	else
	{
		digits(d, 6);
		snprintf(v, sizeof(v), "REF%s", d);
	}
	put_lim(&t, 5, v, 25, 0);
	snprintf(v, sizeof(v), "T%07u", rnd(10000000));
	put_lim(&t, 7, v, 25, 0);
	put_tpl(root, 62, &t);

	lv_init(&t);
	put(&t, 0, "ZH");
	snprintf(v, sizeof(v), "%s%s%s%s", chance(50) ? city[c].zh : "", brand[b].zh,
			 kind[k].zh, chance(35) ? PICK(branch) : "");
	put_lim(&t, 1, v, 25, 0);
	put_lim(&t, 2, city[c].zh, 15, 0);
	put_tpl(root, 64, &t);
}

/* Brazil Pix: template 26 br.gov.bcb.pix, static key or dynamic URL. */
static void
prof_pix(level *root, int dyn)
{
	static const char *const shop[] = {
		"PADARIA", "MERCADO", "LOJA", "FARMACIA", "BAR", "RESTAURANTE",
		"OFICINA", "PET SHOP", "ACOUGUE", "LANCHONETE", "SORVETERIA"
	};
	static const char *const shop2[] = {
		"SAO JORGE", "DA ESQUINA", "BOA VISTA", "CENTRAL", "DO JOAO",
		"SANTA LUZIA", "ESPERANCA", "BELA VISTA", "NOVA ERA", "DO BAIRRO"
	};
	static const char *const first[] = {
		"MARIA", "JOAO", "ANA", "PEDRO", "LUCAS", "JULIANA", "CARLOS",
		"FERNANDA", "RAFAEL", "BEATRIZ", "GABRIEL", "LETICIA"
	};
	static const char *const last[] = {
		"SILVA", "SANTOS", "OLIVEIRA", "SOUZA", "PEREIRA", "COSTA",
		"RODRIGUES", "ALMEIDA", "NASCIMENTO", "CARVALHO", "FERREIRA"
	};
	static const char *const city[] = {
		"SAO PAULO", "RIO DE JANEIRO", "BRASILIA", "SALVADOR", "FORTALEZA",
		"BELO HORIZONTE", "MANAUS", "CURITIBA", "RECIFE", "PORTO ALEGRE",
		"GOIANIA", "CAMPINAS", "SAO PAULO", "SAO PAULO", "RIO DE JANEIRO"
	};
	static const char *const mail[] = {
		"gmail.com", "hotmail.com", "outlook.com", "yahoo.com.br", "uol.com.br"
	};
	static const char *const psp[] = {
		"pix.santander.com.br/qr/v2/", "qrpix.bradesco.com.br/qr/v2/",
		"pix.itau.com.br/qr/v2/cobv/", "api.pagseguro.com/pix/v2/",
		"pix.bb.com.br/api/v2/", "qr.nubank.com.br/pix/v2/"
	};
	char		v[128],
				key[80],
				d[40];
	int			is_person = chance(45);
	const char *fn = PICK(first),
				*ln = PICK(last);
	level		t;

	lv_init(&t);
	put(&t, 0, chance(85) ? "br.gov.bcb.pix" : "BR.GOV.BCB.PIX");
	if (dyn)
	{
		hexstr(d, 32, 0);
		snprintf(v, sizeof(v), "%s%s", PICK(psp), d);
		put(&t, 25, v);
	}
	else
	{
		switch (rnd(10))
		{
			case 0:
			case 1:
			case 2:
			case 3:
				uuid4(key);
				break;
			case 4:
			case 5:
				snprintf(key, sizeof(key), "%s.%s%u@%s", fn, ln, rnd(100), PICK(mail));
				for (char *p = key; *p; p++)
					if (*p >= 'A' && *p <= 'Z')
						*p = (char) (*p - 'A' + 'a');
				break;
			case 6:
			case 7:
				digits(d, 8);
				snprintf(key, sizeof(key), "+55%02u9%s", 11 + rnd(88), d);
				break;
			case 8:
				digits(key, 11);
				break;
			default:
				digits(key, 14);
				break;
		}
		put(&t, 1, key);
		if (chance(20))
		{
			snprintf(v, sizeof(v), "Pedido %u", 1 + rnd(99999));
			put(&t, 2, v);
		}
	}
	put_tpl(root, 26, &t);
	put(root, 52, "0000");
	put(root, 53, "986");
	if (dyn || chance(35))
	{
		amount_dec(v);
		put(root, 54, v);
	}
	put(root, 58, "BR");
	if (is_person)
		join_name(v, 25, fn, ln);
	else
		join_name(v, 25, PICK(shop), PICK(shop2));
	put_lim(root, 59, v, 25, 1);
	put_lim(root, 60, PICK(city), 15, 1);
	lv_init(&t);
	if (dyn || chance(60))
		put(&t, 5, "***");
	else
	{
		alnum(v, 5 + rnd(21));
		put_lim(&t, 5, v, 25, 1);
	}
	put_tpl(root, 62, &t);
}

/* Thai PromptPay credit transfer: no 52/59/60, as the real codes. */
static void
prof_promptpay(level *root, int dyn)
{
	char		v[64],
				d[32];
	level		t;
	unsigned	r = rnd(20);

	lv_init(&t);
	put(&t, 0, "A000000677010111");
	if (r < 15)
	{
		digits(d, 8);
		snprintf(v, sizeof(v), "0066%c%s", "689"[rnd(3)], d);
		put(&t, 1, v);
	}
	else if (r < 19)
	{
		digits(v, 13);
		put(&t, 2, v);
	}
	else
	{
		digits(v, 15);
		put(&t, 3, v);
	}
	put_tpl(root, 29, &t);
	put(root, 58, "TH");
	put(root, 53, "764");
	if (dyn)
	{
		amount_dec(v);
		put(root, 54, v);
	}
}

/* Singapore PayNow inside an SGQR: 26 SG.PAYNOW + 51 SG.SGQR. */
static void
prof_sgqr(level *root, int dyn)
{
	static const char *const food[] = {
		"KOPI", "NASI LEMAK", "CHICKEN RICE", "PRATA", "LAKSA", "BAK KUT TEH",
		"DIM SUM", "ROTI", "FISHBALL NOODLE", "CHAR KWAY TEOW", "DURIAN"
	};
	static const char *const suffix[] = {
		"HOUSE", "CORNER", "STALL", "KING", "EXPRESS", "PTE LTD", "& CO",
		"BISTRO", "KITCHEN"
	};
	static const char *const city[] = {"Singapore", "SINGAPORE", "SG"};
	char		v[128],
				d[40],
				postal[8];
	level		t;

	lv_init(&t);
	put(&t, 0, "SG.PAYNOW");
	if (chance(60))
	{
		put(&t, 1, "2");
		digits(d, 8);
		snprintf(v, sizeof(v), "20%.7s%c%s", d, "KMNRWXZ"[rnd(7)],
				 chance(30) ? "001" : "");
		put(&t, 2, v);
	}
	else
	{
		put(&t, 1, "0");
		digits(d, 7);
		snprintf(v, sizeof(v), "+65%c%s", "89"[rnd(2)], d);
		put(&t, 2, v);
	}
	put(&t, 3, dyn ? "0" : "1");
	if (dyn)
	{
		snprintf(v, sizeof(v), "2026%02u%02u", 1 + rnd(12), 1 + rnd(28));
		put(&t, 4, v);
	}
	put_tpl(root, 26, &t);

	if (chance(25))
	{
		lv_init(&t);
		put(&t, 0, "com.grab");
		uuid4(v);
		put(&t, 1, v);
		put_tpl(root, 27, &t);
	}

	digits(postal, 6);
	lv_init(&t);
	put(&t, 0, "SG.SGQR");
	hexstr(d, 6, 1);
	snprintf(v, sizeof(v), "%02u%02u%02u%s", 18 + rnd(8), 1 + rnd(12), 1 + rnd(28), d);
	put(&t, 1, v);
	put(&t, 2, "01.0001");
	put(&t, 3, postal);
	snprintf(v, sizeof(v), "%02u", 1 + rnd(20));
	put(&t, 4, v);
	snprintf(v, sizeof(v), "%u", 100 + rnd(900));
	put(&t, 5, v);
	put(&t, 6, "0000");
	snprintf(v, sizeof(v), "20%02u%02u%02u", 18 + rnd(8), 1 + rnd(12), 1 + rnd(28));
	put(&t, 7, v);
	put_tpl(root, 51, &t);

	put(root, 52, chance(50) ? "0000" : PICK(mcc_retail));
	put(root, 53, "702");
	if (dyn)
	{
		amount_dec(v);
		put(root, 54, v);
	}
	put(root, 58, "SG");
	join_name(v, 25, PICK(food), PICK(suffix));
	put_lim(root, 59, v, 25, 1);
	put_lim(root, 60, PICK(city), 15, 1);
	if (chance(50))
		put(root, 61, postal);
	if (dyn)
	{
		lv_init(&t);
		snprintf(v, sizeof(v), "INV%08u", rnd(100000000));
		put_lim(&t, 1, v, 25, 0);
		put_tpl(root, 62, &t);
	}
}

/* Indonesia QRIS: issuer template (26) + national template 51. */
static void
prof_qris(level *root, int dyn)
{
	static const struct
	{
		const char *guid;
		const char *nns;
	}			pjsp[] = {
		{"COM.GO-JEK.WWW", "93600914"}, {"ID.DANA.WWW", "93600915"},
		{"ID.CO.SHOPEE.WWW", "93600918"}, {"ID.CO.BANKBSI.WWW", "93600451"},
		{"ID.CO.BCA.WWW", "93600014"}, {"ID.CO.BRI.WWW", "93600002"},
		{"COM.GO-JEK.WWW", "93600914"}, {"ID.CO.QRIS.OVO", "93600912"},
	};
	static const char *const shop[] = {
		"TOKO", "WARUNG", "KEDAI", "APOTEK", "BENGKEL", "RUMAH MAKAN", "KOPI",
		"Toko", "Warung", "BAKSO", "SATE"
	};
	static const char *const shop2[] = {
		"BERKAH", "SEJAHTERA", "MAKMUR", "JAYA", "BAROKAH", "SUMBER REJEKI",
		"MANDIRI", "LESTARI", "Berkah, BNY NYR", "PAK KUMIS", "BU SRI"
	};
	static const char *const city[] = {
		"JAKARTA PUSAT", "JAKARTA SELATAN", "SURABAYA", "BANDUNG", "MEDAN",
		"SEMARANG", "MAKASSAR", "PALEMBANG", "DENPASAR", "YOGYAKARTA",
		"PROBOLINGGO", "TASIKMALAYA", "BEKASI", "TANGERANG"
	};
	static const char *const crit[] = {"UMI", "UMI", "UMI", "UKE", "UME", "UBE"};
	static const char *const mcc[] = {
		"5499", "5812", "5814", "5411", "7230", "5999", "5912", "5462", "7538"
	};
	char		v[128],
				d[32];
	const char *cr = PICK(crit);
	int			p = rnd(sizeof(pjsp) / sizeof(pjsp[0]));
	level		t;

	lv_init(&t);
	put(&t, 0, pjsp[p].guid);
	digits(d, 10);
	snprintf(v, sizeof(v), "%s%s", pjsp[p].nns, d);
	put(&t, 1, v);
	if (chance(70))
	{
		digits(d, 9);
		snprintf(v, sizeof(v), "G%s", d);
	}
	else
		digits(v, 15);
	put(&t, 2, v);
	put(&t, 3, cr);
	put_tpl(root, 26, &t);

	lv_init(&t);
	put(&t, 0, "ID.CO.QRIS.WWW");
	digits(d, 13);
	snprintf(v, sizeof(v), "ID%s", d);
	put(&t, 2, v);
	put(&t, 3, cr);
	put_tpl(root, 51, &t);

	put(root, 52, PICK(mcc));
	put(root, 53, "360");
	if (dyn)
	{
		amount_int(v, 500, 400);
		put(root, 54, v);
	}
	if (chance(5))
		put(root, 55, "01");
	put(root, 58, "ID");
	join_name(v, 25, PICK(shop), PICK(shop2));
	put_lim(root, 59, v, 25, 1);
	put_lim(root, 60, PICK(city), 15, 1);
	digits(d, 5);
	put(root, 61, d);
	lv_init(&t);
	if (dyn)
	{
		alnum(v, 12 + rnd(10));
		put_lim(&t, 5, v, 25, 0);
	}
	snprintf(v, sizeof(v), "A%02u", 1 + rnd(20));
	put_lim(&t, 7, v, 25, 0);
	put_tpl(root, 62, &t);
}

/* Vietnam VietQR (NAPAS 247) account transfer: no 52/59/60, as the real ones. */
static void
prof_vietqr(level *root, int dyn)
{
	static const char *const bin[] = {
		"970415", "970436", "970422", "970418", "970407", "970423", "970432",
		"970405", "970416", "970403"
	};
	static const char *const purpose[] = {
		"thanh toan", "chuyen tien", "tien le", "hoc phi", "tien nha",
		"mua hang", "an trua"
	};
	char		v[128],
				acct[24];
	level		t,
				acc;

	lv_init(&acc);
	put(&acc, 0, PICK(bin));
	digits(acct, 8 + rnd(8));
	put(&acc, 1, acct);

	lv_init(&t);
	put(&t, 0, "A000000727");
	put_tpl(&t, 1, &acc);
	put(&t, 2, "QRIBFTTA");
	put_tpl(root, 38, &t);
	/* the Odoo generator adds the merchant fields the NAPAS apps omit */
	if (chance(20))
	{
		put(root, 52, "0000");
		put(root, 53, "704");
		if (dyn)
		{
			amount_int(v, 1000, 2000);
			put(root, 54, v);
		}
		put(root, 58, "VN");
		join_name(v, 25, "CONG TY", chance(50) ? "MINH PHAT" : "AN KHANG");
		put_lim(root, 59, v, 25, 1);
		put_lim(root, 60, chance(50) ? "HA NOI" : "HO CHI MINH", 15, 1);
	}
	else
	{
		put(root, 53, "704");
		if (dyn)
		{
			amount_int(v, 1000, 2000);
			put(root, 54, v);
		}
		put(root, 58, "VN");
	}
	if (dyn || chance(30))
	{
		lv_init(&t);
		snprintf(v, sizeof(v), "%s %u", PICK(purpose), rnd(100000));
		put_lim(&t, 8, v, 25, 0);
		put_tpl(root, 62, &t);
	}
}

/* Cambodia KHQR (Bakong): 29/30 with name@bank, Khmer template 64, 99 timestamps. */
static void
prof_khqr(level *root, int dyn)
{
	static const char *const bank[] = {
		"aclb", "abaa", "wing", "devb", "nbcq", "ppcb", "cpbl", "ftcc"
	};
	static const char *const bankname[] = {
		"ACLEDA Bank Plc", "ABA Bank", "Wing Bank", "Dev Bank", "Canadia Bank"
	};
	static const struct
	{
		const char *lat;
		const char *km;
	}			owner[] = {
		{"sokha", "សុខា"}, {"dara", "ដារា"}, {"chan", "ចាន់"},
		{"sreypov", "ស្រីពៅ"}, {"vanna", "វណ្ណា"}, {"piseth", "ពិសិដ្ឋ"},
		{"bopha", "បុប្ផា"}, {"rith", "ឫទ្ធិ"}
	};
	static const struct
	{
		const char *en;
		const char *km;
	}			kind[] = {
		{"COFFEE", "ហាងកាហ្វេ"}, {"RESTAURANT", "ភោជនីយដ្ឋាន"},
		{"MART", "ផ្សារទំនើប"}, {"PHARMACY", "ឱសថស្ថាន"},
		{"PHONE SHOP", "ហាងទូរស័ព្ទ"}, {"BAKERY", "ហាងនំ"},
	};
	static const struct
	{
		const char *en;
		const char *km;
	}			city[] = {
		{"Phnom Penh", "ភ្នំពេញ"}, {"Siem Reap", "សៀមរាប"},
		{"Battambang", "បាត់ដំបង"}, {"Sihanoukville", "ព្រះសីហនុ"},
		{"Kampot", "កំពត"}, {"Phnom Penh", "ភ្នំពេញ"},
	};
	int			o = rnd(sizeof(owner) / sizeof(owner[0]));
	int			k = rnd(sizeof(kind) / sizeof(kind[0]));
	int			c = rnd(sizeof(city) / sizeof(city[0]));
	int			usd = chance(45);
	char		v[160],
				d[32],
				up[32];
	level		t;
	uint64_t	ts;

	lv_init(&t);
	snprintf(v, sizeof(v), "%s_%u@%s", owner[o].lat, rnd(1000), PICK(bank));
	put_lim(&t, 0, v, 32, 1);
	if (chance(35))
	{
		/* a merchant account: 30 with merchant ID and acquiring bank */
		digits(d, 6 + rnd(6));
		put(&t, 1, d);
		put(&t, 2, PICK(bankname));
		put_tpl(root, 30, &t);
	}
	else
	{
		if (chance(30))
		{
			digits(d, 9);
			snprintf(v, sizeof(v), "855%s", d);
			put(&t, 1, v);
		}
		put_tpl(root, 29, &t);
	}
	put(root, 52, "5999");
	put(root, 53, usd ? "840" : "116");
	if (dyn)
	{
		if (usd)
			amount_dec(v);
		else
			amount_int(v, 100, 2000);
		put(root, 54, v);
	}
	put(root, 58, "KH");
	snprintf(up, sizeof(up), "%s", owner[o].lat);
	up[0] = (char) (up[0] - 'a' + 'A');
	join_name(v, 25, up, kind[k].en);
	put_lim(root, 59, v, 25, 1);
	put_lim(root, 60, city[c].en, 15, 1);
	if (dyn || chance(40))
	{
		lv_init(&t);
		snprintf(v, sizeof(v), "#INV-%u", rnd(1000000));
		put_lim(&t, 1, v, 25, 0);
		if (chance(40))
		{
			digits(d, 8);
			snprintf(v, sizeof(v), "855%s", d);
			put_lim(&t, 2, v, 25, 0);
		}
		if (chance(40))
		{
			snprintf(v, sizeof(v), "Counter %u", 1 + rnd(9));
			put_lim(&t, 7, v, 25, 0);
		}
		put_tpl(root, 62, &t);
	}
	if (chance(70))
	{
		lv_init(&t);
		put(&t, 0, "km");
		snprintf(v, sizeof(v), "%s %s", kind[k].km, owner[o].km);
		put_lim(&t, 1, v, 25, 0);
		put_lim(&t, 2, city[c].km, 15, 0);
		put_tpl(root, 64, &t);
	}
	lv_init(&t);
	ts = UINT64_C(1700000000000) + ((rng_next() >> 20) % UINT64_C(60000000000));
	snprintf(v, sizeof(v), "%013llu", (unsigned long long) ts);
	put(&t, 0, v);
	if (dyn)
	{
		snprintf(v, sizeof(v), "%013llu", (unsigned long long) (ts + 900000));
		put(&t, 1, v);
	}
	put_tpl(root, 99, &t);
}

/* Hong Kong FPS: template 26 hk.com.hkicl. */
static void
prof_hkfps(level *root, int dyn)
{
	static const char *const bank[] = {"004", "012", "024", "003", "009", "015", "388"};
	static const char *const pre[] = {
		"KAM WAH", "LEE KEE", "TAI HING", "WING LOK", "SUN KWONG", "FOOK LAM"
	};
	static const char *const kind[] = {
		"CHA CHAAN TENG", "DIM SUM", "NOODLE", "BAKERY", "TRADING CO",
		"PHARMACY", "STORE"
	};
	char		v[64],
				d[32];
	level		t;

	lv_init(&t);
	put(&t, 0, "hk.com.hkicl");
	switch (rnd(4))
	{
		case 0:
			put(&t, 1, PICK(bank));
		/* fall through */
		case 1:
			digits(d, 7 + rnd(3));
			put(&t, 2, d);
			break;
		case 2:
			digits(d, 8);
			snprintf(v, sizeof(v), "+852-%s", d);
			put(&t, 3, v);
			break;
		default:
			snprintf(v, sizeof(v), "pay%u@%s.hk", rnd(10000),
					 chance(50) ? "shop" : "mail");
			put(&t, 4, v);
			break;
	}
	put_tpl(root, 26, &t);
	put(root, 52, "0000");
	put(root, 53, chance(90) ? "344" : "156");
	if (dyn)
	{
		amount_dec(v);
		put(root, 54, v);
	}
	put(root, 58, "HK");
	if (chance(40))
		put(root, 59, "NA");
	else
	{
		join_name(v, 25, PICK(pre), PICK(kind));
		put_lim(root, 59, v, 25, 1);
	}
	put_lim(root, 60, chance(60) ? "HK" : "Hong Kong", 15, 1);
	if (dyn || chance(30))
	{
		lv_init(&t);
		digits(d, 6);
		snprintf(v, sizeof(v), "INV/%s/%s", chance(50) ? "HK" : "POS", d);
		put_lim(&t, 5, v, 25, 0);
		put_tpl(root, 62, &t);
	}
}

/* ------------------------------------------------------------------ */
/* Mix                                                                 */
/* ------------------------------------------------------------------ */

typedef void (*profile_fn) (level *root, int dyn);

/* Weights out of 100 and the share of dynamic codes in each profile. */
static const struct
{
	const char *name;
	profile_fn	fn;
	unsigned	weight;
	unsigned	dyn_pct;
	int			omit_poi_pct;	/* share that omits 01 altogether */
}			mix[] = {
	{"unionpay_cn", prof_unionpay_cn, 20, 45, 0},
	{"pix", prof_pix, 22, 30, 50},
	{"promptpay", prof_promptpay, 12, 40, 0},
	{"qris", prof_qris, 14, 35, 0},
	{"vietqr", prof_vietqr, 10, 50, 0},
	{"sgqr_paynow", prof_sgqr, 8, 30, 0},
	{"khqr", prof_khqr, 8, 45, 0},
	{"hk_fps", prof_hkfps, 6, 40, 0},
};

static void
one_payload(level *root)
{
	unsigned	r = rnd(100),
				acc = 0;
	size_t		i;
	int			dyn;

	for (i = 0; i < sizeof(mix) / sizeof(mix[0]) - 1; i++)
	{
		acc += mix[i].weight;
		if (r < acc)
			break;
	}
	dyn = chance(mix[i].dyn_pct);

	lv_init(root);
	put(root, 0, "01");
	/* many static Pix codes leave the point of initiation out */
	if (dyn || !chance((unsigned) mix[i].omit_poi_pct))
		put(root, 1, dyn ? "12" : "11");
	mix[i].fn(root, dyn);
	qr_crc_append(&root->out);
	if (root->out.len > root->out.cap)
		die("payload buffer overflow", mix[i].name);
}

/* ------------------------------------------------------------------ */
/* Formats beyond EMVCo MPM                                            */
/* ------------------------------------------------------------------ */

static size_t
cat(char *out, size_t n, const char *s)
{
	size_t		k = strlen(s);

	if (n + k >= PAYLOAD_MAX)
		die("payload buffer overflow", s);
	memcpy(out + n, s, k + 1);
	return n + k;
}

static void
lower_alnum(char *out, int n)
{
	static const char set[] = "abcdefghijklmnopqrstuvwxyz0123456789";

	for (int i = 0; i < n; i++)
		out[i] = set[rnd(sizeof(set) - 1)];
	out[n] = '\0';
}

/* ISO 13616: check digits making country + check + bban mod 97 = 1 */
static void
iban(char *out, const char *country, const char *bban)
{
	unsigned	rem = 0;
	char		tmp[64];

	snprintf(tmp, sizeof(tmp), "%s%s00", bban, country);
	for (const char *c = tmp; *c; c++)
		rem = (*c >= 'A' && *c <= 'Z') ? (rem * 100 + (unsigned) (*c - 'A' + 10)) % 97
			  : (rem * 10 + (unsigned) (*c - '0')) % 97;
	snprintf(out, 40, "%s%02u%s", country, 98 - rem, bban);
}

/* China consumer codes (REFERENCE §4) */
static size_t
gen_cn_code(char *out)
{
	unsigned	r = rnd(100);
	char		d[32];

	if (r < 50)
	{
		out[0] = '1';
		out[1] = (char) ('0' + rnd(6));	/* WeChat Pay 10-15, 18 digits */
		digits(d, 16);
	}
	else if (r < 88)
	{
		unsigned	p = 25 + rnd(6);	/* Alipay 25-30, 16-24 digits */

		out[0] = (char) ('0' + p / 10);
		out[1] = (char) ('0' + p % 10);
		digits(d, 14 + (int) rnd(9));
	}
	else if (r < 98)
	{
		out[0] = '6';			/* UnionPay 62, 19 digits */
		out[1] = '2';
		digits(d, 17);
	}
	else
	{
		out[0] = '0';			/* e-CNY 01, 19 digits */
		out[1] = '1';
		digits(d, 17);
	}
	strcpy(out + 2, d);
	return strlen(out);
}

/* China merchant URL codes (REFERENCE §3) */
static size_t
gen_cn_url(char *out)
{
	unsigned	r = rnd(100);
	char		t[64];
	size_t		n = 0;

	out[0] = '\0';
	if (r < 45)
	{
		static const char *const kinds[] = {"fkx", "bax", "tsx"};

		lower_alnum(t, 17 + (int) rnd(4));
		n = cat(out, n, "https://qr.alipay.com/");
		n = cat(out, n, PICK(kinds));
		n = cat(out, n, t);
		if (chance(10))			/* upper-cased for QR alphanumeric mode */
			for (size_t i = 0; i < n; i++)
				if (out[i] >= 'a' && out[i] <= 'z')
					out[i] = (char) (out[i] - 32);
	}
	else if (r < 70)
	{
		static const char set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

		for (int i = 0; i < 28; i++)
			t[i] = set[rnd(sizeof(set) - 1)];
		t[28] = '\0';
		n = cat(out, n, "wxp://f2f0");
		n = cat(out, n, t);
	}
	else if (r < 82)
	{
		alnum(t, 7);
		n = cat(out, n, "weixin://wxpay/bizpayurl?pr=");
		n = cat(out, n, t);
	}
	else
	{
		n = cat(out, n, "https://qr.95516.com/0001000");
		t[0] = (char) ('0' + rnd(2));
		t[1] = '/';
		digits(t + 2, 32);
		n = cat(out, n, t);
	}
	return n;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* EMVCo CPM: 85 CPV01, 61 {4F AID, 50 label, 57 track 2}, 62 {64 {cryptogram...}} */
static size_t
gen_cpm(char *out)
{
	static const char *const aids[][2] = {
		{"\xA0\x00\x00\x03\x33\x01\x01\x01", "UnionPay Debit"},
		{"\xA0\x00\x00\x03\x33\x01\x01\x02", "UnionPay Credit"},
		{"\xA0\x00\x00\x00\x03\x10\x10", "VISA CREDIT"},
		{"\xA0\x00\x00\x00\x04\x10\x10", "MASTERCARD"},
	};
	unsigned char bin[256];
	size_t		k = 0,
				n = 0;
	unsigned	a = rnd(4);
	size_t		alen = a < 2 ? 8 : 7;
	size_t		llen = strlen(aids[a][1]);
	size_t		app_at,
				cd_at,
				tp_at;

	memcpy(bin, "\x85\x05" "CPV01", 7);
	k = 7;
	bin[k++] = 0x61;
	app_at = k++;
	bin[k++] = 0x4F;
	bin[k++] = (unsigned char) alen;
	memcpy(bin + k, aids[a][0], alen);
	k += alen;
	bin[k++] = 0x50;
	bin[k++] = (unsigned char) llen;
	memcpy(bin + k, aids[a][1], llen);
	k += llen;
	bin[k++] = 0x57;
	bin[k++] = 0x10;
	for (int i = 0; i < 16; i++)
		bin[k++] = (unsigned char) (i == 10 ? 0xD2 : rnd(256));
	bin[app_at] = (unsigned char) (k - app_at - 1);
	bin[k++] = 0x62;
	cd_at = k++;
	bin[k++] = 0x64;
	tp_at = k++;
	memcpy(bin + k, "\x9F\x26\x08", 3);
	k += 3;
	for (int i = 0; i < 8; i++)
		bin[k++] = (unsigned char) rnd(256);
	memcpy(bin + k, "\x9F\x36\x02", 3);
	k += 3;
	bin[k++] = (unsigned char) rnd(256);
	bin[k++] = (unsigned char) rnd(256);
	memcpy(bin + k, "\x9F\x37\x04", 3);
	k += 3;
	for (int i = 0; i < 4; i++)
		bin[k++] = (unsigned char) rnd(256);
	bin[tp_at] = (unsigned char) (k - tp_at - 1);
	bin[cd_at] = (unsigned char) (k - cd_at - 1);
	for (size_t i = 0; i < k; i += 3)
	{
		unsigned	v = (unsigned) bin[i] << 16 | (i + 1 < k ? (unsigned) bin[i + 1] << 8 : 0) |
						(i + 2 < k ? bin[i + 2] : 0);

		out[n++] = b64[v >> 18 & 63];
		out[n++] = b64[v >> 12 & 63];
		out[n++] = i + 1 < k ? b64[v >> 6 & 63] : '=';
		out[n++] = i + 2 < k ? b64[v & 63] : '=';
	}
	out[n] = '\0';
	return n;
}

static const char *const first_names[] = {"Asha", "Ravi", "Meera", "Arjun", "Priya", "Kiran"};

static size_t
gen_upi(char *out)
{
	static const char *const psps[] = {"ybl", "okaxis", "oksbi", "paytm", "upi", "ibl"};
	char		t[96];
	size_t		n = 0;

	out[0] = '\0';
	n = cat(out, n, "upi://pay?pa=");
	lower_alnum(t, 6 + (int) rnd(6));
	n = cat(out, n, t);
	n = cat(out, n, "@");
	n = cat(out, n, PICK(psps));
	n = cat(out, n, "&pn=");
	if (chance(50))
		snprintf(t, sizeof(t), "%s%%20%s", PICK(first_names), "Traders");
	else
		snprintf(t, sizeof(t), "%s", PICK(first_names));
	n = cat(out, n, t);
	if (chance(60))
	{
		snprintf(t, sizeof(t), "&am=%u.%02u", 10 + rnd(5000), rnd(100));
		n = cat(out, n, t);
	}
	n = cat(out, n, "&cu=INR");
	if (chance(40))
	{
		snprintf(t, sizeof(t), "&mc=%04u&tr=TXN%08u", 5000 + rnd(1000), rnd(100000000));
		n = cat(out, n, t);
	}
	return n;
}

static size_t
gen_epc(char *out)
{
	static const char *const names[] = {"Red Cross of Belgium", "Stadtwerke Musterstadt", "Wikimedia Foerdergesellschaft", "Comptoir du Marche"};
	static const char *const bics[] = {"BPOTBEB1", "BFSWDE33BER", "COBADEFFXXX", "BNPAFRPPXXX"};
	static const char *const countries[] = {"BE", "DE", "FR", "NL", "AT"};
	char		acct[40],
				bban[32],
				t[64];
	size_t		n = 0;
	int			v001 = chance(30);	/* version 001 requires the BIC */

	digits(bban, 12 + (int) rnd(8));
	iban(acct, PICK(countries), bban);
	out[0] = '\0';
	n = cat(out, n, v001 ? "BCD\\n001\\n1\\nSCT\\n" : "BCD\\n002\\n1\\nSCT\\n");
	n = cat(out, n, v001 || chance(60) ? PICK(bics) : "");
	n = cat(out, n, "\\n");
	n = cat(out, n, PICK(names));
	n = cat(out, n, "\\n");
	n = cat(out, n, acct);
	snprintf(t, sizeof(t), "\\nEUR%u.%02u\\n\\n", 1 + rnd(2000), rnd(100));
	n = cat(out, n, t);
	if (chance(50))
	{
		digits(t, 16);
		n = cat(out, n, t);
		n = cat(out, n, "\\n");
	}
	else
	{
		snprintf(t, sizeof(t), "\\nInvoice %u", rnd(1000000));
		n = cat(out, n, t);
	}
	return n;
}

/* ISO 7064 mod 10 recursive check digit of a QR reference */
static char
qrr_check(const char *d)
{
	static const int table[10] = {0, 9, 4, 6, 8, 2, 7, 1, 3, 5};
	int			carry = 0;

	for (; *d; d++)
		carry = table[(carry + (*d - '0')) % 10];
	return (char) ('0' + (10 - carry) % 10);
}

static size_t
gen_swiss(char *out)
{
	char		acct[40],
				bban[32],
				ref[32],
				t[128];
	size_t		n = 0;
	int			qr = chance(60);

	/* QR-IBAN: institution id 30000-31999, then the account */
	if (qr)
		snprintf(bban, sizeof(bban), "3%04u", rnd(2000));
	else
		snprintf(bban, sizeof(bban), "00%03u", 700 + rnd(99));
	digits(bban + 5, 12);
	iban(acct, "CH", bban);
	out[0] = '\0';
	n = cat(out, n, "SPC\\n0200\\n1\\n");
	n = cat(out, n, acct);
	n = cat(out, n, "\\nS\\nRobert Schneider AG\\nRue du Lac\\n1268\\n2501\\nBiel\\nCH\\n\\n\\n\\n\\n\\n\\n\\n");
	snprintf(t, sizeof(t), "%u.%02u\\nCHF\\nS\\nPia Rutschmann\\nMarktgasse\\n28\\n9400\\nRorschach\\nCH\\n",
			 1 + rnd(5000), rnd(100));
	n = cat(out, n, t);
	if (qr)
	{
		digits(ref, 26);
		ref[26] = qrr_check(ref);
		ref[27] = '\0';
		n = cat(out, n, "QRR\\n");
		n = cat(out, n, ref);
	}
	else
		n = cat(out, n, "NON\\n");
	snprintf(t, sizeof(t), "\\nBill no. %u\\nEPD", rnd(100000));
	n = cat(out, n, t);
	return n;
}

static size_t
gen_spayd(char *out)
{
	char		acct[40],
				bban[32],
				t[128];
	size_t		n = 0;

	memcpy(bban, "0800", 4);	/* a Czech bank code, then the account */
	digits(bban + 4, 16);
	iban(acct, "CZ", bban);
	out[0] = '\0';
	n = cat(out, n, "SPD*1.0*ACC:");
	n = cat(out, n, acct);
	snprintf(t, sizeof(t), "*AM:%u.%02u*CC:CZK*X-VS:%u*MSG:PLATBA ZA ZBOZI", 10 + rnd(20000), rnd(100),
			 rnd(1000000000));
	n = cat(out, n, t);
	return n;
}

static size_t
gen_bezahlcode(char *out)
{
	char		acct[40],
				bban[32],
				t[160];

	digits(bban, 18);
	iban(acct, "DE", bban);
	snprintf(t, sizeof(t), "bank://singlepaymentsepa?name=%s&reason=RE-%u&iban=%s&amount=%u%%2C%02u&currency=EUR",
			 "Online%20Shop", rnd(100000), acct, 1 + rnd(500), rnd(100));
	out[0] = '\0';
	return cat(out, 0, t);
}

typedef size_t (*format_fn) (char *out);

static size_t
gen_emv_mpm(char *out)
{
	level		root;

	one_payload(&root);
	for (size_t i = 0; i < root.out.len; i++)
		if (root.b[i] == '\\' || root.b[i] == '\t' || root.b[i] == '\n' || root.b[i] == '\r')
			die("an EMVCo payload holds a byte COPY text format would alter", NULL);
	memcpy(out, root.b, root.out.len);
	out[root.out.len] = '\0';
	return root.out.len;
}

/* Shares out of 1000 in the acquirer mix */
static const struct
{
	const char *name;
	format_fn	fn;
	unsigned	weight;
}			formats[] = {
	{"cn_payment_code", gen_cn_code, 400},
	{"url (China)", gen_cn_url, 250},
	{"emv_mpm", gen_emv_mpm, 250},
	{"emv_cpm", gen_cpm, 20},
	{"upi", gen_upi, 20},
	{"epc", gen_epc, 20},
	{"swiss_qr", gen_swiss, 15},
	{"spayd", gen_spayd, 15},
	{"bezahlcode", gen_bezahlcode, 10},
};

/* Undo COPY text escapes (only \\n, \\r, \\t and \\\\ are written). */
static size_t
unescape(const char *in, size_t n, char *out)
{
	size_t		o = 0;

	for (size_t i = 0; i < n; i++)
	{
		if (in[i] == '\\' && i + 1 < n)
		{
			char		c = in[++i];

			out[o++] = c == 'n' ? '\n' : c == 'r' ? '\r' : c == 't' ? '\t' : c;
		}
		else
			out[o++] = in[i];
	}
	return o;
}

int
main(int argc, char **argv)
{
	unsigned long n;
	char	   *end;
	qr_error	err;
	static char obuf[1 << 20];
	char		line[PAYLOAD_MAX + 1],
				raw[PAYLOAD_MAX + 1];
	int			emv_only = 0;

	if (argc > 1 && strcmp(argv[argc - 1], "--emv-only") == 0)
	{
		emv_only = 1;
		argc--;
	}
	if (argc < 2 || argc > 3)
	{
		fprintf(stderr, "usage: gen_codes N [seed] [--emv-only]\n");
		return 2;
	}
	n = strtoul(argv[1], &end, 10);
	if (*end != '\0')
	{
		fprintf(stderr, "gen_codes: N must be a number\n");
		return 2;
	}
	rng_state = argc == 3 ? strtoull(argv[2], NULL, 10) : UINT64_C(20250601);
	setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));

	for (cur_row = 1; cur_row <= n; cur_row++)
	{
		size_t		len,
					rawlen;
		unsigned	r = rnd(1000),
					acc = 0;
		size_t		f = 0;

		if (emv_only)
			len = gen_emv_mpm(line);
		else
		{
			for (f = 0; f < sizeof(formats) / sizeof(formats[0]) - 1; f++)
			{
				acc += formats[f].weight;
				if (r < acc)
					break;
			}
			len = formats[f].fn(line);
		}
		rawlen = unescape(line, len, raw);
		memset(&err, 0, sizeof(err));
		if (qr_validate(raw, rawlen, &err, NULL, NULL) != QR_OK)
		{
			fprintf(stderr, "gen_codes: row %lu: qr_validate rejected the %s payload: %s\n%.*s\n",
					cur_row, emv_only ? "emv_mpm" : formats[f].name, err.message, (int) len, line);
			return 1;
		}
		line[len] = '\n';
		if (fwrite(line, 1, len + 1, stdout) != len + 1)
		{
			perror("gen_codes: write");
			return 1;
		}
	}
	if (fflush(stdout) != 0)
	{
		perror("gen_codes: write");
		return 1;
	}
	return 0;
}

/*
 * qrpay_core.h — the payment-QR domain as a plain C99 library.
 *
 * Nothing here includes postgres.h: the PostgreSQL glue in the src directory adapts
 * this API, and the unit tests and fuzzers in test/ link it without a
 * server.  Every function works on UTF-8 bytes given as (pointer, length);
 * none allocates, none keeps global state, none longjmps.  Failures come
 * back as a filled-in qr_error (code, tag path, character offset, message).
 *
 * Spec references are to EMV QRCPS Merchant-Presented Mode v1.0 (2017),
 * "EMVCo MPM" below.
 */
#ifndef QRPAY_CORE_H
#define QRPAY_CORE_H

#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------ */
/* Formats                                                             */
/* ------------------------------------------------------------------ */

typedef enum qr_fmt
{
	QR_FORMAT_UNKNOWN = 0,
	QR_FORMAT_EMV_MPM = 1,		/* EMVCo merchant-presented mode */
	QR_FORMAT_EMV_CPM = 2,		/* EMVCo consumer-presented mode, base64 BER-TLV */
	QR_FORMAT_CN_PAYMENT_CODE = 3,	/* China one-time consumer codes (auth_code) */
	QR_FORMAT_URL = 4,			/* http(s), wxp:// and weixin://wxpay/ codes */
	QR_FORMAT_UPI = 5,			/* upi://pay? links (NPCI) */
	QR_FORMAT_EPC = 6,			/* EPC069-12 SEPA credit transfer */
	QR_FORMAT_SWISS_QR = 7,		/* Swiss QR-bill (SIX IG 2.x) */
	QR_FORMAT_SPAYD = 8,		/* Czech Short Payment Descriptor */
	QR_FORMAT_BEZAHLCODE = 9	/* bank:// BezahlCode URLs */
} qr_fmt;

#define QR_FORMAT_COUNT 10

/*
 * No QR symbol holds more than 2953 bytes (ISO/IEC 18004, version 40-L,
 * byte mode), so no longer payload was ever scanned from one.
 */
#define QR_MAX_BYTES 2953

/* "emv_mpm, emv_cpm, ..." for messages that list what qrpay accepts */
extern const char *qr_format_list(void);

/* Name a data team sees from qr_format(): "emv_mpm", ... */
extern const char *qr_format_name(qr_fmt fmt);

/* Which format a payload is; depends on the payload alone. */
extern qr_fmt qr_detect_format(const char *buf, size_t len);

/* ------------------------------------------------------------------ */
/* Errors and conformance findings                                     */
/* ------------------------------------------------------------------ */

typedef enum qr_errcode
{
	QR_OK = 0,
	QR_ERR_EMPTY,				/* empty payload */
	QR_ERR_FORMAT,				/* not a payment QR format qrpay knows */
	QR_ERR_ENCODING,			/* not valid UTF-8 */
	QR_ERR_TLV,					/* malformed id/length/value, truncation */
	QR_ERR_ORDER,				/* 00 not first, 63 not last */
	QR_ERR_DUPLICATE,			/* an id twice at one level */
	QR_ERR_MISSING,				/* a mandatory object is absent */
	QR_ERR_VALUE,				/* a value breaks its format or length */
	QR_ERR_CRC					/* CRC absent, malformed or wrong */
} qr_errcode;

#define QR_PATH_MAX 12		/* "62.50.00" + NUL, with room to spare */
#define QR_PATH_DEPTH 3		/* root, template, template inside 62 */
#define QR_MSG_MAX 384

typedef struct qr_error
{
	qr_errcode	code;
	int			offset;			/* character offset of the object, -1 if none */
	char		path[QR_PATH_MAX];	/* "59", "26.00"; "" when no tag applies */
	char		message[QR_MSG_MAX];	/* complete sentence, names tag and offset */
} qr_error;

typedef enum qr_severity
{
	QR_SEV_INFO = 0,			/* allowed by the spec, worth knowing */
	QR_SEV_WARNING = 1,			/* deviates from strict EMVCo, accepted */
	QR_SEV_ERROR = 2			/* the payload is rejected */
} qr_severity;

extern const char *qr_severity_name(qr_severity sev);

/*
 * Receives each strict-EMVCo deviation of an accepted payload (a
 * national-profile exemption, an over-long payload, a non-ASCII name...).
 * path is "" for payload-wide findings.
 */
typedef void (*qr_finding_fn) (void *arg, qr_severity sev, const char *path,
							   const char *message);

/*
 * Validate a payload.  Returns QR_OK, or the first error found (err filled
 * in).  When report is not NULL it is called for every deviation that does
 * not reject the payload.  err may be NULL when only the verdict matters.
 */
extern qr_errcode qr_validate(const char *buf, size_t len, qr_error *err,
							  qr_finding_fn report, void *report_arg);

/* ------------------------------------------------------------------ */
/* EMVCo MPM access (payloads already validated)                       */
/* ------------------------------------------------------------------ */

/* One ID/LEN/VALUE data object of a TLV level. */
typedef struct qr_tlv
{
	int			id;				/* 0..99 */
	const char *value;			/* points into the payload */
	size_t		value_bytes;	/* UTF-8 bytes of the value */
	int			value_chars;	/* characters, as the LEN field says */
	int			offset;			/* character offset of the ID in the payload */
} qr_tlv;

/* Walks one level of a validated TLV sequence. */
typedef struct qr_tlv_iter
{
	const char *p;
	const char *end;
	int			offset;			/* character offset of p */
} qr_tlv_iter;

extern void qr_tlv_iter_init(qr_tlv_iter *it, const char *buf, size_t len,
							 int base_offset);
/* 1 and *out filled while objects remain, 0 at the end or on bad input. */
extern int	qr_tlv_next(qr_tlv_iter *it, qr_tlv *out);

/*
 * Does the object at ids[0..depth-1] hold a nested TLV template?  ids[0] is
 * a root id; ids[1] an id inside it, ...
 */
extern int	qr_emv_is_template(const int *ids, int depth);

/* The spec's name of the data object at ids[0..depth-1]. */
extern const char *qr_emv_field_name(const int *ids, int depth);

/*
 * Does [buf, buf+len) parse completely as one TLV level of at least one
 * object?  Tells a template from an opaque value where real codes deviate
 * from the spec (tokens in 62/50-99).
 */
extern int	qr_tlv_well_formed(const char *buf, size_t len);

/*
 * Find the value at path "59", "26.00", "62.05" in a validated EMVCo
 * payload.  Returns 1 and sets *val and *vlen when present, 0 when absent or
 * when path is malformed (qr_path_parse tells which).
 */
extern int	qr_emv_get(const char *buf, size_t len, const char *path,
					   size_t pathlen, const char **val, size_t *vlen);

/*
 * Parse "26", "26.00" or "62.50.00" into ids; returns the depth (1 to
 * QR_PATH_DEPTH), or 0 if malformed.
 */
extern int	qr_path_parse(const char *path, size_t pathlen, int ids[QR_PATH_DEPTH]);

/* ISO 4217 alphabetic code for a 3-digit numeric code, NULL if unknown. */
extern const char *qr_iso4217_alpha(const char *num, size_t len);

/*
 * Decimals of the minor unit of an ISO 4217 currency given by its
 * alphabetic code (ASCII letters in either case) or 3-digit numeric code:
 * 0 (JPY), 2 (CNY), 3 (BHD), 4 (CLF); -1 when the code is unknown or the
 * list gives no minor unit (N.A.: XAU, XDR and the other metals, units
 * of account and test codes).
 */
extern int	qr_iso4217_minor(const char *code, size_t len);

/* The numeric code of an alphabetic or numeric ISO 4217 code, -1 if unknown. */
extern int	qr_iso4217_number(const char *code, size_t len);

/* ------------------------------------------------------------------ */
/* Fields of every format (payloads already validated)                 */
/* ------------------------------------------------------------------ */

/*
 * One field of a payload.  Paths are the keys of qr_get and qr_to_jsonb:
 * EMVCo MPM "26.00"; EMVCo CPM hex BER tags "61.4F"; named keys for the
 * other formats ("iban", "creditor.name", "query.pr", "pa").  value is
 * decoded (percent-encoding undone, CPM binary as upper-case hex) and valid
 * only during the callback.
 */
typedef struct qr_field
{
	const char *path;			/* NUL-terminated */
	const char *name;			/* the spec's name of the field */
	const char *value;
	size_t		value_len;
	int			depth;			/* 1 at the root */
	int			container;		/* 1: its parts follow as depth+1 fields */
	int			repeated;		/* 1: the key may occur several times at its level */
} qr_field;

/* Return nonzero to stop the walk. */
typedef int (*qr_field_fn) (void *arg, const qr_field *f);

/* Every field in payload order, containers before their parts. */
extern void qr_fields(const char *buf, size_t len, qr_field_fn fn, void *arg);

/*
 * The value at path (first occurrence) copied into out (capacity cap, at
 * least QR_VALUE_MAX).  Returns its length, or -1 when absent.
 */
#define QR_VALUE_MAX (2 * QR_MAX_BYTES + 1)
extern long qr_field_get(const char *buf, size_t len, const char *path,
						 size_t pathlen, char *out, size_t cap);

/*
 * Is path well formed: 1 to 4 segments of [A-Za-z0-9_-] joined by dots, a
 * segment of digits only being exactly 2 digits (an EMVCo id)?
 */
extern int	qr_path_valid(const char *path, size_t pathlen);

/* Fields with one meaning across formats (qr_merchant_name, qr_amount...) */
typedef enum qr_sem
{
	QR_SEM_NAME,				/* payee / merchant name */
	QR_SEM_CITY,				/* payee / merchant city */
	QR_SEM_COUNTRY,				/* ISO 3166-1 alpha-2 */
	QR_SEM_CURRENCY,			/* ISO 4217 alpha (or the numeric code if unknown) */
	QR_SEM_AMOUNT,				/* plain decimal, "." separator */
	QR_SEM_REFERENCE,			/* payment reference for reconciliation */
	QR_SEM_ACCOUNT,				/* payee account identifier */
	QR_SEM_MCC					/* merchant category code */
} qr_sem;

/* Like qr_field_get, for a meaning instead of a path. */
extern long qr_semantic(const char *buf, size_t len, qr_sem sem, char *out,
						size_t cap);

/* 1 dynamic / one-time, 0 static, -1 the code does not say. */
extern int	qr_is_dynamic_code(const char *buf, size_t len);

/* ------------------------------------------------------------------ */
/* Provider identification                                             */
/* ------------------------------------------------------------------ */

/* What in a payload names a provider; the kinds of catalog patterns. */
typedef enum qr_idkind
{
	QR_ID_FORMAT = 1,			/* the format itself: "upi", "epc" */
	QR_ID_EMV_TAG = 2,			/* a primitive MAI id 02-25: "15" */
	QR_ID_EMV_GUID = 3,			/* sub-00 of a template 26-51 or 80-99 */
	QR_ID_CPM_AID = 4,			/* a CPM ADF name (4F) in hex */
	QR_ID_URL = 5,				/* the whole URL */
	QR_ID_PAYMENT_CODE = 6,		/* the digits of a consumer code */
	QR_ID_BIC = 7				/* the payee bank's BIC (QR Ph, EPC, SPAYD, BezahlCode) */
} qr_idkind;

#define QR_IDKIND_MAX 7

extern const char *qr_idkind_name(qr_idkind k);
/* 0 when s names no kind */
extern int	qr_idkind_parse(const char *s, size_t n);

typedef struct qr_ident
{
	qr_idkind	kind;
	const char *value;			/* into the payload, or into hex below */
	size_t		len;
	char		hex[33];		/* CPM AIDs (5-16 bytes) as hex; BICs */
} qr_ident;

#define QR_IDENT_MAX 100

/*
 * The identifiers of a validated payload in payload order, at most max.
 * country receives tag 58 of an EMVCo MPM code ("" otherwise).
 */
extern int	qr_identify(const char *buf, size_t len, qr_ident *out, int max,
						char country[3]);

/* What one walk also learns about where the code is used. */
typedef struct qr_place
{
	qr_fmt		format;
	char		country[3];		/* EMVCo 58, "" when absent */
	/* city is also the Swiss QR-bill creditor's town, a line of the payload */
	const char *city;			/* EMVCo 60 (NULL when absent), into the payload */
	size_t		city_len;
	const char *city_alt;		/* EMVCo 64.02, the city in the merchant's language */
	size_t		city_alt_len;
} qr_place;

/* qr_identify, filling place as well. */
extern int	qr_identify_place(const char *buf, size_t len, qr_ident *out, int max,
							  qr_place *place);

/*
 * Glob patterns of the catalog: "*" any run, "?" one character,
 * "[a-z]" / "[!0-9]" a class, "\x" a literal x; ASCII letters match
 * case-insensitively.  qr_glob_check returns NULL when pat is well formed,
 * else why not.
 */
extern const char *qr_glob_check(const char *pat, size_t plen);
extern int	qr_glob_match(const char *pat, size_t plen, const char *s, size_t slen);

/* How many characters a pattern opens with before its first wildcard. */
extern size_t qr_glob_literal_prefix(const char *pat, size_t plen);

/* A catalog pattern compiled for matching (see qr_match.c). */
typedef struct qr_pattern
{
	qr_idkind	kind;
	const char *pattern;
	size_t		plen;
	char		country[3];		/* "" or the EMVCo tag 58 the code must carry */
	size_t		lit_len;		/* literal characters the pattern opens with */
	int			min_len;		/* identifier length bounds, 0 = none */
	int			max_len;
	int			provider;		/* caller's provider number */
} qr_pattern;

/*
 * Does pattern p match identifier id of a code from country?  (country
 * "" for codes that carry none.)
 */
extern int	qr_pattern_match(const qr_pattern *p, const qr_ident *id,
							 const char *country);

/* ------------------------------------------------------------------ */
/* GIN keys (see qr_gin.c)                                             */
/* ------------------------------------------------------------------ */

/*
 * A GIN key of a payload says "this path exists" (a 31-bit hash of the
 * path, top bit set) or "this path holds this value" (a hash of path and
 * leaf value folded into 2^bits buckets, top bit clear).  Folding lets
 * rare values share an index entry, which keeps the index small; keys
 * are lossy either way and the operators recheck on the payload.  The
 * EMVCo CRC (63) has no value key: a checksum is no search term.
 */
#define QR_GIN_BITS_MIN 12
#define QR_GIN_BITS_MAX 31
#define QR_GIN_BITS_DEFAULT 18

extern uint32_t qr_gin_path_key(const char *path, size_t pathlen);
extern uint32_t qr_gin_value_key(const char *path, size_t pathlen,
								 const char *value, size_t vlen, int bits);

/* Calls add(arg, key) for every key of a validated payload (repeats possible). */
extern void qr_gin_keys(const char *buf, size_t len, int bits,
						void (*add) (void *arg, uint32_t key), void *arg);

/*
 * The split scheme (payment_qr_gin_split_ops): the same path keys, and
 * for each leaf two value keys, the low and the high bits of one hash,
 * each kept to bits bits, so that every bucket is shared by many values
 * at any table size and a query needs both.  See qr_gin.c.
 */
#define QR_GIN_SPLIT_BITS_MIN 8
#define QR_GIN_SPLIT_BITS_MAX 16
#define QR_GIN_SPLIT_BITS_DEFAULT 13

#define QR_GIN_SHORT_VALUE 4

extern int	qr_gin_split_keys(const char *path, size_t pathlen, const char *value,
							  size_t vlen, int bits, uint32_t keys[2]);
extern void qr_gin_split_keys_of(const char *buf, size_t len, int bits,
								 void (*add) (void *arg, uint32_t key), void *arg);

/*
 * Can a field at path lack a value key (the EMVCo CRC, containers)?  A
 * query pair on such a path is answered from its path key and rechecked.
 */
extern int	qr_gin_path_unvalued(const char *path, size_t pathlen);

/* Does the payload hold value at path (any occurrence)? */
extern int	qr_has_value(const char *buf, size_t len, const char *path, size_t pathlen,
						 const char *value, size_t vlen);

/* Does the payload have a field at path? */
extern int	qr_has_path(const char *buf, size_t len, const char *path, size_t pathlen);

/* ------------------------------------------------------------------ */
/* Interoperability routing (see qr_route.c)                           */
/* ------------------------------------------------------------------ */

typedef enum qr_scenario
{
	QR_SCENARIO_OFFLINE = 0,	/* a scan at a till */
	QR_SCENARIO_ONLINE = 1,		/* an online checkout */
	QR_SCENARIO_MINI_PROGRAM = 2	/* inside a mini program */
} qr_scenario;

#define QR_SCENARIO_COUNT 3

extern const char *qr_scenario_name(qr_scenario s);
/* -1 when s names no scenario */
extern int	qr_scenario_parse(const char *s, size_t n);

#define QR_TIME_MIN INT64_MIN	/* an open lower bound */
#define QR_TIME_MAX INT64_MAX	/* an open upper bound */

/*
 * One interoperability rule: payer app `payer` may pay codes of network
 * `payee` (allowed) or may not (a block), through `via`, from `from`
 * (inclusive) until `until` (exclusive), in the sorted city numbers
 * `cities` (ncities < 0: nationwide), in one scenario.  Providers and
 * cities are the caller's numbers; times are the caller's integers.
 */
typedef struct qr_rule
{
	int			payer;
	int			payee;
	int			via;			/* -1: none named */
	int64_t		from;
	int64_t		until;
	const int  *cities;
	int			ncities;
	qr_scenario scenario;
	int			priority;		/* higher wins */
	int			allowed;
	const char *id;
	const char *source;
} qr_rule;

/*
 * Rules sorted by payer, payee, priority (descending), blocks before
 * allowing rules, id; and an index.
 */
typedef struct qr_ruleset
{
	qr_rule    *rules;
	int			n;
	int		   *payer_start;	/* nproviders + 1 entries */
	int			nproviders;
} qr_ruleset;

/*
 * Sort rules in place and index them by payer; payer_start must hold
 * nproviders + 1 ints.  Cities of each rule must be sorted ascending.
 */
extern void qr_ruleset_build(qr_ruleset *rs, qr_rule *rules, int n, int *payer_start,
							 int nproviders);

typedef enum qr_route_status
{
	QR_ROUTE_NONE = 0,
	QR_ROUTE_ON_US = 1,
	QR_ROUTE_INTEROP = 2
} qr_route_status;

extern const char *qr_route_status_name(qr_route_status s);

typedef struct qr_route_query
{
	const int  *networks;		/* the code's providers, in payload order */
	int			nnetworks;
	int			party;			/* the payer app; for a consumer-presented
								 * code, the merchant's acquiring network */
	int			consumer_presented;
	int64_t		at;
	int			city;			/* -1: unknown */
	const char *city_text;		/* for messages: the region as given, or NULL */
	qr_scenario scenario;
} qr_route_query;

typedef struct qr_route_answer
{
	qr_route_status status;
	int			payer;			/* the paying app */
	int			network;		/* the payee network; -1 for none */
	int			via;			/* -1 when none */
	const qr_rule *rule;		/* the deciding rule; for none, the block that
								 * decides the first blocked network; NULL
								 * for on-us or when no rule applies */
	char		reason[QR_MSG_MAX];	/* why none, in words; "" otherwise */
} qr_route_answer;

/* How the caller prints its provider numbers and times in reasons. */
typedef struct qr_route_printer
{
	const char *(*provider) (void *arg, int provider);
	/* writes the time into buf (size bytes) and returns buf */
	const char *(*time) (void *arg, int64_t t, char *buf, size_t size);
	void	   *arg;
} qr_route_printer;

/*
 * Route one code: on-us when the payer app is one of the code's networks;
 * else the highest-priority rule that matches the time, scenario and city
 * for one of the code's networks, earlier networks winning ties, a
 * matching block making that network unreachable; else none, with the
 * reason.
 */
extern void qr_route_decide(const qr_ruleset *rs, const qr_route_query *q,
							const qr_route_printer *print, qr_route_answer *out);

/*
 * The decision of qr_route_decide alone: out->reason is left "".  For a
 * "none" answer out->rule is the block that decides the first blocked
 * network, NULL when no block applies.
 */
extern void qr_route_choose(const qr_ruleset *rs, const qr_route_query *q,
							qr_route_answer *out);

/*
 * Why a "none" answer of qr_route_choose is none, in words, into
 * out->reason (left "" for any other answer).  qr_route_decide is
 * qr_route_choose followed by this for a "none".
 */
extern void qr_route_explain(const qr_ruleset *rs, const qr_route_query *q,
							 const qr_route_printer *print, qr_route_answer *out);

/* ------------------------------------------------------------------ */
/* CRC                                                                 */
/* ------------------------------------------------------------------ */

/* CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, no reflection, xorout 0. */
extern uint16_t qr_crc16(const void *buf, size_t len);

/* ------------------------------------------------------------------ */
/* Writing codes (see qr_build.c)                                      */
/* ------------------------------------------------------------------ */

/*
 * An output buffer of fixed capacity.  Writers never store past cap; len
 * counts every byte written or wanted, so len > cap says the output did
 * not fit and how much room it needed (the snprintf convention).
 */
typedef struct qr_buf
{
	char	   *data;
	size_t		cap;
	size_t		len;
} qr_buf;

extern void qr_buf_init(qr_buf *b, char *data, size_t cap);
extern void qr_buf_put(qr_buf *b, const void *s, size_t n);

/*
 * Append one EMVCo data object: 2-digit id, 2-digit length in characters
 * (EMVCo MPM §4.4.1.1) and the value.  Returns the value's character
 * count; nothing is written unless it is 1 to 99.
 */
extern int	qr_tlv_append(qr_buf *b, int id, const char *value, size_t nbytes);

/* Append the CRC object "6304" + 4 upper-case hex digits over b (§4.7.3). */
extern void qr_crc_append(qr_buf *b);

/* Why a builder refused its input. */
typedef enum qr_build_code
{
	QR_BUILD_OK = 0,
	QR_BUILD_FIELD,				/* an EMVCo field breaks TLV rules (id, length, nesting) */
	QR_BUILD_NO_FIELD,			/* the format carries no such field */
	QR_BUILD_AMOUNT,			/* not a positive amount, too many decimals, too long */
	QR_BUILD_REFERENCE,			/* empty, more than one line, or a "*" */
	QR_BUILD_NOT_EMV,			/* qr_build_merge: an element is no EMVCo MPM code */
	QR_BUILD_CLASH,				/* qr_build_merge: two accounts under one primitive id */
	QR_BUILD_FULL,				/* qr_build_merge: no template id in 26-51 left */
	QR_BUILD_NOTHING,			/* qr_build_merge: every element is absent */
	QR_BUILD_SPACE				/* out was too small; out->len is the room needed */
} qr_build_code;

typedef struct qr_build_error
{
	qr_build_code code;
	char		message[QR_MSG_MAX];	/* complete sentence */
	char		detail[QR_MSG_MAX];	/* "" when none */
	char		hint[QR_MSG_MAX];	/* "" when none */
} qr_build_error;

/*
 * Room that qr_build_amount and qr_build_reference need for a code of len
 * bytes and a value of vlen bytes written once: the value at most
 * percent-encoded (3 bytes a byte), a key, separators, up to 30 padding
 * line breaks (Swiss QR-bill line 29), EMVCo's 01, 62 and 63 headers.  A
 * URL or SPAYD code that repeats the key gets the value at each: then the
 * builder returns QR_BUILD_SPACE with out->len the room it needs, and a
 * second call with that room succeeds.
 */
#define QR_BUILD_ROOM(len, vlen) ((len) + 3 * (vlen) + 64)

/*
 * The code with its amount set, in the field and notation of its format;
 * an EMVCo code also becomes dynamic (01 = 12).  amount is plain decimal
 * text with a "." separator, as PostgreSQL's numeric_out writes it.  The
 * output is not validated: the caller validates it like any input.
 */
extern qr_build_code qr_build_amount(const char *buf, size_t len,
									 const char *amount, size_t alen,
									 qr_buf *out, qr_build_error *err);

/* The code with its payment reference set (see qr_build.c for the fields). */
extern qr_build_code qr_build_reference(const char *buf, size_t len,
										const char *ref, size_t rlen,
										qr_buf *out, qr_build_error *err);

/*
 * One node of an EMVCo code to build: an id (key, as text, so that a bad
 * one can be reported) holding a string or a template of nodes.
 */
typedef enum qr_node_kind
{
	QR_NODE_STRING,
	QR_NODE_TEMPLATE,
	QR_NODE_OTHER				/* neither: refused */
} qr_node_kind;

typedef struct qr_node
{
	const char *key;
	size_t		keylen;
	qr_node_kind kind;
	const char *value;			/* QR_NODE_STRING: UTF-8 bytes */
	size_t		vlen;
	const struct qr_node *sub;	/* QR_NODE_TEMPLATE: its nodes */
	int			nsub;
} qr_node;

/*
 * An EMVCo MPM code from root nodes, in the order given, with a new CRC
 * (a root 63 is skipped).  out needs the sum over all nodes of 4 + vlen,
 * plus 8.
 */
extern qr_build_code qr_build_emv(const qr_node *root, int n, qr_buf *out,
								  qr_build_error *err);

/*
 * One code carrying the merchant accounts of several EMVCo MPM codes:
 * codes[i] (lens[i] bytes; NULL for an absent element).  out needs the
 * sum of lens plus 8.
 */
extern qr_build_code qr_build_merge(const char *const *codes, const size_t *lens,
									int n, qr_buf *out, qr_build_error *err);

/* ------------------------------------------------------------------ */
/* Statement lines                                                     */
/* ------------------------------------------------------------------ */

/* One field of a CSV line; value points into the caller's buffer. */
typedef struct qr_csv_field
{
	const char *value;
	size_t		len;
} qr_csv_field;

/*
 * Split one CSV line (no line break in it) into fields, with the
 * semantics of the SQL function qr_csv_fields (see qr_csv.c).  Field
 * values are unquoted into buf (capacity at least len); the first max
 * fields are stored in out.  Returns the number of fields, which may
 * exceed max, or -1 when delim is '"' (it would be ambiguous).
 */
extern long qr_csv_split(const char *line, size_t len, char delim,
						 qr_csv_field *out, long max, char *buf);

/* ------------------------------------------------------------------ */
/* Comparison and hashing input                                        */
/* ------------------------------------------------------------------ */

/*
 * The total order of payment_qr: bytewise over the payload, shorter first
 * on a common prefix.  Equal iff the payloads are byte-identical.
 */
extern int	qr_compare(const char *a, size_t alen, const char *b, size_t blen);

/* ------------------------------------------------------------------ */
/* Reconciliation: pairing by nearest time                             */
/* ------------------------------------------------------------------ */

/*
 * Pairs the two sides' rows of one cluster one to one by nearest time.
 * The n rows come in (time, side, id) order: t[i] their times (any unit),
 * side[i] 0 for the ledger and 1 for the statement.  The closest pair of
 * rows of different sides lying at most window apart is taken first (on a
 * tie, the pair that ends first), then the closest of the rest, and so on.
 * That settles which rows pair; the k-th paired ledger row in order then
 * goes with the k-th paired statement row, so that pairs never cross
 * (first paid, first settled).  On return mate[i] is the row paired with
 * row i, or -1.  work must hold QR_PAIR_WORK(n) bytes, suitably aligned
 * for int64_t.  O(n log n).
 */
#define QR_PAIR_WORK(n) ((size_t) (n) * (2 * sizeof(long) + 2 * 3 * sizeof(int64_t)) + 1)
extern void qr_pair_nearest(const int64_t *t, const unsigned char *side, long n,
							int64_t window, long *mate, void *work);

/*
 * Text as the type stores it.  qr_text_check: -1 when [buf, buf+len) is
 * well-formed UTF-8 (RFC 3629) without NUL bytes, else the byte offset of
 * the first NUL or bad sequence; *ascii (may be NULL) set when every byte
 * is below 0x80.  qr_text_chars: the characters in [buf, end) of valid
 * UTF-8, which is how an error's offset is reported.
 */
extern long qr_text_check(const char *buf, size_t len, int *ascii);
extern int	qr_text_chars(const char *buf, const char *end);

#endif							/* QRPAY_CORE_H */

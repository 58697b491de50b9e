/*
 * qr_parsed.h — a validated payload walked once into the fields that
 * provider identification, the named accessors and routing read.
 *
 * qr_parse detects the format once and walks the payload once: for an
 * EMVCo MPM code every root data object, and for the templates
 * identification reads, the one nested object it needs (the GUID,
 * sub-object 00 of a merchant account template 26-51 or 80-99, and the
 * alternate-language city 64.02), looked for on first use (an accessor of
 * one root field needs none) and kept; for the line, key=value and URL formats
 * the few named fields the accessors use (first occurrence, decoded),
 * walked when asked for and only as far as the field asked for, like
 * qr_field_get: identifying a URL code needs none of them.
 * Everything else (nested accounts, 62.05) is read from the recorded
 * template's value without walking the root level again.  Consumer codes
 * (EMVCo CPM, China payment codes) are not walked: identification reads
 * the CPM application templates itself, in its one walk.
 *
 * Pure C99 like the rest of src/core; a qr_parsed is a few kilobytes and
 * lives on the caller's stack.  It points into the payload, which must
 * outlive it.
 */
#ifndef QR_PARSED_H
#define QR_PARSED_H

#include "qrpay_core.h"

/* EMVCo ids are 00-99 and a validated code holds each at most once a level */
#define QR_PARSED_OBJECTS 100
/* named fields recorded per format (see qr_parsed.c) */
#define QR_PARSED_KEYS 8

/* One EMVCo root data object: its value, and the nested object read from it. */
typedef struct qr_pobject
{
	uint8_t		id;
	uint8_t		sub_state;		/* QR_SUB_*: whether sub_off/sub_len hold it */
	uint16_t	off;			/* value at buf + off */
	uint16_t	len;			/* value bytes */
	uint16_t	sub_off;		/* 26-51, 80-99: sub-object 00; 64: sub-object 02 */
	uint16_t	sub_len;
} qr_pobject;

#define QR_SUB_UNREAD 0			/* not looked for yet */
#define QR_SUB_ABSENT 1
#define QR_SUB_PRESENT 2

/* How far the named fields were walked: they are walked on request. */
#define QR_PARSED_UNWALKED 0	/* not yet */
#define QR_PARSED_PARTLY 1		/* up to a key asked for */
#define QR_PARSED_WALKED 2		/* to the end: a key not recorded is absent */

/* A named field of the other formats: first occurrence, decoded. */
typedef struct qr_pfield
{
	const char *value;			/* into the payload or into qr_parsed.text; NULL: absent */
	size_t		len;
} qr_pfield;

typedef struct qr_parsed
{
	const char *buf;
	size_t		len;
	qr_fmt		format;
	int			nobjects;		/* EMVCo MPM: root objects in payload order */
	qr_pobject	objects[QR_PARSED_OBJECTS];
	int			named;			/* how far the named fields below were walked */
	int			overflow;		/* EMVCo: objects left unrecorded; else the named
								 * fields (bit k: key k) that did not fit text */
	qr_pfield	fields[QR_PARSED_KEYS];	/* by position in the format's key list */
	size_t		text_used;
	char		text[QR_MAX_BYTES + 1];	/* decoded values (percent-encoding undone) */
} qr_parsed;

/*
 * The nested object of root object i that identification reads (an
 * account template's GUID 00, the alternate-language city 64.02), looked
 * for on first use and kept; 1 and *val, *vlen set when present.
 */
extern int	qr_parsed_sub(qr_parsed *p, int i, const char **val, size_t *vlen);

/* The first sub-object sub of EMVCo template value [v, v+n); 1 when present. */
extern int	qr_tlv_sub(const char *v, size_t n, int sub, const char **val, size_t *vlen);

/*
 * Walk a validated payload once into p; returns p.  A payload longer than
 * QR_MAX_BYTES (never valid) is recorded as far as offsets reach.
 */
extern qr_parsed *qr_parse(qr_parsed *p, const char *buf, size_t len);

/* qr_identify_place over a parsed payload. */
extern int	qr_parsed_identify(qr_parsed *p, qr_ident *out, int max,
							   qr_place *place);

/* qr_semantic over a parsed payload. */
extern long qr_parsed_semantic(qr_parsed *p, qr_sem sem, char *out, size_t cap);

/* qr_is_dynamic_code over a parsed payload. */
extern int	qr_parsed_dynamic(const qr_parsed *p);

/*
 * The recorded value of a field: an EMVCo root id ("59") or a named field
 * of the format's key list ("iban", "creditor.town").  Returns 1 and sets
 * *val and *vlen when the code has it, 0 when it lacks it, -1 when the
 * parse does not record that path (the caller then asks qr_field_get).
 */
extern int	qr_parsed_field(qr_parsed *p, const char *path, const char **val,
							size_t *vlen);

/*
 * qr_field_get through the parse: the value at path copied into out
 * (capacity cap), its length, or -1 when absent or longer than cap.  A
 * path the parse does not record is looked up in the payload.
 */
extern long qr_parsed_get(qr_parsed *p, const char *path, char *out, size_t cap);

#endif							/* QR_PARSED_H */

/*
 * common.h — what the unit tests and the fuzzers share: the fields of an
 * EMVCo MPM code as the nodes qr_build_emv takes (the way qr_emv gets
 * them from qr_to_jsonb's shape: parse, write, parse again), and the CRC
 * repair that lets random EMVCo-like input past the CRC check.
 */
#ifndef QRPAY_TEST_COMMON_H
#define QRPAY_TEST_COMMON_H

#include <stddef.h>

#include "qrpay_core.h"

#define NODES_MAX 1024
#define NODES_TEXT (4 * QR_MAX_BYTES + 64)

typedef struct node_tree
{
	qr_node		node[NODES_MAX];
	int			nnode;
	/* the flat walk: depth and container flag of each field, in order */
	int			depth[NODES_MAX];
	int			container[NODES_MAX];
	const char *key[NODES_MAX];
	const char *value[NODES_MAX];
	size_t		vlen[NODES_MAX];
	int			nfield;
	char		text[NODES_TEXT];
	size_t		ntext;
	int			overflow;
} node_tree;

/*
 * Fills t from the fields of buf (a validated EMVCo MPM code); returns the
 * number of root nodes (at t->node), or -1 when the code has more fields
 * or text than t holds.
 */
extern int	nodes_from_code(const char *buf, size_t len, node_tree *t);

/*
 * Random bytes almost never carry a correct CRC, which would stop most
 * inputs at the CRC check: when buf ends in "6304" and 4 characters,
 * write the right CRC over them.  Returns 1 when it did.
 */
extern int	fix_crc(char *buf, size_t len);

/* fields of a payload as "path=value\n" lines, for comparing two walks */
extern size_t fields_text(const char *buf, size_t len, char *out, size_t cap);

/*
 * The property check of the builders that set one field (fuzz_amount,
 * fuzz_reference): set val in code with fn into a buffer of exactly
 * QR_BUILD_ROOM bytes and abort on any broken property.  canonical says
 * val is a value every format's rules accept (a plain amount of at most
 * 2 decimals, a short alphanumeric reference), so that a valid code must
 * stay valid.
 */
typedef qr_build_code (*set_fn) (const char *buf, size_t len, const char *v, size_t vlen,
								 qr_buf *out, qr_build_error *err);
extern void check_set(set_fn fn, qr_sem sem, const char *code, size_t len,
					  const char *val, size_t vlen, int canonical);

/*
 * Abort unless a validated EMVCo MPM code written back from its own
 * fields (qr_build_emv) is the same code with the same fields.
 */
extern void check_rebuild(const char *buf, size_t len);

/*
 * The input of fuzz_amount and fuzz_reference: a control byte (bit 0: make
 * the value canonical with canon; the other bits: the value's length, at
 * most 127), the value's bytes, then the code (its trailing EMVCo CRC
 * repaired).  canon rewrites the value in place (room for 128 bytes) and
 * returns its length.  Runs check_set.
 */
typedef size_t (*canon_fn) (char *val, size_t vlen);
extern void fuzz_set(const unsigned char *data, size_t size, set_fn fn, qr_sem sem,
					 canon_fn canon);

/* abort unless [s, s+n) is valid UTF-8 without NUL (it becomes text) */
extern void must_be_text(const char *s, size_t n);

#endif

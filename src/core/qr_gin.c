/*
 * qr_gin.c — keys of the GIN operator class, and the operators' own tests.
 *
 * Every field of every format has a path (the qr_get path), so one key
 * space serves them all: a path key per field ("26.00 exists") and a
 * value key per leaf ("26.00 = br.gov.bcb.pix").  Keys are 32-bit hashes
 * (seeded FNV-1a, then a murmur3 finaliser for avalanche) with recheck.
 * Values compare byte for byte, as qr_get returns them.
 *
 * Two schemes share the path keys and differ in the value keys:
 *
 *   folded (payment_qr_gin_ops): one key per leaf, the hash folded into
 *     2^bits buckets.  Unique values only share a bucket once the table
 *     holds several times 2^bits of them, so a small table pays a whole
 *     entry for each.
 *   split (payment_qr_gin_split_ops): two keys per leaf, the low and the
 *     high bits of the same hash, each in 2^bits buckets.  With a few
 *     thousand buckets every bucket holds many values at any table size,
 *     so a value costs two posting-list items (a few bytes each) instead
 *     of an entry; a query needs both keys, so a lookup reads the rows of
 *     one bucket pair, about N * (values per row / 2^bits)^2 of them
 *     besides its matches.  Values from small sets (see small_set) get
 *     one exact key instead: they are shared by many codes already.
 */
#include <string.h>

#include "qr_fmt.h"

#define FNV_OFFSET 2166136261u
#define FNV_PRIME 16777619u

static uint32_t
fnv(uint32_t h, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
	{
		h ^= (unsigned char) s[i];
		h *= FNV_PRIME;
	}
	return h;
}

static uint32_t
finish(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

uint32_t
qr_gin_path_key(const char *path, size_t pathlen)
{
	return finish(fnv(fnv(FNV_OFFSET, "p", 1), path, pathlen)) | 0x80000000u;
}

static uint32_t
value_hash(const char *path, size_t pathlen, const char *value, size_t vlen)
{
	uint32_t	h = fnv(FNV_OFFSET, path, pathlen);

	h = fnv(h, "", 1);			/* a NUL between path and value: paths hold none */
	return finish(fnv(h, value, vlen));
}

uint32_t
qr_gin_value_key(const char *path, size_t pathlen, const char *value, size_t vlen, int bits)
{
	uint32_t	h = value_hash(path, pathlen, value, vlen);

	if (bits < QR_GIN_BITS_MIN || bits > QR_GIN_BITS_MAX)
		bits = QR_GIN_BITS_DEFAULT;
	return bits >= 31 ? (h & 0x7FFFFFFFu) : (h & ((1u << bits) - 1));
}

/*
 * The split scheme's two keys: the low half of the hash in the first key
 * space, the high half in the second (bit 30 set), top bit clear as for
 * every value key.  Neither can equal a path key.
 */
/*
 * Values drawn from small sets get one exact key in the split scheme: a
 * few entries with long posting lists, one key to look up.  Short values
 * (codes such as EMVCo's 00, 01, 52, 53, 58 and 64.00, at most 4 bytes)
 * have few possible values at all, and an EMVCo merchant account's
 * Globally Unique Identifier (sub-id 00 of templates 26-51 and 80-99,
 * §4.7.10, §4.7.13) names its payment network.  The rule reads only the
 * path and the value, as a query knows no format.
 */
static int
small_set(const char *path, size_t pathlen, size_t vlen)
{
	int			tag;

	if (vlen <= QR_GIN_SHORT_VALUE)
		return 1;
	if (pathlen != 5 || memcmp(path + 2, ".00", 3) != 0 ||
		path[0] < '0' || path[0] > '9' || path[1] < '0' || path[1] > '9')
		return 0;
	tag = (path[0] - '0') * 10 + (path[1] - '0');
	return (tag >= 26 && tag <= 51) || tag >= 80;
}

int
qr_gin_split_keys(const char *path, size_t pathlen, const char *value, size_t vlen, int bits,
				  uint32_t keys[2])
{
	uint32_t	h = value_hash(path, pathlen, value, vlen);
	uint32_t	mask;

	if (small_set(path, pathlen, vlen))
	{
		keys[0] = 0x20000000u | (h & 0x1FFFFFFFu);
		return 1;
	}
	if (bits < QR_GIN_SPLIT_BITS_MIN || bits > QR_GIN_SPLIT_BITS_MAX)
		bits = QR_GIN_SPLIT_BITS_DEFAULT;
	mask = (1u << bits) - 1;
	keys[0] = h & mask;
	keys[1] = 0x40000000u | ((h >> 16) & mask);
	return 2;
}

/*
 * Containers are found through their parts; the CRC is a checksum of the
 * rest, never searched for.
 */
static int
valueless(qr_fmt fmt, const qr_field *f)
{
	return f->container || (fmt == QR_FORMAT_EMV_MPM && strcmp(f->path, "63") == 0);
}

/*
 * A superset of the paths whose fields have no value key: the CRC, the
 * raw query of a URL, EMVCo templates, and CPM constructed tags (61 and
 * 62 at the root, a tag whose first byte has the constructed bit 0x20
 * below it, EMV Book 3 Annex B).  A few EMVCo sub-ids that read as such
 * a tag (26.25, say) are answered by path key and recheck: slower, never
 * wrong.
 */
int
qr_gin_path_unvalued(const char *path, size_t pathlen)
{
	int			ids[QR_PATH_DEPTH];
	int			depth;
	const char *last = path;
	size_t		ll;

	if ((pathlen == 2 && memcmp(path, "63", 2) == 0) ||
		(pathlen == 5 && memcmp(path, "query", 5) == 0))
		return 1;
	depth = qr_path_parse(path, pathlen, ids);
	if (depth > 0 && qr_emv_is_template(ids, depth))
		return 1;
	for (size_t i = 0; i < pathlen; i++)
		if (path[i] == '.')
			last = path + i + 1;
	ll = (size_t) (path + pathlen - last);
	if (last == path)
		return pathlen == 2 && (memcmp(path, "61", 2) == 0 || memcmp(path, "62", 2) == 0);
	if (ll < 2 || ll > 6 || ll % 2 != 0)
		return 0;
	for (size_t i = 0; i < ll; i++)
		if (qr_hexval(last[i]) < 0)
			return 0;
	return (qr_hexval(last[0]) & 2) != 0;	/* bit 0x20 of the first byte */
}

typedef struct keys_state
{
	qr_fmt		fmt;
	int			bits;
	int			split;			/* the split scheme's two keys per value */
	void		(*add) (void *arg, uint32_t key);
	void	   *arg;
} keys_state;

static int
keys_cb(void *arg, const qr_field *f)
{
	keys_state *k = arg;
	size_t		pl = strlen(f->path);

	k->add(k->arg, qr_gin_path_key(f->path, pl));
	if (valueless(k->fmt, f))
		return 0;
	if (k->split)
	{
		uint32_t	two[2];
		int			n = qr_gin_split_keys(f->path, pl, f->value, f->value_len, k->bits, two);

		for (int i = 0; i < n; i++)
			k->add(k->arg, two[i]);
	}
	else
		k->add(k->arg, qr_gin_value_key(f->path, pl, f->value, f->value_len, k->bits));
	return 0;
}

static void
keys_walk(const char *buf, size_t len, int bits, int split,
		  void (*add) (void *arg, uint32_t key), void *arg)
{
	keys_state	k;

	k.fmt = qr_detect_format(buf, len);
	k.bits = bits;
	k.split = split;
	k.add = add;
	k.arg = arg;
	qr_fields(buf, len, keys_cb, &k);
}

void
qr_gin_keys(const char *buf, size_t len, int bits, void (*add) (void *arg, uint32_t key),
			void *arg)
{
	keys_walk(buf, len, bits, 0, add, arg);
}

void
qr_gin_split_keys_of(const char *buf, size_t len, int bits,
					 void (*add) (void *arg, uint32_t key), void *arg)
{
	keys_walk(buf, len, bits, 1, add, arg);
}

typedef struct has_state
{
	const char *path;
	size_t		pathlen;
	const char *value;			/* NULL: any value */
	size_t		vlen;
	int			found;
} has_state;

static int
has_cb(void *arg, const qr_field *f)
{
	has_state  *h = arg;

	if (strlen(f->path) != h->pathlen || memcmp(f->path, h->path, h->pathlen) != 0)
		return 0;
	if (h->value && (f->value_len != h->vlen || memcmp(f->value, h->value, h->vlen) != 0))
		return 0;
	h->found = 1;
	return 1;
}

int
qr_has_value(const char *buf, size_t len, const char *path, size_t pathlen,
			 const char *value, size_t vlen)
{
	has_state	h = {path, pathlen, value, vlen, 0};

	qr_fields(buf, len, has_cb, &h);
	return h.found;
}

int
qr_has_path(const char *buf, size_t len, const char *path, size_t pathlen)
{
	has_state	h = {path, pathlen, NULL, 0, 0};

	qr_fields(buf, len, has_cb, &h);
	return h.found;
}

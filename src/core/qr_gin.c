/*
 * qr_gin.c — keys of the GIN operator class, and the operators' own tests.
 *
 * Every field of every format has a path (the qr_get path), so one key
 * space serves them all: a path key per field ("26.00 exists") and a
 * value key per leaf ("26.00 = br.gov.bcb.pix").  Keys are 32-bit hashes
 * (seeded FNV-1a, then a murmur3 finaliser for avalanche) with recheck.
 * Values compare byte for byte, as qr_get returns them.
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

uint32_t
qr_gin_value_key(const char *path, size_t pathlen, const char *value, size_t vlen, int bits)
{
	uint32_t	h = fnv(FNV_OFFSET, path, pathlen);

	h = fnv(h, "", 1);			/* a NUL between path and value: paths hold none */
	h = finish(fnv(h, value, vlen));
	if (bits < QR_GIN_BITS_MIN || bits > QR_GIN_BITS_MAX)
		bits = QR_GIN_BITS_DEFAULT;
	return bits >= 31 ? (h & 0x7FFFFFFFu) : (h & ((1u << bits) - 1));
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
	void		(*add) (void *arg, uint32_t key);
	void	   *arg;
} keys_state;

static int
keys_cb(void *arg, const qr_field *f)
{
	keys_state *k = arg;
	size_t		pl = strlen(f->path);

	k->add(k->arg, qr_gin_path_key(f->path, pl));
	if (!valueless(k->fmt, f))
		k->add(k->arg, qr_gin_value_key(f->path, pl, f->value, f->value_len, k->bits));
	return 0;
}

void
qr_gin_keys(const char *buf, size_t len, int bits, void (*add) (void *arg, uint32_t key),
			void *arg)
{
	keys_state	k;

	k.fmt = qr_detect_format(buf, len);
	k.bits = bits;
	k.add = add;
	k.arg = arg;
	qr_fields(buf, len, keys_cb, &k);
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

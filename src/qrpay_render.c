/*
 * qrpay_render.c — QR symbols of a payment_qr: SVG, PNG and terminal text.
 *
 * Encoding is libqrencode's (ISO/IEC 18004): byte mode, with the ECI
 * designator 000026 (UTF-8) when the payload has a character outside
 * ASCII (EMVCo MPM §4.12).  An EPC069-12 payload whose character set
 * element is 2-8 is carried in that ISO 8859 encoding, as the EPC
 * guidelines define (REFERENCE §3).  PNG is written by libpng, SVG and
 * text here.  The quiet zone is the margin argument, 4 modules by
 * default as ISO/IEC 18004 requires.
 */
#include "postgres.h"

#include <png.h>
#include <qrencode.h>

#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"

#include "qrpay.h"

PG_FUNCTION_INFO_V1(qr_svg);
PG_FUNCTION_INFO_V1(qr_png);
PG_FUNCTION_INFO_V1(qr_text);

#define MODULE_PX_MAX 32
#define MARGIN_MAX 40

static QRecLevel
ecc_level(text *t)
{
	char	   *s = text_to_cstring(t);

	if (pg_strcasecmp(s, "L") == 0)
		return QR_ECLEVEL_L;
	if (pg_strcasecmp(s, "M") == 0)
		return QR_ECLEVEL_M;
	if (pg_strcasecmp(s, "Q") == 0)
		return QR_ECLEVEL_Q;
	if (pg_strcasecmp(s, "H") == 0)
		return QR_ECLEVEL_H;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown error correction level \"%s\"", s),
			 errhint("The levels are L (7%% recovery), M (15%%), Q (25%%) and H (30%%).")));
	return QR_ECLEVEL_M;		/* not reached */
}

static void
check_range(const char *what, int v, int lo, int hi)
{
	if (v < lo || v > hi)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s %d is out of range", what, v),
				 errhint("%s must be between %d and %d%s.", what, lo, hi,
						 strcmp(what, "margin") == 0 ? "; ISO/IEC 18004 asks for a quiet zone of 4 modules" : "")));
}

/* EPC069-12 character sets 2-8 and their PostgreSQL encodings */
static int
epc_encoding(const char *buf, size_t len)
{
	static const int enc[9] = {
		-1, PG_UTF8, PG_LATIN1, PG_LATIN2, PG_LATIN4, PG_ISO_8859_5,
			PG_ISO_8859_7, PG_LATIN6, PG_LATIN9
		};
	const char *p = buf;

	/* BCD, version, character set: the third line */
	for (int line = 0; line < 2; line++)
	{
		p = memchr(p, '\n', len - (size_t) (p - buf));
		if (p == NULL)
			return PG_UTF8;
		p++;
	}
	if (p < buf + len && *p >= '1' && *p <= '8')
		return enc[*p - '0'];
	return PG_UTF8;
}

/*
 * The symbol of a code; the caller frees it with QRcode_free.  The bytes
 * encoded are the payload, or for an EPC code of another character set,
 * the payload in that character set.
 */
static QRcode *
encode(struct varlena *v, QRecLevel level)
{
	const char *buf = QRPAY_PAYLOAD(v);
	size_t		len = QRPAY_PAYLOAD_LEN(v);
	unsigned char *bytes = (unsigned char *) unconstify(char *, buf);
	size_t		nbytes = len;
	bool		ascii = true;
	QRinput    *in;
	QRcode	   *qr;
	int			err = 0;

	for (size_t i = 0; i < len; i++)
		if ((unsigned char) buf[i] >= 0x80)
			ascii = false;
	if (!ascii && qr_detect_format(buf, len) == QR_FORMAT_EPC && epc_encoding(buf, len) != PG_UTF8)
	{
		int			enc = epc_encoding(buf, len);

		bytes = pg_do_encoding_conversion((unsigned char *) pnstrdup(buf, len), (int) len,
										  PG_UTF8, enc);
		nbytes = strlen((char *) bytes);
		ascii = true;			/* the character set element says how to read it */
	}

	in = QRinput_new2(0, level);
	if (in == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	if ((!ascii && QRinput_appendECIheader(in, 26) != 0) ||
		QRinput_append(in, QR_MODE_8, (int) nbytes, bytes) != 0)
	{
		QRinput_free(in);
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	}
	errno = 0;
	qr = QRcode_encodeInput(in);
	err = errno;
	QRinput_free(in);
	if (qr == NULL)
	{
		if (err == ERANGE)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("the payload of %zu bytes does not fit a QR symbol of version 40 at this error correction level", nbytes),
					 errhint("A lower error correction level holds more: L holds up to 2953 bytes.")));
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("could not encode the QR symbol")));
	}
	return qr;
}

static inline bool
dark(const QRcode *qr, int x, int y)
{
	return x >= 0 && y >= 0 && x < qr->width && y < qr->width &&
		   (qr->data[y * qr->width + x] & 1);
}

/* The arguments (code, module_px, margin, ecc) checked, and the symbol. */
static QRcode *
symbol_args(FunctionCallInfo fcinfo, int *px, int *margin)
{
	struct varlena *v = PG_GETARG_PAYMENT_QR_PP(0);
	QRecLevel	level = ecc_level(PG_GETARG_TEXT_PP(3));

	*px = PG_GETARG_INT32(1);
	*margin = PG_GETARG_INT32(2);
	qrpay_check_version(v);
	check_range("module_px", *px, 1, MODULE_PX_MAX);
	check_range("margin", *margin, 0, MARGIN_MAX);
	return encode(v, level);
}

/* ------------------------------------------------------------------ */

Datum
qr_svg(PG_FUNCTION_ARGS)
{
	int			px,
				margin;
	QRcode	   *qr = symbol_args(fcinfo, &px, &margin);
	StringInfoData s;
	int			w,
				size;

	w = qr->width;
	size = w + 2 * margin;
	initStringInfo(&s);
	appendStringInfo(&s,
					 "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" shape-rendering=\"crispEdges\">"
					 "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/><path fill=\"#000\" d=\"",
					 size * px, size * px, size, size, size, size);
	/* one subpath per horizontal run of dark modules */
	for (int y = 0; y < w; y++)
		for (int x = 0; x < w; x++)
			if (dark(qr, x, y) && !dark(qr, x - 1, y))
			{
				int			run = 1;

				while (dark(qr, x + run, y))
					run++;
				appendStringInfo(&s, "M%d %dh%dv1h-%dz", x + margin, y + margin, run, run);
			}
	appendStringInfoString(&s, "\"/></svg>");
	QRcode_free(qr);
	PG_RETURN_TEXT_P(qrpay_text_from_utf8(s.data, s.len));
}

typedef struct png_out
{
	unsigned char *data;		/* malloc'd: libpng callbacks must not ereport */
	size_t		len;
	size_t		cap;
	bool		failed;
} png_out;

static void
png_write(png_structp png, png_bytep data, png_size_t n)
{
	png_out    *o = (png_out *) png_get_io_ptr(png);

	if (o->failed)
		return;
	if (o->len + n > o->cap)
	{
		size_t		cap = (o->cap ? o->cap : 4096);
		unsigned char *d;

		while (cap < o->len + n)
			cap *= 2;
		d = realloc(o->data, cap);
		if (d == NULL)
		{
			o->failed = true;
			return;
		}
		o->data = d;
		o->cap = cap;
	}
	memcpy(o->data + o->len, data, n);
	o->len += n;
}

static void
png_flush(png_structp png)
{
}

Datum
qr_png(PG_FUNCTION_ARGS)
{
	int			px,
				margin;
	QRcode	   *qr = symbol_args(fcinfo, &px, &margin);
	int			size;
	png_structp png;
	png_infop	info;
	png_out		out = {NULL, 0, 0, false};
	unsigned char *row;
	bytea	   *result;
	volatile bool ok = false;

	size = (qr->width + 2 * margin) * px;
	row = palloc((size + 7) / 8);

	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	info = png ? png_create_info_struct(png) : NULL;
	if (png && info && setjmp(png_jmpbuf(png)) == 0)
	{
		png_set_write_fn(png, &out, png_write, png_flush);
		/* 1-bit grayscale: 0 is a dark module, 1 a light one */
		png_set_IHDR(png, info, size, size, 1, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
					 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
		png_write_info(png, info);
		for (int y = 0; y < size; y++)
		{
			int			my = y / px - margin;

			memset(row, 0xFF, (size + 7) / 8);
			for (int x = 0; x < size; x++)
				if (dark(qr, x / px - margin, my))
					row[x / 8] &= (unsigned char) ~(0x80 >> (x % 8));
			png_write_row(png, row);
		}
		png_write_end(png, info);
		ok = !out.failed;
	}
	png_destroy_write_struct(png ? &png : NULL, info ? &info : NULL);
	QRcode_free(qr);
	if (!ok)
	{
		free(out.data);
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("could not write the PNG image")));
	}
	result = palloc(VARHDRSZ + out.len);
	SET_VARSIZE(result, VARHDRSZ + out.len);
	memcpy(VARDATA(result), out.data, out.len);
	free(out.data);
	PG_RETURN_BYTEA_P(result);
}

/*
 * Two module rows per line of text with Unicode half blocks, light
 * modules drawn: it scans off a terminal with light text on a dark
 * background, as psql's usually is.
 */
Datum
qr_text(PG_FUNCTION_ARGS)
{
	struct varlena *v = PG_GETARG_PAYMENT_QR_PP(0);
	QRcode	   *qr;
	StringInfoData s;
	const int	margin = 4;
	int			size;

	qrpay_check_version(v);
	qr = encode(v, QR_ECLEVEL_M);
	size = qr->width + 2 * margin;
	initStringInfo(&s);
	for (int y = 0; y < size; y += 2)
	{
		for (int x = 0; x < size; x++)
		{
			bool		top = !dark(qr, x - margin, y - margin);
			bool		bottom = y + 1 < size && !dark(qr, x - margin, y + 1 - margin);

			appendStringInfoString(&s, top && bottom ? "\u2588" : top ? "\u2580" : bottom ? "\u2584" : " ");
		}
		appendStringInfoChar(&s, '\n');
	}
	QRcode_free(qr);
	PG_RETURN_TEXT_P(qrpay_text_from_utf8(s.data, s.len));
}

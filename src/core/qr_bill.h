/*
 * qr_bill.h — provider statements (bills) read from a whole file: RFC 4180
 * records, then the WeChat Pay, Alipay and mapped-CSV layouts on top.
 *
 * Plain C99 like the rest of src/core: the caller hands over the file as
 * UTF-8 bytes (the glue converts GBK first) and a qr_bill it owns; nothing
 * allocates.  Field values point into the file, or for a record with
 * quotes into the caller's work buffer (two bytes for every byte of the
 * file), and stay valid until the next record is read.
 */
#ifndef QR_BILL_H
#define QR_BILL_H

#include "qrpay_core.h"

/* ------------------------------------------------------------------ */
/* Records                                                             */
/* ------------------------------------------------------------------ */

/*
 * One record of a CSV file (RFC 4180 §2): it ends at a LF or CRLF outside
 * quotes, so a quoted field may hold delimiters, doubled quotes and line
 * breaks.  The quoting rules are those of qr_csv_split (see qr_csv.c), so
 * that splitting a record gives the fields this reader saw.
 */
typedef struct qr_record
{
	const char *text;			/* into the file, without its line end */
	size_t		len;
	long		line;			/* physical line it starts on, from 1 */
	int			open_quote;		/* a quote is still open at the end of the file */
	int			crlf;			/* it ended with CRLF */
	int			quoted;			/* it holds a quote character */
} qr_record;

typedef struct qr_rec_reader
{
	const char *buf;
	size_t		len;
	size_t		pos;
	long		line;
	char		delim;
} qr_rec_reader;

/* Skips a leading UTF-8 byte order mark; returns 1 when there was one. */
extern int	qr_rec_init(qr_rec_reader *r, const char *buf, size_t len, char delim);

/* 1 and *rec filled while records remain, 0 at the end.  Linear in all. */
extern int	qr_rec_next(qr_rec_reader *r, qr_record *rec);

/*
 * The record's fields as qr_csv_split gives them, and their count.  A
 * record that holds no quote needs no unquoting: its values point into
 * the record's own text; else they are unquoted into buf (rec->len bytes).
 */
extern long qr_rec_split(const qr_record *rec, char delim, qr_csv_field *out, long max, char *buf);

/* ------------------------------------------------------------------ */
/* Bills                                                               */
/* ------------------------------------------------------------------ */

typedef enum qr_bill_format
{
	QR_BILL_DETECT = 0,			/* decide from the header */
	QR_BILL_WECHATPAY = 1,		/* /pay/downloadbill v2 merchant bill */
	QR_BILL_ALIPAY = 2,			/* 业务明细 (business detail) file */
	QR_BILL_CSV = 3				/* any CSV, columns named by a mapping */
} qr_bill_format;

extern const char *qr_bill_format_name(qr_bill_format f);

/* The common shape every reader maps its columns to. */
typedef enum qr_col
{
	QR_COL_TS = 0,
	QR_COL_PROVIDER_TXN,
	QR_COL_REFERENCE,
	QR_COL_AMOUNT,
	QR_COL_CURRENCY,
	QR_COL_FEE,
	QR_COL_STATUS,
	QR_COL_REFUND_TXN,
	QR_COL_REFUND_REFERENCE,
	QR_COL_REFUND_AMOUNT
} qr_col;

#define QR_NCOL 10

/* "ts", "provider_txn", ...; and back (-1 when s names no column) */
extern const char *qr_col_name(qr_col c);
extern int	qr_col_parse(const char *s, size_t n);

#define QR_BILL_MAX_COLS 512	/* fields kept of a record; more are counted */
#define QR_BILL_MAX_TOTALS 16
#define QR_BILL_VALUE_SHOWN 64	/* bytes of a bad value quoted in a message */

/* A calendar time as the file writes it, in the bill's time zone. */
typedef struct qr_bill_time
{
	int			year,
				mon,
				day,
				hour,
				min,
				sec;
} qr_bill_time;

/* One total of a WeChat Pay summary line (or Alipay's 交易合计 count). */
typedef struct qr_bill_total
{
	const char *key;			/* "count", "amount"... or the header's own name */
	size_t		key_len;
	const char *value;			/* into the bill's summary buffer */
	size_t		value_len;
} qr_bill_total;

typedef struct qr_bill
{
	/* --- set by the caller before qr_bill_open ------------------------ */
	qr_bill_format format;
	char		delim;
	const char *label;			/* names the statement in messages; NULL: the format */
	/* header names per column; NULL: the format's own, or not mapped */
	const char *name[QR_NCOL];
	size_t		name_len[QR_NCOL];
	/*
	 * The generic reader of qr_statement_read: the header is the first
	 * record with a field named header_has (default: the provider_txn
	 * column's name); rows end at a record opening with footer (after
	 * backticks); records opening with comment are skipped.  The WeChat
	 * Pay and Alipay formats set their own.
	 */
	const char *header_has;
	size_t		header_has_len;
	const char *footer;
	size_t		footer_len;
	const char *comment;
	size_t		comment_len;
	char	   *work;			/* 2 * len + 2 bytes */

	/* --- filled by qr_bill_open ---------------------------------------- */
	qr_rec_reader rd;
	int			bom;
	int			crlf;			/* the header line ends with CRLF */
	long		header_line;
	const char *bill_type;		/* WeChat Pay: "ALL", "SUCCESS", "REFUND"; else NULL */
	qr_csv_field head[QR_BILL_MAX_COLS];	/* the header's names */
	long		ncols;
	int			col[QR_NCOL];	/* header index per column, -1 when absent */
	int			mapped[QR_BILL_MAX_COLS];	/* header index taken by a column */
	char		message[QR_MSG_MAX];	/* why qr_bill_open failed */
	int			missing;		/* the column it lacks, -1 when another reason */

	/* --- state while reading ------------------------------------------- */
	int			done;			/* the rows have ended */
	long		records;		/* data records read */
	qr_csv_field f[QR_BILL_MAX_COLS];
	char	   *rowbuf;

	/* --- filled once the rows have ended (qr_bill_finish) --------------- */
	int			has_summary;	/* WeChat Pay's summary header, Alipay's 交易合计 */
	long		summary_line;	/* the line of the totals (WeChat) or the count (Alipay) */
	qr_bill_total totals[QR_BILL_MAX_TOTALS];
	int			ntotals;
	int			has_period;		/* Alipay's 起始日期 / 终止日期 */
	qr_bill_time period_start,
				 period_end;
	long		open_quote_line;	/* a record whose quote ran to the end, 0 none */
} qr_bill;

/* One data row as read. */
typedef struct qr_bill_row
{
	long		line;
	const char *raw;			/* the record, into the file */
	size_t		raw_len;
	const qr_csv_field *f;		/* its fields, cleaned: backtick dropped, trimmed */
	long		nf;				/* how many (may exceed QR_BILL_MAX_COLS) */
	int			ok;
	char		error[QR_MSG_MAX];	/* when not ok: names the line and column */
	/* when ok: each column's value (NULL when the column is absent) */
	const char *val[QR_NCOL];
	size_t		val_len[QR_NCOL];
	qr_bill_time ts;
} qr_bill_row;

/*
 * Finds the header and maps the columns.  Returns 1, or 0 with message
 * set (and missing, when a required column is absent).  For
 * QR_BILL_DETECT the format is the first header found: a field named
 * 微信订单号 (WeChat Pay) or 支付宝交易号 (Alipay).
 */
extern int	qr_bill_open(qr_bill *b, const char *buf, size_t len);

/* 1 and *row filled for each data row, 0 when they have ended. */
extern int	qr_bill_next(qr_bill *b, qr_bill_row *row);

/*
 * Reads what follows the rows (the WeChat Pay summary, Alipay's footer)
 * and what preceded the header (Alipay's period).  Call after qr_bill_next
 * returned 0.
 */
extern void qr_bill_finish(qr_bill *b);

/*
 * Is this the header's index i taken by a column of the common shape?
 * (The others go to the row's extra fields.)
 */
static inline int
qr_bill_is_mapped(const qr_bill *b, long i)
{
	return i < QR_BILL_MAX_COLS && b->mapped[i];
}

/* Parses "YYYY-MM-DD hh:mm[:ss]" (or a 'T'), calendar-checked; 1 when valid. */
extern int	qr_bill_parse_time(const char *s, size_t n, qr_bill_time *t);

/* Is s a decimal number -?\d+(\.\d+)? */
extern int	qr_bill_is_number(const char *s, size_t n);

#endif							/* QR_BILL_H */

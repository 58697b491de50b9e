/*
 * qrpay_distributed.c — qr_match over Citus distributed tables: each shard
 * group reconciled by the worker that holds it.
 *
 * A ledger and a statement distributed by their match key
 * (qr_match_key: the parent reference, else the reference, else the
 * provider) and co-located keep in one shard group every set of rows the
 * engine can link: a reference's payments, refunds and statement lines,
 * and a provider's rows without a reference.  qr_match's result is then the
 * union of its results on each shard group, which the workers compute in
 * parallel (Citus's run_command_on_colocated_placements, one connection per
 * shard group).  Each returns its rows as one text value
 * (qr_match_shard): the largest group id it gave, then a row per line in
 * the text form of a row, times as microseconds; the coordinator reads
 * them with the columns' input functions, shifts each shard group's ids
 * past the previous ones so that they stay unique, and stores the rows for
 * the caller.  The engine's caller checks the distribution first
 * (qrpay_match.c); nothing here runs without Citus.
 */
#include "postgres.h"

#include "fmgr.h"

#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "lib/stringinfo.h"
#include "nodes/makefuncs.h"
#include "nodes/value.h"
#include "parser/parse_func.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "common/int.h"

#include "qrpay.h"

#define NCOLS		19			/* qr_match's columns */
#define LEDGER_TS_COL 6			/* ledger_ts among them */
#define STATEMENT_TS_COL 7		/* statement_ts */
#define GROUP_COL	12			/* group_id */

PG_FUNCTION_INFO_V1(qr_match_key);

/*
 * qr_match_key(provider, reference, parent_reference): the parent
 * reference, else the reference, else the provider (an empty text counts
 * as none, as in the engine).
 */
Datum
qr_match_key(PG_FUNCTION_ARGS)
{
	for (int i = 2; i >= 0; i--)
	{
		text	   *t;

		if (PG_ARGISNULL(i))
			continue;
		t = PG_GETARG_TEXT_PP(i);
		if (i == 0 || VARSIZE_ANY_EXHDR(t) > 0)
			PG_RETURN_TEXT_P(t);
	}
	PG_RETURN_NULL();
}

/* one relation's row of pg_dist_partition */
typedef struct d_part
{
	bool		found;
	char		method;
	int64		colocation;
	char	   *column;
} d_part;

static d_part
partition_of(Oid rel)
{
	d_part		p = {false, 0, 0, NULL};
	Oid			types[1] = {OIDOID};
	Datum		values[1] = {ObjectIdGetDatum(rel)};
	bool		isnull;

	if (SPI_execute_with_args("SELECT p.partmethod::text, p.colocationid::int8, "
							  "pg_catalog.column_to_column_name(p.logicalrelid, p.partkey) "
							  "FROM pg_catalog.pg_dist_partition p WHERE p.logicalrelid = $1",
							  1, types, values, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "qr_match could not read pg_dist_partition");
	if (SPI_processed == 0)
		return p;
	p.found = true;
	p.method = *SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	p.colocation = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	p.column = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3);
	return p;
}

/*
 * Whether the ledger and the statement are co-located hash-distributed
 * tables (their distribution columns in *lcol and *scol).  When not, and
 * one of them is hash-distributed, *why says what stands in the way.
 */
bool
qrpay_citus_colocated(Oid nsp, Oid lrel, Oid srel, char **lcol, char **scol, char **why)
{
	d_part		l,
				s;
	Oid			args[5] = {REGCLASSOID, REGCLASSOID, JSONBOID, INT4OID, TEXTARRAYOID};

	*why = NULL;
	if (!OidIsValid(get_extension_oid("citus", true)))
		return false;
	l = partition_of(lrel);
	s = partition_of(srel);
	if (!(l.found && l.method == 'h') && !(s.found && s.method == 'h'))
		return false;			/* plain, reference or Citus local tables */
	if (!(l.found && l.method == 'h') || !(s.found && s.method == 'h'))
		*why = psprintf("%s is not a hash-distributed table", get_rel_name(l.found && l.method == 'h' ? srel : lrel));
	else if (l.colocation != s.colocation)
		*why = "they are not co-located";
	else if (!OidIsValid(LookupFuncName(list_make2(makeString(get_namespace_name(nsp)), makeString("qr_match_shard")),
										5, args, true)))
		*why = "the extension's objects are older than its library (ALTER EXTENSION qrpay UPDATE)";
	if (*why != NULL)
		return false;
	*lcol = l.column;
	*scol = s.column;
	return true;
}

/* "%" doubled: the command goes through format(), which fills in the shard names */
static char *
format_escaped(const char *s)
{
	StringInfoData b;

	initStringInfo(&b);
	for (; *s; s++)
	{
		if (*s == '%')
			appendStringInfoChar(&b, '%');
		appendStringInfoChar(&b, *s);
	}
	return b.data;
}

/* how a column of the wire becomes a Datum of the result */
typedef struct d_col
{
	FmgrInfo	in;
	Oid			ioparam;
	int32		typmod;
	bool		micros;			/* a time, as microseconds since 2000-01-01 UTC */
} d_col;

typedef struct d_receiver
{
	DestReceiver pub;
	Tuplestorestate *out;
	TupleDesc	desc;
	d_col		cols[NCOLS];
	MemoryContext rowcxt;
	StringInfoData field;
	int64		offset;			/* added to the group ids of the shard group being read */
	int			groups;			/* shard groups read */
} d_receiver;

static void
malformed(int64 shard, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_PROTOCOL_VIOLATION),
			 errmsg("qr_match: the rows of shard " INT64_FORMAT " are malformed: %s", shard, what)));
}

/*
 * One field of a row's text (as record_out writes it: a NULL is nothing, a
 * value with special characters is quoted, with quotes and backslashes
 * doubled) into buf; returns where it ends (at the ',' or ')' after it).
 */
static const char *
read_field(const char *p, const char *end, StringInfo buf, bool *isnull, int64 shard)
{
	bool		quoted = false;
	const char *run;

	resetStringInfo(buf);
	while (p < end && *p != ',' && *p != ')')
	{
		if (*p == '"')
		{
			quoted = true;
			for (p++;;)
			{
				for (run = p; p < end && *p != '"' && *p != '\\'; p++)
					;
				appendBinaryStringInfo(buf, run, p - run);
				if (p >= end)
					malformed(shard, "a quote is not closed");
				if (*p == '\\' && p + 1 < end)
					appendStringInfoChar(buf, p[1]), p += 2;
				else if (*p == '"' && p + 1 < end && p[1] == '"')
					appendStringInfoChar(buf, '"'), p += 2;
				else if (*p == '"')
					break;
				else
					malformed(shard, "a backslash ends the text");
			}
			p++;
		}
		else if (*p == '\\' && p + 1 < end)
		{
			appendStringInfoChar(buf, p[1]);
			p += 2;
		}
		else
		{
			for (run = p; p < end && *p != ',' && *p != ')' && *p != '"' && *p != '\\'; p++)
				;
			appendBinaryStringInfo(buf, run, p - run);
		}
	}
	*isnull = !quoted && buf->len == 0;
	return p;
}

/* a shard group's text: its largest group id, then a row per line */
static void
read_shard(d_receiver *r, int64 shard, const char *p, const char *end, int width)
{
	Datum		values[NCOLS];
	bool		nulls[NCOLS];
	int64		top = 0;
	MemoryContext old;

	for (; p < end && *p >= '0' && *p <= '9'; p++)
	{
		if (pg_mul_s64_overflow(top, 10, &top) || pg_add_s64_overflow(top, *p - '0', &top))
			malformed(shard, "its largest group id is out of range");
	}
	if (p < end && *p++ != '\n')
		malformed(shard, "no largest group id");
	while (p < end)
	{
		old = MemoryContextSwitchTo(r->rowcxt);
		if (*p++ != '(')
			malformed(shard, "a row does not start with \"(\"");
		for (int i = 0; i < width; i++)
		{
			p = read_field(p, end, &r->field, &nulls[i], shard);
			if (p >= end || *p != (i == width - 1 ? ')' : ','))
				malformed(shard, i == width - 1 ? "a row has too many columns or no \")\"" : "a row has too few columns");
			p++;
			if (i >= r->desc->natts || nulls[i])
				continue;
			if (r->cols[i].micros)
				values[i] = TimestampTzGetDatum(DatumGetInt64(DirectFunctionCall1(int8in, CStringGetDatum(r->field.data))));
			else
				values[i] = InputFunctionCall(&r->cols[i].in, r->field.data, r->cols[i].ioparam, r->cols[i].typmod);
		}
		if (p < end && *p++ != '\n')
			malformed(shard, "a row does not end its line");
		if (r->desc->natts > GROUP_COL && !nulls[GROUP_COL])
			values[GROUP_COL] = Int64GetDatum(DatumGetInt64(values[GROUP_COL]) + r->offset);
		MemoryContextSwitchTo(old);
		tuplestore_putvalues(r->out, r->desc, values, nulls);
		MemoryContextReset(r->rowcxt);
	}
	r->offset += top;
}

static bool
receive_shard(TupleTableSlot *slot, DestReceiver *self)
{
	d_receiver *r = (d_receiver *) self;
	int64		shard;
	text	   *t;

	slot_getallattrs(slot);
	shard = DatumGetInt64(slot->tts_values[0]);
	if (!DatumGetBool(slot->tts_values[1]) || slot->tts_isnull[4])
		ereport(ERROR,
				(errcode(ERRCODE_CONNECTION_FAILURE),
				 errmsg("qr_match failed on shard " INT64_FORMAT " at %s:%d: %s", shard,
						TextDatumGetCString(slot->tts_values[2]), DatumGetInt32(slot->tts_values[3]),
						slot->tts_isnull[4] ? "(no message)" : TextDatumGetCString(slot->tts_values[4]))));
	t = DatumGetTextPP(slot->tts_values[4]);
	read_shard(r, shard, VARDATA_ANY(t), VARDATA_ANY(t) + VARSIZE_ANY_EXHDR(t), r->desc->natts);
	if ((Pointer) t != DatumGetPointer(slot->tts_values[4]))
		pfree(t);
	r->groups++;
	return true;
}

static void
receive_startup(DestReceiver *self, int operation, TupleDesc typeinfo)
{
	if (typeinfo->natts != 5)
		elog(ERROR, "qr_match: the shard groups' answers came with %d columns", typeinfo->natts);
}

static void
receive_nothing(DestReceiver *self)
{
}

/*
 * qr_match's result over every shard group, into out (desc: qr_match's
 * first desc->natts columns), under settings (a jsonb text, or NULL).
 */
void
qrpay_match_on_shards(Oid nsp, Oid lrel, Oid srel, const char *settings, Tuplestorestate *out, TupleDesc desc)
{
	const char *schema = quote_identifier(get_namespace_name(nsp));
	static const char *const styles[3] = {"TimeZone", "DateStyle", "IntervalStyle"};
	StringInfoData st;
	char	   *command;
	d_receiver	rcv;
	SPIExecuteOptions opts;
	Datum		values[3];
	Oid			types[3] = {REGCLASSOID, REGCLASSOID, TEXTOID};
	ParamListInfo params;

	/* the workers identify, route and price with their own catalog tables */
	if (SPI_execute(psprintf("SELECT %s.qr_catalog_check()", schema), false, 0) != SPI_OK_SELECT)
		elog(ERROR, "qr_match could not compare the nodes' catalogs");

	initStringInfo(&st);
	appendStringInfoString(&st, "ARRAY[");
	for (int i = 0; i < 3; i++)
		appendStringInfo(&st, "%s%s, %s", i ? ", " : "", quote_literal_cstr(styles[i]),
						 quote_literal_cstr(GetConfigOption(styles[i], false, false)));
	appendStringInfoString(&st, "]::text[]");
	command = psprintf("SELECT %s.qr_match_shard(%%L::regclass, %%L::regclass, %s, %d, %s)",
					   schema, format_escaped(settings ? psprintf("%s::jsonb", quote_literal_cstr(settings)) : "NULL::jsonb"),
					   desc->natts, format_escaped(st.data));

	/* one answer per shard group (a shard with several placements answers once) */
	memset(&rcv, 0, sizeof(rcv));
	rcv.pub.receiveSlot = receive_shard;
	rcv.pub.rStartup = receive_startup;
	rcv.pub.rShutdown = receive_nothing;
	rcv.pub.rDestroy = receive_nothing;
	rcv.pub.mydest = DestNone;
	rcv.out = out;
	rcv.desc = desc;
	rcv.rowcxt = AllocSetContextCreate(CurrentMemoryContext, "qr_match shard rows", ALLOCSET_DEFAULT_SIZES);
	initStringInfo(&rcv.field);
	for (int i = 0; i < desc->natts; i++)
	{
		Oid			func;
		Form_pg_attribute att = TupleDescAttr(desc, i);

		rcv.cols[i].micros = (i == LEDGER_TS_COL || i == STATEMENT_TS_COL);
		getTypeInputInfo(att->atttypid, &func, &rcv.cols[i].ioparam);
		fmgr_info(func, &rcv.cols[i].in);
		rcv.cols[i].typmod = att->atttypmod;
	}
	values[0] = ObjectIdGetDatum(lrel);
	values[1] = ObjectIdGetDatum(srel);
	values[2] = CStringGetTextDatum(command);
	params = makeParamList(3);
	for (int i = 0; i < 3; i++)
	{
		params->params[i].value = values[i];
		params->params[i].isnull = false;
		params->params[i].pflags = PARAM_FLAG_CONST;
		params->params[i].ptype = types[i];
	}
	memset(&opts, 0, sizeof(opts));
	opts.params = params;
	opts.read_only = false;
	opts.dest = (DestReceiver *) &rcv;
	if (SPI_execute_extended("SELECT DISTINCT ON (r.shardid1) r.shardid1, r.success, r.nodename, r.nodeport, r.result "
							 "FROM pg_catalog.run_command_on_colocated_placements($1, $2, $3) r "
							 "ORDER BY r.shardid1, r.success DESC",
							 &opts) < 0)
		elog(ERROR, "qr_match could not run on the shards of %s and %s", get_rel_name(lrel), get_rel_name(srel));
	MemoryContextDelete(rcv.rowcxt);
	ereport(DEBUG1,
			(errmsg_internal("qr_match reconciled %d shard groups of %s and %s on their workers",
							 rcv.groups, get_rel_name(lrel), get_rel_name(srel))));
}

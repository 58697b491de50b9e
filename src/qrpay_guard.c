/*
 * qrpay_guard.c — the triggers of the extension's tables: the guard of
 * the catalog's shipped rows and patterns (qr_catalog_guard), the
 * statement-level invalidation of the catalog cache
 * (qr_catalog_invalidate), the rule to city references
 * (qr_rule_cities_check, qr_city_references_check) and the audit trail
 * (qr_catalog_audit, qr_recon_audit).  The cache they serve is
 * qrpay_catalog.c.
 *
 * The triggers trust nothing about how they were attached: each checks
 * that it fires on the extension's own table, at the time, level and
 * events it was written for, before it reads a column.  Rule to city
 * references are checked after each row the way PostgreSQL's foreign
 * keys are (ri_triggers.c): by a locking query under a fresh snapshot.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "qrpay.h"
#include "qrpay_catalog.h"

PG_FUNCTION_INFO_V1(qr_catalog_invalidate);
PG_FUNCTION_INFO_V1(qr_catalog_guard);
PG_FUNCTION_INFO_V1(qr_rule_cities_check);
PG_FUNCTION_INFO_V1(qr_city_references_check);
PG_FUNCTION_INFO_V1(qr_catalog_audit);
PG_FUNCTION_INFO_V1(qr_recon_audit);

/*
 * The trigger functions are ordinary functions any role may attach to any
 * table it owns, with any timing: CREATE TRIGGER needs no privilege on the
 * function beyond EXECUTE.  So before a trigger reads a column it checks
 * that the relation is the extension's own table of that name (the same
 * OID as the table in the schema of the function itself; a temporary
 * qr_cities is not it), and that it fires at the time, level and events it
 * was written for.  Past that check the table's columns are known, and
 * catalog_attnum() still verifies each one it reads.
 */
typedef enum catalog_table
{
	TABLE_PROVIDERS,
	TABLE_PATTERNS,
	TABLE_CITIES,
	TABLE_RULES,
	TABLE_FEE_RATES,
	/* the back office's tables (0.8.0), audited to qr_recon_audit */
	TABLE_FORMATS,
	TABLE_BATCHES,
	TABLE_RUNS,
	TABLE_BREAKS,
	/* the reconciliation settings and rates (0.9.0), audited to qr_recon_audit */
	TABLE_RECON_SETTINGS,
	TABLE_RECON_FEE_RATES,
	TABLE_FX_RATES,
	TABLE_COUNT
} catalog_table;

static const char *const catalog_table_names[TABLE_COUNT] = {
	"qr_providers", "qr_provider_patterns", "qr_cities", "qr_interop_rules", "qr_fee_rates",
	"qr_statement_formats", "qr_statement_batches", "qr_recon_runs", "qr_recon_breaks",
	"qr_recon_settings", "qr_recon_fee_rates", "qr_fx_rates"
};

#define TABLE_BIT(t) (1 << (t))
/* the tables the cache reads, which the guard and invalidation serve */
#define CACHED_TABLES (TABLE_BIT(TABLE_FEE_RATES) - 1)
/* the tables qr_catalog_audit records */
#define CATALOG_TABLES (TABLE_BIT(TABLE_FORMATS) - 1)
/* the tables qr_recon_audit records */
#define BACK_OFFICE_TABLES ((TABLE_BIT(TABLE_COUNT) - 1) & ~CATALOG_TABLES)

/* A relation as messages name it; any temporary schema is pg_temp. */
static char *
relation_label(Relation rel)
{
	Oid			nsp = RelationGetNamespace(rel);
	char	   *nspname = isAnyTempNamespace(nsp) ? "pg_temp" : get_namespace_name(nsp);

	return quote_qualified_identifier(nspname ? nspname : "?", RelationGetRelationName(rel));
}

static const char *
firing_label(TriggerEvent ev)
{
	const char *timing = TRIGGER_FIRED_BEFORE(ev) ? "BEFORE" :
						 TRIGGER_FIRED_AFTER(ev) ? "AFTER" : "INSTEAD OF";
	const char *event = TRIGGER_FIRED_BY_INSERT(ev) ? "INSERT" :
						TRIGGER_FIRED_BY_UPDATE(ev) ? "UPDATE" :
						TRIGGER_FIRED_BY_DELETE(ev) ? "DELETE" :
						TRIGGER_FIRED_BY_TRUNCATE(ev) ? "TRUNCATE" : "an unknown event";

	return psprintf("%s %s FOR EACH %s", timing, event,
					TRIGGER_FIRED_FOR_ROW(ev) ? "ROW" : "STATEMENT");
}

/*
 * The trigger data of a call of trigger function fn, after checking that
 * it is called as a trigger on one of the extension's tables in the mask
 * tables; *which receives the table.
 */
static TriggerData *
catalog_trigger(FunctionCallInfo fcinfo, const char *fn, int tables, catalog_table *which)
{
	TriggerData *td;
	Oid			nsp;
	Oid			relid;
	StringInfoData names;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("%s() must be called as a trigger", fn)));
	td = (TriggerData *) fcinfo->context;
	nsp = qrpay_extension_schema(fcinfo);
	relid = RelationGetRelid(td->tg_relation);
	for (int t = 0; t < TABLE_COUNT; t++)
		if ((tables & TABLE_BIT(t)) && get_relname_relid(catalog_table_names[t], nsp) == relid)
		{
			*which = (catalog_table) t;
			return td;
		}

	initStringInfo(&names);
	for (int t = 0; t < TABLE_COUNT; t++)
		if (tables & TABLE_BIT(t))
			appendStringInfo(&names, "%s%s", names.len ? ", " : "", catalog_table_names[t]);
	ereport(ERROR,
			(errcode(ERRCODE_WRONG_OBJECT_TYPE),
			 errmsg("trigger \"%s\" on %s cannot call %s(): that is not a qrpay catalog table it serves",
					td->tg_trigger->tgname, relation_label(td->tg_relation), fn),
			 errdetail("%s() serves only the extension's own tables of schema \"%s\": %s.",
					   fn, get_namespace_name(nsp), names.data),
			 errhint("Drop the trigger; the extension attaches its trigger functions to its tables itself.")));
	pg_unreachable();
}

/* The trigger fires as fn was written for (expected), or it errors. */
static void
require_firing(TriggerData *td, const char *fn, bool fits, const char *expected)
{
	if (!fits)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("trigger \"%s\" on %s fires %s, which %s() is not written for",
						td->tg_trigger->tgname, relation_label(td->tg_relation),
						firing_label(td->tg_event), fn),
				 errdetail("%s() must fire %s.", fn, expected),
				 errhint("Drop the trigger; the extension attaches its trigger functions to its tables itself.")));
}

/*
 * The number of column col of a catalog table, which must be of type
 * type: true of the extension's tables unless someone altered them.
 */
static int
catalog_attnum(Relation rel, const char *col, Oid type)
{
	TupleDesc	desc = RelationGetDescr(rel);
	int			att = SPI_fnumber(desc, col);

	if (att <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the qrpay catalog table %s has been altered", relation_label(rel)),
				 errdetail("It has no column \"%s\".", col),
				 errhint("Reinstall the extension: DROP EXTENSION qrpay; CREATE EXTENSION qrpay.")));
	if (TupleDescAttr(desc, att - 1)->atttypid != type)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the qrpay catalog table %s has been altered", relation_label(rel)),
				 errdetail("Column \"%s\" is of type %s, not %s.", col,
						   format_type_be(TupleDescAttr(desc, att - 1)->atttypid),
						   format_type_be(type)),
				 errhint("Reinstall the extension: DROP EXTENSION qrpay; CREATE EXTENSION qrpay.")));
	return att;
}

/* A text column of a row as a C string, NULL when NULL. */
static char *
row_text(TriggerData *td, HeapTuple tup, const char *col)
{
	int			att = catalog_attnum(td->tg_relation, col, TEXTOID);
	bool		isnull;
	Datum		d = heap_getattr(tup, att, RelationGetDescr(td->tg_relation), &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

/* A rule id or city name in a message; NULL ones fail NOT NULL later. */
#define SHOWN(s) ((s) ? (s) : "(null)")

static bool
row_shipped(TriggerData *td, HeapTuple tup)
{
	int			att = catalog_attnum(td->tg_relation, "shipped", BOOLOID);
	bool		isnull;
	Datum		d = heap_getattr(tup, att, RelationGetDescr(td->tg_relation), &isnull);

	return !isnull && DatumGetBool(d);
}

/* Is this call made by the extension's own install or update script? */
static bool
own_script(FunctionCallInfo fcinfo)
{
	return creating_extension &&
		   CurrentExtensionObject == getExtensionOfObject(ProcedureRelationId, fcinfo->flinfo->fn_oid);
}

/*
 * AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ... FOR EACH STATEMENT on
 * the catalog tables: invalidate the table's relcache entry, which every
 * backend's callback turns into a cache reload.
 */
Datum
qr_catalog_invalidate(PG_FUNCTION_ARGS)
{
	const char *fn = "qr_catalog_invalidate";
	catalog_table which;
	TriggerData *td = catalog_trigger(fcinfo, fn, CACHED_TABLES, &which);

	require_firing(td, fn, TRIGGER_FIRED_AFTER(td->tg_event) && TRIGGER_FIRED_FOR_STATEMENT(td->tg_event),
				   "AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE FOR EACH STATEMENT");
	CacheInvalidateRelcacheByRelid(RelationGetRelid(td->tg_relation));
	return PointerGetDatum(NULL);
}

/*
 * The cities of a rule, each resolved to its qr_cities name (so "beijing"
 * and "北京" are stored as "Beijing"); an unknown city is an error.  This
 * reads the cache, so it sees the cities committed before the statement
 * (and the transaction's own); whether they still exist when the
 * statement ends is qr_rule_cities_check's business.
 */
static HeapTuple
canonical_cities(FunctionCallInfo fcinfo, TriggerData *td, HeapTuple tup)
{
	TupleDesc	desc = RelationGetDescr(td->tg_relation);
	int			att = catalog_attnum(td->tg_relation, "cities", TEXTARRAYOID);
	bool		isnull;
	Datum		d;
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	Datum		repl;
	bool		repl_null = false;

	d = heap_getattr(tup, att, desc, &isnull);
	if (isnull)
		return tup;
	deconstruct_array(DatumGetArrayTypeP(d), TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	for (int i = 0; i < n; i++)
	{
		char	   *name;
		int			city;

		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("rule \"%s\" lists a NULL city", SHOWN(row_text(td, tup, "id"))),
					 errhint("Use cities = NULL for a nationwide rule.")));
		name = TextDatumGetCString(elems[i]);
		city = qrpay_city_lookup(fcinfo, name, strlen(name));
		if (city < 0)
			ereport(ERROR,
					(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
					 errmsg("unknown city \"%s\" in rule \"%s\"", name, SHOWN(row_text(td, tup, "id"))),
					 errhint("Cities are the names, Chinese names or aliases of qr_cities; add the city there first.")));
		elems[i] = CStringGetTextDatum(qrpay_city_name(city));
	}
	repl = PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
	return heap_modify_tuple_by_cols(tup, desc, 1, &att, &repl, &repl_null);
}

/*
 * BEFORE ... FOR EACH ROW on the catalog tables, and BEFORE TRUNCATE.
 *
 * Shipped rows (shipped = true) come with the extension and are not
 * dumped (pg_extension_config_dump filters them out), so an edit to one
 * would silently vanish in a dump and restore: they are read-only outside
 * the extension's own scripts, and users add rows of their own instead.
 * Patterns are checked here so that a bad glob is refused when it is
 * written, with a message saying why, not when a query later uses it.
 */
Datum
qr_catalog_guard(PG_FUNCTION_ARGS)
{
	const char *fn = "qr_catalog_guard";
	catalog_table which;
	TriggerData *td = catalog_trigger(fcinfo, fn, CACHED_TABLES, &which);
	TriggerEvent ev = td->tg_event;
	const char *table = catalog_table_names[which];
	HeapTuple	newtup = NULL;

	require_firing(td, fn,
				   TRIGGER_FIRED_BEFORE(ev) &&
				   (TRIGGER_FIRED_FOR_ROW(ev) ? !TRIGGER_FIRED_BY_TRUNCATE(ev) : TRIGGER_FIRED_BY_TRUNCATE(ev)),
				   "BEFORE INSERT OR UPDATE OR DELETE FOR EACH ROW, or BEFORE TRUNCATE FOR EACH STATEMENT");
	if (TRIGGER_FIRED_FOR_ROW(ev))
		newtup = TRIGGER_FIRED_BY_UPDATE(ev) ? td->tg_newtuple : td->tg_trigtuple;
	if (own_script(fcinfo))
		return PointerGetDatum(newtup);

	if (TRIGGER_FIRED_BY_TRUNCATE(ev))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("cannot truncate %s: it holds the rows shipped with qrpay", table),
				 errhint("Delete your own rows with DELETE FROM %s WHERE NOT shipped.", table)));

	if (TRIGGER_FIRED_BY_UPDATE(ev) || TRIGGER_FIRED_BY_DELETE(ev))
	{
		if (row_shipped(td, td->tg_trigtuple))
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("cannot %s a row shipped with qrpay in %s",
							TRIGGER_FIRED_BY_UPDATE(ev) ? "update" : "delete", table),
					 errdetail("Shipped rows come back with the extension on restore, so a change to one would not survive pg_dump."),
					 errhint("Add a row of your own instead; it is dumped and restored with your data.")));
	}
	if (TRIGGER_FIRED_BY_DELETE(ev))
		return PointerGetDatum(newtup);
	if (row_shipped(td, newtup))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("rows of %s with shipped = true are written only by the extension", table),
				 errhint("Leave shipped at its default, false.")));
	if (which == TABLE_RULES)
		newtup = canonical_cities(fcinfo, td, newtup);
	if (which == TABLE_PATTERNS)
	{
		char	   *pattern = row_text(td, newtup, "pattern");
		const char *why = pattern ? qr_glob_check(pattern, strlen(pattern)) : NULL;

		if (why)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid provider pattern \"%s\": %s", pattern, why),
					 errhint("Patterns are globs: * any run, ? one character, [a-z] or [!0-9] a class, \\ escapes; letters match either case.")));
	}
	return PointerGetDatum(newtup);
}

/* ------------------------------------------------------------------ */
/* Rule -> city references                                             */
/* ------------------------------------------------------------------ */

/*
 * qr_interop_rules.cities names qr_cities rows, but an array cannot carry
 * a foreign key, so two AFTER ROW triggers do what RI_FKey_check and
 * RI_FKey_noaction_del do: the rule side locks the cities it names FOR
 * KEY SHARE (a concurrent DELETE of one waits for the rule's transaction,
 * then finds the rule), the city side looks for rules naming the city
 * FOR KEY SHARE under the latest snapshot (a rule committed after a
 * REPEATABLE READ snapshot is found too).  AFTER ROW, because only at the
 * end of the statement are its other rows' effects visible: a CTE that
 * inserts a rule and deletes its city is refused.  The BEFORE ROW guard
 * still resolves spellings to city names from the cache.
 *
 * Restore.  pg_dump sorts the data of the extension's configuration tables
 * by type and name, and along real foreign keys between them
 * (processExtensionTables), so a plain pg_restore loads qr_cities before
 * qr_interop_rules, as it loads qr_providers before the tables that name
 * providers.  But those orderings are not dependencies in the archive:
 * pg_restore -j loads every configuration table at once, each in its own
 * session and transaction.  Rules may then be written before their cities
 * are committed, and no check can tell that apart from a rule naming a
 * city that will never come: deferring it to the end of the rules'
 * transaction does not help, the cities' transaction may not have begun.
 * (The foreign keys to qr_providers have the same race, hidden by their
 * checks running only at the end of each COPY.)  The sound way is to give
 * the order back: restore the data of the configuration tables in one
 * serial pass, then the rest in parallel, as test/dump_upgrade.sh does
 * with pg_restore -L.
 */

/* A plan kept for the backend, prepared again when its text changes. */
typedef struct kept_plan
{
	char	   *query;
	SPIPlanPtr	plan;
} kept_plan;

static kept_plan rule_check_plan;
static kept_plan city_check_plan;

static SPIPlanPtr
plan_for(kept_plan *kp, const char *query, Oid argtype)
{
	SPIPlanPtr	plan;

	if (kp->plan && strcmp(kp->query, query) == 0)
		return kp->plan;
	if (kp->plan)
	{
		SPI_freeplan(kp->plan);
		pfree(kp->query);
		kp->plan = NULL;
	}
	plan = SPI_prepare(query, 1, &argtype);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed for \"%s\": %s", query, SPI_result_code_string(SPI_result));
	SPI_keepplan(plan);
	kp->query = MemoryContextStrdup(TopMemoryContext, query);
	kp->plan = plan;
	return plan;
}

/*
 * Run a check query (SPI connected) as the owner of the table it reads,
 * as ri_PerformCheck does.  detect_new_rows: under REPEATABLE READ or
 * SERIALIZABLE read the latest snapshot, with the transaction snapshot as
 * crosscheck, to find rows committed after the transaction began.
 * Otherwise SPI takes a new snapshot (the transaction's, under REPEATABLE
 * READ: a row locked there that a concurrent transaction deleted is a
 * serialization failure).
 */
static int
execute_as_owner(Oid owner, kept_plan *kp, const char *query, Oid argtype, Datum arg,
				 Snapshot test_snapshot, Snapshot crosscheck_snapshot, long limit)
{
	Oid			save_userid;
	int			save_sec_context;
	volatile int ret = 0;

	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(owner, save_sec_context | QRPAY_OWNER_SEC_CONTEXT);
	PG_TRY();
	{
		SPIPlanPtr	plan = plan_for(kp, query, argtype);

		ret = SPI_execute_snapshot(plan, &arg, NULL, test_snapshot, crosscheck_snapshot,
								   false, false, limit);
	}
	PG_FINALLY();
	{
		SetUserIdAndSecContext(save_userid, save_sec_context);
	}
	PG_END_TRY();
	return ret;
}

static uint64
run_check(Oid relid, kept_plan *kp, const char *query, Oid argtype, Datum arg,
		  bool detect_new_rows, long limit)
{
	Snapshot	test_snapshot = InvalidSnapshot;
	Snapshot	crosscheck_snapshot = InvalidSnapshot;
	int			ret;

	if (IsolationUsesXactSnapshot() && detect_new_rows)
	{
		CommandCounterIncrement();	/* see all of this transaction's work */
		test_snapshot = GetLatestSnapshot();
		crosscheck_snapshot = GetTransactionSnapshot();
	}
	ret = execute_as_owner(qrpay_relation_owner(relid), kp, query, argtype, arg,
						   test_snapshot, crosscheck_snapshot, limit);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_snapshot returned %s", SPI_result_code_string(ret));
	return SPI_processed;
}

/* The OID of the extension's table name, or an error if it is missing. */
static Oid
catalog_relid(Oid nsp, const char *name)
{
	Oid			relid = get_relname_relid(name, nsp);

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("the qrpay catalog table %s is missing from schema \"%s\"",
						name, get_namespace_name(nsp)),
				 errhint("Reinstall the extension: DROP EXTENSION qrpay; CREATE EXTENSION qrpay.")));
	return relid;
}

/*
 * AFTER INSERT OR UPDATE OF cities ON qr_interop_rules FOR EACH ROW:
 * every city the rule names is a row of qr_cities, locked FOR KEY SHARE
 * until the transaction ends.
 */
Datum
qr_rule_cities_check(PG_FUNCTION_ARGS)
{
	const char *fn = "qr_rule_cities_check";
	catalog_table which;
	TriggerData *td = catalog_trigger(fcinfo, fn, TABLE_BIT(TABLE_RULES), &which);
	TriggerEvent ev = td->tg_event;
	Relation	rel = td->tg_relation;
	bool		update = TRIGGER_FIRED_BY_UPDATE(ev);
	HeapTuple	tup;
	TupleTableSlot *slot;
	int			att;
	bool		isnull;
	Datum		cities;
	char	  **names;
	char	   *missing = NULL;
	int			n;
	Oid			nsp;
	char	   *query;
	MemoryContext cxt = CurrentMemoryContext;

	require_firing(td, fn, TRIGGER_FIRED_AFTER(ev) && TRIGGER_FIRED_FOR_ROW(ev) &&
				   (TRIGGER_FIRED_BY_INSERT(ev) || update),
				   "AFTER INSERT OR UPDATE FOR EACH ROW");
	tup = update ? td->tg_newtuple : td->tg_trigtuple;
	slot = update ? td->tg_newslot : td->tg_trigslot;
	att = catalog_attnum(rel, "cities", TEXTARRAYOID);

	/*
	 * A row that a later command of this transaction updated or deleted is
	 * checked by that command's trigger, if at all (as in RI_FKey_check).
	 */
	if (slot == NULL || !table_tuple_satisfies_snapshot(rel, slot, SnapshotSelf))
		return PointerGetDatum(NULL);
	cities = heap_getattr(tup, att, RelationGetDescr(rel), &isnull);
	if (isnull)
		return PointerGetDatum(NULL);	/* nationwide */
	names = qrpay_text_array_strings(cities, &n);
	if (n == 0)
		return PointerGetDatum(NULL);

	nsp = qrpay_extension_schema(fcinfo);
	query = psprintf("SELECT x.name FROM %s.qr_cities x WHERE x.name OPERATOR(pg_catalog.=) ANY ($1) "
					 "FOR KEY SHARE OF x",
					 quote_identifier(get_namespace_name(nsp)));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	run_check(catalog_relid(nsp, "qr_cities"), &rule_check_plan, query, TEXTARRAYOID, cities, false, 0);
	for (int k = 0; k < n && missing == NULL; k++)
	{
		bool		found = false;

		for (uint64 i = 0; i < SPI_processed && !found; i++)
		{
			char	   *name = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);

			found = name && strcmp(name, names[k]) == 0;
		}
		if (!found)
			missing = MemoryContextStrdup(cxt, names[k]);
	}
	SPI_finish();
	if (missing)
		ereport(ERROR,
				(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
				 errmsg("rule \"%s\" names city \"%s\", which is not in qr_cities",
						SHOWN(row_text(td, tup, "id")), missing),
				 errdetail("The city was deleted or renamed by this statement or by a transaction that committed since it was read."),
				 errhint("Rules may name only cities of qr_cities; add the city there first.")));
	return PointerGetDatum(NULL);
}

/*
 * AFTER DELETE OR UPDATE OF name ON qr_cities FOR EACH ROW: a city some
 * rule names is neither deleted nor renamed.
 */
Datum
qr_city_references_check(PG_FUNCTION_ARGS)
{
	const char *fn = "qr_city_references_check";
	catalog_table which;
	TriggerData *td = catalog_trigger(fcinfo, fn, TABLE_BIT(TABLE_CITIES), &which);
	TriggerEvent ev = td->tg_event;
	char	   *name;
	char	   *rule = NULL;
	Oid			nsp;
	char	   *query;
	MemoryContext cxt = CurrentMemoryContext;

	require_firing(td, fn, TRIGGER_FIRED_AFTER(ev) && TRIGGER_FIRED_FOR_ROW(ev) &&
				   (TRIGGER_FIRED_BY_DELETE(ev) || TRIGGER_FIRED_BY_UPDATE(ev)),
				   "AFTER DELETE OR UPDATE FOR EACH ROW");
	name = row_text(td, td->tg_trigtuple, "name");
	if (name == NULL)
		return PointerGetDatum(NULL);
	if (TRIGGER_FIRED_BY_UPDATE(ev))
	{
		char	   *newname = row_text(td, td->tg_newtuple, "name");

		if (newname && strcmp(name, newname) == 0)
			return PointerGetDatum(NULL);
	}

	nsp = qrpay_extension_schema(fcinfo);
	query = psprintf("SELECT x.id FROM %s.qr_interop_rules x "
					 "WHERE x.cities OPERATOR(pg_catalog.@>) ARRAY[$1]::pg_catalog.text[] "
					 "FOR KEY SHARE OF x",
					 quote_identifier(get_namespace_name(nsp)));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (run_check(catalog_relid(nsp, "qr_interop_rules"), &city_check_plan, query, TEXTOID,
				  CStringGetTextDatum(name), true, 1) > 0)
	{
		char	   *id = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);

		rule = MemoryContextStrdup(cxt, SHOWN(id));
	}
	SPI_finish();
	if (rule)
		ereport(ERROR,
				(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
				 errmsg("city \"%s\" is named by rule \"%s\"", name, rule),
				 errhint("Change or delete the rules that name it first.")));
	return PointerGetDatum(NULL);
}

/*
 * AFTER INSERT OR UPDATE OR DELETE ... FOR EACH ROW, or AFTER TRUNCATE ...
 * FOR EACH STATEMENT, on one of the tables in the mask tables: one row of
 * the audit table audit (in the extension's schema) per change.
 *
 * Written in C rather than as a SECURITY DEFINER function because "who"
 * must be the role that made the change, and inside a SECURITY DEFINER
 * function current_user is the function's owner.  Here the caller's user
 * id is read first, and only the INSERT runs as the audit table's owner,
 * so no other role needs (or gets) any privilege on that table.
 */
static Datum
audit_change(FunctionCallInfo fcinfo, const char *fn, int tables, const char *audit)
{
	catalog_table which;
	TriggerData *td = catalog_trigger(fcinfo, fn, tables, &which);
	TriggerEvent ev = td->tg_event;
	Oid			nsp = qrpay_extension_schema(fcinfo);
	Oid			reltype = td->tg_relation->rd_rel->reltype;
	TupleDesc	desc = RelationGetDescr(td->tg_relation);
	HeapTuple	oldtup = NULL,
				newtup = NULL;
	const char *op;
	Oid			audit_relid,
				save_userid;
	int			save_sec_context,
				ret;
	Datum		args[6];
	char		argnulls[6] = {' ', ' ', ' ', ' ', ' ', ' '};
	Oid			argtypes[6] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, reltype, reltype};
	char	   *query;

	require_firing(td, fn,
				   TRIGGER_FIRED_AFTER(ev) &&
				   (TRIGGER_FIRED_BY_TRUNCATE(ev) ? !TRIGGER_FIRED_FOR_ROW(ev) : TRIGGER_FIRED_FOR_ROW(ev)),
				   "AFTER INSERT OR UPDATE OR DELETE FOR EACH ROW, or AFTER TRUNCATE FOR EACH STATEMENT");
	if (TRIGGER_FIRED_BY_INSERT(ev))
	{
		op = "INSERT";
		newtup = td->tg_trigtuple;
	}
	else if (TRIGGER_FIRED_BY_UPDATE(ev))
	{
		op = "UPDATE";
		oldtup = td->tg_trigtuple;
		newtup = td->tg_newtuple;
	}
	else if (TRIGGER_FIRED_BY_DELETE(ev))
	{
		op = "DELETE";
		oldtup = td->tg_trigtuple;
	}
	else
		op = "TRUNCATE";

	audit_relid = get_relname_relid(audit, nsp);
	if (!OidIsValid(audit_relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("the qrpay audit table %s is missing from schema \"%s\"",
						audit, get_namespace_name(nsp)),
				 errhint("Reinstall the extension: DROP EXTENSION qrpay; CREATE EXTENSION qrpay.")));

	/* who: the role in effect for the change, and the login behind it */
	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	args[0] = CStringGetTextDatum(catalog_table_names[which]);
	args[1] = CStringGetTextDatum(op);
	args[2] = CStringGetTextDatum(GetUserNameFromId(save_userid, false));
	args[3] = CStringGetTextDatum(GetUserNameFromId(GetSessionUserId(), false));
	args[4] = oldtup ? heap_copy_tuple_as_datum(oldtup, desc) : (Datum) 0;
	args[5] = newtup ? heap_copy_tuple_as_datum(newtup, desc) : (Datum) 0;
	if (!oldtup)
		argnulls[4] = 'n';
	if (!newtup)
		argnulls[5] = 'n';
	query = psprintf("INSERT INTO %s.%s "
					 "(table_name, operation, role_name, session_role, old_row, new_row) "
					 "VALUES ($1, $2, $3, $4, pg_catalog.to_jsonb($5), pg_catalog.to_jsonb($6))",
					 quote_identifier(get_namespace_name(nsp)), audit);

	SetUserIdAndSecContext(qrpay_relation_owner(audit_relid), save_sec_context | QRPAY_OWNER_SEC_CONTEXT);
	PG_TRY();
	{
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		if ((ret = SPI_execute_with_args(query, 6, argtypes, args, argnulls, false, 0)) != SPI_OK_INSERT)
			elog(ERROR, "writing %s failed: %d", audit, ret);
		SPI_finish();
	}
	PG_FINALLY();
	{
		SetUserIdAndSecContext(save_userid, save_sec_context);
	}
	PG_END_TRY();
	return PointerGetDatum(NULL);
}

/* the catalog tables and qr_fee_rates: qr_catalog_audit */
Datum
qr_catalog_audit(PG_FUNCTION_ARGS)
{
	return audit_change(fcinfo, "qr_catalog_audit", CATALOG_TABLES, "qr_catalog_audit");
}

/*
 * The back office's tables (statement formats and batches, reconciliation
 * runs, breaks, the reconciliation settings and rates): qr_recon_audit.
 * Statement lines and run results are not audited row by row: lines are
 * written once with their batch and results once with their run, and
 * neither can change afterwards.
 */
Datum
qr_recon_audit(PG_FUNCTION_ARGS)
{
	return audit_change(fcinfo, "qr_recon_audit", BACK_OFFICE_TABLES, "qr_recon_audit");
}

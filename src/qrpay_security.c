/*
 * qrpay_security.c — what keeps qrpay safe in a shared database: SPI run
 * under a fixed search_path, and the audit trail of the catalog tables.
 *
 * The audit trigger is written in C rather than as a SECURITY DEFINER
 * PL/pgSQL function because "who" must be the role that made the change:
 * inside a SECURITY DEFINER function current_user is the function's owner.
 * Here the caller's user id is read first, and only the INSERT into
 * qr_catalog_audit runs as the audit table's owner, so no one else needs
 * (or gets) any privilege on that table.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "qrpay.h"

PG_FUNCTION_INFO_V1(qr_catalog_audit);

/*
 * search_path = pg_catalog, pg_temp until qrpay_unpin_search_path: the
 * query text built by the glue then means what it says whatever the
 * caller's path holds (a look-alike function, operator or type in a
 * schema the caller searches first is never picked), and a regclass
 * prints schema-qualified unless it is a temporary table.  The setting is
 * undone by the GUC nest level, also when an error unwinds the call.
 */
int
qrpay_pin_search_path(void)
{
	int			nestlevel = NewGUCNestLevel();

	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	return nestlevel;
}

void
qrpay_unpin_search_path(int nestlevel)
{
	AtEOXact_GUC(true, nestlevel);
}

/* the tables whose changes are audited */
static const char *const audited[] = {
	"qr_providers", "qr_provider_patterns", "qr_cities", "qr_interop_rules", "qr_fee_rates"
};

/*
 * AFTER INSERT OR UPDATE OR DELETE ... FOR EACH ROW, and AFTER TRUNCATE
 * ... FOR EACH STATEMENT, on the catalog tables: one row of
 * qr_catalog_audit per change.  Refuses to run anywhere else, so that it
 * cannot be used to write made-up history from another table.
 */
Datum
qr_catalog_audit(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	Oid			nsp,
				relid,
				audit_relid,
				caller,
				owner;
	int			save_sec,
				ret,
				nestlevel;
	const char *table;
	const char *op;
	bool		known = false;
	HeapTuple	oldtup = NULL,
				newtup = NULL;
	Datum		args[6];
	char		argnulls[6] = {' ', ' ', ' ', ' ', ' ', ' '};
	Oid			argtypes[6];
	char	   *sql;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("qr_catalog_audit() must be called as a trigger")));
	nsp = get_func_namespace(fcinfo->flinfo->fn_oid);
	relid = RelationGetRelid(td->tg_relation);
	table = RelationGetRelationName(td->tg_relation);
	for (int i = 0; i < (int) lengthof(audited); i++)
		if (strcmp(table, audited[i]) == 0 && get_relname_relid(table, nsp) == relid)
			known = true;
	if (!known)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("qr_catalog_audit() audits only the catalog tables of qrpay, not \"%s\"",
						get_rel_name(relid)),
				 errdetail("It is attached by the extension to qr_providers, qr_provider_patterns, qr_cities, qr_interop_rules and qr_fee_rates in schema \"%s\".",
						   get_namespace_name(nsp))));
	if (!TRIGGER_FIRED_AFTER(td->tg_event) ||
		(TRIGGER_FIRED_BY_TRUNCATE(td->tg_event) ? TRIGGER_FIRED_FOR_ROW(td->tg_event)
		 : !TRIGGER_FIRED_FOR_ROW(td->tg_event)))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("qr_catalog_audit() must fire AFTER ... FOR EACH ROW, or AFTER TRUNCATE ... FOR EACH STATEMENT")));

	if (TRIGGER_FIRED_BY_INSERT(td->tg_event))
	{
		op = "INSERT";
		newtup = td->tg_trigtuple;
	}
	else if (TRIGGER_FIRED_BY_UPDATE(td->tg_event))
	{
		op = "UPDATE";
		oldtup = td->tg_trigtuple;
		newtup = td->tg_newtuple;
	}
	else if (TRIGGER_FIRED_BY_DELETE(td->tg_event))
	{
		op = "DELETE";
		oldtup = td->tg_trigtuple;
	}
	else
		op = "TRUNCATE";

	audit_relid = get_relname_relid("qr_catalog_audit", nsp);
	if (!OidIsValid(audit_relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("the qrpay audit table is missing from schema \"%s\"", get_namespace_name(nsp))));
	{
		HeapTuple	ct = SearchSysCache1(RELOID, ObjectIdGetDatum(audit_relid));

		if (!HeapTupleIsValid(ct))
			elog(ERROR, "cache lookup failed for relation %u", audit_relid);
		owner = ((Form_pg_class) GETSTRUCT(ct))->relowner;
		ReleaseSysCache(ct);
	}

	/* who: the role in effect for the change, and the login behind it */
	caller = GetUserId();
	args[0] = CStringGetTextDatum(table);
	args[1] = CStringGetTextDatum(op);
	args[2] = CStringGetTextDatum(GetUserNameFromId(caller, false));
	argtypes[0] = TEXTOID;
	argtypes[1] = TEXTOID;
	args[3] = CStringGetTextDatum(GetUserNameFromId(GetSessionUserId(), false));
	argtypes[2] = argtypes[3] = TEXTOID;
	argtypes[4] = argtypes[5] = td->tg_relation->rd_rel->reltype;
	args[4] = oldtup ? heap_copy_tuple_as_datum(oldtup, RelationGetDescr(td->tg_relation)) : (Datum) 0;
	args[5] = newtup ? heap_copy_tuple_as_datum(newtup, RelationGetDescr(td->tg_relation)) : (Datum) 0;
	if (!oldtup)
		argnulls[4] = 'n';
	if (!newtup)
		argnulls[5] = 'n';
	sql = psprintf("INSERT INTO %s.qr_catalog_audit "
				   "(table_name, operation, role_name, session_role, old_row, new_row) "
				   "VALUES ($1, $2, $3, $4, pg_catalog.to_jsonb($5), pg_catalog.to_jsonb($6))",
				   quote_identifier(get_namespace_name(nsp)));

	GetUserIdAndSecContext(&caller, &save_sec);
	SetUserIdAndSecContext(owner, save_sec | SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
	PG_TRY();
	{
		if ((ret = SPI_connect()) != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed: %d", ret);
		nestlevel = qrpay_pin_search_path();
		if ((ret = SPI_execute_with_args(sql, 6, argtypes, args, argnulls, false, 0)) != SPI_OK_INSERT)
			elog(ERROR, "writing qr_catalog_audit failed: %d", ret);
		qrpay_unpin_search_path(nestlevel);
		SPI_finish();
	}
	PG_FINALLY();
	{
		SetUserIdAndSecContext(caller, save_sec);
	}
	PG_END_TRY();

	return PointerGetDatum(TRIGGER_FIRED_BY_UPDATE(td->tg_event) ? td->tg_newtuple : td->tg_trigtuple);
}

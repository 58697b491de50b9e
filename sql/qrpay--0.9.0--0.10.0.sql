/* qrpay 0.9.0 -> 0.10.0: beyond one machine (Citus) */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION qrpay UPDATE TO '0.10.0'" to load this file. \quit

-- Nothing here needs Citus: on one node the catalog functions see one node,
-- and the engine and clearing read their tables as before.  With Citus, the
-- Citus functions are called through EXECUTE or from C, only once
-- pg_catalog.pg_dist_partition is known to exist.

-- =====================================================================
-- Part 1. One catalog on every node
-- =====================================================================

-- The tables whose rows decide what the functions answer, in the order
-- rows are inserted (referenced tables first); rows are deleted in the
-- reverse order.  Every role can read them, so every role can compare
-- them.  The audit tables are each node's own history; the statement
-- formats, batches and lines and the reconciliation runs belong to the
-- back office, on the coordinator, where statements are loaded.
CREATE FUNCTION @extschema@.qr_catalog_tables() RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT ARRAY['qr_providers', 'qr_cities', 'qr_provider_patterns', 'qr_interop_rules', 'qr_fee_rates',
                   'qr_recon_settings', 'qr_recon_fee_rates', 'qr_fx_rates']::text[] $$;
COMMENT ON FUNCTION @extschema@.qr_catalog_tables() IS
    'The catalog tables that decide what qrpay''s functions answer and that must be the same on every node of a cluster, in the order their rows are loaded: qr_providers, qr_cities, qr_provider_patterns, qr_interop_rules, qr_fee_rates, qr_recon_settings, qr_recon_fee_rates, qr_fx_rates (every role can read them; the statement formats belong to the back office on the coordinator)';

-- Rows are compared as their jsonb text: keys in jsonb's own order (the
-- same whatever order the columns were added in), numbers with their
-- scale, ranges and times written in UTC and ISO style, whatever the
-- session's TimeZone, DateStyle or IntervalStyle.
CREATE FUNCTION @extschema@.qr_catalog_fingerprint() RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
SET timezone = 'UTC' SET datestyle = 'ISO, YMD' SET intervalstyle = 'postgres' SET extra_float_digits = 1
AS $$
DECLARE
    t text;
    part text;
    acc text := '';
BEGIN
    FOREACH t IN ARRAY @extschema@.qr_catalog_tables() LOOP
        EXECUTE format('SELECT string_agg(r, E''\n'' ORDER BY r COLLATE "C") FROM (SELECT to_jsonb(x)::text AS r FROM @extschema@.%I x) s', t)
           INTO part;
        acc := acc || t || E'\n' || coalesce(part, '') || E'\n';
    END LOOP;
    RETURN encode(sha256(convert_to(acc, 'UTF8')), 'hex');
END $$;
COMMENT ON FUNCTION @extschema@.qr_catalog_fingerprint() IS
    'SHA-256 (hex) of the content of the catalog tables (qr_catalog_tables), shipped rows and your own: equal on two nodes exactly when their catalogs hold the same rows, whatever the session''s TimeZone, DateStyle or IntervalStyle. Compare it across nodes with qr_catalog_nodes or qr_catalog_check';

CREATE FUNCTION @extschema@.qr_catalog_snapshot() RETURNS jsonb
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
SET timezone = 'UTC' SET datestyle = 'ISO, YMD' SET intervalstyle = 'postgres' SET extra_float_digits = 1
AS $$
DECLARE
    t text;
    rows jsonb;
    snap jsonb;
BEGIN
    snap := jsonb_build_object('version', (SELECT e.extversion FROM pg_extension e WHERE e.extname = 'qrpay'),
                               'fingerprint', @extschema@.qr_catalog_fingerprint());
    FOREACH t IN ARRAY @extschema@.qr_catalog_tables() LOOP
        EXECUTE format('SELECT coalesce(jsonb_agg(to_jsonb(x) ORDER BY to_jsonb(x)::text COLLATE "C"), ''[]'') FROM @extschema@.%I x', t)
           INTO rows;
        snap := snap || jsonb_build_object(t, rows);
    END LOOP;
    RETURN snap;
END $$;
COMMENT ON FUNCTION @extschema@.qr_catalog_snapshot() IS
    'The catalog tables'' rows as one jsonb object: the extension version, the fingerprint, and for each table of qr_catalog_tables an array of its rows. qr_catalog_load makes another node''s catalog equal to it';

CREATE FUNCTION @extschema@.qr_catalog_load(snapshot jsonb) RETURNS text
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
SET timezone = 'UTC' SET datestyle = 'ISO, YMD' SET intervalstyle = 'postgres' SET extra_float_digits = 1
AS $$
DECLARE
    tables constant text[] := @extschema@.qr_catalog_tables();
    t text;
    own text;
    mine text := (SELECT e.extversion FROM pg_extension e WHERE e.extname = 'qrpay');
    i int;
    result text;
BEGIN
    IF snapshot IS NULL OR jsonb_typeof(snapshot) <> 'object' THEN
        RAISE EXCEPTION 'qr_catalog_load needs a snapshot made by qr_catalog_snapshot()'
              USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF snapshot->>'version' IS DISTINCT FROM mine THEN
        RAISE EXCEPTION 'qr_catalog_load: the snapshot is of qrpay %, this node has %', snapshot->>'version', mine
              USING ERRCODE = 'object_not_in_prerequisite_state',
                    HINT = 'Update the extension to the same version on every node first (ALTER EXTENSION qrpay UPDATE on the coordinator).';
    END IF;
    FOREACH t IN ARRAY tables LOOP
        IF jsonb_typeof(snapshot->t) IS DISTINCT FROM 'array' THEN
            RAISE EXCEPTION 'qr_catalog_load: the snapshot has no rows for %', t
                  USING ERRCODE = 'invalid_parameter_value';
        END IF;
    END LOOP;
    -- rows shipped with qrpay are the same wherever the version is: only
    -- the others are deleted and inserted (a row that changed is both)
    FOR i IN REVERSE cardinality(tables) .. 1 LOOP
        t := tables[i];
        own := CASE WHEN EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = format('@extschema@.%I', t)::regclass
                                    AND a.attname = 'shipped' AND NOT a.attisdropped)
                    THEN 'NOT x.shipped AND ' ELSE '' END;
        EXECUTE format('DELETE FROM @extschema@.%I x WHERE %s NOT EXISTS (
                          SELECT FROM jsonb_array_elements($1) e WHERE e.value::text = to_jsonb(x)::text)', t, own)
          USING snapshot->t;
    END LOOP;
    FOREACH t IN ARRAY tables LOOP
        own := CASE WHEN EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = format('@extschema@.%I', t)::regclass
                                    AND a.attname = 'shipped' AND NOT a.attisdropped)
                    THEN 'AND NOT coalesce((e.value->>''shipped'')::boolean, false)' ELSE '' END;
        EXECUTE format('INSERT INTO @extschema@.%1$I SELECT (jsonb_populate_record(NULL::@extschema@.%1$I, e.value)).*
                          FROM jsonb_array_elements($1) e
                         WHERE NOT EXISTS (SELECT FROM @extschema@.%1$I x WHERE to_jsonb(x)::text = e.value::text) %2$s', t, own)
          USING snapshot->t;
    END LOOP;
    result := @extschema@.qr_catalog_fingerprint();
    IF result IS DISTINCT FROM snapshot->>'fingerprint' THEN
        RAISE EXCEPTION 'qr_catalog_load: after loading, this node''s catalog (fingerprint %) still differs from the snapshot''s (%)',
                        result, snapshot->>'fingerprint'
              USING ERRCODE = 'object_not_in_prerequisite_state',
                    HINT = 'The rows shipped with qrpay differ: check that every node runs the same qrpay version and that no shipped row was changed.';
    END IF;
    RETURN result;
END $$;
COMMENT ON FUNCTION @extschema@.qr_catalog_load(jsonb) IS
    'Makes this node''s catalog tables hold exactly the rows of a snapshot of qr_catalog_snapshot (of the same qrpay version): your own rows missing from it are deleted, the snapshot''s missing here are inserted, in one transaction, through the tables'' guards and audit. Returns the new fingerprint; raises 55000 when it does not equal the snapshot''s. qr_catalog_sync calls it on every worker';

-- The nodes of a Citus cluster, the coordinator first; one row for a
-- database without Citus
CREATE FUNCTION @extschema@.qr_catalog_nodes()
RETURNS TABLE (node text, port integer, version text, fingerprint text, matches boolean)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    mine text := (SELECT e.extversion FROM pg_extension e WHERE e.extname = 'qrpay');
    own text := @extschema@.qr_catalog_fingerprint();
    w record;
BEGIN
    node := 'localhost'; port := current_setting('port')::integer; version := mine; fingerprint := own; matches := true;
    IF NOT EXISTS (SELECT FROM pg_extension e WHERE e.extname = 'citus') THEN
        RETURN NEXT;
        RETURN;
    END IF;
    EXECUTE 'SELECT n.nodename, n.nodeport FROM pg_catalog.pg_dist_node n WHERE n.groupid = 0 LIMIT 1' INTO w;
    IF w IS NOT NULL THEN
        node := w.nodename; port := w.nodeport;
    END IF;
    RETURN NEXT;
    FOR w IN EXECUTE format('SELECT nodename, nodeport, success, result FROM pg_catalog.run_command_on_workers(%L) ORDER BY 1, 2',
                            'SELECT e.extversion || '' '' || ' || '@extschema@.qr_catalog_fingerprint() FROM pg_catalog.pg_extension e WHERE e.extname = ''qrpay''')
    LOOP
        node := w.nodename; port := w.nodeport;
        IF w.success AND w.result LIKE '% %' THEN
            version := split_part(w.result, ' ', 1);
            fingerprint := split_part(w.result, ' ', 2);
        ELSE
            version := NULL;
            fingerprint := NULL;
        END IF;
        matches := version IS NOT DISTINCT FROM mine AND fingerprint IS NOT DISTINCT FROM own;
        RETURN NEXT;
    END LOOP;
END $$;
COMMENT ON FUNCTION @extschema@.qr_catalog_nodes() IS
    'Each node''s qrpay version and catalog fingerprint (qr_catalog_fingerprint), the node this runs on (the coordinator) first, then every active Citus worker, and whether it matches the coordinator''s. Without Citus, one row';

CREATE FUNCTION @extschema@.qr_catalog_check() RETURNS text
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    mine text := (SELECT e.extversion FROM pg_extension e WHERE e.extname = 'qrpay');
    own text;
    bad text;
BEGIN
    SELECT min(n.fingerprint) FILTER (WHERE n.ordinality = 1),
           string_agg(format('%s:%s (%s)', n.node, n.port,
                             CASE WHEN n.fingerprint IS NULL THEN 'no qrpay, or it did not answer'
                                  WHEN n.version IS DISTINCT FROM mine THEN 'qrpay ' || n.version
                                  ELSE 'catalog ' || left(n.fingerprint, 12) END), ', ' ORDER BY n.ordinality)
                      FILTER (WHERE NOT n.matches)
      INTO own, bad
      FROM @extschema@.qr_catalog_nodes() WITH ORDINALITY n;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'qrpay catalog differs between nodes: % against this node''s catalog %', bad, left(own, 12)
              USING ERRCODE = 'object_not_in_prerequisite_state',
                    HINT = 'Those nodes would identify, route and reconcile codes differently. Run SELECT * FROM qr_catalog_sync() on the coordinator.';
    END IF;
    RETURN own;
END $$;
COMMENT ON FUNCTION @extschema@.qr_catalog_check() IS
    'Raises 55000 naming every node whose qrpay version or catalog fingerprint differs from this node''s (the coordinator''s), or that cannot answer; else returns the fingerprint. Distributed reconciliation and clearing call it before they run';

CREATE FUNCTION @extschema@.qr_catalog_sync()
RETURNS TABLE (node text, port integer, version text, fingerprint text, matches boolean)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    coordinator boolean;
    failed text;
BEGIN
    IF EXISTS (SELECT FROM pg_extension e WHERE e.extname = 'citus') THEN
        EXECUTE 'SELECT pg_catalog.citus_is_coordinator()' INTO coordinator;
        IF coordinator IS NOT TRUE THEN
            RAISE EXCEPTION 'qr_catalog_sync runs on the coordinator'
                  USING ERRCODE = 'object_not_in_prerequisite_state',
                        HINT = 'The coordinator''s catalog is the one every worker gets.';
        END IF;
        -- one statement per worker: each loads the whole snapshot or nothing
        EXECUTE format('SELECT string_agg(format(''%%s:%%s: %%s'', nodename, nodeport, result), ''; '')
                          FROM pg_catalog.run_command_on_workers(%L) WHERE NOT success',
                       format('SELECT @extschema@.qr_catalog_load(%L::jsonb)', @extschema@.qr_catalog_snapshot()::text))
           INTO failed;
        IF failed IS NOT NULL THEN
            RAISE EXCEPTION 'qr_catalog_sync failed on %', failed
                  USING ERRCODE = 'object_not_in_prerequisite_state';
        END IF;
    END IF;
    RETURN QUERY SELECT * FROM @extschema@.qr_catalog_nodes();
END $$;
COMMENT ON FUNCTION @extschema@.qr_catalog_sync() IS
    'On a Citus coordinator: gives every active worker the coordinator''s catalog (qr_catalog_snapshot loaded by qr_catalog_load, one transaction per worker), then returns qr_catalog_nodes. Run it after changing a catalog table; without Citus it only returns this node';

-- =====================================================================
-- Part 2. Reconciliation on the shards
-- =====================================================================

CREATE FUNCTION @extschema@.qr_match_key(provider text, reference text, parent_reference text) RETURNS text
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.qr_match_key(text, text, text) IS
    'The key every row qr_match can link shares: the parent reference, else the reference, else (for a row without one) the provider. Distribute a ledger and its statement by a column holding it, co-located, and qr_match runs on each shard group (under a provider''s keys that leave out references, rows are keyed as those keys say)';

-- qr_match on one shard group, for the coordinator.  Its rows travel as
-- one text value (what Citus's run_command functions carry): the largest
-- group id, then one line per row, the row's first width columns in the
-- text form of a row, times as microseconds since 2000-01-01 UTC (so that
-- no DateStyle or zone abbreviation stands between the nodes).  The
-- coordinator's styles are set for the transaction, so that the reasons
-- read as they would there.
CREATE FUNCTION @extschema@.qr_match_shard(ledger regclass, statement regclass, settings jsonb, width integer, styles text[])
RETURNS text
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    i int;
    top bigint;
    rows text;
BEGIN
    IF ledger IS NULL OR statement IS NULL OR width IS NULL THEN
        RAISE EXCEPTION 'qr_match_shard needs a ledger, a statement and a width'
              USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF width NOT IN (5, 10, 19) THEN
        RAISE EXCEPTION 'qr_match_shard sends 5, 10 or 19 columns, not %', width
              USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOR i IN 1 .. coalesce(cardinality(styles), 0) / 2 LOOP
        IF styles[2 * i - 1] NOT IN ('TimeZone', 'DateStyle', 'IntervalStyle') THEN
            RAISE EXCEPTION 'qr_match_shard sets TimeZone, DateStyle and IntervalStyle only, not %', styles[2 * i - 1]
                  USING ERRCODE = 'invalid_parameter_value';
        END IF;
        PERFORM set_config(styles[2 * i - 1], styles[2 * i], true);
    END LOOP;
    SELECT max(m.group_id),
           string_agg(CASE width
                      WHEN 5 THEN ROW(m.status, m.ledger_txn, m.statement_txn, m.amount_diff, m.reason)::text
                      WHEN 10 THEN ROW(m.status, m.ledger_txn, m.statement_txn, m.amount_diff, m.reason, m.provider,
                                       ((extract(epoch FROM m.ledger_ts) - 946684800) * 1000000)::bigint,
                                       ((extract(epoch FROM m.statement_ts) - 946684800) * 1000000)::bigint,
                                       m.ledger_amount, m.statement_amount)::text
                      ELSE ROW(m.status, m.ledger_txn, m.statement_txn, m.amount_diff, m.reason, m.provider,
                               ((extract(epoch FROM m.ledger_ts) - 946684800) * 1000000)::bigint,
                               ((extract(epoch FROM m.statement_ts) - 946684800) * 1000000)::bigint,
                               m.ledger_amount, m.statement_amount, m.ledger_currency, m.statement_currency,
                               m.group_id, m.candidates, m.original_txn, m.net_amount, m.fee, m.expected_fee,
                               m.fx_rate)::text END,
                      E'\n')
      INTO top, rows
      FROM @extschema@.qr_match(ledger, statement, settings) m;
    RETURN coalesce(top, 0) || E'\n' || coalesce(rows, '');
END $$;
COMMENT ON FUNCTION @extschema@.qr_match_shard(regclass, regclass, jsonb, integer, text[]) IS
    'Run by qr_match on each worker for one shard group: qr_match over a ledger shard and its co-located statement shard, under the coordinator''s TimeZone, DateStyle and IntervalStyle (styles: name, value, ...), as text: the largest group_id, then one line per row holding its first width columns (5, 10 or 19) as a row''s text, times as microseconds since 2000-01-01 UTC';

-- =====================================================================
-- Part 3. Clearing over a distributed table
-- =====================================================================

CREATE FUNCTION @extschema@.qr_clearing_fee(payer text, payee text, via text, at timestamptz, amount numeric, currency text)
RETURNS numeric
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce((SELECT @extschema@.qr_round_amount(amount * r.rate + r.fixed, currency)
                       FROM @extschema@.qr_fee_rates r
                      WHERE r.payer = qr_clearing_fee.payer AND r.payee = qr_clearing_fee.payee
                        AND r.via = qr_clearing_fee.via AND r.valid_during @> at
                      ORDER BY lower(r.valid_during) DESC NULLS LAST LIMIT 1), 0)
$$;
COMMENT ON FUNCTION @extschema@.qr_clearing_fee(text, text, text, timestamptz, numeric, text) IS
    'The fee qr_clearing charges on one payment: the qr_fee_rates row of the payer, payee network and via valid at that time (the latest starting one) applied to the amount (rate times amount plus fixed), rounded to the minor unit of the currency; 0 without a rate';

-- 0.9.0's function, with a branch for a distributed table
CREATE OR REPLACE FUNCTION @extschema@.qr_clearing(transactions regclass, time_zone text DEFAULT 'Asia/Shanghai')
RETURNS TABLE (settlement_day date, currency text, participant text, paid numeric, received numeric,
               fees numeric, net numeric)
LANGUAGE plpgsql STABLE STRICT PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    need constant text[] := ARRAY['ts', 'currency', 'amount', 'payer', 'network', 'via'];
    missing text;
    unrouted bigint;
    unbounded bigint;
    endless bigint;
    example text;
    distributed boolean := false;
    at_expr text;
BEGIN
    SELECT c INTO missing FROM unnest(need) WITH ORDINALITY u(c, i)
     WHERE NOT EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = transactions AND a.attname = u.c
                          AND a.attnum > 0 AND NOT a.attisdropped)
     ORDER BY u.i LIMIT 1;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION '% has no column "%"', transactions, missing
              USING ERRCODE = 'undefined_column',
                    HINT = format('It needs the columns %s (extra columns are ignored).', array_to_string(need, ', '));
    END IF;
    -- a payment without a payer, payee network, amount, currency or time has
    -- no one to credit or no day to land on; a NaN or infinite amount has no
    -- net, an infinite time no settlement day: refuse them rather than net
    -- them into a NULL participant, a NaN position or an endless settlement
    EXECUTE format('SELECT count(*) FILTER (WHERE x.payer IS NULL OR x.network IS NULL OR x.amount IS NULL
                                                  OR x.currency IS NULL OR x.ts IS NULL),
                           count(*) FILTER (WHERE x.amount::numeric IN (''NaN'', ''Infinity'', ''-Infinity'')),
                           count(*) FILTER (WHERE NOT isfinite(x.ts::timestamptz))
                      FROM %s x', transactions)
       INTO unrouted, unbounded, endless;
    IF unrouted > 0 THEN
        RAISE EXCEPTION 'qr_clearing: rows of % without a payer, network, amount, currency or time: %', transactions, unrouted
              USING ERRCODE = 'null_value_not_allowed',
                    HINT = 'Clear routed payments only: leave out the rows qr_route found no route for (status none).';
    END IF;
    IF unbounded > 0 THEN
        EXECUTE format('SELECT x::text FROM %s x WHERE x.amount::numeric IN (''NaN'', ''Infinity'', ''-Infinity'') LIMIT 1',
                       transactions) INTO example;
        RAISE EXCEPTION 'qr_clearing: rows of % with a NaN or infinite amount: %; the first is %', transactions, unbounded, example
              USING ERRCODE = 'numeric_value_out_of_range',
                    HINT = 'Amounts must be finite numbers; correct or leave out those rows.';
    END IF;
    IF endless > 0 THEN
        EXECUTE format('SELECT x::text FROM %s x WHERE NOT isfinite(x.ts::timestamptz) LIMIT 1', transactions) INTO example;
        RAISE EXCEPTION 'qr_clearing: rows of % with an infinite time: %; the first is %', transactions, endless, example
              USING ERRCODE = 'datetime_field_overflow',
                    HINT = 'A payment settles on the day it was made: give it its real time.';
    END IF;
    -- a fee is rounded to the minor unit of the payment's currency (JPY
    -- to yen, BHD to fils), to 4 decimals where ISO 4217 gives none
    IF EXISTS (SELECT FROM pg_extension e WHERE e.extname = 'citus') THEN
        EXECUTE 'SELECT EXISTS (SELECT FROM pg_catalog.pg_dist_partition p WHERE p.logicalrelid = $1)'
           INTO distributed USING transactions;
    END IF;
    IF distributed THEN
        -- on Citus: each worker prices its shards' payments from its own
        -- qr_fee_rates (so every node must hold the coordinator's) and sums
        -- them per day, currency, payer, network and via; the coordinator
        -- adds those sums up into the legs.  Sums of the same fees: the
        -- same positions to the last digit.
        PERFORM @extschema@.qr_catalog_check();
        -- a time without zone is this session's local time, as the cast
        -- below makes it on one node: the workers are told which zone
        SELECT CASE a.atttypid WHEN 'timestamp'::regtype THEN format('pg_catalog.timezone(%L, x.ts)', current_setting('TimeZone'))
                               WHEN 'date'::regtype THEN format('pg_catalog.timezone(%L, x.ts::timestamp)', current_setting('TimeZone'))
                               ELSE 'x.ts::timestamptz' END
          INTO at_expr
          FROM pg_attribute a WHERE a.attrelid = transactions AND a.attname = 'ts';
        RETURN QUERY EXECUTE format($q$
        WITH g AS (
            SELECT t.day, t.cur, t.payer, t.network, t.via, sum(t.amount) AS amount, sum(t.fee) AS fee,
                   count(*) FILTER (WHERE t.fee <> 0) AS charged
              FROM (SELECT (%2$s AT TIME ZONE $1)::date AS day, x.currency::text AS cur,
                           x.amount::numeric AS amount, x.payer::text AS payer, x.network::text AS network,
                           x.via::text AS via,
                           @extschema@.qr_clearing_fee(x.payer::text, x.network::text, x.via::text, %2$s,
                                                       x.amount::numeric, x.currency::text) AS fee
                      FROM %1$s x
                     WHERE x.payer IS DISTINCT FROM x.network) t
             GROUP BY 1, 2, 3, 4, 5
        ), legs AS (
            SELECT day, cur, payer AS who, amount AS paid, 0::numeric AS received, 0::numeric AS fees FROM g
            UNION ALL SELECT day, cur, network, 0, amount - fee, 0 FROM g
            UNION ALL SELECT day, cur, via, 0, 0, fee FROM g WHERE charged > 0
        )
        SELECT day, cur, who, sum(paid), sum(received), sum(fees), sum(received) + sum(fees) - sum(paid)
          FROM legs GROUP BY day, cur, who ORDER BY day, cur, who
        $q$, transactions, at_expr) USING time_zone;
        RETURN;
    END IF;
    RETURN QUERY EXECUTE format($q$
    WITH t AS (
        SELECT (x.ts::timestamptz AT TIME ZONE $1)::date AS day, x.currency::text AS cur, x.amount::numeric AS amount,
               x.payer::text AS payer, x.network::text AS network, x.via::text AS via,
               coalesce(@extschema@.qr_round_amount(x.amount * f.rate + f.fixed, x.currency::text), 0) AS fee
          FROM %1$s x
          LEFT JOIN LATERAL (SELECT r.rate, r.fixed FROM @extschema@.qr_fee_rates r
                              WHERE r.payer = x.payer AND r.payee = x.network AND r.via = x.via
                                AND r.valid_during @> x.ts::timestamptz
                              ORDER BY lower(r.valid_during) DESC NULLS LAST LIMIT 1) f ON true
         WHERE x.payer IS DISTINCT FROM x.network
    ), legs AS (
        SELECT day, cur, payer AS who, amount AS paid, 0::numeric AS received, 0::numeric AS fees FROM t
        UNION ALL SELECT day, cur, network, 0, amount - fee, 0 FROM t
        UNION ALL SELECT day, cur, via, 0, 0, fee FROM t WHERE fee <> 0
    )
    SELECT day, cur, who, sum(paid), sum(received), sum(fees), sum(received) + sum(fees) - sum(paid)
      FROM legs GROUP BY day, cur, who ORDER BY day, cur, who
    $q$, transactions) USING time_zone;
END $$;
COMMENT ON FUNCTION @extschema@.qr_clearing(regclass, text) IS
    'Net positions per settlement day, currency and participant from routed transactions (ts, currency, amount, payer, network, via): payers pay the amount, the payee network receives it less the fee of qr_fee_rates (rounded to the minor unit of the currency, qr_round_amount), the via earns the fee; on-us rows (payer = network) move nothing. Positions of a day and currency sum to zero. Over a Citus distributed table the payments are priced and summed on the workers (after qr_catalog_check)';

-- =====================================================================
-- Part 4. Interoperability share over a distributed table
-- =====================================================================

-- 0.7.0's function, its payers as an array rather than a join with
-- qr_providers (a local table Citus would not join on the workers)
CREATE OR REPLACE FUNCTION @extschema@.qr_interop_share(codes regclass, at timestamptz DEFAULT now(), region text DEFAULT NULL,
                                 scenario text DEFAULT 'offline')
RETURNS TABLE (payer text, codes_total bigint, payable bigint, share numeric,
               volume_total numeric, payable_volume numeric, volume_share numeric)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    amount text;
    distributed boolean := false;
BEGIN
    IF codes IS NULL OR at IS NULL OR scenario IS NULL THEN
        RAISE EXCEPTION 'qr_interop_share needs a relation, a time and a scenario (a NULL region means each code''s own city)'
              USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF NOT EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = codes AND a.attname = 'code'
                      AND a.attnum > 0 AND NOT a.attisdropped) THEN
        RAISE EXCEPTION '% has no column "code"', codes
              USING ERRCODE = 'undefined_column', HINT = 'It needs a payment_qr column "code" (an amount column is optional).';
    END IF;
    -- the volume columns are filled when the relation has an amount column
    amount := CASE WHEN EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = codes AND a.attname = 'amount'
                                   AND a.attnum > 0 AND NOT a.attisdropped)
                   THEN 'c.amount::numeric' ELSE 'NULL::numeric' END;
    -- the payers are the coordinator's providers, passed as an array: on
    -- Citus the query then runs on the workers, each routing with its own
    -- copy of the catalog (checked equal first)
    IF EXISTS (SELECT FROM pg_extension e WHERE e.extname = 'citus') THEN
        EXECUTE 'SELECT EXISTS (SELECT FROM pg_catalog.pg_dist_partition p WHERE p.logicalrelid = $1)'
           INTO distributed USING codes;
        IF distributed THEN
            PERFORM @extschema@.qr_catalog_check();
        END IF;
    END IF;
    RETURN QUERY EXECUTE format($q$
        SELECT p.code, count(*), count(*) FILTER (WHERE a.ok),
               round(count(*) FILTER (WHERE a.ok)::numeric / nullif(count(*), 0), 4),
               sum(%2$s), CASE WHEN sum(%2$s) IS NOT NULL THEN coalesce(sum(%2$s) FILTER (WHERE a.ok), 0) END,
               round(coalesce(sum(%2$s) FILTER (WHERE a.ok), 0) / nullif(sum(%2$s), 0), 4)
          FROM %1$s c CROSS JOIN unnest($4) p(code),
               LATERAL @extschema@.qr_accepts(c.code, p.code, $1, $2, $3) a(ok)
         GROUP BY p.code ORDER BY 4 DESC, 1
    $q$, codes, amount) USING at, region, scenario, (SELECT array_agg(r.code) FROM @extschema@.qr_providers r);
END $$;
COMMENT ON FUNCTION @extschema@.qr_interop_share(regclass, timestamptz, text, text) IS
    'For every provider, the share of the codes (a relation with a payment_qr column "code") it could pay at that time, in that region and scenario (qr_accepts); when the relation has an amount column, the share of the volume too. On a Citus distributed table the codes are routed on the workers (after qr_catalog_check)';

-- =====================================================================
-- Part 5. The aging view's columns, described
-- =====================================================================

COMMENT ON COLUMN @extschema@.qr_recon_break_aging.id IS 'The break (qr_recon_breaks.id)';
COMMENT ON COLUMN @extschema@.qr_recon_break_aging.provider IS 'The provider of the break''s rows';
COMMENT ON COLUMN @extschema@.qr_recon_break_aging.kind IS 'The break''s status in reconciliation (amount_mismatch, missing_in_statement, ...)';
COMMENT ON COLUMN @extschema@.qr_recon_break_aging.status IS 'open or assigned';
COMMENT ON COLUMN @extschema@.qr_recon_break_aging.owner IS 'Who the break is assigned to, if anyone';
COMMENT ON COLUMN @extschema@.qr_recon_break_aging.currency IS 'Currency of the amount';
COMMENT ON COLUMN @extschema@.qr_recon_break_aging.amount IS 'The amount at stake';
COMMENT ON COLUMN @extschema@.qr_recon_break_aging.txn_at IS 'Time of the transaction the break is about';
COMMENT ON COLUMN @extschema@.qr_recon_break_aging.opened_at IS 'When a run opened the break';
COMMENT ON COLUMN @extschema@.qr_recon_break_aging.last_run IS 'The last run that saw the break';
COMMENT ON COLUMN @extschema@.qr_recon_break_aging.age IS 'Now minus the transaction''s time (the opening time when there is none)';
COMMENT ON COLUMN @extschema@.qr_recon_break_aging.age_bucket IS '0-1 days, 1-3 days, 3-7 days, 7-30 days or 30+ days';
COMMENT ON COLUMN @extschema@.qr_recon_break_aging.severity IS 'low, medium, high or critical: the higher of the amount''s band and the age''s';

-- =====================================================================
-- Part 6. The shipped rows cite the project's own documents
-- =====================================================================

-- The notes of the shipped patterns and the sources of the shipped rules
-- name the part of doc/routing.md that holds their facts and sources.
-- Shipped rows are the version's, not a user's change: the audit trail,
-- which records users' changes, does not record this one (and a fresh
-- install's trail starts empty, as an updated one's does).
ALTER TABLE @extschema@.qr_provider_patterns DISABLE TRIGGER qr_provider_patterns_audit;
ALTER TABLE @extschema@.qr_interop_rules DISABLE TRIGGER qr_interop_rules_audit;
-- The script is ASCII and loads in every server encoding: the section
-- sign is matched as "not a digit", and written as the database encoding
-- has it (as the six characters U+00A7 where it has none, as 0.2.0 did).
DO $$
DECLARE
    sign text;
BEGIN
    BEGIN
        sign := pg_catalog.convert_from('\xc2a7'::bytea, 'UTF8');
    EXCEPTION WHEN untranslatable_character THEN
        sign := 'U+00A7';
    END;
    UPDATE @extschema@.qr_provider_patterns
       SET note = pg_catalog.regexp_replace(pg_catalog.regexp_replace(pg_catalog.regexp_replace(pg_catalog.regexp_replace(note,
                  '^REFERENCE [^0-9 ]+2: ', 'doc/routing.md ' || sign || ' Provider identifiers, EMVCo: '),
                  '^REFERENCE [^0-9 ]+3: ', 'doc/routing.md ' || sign || ' Provider identifiers, URL and text formats: '),
                  '^REFERENCE [^0-9 ]+4: ', 'doc/routing.md ' || sign || ' Provider identifiers, consumer codes: '),
                  '^providers\.tsv: ', 'doc/routing.md ' || sign || ' Provider identifiers, URL and text formats: ')
     WHERE shipped;
    UPDATE @extschema@.qr_interop_rules
       SET source = pg_catalog.regexp_replace(source, ', REFERENCE [^0-9 ]+5\)', ', doc/routing.md ' || sign || ' Provider identifiers)')
     WHERE shipped;
END $$;
ALTER TABLE @extschema@.qr_provider_patterns ENABLE TRIGGER qr_provider_patterns_audit;
ALTER TABLE @extschema@.qr_interop_rules ENABLE TRIGGER qr_interop_rules_audit;

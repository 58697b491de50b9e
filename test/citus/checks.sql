--
-- The distributed test's checks (test/citus/run.sh runs this on the
-- coordinator of a Citus cluster with two workers, then the checks that
-- need the server's notices).  Every comparison is the same query over a
-- plain table on the coordinator and over a distributed copy holding the
-- same rows: ct_same runs both and compares the rows as multisets (both
-- EXCEPT ALL directions), printing the rows that differ.  Each check prints
-- "ok N - what" or "not ok N - what" with the reason; an error inside a
-- check fails that check, never the ones after it.
--
-- psql variables: routing_cases, a file holding the route_codes and
-- route_checks tables of sql/qrpay_routing.sql (the driver cuts them out).
--
SET client_min_messages = warning;
SET citus.shard_count = 8;
-- results and repartitioned rows travel between the nodes in binary
-- (payment_qr_send and payment_qr_recv) where the types allow it
SET citus.enable_binary_protocol = on;
SET DateStyle = ISO;
-- every node's sessions are in UTC (run.sh starts them so), the
-- coordinator's too, so that a timestamp printed on either reads the same;
-- the checks that set the coordinator's session to another zone say so
SET TimeZone = 'UTC';

-- ------------------------------------------------------------ the checks
CREATE TABLE ct_results (n serial PRIMARY KEY, ok boolean NOT NULL, description text NOT NULL,
                         detail text, query text, at timestamptz NOT NULL DEFAULT clock_timestamp());

CREATE FUNCTION ct_check(description text, ok boolean, detail text DEFAULT NULL, query text DEFAULT NULL)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    n int;
BEGIN
    INSERT INTO ct_results (ok, description, detail, query) VALUES (coalesce(ok, false), description, detail, query)
    RETURNING ct_results.n INTO n;
    RETURN CASE WHEN coalesce(ok, false) THEN format('ok %s - %s', n, description)
                ELSE format('not ok %s - %s', n, description)
                     || E'\n#   ' || replace(coalesce(left(detail, 3000), '(no answer)'), E'\n', E'\n#   ') END;
END $$;

-- The rows of one query, as text.
CREATE FUNCTION ct_rows(query text) RETURNS text[] LANGUAGE plpgsql AS $$
DECLARE
    r text[];
BEGIN
    EXECUTE format('SELECT coalesce(array_agg(x::text), ''{}'') FROM (%s) x', query) INTO r;
    RETURN r;
END $$;

-- The same rows from the query over the plain table (local) and the one
-- over the distributed table (dist; or its rows, run by ct_same_run); an empty
-- answer proves nothing and fails.
CREATE FUNCTION ct_same(description text, local_query text, dist_query text, dist_rows text[] DEFAULT NULL)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    expected text[];
    actual text[] := dist_rows;
    missing text[];
    extra text[];
BEGIN
    expected := ct_rows(local_query);
    IF actual IS NULL THEN
        actual := ct_rows(dist_query);
    END IF;
    SELECT coalesce(array_agg(x), '{}') INTO missing FROM (SELECT unnest(expected) EXCEPT ALL SELECT unnest(actual)) m(x);
    SELECT coalesce(array_agg(x), '{}') INTO extra FROM (SELECT unnest(actual) EXCEPT ALL SELECT unnest(expected)) e(x);
    RETURN ct_check(description,
                    cardinality(expected) > 0 AND cardinality(missing) = 0 AND cardinality(extra) = 0,
                    format('%s rows on one node, %s distributed; only on one node (%s): %s; only distributed (%s): %s',
                           cardinality(expected), cardinality(actual),
                           cardinality(missing), (SELECT string_agg(x, E'\n  ') FROM (SELECT unnest(missing[1:5])) s(x)),
                           cardinality(extra), (SELECT string_agg(x, E'\n  ') FROM (SELECT unnest(extra[1:5])) s(x))),
                    dist_query);
EXCEPTION WHEN OTHERS THEN
    RETURN ct_check(description, false, SQLSTATE || ': ' || SQLERRM, dist_query);
END $$;

-- ct_same for a query that qr_match runs in: the distributed query is run
-- first, outside any EXCEPTION block (that would be a subtransaction,
-- which counts as a transaction block, where qr_match reads through the
-- coordinator), at client_min_messages = debug1, where qr_match says
-- whether it ran on the shard groups; path says which the run should take
-- (the driver counts the runs and the messages).  An error in it stops the
-- statement: the check is then missing, and the driver fails.
CREATE TABLE ct_runs (n serial, path text NOT NULL);
CREATE FUNCTION ct_same_run(description text, local_query text, dist_query text, path text DEFAULT 'shards')
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    actual text[];
BEGIN
    PERFORM set_config('client_min_messages', 'debug1', true);
    actual := ct_rows(dist_query);
    PERFORM set_config('client_min_messages', 'warning', true);
    INSERT INTO ct_runs (path) VALUES (path);
    RETURN ct_same(description, local_query, dist_query, actual);
END $$;

-- The same query over the plain tables and over each set of distributed
-- copies: the query names its tables %1$s, %2$s ..., a set is their names
-- separated by commas.
CREATE FUNCTION ct_same_each(description text, query text, local_tables text, dist_sets text[])
RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    d text;
BEGIN
    FOREACH d IN ARRAY dist_sets LOOP
        RETURN NEXT ct_same(format('%s (%s)', description, d), format(query, VARIADIC string_to_array(local_tables, ',')),
                            format(query, VARIADIC string_to_array(d, ',')));
    END LOOP;
END $$;

-- A query that must raise SQLSTATE state (NULL: any), with a message or
-- detail naming what (NULL: anything).
CREATE FUNCTION ct_raises(description text, query text, state text, naming text DEFAULT NULL) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    msg text;
    detail text;
BEGIN
    EXECUTE query;
    RETURN ct_check(description, false, 'no error raised', query);
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL;
    RETURN ct_check(description, (state IS NULL OR SQLSTATE = state) AND (naming IS NULL OR concat_ws(' ', msg, detail) LIKE '%' || naming || '%'),
                    format('SQLSTATE %s (expected %s): %s %s%s', SQLSTATE, state, msg, coalesce(detail, ''),
                           CASE WHEN naming IS NOT NULL THEN format(' (should name %s)', naming) ELSE '' END), query);
END $$;

-- A query that must run without an error and give true.
CREATE FUNCTION ct_true(description text, query text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    ok boolean;
    detail text;
BEGIN
    EXECUTE format('SELECT ok, detail FROM (%s) x(ok, detail)', query) INTO ok, detail;
    RETURN ct_check(description, ok, detail, query);
EXCEPTION WHEN OTHERS THEN
    RETURN ct_check(description, false, SQLSTATE || ': ' || SQLERRM, query);
END $$;

-- EXPLAIN of a query over a distributed table: a Custom Scan (Citus
-- Adaptive) whose every task (citus.explain_all_tasks) runs on a worker
-- and shows pattern, one task per shard of the table, tasks on every
-- worker; the coordinator's part of the plan does not show it.
CREATE FUNCTION ct_plan(description text, query text, dist_table regclass, pattern text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    plan text;
    tasks text[];
    shards int;
    workers int;
BEGIN
    SELECT string_agg(line, E'\n') INTO plan FROM ct_explain(query) line;
    tasks := (regexp_split_to_array(plan, '->  Task\n'))[2:];
    SELECT count(*) INTO shards FROM pg_dist_shard WHERE logicalrelid = dist_table;
    SELECT count(*) INTO workers FROM pg_dist_node WHERE groupid > 0 AND isactive;
    RETURN ct_check(description,
                    plan ~ 'Custom Scan \(Citus Adaptive\)'
                    AND plan ~ ('Task Count: ' || shards || '\n') AND plan ~ 'Tasks Shown: All'
                    AND cardinality(tasks) = shards
                    AND (SELECT bool_and(t ~ pattern AND t ~ 'Node: host=') FROM unnest(tasks) t)
                    AND (SELECT count(DISTINCT substring(t FROM 'Node: host=\S+ port=\d+')) FROM unnest(tasks) t) = workers
                    AND (regexp_split_to_array(plan, '->  Task\n'))[1] !~ pattern,
                    format('%s tasks for %s shards on %s workers, each to show %s:%s%s', cardinality(tasks), shards, workers,
                           pattern, E'\n', plan), query);
EXCEPTION WHEN OTHERS THEN
    RETURN ct_check(description, false, SQLSTATE || ': ' || SQLERRM, query);
END $$;
CREATE FUNCTION ct_explain(query text) RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE 'EXPLAIN (COSTS OFF, VERBOSE) ' || query;
END $$;

-- A command on one node (0 the coordinator, 1 and 2 the workers, in
-- port order) through a connection of its own: its first value.
CREATE FUNCTION ct_on_node(node int, command text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    host text;
    port int;
    ok boolean;
    answer text;
BEGIN
    SELECT nodename, nodeport INTO host, port FROM pg_dist_node WHERE isactive ORDER BY groupid, nodeport OFFSET node LIMIT 1;
    SELECT success, result INTO ok, answer FROM master_run_on_worker(ARRAY[host], ARRAY[port], ARRAY[command], false);
    IF NOT ok THEN
        RAISE EXCEPTION 'on %:%: %', host, port, answer;
    END IF;
    RETURN answer;
END $$;
CREATE FUNCTION ct_port(node int) RETURNS int LANGUAGE sql AS $$
    SELECT nodeport FROM pg_dist_node WHERE isactive ORDER BY groupid, nodeport OFFSET node LIMIT 1
$$;

-- ======================================================= 0. the extension
-- the last worker waits outside the cluster until section 9 adds it
CREATE TABLE ct_spare AS SELECT nodename, nodeport FROM pg_dist_node WHERE groupid > 0 ORDER BY nodeport DESC LIMIT 1;
SELECT '# spare worker: ' || nodeport || ' ' || citus_remove_node(nodename, nodeport) FROM ct_spare;
CREATE EXTENSION qrpay;
SELECT ct_true('CREATE EXTENSION qrpay on the coordinator reached both workers, same version',
$$SELECT count(*) = 2 AND bool_and(w.success AND w.result = e.extversion),
         string_agg(format('%s:%s %s', w.nodename, w.nodeport, w.result), ', ') || ' (coordinator ' || min(e.extversion) || ')'
    FROM run_command_on_workers($c$SELECT extversion FROM pg_extension WHERE extname = 'qrpay'$c$) w,
         pg_extension e WHERE e.extname = 'qrpay'$$);

-- A distributed copy of a plain table: its columns and constraints,
-- distributed by a column, co-located with another table, every row.
CREATE FUNCTION ct_distribute(name text, plain regclass, by_column text, colocate_with text DEFAULT 'default')
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('CREATE TABLE %I (LIKE %s INCLUDING ALL)', name, plain);
    PERFORM create_distributed_table(name, by_column, colocate_with => colocate_with);
    EXECUTE format('INSERT INTO %I SELECT * FROM %s', name, plain);
END $$;

-- What qr_with_amount and qr_with_reference make of a code, or the
-- SQLSTATE they refuse it with (formats without the field): these run on
-- the workers too (Citus creates the functions there).
CREATE FUNCTION ct_with(code payment_qr, field text, value text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN CASE field WHEN 'amount' THEN qr_with_amount(code, value::numeric)::text
                      WHEN 'reference' THEN qr_with_reference(code, value)::text END;
EXCEPTION WHEN OTHERS THEN
    RETURN 'ERROR ' || SQLSTATE;
END $$;

-- ===================================================== 1. codes and type
-- every valid vector, four times: a transaction id, a merchant, the code
CREATE TABLE vectors (id text, format text, networks text, valid text, payload text, expected_fields text, source text);
\copy vectors FROM 'test/data/vectors.tsv' WITH (FORMAT text, HEADER true)
CREATE TABLE codes_local (txn_id text NOT NULL, vector text NOT NULL, merchant text NOT NULL, copy int NOT NULL,
                          amount numeric NOT NULL, code payment_qr NOT NULL);
INSERT INTO codes_local
SELECT v.id || '#' || c, v.id, 'M' || abs(hashtext(v.id)) % 13, c, c * 10.25, v.payload::payment_qr
FROM vectors v, generate_series(1, 4) c WHERE v.valid = '1';
-- one copy distributed by its payment_qr column (the type's default hash
-- operator class), one by transaction id; a co-located payments table
-- beside each (the co-located join on code uses the type's hash on both)
SELECT ct_distribute('codes_by_code', 'codes_local', 'code');
SELECT ct_distribute('codes_by_txn', 'codes_local', 'txn_id');
CREATE TABLE pay_local AS SELECT txn_id || '/p' || k AS pay_id, txn_id, code, amount + k AS paid FROM codes_local, generate_series(1, 2) k;
SELECT ct_distribute('pay_by_code', 'pay_local', 'code', 'codes_by_code');
SELECT ct_distribute('pay_by_txn', 'pay_local', 'txn_id', 'codes_by_txn');
-- every distinct code once, on every node (a reference table) and plain
CREATE TABLE probes_local AS SELECT DISTINCT ON (code) vector, code FROM codes_local ORDER BY code, vector;
CREATE TABLE probes (LIKE probes_local);
SELECT create_reference_table('probes');
INSERT INTO probes SELECT * FROM probes_local;

SELECT ct_true('the tables are distributed as planned: by code, by txn_id, co-located pairs, a reference table',
$$SELECT count(*) = 5 AND bool_and(ok), string_agg(format('%s %s %s %s', table_name, citus_table_type, distribution_column, colocation_id), '; ')
    FROM (SELECT t.table_name, t.citus_table_type, t.distribution_column, t.colocation_id,
                 CASE t.table_name::text
                      WHEN 'codes_by_code' THEN t.distribution_column = 'code'
                      WHEN 'codes_by_txn' THEN t.distribution_column = 'txn_id'
                      WHEN 'pay_by_code' THEN t.distribution_column = 'code'
                           AND t.colocation_id = (SELECT colocation_id FROM citus_tables WHERE table_name = 'codes_by_code'::regclass)
                      WHEN 'pay_by_txn' THEN t.distribution_column = 'txn_id'
                           AND t.colocation_id = (SELECT colocation_id FROM citus_tables WHERE table_name = 'codes_by_txn'::regclass)
                      WHEN 'probes' THEN t.citus_table_type = 'reference' END AS ok
            FROM citus_tables t WHERE t.table_name::text IN ('codes_by_code', 'codes_by_txn', 'pay_by_code', 'pay_by_txn', 'probes')) x$$);
SELECT ct_true('both distributed tables hold every row, on shards of both workers',
$$SELECT bool_and(n = (SELECT count(*) FROM codes_local) AND workers = 2), string_agg(format('%s: %s rows on %s workers', t, n, workers), '; ')
    FROM (SELECT 'codes_by_code' AS t, (SELECT count(*) FROM codes_by_code) AS n,
                 (SELECT count(DISTINCT nodeport) FROM citus_shards WHERE table_name = 'codes_by_code'::regclass) AS workers
          UNION ALL
          SELECT 'codes_by_txn', (SELECT count(*) FROM codes_by_txn),
                 (SELECT count(DISTINCT nodeport) FROM citus_shards WHERE table_name = 'codes_by_txn'::regclass)) x$$);

-- every accessor, the type's output, send, hash and rendering, per row
SELECT ct_same_each('every accessor, text and binary output, hashes and rendering of every code',
$$SELECT c.txn_id, c.code, c.code::text, payment_qr_out(c.code)::text, payment_qr_send(c.code), qr_format(c.code),
         qr_merchant_name(c.code), qr_merchant_city(c.code), qr_mcc(c.code), qr_country(c.code), qr_currency(c.code),
         qr_amount(c.code), qr_is_dynamic(c.code), qr_reference(c.code), qr_account(c.code), qr_to_jsonb(c.code),
         qr_to_jsonb(c.code) -> 'merchant_name', qr_to_jsonb(c.code) ? 'accounts',
         jsonb_path_query_array(qr_to_jsonb(c.code), 'strict $.*.type()'), qr_networks(c.code), qr_provider(c.code),
         qr_text(c.code), payment_qr_hash(c.code), payment_qr_hash_extended(c.code, 7), md5(qr_svg(c.code)),
         md5(qr_png(c.code)), md5(qr_svg(c.code, 2, 1, 'H')), md5(qr_png(c.code, 3, 2, 'L')),
         ct_with(c.code, 'amount', '12.34'), ct_with(c.code, 'reference', 'REF-7')
    FROM %1$s c$$,
    'codes_local', '{codes_by_code,codes_by_txn}');
-- every field of every code by path: qr_get, ?, @>, ?|, ?& and their functions
SELECT ct_same_each('every field of every code: qr_tags, qr_get, ?, @>, ?|, ?& (and qr_exists*, qr_contains)',
$$SELECT c.txn_id, t.ord, t.path, t.name, t.value, qr_get(c.code, t.path), c.code ? t.path,
         c.code @> jsonb_build_object(t.path, t.value), qr_contains(c.code, jsonb_build_object(t.path, t.value || 'x')),
         qr_exists(c.code, t.path || '.99'), c.code ?| ARRAY[t.path, 'nope'], c.code ?& ARRAY[t.path, 'nope'],
         qr_exists_any(c.code, ARRAY['nope', t.path]), qr_exists_all(c.code, ARRAY[t.path])
    FROM %1$s c, LATERAL qr_tags(c.code) WITH ORDINALITY t(path, name, value, ord)$$,
    'codes_local', '{codes_by_code,codes_by_txn}');
SELECT ct_same_each('qr_identifiers of every code',
$$SELECT c.txn_id, i.* FROM %1$s c, LATERAL qr_identifiers(c.code) WITH ORDINALITY i$$,
    'codes_local', '{codes_by_code,codes_by_txn}');
SELECT ct_same_each('qr_route and qr_accepts of every code for four payers, dated and in a city',
$$SELECT c.txn_id, p.payer, (qr_route(c.code, p.payer, '2021-10-05 12:00+08', 'Shenzhen', 'offline')).*,
         qr_accepts(c.code, p.payer, '2022-06-01 12:00+08', 'Lhasa')
    FROM %1$s c CROSS JOIN unnest(ARRAY['unionpay', 'alipay', 'wechatpay', 'ccb']) p(payer)$$,
    'codes_local', '{codes_by_code,codes_by_txn}');
SELECT ct_same_each('qr_routes of every code, dated and in a city',
$$SELECT c.txn_id, r.* FROM %1$s c, LATERAL qr_routes(c.code, '2024-07-01 12:00+08', 'Beijing') r$$,
    'codes_local', '{codes_by_code,codes_by_txn}');
-- every comparison operator and the btree comparison, every pair of codes
SELECT ct_same_each('=, <>, <, <=, >, >= and payment_qr_cmp over every pair of codes (a join with a reference table)',
$$SELECT c.txn_id, p.vector, c.code = p.code, c.code <> p.code, c.code < p.code, c.code <= p.code, c.code > p.code,
         c.code >= p.code, payment_qr_cmp(c.code, p.code), payment_qr_eq(c.code, p.code), payment_qr_ne(c.code, p.code),
         payment_qr_lt(c.code, p.code), payment_qr_le(c.code, p.code), payment_qr_gt(c.code, p.code),
         payment_qr_ge(c.code, p.code)
    FROM %1$s c CROSS JOIN %2$s p$$,
    'codes_local,probes_local', '{"codes_by_code,probes","codes_by_txn,probes"}');
-- lookups with a constant: by code, = is routed to the one shard the
-- coordinator hashes the constant to, which must be where the row went
CREATE FUNCTION ct_lookups(codes regclass) RETURNS TABLE (vector text, eq bigint, lt bigint, ge bigint, ne bigint)
LANGUAGE plpgsql AS $$
DECLARE
    p record;
BEGIN
    FOR p IN SELECT * FROM probes_local LOOP
        vector := p.vector;
        EXECUTE format('SELECT count(*) FILTER (WHERE code = $1) FROM %s WHERE code = $1', codes) INTO eq USING p.code;
        EXECUTE format('SELECT count(*) FROM %s WHERE code < $1', codes) INTO lt USING p.code;
        EXECUTE format('SELECT count(*) FROM %s WHERE code >= $1', codes) INTO ge USING p.code;
        EXECUTE format('SELECT count(*) FROM %s WHERE code <> $1', codes) INTO ne USING p.code;
        RETURN NEXT;
    END LOOP;
END $$;
SELECT ct_same_each('WHERE code = / < / >= / <> a constant, for every code (= pruned to one shard by code)',
    'SELECT * FROM ct_lookups(%1$L)', 'codes_local', '{codes_by_code,codes_by_txn}');
SELECT ct_true('a lookup by code is planned on one shard (Citus hashed the constant with the type''s hash function)',
$$SELECT bool_and(plan ~ 'Task Count: 1\n'), string_agg(plan, E'\n') FROM (
    SELECT string_agg(line, E'\n') AS plan FROM probes_local p,
           LATERAL ct_explain(format('SELECT txn_id FROM codes_by_code WHERE code = %L::payment_qr', p.code)) line
     GROUP BY p.vector) x$$);
-- aggregates: by provider, format, network; grouped by the code itself;
-- DISTINCT codes; ORDER BY code LIMIT (sorted on the workers, merged on
-- the coordinator)
SELECT ct_same_each('count, sum, count(DISTINCT code) by qr_provider and qr_format',
$$SELECT qr_provider(code), qr_format(code), count(*), count(DISTINCT code), sum(amount), sum(qr_amount(code))
    FROM %1$s GROUP BY 1, 2$$, 'codes_local', '{codes_by_code,codes_by_txn}');
SELECT ct_same_each('count by network of qr_networks',
$$SELECT n, count(*), count(DISTINCT merchant), sum(amount) FROM %1$s, unnest(qr_networks(code)) n GROUP BY n$$,
    'codes_local', '{codes_by_code,codes_by_txn}');
SELECT ct_same_each('GROUP BY code, merchant',
$$SELECT code, merchant, count(*), sum(amount) FROM %1$s GROUP BY code, merchant$$,
    'codes_local', '{codes_by_code,codes_by_txn}');
SELECT ct_same_each('ORDER BY code LIMIT 25, and DESC',
$$(SELECT 'asc', code::text, txn_id FROM %1$s ORDER BY code, txn_id LIMIT 25)
  UNION ALL (SELECT 'desc', code::text, txn_id FROM %1$s ORDER BY code DESC, txn_id LIMIT 25)$$,
    'codes_local', '{codes_by_code,codes_by_txn}');
SELECT ct_same('co-located join on the payment_qr distribution column (codes_by_code, pay_by_code)',
    $$SELECT c.txn_id, p.pay_id, p.paid, qr_provider(c.code) FROM codes_local c JOIN pay_local p ON p.code = c.code$$,
    $$SELECT c.txn_id, p.pay_id, p.paid, qr_provider(c.code) FROM codes_by_code c JOIN pay_by_code p ON p.code = c.code$$);
SELECT ct_same('co-located join on the txn_id distribution column (codes_by_txn, pay_by_txn)',
    $$SELECT c.txn_id, p.pay_id, p.paid, qr_provider(c.code) FROM codes_local c JOIN pay_local p ON p.txn_id = c.txn_id$$,
    $$SELECT c.txn_id, p.pay_id, p.paid, qr_provider(c.code) FROM codes_by_txn c JOIN pay_by_txn p ON p.txn_id = c.txn_id$$);
SELECT ct_true('the co-located joins run as one task per shard, without repartitioning',
$$SELECT bool_and(plan ~ 'Task Count: 8\n' AND plan !~* 'MapMergeJob|repartition'), string_agg(plan, E'\n')
    FROM (SELECT (SELECT string_agg(line, E'\n') FROM ct_explain(q) line) AS plan FROM unnest(ARRAY[
          'SELECT c.txn_id, p.pay_id FROM codes_by_code c JOIN pay_by_code p ON p.code = c.code',
          'SELECT c.txn_id, p.pay_id FROM codes_by_txn c JOIN pay_by_txn p ON p.txn_id = c.txn_id']) q) x$$);

-- ===================================================== 2. the GIN index
CREATE INDEX codes_by_code_gin ON codes_by_code USING gin (code);
CREATE INDEX codes_by_txn_gin ON codes_by_txn USING gin (code);
-- a query whose answer is true when every shard of a table has its GIN
-- index (asked on the shard's worker)
CREATE FUNCTION ct_gin_everywhere(t regclass) RETURNS text LANGUAGE sql AS $f$
    SELECT format($$SELECT count(*) = (SELECT count(*) FROM pg_dist_shard WHERE logicalrelid = %1$L::regclass)
                           AND bool_and(success AND result = '1'),
                           string_agg(format('%%s: %%s', shardid, result), ', ')
                      FROM run_command_on_shards(%1$L, $c$SELECT count(*) FROM pg_indexes WHERE tablename = '%%s'
                                                            AND indexdef LIKE '%%%%USING gin (code)%%%%'$c$)$$, t)
$f$;
SELECT ct_true(format('the GIN index exists on every shard of %s', t), ct_gin_everywhere(t))
FROM unnest(ARRAY['codes_by_code', 'codes_by_txn']::regclass[]) t;
-- the queries of the regression's GIN test: every (path, value) and every
-- path of the data, absent ones, ?| and ?&; on one node a plain table, on
-- the workers a reference table joined with the codes (each query a
-- parameter of the index scan of the nested loop's inner side)
CREATE TABLE gin_queries_local AS
SELECT row_number() OVER (ORDER BY op, arg) AS n, op,
       CASE WHEN op = '@>' THEN arg::jsonb END AS contains, CASE WHEN op = '?' THEN arg END AS key,
       CASE WHEN op IN ('?|', '?&') THEN arg::text[] END AS keys
FROM (SELECT DISTINCT '@>' AS op, jsonb_build_object(t.path, t.value)::text AS arg FROM probes_local p, qr_tags(p.code) t
      UNION SELECT DISTINCT '?', t.path FROM probes_local p, qr_tags(p.code) t
      UNION VALUES ('@>', '{}'), ('@>', '{"59": "BEST TRANSPORTx"}'), ('@>', '{"26": {"00": "br.gov.bcb.pix"}}'),
                   ('@>', '{"64": {"02": "北京"}}'), ('@>', '{"52": "5812", "58": "SG"}'), ('?', 'nope'),
                   ('?|', '{iban,pa,X-VS}'), ('?|', '{nope,99}'), ('?|', '{}'), ('?&', '{59,60}'), ('?&', '{59,nope}'),
                   ('?&', '{61.4F,61.50,62.5A}')) q;
CREATE TABLE gin_queries (LIKE gin_queries_local);
SELECT create_reference_table('gin_queries');
INSERT INTO gin_queries SELECT * FROM gin_queries_local;
SELECT format('# %s GIN queries', count(*)) FROM gin_queries_local;
-- on the workers, the index wherever it can be used
BEGIN;
SET LOCAL citus.propagate_set_commands = 'local';
SET LOCAL enable_seqscan = off;
SET LOCAL citus.explain_all_tasks = on;
SELECT ct_plan('EXPLAIN of @>: every shard''s task runs on a worker with a Bitmap Index Scan on its GIN index',
    $$SELECT txn_id FROM codes_by_txn WHERE code @> '{"59": "BEST TRANSPORT"}'$$, 'codes_by_txn', 'Bitmap Index Scan on (public\.)?codes_by_txn_gin_\d+');
SELECT ct_plan('EXPLAIN of ?: every shard''s task runs on a worker with a Bitmap Index Scan on its GIN index',
    $$SELECT txn_id FROM codes_by_txn WHERE code ? 'iban'$$, 'codes_by_txn', 'Bitmap Index Scan on (public\.)?codes_by_txn_gin_\d+');
SELECT ct_plan('EXPLAIN of the GIN queries joined with the codes: the shards'' GIN indexes, one scan per query',
    $$SELECT q.n, c.txn_id FROM codes_by_txn c JOIN gin_queries q ON c.code @> q.contains$$, 'codes_by_txn',
    'Nested Loop(.|\n)*Bitmap Index Scan on (public\.)?codes_by_txn_gin_\d+');
SELECT ct_same_each('every GIN query (@>, ?, ?|, ?&) through the shards'' indexes, against a plain scan on one node',
$$SELECT q.n, c.txn_id FROM %1$s c JOIN %2$s q ON c.code @> q.contains
  UNION ALL SELECT q.n, c.txn_id FROM %1$s c JOIN %2$s q ON c.code ? q.key
  UNION ALL SELECT q.n, c.txn_id FROM %1$s c JOIN %2$s q ON q.op = '?|' AND c.code ?| q.keys
  UNION ALL SELECT q.n, c.txn_id FROM %1$s c JOIN %2$s q ON q.op = '?&' AND c.code ?& q.keys$$,
    'codes_local,gin_queries_local', '{"codes_by_code,gin_queries","codes_by_txn,gin_queries"}');
COMMIT;

-- =================================== 3. qr_networks aggregated on workers
BEGIN;
SET LOCAL citus.explain_all_tasks = on;
SELECT ct_plan('EXPLAIN of a qr_networks aggregate: Citus Adaptive, qr_networks evaluated in every shard''s task on the workers',
    $$SELECT n, count(*) FROM codes_by_txn, unnest(qr_networks(code)) n GROUP BY n$$, 'codes_by_txn', 'qr_networks\(');
COMMIT;
SELECT ct_same('qr_networks aggregate by network and provider, distributed by txn_id',
$$SELECT n, qr_provider(code), count(*) FROM codes_local, unnest(qr_networks(code)) n GROUP BY 1, 2$$,
$$SELECT n, qr_provider(code), count(*) FROM codes_by_txn, unnest(qr_networks(code)) n GROUP BY 1, 2$$);

-- ========================================================= 4. routing
-- the dated and regional cases of the routing regression test, every one
-- a row of a distributed table; qr_route, qr_accepts, qr_routes evaluated
-- on the workers.  The cases' times are China time, as there.
SET TimeZone = 'Asia/Shanghai';
\i :routing_cases
SET TimeZone = 'UTC';
CREATE TABLE route_cases_local AS
SELECT row_number() OVER (ORDER BY c.fact, c.code, c.payer, c.at, c.region, c.scenario) AS case_id,
       c.fact, c.code AS name, k.code, c.payer, c.at, c.region, c.scenario
FROM route_checks c JOIN route_codes k ON k.name = c.code;
SELECT ct_distribute('route_cases', 'route_cases_local', 'case_id');
SELECT format('# %s routing cases of %s facts', count(*), count(DISTINCT fact)) FROM route_cases_local;
SELECT ct_same('routing cases: qr_route(code, payer, date, city, scenario) and qr_accepts on the workers = on one node',
$$SELECT case_id, fact, (qr_route(code, payer, at, region, scenario)).*, qr_accepts(code, payer, at, region, scenario)
    FROM route_cases_local$$,
$$SELECT case_id, fact, (qr_route(code, payer, at, region, scenario)).*, qr_accepts(code, payer, at, region, scenario)
    FROM route_cases$$);
SELECT ct_same('routing cases: qr_routes(code, date, city) on the workers = on one node',
$$SELECT c.case_id, r.* FROM route_cases_local c, LATERAL qr_routes(c.code, c.at, c.region, c.scenario) r$$,
$$SELECT c.case_id, r.* FROM route_cases c, LATERAL qr_routes(c.code, c.at, c.region, c.scenario) r$$);
BEGIN;
SET LOCAL citus.explain_all_tasks = on;
SELECT ct_plan('EXPLAIN: qr_route is evaluated in every shard''s task on the workers',
    $$SELECT case_id, qr_route(code, payer, at, region, scenario) FROM route_cases$$, 'route_cases', 'qr_route\(');
COMMIT;
-- the same cases with the coordinator's session in another time zone than
-- the workers': a time is an instant, the route cannot depend on either.
-- The reason prints the rules' dates in the session's time zone: on the
-- workers, their own unless the session's is propagated.
SET TimeZone = 'America/Los_Angeles';
SELECT ct_same('routing cases with the coordinator''s TimeZone not the workers'': the same routes',
$$SELECT case_id, r.status, r.network, r.via, r.rule FROM route_cases_local, LATERAL qr_route(code, payer, at, region, scenario) r$$,
$$SELECT case_id, r.status, r.network, r.via, r.rule FROM route_cases, LATERAL qr_route(code, payer, at, region, scenario) r$$);
BEGIN;
SET LOCAL citus.propagate_set_commands = 'local';
SET LOCAL TimeZone = 'America/Los_Angeles';
SELECT ct_same('routing cases with the session''s TimeZone propagated (SET LOCAL): the same reasons too',
$$SELECT case_id, r.* FROM route_cases_local, LATERAL qr_route(code, payer, at, region, scenario) r$$,
$$SELECT case_id, r.* FROM route_cases, LATERAL qr_route(code, payer, at, region, scenario) r$$);
COMMIT;
SET TimeZone = 'UTC';

-- ========================================================= 5. catalog
-- a user's provider and pattern, fee rates for clearing, the rates and
-- fees the generated day reconciles with, and a user's regional rule,
-- all added on the coordinator
CREATE TABLE user_codes_local AS SELECT g, ('https://pay.ctbank.example/q/' || g)::payment_qr AS code FROM generate_series(1, 64) g;
SELECT ct_distribute('user_codes', 'user_codes_local', 'code');
SELECT ct_check('before the catalog change: the codes of the new provider are unknown everywhere',
                (SELECT count(*) FROM user_codes WHERE qr_provider(code) IS NOT NULL) = 0
                AND (SELECT count(*) FROM user_codes_local WHERE qr_provider(code) IS NOT NULL) = 0);
INSERT INTO qr_providers (code, name, kind, country) VALUES ('ctbank', 'CT Bank', 'bank', 'CN');
INSERT INTO qr_provider_patterns (provider, kind, pattern, note)
VALUES ('ctbank', 'url', 'https://pay.ctbank.example/*', 'the bank''s merchant codes');
INSERT INTO qr_interop_rules (id, payer, payee, via, valid_during, cities, source)
VALUES ('ctbank-wechat', 'ctbank', 'wechatpay', 'netsunion', '[2025-01-01 00:00+08,2025-06-01 00:00+08)',
        ARRAY['Shenzhen', '广州'], 'the bank''s agreement');
INSERT INTO qr_fee_rates (payer, payee, via, valid_during, rate, fixed, source) VALUES
    ('unionpay', 'wechatpay', 'unionpay', '(,)', 0.001, 0, 'test tariff'),
    ('unionpay', 'alipay', 'unionpay', '[2025-03-01 12:00+08,)', 0.0015, 0, 'test tariff from noon'),
    ('unionpay', 'alipay', 'unionpay', '(,2025-03-01 12:00+08)', 0.001, 0.01, 'test tariff before noon'),
    ('ccb', 'wechatpay', 'netsunion', '(,)', 0.0006, 0.01, 'test tariff'),
    ('ccb', 'alipay', 'netsunion', '(,)', 0.0006, 0.01, 'test tariff'),
    ('ccb', 'unionpay', 'unionpay', '(,)', 0.0005, 0, 'test tariff');
INSERT INTO qr_recon_fee_rates (provider, currency, rate, source)
SELECT p, 'CNY', 0.006, 'the generated day''s agreement' FROM unnest(ARRAY['wechatpay', 'alipay', 'unionpay']) p;
INSERT INTO qr_fx_rates (from_currency, to_currency, rate, source) VALUES ('USD', 'CNY', 7.1, 'the generated day''s rate');
SELECT ct_raises('before qr_catalog_sync: qr_catalog_check() raises SQLSTATE 55000', 'SELECT qr_catalog_check()', '55000');
SELECT ct_true('before qr_catalog_sync: one node identifies the 64 codes, the workers do not',
$$SELECT l = 64 AND d <> l, format('one node %s of 64, distributed %s', l, d)
    FROM (SELECT (SELECT count(*) FROM user_codes_local WHERE qr_provider(code) = 'ctbank') AS l,
                 (SELECT count(*) FROM user_codes WHERE qr_provider(code) = 'ctbank') AS d) x$$);
SELECT ct_true('qr_catalog_sync(): every node, coordinator first, matches the coordinator',
$$SELECT count(*) = 3 AND bool_and(matches) AND count(DISTINCT fingerprint) = 1 AND count(DISTINCT version) = 1
         AND (array_agg(port))[1] = ct_port(0), string_agg(format('%s:%s %s %s %s', node, port, version, fingerprint, matches), '; ')
    FROM qr_catalog_sync()$$);
SELECT ct_true('after qr_catalog_sync: qr_catalog_check() passes and gives the coordinator''s fingerprint',
$$SELECT c = f AND c ~ '^[0-9a-f]{64}$', format('check %s, fingerprint %s', c, f)
    FROM (SELECT qr_catalog_check() AS c, qr_catalog_fingerprint() AS f) x$$);
SELECT ct_true('qr_catalog_nodes(): three nodes, one fingerprint, every node''s own fingerprint equal to it',
$$SELECT count(*) = 3 AND bool_and(n.matches) AND count(DISTINCT n.fingerprint) = 1
         AND bool_and(n.fingerprint = ct_on_node(i::int - 1, 'SELECT qr_catalog_fingerprint()')),
         string_agg(format('%s:%s %s', n.node, n.port, n.fingerprint), '; ')
    FROM qr_catalog_nodes() WITH ORDINALITY n(node, port, version, fingerprint, matches, i)$$);
SELECT ct_same('after qr_catalog_sync: 64 of 64 codes of the new provider identified on the workers, as on one node',
$$SELECT g, qr_provider(code), qr_networks(code) FROM user_codes_local$$,
$$SELECT g, qr_provider(code), qr_networks(code) FROM user_codes$$);
SELECT ct_same('after qr_catalog_sync: the user''s dated regional rule routes on the workers as on one node',
$$SELECT c.case_id, r.*, d.at FROM route_cases_local c
         CROSS JOIN unnest(ARRAY['2024-12-31 12:00+08', '2025-03-01 12:00+08', '2025-07-01 12:00+08']::timestamptz[]) d(at),
         LATERAL qr_route(c.code, 'ctbank', d.at, c.region, c.scenario) r WHERE c.name IN ('wechat_url', 'agg_shenzhen', 'agg_guangzhou_zh')$$,
$$SELECT c.case_id, r.*, d.at FROM route_cases c
         CROSS JOIN unnest(ARRAY['2024-12-31 12:00+08', '2025-03-01 12:00+08', '2025-07-01 12:00+08']::timestamptz[]) d(at),
         LATERAL qr_route(c.code, 'ctbank', d.at, c.region, c.scenario) r WHERE c.name IN ('wechat_url', 'agg_shenzhen', 'agg_guangzhou_zh')$$);
-- the fingerprint is of the content, not of how a session prints it
CREATE FUNCTION ct_fingerprint_under(tz text, datestyle text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('TimeZone', tz, true), set_config('DateStyle', datestyle, true),
            set_config('IntervalStyle', 'sql_standard', true), set_config('extra_float_digits', '-3', true);
    RETURN qr_catalog_fingerprint();
END $$;
SELECT ct_true('qr_catalog_fingerprint() is the same whatever the session''s TimeZone and DateStyle, on the coordinator and a worker',
$$SELECT count(DISTINCT f) = 1, string_agg(s || ' ' || f, '; ')
    FROM (SELECT 'UTC ISO' AS s, ct_fingerprint_under('UTC', 'ISO, YMD') AS f
          UNION ALL SELECT 'Los Angeles SQL DMY', ct_fingerprint_under('America/Los_Angeles', 'SQL, DMY')
          UNION ALL SELECT 'worker 1 Chatham German', ct_on_node(1, $c$SELECT qr_catalog_fingerprint()
                    FROM (SELECT set_config('TimeZone', 'Pacific/Chatham', false), set_config('DateStyle', 'German', false)) s$c$)
          UNION ALL SELECT 'worker 2 Kathmandu Postgres MDY', ct_on_node(2, $c$SELECT qr_catalog_fingerprint()
                    FROM (SELECT set_config('TimeZone', 'Asia/Kathmandu', false), set_config('DateStyle', 'Postgres, MDY', false)) s$c$)) x$$);
RESET TimeZone;
RESET DateStyle;
SET TimeZone = 'UTC';
SET DateStyle = ISO;
-- a change made on one worker behind the coordinator's back
SELECT '# on worker 2: ' || ct_on_node(2, $$UPDATE qr_provider_patterns SET pattern = 'https://pay.ctbank.example/q/1*'
                                          WHERE provider = 'ctbank'$$);
SELECT ct_raises('a pattern changed on worker 2 alone: qr_catalog_check() raises 55000 naming it',
                 'SELECT qr_catalog_check()', '55000', ct_port(2)::text);
SELECT ct_true('a pattern changed on worker 2 alone: qr_catalog_nodes() shows that worker, and only it, not matching',
$$SELECT count(*) = 3 AND bool_and(matches = (port <> ct_port(2))), string_agg(format('%s:%s %s', node, port, matches), '; ')
    FROM qr_catalog_nodes()$$);
SELECT ct_true('qr_catalog_sync() mends it: every node matches again',
$$SELECT count(*) = 3 AND bool_and(matches), string_agg(format('%s:%s %s', node, port, matches), '; ') FROM qr_catalog_sync()$$);
-- (a statement of its own: Citus runs a distributed subquery before the rest)
SELECT ct_true('after qr_catalog_sync: qr_catalog_check() passes again, 64 of 64 identified on the workers',
$$SELECT qr_catalog_check() = qr_catalog_fingerprint() AND n = 64, format('%s of 64', n)
    FROM (SELECT count(*) AS n FROM user_codes WHERE qr_provider(code) = 'ctbank') x$$);

-- the share of the codes (and of their amounts) each payer app could pay,
-- routed on the workers with the synced catalog
SELECT ct_same_each('qr_interop_share of the codes and amounts, dated, in a city and nationwide',
$$SELECT '2024' AS y, * FROM qr_interop_share(%1$L, '2024-07-01 12:00+08', 'Shenzhen')
  UNION ALL SELECT '2021', * FROM qr_interop_share(%1$L, '2021-10-05 12:00+08')$$,
    'codes_local', '{codes_by_code,codes_by_txn}');

-- ================================================= 6. reconciliation
-- the generated day of test/month (20,000 payments, its injected breaks:
-- duplicates, mismatches, refunds, payouts, fees, other currencies, ties),
-- shaped as the ledger and statement qr_match reads
\set days 1
\set txns 20000
\set correct_day 3
-- (its functions of rows of its tables stay on the coordinator: Citus warns)
SET client_min_messages = error;
\i test/month/generate.sql
SET client_min_messages = warning;
SET TimeZone = 'UTC';
CREATE TABLE ledger_local (txn_id text, provider text, reference text, parent_reference text, kind text, amount numeric,
                           currency text, ts timestamptz, context boolean, match_key text NOT NULL,
                           CHECK (match_key = qr_match_key(provider, reference, parent_reference)));
INSERT INTO ledger_local
SELECT txn_id, provider, reference, parent_reference,
       CASE WHEN amount < 0 AND parent_reference IS NOT NULL THEN 'refund' ELSE 'payment' END,
       amount, currency, ts, false, qr_match_key(provider, reference, parent_reference)
FROM month_ledger;
CREATE TABLE statement_local (txn_id text, provider text, reference text, parent_reference text, kind text, amount numeric,
                              fee numeric, currency text, ts timestamptz, match_key text NOT NULL,
                              CHECK (match_key = qr_match_key(provider, reference, parent_reference)));
INSERT INTO statement_local
SELECT key, provider, reference, parent_reference, kind, amount, fee, currency, ts, qr_match_key(provider, reference, parent_reference)
FROM (SELECT s.key, s.provider, CASE WHEN s.status = 'REFUND' THEN s.refund_reference ELSE s.reference END AS reference,
             CASE WHEN s.status = 'REFUND' THEN s.reference END AS parent_reference,
             CASE WHEN s.status = 'REFUND' THEN 'refund' ELSE 'payment' END AS kind,
             CASE WHEN s.status = 'REFUND' THEN -s.refund_amount ELSE s.amount END AS amount, s.fee, s.currency, s.ts
        FROM month_statement s WHERE s.edition = 1) s;
SELECT format('# reconciliation: %s ledger rows, %s statement rows, %s breaks injected',
              (SELECT count(*) FROM ledger_local), (SELECT count(*) FROM statement_local), (SELECT count(*) FROM month_injected));
-- distributed the recommended way (by match_key, co-located), and by
-- txn_id (the engine must read them through the coordinator)
SELECT ct_distribute('ledger', 'ledger_local', 'match_key');
SELECT ct_distribute('statement', 'statement_local', 'match_key', 'ledger');
SELECT ct_distribute('ledger_by_txn', 'ledger_local', 'txn_id');
SELECT ct_distribute('statement_by_txn', 'statement_local', 'txn_id', 'ledger_by_txn');

-- qr_match's rows with each group named by its least transaction id (the
-- distributed run numbers groups in shard order)
CREATE FUNCTION ct_match(ledger regclass, statement regclass, settings jsonb DEFAULT NULL)
RETURNS TABLE (status text, ledger_txn text, statement_txn text, amount_diff numeric, reason text, provider text,
               ledger_ts timestamptz, statement_ts timestamptz, ledger_amount numeric, statement_amount numeric,
               ledger_currency text, statement_currency text, grp text, candidates text[], original_txn text,
               net_amount numeric, fee numeric, expected_fee numeric, fx_rate numeric)
LANGUAGE sql AS $$
    SELECT m.status, m.ledger_txn, m.statement_txn, m.amount_diff, m.reason, m.provider, m.ledger_ts, m.statement_ts,
           m.ledger_amount, m.statement_amount, m.ledger_currency, m.statement_currency,
           CASE WHEN m.group_id IS NOT NULL THEN min(least(m.ledger_txn, m.statement_txn)) OVER (PARTITION BY m.group_id) END,
           m.candidates, m.original_txn, m.net_amount, m.fee, m.expected_fee, m.fx_rate
    FROM qr_match(ledger, statement, settings) m
$$;
SELECT ct_true('the generated day on one node: qr_reconcile finds exactly the injected breaks',
$$SELECT coalesce(cardinality(missing) = 0 AND cardinality(extra) = 0, false),
         format('missing %s: %s; unexpected %s: %s', cardinality(missing), missing[1:5], cardinality(extra), extra[1:5])
    FROM (SELECT ARRAY(SELECT kind || '|' || coalesce(ledger_txn, '') || '|' || coalesce(statement_key, '') FROM month_injected
                       EXCEPT ALL
                       SELECT status || '|' || coalesce(ledger_txn, '') || '|' || coalesce(statement_txn, '')
                         FROM qr_reconcile('ledger_local', 'statement_local')
                        WHERE status NOT IN ('matched', 'matched_group', 'refund_matched')) AS missing,
                 ARRAY(SELECT status || '|' || coalesce(ledger_txn, '') || '|' || coalesce(statement_txn, '')
                         FROM qr_reconcile('ledger_local', 'statement_local')
                        WHERE status NOT IN ('matched', 'matched_group', 'refund_matched')
                       EXCEPT ALL
                       SELECT kind || '|' || coalesce(ledger_txn, '') || '|' || coalesce(statement_key, '') FROM month_injected) AS extra) x$$);
SELECT ct_same_run('qr_match over co-located tables distributed by match_key = one node (groups compared as groups)',
    $$SELECT * FROM ct_match('ledger_local', 'statement_local')$$,
    $$SELECT * FROM ct_match('ledger', 'statement')$$);
SELECT ct_same_run('qr_match distributed: every ledger row once',
    $$SELECT txn_id FROM ledger_local$$,
    $$SELECT ledger_txn FROM qr_match('ledger', 'statement') WHERE ledger_txn IS NOT NULL$$);
SELECT ct_same_run('qr_match distributed: every statement row once',
    $$SELECT txn_id FROM statement_local$$,
    $$SELECT statement_txn FROM qr_match('ledger', 'statement') WHERE statement_txn IS NOT NULL$$);
SELECT ct_same_run('qr_reconcile distributed = one node',
    $$SELECT * FROM qr_reconcile('ledger_local', 'statement_local')$$,
    $$SELECT * FROM qr_reconcile('ledger', 'statement')$$);
SELECT ct_same_run('qr_reconcile distributed, a 5-minute window and 0.10 tolerance = one node',
    $$SELECT * FROM qr_reconcile('ledger_local', 'statement_local', '5 minutes', 0.10)$$,
    $$SELECT * FROM qr_reconcile('ledger', 'statement', '5 minutes', 0.10)$$);
SELECT ct_same_run('qr_reconcile_detail distributed = one node',
    $$SELECT * FROM qr_reconcile_detail('ledger_local', 'statement_local')$$,
    $$SELECT * FROM qr_reconcile_detail('ledger', 'statement')$$);
SELECT ct_same_run('qr_break_summary distributed = one node',
    $$SELECT * FROM qr_break_summary('ledger_local', 'statement_local')$$,
    $$SELECT * FROM qr_break_summary('ledger', 'statement')$$);
SELECT ct_same_run('qr_break_summary distributed, days in UTC = one node',
    $$SELECT * FROM qr_break_summary('ledger_local', 'statement_local', NULL, NULL, 'UTC')$$,
    $$SELECT * FROM qr_break_summary('ledger', 'statement', NULL, NULL, 'UTC')$$);
SELECT ct_same_run('qr_match distributed with settings (a 5-minute window, 1% tolerance, no group search) = one node',
    $$SELECT * FROM ct_match('ledger_local', 'statement_local', '{"time_window": "5 minutes", "tolerance_percent": 1, "group_search": false}')$$,
    $$SELECT * FROM ct_match('ledger', 'statement', '{"time_window": "5 minutes", "tolerance_percent": 1, "group_search": false}')$$);
SELECT ct_same_run('qr_match distributed with settings whose keys leave out parent_reference = one node',
    $$SELECT * FROM ct_match('ledger_local', 'statement_local', '{"keys": ["reference", "amount"]}')$$,
    $$SELECT * FROM ct_match('ledger', 'statement', '{"keys": ["reference", "amount"]}')$$, 'coordinator');
-- a provider whose own keys leave out parent_reference (a catalog row, synced)
INSERT INTO qr_recon_settings (provider, keys, time_window) VALUES ('alipay', '{reference,amount}', '10 minutes');
SELECT '# synced: ' || string_agg(format('%s:%s %s', node, port, matches), '; ') FROM qr_catalog_sync();
SELECT ct_same_run('qr_match distributed with a provider''s settings row (keys without parent_reference, a 10-minute window) = one node',
    $$SELECT * FROM ct_match('ledger_local', 'statement_local')$$,
    $$SELECT * FROM ct_match('ledger', 'statement')$$, 'coordinator');
DELETE FROM qr_recon_settings WHERE provider = 'alipay';
SELECT '# synced: ' || string_agg(format('%s:%s %s', node, port, matches), '; ') FROM qr_catalog_sync();
SELECT ct_raises('a ledger row whose match_key is not qr_match_key(provider, reference, parent_reference) is refused on its shard',
    $$INSERT INTO ledger (txn_id, provider, reference, amount, currency, ts, match_key)
      VALUES ('X1', 'alipay', 'ORD-X1', 1, 'CNY', now(), 'alipay')$$, '23514');
-- rows written in the caller's transaction and not yet committed: in a
-- transaction block, and in one statement (a function) that writes first
CREATE FUNCTION ct_write(txn text) RETURNS void LANGUAGE sql AS $$
    INSERT INTO ledger_local VALUES (txn, 'wechatpay', 'ORD-' || txn, NULL, 'payment', 12.34, 'CNY', '2025-03-01 10:00+08', false, 'ORD-' || txn);
    INSERT INTO ledger VALUES (txn, 'wechatpay', 'ORD-' || txn, NULL, 'payment', 12.34, 'CNY', '2025-03-01 10:00+08', false, 'ORD-' || txn);
$$;
BEGIN;
SELECT ct_write('ZZ1');
SELECT ct_same('in a transaction block that wrote a ledger row: qr_match distributed sees it, = one node',
    $$SELECT * FROM qr_reconcile('ledger_local', 'statement_local')$$, $$SELECT * FROM qr_reconcile('ledger', 'statement')$$);
COMMIT;
-- (no EXCEPTION block around it: that would be a subtransaction, which
-- counts as a transaction block)
CREATE FUNCTION ct_write_then_reconcile(txn text) RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN
    PERFORM ct_write(txn);
    RETURN QUERY SELECT r::text FROM qr_reconcile('ledger', 'statement') r;
END $$;
CREATE TABLE ct_after_write AS SELECT * FROM ct_write_then_reconcile('ZZ2') r;
SELECT ct_same('in one statement that wrote a ledger row first (a function): qr_reconcile distributed sees it, = one node',
    $$SELECT r::text FROM qr_reconcile('ledger_local', 'statement_local') r$$, $$SELECT r FROM ct_after_write$$);
DELETE FROM ledger_local WHERE txn_id IN ('ZZ1', 'ZZ2');
DELETE FROM ledger WHERE txn_id IN ('ZZ1', 'ZZ2');
SELECT ct_same('qr_match over tables distributed by txn_id (read through the coordinator) = one node',
    $$SELECT * FROM ct_match('ledger_local', 'statement_local')$$, $$SELECT * FROM ct_match('ledger_by_txn', 'statement_by_txn')$$);

-- times without a time zone are the session's: the coordinator's session
-- here is in China time, printing day first, the workers' in UTC
CREATE TABLE ledger_naive_local AS
SELECT txn_id, provider, reference, parent_reference, kind, amount, currency, (ts AT TIME ZONE 'Asia/Shanghai') AS ts, context, match_key
FROM ledger_local;
CREATE TABLE statement_naive_local AS
SELECT txn_id, provider, reference, parent_reference, kind, amount, fee, currency, (ts AT TIME ZONE 'Asia/Shanghai') AS ts, match_key
FROM statement_local;
SELECT ct_distribute('ledger_naive', 'ledger_naive_local', 'match_key');
SELECT ct_distribute('statement_naive', 'statement_naive_local', 'match_key', 'ledger_naive');
SET TimeZone = 'Asia/Shanghai';
SELECT ct_same_run('qr_match over times without a time zone, the session in China time, the workers'' in UTC = one node',
    $$SELECT * FROM ct_match('ledger_naive_local', 'statement_naive_local')$$,
    $$SELECT * FROM ct_match('ledger_naive', 'statement_naive')$$);
BEGIN;
SELECT ct_same('qr_match over times without a time zone read through the coordinator (a transaction block), the session in China time = one node',
    $$SELECT * FROM ct_match('ledger_naive_local', 'statement_naive_local')$$, $$SELECT * FROM ct_match('ledger_naive', 'statement_naive')$$);
COMMIT;
-- the times the workers send back, read in a session printing SQL, DMY
-- (China time: CST, the abbreviation US Central Time reads as)
SET DateStyle = 'SQL, DMY';
SELECT ct_same_run('qr_match distributed, the session in China time printing SQL, DMY = one node',
    $$SELECT * FROM ct_match('ledger_local', 'statement_local')$$,
    $$SELECT * FROM ct_match('ledger', 'statement')$$);
SET TimeZone = 'UTC';
SET DateStyle = ISO;

-- =================================== 7. clearing and settlement
-- routed payments: the generated day's payments, each paid by one of five
-- payer apps scanning its provider's code in Shenzhen, as qr_route routes it
CREATE TABLE routed_local AS
SELECT l.txn_id, l.ts, l.currency, l.amount, p.payer, r.network, r.via
FROM month_ledger l
JOIN route_codes k ON k.name = CASE l.provider WHEN 'wechatpay' THEN 'wechat_url' WHEN 'alipay' THEN 'alipay_url' ELSE 'unionpay_url' END
CROSS JOIN LATERAL (SELECT (ARRAY['unionpay', 'ccb', 'wechatpay', 'alipay', 'cmpay'])[1 + abs(hashtext(l.txn_id)) % 5] AS payer) p
CROSS JOIN LATERAL qr_route(k.code, p.payer, l.ts, 'Shenzhen') r
WHERE r.network IS NOT NULL;
SELECT ct_distribute('routed', 'routed_local', 'txn_id');
SELECT format('# clearing: %s routed payments, %s fee-bearing routes', count(*),
              count(DISTINCT (payer, network, via)) FILTER (WHERE via IS NOT NULL)) FROM routed_local;
SELECT ct_same('qr_clearing over distributed routed payments = one node',
    $$SELECT * FROM qr_clearing('routed_local')$$, $$SELECT * FROM qr_clearing('routed')$$);
SELECT ct_same('qr_clearing in another time zone = one node',
    $$SELECT * FROM qr_clearing('routed_local', 'America/New_York')$$, $$SELECT * FROM qr_clearing('routed', 'America/New_York')$$);
-- payments timed without a time zone, in the session's (China time); the
-- workers' sessions are in UTC
CREATE TABLE routed_naive_local AS
SELECT txn_id, (ts AT TIME ZONE 'Asia/Shanghai') AS ts, currency, amount, payer, network, via FROM routed_local;
SELECT ct_distribute('routed_naive', 'routed_naive_local', 'txn_id');
SET TimeZone = 'Asia/Shanghai';
SELECT ct_same('qr_clearing over payments timed without a time zone, the session in China time, the workers not = one node',
    $$SELECT * FROM qr_clearing('routed_naive_local')$$, $$SELECT * FROM qr_clearing('routed_naive')$$);
SET TimeZone = 'UTC';
SELECT ct_same('qr_settlement over distributed routed payments = one node',
    $$SELECT * FROM qr_settlement('routed_local')$$, $$SELECT * FROM qr_settlement('routed')$$);

-- ============================= 8. a role that may only read the tables
CREATE ROLE ct_reader LOGIN;
GRANT SELECT ON ledger_local, statement_local, ledger, statement TO ct_reader;
GRANT SELECT, INSERT ON ct_results, ct_runs TO ct_reader;
GRANT USAGE ON SEQUENCE ct_results_n_seq, ct_runs_n_seq TO ct_reader;
CREATE TABLE ct_fingerprint AS SELECT qr_catalog_fingerprint() AS fingerprint;
GRANT SELECT ON ct_fingerprint TO ct_reader;
SET ROLE ct_reader;
SELECT ct_same_run('as a role with SELECT only: qr_reconcile distributed = one node',
    $$SELECT * FROM qr_reconcile('ledger_local', 'statement_local')$$,
    $$SELECT * FROM qr_reconcile('ledger', 'statement')$$);
SELECT ct_same_run('as a role with SELECT only: qr_match distributed = one node',
    $$SELECT * FROM ct_match('ledger_local', 'statement_local')$$,
    $$SELECT * FROM ct_match('ledger', 'statement')$$);
SELECT ct_true('as a role with SELECT only: qr_catalog_check() passes with the coordinator''s fingerprint',
    $$SELECT qr_catalog_check() = fingerprint, format('%s, the owner''s %s', qr_catalog_check(), fingerprint) FROM ct_fingerprint$$);
SELECT ct_raises('as a role with SELECT only: qr_catalog_sync() is refused (permission denied)',
    'SELECT * FROM qr_catalog_sync()', NULL, 'permission denied');
SELECT ct_raises('as a role with SELECT only: qr_catalog_load() of a snapshot is refused (42501)',
    'SELECT qr_catalog_load(qr_catalog_snapshot())', '42501');
RESET ROLE;
SELECT ct_true('after the refused sync: every node''s catalog still the coordinator''s',
    $$SELECT qr_catalog_check() = fingerprint, qr_catalog_check() FROM ct_fingerprint$$);

-- ================================== 9. a worker added, the shards moved
-- as the scale-out guide says: add the node (Citus creates qrpay there,
-- with the shipped catalog rows only), sync the catalog, rebalance
SELECT '# added: ' || citus_add_node(nodename, nodeport) FROM ct_spare;
SELECT ct_true('a worker added: Citus created qrpay there, the same version',
    $$SELECT v = extversion, v FROM pg_extension,
             ct_on_node(3, 'SELECT extversion FROM pg_extension WHERE extname = ''qrpay''') v
       WHERE extname = 'qrpay'$$);
SELECT ct_raises('a worker added: qr_catalog_check() raises 55000 naming it (it has the shipped rows only)',
    'SELECT qr_catalog_check()', '55000', (SELECT nodeport FROM ct_spare)::text);
SELECT ct_true('a worker added: qr_catalog_sync() gives it the catalog, four nodes match',
$$SELECT count(*) = 4 AND bool_and(matches), string_agg(format('%s:%s %s', node, port, matches), '; ') FROM qr_catalog_sync()$$);
SELECT '# rebalance: ' || citus_rebalance_start(shard_transfer_mode => 'block_writes');
SELECT '# rebalance done' FROM citus_rebalance_wait();
SELECT ct_true('the shards moved: the new worker holds shards of the codes, ledger, statement and routed payments',
$$SELECT count(DISTINCT s.table_name) = 4, string_agg(DISTINCT s.table_name::text, ', ')
    FROM citus_shards s, ct_spare p WHERE s.nodeport = p.nodeport
     AND s.table_name IN ('codes_by_txn'::regclass, 'ledger'::regclass, 'statement'::regclass, 'routed'::regclass)$$);
SELECT ct_true('after rebalancing: the GIN index exists on every shard of codes_by_txn', ct_gin_everywhere('codes_by_txn'));
SELECT ct_same('after rebalancing: every GIN @> query on three workers = one node',
    $$SELECT q.n, c.txn_id FROM codes_local c JOIN gin_queries_local q ON c.code @> q.contains$$,
    $$SELECT q.n, c.txn_id FROM codes_by_txn c JOIN gin_queries q ON c.code @> q.contains$$);
SELECT ct_same('after rebalancing: the user''s provider identified 64 of 64 on three workers',
    $$SELECT g, qr_provider(code) FROM user_codes_local$$, $$SELECT g, qr_provider(code) FROM user_codes$$);
SELECT ct_same_run('after rebalancing: qr_match per shard group on three workers = one node',
    $$SELECT * FROM ct_match('ledger_local', 'statement_local')$$,
    $$SELECT * FROM ct_match('ledger', 'statement')$$);
SELECT ct_same('after rebalancing: qr_clearing on three workers = one node',
    $$SELECT * FROM qr_clearing('routed_local')$$, $$SELECT * FROM qr_clearing('routed')$$);

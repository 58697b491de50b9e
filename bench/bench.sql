-- SQL helpers of the benchmark scripts (bench/match.sh, bench/statements.sh,
-- bench/citus.sh), loaded into their database after CREATE EXTENSION qrpay.

-- Server-side wall time of one statement.
CREATE FUNCTION bench_ms(stmt text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE
	t0 timestamptz := clock_timestamp();
BEGIN
	EXECUTE stmt;
	RETURN extract(epoch FROM clock_timestamp() - t0) * 1000;
END
$$;
-- A ledger of n payments, one every 80 ms, and its statement: per 997
-- payments one missing from the statement, one 0.50 off, one settled two
-- hours late, one booked twice in the ledger, one settled twice; every
-- tenth without a reference.  The tables are <name>_ledger and
-- <name>_statement.
CREATE FUNCTION bench_tables(name text, n bigint) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE format($q$
		CREATE TABLE %1$I AS
		SELECT 'L' || g AS txn_id, (ARRAY['wechatpay', 'alipay', 'unionpay', 'ecny'])[1 + g %% 4] AS provider,
		       CASE WHEN g %% 10 = 0 THEN NULL ELSE 'ORD' || g END AS reference,
		       round(((g * 7919) %% 100000) / 100.0 + 1, 2) AS amount, 'CNY'::text AS currency,
		       timestamptz '2025-03-01 00:00+08' + g * interval '80 ms' AS ts
		FROM generate_series(1::bigint, %3$s) g;
		CREATE TABLE %2$I AS
		SELECT 'S' || substr(txn_id, 2) AS txn_id, provider, reference,
		       amount + CASE WHEN substr(txn_id, 2)::bigint %% 997 = 2 THEN 0.5 ELSE 0 END AS amount, currency,
		       ts + CASE WHEN substr(txn_id, 2)::bigint %% 997 = 3 THEN interval '2 hours' ELSE interval '5 s' END AS ts
		FROM %1$I WHERE substr(txn_id, 2)::bigint %% 997 <> 1;
		INSERT INTO %2$I
		SELECT txn_id || '-again', provider, reference, amount, currency, ts + interval '1 minute'
		FROM %2$I WHERE substr(txn_id, 2)::bigint %% 997 = 5;
		INSERT INTO %1$I
		SELECT txn_id || '-again', provider, reference, amount, currency, ts + interval '1 minute'
		FROM %1$I WHERE substr(txn_id, 2)::bigint %% 997 = 4$q$,
		name || '_ledger', name || '_statement', n);
END
$$;

/* qrpay 0.7.0 -> 0.8.0: the back office's day persisted */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION qrpay UPDATE TO '0.8.0'" to load this file. \quit

-- =====================================================================
-- Part 1. Statement readers in C (src/core/qr_bill.c, src/qrpay_statement.c)
-- =====================================================================

-- (readers)

-- =====================================================================
-- Part 2. Statement batches, reconciliation runs, breaks, audit, report
-- =====================================================================

-- (back office)

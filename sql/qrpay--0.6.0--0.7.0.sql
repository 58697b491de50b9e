/* qrpay 0.6.0 -> 0.7.0: safe in a shared database */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION qrpay UPDATE TO '0.7.0'" to load this file. \quit

-- ---------------------------------------------------------------------
-- Catalog integrity: triggers (qrpay_catalog.c)
-- ---------------------------------------------------------------------

-- ---------------------------------------------------------------------
-- Encodings
-- ---------------------------------------------------------------------


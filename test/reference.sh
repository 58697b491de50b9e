#!/usr/bin/env bash
# The function reference, doc/reference.md, is generated from the
# extension's own catalog: every object that belongs to qrpay, with its
# signature, its properties and its COMMENT ON text.  The comments are the
# documentation; this writes them out where a reader finds them.
#
#   bash test/reference.sh           fails (and shows the difference) when
#                                    doc/reference.md is not what the
#                                    installed extension says
#   bash test/reference.sh --write   writes doc/reference.md
#
# It needs a server with qrpay installed (PGHOST/PGPORT, as test/run and
# test/cluster.sh set them) and creates, then drops, a database of its own.
set -euo pipefail
cd "$(dirname "$0")/.."

db=qrpay_reference_$$
psql -qX -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE $db" >/dev/null
trap 'psql -qX -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true' EXIT

out=$(mktemp /tmp/qrpay-reference.XXXXXX)
trap 'rm -f "$out"; psql -qX -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true' EXIT

psql -qX -v ON_ERROR_STOP=1 -d "$db" -At <<'SQL' >"$out"
SET client_min_messages = warning;
CREATE EXTENSION qrpay;
CREATE TEMP VIEW member AS
SELECT d.classid, d.objid
  FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
 WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e' AND e.extname = 'qrpay';
-- one markdown text, in a fixed order (names compared byte by byte)
WITH
ver AS (SELECT extversion AS v FROM pg_extension WHERE extname = 'qrpay'),
types AS (
    SELECT string_agg(format(E'### `%s`\n\n%s: %s\n', t.typname,
                             CASE t.typtype WHEN 'c' THEN 'composite type' WHEN 'e' THEN 'enum' ELSE 'base type' END,
                             coalesce(obj_description(t.oid, 'pg_type'), '(no comment)')),
                      E'\n' ORDER BY t.typname COLLATE "C") AS s
      FROM pg_type t JOIN member m ON m.classid = 'pg_type'::regclass AND m.objid = t.oid
     WHERE t.typtype <> 'c' OR NOT EXISTS (SELECT FROM pg_class c WHERE c.reltype = t.oid AND c.relkind <> 'c')),
funcs AS (
    SELECT string_agg(format(E'### `%s(%s)`\n\nReturns `%s`; %s.\n\n%s\n',
                             p.proname, pg_get_function_arguments(p.oid), pg_get_function_result(p.oid),
                             concat_ws(', ',
                                       CASE p.provolatile WHEN 'i' THEN 'IMMUTABLE' WHEN 's' THEN 'STABLE' ELSE 'VOLATILE' END,
                                       CASE p.proparallel WHEN 's' THEN 'PARALLEL SAFE' WHEN 'r' THEN 'PARALLEL RESTRICTED'
                                                          ELSE 'PARALLEL UNSAFE' END,
                                       CASE WHEN p.proisstrict THEN 'STRICT' END,
                                       CASE WHEN p.proleakproof THEN 'LEAKPROOF' END,
                                       CASE WHEN p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'c') THEN 'in C'
                                            ELSE 'in ' || (SELECT lanname FROM pg_language WHERE oid = p.prolang) END,
                                       CASE WHEN NOT has_function_privilege('public', p.oid, 'EXECUTE')
                                            THEN 'not executable by PUBLIC' END),
                             coalesce(obj_description(p.oid, 'pg_proc'), '(no comment)')),
                      E'\n' ORDER BY p.proname COLLATE "C", pg_get_function_identity_arguments(p.oid) COLLATE "C") AS s
      FROM pg_proc p JOIN member m ON m.classid = 'pg_proc'::regclass AND m.objid = p.oid),
ops AS (
    SELECT string_agg(format(E'- `%s %s %s` → `%s`: %s\n', format_type(o.oprleft, NULL), o.oprname,
                             format_type(o.oprright, NULL), format_type(o.oprresult, NULL),
                             coalesce(obj_description(o.oid, 'pg_operator'), '(no comment)')),
                      '' ORDER BY o.oprname COLLATE "C", format_type(o.oprright, NULL) COLLATE "C") AS s
      FROM pg_operator o JOIN member m ON m.classid = 'pg_operator'::regclass AND m.objid = o.oid),
opclasses AS (
    SELECT string_agg(format(E'- `%s` for %s%s: %s\n', c.opcname, a.amname, CASE WHEN c.opcdefault THEN ' (default)' ELSE '' END,
                             coalesce(obj_description(c.oid, 'pg_opclass'), '(no comment)')),
                      '' ORDER BY a.amname COLLATE "C", c.opcname COLLATE "C") AS s
      FROM pg_opclass c JOIN pg_am a ON a.oid = c.opcmethod
      JOIN member m ON m.classid = 'pg_opclass'::regclass AND m.objid = c.oid),
casts AS (
    SELECT string_agg(format(E'- `%s` → `%s` (%s): %s\n', format_type(c.castsource, NULL), format_type(c.casttarget, NULL),
                             CASE c.castcontext WHEN 'i' THEN 'implicit' WHEN 'a' THEN 'in assignment' ELSE 'explicit' END,
                             coalesce(obj_description(c.oid, 'pg_cast'), '(no comment)')),
                      '' ORDER BY format_type(c.castsource, NULL) COLLATE "C", format_type(c.casttarget, NULL) COLLATE "C") AS s
      FROM pg_cast c JOIN member m ON m.classid = 'pg_cast'::regclass AND m.objid = c.oid),
rels AS (
    SELECT string_agg(format(E'### `%s` (%s)\n\n%s\n\n%s', r.relname,
                             CASE r.relkind WHEN 'r' THEN 'table' WHEN 'v' THEN 'view' WHEN 'S' THEN 'sequence' ELSE r.relkind::text END,
                             coalesce(obj_description(r.oid, 'pg_class'), '(no comment)'),
                             coalesce((SELECT string_agg(format(E'- `%s` %s: %s\n', a.attname, format_type(a.atttypid, a.atttypmod),
                                                                coalesce(col_description(r.oid, a.attnum), '(no comment)')),
                                                         '' ORDER BY a.attnum)
                                         FROM pg_attribute a
                                        WHERE a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped AND r.relkind IN ('r', 'v')), '')),
                      E'\n' ORDER BY r.relkind DESC, r.relname COLLATE "C") AS s
      FROM pg_class r JOIN member m ON m.classid = 'pg_class'::regclass AND m.objid = r.oid)
SELECT format(E'# Function reference\n\n'
              || 'Generated by `bash test/reference.sh --write` from the `COMMENT ON` texts of qrpay %s: '
              || 'every type, function, operator, operator class, cast, table, view and sequence of the extension. '
              || E'A test fails when this file and the extension disagree.\n\n'
              || E'## Types\n\n%s\n## Functions\n\n%s\n## Operators\n\n%s\n## Operator classes\n\n%s\n## Casts\n\n%s\n'
              || E'## Tables, views and sequences\n\n%s',
              (SELECT v FROM ver), (SELECT s FROM types), (SELECT s FROM funcs), (SELECT s FROM ops),
              (SELECT s FROM opclasses), (SELECT s FROM casts), (SELECT s FROM rels));
SQL

if [ "${1:-}" = --write ]; then
	cat "$out" >doc/reference.md
	echo "wrote doc/reference.md ($(wc -l <doc/reference.md) lines)"
elif ! diff -u doc/reference.md "$out"; then
	echo "doc/reference.md is stale: run bash test/reference.sh --write and commit it" >&2
	exit 1
else
	echo "doc/reference.md matches the extension's catalog and comments"
fi

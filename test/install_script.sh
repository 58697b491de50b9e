#!/usr/bin/env bash
# install_script.sh — writes the standalone install script of the current
# version (sql/qrpay--VERSION.sql, VERSION being qrpay.control's
# default_version) from what qrpay--0.1.0.sql and the upgrade scripts
# install, against a running cluster with the extension installed
# (PGHOST/PGPORT/PGUSER set, as test/run does):
#
#   bash test/install_script.sh >sql/qrpay--VERSION.sql   # write it
#   bash test/install_script.sh | diff -u sql/qrpay--VERSION.sql -   # test/run: it is current
#
# A release that adds an upgrade script writes its install script so; the
# upgrade scripts stay, for every earlier version, and test/dump_upgrade.sh
# proves that both paths install the same.
#
# It installs 0.1.0 in a scratch database, into a schema of its own (whose
# name becomes @extschema@, in names and strings alike), as a role of its
# own (qrpay is trusted, so its objects belong to the bootstrap superuser
# and that role becomes @extowner@), and updates it to VERSION.  Then the
# extension's objects are made ordinary ones (its pg_depend rows of
# deptype 'e', pg_init_privs rows and pg_extension row are deleted: the
# database is thrown away), so that pg_dump writes each once, in
# dependency order, with its comments, privileges and rows; the library
# becomes MODULE_PATHNAME, and the script ends with the
# pg_extension_config_dump calls the chain made.
set -euo pipefail
cd "$(dirname "$0")/.."

db=qrpay_install_script owner=qrpay_install_script_owner schema=qrpay_install_script_schema
version=$(sed -n "s/^default_version = '\(.*\)'/\1/p" qrpay.control)
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"
psql -X -q -v ON_ERROR_STOP=1 -d postgres <<SQL
DROP DATABASE IF EXISTS $db;
DROP ROLE IF EXISTS $owner;
CREATE ROLE $owner;
CREATE DATABASE $db OWNER $owner;
SQL
trap 'psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "DROP ROLE IF EXISTS $owner"' EXIT

psql -X -q -v ON_ERROR_STOP=1 -d $db <<SQL
SET ROLE $owner;
CREATE SCHEMA $schema;
CREATE EXTENSION qrpay SCHEMA $schema VERSION '0.1.0';
ALTER EXTENSION qrpay UPDATE TO '$version';
SQL
config=$(psql -X -At -v ON_ERROR_STOP=1 -d $db <<'SQL'
SELECT format('SELECT pg_catalog.pg_extension_config_dump(%L, %L);',
              '@extschema@.' || c.relname, x.extcondition[i])
  FROM pg_extension x CROSS JOIN generate_subscripts(x.extconfig, 1) i JOIN pg_class c ON c.oid = x.extconfig[i]
 WHERE x.extname = 'qrpay'
 ORDER BY i;
SQL
)
psql -X -q -v ON_ERROR_STOP=1 -d $db <<'SQL'
DELETE FROM pg_depend WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
   AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'qrpay');
DELETE FROM pg_init_privs WHERE privtype = 'e';
DELETE FROM pg_extension WHERE extname = 'qrpay';
SQL

cat <<HEAD
/* qrpay $version: the standalone install script */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\\echo Use "CREATE EXTENSION qrpay" to load this file. \\quit

-- Every object of qrpay $version once, in its final definition, in the order
-- pg_dump writes them (types and functions, tables, the shipped rows, keys,
-- indexes, triggers and foreign keys, privileges).  test/install_script.sh
-- writes this script from what qrpay--0.1.0.sql and the upgrade scripts
-- install; test/dump_upgrade.sh proves the two installations the same.

HEAD
# the upgrade script that first shipped text beyond ASCII says how it is
# written, and holds the function that reads it: the same here
sed -n '/^-- This script is ASCII/,/^END \$\$;$/p' sql/qrpay--0.1.0--0.2.0.sql \
	| sed 's/^CREATE FUNCTION qrpay_script_text/CREATE FUNCTION @extschema@.qrpay_script_text/'
echo
mapfile -t upgrades < <(printf '%s\n' sql/qrpay--*--*.sql | sort -V)
# pg_dump's own settings and headers go, and so does the schema, which is
# not the extension's
PGTZ=UTC pg_dump --no-owner --inserts --column-inserts -d $db \
	| sed -e '/^SET /d' -e '/^\\\(un\)\{0,1\}restrict /d' -e '/^SELECT pg_catalog.set_config/d' -e '/^--$/d' \
	      -e '/^-- Dumped /d' -e '/^-- PostgreSQL database dump/d' \
	      -e "s/\\\$libdir\\/qrpay'/MODULE_PATHNAME'/g" \
	      -e "/^CREATE SCHEMA $schema;\$/d" \
	      -e "s/\\b$schema\\b/@extschema@/g" \
	      -e "s/\\b$owner\\b/@extowner@/g" \
	      -e "/^SELECT pg_catalog.setval('[^']*', 1, false);\$/d" \
	| awk '
	# pg_dump heads every entry with "-- Name: N; Type: T; ..."; a banner
	# of the section replaces them where the kind of object changes
	# (comments and defaults stay in their object'"'"'s section; pg_dump
	# writes the privileges last)
	/^-- (Data for )?Name: / {
		t = $0; sub(/.*; Type: /, "", t); sub(/;.*/, "", t)
		if (t == "SCHEMA" || t == "COMMENT" || t == "DEFAULT" || t == "SEQUENCE OWNED BY") { print ""; next }
		s = t
		if (t ~ /TYPE/ || t == "CAST" || t ~ /^OPERATOR/) s = "Types, operators, operator classes and casts"
		else if (t == "FUNCTION") s = "Functions"
		else if (t == "TABLE" || t == "SEQUENCE" || t == "VIEW") s = "Tables, sequences and views"
		else if (t == "TABLE DATA" || t == "SEQUENCE SET") s = "The shipped rows"
		else if (t == "CONSTRAINT" || t == "INDEX") s = "Keys and indexes"
		else if (t == "FK CONSTRAINT") s = "Foreign keys"
		else if (t == "ACL") s = "Privileges"
		else if (t == "TRIGGER") s = "Triggers"
		if (s != section) {
			section = s
			print ""
			print "-- ---------------------------------------------------------------------"
			print "-- " s
			print "-- ---------------------------------------------------------------------"
		}
		print ""
		next
	}
	{ print }' \
	| perl -CSD -pe '
	# text beyond ASCII (shipped rows, one comment) as qrpay_script_text
	# calls; qr_cities holds it only in name_zh, NULL where the encoding
	# cannot hold the whole name; a comment is set by EXECUTE
	next unless /[^\x00-\x7f]/;
	my $whole = /^INSERT INTO \@extschema\@\.qr_cities / ? ", true" : "";
	s{(\x27(?:[^\x27]|\x27\x27)*\x27)}{
		my $l = $1;
		if ($l =~ /[^\x00-\x7f]/) {
			die "a backslash or a character beyond U+FFFF in $l\n" if $l =~ /[\\\x{10000}-\x{10ffff}]/;
			$l =~ s/([^\x00-\x7f])/sprintf("\\%04X", ord($1))/ge;
			"\@extschema\@.qrpay_script_text($l$whole)";
		} else { $l }
	}ge;
	s{^(COMMENT ON .*) IS (.*);$}{DO \$script\$ BEGIN EXECUTE format(\x27$1 IS %L\x27, $2); END \$script\$;}s;
	' \
	| perl -e '
	# the comment over an object in the upgrade script that defined it last
	# goes over it here too, unless it tells the object'"'"'s history (names a
	# version, or what it was)
	my ($out, @chain) = @ARGV; my (%note, %done, @buf);
	for my $f (@chain) {
		open my $h, "<", $f or die "$f: $!"; @buf = ();
		while (<$h>) {
			if (/^--/) { push @buf, $_; next }
			if (/^CREATE (?:OR REPLACE )?(FUNCTION|TABLE|VIEW|TYPE|TRIGGER|INDEX|UNIQUE INDEX) (?:\@extschema\@\.)?(\w+)/) {
				my $n = join "", @buf;
				$note{"$1 $2"} = ($n =~ /\d+\.\d+\.\d+|\bwas\b|\bnow\b/ || $2 eq "qrpay_script_text") ? "" : $n;
			}
			@buf = ();
		}
	}
	open my $o, "<", $out or die; 
	while (<$o>) {
		if (/^CREATE (FUNCTION|TABLE|VIEW|TYPE|TRIGGER|INDEX|UNIQUE INDEX) (?:\@extschema\@\.)?(\w+)(?!;)/ && !/^CREATE TYPE \S+;$/) {
			my $k = "$1 $2";
			print $note{$k} if $note{$k} && !$done{$k}++;
		}
		print;
	}' /dev/stdin sql/qrpay--0.1.0.sql "${upgrades[@]}" \
	| cat -s
echo
echo 'DROP FUNCTION @extschema@.qrpay_script_text(text, boolean);'
echo
echo '-- the tables and sequences pg_dump dumps: their rows that are not shipped'
echo "$config"

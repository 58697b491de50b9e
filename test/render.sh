#!/usr/bin/env bash
# render.sh — every valid vector, of every format, rendered by qr_png and
# by qr_svg (rasterised with rsvg-convert) decodes back to its exact payload
# with an independent decoder, zbarimg (zbar).  Needs a running cluster
# (PGHOST/PGPORT/PGUSER set, as test/run does).  EPC codes of character
# set 2-8 are compared in that character set, which is what the symbol
# carries (EPC069-12).
set -euo pipefail

dir=$(mktemp -d "${TMPDIR:-/tmp}/qrpay-render.XXXXXX")
trap 'rm -rf "$dir"; psql -X -q -d postgres -c "DROP DATABASE IF EXISTS qrpay_render" >/dev/null 2>&1 || true' EXIT
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS qrpay_render" -c "CREATE DATABASE qrpay_render"
db() { psql -X -q -v ON_ERROR_STOP=1 -d qrpay_render "$@"; }

db <<'SQL'
CREATE EXTENSION qrpay;
CREATE TABLE v (id text, format text, networks text, valid text, payload text, expected text, source text);
\copy v FROM 'test/data/vectors.tsv' WITH (FORMAT text, HEADER true)
SQL
# id, then the bytes the symbol must carry, the PNG and the SVG, hex-encoded
db -At -F ' ' -c "
SELECT id,
       encode(CASE WHEN qr_format(payload::payment_qr) = 'epc' AND split_part(payload, E'\n', 3) <> '1'
                   THEN convert_to(payload, (ARRAY['UTF8', 'LATIN1', 'LATIN2', 'LATIN4', 'ISO_8859_5',
                                                   'ISO_8859_7', 'LATIN6', 'LATIN9'])[split_part(payload, E'\n', 3)::int])
                   ELSE convert_to(payload, 'UTF8') END, 'hex'),
       encode(qr_png(payload::payment_qr), 'hex'),
       encode(convert_to(qr_svg(payload::payment_qr, 4, 4, 'Q'), 'UTF8'), 'hex')
FROM v WHERE valid = '1' ORDER BY id" >"$dir/rows"

n=0 bad=0
while read -r id want png svg; do
	printf '%s' "$want" | xxd -r -p >"$dir/want"
	printf '%s' "$png" | xxd -r -p >"$dir/code.png"
	printf '%s' "$svg" | xxd -r -p >"$dir/code.svg"
	rsvg-convert -f png -o "$dir/svg.png" "$dir/code.svg"
	for img in code.png svg.png; do
		# -Sbinary: the symbol's bytes as they are, no character set guessing
		if ! zbarimg --quiet --raw -Sbinary "$dir/$img" >"$dir/got" 2>/dev/null ||
			! cmp -s "$dir/want" "$dir/got"; then
			echo "FAIL $id ($img): decoded $(xxd -p "$dir/got" | head -c 80)" >&2
			bad=$((bad + 1))
		fi
		n=$((n + 1))
	done
done <"$dir/rows"
echo "rendered and decoded $n symbols of $((n / 2)) codes: $bad differ"
[ "$bad" -eq 0 ] && [ "$n" -ge 150 ]

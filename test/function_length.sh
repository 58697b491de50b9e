#!/usr/bin/env bash
# function_length.sh — every C function of src/ and src/core/ whose body
# is longer than 100 lines and whose header comment gives no reason.
#
#   bash test/function_length.sh [FILE.c ...]
#
# FILEs are named from the repository's top (default: src/*.c src/core/*.c).
#
# Functions are read in the project's layout (doc/contributing.md,
# "Layout"): the return type on a line of its own, the name at column 0,
# the body from a "{" at column 0 to the next "}" at column 0.  The body's
# length counts the lines between the two braces.  A function may be
# longer when the comment right above it (no blank line between) has a
# line starting "Long:" that says why, e.g.
#
#   /*
#    * One pass over the record, state by state.
#    * Long: the states share the cursor and the field being built.
#    */
#
# Prints "file:line name lines" for each other one and exits 1 if any.
set -euo pipefail
cd "$(dirname "$0")/.."

max=${QRPAY_FUNCTION_LINES:-100}
if [ $# -eq 0 ]; then
	set -- src/*.c src/core/*.c
fi

awk -v max="$max" '
FNR == 1 { incomment = 0; reason = 0; cand = ""; fn = "" }
# a block comment at column 0: remember whether it gives a reason
incomment || /^\/\*/ {
	if (!incomment)
		long = 0
	incomment = 1
	if ($0 ~ /^[ \t]*\*?[ \t]*Long:/ || $0 ~ /^\/\*[ \t]*Long:/)
		long = 1
	if ($0 ~ /\*\//)
	{
		incomment = 0
		reason = long
	}
	next
}
# a blank line parts a comment from what follows
/^[ \t]*$/ { if (fn == "") { reason = 0; cand = "" } next }
# the name of a function at column 0, its return type on the line above
fn == "" && /^[A-Za-z_][A-Za-z0-9_]*\(/ { cand = $0; sub(/\(.*/, "", cand); candreason = reason; next }
# a declaration ends in ";" outside a body: no function follows
fn == "" && /;[ \t]*$/ { cand = ""; reason = 0; next }
/^\{/ && fn == "" && cand != "" { start = FNR; fn = cand; fnreason = candreason; next }
/^\}/ && fn != "" {
	n = FNR - start - 1
	if (n > max && !fnreason)
	{
		printf "%s:%d %s %d\n", FILENAME, start, fn, n
		bad++
	}
	fn = ""; cand = ""; reason = 0
	next
}
END { exit bad > 0 }
' "$@"

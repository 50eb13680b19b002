#!/bin/sh
# check_includes.sh [TOP] - does every #include in the sources follow the
# dependence rule of docs/architecture.md?  Its two tables are the rule,
# read as they are written:
#
#   "Who may include whom": | `FILES`... | `ALLOWED`... | ; the first row
#   with a FILES pattern that matches a source file applies to it; each of
#   its #include "..." must match an ALLOWED pattern and none written
#   `!PATTERN`.
#   "Outside libraries": | `<HEADER>`... | `FILES`... | ; only those files
#   include that library's headers.
#
# Patterns are shell patterns where `*` matches anything, '/' included,
# paths from the top folder.  An include without a folder ("rec.h") is
# found as the compiler finds it: beside the file, else in format/
# (the Makefile's -I).  Prints one line per offence ("FILE:LINE: includes
# X: ..."); exits 1 if there was any, 0 if none, 2 if the tables cannot be
# read.
top=${1:-.}
cd "$top" || exit 2
doc=docs/architecture.md
[ -f "$doc" ] || { echo "check_includes: no $doc" >&2; exit 2; }

files=$(git ls-files -co --exclude-standard '*.c' '*.h' '*.cc' 2>/dev/null)
[ -n "$files" ] || files=$(find . -name '*.[ch]' -o -name '*.cc' | sed 's|^\./||' | sort)

# Every include line of every source ("FILE:LINE:TEXT"), after the list of
# the sources themselves (to find an include without a folder); the awk
# program reads the two tables from the document first.
{
	echo "$files" | sed 's/^/FILE /'
	# shellcheck disable=SC2086
	grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*["<]' $files /dev/null
} | awk -v doc="$doc" '
	# a shell pattern as an anchored regular expression
	function regex(p) {
		gsub(/[.+?^$(){}|\[\]\\]/, "\\\\&", p)
		gsub(/\*/, ".*", p)
		return "^" p "$"
	}
	# the words in backquotes of a table cell, apart by spaces
	function words(c,    w) {
		w = ""
		while (match(c, /`[^`]*`/)) {
			w = w (w == "" ? "" : " ") substr(c, RSTART + 1, RLENGTH - 2)
			c = substr(c, RSTART + RLENGTH)
		}
		return w
	}
	function any(s, list,    n, i, p) {
		n = split(list, p, " ")
		for (i = 1; i <= n; i++)
			if (s ~ regex(p[i]))
				return 1
		return 0
	}
	BEGIN {
		while ((getline line < doc) > 0) {
			if (line ~ /^## /) {
				table = line == "## Who may include whom" ? "rule" : line == "## Outside libraries" ? "lib" : ""
				continue
			}
			if (table == "" || line !~ /^\| `/)
				continue
			split(line, cell, "|")
			if (table == "rule") {
				nrule++
				rfiles[nrule] = words(cell[2])
				rallow[nrule] = words(cell[3])
			} else {
				nlib++
				lhdrs[nlib] = words(cell[2])
				lonly[nlib] = words(cell[3])
			}
		}
		if (!nrule || !nlib) {
			print "check_includes: " doc " has no \"Who may include whom\" or \"Outside libraries\" table" > "/dev/stderr"
			bad = 2
			exit 2
		}
	}
	/^FILE / { have[substr($0, 6)] = 1; next }
	{
		f = $0; sub(/:.*/, "", f)
		rest = substr($0, length(f) + 2)
		ln = rest; sub(/:.*/, "", ln)
		text = substr(rest, length(ln) + 2)
		sub(/^[ \t]*#[ \t]*include[ \t]*/, "", text)
		if (text ~ /^</) {
			inc = text; sub(/>.*/, ">", inc)
			for (i = 1; i <= nlib; i++) {
				n = split(lhdrs[i], h, " ")
				for (k = 1; k <= n; k++)
					if (inc == h[k] && !any(f, lonly[i])) {
						print f ":" ln ": includes " inc ": only " lonly[i] " may"
						bad = 1
					}
			}
			next
		}
		inc = substr(text, 2); sub(/".*/, "", inc)
		if (inc !~ /\//) {
			dir = f; if (!sub(/\/[^\/]*$/, "", dir)) dir = "."
			if ((dir "/" inc) in have) inc = dir "/" inc
			else if (("format/" inc) in have) inc = "format/" inc
			sub(/^\.\//, "", inc)
		}
		for (r = 1; r <= nrule && !any(f, rfiles[r]); r++)
			;
		if (r > nrule) {
			print f ":" ln ": no row of the table covers this file"
			bad = 1
			next
		}
		n = split(rallow[r], p, " ")
		ok = 0
		for (k = 1; k <= n; k++) {
			if (p[k] ~ /^!/) {
				if (inc ~ regex(substr(p[k], 2))) { ok = 0; break }
			} else if (inc ~ regex(p[k]))
				ok = 1
		}
		if (!ok) {
			print f ":" ln ": includes \"" inc "\": " rfiles[r] " may include only " rallow[r]
			bad = 1
		}
	}
	END { exit bad }
'

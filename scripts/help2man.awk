# help2man.awk - turns one `czprof --help` or `czprof COMMAND --help` text
# into a man page, so that the manual is the help text and cannot drift
# from it (scripts/manpages.sh runs it for every command at build time).
#
#   awk -v name=czprof-leaks -v summary='blocks never freed, ...' \
#       -v version=0.1.0 -v see='czprof(1)' -f help2man.awk HELP
#
# The help texts follow one layout, which is all this relies on:
#   usage: czprof ...          the synopsis, up to the first blank line
#   prose at column 0          description paragraphs (blank line between)
#   WORD:  alone on a line     a section heading ("commands:")
#   "  TERM   description"     an option or a listed value (two spaces or
#                              more end TERM); lines indented to the
#                              description's column continue it
#   other indented lines       shown as they are (examples, formats)

function esc(s) {
	gsub(/\\/, "\\e", s)
	gsub(/-/, "\\-", s)
	if (s ~ /^[.']/)
		s = "\\&" s
	return s
}

function end_block() {
	if (mode == "lit")
		print ".fi\n.RE"
	mode = ""
}

function indent_of(s) {
	match(s, /^ */)
	return RLENGTH
}

BEGIN {
	upper = toupper(name)
	printf ".\\\" Generated from `%s --help` by scripts/help2man.awk: edit the help text instead.\n",
		name == "czprof" ? "czprof" : "czprof " substr(name, 8)
	printf ".TH %s 1 \"\" \"czprof %s\" \"czprof manual\"\n", upper, version
	print ".SH NAME"
	print esc(name) " \\- " esc(summary)
	print ".SH SYNOPSIS"
	print ".nf"
	in_usage = 1
	mode = ""
	item_indent = 0
	desc_col = 0
}

in_usage && /^$/ {
	print ".fi"
	print ".SH DESCRIPTION"
	in_usage = 0
	para = 0
	next
}

in_usage {
	line = $0
	sub(/^usage: /, "", line)
	if (line == $0)
		sub(/^       /, "", line) # the usage lines after the first
	print esc(line)
	next
}

/^$/ {
	end_block()
	pending_pp = 1
	next
}

/^[a-z][a-z ]*:$/ {
	end_block()
	pending_pp = 0
	print ".SH " toupper(substr($0, 1, length($0) - 1))
	next
}

{
	if (pending_pp) {
		print ".PP"
		pending_pp = 0
	}
	i = indent_of($0)
	rest = substr($0, i + 1)
	if (i == 0) {
		if (mode == "item")
			print ".PP" # out of the item's indented body
		end_block()
		print esc($0)
		next
	}
	if (mode == "item" && i >= desc_col - 1) {
		print esc(rest)
		next
	}
	if (match(rest, /  +/) && substr(rest, 1, RSTART - 1) ~ /^[-A-Za-z0-9_.,|=\[\] ]+$/) {
		term = substr(rest, 1, RSTART - 1)
		desc = substr(rest, RSTART + RLENGTH)
		end_block()
		print ".TP"
		print "\\fB" esc(term) "\\fR"
		print esc(desc)
		mode = "item"
		item_indent = i
		desc_col = i + RSTART + RLENGTH
		next
	}
	if (rest ~ /^-/) {
		end_block()
		print ".TP"
		print "\\fB" esc(rest) "\\fR"
		mode = "item"
		item_indent = i
		desc_col = 1000
		next
	}
	if (mode != "lit") {
		end_block()
		print ".RS 2"
		print ".nf"
		mode = "lit"
	}
	print esc(substr($0, 3))
}

END {
	end_block()
	if (see != "") {
		print ".SH SEE ALSO"
		print see
	}
}

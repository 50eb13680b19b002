# helpopts.awk - the options of one `czprof COMMAND --help` text, one per
# line: "OPTION ARG", ARG being what the option takes ("-" for nothing,
# FILE, N..., or values as "fp|dwarf").  scripts/completion.sh builds the
# shell completions from it, so they follow the help text.
#
# Options are read from the synopsis (up to the first blank line) and from
# the terms of the option lines ("  -o, --output FILE   description").

# out(term): prints each option of a term such as "-o, --output FILE",
# "--compress|--no-compress", "--max-peak SIZE, --max-leaked SIZE"
function out(term,    n, w, i, j, k, opt, arg, alias, pending, np) {
	gsub(/[][]/, " ", term)
	n = split(term, w, /[ ,]+/)
	np = 0
	for (i = 1; i <= n; i++) {
		if (w[i] !~ /^--?[A-Za-z]/)
			continue
		if (w[i] ~ /^-[A-Za-z]$/ && i < n && w[i + 1] ~ /^--/) {
			pending[++np] = w[i] # "-o, --output FILE": -o takes FILE too
			continue
		}
		if (w[i] ~ /\|/) { # "--compress|--no-compress"
			k = split(w[i], alias, /\|/)
			for (j = 1; j <= k; j++)
				if (alias[j] ~ /^--?[A-Za-z]/)
					print alias[j], "-"
			continue
		}
		opt = w[i]
		arg = (i < n && w[i + 1] !~ /^-/ && w[i + 1] !~ /^\.\.\./) ? w[i + 1] : "-"
		if (arg != "-" && (arg ~ /^(PROG|TRACE)$/ || arg ~ /\.czt$/))
			arg = "-" # the command's own arguments, not the option's
		print opt, arg
		for (j = 1; j <= np; j++)
			print pending[j], arg
		np = 0
	}
}

NR == 1 { in_usage = 1 }
in_usage && /^$/ { in_usage = 0; next }
in_usage {
	line = $0
	sub(/^usage: czprof [a-z]+/, "", line)
	sub(/^ *czprof [a-z]+/, "", line)
	# "[--unwind fp|dwarf]": one bracket, one option; the rest may hold
	# options too ("--format F")
	rest = ""
	while (match(line, /\[[^]]*\]/)) {
		out(substr(line, RSTART + 1, RLENGTH - 2))
		rest = rest " " substr(line, 1, RSTART - 1)
		line = substr(line, RSTART + RLENGTH)
	}
	out(rest " " line)
	next
}
/^ +-/ && match($0, /^ +/) && RLENGTH <= 8 { # not a description line starting with a dash
	term = $0
	sub(/^ +/, "", term)
	sub(/  .*/, "", term)
	out(term)
}

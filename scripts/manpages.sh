#!/bin/sh
# manpages.sh CZPROF OUTDIR VERSION: writes czprof.1 and czprof-COMMAND.1
# for every command into OUTDIR, each from the program's own --help
# (scripts/help2man.awk), and the command summaries of `czprof --help` as
# the pages' NAME lines.  The help texts that name a document's path on
# this machine (cli/docpath.c) get @DOCDIR@ instead, which `make install`
# replaces with the installed folder.
set -e
czprof=$1 out=$2 version=$3
here=$(dirname "$0")
root=$(cd "$here/.." && pwd)
mkdir -p "$out"
# "  NAME  summary" lines of the commands section
commands=$("$czprof" --help | sed -n '/^commands:$/,/^$/s/^  \([a-z]*\)  *\(.*\)$/\1 \2/p')
[ -n "$commands" ] || { echo "manpages.sh: no commands in '$czprof --help'" >&2; exit 1; }
docs() { sed -e "s|$root/cli/SCHEMA.md|@DOCDIR@/SCHEMA.md|g" -e "s|$root/format/FORMAT.md|@DOCDIR@/FORMAT.md|g"; }
see=$(echo "$commands" | awk '{ printf("%s.BR czprof\\-%s (1)", (NR > 1 ? ",\n" : ""), $1) }')
"$czprof" --help | docs | awk -v name=czprof -v version="$version" \
	-v summary="an allocation profiler for native programs" -v see="$see" \
	-f "$here/help2man.awk" >"$out/czprof.1.tmp"
mv "$out/czprof.1.tmp" "$out/czprof.1"
echo "$commands" | while read -r cmd summary; do
	"$czprof" "$cmd" --help | docs | awk -v name="czprof-$cmd" -v version="$version" \
		-v summary="$summary" -v see=".BR czprof (1)" \
		-f "$here/help2man.awk" >"$out/czprof-$cmd.1.tmp"
	mv "$out/czprof-$cmd.1.tmp" "$out/czprof-$cmd.1"
done

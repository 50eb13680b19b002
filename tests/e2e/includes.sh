# The dependence rule of docs/architecture.md holds: no #include reaches
# into a folder above its own or into another folder's internals, and
# each outside library stays in the files listed for it
# (scripts/check_includes.sh reads the rule from the document's tables).
. tests/e2e/lib.sh
SRC=$(cd "$TESTBIN/../.." && pwd)
CHECK="$SRC/scripts/check_includes.sh"

if sh "$CHECK" "$SRC" >tree.out 2>&1; then ok tree_follows_rule
else bad tree_follows_rule "$(head -c 2000 tree.out)"; fi

# A copy of the sources with one offence of each kind planted, to see that
# the check catches each, at its line (a copy outside git: the check then
# finds the sources itself).
mkdir copy
(cd "$SRC" && git ls-files -co --exclude-standard '*.c' '*.h' '*.cc' docs/architecture.md | tar -cf - -T -) | (cd copy && tar -xf -)
check copy_follows_rule sh "$CHECK" copy
plant() { # FILE LINE: appended, so its line number is the file's length
	printf '%s\n' "$2" >>"copy/$1"
	wc -l <"copy/$1" | tr -d ' '
}
l1=$(plant format/crc32c.c '#include "cli/util.h"')          # the format reaching up to the CLI
l2=$(plant cli/report.c '#include "cli/render/svg.h"')        # a helper using an encoder: commands only
l3=$(plant viewer/top.c '#include "cli/tracedb.h"')            # the viewer needing the database
l4=$(plant lib/recorder/rec_core.c '#include "lib/czalloc/cz_internal.h"') # the recorder in libczalloc's internals
l5=$(plant lib/recorder/rec_core.c '#include <sqlite3.h>')              # SQLite in the profiled process
l6=$(plant cli/render/svg.c '#include "cli/commands.h"')      # an encoder running a command
mkdir copy/newdir && echo '#include "format/czt.h"' >copy/newdir/x.c # a folder the rule forgot
sh "$CHECK" copy >planted.out 2>&1
expect_eq planted_exit "$?" 1
out=$(cat planted.out)
expect_match catches_format_up "$out" "^format/crc32c.c:$l1: includes \"cli/util.h\": format/\\* may include only format/\\*$"
expect_match catches_helper_encoder "$out" "^cli/report.c:$l2: includes \"cli/render/svg.h\""
expect_match catches_viewer_db "$out" "^viewer/top.c:$l3: includes \"cli/tracedb.h\""
expect_match catches_bare_name "$out" "^lib/recorder/rec_core.c:$l4: includes \"lib/czalloc/cz_internal.h\""
expect_match catches_outside_lib "$out" "^lib/recorder/rec_core.c:$l5: includes <sqlite3.h>: only cli/\\* tests/\\* may$"
expect_match catches_encoder_cmd "$out" "^cli/render/svg.c:$l6: includes \"cli/commands.h\""
expect_match catches_uncovered "$out" "^newdir/x.c:1: no row of the table covers this file$"
# seven offences, nothing else taken for one
expect_eq planted_count "$(wc -l <planted.out | tr -d ' ')" 7

# without its tables the check refuses to pass
sed '/^## Who may include whom/,$d' "$SRC/docs/architecture.md" >copy/docs/architecture.md
sh "$CHECK" copy >notable.out 2>&1
expect_eq no_table_exit "$?" 2

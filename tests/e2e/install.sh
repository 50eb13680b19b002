# make install into a scratch prefix: every file where it belongs, the
# installed czprof recording with its installed recorder, the man pages
# (each holding every option of its command's --help), bash and zsh completion
# called as bash calls it, and czprof --version.
ROOT=$PWD
. "$(dirname "$0")/lib.sh"
P=$TESTBIN/progs
X=$WORK/prefix

version=$(sed -n 's/^VERSION := //p' "$ROOT/Makefile")
expect_eq version "$("$CZPROF" --version)" "czprof $version"
expect_eq version_short "$("$CZPROF" -V)" "czprof $version"
expect_match help_names_version "$("$CZPROF" --help)" "^  -V, --version +print czprof's version$"

# the build is done (-o all): install only copies (MAKEFLAGS of an outer make, as
# `make test` runs this, would hand it the outer jobserver)
(cd "$ROOT" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s --no-print-directory -o all B="$B" PREFIX="$X" install) \
	>install.out 2>&1
expect_eq install_status "$?" 0
commands=$("$CZPROF" --help | sed -n '/^commands:$/,/^$/s/^  \([a-z]*\) .*/\1/p')
expect_eq command_count "$(echo "$commands" | wc -l)" 18
missing=
for f in bin/czprof lib/czprof/libczprof.so lib/libczalloc.a lib/libczalloc.so lib/pkgconfig/czalloc.pc \
	share/doc/czprof/SCHEMA.md share/doc/czprof/FORMAT.md share/man/man1/czprof.1 \
	share/bash-completion/completions/czprof share/zsh/site-functions/_czprof; do
	[ -s "$X/$f" ] || missing="$missing $f"
done
for c in $commands; do
	[ -s "$X/share/man/man1/czprof-$c.1" ] || missing="$missing czprof-$c.1"
done
expect_eq installed_files "$missing" ""
expect_eq man_page_count "$(ls "$X/share/man/man1" | wc -l)" 19
expect_eq headers "$(ls "$X/include/czprof" | grep -c '\.h$')" 3
expect_eq pkg_config "$(PKG_CONFIG_PATH=$X/lib/pkgconfig pkg-config --modversion czalloc)" "$version"
expect_match pkg_config_cflags "$(PKG_CONFIG_PATH=$X/lib/pkgconfig pkg-config --cflags czalloc)" "-I$X/include"

# the installed czprof finds its installed recorder (no CZPROF_LIB) and its
# installed schema: rec_exact leaks 7 x 111 B
env -u CZPROF_LIB "$X/bin/czprof" record -o ex.czt "$P/rec_exact" 2>/dev/null
expect_match installed_records "$("$X/bin/czprof" leaks ex.czt)" "777 B +7 +definite +leak_some"
expect_match installed_schema "$("$X/bin/czprof" sql --help)" "columns: $X/share/doc/czprof/SCHEMA.md$"

# man: the page of a command is its --help (every option, the summary of
# `czprof --help` as its NAME), rendered without hyphenation so that an
# option is never split
if command -v man >/dev/null 2>&1; then
	# found through MANPATH as a user would; the rest read by file (faster)
	leaks=$(MANPATH=$X/share/man MANWIDTH=200 man --nh --nj czprof-leaks 2>/dev/null | col -bx)
	page() { groff -man -Tascii -rLL=200n -rHY=0 -P-cbou "$X/share/man/man1/$1.1" 2>/dev/null; }
	expect_match man_leaks_name "$leaks" "^ +czprof-leaks - blocks never freed, by call site$"
	expect_match man_leaks_synopsis "$leaks" "^ +czprof leaks \[OPTIONS\] TRACE$"
	expect_match man_leaks_option "$leaks" "^ +--suppressions FILE$"
	expect_match man_leaks_version "$leaks" "^czprof $version +CZPROF-LEAKS"
	expect_match man_sql_schema "$(page czprof-sql)" "columns: $X/share/doc/czprof/SCHEMA.md$"
	main=$(page czprof)
	expect_match man_main_version "$main" "^ +-V, --version$"
	absent=
	for c in $commands; do
		echo "$main" | grep -q "czprof-$c(1)" || absent="$absent see-also:$c"
		text=$(page "czprof-$c")
		for o in $("$CZPROF" "$c" --help | awk -f "$ROOT/scripts/helpopts.awk" | cut -d' ' -f1 | sort -u); do
			echo "$text" | grep -q -e "$o\b" || absent="$absent $c:$o"
		done
	done
	expect_eq man_has_every_option "$absent" ""
else
	skip man "man is not installed (scripts/deps.sh installs man-db)"
fi

# bash completion, called as bash calls it: COMP_WORDS and COMP_CWORD set,
# _czprof fills COMPREPLY
mkdir -p comp/dir && cd comp && touch a.czt b.txt
comp=$(bash -c '
. "$1"
t() { COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=(); _czprof; echo "${COMPREPLY[*]}"; }
complete -p czprof
t czprof fl
t czprof leaks --su
t czprof leaks ""
t czprof export --format ""
t czprof record --unwind d
t czprof record -o x.czt rec_exac
t czprof record -o x.czt ./rec_exact ""
t czprof help to
t czprof plot --by ""
' sh "$X/share/bash-completion/completions/czprof" 2>&1)
line() { echo "$comp" | sed -n "$1p"; }
expect_eq bash_registered "$(line 1)" "complete -F _czprof czprof"
expect_eq bash_command "$(line 2)" "flamegraph"
expect_eq bash_option "$(line 3)" "--suppressions"
expect_eq bash_traces "$(line 4 | tr ' ' '\n' | sort | tr '\n' ' ')" "a.czt dir "
expect_eq bash_values "$(line 5)" "pprof massif speedscope json"
expect_eq bash_unwind "$(line 6)" "dwarf"
expect_eq bash_program "$(PATH=$P:$PATH; export PATH; bash -c '. "$1"; COMP_WORDS=(czprof record rec_exac); COMP_CWORD=2; _czprof; echo "${COMPREPLY[*]}"' sh "$X/share/bash-completion/completions/czprof" | tr ' ' '\n' | sort -u)" "rec_exact"
expect_eq bash_program_args "$(line 8 | tr ' ' '\n' | sort | tr '\n' ' ')" "a.czt b.txt dir "
expect_eq bash_help_command "$(line 9)" "top"
expect_eq bash_plot_by "$(line 10)" "site thread allocator"

cd "$WORK"
# zsh completion: its logic, with zsh's completion builtins replaced by
# stand-ins that print what they were given
if command -v zsh >/dev/null 2>&1; then
	check zsh_parses zsh -n "$X/share/zsh/site-functions/_czprof"
	comp=$(zsh -c '
compadd() { [[ $1 == -- ]] && shift; print -r -- "compadd $*"; }
_describe() { print -r -- "describe ${#${(P)4}}"; }
_files() { print -r -- "files $*"; }
_command_names() { print -r -- "commands"; }
source "$1" >/dev/null
t() { CURRENT=$1; shift; words=("$@"); PREFIX=${words[CURRENT]}; _czprof; }
t 2 czprof le
t 3 czprof leaks --su
t 4 czprof export --format ""
t 5 czprof record -o x.czt ""
t 6 czprof record -o x.czt ./a ""
t 3 czprof leaks ""' sh "$X/share/zsh/site-functions/_czprof" 2>&1)
	line() { echo "$comp" | sed -n "$1p"; }
	expect_eq zsh_commands "$(line 1) | $(line 2)" "describe 18 | compadd help --help --version"
	expect_match zsh_options "$(line 3)" "^compadd --kinds --json .* --suppressions .* --help$"
	expect_eq zsh_values "$(line 4)" "compadd pprof massif speedscope json"
	expect_eq zsh_program "$(line 5)" "commands"
	expect_eq zsh_program_args "$(line 6)" "files "
	expect_eq zsh_traces "$(line 7)" "files -g *.czt"
else
	skip zsh "zsh is not installed"
fi

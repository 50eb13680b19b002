/*
 * site_rank.h - the report `czprof hotspots` and `czprof temporary` share
 * (cli/cmd_hotspots.c, cli/cmd_temporary.c): call sites ranked by a count
 * the loader keeps per stack (stack_totals), each stack named by its call
 * site and the stacks of one site merged; text or --json.
 */
#ifndef CZPROF_CLI_SITE_RANK_H
#define CZPROF_CLI_SITE_RANK_H

/* What one ranking report counts and how it presents itself; a command
 * holds its own as a static constant. */
struct site_rank {
	const char *name;   /* the command, for its header */
	const char *usage;  /* its whole --help text */
	const char *sql;    /* (stack, count, bytes) rows from stack_totals */
	const char *what;   /* column title for the count */
	const char *noun;   /* before "allocations" in the summary: "" or "temporary " */
	int outside_option; /* takes --outside-allocators (frames of libczalloc left out) */
};

/* Parses argv (argv[0] the command) and prints the report: the command's
 * exit status (0, 1 failure, 2 usage error). */
int site_rank_run(const struct site_rank *r, int argc, char **argv);

#endif

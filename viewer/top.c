/*
 * top.c - see top.h.
 *
 * One tick per refresh interval: read what the trace gained (in slices, so
 * a burst never piles up unbounded pending events; the engine applies what
 * no later chunk can precede as each chunk ends), tell the engine how far
 * the writer surely is when the program is quiet, fold the model into
 * sites and draw.  A finished trace (nobody writes it any more) is
 * replayed on a clock that runs at --speed.
 */
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "format/printable.h"
#include "viewer/follow.h"
#include "viewer/screen.h"
#include "viewer/top.h"

/* Read between looks at the clock.  Small, because a compressed trace packs
 * some 300 K events into 512 KiB, a fair part of a refresh interval to
 * apply; at 8 MiB one slice took seconds and the screen stood still. */
#define SLICE_BYTES (512u << 10)
#define TICK_BYTES (256u << 20)
#define MAX_LINES 512

static volatile sig_atomic_t quit_signal;

static void on_quit(int sig)
{
	quit_signal = sig;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };
	nanosleep(&ts, NULL);
}

struct top {
	const struct top_opts *o;
	struct live_model *model;
	struct names *names;
	struct follower *f;
	struct view view;
	int replay;          /* the trace was finished when we opened it */
	double speed;
	uint64_t clock;      /* replay: trace time shown */
	int paused;
	int writer_done, writer_status;
	int finished;        /* nothing more will be read */
	int damaged_reported;
	char command[256];
	char status[64];
};

static int pid_alive(uint64_t pid)
{
	return pid && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

static void check_writer(struct top *t)
{
	if (t->o->writer > 0 && !t->writer_done &&
	    waitpid(t->o->writer, &t->writer_status, WNOHANG) == t->o->writer)
		t->writer_done = 1;
}

/* Reads and applies one refresh interval's worth: while the trace is
 * being written, no more than an interval's time, so that a program that
 * writes faster than this reads still sees the screen move; a replay
 * reads what its clock covers, on the screen also no more than an
 * interval's time (the rest comes in the next ticks, and keys are read
 * between them: a replay of a big trace at --speed 0 took seconds per
 * tick), in --batch all of it, each snapshot showing its clock's time. */
static void tick(struct top *t)
{
	uint64_t began = mono_ms();
	check_writer(t);
	int writer_was_done = t->writer_done;
	uint64_t read = 0;
	int state = FOLLOW_WAITING;
	struct live_model *m = t->model;
	if (t->replay)
		live_hold(m, t->clock); /* the heap as it was at the clock */
	for (;;) {
		uint64_t lag = an_engine_lag(&m->en);
		uint64_t until = t->replay ? (t->clock > UINT64_MAX - lag ? UINT64_MAX : t->clock + lag)
					   : UINT64_MAX;
		uint64_t before = follow_bytes(t->f);
		state = follow_poll(t->f, until, SLICE_BYTES);
		uint64_t got = follow_bytes(t->f) - before;
		read += got;
		const struct czt_header *h = follow_header(t->f);
		/* the end: a footer, a bad chunk, or the writer gone with all read */
		uint64_t newest = follow_newest(t->f);
		int done = state == FOLLOW_COMPLETE || state == FOLLOW_DAMAGED ||
			   (!got && newest <= until &&
			    (writer_was_done || t->replay || (!t->o->writer && h && !pid_alive(h->pid))));
		if (done)
			t->finished = 1;
		if (t->replay) {
			/* every event up to the clock is read once the reader is
			 * the lag past it, or the trace is all read */
			if (t->finished && t->clock >= newest)
				live_flush(m);
			else if (t->clock != UINT64_MAX && (t->finished || newest > until))
				live_settle(m, t->clock);
		} else if (t->finished) {
			live_flush(m);
		} else {
			/* while it is written: what is the lag old on the trace's
			 * clock (this machine's monotonic clock) is surely in the
			 * file, even when the program went quiet */
			uint64_t horizon = newest;
			if (h && h->clock == 1) {
				struct timespec ts;
				clock_gettime(CLOCK_MONOTONIC, &ts);
				uint64_t now = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
				if (now > h->start_monotonic_ns && now - h->start_monotonic_ns > horizon)
					horizon = now - h->start_monotonic_ns;
			}
			if (horizon > lag)
				live_settle(m, horizon - lag);
		}
		if (!got || t->finished || read >= TICK_BYTES || (t->replay && newest > until) ||
		    ((!t->replay || !t->o->batch) && mono_ms() - began >= (uint64_t)t->o->interval_ms))
			break;
	}
	view_tick(&t->view, t->model, t->names);
}

static void describe(struct top *t, struct view_info *in)
{
	const struct czt_header *h = follow_header(t->f);
	memset(in, 0, sizeof(*in));
	if (!t->command[0] && h) {
		/* NULs between arguments, newlines or ESC in them */
		czt_printable(t->command, sizeof(t->command), h->cmdline, h->cmdline_len, CZT_PRINT_SPACE);
	}
	in->command = t->o->command ? t->o->command : t->command[0] ? t->command : t->o->trace;
	in->pid = h ? h->pid : 0;
	const struct live_model *m = t->model;
	if (!h)
		snprintf(t->status, sizeof(t->status), "waiting for the trace");
	else if (m->ended && m->end_how == CZT_END_SIGNAL)
		snprintf(t->status, sizeof(t->status), "killed by signal %llu", (unsigned long long)m->end_value);
	else if (m->ended)
		snprintf(t->status, sizeof(t->status), "exited %llu", (unsigned long long)m->end_value);
	else if (t->replay && t->speed > 0)
		snprintf(t->status, sizeof(t->status), "replay %gx", t->speed);
	else if (t->finished)
		snprintf(t->status, sizeof(t->status), "trace ended, incomplete");
	else
		snprintf(t->status, sizeof(t->status), t->o->writer ? "recording" : "following");
	if (t->paused)
		strncat(t->status, " [paused]", sizeof(t->status) - strlen(t->status) - 1);
	in->status = t->status;
	in->over = m->ended || t->finished;
	in->trace_bytes = follow_bytes(t->f);
	in->lag_ns = follow_newest(t->f) > live_now(m) && !t->replay ? follow_newest(t->f) - live_now(m) : 0;
	in->lost = follow_lost(t->f);
	if (*follow_error(t->f))
		in->warning = follow_error(t->f);
	/* read to its end without the program's end: cut, or its recorder
	 * killed (the reports' "complete": false) */
	if (h && t->finished && !m->ended && !in->warning)
		in->warning = "the trace stops without the program's end (cut, or the recording was killed):"
			      " figures cover what was recorded";
	if (m->oom)
		in->warning = "out of memory: figures are incomplete";
}

/* Waits until the trace has a header (or the writer fails first). */
static int wait_for_trace(struct top *t)
{
	for (;;) {
		if (!t->f && follow_open(&t->f, t->o->trace, t->model, t->names) && errno != ENOENT) {
			fprintf(stderr, "czprof: %s: %s\n", t->o->trace, strerror(errno));
			return -1;
		}
		if (t->f) {
			int st = follow_poll(t->f, 0, 0);
			if (st == FOLLOW_DAMAGED) {
				fprintf(stderr, "czprof: %s: %s\n", t->o->trace, follow_error(t->f));
				return -1;
			}
			if (follow_header(t->f))
				return 0;
		}
		check_writer(t);
		if (!t->o->writer || t->writer_done || quit_signal) {
			if (t->f || t->o->writer)
				fprintf(stderr, "czprof: %s: no trace was written\n", t->o->trace);
			else
				fprintf(stderr, "czprof: %s: %s\n", t->o->trace, strerror(ENOENT));
			return -1;
		}
		sleep_ms(50);
	}
}

/* The user quit while the program still runs: interrupt it (`czprof
 * record` passes the signal on) and wait, so the trace gets its footer. */
static void stop_writer(struct top *t)
{
	check_writer(t);
	if (t->o->writer <= 0 || t->writer_done)
		return;
	fprintf(stderr, "czprof: stopping the recorded program\n");
	static const int sigs[] = { SIGINT, SIGTERM, SIGKILL };
	for (int s = 0; s < 3 && !t->writer_done; s++) {
		if (sigs[s] == SIGKILL)
			kill(-t->o->writer, SIGKILL); /* record and program share a group */
		else
			kill(t->o->writer, sigs[s]);
		for (int i = 0; i < 40 && !t->writer_done; i++) {
			sleep_ms(50);
			check_writer(t);
		}
	}
}

static void handle_key(struct top *t, int key, int page, int *quit)
{
	struct view *v = &t->view;
	int rows = view_rows(v, t->model, t->names);
	switch (key) {
	case 'q': case 'Q': *quit = 1; break;
	case '?': v->help = !v->help; break;
	case ' ': t->paused = !t->paused; break;
	case 's': v->sort = (v->sort + 1) % SORT_COUNT; break;
	case '/': screen_prompt("filter: ", v->filter, sizeof(v->filter)); v->selected = 0; break;
	case 'c': v->mode = VIEW_SITES; v->selected = 0; v->open_site = 0; v->help = 0; break;
	case 't': v->mode = VIEW_THREADS; v->selected = 0; v->open_site = 0; v->help = 0; break;
	case 'a': v->mode = VIEW_ARENAS; v->selected = 0; v->open_site = 0; v->help = 0; break;
	case 'l': v->mode = VIEW_LEAKS; v->selected = 0; v->open_site = 0; v->help = 0; break;
	case SCREEN_KEY_UP: case 'k': if (v->selected > 0) v->selected--; break;
	case SCREEN_KEY_DOWN: case 'j': if (v->selected + 1 < rows) v->selected++; break;
	case SCREEN_KEY_PGUP: v->selected = v->selected > page ? v->selected - page : 0; break;
	case SCREEN_KEY_PGDN: v->selected = v->selected + page < rows ? v->selected + page : rows - 1; break;
	case SCREEN_KEY_HOME: v->selected = 0; break;
	case SCREEN_KEY_END: v->selected = rows ? rows - 1 : 0; break;
	case SCREEN_KEY_ENTER: view_toggle_stack(v, t->names); break;
	case '+': if (t->replay && t->speed > 0 && t->speed < 1024) t->speed *= 2; break;
	case '-': if (t->replay && t->speed > 1.0 / 64) t->speed /= 2; break;
	case 'n': if (t->paused) { t->clock += (uint64_t)t->o->interval_ms * 1000000u; tick(t); } break;
	default: break;
	}
	if (v->selected < 0)
		v->selected = 0;
}

static void advance_clock(struct top *t)
{
	if (!t->replay)
		return;
	if (t->speed <= 0)
		t->clock = UINT64_MAX;
	else
		t->clock += (uint64_t)((double)t->o->interval_ms * 1e6 * t->speed);
}

static int run_batch(struct top *t)
{
	struct view_line *lines = calloc(MAX_LINES, sizeof(*lines));
	if (!lines)
		return 1;
	for (int i = 0; i < t->o->batch && !quit_signal; i++) {
		if (i)
			sleep_ms(t->o->interval_ms);
		advance_clock(t);
		tick(t);
		/* the last snapshot once everything is in: no point repeating it */
		int last = i + 1 == t->o->batch || (t->finished && !live_pending(t->model));
		struct view_info in;
		describe(t, &in);
		int n = view_render(&t->view, t->model, t->names, &in, t->o->width, 0, lines, MAX_LINES);
		for (int k = 0; k < n; k++)
			printf("%s\n", lines[k].text);
		printf("\n");
		fflush(stdout);
		if (last)
			break;
	}
	free(lines);
	return 0;
}

static int run_screen(struct top *t)
{
	struct view_line *lines = calloc(MAX_LINES, sizeof(*lines));
	if (!lines)
		return 1;
	/* hold our own stderr while the screen is up; show it afterwards */
	FILE *held = tmpfile();
	int saved = dup(STDERR_FILENO);
	if (held && saved >= 0)
		dup2(fileno(held), STDERR_FILENO);
	if (screen_open()) {
		if (saved >= 0)
			dup2(saved, STDERR_FILENO);
		fprintf(stderr, "czprof: top needs a terminal (use --batch N for text snapshots)\n");
		free(lines);
		return 1;
	}
	int quit = 0;
	uint64_t next = 0;
	while (!quit && !quit_signal) {
		uint64_t now = mono_ms();
		if (now >= next) {
			if (!t->paused) {
				advance_clock(t);
				tick(t);
			} else {
				check_writer(t);
			}
			next = now + (uint64_t)t->o->interval_ms;
		}
		int w, h;
		screen_size(&w, &h);
		struct view_info in;
		describe(t, &in);
		int n = view_render(&t->view, t->model, t->names, &in, w, h, lines, MAX_LINES);
		screen_draw(lines, n);
		now = mono_ms();
		int key = screen_key(next > now ? (int)(next - now) : 0);
		if (key != SCREEN_KEY_NONE)
			handle_key(t, key, h / 2, &quit);
	}
	screen_close();
	if (saved >= 0) {
		dup2(saved, STDERR_FILENO);
		close(saved);
	}
	if (held) { /* what went to stderr meanwhile */
		rewind(held);
		char buf[4096];
		size_t k;
		while ((k = fread(buf, 1, sizeof(buf), held)) > 0)
			fwrite(buf, 1, k, stderr);
		fclose(held);
	}
	free(lines);
	return 0;
}

int top_check_terminal(const struct top_opts *o)
{
	if (o->batch > 0)
		return 0;
	switch (screen_usable()) {
	case 0:
		return 0;
	case SCREEN_BAD_TERM:
		fprintf(stderr, "czprof: top cannot drive this terminal (TERM=%s is unknown here; "
			"use --batch N for text snapshots)\n", getenv("TERM") ? getenv("TERM") : "");
		return 1;
	default:
		fprintf(stderr, "czprof: top needs a terminal (use --batch N for text snapshots)\n");
		return 1;
	}
}

int top_run(const struct top_opts *o)
{
	setlocale(LC_ALL, "");
	int utf8 = !strcmp(nl_langinfo(CODESET), "UTF-8");
	struct top t = { .o = o, .speed = o->speed };
	struct sigaction sa = { .sa_handler = on_quit };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (live_model_new(&t.model) || names_new(&t.names)) {
		fprintf(stderr, "czprof: out of memory\n");
		live_model_free(t.model);
		return 1;
	}
	names_set_site_rules(t.names, o->site_rules);
	view_init(&t.view, utf8);
	t.view.mode = (enum view_mode)o->view;
	t.view.sort = (enum view_sort)o->sort;
	int rc = 1;
	if (wait_for_trace(&t) == 0) {
		const struct czt_header *h = follow_header(t.f);
		/* nobody writes it any more: replay it on a clock */
		t.replay = !o->writer && !pid_alive(h->pid);
		rc = o->batch > 0 ? run_batch(&t) : run_screen(&t);
		stop_writer(&t);
		if (!rc && *follow_error(t.f))
			fprintf(stderr, "czprof: %s: %s\n", o->trace, follow_error(t.f));
	} else {
		stop_writer(&t);
	}
	follow_close(t.f);
	view_free(&t.view);
	names_free(t.names);
	live_model_free(t.model);
	return rc;
}

/*
 * view.c - see view.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/czt.h"
#include "viewer/view.h"
#include "lib/base/size.h"
#include "lib/base/grow.h"

#define BATCH_ROWS 20
#define STACK_FRAMES 24

void view_init(struct view *v, int utf8)
{
	memset(v, 0, sizeof(*v));
	v->utf8 = utf8;
}

void view_free(struct view *v)
{
	free(v->sites);
	free(v->prev_allocs);
	free(v->prev_live);
	memset(v, 0, sizeof(*v));
}

/* Sizes in the view's narrow columns: three figures ("1.50 KiB"). */
static char *view_size(uint64_t b, char *buf, size_t cap)
{
	return size_text(b, buf, cap, SIZE_THREE_FIGURES);
}

/* 1234567 -> "1,234,567" */
static char *grouped(uint64_t v, char *buf, size_t cap)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)v);
	size_t o = 0;
	for (int i = 0; i < n && o + 2 < cap; i++) {
		if (i && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = tmp[i];
	}
	buf[o] = 0;
	return buf;
}

/* 1.2M, 34.5k, 12 */
static char *rate_text(double r, char *buf, size_t cap)
{
	if (r >= 1e6)
		snprintf(buf, cap, "%.1fM", r / 1e6);
	else if (r >= 1e4)
		snprintf(buf, cap, "%.0fk", r / 1e3);
	else if (r >= 1e3)
		snprintf(buf, cap, "%.1fk", r / 1e3);
	else
		snprintf(buf, cap, "%.0f", r);
	return buf;
}

static char *time_text(uint64_t ns, char *buf, size_t cap)
{
	double s = (double)ns / 1e9;
	if (s < 1)
		snprintf(buf, cap, "%.0f ms", s * 1e3);
	else if (s < 100)
		snprintf(buf, cap, "%.2f s", s);
	else
		snprintf(buf, cap, "%.0f s", s);
	return buf;
}

/* ---- ticks: stacks folded into sites ---------------------------------- */

static int grow_prev(struct view *v, size_t n)
{
	if (n <= v->n_prev)
		return 0;
	if (array_reserve((void **)&v->prev_allocs, &v->cap_prev_allocs, n - 1, sizeof(*v->prev_allocs)) ||
	    array_reserve((void **)&v->prev_live, &v->cap_prev_live, n - 1, sizeof(*v->prev_live)))
		return -1;
	v->n_prev = n;
	return 0;
}

void view_tick(struct view *v, struct live_model *m, struct names *n)
{
	/* sites by number: a dense table indexed by names_site */
	const struct an_engine *en = &m->en;
	for (size_t i = 0; i < en->n_stacks; i++)
		(void)names_site(n, en->stacks[i]);
	size_t n_sites = (size_t)names_site_count(n);
	struct view_site *by = calloc(n_sites ? n_sites : 1, sizeof(*by));
	if (!by || grow_prev(v, n_sites)) {
		free(by);
		return;
	}
	for (size_t i = 0; i < en->n_stacks; i++) {
		const struct an_stack_total *st = &en->totals[i];
		if (!st->allocs)
			continue; /* a free's stack */
		long s = names_site(n, en->stacks[i]);
		if (s < 0)
			continue;
		struct view_site *x = &by[s];
		int first = !x->allocs;
		x->site = s;
		x->live_bytes += st->live_bytes;
		x->live_blocks += st->live;
		if (i < m->n_lost) {
			x->lost_bytes += m->lost[i].bytes;
			x->lost_blocks += m->lost[i].blocks;
		}
		x->allocs += st->allocs;
		if (first || st->live_bytes > x->top_stack_bytes) {
			x->top_stack = en->stacks[i];
			x->top_stack_bytes = st->live_bytes;
		}
	}
	/* an ended program allocates nothing: no rate, not the last interval's */
	uint64_t now = live_now(m);
	double dt = v->ticked && now > v->prev_time && !m->ended ? (double)(now - v->prev_time) / 1e9 : 0;
	size_t k = 0;
	for (size_t s = 0; s < n_sites; s++) {
		struct view_site *x = &by[s];
		if (!x->allocs && !x->live_blocks)
			continue;
		x->site = (long)s;
		if (dt > 0)
			x->rate = (double)(x->allocs - v->prev_allocs[s]) / dt;
		x->trend = !v->ticked ? 0 : x->live_bytes > v->prev_live[s] ? 1
					     : x->live_bytes < v->prev_live[s] ? -1 : 0;
		v->prev_allocs[s] = x->allocs;
		v->prev_live[s] = x->live_bytes;
		by[k++] = *x;
	}
	free(v->sites);
	v->sites = by;
	v->n_sites = k;
	v->kinds_known = m->kinds_known;
	if (dt > 0) {
		v->rate_allocs = (uint64_t)((double)(en->allocs - v->prev_total_allocs) / dt);
		v->rate_frees = (uint64_t)((double)(en->frees_paired - v->prev_total_frees) / dt);
	} else {
		v->rate_allocs = v->rate_frees = 0;
	}
	if (!v->ticked || now > v->prev_time) {
		v->prev_time = now;
		v->prev_total_allocs = en->allocs;
		v->prev_total_frees = en->frees_paired;
	}
	v->ticked = 1;
}

/* ---- rows: filtered and sorted ---------------------------------------- */

static enum view_sort sort_key;

static int cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? 1 : a > b ? -1 : 0; /* biggest first */
}

static int cmp_site(const void *pa, const void *pb)
{
	const struct view_site *a = pa, *b = pb;
	int c = 0;
	switch (sort_key) {
	case SORT_LIVE_BLOCKS: c = cmp_u64(a->live_blocks, b->live_blocks); break;
	case SORT_ALLOCS: c = cmp_u64(a->allocs, b->allocs); break;
	case SORT_RATE: c = a->rate < b->rate ? 1 : a->rate > b->rate ? -1 : 0; break;
	default: break;
	}
	if (!c)
		c = cmp_u64(a->live_bytes, b->live_bytes);
	if (!c)
		c = cmp_u64(a->allocs, b->allocs);
	return c ? c : (a->site > b->site) - (a->site < b->site);
}

static int matches(const struct view *v, const char *a, const char *b)
{
	return !v->filter[0] || (a && strcasestr(a, v->filter)) || (b && strcasestr(b, v->filter));
}

/* The site rows of the current mode, sorted; returns the count.  rows is
 * caller-allocated with v->n_sites entries. */
static size_t site_rows(struct view *v, struct names *n, struct view_site *rows)
{
	size_t k = 0;
	for (size_t i = 0; i < v->n_sites; i++) {
		const struct view_site *s = &v->sites[i];
		/* leaks: the lost blocks once the scan at exit has told them
		 * apart, until then every block live */
		int lost = v->mode == VIEW_LEAKS && v->kinds_known;
		if (v->mode == VIEW_LEAKS && !(lost ? s->lost_blocks : s->live_blocks))
			continue;
		if (!matches(v, names_site_name(n, s->site), names_site_module(n, s->site)))
			continue;
		rows[k] = *s;
		if (lost) {
			rows[k].live_bytes = s->lost_bytes;
			rows[k].live_blocks = s->lost_blocks;
		}
		k++;
	}
	sort_key = v->mode == VIEW_LEAKS ? SORT_LIVE_BYTES : v->sort;
	qsort(rows, k, sizeof(*rows), cmp_site);
	return k;
}

static int cmp_thread(const void *pa, const void *pb)
{
	const struct an_thread *a = *(struct an_thread *const *)pa, *b = *(struct an_thread *const *)pb;
	int c = cmp_u64(a->live_bytes, b->live_bytes);
	if (!c)
		c = cmp_u64(a->allocs, b->allocs);
	return c ? c : (a->tid > b->tid) - (a->tid < b->tid);
}

static int cmp_alloc(const void *pa, const void *pb)
{
	const struct an_allocator *a = *(const struct an_allocator *const *)pa;
	const struct an_allocator *b = *(const struct an_allocator *const *)pb;
	int c = cmp_u64(a->live_bytes, b->live_bytes);
	if (!c)
		c = cmp_u64(a->peak_capacity, b->peak_capacity);
	return c ? c : (a->id > b->id) - (a->id < b->id);
}

int view_rows(struct view *v, struct live_model *m, struct names *n)
{
	if (v->mode == VIEW_THREADS)
		return (int)m->en.n_threads;
	if (v->mode == VIEW_ARENAS)
		return (int)live_n_allocators(m);
	struct view_site *rows = malloc((v->n_sites ? v->n_sites : 1) * sizeof(*rows));
	if (!rows)
		return 0;
	int k = (int)site_rows(v, n, rows);
	free(rows);
	return k;
}

void view_toggle_stack(struct view *v, struct names *n)
{
	if (v->mode != VIEW_SITES && v->mode != VIEW_LEAKS)
		return;
	struct view_site *rows = malloc((v->n_sites ? v->n_sites : 1) * sizeof(*rows));
	if (!rows)
		return;
	size_t k = site_rows(v, n, rows);
	if (v->selected >= 0 && (size_t)v->selected < k) {
		long site = rows[v->selected].site + 1;
		v->open_site = v->open_site == site ? 0 : site;
	}
	free(rows);
}

/* ---- text ------------------------------------------------------------- */

struct out {
	struct view_line *lines;
	int n, max, width;
};

/* Cuts s to width columns (UTF-8 sequences count as one column). */
static void clip(char *s, int width)
{
	int cols = 0;
	for (char *p = s; *p; p++) {
		if (((unsigned char)*p & 0xC0) == 0x80)
			continue;
		if (cols++ == width) {
			*p = 0;
			return;
		}
	}
}

__attribute__((format(printf, 3, 4)))
static void line(struct out *o, int attr, const char *fmt, ...)
{
	if (o->n >= o->max)
		return;
	struct view_line *l = &o->lines[o->n++];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(l->text, sizeof(l->text), fmt, ap);
	va_end(ap);
	clip(l->text, o->width);
	l->attr = attr;
}

static void header(struct out *o, struct view *v, struct live_model *m, const struct view_info *in)
{
	char a[32], b[32], c[32], d[32], e[32], f[32];
	const struct an_engine *en = &m->en;
	/* the command last: a narrow screen cuts it, not the figures */
	line(o, VIEW_TITLE, "czprof top - %s %s - pid %llu - %s", in->status ? in->status : "",
	     time_text(live_now(m), a, sizeof(a)), (unsigned long long)in->pid, in->command ? in->command : "?");
	line(o, VIEW_TITLE, "live %s (%s B) in %s blocks   peak %s at %s", view_size(en->live, a, sizeof(a)),
	     grouped(en->live, b, sizeof(b)), grouped(en->blocks, c, sizeof(c)),
	     view_size(en->peak_bytes, d, sizeof(d)), time_text(en->peak_time, e, sizeof(e)));
	line(o, VIEW_TITLE, "allocs %s/s  frees %s/s   %s allocs, %s frees   trace %s%s%s",
	     rate_text((double)v->rate_allocs, a, sizeof(a)), rate_text((double)v->rate_frees, b, sizeof(b)),
	     grouped(en->allocs, c, sizeof(c)), grouped(en->frees_paired, d, sizeof(d)),
	     view_size(in->trace_bytes, e, sizeof(e)), in->lag_ns > 1000000000ull ? "   lag " : "",
	     in->lag_ns > 1000000000ull ? time_text(in->lag_ns, f, sizeof(f)) : "");
	if (in->lost)
		line(o, VIEW_TITLE, "warning: the recorder lost %s events", grouped(in->lost, a, sizeof(a)));
	if (in->warning)
		line(o, VIEW_TITLE, "warning: %s", in->warning);
}

/* The live-bytes chart: rows x cols cells over the whole run, each column
 * the highest level of the buckets it covers. */
static void chart(struct out *o, struct view *v, struct live_model *m, int rows)
{
	static const char *const eighths[] = { " ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█" };
	enum { LABEL = 10, MAX_COLS = 512 };
	int cols = o->width - LABEL - 1;
	size_t nb = m->en.n_timeline;
	uint64_t bucket_ns = live_bucket_ns(m);
	if (rows <= 0 || cols < 10 || !nb)
		return;
	if (cols > MAX_COLS)
		cols = MAX_COLS;
	uint64_t val[MAX_COLS], top = 1;
	size_t peak_bucket = (size_t)(m->en.peak_time / bucket_ns);
	int pc = -1; /* the first column that shows the peak's bucket */
	for (int c = 0; c < cols; c++) {
		size_t lo = (size_t)c * nb / (size_t)cols, hi = (size_t)(c + 1) * nb / (size_t)cols;
		if (hi <= lo)
			hi = lo + 1;
		if (pc < 0 && lo <= peak_bucket && peak_bucket < hi)
			pc = c;
		val[c] = 0;
		for (size_t b = lo; b < hi && b < nb; b++)
			if (live_chart_level(m, b) > val[c])
				val[c] = live_chart_level(m, b);
		if (val[c] > top)
			top = val[c];
	}
	char lab[32];
	for (int r = rows - 1; r >= 0; r--) {
		char buf[VIEW_LINE_MAX];
		size_t p = (size_t)snprintf(buf, sizeof(buf), "%9s|",
					    r == rows - 1 ? view_size(top, lab, sizeof(lab)) : r == 0 ? "0" : "");
		for (int c = 0; c < cols && p + 8 < sizeof(buf); c++) {
			/* how many eighths of this row the column fills */
			uint64_t level = val[c] * (uint64_t)rows * 8 / top;
			int fill = level >= (uint64_t)(r + 1) * 8 ? 8 : level <= (uint64_t)r * 8 ? 0
				 : (int)(level - (uint64_t)r * 8);
			if (fill == 0 && r == 0 && val[c])
				fill = 1; /* a non-empty heap is never drawn empty */
			const char *cell = v->utf8 ? eighths[fill] : fill >= 4 ? "#" : fill ? "." : " ";
			p += (size_t)snprintf(buf + p, sizeof(buf) - p, "%s", cell);
		}
		line(o, VIEW_CHART, "%s", buf);
	}
	/* the axis: 0, the peak marked with its size, and the time covered.
	 * The marker points at the peak's column; where it would cover the 0
	 * or the time (a peak at the very start or end, the common case of
	 * a program that frees nothing), it goes on a line of its own. */
	char axis[VIEW_LINE_MAX], mark[VIEW_LINE_MAX], t1[32], right[48], left[48], sz[32];
	int end = LABEL + cols; /* the last column of the axis line */
	memset(axis, ' ', (size_t)end + 1);
	axis[LABEL] = '0';
	time_text((uint64_t)nb * bucket_ns, t1, sizeof(t1));
	int t1len = (int)strlen(t1);
	memcpy(axis + end - t1len + 1, t1, (size_t)t1len);
	axis[end + 1] = 0;
	int own_line = 0;
	if (m->en.peak_bytes && pc >= 0) {
		int at = LABEL + pc; /* where the '^' goes */
		view_size(m->en.peak_bytes, sz, sizeof(sz));
		int rlen = snprintf(right, sizeof(right), "^ peak %s", sz);
		int llen = snprintf(left, sizeof(left), "peak %s ^", sz);
		int free_from = LABEL + 2, free_to = end - t1len - 1; /* a blank beside each label */
		if (at >= free_from && at + rlen - 1 <= free_to) {
			memcpy(axis + at, right, (size_t)rlen);
		} else if (at - llen + 1 >= free_from && at <= free_to) {
			memcpy(axis + at - llen + 1, left, (size_t)llen);
		} else {
			own_line = 1;
			memset(mark, ' ', (size_t)end + 1);
			mark[end + 1] = 0;
			if (at + rlen - 1 <= end)
				memcpy(mark + at, right, (size_t)rlen);
			else
				memcpy(mark + at - llen + 1, left, (size_t)llen);
			for (int k = end; k >= 0 && mark[k] == ' '; k--)
				mark[k] = 0;
		}
	}
	line(o, VIEW_CHART, "%s", axis);
	if (own_line)
		line(o, VIEW_CHART, "%s", mark);
}

static const char *sort_name(enum view_sort s)
{
	static const char *const names[] = { "live bytes", "live blocks", "allocations", "alloc rate" };
	return names[s];
}

static void help(struct out *o, int utf8)
{
	static const char *const keys[] = {
		"up/down, pgup/pgdn   select a row",
		"enter                show or hide the selected site's stack",
		"s                    sort sites: live bytes, live blocks, allocations, rate",
		"/                    filter by function, file or module (empty: all)",
		"c  t  a  l           call sites, threads, arenas, leaks",
		"space                pause the view (recording goes on)",
		"+  -                 replay faster / slower       n  step one interval",
		"?                    this help                    q  quit",
	};
	line(o, VIEW_HEADING, "keys");
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		line(o, VIEW_PLAIN, "  %s", keys[i]);
	/* the marks as the sites table draws them */
	line(o, VIEW_HEADING, "marks");
	line(o, VIEW_PLAIN, "  %s                  a site's live bytes grew / shrank since the last refresh",
	     utf8 ? "▲ ▼" : "+ -");
}

/* First row shown so that the selection stays in view. */
static int scroll_from(int selected, int rows, int room)
{
	if (room <= 0 || selected < room)
		return 0;
	int first = selected - room + 1;
	return first + room > rows ? (rows - room > 0 ? rows - room : 0) : first;
}

static void sites_table(struct out *o, struct view *v, struct live_model *m, struct names *n,
			int room)
{
	struct view_site *rows = malloc((v->n_sites ? v->n_sites : 1) * sizeof(*rows));
	if (!rows)
		return;
	size_t k = site_rows(v, n, rows);
	char a[32], b[32], c[32], d[32];
	if (v->mode == VIEW_LEAKS) {
		if (!m->ended)
			line(o, VIEW_PLAIN, "LEAKS: the program is still running; blocks live now are shown "
					    "(leaks are what is live at exit)");
		else if (!m->kinds_known)
			line(o, VIEW_PLAIN, "LEAKS: %s in %s blocks never freed (leak kinds unknown: memory was "
					    "not scanned at exit)", view_size(m->en.live, a, sizeof(a)),
			     grouped(m->en.blocks, b, sizeof(b)));
		else {
			line(o, VIEW_PLAIN, "LEAKS: %s in %s blocks lost (definitely %s, indirectly %s)",
			     view_size(m->kind_bytes[1] + m->kind_bytes[2], a, sizeof(a)),
			     grouped(m->kind_blocks[1] + m->kind_blocks[2], b, sizeof(b)),
			     view_size(m->kind_bytes[1], c, sizeof(c)), view_size(m->kind_bytes[2], d, sizeof(d)));
			line(o, VIEW_PLAIN, "       possibly lost %s, still reachable %s",
			     view_size(m->kind_bytes[3], a, sizeof(a)), view_size(m->kind_bytes[4], b, sizeof(b)));
		}
	} else {
		line(o, VIEW_PLAIN, "CALL SITES by %s (%zu)%s%s%s", sort_name(v->sort), k,
		     v->filter[0] ? "   filter: '" : "", v->filter, v->filter[0] ? "'" : "");
	}
	line(o, VIEW_HEADING, "%12s %10s %12s %9s %s  %s",
	     v->mode == VIEW_LEAKS && v->kinds_known ? "LOST BYTES" : "LIVE BYTES", "BLOCKS", "ALLOCS", "ALLOC/S",
	     v->utf8 ? "  " : "  ", "CALL SITE");
	if (v->selected >= (int)k)
		v->selected = k ? (int)k - 1 : 0;
	int stack_lines = v->open_site && k ? STACK_FRAMES : 0;
	int show = room < 0 ? (int)(k < BATCH_ROWS ? k : BATCH_ROWS) : room - 2;
	int first = room < 0 ? 0 : scroll_from(v->selected, (int)k, show - (stack_lines < show / 2 ? stack_lines : show / 2));
	for (int i = first; i < (int)k && o->n < o->max && (i - first) < show; i++) {
		const struct view_site *s = &rows[i];
		const char *trend = s->trend > 0 ? (v->utf8 ? "▲" : "+") : s->trend < 0 ? (v->utf8 ? "▼" : "-") : " ";
		int sel = room >= 0 && i == v->selected;
		line(o, sel ? VIEW_SELECTED : VIEW_PLAIN, "%12s %10s %12s %9s %s  %s",
		     view_size(s->live_bytes, a, sizeof(a)), grouped(s->live_blocks, b, sizeof(b)),
		     grouped(s->allocs, c, sizeof(c)), rate_text(s->rate, d, sizeof(d)), trend,
		     names_site_name(n, s->site));
		if (v->open_site == s->site + 1) {
			const char *frames[STACK_FRAMES];
			int nf = names_stack(n, s->top_stack, frames, STACK_FRAMES);
			line(o, VIEW_DIM, "      stack holding %s of it:", view_size(s->top_stack_bytes, a, sizeof(a)));
			for (int f = 0; f < nf; f++)
				line(o, VIEW_DIM, "        #%-2d %s", f, frames[f]);
		}
	}
	free(rows);
}

static void threads_table(struct out *o, struct view *v, struct live_model *m, struct names *n, int room,
			  int over)
{
	size_t n_threads = m->en.n_threads;
	const struct an_thread **rows = malloc((n_threads ? n_threads : 1) * sizeof(*rows));
	if (!rows)
		return;
	for (size_t i = 0; i < n_threads; i++)
		rows[i] = &m->en.threads[i];
	qsort(rows, n_threads, sizeof(*rows), cmp_thread);
	char a[32], b[32], c[32], d[32], e[32];
	line(o, VIEW_PLAIN, "THREADS (%zu) by live bytes", n_threads);
	line(o, VIEW_HEADING, "%8s %12s %10s %12s %12s %12s  %-6s %s", "TID", "LIVE BYTES", "BLOCKS",
	     "ALLOCS", "FREES", "ALLOCATED", "STATE", "NAME");
	int show = room < 0 ? BATCH_ROWS : room - 2;
	if (v->selected >= (int)n_threads)
		v->selected = n_threads ? (int)n_threads - 1 : 0;
	int first = room < 0 ? 0 : scroll_from(v->selected, (int)n_threads, show);
	for (int i = first; i < (int)n_threads && i - first < show; i++) {
		const struct an_thread *t = rows[i];
		const char *name = t->name ? names_string(n, t->name) : NULL;
		line(o, room >= 0 && i == v->selected ? VIEW_SELECTED : VIEW_PLAIN,
		     "%8llu %12s %10s %12s %12s %12s  %-6s %s", (unsigned long long)t->tid,
		     view_size(t->live_bytes, a, sizeof(a)), grouped(t->live_blocks, b, sizeof(b)),
		     grouped(t->allocs, c, sizeof(c)), grouped(t->frees, d, sizeof(d)),
		     view_size(t->bytes, e, sizeof(e)), t->ended || over ? "ended" : "live",
		     name ? name : "");
	}
	free(rows);
}

static void arenas_table(struct out *o, struct view *v, struct live_model *m, struct names *n, int room)
{
	size_t n_alloc = live_n_allocators(m);
	line(o, VIEW_PLAIN, "ARENAS AND ALLOCATORS (%zu) by live bytes", n_alloc);
	if (!n_alloc) {
		line(o, VIEW_PLAIN, "  none: the program announces no allocators (link libczalloc, or "
				    "use czprof_annotate.h for your own pools)");
		return;
	}
	const struct an_allocator **rows = malloc(n_alloc * sizeof(*rows));
	if (!rows)
		return;
	n_alloc = live_allocators(m, rows, n_alloc);
	qsort(rows, n_alloc, sizeof(*rows), cmp_alloc);
	char a[32], b[32], c[32], d[32], e[32];
	line(o, VIEW_HEADING, "%5s %-7s %12s %10s %12s %12s %12s %6s  %-9s %s", "ID", "KIND",
	     "LIVE BYTES", "BLOCKS", "ALLOCS", "CAPACITY", "PEAK CAP", "RESETS", "STATE", "NAME");
	int show = room < 0 ? BATCH_ROWS : room - 2;
	if (v->selected >= (int)n_alloc)
		v->selected = n_alloc ? (int)n_alloc - 1 : 0;
	int first = room < 0 ? 0 : scroll_from(v->selected, (int)n_alloc, show);
	for (int i = first; i < (int)n_alloc && i - first < show; i++) {
		const struct an_allocator *x = rows[i];
		const char *name = x->name ? names_string(n, x->name) : NULL;
		line(o, room >= 0 && i == v->selected ? VIEW_SELECTED : VIEW_PLAIN,
		     "%5llu %-7s %12s %10s %12s %12s %12s %6llu  %-9s %s",
		     (unsigned long long)(x->id & (((uint64_t)1 << AN_IMAGE_SHIFT) - 1)),
		     an_allocator_kind_name(x->kind), view_size(x->live_bytes, a, sizeof(a)),
		     grouped(x->live_blocks, b, sizeof(b)), grouped(x->allocations, c, sizeof(c)),
		     view_size(x->capacity, d, sizeof(d)), view_size(x->peak_capacity, e, sizeof(e)),
		     (unsigned long long)x->resets, x->is_destroyed ? "destroyed" : "live", name ? name : "");
	}
	free(rows);
}

int view_render(struct view *v, struct live_model *m, struct names *n, const struct view_info *info,
		int width, int height, struct view_line *lines, int max)
{
	struct out o = { lines, 0, max, width > 0 ? width : 120 };
	if (height > 0 && height < max)
		o.max = height;
	header(&o, v, m, info);
	int chart_rows = height == 0 ? 6 : height >= 30 ? 8 : height >= 22 ? 5 : height >= 16 ? 3 : 0;
	if (chart_rows)
		chart(&o, v, m, chart_rows);
	/* room for the table: all but the key bar in a screen; -1 in batch */
	int room = height > 0 ? height - o.n - 1 : -1;
	if (v->help)
		help(&o, v->utf8);
	else if (v->mode == VIEW_THREADS)
		threads_table(&o, v, m, n, room, m->ended || (info && info->over));
	else if (v->mode == VIEW_ARENAS)
		arenas_table(&o, v, m, n, room);
	else
		sites_table(&o, v, m, n, room);
	if (height > 0) {
		while (o.n < height - 1)
			line(&o, VIEW_PLAIN, "%s", "");
		line(&o, VIEW_HEADING, "q quit  ? help  space pause  s sort  / filter  enter stack  "
				       "c sites  t threads  a arenas  l leaks");
	}
	return o.n;
}

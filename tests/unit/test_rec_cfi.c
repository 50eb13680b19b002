/*
 * test_rec_cfi.c - frame sizes read from the unwind tables (lib/recorder/rec_cfi.c)
 * and the stack-layout cache that trusts them (lib/recorder/rec_layout.c), and the
 * same cache for frame-pointer chains.
 *
 * The functions below are never run: they exist for their unwind tables,
 * written by hand with .cfi directives so that every answer is known.  A
 * label after each call is the return address asked about.
 */
#include <stdlib.h>

#include "lib/recorder/rec_cfi.c"
#include "lib/recorder/rec_layout.c"
#include "tests/unit.h"

#if defined(__x86_64__)

__asm__(
	".text\n"
	/* sub 40: the frame is 48 bytes with the return address */
	"cfi_fixed48:\n"
	".cfi_startproc\n"
	"	sub $40, %rsp\n"
	".cfi_adjust_cfa_offset 40\n"
	"	call cfi_fixed48\n"
	"cfi_fixed48_ret:\n"
	"	add $40, %rsp\n"
	".cfi_adjust_cfa_offset -40\n"
	"	ret\n"
	".cfi_endproc\n"

	/* the smallest aligned frame */
	"cfi_fixed16:\n"
	".cfi_startproc\n"
	"	push %rax\n"
	".cfi_adjust_cfa_offset 8\n"
	"	call cfi_fixed16\n"
	"cfi_fixed16_ret:\n"
	"	pop %rax\n"
	".cfi_adjust_cfa_offset -8\n"
	"	ret\n"
	".cfi_endproc\n"

	/* a saved register and a large frame (multi-byte offsets) */
	"cfi_large:\n"
	".cfi_startproc\n"
	"	push %rbx\n"
	".cfi_adjust_cfa_offset 8\n"
	".cfi_offset rbx, -16\n"
	"	sub $4096, %rsp\n"
	".cfi_adjust_cfa_offset 4096\n"
	"	call cfi_large\n"
	"cfi_large_ret:\n"
	"	add $4096, %rsp\n"
	".cfi_adjust_cfa_offset -4096\n"
	"	pop %rbx\n"
	".cfi_adjust_cfa_offset -8\n"
	"	ret\n"
	".cfi_endproc\n"

	/* found through the frame pointer: its size may vary */
	"cfi_rbp:\n"
	".cfi_startproc\n"
	"	push %rbp\n"
	".cfi_def_cfa_offset 16\n"
	".cfi_offset rbp, -16\n"
	"	mov %rsp, %rbp\n"
	".cfi_def_cfa_register rbp\n"
	"	call cfi_rbp\n"
	"cfi_rbp_ret:\n"
	"	leave\n"
	".cfi_def_cfa rsp, 8\n"
	"	ret\n"
	".cfi_endproc\n"

	/* CFA = *(rsp + 8): an expression */
	"cfi_expr:\n"
	".cfi_startproc\n"
	"	sub $8, %rsp\n"
	".cfi_escape 0x0f, 0x03, 0x77, 0x08, 0x06\n"
	"	call cfi_expr\n"
	"cfi_expr_ret:\n"
	"	add $8, %rsp\n"
	"	ret\n"
	".cfi_endproc\n"

	/* an early return in the middle: remember/restore state */
	"cfi_states:\n"
	".cfi_startproc\n"
	"	sub $24, %rsp\n"
	".cfi_adjust_cfa_offset 24\n"
	"	test %rdi, %rdi\n"
	"	jz 1f\n"
	".cfi_remember_state\n"
	"	add $24, %rsp\n"
	".cfi_adjust_cfa_offset -24\n"
	"	ret\n"
	".cfi_restore_state\n"
	"1:	call cfi_states\n"
	"cfi_states_ret:\n"
	"	add $24, %rsp\n"
	".cfi_adjust_cfa_offset -24\n"
	"	ret\n"
	".cfi_endproc\n"

	/* far from the start (advance_loc2 and advance_loc4), and the rule
	 * changing right at the return address: the call's own row counts */
	"cfi_far:\n"
	".cfi_startproc\n"
	"	push %rax\n"
	".cfi_adjust_cfa_offset 8\n"
	"	.skip 300, 0x90\n"
	"	push %rax\n"
	".cfi_adjust_cfa_offset 8\n"
	"	.skip 70000, 0x90\n"
	"	push %rax\n"
	".cfi_adjust_cfa_offset 8\n"
	"	call cfi_far\n"
	".cfi_adjust_cfa_offset 64\n"
	"cfi_far_ret:\n"
	"	ret\n"
	".cfi_endproc\n"

	/* the outermost frame: its return address is undefined */
	"cfi_outer:\n"
	".cfi_startproc\n"
	".cfi_undefined rip\n"
	"	call cfi_outer\n"
	"cfi_outer_ret:\n"
	"	hlt\n"
	".cfi_endproc\n"

	/* a signal frame is never sized */
	"cfi_signal:\n"
	".cfi_startproc\n"
	".cfi_signal_frame\n"
	"	push %rax\n"
	".cfi_adjust_cfa_offset 8\n"
	"	call cfi_signal\n"
	"cfi_signal_ret:\n"
	"	ret\n"
	".cfi_endproc\n"

	/* no unwind tables at all */
	"cfi_none:\n"
	"	push %rax\n"
	"	call cfi_none\n"
	"cfi_none_ret:\n"
	"	ret\n");

extern const char cfi_fixed48_ret[], cfi_fixed16_ret[], cfi_large_ret[], cfi_rbp_ret[],
	cfi_expr_ret[], cfi_states_ret[], cfi_far_ret[], cfi_outer_ret[], cfi_signal_ret[],
	cfi_none_ret[];

#define RET(label) ((uintptr_t)(label))

TEST(fixed_frames_are_sized)
{
	CHECK_EQ_U(rec_cfi_frame_size(RET(cfi_fixed48_ret)), 48);
	CHECK_EQ_U(rec_cfi_frame_size(RET(cfi_fixed16_ret)), 16);
	CHECK_EQ_U(rec_cfi_frame_size(RET(cfi_large_ret)), 4112);
	CHECK_EQ_U(rec_cfi_frame_size(RET(cfi_states_ret)), 32);
	CHECK_EQ_U(rec_cfi_frame_size(RET(cfi_far_ret)), 32);
}

TEST(varying_and_unknown_frames_are_not)
{
	CHECK_EQ_U(rec_cfi_frame_size(RET(cfi_rbp_ret)), 0);
	CHECK_EQ_U(rec_cfi_frame_size(RET(cfi_expr_ret)), 0);
	CHECK_EQ_U(rec_cfi_frame_size(RET(cfi_signal_ret)), 0);
	CHECK_EQ_U(rec_cfi_frame_size(RET(cfi_none_ret)), 0);
	static int data;
	CHECK_EQ_U(rec_cfi_frame_size((uintptr_t)&data + 1), 0);
	CHECK_EQ_U(rec_cfi_frame_size(1), 0);
}

TEST(outermost_frame)
{
	CHECK_EQ_U(rec_cfi_frame_size(RET(cfi_outer_ret)), REC_CFI_OUTERMOST);
}

/* A pretend stack: slots at the offsets the tables give, other words
 * holding whatever. */
struct fake {
	uintptr_t w[1200];
};

static uintptr_t top_of(struct fake *f)
{
	return (uintptr_t)(f->w + 1200);
}

TEST(layouts_remember_only_what_the_tables_fix)
{
	struct rec_layouts *c = calloc(1, rec_layouts_size());
	struct fake *f = calloc(1, sizeof(*f));
	if (!c || !f) {
		CHECK(0);
		free(c);
		free(f);
		return;
	}
	for (int i = 0; i < 1200; i++)
		f->w[i] = 0x1111 * (uintptr_t)i;
	uintptr_t *s0 = &f->w[4];
	/* 48 bytes = 6 words, 16 = 2, 4112 = 514 */
	s0[0] = RET(cfi_fixed48_ret);
	s0[6] = RET(cfi_fixed16_ret);
	s0[8] = RET(cfi_large_ret);
	s0[522] = RET(cfi_outer_ret);
	void *ips[4] = { (void *)s0[0], (void *)s0[6], (void *)s0[8], (void *)s0[522] };
	rec_layouts_add(c, s0, top_of(f), ips, 4, 0, 7);
	CHECK_EQ_U(rec_layouts_find(c, s0), 7);
	s0[5] = 12345; /* not a slot */
	CHECK_EQ_U(rec_layouts_find(c, s0), 7);
	s0[8] = RET(cfi_fixed16_ret); /* another caller */
	CHECK_EQ_U(rec_layouts_find(c, s0), 0);
	s0[8] = RET(cfi_large_ret);
	CHECK_EQ_U(rec_layouts_find(c, s0 + 1), 0); /* another place */

	/* a frame of varying size anywhere: never remembered */
	rec_layouts_clear(c);
	s0[6] = RET(cfi_rbp_ret);
	ips[1] = (void *)s0[6];
	rec_layouts_add(c, s0, top_of(f), ips, 4, 0, 7);
	CHECK_EQ_U(rec_layouts_find(c, s0), 0);

	/* the unwinder's frames are not where the tables put them */
	s0[6] = 0;
	s0[7] = RET(cfi_fixed16_ret);
	ips[1] = (void *)RET(cfi_fixed16_ret);
	rec_layouts_add(c, s0, top_of(f), ips, 4, 0, 7);
	CHECK_EQ_U(rec_layouts_find(c, s0), 0);
	s0[6] = RET(cfi_fixed16_ret);

	/* the unwinder stopped early: only a stack cut at the depth limit is
	 * remembered */
	rec_layouts_add(c, s0, top_of(f), ips, 3, 0, 8);
	CHECK_EQ_U(rec_layouts_find(c, s0), 0);
	rec_layouts_add(c, s0, top_of(f), ips, 3, 1, 8);
	CHECK_EQ_U(rec_layouts_find(c, s0), 8);

	/* never past the top of the stack */
	rec_layouts_clear(c);
	rec_layouts_add(c, s0, (uintptr_t)(s0 + 522), ips, 4, 0, 9);
	CHECK_EQ_U(rec_layouts_find(c, s0), 0);
	free(c);
	free(f);
}

/* A frame-pointer chain on a fake stack: records { saved frame pointer,
 * return address } at w[3] (slot0 = w[4]), w[10] and w[20]. */
static void chain_fake(uintptr_t *w, uintptr_t ret1, uintptr_t end)
{
	w[3] = (uintptr_t)&w[10];
	w[4] = 0x5000;
	w[10] = (uintptr_t)&w[20];
	w[11] = ret1;
	w[20] = end;
	w[21] = 0x7000;
}

TEST(chains_are_remembered_as_walked)
{
	struct rec_layouts *c = calloc(1, rec_layouts_size());
	uintptr_t *w = calloc(64, sizeof(*w));
	if (!c || !w) {
		CHECK(0);
		free(c);
		free(w);
		return;
	}
	uintptr_t top = (uintptr_t)(w + 64);
	const uintptr_t *s0 = &w[4];
	void *ips[3] = { (void *)0x5000, (void *)0x6000, (void *)0x7000 };
	/* the walk ended on a saved frame pointer pointing down the stack */
	chain_fake(w, 0x6000, 0);
	rec_layouts_add_chain(c, s0, top, ips, 3, 0, 7);
	CHECK_EQ_U(rec_layouts_find_chain(c, s0), 7);
	w[15] = 99; /* not in a record */
	CHECK_EQ_U(rec_layouts_find_chain(c, s0), 7);
	w[11] = 0x6100; /* another caller */
	CHECK_EQ_U(rec_layouts_find_chain(c, s0), 0);
	w[11] = 0x6000;
	w[20] = (uintptr_t)&w[30]; /* the walk would go on */
	w[31] = 0x8000;
	CHECK_EQ_U(rec_layouts_find_chain(c, s0), 0);
	w[20] = 0;
	CHECK_EQ_U(rec_layouts_find_chain(c, s0), 7);
	CHECK_EQ_U(rec_layouts_find_chain(c, s0 + 1), 0); /* another place */

	/* two stacks under one innermost frame, told apart each time */
	void *other[3] = { (void *)0x5000, (void *)0x6100, (void *)0x7000 };
	chain_fake(w, 0x6100, 0);
	rec_layouts_add_chain(c, s0, top, other, 3, 0, 8);
	for (int i = 0; i < 3; i++) {
		chain_fake(w, 0x6000, 0);
		CHECK_EQ_U(rec_layouts_find_chain(c, s0), 7);
		chain_fake(w, 0x6100, 0);
		CHECK_EQ_U(rec_layouts_find_chain(c, s0), 8);
	}

	/* ended on a record whose return address is too small: read again */
	rec_layouts_clear(c);
	chain_fake(w, 0x6000, (uintptr_t)&w[30]);
	w[31] = 5;
	rec_layouts_add_chain(c, s0, top, ips, 3, 0, 9);
	CHECK_EQ_U(rec_layouts_find_chain(c, s0), 9);
	w[31] = 0x8000;
	CHECK_EQ_U(rec_layouts_find_chain(c, s0), 0);

	/* a walk that could not have ended there, or other frames: not kept */
	rec_layouts_clear(c);
	rec_layouts_add_chain(c, s0, top, ips, 3, 0, 10);
	CHECK_EQ_U(rec_layouts_find_chain(c, s0), 0);
	rec_layouts_add_chain(c, s0, top, ips, 2, 0, 10);
	CHECK_EQ_U(rec_layouts_find_chain(c, s0), 0);
	rec_layouts_add_chain(c, s0, top, other, 3, 1, 10);
	CHECK_EQ_U(rec_layouts_find_chain(c, s0), 0);
	/* cut at the depth limit: what lies beyond does not matter */
	rec_layouts_add_chain(c, s0, top, ips, 2, 1, 11);
	CHECK_EQ_U(rec_layouts_find_chain(c, s0), 11);
	w[21] = 0x7100;
	CHECK_EQ_U(rec_layouts_find_chain(c, s0), 11);
	free(c);
	free(w);
}

int main(void)
{
	RUN(fixed_frames_are_sized);
	RUN(varying_and_unknown_frames_are_not);
	RUN(outermost_frame);
	RUN(layouts_remember_only_what_the_tables_fix);
	RUN(chains_are_remembered_as_walked);
	return unit_done();
}

#else

int main(void)
{
	return unit_done();
}

#endif

/*
 * crt0.S: where every kine user program starts.
 *
 * exec enters _start in U-mode with sp at the top of the user stack
 * (16-byte aligned), a0 = argc and a1 = argv (argv[argc] == NULL), which
 * are already main's arguments. s0 = 0 and ra = 0 end the frame-pointer
 * chain, so a backtrace stops here. main's return value goes to exit(),
 * which never returns.
 */
	.section .text.start, "ax", @progbits
	.globl _start
	.type _start, @function
_start:
	li s0, 0
	li ra, 0
	call main
	call exit
1:	unimp			/* exit returned: fault rather than run on */
	j 1b
	.size _start, . - _start

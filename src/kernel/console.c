/*
 * console.c: the kernel console: kprintf and console input.
 *
 * console_lock serializes every write to the console device, so one
 * kprintf call comes out whole. Once a hart panics, only that hart may
 * write, and without the lock (its holder may be a hart that panic just
 * stopped); any other hart that tries to print halts instead of
 * scribbling over the panic report.
 *
 * Input: a line discipline like a terminal's cooked mode. Bytes from the
 * UART's interrupt are echoed and collected into the current line
 * (backspace and DEL erase, Ctrl-U kills the line); Enter or Ctrl-D hands
 * the line to readers (console_read), who sleep until a line is complete.
 * input_lock guards the input buffer, its indices and input_paused.
 *
 * Flow control: the UART driver asks console_input_ready() before it takes
 * each byte from the device. With the ring full the answer is no, and the
 * receive interrupt is masked (arch_console_rx_pause): the bytes then wait
 * in the UART and behind it (QEMU's chardev, or the sender's flow control)
 * instead of being dropped. The reader that makes room unmasks it
 * (arch_console_rx_resume), and the pending interrupt takes the rest.
 * A full ring is always committed (see console_input), so a reader can
 * always make room. (So, too, a Ctrl-C typed behind a full ring waits
 * with the other bytes until a reader takes some.)
 *
 * Ctrl-C ends the foreground job: the one the interactive shell named
 * with the fgjob system call (fg_job; 0: none). Its processes are killed
 * (proc_kill_job) after input_lock is let go, so the console never holds
 * its lock across the process table's. With no foreground job, Ctrl-C
 * throws the line being typed away and hands readers an empty line, so a
 * shell at its prompt prompts again.
 */
#include "src/arch/riscv/machine.h"
#include "src/kernel/kernel.h"
#include "src/kernel/panic.h"
#include "src/lib/fmt.h"
#include "src/sched/hart.h"
#include "src/sched/proc.h"
#include "src/sync/spinlock.h"
#include "src/sync/waitq.h"
#include "user/include/kine/errno.h"

static struct spinlock console_lock = SPINLOCK_INIT("console");

static void console_put_bytes(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			arch_console_putc('\r');
		arch_console_putc(s[i]);
	}
}

/*
 * The panicking hart's first write waits, boundedly, for a line another
 * hart is writing under console_lock: that hart has interrupts off and
 * takes IPI_STOP only once its write is done, and a report that begins in
 * the middle of its line ("kforktree: ...", then "ine: panic") is one the
 * host tools cannot match. Bounded: the holder may be this hart itself.
 * Against a writer that takes the lock just now, the two fences make a
 * Dekker pair with console_write's: the writer sees the panic and halts
 * without writing, or this hart sees the writer as the owner and waits.
 */
static void console_panic_settle(void)
{
	static bool settled; /* only the panicking hart comes here */
	struct hart *owner;

	if (settled)
		return;
	settled = true;
	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* panic_hart's store before the owner's load */
	for (unsigned i = 0; i < 1000000; i++) {
		owner = __atomic_load_n(&console_lock.owner, __ATOMIC_ACQUIRE);
		if (owner == NULL || owner == this_hart())
			return;
		spin_wait_once();
	}
}

void console_write(const char *s, size_t n)
{
	if (panic_in_progress()) {
		if (!panic_is_this_hart())
			arch_halt();
		console_panic_settle();
		console_put_bytes(s, n);
		return;
	}
	spin_lock(&console_lock);
	/* The owner's store before panic_hart's load (console_panic_settle). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (panic_in_progress()) {
		spin_unlock(&console_lock);
		arch_halt(); /* another hart panicked meanwhile: its report alone */
	}
	console_put_bytes(s, n);
	spin_unlock(&console_lock);
}

int kvprintf(const char *fmt, va_list ap)
{
	static const char cut[] = "[...]\n";
	char buf[KPRINTF_MAX];
	int n = fmt_vsnprintf(buf, sizeof(buf), fmt, ap);
	size_t len = (size_t)n;

	if (len >= sizeof(buf)) {
		len = sizeof(buf) - 1;
		memcpy(buf + len - (sizeof(cut) - 1), cut, sizeof(cut) - 1);
	}
	console_write(buf, len);
	return n;
}

int kprintf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kvprintf(fmt, ap);
	va_end(ap);
	return n;
}

#define INPUT_SIZE 256

static struct spinlock input_lock = SPINLOCK_INIT("console_input");
static struct waitq input_wait = WAITQ_INIT("console_input_wait");
static char input_buf[INPUT_SIZE]; /* a ring, guarded by input_lock */
static unsigned input_read;        /* next byte readers take */
static unsigned input_committed;   /* end of the complete lines */
static unsigned input_edit;        /* end of the line being typed */
static bool input_paused;          /* receive interrupt masked: the ring was full */
static int fg_job;                 /* atomic: the foreground job, Ctrl-C's (0: none) */

#define CTRL(x) ((x) - '@')

static void input_erase(void)
{
	if (input_edit != input_committed) {
		input_edit--;
		console_write("\b \b", 3);
	}
}

bool console_input_ready(void)
{
	bool room;

	spin_lock(&input_lock);
	room = input_edit - input_read < INPUT_SIZE;
	if (!room && !input_paused) {
		input_paused = true;
		arch_console_rx_pause();
	}
	spin_unlock(&input_lock);
	return room;
}

int console_set_foreground(int job)
{
	return __atomic_exchange_n(&fg_job, job, __ATOMIC_ACQ_REL);
}

void console_input(int c)
{
	char ch = c == '\r' ? '\n' : (char)c;
	int job = 0;

	spin_lock(&input_lock);
	if (ch == CTRL('C')) {
		console_write("^C\n", 3);
		/* The line being typed goes, erased or not (it is not echoed again). */
		input_edit = input_committed;
		job = __atomic_load_n(&fg_job, __ATOMIC_ACQUIRE);
		if (job == 0 && input_edit - input_read < INPUT_SIZE) {
			input_buf[input_edit++ % INPUT_SIZE] = '\n';
			input_committed = input_edit;
			waitq_wake_all(&input_wait);
		}
	} else if (ch == '\b' || ch == 0x7f) {
		input_erase();
	} else if (ch == CTRL('U')) {
		while (input_edit != input_committed)
			input_erase();
	} else if (input_edit - input_read < INPUT_SIZE) {
		input_buf[input_edit++ % INPUT_SIZE] = ch;
		if (ch != CTRL('D'))
			console_write(&ch, 1);
		if (ch == '\n' || ch == CTRL('D') || input_edit - input_read == INPUT_SIZE) {
			input_committed = input_edit;
			waitq_wake_all(&input_wait);
		}
	}
	spin_unlock(&input_lock);
	if (job != 0)
		proc_kill_job(job);
}

long console_read(char *dst, long n, const bool *killed)
{
	long got = 0;

	spin_lock(&input_lock);
	while (input_read == input_committed) {
		if (killed != NULL && __atomic_load_n(killed, __ATOMIC_ACQUIRE)) {
			spin_unlock(&input_lock);
			return -EINTR;
		}
		waitq_sleep(&input_wait, &input_lock);
	}
	while (got < n && input_read != input_committed) {
		char ch = input_buf[input_read++ % INPUT_SIZE];

		if (ch == CTRL('D')) {
			/* End of file: a Ctrl-D alone reads 0; after text it ends the read. */
			if (got > 0)
				input_read--;
			break;
		}
		dst[got++] = ch;
		if (ch == '\n')
			break;
	}
	/* Room again: let the bytes that waited in the UART in. */
	if (input_paused && input_edit - input_read < INPUT_SIZE) {
		input_paused = false;
		arch_console_rx_resume();
	}
	spin_unlock(&input_lock);
	return got;
}

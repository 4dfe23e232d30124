/*
 * console.c: the kernel console: kprintf and console input.
 *
 * console_lock serializes every write to the console device, so one
 * kprintf call comes out whole. Once a hart panics, only that hart may
 * write, and without the lock (its holder may be a hart that panic just
 * stopped); any other hart that tries to print halts instead of
 * scribbling over the panic report.
 *
 * Input: bytes from the UART are echoed until the shell (processes issue)
 * takes them over.
 */
#include "src/arch/riscv/machine.h"
#include "src/kernel/kernel.h"
#include "src/kernel/panic.h"
#include "src/lib/fmt.h"
#include "src/sched/hart.h"
#include "src/sync/spinlock.h"

static struct spinlock console_lock = SPINLOCK_INIT("console");

static void console_put_bytes(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			arch_console_putc('\r');
		arch_console_putc(s[i]);
	}
}

static void console_write(const char *s, size_t n)
{
	if (panic_in_progress()) {
		if (!panic_is_this_hart())
			arch_halt();
		console_put_bytes(s, n);
		return;
	}
	spin_lock(&console_lock);
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

void console_input(int c)
{
	char ch = (char)c;

	if (ch == '\r')
		ch = '\n';
	console_write(&ch, 1);
}

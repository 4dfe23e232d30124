/*
 * syscall.c: the system call table and the calls that need nothing more
 * than a process and the console.
 *
 * Arguments are the raw a0..a5 registers; every pointer among them is a
 * user address and goes through copyin/copyout. A call kine does not have
 * yet returns -ENOSYS: chdir (the boot image has no directories).
 */
#include "src/kernel/syscall.h"

#include "src/arch/riscv/cpu.h"
#include "src/arch/riscv/timer.h"
#include "src/kernel/exec.h"
#include "src/kernel/file.h"
#include "src/kernel/kernel.h"
#include "src/kernel/pipe.h"
#include "src/lib/cpio.h"
#include "src/mm/asid.h"
#include "src/mm/cow.h"
#include "src/mm/megapage.h"
#include "src/mm/memstat.h"
#include "src/mm/pt_frames.h"
#include "src/mm/ptlock.h"
#include "src/mm/ptshare.h"
#include "src/mm/slab.h"
#include "src/mm/tlb.h"
#include "src/mm/uaccess.h"
#include "src/sched/hart.h"
#include "src/sched/hart_local.h"
#include "src/sched/perturb.h"
#include "src/sched/proc.h"
#include "src/sched/sleep.h"
#include "src/sched/thread.h"
#include "src/sync/lockstat.h"
#include "user/include/kine/bootfile.h"
#include "user/include/kine/errno.h"
#include "user/include/kine/lockstat.h"
#include "user/include/kine/memstat.h"
#include "user/include/kine/mman.h"
#include "user/include/kine/procinfo.h"
#include "user/include/kine/stat.h"
#include "user/include/kine/syscall.h"

static long sys_read(const uint64_t *a)
{
	struct file *f = fd_get(&proc_current()->files, (int)a[0]);
	long n;

	if (f == NULL)
		return -EBADF;
	n = file_read(f, a[1], (long)(int)a[2]);
	file_put(f);
	return n;
}

static long sys_write(const uint64_t *a)
{
	struct file *f = fd_get(&proc_current()->files, (int)a[0]);
	long n;

	if (f == NULL)
		return -EBADF;
	n = file_write(f, a[1], (long)(int)a[2]);
	file_put(f);
	return n;
}

static long sys_close(const uint64_t *a)
{
	return fd_close(&proc_current()->files, (int)a[0]);
}

static long sys_dup(const uint64_t *a)
{
	struct fdtable *t = &proc_current()->files;
	struct file *f = fd_get(t, (int)a[0]);
	int fd;

	if (f == NULL)
		return -EBADF;
	if ((fd = fd_install(t, f)) < 0)
		file_put(f);
	return fd;
}

/* pipe(int fds[2]): fds[0] reads, fds[1] writes. */
static long sys_pipe(const uint64_t *a)
{
	struct proc *p = proc_current();
	struct file *rd, *wr;
	int fds[2], err;

	if ((err = pipe_create(&rd, &wr)) < 0)
		return err;
	fds[0] = fd_install(&p->files, rd);
	fds[1] = fds[0] < 0 ? -EMFILE : fd_install(&p->files, wr);
	if (fds[1] < 0 || copyout(p->mm, a[0], fds, sizeof(fds)) < 0) {
		/* Closing the descriptors drops the files; a file never installed is dropped here. */
		if (fds[0] >= 0)
			fd_close(&p->files, fds[0]);
		else
			file_put(rd);
		if (fds[1] >= 0)
			fd_close(&p->files, fds[1]);
		else
			file_put(wr);
		return fds[1] < 0 ? -EMFILE : -EFAULT;
	}
	return 0;
}

static long sys_exit(const uint64_t *a)
{
	proc_exit((int)a[0]);
}

static long sys_getpid(const uint64_t *a)
{
	return proc_current()->pid;
}

static long sys_yield(const uint64_t *a)
{
	thread_yield();
	return 0;
}

static long sys_hart(const uint64_t *a)
{
	return hart_local_index();
}

/* Timer ticks (TIMER_HZ a second) since boot, like xv6's uptime(). */
static long sys_uptime(const uint64_t *a)
{
	return (long)(arch_time() / (timer_timebase_hz() / TIMER_HZ));
}

static long sys_fork(const uint64_t *a)
{
	return proc_fork(thread_current()->uframe);
}

/* wait(int *status): status may be 0 (NULL). */
static long sys_wait(const uint64_t *a)
{
	int status, pid = proc_wait_child(&status);

	if (pid >= 0 && a[0] != 0 && copyout(proc_current()->mm, a[0], &status, sizeof(status)) < 0)
		return -EFAULT;
	return pid;
}

static long sys_kill(const uint64_t *a)
{
	return proc_kill((int)a[0]);
}

static long sys_sbrk(const uint64_t *a)
{
	return mm_sbrk(proc_current()->mm, (long)a[0]);
}

static long sys_sleep(const uint64_t *a)
{
	long n = (long)(int)a[0];

	if (n < 0)
		return -EINVAL;
	return sleep_ticks((uint64_t)n, &proc_current()->killed);
}

#define EXEC_ARG_MAX 256 /* bytes per argument string, NUL included */

/* Copy argv[] (a NULL-terminated array of user pointers) into buf. */
static long exec_copy_args(struct mm *mm, uint64_t uargv, char *buf, const char **argv)
{
	long err;
	int argc;

	for (argc = 0;; argc++) {
		uint64_t uptr;

		if ((err = copyin(mm, &uptr, uargv + argc * sizeof(uptr), sizeof(uptr))) < 0)
			return err;
		if (uptr == 0)
			return argc;
		if (argc == EXEC_MAX_ARGS)
			return -E2BIG;
		if ((err = copyinstr(mm, buf + argc * EXEC_ARG_MAX, uptr, EXEC_ARG_MAX)) < 0)
			return err;
		argv[argc] = buf + argc * EXEC_ARG_MAX;
	}
}

/*
 * exec(path, argv): argv is a NULL-terminated array of user pointers to
 * strings (argv == NULL: the program gets argv = {path}). The program is
 * found by path in the boot image, which is flat: a leading '/' is
 * ignored. argv[0] is only what the program sees.
 */
static long sys_exec(const uint64_t *a)
{
	struct mm *mm = proc_current()->mm;
	char *buf = kmalloc((EXEC_MAX_ARGS + 1) * EXEC_ARG_MAX);
	const char *argv[EXEC_MAX_ARGS];
	char *path;
	long argc;

	if (buf == NULL)
		return -ENOMEM;
	path = buf + EXEC_MAX_ARGS * EXEC_ARG_MAX;
	argc = copyinstr(mm, path, a[0], EXEC_ARG_MAX);
	if (argc >= 0 && a[1] != 0)
		argc = exec_copy_args(mm, a[1], buf, argv);
	else if (argc >= 0)
		argv[0] = path, argc = 1;
	if (argc == 0)
		argc = -EINVAL;
	if (argc > 0)
		argc = exec_replace(path[0] == '/' ? path + 1 : path, (int)argc, argv);
	kfree(buf);
	return argc;
}

static unsigned prot_to_vm(uint64_t prot)
{
	return ((prot & PROT_READ) ? VM_READ : 0) | ((prot & PROT_WRITE) ? VM_WRITE : 0) |
	       ((prot & PROT_EXEC) ? VM_EXEC : 0);
}

/* mmap(addr, len, prot, flags): anonymous memory only; addr is a hint kine ignores. */
static long sys_mmap(const uint64_t *a)
{
	uint64_t flags = a[3];

	if (!(flags & MAP_ANONYMOUS) || !(flags & (MAP_SHARED | MAP_PRIVATE)) ||
	    ((flags & MAP_SHARED) && (flags & MAP_PRIVATE)))
		return -EINVAL;
	return mm_mmap(proc_current()->mm, a[1], prot_to_vm(a[2]), (flags & MAP_SHARED) != 0);
}

static long sys_munmap(const uint64_t *a)
{
	return mm_munmap(proc_current()->mm, a[0], a[1]);
}

static long sys_mprotect(const uint64_t *a)
{
	return mm_mprotect(proc_current()->mm, a[0], a[1], prot_to_vm(a[2]));
}

/* set_affinity(hart): pin the calling thread to a hart index, or -1 for any. */
static long sys_set_affinity(const uint64_t *a)
{
	long hart = (long)(int)a[0];

	if (hart != THREAD_ANY_HART && (hart < 0 || hart >= nharts))
		return -EINVAL;
	thread_set_affinity((int)hart);
	return 0;
}

/* memstat(struct kine_memstat *out, int settle) */
static long sys_memstat(const uint64_t *a)
{
	struct kine_memstat out;
	struct memstat ms;
	struct cow_stats cow;

	if (a[1] != 0)
		memstat_settle();
	memstat_read(&ms);
	cow_stats_read(&cow);
	out = (struct kine_memstat){
	    .managed = ms.managed,
	    .free = ms.free,
	    .buddy_free = ms.buddy_free,
	    .cached = ms.cached,
	    .allocs = ms.events[MEMSTAT_ALLOC],
	    .frees = ms.events[MEMSTAT_FREE],
	    .global_lock = ms.events[MEMSTAT_LOCK],
	    .refills = ms.events[MEMSTAT_REFILL],
	    .drains = ms.events[MEMSTAT_DRAIN],
	    .remote_drains = ms.events[MEMSTAT_REMOTE_DRAIN],
	    .remote_frees = ms.events[MEMSTAT_REMOTE_FREE],
	    .cow_faults = cow.faults,
	    .cow_copies = cow.copies,
	    .cow_reuses = cow.reuses,
	    .cow_overlaps = cow.overlaps,
	    .cow_last_frees = cow.last_frees,
	    .cow_busy_waits = cow.busy_waits,
	    .cow_untouched = cow.untouched,
	    .tlb_shootdowns = __atomic_load_n(&tlb_stats.shootdowns, __ATOMIC_RELAXED),
	    .tlb_harts = __atomic_load_n(&tlb_stats.harts_targeted, __ATOMIC_RELAXED),
	    .tlb_local_only = __atomic_load_n(&tlb_stats.local_only, __ATOMIC_RELAXED),
	    .tlb_full_asid = __atomic_load_n(&tlb_stats.full_asid, __ATOMIC_RELAXED),
	    .tlb_switch_flushes = __atomic_load_n(&tlb_stats.switch_flushes, __ATOMIC_RELAXED),
	    .asid_rollovers = __atomic_load_n(&asid_rollovers, __ATOMIC_RELAXED),
	    .pt_retired = __atomic_load_n(&pt_stats.retired, __ATOMIC_RELAXED),
	    .pt_freed = __atomic_load_n(&pt_stats.freed, __ATOMIC_RELAXED),
	    .tlb_table_flushes = __atomic_load_n(&tlb_stats.table_flushes, __ATOMIC_RELAXED),
	    .ptshare_links = __atomic_load_n(&ptshare_stats.links, __ATOMIC_RELAXED),
	    .fork_leaves = __atomic_load_n(&ptshare_stats.leaves, __ATOMIC_RELAXED),
	    .ptshare_wakes = __atomic_load_n(&ptshare_stats.wakes, __ATOMIC_RELAXED),
	    .ptshare_protects = __atomic_load_n(&ptshare_stats.protects, __ATOMIC_RELAXED),
	    .ptshare_copies = __atomic_load_n(&ptshare_stats.copies, __ATOMIC_RELAXED),
	    .ptshare_takeovers = __atomic_load_n(&ptshare_stats.takeovers, __ATOMIC_RELAXED),
	    .ptshare_frees = __atomic_load_n(&ptshare_stats.frees, __ATOMIC_RELAXED),
	    .ptshare_drops = __atomic_load_n(&ptshare_stats.drops, __ATOMIC_RELAXED),
	    .audit_runs = __atomic_load_n(&ptshare_audit_stats.runs, __ATOMIC_RELAXED),
	    .audit_skipped = __atomic_load_n(&ptshare_audit_stats.skipped, __ATOMIC_RELAXED),
	    .audit_tables = __atomic_load_n(&ptshare_audit_stats.tables, __ATOMIC_RELAXED),
	    .audit_frames = __atomic_load_n(&ptshare_audit_stats.frames, __ATOMIC_RELAXED),
	    .ptlock_retries = __atomic_load_n(&ptlock_stats.retries, __ATOMIC_RELAXED),
	    .ptlock_grace_waits = __atomic_load_n(&ptlock_stats.grace_waits, __ATOMIC_RELAXED),
	    .cow_fork_waits = cow.fork_waits,
	    .cache_lock_waits = ms.events[MEMSTAT_CACHE_WAIT],
	    .mega_maps = __atomic_load_n(&megapage_stats.maps, __ATOMIC_RELAXED),
	    .mega_reserves = __atomic_load_n(&megapage_stats.reserves, __ATOMIC_RELAXED),
	    .mega_fills = __atomic_load_n(&megapage_stats.fills, __ATOMIC_RELAXED),
	    .mega_fallbacks = __atomic_load_n(&megapage_stats.fallbacks, __ATOMIC_RELAXED),
	    .mega_splits = __atomic_load_n(&megapage_stats.splits, __ATOMIC_RELAXED),
	    .mega_whole_reuses = __atomic_load_n(&megapage_stats.whole_reuses, __ATOMIC_RELAXED),
	    .mega_whole_frees = __atomic_load_n(&megapage_stats.whole_frees, __ATOMIC_RELAXED),
	    .mega_part_frees = __atomic_load_n(&megapage_stats.part_frees, __ATOMIC_RELAXED),
	    .page_faults = cow.faults + megapage_stats.fills + megapage_stats.whole_reuses,
	};
	return copyout(proc_current()->mm, a[0], &out, sizeof(out));
}

/* thread_create(pc, a0, a1): a new thread at pc with a0, a1 and its own stack. */
static long sys_thread_create(const uint64_t *a)
{
	return proc_thread_create(a[0], a[1], a[2]);
}

/* thread_join(tid, int *status): status may be 0 (NULL). */
static long sys_thread_join(const uint64_t *a)
{
	int status, err = proc_thread_join((int)a[0], &status);

	if (err == 0 && a[1] != 0 && copyout(proc_current()->mm, a[1], &status, sizeof(status)) < 0)
		return -EFAULT;
	return err;
}

static long sys_thread_exit(const uint64_t *a)
{
	proc_thread_exit((int)a[0]);
}

/* open(path, flags): files of the boot image, read-only. */
static long sys_open(const uint64_t *a)
{
	struct proc *p = proc_current();
	char path[EXEC_ARG_MAX];
	struct file *f;
	long err;
	int fd;

	if ((err = copyinstr(p->mm, path, a[0], sizeof(path))) < 0)
		return err;
	if ((a[1] & (O_WRONLY | O_RDWR | O_CREATE | O_TRUNC)) != 0)
		return -EROFS;
	if ((f = file_open_boot(path, &fd)) == NULL)
		return fd;
	if ((fd = fd_install(&p->files, f)) < 0)
		file_put(f);
	return fd;
}

/* fstat(fd, struct stat *st) */
static long sys_fstat(const uint64_t *a)
{
	struct proc *p = proc_current();
	struct file *f = fd_get(&p->files, (int)a[0]);
	struct stat st;

	if (f == NULL)
		return -EBADF;
	file_stat(f, &st);
	file_put(f);
	return copyout(p->mm, a[1], &st, sizeof(st));
}

/*
 * lockstat(buf, len, flags): the lock statistics as text (user/include/kine/
 * lockstat.h, docs/lockstat.md); LOCKSTAT_RESET starts them afresh after.
 */
static long sys_lockstat(const uint64_t *a)
{
	long len = (long)a[1], full, copy;
	/* Room for classes registered between the two calls. */
	size_t room = lockstat_dump(NULL, 0) + 1 + 1024;
	char *buf;

	if (len < 0 || (a[2] & ~(uint64_t)LOCKSTAT_RESET) != 0)
		return -EINVAL;
	if ((buf = kmalloc(room)) == NULL)
		return -ENOMEM;
	full = (long)lockstat_dump(buf, room);
	copy = full + 1 < len ? full + 1 : len;
	if (copy > (long)room)
		copy = (long)room;
	if (copy > 0) {
		buf[copy - 1] = '\0';
		if (copyout(proc_current()->mm, a[0], buf, (size_t)copy) < 0) {
			kfree(buf);
			return -EFAULT;
		}
	}
	kfree(buf);
	if (a[2] & LOCKSTAT_RESET)
		lockstat_reset();
	return full;
}

/*
 * procinfo(struct kine_procinfo *buf, long n): ps's snapshot (kine/
 * procinfo.h). Built in a kernel buffer under the process locks, then
 * copied out with none held: a copyout may fault and sleep, and the
 * caller's own process is in the snapshot.
 */
static long sys_procinfo(const uint64_t *a)
{
	long n = (long)a[1];
	int max = n <= 0 ? 0 : n < PROC_MAX * PROC_THREADS ? (int)n : PROC_MAX * PROC_THREADS;
	struct kine_procinfo *buf = NULL;
	int total;

	if (max > 0 && (buf = kzalloc((size_t)max * sizeof(*buf))) == NULL)
		return -ENOMEM;
	total = proc_snapshot(buf, max);
	if (max > total)
		max = total;
	if (max > 0 && copyout(proc_current()->mm, a[0], buf, (size_t)max * sizeof(*buf)) < 0)
		total = -EFAULT;
	kfree(buf);
	return total;
}

/* setjob(pid, job): see proc_set_job. */
static long sys_setjob(const uint64_t *a)
{
	return proc_set_job((int)a[0], (int)a[1]);
}

/* fgjob(job): the console's foreground job, which Ctrl-C kills (0: none); the one before. */
static long sys_fgjob(const uint64_t *a)
{
	int job = (int)a[0];

	if (job < 0)
		return -EINVAL;
	return console_set_foreground(job);
}

/* bootfile(index, struct kine_bootfile *out): the boot image's files (kine/bootfile.h). */
static long sys_bootfile(const uint64_t *a)
{
	long index = (long)(int)a[0];
	struct kine_bootfile out = {0};
	struct cpio_entry e;
	size_t len;

	if (index < 0)
		return -EINVAL;
	if (!bootimage_file(index, &e))
		return -ENOENT;
	len = strlen(e.name);
	/* Longer than open() takes: shown cut, as no one could open it anyway. */
	if (len >= sizeof(out.name))
		len = sizeof(out.name) - 1;
	memcpy(out.name, e.name, len);
	out.size = e.size;
	out.mode = e.mode;
	return copyout(proc_current()->mm, a[1], &out, sizeof(out));
}

static long (*const syscalls[])(const uint64_t *) = {
    [SYS_fork] = sys_fork,
    [SYS_exit] = sys_exit,
    [SYS_wait] = sys_wait,
    [SYS_pipe] = sys_pipe,
    [SYS_read] = sys_read,
    [SYS_kill] = sys_kill,
    [SYS_exec] = sys_exec,
    [SYS_dup] = sys_dup,
    [SYS_getpid] = sys_getpid,
    [SYS_sbrk] = sys_sbrk,
    [SYS_sleep] = sys_sleep,
    [SYS_uptime] = sys_uptime,
    [SYS_write] = sys_write,
    [SYS_close] = sys_close,
    [SYS_yield] = sys_yield,
    [SYS_hart] = sys_hart,
    [SYS_mmap] = sys_mmap,
    [SYS_munmap] = sys_munmap,
    [SYS_mprotect] = sys_mprotect,
    [SYS_set_affinity] = sys_set_affinity,
    [SYS_memstat] = sys_memstat,
    [SYS_thread_create] = sys_thread_create,
    [SYS_thread_join] = sys_thread_join,
    [SYS_thread_exit] = sys_thread_exit,
    [SYS_open] = sys_open,
    [SYS_fstat] = sys_fstat,
    [SYS_lockstat] = sys_lockstat,
    [SYS_procinfo] = sys_procinfo,
    [SYS_setjob] = sys_setjob,
    [SYS_fgjob] = sys_fgjob,
    [SYS_bootfile] = sys_bootfile,
};

long syscall_dispatch(uint64_t num, const uint64_t args[6])
{
	if (num >= sizeof(syscalls) / sizeof(syscalls[0]) || syscalls[num] == NULL)
		return -ENOSYS;
	return syscalls[num](args);
}

void syscall_return_check(void)
{
	struct proc *p = proc_current();

	if (p != NULL && __atomic_load_n(&p->killed, __ATOMIC_ACQUIRE))
		proc_exit(-1);
	/* seed=N: a preemption point the seed decides (another interleaving per seed). */
	if (perturb_yield())
		thread_yield();
}

int syscall_user_page_fault(uint64_t addr, enum cow_access access)
{
	struct proc *p = proc_current();
	int err;

	err = cow_user_fault(p->mm, addr, access);

	if (err == -ENOMEM) {
		kprintf("kine: pid %d (%s): out of memory in a page fault at %#lx: killed\n",
			p->pid, p->name, addr);
		proc_exit(-1);
	}
	return err;
}

void syscall_user_fault(const char *cause, uint64_t pc, uint64_t addr)
{
	struct proc *p = proc_current();

	kprintf("kine: pid %d (%s): %s at pc %#lx, address %#lx: killed\n", p->pid, p->name, cause,
		pc, addr);
	proc_exit(-1);
}

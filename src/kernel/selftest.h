/*
 * selftest.h: the self-tests of each subsystem, dispatched by selftest_run.
 */
#ifndef KINE_KERNEL_SELFTEST_H
#define KINE_KERNEL_SELFTEST_H

#include <stdbool.h>

/* Memory self-tests (selftest_mm.c); *known says whether name is one. */
bool selftest_mm_run(const char *name, bool *known);

/* Thread and scheduler self-tests (selftest_sched.c). */
bool selftest_sched_run(const char *name, bool *known);

/* User-mode self-test (selftest_user.c). */
bool selftest_user_run(const char *name, bool *known);

/* Spinlock, lock statistics and lock-check self-tests (selftest_lock.c). */
bool selftest_lock_run(const char *name, bool *known);

/* Kernel thread stack self-tests (selftest_kstack.c). */
bool selftest_kstack_run(const char *name, bool *known);

#endif

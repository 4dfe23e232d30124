/*
 * syscall.h: kine's system call numbers, shared by the kernel and user
 * programs. ecall with the number in a7 and arguments in a0..a5; the
 * result comes back in a0 (negative: -errno). xv6's numbers where xv6 has
 * the call, kine's own from 22.
 */
#ifndef KINE_UAPI_SYSCALL_H
#define KINE_UAPI_SYSCALL_H

#define SYS_fork          1
#define SYS_exit          2
#define SYS_wait          3
#define SYS_pipe          4
#define SYS_read          5
#define SYS_kill          6
#define SYS_exec          7
#define SYS_fstat         8
#define SYS_chdir         9
#define SYS_dup           10
#define SYS_getpid        11
#define SYS_sbrk          12
#define SYS_sleep         13
#define SYS_uptime        14
#define SYS_open          15
#define SYS_write         16
#define SYS_close         21
#define SYS_mmap          22
#define SYS_munmap        23
#define SYS_mprotect      24
#define SYS_yield         25
#define SYS_thread_create 26
#define SYS_thread_join   27
#define SYS_thread_exit   28
#define SYS_set_affinity  29
#define SYS_hart          30
#define SYS_memstat       31
#define SYS_lockstat      32
#define SYS_procinfo      33
#define SYS_setjob        34
#define SYS_fgjob         35
#define SYS_bootfile      36

#endif

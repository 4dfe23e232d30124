/*
 * errno.h: kine's error codes, shared by the kernel and user programs.
 *
 * A system call returns a value >= 0 on success, or the negative of one
 * of these. The numbers are Linux's, so tools and habits carry over.
 */
#ifndef KINE_UAPI_ERRNO_H
#define KINE_UAPI_ERRNO_H

#define EPERM   1  /* not permitted */
#define ENOENT  2  /* no such file or program */
#define ESRCH   3  /* no such process or thread */
#define EINTR   4  /* interrupted */
#define EIO     5  /* input/output error */
#define E2BIG   7  /* argument list or string too long */
#define ENOEXEC 8  /* not a valid kine executable */
#define EBADF   9  /* bad file descriptor */
#define ECHILD  10 /* no child to wait for */
#define EAGAIN  11 /* try again */
#define ENOMEM  12 /* out of memory */
#define EFAULT  14 /* a pointer to memory the caller may not use that way */
#define EBUSY   16 /* busy */
#define EEXIST  17 /* already exists (already mapped) */
#define EINVAL  22 /* invalid argument */
#define EMFILE  24 /* too many open files */
#define ENOSPC  28 /* no space left */
#define EROFS   30 /* read-only: the boot image cannot be written */
#define EPIPE   32 /* the other end of the pipe is closed */
#define ERANGE  34 /* out of range */
#define ENOSYS  38 /* no such system call (yet) */

#endif

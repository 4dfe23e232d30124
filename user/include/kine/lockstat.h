/*
 * lockstat.h: the lockstat system call (kine's ABI).
 *
 *	long lockstat(char *buf, long len, int flags);
 *
 * Writes the kernel's lock statistics as text into buf (at most len bytes,
 * NUL-terminated when len > 0) and returns the dump's full length, which
 * may exceed len (call again with a bigger buffer); buf may be 0 with len
 * 0 to ask for the length only. LOCKSTAT_RESET starts every count afresh
 * after the read. The text is one record per line, in the versioned
 * format of docs/lockstat.md ("lockstat v1 ..."); a kernel built without
 * statistics answers "lockstat v1 off".
 */
#ifndef KINE_UAPI_LOCKSTAT_H
#define KINE_UAPI_LOCKSTAT_H

#define LOCKSTAT_RESET 1

#endif

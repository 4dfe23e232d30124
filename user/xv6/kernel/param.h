/*
 * kernel/param.h (xv6 compatibility): xv6's limits, with kine's values
 * where kine has the limit (processes, harts, descriptors, exec
 * arguments). The file-system sizes have no meaning on kine (no disk);
 * they keep xv6's values so that programs mentioning them still compile.
 */
#ifndef KINE_XV6_KERNEL_PARAM_H
#define KINE_XV6_KERNEL_PARAM_H

#define NPROC       64  /* processes at once (kine: PROC_MAX) */
#define NCPU        16  /* harts (kine: KINE_MAX_HARTS) */
#define NOFILE      16  /* descriptors per process (kine: FD_MAX) */
#define MAXARG      16  /* exec arguments, argv[0] included (kine: EXEC_MAX_ARGS) */
#define MAXPATH     128 /* a path; kine accepts up to 255 bytes */
#define USERSTACK   16  /* user stack pages (kine: 64 KiB) */
#define NFILE       100
#define NINODE      50
#define NDEV        10
#define ROOTDEV     1
#define MAXOPBLOCKS 10
#define LOGSIZE     (MAXOPBLOCKS * 3)
#define NBUF        (MAXOPBLOCKS * 3)
#define FSSIZE      2000

#endif

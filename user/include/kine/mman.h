/*
 * mman.h: mmap, munmap and mprotect flags (kine's ABI).
 *
 *	void *mmap(void *addr, size_t len, int prot, int flags);  (addr: a hint, ignored)
 *	int munmap(void *addr, size_t len);
 *	int mprotect(void *addr, size_t len, int prot);
 *
 * Only anonymous memory exists. MAP_PRIVATE pages are copied at fork;
 * MAP_SHARED pages stay shared between parent and child (tests build
 * barriers and counters in them). PROT_WRITE together with PROT_EXEC is
 * refused (kine keeps W^X for user pages too).
 */
#ifndef KINE_UAPI_MMAN_H
#define KINE_UAPI_MMAN_H

#define PROT_NONE  0
#define PROT_READ  1
#define PROT_WRITE 2
#define PROT_EXEC  4

#define MAP_SHARED    0x01
#define MAP_PRIVATE   0x02
#define MAP_ANONYMOUS 0x20

#endif

/*
 * mem.h: word-width memory copies and fills (mem.c).
 *
 * kine_memcpy, kine_memmove and kine_memset behave exactly as the standard
 * functions; in freestanding builds (kernel, user library) memcpy, memmove
 * and memset are the same code. page_copy_words and page_zero_words work on
 * one whole page whose address is a multiple of PAGE_COPY_SIZE: the portable
 * scalar page copy (the kernel's page_copy may pick a vector one instead).
 */
#ifndef KINE_LIB_MEM_H
#define KINE_LIB_MEM_H

#include <stddef.h>

#define PAGE_COPY_SIZE 4096

void *kine_memcpy(void *dst, const void *src, size_t n);
void *kine_memmove(void *dst, const void *src, size_t n);
void *kine_memset(void *dst, int c, size_t n);
void page_copy_words(void *dst, const void *src);
void page_zero_words(void *dst);

#endif

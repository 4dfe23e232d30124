/*
 * string.h: the kernel's memory and string functions.
 *
 * GCC may emit calls to memcpy, memset, memmove and memcmp even under
 * -ffreestanding (for struct copies and large initializers), so these names
 * must exist with their standard meaning.
 */
#ifndef KINE_LIB_STRING_H
#define KINE_LIB_STRING_H

#include <stddef.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);

#endif

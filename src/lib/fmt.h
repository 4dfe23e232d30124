/*
 * fmt.h: printf-style formatting into a buffer.
 *
 * Supports what a kernel needs: %d %i %u %x %X %o %c %s %p %%, the length
 * modifiers hh h l ll z t j, the flags '-', '0', '#', ' ', '+', a field
 * width and a precision (given inline or as '*'). Like C's vsnprintf it
 * never writes more than size bytes, always terminates the buffer when
 * size > 0, and returns the length the full output would have had. An
 * unknown conversion is copied out verbatim, so a bad format is visible,
 * not fatal.
 */
#ifndef KINE_LIB_FMT_H
#define KINE_LIB_FMT_H

#include <stdarg.h>
#include <stddef.h>

int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif

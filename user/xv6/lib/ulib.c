/*
 * ulib.c (xv6 compatibility): xv6's string and memory functions, gets,
 * atoi and stat, with xv6's signatures (uint sizes, int for memmove).
 *
 * GCC may call memcpy, memset, memmove and memcmp on its own (struct
 * copies, large initializers), passing a size_t: the uint parameter keeps
 * its low 32 bits, and no user-space object comes near 4 GiB.
 */
#include "kernel/fcntl.h"
#include "kernel/stat.h"
#include "kernel/types.h"
#include "user/user.h"

char *strcpy(char *dst, const char *src)
{
	char *d = dst;

	while ((*d++ = *src++) != '\0')
		;
	return dst;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (uchar)*a - (uchar)*b;
}

uint strlen(const char *s)
{
	uint n = 0;

	while (s[n])
		n++;
	return n;
}

char *strchr(const char *s, char c)
{
	for (; *s; s++)
		if (*s == c)
			return (char *)s;
	return 0;
}

void *memset(void *dst, int c, uint n)
{
	uchar *d = dst;

	for (uint i = 0; i < n; i++)
		d[i] = (uchar)c;
	return dst;
}

/* Copies backwards when dst overlaps the tail of src. */
void *memmove(void *dst, const void *src, int n)
{
	uchar *d = dst;
	const uchar *s = src;

	if (d <= s || d >= s + n) {
		for (int i = 0; i < n; i++)
			d[i] = s[i];
	} else {
		while (n-- > 0)
			d[n] = s[n];
	}
	return dst;
}

void *memcpy(void *dst, const void *src, uint n)
{
	return memmove(dst, src, (int)n);
}

int memcmp(const void *a, const void *b, uint n)
{
	const uchar *x = a, *y = b;

	for (uint i = 0; i < n; i++)
		if (x[i] != y[i])
			return x[i] - y[i];
	return 0;
}

/* Read a line from fd 0 into buf (at most max - 1 bytes, the newline kept). */
char *gets(char *buf, int max)
{
	int i = 0;
	char c;

	while (i + 1 < max && read(0, &c, 1) == 1) {
		buf[i++] = c;
		if (c == '\n' || c == '\r')
			break;
	}
	buf[i] = '\0';
	return buf;
}

/* Optional blanks and sign, then decimal digits (xv6's takes digits only). */
int atoi(const char *s)
{
	int sign = 1;
	uint v = 0;

	while (*s == ' ' || *s == '\t' || *s == '\n')
		s++;
	if (*s == '-' || *s == '+')
		sign = *s++ == '-' ? -1 : 1;
	while (*s >= '0' && *s <= '9')
		v = v * 10 + (uint)(*s++ - '0');
	return sign < 0 ? -(int)v : (int)v;
}

int stat(const char *path, struct stat *st)
{
	int fd = open(path, O_RDONLY), r;

	if (fd < 0)
		return -1;
	r = fstat(fd, st);
	close(fd);
	return r;
}

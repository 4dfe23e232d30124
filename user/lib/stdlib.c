/*
 * stdlib.c: the small conversions user programs need (atoi).
 */
#include "kine/user.h"

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Leading white space, an optional sign, then decimal digits; stops at anything else. */
int atoi(const char *s)
{
	int sign = 1;
	unsigned value = 0;

	while (is_space(*s))
		s++;
	if (*s == '+' || *s == '-')
		sign = *s++ == '-' ? -1 : 1;
	while (*s >= '0' && *s <= '9')
		value = value * 10 + (unsigned)(*s++ - '0');
	return (int)(sign < 0 ? 0u - value : value); /* wraps as int arithmetic would */
}

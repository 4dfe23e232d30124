/*
 * tool.c: the helpers of tool.h, shared by the everyday tools.
 */
#include "user/tool.h"

#include "kine/user.h"

int tool_open(const char *prog, const char *path)
{
	int fd = open(path, O_RDONLY);

	if (fd >= 0)
		return fd;
	if (fd == -ENOENT)
		fprintf(2, "%s: %s: no such file in the boot image\n", prog, path);
	else
		fprintf(2, "%s: %s: cannot open (error %d)\n", prog, path, fd);
	return -1;
}

int tool_number(const char *s, long max, long *out)
{
	long v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		/* Checked before it can overflow: max is at most LONG_MAX. */
		if (v > (max - (*s - '0')) / 10)
			return -1;
		v = v * 10 + (*s - '0');
	}
	*out = v;
	return 0;
}

int tool_read_error(const char *prog, const char *name, int n)
{
	fprintf(2, "%s: %s: read error %d\n", prog, name, n);
	return 1;
}

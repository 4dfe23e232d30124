/*
 * cat.c: copy files of the boot image, or standard input, to standard
 * output, one after another. A file that cannot be opened or read is
 * reported and skipped, and the exit status is then 1.
 *
 * help: print files, or stdin, in order
 */
#include "kine/user.h"
#include "user/tool.h"

#define CHUNK 512

/* Copy fd to standard output: 0, or 1 after saying what failed. */
static int copy(int fd, const char *name)
{
	char buf[CHUNK];
	int n;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (write(1, buf, n) != n) {
			fprintf(2, "cat: write error\n");
			return 1;
		}
	}
	return n < 0 ? tool_read_error("cat", name, n) : 0;
}

int main(int argc, char *argv[])
{
	int status = 0;

	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-') {
			fprintf(2, "usage: cat [FILE...]\n");
			return 2;
		}
	}
	if (argc == 1)
		return copy(0, "standard input");
	for (int i = 1; i < argc; i++) {
		int fd = tool_open("cat", argv[i]);

		if (fd < 0) {
			status = 1;
			continue;
		}
		status |= copy(fd, argv[i]);
		close(fd);
	}
	return status;
}

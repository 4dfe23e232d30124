/*
 * head.c: the first N lines (10 by default) of each file, or of standard
 * input. It stops reading once it has them, so `prog | head -n 1` does
 * not wait for prog's whole output. With several files each gets a
 * "==> FILE <==" header, as on Unix.
 *
 * help: the first lines of files or stdin (-n N: N lines, default 10)
 */
#include "kine/user.h"
#include "user/tool.h"

#define CHUNK     512
#define LINES_MAX 1000000000L

/* Copy fd's first `lines` lines to standard output: 0, or 1 on a read error. */
static int head(int fd, const char *name, long lines)
{
	char buf[CHUNK];
	int n = 0;

	while (lines > 0 && (n = read(fd, buf, sizeof(buf))) > 0) {
		int end = 0;

		/* Up to and including the newline that ends the last line wanted. */
		while (end < n && lines > 0)
			lines -= buf[end++] == '\n';
		write(1, buf, end);
	}
	return n < 0 ? tool_read_error("head", name, n) : 0;
}

static int usage(void)
{
	fprintf(2, "usage: head [-n N] [FILE...]\n");
	return 2;
}

int main(int argc, char *argv[])
{
	long lines = 10;
	int i = 1, status = 0;

	if (argc > 1 && strcmp(argv[1], "-n") == 0) {
		if (argc < 3 || tool_number(argv[2], LINES_MAX, &lines) < 0)
			return usage();
		i = 3;
	}
	for (int j = i; j < argc; j++)
		if (argv[j][0] == '-')
			return usage();
	if (i == argc)
		return head(0, "standard input", lines);
	for (int first = i; i < argc; i++) {
		int fd = tool_open("head", argv[i]);

		if (fd < 0) {
			status = 1;
			continue;
		}
		if (argc - first > 1)
			printf("%s==> %s <==\n", i > first ? "\n" : "", argv[i]);
		status |= head(fd, argv[i], lines);
		close(fd);
	}
	return status;
}

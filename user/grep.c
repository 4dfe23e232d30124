/*
 * grep.c: the lines of each file, or of standard input, that contain a
 * fixed string (no regular expressions). -v: the lines that do not; -c:
 * only how many lines were selected. With several files each line (or
 * count) is prefixed with "FILE:". Exit status 0 if some line was
 * selected, 1 if none, 2 on an error (as on Unix).
 *
 * Lines are read into a LINE_MAX-byte buffer (newline included): a longer
 * line is an error (reported, status 2), never split into two half-lines
 * that would match differently.
 *
 * help: lines of files or stdin containing a fixed string (-v: the others; -c: count)
 */
#include "kine/user.h"
#include "user/tool.h"

#define LINE_MAX 1024
#define CHUNK    512

#define STATUS_ERROR 2

struct grep {
	const char *pattern;
	int invert, count_only, show_name;
	long selected; /* lines selected in all files so far */
};

/* Do the len bytes at line contain pattern (the empty string is in every line)? */
static int contains(const char *line, int len, const char *pattern)
{
	int plen = strlen(pattern);

	for (int i = 0; i + plen <= len; i++)
		if (memcmp(line + i, pattern, plen) == 0)
			return 1;
	return 0;
}

/*
 * One line of len bytes (its newline, if any, included) in a buffer with
 * room for a NUL after them: print it if selected; 1 if it was.
 */
static long select_line(struct grep *g, const char *name, char *line, int len)
{
	int body = len > 0 && line[len - 1] == '\n' ? len - 1 : len;

	if (contains(line, body, g->pattern) == g->invert)
		return 0;
	line[body] = '\0';
	if (!g->count_only)
		printf("%s%s%s\n", g->show_name ? name : "", g->show_name ? ":" : "", line);
	return 1;
}

/* Scan fd line by line: 0, or STATUS_ERROR after a message. */
static int grep_fd(struct grep *g, int fd, const char *name)
{
	char line[LINE_MAX + 1]; /* + 1: select_line's NUL */
	char buf[CHUNK];
	int n, len = 0;
	long found = 0;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (int i = 0; i < n; i++) {
			if (len == LINE_MAX) {
				fprintf(2, "grep: %s: a line longer than %d bytes\n", name,
					LINE_MAX - 1);
				return STATUS_ERROR;
			}
			line[len++] = buf[i];
			if (buf[i] == '\n') {
				found += select_line(g, name, line, len);
				len = 0;
			}
		}
	}
	if (n < 0)
		return tool_read_error("grep", name, n) + 1;
	if (len > 0) /* a last line without a newline */
		found += select_line(g, name, line, len);
	if (g->count_only)
		printf("%s%s%ld\n", g->show_name ? name : "", g->show_name ? ":" : "", found);
	g->selected += found;
	return 0;
}

static int usage(void)
{
	fprintf(2, "usage: grep [-v] [-c] STRING [FILE...] (STRING is a fixed string)\n");
	return STATUS_ERROR;
}

int main(int argc, char *argv[])
{
	struct grep g = {0};
	int i = 1, error = 0;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-v") == 0)
			g.invert = 1;
		else if (strcmp(argv[i], "-c") == 0)
			g.count_only = 1;
		else
			return usage();
	}
	if (i == argc)
		return usage();
	g.pattern = argv[i++];
	g.show_name = argc - i > 1;
	if (i == argc)
		error = grep_fd(&g, 0, "standard input");
	for (; i < argc; i++) {
		int fd = tool_open("grep", argv[i]);

		if (fd < 0) {
			error = STATUS_ERROR;
			continue;
		}
		error |= grep_fd(&g, fd, argv[i]);
		close(fd);
	}
	if (error)
		return STATUS_ERROR;
	return g.selected > 0 ? 0 : 1;
}

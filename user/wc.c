/*
 * wc.c: count the lines, words and bytes of each file, or of standard
 * input: "LINES WORDS BYTES NAME", plus a total line for several files.
 * With -l, lines only. A word is a run of bytes other than space, tab and
 * newline.
 *
 * help: count lines, words and bytes of files or stdin (-l: lines only)
 */
#include "kine/user.h"
#include "user/tool.h"

#define CHUNK 512

struct counts {
	long lines, words, bytes;
};

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Add fd's counts to *c: 0, or 1 on a read error. */
static int count(int fd, const char *name, struct counts *c)
{
	char buf[CHUNK];
	int n, in_word = 0;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (int i = 0; i < n; i++) {
			c->lines += buf[i] == '\n';
			/* A word is counted at its first byte. */
			c->words += !in_word && !is_space(buf[i]);
			in_word = !is_space(buf[i]);
		}
		c->bytes += n;
	}
	return n < 0 ? tool_read_error("wc", name, n) : 0;
}

static void print(const struct counts *c, int lines_only, const char *name)
{
	if (lines_only)
		printf("%ld", c->lines);
	else
		printf("%ld %ld %ld", c->lines, c->words, c->bytes);
	printf("%s%s\n", name[0] != '\0' ? " " : "", name);
}

int main(int argc, char *argv[])
{
	struct counts total = {0, 0, 0};
	int lines_only = 0, i = 1, status = 0;

	if (argc > 1 && strcmp(argv[1], "-l") == 0) {
		lines_only = 1;
		i = 2;
	}
	for (int j = i; j < argc; j++) {
		if (argv[j][0] == '-') {
			fprintf(2, "usage: wc [-l] [FILE...]\n");
			return 2;
		}
	}
	if (i == argc) {
		status = count(0, "standard input", &total);
		print(&total, lines_only, "");
		return status;
	}
	for (int j = i; j < argc; j++) {
		struct counts c = {0, 0, 0};
		int fd = tool_open("wc", argv[j]);

		if (fd < 0) {
			status = 1;
			continue;
		}
		status |= count(fd, argv[j], &c);
		close(fd);
		print(&c, lines_only, argv[j]);
		total.lines += c.lines;
		total.words += c.words;
		total.bytes += c.bytes;
	}
	if (argc - i > 1)
		print(&total, lines_only, "total");
	return status;
}

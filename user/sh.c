/*
 * sh.c: kine's shell.
 *
 *	sh              read command lines from fd 0, prompting with "$ "
 *	sh -c LINE      run one line; exit with the status of its last command
 *	                (a last command that is a lone program replaces sh)
 *
 * A line is pipelines separated by ';' (run one after the other) or '&'
 * (started in the background, not waited for). A pipeline is commands
 * joined by '|'. A command is words separated by blanks; double quotes
 * group words ("a b" is one word, "" an empty one). Programs come from the
 * boot image (exec finds them by name). Builtins: `exit [N]` (N defaults
 * to the last status), `cd` (kine has no directories) and `help` (the
 * builtins, then the boot image's help.txt: every program with its
 * description, written at build time by user/defs.bzl).
 *
 * Three stages, each a few short functions: the tokenizer turns a line
 * into words and operators, the parser builds a struct line from the
 * tokens, the executor forks, wires pipes and waits.
 *
 * Statuses: a command's status is its exit status as wait() reports it
 * (-1 for a killed process); 127 for a program that is not in the boot
 * image, 126 for one that exec refused, 2 for a syntax error.
 *
 * Jobs (interactive only): each pipeline runs as a job of its own
 * (setjob: numbered by its first process's pid), and while the shell
 * waits for a foreground one it names that job the console's foreground
 * (fgjob), so Ctrl-C kills that pipeline, whatever it forked, and nothing
 * else: not the shell, not a background job. `sh -c` leaves its commands
 * in its own job, so a Ctrl-C aimed at it ends them along with it.
 *
 * Limitation: kine's wait() blocks and takes any child, so the shell
 * cannot poll its background jobs. It remembers their pids and forgets
 * each one when a later foreground wait happens to reap it (printing
 * "[pid] done"); a job still unreaped when the shell exits is reaped by
 * the kernel, which adopts orphans. Until then a finished background job
 * keeps its slot in the kernel's process table.
 *
 * help: the shell (pipes, ;, &, quotes; builtins cd, exit, help)
 */
#include "kine/user.h"

#define LINE_MAX   512 /* bytes in a command line */
#define TOKENS_MAX 128 /* words and operators in a line */
#define ARGS_MAX   16  /* words in one command: the kernel's exec limit */
#define PIPE_MAX   8   /* commands in one pipeline */
#define JOBS_MAX   16  /* pipelines in one line */
#define BG_MAX     32  /* background pids remembered */

#define STATUS_SYNTAX    2
#define STATUS_NOEXEC    126
#define STATUS_NOT_FOUND 127

static int last_status; /* the status of the last command run */

/* ---- Tokenizer ---- */

enum tok_kind { TOK_WORD, TOK_PIPE, TOK_SEMI, TOK_AMP, TOK_END };

struct token {
	enum tok_kind kind;
	char *word; /* TOK_WORD: the word, quotes removed, in the words buffer */
};

struct tokens {
	struct token tok[TOKENS_MAX];
	int n;
	char words[2 * LINE_MAX]; /* every word, NUL-terminated: never more than 2x the line */
};

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int is_operator(char c)
{
	return c == '|' || c == ';' || c == '&';
}

static enum tok_kind operator_kind(char c)
{
	return c == '|' ? TOK_PIPE : c == ';' ? TOK_SEMI : TOK_AMP;
}

static int add_token(struct tokens *t, enum tok_kind kind, char *word)
{
	if (t->n == TOKENS_MAX) {
		fprintf(2, "sh: too many words\n");
		return -1;
	}
	t->tok[t->n++] = (struct token){kind, word};
	return 0;
}

/* Copy one word starting at *s into out (quotes removed); advance both. */
static int scan_word(const char **s, char **out)
{
	const char *p = *s;
	int quoted = 0;

	while (*p && (quoted || (!is_blank(*p) && !is_operator(*p)))) {
		if (*p == '"')
			quoted = !quoted;
		else
			*(*out)++ = *p;
		p++;
	}
	*(*out)++ = '\0';
	*s = p;
	if (quoted) {
		fprintf(2, "sh: syntax error: unterminated quote\n");
		return -1;
	}
	return 0;
}

/* Split line into t's tokens, ending with TOK_END; -1 (after a message) on error. */
static int tokenize(const char *line, struct tokens *t)
{
	char *out = t->words;
	int err = 0;

	t->n = 0;
	while (*line && err == 0) {
		if (is_blank(*line)) {
			line++;
		} else if (is_operator(*line)) {
			err = add_token(t, operator_kind(*line++), NULL);
		} else {
			char *word = out;

			err = scan_word(&line, &out);
			if (err == 0)
				err = add_token(t, TOK_WORD, word);
		}
	}
	return err == 0 ? add_token(t, TOK_END, NULL) : -1;
}

/* ---- Parser ---- */

struct command {
	int argc;
	char *argv[ARGS_MAX + 1]; /* argv[argc] == NULL, as exec wants */
};

struct pipeline {
	int ncmds;
	struct command cmd[PIPE_MAX];
	int background; /* ended by '&' */
};

struct line {
	int njobs;
	struct pipeline job[JOBS_MAX];
};

static const char *token_text(const struct token *t)
{
	switch (t->kind) {
	case TOK_PIPE:
		return "|";
	case TOK_SEMI:
		return ";";
	case TOK_AMP:
		return "&";
	case TOK_END:
		return "end of line";
	default:
		return t->word;
	}
}

static int syntax_error(const struct token *t)
{
	fprintf(2, "sh: syntax error near '%s'\n", token_text(t));
	return -1;
}

/* command := WORD { WORD }; *i moves past it. */
static int parse_command(const struct tokens *t, int *i, struct command *c)
{
	c->argc = 0;
	if (t->tok[*i].kind != TOK_WORD)
		return syntax_error(&t->tok[*i]);
	while (t->tok[*i].kind == TOK_WORD) {
		if (c->argc == ARGS_MAX) {
			fprintf(2, "sh: too many arguments (at most %d)\n", ARGS_MAX);
			return -1;
		}
		c->argv[c->argc++] = t->tok[(*i)++].word;
	}
	c->argv[c->argc] = NULL;
	return 0;
}

/* pipeline := command { '|' command } */
static int parse_pipeline(const struct tokens *t, int *i, struct pipeline *p)
{
	p->ncmds = 0;
	p->background = 0;
	for (;;) {
		if (p->ncmds == PIPE_MAX) {
			fprintf(2, "sh: pipeline too long (at most %d commands)\n", PIPE_MAX);
			return -1;
		}
		if (parse_command(t, i, &p->cmd[p->ncmds++]) < 0)
			return -1;
		if (t->tok[*i].kind != TOK_PIPE)
			return 0;
		(*i)++;
	}
}

/* line := [ pipeline { (';' | '&') pipeline } [ ';' | '&' ] ] */
static int parse_line(const struct tokens *t, struct line *l)
{
	int i = 0;

	l->njobs = 0;
	while (t->tok[i].kind != TOK_END) {
		struct pipeline *p = &l->job[l->njobs];

		if (l->njobs == JOBS_MAX) {
			fprintf(2, "sh: too many commands in one line\n");
			return -1;
		}
		if (parse_pipeline(t, &i, p) < 0)
			return -1;
		l->njobs++;
		if (t->tok[i].kind == TOK_SEMI || t->tok[i].kind == TOK_AMP)
			p->background = t->tok[i++].kind == TOK_AMP;
		else if (t->tok[i].kind != TOK_END)
			return syntax_error(&t->tok[i]);
	}
	return 0;
}

/* ---- Background jobs ---- */

static int bg_pid[BG_MAX]; /* 0: a free slot */

static void bg_remember(int pid)
{
	for (int i = 0; i < BG_MAX; i++) {
		if (bg_pid[i] == 0) {
			bg_pid[i] = pid;
			return;
		}
	}
	/* Full: the job still runs, and the kernel reaps it after the shell. */
}

/* A background job a foreground wait reaped: report it and forget it. */
static void bg_reaped(int pid, int status)
{
	for (int i = 0; i < BG_MAX; i++) {
		if (bg_pid[i] == pid) {
			bg_pid[i] = 0;
			fprintf(2, "[%d] done, status %d\n", pid, status);
		}
	}
}

/* ---- Executor ---- */

static int is_builtin(const char *name)
{
	return strcmp(name, "exit") == 0 || strcmp(name, "cd") == 0 || strcmp(name, "help") == 0;
}

/* An optional '-', then 1 to 9 decimal digits (so atoi cannot overflow). */
static int is_number(const char *s)
{
	int digits = 0;

	s += *s == '-';
	for (; *s >= '0' && *s <= '9'; s++)
		digits++;
	return *s == '\0' && digits >= 1 && digits <= 9;
}

/* exit [N]: leave the shell with N, or the last status. Returns only on a bad argument. */
static int builtin_exit(const struct command *c)
{
	if (c->argc > 2) {
		fprintf(2, "sh: exit: too many arguments\n");
		return 1;
	}
	if (c->argc == 2 && !is_number(c->argv[1])) {
		fprintf(2, "sh: exit: %s: not a number\n", c->argv[1]);
		return STATUS_SYNTAX;
	}
	exit(c->argc == 2 ? atoi(c->argv[1]) : last_status);
}

/* help: the builtins, then help.txt (the programs) from the boot image. */
static int builtin_help(void)
{
	char buf[256];
	int fd, n;

	printf("builtins of sh:\n"
	       "  cd              (kine has no directories)\n"
	       "  exit [N]        leave the shell with status N (default: the last status)\n"
	       "  help            this list\n");
	if ((fd = open("help.txt", O_RDONLY)) < 0) {
		fprintf(2, "sh: help: no help.txt in the boot image (error %d)\n", fd);
		return 1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		write(1, buf, n);
	close(fd);
	if (n < 0) {
		fprintf(2, "sh: help: help.txt: read error %d\n", n);
		return 1;
	}
	return 0;
}

/* Run c if it is a builtin: true, with its status in *status. */
static int run_builtin(const struct command *c, int *status)
{
	if (!is_builtin(c->argv[0]))
		return 0;
	if (strcmp(c->argv[0], "exit") == 0) {
		*status = builtin_exit(c);
	} else if (strcmp(c->argv[0], "help") == 0) {
		*status = builtin_help();
	} else {
		fprintf(2, "cd: no directories in kine\n");
		*status = 1;
	}
	return 1;
}

/*
 * Make descriptor target refer to fd's file (kine has no dup2): close
 * target, then dup until dup hands out target, closing the lower free
 * slots it filled on the way.
 */
static int move_fd(int fd, int target)
{
	int extra[ARGS_MAX], nextra = 0, got;

	if (fd == target)
		return 0;
	close(target);
	while ((got = dup(fd)) >= 0 && got < target && nextra < ARGS_MAX)
		extra[nextra++] = got;
	while (nextra > 0)
		close(extra[--nextra]);
	if (got != target) {
		if (got >= 0)
			close(got);
		return -1;
	}
	close(fd);
	return 0;
}

/* Run c's program in this process; on failure, say why and exit 127 or 126. */
__attribute__((noreturn)) static void exec_or_exit(const struct command *c)
{
	int err = exec(c->argv[0], c->argv);

	if (err == -ENOENT) {
		fprintf(2, "sh: %s: not found\n", c->argv[0]);
		exit(STATUS_NOT_FOUND);
	}
	fprintf(2, "sh: %s: cannot run (error %d)\n", c->argv[0], err);
	exit(STATUS_NOEXEC);
}

/*
 * In the child: read from in and write to out (-1: leave fd 0 or 1
 * alone), close spare (the next command's read end), then run c.
 */
__attribute__((noreturn)) static void child_run(const struct command *c, int in, int out, int spare)
{
	int status;

	if (spare >= 0)
		close(spare);
	if ((in >= 0 && move_fd(in, 0) < 0) || (out >= 0 && move_fd(out, 1) < 0)) {
		fprintf(2, "sh: %s: cannot set up the pipe\n", c->argv[0]);
		exit(1);
	}
	if (run_builtin(c, &status))
		exit(status);
	exec_or_exit(c);
}

/* Wait until every pid of pids[0..n) is reaped: the last one's status. */
static int wait_pids(const int *pids, int n)
{
	int left = n, last = 0, status, pid;

	while (left > 0 && (pid = wait(&status)) >= 0) {
		int mine = 0;

		for (int i = 0; i < n; i++)
			mine |= pids[i] == pid;
		if (!mine) {
			bg_reaped(pid, status);
			continue;
		}
		left--;
		if (pid == pids[n - 1])
			last = status;
	}
	return last;
}

/* Interactive: each pipeline is a job of its own, for Ctrl-C (see the top). */
static int job_control;

/* Fork one process per command, joined by pipes; the number started. */
static int start_pipeline(const struct pipeline *p, int *pids)
{
	int in = -1, n = 0;

	for (int i = 0; i < p->ncmds; i++) {
		int fds[2] = {-1, -1}, pid;

		if (i + 1 < p->ncmds && pipe(fds) < 0) {
			fprintf(2, "sh: pipe: out of descriptors or memory\n");
			break;
		}
		pid = fork();
		/*
		 * The job is the first process's pid. Both sides set it, so it
		 * is set before either goes on, whichever runs first.
		 */
		if (pid == 0 && job_control)
			setjob(0, i == 0 ? 0 : pids[0]);
		if (pid == 0)
			child_run(&p->cmd[i], in, fds[1], fds[0]);
		if (pid > 0 && job_control)
			setjob(pid, i == 0 ? pid : pids[0]);
		if (in >= 0)
			close(in);
		if (fds[1] >= 0)
			close(fds[1]);
		in = fds[0];
		if (pid < 0) {
			fprintf(2, "sh: fork: error %d\n", pid);
			break;
		}
		pids[n++] = pid;
	}
	if (in >= 0)
		close(in);
	return n;
}

/* Run one pipeline: its status (0 for a background job). */
static int run_pipeline(const struct pipeline *p)
{
	int pids[PIPE_MAX], n, status;

	if (p->ncmds == 1 && !p->background && run_builtin(&p->cmd[0], &status))
		return status;
	n = start_pipeline(p, pids);
	if (n < p->ncmds) {
		wait_pids(pids, n);
		return 1;
	}
	if (!p->background) {
		if (job_control)
			fgjob(pids[0]);
		status = wait_pids(pids, n);
		if (job_control)
			fgjob(0);
		return status;
	}
	for (int i = 0; i < n; i++)
		bg_remember(pids[i]);
	fprintf(2, "[%d]\n", pids[n - 1]);
	return 0;
}

/* A lone foreground program (no pipe, no '&', not a builtin). */
static int is_simple(const struct pipeline *p)
{
	return p->ncmds == 1 && !p->background && !is_builtin(p->cmd[0].argv[0]);
}

/*
 * Tokenize, parse and run one line: the status of its last pipeline.
 * With exec_last (sh -c), a last pipeline that is a lone program replaces
 * the shell instead of running in a child, as other shells do: one
 * process fewer, and the same status.
 */
static int run_line(const char *text, int exec_last)
{
	static struct tokens t;
	static struct line l;

	if (tokenize(text, &t) < 0 || parse_line(&t, &l) < 0)
		return last_status = STATUS_SYNTAX;
	for (int i = 0; i < l.njobs; i++) {
		if (exec_last && i == l.njobs - 1 && is_simple(&l.job[i]))
			exec_or_exit(&l.job[i].cmd[0]);
		last_status = run_pipeline(&l.job[i]);
	}
	return last_status;
}

/* ---- Input ---- */

static char inbuf[LINE_MAX];
static int inlen, inpos;

/* The next byte of fd 0, or -1 at end of file (or on a read error). */
static int next_char(void)
{
	if (inpos == inlen) {
		inlen = read(0, inbuf, sizeof(inbuf));
		inpos = 0;
		if (inlen <= 0) {
			inlen = 0;
			return -1;
		}
	}
	return (unsigned char)inbuf[inpos++];
}

/*
 * Read one line into line (without its newline): its length; -1 at end of
 * file with nothing read; -2 for a line too long (read up to its end and
 * dropped). A last line without a newline still counts.
 */
static int read_line(char *line, int max)
{
	int len = 0, c, too_long = 0;

	while ((c = next_char()) >= 0 && c != '\n') {
		if (len < max - 1)
			line[len++] = (char)c;
		else
			too_long = 1;
	}
	line[len] = '\0';
	if (c < 0 && len == 0 && !too_long)
		return -1;
	return too_long ? -2 : len;
}

static int interactive(void)
{
	static char line[LINE_MAX];
	int len;

	job_control = 1;
	for (;;) {
		write(2, "$ ", 2);
		len = read_line(line, sizeof(line));
		if (len == -1)
			return 0;
		if (len == -2) {
			fprintf(2, "sh: line too long (at most %d bytes)\n", LINE_MAX - 1);
			last_status = STATUS_SYNTAX;
			continue;
		}
		run_line(line, 0);
	}
}

static int count_char(const char *s, char c)
{
	int n = 0;

	for (; *s; s++)
		n += *s == c;
	return n;
}

/*
 * sh -c LINE. When the line arrives split into several words (a kernel
 * that splits its boot command at spaces passes `sh -c "a | b"` as
 * `"a`, `|`, `b"`), join them with spaces, and drop one pair of quotes
 * around the whole of it (and nowhere else), which only delimited LINE.
 */
static int run_dash_c(int nwords, char **words)
{
	static char line[LINE_MAX];
	char *text = line;
	int len = 0;

	for (int i = 0; i < nwords; i++) {
		int n = strlen(words[i]);

		if (len + n + 1 >= LINE_MAX) {
			fprintf(2, "sh: -c: line too long\n");
			return STATUS_SYNTAX;
		}
		if (i > 0)
			line[len++] = ' ';
		memcpy(line + len, words[i], n);
		len += n;
	}
	line[len] = '\0';
	if (nwords > 1 && len >= 2 && line[0] == '"' && count_char(line, '"') == 2 &&
	    line[len - 1] == '"') {
		line[len - 1] = '\0';
		text++;
	}
	return run_line(text, 1);
}

int main(int argc, char *argv[])
{
	if (argc >= 3 && strcmp(argv[1], "-c") == 0)
		return run_dash_c(argc - 2, argv + 2);
	if (argc != 1) {
		fprintf(2, "usage: sh [-c LINE]\n");
		return STATUS_SYNTAX;
	}
	return interactive();
}

/*
 * pipetest: 64 KiB through a three-stage pipeline, each stage on its own
 * hart where there are enough:
 *
 *	producer (child, hart 0) -> pipe A -> relay (child, hart 1)
 *	    -> pipe B -> consumer (this process, hart 2)
 *
 * Stage i is pinned with set_affinity(i % harts) and checks that it runs
 * there. The producer writes a pseudo-random stream in 1000-byte writes,
 * the relay moves it in 700-byte reads, the consumer reads 333 bytes at a
 * time (so short reads and writes that cross the 16 KiB ring happen), and
 * a 64-bit FNV-1a checksum of what arrives must equal that of the stream.
 * Exits 0 on success.
 *
 * help: 64 KiB through a three-stage pipeline across harts (test)
 */
#include "kine/user.h"

#define TOTAL (64 * 1024)

/* The stream: xorshift32 from a fixed seed, one byte per step. */
#define STREAM_SEED 2463534242u

static unsigned char stream_next(unsigned *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 17;
	*state ^= *state << 5;
	return (unsigned char)*state;
}

static uint64_t fnv1a(uint64_t h, const unsigned char *p, int n)
{
	for (int i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

#define FNV_START 0xcbf29ce484222325ull

/* The number of harts: set_affinity refuses the first index past the last. */
static int count_harts(void)
{
	int n = 1;

	while (n < 64 && set_affinity(n) == 0)
		n++;
	set_affinity(-1);
	return n;
}

/* Pin the caller to hart h and check that it got there; prints where it runs. */
static int pin(const char *stage, int h)
{
	int r = set_affinity(h);

	yield();
	printf("pipetest: %s on hart %d (pinned to %d)\n", stage, hart(), h);
	return r == 0 && hart() == h ? 0 : -1;
}

static int write_all(int fd, const unsigned char *p, int n)
{
	for (int done = 0, w; done < n; done += w)
		if ((w = write(fd, p + done, n - done)) <= 0)
			return -1;
	return 0;
}

static int producer(int out, int h)
{
	unsigned char chunk[1000];
	unsigned state = STREAM_SEED;
	int fail = pin("producer", h);

	for (int sent = 0; sent < TOTAL && !fail;) {
		int n = TOTAL - sent < (int)sizeof(chunk) ? TOTAL - sent : (int)sizeof(chunk);

		for (int i = 0; i < n; i++)
			chunk[i] = stream_next(&state);
		fail = write_all(out, chunk, n);
		sent += n;
	}
	return fail ? 1 : 0;
}

static int relay(int in, int out, int h)
{
	unsigned char chunk[700];
	int fail = pin("relay", h), moved = 0, n;

	while (!fail && (n = read(in, chunk, sizeof(chunk))) > 0) {
		fail = write_all(out, chunk, n);
		moved += n;
	}
	return fail || moved != TOTAL ? 1 : 0;
}

/* Fork the producer, which keeps only pipe A's write end; its pid. */
static int start_producer(int fds[2], int h)
{
	int pid = fork();

	if (pid == 0) {
		close(fds[0]);
		exit(producer(fds[1], h));
	}
	return pid;
}

/* Fork the relay, which keeps A's read end and B's write end; its pid. */
static int start_relay(int a[2], int b[2], int h)
{
	int pid = fork();

	if (pid == 0) {
		close(a[1]);
		close(b[0]);
		exit(relay(a[0], b[1], h));
	}
	return pid;
}

/* Read everything from in: the byte count, the checksum in *sum. */
static int consume(int in, uint64_t *sum)
{
	unsigned char chunk[333];
	int total = 0, n;

	*sum = FNV_START;
	while ((n = read(in, chunk, sizeof(chunk))) > 0) {
		*sum = fnv1a(*sum, chunk, n);
		total += n;
	}
	return total;
}

static uint64_t expected_sum(void)
{
	uint64_t h = FNV_START;
	unsigned state = STREAM_SEED;

	for (int i = 0; i < TOTAL; i++) {
		unsigned char c = stream_next(&state);

		h = fnv1a(h, &c, 1);
	}
	return h;
}

/* Reap both children: how many did not exit 0. */
static int reap(void)
{
	int bad = 0, status;

	for (int i = 0; i < 2; i++) {
		int pid = wait(&status);

		if (pid < 0 || status != 0) {
			printf("pipetest: child %d exited with status %d\n", pid, status);
			bad++;
		}
	}
	return bad;
}

int main(void)
{
	int harts = count_harts(), a[2], b[2], bytes, bad = 0;
	uint64_t sum, want = expected_sum();

	printf("pipetest: %d harts\n", harts);
	if (pipe(a) < 0 || pipe(b) < 0) {
		printf("pipetest: pipe failed\n");
		return 1;
	}
	if (start_producer(a, 0) < 0 || start_relay(a, b, 1 % harts) < 0) {
		printf("pipetest: fork failed\n");
		return 1;
	}
	close(a[0]);
	close(a[1]);
	close(b[1]);
	bad += pin("consumer", 2 % harts) != 0;
	bytes = consume(b[0], &sum);
	close(b[0]);
	bad += reap();
	printf("pipetest: %d bytes, checksum %#lx (want %#lx)\n", bytes, (unsigned long)sum,
	       (unsigned long)want);
	bad += bytes != TOTAL || sum != want;
	printf("pipetest: %s\n", bad == 0 ? "OK" : "FAILED");
	return bad == 0 ? 0 : 1;
}

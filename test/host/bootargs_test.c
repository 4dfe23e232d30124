/*
 * bootargs_test.c: the command line parser: options, quoting, the "--"
 * command, limits and their messages, numbers with ranges, and random
 * lines (the input is never modified, the result always well-formed).
 */
#include "src/lib/bootargs.h"
#include "test/host/check.h"
#include "test/host/testutil.h"

#include <stdlib.h>

static struct bootargs ba;
static char err[128];

static int parse(const char *line)
{
	int rc = bootargs_parse(&ba, line, err, sizeof(err));

	printf("   [%s] -> %d %s\n", line ? line : "(null)", rc, err);
	return rc;
}

static void test_options(void)
{
	SECTION("options: bare keys, values, quotes, whitespace, duplicates");
	CHECK_EQ(parse(NULL), 0);
	CHECK_EQ(ba.nopts, 0);
	CHECK(bootargs_command(&ba) == NULL);
	CHECK_EQ(parse("   \t\n "), 0);
	CHECK_EQ(ba.nopts, 0);

	CHECK_EQ(parse("quiet console=ttyS0\tmem=64M\n"), 0);
	CHECK_EQ(ba.nopts, 3);
	CHECK_STREQ(bootargs_get(&ba, "quiet"), "");
	CHECK_STREQ(bootargs_get(&ba, "console"), "ttyS0");
	CHECK_STREQ(bootargs_get(&ba, "mem"), "64M");
	CHECK_STREQ(bootargs_get(&ba, "absent"), NULL);
	CHECK_STREQ(bootargs_get(&ba, "consol"), NULL);
	CHECK(bootargs_has(&ba, "quiet"));
	CHECK(!bootargs_has(&ba, "q"));
	CHECK(bootargs_command(&ba) == NULL);

	CHECK_EQ(parse("msg=\"hello   world\" empty=\"\" eq=a=b x="), 0);
	CHECK_STREQ(bootargs_get(&ba, "msg"), "hello   world");
	CHECK_STREQ(bootargs_get(&ba, "empty"), "");
	CHECK_STREQ(bootargs_get(&ba, "eq"), "a=b");
	CHECK_STREQ(bootargs_get(&ba, "x"), "");

	CHECK_EQ(parse("a=1 b a=2"), 0);
	CHECK_STREQ(bootargs_get(&ba, "a"), "2"); /* the last one wins */
	CHECK_EQ(ba.nopts, 3);

	CHECK_EQ(parse("--x a-- ---"), 0); /* "--" counts only as a whole token */
	CHECK_EQ(ba.nopts, 3);
	CHECK(bootargs_has(&ba, "--x") && bootargs_has(&ba, "a--") && bootargs_has(&ba, "---"));
	CHECK(bootargs_command(&ba) == NULL);
}

static void test_command(void)
{
	SECTION("the \"--\" command: kept verbatim, leading whitespace trimmed");
	CHECK_EQ(parse("test=boot -- echo hi"), 0);
	CHECK_STREQ(bootargs_command(&ba), "echo hi");
	CHECK_STREQ(bootargs_get(&ba, "test"), "boot");

	CHECK_EQ(parse("a --   sh -c \"x  y\" -- z=1  "), 0);
	CHECK_STREQ(bootargs_command(&ba), "sh -c \"x  y\" -- z=1  ");
	CHECK_EQ(ba.nopts, 1);
	CHECK(!bootargs_has(&ba, "z"));

	CHECK_EQ(parse("--"), 0);
	CHECK_STREQ(bootargs_command(&ba), "");
	CHECK_EQ(parse("k --  \t"), 0);
	CHECK_STREQ(bootargs_command(&ba), "");
	CHECK_EQ(parse("--\techo"), 0);
	CHECK_STREQ(bootargs_command(&ba), "echo");
	/* Unbalanced quotes after "--" are the shell's business. */
	CHECK_EQ(parse("-- echo \"unterminated"), 0);
	CHECK_STREQ(bootargs_command(&ba), "echo \"unterminated");
}

static void test_errors(void)
{
	char line[700];
	int n;

	SECTION("errors: quotes, empty key, too many, too long; the struct is left empty");
	CHECK_EQ(parse("a k=\"abc"), -BOOTARGS_EQUOTE);
	CHECK_STREQ(err, "bootargs: unterminated or misplaced quote");
	CHECK_EQ(ba.nopts, 0);
	CHECK(bootargs_get(&ba, "a") == NULL);
	CHECK_EQ(parse("k=\"a\"b"), -BOOTARGS_EQUOTE);
	CHECK_EQ(parse("k=a\"b\""), -BOOTARGS_EQUOTE);
	CHECK_EQ(parse("\"k\"=1"), -BOOTARGS_EQUOTE);
	CHECK_EQ(parse("a =v"), -BOOTARGS_EKEY);
	CHECK_STREQ(err, "bootargs: option with an empty key");
	CHECK_EQ(parse("a -- x"), 0);
	CHECK_EQ(parse("a=\"x -- y\" b"), 0); /* "--" inside quotes is a value */
	CHECK_STREQ(bootargs_get(&ba, "a"), "x -- y");
	CHECK(bootargs_command(&ba) == NULL);

	n = 0;
	for (int i = 0; i < 16; i++)
		n += snprintf(line + n, sizeof(line) - (size_t)n, "o%d=%d ", i, i);
	CHECK_EQ(parse(line), 0);
	CHECK_EQ(ba.nopts, 16);
	CHECK_STREQ(bootargs_get(&ba, "o15"), "15");
	snprintf(line + n, sizeof(line) - (size_t)n, "o16 -- cmd");
	CHECK_EQ(parse(line), -BOOTARGS_ETOOMANY);
	CHECK_STREQ(err, "bootargs: more than 16 options");
	CHECK_EQ(ba.nopts, 0);
	CHECK(bootargs_command(&ba) == NULL);

	/* 511 characters plus the NUL fill the 512-byte buffer exactly. */
	memset(line, 'k', 511);
	line[511] = 0;
	CHECK_EQ(bootargs_parse(&ba, line, err, sizeof(err)), 0);
	CHECK(bootargs_has(&ba, line));
	CHECK_EQ(strlen(ba.opts[0].key), 511);
	line[511] = 'k';
	line[512] = 0;
	CHECK_EQ(bootargs_parse(&ba, line, err, sizeof(err)), -BOOTARGS_ETOOLONG);
	CHECK_STREQ(err, "bootargs: line does not fit in 512 bytes");
	/* key + value: 255 + NUL + 255 + NUL = 512 fits; one more does not. */
	memset(line, 'v', 600);
	line[255] = '=';
	line[511] = 0;
	CHECK_EQ(bootargs_parse(&ba, line, err, sizeof(err)), 0);
	CHECK_EQ(strlen(ba.opts[0].value), 255);
	line[511] = 'v';
	line[512] = 0;
	CHECK_EQ(bootargs_parse(&ba, line, err, sizeof(err)), -BOOTARGS_ETOOLONG);
	/* A long command is reported too, never truncated. */
	memcpy(line, "-- ", 3);
	memset(line + 3, 'c', 600);
	line[3 + 511] = 0;
	CHECK_EQ(bootargs_parse(&ba, line, err, sizeof(err)), 0);
	CHECK_EQ(strlen(bootargs_command(&ba)), 511);
	line[3 + 511] = 'c';
	line[3 + 512] = 0;
	CHECK_EQ(bootargs_parse(&ba, line, err, sizeof(err)), -BOOTARGS_ETOOLONG);
	CHECK(bootargs_command(&ba) == NULL);
	/* No err buffer at all is fine. */
	CHECK_EQ(bootargs_parse(&ba, "\"", NULL, 0), -BOOTARGS_EQUOTE);
	char tiny[4];
	CHECK_EQ(bootargs_parse(&ba, "\"", tiny, sizeof(tiny)), -BOOTARGS_EQUOTE);
	CHECK_STREQ(tiny, "boo");
}

static void test_numbers(void)
{
	uint64_t v = 7;

	SECTION("bootargs_get_u64: bases, suffixes, overflow, range, messages");
	CHECK_EQ(parse("n=42 h=0x1F m=16M k=4k g=2G max=18446744073709551615 "
		       "over=18446744073709551616 x=12x hx=0x sfx=0x400000000G flag neg=-1"),
		 0);
	CHECK_EQ(bootargs_get_u64(&ba, "n", 0, 100, &v, err, sizeof(err)), 0);
	CHECK_EQ(v, 42);
	CHECK_STREQ(err, "");
	CHECK_EQ(bootargs_get_u64(&ba, "h", 0, UINT64_MAX, &v, err, sizeof(err)), 0);
	CHECK_EQ(v, 31);
	CHECK_EQ(bootargs_get_u64(&ba, "m", 0, UINT64_MAX, &v, err, sizeof(err)), 0);
	CHECK_EQ(v, 16ULL << 20);
	CHECK_EQ(bootargs_get_u64(&ba, "k", 0, UINT64_MAX, &v, err, sizeof(err)), 0);
	CHECK_EQ(v, 4096);
	CHECK_EQ(bootargs_get_u64(&ba, "g", 0, UINT64_MAX, &v, err, sizeof(err)), 0);
	CHECK_EQ(v, 2ULL << 30);
	CHECK_EQ(bootargs_get_u64(&ba, "max", 0, UINT64_MAX, &v, err, sizeof(err)), 0);
	CHECK_EQ(v, UINT64_MAX);
	v = 7;
	CHECK_EQ(bootargs_get_u64(&ba, "over", 0, UINT64_MAX, &v, err, sizeof(err)),
		 -BOOTARGS_EVALUE);
	CHECK_STREQ(err,
		    "bootargs: over=18446744073709551616 is not a number (or overflows 64 bits)");
	CHECK_EQ(v, 7);
	CHECK_EQ(bootargs_get_u64(&ba, "x", 0, UINT64_MAX, &v, err, sizeof(err)), -BOOTARGS_EVALUE);
	CHECK_EQ(bootargs_get_u64(&ba, "hx", 0, UINT64_MAX, &v, err, sizeof(err)),
		 -BOOTARGS_EVALUE);
	CHECK_EQ(bootargs_get_u64(&ba, "sfx", 0, UINT64_MAX, &v, err, sizeof(err)),
		 -BOOTARGS_EVALUE);
	CHECK_EQ(bootargs_get_u64(&ba, "neg", 0, UINT64_MAX, &v, err, sizeof(err)),
		 -BOOTARGS_EVALUE);
	CHECK_EQ(bootargs_get_u64(&ba, "flag", 0, 1, &v, err, sizeof(err)), -BOOTARGS_EVALUE);
	CHECK_STREQ(err, "bootargs: flag needs a number");
	CHECK_EQ(bootargs_get_u64(&ba, "n", 0, 10, &v, err, sizeof(err)), -BOOTARGS_EVALUE);
	CHECK_STREQ(err, "bootargs: n=42 is out of range [0, 10]");
	CHECK_EQ(bootargs_get_u64(&ba, "n", 43, 50, &v, err, sizeof(err)), -BOOTARGS_EVALUE);
	CHECK_EQ(bootargs_get_u64(&ba, "n", 42, 42, &v, NULL, 0), 0);
	strcpy(err, "untouched");
	CHECK_EQ(bootargs_get_u64(&ba, "absent", 0, 1, &v, err, sizeof(err)), -BOOTARGS_ENOENT);
	CHECK_STREQ(err, "untouched");
	CHECK_EQ(v, 42);
}

/* Random lines: the input stays intact and the result is well-formed. */
static void test_random(int iters)
{
	static const char alphabet[] = "abc= -\t-x=1 yz\"";
	char line[700], copy[700];
	int ok = 0;

	SECTION("%d random lines (seed 0xba5e): input untouched, output well-formed", iters);
	tu_srand(0xba5e);
	for (int i = 0; i < iters; i++) {
		size_t n = tu_rand() % (tu_rand() % 8 ? 120 : 650);
		for (size_t j = 0; j < n; j++)
			line[j] = alphabet[tu_rand() % (sizeof(alphabet) - 1)];
		line[n] = 0;
		memcpy(copy, line, n + 1);
		int rc = bootargs_parse(&ba, line, err, sizeof(err));
		CHECK(memcmp(copy, line, n + 1) == 0);
		if (rc < 0) {
			CHECK(ba.nopts == 0 && ba.command == NULL && err[0]);
			continue;
		}
		ok++;
		CHECK(ba.nopts <= BOOTARGS_MAX_OPTS);
		for (int k = 0; k < ba.nopts; k++) {
			const char *key = ba.opts[k].key, *val = ba.opts[k].value;
			CHECK(key >= ba.buf && key < ba.buf + BOOTARGS_BUFSIZE && key[0]);
			CHECK(val >= ba.buf && val < ba.buf + BOOTARGS_BUFSIZE);
			CHECK(strpbrk(key, " \t=\"") == NULL);
			CHECK(strchr(val, '"') == NULL);
		}
		if (ba.command)
			CHECK(strstr(copy, ba.command) != NULL);
	}
	printf("   %d of %d parsed\n", ok, iters);
	CHECK(ok > 0 && ok < iters);
}

int main(void)
{
	test_options();
	test_command();
	test_errors();
	test_numbers();
	test_random(3000);
	return check_summary("bootargs_test");
}

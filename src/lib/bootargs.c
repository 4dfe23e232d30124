/*
 * bootargs.c: parsing the kernel command line into options and a command.
 *
 * Owns the copy of the line inside struct bootargs. Invariants:
 *  - the input is read left to right, never written, and never past its
 *    NUL; parsing stops at the first byte that does not fit in buf;
 *  - every key, value and the command are NUL-terminated inside buf;
 *  - on any error the struct is left empty (nopts 0, command NULL), so a
 *    caller that ignores the error still sees no half-parsed line.
 * Needs no libc: the string and message helpers are the static ones below.
 */
#include "src/lib/bootargs.h"

/* ---- Error messages ---- */

struct msg {
	char *buf;
	size_t size;
	size_t len;
};

static void msg_str(struct msg *m, const char *s)
{
	while (*s && m->size && m->len + 1 < m->size)
		m->buf[m->len++] = *s++;
	if (m->size)
		m->buf[m->len] = 0;
}

static void msg_dec(struct msg *m, uint64_t v)
{
	char tmp[24];
	int i = sizeof(tmp) - 1;

	tmp[i] = 0;
	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	msg_str(m, tmp + i);
}

/* Start a message: err may be NULL or zero-sized. */
static struct msg msg_start(char *err, size_t errlen)
{
	struct msg m = {err, err ? errlen : 0, 0};

	if (m.size)
		m.buf[0] = 0;
	return m;
}

/* ---- Parsing ---- */

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool str_eq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

/* The parser's state: a read position in the line, a write position in buf. */
struct parser {
	struct bootargs *ba;
	const char *p;
	size_t out;
};

static bool put(struct parser *ps, char c)
{
	if (ps->out >= BOOTARGS_BUFSIZE)
		return false;
	ps->ba->buf[ps->out++] = c;
	return true;
}

static int parse_fail(struct bootargs *ba, int code, const char *what, char *err, size_t errlen)
{
	struct msg m = msg_start(err, errlen);

	ba->nopts = 0;
	ba->command = NULL;
	msg_str(&m, "bootargs: ");
	msg_str(&m, what);
	return -code;
}

/* Whether the line continues with a "--" token. */
static bool at_separator(const char *p)
{
	return p[0] == '-' && p[1] == '-' && (p[2] == 0 || is_space(p[2]));
}

/* Copy the command after "--" verbatim. */
static int parse_command(struct parser *ps)
{
	ps->p += 2;
	while (is_space(*ps->p))
		ps->p++;
	ps->ba->command = ps->ba->buf + ps->out;
	while (*ps->p) {
		if (!put(ps, *ps->p++))
			return -BOOTARGS_ETOOLONG;
	}
	return put(ps, 0) ? 0 : -BOOTARGS_ETOOLONG;
}

/* Copy a value (after '='), removing the quotes around a quoted one. */
static int parse_value(struct parser *ps)
{
	if (*ps->p == '"') {
		ps->p++;
		while (*ps->p != '"') {
			if (*ps->p == 0)
				return -BOOTARGS_EQUOTE;
			if (!put(ps, *ps->p++))
				return -BOOTARGS_ETOOLONG;
		}
		ps->p++;
		if (*ps->p && !is_space(*ps->p))
			return -BOOTARGS_EQUOTE; /* key="a"b */
	} else {
		while (*ps->p && !is_space(*ps->p)) {
			if (*ps->p == '"')
				return -BOOTARGS_EQUOTE; /* key=a"b" */
			if (!put(ps, *ps->p++))
				return -BOOTARGS_ETOOLONG;
		}
	}
	return put(ps, 0) ? 0 : -BOOTARGS_ETOOLONG;
}

/* Parse one `key` or `key=value` option at ps->p. */
static int parse_option(struct parser *ps)
{
	struct bootargs *ba = ps->ba;
	struct bootargs_opt *o;
	int rc;

	if (ba->nopts == BOOTARGS_MAX_OPTS)
		return -BOOTARGS_ETOOMANY;
	o = &ba->opts[ba->nopts];
	o->key = ba->buf + ps->out;
	while (*ps->p && !is_space(*ps->p) && *ps->p != '=') {
		if (*ps->p == '"')
			return -BOOTARGS_EQUOTE;
		if (!put(ps, *ps->p++))
			return -BOOTARGS_ETOOLONG;
	}
	if (o->key == ba->buf + ps->out)
		return -BOOTARGS_EKEY;
	if (!put(ps, 0))
		return -BOOTARGS_ETOOLONG;
	if (*ps->p == '=') {
		ps->p++;
		o->value = ba->buf + ps->out;
		if ((rc = parse_value(ps)) < 0)
			return rc;
	} else {
		o->value = ba->buf + ps->out - 1; /* the key's own NUL: "" */
	}
	ba->nopts++;
	return 0;
}

int bootargs_parse(struct bootargs *ba, const char *line, char *err, size_t errlen)
{
	struct parser ps = {ba, line ? line : "", 0};
	int rc = 0;

	ba->nopts = 0;
	ba->command = NULL;
	ba->buf[0] = 0;
	msg_start(err, errlen);
	for (;;) {
		while (is_space(*ps.p))
			ps.p++;
		if (*ps.p == 0)
			break;
		if (at_separator(ps.p)) {
			rc = parse_command(&ps);
			break;
		}
		if ((rc = parse_option(&ps)) < 0)
			break;
	}
	switch (-rc) {
	case 0:
		return 0;
	case BOOTARGS_ETOOMANY:
		return parse_fail(ba, -rc, "more than 16 options", err, errlen);
	case BOOTARGS_ETOOLONG:
		return parse_fail(ba, -rc, "line does not fit in 512 bytes", err, errlen);
	case BOOTARGS_EQUOTE:
		return parse_fail(ba, -rc, "unterminated or misplaced quote", err, errlen);
	default:
		return parse_fail(ba, -rc, "option with an empty key", err, errlen);
	}
}

/* ---- Lookups ---- */

static const struct bootargs_opt *find(const struct bootargs *ba, const char *key)
{
	/* The last occurrence wins, so search from the end. */
	for (int i = ba->nopts - 1; i >= 0; i--) {
		if (str_eq(ba->opts[i].key, key))
			return &ba->opts[i];
	}
	return NULL;
}

const char *bootargs_get(const struct bootargs *ba, const char *key)
{
	const struct bootargs_opt *o = find(ba, key);

	return o ? o->value : NULL;
}

bool bootargs_has(const struct bootargs *ba, const char *key)
{
	return find(ba, key) != NULL;
}

const char *bootargs_command(const struct bootargs *ba)
{
	return ba->command;
}

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return 99;
}

/* Parse s as a number with an optional K/M/G suffix; false on junk or overflow. */
static bool parse_u64(const char *s, uint64_t *out)
{
	unsigned base = 10, shift = 0;
	uint64_t v = 0;
	int d;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (digit_value(*s) >= (int)base)
		return false;
	while ((d = digit_value(*s)) < (int)base) {
		if (v > (UINT64_MAX - (uint64_t)d) / base)
			return false;
		v = v * base + (uint64_t)d;
		s++;
	}
	if (*s == 'K' || *s == 'k')
		shift = 10;
	else if (*s == 'M' || *s == 'm')
		shift = 20;
	else if (*s == 'G' || *s == 'g')
		shift = 30;
	if (shift) {
		if (v > UINT64_MAX >> shift)
			return false;
		v <<= shift;
		s++;
	}
	*out = v;
	return *s == 0;
}

int bootargs_get_u64(const struct bootargs *ba, const char *key, uint64_t min, uint64_t max,
		     uint64_t *out, char *err, size_t errlen)
{
	const char *v = bootargs_get(ba, key);
	struct msg m;
	uint64_t n;

	if (!v)
		return -BOOTARGS_ENOENT;
	m = msg_start(err, errlen);
	msg_str(&m, "bootargs: ");
	msg_str(&m, key);
	if (*v == 0) {
		msg_str(&m, " needs a number");
		return -BOOTARGS_EVALUE;
	}
	if (!parse_u64(v, &n)) {
		msg_str(&m, "=");
		msg_str(&m, v);
		msg_str(&m, " is not a number (or overflows 64 bits)");
		return -BOOTARGS_EVALUE;
	}
	if (n < min || n > max) {
		msg_str(&m, "=");
		msg_str(&m, v);
		msg_str(&m, " is out of range [");
		msg_dec(&m, min);
		msg_str(&m, ", ");
		msg_dec(&m, max);
		msg_str(&m, "]");
		return -BOOTARGS_EVALUE;
	}
	if (m.size)
		m.buf[0] = 0;
	*out = n;
	return 0;
}

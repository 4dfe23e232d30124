/*
 * bootargs.h: the kernel command line (/chosen/bootargs).
 *
 * Grammar (whitespace = space, tab, CR, LF):
 *	line    := { option } [ "--" command ]
 *	option  := key | key "=" value
 *	key     := one or more characters other than whitespace, '=' and '"'
 *	value   := unquoted | '"' any characters but '"' '"'
 *	unquoted:= characters other than whitespace and '"' (may be empty)
 * "--" counts only as a whole token. Everything after it, leading
 * whitespace trimmed, is a shell command line kept byte for byte.
 *
 * bootargs_parse() copies what it keeps into the struct's own buffer (the
 * device tree's string is never modified) and reports, never truncates,
 * input that does not fit. A later option with the same key overrides an
 * earlier one.
 */
#ifndef KINE_LIB_BOOTARGS_H
#define KINE_LIB_BOOTARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BOOTARGS_MAX_OPTS 16
#define BOOTARGS_BUFSIZE  512 /* keys, values and command, NUL-terminated */

enum bootargs_error {
	BOOTARGS_OK = 0,
	BOOTARGS_ENOENT, /* bootargs_get_u64: no such option (not an error for callers with defaults) */
	BOOTARGS_ETOOMANY, /* more than BOOTARGS_MAX_OPTS options */
	BOOTARGS_ETOOLONG, /* does not fit in BOOTARGS_BUFSIZE */
	BOOTARGS_EQUOTE,   /* unterminated quote, or a quote inside a token */
	BOOTARGS_EKEY,     /* empty key ("=value") */
	BOOTARGS_EVALUE,   /* bootargs_get_u64: not a number, no value, or out of range */
};

struct bootargs_opt {
	const char *key;   /* into buf */
	const char *value; /* into buf; "" for a bare key */
};

struct bootargs {
	char buf[BOOTARGS_BUFSIZE];
	struct bootargs_opt opts[BOOTARGS_MAX_OPTS];
	int nopts;
	const char *command; /* after "--", NULL without "--" */
};

/*
 * Parse `line` (NULL is an empty line) into *ba. Returns 0, or
 * -BOOTARGS_E* with a one-line reason in err[errlen] (err may be NULL).
 * On failure *ba holds no options and no command.
 */
int bootargs_parse(struct bootargs *ba, const char *line, char *err, size_t errlen);

/* The value of option `key`: "" for a bare key, NULL when absent. */
const char *bootargs_get(const struct bootargs *ba, const char *key);

/* Whether option `key` is present (with or without a value). */
bool bootargs_has(const struct bootargs *ba, const char *key);

/*
 * Option `key` as a number in [min, max]: decimal, or hex with 0x, with an
 * optional binary suffix K, M or G (x 2^10, 2^20, 2^30). Returns 0 and sets
 * *out; -BOOTARGS_ENOENT if absent (*out untouched, err untouched); or
 * -BOOTARGS_EVALUE with a reason in err for a bare key, junk, overflow or
 * a value out of range.
 */
int bootargs_get_u64(const struct bootargs *ba, const char *key, uint64_t min, uint64_t max,
		     uint64_t *out, char *err, size_t errlen);

/* The command after "--" (may be ""), or NULL if the line had no "--". */
const char *bootargs_command(const struct bootargs *ba);

#endif

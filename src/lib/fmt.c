/*
 * fmt.c: the formatting engine behind kprintf (see fmt.h for the subset).
 *
 * Output goes through out_char(), which counts every byte but stores only
 * while there is room for the terminator; that one rule gives vsnprintf's
 * truncation and return value. No libc: host tests compare the results
 * with the host's own snprintf.
 */
#include "src/lib/fmt.h"

#include <stdbool.h>
#include <stdint.h>

struct out {
	char *buf;
	size_t size;
	size_t len; /* bytes the full output has so far */
};

/* One conversion specification, as parsed from the format. */
struct spec {
	bool left, zero, alt, space, plus;
	int width;
	int prec;   /* -1: none given */
	int length; /* 'H' hh, 'h', 0, 'l', 'L' ll, 'z', 't', 'j' */
};

static void out_char(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void out_repeat(struct out *o, char c, int n)
{
	while (n-- > 0)
		out_char(o, c);
}

static void out_string(struct out *o, const char *s, const struct spec *sp)
{
	int n = 0;

	if (s == NULL)
		s = "(null)";
	while (s[n] && (sp->prec < 0 || n < sp->prec))
		n++;
	if (!sp->left)
		out_repeat(o, ' ', sp->width - n);
	for (int i = 0; i < n; i++)
		out_char(o, s[i]);
	if (sp->left)
		out_repeat(o, ' ', sp->width - n);
}

/*
 * Print v (with a separate sign) in base, honouring precision (minimum
 * digits), the '#' prefix and zero or space padding to the field width.
 */
static void out_number(struct out *o, uint64_t v, bool negative, bool is_signed, unsigned base,
		       bool upper, const struct spec *sp)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24], prefix[3];
	int ndigits = 0, nprefix = 0, nzeros, pad;

	while (v != 0) {
		tmp[ndigits++] = digits[v % base];
		v /= base;
	}
	/* C: a zero value with precision 0 prints no digits at all. */
	if (ndigits == 0 && sp->prec != 0)
		tmp[ndigits++] = '0';

	if (is_signed && negative)
		prefix[nprefix++] = '-';
	else if (is_signed && sp->plus)
		prefix[nprefix++] = '+';
	else if (is_signed && sp->space)
		prefix[nprefix++] = ' ';
	if (sp->alt && base == 16 && ndigits > 0 && !(ndigits == 1 && tmp[0] == '0')) {
		prefix[nprefix++] = '0';
		prefix[nprefix++] = upper ? 'X' : 'x';
	}
	if (sp->alt && base == 8 && (ndigits == 0 || tmp[ndigits - 1] != '0') &&
	    sp->prec <= ndigits)
		tmp[ndigits++] = '0';

	nzeros = sp->prec > ndigits ? sp->prec - ndigits : 0;
	pad = sp->width - nprefix - nzeros - ndigits;
	/* '0' pads with zeros after the prefix, unless '-' or a precision. */
	if (sp->zero && !sp->left && sp->prec < 0) {
		nzeros += pad > 0 ? pad : 0;
		pad = 0;
	}
	if (!sp->left)
		out_repeat(o, ' ', pad);
	for (int i = 0; i < nprefix; i++)
		out_char(o, prefix[i]);
	out_repeat(o, '0', nzeros);
	while (ndigits > 0)
		out_char(o, tmp[--ndigits]);
	if (sp->left)
		out_repeat(o, ' ', pad);
}

static int64_t arg_signed(va_list *ap, int length)
{
	switch (length) {
	case 'H':
		return (signed char)va_arg(*ap, int);
	case 'h':
		return (short)va_arg(*ap, int);
	case 'l':
		return va_arg(*ap, long);
	case 'L':
		return va_arg(*ap, long long);
	case 'z':
	case 't':
		return va_arg(*ap, long); /* ssize_t and ptrdiff_t are long on LP64 */
	case 'j':
		return va_arg(*ap, int64_t);
	default:
		return va_arg(*ap, int);
	}
}

static uint64_t arg_unsigned(va_list *ap, int length)
{
	switch (length) {
	case 'H':
		return (unsigned char)va_arg(*ap, unsigned int);
	case 'h':
		return (unsigned short)va_arg(*ap, unsigned int);
	case 'l':
		return va_arg(*ap, unsigned long);
	case 'L':
		return va_arg(*ap, unsigned long long);
	case 'z':
	case 't':
		return va_arg(*ap, size_t);
	case 'j':
		return va_arg(*ap, uint64_t);
	default:
		return va_arg(*ap, unsigned int);
	}
}

/* Parse flags, width, precision and length; return the conversion char. */
static const char *parse_spec(const char *f, va_list *ap, struct spec *sp)
{
	*sp = (struct spec){.prec = -1};
	for (;; f++) {
		if (*f == '-')
			sp->left = true;
		else if (*f == '0')
			sp->zero = true;
		else if (*f == '#')
			sp->alt = true;
		else if (*f == ' ')
			sp->space = true;
		else if (*f == '+')
			sp->plus = true;
		else
			break;
	}
	if (*f == '*') {
		sp->width = va_arg(*ap, int);
		if (sp->width < 0) {
			sp->left = true;
			sp->width = -sp->width;
		}
		f++;
	}
	while (*f >= '0' && *f <= '9')
		sp->width = sp->width * 10 + (*f++ - '0');
	if (*f == '.') {
		f++;
		sp->prec = 0;
		if (*f == '*') {
			sp->prec = va_arg(*ap, int);
			if (sp->prec < 0)
				sp->prec = -1;
			f++;
		}
		while (*f >= '0' && *f <= '9')
			sp->prec = sp->prec * 10 + (*f++ - '0');
	}
	if (f[0] == 'h' && f[1] == 'h') {
		sp->length = 'H';
		f += 2;
	} else if (f[0] == 'l' && f[1] == 'l') {
		sp->length = 'L';
		f += 2;
	} else if (*f == 'h' || *f == 'l' || *f == 'z' || *f == 't' || *f == 'j') {
		sp->length = *f++;
	}
	return f;
}

static bool is_conversion(char c)
{
	switch (c) {
	case 'd':
	case 'i':
	case 'u':
	case 'x':
	case 'X':
	case 'o':
	case 'p':
	case 'c':
	case 's':
		return true;
	default:
		return false;
	}
}

static void convert(struct out *o, char conv, struct spec *sp, va_list *ap)
{
	int64_t s;
	char c;

	switch (conv) {
	case 'd':
	case 'i':
		s = arg_signed(ap, sp->length);
		out_number(o, s < 0 ? -(uint64_t)s : (uint64_t)s, s < 0, true, 10, false, sp);
		break;
	case 'u':
		out_number(o, arg_unsigned(ap, sp->length), false, false, 10, false, sp);
		break;
	case 'x':
	case 'X':
		out_number(o, arg_unsigned(ap, sp->length), false, false, 16, conv == 'X', sp);
		break;
	case 'o':
		out_number(o, arg_unsigned(ap, sp->length), false, false, 8, false, sp);
		break;
	case 'p':
		sp->alt = true;
		out_number(o, (uintptr_t)va_arg(*ap, void *), false, false, 16, false, sp);
		break;
	case 'c':
		c = (char)va_arg(*ap, int);
		if (!sp->left)
			out_repeat(o, ' ', sp->width - 1);
		out_char(o, c);
		if (sp->left)
			out_repeat(o, ' ', sp->width - 1);
		break;
	case 's':
		out_string(o, va_arg(*ap, const char *), sp);
		break;
	default:
		break;
	}
}

int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = {.buf = buf, .size = size, .len = 0};
	struct spec sp;
	va_list args;

	va_copy(args, ap);
	while (*fmt) {
		if (*fmt != '%') {
			out_char(&o, *fmt++);
			continue;
		}
		const char *start = fmt++;
		if (*fmt == '%') {
			out_char(&o, *fmt++);
			continue;
		}
		fmt = parse_spec(fmt, &args, &sp);
		if (is_conversion(*fmt)) {
			convert(&o, *fmt++, &sp, &args);
			continue;
		}
		/* Unknown or truncated conversion: show it as written. */
		while (start < fmt)
			out_char(&o, *start++);
	}
	va_end(args);
	if (size > 0)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)o.len;
}

int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = fmt_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

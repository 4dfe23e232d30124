/*
 * ls.c: the files of the boot image (kine has no other file system), one
 * a line: "NAME SIZE", or with -l "MODE SIZE NAME", MODE as ls -l spells
 * it (-rwxr-xr-x). With names, only those files, in the order given; a
 * name the image lacks is an error (status 1) after the others are
 * listed. They come from the bootfile system call (kine/bootfile.h),
 * file by file.
 *
 * help: the files of the boot image with their sizes (-l: the mode too)
 */
#include "kine/user.h"

static void usage(void)
{
	fprintf(2, "usage: ls [-l] [FILE...]\n");
}

static void print(const struct kine_bootfile *f, int long_form)
{
	static const char rwx[] = "rwxrwxrwx";
	char mode[11];

	if (!long_form) {
		printf("%-16s %8lu\n", f->name, (unsigned long)f->size);
		return;
	}
	mode[0] = (f->mode & 0170000) == 0040000 ? 'd' : '-';
	for (int i = 0; i < 9; i++)
		mode[1 + i] = (f->mode & (0400u >> i)) ? rwx[i] : '-';
	mode[10] = '\0';
	printf("%s %8lu %s\n", mode, (unsigned long)f->size, f->name);
}

/* Every file (name NULL) or the one named: 0, 1 if none was found, 2 on an error. */
static int list(const char *name, int long_form)
{
	struct kine_bootfile f;
	int err, found = 0;

	for (int i = 0; (err = bootfile(i, &f)) == 0; i++) {
		if (name == NULL || strcmp(name, f.name) == 0) {
			print(&f, long_form);
			found = 1;
			if (name != NULL)
				return 0;
		}
	}
	if (err != -ENOENT) {
		fprintf(2, "ls: cannot read the boot image's list (error %d)\n", err);
		return 2;
	}
	if (name != NULL && !found) {
		fprintf(2, "ls: %s: no such file in the boot image\n", name);
		return 1;
	}
	return 0;
}

int main(int argc, char *argv[])
{
	int long_form = 0, i = 1, status = 0;

	if (argc > 1 && argv[1][0] == '-') {
		if (strcmp(argv[1], "-l") != 0) {
			usage();
			return 2;
		}
		long_form = 1;
		i = 2;
	}
	for (int j = i; j < argc; j++) {
		if (argv[j][0] == '-') {
			usage();
			return 2;
		}
	}
	if (i == argc)
		return list(NULL, long_form) != 0;
	for (; i < argc; i++)
		if (list(argv[i][0] == '/' ? argv[i] + 1 : argv[i], long_form) != 0)
			status = 1;
	return status;
}

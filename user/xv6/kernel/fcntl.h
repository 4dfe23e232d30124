/*
 * kernel/fcntl.h (xv6 compatibility): open's flags, xv6's values.
 *
 * They live in kine's user/include/kine/stat.h. kine's open serves the
 * read-only files of the boot image: anything but O_RDONLY fails (-1).
 */
#ifndef KINE_XV6_KERNEL_FCNTL_H
#define KINE_XV6_KERNEL_FCNTL_H

#include "user/include/kine/stat.h"

#endif

/*
 * kernel/stat.h (xv6 compatibility): struct stat and the T_* file types.
 *
 * kine's own fstat already fills xv6's layout (user/include/kine/stat.h),
 * so this is that header. It adds T_PIPE (either end of a pipe), which
 * xv6 does not have; there are no directories (T_DIR) in kine's flat boot
 * image.
 */
#ifndef KINE_XV6_KERNEL_STAT_H
#define KINE_XV6_KERNEL_STAT_H

#include "kernel/types.h"
#include "user/include/kine/stat.h"

#endif

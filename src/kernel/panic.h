/*
 * panic.h: panic state the console needs to consult.
 */
#ifndef KINE_KERNEL_PANIC_H
#define KINE_KERNEL_PANIC_H

#include <stdbool.h>

bool panic_in_progress(void);
bool panic_is_this_hart(void);

#endif

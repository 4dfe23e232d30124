/*
 * phys.c: the direct map's offset (see phys.h for who sets it and when).
 */
#include "src/mm/phys.h"

uintptr_t phys_map_offset;

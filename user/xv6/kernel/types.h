/*
 * kernel/types.h (xv6 compatibility): the short integer type names xv6
 * code uses everywhere. Same widths as on xv6 (RV64: int 32 bits, long
 * 64). Unlike xv6's, every header of this layer has an include guard and
 * includes what it needs, so the order of includes does not matter.
 */
#ifndef KINE_XV6_KERNEL_TYPES_H
#define KINE_XV6_KERNEL_TYPES_H

typedef unsigned int uint;
typedef unsigned short ushort;
typedef unsigned char uchar;

typedef unsigned char uint8;
typedef unsigned short uint16;
typedef unsigned int uint32;
typedef unsigned long uint64;

typedef uint64 pde_t;

#endif

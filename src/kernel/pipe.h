/*
 * pipe.h: pipes: a byte stream between a writer and a reader.
 */
#ifndef KINE_KERNEL_PIPE_H
#define KINE_KERNEL_PIPE_H

#include <stdbool.h>
#include <stdint.h>

struct file;
struct pipe;
struct mm;

/* Make a pipe: *rd and *wr are its two ends (refcount 1 each). 0 or -ENOMEM. */
int pipe_create(struct file **rd, struct file **wr);

/* Called by file_put when the last reference to one end goes. */
void pipe_close(struct pipe *p, bool writer);

/*
 * Read up to n bytes into user memory: blocks until there is data or no
 * writer is left (then 0: end of file).
 */
long pipe_read(struct pipe *p, struct mm *mm, uintptr_t ubuf, long n, const bool *killed);

/*
 * Write n bytes from user memory: blocks while the pipe is full; -EPIPE
 * once no reader is left.
 */
long pipe_write(struct pipe *p, struct mm *mm, uintptr_t ubuf, long n, const bool *killed);

#endif

/*
 * pt_frames.c: page-table pages come from the frame allocator.
 *
 * pagetable.c asks for table pages through pt_page_alloc()/pt_page_free()
 * so that the host tests can give it an arena instead; in the kernel they
 * are zeroed order-0 frames.
 */
#include "src/mm/frame.h"
#include "src/mm/pagetable.h"

paddr_t pt_page_alloc(void)
{
	return frame_alloc_zeroed(0);
}

void pt_page_free(paddr_t pa)
{
	frame_free(pa, 0);
}

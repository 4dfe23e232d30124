/*
 * slab_test: kmalloc/kfree: the size classes, alignment and non-overlap
 * of objects, slab counts as slabs fill and empty, reuse of freed objects,
 * the one kept empty slab and its release on settle, whole-block requests
 * above the largest class, and the fatal reports of bad frees.
 */
#include <stdlib.h>

#include "src/mm/frame.h"
#include "src/mm/memstat.h"
#include "src/mm/slab.h"
#include "test/host/check.h"
#include "test/host/mm_shim.h"

#define BASE 0x80000000ull
#define MiB  (1ull << 20)

static struct physmem pm;

static void fresh(void)
{
	shim_set_hart(0);
	shim_arena(&pm, BASE, 16 * MiB, NULL, 0);
	frames_init(&pm);
	slab_init();
}

static void test_classes(void)
{
	SECTION("size classes");
	CHECK_EQ(SLAB_NCLASSES, 8);
	CHECK_EQ(slab_class_of(1), 0);
	CHECK_EQ(slab_class_of(16), 0);
	CHECK_EQ(slab_class_of(17), 1);
	CHECK_EQ(slab_class_of(100), 3);
	CHECK_EQ(slab_class_of(2048), 7);
	fresh();
	CHECK(kmalloc(0) == NULL);
	CHECK(kmalloc(KMALLOC_MAX_SIZE + 1) == NULL);
}

/* Fill one slab and one object more, for every class; then free all. */
static void test_fill(void)
{
	uint64_t free0;

	SECTION("every class: alignment, no overlap, slab counts, settle");
	fresh();
	free0 = memstat_free_frames();
	for (unsigned cls = 0; cls < SLAB_NCLASSES; cls++) {
		size_t size = (size_t)16 << cls, per = PAGE_SIZE / size, bad = 0;
		uint8_t **obj = calloc(per + 1, sizeof(*obj));
		struct slab_stats st;

		for (size_t i = 0; i <= per; i++) {
			obj[i] = kmalloc(size);
			CHECK(obj[i] != NULL);
			bad += (uintptr_t)obj[i] % size != 0;
			memset(obj[i], (int)i, size);
		}
		for (size_t i = 1; i < per; i++) /* the first slab is one page */
			bad += PAGE_ALIGN_DOWN(virt_to_phys(obj[i])) !=
			       PAGE_ALIGN_DOWN(virt_to_phys(obj[0]));
		for (size_t i = 0; i <= per; i++)
			for (size_t k = 0; k < size; k++)
				bad += obj[i][k] != (uint8_t)i;
		CHECK_EQ(bad, 0);
		slab_read(cls, &st);
		CHECK_EQ(st.size, size);
		CHECK_EQ(st.slabs, 2);
		CHECK_EQ(st.objects, per + 1);
		CHECK(pa_to_frame(virt_to_phys(obj[0]))->flags & FRAME_F_SLAB);
		CHECK_EQ(pa_to_frame(virt_to_phys(obj[0]))->slab_class, cls);
		for (size_t i = 0; i <= per; i++)
			kfree(obj[i]);
		slab_read(cls, &st);
		CHECK_EQ(st.objects, 0);
		CHECK_EQ(st.slabs, 1); /* one empty slab is kept, the other released */
		free(obj);
	}
	CHECK_EQ(memstat_free_frames(), free0); /* settle releases the kept ones */
	for (unsigned cls = 0; cls < SLAB_NCLASSES; cls++) {
		struct slab_stats st;

		slab_read(cls, &st);
		CHECK_EQ(st.slabs, 0);
	}
}

static void test_reuse(void)
{
	void *a, *b, *c;

	SECTION("a freed object is reused first");
	fresh();
	a = kmalloc(64);
	b = kmalloc(64);
	kfree(a);
	c = kmalloc(50);
	CHECK(c == a);
	kfree(b);
	kfree(c);
	CHECK(kzalloc(40) != NULL); /* and kzalloc zeroes what it returns */
}

static void test_large(void)
{
	uint64_t free0;
	uint8_t *p;
	struct frame *f;

	SECTION("requests above the largest class get whole blocks");
	fresh();
	free0 = memstat_free_frames();
	p = kmalloc(5000);
	CHECK(p != NULL);
	CHECK_EQ(virt_to_phys(p) % (2 * PAGE_SIZE), 0);
	f = pa_to_frame(virt_to_phys(p));
	CHECK_EQ(f->order, 1);
	CHECK(f->flags & FRAME_F_KMALLOC);
	memset(p, 1, 5000);
	kfree(p);
	p = kmalloc(KMALLOC_MAX_SIZE);
	CHECK(p != NULL);
	kfree(p);
	CHECK_EQ(memstat_free_frames(), free0);
}

static void free_misaligned(void *arg)
{
	char *p = kmalloc(32);

	(void)arg;
	kfree(p + 8);
}

static void free_not_kmalloc(void *arg)
{
	(void)arg;
	kfree(phys_to_virt(frame_alloc(0)));
}

static void free_twice_emptied(void *arg)
{
	void *p = kmalloc(32), *q = kmalloc(32);

	(void)arg;
	kfree(p);
	kfree(q);
	kfree(q); /* the slab is empty now: nothing is in use */
}

static void test_bad_frees(void)
{
	char msg[512];

	SECTION("bad frees are fatal");
	fresh();
	CHECK(shim_death(free_misaligned, NULL, msg, sizeof(msg)));
	printf("  %s\n", msg);
	CHECK(strstr(msg, "not an allocated 32-byte object") != NULL);
	CHECK(shim_death(free_not_kmalloc, NULL, msg, sizeof(msg)));
	printf("  %s\n", msg);
	CHECK(strstr(msg, "not returned by kmalloc") != NULL);
	CHECK(shim_death(free_twice_emptied, NULL, msg, sizeof(msg)));
	printf("  %s\n", msg);
	CHECK(strstr(msg, "kfree") != NULL);
}

int main(void)
{
	test_classes();
	test_fill();
	test_reuse();
	test_large();
	test_bad_frees();
	return check_summary("slab_test");
}

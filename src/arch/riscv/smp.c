/*
 * smp.c: from the device tree's cpu nodes to running harts.
 *
 * The boot hart starts every other usable hart with SBI HSM hart_start at
 * secondary_entry, passing the hart's struct hart as the opaque argument
 * (entry.S loads the stack from it and puts it in tp). A hart that a boot
 * loader released into _start instead has stopped itself through HSM (see
 * entry.S) and is started the same way once it reads STOPPED; without HSM
 * it waits in entry.S until the boot hart writes its struct hart into
 * entry_release[]. A hart that reads STOPPED before it has even entered
 * _start (a vCPU the host starved) takes that start as pending, then enters
 * _start late and stops itself: the boot hart sees it STOPPED again and
 * starts it again (smp_restart_lost). Harts whose node is disabled or has
 * no MMU (hart 0 of a SiFive FU540/FU740) are never started.
 *
 * The wait is bounded. A hart still missing at its end is given up on: one
 * compare-and-swap on its online word decides between its arrival and the
 * boot hart's giving up (hart.h), so it either joins before the boot goes
 * on or never (it halts), and the boot then ends with a FAIL verdict.
 */
#include "src/arch/riscv/smp.h"

#include "src/arch/riscv/entry.h"
#include "src/arch/riscv/machine.h"
#include "src/arch/riscv/memlayout.h"
#include "src/arch/riscv/mmu.h"
#include "src/arch/riscv/platform.h"
#include "src/arch/riscv/plic.h"
#include "src/arch/riscv/sbi.h"
#include "src/arch/riscv/timer.h"
#include "src/arch/riscv/trap.h"
#include "src/base/assert.h"
#include "src/base/kprintf.h"
#include "src/base/panic.h"
#include "src/sched/hart.h"
#include "src/sched/thread.h"

/*
 * How long the boot hart waits for the other harts, in seconds of platform
 * time. Under QEMU without -icount that is host time, and a vCPU thread of
 * a heavily loaded host has been seen to need more than 10 s.
 */
#define SMP_START_TIMEOUT_S 30

extern char _start[], secondary_entry[];
extern uint32_t entry_hsm_stop, entry_release_wfi;
extern uint64_t entry_arrived[KINE_MAX_HARTS];
extern struct hart *entry_release[KINE_MAX_HARTS];

/* late_hart=N (struct smp_start): set before the harts start, read-only after. */
static int smp_late_hart;

static void smp_add_hart(const struct platform_hart *ph, bool force_sbi_timer)
{
	int i = nharts++;

	hart_setup(i, ph->hartid);
	harts[i].arch.plic_context = ph->plic_s_context;
	harts[i].arch.sstc = ph->has_sstc && !force_sbi_timer;
}

void smp_init_harts(const struct platform *plat, uint32_t boot_hartid, bool force_sbi_timer)
{
	const struct platform_hart *boot = platform_hart(plat, boot_hartid);
	bool any_u74 = false;

	if (boot == NULL || !boot->usable)
		panic("boot hart %u is not a usable hart of the device tree", boot_hartid);
	nharts = 0;
	smp_add_hart(boot, force_sbi_timer);
	for (int i = 0; i < plat->nharts; i++) {
		const struct platform_hart *ph = &plat->harts[i];

		if (!ph->usable || ph->hartid == boot_hartid)
			continue;
		if (nharts == MAX_HARTS) {
			kprintf("kine: more than %d usable harts: hart %u and later stay off\n",
				MAX_HARTS, ph->hartid);
			break;
		}
		smp_add_hart(ph, force_sbi_timer);
	}
	/* One flag for all: the TLB code must not depend on which hart flushes. */
	for (int i = 0; i < plat->nharts; i++)
		any_u74 |= plat->harts[i].usable && plat->harts[i].sifive_u74;
	mmu_errata_init(any_u74);
}

/*
 * A hart waiting in entry.S without HSM: hand it its struct hart, and
 * wake it with an IPI if it waits in wfi (entry_release_wfi).
 */
static bool smp_release_spinning(struct hart *h)
{
	for (int t = 1; t < KINE_MAX_HARTS; t++) {
		if (__atomic_load_n(&entry_arrived[t], __ATOMIC_ACQUIRE) == h->hartid + 1ul) {
			__atomic_store_n(&entry_release[t], h, __ATOMIC_SEQ_CST);
			if (__atomic_load_n(&entry_release_wfi, __ATOMIC_RELAXED) != 0) {
				long err = sbi_send_ipi(1, h->hartid);

				if (err != SBI_SUCCESS)
					kprintf("kine: hart %u: release IPI: %s\n", h->hartid,
						sbi_error_name(err));
			}
			return true;
		}
	}
	return false;
}

enum start_result { START_WAIT, START_DONE, START_FAILED };

/* Lost starts redone per hart, at most (smp_restart_lost). */
#define SMP_RESTARTS_MAX 3

static enum start_result smp_try_start(struct hart *h, bool spin_release)
{
	struct sbiret r;

	if (spin_release || !sbi_has.hsm)
		return smp_release_spinning(h) ? START_DONE : START_WAIT;
	r = sbi_hart_get_status(h->hartid);
	if (r.error != SBI_SUCCESS) {
		kprintf("kine: hart %u: hart_get_status: %s\n", h->hartid, sbi_error_name(r.error));
		return START_FAILED;
	}
	/* Released into _start by a loader: wait until it has stopped itself. */
	if (r.value != SBI_HSM_STOPPED)
		return START_WAIT;
	/* The hart starts with the MMU off: the entry's physical address. */
	r = sbi_hart_start(h->hartid, KERNEL_IMAGE_PA(secondary_entry), (uintptr_t)h);
	if (r.error != SBI_SUCCESS) {
		kprintf("kine: hart %u: hart_start: %s\n", h->hartid, sbi_error_name(r.error));
		return START_FAILED;
	}
	return START_DONE;
}

/*
 * A hart we started with hart_start that reads STOPPED again, not online:
 * our start was lost. QEMU's firmware lets every hart into _start at
 * reset, and a hart whose vCPU the host starved that long reads STOPPED
 * before it has even arrived; it takes our start as pending, then enters
 * _start late, loses the entry lottery and stops itself (entry.S), the
 * only way a hart kine started goes back to STOPPED. Start it again.
 * START_DONE while it may still come; START_FAILED once it has been
 * restarted SMP_RESTARTS_MAX times, or the firmware refuses.
 */
static enum start_result smp_restart_lost(struct hart *h, int *restarts)
{
	struct sbiret r = sbi_hart_get_status(h->hartid);

	if (r.error != SBI_SUCCESS || r.value != SBI_HSM_STOPPED || hart_is_online(h))
		return START_DONE;
	if (*restarts == SMP_RESTARTS_MAX)
		return START_FAILED;
	(*restarts)++;
	kprintf("kine: hart %u stopped itself after its start (it entered _start late): "
		"starting it again\n",
		h->hartid);
	r = sbi_hart_start(h->hartid, KERNEL_IMAGE_PA(secondary_entry), (uintptr_t)h);
	if (r.error != SBI_SUCCESS) {
		kprintf("kine: hart %u: hart_start: %s\n", h->hartid, sbi_error_name(r.error));
		return START_FAILED;
	}
	return START_DONE;
}

/*
 * Send every other hart into _start, as a loader releasing them would.
 * With wfi_release, the harts that wait in entry.S wait in wfi for an IPI
 * instead of spinning (see smp.h).
 */
static void smp_simulate_release(uint64_t dtb_phys, bool spin_release, bool wfi_release)
{
	if (spin_release)
		__atomic_store_n(&entry_hsm_stop, 0, __ATOMIC_RELEASE);
	if (spin_release && wfi_release)
		__atomic_store_n(&entry_release_wfi, 1, __ATOMIC_RELEASE);
	for (int i = 1; i < nharts; i++) {
		struct sbiret r =
		    sbi_hart_start(harts[i].hartid, KERNEL_IMAGE_PA(_start), dtb_phys);

		if (r.error != SBI_SUCCESS)
			kprintf("kine: hart %u: release into _start: %s\n", harts[i].hartid,
				sbi_error_name(r.error));
	}
}

/*
 * Stop waiting for the harts that have not arrived, and say so. A hart
 * that arrives later finds itself given up on and stays off.
 */
static void smp_give_up_missing(void)
{
	for (int i = 1; i < nharts; i++) {
		struct sbiret r;

		if (!hart_give_up(&harts[i]))
			continue; /* online, if only just */
		r = sbi_hart_get_status(harts[i].hartid);
		kprintf("kine: hart %u did not come online (HSM state %s)\n", harts[i].hartid,
			r.error == SBI_SUCCESS ? sbi_hsm_state_name(r.value)
					       : sbi_error_name(r.error));
	}
}

/* How many harts lost the entry lottery (took a ticket after the boot hart). */
static int smp_count_arrivals(void)
{
	int n = 0;

	for (int t = 1; t < KINE_MAX_HARTS; t++)
		n += __atomic_load_n(&entry_arrived[t], __ATOMIC_ACQUIRE) != 0;
	return n;
}

/* Is some hart neither online nor given up on (nor held back on purpose)? */
static bool smp_any_pending(const enum start_result *state)
{
	for (int i = 1; i < nharts; i++)
		if (state[i] != START_FAILED && i != smp_late_hart && !hart_is_online(&harts[i]))
			return true;
	return false;
}

int smp_start_harts(uint64_t dtb_phys, const struct smp_start *how)
{
	enum start_result state[MAX_HARTS] = {0};
	int restarts[MAX_HARTS] = {0};
	uint64_t deadline = arch_time() + SMP_START_TIMEOUT_S * timer_timebase_hz();
	int online;

	assert(how->late_hart >= 0 && how->late_hart < nharts);
	smp_late_hart = how->late_hart;
	if (!sbi_has.hsm && !how->spin_release)
		kprintf("kine: firmware has no SBI HSM: only harts a loader released can run\n");
	if (how->simulate_release)
		smp_simulate_release(dtb_phys, how->spin_release, how->wfi_release);
	for (;;) {
		for (int i = 1; i < nharts; i++) {
			if (state[i] == START_WAIT)
				state[i] = smp_try_start(&harts[i], how->spin_release);
			else if (state[i] == START_DONE && !how->spin_release && sbi_has.hsm)
				state[i] = smp_restart_lost(&harts[i], &restarts[i]);
		}
		if (!smp_any_pending(state) || arch_time() > deadline)
			break;
		arch_cpu_relax();
	}
	online = harts_online();
	if (online != nharts) {
		smp_give_up_missing();
		online = harts_online();
	}
	if (how->simulate_release)
		kprintf("kine: %d harts entered through _start and were brought up from there\n",
			smp_count_arrivals());
	return online;
}

void secondary_main(unsigned long hartid, void *hart)
{
	struct hart *h = hart;

	assert(h == this_hart() && h->hartid == hartid);
	trap_init_hart();
	h->arch.asid_bits = mmu_probe_asid_bits();
	timer_init_hart();
	plic_init_hart();
	if (h->index != 0 && h->index == smp_late_hart)
		while (hart_is_pending(h))
			arch_cpu_relax();
	if (!hart_set_online()) {
		kprintf(
		    "kine: hart %lu arrived after the boot hart stopped waiting; it stays off\n",
		    hartid);
		arch_halt();
	}
	scheduler();
}

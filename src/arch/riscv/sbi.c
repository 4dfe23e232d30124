/*
 * sbi.c: the SBI calling convention, extension probing and error names.
 *
 * An SBI call is an ecall with the extension in a7, the function in a6 and
 * arguments in a0-a5; the firmware answers with an error in a0 and a value
 * in a1. Legacy (v0.1) calls return only a0. OpenSBI 1.1 (QEMU 7.2's
 * -bios default) implements spec 1.0 and lacks DBCN, so the console falls
 * back to the legacy putchar, which every OpenSBI still offers.
 */
#include "src/arch/riscv/sbi.h"

#include "src/base/kprintf.h"

struct sbi_features sbi_has;

static struct sbiret sbi_call(unsigned long ext, unsigned long fid, unsigned long a0,
			      unsigned long a1, unsigned long a2, unsigned long a3,
			      unsigned long a4)
{
	register unsigned long r_a0 __asm__("a0") = a0;
	register unsigned long r_a1 __asm__("a1") = a1;
	register unsigned long r_a2 __asm__("a2") = a2;
	register unsigned long r_a3 __asm__("a3") = a3;
	register unsigned long r_a4 __asm__("a4") = a4;
	register unsigned long r_a6 __asm__("a6") = fid;
	register unsigned long r_a7 __asm__("a7") = ext;

	__asm__ volatile("ecall"
			 : "+r"(r_a0), "+r"(r_a1)
			 : "r"(r_a2), "r"(r_a3), "r"(r_a4), "r"(r_a6), "r"(r_a7)
			 : "memory");
	return (struct sbiret){.error = (long)r_a0, .value = (long)r_a1};
}

static long sbi_legacy_call(unsigned long ext, unsigned long a0)
{
	return sbi_call(ext, 0, a0, 0, 0, 0, 0).error;
}

static bool sbi_probe(unsigned long ext)
{
	struct sbiret r = sbi_call(SBI_EXT_BASE, 3, ext, 0, 0, 0, 0);

	return r.error == SBI_SUCCESS && r.value != 0;
}

/*
 * Runs on the boot hart before any other hart exists. SBI 0.1 firmware has
 * no BASE extension at all: get_spec_version then fails and every
 * extension reads as absent, leaving the legacy calls.
 */
void sbi_init(void)
{
	struct sbiret r = sbi_call(SBI_EXT_BASE, 0, 0, 0, 0, 0, 0);

	if (r.error != SBI_SUCCESS)
		return;
	sbi_has.spec_version = r.value;
	sbi_has.impl_id = sbi_call(SBI_EXT_BASE, 1, 0, 0, 0, 0, 0).value;
	sbi_has.impl_version = sbi_call(SBI_EXT_BASE, 2, 0, 0, 0, 0, 0).value;
	sbi_has.time = sbi_probe(SBI_EXT_TIME);
	sbi_has.ipi = sbi_probe(SBI_EXT_IPI);
	sbi_has.rfence = sbi_probe(SBI_EXT_RFENCE);
	sbi_has.hsm = sbi_probe(SBI_EXT_HSM);
	sbi_has.srst = sbi_probe(SBI_EXT_SRST);
}

static const char *sbi_impl_name(long id)
{
	switch (id) {
	case 0:
		return "BBL";
	case 1:
		return "OpenSBI";
	case 2:
		return "Xvisor";
	case 3:
		return "KVM";
	case 4:
		return "RustSBI";
	case 5:
		return "Diosix";
	default:
		return "unknown";
	}
}

void sbi_print_features(void)
{
	long v = sbi_has.spec_version;

	kprintf("kine: sbi: spec %ld.%ld, %s %ld.%ld; TIME %s IPI %s RFENCE %s HSM %s SRST %s\n",
		(v >> 24) & 0x7f, v & 0xffffff, sbi_impl_name(sbi_has.impl_id),
		sbi_has.impl_version >> 16, sbi_has.impl_version & 0xffff,
		sbi_has.time ? "yes" : "no (legacy)", sbi_has.ipi ? "yes" : "no (legacy)",
		sbi_has.rfence ? "yes" : "no (legacy)", sbi_has.hsm ? "yes" : "NO",
		sbi_has.srst ? "yes" : "no (legacy)");
}

const char *sbi_error_name(long error)
{
	switch (error) {
	case SBI_SUCCESS:
		return "SUCCESS";
	case SBI_ERR_FAILED:
		return "ERR_FAILED";
	case SBI_ERR_NOT_SUPPORTED:
		return "ERR_NOT_SUPPORTED";
	case SBI_ERR_INVALID_PARAM:
		return "ERR_INVALID_PARAM";
	case SBI_ERR_DENIED:
		return "ERR_DENIED";
	case SBI_ERR_INVALID_ADDRESS:
		return "ERR_INVALID_ADDRESS";
	case SBI_ERR_ALREADY_AVAILABLE:
		return "ERR_ALREADY_AVAILABLE";
	case SBI_ERR_ALREADY_STARTED:
		return "ERR_ALREADY_STARTED";
	case SBI_ERR_ALREADY_STOPPED:
		return "ERR_ALREADY_STOPPED";
	default:
		return "ERR_UNKNOWN";
	}
}

const char *sbi_hsm_state_name(long state)
{
	switch (state) {
	case SBI_HSM_STARTED:
		return "STARTED";
	case SBI_HSM_STOPPED:
		return "STOPPED";
	case SBI_HSM_START_PENDING:
		return "START_PENDING";
	case SBI_HSM_STOP_PENDING:
		return "STOP_PENDING";
	case SBI_HSM_SUSPENDED:
		return "SUSPENDED";
	default:
		return "UNKNOWN";
	}
}

void sbi_console_putchar(int c)
{
	sbi_legacy_call(SBI_LEGACY_CONSOLE_PUTCHAR, (unsigned long)c);
}

long sbi_set_timer(uint64_t stime_value)
{
	if (sbi_has.time)
		return sbi_call(SBI_EXT_TIME, 0, stime_value, 0, 0, 0, 0).error;
	return sbi_legacy_call(SBI_LEGACY_SET_TIMER, stime_value);
}

/* The legacy call takes the address of a mask instead of the mask. */
long sbi_send_ipi(unsigned long hart_mask, unsigned long hart_mask_base)
{
	if (sbi_has.ipi)
		return sbi_call(SBI_EXT_IPI, 0, hart_mask, hart_mask_base, 0, 0, 0).error;
	hart_mask <<= hart_mask_base;
	return sbi_legacy_call(SBI_LEGACY_SEND_IPI, (unsigned long)&hart_mask);
}

long sbi_remote_sfence_vma(unsigned long hart_mask, unsigned long hart_mask_base,
			   unsigned long start, unsigned long size)
{
	if (sbi_has.rfence)
		return sbi_call(SBI_EXT_RFENCE, 1, hart_mask, hart_mask_base, start, size, 0).error;
	/* The legacy call takes a pointer to the mask; 0 means every hart. */
	return sbi_call(SBI_LEGACY_REMOTE_SFENCE_VMA, 0,
			hart_mask_base == (unsigned long)-1 ? 0 : (unsigned long)&hart_mask, start,
			size, 0, 0)
	    .error;
}

long sbi_remote_sfence_vma_asid(unsigned long hart_mask, unsigned long hart_mask_base,
				unsigned long start, unsigned long size, unsigned long asid)
{
	if (sbi_has.rfence)
		return sbi_call(SBI_EXT_RFENCE, 2, hart_mask, hart_mask_base, start, size, asid)
		    .error;
	/* Legacy firmware has the same call, number 7, with a pointer to the mask. */
	return sbi_call(SBI_LEGACY_REMOTE_SFENCE_VMA_ASID, 0,
			hart_mask_base == (unsigned long)-1 ? 0 : (unsigned long)&hart_mask, start,
			size, asid, 0)
	    .error;
}

struct sbiret sbi_hart_start(unsigned long hartid, unsigned long start_addr, unsigned long opaque)
{
	if (!sbi_has.hsm)
		return (struct sbiret){.error = SBI_ERR_NOT_SUPPORTED};
	return sbi_call(SBI_EXT_HSM, 0, hartid, start_addr, opaque, 0, 0);
}

struct sbiret sbi_hart_get_status(unsigned long hartid)
{
	if (!sbi_has.hsm)
		return (struct sbiret){.error = SBI_ERR_NOT_SUPPORTED};
	return sbi_call(SBI_EXT_HSM, 2, hartid, 0, 0, 0, 0);
}

long sbi_system_reset(uint32_t type, uint32_t reason)
{
	if (!sbi_has.srst)
		return SBI_ERR_NOT_SUPPORTED;
	return sbi_call(SBI_EXT_SRST, 0, type, reason, 0, 0, 0).error;
}

void sbi_legacy_shutdown(void)
{
	sbi_legacy_call(SBI_LEGACY_SHUTDOWN, 0);
}

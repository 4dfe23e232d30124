/*
 * sbi.h: calls into the Supervisor Binary Interface (OpenSBI).
 *
 * sbi_init() probes which extensions the firmware offers, once, on the boot
 * hart before any other hart starts; afterwards `sbi_has` is read-only, so
 * every hart may read it without a lock. Every call that has a legacy
 * (v0.1) fallback uses it when the extension is missing; calls without one
 * return SBI_ERR_NOT_SUPPORTED, which callers must handle.
 */
#ifndef KINE_ARCH_RISCV_SBI_H
#define KINE_ARCH_RISCV_SBI_H

#include <stdbool.h>
#include <stdint.h>

/* Extension IDs (SBI spec 1.0). */
#define SBI_EXT_BASE   0x10
#define SBI_EXT_TIME   0x54494D45
#define SBI_EXT_IPI    0x735049
#define SBI_EXT_RFENCE 0x52464E43
#define SBI_EXT_HSM    0x48534D
#define SBI_EXT_SRST   0x53525354

/* Legacy (v0.1) extensions: one function each, EID = function. */
#define SBI_LEGACY_SET_TIMER              0
#define SBI_LEGACY_CONSOLE_PUTCHAR        1
#define SBI_LEGACY_CONSOLE_GETCHAR        2
#define SBI_LEGACY_SEND_IPI               4
#define SBI_LEGACY_REMOTE_SFENCE_VMA      6
#define SBI_LEGACY_REMOTE_SFENCE_VMA_ASID 7
#define SBI_LEGACY_SHUTDOWN               8

/* Standard error codes. */
#define SBI_SUCCESS               0
#define SBI_ERR_FAILED            -1
#define SBI_ERR_NOT_SUPPORTED     -2
#define SBI_ERR_INVALID_PARAM     -3
#define SBI_ERR_DENIED            -4
#define SBI_ERR_INVALID_ADDRESS   -5
#define SBI_ERR_ALREADY_AVAILABLE -6
#define SBI_ERR_ALREADY_STARTED   -7
#define SBI_ERR_ALREADY_STOPPED   -8

/* HSM hart states (hart_get_status). */
#define SBI_HSM_STARTED       0
#define SBI_HSM_STOPPED       1
#define SBI_HSM_START_PENDING 2
#define SBI_HSM_STOP_PENDING  3
#define SBI_HSM_SUSPENDED     4

/* SRST reset types and reasons. */
#define SBI_SRST_SHUTDOWN       0
#define SBI_SRST_COLD_REBOOT    1
#define SBI_SRST_REASON_NONE    0
#define SBI_SRST_REASON_FAILURE 1

struct sbiret {
	long error;
	long value;
};

/* What the firmware offers; filled by sbi_init(), read-only after. */
struct sbi_features {
	long spec_version; /* major << 24 | minor */
	long impl_id;
	long impl_version;
	bool time;
	bool ipi;
	bool rfence;
	bool hsm;
	bool srst;
};

extern struct sbi_features sbi_has;

void sbi_init(void);
void sbi_print_features(void);
const char *sbi_error_name(long error);
const char *sbi_hsm_state_name(long state);

void sbi_console_putchar(int c);
long sbi_set_timer(uint64_t stime_value);
long sbi_send_ipi(unsigned long hart_mask, unsigned long hart_mask_base);
/*
 * sfence.vma on the harts in the mask (hart_mask_base = -1: every hart),
 * for [start, start + size) (size -1: everything). Synchronous: the
 * firmware returns once every target has flushed, whatever the target's
 * interrupt state.
 */
long sbi_remote_sfence_vma(unsigned long hart_mask, unsigned long hart_mask_base,
			   unsigned long start, unsigned long size);
/* The same, for the translations tagged with one ASID only. */
long sbi_remote_sfence_vma_asid(unsigned long hart_mask, unsigned long hart_mask_base,
				unsigned long start, unsigned long size, unsigned long asid);

struct sbiret sbi_hart_start(unsigned long hartid, unsigned long start_addr, unsigned long opaque);
struct sbiret sbi_hart_get_status(unsigned long hartid);
long sbi_system_reset(uint32_t type, uint32_t reason);
void sbi_legacy_shutdown(void);

#endif

/* host_params.h — the host.* and mcu.* rows of the engine's shared parameter table
 * (npu_engine_param_defs, built in mem.c next to the dram.* and sram.* rows). They live here,
 * beside host.c which reads them, so that the host's figures and their sources stay in the
 * host's files while the table stays one array for the parameter registry. */
#ifndef NPU_ENGINE_HOST_PARAMS_H
#define NPU_ENGINE_HOST_PARAMS_H

#define NPU_HOST_CPUS                                                                          \
    "none|cortex-a9-linux|cortex-a53-linux|cortex-a55-linux|cortex-a76-linux|riscv-baremetal"

/* clang-format off */
#define NPU_HOST_PARAM_ROWS \
    {"host.cpu", NPU_P_ENUM, 0, "none", 0, 0, NPU_HOST_CPUS, "", \
     "host CPU profile: fills every host.* key not set explicitly (none = no control overhead)"}, \
    {"host.cores", NPU_P_INT, 1, NULL, 1, 64, NULL, "", \
     "CPU cores modelled as units cpu0..cpuN-1 (fallback ops and driver work)"}, \
    {"host.freq_mhz", NPU_P_FLOAT, 1000, NULL, 1, 10000, NULL, "MHz", \
     "CPU clock (profile: A9 666 from the ZYNQ-NVDLA system, A76 2352 as pinned on RK3588)"}, \
    {"host.irq_latency_ns", NPU_P_FLOAT, 0, NULL, 0, 1e7, NULL, "ns", \
     "interrupt line to ISR entry (GIC + exception + kernel dispatch; assumption per profile)"}, \
    {"host.isr_cycles", NPU_P_FLOAT, 0, NULL, 0, 1e9, NULL, "cycles", \
     "ISR body per interrupt, excluding register reads (assumption per profile)"}, \
    {"host.reg_read_ns", NPU_P_FLOAT, 0, NULL, 0, 1e7, NULL, "ns", \
     "one uncached MMIO/CSB register read (round trip; assumption per profile)"}, \
    {"host.reg_write_ns", NPU_P_FLOAT, 0, NULL, 0, 1e7, NULL, "ns", \
     "one MMIO/CSB register write incl. the barrier of writel() (assumption per profile)"}, \
    {"host.wakeup_ns", NPU_P_FLOAT, 0, NULL, 0, 1e9, NULL, "ns", \
     "waking the driver thread after an interrupt (wake-up + context switch; NVDLA KMD does one " \
     "per IRQ, research/nvdla.md §3.4; value an assumption per profile)"}, \
    {"host.submit_ns", NPU_P_FLOAT, 0, NULL, 0, 1e10, NULL, "ns", \
     "user-space runtime + ioctl cost of one submit (for models to charge; assumption)"}, \
    {"host.gmacs", NPU_P_FLOAT, 15, NULL, 1e-4, 1e6, NULL, "GMAC/s", \
     "achieved MACs per second of one core on fallback conv/gemm (assumption per profile)"}, \
    {"host.gelems", NPU_P_FLOAT, 3, NULL, 1e-4, 1e6, NULL, "Gelem/s", \
     "achieved simple element operations per second of one core (add/relu = 1; assumption)"}, \
    {"host.gbps", NPU_P_FLOAT, 10.14, NULL, 1e-3, 1e5, NULL, "GB/s", \
     "one core's copy bandwidth, caps each CPU transfer (A76 memcpy 10.14 GB/s, whisper.cpp#89)"}, \
    {"mcu.present", NPU_P_BOOL, 0, NULL, 0, 1, NULL, "", \
     "a companion microcontroller takes per-operation interrupts (headed NVDLA, Falcon)"}, \
    {"mcu.freq_mhz", NPU_P_FLOAT, 200, NULL, 1, 10000, NULL, "MHz", \
     "MCU clock (assumption: PicoRV32/Cortex-M class)"}, \
    {"mcu.irq_latency_ns", NPU_P_FLOAT, 100, NULL, 0, 1e7, NULL, "ns", \
     "MCU interrupt entry, bare metal (assumption: ~20 cycles)"}, \
    {"mcu.isr_cycles", NPU_P_FLOAT, 150, NULL, 0, 1e9, NULL, "cycles", \
     "MCU ISR body per interrupt, no OS (assumption)"}, \
    {"mcu.reg_read_ns", NPU_P_FLOAT, 20, NULL, 0, 1e7, NULL, "ns", \
     "MCU register read over the local CSB (assumption: a few cycles)"}, \
    {"mcu.reg_write_ns", NPU_P_FLOAT, 10, NULL, 0, 1e7, NULL, "ns", \
     "MCU register write over the local CSB (assumption)"},
/* clang-format on */

#endif

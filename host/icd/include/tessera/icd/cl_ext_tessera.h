/* tessera's OpenCL extensions (docs/opencl.md), for any OpenCL program that uses a
 * tessera device: the sizes of the buffers its resident-data built-in kernels fill,
 * the cl_tessera_counters device query and cl_tessera_faults (fault injection and
 * the GEMM engines' checksum errors). Not registered with Khronos. */
#ifndef TESSERA_CL_EXT_TESSERA_H
#define TESSERA_CL_EXT_TESSERA_H

#include <CL/cl.h>
#include <stddef.h>

/* Bytes a W_packed buffer needs for an N x K weight matrix (tessera_pack_weights_s8):
 * rows padded to 32, which holds on every tessera device. */
static inline size_t tessera_packed_weight_bytes(size_t n, size_t k) {
  return (n + 31) / 32 * 32 * k;
}

/* Bytes a kv_cache buffer needs for `capacity` positions of n_kv_heads heads of
 * head_size lanes (tessera_kv_append_s8): one record of at most
 * 2 * head_size + 8 bytes, rounded up to 64, per position and kv head. */
static inline size_t tessera_kv_cache_bytes(size_t n_kv_heads, size_t head_size,
                                            size_t capacity) {
  return n_kv_heads * capacity * ((2 * head_size + 8 + 63) / 64 * 64);
}

/* clGetDeviceInfo: the device's counters since it was first used, as a JSON object
 * (a char string): simulated_seconds, commands, memory {bytes_read, bytes_written,
 * bandwidth_gbps}, host_link {bytes_to_device, bytes_from_device} and per-unit
 * counters. The query first waits for the work submitted to the device. */
#define CL_DEVICE_COUNTERS_JSON_TESSERA 0x54530001

/* cl_tessera_faults (docs/reliability.md). */

/* A kernel whose GEMM checksums disagreed: its event's execution status, and the
 * error of the call that ran or waited for it. Whatever results it wrote are wrong:
 * run it again. */
#define CL_CHECKSUM_MISMATCH_TESSERA (-9301)

/* clGetDeviceInfo: the armed fault as a JSON object (a char string) -- site, kind,
 * event, seed, struck, time_s, where, events (its site's events since it was
 * armed) -- or "null" when none is armed. The query first waits for the work
 * submitted to the device. */
#define CL_DEVICE_FAULT_JSON_TESSERA 0x54530002

/* Arms one fault on `device`, replacing any armed one, for the work enqueued after
 * the call (the work before it runs first). site: accumulator, operand_buffer,
 * result_fifo, device_memory, host_link or attention; kind: flip, stuck0 or stuck1;
 * event: the occurrence of the site's event (counted from 0) at which it strikes;
 * seed: draws where. A null site disarms. CL_INVALID_VALUE for an unknown site or
 * kind, CL_INVALID_OPERATION where the device cannot take it (a device that
 * simulates timing only).
 * Found with clGetExtensionFunctionAddressForPlatform(platform, "clArmFaultTESSERA"). */
typedef cl_int(CL_API_CALL* clArmFaultTESSERA_fn)(cl_device_id device, const char* site,
                                                   const char* kind, cl_ulong event,
                                                   cl_ulong seed);

#endif

// CRC32C (Castagnoli, reflected polynomial 0x82F63B78), as used by iSCSI, ext4 and etcd's WAL.
#include "crc32c.h"
#include <string.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define ROOST_X86 1
#endif

static uint32_t table[8][256];
static int initialised = 0;
static int use_hw = 0;

static void init_tables(void) {
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        table[0][n] = c;
    }
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = table[0][n];
        for (int k = 1; k < 8; k++) {
            c = table[0][c & 0xff] ^ (c >> 8);
            table[k][n] = c;
        }
    }
#ifdef ROOST_X86
    unsigned int eax, ebx, ecx, edx;
    if (__get_cpuid(1, &eax, &ebx, &ecx, &edx)) use_hw = (ecx & bit_SSE4_2) != 0;
#endif
    __atomic_store_n(&initialised, 1, __ATOMIC_RELEASE);
}

static inline void ensure_init(void) {
    if (!__atomic_load_n(&initialised, __ATOMIC_ACQUIRE)) init_tables();
}

uint32_t roost_crc32c_portable(uint32_t crc, const void *data, size_t len) {
    ensure_init();
    const unsigned char *p = data;
    crc = ~crc;
    while (len && ((uintptr_t)p & 7)) { crc = table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8); len--; }
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        w ^= crc;
        crc = table[7][w & 0xff] ^ table[6][(w >> 8) & 0xff] ^ table[5][(w >> 16) & 0xff] ^
              table[4][(w >> 24) & 0xff] ^ table[3][(w >> 32) & 0xff] ^ table[2][(w >> 40) & 0xff] ^
              table[1][(w >> 48) & 0xff] ^ table[0][(w >> 56) & 0xff];
        p += 8; len -= 8;
    }
    while (len--) crc = table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

#ifdef ROOST_X86
__attribute__((target("sse4.2")))
static uint32_t crc32c_hw(uint32_t crc, const void *data, size_t len) {
    const unsigned char *p = data;
    uint64_t c = ~crc;
    while (len && ((uintptr_t)p & 7)) { c = __builtin_ia32_crc32qi((uint32_t)c, *p++); len--; }
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        c = __builtin_ia32_crc32di(c, w);
        p += 8; len -= 8;
    }
    while (len--) c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
    return ~(uint32_t)c;
}
#endif

uint32_t roost_crc32c(uint32_t crc, const void *data, size_t len) {
    ensure_init();
#ifdef ROOST_X86
    if (use_hw) return crc32c_hw(crc, data, len);
#endif
    return roost_crc32c_portable(crc, data, len);
}

int roost_crc32c_hardware(void) {
    ensure_init();
    return use_hw;
}

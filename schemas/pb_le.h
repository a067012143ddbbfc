/* pb_le: little-endian integers of the storage formats (segments, sealed segments, rollups). */
#ifndef PB_LE_H
#define PB_LE_H

#include <stdint.h>
#include <string.h>

/* Writes the low `bytes` bytes of v at p, least significant first. */
static inline void pb_le_put(unsigned char *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* Reads `bytes` (<= 8) bytes at p, least significant first. */
static inline uint64_t pb_le_get(const unsigned char *p, int bytes)
{
    uint64_t v = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(&v, p, (size_t)bytes); /* the files' order: readers spend their time here */
#else
    for (int i = bytes - 1; i >= 0; i--)
        v = (v << 8) | p[i];
#endif
    return v;
}

#endif

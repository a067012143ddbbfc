/* fuzz_util: what the harnesses share — NUL-terminated copies, in-memory files, frame splitting. */
#ifndef FUZZ_UTIL_H
#define FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A property the parser promised does not hold: report it and crash, so
 * libFuzzer saves the input as a reproducer. */
#define FUZZ_CHECK(cond, ...)                                                                      \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz property failed: %s (%s:%d): ", #cond, __FILE__, __LINE__);      \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* A malloc'd NUL-terminated copy of the input; the caller frees it. */
static inline char *fuzz_strdup(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s) {
        if (size)
            memcpy(s, data, size);
        s[size] = '\0';
    }
    return s;
}

/* The bytes as an anonymous in-memory file; *path_p gets "/proc/self/fd/N".
 * Returns the fd (the caller closes it) or -1. No disk, no name to clean up. */
static inline int fuzz_memfile(const uint8_t *data, size_t size, char *path, size_t pathlen)
{
    int fd = memfd_create("fuzz", MFD_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t done = 0;
    while (done < size) {
        ssize_t n = write(fd, data + done, size - done);
        if (n <= 0) {
            close(fd);
            return -1;
        }
        done += (size_t)n;
    }
    snprintf(path, pathlen, "/proc/self/fd/%d", fd);
    return fd;
}

/* Splits "[u16 LE len][len bytes]..." inputs into parts: returns 1 and the next
 * part, or 0 at the end. A short last part takes what is left. */
static inline int fuzz_next_part(const uint8_t **data, size_t *size, const uint8_t **part,
                                 size_t *len)
{
    if (*size < 2)
        return 0;
    size_t want = (size_t)(*data)[0] | ((size_t)(*data)[1] << 8);
    *data += 2;
    *size -= 2;
    *len = want < *size ? want : *size;
    *part = *data;
    *data += *len;
    *size -= *len;
    return 1;
}

#endif

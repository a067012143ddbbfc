/* pb_test_allocs: counts the allocations of perfbus code, for suites that show a path makes none.
 *
 * Include it in exactly one file of a suite linked with
 * -Wl,--wrap=malloc -Wl,--wrap=calloc -Wl,--wrap=realloc (see tests/schemas.cmake): ld then
 * sends every call from perfbus code (pb_schemas is a static library) through the wrappers
 * below. The __wrap_/__real_ names are ld's, not ours. Read s_allocs into a local before any
 * ck_assert: Check allocates too. */
#ifndef PB_TEST_ALLOCS_H
#define PB_TEST_ALLOCS_H

#include <stddef.h>

static size_t s_allocs;
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);

void *__wrap_malloc(size_t n)
{
    s_allocs++;
    return __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
    s_allocs++;
    return __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
    s_allocs++;
    return __real_realloc(p, n);
}

#endif

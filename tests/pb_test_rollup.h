/* pb_test_rollup: where a section of a rollup file (.pbr, version 2) starts, to damage it. */
#ifndef PB_TEST_ROLLUP_H
#define PB_TEST_ROLLUP_H

#include "pb_le.h"
#include "pb_rollup.h"

#include <check.h>
#include <fcntl.h>
#include <unistd.h>

/* The offset in the rollup file at path of section id, from its section table. A file
 * without that section fails the test. */
static inline long pb_test_rollup_section_at(const char *path, int id)
{
    unsigned char head[PB_ROLLUP_HEAD + PB_ROLLUP_MAX_SECS * PB_ROLLUP_SEC_ENTRY];
    int fd = open(path, O_RDONLY);
    ck_assert_int_ge(fd, 0);
    ssize_t got = pread(fd, head, sizeof head, 0);
    close(fd);
    ck_assert_int_ge(got, PB_ROLLUP_HEAD);
    uint64_t nsec = pb_le_get(head + 12, 4);
    for (uint64_t i = 0; i < nsec && i < PB_ROLLUP_MAX_SECS; i++) {
        const unsigned char *e = head + PB_ROLLUP_HEAD + i * PB_ROLLUP_SEC_ENTRY;
        if ((ssize_t)(e + PB_ROLLUP_SEC_ENTRY - head) <= got && pb_le_get(e, 4) == (uint64_t)id)
            return (long)pb_le_get(e + 16, 8);
    }
    ck_abort_msg("no section %d in %s", id, path);
    return 0;
}

#endif

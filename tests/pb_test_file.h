/* pb_test_file: config and data files for the suites, written to fresh temp files. */
#ifndef PB_TEST_FILE_H
#define PB_TEST_FILE_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Writes text to a new file /tmp/pb_test_XXXXXX and returns its path in path
 * (at least 32 bytes); the caller unlinks it. A failure fails the test. */
static inline const char *pb_test_file(char *path, size_t size, const char *text)
{
    snprintf(path, size, "/tmp/pb_test_XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

#endif

/* pb_secret: reads a file that holds a secret (a TLS key, a token), refusing what anyone may read.
 */
#include "pb_secret.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int s_fail(int rc, char *err, size_t errlen, const char *what, const char *path,
                  const char *why)
{
    snprintf(err, errlen, "%s %.200s: %s", what, path, why);
    return rc;
}

/* The file behind fd must be regular, small, non-empty and (private_only)
 * closed to other users. */
static int s_check(int fd, const char *path, const char *what, int private_only, size_t *size,
                   char *err, size_t errlen)
{
    struct stat sb;
    if (fstat(fd, &sb) < 0)
        return s_fail(-errno, err, errlen, what, path, strerror(errno));
    if (!S_ISREG(sb.st_mode))
        return s_fail(-EINVAL, err, errlen, what, path, "not a regular file");
    if (sb.st_size == 0)
        return s_fail(-EINVAL, err, errlen, what, path, "empty");
    if (sb.st_size > PB_SECRET_MAX_BYTES)
        return s_fail(-EFBIG, err, errlen, what, path, "larger than 256 KiB: not a key or token");
    if (private_only && (sb.st_mode & (S_IROTH | S_IWOTH)))
        return s_fail(-EPERM, err, errlen, what, path,
                      "other users may read or write it: chmod o-rw (e.g. 600 or 640)");
    *size = (size_t)sb.st_size;
    return 0;
}

int pb_secret_read(const char *path, const char *what, int private_only, char **out_p,
                   size_t *len_p, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return s_fail(-errno, err, errlen, what, path, strerror(errno));
    size_t size = 0, got = 0;
    int rc = s_check(fd, path, what, private_only, &size, err, errlen);
    char *buf = rc == 0 ? malloc(size + 1) : NULL;
    if (rc == 0 && !buf)
        rc = s_fail(-ENOMEM, err, errlen, what, path, "out of memory");
    while (rc == 0 && got < size) {
        ssize_t n = read(fd, buf + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            rc = s_fail(n < 0 ? -errno : -EIO, err, errlen, what, path,
                        n < 0 ? strerror(errno) : "shrank while being read");
        else
            got += (size_t)n;
    }
    close(fd);
    if (rc < 0) {
        free(buf);
        return rc;
    }
    buf[got] = '\0';
    *out_p = buf;
    if (len_p)
        *len_p = got;
    return 0;
}

static bool s_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The first line of text, trimmed, moved to the start of text; its length. */
static size_t s_first_line(char *text)
{
    char *start = text;
    while (s_space(*start))
        start++;
    size_t len = strcspn(start, "\r\n");
    while (len > 0 && s_space(start[len - 1]))
        len--;
    memmove(text, start, len);
    text[len] = '\0';
    return len;
}

static int s_read_line(const char *path, const char *what, bool spaces, size_t min_len,
                       char **out_p, char *err, size_t errlen)
{
    char *text = NULL;
    int rc = pb_secret_read(path, what, 1, &text, NULL, err, errlen);
    if (rc < 0)
        return rc;
    size_t len = s_first_line(text);
    for (size_t i = 0; i < len && rc == 0; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c < ' ' || c == 0x7f || (c == ' ' && !spaces))
            rc = s_fail(-EINVAL, err, errlen, what, path,
                        spaces ? "the first line holds a control character"
                               : "the token holds a space or control character");
    }
    if (rc == 0 && len < min_len) {
        char why[96];
        snprintf(why, sizeof why, "its first line has %zu characters, want >= %zu", len, min_len);
        rc = s_fail(-EINVAL, err, errlen, what, path, why);
    }
    if (rc < 0) {
        pb_secret_free(&text);
        return rc;
    }
    *out_p = text;
    return 0;
}

int pb_secret_read_line(const char *path, const char *what, char **out_p, char *err, size_t errlen)
{
    return s_read_line(path, what, true, 1, out_p, err, errlen);
}

int pb_secret_read_token(const char *path, const char *what, size_t min_len, char **out_p,
                         char *err, size_t errlen)
{
    return s_read_line(path, what, false, min_len ? min_len : 1, out_p, err, errlen);
}

void pb_secret_free(char **s_p)
{
    if (!s_p || !*s_p)
        return;
    explicit_bzero(*s_p, strlen(*s_p));
    free(*s_p);
    *s_p = NULL;
}

int pb_secret_equal(const char *a, size_t alen, const char *b, size_t blen)
{
    unsigned char diff = alen != blen;
    size_t n = alen < blen ? alen : blen;
    for (size_t i = 0; i < n; i++)
        diff |= (unsigned char)(a[i] ^ b[i]);
    return diff == 0;
}

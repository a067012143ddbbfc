/* pb_secret: reads a file that holds a secret (a TLS key, a token), refusing what anyone may read.
 */
#ifndef PB_SECRET_H
#define PB_SECRET_H

#include <stddef.h>

/* Secrets are small: a PEM chain or a token. Larger files are refused. */
#define PB_SECRET_MAX_BYTES (256 * 1024)

/* Reads the whole of path (a regular file, 1..PB_SECRET_MAX_BYTES bytes)
 * into a new NUL-terminated buffer *out_p (the caller frees it), its length
 * in *len_p (may be NULL). what names the file's role in messages ("--http-
 * tls-key"). private_only refuses a file that other users may read (mode
 * o+r or o+w): the message says to chmod it. Returns 0, or a negative errno
 * with a message naming what and path in err. */
int pb_secret_read(const char *path, const char *what, int private_only, char **out_p,
                   size_t *len_p, char *err, size_t errlen);

/* Reads the first line of a private file as above, without surrounding
 * whitespace: not empty, no control character (a password may hold spaces).
 * Returns 0 or a negative errno with err; *out_p is the caller's to wipe
 * (pb_secret_free) and free. */
int pb_secret_read_line(const char *path, const char *what, char **out_p, char *err, size_t errlen);

/* Reads a token: a line as above of at least min_len bytes and without
 * spaces. Returns 0 or a negative errno with err. */
int pb_secret_read_token(const char *path, const char *what, size_t min_len, char **out_p,
                         char *err, size_t errlen);

/* Wipes and frees a secret string (NULL is fine) and sets *s_p to NULL. */
void pb_secret_free(char **s_p);

/* Compares a and b in time that depends only on their lengths (a token
 * check must not tell how many leading bytes matched). 1 when equal. */
int pb_secret_equal(const char *a, size_t alen, const char *b, size_t blen);

#endif

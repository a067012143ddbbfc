/* pb_czmq: czmq's certificate functions, loaded the first time CURVE needs them. */
#ifndef PB_CZMQ_H
#define PB_CZMQ_H

/* libczmq pulls in libsystemd, libgcrypt, liblz4, libuuid and more: about
 * 1 MB of resident pages in every perfbusd, perfbus-sub, CLI and
 * application linking libperfbus, of which only CURVE users need the few
 * certificate functions below. So it is loaded with pb_dlib on first use;
 * czmq.h is included for the types only. */

#include <czmq.h>
#include <stddef.h>

typedef struct {
    zcert_t *(*cert_new)(void);
    zcert_t *(*cert_load)(const char *filename);
    void (*cert_destroy)(zcert_t **self_p);
    const byte *(*cert_secret_key)(zcert_t *self);
    const char *(*cert_public_txt)(zcert_t *self);
    const char *(*cert_secret_txt)(zcert_t *self);
    void (*cert_set_meta)(zcert_t *self, const char *name, const char *format, ...);
    int (*cert_save)(zcert_t *self, const char *filename);
    zcertstore_t *(*certstore_new)(const char *location);
    void (*certstore_destroy)(zcertstore_t **self_p);
    zcert_t *(*certstore_lookup)(zcertstore_t *self, const char *public_key);
    void (*certstore_insert)(zcertstore_t *self, zcert_t **cert_p);
} pb_czmq_t;

/* The functions, loaded once for the life of the process (thread-safe).
 * NULL with "cannot load libczmq.so.4: why (Debian package libczmq4)" in err
 * when the library is missing. */
const pb_czmq_t *pb_czmq(char *err, size_t errlen);

#endif

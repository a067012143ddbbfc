/* pb_czmq: czmq's certificate functions, loaded the first time CURVE needs them. */
#include "pb_czmq.h"

#include "pb_dlib.h"

#include <pthread.h>
#include <stdio.h>

#define S_LIBCZMQ "libczmq.so.4"

/* In the order of pb_czmq_t's members. */
static const char *const s_names[] = {
    "zcert_new",        "zcert_load",         "zcert_destroy",     "zcert_secret_key",
    "zcert_public_txt", "zcert_secret_txt",   "zcert_set_meta",    "zcert_save",
    "zcertstore_new",   "zcertstore_destroy", "zcertstore_lookup", "zcertstore_insert"};
#define S_N (sizeof s_names / sizeof s_names[0])

static pb_czmq_t s_czmq;
_Static_assert(sizeof s_czmq == S_N * sizeof(pb_dlib_fn), "pb_czmq_t and s_names differ");

static char s_error[256]; /* "" once loaded */
static pthread_once_t s_once = PTHREAD_ONCE_INIT;

static void s_load(void)
{
    pb_dlib_load(S_LIBCZMQ, s_names, (pb_dlib_fn *)&s_czmq, S_N, s_error, sizeof s_error);
}

const pb_czmq_t *pb_czmq(char *err, size_t errlen)
{
    pthread_once(&s_once, s_load);
    if (!s_error[0])
        return &s_czmq;
    snprintf(err, errlen, "%s (Debian package libczmq4)", s_error);
    return NULL;
}

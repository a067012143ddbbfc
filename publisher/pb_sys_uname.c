/* pb_sys_uname: uname(2) once per sampler, as the attrs of the sys frame's "uname" map. */
#include "pb_sys_uname.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

typedef struct {
    bool loaded;
    pb_sys_uname_t names;
} s_state_t;

/* At most n bytes of s up to its NUL, terminated, into dst[PB_SYS_UNAME_LEN]. */
static void s_copy(char *dst, const char *s, size_t n)
{
    size_t len = strnlen(s, n < PB_SYS_UNAME_LEN - 1 ? n : PB_SYS_UNAME_LEN - 1);
    memcpy(dst, s, len);
    dst[len] = '\0';
}

void pb_sys_uname_from(const struct utsname *u, pb_sys_uname_t *out)
{
    s_copy(out->s[0], u->sysname, sizeof u->sysname);
    s_copy(out->s[1], u->release, sizeof u->release);
    s_copy(out->s[2], u->version, sizeof u->version);
    s_copy(out->s[3], u->machine, sizeof u->machine);
    s_copy(out->s[4], u->nodename, sizeof u->nodename);
    s_copy(out->s[5], u->domainname, sizeof u->domainname);
    if (out->s[5][0] == '\0')
        s_copy(out->s[5], "(none)", 6);
}

static const pb_catalog_field_t *s_top[1]; /* uname */
static const pb_catalog_field_t *s_k[PB_SYS_UNAME_FIELDS];

static int s_keys(char *err, size_t errlen)
{
    static const char *const top[] = {"uname"};
    static const char *const names[PB_SYS_UNAME_FIELDS] = {"sysname", "release",  "version",
                                                           "machine", "nodename", "domainname"};
    int rc = pb_mpwrite_resolve(PB_FT_SYS, "", top, 1, s_top, err, errlen);
    return rc < 0 ? rc
                  : pb_mpwrite_resolve(PB_FT_SYS, "uname", names, PB_SYS_UNAME_FIELDS, s_k, err,
                                       errlen);
}

/* uname(2) reads the calling process's UTS namespace, not <root>: the names are the
 * daemon's wherever its /proc comes from. */
static int s_sample(void *state, pb_sys_ctx_t *ctx, pb_mpwrite_t *w)
{
    s_state_t *st = state;
    struct utsname u;
    if (!st->loaded) {
        if (uname(&u) < 0) {
            int e = errno;
            return pb_sys_metric_fail(ctx, -e, "uname(2): %s", strerror(e));
        }
        pb_sys_uname_from(&u, &st->names);
        st->loaded = true;
    }
    pb_mpwrite_map(w, s_top[0]);
    for (size_t i = 0; i < PB_SYS_UNAME_FIELDS; i++)
        pb_mpwrite_str(w, s_k[i], st->names.s[i]);
    return pb_mpwrite_end(w);
}

const pb_sys_metric_t pb_sys_uname_metric = {"uname", sizeof(s_state_t), s_keys, s_sample, NULL};

/* pb_sys_uname: the kernel's names (uname(2), the NIS domain), read once, sent in every sys frame.
 */
#ifndef PB_SYS_UNAME_H
#define PB_SYS_UNAME_H

#include "pb_sys_metric.h"

#include <sys/utsname.h>

#define PB_SYS_UNAME_FIELDS 6
#define PB_SYS_UNAME_LEN    65 /* a utsname member, with its NUL */

/* In the catalogue's order: sysname, release, version, machine, nodename, domainname. */
typedef struct {
    char s[PB_SYS_UNAME_FIELDS][PB_SYS_UNAME_LEN];
} pb_sys_uname_t;

/* Copies the members of u, each cut at its NUL or at PB_SYS_UNAME_LEN - 1 bytes (a utsname
 * need not terminate a full member). An empty domain name becomes "(none)", as the kernel
 * shows an unset one. This function can't fail. */
void pb_sys_uname_from(const struct utsname *u, pb_sys_uname_t *out);

/* Adds the "uname" map: the names read by uname(2) on the first sample (of the sampler, or
 * after a failed sample), the same in every frame after. */
extern const pb_sys_metric_t pb_sys_uname_metric;

#endif

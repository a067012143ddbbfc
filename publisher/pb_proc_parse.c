/* pb_proc_parse: pure parsers of /proc/PID/{stat,status,io,schedstat,cmdline} text. */
#include "pb_proc_parse.h"

#include "pb_procfs.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>

#define S_LAST_REQUIRED 24 /* rss: field 24 of proc(5) */
#define S_GUEST_TIME    43

/* Where each numeric stat field we keep goes (proc(5) numbering, from 1). */
static uint64_t *s_u64_field(pb_proc_stat_t *out, int field, uint64_t *ppid)
{
    switch (field) {
    case 4:
        return ppid;
    case 10:
        return &out->minflt;
    case 12:
        return &out->majflt;
    case 14:
        return &out->utime;
    case 15:
        return &out->stime;
    case 20:
        return &out->threads;
    case 22:
        return &out->starttime;
    case 23:
        return &out->vsize;
    case 24:
        return &out->rss_pages;
    case S_GUEST_TIME:
        return &out->guest_time;
    default:
        return NULL;
    }
}

/* Parses "pid (comm) S"; leaves *cursor after the state letter. */
static int s_parse_head(const char *text, pb_proc_stat_t *out, const char **cursor)
{
    const char *p = text;
    uint64_t pid;
    const char *open = strchr(text, '(');
    const char *close = strrchr(text, ')');
    if (!open || !close || close < open || pb_procfs_next_u64(&p, &pid) < 0)
        return -EINVAL;
    if (pid == 0 || pid > UINT32_MAX || p + 1 != open || *p != ' ')
        return -EINVAL;
    size_t len = (size_t)(close - open - 1);
    if (len >= sizeof out->comm)
        len = sizeof out->comm - 1;
    memcpy(out->comm, open + 1, len);
    out->comm[len] = '\0';
    if (close[1] != ' ' || !isalpha((unsigned char)close[2]) || close[3] != ' ')
        return -EINVAL;
    out->pid = (uint32_t)pid;
    out->state = close[2];
    *cursor = close + 3;
    return 0;
}

static int s_parse_field(const char **cursor, pb_proc_stat_t *out, int field, uint64_t *ppid)
{
    if (field == 19)
        return pb_procfs_next_i64(cursor, &out->nice);
    uint64_t *dst = s_u64_field(out, field, ppid);
    return dst ? pb_procfs_next_u64(cursor, dst) : pb_procfs_skip_word(cursor);
}

int pb_proc_parse_stat(const char *text, pb_proc_stat_t *out)
{
    const char *p;
    memset(out, 0, sizeof *out);
    if (s_parse_head(text, out, &p) < 0)
        return -EINVAL;
    uint64_t ppid = 0;
    for (int field = 4; field <= S_GUEST_TIME; field++) {
        int rc = s_parse_field(&p, out, field, &ppid);
        if (rc == -ENODATA && field > S_LAST_REQUIRED)
            break;
        if (rc < 0)
            return -EINVAL;
    }
    if (ppid > UINT32_MAX)
        return -EINVAL;
    out->ppid = (uint32_t)ppid;
    return 0;
}

/* Reads the number after key, looking from *from on (the kernel writes the
 * keys in the order they are asked for, so one pass finds them all) and from
 * the start when it is not there; *from moves past the key. */
static int s_key_u64(const char *text, const char **from, const char *key, uint64_t *out)
{
    const char *p = pb_procfs_find_key(*from, key);
    if (!p)
        p = pb_procfs_find_key(text, key);
    if (!p || pb_procfs_next_u64(&p, out) < 0)
        return -EINVAL;
    *from = p;
    return 0;
}

int pb_proc_parse_status(const char *text, pb_proc_status_t *out)
{
    uint64_t uid;
    memset(out, 0, sizeof *out);
    const char *from = text;
    if (s_key_u64(text, &from, "Uid:", &uid) < 0 || uid > UINT32_MAX)
        return -EINVAL;
    out->uid = (uint32_t)uid;
    if (s_key_u64(text, &from, "voluntary_ctxt_switches:", &out->vol_ctxsw) < 0 ||
        s_key_u64(text, &from, "nonvoluntary_ctxt_switches:", &out->invol_ctxsw) < 0)
        return -EINVAL;
    return 0;
}

int pb_proc_parse_io(const char *text, pb_proc_io_t *out)
{
    memset(out, 0, sizeof *out);
    const char *from = text;
    if (s_key_u64(text, &from, "rchar:", &out->rchar) < 0 ||
        s_key_u64(text, &from, "wchar:", &out->wchar) < 0 ||
        s_key_u64(text, &from, "read_bytes:", &out->read_bytes) < 0 ||
        s_key_u64(text, &from, "write_bytes:", &out->write_bytes) < 0)
        return -EINVAL;
    return 0;
}

int pb_proc_parse_schedstat(const char *text, pb_proc_sched_t *out)
{
    uint64_t wait_ns;
    const char *p = text;
    if (pb_procfs_next_u64(&p, &out->run_ns) < 0 || pb_procfs_next_u64(&p, &wait_ns) < 0 ||
        pb_procfs_next_u64(&p, &out->runs) < 0)
        return -EINVAL;
    return 0;
}

size_t pb_proc_parse_cmdline(const char *data, size_t len, char *out, size_t size)
{
    if (size == 0)
        return 0;
    while (len > 0 && data[len - 1] == '\0')
        len--;
    if (len > size - 1)
        len = size - 1;
    for (size_t i = 0; i < len; i++)
        out[i] = data[i] == '\0' ? ' ' : data[i];
    out[len] = '\0';
    return len;
}

/* fuzz_sys_sampler: two cycles of the system sampler over a /proc whose files come from the
 * input — the line loops, series tables and rates behind every sys frame. Input: six parts
 * [u16 LE length][bytes] (stat, meminfo, loadavg, uptime, diskstats, net/dev) per cycle. */
#include "fuzz_util.h"
#include "pb_sys_sampler.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

static const char *const s_files[] = {"proc/stat",   "proc/meminfo",   "proc/loadavg",
                                      "proc/uptime", "proc/diskstats", "proc/net/dev"};
#define S_NFILES (sizeof s_files / sizeof s_files[0])

/* The disks the fixtures have: whole disks, a loop device, a stacked dm. Made once. */
static const char *const s_dirs[] = {"proc",
                                     "proc/net",
                                     "sys",
                                     "sys/block",
                                     "sys/block/vda",
                                     "sys/block/sda",
                                     "sys/block/loop0",
                                     "sys/block/dm-0",
                                     "sys/block/dm-0/slaves",
                                     "sys/block/dm-0/slaves/sda2"};
static char s_root[256];

static void s_path(char *out, size_t size, const char *rel)
{
    snprintf(out, size, "%s/%s", s_root, rel);
}

static void s_cleanup(void)
{
    char path[512];
    for (size_t i = 0; i < S_NFILES; i++) {
        s_path(path, sizeof path, s_files[i]);
        unlink(path);
    }
    for (size_t i = sizeof s_dirs / sizeof s_dirs[0]; i-- > 0;) {
        s_path(path, sizeof path, s_dirs[i]);
        rmdir(path);
    }
    rmdir(s_root);
}

static void s_setup(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(s_root, sizeof s_root, "%s/pb-fuzz-sys-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    FUZZ_CHECK(mkdtemp(s_root) != NULL, "cannot make a temp dir");
    char path[512];
    for (size_t i = 0; i < sizeof s_dirs / sizeof s_dirs[0]; i++) {
        s_path(path, sizeof path, s_dirs[i]);
        FUZZ_CHECK(mkdir(path, 0700) == 0, "cannot make %s", path);
    }
    atexit(s_cleanup);
}

/* Rewrites the same inodes (O_TRUNC), as procfs does: the sampler keeps files open. */
static void s_write_cycle(const uint8_t **data, size_t *size)
{
    char path[512];
    for (size_t i = 0; i < S_NFILES; i++) {
        const uint8_t *part = NULL;
        size_t len = 0;
        fuzz_next_part(data, size, &part, &len);
        s_path(path, sizeof path, s_files[i]);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        FUZZ_CHECK(fd >= 0, "cannot write %s", path);
        FUZZ_CHECK(len == 0 || write(fd, part, len) == (ssize_t)len, "short write");
        close(fd);
    }
}

static void s_sample(pb_sys_sampler_t *sampler, uint64_t mono_ns)
{
    pb_value_t *body = NULL;
    char err[256] = "";
    int rc = pb_sys_sampler_sample(sampler, mono_ns, &body, err, sizeof err);
    if (rc == 0)
        FUZZ_CHECK(body != NULL, "sample returned 0 without a body");
    else
        FUZZ_CHECK(body == NULL && err[0], "sample failed (%d) with reason '%s'", rc, err);
    pb_value_destroy(&body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!s_root[0])
        s_setup();
    pb_sys_sampler_t *sampler = pb_sys_sampler_new(s_root);
    if (!sampler)
        return 0;
    s_write_cycle(&data, &size);
    s_sample(sampler, 1000000000ull);
    s_write_cycle(&data, &size);
    s_sample(sampler, 2000000000ull);
    pb_sys_sampler_destroy(&sampler);
    return 0;
}

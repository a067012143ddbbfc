/* fuzz_run: a run directory with any run.meta and segment — pb_run_new/next and the store listing.
 */
#include "fuzz_util.h"
#include "pb_run.h"

#include <fcntl.h>
#include <sys/stat.h>

static char s_store[256]; /* made once; every input rewrites the same two files */
static char s_dir[300];

static void s_cleanup(void)
{
    char path[400];
    snprintf(path, sizeof path, "%s/%s", s_dir, PB_RUN_META_FILE);
    unlink(path);
    snprintf(path, sizeof path, "%s/segment-000001.pbl", s_dir);
    unlink(path);
    rmdir(s_dir);
    rmdir(s_store);
}

static void s_setup(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(s_store, sizeof s_store, "%s/pb-fuzz-run-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    FUZZ_CHECK(mkdtemp(s_store) != NULL, "cannot make a temp dir under %s", s_store);
    snprintf(s_dir, sizeof s_dir, "%s/20240101-000000-1", s_store);
    FUZZ_CHECK(mkdir(s_dir, 0700) == 0, "cannot make %s", s_dir);
    atexit(s_cleanup);
}

static void s_write(const char *name, const uint8_t *data, size_t size)
{
    char path[400];
    snprintf(path, sizeof path, "%s/%s", s_dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    FUZZ_CHECK(fd >= 0, "cannot write %s", path);
    FUZZ_CHECK(size == 0 || write(fd, data, size) == (ssize_t)size, "short write to %s", path);
    close(fd);
}

static void s_read_run(void)
{
    pb_run_t *run = pb_run_new(s_dir);
    FUZZ_CHECK(run != NULL, "pb_run_new failed on an existing run dir");
    FUZZ_CHECK(pb_run_meta(run) != NULL, "no metadata map, not even an empty one");
    pb_record_t rec;
    uint64_t n = 0;
    int rc;
    while ((rc = pb_run_next(run, &rec)) == 1)
        n++;
    FUZZ_CHECK(rc == 0, "pb_run_next returned %d", rc);
    pb_segment_damage_t d = pb_run_damage(run);
    FUZZ_CHECK(d.records == n, "damage counts %llu records, %llu returned",
               (unsigned long long)d.records, (unsigned long long)n);
    pb_run_destroy(&run);
}

/* Input: [u16 LE length][run.meta bytes][segment-000001.pbl bytes]. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!s_store[0])
        s_setup();
    const uint8_t *meta = NULL;
    size_t meta_len = 0;
    if (!fuzz_next_part(&data, &size, &meta, &meta_len))
        return 0;
    s_write(PB_RUN_META_FILE, meta, meta_len);
    s_write("segment-000001.pbl", data, size);
    s_read_run();
    pb_value_t *list = NULL;
    int rc = pb_run_list(s_store, &list);
    FUZZ_CHECK(rc == 0 && list != NULL, "pb_run_list returned %d", rc);
    pb_value_destroy(&list);
    return 0;
}

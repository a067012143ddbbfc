/* fuzz_proc_parse: /proc/PID/{stat,status,io,cmdline} text through perfbusd's parsers. */
#include "fuzz_util.h"
#include "pb_proc_parse.h"

#include <errno.h>

static void s_stat(const char *text)
{
    pb_proc_stat_t st;
    int rc = pb_proc_parse_stat(text, &st);
    FUZZ_CHECK(rc == 0 || rc == -EINVAL, "stat: undocumented return %d", rc);
    FUZZ_CHECK(memchr(st.comm, '\0', sizeof st.comm) != NULL, "comm not NUL-terminated");
    if (rc == 0)
        FUZZ_CHECK(st.pid != 0, "stat accepted pid 0");
}

static void s_status_io(const char *text)
{
    pb_proc_status_t status;
    int rc = pb_proc_parse_status(text, &status);
    FUZZ_CHECK(rc == 0 || rc == -EINVAL, "status: undocumented return %d", rc);
    pb_proc_io_t io;
    rc = pb_proc_parse_io(text, &io);
    FUZZ_CHECK(rc == 0 || rc == -EINVAL, "io: undocumented return %d", rc);
}

/* cmdline: the result must be NUL-terminated at the returned length, whatever the buffer. */
static void s_cmdline(const uint8_t *data, size_t size)
{
    static const size_t sizes[] = {1, 2, 16, 4096};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        char *out = malloc(sizes[i]);
        if (!out)
            return;
        size_t n = pb_proc_parse_cmdline((const char *)data, size, out, sizes[i]);
        FUZZ_CHECK(n < sizes[i], "cmdline wrote %zu bytes into %zu", n, sizes[i]);
        FUZZ_CHECK(out[n] == '\0' && strlen(out) == n, "cmdline length %zu != strlen", n);
        free(out);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_strdup(data, size);
    if (!text)
        return 0;
    s_stat(text);
    s_status_io(text);
    free(text);
    s_cmdline(data, size);
    return 0;
}

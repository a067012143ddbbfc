/* fuzz_kvfile: config-file text through pb_kvfile and both binaries' setting parsers. */
#include "fuzz_util.h"
#include "pb_config.h"
#include "pb_kvfile.h"
#include "pb_options.h"

#include <errno.h>

/* Every key and value handed over must be a sane C string of the file's line. */
static int s_options_set(void *arg, const char *key, const char *value, char *err, size_t errlen)
{
    FUZZ_CHECK(key && value, "NULL key or value");
    FUZZ_CHECK(key[0] != '\0', "empty key passed on");
    return pb_options_set(arg, key, value, err, errlen);
}

static void s_check_rc(int rc, const char *err)
{
    if (rc < 0)
        FUZZ_CHECK(err[0] != '\0', "error %d without a message", rc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = fuzz_memfile(data, size, path, sizeof path);
    if (fd < 0)
        return 0;
    char err[512] = "";
    pb_config_t config;
    pb_config_defaults(&config);
    s_check_rc(pb_config_load(&config, path, err, sizeof err), err);
    pb_options_t options;
    pb_options_defaults(&options);
    err[0] = '\0';
    s_check_rc(pb_kvfile_read(path, s_options_set, &options, err, sizeof err), err);
    close(fd);
    return 0;
}

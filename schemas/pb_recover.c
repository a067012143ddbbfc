/* pb_recover: finds the runs no recorder holds and seals their left-open segments. */
#include "pb_recover.h"

#include "pb_log.h"
#include "pb_run.h"
#include "pb_sealed.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

static int s_is_open_segment(const struct dirent *e)
{
    size_t n = strlen(e->d_name);
    return pb_run_is_segment_name(e->d_name) && n > 4 && strcmp(e->d_name + n - 4, ".pbl") == 0;
}

/* Seals dir's .pbl files in name (= segment) order; returns how many. */
static int s_seal_run(const char *dir, int level)
{
    struct dirent **names = NULL;
    int n = scandir(dir, &names, s_is_open_segment, alphasort), sealed = 0;
    for (int i = 0; i < n; i++) {
        char path[PATH_MAX];
        int len = snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
        int rc = len > 0 && (size_t)len < sizeof path ? pb_sealed_seal(path, level) : -ENAMETOOLONG;
        if (rc == 0)
            sealed++;
        else
            pb_log_warn("cannot seal %s, left open by a recorder that was killed: %s (it stays "
                        "readable as it is)",
                        path, strerror(-rc));
        free(names[i]);
    }
    free(names);
    return sealed;
}

/* Seals dir's segments when no recorder holds dir; returns how many. */
static int s_recover_run(const char *dir, int level)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    int sealed = flock(fd, LOCK_EX | LOCK_NB) == 0 ? s_seal_run(dir, level) : 0;
    close(fd); /* and the lock with it */
    return sealed;
}

int pb_run_recover(const char *store, int level)
{
    if (level <= 0)
        return 0;
    DIR *d = opendir(store); /* not pb_run_list: no run's meta or sizes are needed here */
    if (!d)
        return errno == ENOENT ? 0 : -errno;
    int sealed = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char path[PATH_MAX];
        int n = snprintf(path, sizeof path, "%s/%s", store, e->d_name);
        if (e->d_name[0] != '.' && n > 0 && (size_t)n < sizeof path)
            sealed += s_recover_run(path, level); /* not a directory: nothing */
    }
    closedir(d);
    return sealed;
}

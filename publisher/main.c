/* perfbusd: the publisher daemon — parses settings, runs pb_daemon until a signal. */
#include "pb_config.h"
#include "pb_daemon.h"
#include "pb_log.h"
#include "pb_stop.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

/* The process sampler keeps /proc files open between scans (pread is much
 * cheaper than open+read+close) within half the soft limit: raise it. */
static void s_raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

int main(int argc, char **argv)
{
    pb_config_t config;
    char err[512] = "";
    pb_config_defaults(&config);
    int rc = pb_config_parse_args(&config, argc, argv, err, sizeof err);
    if (rc == 1)
        return EXIT_SUCCESS;
    pb_log_init("perfbusd", config.verbose);
    if (rc < 0) {
        pb_log_error("%s", err);
        return 2;
    }
    volatile sig_atomic_t *stop = pb_stop_install();
    s_raise_fd_limit();
    pb_daemon_t *daemon = pb_daemon_new(&config, err, sizeof err);
    if (!daemon) {
        pb_log_error("%s", err);
        return EXIT_FAILURE;
    }
    pb_log_info("ready pub=%s control=%s profile=%s profile-pub=%s interval=%gs",
                pb_daemon_pub_endpoint(daemon), pb_daemon_control_endpoint(daemon),
                pb_daemon_profile_endpoint(daemon), pb_daemon_profile_pub_endpoint(daemon),
                config.interval_s);
    rc = pb_daemon_run(daemon, stop);
    pb_daemon_destroy(&daemon);
    pb_log_info(rc < 0 ? "stopped on a socket error" : "stopped");
    return rc < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

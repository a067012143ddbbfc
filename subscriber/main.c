/* perfbus-sub: the subscriber — parses settings, runs pb_sub until a signal. */
#include "pb_log.h"
#include "pb_options.h"
#include "pb_sub.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

static volatile sig_atomic_t s_stop;

static void s_on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

static void s_install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal; /* no SA_RESTART: zmq_poll must return EINTR */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int main(int argc, char **argv)
{
    static pb_options_t options;
    char err[512] = "";
    pb_options_defaults(&options);
    int rc = pb_options_parse_args(&options, argc, argv, err, sizeof err);
    if (rc == 1)
        return EXIT_SUCCESS;
    pb_log_init("perfbus-sub", options.verbose);
    if (rc < 0) {
        pb_log_error("%s", err);
        return 2;
    }
    s_install_signals();
    pb_sub_t *sub = pb_sub_new(&options.sub, err, sizeof err);
    if (!sub) {
        pb_log_error("%s", err);
        return EXIT_FAILURE;
    }
    if (pb_sub_run_dir(sub))
        pb_log_info("recording run %s in %s", pb_sub_run_id(sub), pb_sub_run_dir(sub));
    pb_log_info("ready query=%s", pb_sub_query_endpoint(sub));
    rc = pb_sub_run(sub, &s_stop);
    pb_sub_destroy(&sub);
    pb_log_info(rc < 0 ? "stopped on a socket error" : "stopped");
    return rc < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* perfbus-sub: the subscriber — parses settings, runs pb_sub until a signal. */
#include "pb_log.h"
#include "pb_stop.h"
#include "pb_options.h"
#include "pb_sub.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

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
    volatile sig_atomic_t *stop = pb_stop_install();
    pb_sub_t *sub = pb_sub_new(&options.sub, err, sizeof err);
    if (!sub) {
        pb_log_error("%s", err);
        return EXIT_FAILURE;
    }
    if (pb_sub_run_dir(sub))
        pb_log_info("recording run %s in %s", pb_sub_run_id(sub), pb_sub_run_dir(sub));
    if (pb_sub_http_address(sub))
        pb_log_info("http listening on %s (GET /metrics, the dashboard at /)",
                    pb_sub_http_address(sub));
    pb_log_info("ready query=%s", pb_sub_query_endpoint(sub));
    rc = pb_sub_run(sub, stop);
    pb_sub_destroy(&sub);
    pb_log_info(rc < 0 ? "stopped on a socket error" : "stopped");
    return rc < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

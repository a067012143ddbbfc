/* perfbus-synth: writes a synthetic run (sys, proc, hb frames) into a store, for tests and the
 * bench. */
#include "pb_report.h"
#include "pb_synth.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int s_usage(FILE *out, int status)
{
    fprintf(out, "usage: perfbus-synth --store DIR [--duration 24h | --samples N] [--interval S]\n"
                 "                     [--procs N] [--host H] [--start T] [--spike-at N]\n"
                 "                     [--lose-every N] [--profiles] [--format 1|2]\n"
                 "                     [--segment-seconds N]\n"
                 "Prints the directory of the new run.\n");
    return status;
}

static int s_size(const char *arg, size_t *out)
{
    char *end;
    unsigned long long v = strtoull(arg, &end, 10);
    if (end == arg || *end)
        return -1;
    *out = (size_t)v;
    return 0;
}

static int s_option(pb_synth_opts_t *o, int opt, const char *arg, uint64_t *duration)
{
    switch (opt) {
    case 'd':
        return pb_report_parse_duration(arg, duration);
    case 'n':
        return s_size(arg, &o->samples);
    case 'i':
        o->interval_s = strtod(arg, NULL);
        return o->interval_s > 0 ? 0 : -1;
    case 'p':
        return s_size(arg, &o->procs);
    case 'H':
        o->host = arg;
        return 0;
    case 't':
        return pb_report_parse_time(arg, 0, &o->start_ns);
    case 'x':
        return s_size(arg, &o->spike_at);
    case 'l':
        return s_size(arg, &o->lose_every);
    case 'P':
        o->profiles = 1;
        return 0;
    case 'f':
        o->format = atoi(arg);
        return o->format == 1 || o->format == 2 ? 0 : -1;
    case 'S':
        return s_size(arg, &o->segment_seconds);
    }
    return -1;
}

int main(int argc, char **argv)
{
    static const struct option longs[] = {{"store", 1, 0, 's'},
                                          {"duration", 1, 0, 'd'},
                                          {"samples", 1, 0, 'n'},
                                          {"interval", 1, 0, 'i'},
                                          {"procs", 1, 0, 'p'},
                                          {"host", 1, 0, 'H'},
                                          {"start", 1, 0, 't'},
                                          {"spike-at", 1, 0, 'x'},
                                          {"lose-every", 1, 0, 'l'},
                                          {"profiles", 0, 0, 'P'},
                                          {"help", 0, 0, 'h'},
                                          {"format", 1, 0, 'f'},
                                          {"segment-seconds", 1, 0, 'S'},
                                          {0, 0, 0, 0}};
    pb_synth_opts_t opts;
    pb_synth_defaults(&opts);
    const char *store = NULL;
    uint64_t duration = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        if (opt == 'h')
            return s_usage(stdout, 0);
        if (opt == 's')
            store = optarg;
        else if (opt == '?' || s_option(&opts, opt, optarg, &duration) < 0)
            return s_usage(stderr, 2);
    }
    if (!store || optind < argc)
        return s_usage(stderr, 2);
    if (duration)
        opts.samples = (size_t)((double)duration / opts.interval_s);
    char dir[4096];
    int rc = pb_synth_write(&opts, store, dir, sizeof(dir));
    if (rc < 0) {
        fprintf(stderr, "perfbus-synth: %s\n", strerror(-rc));
        return 1;
    }
    printf("%s\n", dir);
    return 0;
}

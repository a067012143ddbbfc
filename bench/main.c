/* pb-bench: helper commands of `make bench` (bench/run.sh) — frames, bus, latency, recorder. */
#include "pb_bench_bus.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    int (*fn)(int argc, char **argv);
} s_commands[] = {
    {"capture", pb_bench_capture}, {"blast", pb_bench_blast}, {"sink", pb_bench_sink},
    {"watch", pb_bench_watch},     {"fill", pb_bench_fill},   {"latency", pb_bench_latency},
    {"record", pb_bench_record},
};

int main(int argc, char **argv)
{
    for (size_t i = 0; argc > 1 && i < sizeof s_commands / sizeof s_commands[0]; i++)
        if (strcmp(argv[1], s_commands[i].name) == 0)
            return s_commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "usage: pb-bench capture|blast|sink|watch|fill|latency|record [--options]\n"
                    "  (bench/run.sh runs them; see bench/README.md)\n");
    return 2;
}

/* pb_bench_bus: bus figures — capture real frames, blast them, count them raw or via perfbus-sub.
 */
#ifndef PB_BENCH_BUS_H
#define PB_BENCH_BUS_H

/* Each is a `pb-bench` command: parses its own --options, prints one line
 * of key=value figures on stdout, returns the exit status (0 ok, 1 failed,
 * 2 bad usage). */
int pb_bench_capture(int argc, char **argv); /* real frames of a live perfbusd to a file */
int pb_bench_blast(int argc, char **argv);   /* send templates as fast as possible */
int pb_bench_sink(int argc, char **argv);    /* raw libzmq SUB: frames/s received */
int pb_bench_watch(int argc, char **argv);   /* perfbus-sub's frames/s from its stats op */
int pb_bench_fill(int argc, char **argv);    /* N s of history at 1 s, flow-controlled */
int pb_bench_latency(int argc, char **argv); /* publish -> aggregated, in pb_bench_latency.c */
int pb_bench_record(int argc, char **argv);  /* recorder and reader, in pb_bench_record.c */

#endif

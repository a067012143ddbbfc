/* pb_bench_util: the small pieces every bench command shares (options, clocks, sockets). */
#ifndef PB_BENCH_UTIL_H
#define PB_BENCH_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* The value after `--name` in argv, or fallback when absent. */
const char *pb_bench_opt(int argc, char **argv, const char *name, const char *fallback);

/* The same as a number; fallback when absent; -1 (and a message) when not a number. */
double pb_bench_num(int argc, char **argv, const char *name, double fallback);

/* CLOCK_MONOTONIC in ns. */
uint64_t pb_bench_mono_ns(void);

/* Binds an XPUB socket at endpoint, writes the bound endpoint (ephemeral
 * port resolved) into endpoint_file when not NULL, and waits up to timeout_ms for the first
 * subscription, so that nothing sent afterwards is dropped for want of a
 * subscriber. With ZMQ_XPUB_NODROP a full pipe blocks the sender instead of
 * dropping: the rate measured is what the receiver sustains without loss.
 * With curve_secret (a certificate path) the socket is a CURVE server.
 * Returns the socket, or NULL with a message on stderr. */
void *pb_bench_xpub(void *ctx, const char *endpoint, const char *endpoint_file, int timeout_ms,
                    const char *curve_secret);

/* Makes sock a CURVE server with the certificate at cert_path (NAME or NAME_secret, as `perfbus
 * keygen` writes it), before its bind; no ZAP handler runs, so any client key is admitted (the
 * figure is the cost of the encryption, a handshake is paid once). NULL: plain. 0, or -errno
 * with a message on stderr. */
int pb_bench_curve_server(void *sock, const char *cert_path);

/* Makes the next connect of sock a CURVE client with its own certificate and the server's
 * (a certificate file or its Z85 key). Both NULL: plain. 0, or -errno with a message. */
int pb_bench_curve_client(void *sock, const char *cert_path, const char *server_key);

/* Sends one [topic][payload] message. 0, or -errno. */
int pb_bench_send(void *sock, const void *topic, size_t topic_len, const void *payload, size_t len);

/* `stats` of perfbus-sub at endpoint: frames received, lost, decode errors.
 * 0, or negative errno with a message on stderr. */
int pb_bench_sub_stats(const char *endpoint, uint64_t *frames, uint64_t *lost,
                       uint64_t *decode_errors);

#endif

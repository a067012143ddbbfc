/* pb_remote_write: perfbus-sub's Remote-Write 1.0 push — every sample received, to every URL. */
#ifndef PB_REMOTE_WRITE_H
#define PB_REMOTE_WRITE_H

/* Each sys and proc frame perfbus-sub takes in is walked by pb_samples (the
 * walk /metrics uses: the same names, labels and base units), each sample
 * encoded once by pb_prompb at the frame's timestamp (ms) and the frame's
 * entries pushed to every URL's pb_rw_sender, whose thread sends them.
 * Other frame types (prof, hb) carry no samples. Settings are checked when
 * made: http:// or https:// URLs only, no credentials in them, http:// to a
 * host other than loopback only with `insecure` (TLS is the way); the key
 * files must be readable and not empty (a world-readable one is warned
 * about). */

#include "pb_frame_reader.h"
#include "pb_value.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PB_REMOTE_WRITE_MAX_URLS 16

typedef struct {
    const char *url[PB_REMOTE_WRITE_MAX_URLS];
    size_t nurl;                   /* 0: remote write is off */
    size_t queue;                  /* samples queued per URL; 0: 100000 */
    size_t batch;                  /* samples per request; 0: 2000 */
    unsigned delay_ms;             /* longest wait for a fuller batch; 0: 1000 */
    const char *basic_auth_file;   /* "user:password", or NULL */
    const char *bearer_token_file; /* a token, or NULL */
    const char *ca_file;           /* CA certificates for https, or NULL */
    bool insecure;                 /* allow http:// beyond loopback */
} pb_remote_write_config_t;

typedef struct pb_remote_write pb_remote_write_t;

/* Checks the settings, reads the key files and starts one sender per URL.
 * On error NULL with a message naming the URL or file and what is wrong. */
pb_remote_write_t *pb_remote_write_new(const pb_remote_write_config_t *config, char *err,
                                       size_t errlen);
/* Drains every sender side by side (pb_rw_sender_drain: what is queued is sent for up to
 * 5 s), then frees. Accepts NULL. */
void pb_remote_write_destroy(pb_remote_write_t **self_p);

/* Checks one URL as pb_remote_write_new does: 0, or -EINVAL with why in err. */
int pb_remote_write_check_url(const char *url, bool insecure, char *err, size_t errlen);

/* Queues the samples of frame (read from payload[0..len)) for every URL.
 * Never blocks on the network. Returns the samples of the frame, or
 * -EBADMSG / -ENOMEM (counted in pb_remote_write_value's "errors"). */
int pb_remote_write_frame(pb_remote_write_t *self, const pb_frame_view_t *frame,
                          const void *payload, size_t len);

/* stats.remote_write: one map per URL {url, samples_sent, requests, retried,
 * failed, failed_samples, dropped, queue_depth, last_status, last_error,
 * last_error_ts, encode_errors} (last_error and its time nil until something
 * failed; encode_errors counts frames of any URL that could not be encoded).
 * A new tree, NULL on ENOMEM. */
pb_value_t *pb_remote_write_value(pb_remote_write_t *self);

#endif

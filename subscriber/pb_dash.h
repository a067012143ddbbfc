/* pb_dash: the dashboard's routes on perfbus-sub's HTTP face — the page, /api/<op>, /events. */
#ifndef PB_DASH_H
#define PB_DASH_H

/* Routes (GET and HEAD; the HTTP face's TLS and token rules apply to all):
 *   /, /app.js, /app.css, /uplot.js, /uplot.css  the page and its assets, compiled in
 *   /api/<op>?ARGS   the query op <op> (pb_query_handle, the code path of the
 *                    ZeroMQ socket) with ARGS as its request map, answered as
 *                    JSON: 200, or the op's error JSON with 400 (bad_arg), 404
 *                    (unknown_op, not_found) or 500
 *   /events?host=H   server-sent events of H's new samples (pb_events); no
 *                    host: every host; 404 for a host never heard; 503 over
 *                    --http-clients streams
 * ARGS: each query argument becomes a key of the request: "fields" a list
 * (repeated or comma-separated), "host" a string, "last_s" an alias of
 * "last", integers, decimals, true and false their JSON types, anything else
 * a string, so that the op judges it as it judges a ZeroMQ request. */

#include "pb_events.h"
#include "pb_http.h"
#include "pb_sub.h"
#include "pb_value.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct pb_dash pb_dash_t;

/* sub is borrowed (the query ops' argument, the history for replays). NULL on ENOMEM. */
pb_dash_t *pb_dash_new(pb_sub_t *sub, const pb_events_config_t *events);
/* After the HTTP face is gone (its streams detach their clients). */
void pb_dash_destroy(pb_dash_t **self_p);

/* Answers req when its path is the dashboard's: true, *r filled. */
bool pb_dash_handle(pb_dash_t *self, const pb_http_request_t *req, pb_http_reply_t *r);

pb_events_t *pb_dash_events(pb_dash_t *self);

/* Adds the query argument key=value to the request map req (see ARGS).
 * 0, -EINVAL with a message in err (a repeated key, "op"), or -ENOMEM. */
int pb_dash_request_arg(pb_value_t *req, const char *key, const char *value, char *err,
                        size_t errlen);

/* The HTTP status of an op's reply: 200 for {ok: true}, else by error.code. */
int pb_dash_status(const pb_value_t *reply);

#endif

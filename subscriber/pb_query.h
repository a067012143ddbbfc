/* pb_query: the ops of perfbus-sub's query socket (history, summary, processes, stats, health). */
#ifndef PB_QUERY_H
#define PB_QUERY_H

#include "pb_value.h"

/* A pb_rpc_handler_fn; arg is the pb_sub_t. Ops and their arguments:
 *   history {pid?, host?, last?, from?, to?, fields?}      -> {ok, series, ts, fields, ...}
 *   summary {pid?, host?, last?, from?, to?, fields?}      -> {ok, series, summary, ...}
 *   processes {host?}                                      -> {ok, processes: [...]}
 *   processes_summary {host?, last?, from?, to?, fields?}  -> {ok, processes: [{..., summary}]}
 *   processes_history {host?, last?, from?, to?, fields?}  -> {ok, processes: [{..., ts, fields}]}
 *   stats {}  -> {ok, frames, bytes, lost, decode_errors, ..., publishers, history, recorder}
 *   health {} -> {ok, status, version, pid, uptime_s, frames, series, recording}
 * last is seconds (> 0) back from the newest sample of the series; from/to
 * are ns since the epoch; fields is a string or an array of strings, each a
 * field name or a prefix of dotted names. Bad arguments give bad_arg, an
 * unknown pid/host not_found, an unknown op unknown_op.
 * Returns the reply (caller owns) or NULL on ENOMEM. */
pb_value_t *pb_query_handle(void *arg, const char *op, const pb_value_t *request);

#endif

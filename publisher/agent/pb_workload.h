/* pb_workload: perfbusd's built-in workloads (cpu, memory, io), the seed's /simulate_work, as
 * targets. */
#ifndef PB_WORKLOAD_H
#define PB_WORKLOAD_H

#include "perfbus.h"

/* Registers "cpu" (~100 ms of arithmetic in nested calls), "memory" (touches
 * and frees 64 MiB) and "io" (writes, fsyncs and deletes 8 MiB in $TMPDIR or
 * /tmp) on the agent, all modes. They are compiled with
 * -finstrument-functions, so tracing sees their calls. Returns 0 or the
 * first pb_agent_register error. */
int pb_workload_register_all(pb_agent_t *agent);

#endif

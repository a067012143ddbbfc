/* pb_agent_local: what code in the agent's own process (perfbusd) may ask it without a socket. */
#ifndef PB_AGENT_LOCAL_H
#define PB_AGENT_LOCAL_H

#include "pb_value.h"
#include "perfbus.h"

/* The registered targets as the `targets` op lists them: a new array of
 * maps (name, kind, modes, description, enabled, crashed) the caller owns.
 * Thread-safe; takes the agent's lock only for the copy (the lock is never
 * held across a run), so it never waits on a profile. NULL on ENOMEM. */
pb_value_t *pb_agent_targets_describe(pb_agent_t *self);

#endif

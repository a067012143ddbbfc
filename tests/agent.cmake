# Agent deadlines (issue 9): armed sections expire, cancel, and perfbusd's `targets` served
# in-process, over real sockets against examples/perfbus-demo and perfbusd.
pb_script_test(profiling.deadlines ${PB_PYTHON3} ${PB_TESTS_DIR}/py/test_profile_deadlines.py)
pb_script_test(agent.idle_wakeups ${PB_PYTHON3} ${PB_TESTS_DIR}/py/test_agent_idle.py)

# Profiling (issue 4): libperfbus's modules as Check suites, and the agent over real sockets
# against examples/perfbus-demo (an application linking libperfbus).
set(PB_PROF_LIBS perfbus_agent)
foreach(module pb_stacks pb_symbols pb_sampler pb_tracer pb_detail pb_session pb_profview pb_agent
       pb_workload)
  if(EXISTS ${PB_TESTS_DIR}/test_${module}.c)
    pb_check_test(${module} LIBS ${PB_PROF_LIBS})
  endif()
endforeach()
# The tracer's and the agent's suites call instrumented functions with known call counts.
foreach(module pb_tracer pb_agent pb_session)
  if(TARGET test_${module})
    target_compile_options(test_${module} PRIVATE -finstrument-functions)
  endif()
endforeach()

pb_script_test(profiling.modes ${PB_PYTHON3} ${PB_TESTS_DIR}/py/test_profile_modes.py)
pb_script_test(profiling.requests ${PB_PYTHON3} ${PB_TESTS_DIR}/py/test_profile_requests.py)

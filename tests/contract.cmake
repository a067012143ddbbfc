# The wire contract from outside: JSON Schemas, a Python client over real sockets,
# and the daemon's CPU figure against sar.

pb_script_test(contract.schema_generated ${PB_PYTHON3} ${PB_TESTS_DIR}/py/gen_schemas.py --check)
pb_script_test(contract.schema_examples ${PB_PYTHON3} ${PB_TESTS_DIR}/py/test_schema_examples.py)
pb_script_test(contract.schema_live ${PB_PYTHON3} ${PB_TESTS_DIR}/py/test_schema_live.py)
pb_script_test(contract.control_bad_requests ${PB_PYTHON3}
               ${PB_TESTS_DIR}/py/test_control_bad_requests.py)
pb_script_test(accuracy.cpu_vs_sar ${PB_PYTHON3} ${PB_TESTS_DIR}/cpu_vs_sar.py)
# stress-ng loads a whole core for ~12 s: run it alone, and keep it from
# skewing the timing of other tests.
set_tests_properties(accuracy.cpu_vs_sar PROPERTIES RUN_SERIAL TRUE)

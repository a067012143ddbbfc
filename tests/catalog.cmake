# The metric catalogue: its C table and rules, and a live daemon against it.
pb_check_test(pb_catalog LIBS pb_schemas)
pb_script_test(contract.catalog_live ${PB_PYTHON3} ${PB_TESTS_DIR}/py/test_catalog_live.py)

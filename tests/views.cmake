# What the report and the CLI show comes from the catalogue: the views, and no field literals.
pb_check_test(pb_view LIBS pb_schemas)
pb_check_test(pb_cli_view LIBS pb_cli)
pb_script_test(contract.catalog_literals ${PB_PYTHON3} ${PB_TESTS_DIR}/py/test_catalog_literals.py)

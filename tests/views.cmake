# What the report and the CLI show comes from the catalogue: the views, and no field literals.
pb_check_test(pb_view LIBS pb_schemas)

# Issue 5: perfbus-report — model, downsampling, charts, text, renderers, exports, CLI.

pb_check_test(pb_downsample LIBS pb_reporter)
pb_check_test(pb_text LIBS pb_reporter)
pb_check_test(pb_model LIBS pb_reporter)


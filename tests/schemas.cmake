# Unit tests of the wire contract: value tree, codec, JSON, envelope.
pb_check_test(pb_value LIBS pb_schemas)
pb_check_test(pb_codec LIBS pb_schemas)
pb_check_test(pb_json LIBS pb_schemas)
pb_check_test(pb_frame LIBS pb_schemas)
pb_check_test(pb_kvfile LIBS pb_schemas)
pb_check_test(pb_rpc LIBS pb_schemas PkgConfig::ZMQ Threads::Threads)
pb_check_test(pb_mpread LIBS pb_schemas)
pb_check_test(pb_mpwrite LIBS pb_schemas m)
# The suite counts allocations of perfbus code (ld's --wrap) to show the reader makes none.
target_link_options(test_pb_mpread PRIVATE -Wl,--wrap=malloc -Wl,--wrap=calloc -Wl,--wrap=realloc)
target_compile_definitions(test_pb_mpread PRIVATE PB_FUZZ_DIR="${PB_TESTS_DIR}/fuzz")
pb_check_test(pb_frame_reader LIBS pb_schemas)
# The same oracle as fuzz_frame_reader, over the checked-in corpus; allocations counted as above.
target_sources(test_pb_frame_reader PRIVATE ${PB_TESTS_DIR}/pb_frame_oracle.c)
target_link_options(test_pb_frame_reader PRIVATE -Wl,--wrap=malloc -Wl,--wrap=calloc -Wl,--wrap=realloc)
target_compile_definitions(test_pb_frame_reader PRIVATE PB_FUZZ_DIR="${PB_TESTS_DIR}/fuzz")
pb_check_test(pb_grow LIBS pb_schemas)
pb_check_test(pb_dlib LIBS pb_schemas)

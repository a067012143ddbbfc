# Unit tests of the wire contract: value tree, codec, JSON, envelope.
pb_check_test(pb_value LIBS pb_schemas)
pb_check_test(pb_codec LIBS pb_schemas)
pb_check_test(pb_json LIBS pb_schemas)
pb_check_test(pb_frame LIBS pb_schemas)
pb_check_test(pb_kvfile LIBS pb_schemas)
pb_check_test(pb_rpc LIBS pb_schemas PkgConfig::ZMQ Threads::Threads)

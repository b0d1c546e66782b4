// A library that is not an rmlx plugin: it exports no entry point.
extern "C" __attribute__((visibility("default"))) int rmlx_test_not_a_plugin() {
  return 42;
}

#define RMLX_OPS_SUFFIX avx512
#include "ops_elementwise.inc"

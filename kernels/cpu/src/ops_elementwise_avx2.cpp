#define RMLX_OPS_SUFFIX avx2
#include "ops_elementwise.inc"

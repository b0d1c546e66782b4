#define RMLX_OPS_SUFFIX portable
#include "ops_elementwise.inc"

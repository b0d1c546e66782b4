// The loaded model is public (rmlx/engine/model.h): benchmarks and tools drive it directly.
#pragma once

#include "rmlx/engine/model.h"

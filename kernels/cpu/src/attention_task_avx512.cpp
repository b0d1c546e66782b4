#define RMLX_TASK_NAME run_task_avx512
#include "attention_task.inc"

#define RMLX_TASK_NAME run_task_avx2
#include "attention_task.inc"

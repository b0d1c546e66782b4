#define RMLX_TASK_NAME run_task_portable
#include "attention_task.inc"

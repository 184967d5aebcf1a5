#include <stddef.h>
#include <stdint.h>

/// libFuzzer's driver, called from a program's own main (the runtime comes with
/// -sanitize=fuzzer): it parses libFuzzer's flags and runs `test_one_input` over the inputs.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*test_one_input)(const uint8_t *data, size_t size));

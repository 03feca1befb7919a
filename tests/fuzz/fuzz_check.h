/* FUZZ_CHECK: an assertion that stays in every build type (assert() is
 * compiled out under NDEBUG, which release builds define), so a fuzz
 * target's invariants are checked in the replay and libFuzzer builds. */
#ifndef ODRADEK_FUZZ_CHECK_H
#define ODRADEK_FUZZ_CHECK_H
#include <stdio.h>
#include <stdlib.h>
#define FUZZ_CHECK(x)                                                          \
    do {                                                                       \
        if (!(x)) {                                                            \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__,   \
                    #x);                                                       \
            abort();                                                           \
        }                                                                      \
    } while (0)
#endif

/* Includes cmocka needs, in the order it needs them. */
#ifndef ODRADEK_TEST_CMOCKA_ALL_H
#define ODRADEK_TEST_CMOCKA_ALL_H
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))
#endif

/* sv_backoff: exponential backoff with full jitter and the restart
 * intensity window, driven by a fake clock (plain integers). */
#include "cmocka_all.h"

#include "sv_backoff.h"
#include "sv_intensity.h"

static void test_ceiling_doubles_to_cap(void **state)
{
    struct sv_backoff b = { 1000, 60000, 60000, 0 };
    static const int64_t want[] = { 1000, 2000, 4000, 8000, 16000, 32000,
                                    60000, 60000, 60000 };

    (void)state;
    for (unsigned i = 0; i < N_ELEMS(want); i++)
        assert_int_equal(sv_backoff_ceiling(&b, i), want[i]);
    /* no overflow however many attempts */
    assert_int_equal(sv_backoff_ceiling(&b, 1000000), 60000);
    b.cap_ms = INT64_MAX;
    assert_true(sv_backoff_ceiling(&b, 200) > 0);
    b.base_ms = 0;
    assert_int_equal(sv_backoff_ceiling(&b, 5), 0);
}

static void test_full_jitter_bounds(void **state)
{
    struct sv_backoff b = { 100, 1000, 5000, 0 };
    int64_t           ceil, d;

    (void)state;
    /* rnd = 0 gives 0, rnd = ceiling gives the ceiling, anything in between */
    d = sv_backoff_next(&b, 0, 0, &ceil);
    assert_int_equal(d, 0);
    assert_int_equal(ceil, 100);
    d = sv_backoff_next(&b, 0, 200, &ceil);  /* 200 % 201 */
    assert_int_equal(ceil, 200);
    assert_int_equal(d, 200);
    d = sv_backoff_next(&b, 0, UINT64_MAX, &ceil);
    assert_int_equal(ceil, 400);
    assert_true(d >= 0 && d <= 400);
    assert_int_equal(b.attempt, 3);
    for (uint64_t r = 0; r < 5000; r += 7) {
        struct sv_backoff c = b;

        d = sv_backoff_next(&c, 0, r * 2654435761u, &ceil);
        assert_true(d >= 0 && d <= ceil);
    }
}

static void test_reset_after_healthy(void **state)
{
    struct sv_backoff b = { 1000, 60000, 30000, 0 };
    int64_t           ceil;

    (void)state;
    for (int i = 0; i < 5; i++)
        sv_backoff_next(&b, 0, 1, &ceil);
    assert_int_equal(ceil, 16000);
    /* ready for less than reset_ms: keeps growing */
    sv_backoff_next(&b, 29999, 1, &ceil);
    assert_int_equal(ceil, 32000);
    /* ready for reset_ms: starts over */
    sv_backoff_next(&b, 30000, 1, &ceil);
    assert_int_equal(ceil, 1000);
    assert_int_equal(b.attempt, 1);
}

static void test_intensity_window(void **state)
{
    struct sv_intensity it;
    int64_t             now = 1000000; /* the fake clock */

    (void)state;
    sv_intensity_init(&it, 3, 10000);
    assert_false(sv_intensity_add(&it, now));
    assert_false(sv_intensity_add(&it, now + 1000));
    assert_false(sv_intensity_add(&it, now + 2000));
    /* the 4th within 10 s escalates */
    assert_true(sv_intensity_add(&it, now + 3000));
    sv_intensity_free(&it);

    /* spread out, the same count never escalates */
    sv_intensity_init(&it, 3, 10000);
    for (int i = 0; i < 100; i++)
        assert_false(sv_intensity_add(&it, now + (int64_t)i * 4000));
    assert_int_equal(sv_intensity_count(&it, now + 99 * 4000), 3);
    /* the window slides: 3 old ones expire */
    assert_int_equal(sv_intensity_count(&it, now + 99 * 4000 + 10001), 0);
    sv_intensity_free(&it);

    /* max 0: the first restart escalates */
    sv_intensity_init(&it, 0, 10000);
    assert_true(sv_intensity_add(&it, now));
    sv_intensity_free(&it);
    sv_intensity_free(&it); /* idempotent */
}

/* A crash loop simulated on the fake clock: each crash comes 100 ms after
 * the start; with base 1 s the delays' ceilings double; intensity 5 in
 * 300 s escalates on the 6th restart. */
static void test_crash_loop_simulation(void **state)
{
    struct sv_backoff   b = { 1000, 60000, 60000, 0 };
    struct sv_intensity it;
    int64_t             now = 0, ceil, prev_ceil = 0;
    int                 restarts = 0;

    (void)state;
    sv_intensity_init(&it, 5, 300000);
    for (;;) {
        now += 100; /* runs 100 ms, crashes */
        if (sv_intensity_add(&it, now))
            break;
        int64_t d = sv_backoff_next(&b, 0, (uint64_t)now * 7919, &ceil);

        assert_true(ceil > prev_ceil);
        assert_true(d <= ceil);
        prev_ceil = ceil;
        now += d;
        restarts++;
    }
    assert_int_equal(restarts, 5);
    sv_intensity_free(&it);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ceiling_doubles_to_cap),
        cmocka_unit_test(test_full_jitter_bounds),
        cmocka_unit_test(test_reset_after_healthy),
        cmocka_unit_test(test_intensity_window),
        cmocka_unit_test(test_crash_loop_simulation),
    };

    return cmocka_run_group_tests_name("sv_backoff", tests, NULL, NULL);
}

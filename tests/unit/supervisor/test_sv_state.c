/* sv_state: the state x event table and the exit policy. */
#include "cmocka_all.h"

#include <string.h>

#include "sv_state.h"

#define S(x) SV_##x
#define E(x) SV_EV_##x
#define A(x) SV_ACT_##x

/* Each row: from, event -> to, action.  The transitions the supervisor's
 * behaviour rests on. */
static const struct {
    enum sv_state  from;
    enum sv_event  ev;
    enum sv_state  to;
    enum sv_action act;
} rows[] = {
    { S(STOPPED), E(START), S(STARTING), A(SPAWN) },
    { S(STARTING), E(STARTSECS), S(RUNNING), A(CHECK_READY) },
    { S(STARTING), E(READY), S(READY), A(NONE) },       /* READY=1 early */
    { S(RUNNING), E(READY), S(READY), A(NONE) },
    { S(STARTING), E(EXIT_RESTART), S(BACKOFF), A(SCHEDULE) },
    { S(READY), E(EXIT_RESTART), S(BACKOFF), A(SCHEDULE) },
    { S(READY), E(EXIT_DONE), S(EXITED), A(NONE) },
    { S(READY), E(EXIT_FATAL), S(FATAL), A(NONE) },
    { S(BACKOFF), E(BACKOFF_DONE), S(STARTING), A(SPAWN) },
    { S(BACKOFF), E(STOP), S(STOPPED), A(CANCEL) },
    { S(READY), E(LIVE_FAIL), S(UNHEALTHY), A(NONE) },
    { S(UNHEALTHY), E(LIVE_OK), S(READY), A(NONE) },
    { S(UNHEALTHY), E(LIVE_DEAD), S(STOPPING), A(KILL_FAILED) },
    { S(READY), E(LIVE_DEAD), S(STOPPING), A(KILL_FAILED) },
    { S(RUNNING), E(START_TIMEOUT), S(STOPPING), A(KILL_FAILED) },
    { S(READY), E(STOP), S(STOPPING), A(KILL) },
    { S(READY), E(RESTART), S(STOPPING), A(KILL_RESTART) },
    { S(STOPPING), E(STOP_TIMEOUT), S(STOPPING), A(SIGKILL) },
    { S(STOPPING), E(EXIT_RESTART), S(STOPPED), A(STOPPED) },
    { S(STOPPING), E(EXIT_FATAL), S(STOPPED), A(STOPPED) },
    { S(FATAL), E(START), S(STARTING), A(SPAWN) },
    { S(EXITED), E(RESTART), S(STARTING), A(SPAWN) },
    { S(FATAL), E(STOP), S(STOPPED), A(NONE) },
};

static void test_rows(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(rows); i++) {
        struct sv_transition t = sv_state_step(rows[i].from, rows[i].ev);

        print_message("row %zu: %s + %s\n", i, sv_state_name(rows[i].from),
                      sv_state_event_name(rows[i].ev));
        assert_int_equal(t.next, rows[i].to);
        assert_int_equal(t.act, rows[i].act);
    }
}

/* Events that must not change anything. */
static const struct {
    enum sv_state from;
    enum sv_event ev;
} ignored[] = {
    { S(STOPPED), E(STOP) },          /* stopping a stopped program */
    { S(STOPPED), E(READY) },         /* a late READY=1 */
    { S(STOPPED), E(LIVE_DEAD) },
    { S(STOPPING), E(STOP) },         /* a second stop request */
    { S(STOPPING), E(READY) },
    { S(STOPPING), E(LIVE_DEAD) },
    { S(STOPPING), E(START) },
    { S(BACKOFF), E(READY) },
    { S(FATAL), E(BACKOFF_DONE) },    /* a stale timer */
    { S(READY), E(START) },           /* already up */
    { S(READY), E(READY) },
    { S(STARTING), E(LIVE_FAIL) },    /* liveness only once ready */
    { S(STARTING), E(STOP_TIMEOUT) },
    { S(EXITED), E(EXIT_RESTART) },
};

static void test_ignored(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(ignored); i++) {
        struct sv_transition t = sv_state_step(ignored[i].from, ignored[i].ev);

        print_message("ignored %zu: %s + %s\n", i,
                      sv_state_name(ignored[i].from),
                      sv_state_event_name(ignored[i].ev));
        assert_int_equal(t.act, SV_ACT_IGNORE);
        assert_int_equal(t.next, ignored[i].from);
    }
}

/* Whole-table invariants, checked over every cell. */
static void test_every_cell(void **state)
{
    (void)state;
    for (int s = 0; s < SV_NSTATES; s++) {
        assert_string_not_equal(sv_state_name((enum sv_state)s), "UNKNOWN");
        for (int e = 0; e < SV_NEVENTS; e++) {
            struct sv_transition t = sv_state_step((enum sv_state)s,
                                                   (enum sv_event)e);

            assert_true(t.next >= 0 && t.next < SV_NSTATES);
            /* a spawn always leads to STARTING, from a state without a
             * process: never two processes for one program */
            if (t.act == SV_ACT_SPAWN) {
                assert_int_equal(t.next, SV_STARTING);
                assert_false(sv_state_has_process((enum sv_state)s));
            }
            /* a kill only where there is a process */
            if (t.act == SV_ACT_KILL || t.act == SV_ACT_KILL_FAILED ||
                t.act == SV_ACT_KILL_RESTART || t.act == SV_ACT_SIGKILL)
                assert_true(sv_state_has_process((enum sv_state)s));
            /* every state with a process can be stopped */
            if (e == SV_EV_STOP && sv_state_has_process((enum sv_state)s) &&
                s != SV_STOPPING)
                assert_int_equal(t.next, SV_STOPPING);
            /* every exit leaves the process states */
            if ((e == SV_EV_EXIT_RESTART || e == SV_EV_EXIT_DONE ||
                 e == SV_EV_EXIT_FATAL) && t.act != SV_ACT_IGNORE)
                assert_false(sv_state_has_process(t.next));
        }
        /* an exit is handled wherever a process exists */
        if (sv_state_has_process((enum sv_state)s))
            assert_int_not_equal(sv_state_step((enum sv_state)s,
                                               SV_EV_EXIT_RESTART).act,
                                 SV_ACT_IGNORE);
    }
    /* out of range is ignored, not a crash */
    assert_int_equal(sv_state_step((enum sv_state)99, SV_EV_START).act,
                     SV_ACT_IGNORE);
    assert_int_equal(sv_state_step(SV_STOPPED, (enum sv_event)99).act,
                     SV_ACT_IGNORE);
}

static void test_exit_policy(void **state)
{
    struct sv_prog_conf c;

    (void)state;
    memset(&c, 0, sizeof c);
    c.autorestart = SV_RESTART_UNEXPECTED;
    c.exitcodes[0] = 0;
    c.exitcodes[1] = 2;
    c.nexitcodes = 2;
    /* 78 is never restarted, whatever the policy and phase */
    assert_int_equal(sv_state_exit_event(&c, 78, false, 0), SV_EV_EXIT_FATAL);
    assert_int_equal(sv_state_exit_event(&c, 78, true, 1), SV_EV_EXIT_FATAL);
    c.autorestart = SV_RESTART_TRUE;
    assert_int_equal(sv_state_exit_event(&c, 78, false, 0), SV_EV_EXIT_FATAL);
    /* unexpected: expected codes are left alone, others restart */
    c.autorestart = SV_RESTART_UNEXPECTED;
    assert_int_equal(sv_state_exit_event(&c, 0, false, 0), SV_EV_EXIT_DONE);
    assert_int_equal(sv_state_exit_event(&c, 2, false, 0), SV_EV_EXIT_DONE);
    assert_int_equal(sv_state_exit_event(&c, 1, false, 0), SV_EV_EXIT_RESTART);
    assert_int_equal(sv_state_exit_event(&c, -9, false, 0), SV_EV_EXIT_RESTART);
    /* true / false */
    c.autorestart = SV_RESTART_TRUE;
    assert_int_equal(sv_state_exit_event(&c, 0, false, 0), SV_EV_EXIT_RESTART);
    c.autorestart = SV_RESTART_FALSE;
    assert_int_equal(sv_state_exit_event(&c, 1, false, 0), SV_EV_EXIT_DONE);
    /* a failed start is retried even with autorestart=false (supervisord),
     * until startretries is spent */
    c.startretries = 3;
    assert_int_equal(sv_state_exit_event(&c, 1, true, 1), SV_EV_EXIT_RESTART);
    assert_int_equal(sv_state_exit_event(&c, 1, true, 3), SV_EV_EXIT_RESTART);
    assert_int_equal(sv_state_exit_event(&c, 1, true, 4), SV_EV_EXIT_FATAL);
    c.startretries = 0; /* unlimited */
    assert_int_equal(sv_state_exit_event(&c, 1, true, 1000), SV_EV_EXIT_RESTART);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows),
        cmocka_unit_test(test_ignored),
        cmocka_unit_test(test_every_cell),
        cmocka_unit_test(test_exit_policy),
    };

    return cmocka_run_group_tests_name("sv_state", tests, NULL, NULL);
}

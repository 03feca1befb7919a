/* ignore_term: ignores SIGTERM (and SIGINT), prints its pid, waits forever:
 * the supervisor has to SIGKILL it after stopwaitsecs. */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

int main(void)
{
    signal(SIGTERM, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    printf("ignoring SIGTERM, pid %d\n", (int)getpid());
    fflush(stdout);
    for (;;)
        pause();
}

/* odradek-supervisor: command line, config load, then sv_sup_run().
 *
 *   odradek-supervisor [-c CONFIG] [--log-stdout] [--check] | --help | --version
 *
 * Exit codes: 0 after SIGTERM/SIGINT (ordered stop), 1 after escalation or
 * a start-up failure, 2 bad usage, 78 configuration error. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "sv_conf.h"
#include "sv_sup.h"

#define SV_DEFAULT_CONFIG "/etc/odradek/odradek.conf"

static void usage(FILE *f)
{
    fprintf(f,
        "usage: odradek-supervisor [-c CONFIG] [--log-stdout] [--check]\n"
        "\n"
        "Starts the programs of CONFIG (default " SV_DEFAULT_CONFIG ") in the\n"
        "order their requires= give, each once the ones it requires are ready;\n"
        "restarts what fails with exponential backoff; stops everything in\n"
        "reverse order on SIGTERM/SIGINT; reloads CONFIG on SIGHUP.\n"
        "\n"
        "  -c, --config CONFIG  the INI file ([supervisor], [program:NAME])\n"
        "  --log-stdout         program output as 'NAME | line' on stdout\n"
        "                       (containers, journald) instead of log files\n"
        "  --check              load CONFIG, report errors, exit (0 or 78)\n"
        "  --log-level LEVEL    debug, info (default), warn, error\n"
        "  --help, --version\n"
        "\n"
        "A command whose program name has no '/' is looked up next to\n"
        "odradek-supervisor first, then in PATH; %%(here)s in a value is the\n"
        "directory of CONFIG.  Control: odradek ctl status|start|stop|...\n");
}

/* fds 0-2 must exist: our pipes and sockets must never land on them */
static void sv_main_std_fds(void)
{
    struct stat st;

    for (int fd = 0; fd < 3; fd++)
        if (fstat(fd, &st) < 0 && open("/dev/null", O_RDWR) != fd)
            _exit(1);
    /* a full stdout pipe must never block the loop (sv_log drops instead) */
    if (fstat(1, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)))
        fcntl(1, F_SETFL, fcntl(1, F_GETFL) | O_NONBLOCK);
}

int main(int argc, char **argv)
{
    struct sv_sup_opts o = { SV_DEFAULT_CONFIG, false };
    struct sv_conf     conf;
    char               err[512];
    bool               check = false;
    int                rc;

    log_init("supervisor");
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];

        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--version") == 0) {
            printf("odradek-supervisor %s\n", ODRADEK_VERSION);
            return 0;
        } else if ((strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) &&
                   i + 1 < argc) {
            o.config = argv[++i];
        } else if (strncmp(a, "--config=", 9) == 0) {
            o.config = a + 9;
        } else if (strcmp(a, "--log-stdout") == 0) {
            o.log_stdout = true;
        } else if (strcmp(a, "--check") == 0) {
            check = true;
        } else if (strcmp(a, "--log-level") == 0 && i + 1 < argc &&
                   log_level_parse(argv[i + 1]) >= 0) {
            log_set_level((enum log_level)log_level_parse(argv[++i]));
        } else {
            fprintf(stderr, "odradek-supervisor: unknown or incomplete "
                    "argument '%s' (try --help)\n", a);
            return 2;
        }
    }
    sv_main_std_fds();
    rc = sv_conf_load(&conf, o.config, err, sizeof err);
    if (rc < 0) {
        log_error("%s", err);
        return 78;
    }
    if (check) {
        printf("%s: %d program(s), OK\n", conf.path, conf.nprogs);
        sv_conf_free(&conf);
        return 0;
    }
    return sv_sup_run(&o, &conf);
}

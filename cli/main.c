/* odradek: the command-line tool.  One table of subcommands (the map of
 * the tool); each lives in its own cli_<name>.c.  Later subcommands
 * (topics, console-producer, console-consumer, consumer-groups, zk) are
 * added as rows here. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct cli_cmd cli_cmds[] = {
    { "ctl", "control odradek-supervisor (status, start, stop, restart, "
             "signal, tail, reload)", cli_ctl_main, cli_ctl_usage },
    { "zk", "zkCli.sh's commands against coord or ZooKeeper (ls, get, "
            "set, create, delete, deleteall, stat, getAcl, setAcl, addauth, "
            "sync; a shell without a command)", cli_zk_main, cli_zk_usage },
};
#define CLI_NCMDS (sizeof cli_cmds / sizeof cli_cmds[0])

static void usage(FILE *f)
{
    fprintf(f, "usage: odradek COMMAND [ARGS...]\n"
               "       odradek help COMMAND | --help | --version\n\ncommands:\n");
    for (size_t i = 0; i < CLI_NCMDS; i++)
        fprintf(f, "  %-18s %s\n", cli_cmds[i].name, cli_cmds[i].summary);
}

static const struct cli_cmd *cli_find(const char *name)
{
    for (size_t i = 0; i < CLI_NCMDS; i++)
        if (strcmp(cli_cmds[i].name, name) == 0)
            return &cli_cmds[i];
    return NULL;
}

int main(int argc, char **argv)
{
    const struct cli_cmd *c;

    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("odradek %s\n", ODRADEK_VERSION);
        return 0;
    }
    if (strcmp(argv[1], "help") == 0) {
        if (argc < 3) {
            usage(stdout);
            return 0;
        }
        c = cli_find(argv[2]);
        if (c == NULL) {
            fprintf(stderr, "odradek: no such command '%s'\n", argv[2]);
            return 2;
        }
        c->usage(stdout);
        return 0;
    }
    c = cli_find(argv[1]);
    if (c == NULL) {
        fprintf(stderr, "odradek: unknown command '%s' (try --help)\n", argv[1]);
        return 2;
    }
    return c->run(argc - 1, argv + 1);
}

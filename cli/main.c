/* odradek: the command-line tool.  One table of subcommands (the map of
 * the tool); each lives in its own cli_<name>.c.  `odradek help CMD`
 * and `odradek CMD --help` print the same usage text.  Exit codes: 0 ok,
 * 2 usage (unknown command); each subcommand documents its own. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct cli_cmd cli_cmds[] = {
    { "topics", "create, list, describe, alter and delete topics "
                "(kafka-topics.sh)", cli_topics_main, cli_topics_usage },
    { "console-producer", "write lines from stdin to a topic "
                          "(kafka-console-producer.sh)", cli_produce_main,
      cli_produce_usage },
    { "console-consumer", "print a topic's messages, alone or in a consumer "
                          "group (kafka-console-consumer.sh)", cli_consume_main,
      cli_consume_usage },
    { "consumer-groups", "list, describe, reset and delete consumer groups "
                         "(kafka-consumer-groups.sh)", cli_groups_main,
      cli_groups_usage },
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

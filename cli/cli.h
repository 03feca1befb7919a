/* cli: the odradek command's subcommand table entry type, shared by
 * cli/main.c (the table and dispatch) and each cli_<sub>.c. */
#ifndef ODRADEK_CLI_H
#define ODRADEK_CLI_H

#include <stdio.h>

/* argv[0] is the subcommand's name.  Returns the process exit code. */
typedef int cli_main_fn(int argc, char **argv);
typedef void cli_usage_fn(FILE *f);

struct cli_cmd {
    const char   *name;
    const char   *summary;
    cli_main_fn  *run;
    cli_usage_fn *usage;
};

/* cli_ctl.c: odradek ctl (the supervisor's control socket) */
int  cli_ctl_main(int argc, char **argv);
void cli_ctl_usage(FILE *f);

/* cli_topics.c: odradek topics (kafka-topics.sh) */
int  cli_topics_main(int argc, char **argv);
void cli_topics_usage(FILE *f);

/* cli_produce.c: odradek console-producer (kafka-console-producer.sh) */
int  cli_produce_main(int argc, char **argv);
void cli_produce_usage(FILE *f);

/* cli_consume.c: odradek console-consumer (kafka-console-consumer.sh) */
int  cli_consume_main(int argc, char **argv);
void cli_consume_usage(FILE *f);

/* cli_groups.c: odradek consumer-groups (kafka-consumer-groups.sh) */
int  cli_groups_main(int argc, char **argv);
void cli_groups_usage(FILE *f);

/* cli_zk.c: odradek zk (zkCli.sh's commands) */
int  cli_zk_main(int argc, char **argv);
void cli_zk_usage(FILE *f);

#endif

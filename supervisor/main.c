/* odradek-supervisor: entry point (placeholder until its issue lands). */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
        printf("odradek-supervisor %s\n", ODRADEK_VERSION);
        return 0;
    }
    fprintf(stderr, "odradek-supervisor: not implemented yet\n");
    return 1;
}

/* Corpus replayer: links with a fuzz target when the build is not a
 * libFuzzer build, and feeds it every file named on the command line (or
 * every file inside a named directory).  A missing directory is an empty
 * corpus.  Lets the plain and sanitizer builds re-run saved inputs, crashers
 * included, as ordinary ctest cases. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
    FILE    *f = fopen(path, "rb");
    uint8_t *data;
    long     n;

    if (f == NULL)
        return 0;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    data = malloc(n > 0 ? (size_t)n : 1);
    if (n > 0 && fread(data, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        free(data);
        return 0;
    }
    fclose(f);
    LLVMFuzzerTestOneInput(data, (size_t)n);
    free(data);
    return 1;
}

int main(int argc, char **argv)
{
    int i, count = 0;

    for (i = 1; i < argc; i++) {
        struct stat st;

        if (stat(argv[i], &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            DIR           *d = opendir(argv[i]);
            struct dirent *e;
            char           path[4096];

            while (d && (e = readdir(d)) != NULL) {
                if (e->d_name[0] == '.')
                    continue;
                snprintf(path, sizeof path, "%s/%s", argv[i], e->d_name);
                count += replay_file(path);
            }
            if (d)
                closedir(d);
        } else {
            count += replay_file(argv[i]);
        }
    }
    /* and the empty input, always */
    LLVMFuzzerTestOneInput((const uint8_t *)"", 0);
    printf("replayed %d inputs\n", count + 1);
    return 0;
}

/* t.c — the runner behind t.h: registration, -k filter, temp dirs, summary line. */
#include "t.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define T_MAX 4096

struct t_case {
    const char *name, *file;
    t_fn fn;
};

static struct t_case t_cases[T_MAX];
static int t_ncases;
static int t_cur_failed, t_cur_skipped;
static const char *t_cur_name;
static char t_root[PATH_MAX + 32];
static char t_tmp_root[PATH_MAX];
static char t_tmp_cur[PATH_MAX + 32];
static int t_tmp_seq;

void t_register(const char *name, const char *file, t_fn fn)
{
    if (t_ncases < T_MAX)
        t_cases[t_ncases++] = (struct t_case){name, file, fn};
}

void t_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "  FAIL %s (%s:%d): ", t_cur_name, file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    t_cur_failed = 1;
}

int t_failed_now(void)
{
    return t_cur_failed;
}

void t_skip(const char *why)
{
    printf("  skip %s: %s\n", t_cur_name, why);
    t_cur_skipped = 1;
}

const char *t_srcdir(void)
{
    return t_root;
}

const char *t_corpus(void)
{
    static char path[PATH_MAX + 64];
    struct stat st;
    const char *env = getenv("KONSEKI_CORPUS");
    if (env && *env)
        snprintf(path, sizeof path, "%s", env);
    else
        snprintf(path, sizeof path, "%s/../../shared/corpus", t_root);
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode) ? path : NULL;
}

const char *t_tmpdir(void)
{
    if (!t_tmp_root[0]) {
        snprintf(t_tmp_root, sizeof t_tmp_root, "%s/konseki-unit-XXXXXX",
                 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
        if (!mkdtemp(t_tmp_root)) {
            perror("mkdtemp");
            exit(2);
        }
    }
    snprintf(t_tmp_cur, sizeof t_tmp_cur, "%s/%d", t_tmp_root, ++t_tmp_seq);
    mkdir(t_tmp_cur, 0700);
    return t_tmp_cur;
}

static void t_find_root(const char *argv0)
{
    /* The binary lives in <root>/build[/asan]/unit-tests; tests/ is found by walking up. */
    char buf[PATH_MAX];
    if (!realpath(argv0, buf))
        snprintf(buf, sizeof buf, ".");
    for (int i = 0; i < 4; i++) {
        char *slash = strrchr(buf, '/');
        if (!slash)
            break;
        *slash = '\0';
        char probe[PATH_MAX + 32];
        struct stat st;
        snprintf(probe, sizeof probe, "%s/tests/unit/t.h", buf);
        if (stat(probe, &st) == 0) {
            snprintf(t_root, sizeof t_root, "%s/tests", buf);
            return;
        }
    }
    snprintf(t_root, sizeof t_root, "tests");
}

int main(int argc, char **argv)
{
    const char *filter = NULL;
    int list = 0, passed = 0, failed = 0, skipped = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-k") && i + 1 < argc)
            filter = argv[++i];
        else if (!strcmp(argv[i], "-l"))
            list = 1;
        else {
            fprintf(stderr, "usage: %s [-k SUBSTR] [-l]\n", argv[0]);
            return 2;
        }
    }
    t_find_root(argv[0]);
    for (int i = 0; i < t_ncases; i++) {
        struct t_case *c = &t_cases[i];
        if (filter && !strstr(c->name, filter))
            continue;
        if (list) {
            printf("%s\t%s\n", c->name, c->file);
            continue;
        }
        t_cur_name = c->name;
        t_cur_failed = t_cur_skipped = 0;
        c->fn();
        if (t_cur_failed) {
            failed++;
            printf("FAIL %s\n", c->name);
        } else if (t_cur_skipped) {
            skipped++;
        } else {
            passed++;
        }
        fflush(stdout);
    }
    if (t_tmp_root[0]) {
        char cmd[PATH_MAX + 16];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", t_tmp_root);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", t_tmp_root);
    }
    if (list)
        return 0;
    if (skipped)
        printf("unit: %d passed, %d failed, %d skipped\n", passed, failed, skipped);
    else
        printf("unit: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

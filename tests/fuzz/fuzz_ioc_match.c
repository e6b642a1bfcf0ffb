/*
 * fuzz_ioc_match.c — indicators and observed values from hostile bytes through the matcher.
 *
 * Input: lines.  "I<t>:<value>" adds an indicator of type t (a digit or letter, taken modulo
 * the number of types); "V<p>:<value>" looks a value up under the p-th record path the matcher
 * knows; "A:<16 bytes>" matches an address; "U<port>:<host> <target>" an HTTP request.  Every
 * hit must name an indicator that was added and carry a NUL-terminated observed value; nothing
 * may crash, hang or leak, whatever the values (traffic and feeds are both attacker-controlled).
 */
#include "core/err.h"
#include "ioc/match.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int64_t fm_added;

static int fm_hit(void *ctx, int64_t ioc, int64_t until, const char *field, const char *observed)
{
    (void)ctx;
    (void)until;
    if (ioc < 1 || ioc > fm_added || !field || !observed || strlen(observed) > 8192)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16)
        return 0;
    struct ioc_matcher *m;
    if (ioc_matcher_new(&m))
        return 0;
    fm_added = 0;
    const char *const *paths = ioc_match_paths();
    size_t npaths = 0;
    while (paths[npaths])
        npaths++;
    char *line = malloc(size + 1);
    if (!line) {
        ioc_matcher_free(m);
        return 0;
    }
    size_t i = 0;
    while (i < size) {
        size_t e = i;
        while (e < size && data[e] != '\n')
            e++;
        size_t n = e - i;
        memcpy(line, data + i, n);
        line[n] = '\0';
        i = e + 1;
        if (n < 3 || line[2] != ':')
            continue;
        char *v = line + 3;
        unsigned sel = (unsigned char)line[1];
        switch (line[0]) {
        case 'I':
            if (ioc_matcher_add(m, fm_added + 1, (int)(sel % IOC__COUNT), v, 0) == 0)
                fm_added++;
            break;
        case 'V':
            ioc_match_value(m, paths[sel % npaths], v, fm_hit, NULL);
            break;
        case 'A':
            if (n - 3 >= 16)
                ioc_match_addr(m, (const uint8_t *)v, "destination.ip", fm_hit, NULL);
            break;
        case 'U': {
            char *sp = strchr(v, ' ');
            if (sp)
                *sp++ = '\0';
            ioc_match_url(m, v, (int)sel * 97, sp ? sp : "/", fm_hit, NULL);
            break;
        }
        }
    }
    if ((size_t)fm_added != ioc_matcher_count(m, -1))
        abort();
    free(line);
    ioc_matcher_free(m);
    return 0;
}

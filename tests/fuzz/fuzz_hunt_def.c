/*
 * fuzz_hunt_def.c — hunt files (user-supplied: STORE/hunts/, $KONSEKI_HUNTS) and zone specs.
 *
 * Any bytes: hunt_def_parse either accepts (then every string is NUL-terminated within its
 * field and the kind is a registered analysis) or refuses with KS_EINVAL and a message naming
 * the origin.  The same bytes, line by line, go through hunt_zone_add.
 */
#include "core/err.h"
#include "hunt/hunt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct hunt_def d;
    char msg[512];
    int rc = hunt_def_parse((const char *)data, size, "fuzz.hunt", &d, msg, sizeof msg);
    if (rc == 0) {
        if (memchr(d.name, 0, sizeof d.name) == NULL || memchr(d.kind, 0, sizeof d.kind) == NULL ||
            memchr(d.hypothesis, 0, sizeof d.hypothesis) == NULL || d.nparams > HUNT_MAX_PARAMS)
            abort();
        int known = 0;
        for (const struct hunt_kind *const *k = hunt_kinds; *k; k++)
            known |= strcmp((*k)->name, d.kind) == 0;
        if (!known)
            abort();
    } else if (rc != KS_EINVAL || strncmp(msg, "fuzz.hunt", 9) != 0) {
        abort();
    }
    static struct hunt_zones z;
    memset(&z, 0, sizeof z);
    char line[1024];
    size_t o = 0;
    for (size_t i = 0; i <= size; i++) {
        if (i == size || data[i] == '\n' || o + 1 == sizeof line) {
            line[o] = '\0';
            if (memchr(line, '=', o)) {
                rc = hunt_zone_add(&z, line, msg, sizeof msg);
                if (rc != 0 && rc != KS_EINVAL && rc != KS_ELIMIT)
                    abort();
            }
            o = 0;
        } else if (data[i]) {
            line[o++] = (char)data[i];
        }
    }
    uint8_t ip[16] = {0};
    memcpy(ip, data, size < 16 ? size : 16);
    if (!hunt_zone_of(&z, ip))
        abort();
    return 0;
}

/*
 * fuzz_ioc_import.c — any bytes through ioc_import_buf (every format: detection picks JSON
 * STIX/MISP, Zeek, CSV layouts or lists), checking what an importer promises: every emitted
 * value is non-empty canonical text of a known type that normalises to itself, the counts add
 * up, and every kept problem is one bounded line.  The first byte, when it is below 0x20,
 * selects --type (that byte minus one; 0 = infer) and is not part of the input.
 */
#include "core/err.h"
#include "ioc/ioc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fi_emit(void *ctx, const struct ioc *i)
{
    char again[IOC_VALUE_MAX + 64];
    (*(uint64_t *)ctx)++;
    if (i->type < 0 || i->type >= IOC__COUNT || !i->value || !i->value[0] || !i->source)
        abort();
    if (strlen(i->value) > IOC_VALUE_MAX + 8)
        abort();
    /* Canonical means stable: normalising the output gives it back. */
    if (ioc_normalize(i->type, i->value, strlen(i->value), again, sizeof again) != 0 ||
        strcmp(again, i->value) != 0) {
        fprintf(stderr, "fuzz_ioc_import: %s \"%s\" is not canonical (\"%s\")\n",
                ioc_type_name(i->type), i->value, again);
        abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ioc_import_opts o = {.forced_type = -1};
    struct ioc_import_report r;
    uint64_t n = 0;
    if (size && data[0] < 0x20) {
        o.forced_type = data[0] % (IOC__COUNT + 1) - 1;
        data++;
        size--;
    }
    int rc = ioc_import_buf(data, size, "fuzz", &o, fi_emit, &n, &r);
    if (rc != 0 && rc != KS_EFORMAT && rc != KS_ENOMEM)
        abort();
    uint64_t sum = 0;
    for (int t = 0; t < IOC__COUNT; t++)
        sum += r.by_type[t];
    if (n != r.indicators || sum != r.indicators + r.duplicates || !r.format)
        abort();
    for (uint64_t i = 0; i < r.nproblems && i < IOC_REPORT_PROBLEMS; i++) {
        size_t l = strnlen(r.problems[i], IOC_PROBLEM_LEN);
        if (l == IOC_PROBLEM_LEN || strchr(r.problems[i], '\n'))
            abort();
    }
    return 0;
}

#include "core/addr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t v4prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

void addr_to16(int ipver, const uint8_t *in, uint8_t out[16])
{
    if (ipver == 4) {
        memcpy(out, v4prefix, 12);
        memcpy(out + 12, in, 4);
    } else {
        memcpy(out, in, 16);
    }
}

int addr_is_v4mapped(const uint8_t a[16])
{
    return memcmp(a, v4prefix, 12) == 0;
}

size_t addr_format4(const uint8_t a[4], char dst[16])
{
    char *p = dst;
    for (int i = 0; i < 4; i++) {
        unsigned v = a[i];
        if (v >= 100)
            *p++ = (char)('0' + v / 100);
        if (v >= 10)
            *p++ = (char)('0' + v / 10 % 10);
        *p++ = (char)('0' + v % 10);
        *p++ = i < 3 ? '.' : '\0';
    }
    return (size_t)(p - dst - 1);
}

void addr_format16(const uint8_t a[16], char *dst, size_t n)
{
    if (addr_is_v4mapped(a)) {
        char t[16];
        size_t l = addr_format4(a + 12, t);
        if (n) { /* cut like snprintf */
            l = l < n ? l : n - 1;
            memcpy(dst, t, l);
            dst[l] = '\0';
        }
    } else if (!inet_ntop(AF_INET6, a, dst, (socklen_t)n) && n)
        dst[0] = '\0';
}

void addr_format(int ipver, const uint8_t *a, char *dst, size_t n)
{
    uint8_t t[16];
    addr_to16(ipver, a, t);
    addr_format16(t, dst, n);
}

static int range_cmp(const void *a, const void *b)
{
    int c = memcmp(a, b, 16);
    return c ? c : memcmp((const uint8_t *)a + 16, (const uint8_t *)b + 16, 16);
}

size_t addr_ranges_merge(uint8_t *ranges, size_t n)
{
    if (n)
        qsort(ranges, n, 32, range_cmp);
    size_t out = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t *cur = ranges + 32 * i, *last = ranges + 32 * (out ? out - 1 : 0);
        if (out && memcmp(cur, last + 16, 16) <= 0) {
            if (memcmp(cur + 16, last + 16, 16) > 0)
                memcpy(last + 16, cur + 16, 16);
            continue;
        }
        memmove(ranges + 32 * out++, cur, 32);
    }
    return out;
}

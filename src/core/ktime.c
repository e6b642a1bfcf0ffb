#include "core/ktime.h"
#include "core/err.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t ktime_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * KT_NS_PER_SEC + ts.tv_nsec;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian), Howard Hinnant's algorithm. */
/* Seconds that still fit in int64 nanoseconds with room for an offset (year ~2255). */
#define KT_MAX_SECS INT64_C(9000000000)

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static int parse_digits(const char **s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*s)[i]))
            return -1;
        v = v * 10 + ((*s)[i] - '0');
    }
    *s += n;
    *out = v;
    return 0;
}

static int parse_frac(const char **s, int64_t *ns)
{
    int64_t v = 0, scale = 100000000;
    const char *p = *s;
    if (!isdigit((unsigned char)*p))
        return -1;
    for (; isdigit((unsigned char)*p); p++) {
        if (scale) {
            v += (*p - '0') * scale;
            scale /= 10;
        }
    }
    *s = p;
    *ns = v;
    return 0;
}

static int parse_rfc3339(const char *s, int64_t *out)
{
    int y, mo, d, h = 0, mi = 0, se = 0;
    int64_t frac = 0, off = 0;
    if (parse_digits(&s, 4, &y) || *s++ != '-' || parse_digits(&s, 2, &mo) || *s++ != '-' ||
        parse_digits(&s, 2, &d))
        return KS_EINVAL;
    /* int64 nanoseconds cover 1677..2262; stay well inside. */
    if (y < 1900 || y > 2200 || mo < 1 || mo > 12 || d < 1 || d > 31)
        return KS_EINVAL;
    if (*s == 'T' || *s == 't' || *s == ' ') {
        s++;
        if (parse_digits(&s, 2, &h) || *s++ != ':' || parse_digits(&s, 2, &mi))
            return KS_EINVAL;
        if (*s == ':') {
            s++;
            if (parse_digits(&s, 2, &se))
                return KS_EINVAL;
            if (*s == '.' || *s == ',') {
                s++;
                if (parse_frac(&s, &frac))
                    return KS_EINVAL;
            }
        }
        if (h > 23 || mi > 59 || se > 60)
            return KS_EINVAL;
        if (*s == 'Z' || *s == 'z') {
            s++;
        } else if (*s == '+' || *s == '-') {
            int sign = *s++ == '-' ? -1 : 1, oh, om;
            if (parse_digits(&s, 2, &oh) || *s++ != ':' || parse_digits(&s, 2, &om))
                return KS_EINVAL;
            off = sign * (oh * 3600 + om * 60);
        }
    }
    if (*s)
        return KS_EINVAL;
    int64_t secs = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se;
    *out = (secs - off) * KT_NS_PER_SEC + frac;
    return 0;
}

int ktime_parse(const char *s, int64_t now, int64_t *out)
{
    if (!s || !*s)
        return KS_EINVAL;
    size_t n = strlen(s);
    /* relative: digits followed by one unit letter */
    char unit = s[n - 1];
    if (n >= 2 && strchr("smhdw", unit)) {
        int all_digits = 1;
        for (size_t i = 0; i + 1 < n; i++)
            all_digits &= isdigit((unsigned char)s[i]) != 0;
        if (all_digits && n <= 12) {
            int64_t v = strtoll(s, NULL, 10), mul = 1;
            switch (unit) {
            case 's':
                mul = 1;
                break;
            case 'm':
                mul = 60;
                break;
            case 'h':
                mul = 3600;
                break;
            case 'd':
                mul = 86400;
                break;
            case 'w':
                mul = 7 * 86400;
                break;
            }
            if (v > KT_MAX_SECS / mul)
                return KS_EINVAL;
            *out = now - v * mul * KT_NS_PER_SEC;
            return 0;
        }
    }
    /* epoch seconds, optional fraction */
    const char *p = s;
    while (isdigit((unsigned char)*p))
        p++;
    if (p != s && (p - s) <= 12 && (*p == '\0' || *p == '.')) {
        int64_t secs = strtoll(s, NULL, 10), frac = 0;
        if (secs > KT_MAX_SECS)
            return KS_EINVAL;
        if (*p == '.') {
            p++;
            if (parse_frac(&p, &frac) || *p)
                return KS_EINVAL;
        }
        *out = secs * KT_NS_PER_SEC + frac;
        return 0;
    }
    return parse_rfc3339(s, out);
}

static void split(int64_t ns, struct tm *tm, int64_t *frac)
{
    int64_t secs = ns / KT_NS_PER_SEC;
    *frac = ns % KT_NS_PER_SEC;
    if (*frac < 0) {
        *frac += KT_NS_PER_SEC;
        secs--;
    }
    time_t t = (time_t)secs;
    gmtime_r(&t, tm);
}

void ktime_format(int64_t ns, char *dst, size_t n)
{
    struct tm tm;
    int64_t frac;
    split(ns, &tm, &frac);
    char fr[16] = "";
    if (frac) {
        snprintf(fr, sizeof fr, ".%09lld", (long long)frac);
        size_t l = strlen(fr);
        while (l > 1 && fr[l - 1] == '0')
            fr[--l] = '\0';
    }
    snprintf(dst, n, "%04d-%02d-%02dT%02d:%02d:%02d%sZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, fr);
}

void ktime_format_short(int64_t ns, char *dst, size_t n)
{
    struct tm tm;
    int64_t frac;
    split(ns, &tm, &frac);
    snprintf(dst, n, "%04d-%02d-%02d %02d:%02d:%02d.%06lld", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long long)(frac / 1000));
}

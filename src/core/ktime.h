/* ktime.h — timestamps are int64 nanoseconds since the Unix epoch (UTC) everywhere. */
#ifndef KONSEKI_CORE_KTIME_H
#define KONSEKI_CORE_KTIME_H

#include <stddef.h>
#include <stdint.h>

#define KT_NS_PER_SEC 1000000000LL

/* Wall-clock now. */
int64_t ktime_now(void);
/*
 * Parse a user time: relative ("7d", "3h", "90m", "30s", "2w" = that long before now),
 * RFC 3339 ("2024-01-15T10:00:00Z", "2024-01-15T10:00:00.5+02:00", "2024-01-15" = midnight
 * UTC), or epoch seconds ("1700000000", "1700000000.25").  0 or KS_EINVAL.
 */
int ktime_parse(const char *s, int64_t now, int64_t *out);
/* RFC 3339 UTC with nanoseconds trimmed to what is non-zero (at most 9 digits): "…T10:00:00.5Z" */
void ktime_format(int64_t ns, char *dst, size_t n);
/* RFC 3339 UTC with exactly microsecond precision, for tables: "2024-01-15 10:00:00.123456". */
void ktime_format_short(int64_t ns, char *dst, size_t n);

#endif

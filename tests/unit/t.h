/*
 * t.h — konseki's small test runner.
 *
 * A test is a function declared with TEST(name); a constructor registers it, so a
 * new test file needs no central list.  Assertions print both sides and stop the
 * current test only.  `unit-tests -k SUBSTR` runs the tests whose name contains
 * SUBSTR; `-l` lists them.  The last line is always "N passed, N failed".
 */
#ifndef KONSEKI_T_H
#define KONSEKI_T_H

#include <inttypes.h>
#include <stdint.h>
#include <string.h>

typedef void (*t_fn)(void);
void t_register(const char *name, const char *file, t_fn fn);
void t_fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int t_failed_now(void);
/* Absolute path of a file under the repository's tests/ (data for tests). */
const char *t_srcdir(void);
/* A fresh, empty temporary directory for this test (removed at the end of the run). */
const char *t_tmpdir(void);
/* Corpus root (../shared/corpus from the repository) or NULL when absent. */
const char *t_corpus(void);
void t_skip(const char *why);

#define TEST(name)                                                                                 \
    static void t_##name(void);                                                                    \
    __attribute__((constructor)) static void t_reg_##name(void)                                    \
    {                                                                                              \
        t_register(#name, __FILE__, t_##name);                                                     \
    }                                                                                              \
    static void t_##name(void)

#define T_STOP_IF_FAILED()                                                                         \
    do {                                                                                           \
        if (t_failed_now())                                                                        \
            return;                                                                                \
    } while (0)

#define ASSERT_TRUE(c)                                                                             \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            t_fail(__FILE__, __LINE__, "expected true: %s", #c);                                   \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define ASSERT_INT_OP(a, op, b)                                                                    \
    do {                                                                                           \
        long long t_a_ = (long long)(a), t_b_ = (long long)(b);                                    \
        if (!(t_a_ op t_b_)) {                                                                     \
            t_fail(__FILE__, __LINE__, "%s %s %s: %lld vs %lld", #a, #op, #b, t_a_, t_b_);         \
            return;                                                                                \
        }                                                                                          \
    } while (0)
#define ASSERT_EQ(a, b) ASSERT_INT_OP(a, ==, b)
#define ASSERT_NE(a, b) ASSERT_INT_OP(a, !=, b)
#define ASSERT_LT(a, b) ASSERT_INT_OP(a, <, b)
#define ASSERT_LE(a, b) ASSERT_INT_OP(a, <=, b)
#define ASSERT_GT(a, b) ASSERT_INT_OP(a, >, b)
#define ASSERT_GE(a, b) ASSERT_INT_OP(a, >=, b)

#define ASSERT_STR_EQ(a, b)                                                                        \
    do {                                                                                           \
        const char *t_a_ = (a), *t_b_ = (b);                                                       \
        if (!t_a_ || !t_b_ || strcmp(t_a_, t_b_) != 0) {                                           \
            t_fail(__FILE__, __LINE__, "%s == %s: \"%s\" vs \"%s\"", #a, #b,                       \
                   t_a_ ? t_a_ : "(null)", t_b_ ? t_b_ : "(null)");                                \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define ASSERT_MEM_EQ(a, b, n)                                                                     \
    do {                                                                                           \
        if (memcmp((a), (b), (n)) != 0) {                                                          \
            t_fail(__FILE__, __LINE__, "%s and %s differ in their first %zu bytes", #a, #b,        \
                   (size_t)(n));                                                                   \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#endif

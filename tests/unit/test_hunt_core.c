/* The hunt framework's pure parts: hunt files, numbers with units, zones, statistics, the map,
   and the report writer's escaping. */
#include "t.h"

#include "core/err.h"
#include "hunt/hunt.h"
#include "report/doc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int hunt_num_parse(const char *s, double *out); /* def.c */

TEST(hunt_def_parse_ok)
{
    static const char text[] = "# comment\n"
                               "name = t1\nkind = long-conn\nid = KH-9\n"
                               "hypothesis = first line\n  continued here\n"
                               "attack = T1 T2\nparam.half = 4h\nhelp.half = what it is\n"
                               "param.name = text # not a comment\n";
    struct hunt_def d;
    char msg[256];
    ASSERT_EQ(hunt_def_parse(text, sizeof text - 1, "t", &d, msg, sizeof msg), 0);
    ASSERT_STR_EQ(d.name, "t1");
    ASSERT_STR_EQ(d.kind, "long-conn");
    ASSERT_STR_EQ(d.hypothesis, "first line continued here");
    ASSERT_EQ(d.nparams, 2);
    ASSERT_STR_EQ(d.params[0].name, "half");
    ASSERT_STR_EQ(d.params[0].help, "what it is");
    ASSERT_EQ(d.params[0].numeric, 1);
    ASSERT_STR_EQ(d.params[1].value, "text # not a comment");
    ASSERT_EQ(d.params[1].numeric, 0);
}

TEST(hunt_def_parse_errors)
{
    struct hunt_def d;
    char msg[256];
    static const char *const bad[] = {
        "name = x\nhypothesis = h\nkind = no-such-kind\n",     /* unknown kind */
        "name = x\nhypothesis = h\nkind = query\nbogus = 1\n", /* unknown key */
        "hypothesis = h\n",                                    /* no name */
        "name = bad name!\nhypothesis = h\n",                  /* bad name */
        "name = x\nkind = query\n",                            /* no hypothesis */
        "name = x\nhypothesis h\n",                            /* no = */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ASSERT_EQ(hunt_def_parse(bad[i], strlen(bad[i]), "f.hunt", &d, msg, sizeof msg), KS_EINVAL);
        ASSERT_TRUE(strncmp(msg, "f.hunt", 6) == 0);
    }
    char big[4000];
    memset(big, 'a', sizeof big);
    memcpy(big, "name = x\nhypothesis = h\ntitle = ", 32);
    ASSERT_EQ(hunt_def_parse(big, sizeof big, "f", &d, msg, sizeof msg), KS_EINVAL);
}

TEST(hunt_builtins_parse)
{
    struct hunt_def *defs = NULL;
    size_t n = 0;
    ASSERT_EQ(hunt_defs_load(NULL, &defs, &n, NULL, NULL), 0);
    ASSERT_TRUE(n >= 1);
    for (size_t i = 0; i < n; i++) {
        ASSERT_TRUE(defs[i].hypothesis[0] != '\0');
        ASSERT_TRUE(defs[i].attack[0] == 'T');
        ASSERT_TRUE(hunt_builtin_text(defs[i].name) != NULL);
    }
    ASSERT_TRUE(hunt_def_find(defs, n, "long-conn") != NULL);
    free(defs);
}

TEST(hunt_num_units)
{
    double v;
    ASSERT_EQ(hunt_num_parse("4h", &v), 0);
    ASSERT_TRUE(v == 14400);
    ASSERT_EQ(hunt_num_parse("10M", &v), 0);
    ASSERT_TRUE(v == 1e7);
    ASSERT_EQ(hunt_num_parse("2Ki", &v), 0);
    ASSERT_TRUE(v == 2048);
    ASSERT_EQ(hunt_num_parse("15%", &v), 0);
    ASSERT_TRUE(fabs(v - 0.15) < 1e-12);
    ASSERT_EQ(hunt_num_parse("0.5", &v), 0);
    ASSERT_TRUE(v == 0.5);
    ASSERT_EQ(hunt_num_parse("4 h", &v), -1);
    ASSERT_EQ(hunt_num_parse("abc", &v), -1);
    ASSERT_EQ(hunt_num_parse("nan", &v), -1);
    ASSERT_EQ(hunt_num_parse("", &v), -1);
}

static void ip4(uint8_t out[16], int a, int b, int c, int d)
{
    memset(out, 0, 16);
    out[10] = out[11] = 0xff;
    out[12] = (uint8_t)a;
    out[13] = (uint8_t)b;
    out[14] = (uint8_t)c;
    out[15] = (uint8_t)d;
}

TEST(hunt_zones)
{
    struct hunt_zones z = {0};
    char msg[256];
    uint8_t ip[16];
    ASSERT_EQ(hunt_zone_add(&z, "hq=10.1.0.0/16, 10.2.3.4", msg, sizeof msg), 0);
    ASSERT_EQ(hunt_zone_add(&z, "lab=10.1.5.0/24", msg, sizeof msg), 0);
    ip4(ip, 10, 1, 9, 9);
    ASSERT_STR_EQ(hunt_zone_of(&z, ip), "hq");
    ip4(ip, 10, 1, 5, 7); /* longest prefix wins across zones */
    ASSERT_STR_EQ(hunt_zone_of(&z, ip), "lab");
    ip4(ip, 10, 2, 3, 4);
    ASSERT_STR_EQ(hunt_zone_of(&z, ip), "hq");
    ip4(ip, 192, 168, 1, 1);
    ASSERT_STR_EQ(hunt_zone_of(&z, ip), "internal");
    ip4(ip, 8, 8, 8, 8);
    ASSERT_STR_EQ(hunt_zone_of(&z, ip), "external");
    ASSERT_EQ(hunt_zone_internal(&z, ip), 0);
    ip4(ip, 172, 32, 0, 1); /* just outside 172.16/12 */
    ASSERT_STR_EQ(hunt_zone_of(NULL, ip), "external");
    ASSERT_EQ(hunt_zone_add(&z, "x=10.0.0.0/33", msg, sizeof msg), KS_EINVAL);
    ASSERT_EQ(hunt_zone_add(&z, "x=", msg, sizeof msg), KS_EINVAL);
    ASSERT_EQ(hunt_zone_add(&z, "=10.0.0.0/8", msg, sizeof msg), KS_EINVAL);
    ASSERT_EQ(hunt_zone_add(&z, "x=not-an-ip", msg, sizeof msg), KS_EINVAL);
}

TEST(hunt_stats)
{
    double v[] = {5, 1, 3, 2, 4};
    ASSERT_TRUE(hunt_quantile(v, 5, 0.5) == 3);
    double w[] = {10, 10, 10, 10, 70};
    ASSERT_TRUE(hunt_mad(w, 5) == 0);
    double s[] = {1, 200, 300, 400, 401, 402, 403, 404, 405};
    ASSERT_TRUE(hunt_bowley(s, 9) < 0); /* median near the top quartile: left skew */
    double e[] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    ASSERT_TRUE(fabs(hunt_bowley(e, 9)) < 1e-12);
    ASSERT_TRUE(fabs(hunt_entropy("aaaa", 4)) < 1e-12);
    ASSERT_TRUE(fabs(hunt_entropy("abcd", 4) - 2) < 1e-12);
    ASSERT_TRUE(fabs(hunt_squash(4, 4) - 0.5) < 1e-12);
    char dom[256];
    hunt_regdomain("a.b.example.co.uk", dom, sizeof dom);
    ASSERT_STR_EQ(dom, "example.co.uk");
    hunt_regdomain("WWW.Example.COM.", dom, sizeof dom);
    ASSERT_STR_EQ(dom, "example.com");
    hunt_regdomain("host.corp.example", dom, sizeof dom);
    ASSERT_STR_EQ(dom, "corp.example");
    hunt_regdomain("localhost", dom, sizeof dom);
    ASSERT_STR_EQ(dom, "");
}

TEST(hunt_map_cap)
{
    struct hunt_map m;
    hunt_map_init(&m, sizeof(uint64_t), 1000);
    for (uint32_t i = 0; i < 1500; i++) {
        uint64_t *v = hunt_map_get(&m, &i, sizeof i, 1);
        if (i < 1000) {
            ASSERT_TRUE(v != NULL);
            *v += i;
        } else {
            ASSERT_TRUE(v == NULL);
        }
    }
    ASSERT_EQ(m.n, 1000);
    ASSERT_EQ(m.refused, 500);
    uint32_t k = 777;
    uint64_t *v = hunt_map_get(&m, &k, sizeof k, 0);
    ASSERT_TRUE(v && *v == 777);
    hunt_map_release(&m);
}

TEST(report_doc_escapes)
{
    char *html = NULL, *md = NULL;
    size_t hl = 0, ml = 0;
    for (int fmt = DOC_HTML; fmt <= DOC_MD; fmt++) {
        FILE *f = open_memstream(fmt == DOC_HTML ? &html : &md, fmt == DOC_HTML ? &hl : &ml);
        ASSERT_TRUE(f != NULL);
        struct doc d;
        doc_begin(&d, f, fmt, "t <b>");
        const char *h[] = {"a", "b"};
        doc_table(&d, 2, h);
        const char *row[] = {"<script>alert(1)</script>", "x|y\nz"};
        doc_row(&d, row);
        doc_table_end(&d);
        const char *labels[] = {"<img src=x>"};
        double v[] = {3};
        doc_chart_bars(&d, "bars & co", "bytes", labels, v, 1);
        doc_end(&d);
        fclose(f);
    }
    ASSERT_TRUE(strstr(html, "<script>") == NULL);
    ASSERT_TRUE(strstr(html, "&lt;script&gt;") != NULL);
    ASSERT_TRUE(strstr(html, "<img") == NULL);
    ASSERT_TRUE(strstr(html, "<svg") != NULL);
    ASSERT_TRUE(strstr(md, "x\\|y z") != NULL);
    ASSERT_TRUE(strstr(md, "\\<script>") != NULL);
    free(html);
    free(md);
}

/* feat.c — features and score formulas of the DNS and Kerberos hunts (feat.h). */
#include "hunt/feat.h"

#include "hunt/hunt.h"

#include <string.h>

size_t feat_sub(const char *qname, const char *rd, const char **sub)
{
    size_t ql = strlen(qname), rl = strlen(rd);
    *sub = qname;
    if (ql && qname[ql - 1] == '.')
        ql--;
    if (!rl || ql <= rl + 1 || qname[ql - rl - 1] != '.' || memcmp(qname + ql - rl, rd, rl) != 0)
        return 0;
    return ql - rl - 1;
}

void feat_name(const char *s, size_t n, struct feat_name *out)
{
    char flat[256];
    size_t fl = 0, cur = 0;
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '.') {
            if (cur)
                out->labels++;
            cur = 0;
            continue;
        }
        cur++;
        if (cur > out->longest)
            out->longest = cur;
        if (fl < sizeof flat)
            flat[fl++] = s[i];
        out->len++;
    }
    if (cur)
        out->labels++;
    out->entropy = hunt_entropy(flat, fl);
}

/* The most common English letter pairs (after published digram frequency tables), "ab cd …". */
static const char kBigrams[] =
    "th he in er an re on at en nd ti es or te of ed is it al ar st to nt ng se ha as ou io le "
    "ve co me de hi ri ro ic ne ea ra ce li ch ll be ma si om ur ca el ta la ns di fo ho pe ec "
    "pr no ct us ac ot il tr ly nc et ut ss so rs un lo wa ge ie wh ee wi em ad ol rt po we na "
    "ul ni ts mo ow pa im mi ai sh ir su id os iv ia am fi ci vi pl ig tu ev ld ry mp fe bl ab "
    "gh ty op wo sa ay ex ke fr oo av ag if ap gr od bo sp rd do uc bu ei ov by rm ep tt oc fa "
    "ef cu rn sc gi da yo cr cl du ga qu ue ff ba ey ls va um pp ua up lu go ht ru ug ds lt pi "
    "rc rr eg au ck ew mu br bi pt ak pu ui rg ib tl ny ki rk ys ob mm fu ph og ms ye ud mb ip "
    "ub oi rl gu dr hr cc tw ft wn nu af hu nn eo vo rv nf xp gn sm fl iz ok nl my gl aw ju oa "
    "sy";

static int common_pair(char a, char b)
{
    /* A linear scan of ~240 pairs: labels are short and this runs once per distinct domain. */
    for (const char *p = kBigrams; p[0] && p[1]; p += p[2] ? 3 : 2)
        if (p[0] == a && p[1] == b)
            return 1;
    return 0;
}

static int is_letter(char c)
{
    return c >= 'a' && c <= 'z';
}

static int is_vowel(char c)
{
    return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u';
}

double feat_dga(const char *s, size_t n)
{
    if (n < 6)
        return 0;
    size_t letters = 0, digits = 0, vowels = 0, run = 0, maxrun = 0, pairs = 0, rare = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (is_letter(c)) {
            letters++;
            vowels += is_vowel(c);
            /* y counts as a vowel for runs ("rhythm" is not random) */
            run = is_vowel(c) || c == 'y' ? 0 : run + 1;
            if (run > maxrun)
                maxrun = run;
            if (i + 1 < n && is_letter(s[i + 1])) {
                pairs++;
                rare += !common_pair(c, s[i + 1]);
            }
        } else {
            run = 0;
            digits += c >= '0' && c <= '9';
        }
    }
    if (!letters)
        return 0;
    double s_big = pairs ? feat_clamp01(((double)rare / (double)pairs - 0.2) / 0.4) : 0;
    double s_vow = feat_clamp01((0.35 - (double)vowels / (double)letters) / 0.2);
    double s_run = feat_clamp01(((double)maxrun - 3) / 3);
    double s_dig = digits ? feat_clamp01((double)digits / (double)n / 0.25) : 0;
    double s_len = feat_clamp01(((double)n - 5) / 7);
    return s_len * feat_clamp01(0.45 * s_big + 0.2 * s_vow + 0.15 * s_run + 0.2 * s_dig);
}

size_t feat_window_max(double *t, size_t n, double w)
{
    if (!n)
        return 0;
    hunt_quantile(t, n, 0); /* sorts t in place */
    size_t best = 1;
    for (size_t lo = 0, hi = 0; hi < n; hi++) {
        while (t[hi] - t[lo] > w)
            lo++;
        if (hi - lo + 1 > best)
            best = hi - lo + 1;
    }
    return best;
}

double feat_tunnel_score(const struct feat_tunnel *t, const struct feat_tunnel_params *p)
{
    double span = p->label_hi > p->label_lo ? p->label_hi - p->label_lo : 1;
    double shape = feat_clamp01((t->avg_longest - p->label_lo) / span) *
                   (0.5 + 0.5 * feat_clamp01((t->avg_entropy - 3.0) / 1.5));
    double names = shape * hunt_squash((double)t->names, p->half_names);
    double types = hunt_squash((double)t->tunnel_types, p->half_types);
    double s = 1 - (1 - names) * (1 - types);
    if (t->hosts > 1 && p->spread_hosts > 0)
        s /= 1 + (double)(t->hosts - 1) / p->spread_hosts;
    return t->resolver ? s / 2 : s;
}

double feat_nx_score(const struct feat_nx *x, const struct feat_nx_params *p)
{
    double ratio = x->answered ? (double)x->nx / (double)x->answered : 0;
    double s = hunt_squash((double)x->nx_domains, p->half_domains) *
               (0.2 + 0.8 * feat_clamp01(x->avg_dga)) *
               (0.6 + 0.4 * hunt_squash(ratio, p->half_ratio));
    return x->resolver ? s / 2 : s;
}

double feat_krb_score(const struct feat_krb *k, const struct feat_krb_params *p)
{
    double fail = k->users ? (double)k->failed_users / (double)k->users : 0;
    double spray = hunt_squash((double)k->window_users, p->half_users) * (0.2 + 0.8 * fail);
    double guess = hunt_squash((double)k->max_bad, p->half_guesses);
    double base = 1 - (1 - spray) * (1 - guess);
    return k->found ? base + (1 - base) / 2 : base;
}

void feat_top_add(struct feat_top *t, uint64_t id, double w)
{
    unsigned i;
    for (i = 0; i < t->n; i++)
        if (t->id[i] == id)
            break;
    if (i < t->n) {
        if (w <= t->w[i])
            return;
        memmove(&t->id[i], &t->id[i + 1], (t->n - i - 1) * sizeof t->id[0]);
        memmove(&t->w[i], &t->w[i + 1], (t->n - i - 1) * sizeof t->w[0]);
        t->n--;
    } else if (t->n == FEAT_TOP && !(w > t->w[FEAT_TOP - 1])) {
        return;
    }
    if (t->n == FEAT_TOP)
        t->n--; /* the weakest goes */
    for (i = t->n; i > 0 && t->w[i - 1] < w; i--) {
        t->id[i] = t->id[i - 1];
        t->w[i] = t->w[i - 1];
    }
    t->id[i] = id;
    t->w[i] = (float)w;
    t->n++;
}

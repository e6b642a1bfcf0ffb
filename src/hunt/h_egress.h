/*
 * h_egress.h — the pure scoring of the `egress` analysis (h_egress.c), apart so that the unit
 * tests (tests/unit/test_hunt_beacon.c) check it with exact numbers.
 */
#ifndef KONSEKI_HUNT_H_EGRESS_H
#define KONSEKI_HUNT_H_EGRESS_H

/* Producer/consumer ratio (out - in) / (out + in) in [-1, 1]; 0 when both are 0. */
double egress_pcr(double out, double in);

/* One host: its bytes to and from external hosts per day, now and in its baseline. */
struct egress_in {
    double now_out, now_in;   /* per day, mean over the recent days */
    double base_out, base_in; /* per day, median over the baseline days with traffic */
    int has_base;             /* 0: no baseline day had traffic (a new talker) */
    double fleet_base;        /* median baseline out of all hosts: a new talker's baseline */
    double fleet_jump;        /* median now_out / base_out of the hosts: the common change */
    double floor;             /* baselines below this count as this (no 100× from 10 KB) */
    double jump_half;         /* relative jump that scores 0.5 */
    double vol_half;          /* bytes out per day that score 0.5 */
};

struct egress_score {
    double jump; /* now_out / max(baseline, floor) */
    double rel;  /* jump / max(1, fleet_jump) */
    double pcr_now, pcr_base;
    double s_jump; /* rel / (rel + jump_half) */
    double s_pcr;  /* max(0, pcr_now - pcr_base) / 2 */
    double s_vol;  /* now_out / (now_out + vol_half) */
    double score;  /* s_vol * max(s_jump, s_pcr) */
};

void egress_score(const struct egress_in *in, struct egress_score *out);

#endif

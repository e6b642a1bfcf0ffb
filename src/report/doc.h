/*
 * doc.h — one document, two renderings: self-contained HTML (inline CSS and SVG, readable
 * offline, nothing fetched) or Markdown (charts become their data tables).  Reports are written
 * once against this interface, so the two formats never drift apart.
 *
 * All text passed in is plain text: the writer escapes it for the format (HTML entities;
 * Markdown table pipes and line breaks), so values from captured traffic (user agents, URIs,
 * file names) can never inject markup into a report.
 */
#ifndef KONSEKI_REPORT_DOC_H
#define KONSEKI_REPORT_DOC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum doc_format { DOC_HTML, DOC_MD };

struct doc {
    FILE *f;
    int format;
    int in_table;
    unsigned ncols;
    unsigned charts; /* ids for SVG elements */
};

/* "html" / "md" (also "markdown") into *format; KS_EINVAL otherwise. */
int doc_format_parse(const char *s, int *format);

void doc_begin(struct doc *d, FILE *f, int format, const char *title);
/* Closes the document (the caller closes f). */
void doc_end(struct doc *d);

void doc_h(struct doc *d, int level, const char *text);
void doc_p(struct doc *d, const char *text);
/* A paragraph from a format string (text is escaped after formatting). */
void doc_pf(struct doc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A "key: value" definition list entry. */
void doc_kv(struct doc *d, const char *key, const char *value);
void doc_list_item(struct doc *d, const char *text);
/* A paragraph "prefix LINK suffix" where LINK points at href (a relative path). */
void doc_link(struct doc *d, const char *prefix, const char *text, const char *href,
              const char *suffix);
/* Monospace block (e.g. a command line). */
void doc_code(struct doc *d, const char *text);

void doc_table(struct doc *d, unsigned ncols, const char *const *headers);
void doc_row(struct doc *d, const char *const *cells);
void doc_table_end(struct doc *d);

/* ---------------------------------------------------------------- charts (inline SVG) */

/*
 * Vertical bars over a time axis: values[i] for the bucket starting at t0_ns + i * step_ns.
 * Markdown gets a table of the non-empty buckets.
 */
void doc_chart_time(struct doc *d, const char *title, const char *unit, int64_t t0_ns,
                    int64_t step_ns, const double *values, size_t n);
/* Horizontal bars: one per label, longest first as given. */
void doc_chart_bars(struct doc *d, const char *title, const char *unit, const char *const *labels,
                    const double *values, size_t n);
/* Events on a time line: one row per lane (label), a mark per event at its time. */
struct doc_event {
    int64_t t_ns;
    unsigned lane;
    const char *label; /* tooltip text */
};
void doc_chart_timeline(struct doc *d, const char *title, const char *const *lanes, size_t nlanes,
                        const struct doc_event *ev, size_t nev);

/* Human text for a count of bytes ("1.5 GiB") and for a value with a unit. */
void doc_fmt_value(double v, const char *unit, char *dst, size_t n);

#endif

/* doc.c — HTML / Markdown document writer with inline SVG charts (doc.h). */
#include "report/doc.h"

#include "core/err.h"
#include "core/ktime.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>

int doc_format_parse(const char *s, int *format)
{
    if (!s || strcmp(s, "html") == 0)
        *format = DOC_HTML;
    else if (strcmp(s, "md") == 0 || strcmp(s, "markdown") == 0)
        *format = DOC_MD;
    else
        return KS_EINVAL;
    return 0;
}

/* Escaped text: HTML entities, or Markdown with table pipes and newlines neutralised. */
static void put(struct doc *d, const char *s)
{
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (d->format == DOC_HTML) {
            switch (c) {
            case '<':
                fputs("&lt;", d->f);
                break;
            case '>':
                fputs("&gt;", d->f);
                break;
            case '&':
                fputs("&amp;", d->f);
                break;
            case '"':
                fputs("&quot;", d->f);
                break;
            case '\'':
                fputs("&#39;", d->f);
                break;
            default:
                if (c < 0x20 && c != '\n' && c != '\t')
                    fputc('?', d->f);
                else
                    fputc(c, d->f);
            }
        } else {
            if (c == '|' || c == '\\' || c == '`' || c == '*' || c == '_' || c == '<' || c == '[' ||
                c == ']') {
                fputc('\\', d->f);
                fputc(c, d->f);
            } else if (c == '\n' || c == '\r') {
                fputc(' ', d->f);
            } else if (c < 0x20) {
                fputc('?', d->f);
            } else {
                fputc(c, d->f);
            }
        }
    }
}

static const char *const css =
    "body{font:14px/1.45 -apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2em auto;"
    "max-width:1100px;color:#1d2733;padding:0 1em}"
    "h1{border-bottom:3px solid #2d5b8a;padding-bottom:.2em}h2{margin-top:1.8em;color:#2d5b8a;"
    "border-bottom:1px solid #ccd6e0}h3{margin-top:1.3em}"
    "table{border-collapse:collapse;margin:.6em 0;font-size:13px;width:100%}"
    "th,td{border:1px solid #ccd6e0;padding:3px 7px;text-align:left;vertical-align:top;"
    "word-break:break-word}th{background:#eef3f8}tr:nth-child(even) td{background:#f8fafc}"
    "code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12.5px}"
    "pre{background:#f3f5f7;padding:.6em;overflow-x:auto}dl{display:grid;"
    "grid-template-columns:max-content auto;gap:2px 1em}dt{font-weight:600}dd{margin:0}"
    "svg{max-width:100%;height:auto;display:block;margin:.6em 0}"
    ".muted{color:#68778a}";

void doc_begin(struct doc *d, FILE *f, int format, const char *title)
{
    memset(d, 0, sizeof *d);
    d->f = f;
    d->format = format;
    if (format == DOC_HTML) {
        fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
              "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\n<title>",
              f);
        put(d, title);
        fprintf(f, "</title>\n<style>%s</style></head><body>\n<h1>", css);
        put(d, title);
        fputs("</h1>\n", f);
    } else {
        fputs("# ", f);
        put(d, title);
        fputs("\n\n", f);
    }
}

void doc_end(struct doc *d)
{
    if (d->in_table)
        doc_table_end(d);
    if (d->format == DOC_HTML)
        fputs("</body></html>\n", d->f);
}

void doc_h(struct doc *d, int level, const char *text)
{
    if (level < 2)
        level = 2;
    if (level > 4)
        level = 4;
    if (d->format == DOC_HTML) {
        fprintf(d->f, "<h%d>", level);
        put(d, text);
        fprintf(d->f, "</h%d>\n", level);
    } else {
        fprintf(d->f, "\n%.*s ", level, "####");
        put(d, text);
        fputs("\n\n", d->f);
    }
}

void doc_p(struct doc *d, const char *text)
{
    if (d->format == DOC_HTML) {
        fputs("<p>", d->f);
        put(d, text);
        fputs("</p>\n", d->f);
    } else {
        put(d, text);
        fputs("\n\n", d->f);
    }
}

void doc_pf(struct doc *d, const char *fmt, ...)
{
    char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    doc_p(d, buf);
}

void doc_kv(struct doc *d, const char *key, const char *value)
{
    if (d->format == DOC_HTML) {
        fputs("<dl><dt>", d->f);
        put(d, key);
        fputs("</dt><dd>", d->f);
        put(d, value);
        fputs("</dd></dl>\n", d->f);
    } else {
        fputs("- **", d->f);
        put(d, key);
        fputs(":** ", d->f);
        put(d, value);
        fputs("\n", d->f);
    }
}

void doc_list_item(struct doc *d, const char *text)
{
    if (d->format == DOC_HTML) {
        fputs("<ul><li>", d->f);
        put(d, text);
        fputs("</li></ul>\n", d->f);
    } else {
        fputs("- ", d->f);
        put(d, text);
        fputs("\n", d->f);
    }
}

void doc_link(struct doc *d, const char *prefix, const char *text, const char *href,
              const char *suffix)
{
    if (d->format == DOC_HTML) {
        fputs("<p>", d->f);
        put(d, prefix);
        fputs("<a href=\"", d->f);
        put(d, href);
        fputs("\">", d->f);
        put(d, text);
        fputs("</a>", d->f);
        put(d, suffix);
        fputs("</p>\n", d->f);
    } else {
        put(d, prefix);
        fputc('[', d->f);
        put(d, text);
        fputs("](<", d->f);
        for (const char *p = href; *p; p++) /* <…> destinations: no '<', '>' or newline */
            fputc(*p == '<' || *p == '>' || *p == '\n' ? '_' : *p, d->f);
        fputs(">)", d->f);
        put(d, suffix);
        fputs("\n\n", d->f);
    }
}

void doc_code(struct doc *d, const char *text)
{
    if (d->format == DOC_HTML) {
        fputs("<pre>", d->f);
        put(d, text);
        fputs("</pre>\n", d->f);
    } else {
        /* A fence longer than any backtick run in the text. */
        fputs("\n````\n", d->f);
        for (const char *p = text; *p; p++)
            fputc(*p == '\r' ? ' ' : *p, d->f);
        fputs("\n````\n\n", d->f);
    }
}

void doc_table(struct doc *d, unsigned ncols, const char *const *headers)
{
    if (d->in_table)
        doc_table_end(d);
    d->in_table = 1;
    d->ncols = ncols;
    if (d->format == DOC_HTML) {
        fputs("<table><thead><tr>", d->f);
        for (unsigned i = 0; i < ncols; i++) {
            fputs("<th>", d->f);
            put(d, headers[i]);
            fputs("</th>", d->f);
        }
        fputs("</tr></thead><tbody>\n", d->f);
    } else {
        fputs("\n|", d->f);
        for (unsigned i = 0; i < ncols; i++) {
            fputc(' ', d->f);
            put(d, headers[i]);
            fputs(" |", d->f);
        }
        fputs("\n|", d->f);
        for (unsigned i = 0; i < ncols; i++)
            fputs("---|", d->f);
        fputc('\n', d->f);
    }
}

void doc_row(struct doc *d, const char *const *cells)
{
    if (d->format == DOC_HTML) {
        fputs("<tr>", d->f);
        for (unsigned i = 0; i < d->ncols; i++) {
            fputs("<td>", d->f);
            put(d, cells[i] ? cells[i] : "");
            fputs("</td>", d->f);
        }
        fputs("</tr>\n", d->f);
    } else {
        fputc('|', d->f);
        for (unsigned i = 0; i < d->ncols; i++) {
            fputc(' ', d->f);
            put(d, cells[i] ? cells[i] : "");
            fputs(" |", d->f);
        }
        fputc('\n', d->f);
    }
}

void doc_table_end(struct doc *d)
{
    if (!d->in_table)
        return;
    d->in_table = 0;
    fputs(d->format == DOC_HTML ? "</tbody></table>\n" : "\n", d->f);
}

/* ---------------------------------------------------------------- charts */

void doc_fmt_value(double v, const char *unit, char *dst, size_t n)
{
    if (unit && strcmp(unit, "bytes") == 0) {
        const char *u[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
        int i = 0;
        while (v >= 1024 && i < 5) {
            v /= 1024;
            i++;
        }
        snprintf(dst, n, i ? "%.1f %s" : "%.0f %s", v, u[i]);
    } else if (unit && strcmp(unit, "score") == 0) {
        snprintf(dst, n, "%.2f", v);
    } else if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(dst, n, "%.0f%s%s", v, unit && *unit ? " " : "", unit ? unit : "");
    } else {
        snprintf(dst, n, "%.2f%s%s", v, unit && *unit ? " " : "", unit ? unit : "");
    }
}

static void svg_text(struct doc *d, double x, double y, const char *anchor, int size,
                     const char *text)
{
    fprintf(d->f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"%d\">", x, y, anchor,
            size);
    put(d, text);
    fputs("</text>", d->f);
}

void doc_chart_time(struct doc *d, const char *title, const char *unit, int64_t t0_ns,
                    int64_t step_ns, const double *values, size_t n)
{
    char a[48], b[64];
    if (d->format == DOC_MD) {
        const char *h[] = {"from (UTC)", title};
        doc_table(d, 2, h);
        for (size_t i = 0; i < n; i++) {
            if (values[i] <= 0)
                continue;
            ktime_format_short(t0_ns + (int64_t)i * step_ns, a, sizeof a);
            a[16] = '\0'; /* YYYY-MM-DD HH:MM */
            doc_fmt_value(values[i], unit, b, sizeof b);
            const char *row[] = {a, b};
            doc_row(d, row);
        }
        doc_table_end(d);
        return;
    }
    const double W = 1000, H = 240, L = 70, R = 10, T = 28, B = 40;
    double max = 0;
    for (size_t i = 0; i < n; i++)
        if (values[i] > max)
            max = values[i];
    fprintf(d->f,
            "<svg viewBox=\"0 0 %.0f %.0f\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" "
            "font-family=\"sans-serif\"><title>",
            W, H);
    put(d, title);
    fputs("</title>", d->f);
    svg_text(d, L, 18, "start", 14, title);
    fprintf(d->f,
            "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"#888\"/>"
            "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"#888\"/>",
            L, H - B, W - R, H - B, L, T, L, H - B);
    doc_fmt_value(max, unit, b, sizeof b);
    svg_text(d, L - 6, T + 4, "end", 11, b);
    svg_text(d, L - 6, H - B, "end", 11, "0");
    double bw = n ? (W - L - R) / (double)n : 0;
    for (size_t i = 0; i < n && max > 0; i++) {
        double h = (H - B - T) * values[i] / max;
        if (values[i] <= 0)
            continue;
        ktime_format_short(t0_ns + (int64_t)i * step_ns, a, sizeof a);
        doc_fmt_value(values[i], unit, b, sizeof b);
        fprintf(d->f,
                "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#2d5b8a\">"
                "<title>",
                L + bw * (double)i, H - B - h, bw > 2 ? bw - 1 : bw, h);
        put(d, a);
        fputs(": ", d->f);
        put(d, b);
        fputs("</title></rect>", d->f);
    }
    /* About six time labels along the axis. */
    size_t every = n > 6 ? (n + 5) / 6 : 1;
    for (size_t i = 0; i < n; i += every) {
        ktime_format_short(t0_ns + (int64_t)i * step_ns, a, sizeof a);
        a[16] = '\0'; /* YYYY-MM-DD HH:MM */
        svg_text(d, L + bw * (double)i, H - B + 16, "start", 11, a);
    }
    fputs("</svg>\n", d->f);
}

void doc_chart_bars(struct doc *d, const char *title, const char *unit, const char *const *labels,
                    const double *values, size_t n)
{
    char b[64];
    if (d->format == DOC_MD) {
        const char *h[] = {"", title};
        doc_table(d, 2, h);
        for (size_t i = 0; i < n; i++) {
            doc_fmt_value(values[i], unit, b, sizeof b);
            const char *row[] = {labels[i], b};
            doc_row(d, row);
        }
        doc_table_end(d);
        return;
    }
    const double W = 1000, row = 22, L = 330, R = 110, T = 30;
    double H = T + row * (double)n + 10, max = 0;
    for (size_t i = 0; i < n; i++)
        if (values[i] > max)
            max = values[i];
    fprintf(d->f,
            "<svg viewBox=\"0 0 %.0f %.0f\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" "
            "font-family=\"sans-serif\"><title>",
            W, H);
    put(d, title);
    fputs("</title>", d->f);
    svg_text(d, 10, 18, "start", 14, title);
    for (size_t i = 0; i < n; i++) {
        double y = T + row * (double)i;
        double w = max > 0 ? (W - L - R) * values[i] / max : 0;
        char lab[64];
        snprintf(lab, sizeof lab, "%s", labels[i]);
        if (strlen(labels[i]) > 48)
            memcpy(lab + 45, "...", 4);
        svg_text(d, L - 8, y + 15, "end", 12, lab);
        fprintf(d->f,
                "<rect x=\"%.0f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#4a7fb5\"/>", L,
                y + 3, w, row - 6);
        doc_fmt_value(values[i], unit, b, sizeof b);
        svg_text(d, L + w + 6, y + 15, "start", 12, b);
    }
    fputs("</svg>\n", d->f);
}

void doc_chart_timeline(struct doc *d, const char *title, const char *const *lanes, size_t nlanes,
                        const struct doc_event *ev, size_t nev)
{
    char a[48];
    if (d->format == DOC_MD) {
        const char *h[] = {"time (UTC)", "lane", "event"};
        doc_table(d, 3, h);
        for (size_t i = 0; i < nev; i++) {
            ktime_format_short(ev[i].t_ns, a, sizeof a);
            a[19] = '\0'; /* to the second */
            const char *row[] = {a, ev[i].lane < nlanes ? lanes[ev[i].lane] : "",
                                 ev[i].label ? ev[i].label : ""};
            doc_row(d, row);
        }
        doc_table_end(d);
        return;
    }
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (size_t i = 0; i < nev; i++) {
        if (ev[i].t_ns < lo)
            lo = ev[i].t_ns;
        if (ev[i].t_ns > hi)
            hi = ev[i].t_ns;
    }
    if (!nev)
        lo = hi = 0;
    if (hi == lo)
        hi = lo + 1;
    const double W = 1000, row = 26, L = 230, R = 20, T = 30, B = 36;
    double H = T + row * (double)nlanes + B;
    fprintf(d->f,
            "<svg viewBox=\"0 0 %.0f %.0f\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" "
            "font-family=\"sans-serif\"><title>",
            W, H);
    put(d, title);
    fputs("</title>", d->f);
    svg_text(d, 10, 18, "start", 14, title);
    for (size_t k = 0; k < nlanes; k++) {
        double y = T + row * (double)k + row / 2;
        char lab[48];
        snprintf(lab, sizeof lab, "%s", lanes[k]);
        svg_text(d, L - 8, y + 4, "end", 12, lab);
        fprintf(d->f, "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"#dde\"/>", L,
                y, W - R, y);
    }
    for (size_t i = 0; i < nev; i++) {
        if (ev[i].lane >= nlanes)
            continue;
        double x = L + (W - L - R) * (double)(ev[i].t_ns - lo) / (double)(hi - lo);
        double y = T + row * (double)ev[i].lane + row / 2;
        fprintf(d->f,
                "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"#c0392b\" "
                "fill-opacity=\"0.7\"><title>",
                x, y);
        ktime_format_short(ev[i].t_ns, a, sizeof a);
        put(d, a);
        fputs(" ", d->f);
        put(d, ev[i].label ? ev[i].label : "");
        fputs("</title></circle>", d->f);
    }
    ktime_format_short(lo, a, sizeof a);
    svg_text(d, L, H - 12, "start", 11, a);
    ktime_format_short(hi, a, sizeof a);
    svg_text(d, W - R, H - 12, "end", 11, a);
    fputs("</svg>\n", d->f);
}

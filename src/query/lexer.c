/*
 * lexer.c — query text to tokens.
 *
 *   ip.dst == 10.1.0.0/16 && !(tcp.state == "S0") || community_id == 1:hO+sN4H+MG5MY/8h=
 *   'word' '' '---word--' '' ||'--word-' '' '--'| '' '---word---' '' '-------word------'
 *                            ||                 |
 *                            !(                 )
 *
 *   token      := punct | op | word | string | regex | EXISTS!
 *   punct      := ( ) [ ] ,
 *   op         := == != < <= > >= && || !
 *   word       := 1*( any byte but blank, ( ) [ ] , = ! < > & | )   [ "=" ]   (see below)
 *   string     := '"' *( \" | \\ | \* | \? | \<other> | any byte but '"' ) '"'
 *   regex      := '/' *( \/ | \<other> | any byte but '/' ) '/'     (only at the start of a token)
 *
 * A word may end with one '=' when that '=' is followed by a blank, the end, ')' ']' ',' '&' or
 * '|': Community IDs are base64 and end in '=' (Community ID spec v1.0 §"Hashing"), and
 * `community_id == 1:…=` should not need quotes.  `a==b` still splits, since the '=' there is
 * followed by '='.
 *
 * Columns count UTF-8 code points from 1 so a caret printed under the query lines up.
 */
#include "query/query_int.h"

#include "core/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_blank(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Characters that end an unquoted word. */
static int is_delim(unsigned char c)
{
    return is_blank(c) || strchr("()[],=!<>&|", c) != NULL;
}

int qlex_col(const char *text, size_t off)
{
    int col = 1;
    for (size_t i = 0; i < off; i++)
        if (((unsigned char)text[i] & 0xC0) != 0x80)
            col++;
    return col;
}

void qlex_release(struct qlex *lx)
{
    free(lx->toks);
    free(lx->pool);
    lx->toks = NULL;
    lx->pool = NULL;
    lx->n = 0;
}

static int push(struct qlex *lx, size_t *alloc, enum qtok_kind kind, int col, const char *text,
                size_t len)
{
    if (lx->n == *alloc) {
        size_t na = *alloc ? *alloc * 2 : 64;
        struct qtok *t = realloc(lx->toks, na * sizeof *t);
        if (!t)
            return KS_ENOMEM;
        lx->toks = t;
        *alloc = na;
    }
    lx->toks[lx->n++] = (struct qtok){.kind = kind, .col = col, .text = text, .len = len};
    return 0;
}

int qlex_run(const char *text, size_t len, struct qlex *lx, struct query_error *err)
{
    size_t alloc = 0, used = 0;
    int rc;
    lx->toks = NULL;
    lx->n = 0;
    /* Token texts are copies of at most the input's bytes plus one NUL per token (<= len + 1). */
    lx->pool = malloc(2 * len + 2);
    if (!lx->pool)
        return KS_ENOMEM;

    size_t i = 0, col_off = 0;
    int col = 1; /* column of byte col_off, advanced as we go (qlex_col from 0 is quadratic) */
    while (i < len) {
        unsigned char c = (unsigned char)text[i];
        col += qlex_col(text + col_off, i - col_off) - 1;
        col_off = i;
        if (is_blank(c)) {
            i++;
            continue;
        }
        enum qtok_kind k = QT_END;
        size_t n = 1;
        char next = i + 1 < len ? text[i + 1] : '\0';
        switch (c) {
        case '(':
            k = QT_LPAREN;
            break;
        case ')':
            k = QT_RPAREN;
            break;
        case '[':
            k = QT_LBRACK;
            break;
        case ']':
            k = QT_RBRACK;
            break;
        case ',':
            k = QT_COMMA;
            break;
        case '=':
            if (next != '=') {
                rc = qerr(err, col, "'=' is not an operator (use '==')");
                goto fail;
            }
            k = QT_EQ, n = 2;
            break;
        case '!':
            if (next == '=')
                k = QT_NE, n = 2;
            else
                k = QT_NOT;
            break;
        case '<':
            k = next == '=' ? QT_LE : QT_LT, n = next == '=' ? 2 : 1;
            break;
        case '>':
            k = next == '=' ? QT_GE : QT_GT, n = next == '=' ? 2 : 1;
            break;
        case '&':
        case '|':
            if (next != (char)c) {
                rc = qerr(err, col, "'%c' is not an operator (use '%c%c')", c, c, c);
                goto fail;
            }
            k = c == '&' ? QT_AND : QT_OR, n = 2;
            break;
        default:
            break;
        }
        if (k != QT_END) {
            if ((rc = push(lx, &alloc, k, col, "", 0)))
                goto fail;
            i += n;
            continue;
        }

        char *out = lx->pool + used;
        size_t o = 0;
        if (c == '"') {
            /* Keep the escapes: whether a '*' was escaped matters to values.c. */
            size_t j = i + 1;
            for (;;) {
                if (j >= len) {
                    rc = qerr(err, col, "missing closing '\"'");
                    goto fail;
                }
                if (text[j] == '"')
                    break;
                if (text[j] == '\\' && j + 1 < len)
                    out[o++] = text[j++];
                out[o++] = text[j++];
            }
            k = QT_STRING;
            i = j + 1;
        } else if (c == '/') {
            /* PCRE2 syntax; only "\/" is ours (a slash inside the pattern). */
            size_t j = i + 1;
            for (;;) {
                if (j >= len) {
                    rc = qerr(err, col, "missing closing '/' of the regex");
                    goto fail;
                }
                if (text[j] == '/')
                    break;
                if (text[j] == '\\' && j + 1 < len) {
                    if (text[j + 1] == '/') {
                        out[o++] = '/';
                        j += 2;
                        continue;
                    }
                    out[o++] = text[j++];
                }
                out[o++] = text[j++];
            }
            i = j + 1;
            if (i < len && !is_delim((unsigned char)text[i])) {
                rc = qerr(err, col + qlex_col(text + col_off, i - col_off) - 1,
                          "unexpected '%c' after a regex (flags go inside the pattern, e.g. "
                          "/(?i)abc/)",
                          text[i]);
                goto fail;
            }
            k = QT_REGEX;
        } else {
            size_t j = i;
            while (j < len && !is_delim((unsigned char)text[j]))
                j++;
            if (j < len && text[j] == '=' &&
                (j + 1 == len || is_blank((unsigned char)text[j + 1]) ||
                 strchr(")],&|", text[j + 1])))
                j++; /* base64 padding, see the top of the file */
            o = j - i;
            memcpy(out, text + i, o);
            k = QT_WORD;
            if (o == 6 && j < len && text[j] == '!' && strncasecmp(out, "EXISTS", 6) == 0 &&
                (j + 1 == len || text[j + 1] != '=')) {
                k = QT_EXISTS;
                j++;
            }
            i = j;
        }
        out[o] = '\0';
        used += o + 1;
        if ((rc = push(lx, &alloc, k, col, out, o)))
            goto fail;
    }
    col += qlex_col(text + col_off, len - col_off) - 1;
    if ((rc = push(lx, &alloc, QT_END, col, "", 0)))
        goto fail;
    return 0;

fail:
    qlex_release(lx);
    return rc;
}

void qlex_describe(const struct qtok *t, char *dst, size_t n)
{
    static const char *const names[] = {
        [QT_END] = "end of query", [QT_LPAREN] = "'('", [QT_RPAREN] = "')'",
        [QT_LBRACK] = "'['",       [QT_RBRACK] = "']'", [QT_COMMA] = "','",
        [QT_EQ] = "'=='",          [QT_NE] = "'!='",    [QT_LT] = "'<'",
        [QT_LE] = "'<='",          [QT_GT] = "'>'",     [QT_GE] = "'>='",
        [QT_AND] = "'&&'",         [QT_OR] = "'||'",    [QT_NOT] = "'!'",
        [QT_EXISTS] = "EXISTS!",
    };
    const char *open = "'", *close = "'";
    switch (t->kind) {
    case QT_WORD:
        break;
    case QT_STRING:
        open = close = "\"";
        break;
    case QT_REGEX:
        open = close = "/";
        break;
    default:
        snprintf(dst, n, "%s", names[t->kind]);
        return;
    }
    /* Long values are cut (on a character boundary) so the message stays one line. */
    size_t cut = t->len;
    const char *more = "";
    if (cut > 40) {
        cut = 40;
        while (cut > 0 && ((unsigned char)t->text[cut] & 0xC0) == 0x80)
            cut--;
        more = "...";
    }
    snprintf(dst, n, "%s%.*s%s%s", open, (int)cut, t->text, more, close);
}

/*
 * json.c — bounded recursive-descent JSON reader (RFC 8259).
 *
 *   value  = object / array / string / number / "true" / "false" / "null"
 *   object = "{" [ string ":" value *( "," string ":" value ) ] "}"
 *   array  = "[" [ value *( "," value ) ] "]"
 *
 * Decoded strings are never longer than their quoted source (an escape shrinks, "\uXXXX" is
 * 6 bytes for at most 3 of UTF-8, a surrogate pair 12 for 4), so one buffer of len + 2 bytes
 * holds every string and number with its NUL.  Recursion is capped at JSON_MAX_DEPTH.
 */
#include "ioc/json.h"

#include "core/err.h"

#include <stdlib.h>
#include <string.h>

struct jp {
    struct json *j;
    const uint8_t *p;
    size_t len, pos;
};

static int jp_fail(struct jp *jp, const char *why)
{
    if (!jp->j->err) {
        jp->j->err = why;
        jp->j->err_offset = jp->pos;
    }
    return KS_EFORMAT;
}

static void jp_ws(struct jp *jp)
{
    while (jp->pos < jp->len) {
        uint8_t c = jp->p[jp->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        jp->pos++;
    }
}

static int jp_node(struct jp *jp, int kind)
{
    struct json *j = jp->j;
    if (j->count == j->alloc) {
        size_t na = j->alloc ? j->alloc * 2 : 256;
        /* Every node consumes at least one input byte. */
        if (na > jp->len + 16)
            na = jp->len + 16;
        if (na <= j->count)
            return KS_ENOMEM;
        struct json_node *n = realloc(j->nodes, na * sizeof *n);
        if (!n)
            return KS_ENOMEM;
        j->nodes = n;
        j->alloc = na;
    }
    struct json_node *n = &j->nodes[j->count];
    memset(n, 0, sizeof *n);
    n->kind = (uint8_t)kind;
    n->offset = (uint32_t)jp->pos;
    n->key = n->str = n->child = n->next = -1;
    return (int)j->count++;
}

static int jp_hex4(struct jp *jp, uint32_t *v)
{
    if (jp->len - jp->pos < 4)
        return -1;
    uint32_t x = 0;
    for (int i = 0; i < 4; i++) {
        uint8_t c = jp->p[jp->pos + i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return -1;
        x = x << 4 | (uint32_t)d;
    }
    jp->pos += 4;
    *v = x;
    return 0;
}

static size_t jp_put_utf8(char *o, uint32_t c)
{
    if (c < 0x80) {
        o[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        o[0] = (char)(0xc0 | c >> 6);
        o[1] = (char)(0x80 | (c & 0x3f));
        return 2;
    }
    if (c < 0x10000) {
        o[0] = (char)(0xe0 | c >> 12);
        o[1] = (char)(0x80 | ((c >> 6) & 0x3f));
        o[2] = (char)(0x80 | (c & 0x3f));
        return 3;
    }
    o[0] = (char)(0xf0 | c >> 18);
    o[1] = (char)(0x80 | ((c >> 12) & 0x3f));
    o[2] = (char)(0x80 | ((c >> 6) & 0x3f));
    o[3] = (char)(0x80 | (c & 0x3f));
    return 4;
}

/* A string at jp->pos (on the opening quote): decoded into strs; its index and length out. */
static int jp_string(struct jp *jp, int32_t *idx, uint32_t *olen)
{
    struct json *j = jp->j;
    char *o = j->strs + j->strs_len;
    size_t n = 0;
    jp->pos++;
    for (;;) {
        if (jp->pos >= jp->len)
            return jp_fail(jp, "unterminated string");
        uint8_t c = jp->p[jp->pos++];
        if (c == '"')
            break;
        if (c < 0x20)
            return jp_fail(jp, "control character in a string");
        if (c != '\\') {
            o[n++] = (char)c;
            continue;
        }
        if (jp->pos >= jp->len)
            return jp_fail(jp, "unterminated string");
        c = jp->p[jp->pos++];
        switch (c) {
        case '"':
        case '\\':
        case '/':
            o[n++] = (char)c;
            break;
        case 'b':
            o[n++] = '\b';
            break;
        case 'f':
            o[n++] = '\f';
            break;
        case 'n':
            o[n++] = '\n';
            break;
        case 'r':
            o[n++] = '\r';
            break;
        case 't':
            o[n++] = '\t';
            break;
        case 'u': {
            uint32_t u, lo;
            if (jp_hex4(jp, &u))
                return jp_fail(jp, "bad \\u escape");
            if (u >= 0xd800 && u <= 0xdbff && jp->len - jp->pos >= 6 && jp->p[jp->pos] == '\\' &&
                jp->p[jp->pos + 1] == 'u') {
                size_t save = jp->pos;
                jp->pos += 2;
                if (jp_hex4(jp, &lo) == 0 && lo >= 0xdc00 && lo <= 0xdfff)
                    u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
                else
                    jp->pos = save;
            }
            if (u >= 0xd800 && u <= 0xdfff)
                u = 0xfffd; /* a lone surrogate becomes U+FFFD */
            n += jp_put_utf8(o + n, u);
            break;
        }
        default:
            return jp_fail(jp, "bad escape in a string");
        }
    }
    o[n] = '\0';
    *idx = (int32_t)j->strs_len;
    *olen = (uint32_t)n;
    j->strs_len += n + 1;
    return 0;
}

static int jp_value(struct jp *jp, int depth);

static int jp_container(struct jp *jp, int node, int depth, int is_obj)
{
    int32_t last = -1;
    jp->pos++;
    jp_ws(jp);
    if (jp->pos < jp->len && jp->p[jp->pos] == (is_obj ? '}' : ']')) {
        jp->pos++;
        return 0;
    }
    for (;;) {
        int32_t key = -1;
        uint32_t keylen = 0;
        if (is_obj) {
            jp_ws(jp);
            if (jp->pos >= jp->len || jp->p[jp->pos] != '"')
                return jp_fail(jp, "expected a member name");
            int rc = jp_string(jp, &key, &keylen);
            if (rc)
                return rc;
            jp_ws(jp);
            if (jp->pos >= jp->len || jp->p[jp->pos] != ':')
                return jp_fail(jp, "expected ':'");
            jp->pos++;
        }
        jp_ws(jp);
        int child = jp_value(jp, depth + 1);
        if (child < 0)
            return child;
        jp->j->nodes[child].key = key;
        jp->j->nodes[child].keylen = keylen;
        if (last < 0)
            jp->j->nodes[node].child = child;
        else
            jp->j->nodes[last].next = child;
        last = child;
        jp_ws(jp);
        if (jp->pos >= jp->len)
            return jp_fail(jp, is_obj ? "unterminated object" : "unterminated array");
        uint8_t c = jp->p[jp->pos++];
        if (c == ',')
            continue;
        if (c == (is_obj ? '}' : ']'))
            return 0;
        jp->pos--;
        return jp_fail(jp, is_obj ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static int jp_number(struct jp *jp, int node)
{
    size_t s = jp->pos;
    if (jp->pos < jp->len && jp->p[jp->pos] == '-')
        jp->pos++;
    size_t digits = 0;
    while (jp->pos < jp->len && jp->p[jp->pos] >= '0' && jp->p[jp->pos] <= '9')
        jp->pos++, digits++;
    if (!digits)
        return jp_fail(jp, "bad number");
    if (jp->pos < jp->len && jp->p[jp->pos] == '.') {
        jp->pos++;
        digits = 0;
        while (jp->pos < jp->len && jp->p[jp->pos] >= '0' && jp->p[jp->pos] <= '9')
            jp->pos++, digits++;
        if (!digits)
            return jp_fail(jp, "bad number");
    }
    if (jp->pos < jp->len && (jp->p[jp->pos] | 0x20) == 'e') {
        jp->pos++;
        if (jp->pos < jp->len && (jp->p[jp->pos] == '+' || jp->p[jp->pos] == '-'))
            jp->pos++;
        digits = 0;
        while (jp->pos < jp->len && jp->p[jp->pos] >= '0' && jp->p[jp->pos] <= '9')
            jp->pos++, digits++;
        if (!digits)
            return jp_fail(jp, "bad number");
    }
    struct json *j = jp->j;
    size_t n = jp->pos - s;
    memcpy(j->strs + j->strs_len, jp->p + s, n);
    j->strs[j->strs_len + n] = '\0';
    j->nodes[node].str = (int32_t)j->strs_len;
    j->nodes[node].len = (uint32_t)n;
    j->strs_len += n + 1;
    return 0;
}

static int jp_word(struct jp *jp, const char *w)
{
    size_t n = strlen(w);
    if (jp->len - jp->pos < n || memcmp(jp->p + jp->pos, w, n) != 0)
        return jp_fail(jp, "unexpected character");
    jp->pos += n;
    return 0;
}

/* Returns the node index (>= 0) or a negative error. */
static int jp_value(struct jp *jp, int depth)
{
    if (depth > JSON_MAX_DEPTH)
        return jp_fail(jp, "nested too deeply");
    if (jp->pos >= jp->len)
        return jp_fail(jp, "unexpected end of input");
    uint8_t c = jp->p[jp->pos];
    int kind = c == '{'   ? JSON_OBJECT
               : c == '[' ? JSON_ARRAY
               : c == '"' ? JSON_STRING
               : c == 't' ? JSON_TRUE
               : c == 'f' ? JSON_FALSE
               : c == 'n' ? JSON_NULL
                          : JSON_NUMBER;
    int node = jp_node(jp, kind);
    if (node < 0)
        return node;
    int rc;
    switch (kind) {
    case JSON_OBJECT:
    case JSON_ARRAY:
        rc = jp_container(jp, node, depth, kind == JSON_OBJECT);
        break;
    case JSON_STRING: {
        int32_t idx;
        uint32_t l;
        rc = jp_string(jp, &idx, &l);
        if (!rc) {
            jp->j->nodes[node].str = idx;
            jp->j->nodes[node].len = l;
        }
        break;
    }
    case JSON_TRUE:
        rc = jp_word(jp, "true");
        break;
    case JSON_FALSE:
        rc = jp_word(jp, "false");
        break;
    case JSON_NULL:
        rc = jp_word(jp, "null");
        break;
    default:
        rc = jp_number(jp, node);
        break;
    }
    return rc ? rc : node;
}

int json_parse(struct json *j, const uint8_t *text, size_t len)
{
    memset(j, 0, sizeof *j);
    if (len > JSON_MAX_INPUT) {
        j->err = "input too large";
        return KS_EFORMAT;
    }
    j->strs = malloc(len + 2);
    if (!j->strs)
        return KS_ENOMEM;
    struct jp jp = {.j = j, .p = text, .len = len};
    /* A UTF-8 byte order mark is tolerated. */
    if (len >= 3 && text[0] == 0xef && text[1] == 0xbb && text[2] == 0xbf)
        jp.pos = 3;
    jp_ws(&jp);
    int rc = jp_value(&jp, 0);
    if (rc < 0)
        return rc;
    jp_ws(&jp);
    if (jp.pos != len)
        return jp_fail(&jp, "text after the JSON value");
    return 0;
}

void json_release(struct json *j)
{
    free(j->nodes);
    free(j->strs);
    memset(j, 0, sizeof *j);
}

int json_get(const struct json *j, int obj, const char *key)
{
    if (obj < 0 || (size_t)obj >= j->count || j->nodes[obj].kind != JSON_OBJECT)
        return -1;
    size_t kl = strlen(key);
    for (int c = j->nodes[obj].child; c >= 0; c = j->nodes[c].next)
        if (j->nodes[c].keylen == kl && memcmp(j->strs + j->nodes[c].key, key, kl) == 0)
            return c;
    return -1;
}

const char *json_str(const struct json *j, int node, size_t *len)
{
    if (node < 0 || (size_t)node >= j->count || j->nodes[node].str < 0)
        return NULL;
    if (len)
        *len = j->nodes[node].len;
    return j->strs + j->nodes[node].str;
}

const char *json_get_str(const struct json *j, int obj, const char *key)
{
    return json_str(j, json_get(j, obj, key), NULL);
}

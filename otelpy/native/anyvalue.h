/* OTLP AnyValue bytes as OTTL sees them: the kind and scalar of a serialized AnyValue,
 * strict UTF-8 validation (what protobuf checks when it decodes a string field), and OTTL's
 * comparison rules (otelpy/ottl/values.py `compare`): values of different kinds are never
 * equal and never ordered, nil equals only nil, ints and doubles compare as numbers
 * (exactly, as Python compares an int with a float), strings and bytes by their bytes.
 *
 * Used by spanedit.c; every reader stays inside the bytes it is given (wire.h).
 */
#ifndef OTELPY_ANYVALUE_H
#define OTELPY_ANYVALUE_H

#include "wire.h"

/* nil, string, bool, int, double, array, kvlist, bytes: the AnyValue field numbers */
enum { V_NIL = 0, V_STR = 1, V_BOOL = 2, V_INT = 3, V_DOUBLE = 4, V_ARRAY = 5, V_KVLIST = 6,
       V_BYTES = 7 };

typedef struct {
    int kind;
    int64_t i; /* int, bool (0 or 1) */
    double d;
    const uint8_t *s; /* string or bytes */
    size_t n;
} value;

/* Strict UTF-8: no overlong forms, surrogates or code points above U+10FFFF. */
static inline int utf8_valid(const uint8_t *p, size_t n)
{
    const uint8_t *end = p + n;
    while (p < end) {
        while (end - p >= 8) { /* ASCII runs, 8 bytes at a time */
            uint64_t w;
            memcpy(&w, p, 8);
            if (w & 0x8080808080808080ULL)
                break;
            p += 8;
        }
        if (p >= end)
            break;
        uint8_t b = *p;
        if (b < 0x80) {
            p++;
            continue;
        }
        size_t len = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC2 ? 2 : 0;
        if (len == 0 || b > 0xF4 || (size_t)(end - p) < len)
            return 0;
        for (size_t k = 1; k < len; k++)
            if ((p[k] & 0xC0) != 0x80)
                return 0;
        if ((b == 0xE0 && p[1] < 0xA0) || (b == 0xED && p[1] > 0x9F) ||
            (b == 0xF0 && p[1] < 0x90) || (b == 0xF4 && p[1] > 0x8F))
            return 0;
        p += len;
    }
    return 1;
}

/* The value of AnyValue bytes `p[0:n]`: 0, -1 when malformed (or a string not UTF-8), -3
 * when protobuf would read it differently from one plain field (several fields, which it
 * merges or overrides, an unknown field, a known one with another wire type). */
static inline int any_value(const uint8_t *p, size_t n, value *v)
{
    wire_cur c = {p, p + n};
    uint32_t f;
    int wt;
    uint64_t u;
    wire_cur sub;
    memset(v, 0, sizeof *v);
    if (n == 0)
        return 0;
    if (wire_tag(&c, &f, &wt) < 0)
        return -1;
    if (f < 1 || f > 7)
        return -3;
    if (f == V_BOOL || f == V_INT) {
        if (wt != WT_VARINT)
            return -3;
        if (wire_varint(&c, &u) < 0)
            return -1;
        v->i = f == V_BOOL ? u != 0 : (int64_t)u;
    } else if (f == V_DOUBLE) {
        if (wt != WT_I64)
            return -3;
        if (wire_fixed64(&c, &u) < 0)
            return -1;
        memcpy(&v->d, &u, sizeof v->d);
    } else {
        if (wt != WT_LEN)
            return -3;
        if (wire_len(&c, &sub) < 0)
            return -1;
        v->s = sub.pos;
        v->n = (size_t)(sub.end - sub.pos);
        if (f == V_STR && !utf8_valid(v->s, v->n))
            return -1;
    }
    if (c.pos != c.end)
        return wire_tag(&c, &f, &wt) < 0 ? -1 : -3;
    v->kind = (int)f;
    return 0;
}

static inline int value_is_number(const value *v) { return v->kind == V_INT || v->kind == V_DOUBLE; }

/* -1, 0, 1 as a <, ==, > b; 2 when unordered (NaN). Exact for any int64 and double. */
static inline int int_double(int64_t i, double d)
{
    if (d != d)
        return 2;
    if (d >= 9223372036854775808.0)
        return -1;
    if (d < -9223372036854775808.0)
        return 1;
    int64_t t = (int64_t)d; /* toward zero; exact: |d| < 2^63 */
    if (i != t)
        return i < t ? -1 : 1;
    double whole = (double)t;
    return d > whole ? -1 : d < whole ? 1 : 0;
}

static inline int number_order(const value *a, const value *b)
{
    if (a->kind == V_INT && b->kind == V_INT)
        return a->i < b->i ? -1 : a->i > b->i;
    if (a->kind == V_INT)
        return int_double(a->i, b->d);
    if (b->kind == V_INT) {
        int r = int_double(b->i, a->d);
        return r == 2 ? 2 : -r;
    }
    if (a->d != a->d || b->d != b->d)
        return 2;
    return a->d < b->d ? -1 : a->d > b->d;
}

static inline int bytes_order(const value *a, const value *b)
{
    size_t n = a->n < b->n ? a->n : b->n;
    int r = n ? memcmp(a->s, b->s, n) : 0;
    if (r)
        return r < 0 ? -1 : 1;
    return a->n < b->n ? -1 : a->n > b->n;
}

/* The order of a and b, 2 when OTTL does not order them (and they are not equal). */
static inline int value_order(const value *a, const value *b)
{
    if (value_is_number(a) && value_is_number(b))
        return number_order(a, b);
    if (a->kind != b->kind)
        return 2;
    switch (a->kind) {
    case V_NIL:
        return 0;
    case V_BOOL:
        return a->i == b->i ? 0 : 2; /* equal or not, never ordered */
    case V_STR:
    case V_BYTES:
        return bytes_order(a, b); /* UTF-8 byte order is code point order */
    default:
        return 2; /* arrays and maps never equal a literal */
    }
}

enum { CMP_EQ, CMP_NE, CMP_LT, CMP_LE, CMP_GT, CMP_GE };

/* `a cmp b` as otelpy.ottl.values.compare. */
static inline int value_compare(const value *a, int cmp, const value *b)
{
    int r = value_order(a, b);
    int ordered = r != 2 && (a->kind != V_NIL && a->kind != V_BOOL);
    switch (cmp) {
    case CMP_EQ: return r == 0;
    case CMP_NE: return r != 0;
    case CMP_LT: return ordered && r < 0;
    case CMP_LE: return ordered && r <= 0;
    case CMP_GT: return ordered && r > 0;
    default: return ordered && r >= 0;
    }
}

#endif

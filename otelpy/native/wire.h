/* Bounds-checked readers for the protobuf wire format, shared by otelpy's C modules.
 *
 * Every reader takes a cursor (pos, end) over bytes the caller owns and returns 0 on
 * success, -1 when the bytes are malformed or truncated; it never reads past `end`.
 * Modules call them on request bytes that pdata's skeleton already checked, but they must
 * stay safe on any input: the fuzz tests feed them arbitrary bytes.
 */
#ifndef OTELPY_WIRE_H
#define OTELPY_WIRE_H

#include <stdint.h>
#include <stddef.h>
#include <string.h>

enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_I32 = 5 };

typedef struct {
    const uint8_t *pos;
    const uint8_t *end;
} wire_cur;

static inline int wire_varint(wire_cur *c, uint64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (c->pos >= c->end)
            return -1;
        uint8_t b = *c->pos++;
        v |= (uint64_t)(b & 0x7F) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return -1;
}

/* A field's tag: its number and wire type. Field number 0 is malformed. */
static inline int wire_tag(wire_cur *c, uint32_t *field, int *wtype)
{
    uint64_t t;
    if (wire_varint(c, &t) < 0 || (t >> 3) == 0 || (t >> 3) > 0x1FFFFFFF)
        return -1;
    *field = (uint32_t)(t >> 3);
    *wtype = (int)(t & 7);
    return 0;
}

/* A length-delimited payload: *sub covers it and c moves past it. */
static inline int wire_len(wire_cur *c, wire_cur *sub)
{
    uint64_t n;
    if (wire_varint(c, &n) < 0 || n > (uint64_t)(c->end - c->pos))
        return -1;
    sub->pos = c->pos;
    sub->end = c->pos + n;
    c->pos += n;
    return 0;
}

static inline int wire_fixed64(wire_cur *c, uint64_t *out)
{
    if (c->end - c->pos < 8)
        return -1;
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | c->pos[i];
    *out = v;
    c->pos += 8;
    return 0;
}

static inline int wire_fixed32(wire_cur *c, uint32_t *out)
{
    if (c->end - c->pos < 4)
        return -1;
    *out = (uint32_t)c->pos[0] | (uint32_t)c->pos[1] << 8 | (uint32_t)c->pos[2] << 16 |
           (uint32_t)c->pos[3] << 24;
    c->pos += 4;
    return 0;
}

#define WIRE_MAX_GROUP_DEPTH 64

static inline int wire_skip_at(wire_cur *c, uint32_t field, int wtype, int depth);

/* Skips a group's contents up to its end-group tag (field number `field`). */
static inline int wire_skip_group(wire_cur *c, uint32_t field, int depth)
{
    if (depth >= WIRE_MAX_GROUP_DEPTH)
        return -1;
    for (;;) {
        uint32_t f;
        int wt;
        if (wire_tag(c, &f, &wt) < 0)
            return -1;
        if (wt == 4)
            return f == field ? 0 : -1;
        if (wire_skip_at(c, f, wt, depth + 1) < 0)
            return -1;
    }
}

static inline int wire_skip_at(wire_cur *c, uint32_t field, int wtype, int depth)
{
    uint64_t v;
    wire_cur sub;
    switch (wtype) {
    case WT_VARINT:
        return wire_varint(c, &v);
    case WT_I64:
        return wire_fixed64(c, &v);
    case WT_LEN:
        return wire_len(c, &sub);
    case WT_I32: {
        uint32_t w;
        return wire_fixed32(c, &w);
    }
    case 3: /* start group: skipped whole, as protobuf keeps it as an unknown field */
        return wire_skip_group(c, field, depth);
    default: /* an end group without its start, or wire types 6 and 7 */
        return -1;
    }
}

/* Skips the value of field `field` of wire type `wtype` (a group up to its end). */
static inline int wire_skip(wire_cur *c, uint32_t field, int wtype)
{
    return wire_skip_at(c, field, wtype, 0);
}

/* Reads one field: its number, wire type, where it starts (its tag) and, when it is
 * length-delimited, its payload (otherwise an empty cursor where the value was); the
 * cursor moves past it. */
static inline int wire_next(wire_cur *c, uint32_t *field, int *wtype, wire_cur *payload,
                            const uint8_t **start)
{
    *start = c->pos;
    if (wire_tag(c, field, wtype) < 0)
        return -1;
    if (*wtype == WT_LEN)
        return wire_len(c, payload);
    payload->pos = payload->end = c->pos;
    return wire_skip(c, *field, *wtype);
}

/* Calls `each(ctx, payload)` for every length-delimited field `field` of a message, in
 * order; stops at the first negative answer and returns it. */
typedef int (*wire_each_fn)(void *ctx, wire_cur payload);

static inline int wire_each(wire_cur c, uint32_t field, wire_each_fn each, void *ctx)
{
    while (c.pos < c.end) {
        uint32_t f;
        int wt, rc;
        wire_cur sub;
        const uint8_t *start;
        if (wire_next(&c, &f, &wt, &sub, &start) < 0)
            return -1;
        if (f == field && wt == WT_LEN && (rc = each(ctx, sub)) < 0)
            return rc;
    }
    return 0;
}

/* Bytes needed to write `v` as a varint. */
static inline size_t wire_varint_size(uint64_t v)
{
    size_t n = 1;
    while (v > 0x7F) {
        v >>= 7;
        n++;
    }
    return n;
}

/* Writes `v` as a varint at `out` (room for wire_varint_size(v) bytes); returns the end. */
static inline uint8_t *wire_put_varint(uint8_t *out, uint64_t v)
{
    while (v > 0x7F) {
        *out++ = (uint8_t)(v & 0x7F) | 0x80;
        v >>= 7;
    }
    *out++ = (uint8_t)v;
    return out;
}

#endif

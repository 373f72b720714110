/* Output buffers of otelpy.native._spanedit and a changed span written back: its other fields
 * as received, its attributes (unchanged ones copied, changed ones encoded) and status.
 * Included by spanedit.c only.
 */
#ifndef OTELPY_SPANWRITE_H
#define OTELPY_SPANWRITE_H

#include "growbuf.h"
#include "spanitem.h"

typedef struct {
    uint8_t *p;
    size_t n;
    Py_ssize_t cap;
} buf;

static int buf_reserve(buf *b, size_t more)
{
    return grow_bytes(&b->p, &b->cap, (Py_ssize_t)b->n, (Py_ssize_t)more, 256);
}

static int buf_put(buf *b, const void *p, size_t n)
{
    if (buf_reserve(b, n) < 0)
        return -1;
    if (n)
        memcpy(b->p + b->n, p, n);
    b->n += n;
    return 0;
}

static int buf_field(buf *b, uint32_t field, const void *p, size_t n)
{
    uint8_t head[16];
    uint8_t *end = wire_put_varint(head, (uint64_t)field << 3 | WT_LEN);
    end = wire_put_varint(end, n);
    if (buf_put(b, head, (size_t)(end - head)) < 0)
        return -1;
    return buf_put(b, p, n);
}

static size_t value_size(const value *v)
{
    if (v->kind == V_DOUBLE)
        return 9;
    if (v->kind == V_BOOL || v->kind == V_INT)
        return 1 + wire_varint_size((uint64_t)v->i);
    return 1 + wire_varint_size(v->n) + v->n;
}

/* A changed attribute as a span's field 9: KeyValue{key, AnyValue}. */
static int put_attr(buf *out, const attr *a)
{
    size_t any = value_size(&a->v);
    size_t kv = 1 + wire_varint_size(a->key_n) + a->key_n + 1 + wire_varint_size(any) + any;
    if (buf_reserve(out, 1 + wire_varint_size(kv) + kv) < 0)
        return -1;
    uint8_t *p = out->p + out->n;
    *p++ = 9 << 3 | WT_LEN;
    p = wire_put_varint(p, kv);
    *p++ = 1 << 3 | WT_LEN;
    p = wire_put_varint(p, a->key_n);
    memcpy(p, a->key, a->key_n);
    p += a->key_n;
    *p++ = 2 << 3 | WT_LEN;
    p = wire_put_varint(p, any);
    const value *v = &a->v;
    if (v->kind == V_DOUBLE) {
        uint64_t u;
        memcpy(&u, &v->d, 8);
        *p++ = V_DOUBLE << 3 | WT_I64;
        for (int k = 0; k < 8; k++)
            *p++ = (uint8_t)(u >> (8 * k));
    } else if (v->kind == V_BOOL || v->kind == V_INT) {
        *p++ = (uint8_t)(v->kind << 3 | WT_VARINT);
        p = wire_put_varint(p, (uint64_t)v->i);
    } else { /* string or bytes */
        *p++ = (uint8_t)(v->kind << 3 | WT_LEN);
        p = wire_put_varint(p, v->n);
        if (v->n)
            memcpy(p, v->s, v->n);
        p += v->n;
    }
    out->n = (size_t)(p - out->p);
    return 0;
}

/* Attributes in order: unchanged ones as received (adjacent fields copied at once). */
static int write_attrs(buf *out, const span *s)
{
    const uint8_t *run = NULL;
    size_t run_n = 0;
    for (Py_ssize_t i = 0; i < s->n; i++) {
        const attr *a = &s->a[i];
        if (!a->deleted && !a->changed && run && a->raw == run + run_n) {
            run_n += a->raw_n;
            continue;
        }
        if (run && buf_put(out, run, run_n) < 0)
            return PYERR;
        run = NULL;
        if (a->deleted)
            continue;
        if (!a->changed) {
            run = a->raw;
            run_n = a->raw_n;
        } else if (put_attr(out, a) < 0) {
            return PYERR;
        }
    }
    return run && buf_put(out, run, run_n) < 0 ? PYERR : 0;
}

static int write_status(buf *out, const span *s)
{
    buf st = {0};
    wire_cur c = {s->status_p, s->status_p + s->status_n};
    int rc = 0;
    while (rc == 0 && c.pos < c.end) {
        uint32_t f;
        int wt;
        const uint8_t *start = c.pos;
        if (wire_tag(&c, &f, &wt) < 0 || wire_skip(&c, f, wt) < 0)
            rc = MALFORMED;
        else if (!(s->status_changed && f == 3 && wt == WT_VARINT) &&
                 buf_put(&st, start, (size_t)(c.pos - start)) < 0)
            rc = PYERR;
    }
    if (rc == 0 && s->status_changed && s->status_code != 0) {
        uint8_t code[12];
        code[0] = 0x18;
        uint8_t *end = wire_put_varint(code + 1, (uint64_t)(int64_t)s->status_code);
        rc = buf_put(&st, code, (size_t)(end - code)) < 0 ? PYERR : 0;
    }
    if (rc == 0 && buf_field(out, 15, st.p, st.n) < 0)
        rc = PYERR;
    PyMem_Free(st.p);
    return rc;
}

/* The changed span: its other fields as they were, then attributes and status. */
static int write_span(buf *out, wire_cur c, const span *s)
{
    const uint8_t *run = c.pos; /* the fields kept since the last attribute or status */
    while (c.pos < c.end) {
        uint32_t f;
        int wt;
        const uint8_t *start = c.pos;
        if (wire_tag(&c, &f, &wt) < 0 || wire_skip(&c, f, wt) < 0)
            return MALFORMED;
        if (wt == WT_LEN && (f == 9 || f == 15)) {
            if (buf_put(out, run, (size_t)(start - run)) < 0)
                return PYERR;
            run = c.pos;
        }
    }
    if (buf_put(out, run, (size_t)(c.pos - run)) < 0)
        return PYERR;
    int rc = write_attrs(out, s);
    if (rc == 0 && (s->has_status || s->status_changed))
        rc = write_status(out, s);
    return rc;
}

#endif

/* One span of otelpy.native._spanedit: its attributes, name and status read from the wire,
 * conditions evaluated and ops run on them. Included by spanedit.c only.
 */
#ifndef OTELPY_SPANITEM_H
#define OTELPY_SPANITEM_H

#include "spanops.h"

/* --- one span ---------------------------------------------------------------------------- */

typedef struct {
    const uint8_t *key, *raw; /* raw: the span's field as received, NULL for one added here */
    size_t key_n, raw_n;
    value v;          /* the value now */
    PyObject *owned;  /* holds v.s when it is a string made here */
    int changed, deleted;
} attr;

typedef struct {
    attr *a;
    Py_ssize_t n, cap;
    int32_t status_code;
    int has_status, status_changed, name_checked;
    const uint8_t *status_p; /* the status payload (message, code) */
    size_t status_n;
    const uint8_t *name;
    size_t name_n;
    int changed;
    wire_cur rs; /* the ResourceSpans the span is in */
} span;

static void span_clear(span *s)
{
    for (Py_ssize_t i = 0; i < s->n; i++)
        Py_CLEAR(s->a[i].owned);
    s->n = 0;
    s->has_status = s->status_changed = s->changed = s->name_checked = 0;
    s->status_code = 0;
    s->status_p = NULL;
    s->status_n = 0;
    s->name = NULL;
    s->name_n = 0;
}

static attr *span_add_attr(span *s)
{
    if (s->n == s->cap) {
        Py_ssize_t cap = s->cap ? s->cap * 2 : 16;
        attr *a = PyMem_Realloc(s->a, (size_t)cap * sizeof(attr));
        if (!a) {
            PyErr_NoMemory();
            return NULL;
        }
        s->a = a;
        s->cap = cap;
    }
    attr *at = &s->a[s->n++];
    memset(at, 0, sizeof *at);
    return at;
}

static attr *find(span *s, const void *key, size_t n)
{
    for (Py_ssize_t i = 0; i < s->n; i++) {
        attr *a = &s->a[i];
        if (!a->deleted && a->key_n == n && (n == 0 || memcmp(a->key, key, n) == 0))
            return a;
    }
    return NULL;
}

/* A KeyValue's key and value (the last of each field, as protobuf). GENERAL for a repeated
 * value field (protobuf merges them) or any other field (kept by protobuf when it
 * rewrites a value). */
static int key_value(wire_cur c, wire_cur *key, wire_cur *val)
{
    int values = 0;
    key->pos = key->end = val->pos = val->end = c.pos;
    while (c.pos < c.end) {
        uint32_t f;
        int wt;
        wire_cur sub;
        if (wire_tag(&c, &f, &wt) < 0)
            return MALFORMED;
        if ((f == 1 || f == 2) && wt == WT_LEN) {
            if (wire_len(&c, &sub) < 0)
                return MALFORMED;
            *(f == 1 ? key : val) = sub;
            values += f == 2;
        } else {
            return wire_skip(&c, f, wt) < 0 ? MALFORMED : GENERAL;
        }
    }
    if (!utf8_valid(key->pos, (size_t)(key->end - key->pos)))
        return MALFORMED;
    return values > 1 ? GENERAL : 0;
}

/* The first value of `key` in a ResourceSpans' resource (a resource field given twice is
 * one merged message, as protobuf reads it): 1 with *val set, 0 when absent, or an error. */
static int resource_attr(wire_cur rs, const char *key, size_t n, wire_cur *val)
{
    while (rs.pos < rs.end) {
        uint32_t f;
        int wt;
        wire_cur res, kvc, k;
        if (wire_tag(&rs, &f, &wt) < 0)
            return MALFORMED;
        if (!(f == 1 && wt == WT_LEN)) {
            if (wire_skip(&rs, f, wt) < 0)
                return MALFORMED;
            continue;
        }
        if (wire_len(&rs, &res) < 0)
            return MALFORMED;
        while (res.pos < res.end) {
            if (wire_tag(&res, &f, &wt) < 0)
                return MALFORMED;
            if (!(f == 1 && wt == WT_LEN)) {
                if (wire_skip(&res, f, wt) < 0)
                    return MALFORMED;
                continue;
            }
            if (wire_len(&res, &kvc) < 0)
                return MALFORMED;
            int rc = key_value(kvc, &k, val);
            if (rc < 0)
                return rc;
            if ((size_t)(k.end - k.pos) == n && (n == 0 || memcmp(k.pos, key, n) == 0))
                return 1;
        }
    }
    return 0;
}

/* Reads a span's attributes, name and status. */
static int parse_span(wire_cur c, span *s)
{
    span_clear(s);
    while (c.pos < c.end) {
        uint32_t f;
        int wt;
        wire_cur sub, key, val;
        const uint8_t *start = c.pos;
        if (wire_tag(&c, &f, &wt) < 0)
            return MALFORMED;
        if (wt != WT_LEN || (f != 5 && f != 9 && f != 15)) {
            if (wire_skip(&c, f, wt) < 0)
                return MALFORMED;
            continue;
        }
        if (wire_len(&c, &sub) < 0)
            return MALFORMED;
        if (f == 5) {
            s->name = sub.pos;
            s->name_n = (size_t)(sub.end - sub.pos);
        } else if (f == 15) {
            if (s->has_status)
                return GENERAL; /* merged status messages */
            s->has_status = 1;
            s->status_p = sub.pos;
            s->status_n = (size_t)(sub.end - sub.pos);
        } else {
            int rc = key_value(sub, &key, &val);
            if (rc < 0)
                return rc;
            attr *a = span_add_attr(s); /* a repeated key too: the ops find the first */
            if (!a)
                return PYERR;
            a->key = key.pos;
            a->key_n = (size_t)(key.end - key.pos);
            a->raw = start;
            a->raw_n = (size_t)(sub.end - start);
            rc = any_value(val.pos, (size_t)(val.end - val.pos), &a->v);
            if (rc < 0)
                return rc;
        }
    }
    return 0;
}

static int name_value(span *s, value *v)
{
    if (!s->name_checked && !utf8_valid(s->name, s->name_n))
        return MALFORMED;
    s->name_checked = 1;
    memset(v, 0, sizeof *v);
    v->kind = V_STR;
    v->s = s->name;
    v->n = s->name_n;
    return 0;
}

static int contains(const uint8_t *p, size_t n, const char *text, size_t m)
{
    if (m == 0)
        return 1;
    for (size_t i = 0; i + m <= n; i++) {
        const uint8_t *hit = memchr(p + i, text[0], n - i - m + 1);
        if (!hit)
            return 0;
        i = (size_t)(hit - p);
        if (memcmp(hit, text, m) == 0)
            return 1;
    }
    return 0;
}

/* 1 when the condition holds, 0 when not, or an error code. */
static int holds(span *s, cond *c)
{
    value v;
    attr *a;
    int rc;
    switch (c->kind) {
    case C_ATTR:
        a = find(s, c->text, (size_t)c->text_n);
        if (a)
            return value_compare(&a->v, c->cmp, &c->lit);
        memset(&v, 0, sizeof v);
        return value_compare(&v, c->cmp, &c->lit);
    case C_NAME:
        return (rc = name_value(s, &v)) < 0 ? rc : value_compare(&v, c->cmp, &c->lit);
    case C_RESOURCE:
        if (c->res_for != s->rs.pos) { /* read once per resource */
            wire_cur val;
            memset(&c->res_value, 0, sizeof c->res_value);
            rc = resource_attr(s->rs, c->text, (size_t)c->text_n, &val);
            if (rc > 0)
                rc = any_value(val.pos, (size_t)(val.end - val.pos), &c->res_value);
            if (rc < 0)
                return rc;
            c->res_for = s->rs.pos;
        }
        return value_compare(&c->res_value, c->cmp, &c->lit);
    case C_PREFIX:
    case C_CONTAINS:
        if ((rc = name_value(s, &v)) < 0)
            return rc;
        if (c->kind == C_CONTAINS)
            return contains(v.s, v.n, c->text, (size_t)c->text_n);
        return v.n >= (size_t)c->text_n && memcmp(v.s, c->text, (size_t)c->text_n) == 0;
    case C_CALL: {
        if ((rc = name_value(s, &v)) < 0)
            return rc;
        PyObject *got = memo_call(&c->memo, c->call, v.s, v.n);
        int truth = got ? PyObject_IsTrue(got) : -1;
        Py_XDECREF(got);
        return truth < 0 ? PYERR : truth;
    }
    case C_NOT:
        return (rc = holds(s, &c->kids[0])) < 0 ? rc : !rc;
    default: /* C_AND, C_OR */
        for (Py_ssize_t i = 0; i < c->nkids; i++) {
            if ((rc = holds(s, &c->kids[i])) < 0)
                return rc;
            if (rc == (c->kind == C_OR))
                return rc;
        }
        return c->kind == C_AND;
    }
}

/* attributes[key] = v (kept alive by `owned`, which gains a reference): the first
 * occurrence changes in place, or the key is appended, as pcommon.Map.Put. */
static int put(span *s, const char *key, size_t key_n, const value *v, PyObject *owned)
{
    attr *a = find(s, key, key_n);
    if (!a) {
        if (!(a = span_add_attr(s)))
            return PYERR;
        a->key = (const uint8_t *)key;
        a->key_n = key_n;
    }
    Py_XINCREF(owned);
    Py_XSETREF(a->owned, owned);
    a->v = *v;
    a->changed = s->changed = 1;
    return 0;
}

typedef struct {
    const uint8_t *p;
    size_t n;
    int seen;
} rvalue; /* a resource value to copy, per op: its AnyValue bytes */

static int set_op(span *s, const op *o, const rvalue *res)
{
    value v;
    PyObject *owned = NULL;
    if (o->from == FROM_LITERAL) {
        v = o->literal;
    } else if (o->from == FROM_RESOURCE) {
        if (!res->seen)
            return 0;
        int rc = any_value(res->p, res->n, &v);
        if (rc < 0)
            return rc;
    } else {
        attr *src = find(s, o->other, (size_t)o->other_n);
        if (!src)
            return 0;
        v = src->v; /* copied: adding an attribute may move the array */
        owned = src->owned;
    }
    if (v.kind == V_NIL)
        return 0; /* set ignores nil */
    if (v.kind == V_ARRAY || v.kind == V_KVLIST)
        return GENERAL; /* through Python lists and dicts on the general path */
    Py_XINCREF(owned);
    int rc = put(s, o->key, (size_t)o->key_n, &v, owned);
    Py_XDECREF(owned);
    return rc;
}

static int swap_op(span *s, op *o)
{
    attr *a = find(s, o->key, (size_t)o->key_n);
    if (!a || a->v.kind != V_STR)
        return 0;
    PyObject *got = memo_call(&o->memo, o->call, a->v.s, a->v.n);
    if (!got)
        return PYERR;
    Py_ssize_t n;
    const char *p = PyUnicode_Check(got) ? PyUnicode_AsUTF8AndSize(got, &n) : NULL;
    if (!p) {
        Py_DECREF(got);
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_TypeError, "swap must return a str");
        return PYERR;
    }
    int rc = 0;
    if ((size_t)n != a->v.n || memcmp(p, a->v.s, (size_t)n) != 0) {
        value v = {V_STR, 0, 0, (const uint8_t *)p, (size_t)n};
        rc = put(s, o->key, (size_t)o->key_n, &v, got);
    }
    Py_DECREF(got);
    return rc;
}

static void truncate_op(span *s, size_t limit)
{
    for (Py_ssize_t j = 0; j < s->n; j++) {
        attr *t = &s->a[j];
        if (t->deleted || t->v.kind != V_STR || t->v.n <= limit)
            continue;
        size_t cut = limit; /* back to the start of a cut character */
        while (cut > 0 && (t->v.s[cut] & 0xC0) == 0x80)
            cut--;
        t->v.n = cut;
        t->changed = s->changed = 1;
    }
}

/* Runs the ops on one span: 1 to drop it, 0 to keep it, or an error code. */
static int run_ops(span *s, op *ops, Py_ssize_t nops, const rvalue *res)
{
    for (Py_ssize_t i = 0; i < nops; i++) {
        op *o = &ops[i];
        int rc = o->where ? holds(s, o->where) : 1;
        if (rc < 0)
            return rc;
        if (o->kind == OP_GATE) {
            if (!rc)
                i += o->count;
            continue;
        }
        if (!rc)
            continue;
        attr *a;
        switch (o->kind) {
        case OP_SET:
            rc = set_op(s, o, &res[i]);
            break;
        case OP_SWAP:
            rc = swap_op(s, o);
            break;
        case OP_DELETE:
            if ((a = find(s, o->key, (size_t)o->key_n)))
                a->deleted = s->changed = 1;
            break;
        case OP_STATUS:
            s->status_code = (int32_t)o->code;
            s->status_changed = s->changed = 1;
            break;
        case OP_TRUNCATE:
            truncate_op(s, (size_t)o->limit);
            break;
        default: /* OP_DROP: its condition held */
            return 1;
        }
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* The size of a scalar value's AnyValue bytes (what the ops store). */

#endif

/* otelpy.native._spanedit: OTTL span statements of a few common shapes run over the bytes of
 * an ExportTraceServiceRequest, rewriting only the spans they change (the transform and
 * filter processors' native path; otelpy/ottl/native.py decides which statements map here).
 *
 * edit(data, ops) -> (bytes, dropped) or None
 *     runs `ops` on every span in order and returns the new request and how many spans a
 *     drop op removed (scopes and resources left without spans are removed too, as
 *     otelpy.pdata.items.retain_spans does). None when the request holds what the native
 *     path leaves to the general one: a span with a repeated attribute key, a resource
 *     value to copy that is not a plain string, int, double or bool. ValueError when the
 *     bytes are not a well-formed request.
 *
 * ops, a tuple of tuples, each on span attributes (first occurrence of a key):
 *     (0, key, resource_key)      set(attributes[key], resource.attributes[resource_key])
 *     (1, key, swap)              a string value -> swap(value) when it differs
 *     (2, key)                    delete_key(attributes, key)
 *     (3, code, key, cmp, number) set(status.code, code) where attributes[key] <cmp> number
 *                                 (cmp 0..5: == != < <= > >=; only int and double values
 *                                 compare, anything else is only != the number, as OTTL)
 *     (4, limit)                  truncate_all(attributes, limit): UTF-8 safe byte cut
 *     (5, key, text)              drop the span when attributes[key] == text (a string)
 *     (6, test)                   drop the span when test(name) is true
 * swap and test are Python callables; what they raise propagates.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "otlp.h"

typedef struct {
    uint8_t *p;
    size_t n, cap;
} buf;

static int buf_reserve(buf *b, size_t more)
{
    if (b->n + more <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + more)
        cap *= 2;
    uint8_t *p = PyMem_Realloc(b->p, cap);
    if (!p) {
        PyErr_NoMemory();
        return -1;
    }
    b->p = p;
    b->cap = cap;
    return 0;
}

static int buf_put(buf *b, const void *p, size_t n)
{
    if (buf_reserve(b, n) < 0)
        return -1;
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

/* Copies message `c` to `out`, but each length-delimited field `field` goes to `each`
 * (which writes what stands for it, or nothing). */
typedef int (*rewrite_fn)(void *ctx, wire_cur payload, buf *out);

static int rewrite(wire_cur c, uint32_t field, rewrite_fn each, void *ctx, buf *out)
{
    while (c.pos < c.end) {
        uint32_t f;
        int wt, rc;
        wire_cur sub;
        const uint8_t *start;
        if (wire_next(&c, &f, &wt, &sub, &start) < 0)
            return -1;
        if (f == field && wt == WT_LEN) {
            if ((rc = each(ctx, sub, out)) < 0)
                return rc;
        } else if (buf_put(out, start, c.pos - start) < 0) {
            return -2;
        }
    }
    return 0;
}

/* Runs `rewrite` into a buffer of its own and writes it to `out` as field `outer`. */
static int rewrite_field(wire_cur c, uint32_t field, rewrite_fn each, void *ctx, buf *out,
                         uint32_t outer)
{
    buf inner = {0};
    int rc = rewrite(c, field, each, ctx, &inner);
    if (rc == 0 && buf_field(out, outer, inner.p ? inner.p : (const uint8_t *)"", inner.n) < 0)
        rc = -2;
    PyMem_Free(inner.p);
    return rc;
}

/* --- ops ---------------------------------------------------------------------------- */

enum { OP_SET_RES, OP_SWAP, OP_DELETE, OP_STATUS_WHERE, OP_TRUNCATE, OP_DROP_EQ, OP_DROP_NAME };

typedef struct {
    int kind;
    const char *key, *other; /* other: resource key or the text to compare */
    Py_ssize_t key_n, other_n;
    PyObject *call;
    long code, limit;
    int cmp;
    double number;
} op;

static int read_ops(PyObject *tuple, op **out, Py_ssize_t *n)
{
    *n = PyTuple_Check(tuple) ? PyTuple_GET_SIZE(tuple) : -1;
    if (*n < 0) {
        PyErr_SetString(PyExc_TypeError, "ops must be a tuple");
        return -1;
    }
    *out = PyMem_Calloc((size_t)*n + 1, sizeof(op));
    if (!*out) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < *n; i++) {
        PyObject *t = PyTuple_GET_ITEM(tuple, i);
        op *o = &(*out)[i];
        int ok = PyTuple_Check(t) && PyTuple_GET_SIZE(t) >= 2;
        o->kind = ok ? (int)PyLong_AsLong(PyTuple_GET_ITEM(t, 0)) : -1;
        PyObject *a1 = ok ? PyTuple_GET_ITEM(t, 1) : NULL;
        PyObject *a2 = ok && PyTuple_GET_SIZE(t) > 2 ? PyTuple_GET_ITEM(t, 2) : NULL;
        switch (o->kind) {
        case OP_SET_RES:
        case OP_DROP_EQ:
            ok = a2 && (o->key = PyUnicode_AsUTF8AndSize(a1, &o->key_n)) &&
                 (o->other = PyUnicode_AsUTF8AndSize(a2, &o->other_n));
            break;
        case OP_SWAP:
            ok = a2 && (o->key = PyUnicode_AsUTF8AndSize(a1, &o->key_n)) && PyCallable_Check(a2);
            o->call = a2;
            break;
        case OP_DELETE:
            ok = (o->key = PyUnicode_AsUTF8AndSize(a1, &o->key_n)) != NULL;
            break;
        case OP_STATUS_WHERE:
            ok = PyTuple_GET_SIZE(t) == 5;
            if (ok) {
                o->code = PyLong_AsLong(a1);
                o->key = PyUnicode_AsUTF8AndSize(a2, &o->key_n);
                o->cmp = (int)PyLong_AsLong(PyTuple_GET_ITEM(t, 3));
                o->number = PyFloat_AsDouble(PyTuple_GET_ITEM(t, 4));
                ok = o->key && !PyErr_Occurred() && o->cmp >= 0 && o->cmp <= 5;
            }
            break;
        case OP_TRUNCATE:
            o->limit = PyLong_AsLong(a1);
            ok = o->limit >= 0 && !PyErr_Occurred();
            break;
        case OP_DROP_NAME:
            ok = PyCallable_Check(a1);
            o->call = a1;
            break;
        default:
            ok = 0;
        }
        if (!ok) {
            if (!PyErr_Occurred())
                PyErr_Format(PyExc_ValueError, "op %zd is not a known op", i);
            PyMem_Free(*out);
            return -1;
        }
    }
    return 0;
}

/* --- one span ---------------------------------------------------------------------------- */

typedef struct {
    const uint8_t *key, *val; /* val: the AnyValue's bytes */
    size_t key_n, val_n;
    PyObject *owned; /* a replaced value's AnyValue bytes, or NULL */
    int deleted;
} attr;

typedef struct {
    attr *a;
    Py_ssize_t n, cap;
    int32_t status_code;
    int has_status, status_changed;
    const uint8_t *status_p; /* the status payload (message, code) */
    size_t status_n;
    const uint8_t *name;
    size_t name_n;
    int changed;
} span;

static void span_clear(span *s)
{
    for (Py_ssize_t i = 0; i < s->n; i++)
        Py_CLEAR(s->a[i].owned);
    s->n = 0;
    s->has_status = s->status_changed = s->changed = 0;
    s->status_code = 0;
    s->status_p = NULL;
    s->status_n = 0;
    s->name = NULL;
    s->name_n = 0;
}

static int span_add_attr(span *s, const uint8_t *key, size_t key_n, const uint8_t *val,
                         size_t val_n)
{
    if (s->n == s->cap) {
        Py_ssize_t cap = s->cap ? s->cap * 2 : 16;
        attr *a = PyMem_Realloc(s->a, (size_t)cap * sizeof(attr));
        if (!a) {
            PyErr_NoMemory();
            return -1;
        }
        s->a = a;
        s->cap = cap;
    }
    attr *at = &s->a[s->n++];
    at->key = key;
    at->key_n = key_n;
    at->val = val;
    at->val_n = val_n;
    at->owned = NULL;
    at->deleted = 0;
    return 0;
}

static attr *find(span *s, const char *key, Py_ssize_t n)
{
    for (Py_ssize_t i = 0; i < s->n; i++) {
        attr *a = &s->a[i];
        if (!a->deleted && a->key_n == (size_t)n && memcmp(a->key, key, (size_t)n) == 0)
            return a;
    }
    return NULL;
}

/* An AnyValue's single scalar: its field (1 string, 2 bool, 3 int, 4 double) and value;
 * 0 when it is anything else (empty, several fields, array, map, bytes). */
static int scalar(const uint8_t *p, size_t n, wire_cur *str, int64_t *i, double *d)
{
    wire_cur c = {p, p + n};
    uint32_t f;
    int wt;
    uint64_t v;
    if (n == 0 || wire_tag(&c, &f, &wt) < 0)
        return 0;
    if (f == 1 && wt == WT_LEN && wire_len(&c, str) == 0 && c.pos == c.end)
        return 1;
    if ((f == 2 || f == 3) && wt == WT_VARINT && wire_varint(&c, &v) == 0 && c.pos == c.end) {
        *i = (int64_t)v;
        return (int)f;
    }
    if (f == 4 && wt == WT_I64 && wire_fixed64(&c, &v) == 0 && c.pos == c.end) {
        memcpy(d, &v, sizeof *d);
        return 4;
    }
    return 0;
}

static int compare(int cmp, double a, double b)
{
    switch (cmp) {
    case 0: return a == b;
    case 1: return a != b;
    case 2: return a < b;
    case 3: return a <= b;
    case 4: return a > b;
    default: return a >= b;
    }
}

static int compare_int(int cmp, int64_t a, double literal)
{
    /* an int with an int literal compares as ints (the literal is whole, |x| < 2^53) */
    int64_t b = (int64_t)literal;
    switch (cmp) {
    case 0: return a == b;
    case 1: return a != b;
    case 2: return a < b;
    case 3: return a <= b;
    case 4: return a > b;
    default: return a >= b;
    }
}

static PyObject *string_value(PyObject *text)
{
    Py_ssize_t n;
    const char *s = PyUnicode_AsUTF8AndSize(text, &n);
    if (!s)
        return NULL;
    uint8_t head[16];
    head[0] = 0x0a;
    uint8_t *end = wire_put_varint(head + 1, (uint64_t)n);
    PyObject *out = PyBytes_FromStringAndSize(NULL, (end - head) + n);
    if (!out)
        return NULL;
    memcpy(PyBytes_AS_STRING(out), head, (size_t)(end - head));
    memcpy(PyBytes_AS_STRING(out) + (end - head), s, (size_t)n);
    return out;
}

static int set_owned(span *s, attr *a, PyObject *value_bytes)
{
    if (!value_bytes)
        return -1;
    Py_XSETREF(a->owned, value_bytes);
    a->val = (const uint8_t *)PyBytes_AS_STRING(value_bytes);
    a->val_n = (size_t)PyBytes_GET_SIZE(value_bytes);
    s->changed = 1;
    return 0;
}

typedef struct {
    const uint8_t *p;
    size_t n;
} rvalue; /* a resource value to copy, per op (NULL: the resource lacks it) */

/* Runs the ops on one span: 1 to drop it, 0 to keep it, -1 error, -3 general path. */
static int run_ops(span *s, const op *ops, Py_ssize_t nops, const rvalue *res)
{
    for (Py_ssize_t i = 0; i < nops; i++) {
        const op *o = &ops[i];
        attr *a = NULL;
        wire_cur str;
        int64_t iv = 0;
        double dv = 0;
        int kind;
        switch (o->kind) {
        case OP_SET_RES:
            if (!res[i].p)
                break; /* set ignores nil */
            a = find(s, o->key, o->key_n);
            if (!a) {
                if (span_add_attr(s, (const uint8_t *)o->key, (size_t)o->key_n, NULL, 0) < 0)
                    return -1;
                a = &s->a[s->n - 1];
            }
            Py_CLEAR(a->owned);
            a->val = res[i].p;
            a->val_n = res[i].n;
            s->changed = 1;
            break;
        case OP_SWAP:
            a = find(s, o->key, o->key_n);
            if (!a || scalar(a->val, a->val_n, &str, &iv, &dv) != 1)
                break;
            {
                PyObject *text = PyUnicode_DecodeUTF8((const char *)str.pos, str.end - str.pos,
                                                      NULL);
                if (!text)
                    return -1;
                PyObject *got = PyObject_CallOneArg(o->call, text);
                int same = got ? PyObject_RichCompareBool(got, text, Py_EQ) : -1;
                Py_DECREF(text);
                if (same < 0 || !PyUnicode_Check(got)) {
                    Py_XDECREF(got);
                    if (!PyErr_Occurred())
                        PyErr_SetString(PyExc_TypeError, "swap must return a str");
                    return -1;
                }
                int rc = same ? 0 : set_owned(s, a, string_value(got));
                Py_DECREF(got);
                if (rc < 0)
                    return -1;
            }
            break;
        case OP_DELETE:
            a = find(s, o->key, o->key_n);
            if (a) {
                a->deleted = 1;
                s->changed = 1;
            }
            break;
        case OP_STATUS_WHERE:
            a = find(s, o->key, o->key_n);
            kind = a ? scalar(a->val, a->val_n, &str, &iv, &dv) : 0;
            /* OTTL: only ints and doubles compare with a number; anything else (nil, a
             * string, a bool) is unequal to it and neither less nor greater */
            if (kind == 3 ? compare_int(o->cmp, iv, o->number)
                          : kind == 4 ? compare(o->cmp, dv, o->number) : o->cmp == 1) {
                s->status_code = (int32_t)o->code;
                s->status_changed = s->changed = 1;
            }
            break;
        case OP_TRUNCATE:
            for (Py_ssize_t j = 0; j < s->n; j++) {
                attr *t = &s->a[j];
                if (t->deleted || scalar(t->val, t->val_n, &str, &iv, &dv) != 1 ||
                    (size_t)(str.end - str.pos) <= (size_t)o->limit)
                    continue;
                size_t cut = (size_t)o->limit; /* back to the start of a cut character */
                while (cut > 0 && (str.pos[cut] & 0xC0) == 0x80)
                    cut--;
                PyObject *text = PyUnicode_DecodeUTF8((const char *)str.pos, (Py_ssize_t)cut,
                                                      NULL);
                PyObject *value = text ? string_value(text) : NULL;
                Py_XDECREF(text);
                if (set_owned(s, t, value) < 0)
                    return -1;
            }
            break;
        case OP_DROP_EQ:
            a = find(s, o->key, o->key_n);
            if (a && scalar(a->val, a->val_n, &str, &iv, &dv) == 1 &&
                (size_t)(str.end - str.pos) == (size_t)o->other_n &&
                memcmp(str.pos, o->other, (size_t)o->other_n) == 0)
                return 1;
            break;
        default: { /* OP_DROP_NAME */
            PyObject *name = PyUnicode_DecodeUTF8((const char *)s->name, (Py_ssize_t)s->name_n,
                                                  NULL);
            PyObject *got = name ? PyObject_CallOneArg(o->call, name) : NULL;
            Py_XDECREF(name);
            int truth = got ? PyObject_IsTrue(got) : -1;
            Py_XDECREF(got);
            if (truth < 0)
                return -1;
            if (truth)
                return 1;
        }
        }
    }
    return 0;
}

/* Reads a span's attributes, name and status; -3 for what the general path must do. */
static int parse_span(wire_cur c, span *s)
{
    span_clear(s);
    int statuses = 0;
    while (c.pos < c.end) {
        uint32_t f;
        int wt, nvalues;
        wire_cur sub, key, val;
        const uint8_t *start;
        if (wire_next(&c, &f, &wt, &sub, &start) < 0)
            return -1;
        if (wt != WT_LEN)
            continue;
        if (f == 5) {
            s->name = sub.pos;
            s->name_n = (size_t)(sub.end - sub.pos);
        } else if (f == 15) {
            s->has_status = 1;
            s->status_p = sub.pos;
            s->status_n = (size_t)(sub.end - sub.pos);
            if (++statuses > 1)
                return -3; /* merged status messages */
        } else if (f == 9) {
            if (otlp_key_value(sub, &key, &val, &nvalues) < 0)
                return -1;
            if (nvalues > 1 || find(s, (const char *)key.pos, key.end - key.pos))
                return -3; /* a merged value, a repeated key */
            wire_cur v = val;
            uint32_t vf;
            int vwt;
            if (v.pos < v.end && wire_next(&v, &vf, &vwt, &sub, &start) < 0)
                return -1;
            if (v.pos < v.end)
                return -3; /* a value with several fields (protobuf keeps the last) */
            if (span_add_attr(s, key.pos, (size_t)(key.end - key.pos), val.pos,
                              (size_t)(val.end - val.pos)) < 0)
                return -2;
        }
    }
    return 0;
}

/* The status payload without its code, then the new code (none when 0). */
static int write_status(buf *out, const span *s)
{
    buf st = {0};
    wire_cur c = {s->status_p, s->status_p + s->status_n};
    int rc = 0;
    while (rc == 0 && c.pos < c.end) {
        uint32_t f;
        int wt;
        wire_cur sub;
        const uint8_t *start;
        if (wire_next(&c, &f, &wt, &sub, &start) < 0)
            rc = -1;
        else if (!(s->status_changed && f == 3) && buf_put(&st, start, c.pos - start) < 0)
            rc = -2;
    }
    if (rc == 0 && s->status_changed && s->status_code != 0) {
        uint8_t code[12];
        code[0] = 0x18;
        uint8_t *end = wire_put_varint(code + 1, (uint64_t)(uint32_t)s->status_code);
        rc = buf_put(&st, code, (size_t)(end - code)) < 0 ? -2 : 0;
    }
    if (rc == 0)
        rc = buf_field(out, 15, st.p ? st.p : (const uint8_t *)"", st.n);
    PyMem_Free(st.p);
    return rc;
}

/* The changed span: its other fields as they were, then attributes and status. */
static int write_span(buf *out, wire_cur c, const span *s)
{
    int rc = 0;
    while (rc == 0 && c.pos < c.end) {
        uint32_t f;
        int wt;
        wire_cur field;
        const uint8_t *start;
        if (wire_next(&c, &f, &wt, &field, &start) < 0)
            rc = -1;
        else if (!(wt == WT_LEN && (f == 9 || f == 15)) && buf_put(out, start, c.pos - start) < 0)
            rc = -2;
    }
    buf kv = {0};
    for (Py_ssize_t i = 0; i < s->n && rc == 0; i++) {
        const attr *a = &s->a[i];
        if (a->deleted)
            continue;
        kv.n = 0;
        rc = buf_field(&kv, 1, a->key, a->key_n);
        if (rc == 0 && (a->val_n || a->owned))
            rc = buf_field(&kv, 2, a->val, a->val_n);
        if (rc == 0)
            rc = buf_field(out, 9, kv.p, kv.n);
    }
    PyMem_Free(kv.p);
    if (rc == 0 && (s->has_status || s->status_changed))
        rc = write_status(out, s);
    return rc;
}

/* --- requests ------------------------------------------------------------------------------ */

typedef struct {
    const op *ops;
    Py_ssize_t nops;
    rvalue *res;
    span s;
    Py_ssize_t dropped;
    int changed;
} editor;

static int edit_span(void *ctx, wire_cur sub, buf *out)
{
    editor *e = ctx;
    int rc = parse_span(sub, &e->s);
    if (rc == 0)
        rc = run_ops(&e->s, e->ops, e->nops, e->res);
    if (rc == 1) {
        e->dropped++;
        e->changed = 1;
        return 0;
    }
    if (rc < 0)
        return rc == -1 && PyErr_Occurred() ? -2 : rc;
    if (!e->s.changed)
        return buf_field(out, 2, sub.pos, (size_t)(sub.end - sub.pos));
    e->changed = 1;
    buf one = {0};
    rc = write_span(&one, sub, &e->s);
    if (rc == 0 && buf_field(out, 2, one.p ? one.p : (const uint8_t *)"", one.n) < 0)
        rc = -2;
    PyMem_Free(one.p);
    return rc;
}

static int edit_scope(void *ctx, wire_cur sub, buf *out)
{
    return rewrite_field(sub, 2, edit_span, ctx, out, 2);
}

/* The values the set ops copy from this resource (first occurrence of each key); -3 when
 * one is present but not a plain scalar. */
static int resource_attr(void *ctx, wire_cur kvc)
{
    editor *e = ctx;
    wire_cur key, val, str;
    int nvalues;
    int64_t iv;
    double dv;
    if (otlp_key_value(kvc, &key, &val, &nvalues) < 0)
        return -1;
    for (Py_ssize_t i = 0; i < e->nops; i++) {
        const op *o = &e->ops[i];
        if (o->kind != OP_SET_RES || e->res[i].p || e->res[i].n == 1 ||
            (size_t)o->other_n != (size_t)(key.end - key.pos) ||
            memcmp(o->other, key.pos, (size_t)o->other_n) != 0)
            continue;
        size_t n = (size_t)(val.end - val.pos);
        if (nvalues > 1 || (n && !scalar(val.pos, n, &str, &iv, &dv)))
            return -3;
        e->res[i].p = n ? val.pos : NULL;
        e->res[i].n = n ? n : 1; /* 1 with NULL: seen, empty (nil) */
    }
    return 0;
}

static int resource_attrs(void *ctx, wire_cur resource)
{
    return wire_each(resource, 1, resource_attr, ctx);
}

static int edit_resource(void *ctx, wire_cur sub, buf *out)
{
    editor *e = ctx;
    for (Py_ssize_t i = 0; i < e->nops; i++) {
        e->res[i].p = NULL;
        e->res[i].n = 0;
    }
    int rc = wire_each(sub, 1, resource_attrs, ctx);
    return rc < 0 ? rc : rewrite_field(sub, 2, edit_scope, ctx, out, 1);
}

/* Whether a message has a length-delimited field `field`. */
static int has_field(wire_cur c, uint32_t field)
{
    while (c.pos < c.end) {
        uint32_t f;
        int wt;
        wire_cur sub;
        const uint8_t *start;
        if (wire_next(&c, &f, &wt, &sub, &start) < 0)
            return 0;
        if (f == field && wt == WT_LEN)
            return 1;
    }
    return 0;
}

static int keep_scope(void *ctx, wire_cur scope, buf *out)
{
    return has_field(scope, 2) ? buf_field(out, 2, scope.pos, (size_t)(scope.end - scope.pos))
                               : 0;
}

#define FOUND (-5) /* stops wire_each: a scope with spans */

static int scope_with_spans(void *ctx, wire_cur scope)
{
    return has_field(scope, 2) ? FOUND : 0;
}

/* A ResourceSpans without its empty scopes, or nothing when none has spans. */
static int keep_resource(void *ctx, wire_cur rs, buf *out)
{
    int rc = wire_each(rs, 2, scope_with_spans, NULL);
    if (rc != FOUND)
        return rc;
    return rewrite_field(rs, 2, keep_scope, NULL, out, 1);
}

static PyObject *edit(PyObject *self, PyObject *args)
{
    PyObject *data, *ops_obj;
    if (!PyArg_ParseTuple(args, "OO!:edit", &data, &PyTuple_Type, &ops_obj))
        return NULL;
    editor e;
    memset(&e, 0, sizeof e);
    op *ops;
    if (read_ops(ops_obj, &ops, &e.nops) < 0)
        return NULL;
    e.ops = ops;
    e.res = PyMem_Calloc((size_t)e.nops + 1, sizeof(rvalue));
    Py_buffer view;
    if (!e.res || PyObject_GetBuffer(data, &view, PyBUF_SIMPLE) < 0) {
        PyMem_Free(ops);
        PyMem_Free(e.res);
        return e.res ? NULL : PyErr_NoMemory();
    }
    buf out = {0}, pruned = {0};
    wire_cur c = {view.buf, (const uint8_t *)view.buf + view.len};
    int rc = rewrite(c, 1, edit_resource, &e, &out);
    if (rc == 0 && e.dropped) {
        wire_cur edited = {out.p, out.p + out.n};
        rc = rewrite(edited, 1, keep_resource, NULL, &pruned);
    }
    PyObject *result = NULL;
    if (rc == 0) {
        const buf *final = e.dropped ? &pruned : &out;
        PyObject *bytes = !e.changed ? (Py_INCREF(data), data)
                          : PyBytes_FromStringAndSize((const char *)final->p, (Py_ssize_t)final->n);
        result = bytes ? Py_BuildValue("(Nn)", bytes, e.dropped) : NULL;
    } else if (rc == -3) {
        result = Py_None;
        Py_INCREF(result);
    } else if (rc == -1) {
        PyErr_Clear();
        PyErr_SetString(PyExc_ValueError, "malformed ExportTraceServiceRequest");
    }
    PyBuffer_Release(&view);
    span_clear(&e.s);
    PyMem_Free(e.s.a);
    PyMem_Free(out.p);
    PyMem_Free(pruned.p);
    PyMem_Free(e.res);
    PyMem_Free(ops);
    return result;
}

static PyMethodDef methods[] = {
    {"edit", edit, METH_VARARGS, "Run span ops over a serialized trace request."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_spanedit", NULL, -1, methods};

PyMODINIT_FUNC PyInit__spanedit(void)
{
    return PyModule_Create(&module);
}

/* otelpy.native._spanedit: OTTL span statements and conditions of common shapes run over the
 * bytes of an ExportTraceServiceRequest, rewriting only the spans they change (the transform
 * and filter processors' native path; otelpy/ottl/native.py decides what maps here).
 *
 * edit(data, ops) -> (bytes, dropped) or None
 *     runs `ops` on every span in order and returns the new request (`data` itself when no
 *     span changed) and how many spans a drop op removed (then scopes and resources left
 *     without spans are removed, as otelpy.pdata.items.retain_spans does). None when the
 *     request holds what the general path must do: a span with a repeated attribute key or
 *     status, a KeyValue or AnyValue that protobuf would merge or that has unknown fields, a
 *     value to copy that is an array or a map. ValueError when the bytes are not a
 *     well-formed request or a string read here is not UTF-8.
 *
 * ops, a tuple of tuples; `where` is None or a condition; keys are span attribute keys and
 * name their first occurrence, as the general path's key index:
 *     (0, where, key, 0, resource_key)   set(attributes[key], resource.attributes[resource_key])
 *     (0, where, key, 1, anyvalue)       set(attributes[key], <literal>): its AnyValue bytes
 *     (0, where, key, 2, other_key)      set(attributes[key], attributes[other_key])
 *     (1, where, key, swap)              a string value -> swap(value) when it differs
 *     (2, where, key)                    delete_key(attributes, key)
 *     (3, where, code)                   set(status.code, code)
 *     (4, where, limit)                  truncate_all(attributes, limit): UTF-8 safe byte cut
 *     (5, condition)                     drop the span when the condition holds
 *     (6, condition, count)              unless the condition holds, skip the next count ops
 * conditions, with OTTL's comparison rules (anyvalue.h; cmp 0..5: == != < <= > >=):
 *     (0, key, cmp, literal)    attributes[key] cmp literal (None, bool, int, float, str, bytes)
 *     (1, cmp, literal)         name cmp literal
 *     (2, text) / (3, text)     name starts with / contains text
 *     (4, test)                 test(name) is true
 *     (5, (c, ...)) / (6, (c, ...)) / (7, c)     and / or / not
 * swap and test are Python callables; what they raise propagates.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "anyvalue.h"

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

/* Result codes inside: 0 fine (1: drop the span), -1 malformed bytes, -2 a Python error is
 * set, -3 the request is for the general path. */
enum { MALFORMED = -1, PYERR = -2, GENERAL = -3 };

/* --- results of Python callables per input, for one request --------------------------- */

/* swap and test are pure functions of their text: a request's repeated values (routes,
 * names) call them once. Direct-mapped on an FNV-1a hash; a slot holds the text and result. */
#define MEMO_SLOTS 128

typedef struct {
    uint64_t hash[MEMO_SLOTS];
    PyObject *key[MEMO_SLOTS], *val[MEMO_SLOTS];
} memo;

static void memo_free(memo *m)
{
    for (int i = 0; m && i < MEMO_SLOTS; i++) {
        Py_XDECREF(m->key[i]);
        Py_XDECREF(m->val[i]);
    }
    PyMem_Free(m);
}

/* call(text of s[0:n]) as a new reference, or NULL with the error set. */
static PyObject *memo_call(memo **mp, PyObject *call, const uint8_t *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ s[i]) * 1099511628211ULL;
    if (!*mp && !(*mp = PyMem_Calloc(1, sizeof(memo))))
        return PyErr_NoMemory();
    memo *m = *mp;
    size_t slot = (size_t)(h % MEMO_SLOTS);
    if (m->key[slot] && m->hash[slot] == h) {
        Py_ssize_t kn;
        const char *kp = PyUnicode_AsUTF8AndSize(m->key[slot], &kn);
        if (kp && (size_t)kn == n && memcmp(kp, s, n) == 0)
            return Py_NewRef(m->val[slot]);
        PyErr_Clear();
    }
    PyObject *text = PyUnicode_DecodeUTF8((const char *)s, (Py_ssize_t)n, NULL);
    PyObject *got = text ? PyObject_CallOneArg(call, text) : NULL;
    if (!got) {
        Py_XDECREF(text);
        return NULL;
    }
    Py_XSETREF(m->key[slot], text);
    Py_XSETREF(m->val[slot], Py_NewRef(got));
    m->hash[slot] = h;
    return got;
}

/* --- conditions and ops, read from their tuples ------------------------------------- */

enum { C_ATTR, C_NAME, C_PREFIX, C_CONTAINS, C_CALL, C_AND, C_OR, C_NOT };

typedef struct cond {
    int kind, cmp;
    const char *text; /* C_ATTR: the key; C_PREFIX, C_CONTAINS: the text */
    Py_ssize_t text_n;
    value lit;
    PyObject *call;
    memo *memo;
    struct cond *kids;
    Py_ssize_t nkids;
} cond;

static void cond_free(cond *c)
{
    for (Py_ssize_t i = 0; c->kids && i < c->nkids; i++)
        cond_free(&c->kids[i]);
    PyMem_Free(c->kids);
    c->kids = NULL;
    memo_free(c->memo);
    c->memo = NULL;
}

static int read_literal(PyObject *o, value *v)
{
    memset(v, 0, sizeof *v);
    Py_ssize_t n;
    if (o == Py_None) {
        v->kind = V_NIL;
    } else if (PyBool_Check(o)) {
        v->kind = V_BOOL;
        v->i = o == Py_True;
    } else if (PyLong_Check(o)) {
        v->kind = V_INT;
        v->i = PyLong_AsLongLong(o);
        if (v->i == -1 && PyErr_Occurred())
            return -1;
    } else if (PyFloat_Check(o)) {
        v->kind = V_DOUBLE;
        v->d = PyFloat_AS_DOUBLE(o);
    } else if (PyUnicode_Check(o)) {
        v->kind = V_STR;
        if (!(v->s = (const uint8_t *)PyUnicode_AsUTF8AndSize(o, &n)))
            return -1;
        v->n = (size_t)n;
    } else if (PyBytes_Check(o)) {
        v->kind = V_BYTES;
        v->s = (const uint8_t *)PyBytes_AS_STRING(o);
        v->n = (size_t)PyBytes_GET_SIZE(o);
    } else {
        PyErr_SetString(PyExc_TypeError, "a literal is None, bool, int, float, str or bytes");
        return -1;
    }
    return 0;
}

static int read_cond(PyObject *t, cond *c, int depth)
{
    memset(c, 0, sizeof *c);
    Py_ssize_t size = PyTuple_Check(t) ? PyTuple_GET_SIZE(t) : 0;
    if (size < 2 || depth > 64) {
        PyErr_SetString(PyExc_ValueError, "not a known condition");
        return -1;
    }
    c->kind = (int)PyLong_AsLong(PyTuple_GET_ITEM(t, 0));
    PyObject *a1 = PyTuple_GET_ITEM(t, 1), *a2 = size > 2 ? PyTuple_GET_ITEM(t, 2) : NULL;
    PyObject *a3 = size > 3 ? PyTuple_GET_ITEM(t, 3) : NULL;
    switch (c->kind) {
    case C_ATTR:
        if (!a3 || !(c->text = PyUnicode_AsUTF8AndSize(a1, &c->text_n)))
            break;
        c->cmp = (int)PyLong_AsLong(a2);
        return c->cmp < 0 || c->cmp > 5 || PyErr_Occurred() ? -1 : read_literal(a3, &c->lit);
    case C_NAME:
        if (!a2)
            break;
        c->cmp = (int)PyLong_AsLong(a1);
        return c->cmp < 0 || c->cmp > 5 || PyErr_Occurred() ? -1 : read_literal(a2, &c->lit);
    case C_PREFIX:
    case C_CONTAINS:
        return (c->text = PyUnicode_AsUTF8AndSize(a1, &c->text_n)) ? 0 : -1;
    case C_CALL:
        c->call = a1;
        if (PyCallable_Check(a1))
            return 0;
        break;
    case C_NOT:
        a1 = PyTuple_Pack(1, a1);
        if (!a1)
            return -1;
        /* fall through: one operand */
    case C_AND:
    case C_OR: {
        int packed = c->kind == C_NOT;
        c->nkids = PyTuple_Check(a1) ? PyTuple_GET_SIZE(a1) : -1;
        if (c->nkids >= 0)
            c->kids = PyMem_Calloc((size_t)c->nkids + 1, sizeof(cond));
        int rc = c->kids ? 0 : -1;
        for (Py_ssize_t i = 0; rc == 0 && i < c->nkids; i++)
            rc = read_cond(PyTuple_GET_ITEM(a1, i), &c->kids[i], depth + 1);
        if (packed)
            Py_DECREF(a1);
        if (rc < 0 && !PyErr_Occurred())
            PyErr_SetString(PyExc_ValueError, "not a known condition");
        return rc;
    }
    default:
        break;
    }
    if (!PyErr_Occurred())
        PyErr_SetString(PyExc_ValueError, "not a known condition");
    return -1;
}

enum { OP_SET, OP_SWAP, OP_DELETE, OP_STATUS, OP_TRUNCATE, OP_DROP, OP_GATE };
enum { FROM_RESOURCE, FROM_LITERAL, FROM_ATTR };

typedef struct {
    int kind, from;
    cond *where; /* NULL: always */
    cond test;   /* the storage of `where` */
    const char *key, *other; /* other: resource key, literal AnyValue bytes, other key */
    Py_ssize_t key_n, other_n;
    value literal;
    PyObject *call;
    memo *memo;
    long long code, limit, count;
} op;

static int read_where(PyObject *o, op *out)
{
    if (o == Py_None)
        return 0;
    out->where = &out->test;
    return read_cond(o, &out->test, 0);
}

static int read_op(PyObject *t, op *o)
{
    Py_ssize_t size = PyTuple_Check(t) ? PyTuple_GET_SIZE(t) : 0;
    o->kind = size >= 2 ? (int)PyLong_AsLong(PyTuple_GET_ITEM(t, 0)) : -1;
    PyObject *a[5] = {NULL};
    for (Py_ssize_t i = 1; i < size && i < 5; i++)
        a[i] = PyTuple_GET_ITEM(t, i);
    if (o->kind == OP_DROP || o->kind == OP_GATE) {
        if (read_where(a[1], o) < 0 || !o->where)
            return -1;
        o->count = o->kind == OP_GATE && a[2] ? PyLong_AsLongLong(a[2]) : 0;
        return (o->kind == OP_GATE && (!a[2] || o->count < 0)) || PyErr_Occurred() ? -1 : 0;
    }
    if (o->kind < 0 || o->kind > OP_TRUNCATE || !a[2] || read_where(a[1], o) < 0)
        return -1;
    if (o->kind == OP_STATUS || o->kind == OP_TRUNCATE) {
        long long v = PyLong_AsLongLong(a[2]);
        *(o->kind == OP_STATUS ? &o->code : &o->limit) = v;
        return PyErr_Occurred() || (o->kind == OP_TRUNCATE && v < 0) ||
               (o->kind == OP_STATUS && (v < INT32_MIN || v > INT32_MAX)) ? -1 : 0;
    }
    if (!(o->key = PyUnicode_AsUTF8AndSize(a[2], &o->key_n)))
        return -1;
    if (o->kind == OP_SWAP) {
        o->call = a[3];
        return a[3] && PyCallable_Check(a[3]) ? 0 : -1;
    }
    if (o->kind == OP_DELETE)
        return 0;
    o->from = a[3] && a[4] ? (int)PyLong_AsLong(a[3]) : -1;
    if (o->from == FROM_LITERAL) { /* AnyValue bytes of a scalar */
        char *p;
        if (PyBytes_AsStringAndSize(a[4], &p, &o->other_n) < 0)
            return -1;
        o->other = p;
        int rc = any_value((const uint8_t *)p, (size_t)o->other_n, &o->literal);
        return rc < 0 || o->literal.kind == V_NIL || o->literal.kind == V_ARRAY ||
               o->literal.kind == V_KVLIST ? -1 : 0;
    }
    if (o->from != FROM_RESOURCE && o->from != FROM_ATTR)
        return -1;
    return (o->other = PyUnicode_AsUTF8AndSize(a[4], &o->other_n)) ? 0 : -1;
}

static void free_ops(op *ops, Py_ssize_t n)
{
    for (Py_ssize_t i = 0; ops && i < n; i++) {
        if (ops[i].where)
            cond_free(ops[i].where);
        memo_free(ops[i].memo);
    }
    PyMem_Free(ops);
}

static int read_ops(PyObject *tuple, op **out, Py_ssize_t *n)
{
    *n = PyTuple_GET_SIZE(tuple);
    *out = PyMem_Calloc((size_t)*n + 1, sizeof(op));
    if (!*out) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < *n; i++) {
        if (read_op(PyTuple_GET_ITEM(tuple, i), &(*out)[i]) < 0) {
            if (!PyErr_Occurred() || PyErr_ExceptionMatches(PyExc_TypeError) ||
                PyErr_ExceptionMatches(PyExc_OverflowError)) {
                PyErr_Clear();
                PyErr_Format(PyExc_ValueError, "op %zd is not a known op", i);
            }
            free_ops(*out, *n);
            return -1;
        }
    }
    return 0;
}

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

/* --- requests ------------------------------------------------------------------------------ */

typedef struct {
    op *ops;
    Py_ssize_t nops;
    rvalue *res;
    span s;
    Py_ssize_t dropped;
    int changed;
    buf one, scope, res_buf; /* scratch for a span, a scope, a resource: kept across them */
} editor;

static int edit_scope(editor *e, wire_cur c, buf *out)
{
    while (c.pos < c.end) {
        uint32_t f;
        int wt;
        wire_cur sub;
        const uint8_t *start = c.pos;
        if (wire_tag(&c, &f, &wt) < 0)
            return MALFORMED;
        if (!(f == 2 && wt == WT_LEN)) {
            if (wire_skip(&c, f, wt) < 0)
                return MALFORMED;
            if (buf_put(out, start, c.pos - start) < 0)
                return PYERR;
            continue;
        }
        if (wire_len(&c, &sub) < 0)
            return MALFORMED;
        int rc = parse_span(sub, &e->s);
        if (rc == 0)
            rc = run_ops(&e->s, e->ops, e->nops, e->res);
        if (rc == 1) {
            e->dropped++;
            e->changed = 1;
            continue;
        }
        if (rc < 0)
            return rc;
        if (!e->s.changed) {
            if (buf_put(out, start, c.pos - start) < 0)
                return PYERR;
            continue;
        }
        e->changed = 1;
        e->one.n = 0;
        rc = write_span(&e->one, sub, &e->s);
        if (rc == 0 && buf_field(out, 2, e->one.p, e->one.n) < 0)
            rc = PYERR;
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* The values the set ops copy from this resource (first occurrence of each key; a resource
 * field given twice is one merged message, as protobuf reads it). */
static int resource_values(editor *e, wire_cur rs)
{
    memset(e->res, 0, (size_t)e->nops * sizeof(rvalue));
    while (rs.pos < rs.end) {
        uint32_t f;
        int wt;
        wire_cur res, kvc, key, val;
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
            int rc = key_value(kvc, &key, &val);
            if (rc < 0)
                return rc;
            for (Py_ssize_t i = 0; i < e->nops; i++) {
                const op *o = &e->ops[i];
                if (o->kind != OP_SET || o->from != FROM_RESOURCE || e->res[i].seen ||
                    (size_t)o->other_n != (size_t)(key.end - key.pos) ||
                    memcmp(o->other, key.pos, (size_t)o->other_n) != 0)
                    continue;
                e->res[i].p = val.pos;
                e->res[i].n = (size_t)(val.end - val.pos);
                e->res[i].seen = 1;
            }
        }
    }
    return 0;
}

static int edit_resource(editor *e, wire_cur c, buf *out)
{
    int rc = resource_values(e, c);
    while (rc == 0 && c.pos < c.end) {
        uint32_t f;
        int wt;
        wire_cur sub;
        const uint8_t *start = c.pos;
        if (wire_tag(&c, &f, &wt) < 0)
            return MALFORMED;
        if (!(f == 2 && wt == WT_LEN)) {
            if (wire_skip(&c, f, wt) < 0)
                return MALFORMED;
            rc = buf_put(out, start, (size_t)(c.pos - start)) < 0 ? PYERR : 0;
            continue;
        }
        if (wire_len(&c, &sub) < 0)
            return MALFORMED;
        e->scope.n = 0;
        rc = edit_scope(e, sub, &e->scope);
        if (rc == 0 && buf_field(out, 2, e->scope.p, e->scope.n) < 0)
            rc = PYERR;
    }
    return rc;
}

/* Whether a message has a length-delimited field `field`. */
static int has_field(wire_cur c, uint32_t field)
{
    while (c.pos < c.end) {
        uint32_t f;
        int wt;
        if (wire_tag(&c, &f, &wt) < 0 || wire_skip(&c, f, wt) < 0)
            return 0;
        if (f == field && wt == WT_LEN)
            return 1;
    }
    return 0;
}

/* Copies `c` (a message) without its field-`field` entries whose payload fails `keep`. */
static int prune(wire_cur c, uint32_t field, int (*keep)(wire_cur), buf *out)
{
    while (c.pos < c.end) {
        uint32_t f;
        int wt;
        wire_cur sub = {c.pos, c.pos};
        const uint8_t *start = c.pos;
        if (wire_tag(&c, &f, &wt) < 0)
            return MALFORMED;
        if (f == field && wt == WT_LEN ? wire_len(&c, &sub) : wire_skip(&c, f, wt))
            return MALFORMED;
        if ((f != field || wt != WT_LEN || keep(sub)) && buf_put(out, start, c.pos - start) < 0)
            return PYERR;
    }
    return 0;
}

static int scope_has_spans(wire_cur scope) { return has_field(scope, 2); }

static int resource_has_scopes(wire_cur rs)
{
    while (rs.pos < rs.end) {
        uint32_t f;
        int wt;
        wire_cur sub;
        if (wire_tag(&rs, &f, &wt) < 0)
            return 0;
        if (f == 2 && wt == WT_LEN) {
            if (wire_len(&rs, &sub) < 0)
                return 0;
            if (has_field(sub, 2))
                return 1;
        } else if (wire_skip(&rs, f, wt) < 0) {
            return 0;
        }
    }
    return 0;
}

/* Every ResourceSpans with its empty scopes removed, those left without scopes removed. */
static int prune_empty(const buf *in, buf *out)
{
    wire_cur c = {in->p, in->p + in->n};
    while (c.pos < c.end) {
        uint32_t f;
        int wt;
        wire_cur rs;
        const uint8_t *start = c.pos;
        if (wire_tag(&c, &f, &wt) < 0)
            return MALFORMED;
        if (!(f == 1 && wt == WT_LEN)) { /* another field of the request: kept */
            if (wire_skip(&c, f, wt) < 0)
                return MALFORMED;
            if (buf_put(out, start, c.pos - start) < 0)
                return PYERR;
            continue;
        }
        if (wire_len(&c, &rs) < 0)
            return MALFORMED;
        if (!resource_has_scopes(rs))
            continue;
        buf kept = {0};
        int rc = prune(rs, 2, scope_has_spans, &kept);
        if (rc == 0 && buf_field(out, 1, kept.p ? kept.p : (const uint8_t *)"", kept.n) < 0)
            rc = PYERR;
        PyMem_Free(kept.p);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int edit_request(editor *e, wire_cur c, buf *out)
{
    while (c.pos < c.end) {
        uint32_t f;
        int wt;
        wire_cur sub;
        const uint8_t *start = c.pos;
        if (wire_tag(&c, &f, &wt) < 0)
            return MALFORMED;
        if (!(f == 1 && wt == WT_LEN)) {
            if (wire_skip(&c, f, wt) < 0)
                return MALFORMED;
            if (buf_put(out, start, c.pos - start) < 0)
                return PYERR;
            continue;
        }
        if (wire_len(&c, &sub) < 0)
            return MALFORMED;
        e->res_buf.n = 0;
        int rc = edit_resource(e, sub, &e->res_buf);
        if (rc == 0 && buf_field(out, 1, e->res_buf.p, e->res_buf.n) < 0)
            rc = PYERR;
        if (rc < 0)
            return rc;
    }
    return 0;
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
        free_ops(ops, e.nops);
        PyMem_Free(e.res);
        return e.res ? NULL : PyErr_NoMemory();
    }
    buf out = {0}, pruned = {0};
    wire_cur c = {view.buf, (const uint8_t *)view.buf + view.len};
    int rc = buf_reserve(&out, (size_t)view.len + 64) < 0 ? PYERR : edit_request(&e, c, &out);
    if (rc == 0 && e.dropped)
        rc = prune_empty(&out, &pruned);
    PyObject *result = NULL;
    if (rc == 0) {
        const buf *final = e.dropped ? &pruned : &out;
        PyObject *bytes = !e.changed ? (Py_INCREF(data), data)
                          : PyBytes_FromStringAndSize((const char *)final->p, (Py_ssize_t)final->n);
        result = bytes ? Py_BuildValue("(Nn)", bytes, e.dropped) : NULL;
    } else if (rc == GENERAL) {
        result = Py_None;
        Py_INCREF(result);
    } else if (rc == MALFORMED) {
        PyErr_Clear();
        PyErr_SetString(PyExc_ValueError, "malformed ExportTraceServiceRequest");
    }
    PyBuffer_Release(&view);
    span_clear(&e.s);
    PyMem_Free(e.s.a);
    PyMem_Free(out.p);
    PyMem_Free(pruned.p);
    PyMem_Free(e.one.p);
    PyMem_Free(e.scope.p);
    PyMem_Free(e.res_buf.p);
    PyMem_Free(e.res);
    free_ops(ops, e.nops);
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

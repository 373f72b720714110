/* The ops and conditions of otelpy.native._spanedit (the list is in spanedit.c), read from
 * their Python tuples once per call, and the memo of the Python callables they hold.
 * Included by spanedit.c only.
 */
#ifndef OTELPY_SPANOPS_H
#define OTELPY_SPANOPS_H

#include <Python.h>

#include "anyvalue.h"

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

enum { C_ATTR, C_NAME, C_PREFIX, C_CONTAINS, C_CALL, C_AND, C_OR, C_NOT, C_RESOURCE };

typedef struct cond {
    int kind, cmp;
    const char *text; /* C_ATTR: the key; C_PREFIX, C_CONTAINS: the text */
    Py_ssize_t text_n;
    value lit;
    PyObject *call;
    memo *memo;
    struct cond *kids;
    Py_ssize_t nkids;
    const uint8_t *res_for; /* C_RESOURCE: the resource whose value res_value is */
    value res_value;
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
    case C_RESOURCE:
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
        /* fall through - one operand */
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

#endif

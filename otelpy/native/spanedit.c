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
 *     (8, key, cmp, literal)    resource.attributes[key] cmp literal
 *     (1, cmp, literal)         name cmp literal
 *     (2, text) / (3, text)     name starts with / contains text
 *     (4, test)                 test(name) is true
 *     (5, (c, ...)) / (6, (c, ...)) / (7, c)     and / or / not
 * swap and test are Python callables; what they raise propagates.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "spanwrite.h" /* spanitem.h, spanops.h, anyvalue.h, wire.h */

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

/* The values the set ops copy from this resource (first occurrence of each key). */
static int resource_values(editor *e, wire_cur rs)
{
    memset(e->res, 0, (size_t)e->nops * sizeof(rvalue));
    for (Py_ssize_t i = 0; i < e->nops; i++) {
        const op *o = &e->ops[i];
        wire_cur val;
        if (o->kind != OP_SET || o->from != FROM_RESOURCE)
            continue;
        int rc = resource_attr(rs, o->other, (size_t)o->other_n, &val);
        if (rc < 0)
            return rc;
        e->res[i].p = val.pos;
        e->res[i].n = rc ? (size_t)(val.end - val.pos) : 0;
        e->res[i].seen = rc;
    }
    return 0;
}

static int edit_resource(editor *e, wire_cur c, buf *out)
{
    e->s.rs = c;
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
    size_t room = (size_t)view.len + 64; /* the buffers at their likely size: no regrowth */
    int rc = buf_reserve(&out, room) < 0 || buf_reserve(&e.scope, room) < 0 ||
             buf_reserve(&e.res_buf, room) < 0 ? PYERR : edit_request(&e, c, &out);
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

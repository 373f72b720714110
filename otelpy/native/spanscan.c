/* otelpy.native._spanscan: what the spanmetrics and servicegraph connectors read of each span,
 * in one C pass over a serialized ExportTraceServiceRequest (no protobuf objects per span).
 *
 * span_groups(data, bounds) -> [(resource bytes, [(scope bytes, [group])])]
 *     per ResourceSpans that has scopes, per ScopeSpans (in order), the spans grouped by
 *     (name, kind, status code) in order of first appearance; a group is
 *     (name, kind, status code, durations, bucket counts): durations (end - start, 0 when
 *     not after the start, divided by `divider`) as a list of floats in span order, and
 *     when `bounds` (sorted floats) is given, how many fall in each upper-inclusive bucket
 *     (Python's bisect_left), len(bounds) + 1 counts.
 *
 * edge_spans(data, resource_keys, span_keys) -> [(resource attrs, [span])]
 *     per ResourceSpans (every scope's spans flattened, in order), the serialized AnyValue
 *     of each wanted resource attribute ({key: bytes}, first occurrence wins) and for each
 *     SERVER, CLIENT, PRODUCER or CONSUMER span a tuple (kind, trace_id, span_id,
 *     parent_span_id, seconds, failed, attrs): seconds as above over 1e9, failed when the
 *     status code is ERROR, attrs the wanted span attributes as for the resource ({} when
 *     none).
 *
 * Field semantics follow protobuf's parser: a scalar repeated on the wire keeps its last
 * value, a message field repeated merges (status), enums are int32. ValueError when the
 * bytes are not a well-formed request or a span name is not UTF-8; callers then take their
 * general path, which reports the error as it always did.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "otlp.h"

#define MAX_KEYS 64

typedef struct {
    const uint8_t *p;
    size_t n;
} slice;

typedef struct {
    slice name, trace_id, span_id, parent;
    int32_t kind, status;
    uint64_t start, end;
    slice attrs[MAX_KEYS]; /* wanted attribute values (serialized AnyValue) */
    int found[MAX_KEYS];
} span_fields;

typedef struct {
    PyObject *str[MAX_KEYS]; /* the caller's key objects */
    const char *key[MAX_KEYS];
    Py_ssize_t len[MAX_KEYS];
    int n;
} wanted;

static PyObject *malformed(void)
{
    PyErr_SetString(PyExc_ValueError, "malformed ExportTraceServiceRequest");
    return NULL;
}

/* --- wanted attribute keys ------------------------------------------------------------ */

static int wanted_init(wanted *w, PyObject *keys)
{
    w->n = 0;
    if (keys == Py_None)
        return 0;
    PyObject *seq = PySequence_Fast(keys, "keys must be a sequence of str");
    if (!seq)
        return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    if (n > MAX_KEYS) {
        Py_DECREF(seq);
        PyErr_Format(PyExc_ValueError, "at most %d keys", MAX_KEYS);
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *k = PySequence_Fast_GET_ITEM(seq, i);
        const char *s = PyUnicode_Check(k) ? PyUnicode_AsUTF8AndSize(k, &w->len[i]) : NULL;
        if (!s) {
            Py_DECREF(seq);
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_TypeError, "keys must be str");
            return -1;
        }
        w->str[i] = k; /* borrowed: `keys` outlives the call */
        w->key[i] = s;
        w->n = (int)i + 1;
    }
    Py_DECREF(seq); /* the items stay alive through the caller's `keys` */
    return 0;
}

static int wanted_index(const wanted *w, slice key)
{
    for (int i = 0; i < w->n; i++)
        if ((size_t)w->len[i] == key.n && memcmp(w->key[i], key.p, key.n) == 0)
            return i;
    return -1;
}

/* The wanted keys among a KeyValue, first occurrence of a key wins. found[i] is 1 when
 * values[i] is the AnyValue's bytes, 2 when the KeyValue repeats its value field: then
 * values[i] is the whole KeyValue and the value is the fields' concatenation (merged). */
static int match_attr(wire_cur kv, const wanted *w, slice *values, int *found)
{
    wire_cur key_c, value_c;
    int nvalues;
    if (otlp_key_value(kv, &key_c, &value_c, &nvalues) < 0)
        return -1;
    slice key = {key_c.pos, (size_t)(key_c.end - key_c.pos)};
    int i = wanted_index(w, key);
    if (i >= 0 && !found[i]) {
        found[i] = nvalues > 1 ? 2 : 1;
        values[i].p = value_c.pos;
        values[i].n = (size_t)(value_c.end - value_c.pos);
        if (nvalues > 1) {
            values[i].p = kv.pos;
            values[i].n = (size_t)(kv.end - kv.pos);
        }
    }
    return 0;
}

/* The value of a KeyValue whose value field repeats: the payloads joined. */
static PyObject *merged_value(slice kv)
{
    PyObject *out = PyBytes_FromStringAndSize(NULL, 0);
    wire_cur c = {kv.p, kv.p + kv.n};
    while (out && c.pos < c.end) {
        uint32_t f;
        int wt;
        wire_cur sub;
        const uint8_t *start;
        if (wire_next(&c, &f, &wt, &sub, &start) < 0) {
            Py_CLEAR(out);
            return malformed();
        }
        if (f == 2 && wt == WT_LEN) {
            PyObject *more = PyBytes_FromStringAndSize((const char *)sub.pos,
                                                       sub.end - sub.pos);
            if (!more)
                Py_CLEAR(out);
            else
                PyBytes_ConcatAndDel(&out, more);
        }
    }
    return out;
}

/* --- spans ----------------------------------------------------------------------------- */

static int status_code(wire_cur c, int32_t *code)
{
    while (c.pos < c.end) {
        uint32_t f;
        int wt;
        if (wire_tag(&c, &f, &wt) < 0)
            return -1;
        if (f == 3 && wt == WT_VARINT) {
            uint64_t v;
            if (wire_varint(&c, &v) < 0)
                return -1;
            *code = (int32_t)(uint32_t)v;
        } else if (wire_skip(&c, f, wt) < 0) {
            return -1;
        }
    }
    return 0;
}

static int parse_span(wire_cur c, span_fields *s, const wanted *w)
{
    memset(s, 0, offsetof(span_fields, attrs));
    for (int i = 0; i < w->n; i++)
        s->found[i] = 0;
    while (c.pos < c.end) {
        uint32_t f;
        int wt;
        wire_cur sub;
        uint64_t v;
        if (wire_tag(&c, &f, &wt) < 0)
            return -1;
        if (wt == WT_LEN && (f == 1 || f == 2 || f == 4 || f == 5 || f == 9 || f == 15)) {
            if (wire_len(&c, &sub) < 0)
                return -1;
            slice got = {sub.pos, (size_t)(sub.end - sub.pos)};
            switch (f) {
            case 1: s->trace_id = got; break;
            case 2: s->span_id = got; break;
            case 4: s->parent = got; break;
            case 5: s->name = got; break;
            case 9:
                if (w->n && match_attr(sub, w, s->attrs, s->found) < 0)
                    return -1;
                break;
            default:
                if (status_code(sub, &s->status) < 0)
                    return -1;
            }
        } else if (f == 6 && wt == WT_VARINT) {
            if (wire_varint(&c, &v) < 0)
                return -1;
            s->kind = (int32_t)(uint32_t)v;
        } else if ((f == 7 || f == 8) && wt == WT_I64) {
            if (wire_fixed64(&c, f == 7 ? &s->start : &s->end) < 0)
                return -1;
        } else if (wire_skip(&c, f, wt) < 0) {
            return -1;
        }
    }
    return 0;
}

static double duration(const span_fields *s, double divider)
{
    return s->end > s->start ? (double)(s->end - s->start) / divider : 0.0;
}

typedef wire_each_fn each_fn;
#define each_field wire_each

/* --- span_groups ------------------------------------------------------------------------- */

typedef struct {
    slice name;
    int32_t kind, status;
    uint64_t hash;
    PyObject *values; /* list of float */
    Py_ssize_t *counts;
} group;

typedef struct {
    group *groups;
    Py_ssize_t n, cap;
    Py_ssize_t *slots; /* index + 1 into groups, 0 = empty */
    Py_ssize_t nslots;
    const double *bounds;
    Py_ssize_t nbounds;
    double divider;
    wanted none;
} grouper;

static uint64_t group_hash(slice name, int32_t kind, int32_t status)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < name.n; i++)
        h = (h ^ name.p[i]) * 1099511628211ULL;
    h = (h ^ (uint32_t)kind) * 1099511628211ULL;
    return (h ^ (uint32_t)status) * 1099511628211ULL;
}

static void grouper_clear(grouper *g)
{
    for (Py_ssize_t i = 0; i < g->n; i++) {
        Py_XDECREF(g->groups[i].values);
        PyMem_Free(g->groups[i].counts);
    }
    g->n = 0;
    if (g->slots)
        memset(g->slots, 0, (size_t)g->nslots * sizeof(Py_ssize_t));
}

static void grouper_free(grouper *g)
{
    grouper_clear(g);
    PyMem_Free(g->groups);
    PyMem_Free(g->slots);
}

static int grouper_rehash(grouper *g, Py_ssize_t nslots)
{
    Py_ssize_t *slots = PyMem_Calloc((size_t)nslots, sizeof(Py_ssize_t));
    if (!slots)
        return -1;
    for (Py_ssize_t i = 0; i < g->n; i++) {
        Py_ssize_t j = (Py_ssize_t)(g->groups[i].hash & (uint64_t)(nslots - 1));
        while (slots[j])
            j = (j + 1) & (nslots - 1);
        slots[j] = i + 1;
    }
    PyMem_Free(g->slots);
    g->slots = slots;
    g->nslots = nslots;
    return 0;
}

static group *grouper_find(grouper *g, const span_fields *s)
{
    if ((g->n + 1) * 2 > g->nslots && grouper_rehash(g, g->nslots ? g->nslots * 2 : 64) < 0)
        return NULL;
    uint64_t h = group_hash(s->name, s->kind, s->status);
    Py_ssize_t j = (Py_ssize_t)(h & (uint64_t)(g->nslots - 1));
    while (g->slots[j]) {
        group *found = &g->groups[g->slots[j] - 1];
        if (found->hash == h && found->kind == s->kind && found->status == s->status &&
            found->name.n == s->name.n && memcmp(found->name.p, s->name.p, s->name.n) == 0)
            return found;
        j = (j + 1) & (g->nslots - 1);
    }
    if (g->n == g->cap) {
        Py_ssize_t cap = g->cap ? g->cap * 2 : 16;
        group *grown = PyMem_Realloc(g->groups, (size_t)cap * sizeof(group));
        if (!grown)
            return NULL;
        g->groups = grown;
        g->cap = cap;
    }
    group *made = &g->groups[g->n];
    memset(made, 0, sizeof(group));
    made->name = s->name;
    made->kind = s->kind;
    made->status = s->status;
    made->hash = h;
    made->values = PyList_New(0);
    if (!made->values)
        return NULL;
    if (g->bounds) {
        made->counts = PyMem_Calloc((size_t)g->nbounds + 1, sizeof(Py_ssize_t));
        if (!made->counts) {
            Py_CLEAR(made->values);
            return NULL;
        }
    }
    g->slots[j] = ++g->n;
    return made;
}

static Py_ssize_t bucket(const double *bounds, Py_ssize_t n, double value)
{
    Py_ssize_t lo = 0, hi = n; /* bisect_left: first bound >= value */
    while (lo < hi) {
        Py_ssize_t mid = (lo + hi) / 2;
        if (bounds[mid] < value)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int group_span(void *ctx, wire_cur payload)
{
    grouper *g = ctx;
    span_fields s;
    if (parse_span(payload, &s, &g->none) < 0)
        return -1;
    group *gr = grouper_find(g, &s);
    if (!gr)
        return -2;
    double value = duration(&s, g->divider);
    PyObject *f = PyFloat_FromDouble(value);
    if (!f || PyList_Append(gr->values, f) < 0) {
        Py_XDECREF(f);
        return -2;
    }
    Py_DECREF(f);
    if (gr->counts)
        gr->counts[bucket(g->bounds, g->nbounds, value)]++;
    return 0;
}

static PyObject *group_tuple(const grouper *g, const group *gr)
{
    PyObject *name = PyUnicode_DecodeUTF8((const char *)gr->name.p, (Py_ssize_t)gr->name.n,
                                          NULL);
    if (!name)
        return NULL;
    PyObject *counts = Py_None;
    Py_INCREF(counts);
    if (gr->counts) {
        Py_DECREF(counts);
        counts = PyList_New(g->nbounds + 1);
        for (Py_ssize_t i = 0; counts && i <= g->nbounds; i++) {
            PyObject *n = PyLong_FromSsize_t(gr->counts[i]);
            if (!n) {
                Py_CLEAR(counts);
                break;
            }
            PyList_SET_ITEM(counts, i, n);
        }
        if (!counts) {
            Py_DECREF(name);
            return NULL;
        }
    }
    return Py_BuildValue("(NiiON)", name, (int)gr->kind, (int)gr->status, gr->values, counts);
}

typedef struct {
    grouper *g;
    PyObject *scopes; /* list of (scope bytes, groups) */
    PyObject *resource; /* bytes */
} resource_ctx;

static int append_bytes(PyObject **acc, wire_cur payload)
{
    PyObject *more = PyBytes_FromStringAndSize((const char *)payload.pos,
                                               payload.end - payload.pos);
    if (!more)
        return -2;
    PyBytes_ConcatAndDel(acc, more); /* a repeated message field merges: concatenation */
    return *acc ? 0 : -2;
}

static int group_scope(void *ctx, wire_cur payload)
{
    resource_ctx *r = ctx;
    grouper *g = r->g;
    PyObject *scope = PyBytes_FromStringAndSize(NULL, 0);
    if (!scope)
        return -2;
    wire_cur c = payload;
    int rc = 0;
    grouper_clear(g);
    while (c.pos < c.end && rc == 0) {
        uint32_t f;
        int wt;
        wire_cur sub;
        const uint8_t *start;
        if (wire_next(&c, &f, &wt, &sub, &start) < 0)
            rc = -1;
        else if ((f == 1 || f == 2) && wt == WT_LEN)
            rc = f == 1 ? append_bytes(&scope, sub) : group_span(g, sub);
    }
    PyObject *groups = rc == 0 ? PyList_New(g->n) : NULL;
    for (Py_ssize_t i = 0; groups && i < g->n; i++) {
        PyObject *t = group_tuple(g, &g->groups[i]);
        if (!t) {
            Py_CLEAR(groups);
            break;
        }
        PyList_SET_ITEM(groups, i, t);
    }
    if (!groups) {
        Py_XDECREF(scope);
        return rc ? rc : -2;
    }
    PyObject *t = Py_BuildValue("(NN)", scope, groups);
    if (!t || PyList_Append(r->scopes, t) < 0) {
        Py_XDECREF(t);
        return -2;
    }
    Py_DECREF(t);
    return 0;
}

static int group_resource_field(void *ctx, wire_cur payload, uint32_t f)
{
    resource_ctx *r = ctx;
    return f == 1 ? append_bytes(&r->resource, payload) : group_scope(ctx, payload);
}

/* The fields 1 (resource) and 2 (scope spans) of a ResourceSpans, in wire order. */
static int resource_fields(wire_cur c, int (*each)(void *, wire_cur, uint32_t), void *ctx)
{
    while (c.pos < c.end) {
        uint32_t f;
        int wt, rc;
        wire_cur sub;
        const uint8_t *start;
        if (wire_next(&c, &f, &wt, &sub, &start) < 0)
            return -1;
        if ((f == 1 || f == 2) && wt == WT_LEN && (rc = each(ctx, sub, f)) < 0)
            return rc;
    }
    return 0;
}

typedef struct {
    grouper *g;
    PyObject *out;
} request_ctx;

static int group_resource(void *ctx, wire_cur payload)
{
    request_ctx *q = ctx;
    resource_ctx r = {q->g, PyList_New(0), PyBytes_FromStringAndSize(NULL, 0)};
    int rc = (r.scopes && r.resource) ? resource_fields(payload, group_resource_field, &r) : -2;
    if (rc == 0 && PyList_GET_SIZE(r.scopes)) {
        PyObject *t = Py_BuildValue("(OO)", r.resource, r.scopes);
        if (!t || PyList_Append(q->out, t) < 0)
            rc = -2;
        Py_XDECREF(t);
    }
    Py_XDECREF(r.scopes);
    Py_XDECREF(r.resource);
    return rc;
}

static int read_bounds(PyObject *obj, double **bounds, Py_ssize_t *n)
{
    *bounds = NULL;
    *n = 0;
    if (obj == Py_None)
        return 0;
    PyObject *seq = PySequence_Fast(obj, "bounds must be a sequence of floats");
    if (!seq)
        return -1;
    *n = PySequence_Fast_GET_SIZE(seq);
    *bounds = PyMem_Calloc((size_t)*n + 1, sizeof(double));
    for (Py_ssize_t i = 0; *bounds && i < *n; i++) {
        (*bounds)[i] = PyFloat_AsDouble(PySequence_Fast_GET_ITEM(seq, i));
        if ((*bounds)[i] == -1.0 && PyErr_Occurred()) {
            PyMem_Free(*bounds);
            *bounds = NULL;
            break;
        }
    }
    Py_DECREF(seq);
    if (!*bounds && !PyErr_Occurred())
        PyErr_NoMemory();
    return *bounds ? 0 : -1;
}

/* Runs `each` on every ResourceSpans of `data`; NULL with an exception on failure. */
static PyObject *each_resource(PyObject *data, each_fn each, void *ctx, PyObject *out)
{
    Py_buffer view;
    if (!out || PyObject_GetBuffer(data, &view, PyBUF_SIMPLE) < 0) {
        Py_XDECREF(out);
        return NULL;
    }
    wire_cur c = {view.buf, (const uint8_t *)view.buf + view.len};
    int rc = each_field(c, 1, each, ctx);
    PyBuffer_Release(&view);
    if (rc < 0) {
        Py_DECREF(out);
        if (rc == -1 || !PyErr_Occurred()) {
            PyErr_Clear();
            return malformed();
        }
        if (PyErr_ExceptionMatches(PyExc_UnicodeDecodeError)) {
            PyErr_Clear();
            PyErr_SetString(PyExc_ValueError, "a span name is not UTF-8");
        }
        return NULL;
    }
    return out;
}

static PyObject *span_groups(PyObject *self, PyObject *args)
{
    PyObject *data, *bounds_obj;
    double divider;
    if (!PyArg_ParseTuple(args, "OOd:span_groups", &data, &bounds_obj, &divider))
        return NULL;
    grouper g;
    memset(&g, 0, sizeof g);
    double *bounds;
    if (read_bounds(bounds_obj, &bounds, &g.nbounds) < 0)
        return NULL;
    g.bounds = bounds;
    g.divider = divider;
    request_ctx q = {&g, PyList_New(0)};
    PyObject *out = each_resource(data, group_resource, &q, q.out);
    grouper_free(&g);
    PyMem_Free(bounds);
    return out;
}

/* --- edge_spans -------------------------------------------------------------------------- */

typedef struct {
    const wanted *res_keys, *span_keys;
    PyObject *spans;
    slice res_values[MAX_KEYS];
    int res_found[MAX_KEYS];
    span_fields s;
} edge_ctx;

static PyObject *attr_dict(const wanted *w, const slice *values, const int *found)
{
    PyObject *d = PyDict_New();
    for (int i = 0; d && i < w->n; i++) {
        if (!found[i])
            continue;
        PyObject *v = found[i] == 2 ? merged_value(values[i])
                                    : PyBytes_FromStringAndSize((const char *)values[i].p,
                                                                (Py_ssize_t)values[i].n);
        if (!v || PyDict_SetItem(d, w->str[i], v) < 0) {
            Py_XDECREF(v);
            Py_CLEAR(d);
            break;
        }
        Py_DECREF(v);
    }
    return d;
}

static PyObject *bytes_of(slice s)
{
    return PyBytes_FromStringAndSize((const char *)s.p, (Py_ssize_t)s.n);
}

static int edge_span(void *ctx, wire_cur payload)
{
    edge_ctx *e = ctx;
    span_fields *s = &e->s;
    if (parse_span(payload, s, e->span_keys) < 0)
        return -1;
    if (s->kind < 2 || s->kind > 5)
        return 0;
    PyObject *attrs = attr_dict(e->span_keys, s->attrs, s->found);
    if (!attrs)
        return -2;
    PyObject *t = Py_BuildValue("(iNNNdON)", (int)s->kind, bytes_of(s->trace_id),
                                bytes_of(s->span_id), bytes_of(s->parent),
                                duration(s, 1e9), s->status == 2 ? Py_True : Py_False, attrs);
    if (!t || PyList_Append(e->spans, t) < 0) {
        Py_XDECREF(t);
        return -2;
    }
    Py_DECREF(t);
    return 0;
}

static int edge_resource_attr(void *ctx, wire_cur kv)
{
    edge_ctx *e = ctx;
    return match_attr(kv, e->res_keys, e->res_values, e->res_found);
}

/* Pass 1 of a ResourceSpans: its resource's attributes, wherever the field sits. */
static int edge_resource_only(void *ctx, wire_cur payload, uint32_t f)
{
    return f == 1 ? each_field(payload, 1, edge_resource_attr, ctx) : 0;
}

/* Pass 2: every scope's spans, in order. */
static int edge_scopes_only(void *ctx, wire_cur payload, uint32_t f)
{
    return f == 2 ? each_field(payload, 2, edge_span, ctx) : 0;
}

typedef struct {
    const wanted *res_keys, *span_keys;
    PyObject *out;
    edge_ctx e;
} edge_request;

static int edge_resource(void *ctx, wire_cur payload)
{
    edge_request *q = ctx;
    edge_ctx *e = &q->e;
    e->res_keys = q->res_keys;
    e->span_keys = q->span_keys;
    for (int i = 0; i < MAX_KEYS; i++)
        e->res_found[i] = 0;
    int rc = resource_fields(payload, edge_resource_only, e);
    if (rc < 0)
        return rc;
    PyObject *attrs = attr_dict(e->res_keys, e->res_values, e->res_found);
    e->spans = PyList_New(0);
    if (!attrs || !e->spans) {
        Py_XDECREF(attrs);
        Py_CLEAR(e->spans);
        return -2;
    }
    rc = resource_fields(payload, edge_scopes_only, e);
    if (rc == 0) {
        PyObject *t = Py_BuildValue("(OO)", attrs, e->spans);
        if (!t || PyList_Append(q->out, t) < 0)
            rc = -2;
        Py_XDECREF(t);
    }
    Py_DECREF(attrs);
    Py_CLEAR(e->spans);
    return rc;
}

static PyObject *edge_spans(PyObject *self, PyObject *args)
{
    PyObject *data, *res_keys_obj, *span_keys_obj;
    if (!PyArg_ParseTuple(args, "OOO:edge_spans", &data, &res_keys_obj, &span_keys_obj))
        return NULL;
    wanted res_keys, span_keys;
    if (wanted_init(&res_keys, res_keys_obj) < 0 || wanted_init(&span_keys, span_keys_obj) < 0)
        return NULL;
    edge_request *q = PyMem_Calloc(1, sizeof(edge_request));
    if (!q)
        return PyErr_NoMemory();
    q->res_keys = &res_keys;
    q->span_keys = &span_keys;
    q->out = PyList_New(0);
    PyObject *out = each_resource(data, edge_resource, q, q->out);
    PyMem_Free(q);
    return out;
}

static PyMethodDef methods[] = {
    {"span_groups", span_groups, METH_VARARGS,
     "Spans grouped by (name, kind, status) per resource and scope, with durations."},
    {"edge_spans", edge_spans, METH_VARARGS,
     "Client/server/producer/consumer spans per resource, with the wanted attributes."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_spanscan", NULL, -1, methods};

PyMODINIT_FUNC PyInit__spanscan(void)
{
    return PyModule_Create(&module);
}

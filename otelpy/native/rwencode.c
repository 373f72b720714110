/* otelpy.native._rwencode: the per-point loops of remote write translation and encoding.
 *
 * Series: the base type of rwseries.LabelSet. It holds `block` (the label set's encoded
 * Label entries, bytes) and, for the Samples being built, which one holds its sample.
 *
 * Samples: the one-sample series of one translation, in the order they came, as a C array
 * of (series, value, ms): no Python object per sample. A series gets at most one record;
 * a second sample for it in the same translation goes through add_to (Python), which
 * takes the record back (take(series) -> (value, ms), the record left empty) and keeps
 * the series' samples as a list in `entries`. A translation is built in one go: the mark
 * a series carries is that of the last Samples that took it.
 *
 * numbers(raw, fast, samples, entries, slow, add_to, memo) reads the data points of a
 * Gauge or Sum message (its bytes) for RemoteWriteTranslator._numbers: a point laid out as
 * the protobuf runtime writes it (start, time, value, then attributes) or as otelpy's
 * receivers do (attributes, then start, time, value) whose attribute bytes are a key of
 * `fast` gives its label set (or None: dropped) without decoding; any other point is
 * handed to slow(start, stop) -> (label set or None, value, time ns). A label set neither
 * in `samples` nor in `entries` gets a record in `samples`; any other sample goes through
 * add_to(label set, value, ms). `memo` (a list kept with `fast`, cleared with it)
 * remembers the attribute bytes and label set of each fast point by position: a point
 * whose bytes are those of the same position last time needs no lookup. Returns (latest
 * time ns or -1, points added).
 *
 * requests(samples, entries, max_bytes, other, tail) writes WriteRequest bodies as
 * Translation.requests does: each record of `samples` from its series' `block`, then each
 * entry through other(label set, entry) -> its request entry bytes, then the `tail`
 * entries (metadata); a body is cut before an entry that would take it past max_bytes.
 * Returns [(body, series)].
 *
 * samples(samples, entries, add_to, labelsets, values, ms) adds values[i] to labelsets[i]
 * as numbers() adds a point (a histogram point's series).
 *
 * split(request) -> (skeleton, spans): an ExportMetricsServiceRequest's bytes without the
 * data points of its Gauge and Sum metrics (everything else kept, in order), and per such
 * metric, in order, (start, stop, points): where its Gauge / Sum message lies in the
 * request, so the translator decodes only the envelopes and reads number points from the
 * request's own bytes. ValueError when the request is malformed or a metric with a gauge or
 * sum has more than one data field (the protobuf runtime keeps the last one, or merges
 * repeats: the caller decodes such a request).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "growbuf.h"
#include "wire.h"

#include <structmember.h>

static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* ---- Series ---------------------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    PyObject *block;   /* bytes: the encoded Label entries */
    uint64_t stamp;    /* the Samples holding its record (0: none) */
    Py_ssize_t index;  /* that record's position */
} SeriesObject;

static void Series_dealloc(SeriesObject *self)
{
    Py_XDECREF(self->block);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMemberDef Series_members[] = {
    {"block", T_OBJECT_EX, offsetof(SeriesObject, block), 0, "the encoded Label entries"},
    {NULL},
};

static PyTypeObject SeriesType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "otelpy.native._rwencode.Series",
    .tp_basicsize = sizeof(SeriesObject),
    .tp_dealloc = (destructor)Series_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "A label set's encoded labels (the base of rwseries.LabelSet).",
    .tp_members = Series_members,
    .tp_new = PyType_GenericNew,
};

/* ---- Samples --------------------------------------------------------------------------- */

typedef struct {
    SeriesObject *series; /* a strong reference; NULL once taken back */
    double value;
    int64_t ms;
} record_t;

typedef struct {
    PyObject_HEAD
    uint64_t stamp;
    record_t *items;
    Py_ssize_t len, cap, live;
} SamplesObject;

static uint64_t next_stamp = 1;

static PyTypeObject SamplesType;

static PyObject *Samples_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    if (PyTuple_GET_SIZE(args) || (kwds && PyDict_GET_SIZE(kwds))) {
        PyErr_SetString(PyExc_TypeError, "Samples() takes no arguments");
        return NULL;
    }
    SamplesObject *self = (SamplesObject *)type->tp_alloc(type, 0);
    if (self)
        self->stamp = next_stamp++;
    return (PyObject *)self;
}

static void Samples_dealloc(SamplesObject *self)
{
    for (Py_ssize_t i = 0; i < self->len; i++)
        Py_XDECREF(self->items[i].series);
    PyMem_Free(self->items);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static Py_ssize_t Samples_len(SamplesObject *self)
{
    return self->live;
}

/* True when `series` holds a record of `self`. */
static int holds(SamplesObject *self, SeriesObject *series)
{
    return series->stamp == self->stamp && series->index < self->len &&
           self->items[series->index].series == series;
}

static int push(SamplesObject *self, SeriesObject *series, double value, int64_t ms)
{
    if (self->len == self->cap) {
        Py_ssize_t cap = self->cap ? self->cap * 2 : 1024;
        record_t *items = PyMem_Realloc(self->items, cap * sizeof(record_t));
        if (!items) {
            PyErr_NoMemory();
            return -1;
        }
        self->items = items;
        self->cap = cap;
    }
    Py_INCREF(series);
    self->items[self->len] = (record_t){series, value, ms};
    series->stamp = self->stamp;
    series->index = self->len;
    self->len++;
    self->live++;
    return 0;
}

static int check_series(PyObject *o)
{
    if (PyObject_TypeCheck(o, &SeriesType))
        return 0;
    PyErr_Format(PyExc_TypeError, "a label set must be a Series, not %.80s",
                 Py_TYPE(o)->tp_name);
    return -1;
}

/* add(series, value, ms): a record for a series that has none here (ValueError else). */
static PyObject *Samples_add(SamplesObject *self, PyObject *args)
{
    PyObject *series;
    double value;
    long long ms;
    if (!PyArg_ParseTuple(args, "OdL:add", &series, &value, &ms) || check_series(series) < 0)
        return NULL;
    if (holds(self, (SeriesObject *)series)) {
        PyErr_SetString(PyExc_ValueError, "the series already holds a sample here");
        return NULL;
    }
    if (push(self, (SeriesObject *)series, value, (int64_t)ms) < 0)
        return NULL;
    Py_RETURN_NONE;
}

/* take(series) -> (value, ms) of its record, which is emptied; None when it has none. */
static PyObject *Samples_take(SamplesObject *self, PyObject *series)
{
    if (check_series(series) < 0)
        return NULL;
    SeriesObject *s = (SeriesObject *)series;
    if (!holds(self, s))
        Py_RETURN_NONE;
    record_t *r = &self->items[s->index];
    PyObject *out = Py_BuildValue("(dL)", r->value, (long long)r->ms);
    if (!out)
        return NULL;
    r->series = NULL;
    s->stamp = 0;
    self->live--;
    Py_DECREF(s);
    return out;
}

/* records() -> [(series, value, ms)] in order (tests, the slow consumers). */
static PyObject *Samples_records(SamplesObject *self, PyObject *unused)
{
    PyObject *out = PyList_New(0);
    if (!out)
        return NULL;
    for (Py_ssize_t i = 0; i < self->len; i++) {
        record_t *r = &self->items[i];
        if (!r->series)
            continue;
        PyObject *t = Py_BuildValue("(OdL)", (PyObject *)r->series, r->value, (long long)r->ms);
        if (!t || PyList_Append(out, t) < 0) {
            Py_XDECREF(t);
            Py_DECREF(out);
            return NULL;
        }
        Py_DECREF(t);
    }
    return out;
}

static PyMethodDef Samples_methods[] = {
    {"add", (PyCFunction)Samples_add, METH_VARARGS, "A record for a series without one."},
    {"take", (PyCFunction)Samples_take, METH_O, "A series' record taken back, or None."},
    {"records", (PyCFunction)Samples_records, METH_NOARGS, "(series, value, ms) in order."},
    {NULL},
};

static PySequenceMethods Samples_as_sequence = {.sq_length = (lenfunc)Samples_len};

static PyTypeObject SamplesType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "otelpy.native._rwencode.Samples",
    .tp_basicsize = sizeof(SamplesObject),
    .tp_dealloc = (destructor)Samples_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "The one-sample series of one translation, in order.",
    .tp_methods = Samples_methods,
    .tp_as_sequence = &Samples_as_sequence,
    .tp_new = Samples_new,
};

typedef struct {
    SamplesObject *samples;
    PyObject *entries, *add_to;
} target_t;

/* Adds one sample; 0, or -1 with an exception. A label set without a record here nor an
 * entry gets a record; any other sample goes through add_to. */
static int put_sample(target_t *t, PyObject *labelset, double value, int64_t ms)
{
    if (check_series(labelset) < 0)
        return -1;
    SeriesObject *s = (SeriesObject *)labelset;
    int in_entries = 0;
    if (PyDict_GET_SIZE(t->entries)) {
        in_entries = PyDict_Contains(t->entries, labelset);
        if (in_entries < 0)
            return -1;
    }
    if (!in_entries && !holds(t->samples, s))
        return push(t->samples, s, value, ms);
    PyObject *r = PyObject_CallFunction(t->add_to, "OdL", labelset, value, (long long)ms);
    Py_XDECREF(r);
    return r ? 0 : -1;
}

/* Adds one point (None: dropped); 0, or -1 with an exception. */
static int add_point(target_t *t, PyObject *labelset, double value, uint64_t when,
                     long long *latest, Py_ssize_t *added)
{
    if (labelset == Py_None)
        return 0;
    int rc = put_sample(t, labelset, value, (int64_t)(when / 1000000));
    if (rc == 0) {
        if ((long long)when > *latest)
            *latest = (long long)when;
        (*added)++;
    }
    return rc;
}

/* samples(samples, entries, add_to, labelsets, values, ms): labelsets[i] gets values[i]. */
static PyObject *samples(PyObject *self, PyObject *args)
{
    target_t t;
    PyObject *labelsets, *values;
    long long ms;
    if (!PyArg_ParseTuple(args, "O!O!OO!O!L:samples", &SamplesType, &t.samples, &PyDict_Type,
                          &t.entries, &t.add_to, &PyList_Type, &labelsets, &PyList_Type,
                          &values, &ms))
        return NULL;
    if (PyList_GET_SIZE(labelsets) != PyList_GET_SIZE(values)) {
        PyErr_SetString(PyExc_ValueError, "as many label sets as values");
        return NULL;
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(values); i++) {
        double v = PyFloat_AsDouble(PyList_GET_ITEM(values, i));
        if (v == -1.0 && PyErr_Occurred())
            return NULL;
        PyObject *labelset = PyList_GET_ITEM(labelsets, i);
        Py_INCREF(labelset);
        int rc = put_sample(&t, labelset, v, (int64_t)ms);
        Py_DECREF(labelset);
        if (rc < 0)
            return NULL;
    }
    Py_RETURN_NONE;
}

static int slow_point(PyObject *slow, target_t *t, Py_ssize_t start, Py_ssize_t stop,
                      long long *latest, Py_ssize_t *added)
{
    PyObject *r = PyObject_CallFunction(slow, "nn", start, stop);
    if (!r)
        return -1;
    PyObject *labelset;
    double value;
    unsigned long long when;
    if (!PyArg_ParseTuple(r, "OdK", &labelset, &value, &when)) {
        Py_DECREF(r);
        return -1;
    }
    int rc = add_point(t, labelset, value, when, latest, added);
    Py_DECREF(r);
    return rc;
}

/* The label set remembered for the k-th fast point of the previous call when its attribute
 * bytes are the same (a new reference), else NULL. */
static PyObject *memo_get(PyObject *memo, Py_ssize_t k, const uint8_t *attrs, Py_ssize_t n)
{
    if (k >= PyList_GET_SIZE(memo))
        return NULL;
    PyObject *m = PyList_GET_ITEM(memo, k);
    if (!PyTuple_Check(m) || PyTuple_GET_SIZE(m) != 2 || !PyBytes_Check(PyTuple_GET_ITEM(m, 0)))
        return NULL;
    PyObject *b = PyTuple_GET_ITEM(m, 0);
    if (PyBytes_GET_SIZE(b) != n || memcmp(PyBytes_AS_STRING(b), attrs, n) != 0)
        return NULL;
    PyObject *labelset = PyTuple_GET_ITEM(m, 1);
    Py_INCREF(labelset);
    return labelset;
}

static int memo_set(PyObject *memo, Py_ssize_t k, PyObject *key, PyObject *labelset)
{
    Py_ssize_t size = PyList_GET_SIZE(memo);
    if (k > size)
        return 0;
    PyObject *m = PyTuple_Pack(2, key, labelset);
    if (!m)
        return -1;
    if (k == size) {
        int rc = PyList_Append(memo, m);
        Py_DECREF(m);
        return rc;
    }
    return PyList_SetItem(memo, k, m);
}

static PyObject *numbers(PyObject *self, PyObject *args)
{
    Py_buffer view;
    PyObject *fast, *slow, *memo;
    target_t t;
    if (!PyArg_ParseTuple(args, "y*O!O!O!OOO!:numbers", &view, &PyDict_Type, &fast,
                          &SamplesType, &t.samples, &PyDict_Type, &t.entries, &slow, &t.add_to,
                          &PyList_Type, &memo))
        return NULL;
    Py_ssize_t k = 0; /* fast-layout points met */
    const uint8_t *base = view.buf;
    wire_cur c = {base, base + view.len};
    long long latest = -1;
    Py_ssize_t added = 0;
    while (c.pos < c.end) {
        uint32_t field;
        int wtype;
        if (wire_tag(&c, &field, &wtype) < 0)
            goto malformed;
        if (field != 1 || wtype != WT_LEN) {
            if (wire_skip(&c, field, wtype) < 0)
                goto malformed;
            continue;
        }
        wire_cur pt;
        if (wire_len(&c, &pt) < 0)
            goto malformed;
        const uint8_t *p = pt.pos;
        Py_ssize_t size = pt.end - pt.pos, head = 0;
        double value = 0.0;
        uint64_t when = 0;
        if (size >= 27 && p[0] == 0x11 && p[9] == 0x19 && (p[18] == 0x21 || p[18] == 0x31)) {
            when = le64(p + 10);
            uint64_t bits = le64(p + 19);
            if (p[18] == 0x21)
                memcpy(&value, &bits, 8);
            else
                value = (double)(int64_t)bits;
            head = 27;
        } else if (size >= 18 && p[0] == 0x19 && p[9] == 0x21) {
            when = le64(p + 1);
            uint64_t bits = le64(p + 10);
            memcpy(&value, &bits, 8);
            head = 18;
        }
        const uint8_t *attrs = p + head;
        if (!head) { /* attributes first, then the numbers (as otelpy's receivers write) */
            const uint8_t *t = p + size;
            if (size >= 27 && t[-27] == 0x11 && t[-18] == 0x19 && (t[-9] == 0x21 || t[-9] == 0x31)) {
                when = le64(t - 17);
                uint64_t bits = le64(t - 8);
                if (t[-9] == 0x21)
                    memcpy(&value, &bits, 8);
                else
                    value = (double)(int64_t)bits;
                head = 27;
            } else if (size >= 18 && t[-18] == 0x19 && t[-9] == 0x21) {
                when = le64(t - 17);
                uint64_t bits = le64(t - 8);
                memcpy(&value, &bits, 8);
                head = 18;
            }
            attrs = p;
        }
        PyObject *labelset = NULL;
        if (head) {
            labelset = memo_get(memo, k, attrs, size - head);
            if (!labelset) {
                PyObject *key = PyBytes_FromStringAndSize((const char *)attrs, size - head);
                if (!key)
                    goto fail;
                labelset = PyDict_GetItemWithError(fast, key);
                Py_XINCREF(labelset);
                int bad = (!labelset && PyErr_Occurred()) ||
                          (labelset && memo_set(memo, k, key, labelset) < 0);
                Py_DECREF(key);
                if (bad) {
                    Py_XDECREF(labelset);
                    goto fail;
                }
            }
            k++;
        }
        int rc = labelset ? add_point(&t, labelset, value, when, &latest, &added)
                          : slow_point(slow, &t, p - base, pt.end - base, &latest, &added);
        Py_XDECREF(labelset);
        if (rc < 0)
            goto fail;
    }
    PyBuffer_Release(&view);
    return Py_BuildValue("(Ln)", latest, added);
malformed:
    PyErr_Format(PyExc_ValueError, "malformed data points at byte %zd",
                 (Py_ssize_t)(c.pos - base));
fail:
    PyBuffer_Release(&view);
    return NULL;
}

/* ---- requests ------------------------------------------------------------------------ */

typedef struct {
    uint8_t *buf;
    Py_ssize_t len, cap, count;
    PyObject *out;
} body_t;

static int reserve(body_t *b, Py_ssize_t more)
{
    return grow_bytes(&b->buf, &b->cap, b->len, more, 65536);
}

static int flush(body_t *b)
{
    PyObject *t = Py_BuildValue("(y#n)", (const char *)b->buf, b->len, b->count);
    if (!t || PyList_Append(b->out, t) < 0) {
        Py_XDECREF(t);
        return -1;
    }
    Py_DECREF(t);
    b->len = b->count = 0;
    return 0;
}

/* Room for an entry of `length` bytes: the body is cut first when it would grow too long. */
static int room(body_t *b, Py_ssize_t length, Py_ssize_t max_bytes)
{
    if (b->len && b->len + length > max_bytes && flush(b) < 0)
        return -1;
    return reserve(b, length);
}

static int sample_entry(body_t *b, SeriesObject *series, double value, long long ts,
                        Py_ssize_t max_bytes)
{
    PyObject *prefix = series->block;
    if (!prefix || !PyBytes_Check(prefix)) {
        PyErr_SetString(PyExc_TypeError, "a label set's block is bytes");
        return -1;
    }
    Py_ssize_t block = PyBytes_GET_SIZE(prefix);
    size_t tsize = wire_varint_size((uint64_t)ts);
    Py_ssize_t sample = 1 + 1 + 1 + 8 + 1 + (Py_ssize_t)tsize; /* 0x12 len 0x09 d 0x10 ts */
    Py_ssize_t body = block + sample;
    Py_ssize_t length = 1 + (Py_ssize_t)wire_varint_size((uint64_t)body) + body;
    if (room(b, length, max_bytes) < 0)
        return -1;
    uint8_t *o = b->buf + b->len;
    *o++ = 0x0A;
    o = wire_put_varint(o, (uint64_t)body);
    memcpy(o, PyBytes_AS_STRING(prefix), block);
    o += block;
    *o++ = 0x12;
    *o++ = (uint8_t)(10 + tsize);
    *o++ = 0x09;
    uint64_t bits;
    memcpy(&bits, &value, 8);
    for (int i = 0; i < 8; i++)
        *o++ = (uint8_t)(bits >> (8 * i));
    *o++ = 0x10;
    o = wire_put_varint(o, (uint64_t)ts);
    b->len = o - b->buf;
    return 0;
}

static int bytes_entry(body_t *b, PyObject *entry, Py_ssize_t max_bytes)
{
    if (!PyBytes_Check(entry)) {
        PyErr_SetString(PyExc_TypeError, "an encoded entry must be bytes");
        return -1;
    }
    Py_ssize_t length = PyBytes_GET_SIZE(entry);
    if (room(b, length, max_bytes) < 0)
        return -1;
    memcpy(b->buf + b->len, PyBytes_AS_STRING(entry), length);
    b->len += length;
    return 0;
}

static PyObject *requests(PyObject *self, PyObject *args)
{
    SamplesObject *records;
    PyObject *entries, *other, *tail;
    Py_ssize_t max_bytes;
    if (!PyArg_ParseTuple(args, "O!O!nOO!:requests", &SamplesType, &records, &PyDict_Type,
                          &entries, &max_bytes, &other, &PyList_Type, &tail))
        return NULL;
    body_t b = {NULL, 0, 0, 0, PyList_New(0)};
    if (!b.out)
        return NULL;
    for (Py_ssize_t i = 0; i < records->len; i++) {
        record_t r = records->items[i];
        if (!r.series)
            continue;
        Py_INCREF(r.series); /* a room() flush runs Python code */
        int rc = sample_entry(&b, r.series, r.value, (long long)r.ms, max_bytes);
        Py_DECREF(r.series);
        if (rc < 0)
            goto fail;
        b.count++;
    }
    Py_ssize_t pos = 0;
    PyObject *labelset, *entry;
    while (PyDict_Next(entries, &pos, &labelset, &entry)) {
        Py_INCREF(labelset);
        Py_INCREF(entry);
        PyObject *encoded = PyObject_CallFunctionObjArgs(other, labelset, entry, NULL);
        Py_DECREF(labelset);
        Py_DECREF(entry);
        int rc = encoded ? bytes_entry(&b, encoded, max_bytes) : -1;
        Py_XDECREF(encoded);
        if (rc < 0)
            goto fail;
        b.count++;
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(tail); i++)
        if (bytes_entry(&b, PyList_GET_ITEM(tail, i), max_bytes) < 0)
            goto fail;
    if (b.len && flush(&b) < 0)
        goto fail;
    PyMem_Free(b.buf);
    return b.out;
fail:
    PyMem_Free(b.buf);
    Py_DECREF(b.out);
    return NULL;
}


/* ---- split ---------------------------------------------------------------------------- */

/* The fields recursed into, by depth: ExportMetricsServiceRequest.resource_metrics,
 * ResourceMetrics.scope_metrics, ScopeMetrics.metrics, Metric.gauge / Metric.sum; inside a
 * Gauge or Sum (depth 4) the data points (field 1) are left out. */
static int recursed(int depth, uint32_t field)
{
    switch (depth) {
    case 0:
        return field == 1;
    case 1:
    case 2:
        return field == 2;
    case 3:
        return field == 5 || field == 7;
    default:
        return 0;
    }
}

typedef struct {
    uint8_t *out;        /* NULL: sizes only */
    const uint8_t *base;
    PyObject *spans;     /* appended to while writing */
} split_t;

/* The size of the message at `c` without its number data points; written at s->out
 * (advanced) when it is set. -1 with ValueError when malformed, -2 on another error. */
static Py_ssize_t strip(split_t *s, wire_cur c, int depth)
{
    Py_ssize_t size = 0, points = 0;
    int data_fields = 0, number_fields = 0; /* in a Metric (depth 3) */
    const uint8_t *whole = c.pos, *end = c.end;
    while (c.pos < c.end) {
        const uint8_t *start = c.pos;
        uint32_t field;
        int wtype;
        if (wire_tag(&c, &field, &wtype) < 0)
            return -1;
        if (depth == 3 && (field == 5 || field == 7 || field == 9 || field == 10 || field == 11)) {
            data_fields++;
            number_fields += field == 5 || field == 7;
            /* more than one data field with a gauge or sum among them: the runtime keeps
             * the last (or merges repeats); the caller decodes such a request itself */
            if (number_fields && data_fields > 1)
                return -1;
        }
        if (wtype == WT_LEN && (recursed(depth, field) || (depth == 4 && field == 1))) {
            wire_cur sub;
            if (wire_len(&c, &sub) < 0)
                return -1;
            if (depth == 4) { /* a data point: left out */
                points++;
                continue;
            }
            split_t sizes = {NULL, s->base, NULL};
            Py_ssize_t inner = strip(&sizes, sub, depth + 1);
            if (inner < 0)
                return inner;
            uint64_t tag = ((uint64_t)field << 3) | WT_LEN;
            size += (Py_ssize_t)(wire_varint_size(tag) + wire_varint_size((uint64_t)inner)) +
                    inner;
            if (s->out) {
                s->out = wire_put_varint(s->out, tag);
                s->out = wire_put_varint(s->out, (uint64_t)inner);
                Py_ssize_t written = strip(s, sub, depth + 1);
                if (written < 0)
                    return written;
            }
            continue;
        }
        if (wire_skip(&c, field, wtype) < 0)
            return -1;
        size += c.pos - start;
        if (s->out) {
            memcpy(s->out, start, c.pos - start);
            s->out += c.pos - start;
        }
    }
    if (depth == 4 && s->out) {
        PyObject *t = Py_BuildValue("(nnn)", (Py_ssize_t)(whole - s->base),
                                    (Py_ssize_t)(end - s->base), points);
        if (!t || PyList_Append(s->spans, t) < 0) {
            Py_XDECREF(t);
            return -2;
        }
        Py_DECREF(t);
    }
    return size;
}

static PyObject *split(PyObject *self, PyObject *arg)
{
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0)
        return NULL;
    const uint8_t *base = view.buf;
    wire_cur c = {base, base + view.len};
    split_t sizes = {NULL, base, NULL};
    Py_ssize_t size = strip(&sizes, c, 0);
    PyObject *skeleton = NULL, *spans = NULL;
    if (size == -1) {
        PyErr_SetString(PyExc_ValueError, "malformed metrics request");
        goto done;
    }
    skeleton = PyBytes_FromStringAndSize(NULL, size);
    spans = PyList_New(0);
    if (!skeleton || !spans)
        goto fail;
    split_t s = {(uint8_t *)PyBytes_AS_STRING(skeleton), base, spans};
    if (strip(&s, c, 0) < 0)
        goto fail;
    PyObject *out = PyTuple_Pack(2, skeleton, spans);
    Py_DECREF(skeleton);
    Py_DECREF(spans);
    PyBuffer_Release(&view);
    return out;
fail:
    Py_XDECREF(skeleton);
    Py_XDECREF(spans);
done:
    PyBuffer_Release(&view);
    return NULL;
}

static PyMethodDef methods[] = {
    {"numbers", numbers, METH_VARARGS, "Translate the points of a Gauge or Sum message."},
    {"requests", requests, METH_VARARGS, "WriteRequest bodies of a translation's entries."},
    {"samples", samples, METH_VARARGS, "Add samples of label sets to a translation."},
    {"split", split, METH_O, "A metrics request without its number points, and their spans."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_rwencode", NULL, -1, methods};

PyMODINIT_FUNC PyInit__rwencode(void)
{
    if (PyType_Ready(&SeriesType) < 0 || PyType_Ready(&SamplesType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (!m)
        return NULL;
    if (PyModule_AddObjectRef(m, "Series", (PyObject *)&SeriesType) < 0 ||
        PyModule_AddObjectRef(m, "Samples", (PyObject *)&SamplesType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}

/* otelpy.native._promtext: a scrape body checked against the layout of the previous one,
 * and the OTLP data points of a scrape written from a plan.
 *
 * Layout(lines) remembers a body line by line: an exact line (comments, blank lines) or
 * the series text of a sample line (`name{labels} `, up to the value). Layout.match(body)
 * gives the values of the kept sample lines as packed little-endian doubles when every
 * line is the same as before but for its value, and None otherwise (the caller then parses
 * the body in Python). A value is read only when Python's `float` reads it the same way
 * (decimal digits, exponent, inf/infinity/nan, ASCII whitespace around: a CRLF body's
 * values): anything else is a mismatch.
 *
 * write(families, values, ts_ns, generation) writes the data points of each family of a
 * scrape plan (see receivers/prometheus/plan.py) with the start-time rules of
 * receivers/prometheus/adjust.py, updating the plan's start-time entries in place; None
 * when a value cannot be written (the caller then takes the Python path).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <math.h>

#include "growbuf.h"
#include "wire.h"

enum { LINE_EXACT = 0, LINE_KEPT = 1, LINE_SKIPPED = 2 };
enum { FAM_GAUGE = 0, FAM_SUM = 1, FAM_HISTOGRAM = 2 };

typedef struct {
    PyObject_HEAD
    char *text;          /* every line's expected bytes, one after the other */
    Py_ssize_t *offsets; /* n + 1 offsets into text */
    uint8_t *kinds;      /* n line kinds */
    Py_ssize_t n;
    Py_ssize_t kept;     /* LINE_KEPT lines */
} Layout;

static void Layout_dealloc(Layout *self)
{
    PyMem_Free(self->text);
    PyMem_Free(self->offsets);
    PyMem_Free(self->kinds);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int Layout_init(Layout *self, PyObject *args, PyObject *kwds)
{
    PyObject *lines;
    if (!PyArg_ParseTuple(args, "O!:Layout", &PyList_Type, &lines))
        return -1;
    Py_ssize_t n = PyList_GET_SIZE(lines), total = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PyList_GET_ITEM(lines, i);
        if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 2 ||
            !PyBytes_Check(PyTuple_GET_ITEM(item, 0)) || !PyLong_Check(PyTuple_GET_ITEM(item, 1))) {
            PyErr_SetString(PyExc_TypeError, "Layout takes a list of (bytes, kind)");
            return -1;
        }
        total += PyBytes_GET_SIZE(PyTuple_GET_ITEM(item, 0));
    }
    char *text = PyMem_Malloc(total + 1);
    Py_ssize_t *offsets = PyMem_Malloc((n + 1) * sizeof(Py_ssize_t));
    uint8_t *kinds = PyMem_Malloc(n + 1);
    if (!text || !offsets || !kinds) {
        PyMem_Free(text);
        PyMem_Free(offsets);
        PyMem_Free(kinds);
        PyErr_NoMemory();
        return -1;
    }
    Py_ssize_t at = 0, kept = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PyList_GET_ITEM(lines, i);
        PyObject *b = PyTuple_GET_ITEM(item, 0);
        long kind = PyLong_AsLong(PyTuple_GET_ITEM(item, 1));
        if (kind < LINE_EXACT || kind > LINE_SKIPPED) {
            PyMem_Free(text);
            PyMem_Free(offsets);
            PyMem_Free(kinds);
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_ValueError, "line kind must be 0, 1 or 2");
            return -1;
        }
        offsets[i] = at;
        memcpy(text + at, PyBytes_AS_STRING(b), PyBytes_GET_SIZE(b));
        at += PyBytes_GET_SIZE(b);
        kinds[i] = (uint8_t)kind;
        kept += kind == LINE_KEPT;
    }
    offsets[n] = at;
    PyMem_Free(self->text);
    PyMem_Free(self->offsets);
    PyMem_Free(self->kinds);
    self->text = text;
    self->offsets = offsets;
    self->kinds = kinds;
    self->n = n;
    self->kept = kept;
    return 0;
}

static int lower_is(const char *s, Py_ssize_t n, const char *word)
{
    Py_ssize_t len = (Py_ssize_t)strlen(word);
    if (n != len)
        return 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != word[i])
            return 0;
    }
    return 1;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Whitespace Python's float() strips (ASCII; a space never reaches here). */
static int is_float_space(char c)
{
    return c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* A value as Python's float() reads it, for the subset accepted here; -1 otherwise. */
static int parse_value(const char *s, Py_ssize_t n, double *out)
{
    while (n > 0 && is_float_space(s[0]))
        s++, n--;
    while (n > 0 && is_float_space(s[n - 1]))
        n--;
    if (n <= 0 || n > 63)
        return -1;
    Py_ssize_t i = 0;
    int negative = 0;
    if (s[0] == '+' || s[0] == '-') {
        negative = s[0] == '-';
        i = 1;
    }
    if (i < n && !is_digit(s[i]) && s[i] != '.') {
        double v;
        if (lower_is(s + i, n - i, "inf") || lower_is(s + i, n - i, "infinity"))
            v = INFINITY;
        else if (lower_is(s + i, n - i, "nan"))
            v = NAN;
        else
            return -1;
        *out = negative ? copysign(v, -1.0) : v;
        return 0;
    }
    Py_ssize_t digits = 0;
    while (i < n && is_digit(s[i]))
        i++, digits++;
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && is_digit(s[i]))
            i++, digits++;
    }
    if (!digits)
        return -1;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        Py_ssize_t exp = 0;
        while (i < n && is_digit(s[i]))
            i++, exp++;
        if (!exp)
            return -1;
    }
    if (i != n)
        return -1;
    char buf[64];
    memcpy(buf, s, n);
    buf[n] = 0;
    char *end;
    *out = PyOS_string_to_double(buf, &end, NULL);
    if (*out == -1.0 && PyErr_Occurred()) {
        PyErr_Clear();
        return -1;
    }
    return end == buf + n ? 0 : -1;
}

static PyObject *Layout_match(Layout *self, PyObject *body)
{
    const char *p;
    Py_ssize_t len;
    Py_buffer view = {0};
    if (PyUnicode_Check(body)) {
        p = PyUnicode_AsUTF8AndSize(body, &len);
        if (!p)
            return NULL;
    } else {
        if (PyObject_GetBuffer(body, &view, PyBUF_SIMPLE) < 0)
            return NULL;
        p = view.buf;
        len = view.len;
    }
    PyObject *out = PyBytes_FromStringAndSize(NULL, self->kept * 8);
    if (!out) {
        PyBuffer_Release(&view);
        return NULL;
    }
    uint8_t *values = (uint8_t *)PyBytes_AS_STRING(out);
    Py_ssize_t pos = 0, k = 0, i = 0;
    for (; i < self->n; i++) {
        if (pos >= len)
            goto mismatch;
        const char *nl = memchr(p + pos, '\n', len - pos);
        Py_ssize_t eol = nl ? nl - p : len;
        Py_ssize_t size = eol - pos;
        const char *want = self->text + self->offsets[i];
        Py_ssize_t want_len = self->offsets[i + 1] - self->offsets[i];
        if (self->kinds[i] == LINE_EXACT) {
            if (size != want_len || memcmp(p + pos, want, want_len) != 0)
                goto mismatch;
        } else {
            double v;
            if (size <= want_len || memcmp(p + pos, want, want_len) != 0 ||
                memchr(p + pos + want_len, ' ', size - want_len) ||
                parse_value(p + pos + want_len, size - want_len, &v) < 0)
                goto mismatch;
            if (self->kinds[i] == LINE_KEPT) {
                memcpy(values + k * 8, &v, 8); /* native doubles, as write() reads them */
                k++;
            }
        }
        pos = nl ? eol + 1 : len;
    }
    if (pos != len || k != self->kept)
        goto mismatch;
    PyBuffer_Release(&view);
    return out;
mismatch:
    PyBuffer_Release(&view);
    Py_DECREF(out);
    Py_RETURN_NONE;
}

static PyObject *Layout_get_kept(Layout *self, void *closure)
{
    return PyLong_FromSsize_t(self->kept);
}

static PyObject *Layout_get_lines(Layout *self, void *closure)
{
    return PyLong_FromSsize_t(self->n);
}

static PyMethodDef Layout_methods[] = {
    {"match", (PyCFunction)Layout_match, METH_O,
     "The kept values of body as packed doubles, or None when its lines differ."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef Layout_getset[] = {
    {"kept", (getter)Layout_get_kept, NULL, "Kept sample lines.", NULL},
    {"lines", (getter)Layout_get_lines, NULL, "Lines.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject LayoutType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "otelpy.native._promtext.Layout",
    .tp_basicsize = sizeof(Layout),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "The lines of a scrape body, values apart.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Layout_init,
    .tp_dealloc = (destructor)Layout_dealloc,
    .tp_methods = Layout_methods,
    .tp_getset = Layout_getset,
};

/* ---- writing points ------------------------------------------------------------------ */

typedef struct {
    uint8_t *buf;
    Py_ssize_t len, cap;
} outbuf;

static int ob_reserve(outbuf *o, Py_ssize_t more)
{
    return grow_bytes(&o->buf, &o->cap, o->len, more, 4096);
}

static void put64(outbuf *o, uint64_t v)
{
    for (int b = 0; b < 8; b++)
        o->buf[o->len++] = (uint8_t)(v >> (8 * b));
}

static void put_double(outbuf *o, double d)
{
    uint64_t bits;
    memcpy(&bits, &d, 8);
    put64(o, bits);
}

static void put_bytes(outbuf *o, PyObject *b)
{
    memcpy(o->buf + o->len, PyBytes_AS_STRING(b), PyBytes_GET_SIZE(b));
    o->len += PyBytes_GET_SIZE(b);
}

static void put_varint(outbuf *o, uint64_t v)
{
    o->len = wire_put_varint(o->buf + o->len, v) - o->buf;
}

typedef struct {
    const double *values;
    Py_ssize_t count;
    uint64_t ts;
    PyObject *generation;
} ctx_t;

static int value_at(const ctx_t *c, PyObject *index, double *out)
{
    Py_ssize_t i = PyLong_AsSsize_t(index);
    if (i < 0 || i >= c->count) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_IndexError, "plan index out of range");
        return -1;
    }
    memcpy(out, c->values + i, 8);
    return 0;
}

/* StartTimes.number_in for a point without _created: *start is the point's start. */
static int start_time(const ctx_t *c, PyObject *info, double a, double b, uint64_t *start)
{
    if (!PyList_Check(info) || PyList_GET_SIZE(info) != 4) {
        PyErr_SetString(PyExc_TypeError, "a start-time entry is a list of 4");
        return -1;
    }
    /* previous values None: made by the plan, no point yet; the first one starts it */
    int fresh = PyList_GET_ITEM(info, 1) == Py_None;
    double prev_a = fresh ? 0.0 : PyFloat_AsDouble(PyList_GET_ITEM(info, 1));
    double prev_b = fresh ? 0.0 : PyFloat_AsDouble(PyList_GET_ITEM(info, 2));
    if (PyErr_Occurred())
        return -1;
    if (PyList_GET_ITEM(info, 3) != c->generation) {
        Py_INCREF(c->generation);
        PyList_SetItem(info, 3, c->generation);
    }
    /* the previous values, replaced only when they changed (a float made costs) */
    if (!(prev_a == a && PyFloat_CheckExact(PyList_GET_ITEM(info, 1)))) {
        PyObject *fa = PyFloat_FromDouble(a);
        if (!fa)
            return -1;
        PyList_SetItem(info, 1, fa);
    }
    if (!(prev_b == b && PyFloat_CheckExact(PyList_GET_ITEM(info, 2)))) {
        PyObject *fb = PyFloat_FromDouble(b);
        if (!fb)
            return -1;
        PyList_SetItem(info, 2, fb);
    }
    if (fresh || a < prev_a || b < prev_b) {
        PyObject *ts = PyLong_FromUnsignedLongLong(c->ts);
        if (!ts)
            return -1;
        PyList_SetItem(info, 0, ts);
        *start = c->ts;
        return 0;
    }
    PyObject *s = PyList_GET_ITEM(info, 0);
    long long v;
    if (PyFloat_Check(s))
        v = (long long)PyFloat_AS_DOUBLE(s);
    else
        v = PyLong_AsLongLong(s);
    if (v == -1 && PyErr_Occurred())
        return -1;
    if (v < 0)
        return 1; /* the Python path decides */
    *start = (uint64_t)v;
    return 0;
}

/* One number point: (attributes bytes, value index, start-time entry or None). */
static int write_number(outbuf *o, const ctx_t *c, PyObject *point, int cumulative)
{
    if (!PyTuple_Check(point) || PyTuple_GET_SIZE(point) != 3 ||
        !PyBytes_Check(PyTuple_GET_ITEM(point, 0))) {
        PyErr_SetString(PyExc_TypeError, "a number point is (bytes, int, list)");
        return -1;
    }
    PyObject *attrs = PyTuple_GET_ITEM(point, 0);
    double v;
    if (value_at(c, PyTuple_GET_ITEM(point, 1), &v) < 0)
        return -1;
    uint64_t start = 0;
    if (cumulative) {
        int r = start_time(c, PyTuple_GET_ITEM(point, 2), v, 0.0, &start);
        if (r)
            return r;
    }
    Py_ssize_t body = PyBytes_GET_SIZE(attrs) + (start ? 27 : 18);
    if (ob_reserve(o, body + 11) < 0)
        return -1;
    o->buf[o->len++] = 0x0A;
    put_varint(o, (uint64_t)body);
    put_bytes(o, attrs);
    if (start) {
        o->buf[o->len++] = 0x11;
        put64(o, start);
    }
    o->buf[o->len++] = 0x19;
    put64(o, c->ts);
    o->buf[o->len++] = 0x21;
    put_double(o, v);
    return 0;
}

/* An integer count as Python's int(x) of a float, when it fits a fixed64. */
static int as_count(double x, uint64_t *out)
{
    if (!(x > -1.0) || x >= 18446744073709551616.0)
        return -1;
    *out = x < 1.0 ? 0 : (uint64_t)x;
    return 0;
}

/* One histogram point: (attributes, packed bounds, bucket value indices sorted by bound,
 * count index, sum index or -1, start-time entry). */
static int write_histogram(outbuf *o, const ctx_t *c, PyObject *point)
{
    if (!PyTuple_Check(point) || PyTuple_GET_SIZE(point) != 6 ||
        !PyBytes_Check(PyTuple_GET_ITEM(point, 0)) || !PyBytes_Check(PyTuple_GET_ITEM(point, 1)) ||
        !PyTuple_Check(PyTuple_GET_ITEM(point, 2))) {
        PyErr_SetString(PyExc_TypeError, "a histogram point is (bytes, bytes, tuple, int, int, list)");
        return -1;
    }
    PyObject *attrs = PyTuple_GET_ITEM(point, 0), *bounds = PyTuple_GET_ITEM(point, 1);
    PyObject *buckets = PyTuple_GET_ITEM(point, 2);
    Py_ssize_t nb = PyTuple_GET_SIZE(buckets);
    double count, sum = 0.0;
    if (value_at(c, PyTuple_GET_ITEM(point, 3), &count) < 0)
        return -1;
    Py_ssize_t sum_index = PyLong_AsSsize_t(PyTuple_GET_ITEM(point, 4));
    if (sum_index == -1 && PyErr_Occurred())
        return -1;
    int has_sum = sum_index >= 0;
    if (has_sum && value_at(c, PyTuple_GET_ITEM(point, 4), &sum) < 0)
        return -1;
    uint64_t n_count;
    if (as_count(count, &n_count) < 0)
        return 1;
    /* the bucket counts are checked before the start time is touched */
    for (Py_ssize_t k = 0; k < nb; k++) {
        double v, previous = 0.0;
        uint64_t unused;
        if (value_at(c, PyTuple_GET_ITEM(buckets, k), &v) < 0)
            return -1;
        if (k && value_at(c, PyTuple_GET_ITEM(buckets, k - 1), &previous) < 0)
            return -1;
        if (as_count(v - previous, &unused) < 0)
            return 1;
    }
    uint64_t start = 0;
    int r = start_time(c, PyTuple_GET_ITEM(point, 5), count, sum, &start);
    if (r)
        return r;
    Py_ssize_t nbounds = PyBytes_GET_SIZE(bounds);
    Py_ssize_t body = (start ? 9 : 0) + 9 + (n_count ? 9 : 0) + (has_sum ? 9 : 0) +
                      1 + (Py_ssize_t)wire_varint_size((uint64_t)nb * 8) + nb * 8 +
                      (nbounds ? 1 + (Py_ssize_t)wire_varint_size((uint64_t)nbounds) + nbounds : 0) +
                      PyBytes_GET_SIZE(attrs);
    if (ob_reserve(o, body + 11) < 0)
        return -1;
    o->buf[o->len++] = 0x0A;
    put_varint(o, (uint64_t)body);
    if (start) {
        o->buf[o->len++] = 0x11;
        put64(o, start);
    }
    o->buf[o->len++] = 0x19;
    put64(o, c->ts);
    if (n_count) {
        o->buf[o->len++] = 0x21;
        put64(o, n_count);
    }
    if (has_sum) {
        o->buf[o->len++] = 0x29;
        put_double(o, sum);
    }
    o->buf[o->len++] = 0x32;
    put_varint(o, (uint64_t)nb * 8);
    double previous = 0.0;
    for (Py_ssize_t k = 0; k < nb; k++) {
        double v;
        uint64_t n;
        value_at(c, PyTuple_GET_ITEM(buckets, k), &v);
        as_count(v - previous, &n);
        put64(o, n);
        previous = v;
    }
    if (nbounds) {
        o->buf[o->len++] = 0x3A;
        put_varint(o, (uint64_t)nbounds);
        put_bytes(o, bounds);
    }
    put_bytes(o, attrs);
    return 0;
}

static PyObject *write_points(PyObject *self, PyObject *args)
{
    PyObject *families, *generation;
    Py_buffer values;
    unsigned long long ts;
    if (!PyArg_ParseTuple(args, "O!y*KO:write", &PyList_Type, &families, &values, &ts,
                          &generation))
        return NULL;
    ctx_t c = {values.buf, values.len / 8, ts, generation};
    PyObject *out = PyList_New(0);
    outbuf o = {0};
    for (Py_ssize_t f = 0; out && f < PyList_GET_SIZE(families); f++) {
        PyObject *fam = PyList_GET_ITEM(families, f);
        if (!PyTuple_Check(fam) || PyTuple_GET_SIZE(fam) != 2 ||
            !PyList_Check(PyTuple_GET_ITEM(fam, 1))) {
            PyErr_SetString(PyExc_TypeError, "a family is (kind, [points])");
            goto fail;
        }
        long kind = PyLong_AsLong(PyTuple_GET_ITEM(fam, 0));
        PyObject *points = PyTuple_GET_ITEM(fam, 1);
        o.len = 0;
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(points); i++) {
            PyObject *point = PyList_GET_ITEM(points, i);
            int r = kind == FAM_HISTOGRAM ? write_histogram(&o, &c, point)
                                          : write_number(&o, &c, point, kind == FAM_SUM);
            if (r < 0)
                goto fail;
            if (r > 0) {
                Py_CLEAR(out);
                PyBuffer_Release(&values);
                PyMem_Free(o.buf);
                Py_RETURN_NONE;
            }
        }
        PyObject *chunk = PyBytes_FromStringAndSize((const char *)o.buf, o.len);
        if (!chunk || PyList_Append(out, chunk) < 0) {
            Py_XDECREF(chunk);
            goto fail;
        }
        Py_DECREF(chunk);
    }
    PyBuffer_Release(&values);
    PyMem_Free(o.buf);
    return out;
fail:
    Py_XDECREF(out);
    PyBuffer_Release(&values);
    PyMem_Free(o.buf);
    return NULL;
}

static PyMethodDef methods[] = {
    {"write", write_points, METH_VARARGS,
     "The data points of each family of a scrape plan, or None."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_promtext", NULL, -1, methods};

PyMODINIT_FUNC PyInit__promtext(void)
{
    if (PyType_Ready(&LayoutType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (!m)
        return NULL;
    Py_INCREF(&LayoutType);
    if (PyModule_AddObject(m, "Layout", (PyObject *)&LayoutType) < 0) {
        Py_DECREF(&LayoutType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}

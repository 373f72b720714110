/* otelpy.native._wire: the top-level fields of a protobuf message, read with wire.h.
 *
 * fields(data) -> [(field number, wire type, start, end)], where data[start:end] is the
 * field's value (a varint's bytes, a fixed64/32, or a length-delimited payload without its
 * length). ValueError when the bytes are not a well-formed message. Tests and the fuzz
 * suite check wire.h through it against the protobuf library's own encoder.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "wire.h"

static PyObject *fields(PyObject *self, PyObject *arg)
{
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0)
        return NULL;
    const uint8_t *base = view.buf;
    wire_cur c = {base, base + view.len};
    PyObject *out = PyList_New(0);
    while (out && c.pos < c.end) {
        uint32_t field;
        int wtype;
        const uint8_t *start;
        if (wire_tag(&c, &field, &wtype) < 0)
            goto malformed;
        start = c.pos;
        if (wtype == WT_LEN) {
            wire_cur sub;
            if (wire_len(&c, &sub) < 0)
                goto malformed;
            start = sub.pos;
        } else if (wire_skip(&c, field, wtype) < 0) {
            goto malformed;
        }
        PyObject *t = Py_BuildValue("(Iinn)", field, wtype, (Py_ssize_t)(start - base),
                                    (Py_ssize_t)(c.pos - base));
        if (!t || PyList_Append(out, t) < 0) {
            Py_XDECREF(t);
            Py_CLEAR(out);
            break;
        }
        Py_DECREF(t);
    }
    PyBuffer_Release(&view);
    return out;
malformed:
    PyBuffer_Release(&view);
    Py_DECREF(out);
    PyErr_Format(PyExc_ValueError, "malformed protobuf at byte %zd",
                 (Py_ssize_t)(c.pos - base));
    return NULL;
}

static PyMethodDef methods[] = {
    {"fields", fields, METH_O, "The top-level fields of a protobuf message."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_wire", NULL, -1, methods};

PyMODINIT_FUNC PyInit__wire(void)
{
    return PyModule_Create(&module);
}

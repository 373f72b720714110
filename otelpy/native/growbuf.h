/* A growable output buffer's one rule, shared by the C modules' writers. */
#ifndef OTELPY_GROWBUF_H
#define OTELPY_GROWBUF_H

#include <Python.h>
#include <stdint.h>

/* Room for `more` bytes after the first `len` of *buf (PyMem; capacity *cap, doubled from
 * `first`); 0, or -1 with MemoryError set. */
static inline int grow_bytes(uint8_t **buf, Py_ssize_t *cap, Py_ssize_t len, Py_ssize_t more,
                             Py_ssize_t first)
{
    if (len + more <= *cap)
        return 0;
    Py_ssize_t n = *cap ? *cap : first;
    while (n < len + more)
        n *= 2;
    uint8_t *b = PyMem_Realloc(*buf, n);
    if (!b) {
        PyErr_NoMemory();
        return -1;
    }
    *buf = b;
    *cap = n;
    return 0;
}

#endif

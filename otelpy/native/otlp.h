/* OTLP messages read with wire.h, shared by otelpy's C modules. */
#ifndef OTELPY_OTLP_H
#define OTELPY_OTLP_H

#include "wire.h"

/* A KeyValue: its key and value payloads (each the last of its field, as protobuf) and
 * how many value fields it has (more than one merge in protobuf: their concatenation). */
static inline int otlp_key_value(wire_cur c, wire_cur *key, wire_cur *val, int *nvalues)
{
    key->pos = key->end = val->pos = val->end = c.pos;
    *nvalues = 0;
    while (c.pos < c.end) {
        uint32_t f;
        int wt;
        wire_cur sub;
        const uint8_t *start;
        if (wire_next(&c, &f, &wt, &sub, &start) < 0)
            return -1;
        if (wt == WT_LEN && f == 1) {
            *key = sub;
        } else if (wt == WT_LEN && f == 2) {
            *val = sub;
            ++*nvalues;
        }
    }
    return 0;
}

#endif

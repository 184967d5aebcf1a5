#include <zlib.h>

/// inflateInit2 is a macro: raw deflate data (no zlib or gzip wrapper), the largest window.
static inline int station_inflate_init_raw(z_stream *stream) {
    return inflateInit2(stream, -MAX_WBITS);
}

// The system's zlib (Debian: zlib1g-dev), for inflating SPDY header blocks.
#include <zlib.h>

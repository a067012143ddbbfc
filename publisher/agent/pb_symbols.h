/* pb_symbols: names, start addresses and file:line for code addresses of this process (libdw). */
#ifndef PB_SYMBOLS_H
#define PB_SYMBOLS_H

#include <stdint.h>

typedef struct pb_symbols pb_symbols_t;

/* What an address resolves to. Strings are borrowed from the pb_symbols_t and
 * live until it is destroyed. `name` is NULL when no symbol covers the pc;
 * `file` is NULL without debug info. */
typedef struct {
    uintptr_t start; /* function entry (or the pc itself when unnamed) */
    const char *name;
    const char *module;
    const char *file;
    int line;
} pb_symbol_t;

/* Reports the modules mapped in this process now. NULL on failure (errno
 * ELIBACC when libdw could not be loaded: see pb_symbols_error). libdw is
 * loaded, with dlopen, by the first call in the process. */
pb_symbols_t *pb_symbols_new(void);

/* Why libdw could not be loaded ("" when it is, or could be, loaded). Loads
 * it if no call has yet. Borrowed, static. */
const char *pb_symbols_error(void);
void pb_symbols_destroy(pb_symbols_t **self_p);

/* Resolves pc. For a return address pass is_return so that pc - 1 (the call
 * instruction) is looked up. Returns 0, or -ENOENT when nothing is mapped there
 * (out->name NULL, out->start = pc). Results are cached. */
int pb_symbols_lookup(pb_symbols_t *self, uintptr_t pc, int is_return, pb_symbol_t *out);

#endif

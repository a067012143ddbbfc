/* pb_symbols: names, start addresses and file:line for code addresses of this process (libdw). */
#include "pb_symbols.h"

#include <elfutils/libdwfl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A cache of resolved pcs (open addressing, grows at 50 % load) and of the
 * file:line of function entries, so each function costs libdw once. */
typedef struct {
    uintptr_t pc; /* 0 = empty slot */
    pb_symbol_t sym;
} s_entry_t;

struct pb_symbols {
    Dwfl *dwfl;
    s_entry_t *table;
    size_t size, used;
};

static const Dwfl_Callbacks s_callbacks = {
    .find_elf = dwfl_linux_proc_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
};

pb_symbols_t *pb_symbols_new(void)
{
    pb_symbols_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->size = 1024;
    self->table = calloc(self->size, sizeof *self->table);
    self->dwfl = dwfl_begin(&s_callbacks);
    if (!self->table || !self->dwfl || dwfl_linux_proc_report(self->dwfl, getpid()) != 0 ||
        dwfl_report_end(self->dwfl, NULL, NULL) != 0) {
        pb_symbols_destroy(&self);
        return NULL;
    }
    return self;
}

void pb_symbols_destroy(pb_symbols_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pb_symbols_t *self = *self_p;
    if (self->dwfl)
        dwfl_end(self->dwfl);
    free(self->table);
    free(self);
    *self_p = NULL;
}

static s_entry_t *s_slot(s_entry_t *table, size_t size, uintptr_t pc)
{
    size_t i = (size_t)((pc * 0x9E3779B97F4A7C15ull) >> 17) & (size - 1);
    while (table[i].pc != 0 && table[i].pc != pc)
        i = (i + 1) & (size - 1);
    return &table[i];
}

static int s_grow(pb_symbols_t *self)
{
    size_t size = self->size * 2;
    s_entry_t *table = calloc(size, sizeof *table);
    if (!table)
        return -ENOMEM;
    for (size_t i = 0; i < self->size; i++)
        if (self->table[i].pc != 0)
            *s_slot(table, size, self->table[i].pc) = self->table[i];
    free(self->table);
    self->table = table;
    self->size = size;
    return 0;
}

static void s_resolve(pb_symbols_t *self, uintptr_t addr, pb_symbol_t *out)
{
    memset(out, 0, sizeof *out);
    out->start = addr;
    Dwfl_Module *mod = dwfl_addrmodule(self->dwfl, addr);
    if (!mod)
        return;
    out->module = dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
    GElf_Off offset = 0;
    GElf_Sym sym;
    out->name = dwfl_module_addrinfo(mod, addr, &offset, &sym, NULL, NULL, NULL);
    if (!out->name)
        return;
    out->start = addr - offset;
    Dwfl_Line *line = dwfl_module_getsrc(mod, out->start);
    if (line)
        out->file = dwfl_lineinfo(line, NULL, &out->line, NULL, NULL, NULL);
}

int pb_symbols_lookup(pb_symbols_t *self, uintptr_t pc, int is_return, pb_symbol_t *out)
{
    uintptr_t addr = is_return && pc > 0 ? pc - 1 : pc;
    if (addr == 0) {
        memset(out, 0, sizeof *out);
        return -ENOENT;
    }
    s_entry_t *e = s_slot(self->table, self->size, addr);
    if (e->pc == 0) {
        if (self->used * 2 >= self->size && s_grow(self) == 0)
            e = s_slot(self->table, self->size, addr);
        e->pc = addr;
        s_resolve(self, addr, &e->sym);
        self->used++;
    }
    *out = e->sym;
    return out->name ? 0 : -ENOENT;
}

/* pb_symbols: names, start addresses and file:line for code addresses of this process (libdw). */
#include "pb_symbols.h"

#include "pb_dlib.h"
#include "pb_log.h"

#include <elfutils/libdwfl.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* libdw (and libelf, lzma, bz2 behind it) is loaded the first time a profile
 * needs names, not when a process links libperfbus or perfbusd starts: most
 * never profile, and the libraries cost half a megabyte of resident pages. */
#define S_LIBDW "libdw.so.1"

/* The functions used, in the order of s_dw_names. */
static struct {
    Dwfl *(*begin)(const Dwfl_Callbacks *);
    void (*end)(Dwfl *);
    int (*proc_report)(Dwfl *, pid_t);
    int (*report_end)(Dwfl *, int (*)(Dwfl_Module *, void *, const char *, Dwarf_Addr, void *),
                      void *);
    Dwfl_Module *(*addrmodule)(Dwfl *, Dwarf_Addr);
    const char *(*module_info)(Dwfl_Module *, void ***, Dwarf_Addr *, Dwarf_Addr *, Dwarf_Addr *,
                               Dwarf_Addr *, const char **, const char **);
    const char *(*module_addrinfo)(Dwfl_Module *, GElf_Addr, GElf_Off *, GElf_Sym *, GElf_Word *,
                                   Elf **, Dwarf_Addr *);
    Dwfl_Line *(*module_getsrc)(Dwfl_Module *, Dwarf_Addr);
    const char *(*lineinfo)(Dwfl_Line *, Dwarf_Addr *, int *, int *, Dwarf_Word *, Dwarf_Word *);
    int (*find_elf)(Dwfl_Module *, void **, const char *, Dwarf_Addr, char **, Elf **);
    int (*find_debuginfo)(Dwfl_Module *, void **, const char *, Dwarf_Addr, const char *,
                          const char *, GElf_Word, char **);
} s_dw;
static const char *const s_dw_names[] = {"dwfl_begin",
                                         "dwfl_end",
                                         "dwfl_linux_proc_report",
                                         "dwfl_report_end",
                                         "dwfl_addrmodule",
                                         "dwfl_module_info",
                                         "dwfl_module_addrinfo",
                                         "dwfl_module_getsrc",
                                         "dwfl_lineinfo",
                                         "dwfl_linux_proc_find_elf",
                                         "dwfl_standard_find_debuginfo"};
#define S_DW_N (sizeof s_dw_names / sizeof s_dw_names[0])
_Static_assert(sizeof s_dw == S_DW_N * sizeof(pb_dlib_fn), "s_dw and s_dw_names differ");

static Dwfl_Callbacks s_callbacks;
static char s_dw_error[256]; /* "" once loaded */
static pthread_once_t s_dw_once = PTHREAD_ONCE_INIT;

static void s_dw_load(void)
{
    if (pb_dlib_load(S_LIBDW, s_dw_names, (pb_dlib_fn *)&s_dw, S_DW_N, s_dw_error,
                     sizeof s_dw_error) < 0) {
        pb_log_warn("profiles will have no function names: %s (elfutils)", s_dw_error);
        return;
    }
    s_callbacks.find_elf = s_dw.find_elf;
    s_callbacks.find_debuginfo = s_dw.find_debuginfo;
}

const char *pb_symbols_error(void)
{
    pthread_once(&s_dw_once, s_dw_load);
    return s_dw_error;
}

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

pb_symbols_t *pb_symbols_new(void)
{
    if (pb_symbols_error()[0]) {
        errno = ELIBACC;
        return NULL;
    }
    pb_symbols_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->size = 1024;
    self->table = calloc(self->size, sizeof *self->table);
    self->dwfl = s_dw.begin(&s_callbacks);
    if (!self->table || !self->dwfl || s_dw.proc_report(self->dwfl, getpid()) != 0 ||
        s_dw.report_end(self->dwfl, NULL, NULL) != 0) {
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
        s_dw.end(self->dwfl);
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
    Dwfl_Module *mod = s_dw.addrmodule(self->dwfl, addr);
    if (!mod)
        return;
    out->module = s_dw.module_info(mod, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
    GElf_Off offset = 0;
    GElf_Sym sym;
    out->name = s_dw.module_addrinfo(mod, addr, &offset, &sym, NULL, NULL, NULL);
    if (!out->name)
        return;
    out->start = addr - offset;
    Dwfl_Line *line = s_dw.module_getsrc(mod, out->start);
    if (line)
        out->file = s_dw.lineinfo(line, NULL, &out->line, NULL, NULL, NULL);
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

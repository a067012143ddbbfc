/* pb_dlib: dlopen and dlsym behind one call, with the error named. */
#include "pb_dlib.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

int pb_dlib_load(const char *soname, const char *const *names, pb_dlib_fn *fns, size_t n, char *err,
                 size_t errlen)
{
    void *lib = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        snprintf(err, errlen, "cannot load %s: %s", soname, dlerror());
        return -ELIBACC;
    }
    for (size_t i = 0; i < n; i++) {
        void *sym = dlsym(lib, names[i]);
        if (!sym) {
            snprintf(err, errlen, "%s has no function %s", soname, names[i]);
            return -ELIBACC;
        }
        memcpy(&fns[i], &sym, sizeof fns[i]); /* POSIX: a function's address as a void * */
    }
    return 0;
}

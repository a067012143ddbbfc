/* pb_dlib: a shared library loaded the first time it is needed, and the functions taken from it. */
#ifndef PB_DLIB_H
#define PB_DLIB_H

/* perfbus loads libraries most processes never use (libdw for profile names,
 * libmicrohttpd for --http) only when they are used: each costs resident
 * pages and start-up time in every process that merely links them. */

#include <stddef.h>

/* A function as dlsym gives it; the caller's table holds the real types. */
typedef void (*pb_dlib_fn)(void);

/* Loads soname (dlopen RTLD_NOW | RTLD_LOCAL; it stays loaded for the life
 * of the process) and the n functions names[i] into fns[i]. A caller keeps
 * a struct of n typed function pointers in the order of names and passes it
 * as fns (all function pointers share one representation on the platforms
 * perfbus runs on). Returns 0, or -ELIBACC with "cannot load SONAME: why" or
 * "SONAME has no function NAME" in err; fns is then left unusable. */
int pb_dlib_load(const char *soname, const char *const *names, pb_dlib_fn *fns, size_t n, char *err,
                 size_t errlen);

#endif

/* hunt_int.h — what the hunt module's files share. */
#ifndef KONSEKI_HUNT_HUNT_INT_H
#define KONSEKI_HUNT_HUNT_INT_H

/* The built-in hunt files (generated from hunts/NAME.hunt by scripts/embed-hunts). */
struct hunt_builtin {
    const char *name;
    const char *text;
};
extern const struct hunt_builtin hunt_builtins[];

#endif

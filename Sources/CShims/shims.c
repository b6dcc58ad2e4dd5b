#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include "shims.h"

int vlog_exchange(const char *a, const char *b) {
#ifdef RENAME_EXCHANGE
    return renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE);
#else
    errno = ENOSYS;
    return -1;
#endif
}

int vlog_rename_noreplace(const char *a, const char *b) {
#ifdef RENAME_NOREPLACE
    return renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_NOREPLACE);
#else
    errno = ENOSYS;
    return -1;
#endif
}

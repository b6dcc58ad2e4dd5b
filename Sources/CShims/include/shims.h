#ifndef VLOG_SHIMS_H
#define VLOG_SHIMS_H

/// Atomically swaps two paths on one file system (Linux renameat2 with RENAME_EXCHANGE), so a web
/// server sees the old folder or the new one, never neither. Returns 0, or -1 with errno set.
int vlog_exchange(const char *a, const char *b);

/// Renames `a` to `b` only if nothing is at `b` (renameat2 with RENAME_NOREPLACE), so a move never
/// overwrites a file or folder it did not expect. Returns 0, or -1 with errno set (EEXIST).
int vlog_rename_noreplace(const char *a, const char *b);

#endif

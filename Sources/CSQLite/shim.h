#include <sqlite3.h>

/// sqlite3_db_config is variadic, which Swift cannot call: triggers on or off for one connection.
static inline int vlog_sqlite3_enable_triggers(sqlite3 *db, int on) {
    return sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_TRIGGER, on, (int *)0);
}

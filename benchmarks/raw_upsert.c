/* The raw limit: only upsert one slot row per sample, (series id, slot) in
 * arrival order, into a slots table like the reference's, with one prepared
 * statement and one transaction per file. No parsing beyond what is needed
 * to find the key, no statistics: SQLite's floor for one row write per sample.
 *
 *   cc -O2 -o raw_upsert raw_upsert.c -lsqlite3
 *   ./raw_upsert DB FILE...
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SERIES 1000000

static char *names[MAX_SERIES];
static int series_count;

static int series_id(const char *name, size_t len) {
  /* Small open-addressing table keyed by name; ids are dense. */
  static int table[1 << 22];
  unsigned long h = 1469598103934665603UL;
  for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)name[i]) * 1099511628211UL;
  for (unsigned long slot = h & ((1 << 22) - 1);; slot = (slot + 1) & ((1 << 22) - 1)) {
    int id = table[slot];
    if (id == 0) {
      names[series_count] = strndup(name, len);
      table[slot] = ++series_count;
      return series_count;
    }
    if (strlen(names[id - 1]) == len && memcmp(names[id - 1], name, len) == 0) return id;
  }
}

int main(int argc, char **argv) {
  sqlite3 *db;
  if (sqlite3_open(argv[1], &db) != SQLITE_OK) return 1;
  sqlite3_exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
                   "CREATE TABLE IF NOT EXISTS slots (series_id INTEGER, slot INTEGER, n REAL, mx REAL, my REAL,"
                   " cxx REAL, cxy REAL, cyy REAL, PRIMARY KEY (series_id, slot)) WITHOUT ROWID;",
               NULL, NULL, NULL);
  sqlite3_stmt *upsert;
  sqlite3_prepare_v2(db, "REPLACE INTO slots VALUES (?, ?, ?, ?, ?, ?, ?, ?)", -1, &upsert, NULL);
  long rows = 0;
  char line[4096];
  for (int f = 2; f < argc; f++) {
    FILE *in = fopen(argv[f], "r");
    if (!in) return 1;
    sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    while (fgets(line, sizeof line, in)) {
      char *space = strchr(line, ' ');
      if (!space) continue;
      char *ts = strrchr(line, ' ');
      long t = atol(ts + 1);
      int slot = (int)(((t - 4 * 86400) % 604800) / 300);
      sqlite3_bind_int(upsert, 1, series_id(line, (size_t)(space - line)));
      sqlite3_bind_int(upsert, 2, slot);
      for (int k = 3; k <= 8; k++) sqlite3_bind_double(upsert, k, (double)k);
      sqlite3_step(upsert);
      sqlite3_reset(upsert);
      rows++;
    }
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    fclose(in);
  }
  fprintf(stderr, "raw_upsert: %ld rows\n", rows);
  sqlite3_close(db);
  return 0;
}

/* What SQLite costs per row: the storage work of the 10 M backfill (834
 * files of an hour, 1,000 series) with PER_ROW series' data in each row,
 * and nothing else. Per file, in one transaction: read last week's row
 * of each group, write it back, and add an hour of history per group
 * (192 bytes per series), as outlierd does; pages of 16 KiB, WAL,
 * synchronous = FULL.
 *
 *   cc -O2 -o row_layout benchmarks/row_layout.c -lsqlite3
 *   ./row_layout /tmp/r.db 1 && ./row_layout /tmp/r2.db 10   (fresh files)
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: row_layout DB PER_ROW [FILES]\n");
    return 2;
  }
  const int per_row = atoi(argv[2]), files = argc > 3 ? atoi(argv[3]) : 834;
  const int series = 1000, block_bytes = 768, history_bytes = 192;
  sqlite3 *db;
  if (sqlite3_open(argv[1], &db) != SQLITE_OK) return 1;
  sqlite3_exec(db,
               "PRAGMA page_size = 16384; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
               "CREATE TABLE blocks (key INTEGER PRIMARY KEY, data BLOB NOT NULL);"
               "CREATE TABLE history (key INTEGER PRIMARY KEY, data BLOB NOT NULL);",
               NULL, NULL, NULL);
  sqlite3_stmt *read, *write, *append;
  sqlite3_prepare_v2(db, "SELECT data FROM blocks WHERE key = ?", -1, &read, NULL);
  sqlite3_prepare_v2(db, "REPLACE INTO blocks (key, data) VALUES (?, ?)", -1, &write, NULL);
  sqlite3_prepare_v2(db, "REPLACE INTO history (key, data) VALUES (?, ?)", -1, &append, NULL);
  const int rows = (series + per_row - 1) / per_row;
  char *row = calloc(per_row, block_bytes), *hour = calloc(per_row, history_bytes);
  long checksum = 0;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (int f = 0; f < files; f++) {
    sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    const long block = f % 168;
    for (int r = 0; r < rows; r++) {
      sqlite3_bind_int64(read, 1, block << 32 | r);
      if (sqlite3_step(read) == SQLITE_ROW) checksum += ((const char *)sqlite3_column_blob(read, 0))[0];
      sqlite3_reset(read);
    }
    for (int r = 0; r < rows; r++) {
      row[r % block_bytes] = (char)f;
      sqlite3_bind_int64(write, 1, block << 32 | r);
      sqlite3_bind_blob(write, 2, row, per_row * block_bytes, SQLITE_STATIC);
      sqlite3_step(write);
      sqlite3_reset(write);
      sqlite3_bind_int64(append, 1, (long)f << 32 | r);
      sqlite3_bind_blob(append, 2, hour, per_row * history_bytes, SQLITE_STATIC);
      sqlite3_step(append);
      sqlite3_reset(append);
    }
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  printf("%d series per row: %d rows per file and table, %.2f s (%ld)\n", per_row, rows,
         (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9, checksum);
  sqlite3_close(db);
  return 0;
}

// Linux interfaces Glibc's Swift overlay does not import.
#include <sys/signalfd.h>
#include <sys/inotify.h>
#include <sys/file.h>
#include <fnmatch.h>

// The git commit a release was built from, given by the build scripts as
// -Xcc -DOUTLIERD_COMMIT=\"…\" (scripts/build-release); empty otherwise.
#ifndef OUTLIERD_COMMIT
#define OUTLIERD_COMMIT ""
#endif
static inline const char *outlierd_commit(void) { return OUTLIERD_COMMIT; }

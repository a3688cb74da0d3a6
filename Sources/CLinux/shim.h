// Linux interfaces Glibc's Swift overlay does not import.
#include <sys/signalfd.h>
#include <sys/inotify.h>
#include <sys/file.h>
#include <fnmatch.h>

// libcurl's easy interface (Debian libcurl4), for the notifier's HTTP and
// HTTPS requests, loaded at run time with dlopen: only the notifier uses
// it, and linking it would load about thirty libraries (Kerberos, LDAP,
// SSH, …) into every outlierd process, the daemon included. The header
// (libcurl4-openssl-dev) gives the types at build time.
//
// curl_easy_setopt and curl_easy_getinfo are variadic, which Swift cannot
// call: the typed wrappers below can.
#include <curl/curl.h>
#include <dlfcn.h>
#include <stddef.h>

typedef struct {
  CURL *(*easy_init)(void);
  CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
  CURLcode (*easy_perform)(CURL *);
  void (*easy_cleanup)(CURL *);
  CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
  const char *(*easy_strerror)(CURLcode);
  struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
  void (*slist_free_all)(struct curl_slist *);
  CURLcode (*global_init)(long);
} outlierd_curl_api;

/// The loaded functions (a function's static: Swift emits inline functions
/// of a header, not its global variables).
static inline outlierd_curl_api *outlierd_curl_table(void) {
  static outlierd_curl_api table;
  return &table;
}

/// Loads libcurl.so.4 and initialises it; 0 on success, otherwise why not
/// (dlerror's text, or libcurl's global initialisation failing).
static inline const char *outlierd_curl_load(void) {
  outlierd_curl_api *api = outlierd_curl_table();
  void *library = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
  if (library == NULL) return dlerror();
#define OUTLIERD_CURL_SYMBOL(field, name) \
  if ((*(void **)&api->field = dlsym(library, name)) == NULL) return "libcurl.so.4 lacks " name;
  OUTLIERD_CURL_SYMBOL(easy_init, "curl_easy_init")
  OUTLIERD_CURL_SYMBOL(easy_setopt, "curl_easy_setopt")
  OUTLIERD_CURL_SYMBOL(easy_perform, "curl_easy_perform")
  OUTLIERD_CURL_SYMBOL(easy_cleanup, "curl_easy_cleanup")
  OUTLIERD_CURL_SYMBOL(easy_getinfo, "curl_easy_getinfo")
  OUTLIERD_CURL_SYMBOL(easy_strerror, "curl_easy_strerror")
  OUTLIERD_CURL_SYMBOL(slist_append, "curl_slist_append")
  OUTLIERD_CURL_SYMBOL(slist_free_all, "curl_slist_free_all")
  OUTLIERD_CURL_SYMBOL(global_init, "curl_global_init")
#undef OUTLIERD_CURL_SYMBOL
  if (api->global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return "curl_global_init failed";
  return NULL;
}

static inline CURL *outlierd_curl_easy_init(void) { return outlierd_curl_table()->easy_init(); }
static inline void outlierd_curl_easy_cleanup(CURL *handle) { outlierd_curl_table()->easy_cleanup(handle); }
static inline CURLcode outlierd_curl_easy_perform(CURL *handle) { return outlierd_curl_table()->easy_perform(handle); }
static inline const char *outlierd_curl_easy_strerror(CURLcode code) { return outlierd_curl_table()->easy_strerror(code); }
static inline struct curl_slist *outlierd_curl_slist_append(struct curl_slist *list, const char *text) {
  return outlierd_curl_table()->slist_append(list, text);
}
static inline void outlierd_curl_slist_free_all(struct curl_slist *list) { outlierd_curl_table()->slist_free_all(list); }

static inline CURLcode outlierd_curl_set_long(CURL *handle, CURLoption option, long value) {
  return outlierd_curl_table()->easy_setopt(handle, option, value);
}

static inline CURLcode outlierd_curl_set_string(CURL *handle, CURLoption option, const char *value) {
  return outlierd_curl_table()->easy_setopt(handle, option, value);
}

static inline CURLcode outlierd_curl_set_pointer(CURL *handle, CURLoption option, void *value) {
  return outlierd_curl_table()->easy_setopt(handle, option, value);
}

static inline CURLcode outlierd_curl_set_headers(CURL *handle, struct curl_slist *headers) {
  return outlierd_curl_table()->easy_setopt(handle, CURLOPT_HTTPHEADER, headers);
}

static inline CURLcode outlierd_curl_set_write(CURL *handle, curl_write_callback callback) {
  return outlierd_curl_table()->easy_setopt(handle, CURLOPT_WRITEFUNCTION, callback);
}

static inline CURLcode outlierd_curl_set_progress(CURL *handle, curl_xferinfo_callback callback) {
  return outlierd_curl_table()->easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, callback);
}

static inline CURLcode outlierd_curl_set_body(CURL *handle, const void *body, long length) {
  CURLcode code = outlierd_curl_table()->easy_setopt(handle, CURLOPT_POSTFIELDSIZE, length);
  return code != CURLE_OK ? code : outlierd_curl_table()->easy_setopt(handle, CURLOPT_POSTFIELDS, body);
}

static inline long outlierd_curl_status(CURL *handle) {
  long status = 0;
  outlierd_curl_table()->easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
  return status;
}

static const long outlierd_curlauth_basic = (long)CURLAUTH_BASIC;
static const long outlierd_curlauth_bearer = (long)CURLAUTH_BEARER;

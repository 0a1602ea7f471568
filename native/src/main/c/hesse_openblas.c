/*
 * hesse_openblas: a tiny JNI bridge to OpenBLAS's runtime controls (core name, build configuration,
 * thread count). OpenBLAS is opened with dlopen at run time, not linked, so this builds without any -dev
 * package and loads (reporting "unavailable") on machines without OpenBLAS.
 *
 * Every function takes the dlopen handle returned by nativeOpen, and looks its symbol up on each call:
 * these are control calls, not hot paths, and a missing symbol (another BLAS behind libblas.so.3) must
 * give null / -1 rather than a crash. The last three functions (is-loaded, getenv, setenv) serve the kernel
 * choice, which must set OPENBLAS_CORETYPE before OpenBLAS is first loaded (KernelChoice.java).
 */
#define _GNU_SOURCE /* dladdr */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h> /* getenv, setenv */
#include <string.h>
#include <jni.h>

typedef char *(*get_string_fn)(void);
typedef int (*get_int_fn)(void);
typedef void (*set_int_fn)(int);

static void *symbol(jlong handle, const char *name) {
  if (handle == 0) return NULL;
  return dlsym((void *)(intptr_t)handle, name);
}

static jstring call_string(JNIEnv *env, jlong handle, const char *name) {
  get_string_fn fn = (get_string_fn)symbol(handle, name);
  if (fn == NULL) return NULL;
  const char *s = fn();
  return s == NULL ? NULL : (*env)->NewStringUTF(env, s);
}

static jint call_int(jlong handle, const char *name) {
  get_int_fn fn = (get_int_fn)symbol(handle, name);
  return fn == NULL ? -1 : (jint)fn();
}

/* Opens a library by name or path; on failure returns 0 and stores dlerror()'s text in error[0]. */
JNIEXPORT jlong JNICALL Java_org_hesse_nativelib_OpenBlasLibrary_nativeOpen(JNIEnv *env, jclass cls,
                                                                           jstring name, jobjectArray error) {
  (void)cls;
  const char *cname = (*env)->GetStringUTFChars(env, name, NULL);
  if (cname == NULL) return 0; /* OutOfMemoryError pending */
  dlerror();
  /* RTLD_GLOBAL is not needed: we only dlsym through this handle. The handle is never closed: the
     library stays loaded for the life of the process, as netlib's own JNI shims keep it. */
  void *h = dlopen(cname, RTLD_NOW | RTLD_LOCAL);
  (*env)->ReleaseStringUTFChars(env, name, cname);
  if (h == NULL) {
    const char *msg = dlerror();
    if (error != NULL && (*env)->GetArrayLength(env, error) > 0) {
      jstring jmsg = (*env)->NewStringUTF(env, msg == NULL ? "dlopen failed" : msg);
      if (jmsg != NULL) (*env)->SetObjectArrayElement(env, error, 0, jmsg);
    }
    return 0;
  }
  return (jlong)(intptr_t)h;
}

JNIEXPORT jboolean JNICALL Java_org_hesse_nativelib_OpenBlasLibrary_nativeHasSymbol(JNIEnv *env, jclass cls,
                                                                                   jlong handle, jstring name) {
  (void)cls;
  const char *cname = (*env)->GetStringUTFChars(env, name, NULL);
  if (cname == NULL) return JNI_FALSE;
  void *s = symbol(handle, cname);
  (*env)->ReleaseStringUTFChars(env, name, cname);
  return s != NULL ? JNI_TRUE : JNI_FALSE;
}

/* The file the handle's OpenBLAS was loaded from (via dladdr on one of its symbols), or null. */
JNIEXPORT jstring JNICALL Java_org_hesse_nativelib_OpenBlasLibrary_nativeLibraryPath(JNIEnv *env, jclass cls,
                                                                                    jlong handle) {
  (void)cls;
  void *s = symbol(handle, "openblas_get_config");
  Dl_info info;
  if (s == NULL || dladdr(s, &info) == 0 || info.dli_fname == NULL) return NULL;
  return (*env)->NewStringUTF(env, info.dli_fname);
}

JNIEXPORT jstring JNICALL Java_org_hesse_nativelib_OpenBlasLibrary_nativeCoreName(JNIEnv *env, jclass cls,
                                                                                 jlong handle) {
  (void)cls;
  return call_string(env, handle, "openblas_get_corename");
}

JNIEXPORT jstring JNICALL Java_org_hesse_nativelib_OpenBlasLibrary_nativeConfig(JNIEnv *env, jclass cls,
                                                                               jlong handle) {
  (void)cls;
  return call_string(env, handle, "openblas_get_config");
}

JNIEXPORT jint JNICALL Java_org_hesse_nativelib_OpenBlasLibrary_nativeNumThreads(JNIEnv *env, jclass cls,
                                                                               jlong handle) {
  (void)env;
  (void)cls;
  return call_int(handle, "openblas_get_num_threads");
}

JNIEXPORT jint JNICALL Java_org_hesse_nativelib_OpenBlasLibrary_nativeNumProcs(JNIEnv *env, jclass cls,
                                                                             jlong handle) {
  (void)env;
  (void)cls;
  return call_int(handle, "openblas_get_num_procs");
}

/* Returns false when the symbol is missing. */
JNIEXPORT jboolean JNICALL Java_org_hesse_nativelib_OpenBlasLibrary_nativeSetNumThreads(JNIEnv *env, jclass cls,
                                                                                      jlong handle, jint n) {
  (void)env;
  (void)cls;
  set_int_fn fn = (set_int_fn)symbol(handle, "openblas_set_num_threads");
  if (fn == NULL) return JNI_FALSE;
  fn((int)n);
  return JNI_TRUE;
}

/* ---- Kernel choice before OpenBLAS loads (see KernelChoice.java) ---- */

/* Whether a library of this name is already loaded in the process (dlopen with RTLD_NOLOAD loads nothing). */
JNIEXPORT jboolean JNICALL Java_org_hesse_nativelib_OpenBlasLibrary_nativeIsLoaded(JNIEnv *env, jclass cls,
                                                                                 jstring name) {
  (void)cls;
  const char *cname = (*env)->GetStringUTFChars(env, name, NULL);
  if (cname == NULL) return JNI_FALSE;
  void *h = dlopen(cname, RTLD_LAZY | RTLD_NOLOAD);
  (*env)->ReleaseStringUTFChars(env, name, cname);
  if (h == NULL) return JNI_FALSE;
  dlclose(h); /* drops the reference RTLD_NOLOAD added */
  return JNI_TRUE;
}

/* The process environment's current value (Java's System.getenv is a copy taken once), or null. */
JNIEXPORT jstring JNICALL Java_org_hesse_nativelib_OpenBlasLibrary_nativeGetenv(JNIEnv *env, jclass cls,
                                                                              jstring name) {
  (void)cls;
  const char *cname = (*env)->GetStringUTFChars(env, name, NULL);
  if (cname == NULL) return NULL;
  const char *v = getenv(cname);
  (*env)->ReleaseStringUTFChars(env, name, cname);
  return v == NULL ? NULL : (*env)->NewStringUTF(env, v);
}

/*
 * setenv(name, value) unless the variable already holds a non-empty value (never overrides the user; an empty
 * value counts as unset, as OpenBLAS would misread it: "" picks the first kernel name). Returns whether the
 * variable now holds value. Called once, before OpenBLAS is loaded; glibc's setenv takes a lock, and the
 * only readers that matter (OpenBLAS's constructor) run after it.
 */
JNIEXPORT jboolean JNICALL Java_org_hesse_nativelib_OpenBlasLibrary_nativeSetenvIfUnset(JNIEnv *env, jclass cls,
                                                                                      jstring name, jstring value) {
  (void)cls;
  const char *cname = (*env)->GetStringUTFChars(env, name, NULL);
  if (cname == NULL) return JNI_FALSE;
  const char *cvalue = (*env)->GetStringUTFChars(env, value, NULL);
  if (cvalue == NULL) {
    (*env)->ReleaseStringUTFChars(env, name, cname);
    return JNI_FALSE;
  }
  const char *cur = getenv(cname);
  int overwrite = cur != NULL && cur[0] == '\0';
  jboolean ok = setenv(cname, cvalue, overwrite) == 0 && getenv(cname) != NULL && strcmp(getenv(cname), cvalue) == 0;
  (*env)->ReleaseStringUTFChars(env, value, cvalue);
  (*env)->ReleaseStringUTFChars(env, name, cname);
  return ok;
}

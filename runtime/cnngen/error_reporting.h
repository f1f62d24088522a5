/* How a generated model reports an error without ending the app. Every generated C header carries
 * this text (cnngen copies it in), and cnngen/error_handler.hpp includes it, so an app needs no
 * setup: each model's entry point calls cnngen_enter() before checking its buffers, which
 * installs cnngen_record_error as Halide's error handler once per process, unless the app
 * installed a handler of its own first (halide_set_error_handler: the app's handler wins, at any
 * time). Halide then returns the error code instead of printing and calling abort(), and the
 * message stays readable through cnngen_last_error() on the thread that failed.
 *
 * Plain C99 with GNU attributes (gcc and clang, any ELF or Mach-O target): every translation unit
 * that includes a model's header defines these functions weakly, and the linker keeps one copy for
 * the whole process, shared by every model. The guard keeps one copy per translation unit when two
 * models' headers are included together. */
#ifndef CNNGEN_ERROR_REPORTING_H
#define CNNGEN_ERROR_REPORTING_H

#ifdef __cplusplus
extern "C" {
#endif

/* Halide's runtime (HalideRuntime.h declares both, with a typedef for the handler's type). */
extern void halide_default_error(void *user_context, const char *message);
extern void (*halide_set_error_handler(void (*handler)(void *, const char *)))(void *,
                                                                            const char *);

/* The message of the calling thread's last failed call of a model ("" before any failure), or of an
 * error that a call to halide_error() on this thread reported. Not cleared by a successful call. */
const char *cnngen_last_error(void);
/* Empties the calling thread's message (the C++ header's infer() does, before each call). */
void cnngen_clear_last_error(void);
/* The error handler: keeps a copy of `message` (at most 1023 bytes) for the thread that called the
 * model, and returns. */
void cnngen_record_error(void *user_context, const char *message);
/* Called by the generated code first thing in every entry point; returns 0. The first call in
 * the process also installs cnngen's allocator, cnngen_install_buffer_cache() (buffer_cache.h,
 * which every generated header carries before this text). */
int cnngen_enter(void);
void cnngen_install_buffer_cache(void);
/* Called by the generated code at the start of every function it compiles (entry points and the
 * parts of a deep network): installs the handler as cnngen_enter() does and returns the calling
 * thread's message slot, which the function passes as Halide's user_context to everything it
 * calls, its parallel tasks included. An error that a worker thread of Halide's pool reports (a
 * failed allocation inside a parallel loop) so reaches the thread that called the model. NULL
 * for a thread beyond the first cnngen_error_slot_count: its messages stay on the thread that
 * reports them. */
void *cnngen_error_context(void);

enum { cnngen_error_capacity = 1024, cnngen_error_slot_count = 256 };

/* A thread's message. `lock` serializes the writers: the worker threads of one call may fail at
 * the same time. */
struct cnngen_error_slot {
  int lock;
  char text[cnngen_error_capacity];
};

/* The slots handed to the first threads that call a model. A user_context pointing into this array
 * is cnngen's (a pointer comparison, nothing read): other Halide code the app links may pass user
 * contexts of its own to the same handler. */
__attribute__((weak)) struct cnngen_error_slot *cnngen_error_slots(void) {
  static struct cnngen_error_slot slots[cnngen_error_slot_count];
  return slots;
}

__attribute__((weak)) int cnngen_is_error_slot(const void *pointer) {
  const char *first = (const char *)cnngen_error_slots();
  const char *end = (const char *)(cnngen_error_slots() + cnngen_error_slot_count);
  const char *p = (const char *)pointer;
  return p >= first && p < end && (p - first) % sizeof(struct cnngen_error_slot) == 0;
}

/* The calling thread's slot: one of cnngen_error_slots() while they last, else a thread-local one. */
__attribute__((weak)) struct cnngen_error_slot *cnngen_thread_error_slot(void) {
  static __thread struct cnngen_error_slot *mine;
  static __thread struct cnngen_error_slot own;
  static int handed_out;
  if (!mine) {
    int index = __atomic_fetch_add(&handed_out, 1, __ATOMIC_RELAXED);
    mine = index < cnngen_error_slot_count ? cnngen_error_slots() + index : &own;
  }
  return mine;
}

__attribute__((weak)) const char *cnngen_last_error(void) { return cnngen_thread_error_slot()->text; }

__attribute__((weak)) void cnngen_clear_last_error(void) { cnngen_thread_error_slot()->text[0] = '\0'; }

__attribute__((weak)) void cnngen_record_error(void *user_context, const char *message) {
  struct cnngen_error_slot *slot = cnngen_is_error_slot(user_context)
                                       ? (struct cnngen_error_slot *)user_context
                                       : cnngen_thread_error_slot();
  int length = 0;
  if (!message) message = "unknown error (Halide passed no message)";
  while (__atomic_exchange_n(&slot->lock, 1, __ATOMIC_ACQUIRE)) {
  }
  while (length < cnngen_error_capacity - 1 && message[length] != '\0') {
    slot->text[length] = message[length];
    ++length;
  }
  while (length > 0 && slot->text[length - 1] == '\n') --length;
  slot->text[length] = '\0';
  __atomic_store_n(&slot->lock, 0, __ATOMIC_RELEASE);
}

__attribute__((weak)) int cnngen_enter(void) {
  /* 0: not yet installed, 1: a thread is installing, 2: done. A thread that finds 1 waits (two
   * calls of halide_set_error_handler), so that no call runs under Halide's aborting handler. */
  static int state;
  int expected = 0;
  if (__atomic_load_n(&state, __ATOMIC_ACQUIRE) == 2) return 0;
  if (__atomic_compare_exchange_n(&state, &expected, 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
    void (*previous)(void *, const char *) = halide_set_error_handler(cnngen_record_error);
    if (previous && previous != halide_default_error && previous != cnngen_record_error) {
      halide_set_error_handler(previous); /* the app's own handler stays */
    }
    cnngen_install_buffer_cache();
    __atomic_store_n(&state, 2, __ATOMIC_RELEASE);
  } else {
    while (__atomic_load_n(&state, __ATOMIC_ACQUIRE) != 2) {
    }
  }
  return 0;
}

__attribute__((weak)) void *cnngen_error_context(void) {
  struct cnngen_error_slot *slot;
  cnngen_enter();
  slot = cnngen_thread_error_slot();
  return cnngen_is_error_slot(slot) ? slot : 0;
}

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* CNNGEN_ERROR_REPORTING_H */

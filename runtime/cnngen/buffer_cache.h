/* The working memory of generated models, kept from one call to the next. A model's large tensors
 * (a MobileNetV2 at batch 8 stores 37 MiB in one) are allocated and freed by every call. glibc
 * maps blocks above its mmap threshold afresh each time (always above 32 MiB, and below that
 * whenever a smaller block was freed last) and trims its heap when the call frees it all, so
 * that every call pays for the mapping, a page fault per 4 KiB and the unmapping: up to 1.3× the
 * whole call (docs/performance.md). ONNX Runtime and OpenVINO keep arenas of their own.
 *
 * cnngen's cache is such an arena: one region, carved first-fit into the blocks of 128 KiB and
 * more (glibc's smallest mmap threshold; smaller ones go to malloc as they are), freed blocks
 * merged with their free neighbours. A block that does not fit is made by malloc outside the
 * region; when no block is in use (between calls), the region grows by the most that was outside
 * it at once, up to twice the high-water mark of what was in use, so that from the second call on
 * a model's blocks come from pages already mapped, as a glibc heap that never trims would give
 * them. Whole blocks kept per size were tried and measured slower (docs/performance.md).
 *
 * The region is memory the app holds between calls: cnngen_current_memory_use() says how much,
 * cnngen_release_cached_memory() gives it back (at once between calls, else when the running
 * calls end; the next call builds it again).
 *
 * Installed by cnngen_enter() (error_reporting.h) at a model's first call, as Halide's allocator
 * (halide_set_custom_malloc/free), unless the app installed an allocator of its own first: the
 * app's allocator then stays. Like any change of Halide's allocator, it must not race with other
 * Halide code the app runs at the same moment on other threads. cnngen_cached_free hands the
 * blocks it did not make to halide_default_free.
 *
 * Plain C99 with GNU attributes, weak definitions as in error_reporting.h: every generated C header
 * carries this text before error_reporting.h's. */
#ifndef CNNGEN_BUFFER_CACHE_H
#define CNNGEN_BUFFER_CACHE_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Halide's runtime (HalideRuntime.h declares these, with typedefs for the handlers' types). */
extern void *halide_default_malloc(void *user_context, size_t size);
extern void halide_default_free(void *user_context, void *pointer);
extern void *(*halide_set_custom_malloc(void *(*handler)(void *, size_t)))(void *, size_t);
extern void (*halide_set_custom_free(void (*handler)(void *, void *)))(void *, void *);

/* Bytes of the blocks of 128 KiB and more (each counted with its header): handed out now, the
 * region's size (held whether in use or not), the most ever handed out at once, and how many
 * blocks were made outside the region. */
struct cnngen_memory_use {
  size_t in_use;
  size_t region;
  size_t high_water;
  unsigned long made_outside;
};
struct cnngen_memory_use cnngen_current_memory_use(void);

/* Gives the region back to the system: at once if no block of it is in use, else when the last
 * one is freed. Safe at any time, from any thread. */
void cnngen_release_cached_memory(void);

/* Halide's allocator while the cache is installed. */
void *cnngen_cached_malloc(void *user_context, size_t size);
void cnngen_cached_free(void *user_context, void *pointer);

/* Installs the two above unless the app installed an allocator of its own (cnngen_enter calls it
 * once per process). */
void cnngen_install_buffer_cache(void);

enum {
  cnngen_cache_alignment = 128,  /* of every block: over any vector Halide loads */
  cnngen_cache_tail = 64,        /* Halide may read 8 bytes past a block's end */
  cnngen_cache_min_block = 128 * 1024,
  cnngen_cache_range_count = 256 /* the region's free ranges; its blocks in use stay below */
};

struct cnngen_free_range {
  size_t offset, length;
};

/* One arena. The functions taking it are the allocator's; cnngen_the_buffer_cache() is the one
 * the models use. Zero-initialized is empty. */
struct cnngen_buffer_cache {
  int lock;
  char *region_memory;  /* what malloc returned; 0: no region */
  char *region;         /* its first byte aligned to cnngen_cache_alignment */
  size_t region_size;
  struct cnngen_free_range free[cnngen_cache_range_count]; /* by offset, none touching */
  int free_count;
  int region_blocks;   /* blocks of the region in use */
  int release_pending; /* cnngen_release_cached_memory() came while blocks were in use */
  size_t in_use, outside_in_use, high_water, outside_high_water;
  unsigned long made_outside;
};

__attribute__((weak)) struct cnngen_buffer_cache *cnngen_the_buffer_cache(void) {
  static struct cnngen_buffer_cache cache;
  return &cache;
}

__attribute__((weak)) void cnngen_lock_buffer_cache(struct cnngen_buffer_cache *cache) {
  while (__atomic_exchange_n(&cache->lock, 1, __ATOMIC_ACQUIRE)) {
  }
}

__attribute__((weak)) void cnngen_unlock_buffer_cache(struct cnngen_buffer_cache *cache) {
  __atomic_store_n(&cache->lock, 0, __ATOMIC_RELEASE);
}

/* A block's words just below the pointer handed out: [-3] is the bytes it takes (its size for a
 * small block), [-2] marks it as this cache's (the tag mixed with [-1], and cleared when the block
 * is freed, so that stale memory does not pass for it: halide_default_malloc, given the same
 * start, may hand out the same pointer), [-1] is the start malloc returned (a block outside the
 * region: where halide_default_free looks too) or the block's first byte in the region. */
#define CNNGEN_CACHE_TAG ((uintptr_t)0x636e6e67656e6263ull)

/* The first address from `p` on that is aligned to cnngen_cache_alignment. */
__attribute__((weak)) char *cnngen_align_up(char *p) {
  return (char *)(((uintptr_t)p + cnngen_cache_alignment - 1) & ~(uintptr_t)(cnngen_cache_alignment - 1));
}

/* Puts the words above before the block at `start` and returns the pointer to hand out. */
__attribute__((weak)) void *cnngen_label_block(char *start, size_t bytes) {
  char *pointer = cnngen_align_up(start + 3 * sizeof(void *));
  ((size_t *)pointer)[-3] = bytes;
  ((uintptr_t *)pointer)[-2] = CNNGEN_CACHE_TAG ^ (uintptr_t)start;
  ((char **)pointer)[-1] = start;
  return pointer;
}

/* The bytes a large block of `size` takes in the region: its words, its alignment, its tail. */
__attribute__((weak)) size_t cnngen_block_bytes(size_t size) {
  size_t unit = cnngen_cache_alignment;
  return (cnngen_cache_alignment + size + cnngen_cache_tail + unit - 1) / unit * unit;
}

/* First fit in the region; the offset, or (size_t)-1 when no free range is long enough. */
__attribute__((weak)) size_t cnngen_carve(struct cnngen_buffer_cache *cache, size_t bytes) {
  int k;
  if (!cache->region || cache->release_pending || cache->region_blocks >= cnngen_cache_range_count - 2)
    return (size_t)-1;
  for (k = 0; k < cache->free_count; ++k) {
    struct cnngen_free_range *range = &cache->free[k];
    if (range->length >= bytes) {
      size_t offset = range->offset;
      range->offset += bytes;
      range->length -= bytes;
      if (range->length == 0) {
        for (; k + 1 < cache->free_count; ++k) cache->free[k] = cache->free[k + 1];
        --cache->free_count;
      }
      ++cache->region_blocks;
      return offset;
    }
  }
  return (size_t)-1;
}

/* Returns a block to the region's free ranges, merged with the ranges it touches. */
__attribute__((weak)) void cnngen_uncarve(struct cnngen_buffer_cache *cache, size_t offset, size_t bytes) {
  int at = 0, k;
  while (at < cache->free_count && cache->free[at].offset < offset) ++at;
  if (at > 0 && cache->free[at - 1].offset + cache->free[at - 1].length == offset) {
    cache->free[at - 1].length += bytes;
    if (at < cache->free_count && offset + bytes == cache->free[at].offset) {
      cache->free[at - 1].length += cache->free[at].length;
      for (k = at; k + 1 < cache->free_count; ++k) cache->free[k] = cache->free[k + 1];
      --cache->free_count;
    }
  } else if (at < cache->free_count && offset + bytes == cache->free[at].offset) {
    cache->free[at].offset = offset;
    cache->free[at].length += bytes;
  } else {
    for (k = cache->free_count; k > at; --k) cache->free[k] = cache->free[k - 1];
    cache->free[at].offset = offset;
    cache->free[at].length = bytes;
    ++cache->free_count;
  }
  --cache->region_blocks;
}

__attribute__((weak)) void *cnngen_cache_malloc(struct cnngen_buffer_cache *cache, size_t size) {
  size_t bytes, offset;
  char *start;
  if (size > SIZE_MAX / 2) return 0;
  if (size < cnngen_cache_min_block) {
    start = (char *)malloc(3 * sizeof(void *) + cnngen_cache_alignment + size + cnngen_cache_tail);
    return start ? cnngen_label_block(start, size) : 0;
  }
  bytes = cnngen_block_bytes(size);
  cnngen_lock_buffer_cache(cache);
  offset = cnngen_carve(cache, bytes);
  cache->in_use += bytes;
  if (cache->in_use > cache->high_water) cache->high_water = cache->in_use;
  if (offset != (size_t)-1) {
    start = cache->region + offset;
    cnngen_unlock_buffer_cache(cache);
    return cnngen_label_block(start, bytes);
  }
  cache->outside_in_use += bytes;
  if (cache->outside_in_use > cache->outside_high_water) cache->outside_high_water = cache->outside_in_use;
  ++cache->made_outside;
  cnngen_unlock_buffer_cache(cache);
  start = (char *)malloc(3 * sizeof(void *) + bytes);
  if (start) return cnngen_label_block(start, bytes);
  cnngen_lock_buffer_cache(cache);
  cache->in_use -= bytes;
  cache->outside_in_use -= bytes;
  cnngen_unlock_buffer_cache(cache);
  return 0;
}

/* Forgets the region (none of its blocks in use) and returns its memory, for the caller to free
 * after unlocking. Called locked. */
__attribute__((weak)) char *cnngen_drop_region(struct cnngen_buffer_cache *cache) {
  char *memory = cache->region_memory;
  cache->region_memory = cache->region = 0;
  cache->region_size = 0;
  cache->free_count = 0;
  cache->release_pending = 0;
  cache->outside_high_water = 0;
  return memory;
}

/* With no block in use: the region given back if that was asked for, else the size it should
 * grow to (0: as it is). Called locked. */
__attribute__((weak)) size_t cnngen_resize_when_idle(struct cnngen_buffer_cache *cache, char **give_back) {
  size_t wanted = cache->region_size + cache->outside_high_water;
  if (cache->release_pending) {
    *give_back = cnngen_drop_region(cache);
    return 0;
  }
  if (cache->outside_high_water == 0 || cache->region_size >= 2 * cache->high_water) return 0;
  if (wanted > 2 * cache->high_water) wanted = 2 * cache->high_water;
  *give_back = cnngen_drop_region(cache);
  return wanted;
}

__attribute__((weak)) void cnngen_cache_free(struct cnngen_buffer_cache *cache, void *pointer) {
  char *start, *give_back = 0, *fresh;
  size_t bytes, grow = 0;
  if (!pointer) return;
  start = ((char **)pointer)[-1];
  if (((uintptr_t *)pointer)[-2] != (CNNGEN_CACHE_TAG ^ (uintptr_t)start)) {
    halide_default_free(0, pointer); /* made before the cache was installed */
    return;
  }
  bytes = ((size_t *)pointer)[-3];
  ((uintptr_t *)pointer)[-2] = 0; /* a block malloc makes later at the same start is not taken for one */
  if (bytes < cnngen_cache_min_block) {
    free(start);
    return;
  }
  cnngen_lock_buffer_cache(cache);
  cache->in_use -= bytes;
  if (cache->region && start >= cache->region && start < cache->region + cache->region_size) {
    cnngen_uncarve(cache, (size_t)(start - cache->region), bytes);
    start = 0;
  } else {
    cache->outside_in_use -= bytes;
  }
  if (cache->in_use == 0) grow = cnngen_resize_when_idle(cache, &give_back);
  cnngen_unlock_buffer_cache(cache);
  free(start);
  free(give_back);
  if (grow == 0) return;
  fresh = (char *)malloc(grow + cnngen_cache_alignment);
  if (!fresh) return;
  cnngen_lock_buffer_cache(cache);
  if (cache->region_memory) { /* another thread's free made one meanwhile */
    cnngen_unlock_buffer_cache(cache);
    free(fresh);
    return;
  }
  cache->region_memory = fresh;
  cache->region = cnngen_align_up(fresh);
  cache->region_size = grow;
  cache->free[0].offset = 0;
  cache->free[0].length = grow;
  cache->free_count = 1;
  cache->region_blocks = 0;
  cnngen_unlock_buffer_cache(cache);
}

__attribute__((weak)) void cnngen_cache_release(struct cnngen_buffer_cache *cache) {
  char *give_back = 0;
  cnngen_lock_buffer_cache(cache);
  cache->release_pending = 1;
  if (cache->region_blocks == 0) give_back = cnngen_drop_region(cache);
  cnngen_unlock_buffer_cache(cache);
  free(give_back);
}

__attribute__((weak)) struct cnngen_memory_use cnngen_cache_use(struct cnngen_buffer_cache *cache) {
  struct cnngen_memory_use use;
  cnngen_lock_buffer_cache(cache);
  use.in_use = cache->in_use;
  use.region = cache->region_size;
  use.high_water = cache->high_water;
  use.made_outside = cache->made_outside;
  cnngen_unlock_buffer_cache(cache);
  return use;
}

__attribute__((weak)) void *cnngen_cached_malloc(void *user_context, size_t size) {
  (void)user_context;
  return cnngen_cache_malloc(cnngen_the_buffer_cache(), size);
}

__attribute__((weak)) void cnngen_cached_free(void *user_context, void *pointer) {
  (void)user_context;
  cnngen_cache_free(cnngen_the_buffer_cache(), pointer);
}

__attribute__((weak)) void cnngen_release_cached_memory(void) { cnngen_cache_release(cnngen_the_buffer_cache()); }

__attribute__((weak)) struct cnngen_memory_use cnngen_current_memory_use(void) {
  return cnngen_cache_use(cnngen_the_buffer_cache());
}

/* The free handler first: it takes the blocks Halide's own allocator made meanwhile. */
__attribute__((weak)) void cnngen_install_buffer_cache(void) {
  void (*previous_free)(void *, void *) = halide_set_custom_free(cnngen_cached_free);
  void *(*previous_malloc)(void *, size_t) = halide_set_custom_malloc(cnngen_cached_malloc);
  if ((previous_malloc != halide_default_malloc && previous_malloc != cnngen_cached_malloc) ||
      (previous_free != halide_default_free && previous_free != cnngen_cached_free)) {
    halide_set_custom_malloc(previous_malloc); /* the app's own allocator stays */
    halide_set_custom_free(previous_free);
  }
}

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* CNNGEN_BUFFER_CACHE_H */

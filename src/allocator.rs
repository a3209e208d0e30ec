//! The process's allocator (glibc malloc): how it holds memory, and giving freed memory back.
//! A leaf module: the service gives memory back through it; the command that serves tunes it at start.

/// glibc raises its mmap threshold to the size of any large block freed, and from then on keeps blocks that
/// size in the freeing thread's arena: each argon2 hash (19 MiB) stayed resident in whichever blocking
/// thread ran it, and five hashes took the server from 30 to 123 MiB. Fixed thresholds make blocks of a
/// MiB or more plain mmaps, returned to the OS when freed, while smaller ones (a gzip encoder's ~300 KiB
/// per compressed answer) stay in the arena instead of being trimmed and faulted in again each time.
pub fn tune() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        use std::os::raw::c_int;
        const M_TRIM_THRESHOLD: c_int = -1;
        const M_MMAP_THRESHOLD: c_int = -3;
        const M_ARENA_MAX: c_int = -8;
        extern "C" {
            fn mallopt(param: c_int, value: c_int) -> c_int;
        }
        // SAFETY: mallopt only changes allocator settings; it runs before the server's threads start.
        unsafe {
            mallopt(M_MMAP_THRESHOLD, 1 << 20);
            mallopt(M_TRIM_THRESHOLD, 1 << 20);
            // One arena per core, not per thread: under a stream of cache misses every blocking thread
            // allocated records and cache entries in its own arena, and the cold-verification figure
            // ended at 72 MiB with 12 threads' arenas each holding freed blocks.
            mallopt(M_ARENA_MAX, 2);
        }
    }
}

/// Returns to the OS the whole pages that freed blocks leave inside malloc's arenas. glibc gives back
/// only the top of an arena by itself, so the entries of a burst of cache misses, freed all over the
/// arena, would stay resident beneath every later peak (an argon2 hash, the next burst). Walks every
/// arena under its lock, a millisecond or so: call it after freeing much, not per request.
pub fn give_back_freed() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        extern "C" {
            fn malloc_trim(pad: usize) -> std::os::raw::c_int;
        }
        // SAFETY: malloc_trim only releases free memory; it is thread-safe (it takes each arena's lock).
        unsafe {
            malloc_trim(0);
        }
    }
}

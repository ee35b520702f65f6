//! The allocator of the native binaries (`trm`, the benches): mimalloc, told to keep the memory
//! it frees.
//!
//! A batch's tensors are megabytes each and are freed and allocated again at every op. glibc's
//! malloc returns them to the kernel on free (mimalloc, by default, a second later), so the next
//! tensor page-faults on first touch: 40% of a batch-64 net call of the browser preset here,
//! and 4–20% of a training step. Each binary declares
//! `#[global_allocator] static ALLOCATOR: Allocator = Allocator;` and calls
//! [`keep_freed_memory`] first thing in `main`. The library and its tests keep the system
//! allocator; the wasm build never sees this module.

/// The global allocator of the native binaries.
pub use mimalloc::MiMalloc as Allocator;

/// mimalloc's `mi_option_purge_delay` (v3's `mi_option_e`; libmimalloc-sys names no constant).
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Never return freed memory to the operating system (mimalloc's purge delay of -1).
pub fn keep_freed_memory() {
    // SAFETY: sets an integer option; mimalloc reads it at each purge decision.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, -1) }
}

/// The current purge delay in milliseconds (-1: never).
pub fn purge_delay_ms() -> std::os::raw::c_long {
    // SAFETY: reads an integer option.
    unsafe { libmimalloc_sys::mi_option_get(PURGE_DELAY) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_option_is_the_purge_delay() {
        // 1000 ms is mimalloc v3's default purge delay, and no neighbouring option's default,
        // so this catches a renumbered enum (unless the environment sets the option).
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            assert_eq!(purge_delay_ms(), 1000);
        }
        keep_freed_memory();
        assert_eq!(purge_delay_ms(), -1);
    }
}

//! Where the CPU backend's work runs: on rayon's pool, whose workers burn-flex's kernels split
//! their work over.
//!
//! Called from a thread outside the pool (a binary's main thread), each split op is injected into
//! the pool's queue while the caller sleeps on a lock until a worker has run it: two thread
//! wake-ups per op, which cost more than a batch-1 net call's products take. Called from a worker,
//! a split is pushed on that worker's own deque, the worker runs one half and an idle worker
//! steals the other. The patched backend therefore splits products from 2M multiply-adds on a
//! worker and from 32M elsewhere (patches/burn-flex/README.md). This is how OpenMP runs PyTorch's
//! ops: on the calling thread together with its team.

/// Runs `work` on one of rayon's workers and returns its result: in place when the calling
/// thread is already one, and always in place in wasm, which has no pool.
pub fn install<R: Send>(work: impl FnOnce() -> R + Send) -> R {
    #[cfg(not(target_arch = "wasm32"))]
    {
        // `scope` runs its body on a worker (injected when called from outside the pool).
        rayon::scope(|_| work())
    }
    #[cfg(target_arch = "wasm32")]
    {
        work()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(not(target_arch = "wasm32"))]
    fn work_runs_on_a_worker_and_returns_its_result() {
        assert_eq!(rayon::current_thread_index(), None, "the test thread is outside the pool");
        let (index, sum) = install(|| (rayon::current_thread_index(), (1..=10).sum::<i32>()));
        assert!(index.is_some(), "the work ran outside the pool");
        assert_eq!(sum, 55);
        // Nested: already on a worker, so it stays on the same one.
        let (outer, inner) = install(|| (rayon::current_thread_index(), install(rayon::current_thread_index)));
        assert_eq!(outer, inner);
    }
}

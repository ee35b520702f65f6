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
//!
//! An idle rayon worker goes to sleep after a few dozen empty rounds, and a split that finds its
//! partner asleep waits for the wake-up or runs both halves itself. A net call is a chain of
//! small kernels with gaps between them longer than those rounds, so [`install`] keeps the other
//! workers awake while its work runs: each loops on [`rayon::yield_now`], which runs the next
//! split it can steal, as OpenMP's team spins between parallel regions before it blocks.

#[cfg(not(target_arch = "wasm32"))]
use std::sync::atomic::Ordering;
use std::sync::atomic::{AtomicBool, AtomicUsize};

/// Runs `work` on one of rayon's workers and returns its result, with the pool's other workers
/// kept awake until it returns: they steal the splits `work` makes, and between splits yield
/// the core to any other thread that wants it (napping after 2 ms without a split). In place
/// when the calling thread is already a worker, and always in place in wasm, which has no pool.
pub fn install<R: Send>(work: impl FnOnce() -> R + Send) -> R {
    run(None, KeepAwake::Yes, |_| work())
}

/// As [`install`], but the other workers sleep between splits as rayon has them do: for work
/// that leaves the pool idle most of the time, and to measure what keeping them awake gives.
pub fn install_without_spinning<R: Send>(work: impl FnOnce() -> R + Send) -> R {
    run(None, KeepAwake::No, |_| work())
}

#[derive(Clone, Copy, PartialEq)]
enum KeepAwake {
    Yes,
    No,
}

/// What the work and its spinners share (wasm has no spinners).
#[derive(Default)]
#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
struct Team {
    done: AtomicBool,
    /// Spinners running now (read by the tests).
    spinning: AtomicUsize,
}

/// A pool of workers: rayon's natively; wasm has none.
#[cfg(not(target_arch = "wasm32"))]
type Pool = rayon::ThreadPool;
#[cfg(target_arch = "wasm32")]
type Pool = std::convert::Infallible;

/// Runs `work` on `pool` (rayon's global pool when `None`).
fn run<R: Send>(pool: Option<&Pool>, keep_awake: KeepAwake, work: impl FnOnce(&Team) -> R + Send) -> R {
    let team = Team::default();
    #[cfg(not(target_arch = "wasm32"))]
    {
        if rayon::current_thread_index().is_some() {
            return work(&team);
        }
        let team = &team;
        // `scope` runs its body on a worker and returns once every spawned spinner has stopped.
        match pool {
            Some(pool) => pool.scope(|scope| lead(scope, team, keep_awake, work)),
            None => rayon::scope(|scope| lead(scope, team, keep_awake, work)),
        }
    }
    #[cfg(target_arch = "wasm32")]
    {
        let _ = (pool, keep_awake);
        work(&team)
    }
}

/// On a worker: starts a spinner on each other worker when asked, then runs the work.
#[cfg(not(target_arch = "wasm32"))]
fn lead<'scope, R>(
    scope: &rayon::Scope<'scope>,
    team: &'scope Team,
    keep_awake: KeepAwake,
    work: impl FnOnce(&Team) -> R,
) -> R {
    if keep_awake == KeepAwake::Yes {
        let owner = rayon::current_thread_index();
        // A broadcast job runs on the worker it is addressed to and cannot be stolen, so each
        // other worker runs exactly one spinner. The work's own worker runs its copy when it
        // next looks for work, and returns at once.
        scope.spawn_broadcast(move |_, worker| {
            if Some(worker.index()) != owner {
                spin_until_done(team);
            }
        });
    }
    // Set even if `work` panics, so that the spinners stop and the panic propagates.
    let _stop = StopOnDrop(&team.done);
    work(team)
}

#[cfg(not(target_arch = "wasm32"))]
struct StopOnDrop<'a>(&'a AtomicBool);

#[cfg(not(target_arch = "wasm32"))]
impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Release);
    }
}

/// How long a spinner stays on its core with no split to run before it naps: longer than the
/// gaps between a net call's kernels, short enough that a pool waiting on something else (disk,
/// the data generator's threads) costs almost nothing.
#[cfg(not(target_arch = "wasm32"))]
const SPIN_BEFORE_NAP: std::time::Duration = std::time::Duration::from_millis(2);
/// A napping spinner's sleep between looks; the work's own worker runs the splits meanwhile.
#[cfg(not(target_arch = "wasm32"))]
const NAP: std::time::Duration = std::time::Duration::from_millis(1);

/// A spinner's loop: run whatever split the pool has; else give the core to any other thread
/// that wants it, and after [`SPIN_BEFORE_NAP`] without work, nap.
#[cfg(not(target_arch = "wasm32"))]
fn spin_until_done(team: &Team) {
    team.spinning.fetch_add(1, Ordering::AcqRel);
    let mut last_split = std::time::Instant::now();
    while !team.done.load(Ordering::Acquire) {
        if rayon::yield_now() == Some(rayon::Yield::Executed) {
            last_split = std::time::Instant::now();
        } else if last_split.elapsed() < SPIN_BEFORE_NAP {
            std::thread::yield_now();
        } else {
            std::thread::sleep(NAP);
        }
    }
    team.spinning.fetch_sub(1, Ordering::AcqRel);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(not(target_arch = "wasm32"))]
    fn work_runs_on_a_worker_and_returns_its_result() {
        assert_eq!(rayon::current_thread_index(), None, "the test thread is outside the pool");
        for install in [install::<(Option<usize>, i32)>, install_without_spinning] {
            let (index, sum) = install(|| (rayon::current_thread_index(), (1..=10).sum::<i32>()));
            assert!(index.is_some(), "the work ran outside the pool");
            assert_eq!(sum, 55);
        }
        // Nested: already on a worker, so it stays on the same one.
        let (outer, inner) = install(|| (rayon::current_thread_index(), install(rayon::current_thread_index)));
        assert_eq!(outer, inner);
    }

    /// Waits up to 10 s for `spinning` spinners.
    fn wait_for_spinners(team: &Team, spinning: usize) -> usize {
        let start = std::time::Instant::now();
        while team.spinning.load(Ordering::Acquire) != spinning && start.elapsed().as_secs() < 10 {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        team.spinning.load(Ordering::Acquire)
    }

    #[test]
    #[cfg(not(target_arch = "wasm32"))]
    fn the_other_workers_spin_while_the_work_runs_and_run_its_splits() {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(3).build().expect("a pool of 3");
        let (spinning, owner, seen) = run(Some(&pool), KeepAwake::Yes, |team| {
            let spinning = wait_for_spinners(team, 2);
            let owner = rayon::current_thread_index();
            // The spinners steal splits: the first half waits (up to 10 s) until the second
            // has run on another worker, which the caller would otherwise take back itself.
            let mut seen = std::collections::BTreeSet::new();
            for _ in 0..20 {
                let stolen = AtomicBool::new(false);
                let (_, thief) = rayon::join(
                    || {
                        let start = std::time::Instant::now();
                        while !stolen.load(Ordering::Acquire) && start.elapsed().as_secs() < 10 {
                            std::hint::spin_loop();
                        }
                    },
                    || {
                        stolen.store(rayon::current_thread_index() != owner, Ordering::Release);
                        rayon::current_thread_index()
                    },
                );
                seen.insert(thief);
            }
            (spinning, owner, seen)
        });
        assert_eq!(spinning, 2, "both other workers spin while the work runs");
        assert!(!seen.contains(&owner), "a split waited for its caller to take it back: {seen:?}");
        // `run` returned, so the spinners stopped; the pool is free for other work.
        assert_eq!(pool.install(|| rayon::join(|| 1, || 2)), (1, 2));
    }

    #[test]
    #[cfg(not(target_arch = "wasm32"))]
    fn without_spinning_the_other_workers_stay_idle() {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(3).build().expect("a pool of 3");
        let spinning = run(Some(&pool), KeepAwake::No, |team| {
            std::thread::sleep(std::time::Duration::from_millis(50));
            team.spinning.load(Ordering::Acquire)
        });
        assert_eq!(spinning, 0);
    }

    #[test]
    #[cfg(not(target_arch = "wasm32"))]
    fn a_panic_in_the_work_stops_the_spinners_and_reaches_the_caller() {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().expect("a pool of 2");
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            run(Some(&pool), KeepAwake::Yes, |team| {
                wait_for_spinners(team, 1);
                panic!("work failed")
            })
        }));
        assert!(outcome.is_err());
        assert_eq!(run(Some(&pool), KeepAwake::Yes, |_| 2 + 2), 4);
    }
}

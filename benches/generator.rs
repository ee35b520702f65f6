//! Generator throughput per tier, one core: `cargo bench --bench generator`.
//! Prints puzzles/s and the mean number of givens for each tier.

use std::time::{Duration, Instant};

use trm_sudoku::generator::{Generator, Tier};

fn main() {
    let budget =
        Duration::from_secs(std::env::var("TRM_BENCH_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(10));
    println!("| tier | puzzles | seconds | puzzles/s | mean givens |");
    println!("|---|---|---|---|---|");
    for tier in Tier::ALL {
        let mut generator = Generator::new(42);
        let start = Instant::now();
        let mut count = 0usize;
        let mut givens = 0usize;
        while start.elapsed() < budget || count == 0 {
            let p = generator.generate(tier);
            givens += p.puzzle.givens();
            count += 1;
        }
        let seconds = start.elapsed().as_secs_f64();
        println!(
            "| {tier} | {count} | {seconds:.1} | {:.1} | {:.1} |",
            count as f64 / seconds,
            givens as f64 / count as f64
        );
    }
}

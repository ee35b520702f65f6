//! Exact-solver throughput on the public hard-puzzle sets, one core.
//!
//! `cargo bench --bench solver` reads the sets from `$TRM_DATA_DIR` (default `data/sudoku`,
//! gzipped where large) and reports puzzles/s ("elements/s"). Each puzzle is solved to
//! the end of the search tree (uniqueness proof), as in the classic benchmarks' "count up to 2".

use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use trm_sudoku::grid::Grid;
use trm_sudoku::solver::count_solutions;

fn data_dir() -> PathBuf {
    std::env::var_os("TRM_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/sudoku"))
}

fn load(name: &str, limit: usize) -> Option<Vec<Grid>> {
    let text = trm_sudoku::puzzles::read_text(data_dir().join(name)).ok()?;
    Some(text.lines().filter_map(|l| Grid::parse_pair(l).ok().map(|(p, _)| p)).take(limit).collect())
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("solver");
    group.sample_size(10);
    for (name, limit) in [
        ("royle_17clue.txt.gz", 10_000),
        ("forum_hardest_1905_11plus.txt.gz", 2_000),
        ("magictour_top1465.txt.gz", 1_465),
        ("forum_hardest_1106.txt", 375),
    ] {
        let Some(puzzles) = load(name, limit) else {
            eprintln!("skipping {name}: not found under {} (set TRM_DATA_DIR)", data_dir().display());
            continue;
        };
        group.throughput(Throughput::Elements(puzzles.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut unique = 0usize;
                for p in &puzzles {
                    unique += usize::from(count_solutions(p, 2).solutions.len() == 1);
                }
                assert_eq!(unique, puzzles.len());
                unique
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

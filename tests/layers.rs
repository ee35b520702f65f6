//! The layers hold by the dependency graph, not by convention: the page, the puzzles and the
//! trace have no burn crate among their dependencies; the model worker does (which shows that
//! the check sees burn where it is).

use std::process::Command;

/// The names of every package that `package` depends on for `target`, itself included.
fn dependencies(package: &str, target: &str) -> Vec<String> {
    let output = Command::new(env!("CARGO"))
        .args(["tree", "--offline", "--locked", "-e", "normal,build", "--prefix", "none", "--format", "{p}"])
        .args(["--target", target, "-p", package])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo runs");
    assert!(output.status.success(), "cargo tree -p {package}: {}", String::from_utf8_lossy(&output.stderr));
    let mut names: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_string)
        .collect();
    names.sort();
    names.dedup();
    names
}

fn burn_crates(names: &[String]) -> Vec<&String> {
    names.iter().filter(|name| name.starts_with("burn") || name.starts_with("cubecl") || *name == "wgpu").collect()
}

#[test]
fn the_page_puzzles_and_trace_have_no_burn() {
    for (package, target) in [("trm-app", "wasm32-unknown-unknown"), ("trm-puzzle", "all"), ("trm-trace", "all")] {
        let names = dependencies(package, target);
        assert!(names.iter().any(|name| name == package), "{package} is in its own tree: {names:?}");
        assert_eq!(burn_crates(&names), Vec::<&String>::new(), "{package} depends on the model runtime");
    }
}

#[test]
fn the_page_reaches_the_layers_below_it_and_the_worker_reaches_burn() {
    let page = dependencies("trm-app", "wasm32-unknown-unknown");
    for layer in ["trm-puzzle", "trm-trace"] {
        assert!(page.iter().any(|name| name == layer), "the page depends on {layer}");
    }
    assert!(!page.iter().any(|name| name == "trm-sudoku"), "the page depends on the model crate");
    let worker = dependencies("trm-worker", "wasm32-unknown-unknown");
    for expected in ["burn-wgpu", "burn-flex", "trm-sudoku"] {
        assert!(worker.iter().any(|name| name == expected), "the worker runs the model on {expected}: {worker:?}");
    }
}

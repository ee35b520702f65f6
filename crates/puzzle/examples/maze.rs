//! Prints a generated maze and its unique shortest path:
//! `cargo run -p trm-puzzle --example maze -- [side] [easy|medium|hard] [seed]`.

use trm_puzzle::maze::{MazeGenerator, MazeTier, shortest_paths};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let side: usize = args.first().and_then(|s| s.parse().ok()).unwrap_or(30);
    let tier: MazeTier = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(MazeTier::Hard);
    let seed: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(0);
    if !(trm_puzzle::maze::generator::MIN_SIDE..=trm_puzzle::maze::grid::MAX_SIDE).contains(&side) {
        eprintln!(
            "the side must be from {} to {}",
            trm_puzzle::maze::generator::MIN_SIDE,
            trm_puzzle::maze::grid::MAX_SIDE
        );
        std::process::exit(2);
    }
    let (question, answer) = MazeGenerator::new(seed).generate(side, tier, 0);
    let (moves, _) = shortest_paths(&question).expect("generated mazes have a path");
    println!(
        "{side} × {side}, {} tier, seed {seed}: the shortest path is {moves} moves (and the only one)\n",
        tier.name()
    );
    println!("{answer}\n");
    println!("{},{}", question.to_line(), answer.to_line());
}

//! The `trm` command line: a run resumed with new schedule flags is extended and annealed as
//! asked (the model card's continuation command depends on it), while the flags a checkpoint
//! fixes stay as saved.

use std::path::Path;
use std::process::Command;

fn trm(args: &[&str]) -> std::process::Output {
    let output =
        Command::new(env!("CARGO_BIN_EXE_trm")).args(args).env("RAYON_NUM_THREADS", "1").output().expect("trm runs");
    assert!(output.status.success(), "trm {args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
    output
}

fn saved_config(run: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(run.join("training.json")).unwrap()).unwrap()
}

fn logged_steps(run: &Path) -> Vec<(u64, f64)> {
    std::fs::read_to_string(run.join("metrics.jsonl"))
        .unwrap()
        .lines()
        .map(|line| {
            let m: serde_json::Value = serde_json::from_str(line).unwrap();
            (m["step"].as_u64().unwrap(), m["learning_rate"].as_f64().unwrap())
        })
        .collect()
}

/// Trains the tiny preset for 2 steps (batch 2, lr 1e-3, `warmup` steps) into `run`; returns the
/// flags that every later leg repeats.
fn first_leg(run: &Path, warmup: &str) -> [String; 6] {
    let common = ["--eval-every", "0", "--checkpoint-every", "2", "--out", run.to_str().unwrap()].map(String::from);
    let first = ["train", "--preset", "tiny", "--steps", "2", "--batch-size", "2", "--lr", "1e-3", "--warmup", warmup];
    let args: Vec<&str> = first.into_iter().chain(common.iter().map(String::as_str)).collect();
    trm(&args);
    common
}

#[test]
fn resuming_applies_schedule_flags_and_keeps_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    let common = first_leg(&run, "0");
    let common: Vec<&str> = common.iter().map(String::as_str).collect();
    assert_eq!(saved_config(&run)["steps"], 2);
    assert_eq!(logged_steps(&run).len(), 2);
    // A step logged after the last checkpoint by a run that was then killed: resuming drops it.
    let metrics = run.join("metrics.jsonl");
    let logged = std::fs::read_to_string(&metrics).unwrap();
    let orphan = logged.lines().last().unwrap().replace(r#""step":2"#, r#""step":3"#);
    std::fs::write(&metrics, format!("{logged}{orphan}\n")).unwrap();

    // Resume: extend to 4 steps and decay to a tenth; the batch-size flag cannot change a run.
    let resumed =
        trm(&[&["train", "--steps", "4", "--min-lr-ratio", "0.1", "--batch-size", "8"][..], &common[..]].concat());
    assert!(String::from_utf8_lossy(&resumed.stderr).contains("resuming"));
    let config = saved_config(&run);
    assert_eq!(config["steps"], 4);
    assert_eq!(config["min_lr_ratio"], 0.1);
    assert_eq!(config["learning_rate"], 1e-3);
    assert_eq!(config["batch_size"], 2, "the checkpoint's carried batch fixes the batch size");

    let steps = logged_steps(&run);
    assert_eq!(steps.iter().map(|s| s.0).collect::<Vec<_>>(), [1, 2, 3, 4]);
    // Cosine from 1e-3 to 1e-4 over 4 steps: step 3 (0-based 2) is at the midpoint, 5.5e-4.
    assert!((steps[2].1 - 5.5e-4).abs() < 1e-9, "learning rate at step 3: {}", steps[2].1);
}

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn asset(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets").join(name)
}

#[test]
fn generate_then_check_round_trips_unique_puzzles() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("medium.txt");
    let out = trm(&["generate", "--tier", "medium", "--count", "5", "--seed", "7", "--out", file.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("5 medium puzzles"));
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(text.lines().count(), 5);
    assert!(text.lines().all(|l| l.len() == 163 && l.as_bytes()[81] == b','));
    // The same seed gives the same puzzles.
    let again = trm(&["generate", "--tier", "medium", "--count", "5", "--seed", "7"]);
    assert_eq!(stdout(&again), text);
    let checked = stdout(&trm(&["check", file.to_str().unwrap()]));
    assert!(checked.contains("5 puzzles, 5 with a unique solution, 5/5 given solutions confirmed"), "{checked}");
}

#[test]
fn mazes_generate_and_check_with_the_task_read_from_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mazes.txt");
    let args = ["generate", "--task", "maze", "--side", "12", "--tier", "medium", "--count", "4", "--seed", "3"];
    let out = trm(&[&args[..], &["--out", file.to_str().unwrap()]].concat());
    assert!(String::from_utf8_lossy(&out.stderr).contains("4 medium 12 × 12 mazes"));
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(text.lines().count(), 4);
    assert!(text.lines().all(|l| l.len() == 2 * 144 + 1 && l.as_bytes()[144] == b','));
    assert_eq!(stdout(&trm(&args)), text, "the same seed gives the same mazes");
    let checked = stdout(&trm(&["check", file.to_str().unwrap()]));
    assert!(checked.contains("4 mazes, 4 with one shortest path, 4/4 given answers confirmed"), "{checked}");
    // The paper's CSV (header and records), with one answer that marks no path at all.
    let mut lines: Vec<String> = text.lines().map(|l| format!("gen,{l},0")).collect();
    let (question, _) = text.lines().nth(2).unwrap().split_once(',').unwrap();
    lines[2] = format!("gen,{question},{question},0");
    let csv = dir.path().join("mazes.csv");
    std::fs::write(&csv, format!("source,question,answer,rating\n{}\n", lines.join("\n"))).unwrap();
    let checked = stdout(&trm(&["check", csv.to_str().unwrap()]));
    assert!(checked.contains("4 mazes, 4 with one shortest path, 3/4 given answers confirmed"), "{checked}");
    assert!(
        checked.contains("line 4: the given answer breaks the rules: the path forks or breaks at cell"),
        "{checked}"
    );
    let refused = Command::new(env!("CARGO_BIN_EXE_trm"))
        .args(["generate", "--task", "maze", "--tier", "extreme"])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr)
            .contains("unknown maze tier \"extreme\"; expected easy, medium or hard")
    );
}

#[test]
fn a_maze_model_trains_evaluates_on_maze_files_and_tiers_and_sudoku_commands_refuse_it() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("maze-run");
    let run_arg = run.to_str().unwrap();
    let train = ["train", "--task", "maze", "--side", "9", "--preset", "tiny", "--steps", "2", "--batch-size", "3"];
    trm(&[&train[..], &["--eval-every", "2", "--eval-size", "3", "--out", run_arg]].concat());
    let config = saved_config(&run);
    assert_eq!(config["model"]["task"], serde_json::json!({"maze": {"side": 9}}));
    assert_eq!(config["data"], serde_json::json!({"Mazes": {"side": 9, "tiers": ["easy", "medium", "hard"]}}));
    let metrics = std::fs::read_to_string(run.join("metrics.jsonl")).unwrap();
    let last: serde_json::Value = serde_json::from_str(metrics.lines().last().unwrap()).unwrap();
    for tier in ["easy", "medium", "hard"] {
        let cells = last["eval"][tier]["cells"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&cells), "{tier}: {cells}");
    }

    // A maze file with one answer left out (solved exactly) and a generated tier, at K = 1 and 8.
    let mazes = dir.path().join("mazes.txt");
    trm(&[
        "generate",
        "--task",
        "maze",
        "--side",
        "9",
        "--tier",
        "hard",
        "--count",
        "3",
        "--out",
        mazes.to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(&mazes).unwrap();
    let first_question = text.lines().next().unwrap().split_once(',').unwrap().0.to_string();
    std::fs::write(&mazes, text.replacen(text.lines().next().unwrap(), &first_question, 1)).unwrap();
    let json = dir.path().join("eval.json");
    let weights = run.join("final.bpk");
    let eval = ["eval", "--weights", weights.to_str().unwrap(), mazes.to_str().unwrap(), "--tiers", "easy"];
    let table =
        stdout(&trm(&[&eval[..], &["--limit", "2", "--attempts", "1,8", "--json", json.to_str().unwrap()]].concat()));
    assert!(table.contains("| mazes.txt | 2 | 8 | 16 |"), "{table}");
    assert!(table.contains("| generated easy 9×9 | 2 | 1 | 16 |"), "{table}");
    let rows: Vec<serde_json::Value> = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(rows.len(), 4);
    for row in &rows {
        let (exact, verified) = (row["exact"].as_f64().unwrap(), row["verified"].as_f64().unwrap());
        assert!(exact <= verified && verified <= 1.0, "an exact answer is verified: {row}");
    }

    let too_many = trm_refuses(&[&eval[..], &["--attempts", "9"]].concat());
    assert!(too_many.contains("a maze has 8 symmetries, so 1 to 8"), "{too_many}");
    let wrong_side = dir.path().join("big.txt");
    trm(&["generate", "--task", "maze", "--side", "11", "--count", "1", "--out", wrong_side.to_str().unwrap()]);
    let refused = trm_refuses(&["eval", "--weights", weights.to_str().unwrap(), wrong_side.to_str().unwrap()]);
    assert!(refused.contains("line 1: a maze of side 11 where the model reads side 9"), "{refused}");
    // Solve one maze from the file with every symmetry, writing the trace and the animation.
    let (trace, gif) = (dir.path().join("maze.json"), dir.path().join("maze.gif"));
    let solve = ["solve", "--weights", weights.to_str().unwrap(), mazes.to_str().unwrap(), "--attempts", "8"];
    let extra =
        ["--max-steps", "3", "--no-early-exit", "--trace", trace.to_str().unwrap(), "--gif", gif.to_str().unwrap()];
    let printed = stdout(&trm(&[&solve[..], &extra[..]].concat()));
    assert!(
        printed.contains("step 3/3") && printed.contains("8: transposed, rows flipped, columns flipped"),
        "{printed}"
    );
    assert!(printed.contains("solved") && printed.contains("of 8,"), "{printed}");
    let file: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&trace).unwrap()).unwrap();
    assert_eq!(file["question"].as_str().unwrap(), first_question);
    let attempts = file["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 8);
    assert!(attempts.iter().all(|a| a["trace"]["steps"].as_array().unwrap().len() == 3));
    let mut decoder = gif::DecodeOptions::new();
    decoder.set_color_output(gif::ColorOutput::Indexed);
    let mut decoder = decoder.read_info(std::fs::File::open(&gif).unwrap()).unwrap();
    let mut frames = Vec::new();
    while let Some(frame) = decoder.read_next_frame().unwrap() {
        frames.push(trm_sudoku::animation::read_maze(&frame.buffer, frame.width, 9));
    }
    assert_eq!(frames.len(), 1 + 3 * 2, "the maze, then two answer updates per step");
    assert_eq!(frames[0], first_question);
    let chosen = file["chosen"].as_u64().unwrap() as usize;
    assert_eq!(attempts[7]["symmetry"], "transposed, rows flipped, columns flipped");
    assert_eq!(frames.last().unwrap(), attempts[chosen]["answer"].as_str().unwrap(), "the GIF ends on the answer");

    // A Sudoku grid given to the maze model is refused as no maze; a Sudoku-only command
    // refuses the model by name.
    let grid = trm_refuses(&["solve", "--weights", weights.to_str().unwrap(), &".".repeat(81)]);
    assert!(grid.contains("this is a model of maze-9, so the puzzle must be a maze: "), "{grid}");
    let out = dir.path().join("puzzles.json");
    let sudoku = trm_refuses(&["presets", "--weights", weights.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(sudoku.contains("these weights are for maze-9, and this needs a sudoku model"), "{sudoku}");
    let bad_data = trm_refuses(
        &[&train[..], &["--data", "tier:extreme", "--out", dir.path().join("x").to_str().unwrap()]].concat(),
    );
    assert!(bad_data.contains("unknown maze tier \"extreme\""), "{bad_data}");
}

/// `trm eval --weights <shipped> --tiers easy` plus `args`, with `--json`: the table and the rows.
fn eval_shipped(args: &[&str]) -> (String, Vec<serde_json::Value>) {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("eval.json");
    let weights = asset("model.bpk");
    let mut all =
        vec!["eval", "--weights", weights.to_str().unwrap(), "--tiers", "easy", "--json", json.to_str().unwrap()];
    all.extend_from_slice(args);
    let table = stdout(&trm(&all));
    (table, serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap())
}

#[test]
fn eval_reports_budgets_and_attempts_as_tables_and_json() {
    let (table, rows) = eval_shipped(&["--limit", "4", "--budgets", "2,4"]);
    assert!(table.contains("| generated easy | 4 |"), "{table}");
    assert_eq!(rows[0]["budgets"], serde_json::json!([2, 4]));
    assert_eq!(rows[0]["exact_at_budget"].as_array().unwrap().len(), 2);

    let attempts = ["--limit", "3", "--budgets", "4", "--attempts", "1,2"];
    let (table, rows) = eval_shipped(&attempts);
    assert!(table.contains("| generated easy | 3 | 2 |"), "{table}");
    assert_eq!(rows.len(), 2);
    let shipped_config = trm_sudoku::weights::config_from_json(&std::fs::read_to_string(asset("model.json")).unwrap());
    let calls_per_step = shipped_config.unwrap().calls_per_step() as f64;
    for (row, k) in rows.iter().zip([1, 2]) {
        assert_eq!(row["attempts"], k);
        // The shipped model solves these three easy puzzles within 4 steps, with or without
        // the rule check, and every blank cell is right.
        for field in ["exact_verified", "exact_head_only", "blank_cell_accuracy"] {
            assert_eq!(row[field].as_f64(), Some(1.0), "K = {k}: {field}");
        }
        let steps = row["mean_steps_to_verified"].as_f64().unwrap();
        assert!((1.0..=4.0).contains(&steps), "K = {k}: {steps} steps");
    }
    // One attempt stops at its verified step: its calls are exactly steps × calls per step.
    let (steps, calls) =
        (rows[0]["mean_steps_to_verified"].as_f64().unwrap(), rows[0]["net_calls_per_puzzle"].as_f64().unwrap());
    assert!((calls - steps * calls_per_step).abs() < 1e-6, "{calls} calls for {steps} steps");
    // Two attempts verify no later, and cost more calls.
    assert!(rows[1]["mean_steps_to_verified"].as_f64().unwrap() <= steps);
    assert!(rows[1]["net_calls_per_puzzle"].as_f64().unwrap() > calls);

    // `--batch 1` runs the two attempts one row at a time, and measures the same.
    let (_, split) = eval_shipped(&[&attempts[..], &["--batch", "1"]].concat());
    for (a, b) in split.iter().zip(&rows) {
        for field in ["exact_verified", "exact_head_only", "mean_steps_to_verified", "net_calls_per_puzzle"] {
            assert_eq!(a[field], b[field], "{field} with --batch 1");
        }
    }
}

#[test]
fn adaptive_solve_and_eval_tell_what_happened_and_report_calls_and_time() {
    // The fixture of tests/attempts.rs: attempt 0 halts on a wrong answer, its replacement wins.
    let replaced = "...28..3..7..3..5......9...9....514.....7.8...3.........8.932...6......135.8....7";
    let weights = asset("model.bpk");
    let out = stdout(&trm(&["solve", replaced, "--weights", weights.to_str().unwrap(), "--adaptive"]));
    assert!(
        out.contains("solved: 1 of 2 attempts halted on answers that broke a rule; 1 more attempt; attempt 2 of 2 satisfied every rule at its step 2 (90 net calls)"),
        "{out}"
    );
    let (table, rows) = eval_shipped(&["--limit", "3", "--adaptive", "--time-budget", "30"]);
    assert!(table.contains("| generated easy | 3 | 100.0% | 0 |"), "{table}");
    let row = &rows[0];
    assert_eq!(row["exact_verified"].as_f64(), Some(1.0));
    assert_eq!(row["per_puzzle"].as_array().unwrap().len(), 3);
    let calls = row["mean_net_calls"].as_f64().unwrap();
    // Whole supervision steps of 10 net calls each, at least one per puzzle.
    assert!(calls >= 10.0 && ((calls * 3.0).round() as usize).is_multiple_of(10), "{calls} net calls per puzzle");
    assert!(row["p90_ms"].as_f64().unwrap() >= row["p50_ms"].as_f64().unwrap());
    let said = trm_refuses(&["solve", replaced, "--adaptive", "--time-budget", "0"]);
    assert!(said.contains("--time-budget") && said.contains("above 0"), "{said}");
}

/// The puzzle of tests/attempts.rs: attempt 11 of 16 of the shipped model wins at step 4.
const RESCUED: &str = "9..2...8.......16..35.1...9..617....2.4......1.3.5.4......2.9.....4.58....2.3...4";

/// `trm solve RESCUED --weights <shipped> --attempts 16` plus `extra`.
fn solve_rescued(extra: &[&str]) -> std::process::Output {
    let weights = asset("model.bpk");
    let mut args = vec!["solve", RESCUED, "--weights", weights.to_str().unwrap(), "--attempts", "16"];
    args.extend_from_slice(extra);
    trm(&args)
}

#[test]
fn solve_names_the_winning_attempt_and_writes_the_trace() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("trace.json");
    let out = stdout(&solve_rescued(&["--trace", trace.to_str().unwrap()]));
    assert!(
        out.contains("solved: Attempt 11 of 16 satisfied every rule at supervision step 4 (640 net calls)"),
        "{out}"
    );
    assert!(out.contains("✓ satisfies every rule"));
    let recorded: trm_sudoku::trace::SolveTrace =
        serde_json::from_str(&std::fs::read_to_string(&trace).unwrap()).unwrap();
    assert_eq!(recorded.attempts.len(), 16);
    assert_eq!(recorded.outcome.unwrap().selected, 10);
    // A puzzle with two solutions is refused with a clear message.
    let bad = Command::new(env!("CARGO_BIN_EXE_trm")).args(["solve", &".".repeat(81)]).output().unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("more than one solution"));
}

#[test]
fn export_plot_and_presets_work_on_a_small_run() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    trm(&[
        "train",
        "--preset",
        "tiny",
        "--steps",
        "3",
        "--batch-size",
        "2",
        "--eval-every",
        "3",
        "--eval-size",
        "2",
        "--data",
        "mix:easy=1,minimal=1",
        "--out",
        run.to_str().unwrap(),
    ]);
    let config = saved_config(&run);
    assert_eq!(config["data"]["Mixture"]["parts"].as_array().unwrap().len(), 2);

    // Export: weights, config and a manifest whose version is the weights' hash; they load.
    let out = dir.path().join("web").join("model.bpk");
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    trm(&["export", "--from", run.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.with_file_name("manifest.json")).unwrap()).unwrap();
    let bytes = std::fs::read(&out).unwrap();
    assert_eq!(manifest["bytes"].as_u64().unwrap() as usize, bytes.len());
    assert_eq!(manifest["version"].as_str().unwrap(), format!("{:016x}", trm_sudoku::data::fnv1a(&bytes)));
    // The exported weights are the run's EMA weights, in f16: the same values within half precision.
    let device = burn::prelude::Device::flex();
    let (_, exported) = trm_sudoku::weights::load(&out, &device).unwrap();
    let (_, ema) = trm_sudoku::weights::load(&run.join("ema.bpk"), &device).unwrap();
    assert_eq!(manifest["parameters"].as_u64().unwrap() as usize, burn::module::Module::num_params(&ema));
    let values = |m: &trm_sudoku::Trm| -> Vec<f32> {
        m.blocks[0].mlp.down.weight.val().into_data().convert::<f32>().try_to_vec().unwrap()
    };
    let (exported, ema) = (values(&exported), values(&ema));
    assert_eq!(exported.len(), ema.len());
    assert!(exported.iter().zip(&ema).all(|(x, y)| (x - y).abs() <= 1e-3 * y.abs().max(1e-2)));
    let solved = stdout(&trm(&[
        "solve",
        "4.....8.5.3..........7......2.....6.....8.4......1.......6.3.7.5..2.....1.4......",
        "--weights",
        out.to_str().unwrap(),
        "--max-steps",
        "2",
    ]));
    assert!(solved.contains("step 1/2"), "{solved}");

    // Plot: a PNG of the run's metrics.
    let png = dir.path().join("training.png");
    trm(&["plot", "--metrics", run.join("metrics.jsonl").to_str().unwrap(), "--out", png.to_str().unwrap()]);
    assert_eq!(&std::fs::read(&png).unwrap()[..8], b"\x89PNG\r\n\x1a\n");

    // Presets: samples per tier, those the model solves first, and fixtures with solutions.
    let presets = dir.path().join("puzzles.json");
    std::fs::copy(asset("puzzles.json"), &presets).unwrap();
    let fixtures = dir.path().join("fixtures.json");
    std::fs::write(&fixtures, "{\"extreme\": \"kept\"}").unwrap();
    trm(&[
        "presets",
        "--weights",
        asset("model.bpk").to_str().unwrap(),
        "--out",
        presets.to_str().unwrap(),
        "--candidates",
        "3",
        "--keep",
        "2",
        "--fixtures",
        fixtures.to_str().unwrap(),
    ]);
    let written: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&presets).unwrap()).unwrap();
    for tier in ["easy", "medium", "hard"] {
        assert_eq!(written[tier].as_array().unwrap().len(), 2, "{tier}");
    }
    let fixtures: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&fixtures).unwrap()).unwrap();
    assert_eq!(fixtures["extreme"], "kept");
    let first = &fixtures["easy"][0];
    let puzzle = trm_sudoku::Grid::parse(first["puzzle"].as_str().unwrap()).unwrap();
    let solution = trm_sudoku::Grid::parse(first["solution"].as_str().unwrap()).unwrap();
    assert!(solution.check_solves(&puzzle).is_ok());
}

#[test]
fn a_new_leg_restarts_the_schedule_on_new_data() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    let common = first_leg(&run, "2");
    let common: Vec<&str> = common.iter().map(String::as_str).collect();
    // Leg 2: steps 3-6 on a mixture, warming up again from step 2.
    trm(&[&["train", "--steps", "6", "--new-leg", "--data", "mix:hard=1,minimal=1"][..], &common[..]].concat());
    let config = saved_config(&run);
    assert_eq!(config["schedule_start"], 2);
    assert!(config["data"]["Mixture"].is_object());
    let steps = logged_steps(&run);
    // Warm-up of 2 steps in each leg: half the rate at the first step of each.
    assert!((steps[0].1 - 5e-4).abs() < 1e-12 && (steps[2].1 - 5e-4).abs() < 1e-12, "{steps:?}");
    assert!((steps[3].1 - 1e-3).abs() < 1e-12, "{steps:?}");
}

#[test]
fn solve_exports_an_animation_that_decodes_and_ends_on_the_answer() {
    let dir = tempfile::tempdir().unwrap();
    let gif_path = dir.path().join("solve.gif");
    let trace_path = dir.path().join("solve.json");
    solve_rescued(&["--gif", gif_path.to_str().unwrap(), "--trace", trace_path.to_str().unwrap()]);
    let recorded: trm_sudoku::trace::SolveTrace =
        serde_json::from_str(&std::fs::read_to_string(&trace_path).unwrap()).unwrap();
    let winner = &recorded.attempts[recorded.outcome.unwrap().selected].trace;
    let updates = winner
        .steps
        .iter()
        .flat_map(|s| s.calls.iter())
        .filter(|c| c.kind == trm_sudoku::trace::CallKind::Answer)
        .count();

    let bytes = std::fs::read(&gif_path).unwrap();
    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::Indexed);
    let mut decoder = options.read_info(bytes.as_slice()).unwrap();
    let mut grids = Vec::new();
    while let Some(frame) = decoder.read_next_frame().unwrap() {
        grids.push(trm_sudoku::animation::read_grid(&frame.buffer, frame.width));
    }
    assert_eq!(grids.len(), 1 + updates, "the puzzle, then one frame per answer update");
    let puzzle = trm_sudoku::Grid::parse(RESCUED).unwrap();
    assert_eq!(grids[0], puzzle);
    assert_eq!(Some(grids[grids.len() - 1]), recorded.final_answer());
    assert!(grids[grids.len() - 1].check_solves(&puzzle).is_ok());
}

/// Runs `trm` expecting it to refuse its arguments; returns what it said.
fn trm_refuses(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_trm")).args(args).output().expect("trm runs");
    assert!(!output.status.success(), "trm {args:?} should have failed");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn out_of_range_arguments_are_refused_with_their_range() {
    let puzzle = "4.....8.5.3..........7......2.....6.....8.4......1.......6.3.7.5..2.....1.4......";
    for (args, names) in [
        (vec!["solve", puzzle, "--attempts", "0"], ["--attempts", "from 1 to 256"]),
        (vec!["solve", puzzle, "--attempts", "100000"], ["--attempts", "from 1 to 256"]),
        (vec!["solve", puzzle, "--max-steps", "0"], ["--max-steps", "≥ 1"]),
        (vec!["solve", puzzle, "--noise=-0.3"], ["--noise", "σ ≥ 0"]),
        (vec!["solve", puzzle, "--noise", "-0.3"], ["--noise", "σ ≥ 0"]),
        (vec!["solve", puzzle, "--attempts", "-4"], ["--attempts", "from 1 to 256"]),
        (vec!["solve", puzzle, "--noise", "NaN"], ["--noise", "σ ≥ 0"]),
        (vec!["eval", "--tiers", "easy", "--budgets", "16,0"], ["--budgets", "≥ 1"]),
        (vec!["eval", "--tiers", "easy", "--attempts", "1,4,0"], ["--attempts", "from 1 to 256"]),
        (vec!["eval", "--tiers", "easy", "--batch", "0"], ["--batch", "≥ 1"]),
        (vec!["eval", "--tiers", "easy", "--threshold", "1.5"], ["--threshold", "from 0 to 1"]),
    ] {
        let said = trm_refuses(&args);
        for name in names {
            assert!(said.contains(name), "trm {args:?} said {said:?}, which does not mention {name:?}");
        }
    }
}

//! The web page: watch a Tiny Recursive Model solve Sudoku, on WebGPU or the CPU.
//!
//! The model runs in a worker (the `trm-worker` crate, `worker/`); this page runs no model
//! code. Module map: [`state`] (reactive state), [`bridge`] (requests to the
//! worker, its events into signals), [`app`] (page layout and controls), [`grid_view`],
//! [`attempts_view`] (the K parallel attempts), [`latent_view`] (the latent map), [`charts`],
//! [`finetune`] (the Train panel), [`platform`] and [`idb`] (browser plumbing), [`presets`]
//! (sample puzzles).

mod app;
mod attempts_view;
mod bridge;
mod charts;
mod embed_dialog;
mod finetune;
mod grid_view;
mod idb;
mod latent_view;
mod maze_view;
mod platform;
mod presets;
mod state;

use leptos::prelude::*;
use trm_puzzle::sudoku::generator::Tier;
use trm_puzzle::sudoku::grid::Grid;
use trm_trace::attempts::{ATTEMPT_CHOICES, DEFAULT_ADAPTIVE_BUDGET_S, MAX_ADAPTIVE_BUDGET_S, MAZE_ATTEMPT_CHOICES};
use trm_trace::protocol::BackendChoice;
use wasm_bindgen::JsCast;

use crate::state::{AppState, EmbedOptions};

fn main() {
    install_panic_overlay();
    let embed = EmbedOptions {
        embed: platform::query_param("embed").is_some_and(|v| v != "0") || embedded_page(),
        minimal_controls: platform::query_param("controls").is_some_and(|v| v == "min"),
        autoplay: platform::query_param("autoplay").is_some_and(|v| v == "1" || v == "true"),
        fixed_height: platform::query_param("height").is_some_and(|v| v == "fixed"),
    };
    if let Some(theme) = platform::query_param("theme")
        && let Some(root) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element())
    {
        let _ = root.set_attribute("data-theme", &theme);
    }
    let fallback = presets::presets(Tier::Easy).first().and_then(|s| Grid::parse(s).ok()).unwrap_or_default();
    let (puzzle, bad_param) = match platform::query_param("s") {
        Some(s) => match Grid::parse(&s) {
            Ok(grid) => (grid, None),
            Err(e) => (fallback, Some(format!("The puzzle in the link is not valid ({e}); showing a sample instead."))),
        },
        None => (fallback, None),
    };
    // `?task=maze` shows the maze page; `?m=` carries its maze.
    let (maze_page, bad_task) = match platform::query_param("task").as_deref().map(str::trim) {
        None | Some("") | Some("sudoku") => (false, None),
        Some("maze") => (true, None),
        Some(other) => (false, Some(format!("The link's task {other:?} is not sudoku or maze; showing Sudoku."))),
    };
    // K from the link, rounded down to one the page offers (the maze page: one per symmetry).
    let choices: &[usize] = if maze_page { &MAZE_ATTEMPT_CHOICES } else { &ATTEMPT_CHOICES };
    let (attempts, bad_k) = parse_attempts(platform::query_param("k"), choices);
    let (backend_choice, bad_backend) = match platform::query_param("backend") {
        Some(text) => match BackendChoice::parse(&text) {
            Some(choice) => (choice, None),
            None => (
                BackendChoice::Auto,
                Some(format!("backend={text} in the link is not cpu, webgpu or auto; measuring both instead.")),
            ),
        },
        None => (BackendChoice::Auto, None),
    };
    let (adaptive_budget, bad_budget) = match platform::query_param("budget") {
        Some(text) => match text.trim() {
            "off" | "0" => (None, None),
            t => match t.parse::<f64>() {
                Ok(seconds) if seconds.is_finite() && seconds > 0.0 && seconds <= MAX_ADAPTIVE_BUDGET_S => {
                    (Some(seconds), None)
                }
                _ => (
                    Some(DEFAULT_ADAPTIVE_BUDGET_S),
                    Some(format!(
                        "budget={text} in the link is not a number of seconds (above 0, at most {MAX_ADAPTIVE_BUDGET_S}) or off; using {DEFAULT_ADAPTIVE_BUDGET_S} s."
                    )),
                ),
            },
        },
        None => (Some(DEFAULT_ADAPTIVE_BUDGET_S), None),
    };
    let (maze_from_link, bad_maze) = match platform::query_param("m") {
        Some(text) if maze_page => match trm_puzzle::maze::Maze::parse_question(&text) {
            Ok(maze) => (Some(maze), None),
            Err(e) => (None, Some(format!("The link's maze (m) is not a maze ({e}); showing a new one."))),
        },
        _ => (None, None),
    };
    let maze = maze_view::MazeState::new(maze_page, maze_from_link, attempts);
    let state = AppState::new(puzzle, embed, attempts, backend_choice, adaptive_budget, maze);
    // Every bad parameter is named, in one notice.
    let problems: Vec<String> =
        [bad_param, bad_k, bad_backend, bad_budget, bad_task, bad_maze].into_iter().flatten().collect();
    if !problems.is_empty() {
        state.say(true, problems.join(" "));
    }
    let finetune = finetune::FineTuneState::new();
    let engine = bridge::start(state, finetune);
    let mount = move || {
        provide_context(state);
        provide_context(finetune);
        provide_context(engine);
        view! { <app::App/> }
    };
    if embed.embed && !embed.fixed_height {
        platform::report_height_to_host();
    }
    match web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("trm-root"))
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
    {
        Some(root) => leptos::mount::mount_to(root, mount).forget(),
        None => leptos::mount::mount_to_body(mount),
    }
}

/// K from the link's `k`, rounded down to one of `choices` (ascending), with a notice when it
/// is not one of them.
fn parse_attempts(k: Option<String>, choices: &[usize]) -> (Option<usize>, Option<String>) {
    let Some(k) = k else { return (None, None) };
    let offered = offered_attempts(choices);
    match k.trim().parse::<usize>() {
        Ok(n) if choices.contains(&n) => (Some(n), None),
        Ok(n) if n >= 1 => {
            let used = choices.iter().copied().filter(|&c| c <= n).max().unwrap_or(1);
            (
                Some(used),
                Some(format!("k={k} in the link is not one of the offered attempts ({offered}); using {used}.")),
            )
        }
        _ => (None, Some(format!("k={k} in the link is not a number of attempts ({offered}); using the default."))),
    }
}

/// "1, 4, 8, 16, 32 or 64".
fn offered_attempts(choices: &[usize]) -> String {
    let choices: Vec<String> = choices.iter().map(|k| k.to_string()).collect();
    match choices.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => choices.join(""),
    }
}

/// `embed.html` marks its root element with `data-embed="1"`.
fn embedded_page() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
        .and_then(|e| e.get_attribute("data-embed"))
        .is_some_and(|v| v == "1")
}

/// A panic in wasm stops the module: tell the user plainly instead of leaving a frozen page.
fn install_panic_overlay() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        show_crash_overlay();
    }));
}

/// Says that the page (or its model worker) stopped and needs a reload.
fn show_crash_overlay() {
    if let Some(document) = web_sys::window().and_then(|w| w.document())
        && let (Ok(div), Some(body)) = (document.create_element("div"), document.body())
    {
        div.set_class_name("crash");
        div.set_attribute("role", "alert").ok();
        div.set_text_content(Some(
            "Something went wrong inside the model runtime and the page stopped. Reload to start again.",
        ));
        let _ = body.append_child(&div);
    }
}

//! The maze model: loaded on the CPU only when the page asks (a visitor who stays on Sudoku
//! never downloads it), and maze solves recorded for the page to play back.

use burn::prelude::*;
use trm_sudoku::maze_inference::{MAX_MAZE_ATTEMPTS, solve_maze_traced};
use trm_sudoku::model::Trm;
use trm_sudoku::protocol::{Event, WeightsFile};
use trm_sudoku::task::Task;
use trm_sudoku::trm_puzzle::maze::Maze;
use trm_sudoku::weights;

use super::{Inbox, Outbox};
use crate::runtime::now_ms;
use trm_sudoku::protocol::{EngineStatus, Request};

/// The engine of the maze page: the maze model alone, on the CPU, until the page goes away.
pub async fn run_alone(mut inbox: Inbox, out: Outbox, file: WeightsFile) {
    let mut model = load(&file, &out);
    out.send(Event::Status(EngineStatus::Ready));
    while let Some(request) = inbox.next().await {
        match request {
            Request::LoadMaze { model: file } => model = load(&file, &out).or(model),
            Request::SolveMaze { maze, attempts, max_steps } => {
                out.send(Event::Status(EngineStatus::Solving));
                solve(model.as_ref(), &out, &maze, attempts, max_steps).await;
                out.send(Event::Status(EngineStatus::Ready));
            }
            Request::Stop => {}
            _ => out.say(true, "This page runs the maze model only; open it without ?task=maze for Sudoku."),
        }
    }
}

/// The maze model, validated: a maze task and weights that fit it.
pub fn load(file: &WeightsFile, out: &Outbox) -> Option<Trm> {
    let loaded = weights::config_from_json(&file.config_json).and_then(|config| {
        let Task::Maze { side } = config.task() else {
            return Err(weights::WeightsError::WrongTask { found: config.task().name(), wanted: "maze".into() });
        };
        let model = weights::from_bytes(&config, &file.bytes, &Device::flex())?;
        Ok((model, side))
    });
    match loaded {
        Ok((model, side)) => {
            out.send(Event::MazeReady { side, parameters: model.num_params() });
            Some(model)
        }
        Err(e) => {
            out.send(Event::MazeFailed(format!("The maze model could not load: {e}")));
            None
        }
    }
}

/// Solves `maze` and sends the recording, or says why it could not.
pub async fn solve(model: Option<&Trm>, out: &Outbox, maze: &str, attempts: usize, max_steps: usize) {
    let Some(model) = model else {
        return out.send(Event::MazeFailed("The maze model is not loaded yet.".into()));
    };
    let question = match Maze::parse_question(maze) {
        Ok(question) => question,
        Err(e) => return out.send(Event::MazeFailed(format!("That is not a maze: {e}"))),
    };
    let attempts = attempts.clamp(1, MAX_MAZE_ATTEMPTS);
    let start = now_ms();
    match solve_maze_traced(model, &question, attempts, max_steps.clamp(1, 64), true).await {
        Ok(traced) => out.send(Event::MazeSolved(traced.report(&question, now_ms() - start, false))),
        Err(e) => out.send(Event::MazeFailed(format!("The maze solve failed: {e}"))),
    }
}

//! The maze page (`?task=maze`): the same recursion on a second puzzle. The maze model is
//! fetched only here; the worker solves with attempts over the square's symmetries and sends
//! the recording, which this page plays back tile by tile. Click a tile to edit the maze with
//! the chosen tool (wall, S or G).

use leptos::prelude::*;
use trm_puzzle::maze::{Maze, MazeGenerator, MazeTier, Tile, shortest_paths, solve};
use trm_trace::attempts::{MAZE_ATTEMPT_CHOICES, group_thousands};
use trm_trace::maze_playback::{maze_story, tile_views};
use trm_trace::playback::{halt_series, label, locate, norm_series, state_moves};
use trm_trace::protocol::{Backend, MazeReport, Request};
use trm_trace::trace::RecursionTrace;

use crate::bridge::EngineHandle;
use crate::charts::{LineChart, Series};
use crate::platform::{download_typed, now_ms, set_query_param};
use crate::state::AppState;
use trm_trace::animation::{AnimationOptions, encode_maze_gif, frame_count};

/// Where the maze model stands.
#[derive(Debug, Clone, PartialEq)]
pub enum MazeModelStatus {
    /// Not asked for (a Sudoku visitor).
    NotLoaded,
    /// Downloading or loading in the worker.
    Loading,
    /// Ready for mazes of this side.
    Ready {
        /// Tiles per row.
        side: usize,
        /// Parameters of the model.
        parameters: usize,
    },
    /// It could not load; the text says why.
    Failed(String),
}

/// What an editing click does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MazeTool {
    /// Toggle a wall.
    Wall,
    /// Move the start here.
    Start,
    /// Move the goal here.
    Goal,
}

/// The maze page's reactive state (part of [`AppState`]).
#[derive(Clone, Copy)]
pub struct MazeState {
    /// The page shows the maze (`?task=maze`).
    pub active: bool,
    /// The model's state.
    pub model: RwSignal<MazeModelStatus>,
    /// The manifest's note on the model, if it has one.
    pub note: RwSignal<Option<String>>,
    /// The maze being edited or solved; `None` until the model says which side it reads.
    pub question: RwSignal<Option<Maze>>,
    /// A maze from the link (`?m=`), used once the model is ready if its side fits.
    pub from_link: RwSignal<Option<Maze>>,
    /// The last solve.
    pub report: RwSignal<Option<MazeReport>>,
    /// The attempt the board and charts follow; `None`: the chosen one.
    pub followed: RwSignal<Option<usize>>,
    /// A solve is running.
    pub solving: RwSignal<bool>,
    /// K: attempts per solve (1 to 8).
    pub attempts: RwSignal<usize>,
    /// The tier of new mazes.
    pub tier: RwSignal<MazeTier>,
    /// Mazes generated so far (the next one's index).
    pub generated: RwSignal<u64>,
    /// The editing tool.
    pub tool: RwSignal<MazeTool>,
    /// The replay cursor over the shown attempt's net calls.
    pub playback: RwSignal<trm_trace::playback::Playback>,
    /// The followed attempt's recording, if the solve was of the maze now on the board: kept
    /// once, so the board and charts read it at every playback tick without copying it.
    pub shown_trace: Memo<Option<RecursionTrace>>,
}

impl MazeState {
    /// Fresh state; `active` when the link asks for the maze, `from_link` its `?m=` maze and
    /// `attempts` its K (`?k=`, at most 8: a maze has 8 symmetries).
    pub fn new(active: bool, from_link: Option<Maze>, attempts: Option<usize>) -> Self {
        let question = RwSignal::new(None::<Maze>);
        let report = RwSignal::new(None::<MazeReport>);
        let followed = RwSignal::new(None::<usize>);
        let shown_trace = Memo::new(move |_| {
            let question = question.get()?;
            let followed = followed.get();
            report.with(|r| {
                let r = r.as_ref().filter(|r| r.question == question.to_line())?;
                r.attempts.get(followed.unwrap_or(r.chosen)).map(|a| a.trace.clone())
            })
        });
        Self {
            active,
            model: RwSignal::new(MazeModelStatus::NotLoaded),
            note: RwSignal::new(None),
            question,
            from_link: RwSignal::new(from_link),
            report,
            followed,
            solving: RwSignal::new(false),
            attempts: RwSignal::new(attempts.unwrap_or(4)),
            tier: RwSignal::new(MazeTier::Medium),
            generated: RwSignal::new(0),
            tool: RwSignal::new(MazeTool::Wall),
            playback: RwSignal::new(trm_trace::playback::Playback::new(40.0)),
            shown_trace,
        }
    }

    /// The model is ready for mazes of `side`: shows the link's maze if it fits, else a new one.
    pub fn ready(&self, side: usize, parameters: usize) {
        self.model.set(MazeModelStatus::Ready { side, parameters });
        if self.question.get_untracked().is_some_and(|q| q.side() == side) {
            return;
        }
        match self.from_link.get_untracked().filter(|m| m.side() == side) {
            Some(maze) => self.set_question(maze),
            None => self.new_maze(side),
        }
    }

    /// A new generated maze of the chosen tier.
    pub fn new_maze(&self, side: usize) {
        let index = self.generated.get_untracked();
        self.generated.set(index + 1);
        // A seed from the clock, so a reload shows other mazes; the link keeps the one shown.
        let seed = now_ms().to_bits();
        let (question, _) = MazeGenerator::new(seed).generate(side, self.tier.get_untracked(), index);
        self.set_question(question);
    }

    /// Replaces the maze and drops the old solve.
    pub fn set_question(&self, maze: Maze) {
        set_query_param("m", Some(&maze.to_line()));
        self.question.set(Some(maze));
        self.report.set(None);
        self.playback.update(|p| {
            p.pause();
            p.set_total(0);
        });
    }

    /// Asks the worker to solve the maze on the board.
    pub fn solve(&self, engine: EngineHandle) {
        let Some(question) = self.question.get_untracked() else { return };
        self.solving.set(true);
        self.playback.update(|p| {
            p.pause();
            p.set_total(0);
        });
        engine.send(Request::SolveMaze {
            maze: question.to_line(),
            attempts: self.attempts.get_untracked(),
            max_steps: 16,
        });
    }

    /// A recording arrived: play the shown attempt from the start.
    pub fn solved(&self, report: MazeReport) {
        let calls = report.shown().map(|a| a.trace.call_count()).unwrap_or(0);
        self.followed.set(None);
        self.report.set(Some(report));
        self.solving.set(false);
        self.playback.update(|p| {
            p.set_total(calls);
            p.seek(0);
            p.play();
        });
    }

    /// Follows attempt `index` (0-based): the board and charts replay it from its start.
    pub fn follow(&self, index: usize) {
        let calls = self.report.with_untracked(|r| r.as_ref()?.attempts.get(index).map(|a| a.trace.call_count()));
        let Some(calls) = calls else { return };
        self.followed.set(Some(index));
        self.playback.update(|p| {
            p.set_total(calls);
            p.seek(0);
            p.play();
        });
    }

    /// [`MazeState::trace`] without tracking.
    fn trace_untracked(&self) -> Option<RecursionTrace> {
        untrack(|| self.trace())
    }

    /// The followed attempt's recording ([`MazeState::shown_trace`]), copied.
    fn trace(&self) -> Option<RecursionTrace> {
        self.shown_trace.get()
    }

    /// `f` of the followed attempt's recording, without copying it.
    fn with_trace<T>(&self, f: impl FnOnce(&RecursionTrace) -> T) -> Option<T> {
        self.shown_trace.with(|t| t.as_ref().map(f))
    }
}

/// The maze page.
#[component]
pub fn MazeApp() -> impl IntoView {
    let state = expect_context::<AppState>();
    let engine = expect_context::<EngineHandle>();
    let maze = state.maze;
    if maze.model.get_untracked() == MazeModelStatus::NotLoaded {
        maze.model.set(MazeModelStatus::Loading);
        crate::bridge::load_maze_model(state, engine);
    }
    crate::app::run_playback_clock(&state, maze.playback);
    // An embed with autoplay solves the first maze as soon as the model is ready.
    if state.embed.autoplay {
        let started = std::cell::Cell::new(false);
        Effect::new(move |_| {
            if matches!(maze.model.get(), MazeModelStatus::Ready { .. }) && !started.replace(true) {
                maze.solve(engine);
            }
        });
    }
    let embed = state.embed.embed;
    let status_attr = move || match maze.model.get() {
        MazeModelStatus::NotLoaded | MazeModelStatus::Loading => "loading",
        MazeModelStatus::Ready { .. } if maze.solving.get() => "solving",
        MazeModelStatus::Ready { .. } => "ready",
        MazeModelStatus::Failed(_) => "failed",
    };
    let (kernels_attr, warm_attempts_attr) = crate::app::kernel_attributes(state);
    view! {
        <div class="app maze-page" data-task="maze" data-maze-status=status_attr data-kernels=kernels_attr
            data-warm-attempts=warm_attempts_attr>
            <Show when=move || !embed>
                <header>
                    <crate::app::TaskSwitch/>
                    <h1>"Watch a Tiny Recursive Model solve a maze"</h1>
                    <p class="lede">
                        "The same tiny network as the Sudoku, trained on mazes: from the maze "<b>"x"</b>
                        " it refines a latent "<b>"z"</b>", then its answer "<b>"y"</b>
                        ", the tiles of the path from S to G, call after call."
                    </p>
                </header>
            </Show>
            <MazeModelLine/>
            {move || state.notice.get().map(|n| view! {
                <p class=if n.error { "notice error" } else { "notice" } role=if n.error { "alert" } else { "status" }>
                    {n.text}
                    <button type="button" class="close" aria-label="Dismiss" on:click=move |_| state.notice.set(None)>"×"</button>
                </p>
            })}
            <main>
                <section class="board" aria-label="Maze and playback">
                    <MazeBoard/>
                    <MazeVerdict/>
                    <MazeControls/>
                    <MazeStory/>
                    <MazeAttempts/>
                </section>
                <section class="side" aria-label="Charts">
                    <MazeCharts/>
                </section>
            </main>
            <Show when=move || !embed>
                <crate::finetune::TrainPanel/>
            </Show>
            <footer class:visually-hidden=embed>
                <p>
                    "Model: TRM (Jolicoeur-Martineau, 2025, "
                    <a href="https://arxiv.org/abs/2510.04871">"arXiv 2510.04871"</a>
                    "), trained on generated mazes with this project's own code; see "
                    <a href="assets/maze/MODEL.md">"the maze model's card"</a>"."
                </p>
            </footer>
        </div>
    }
}

/// The model's loading state, in words.
#[component]
fn MazeModelLine() -> impl IntoView {
    let state = expect_context::<AppState>();
    let maze = state.maze;
    move || match maze.model.get() {
        MazeModelStatus::NotLoaded | MazeModelStatus::Loading => {
            view! { <p class="status">"Loading the maze model…"</p> }.into_any()
        }
        MazeModelStatus::Ready { side, parameters } => {
            let backend = state.backend.get().unwrap_or(Backend::Cpu);
            // Why this backend (measured figures, or what the link asked), not in the widget.
            let why = state.backend_note.get().filter(|_| !state.embed.embed);
            view! {
                <p class="status ready" id="maze-model" data-backend=backend.name()>
                    {format!(
                        "Maze model ready: {side} × {side} mazes, {} parameters, on {}.",
                        group_thousands(parameters),
                        backend.label()
                    )}
                    {maze.note.get().map(|note| view! { " " <span class="model-note" id="maze-model-note">{note}</span> })}
                </p>
                {why.map(|why| view! { <p class="note" id="maze-backend-note">{why}</p> })}
            }
            .into_any()
        }
        MazeModelStatus::Failed(why) => {
            view! { <p class="status error" role="alert">"The maze model could not load: " {why}</p> }.into_any()
        }
    }
}

/// The tiles: walls, S, G, the model's path shaded by its probability, changed tiles outlined.
#[component]
fn MazeBoard() -> impl IntoView {
    let state = expect_context::<AppState>();
    let maze = state.maze;
    let views = Memo::new(move |_| {
        let question = maze.question.get()?;
        let position = maze.playback.with(|p| p.position());
        let views = maze.with_trace(|trace| tile_views(trace, &question, position)).unwrap_or_else(|| {
            let bare = RecursionTrace {
                puzzle: question.to_line(),
                latent_updates: 0,
                cycles: 0,
                steps: Vec::new(),
                halted_at: None,
            };
            tile_views(&bare, &question, position)
        });
        Some((question.side(), views))
    });
    let edit_with = move |tool: MazeTool, tile: usize| {
        let Some(mut question) = maze.question.get_untracked() else { return };
        if maze.solving.get_untracked() {
            return;
        }
        let changed = match tool {
            MazeTool::Wall => question.toggle_wall(tile),
            MazeTool::Start => question.move_start(tile),
            MazeTool::Goal => question.move_goal(tile),
        };
        if !changed {
            return;
        }
        maze.set_question(question);
    };
    let edit = move |tile: usize| edit_with(maze.tool.get_untracked(), tile);
    // S or G held by the pointer: it follows the pointer from tile to tile, whatever the tool.
    let dragging = RwSignal::new(None::<MazeTool>);
    let drag_over = move |ev: web_sys::PointerEvent| {
        let Some(tool) = dragging.get_untracked() else { return };
        if ev.buttons() & 1 == 0 {
            // Released outside the board.
            return dragging.set(None);
        }
        if let Some(tile) = tile_under(ev.client_x(), ev.client_y()) {
            edit_with(tool, tile);
        }
    };
    move || {
        views.get().map(|(side, views)| {
            let tiles = views
                .into_iter()
                .enumerate()
                .map(|(tile, v)| {
                    let kind = match v.tile {
                        Tile::Wall => "wall",
                        Tile::Start => "start",
                        Tile::Goal => "goal",
                        Tile::Open | Tile::Path => "open",
                    };
                    let text = match v.tile {
                        Tile::Start => "S",
                        Tile::Goal => "G",
                        _ => "",
                    };
                    view! {
                        <button type="button" class=format!("tile {kind}") data-tile=tile
                            class:path=v.marked class:changed=v.changed
                            style:--p=format!("{:.3}", v.path_probability)
                            aria-label=format!("row {} column {}: {kind}{}", tile / side + 1, tile % side + 1,
                                if v.marked { ", on the model's path" } else { "" })
                            on:pointerdown=move |_| dragging.set(match v.tile {
                                Tile::Start => Some(MazeTool::Start),
                                Tile::Goal => Some(MazeTool::Goal),
                                _ => None,
                            })
                            on:click=move |_| edit(tile)>{text}</button>
                    }
                })
                .collect_view();
            view! {
                <div class="maze" id="maze" role="grid" aria-label="Maze" data-side=side
                    style:grid-template-columns=format!("repeat({side}, 1fr)")
                    on:pointermove=drag_over
                    on:pointerup=move |_| dragging.set(None)
                    on:pointercancel=move |_| dragging.set(None)>
                    {tiles}
                </div>
            }
        })
    }
}

/// The maze tile at a point of the viewport, if there is one: found by position, since a touch
/// keeps sending its events to the tile where it began.
fn tile_under(x: i32, y: i32) -> Option<usize> {
    let element = web_sys::window()?.document()?.element_from_point(x as f32, y as f32)?;
    element.closest("#maze .tile").ok()??.get_attribute("data-tile")?.parse().ok()
}

/// What the exact solver says about the maze: one shortest path, several, or none.
#[component]
fn MazeVerdict() -> impl IntoView {
    let maze = expect_context::<AppState>().maze;
    move || {
        maze.question.get().map(|q| match solve(&q) {
            Ok(answer) => view! {
                <p class="verdict ok" id="maze-verdict">
                    {format!("One shortest path: {} moves.", answer.path_cells() + 1)}
                </p>
            }
            .into_any(),
            Err(e) => view! { <p class="verdict error" role="alert" id="maze-verdict">{e.to_string()}</p> }.into_any(),
        })
    }
}

/// New maze, solve, K, the editing tool, and playback.
#[component]
fn MazeControls() -> impl IntoView {
    let state = expect_context::<AppState>();
    let engine = expect_context::<EngineHandle>();
    let maze = state.maze;
    let ready = move || matches!(maze.model.get(), MazeModelStatus::Ready { .. }) && !maze.solving.get();
    let side = move || match maze.model.get() {
        MazeModelStatus::Ready { side, .. } => Some(side),
        _ => None,
    };
    let solve_maze = move |_| {
        let Some(question) = maze.question.get_untracked() else { return };
        maze.solving.set(true);
        maze.playback.update(|p| {
            p.pause();
            p.set_total(0);
        });
        engine.send(Request::SolveMaze {
            maze: question.to_line(),
            attempts: maze.attempts.get_untracked(),
            max_steps: 16,
        });
    };
    let total = move || maze.playback.with(|p| p.total());
    let where_label = move || {
        let position = maze.playback.with(|p| p.position());
        maze.with_trace(|t| label(t, position, 16)).unwrap_or_else(|| "not started".into())
    };
    view! {
        <div class="controls">
            <div class="buttons">
                <button type="button" id="maze-solve" class="primary" disabled=move || !ready() on:click=solve_maze>
                    {move || if maze.solving.get() { "Solving…" } else { "Solve" }}
                </button>
                <label>"Attempts "
                    <select id="maze-attempts" on:change:target=move |ev| {
                        if let Ok(k) = ev.target().value().parse::<usize>() { maze.attempts.set(k.clamp(1, 8)); }
                    }>
                        {MAZE_ATTEMPT_CHOICES.into_iter().map(|k| view! {
                            <option value=k.to_string() selected=move || maze.attempts.get() == k>{k.to_string()}</option>
                        }).collect_view()}
                    </select>
                </label>
                <button type="button" id="maze-new" disabled=move || !ready()
                    on:click=move |_| if let Some(side) = side() { maze.new_maze(side) }>"New maze"</button>
                <label>"Tier "
                    <select id="maze-tier" on:change:target=move |ev| {
                        if let Ok(tier) = ev.target().value().parse::<MazeTier>() { maze.tier.set(tier); }
                    }>
                        {MazeTier::ALL.into_iter().map(|t| view! {
                            <option value=t.name() selected=move || maze.tier.get() == t>{t.name()}</option>
                        }).collect_view()}
                    </select>
                </label>
            </div>
            <div class="buttons" role="radiogroup" aria-label="Editing tool">
                <span class="muted">"Click a tile to "</span>
                {[(MazeTool::Wall, "toggle a wall", "tool-wall"), (MazeTool::Start, "move S", "tool-start"), (MazeTool::Goal, "move G", "tool-goal")]
                    .into_iter()
                    .map(|(tool, text, id)| view! {
                        <button type="button" id=id role="radio" aria-checked=move || (maze.tool.get() == tool).to_string()
                            class:active=move || maze.tool.get() == tool
                            on:click=move |_| maze.tool.set(tool)>{text}</button>
                    })
                    .collect_view()}
                <span class="muted">"(or drag S or G with any tool)"</span>
            </div>
            <div class="buttons">
                <button type="button" id="maze-play" disabled=move || total() == 0
                    on:click=move |_| maze.playback.update(|p| p.toggle())>
                    {move || if maze.playback.with(|p| p.is_playing()) { "Pause" } else { "Play" }}
                </button>
                <button type="button" disabled=move || total() == 0 aria-label="Step back"
                    on:click=move |_| maze.playback.update(|p| p.step_back())>"◀"</button>
                <button type="button" disabled=move || total() == 0 aria-label="Step forward"
                    on:click=move |_| maze.playback.update(|p| p.step_forward())>"▶"</button>
                <button type="button" id="maze-gif" disabled=move || total() == 0
                    on:click=move |_| download_maze_animation(&state)>"Download animation"</button>
            </div>
            <crate::app::Scrubber where_label=Signal::derive(where_label) playback=maze.playback id="maze-scrub"/>
            <p class="where" id="maze-where">{where_label}</p>
        </div>
    }
}

/// Every attempt of the last solve (its symmetry and verdict): click one to replay it.
#[component]
fn MazeAttempts() -> impl IntoView {
    let maze = expect_context::<AppState>().maze;
    move || {
        let question = maze.question.get()?.to_line();
        let followed = maze.followed.get();
        maze.report.with(|r| {
            let r = r.as_ref().filter(|r| r.question == question && r.attempts.len() > 1)?;
            let shown = followed.unwrap_or(r.chosen);
            let items = r
                .attempts
                .iter()
                .enumerate()
                .map(|(i, a)| {
                    let verdict = match a.moves {
                        Some(moves) => format!("a path of {moves} moves ✓"),
                        None => "breaks a rule".to_string(),
                    };
                    let text =
                        format!("{}. {}: {verdict}{}", i + 1, a.symmetry, if i == r.chosen { " (chosen)" } else { "" });
                    view! {
                        <li><button type="button" class="attempt" data-attempt=i aria-pressed=(i == shown).to_string()
                            class:verified=a.moves.is_some()
                            on:click=move |_| maze.follow(i)>{text}</button></li>
                    }
                })
                .collect_view();
            Some(view! { <ul class="maze-attempts" id="maze-attempts-list" aria-label="Attempts">{items}</ul> })
        })
    }
}

/// Encodes the followed attempt's recording as a GIF and offers it as a download.
fn download_maze_animation(state: &AppState) {
    let maze = state.maze;
    let (Some(question), Some(trace)) = (maze.question.get_untracked(), maze.trace_untracked()) else { return };
    let note = maze.report.with_untracked(|r| {
        r.as_ref()
            .filter(|r| r.attempts.len() > 1)
            .map(|r| {
                format!("attempt {} of {}", maze.followed.get_untracked().unwrap_or(r.chosen) + 1, r.attempts.len())
            })
            .unwrap_or_default()
    });
    let options = AnimationOptions { note, ..AnimationOptions::default() };
    match encode_maze_gif(&trace, &question, &options).map_err(|e| e.to_string()).and_then(|bytes| {
        download_typed("trm-maze-solve.gif", "image/gif", &bytes)?;
        Ok(frame_count(&trace, false))
    }) {
        Ok(frames) => state.say(false, format!("Saved an animation of {frames} frames.")),
        Err(e) => state.say(true, format!("The animation could not be made: {e}")),
    }
}

/// The readout: which attempt is shown, whether its path is the shortest, and the cost.
#[component]
fn MazeStory() -> impl IntoView {
    let maze = expect_context::<AppState>().maze;
    move || {
        let question = maze.question.get()?;
        let story = maze.report.with(|r| {
            let r = r.as_ref().filter(|r| r.question == question.to_line())?;
            let shortest = shortest_paths(&question).map(|(moves, _)| moves);
            Some((maze_story(r, shortest), r.shown().and_then(|a| a.moves).is_some() && shortest.is_some()))
        })?;
        Some(view! { <p class="readout" id="maze-story" data-verified=story.1.to_string()>{story.0}</p> })
    }
}

/// How far z and y move per net call of the shown attempt (‖z‖ and ‖y‖ thin, on the right),
/// the halting probability per step, and the latent map: how far z moved on each tile at the
/// latest latent update.
#[component]
fn MazeCharts() -> impl IntoView {
    let maze = expect_context::<AppState>().maze;
    let moves = Signal::derive(move || {
        let (dz, dy) = maze.with_trace(state_moves).unwrap_or_default();
        vec![Series { name: "‖Δz‖", class: "z", values: dz }, Series { name: "‖Δy‖", class: "y", values: dy }]
    });
    let norms = Signal::derive(move || {
        let (z, y): (Vec<f32>, Vec<f32>) = maze.with_trace(norm_series).unwrap_or_default().into_iter().unzip();
        vec![Series { name: "‖z‖", class: "z-norm", values: z }, Series { name: "‖y‖", class: "y-norm", values: y }]
    });
    let halts = Signal::derive(move || {
        vec![Series { name: "P(halt)", class: "halt", values: maze.with_trace(halt_series).unwrap_or_default() }]
    });
    let calls_per_step = Signal::derive(move || maze.with_trace(|t| t.cycles * (t.latent_updates + 1)).unwrap_or(1));
    let cursor =
        Signal::derive(move || (maze.playback.with(|p| p.total()) > 0).then(|| maze.playback.with(|p| p.position())));
    let step_cursor = Signal::derive(move || {
        let position = maze.playback.with(|p| p.position());
        maze.with_trace(|t| locate(t, position).map(|p| p.step)).flatten()
    });
    let latent = move || {
        let question = maze.question.get()?;
        let position = maze.playback.with(|p| p.position());
        let side = question.side();
        let cells = maze
            .with_trace(|trace| tile_views(trace, &question, position))?
            .into_iter()
            .map(|v| view! { <span class="latent-cell" style:--dz=format!("{:.3}", v.dz)></span> })
            .collect_view();
        Some(view! {
            <div class="latent-map maze-latent" id="maze-latent" style:grid-template-columns=format!("repeat({side}, 1fr)")>
                {cells}
            </div>
        })
    };
    view! {
        <div class="charts">
            <LineChart id="maze-chart-delta" title="How far z and y move at every recursion step" series=moves
                secondary=norms log_scale=true cursor=cursor group=calls_per_step
                caption="Big: the model is still changing its mind; near zero: it has settled (right or wrong). Log scale."/>
            <LineChart id="maze-chart-halt" title="Halting probability per supervision step" series=halts
                y_range=(0.0, 1.0) reference=0.5 cursor=step_cursor
                caption="Above the dashed line the halting head says stop."/>
            <div class="chart">
                <h3>"Where z moves (latent map)"</h3>
                {latent}
                <p class="caption">"Darker: z changed more on that tile at the latest latent update."</p>
            </div>
        </div>
    }
}

//! A recorded solve as an animated GIF, drawn from the trace (no screen capture): the grid (or
//! the maze) at every answer update (or every net call), a step label, and a strip of how far z
//! moved per net call. The page's "Download animation" and `trm solve --gif` both use this, so a blog
//! author gets the same picture from either.
//!
//! Frames are drawn as palette indices with a built-in 5×7 pixel font, so the output is small
//! (a 16-step solve at 480 px is a few hundred kB) and identical on every platform.

use crate::trace::{CallKind, CallTrace, RecursionTrace};
use trm_puzzle::maze::{Maze, Tile, encoding};
use trm_puzzle::sudoku::grid::{CELLS, Grid};

/// What to draw.
#[derive(Debug, Clone, PartialEq)]
pub struct AnimationOptions {
    /// Width in pixels (the height follows).
    pub width: u16,
    /// A frame per net call instead of per answer update.
    pub every_call: bool,
    /// Hundredths of a second per frame.
    pub frame_delay: u16,
    /// A short note at the top right, e.g. "attempt 7 of 16".
    pub note: String,
}

impl Default for AnimationOptions {
    fn default() -> Self {
        Self { width: 480, every_call: false, frame_delay: 40, note: String::new() }
    }
}

/// Palette indices.
mod ink {
    pub const PAPER: u8 = 0;
    pub const LINE: u8 = 1;
    pub const THIN: u8 = 2;
    pub const GIVEN_BG: u8 = 3;
    pub const GIVEN: u8 = 4;
    pub const MODEL: u8 = 5;
    pub const MODEL_FAINT: u8 = 6;
    pub const CHANGED_BG: u8 = 7;
    pub const CONFLICT: u8 = 8;
    pub const BAR: u8 = 9;
    pub const BAR_DONE: u8 = 10;
    pub const TEXT: u8 = 11;
    pub const CURSOR: u8 = 12;
    pub const WALL: u8 = 13;
    pub const START: u8 = 14;
    pub const GOAL: u8 = 15;
    pub const PATH: u8 = 16;
    pub const PATH_MID: u8 = 17;
    pub const PATH_FAINT: u8 = 18;
}

/// RGB triples of the palette, in index order.
const PALETTE: [u8; 19 * 3] = [
    255, 255, 255, // paper
    27, 31, 36, // thick lines
    200, 205, 212, // thin lines
    236, 238, 241, // given cells
    27, 31, 36, // given digits
    36, 89, 214, // model digits, confident
    140, 166, 230, // model digits, unsure
    255, 213, 74, // changed cells
    214, 40, 57, // conflicts
    231, 111, 81, // strip bars
    245, 190, 170, // strip bars, later calls
    91, 101, 114, // text
    255, 159, 28, // strip cursor
    52, 58, 68, // maze walls
    46, 160, 90, // maze start
    214, 40, 57, // maze goal
    36, 89, 214, // path, confident
    110, 146, 226, // path, likely
    196, 210, 242, // path, unsure
];

/// 5×7 glyphs, one byte per row (low 5 bits, leftmost pixel first in bit 4).
fn glyph(ch: char) -> [u8; 7] {
    match ch {
        '0' => [0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E],
        '1' => [0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E],
        '2' => [0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F],
        '3' => [0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E],
        '4' => [0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02],
        '5' => [0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E],
        '6' => [0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E],
        '7' => [0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08],
        '8' => [0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E],
        '9' => [0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C],
        'a' => [0x00, 0x00, 0x0E, 0x01, 0x0F, 0x11, 0x0F],
        'c' => [0x00, 0x00, 0x0E, 0x10, 0x10, 0x11, 0x0E],
        'd' => [0x01, 0x01, 0x0D, 0x13, 0x11, 0x11, 0x0F],
        'e' => [0x00, 0x00, 0x0E, 0x11, 0x1F, 0x10, 0x0E],
        'f' => [0x06, 0x09, 0x08, 0x1C, 0x08, 0x08, 0x08],
        'h' => [0x10, 0x10, 0x16, 0x19, 0x11, 0x11, 0x11],
        'i' => [0x04, 0x00, 0x0C, 0x04, 0x04, 0x04, 0x0E],
        'k' => [0x10, 0x10, 0x12, 0x14, 0x18, 0x14, 0x12],
        'l' => [0x0C, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E],
        'm' => [0x00, 0x00, 0x1A, 0x15, 0x15, 0x11, 0x11],
        'n' => [0x00, 0x00, 0x16, 0x19, 0x11, 0x11, 0x11],
        'o' => [0x00, 0x00, 0x0E, 0x11, 0x11, 0x11, 0x0E],
        'p' => [0x00, 0x00, 0x1E, 0x11, 0x1E, 0x10, 0x10],
        'r' => [0x00, 0x00, 0x16, 0x19, 0x10, 0x10, 0x10],
        's' => [0x00, 0x00, 0x0E, 0x10, 0x0E, 0x01, 0x1E],
        't' => [0x08, 0x08, 0x1C, 0x08, 0x08, 0x09, 0x06],
        'u' => [0x00, 0x00, 0x11, 0x11, 0x11, 0x13, 0x0D],
        'v' => [0x00, 0x00, 0x11, 0x11, 0x11, 0x0A, 0x04],
        'w' => [0x00, 0x00, 0x11, 0x11, 0x15, 0x15, 0x0A],
        'y' => [0x00, 0x00, 0x11, 0x11, 0x0F, 0x01, 0x0E],
        'z' => [0x00, 0x00, 0x1F, 0x02, 0x04, 0x08, 0x1F],
        '/' => [0x01, 0x01, 0x02, 0x04, 0x08, 0x10, 0x10],
        '.' => [0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x0C],
        ',' => [0x00, 0x00, 0x00, 0x00, 0x0C, 0x04, 0x08],
        ':' => [0x00, 0x0C, 0x0C, 0x00, 0x0C, 0x0C, 0x00],
        '-' => [0x00, 0x00, 0x00, 0x1F, 0x00, 0x00, 0x00],
        '(' => [0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02],
        ')' => [0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08],
        _ => [0; 7],
    }
}

/// An indexed image.
struct Canvas {
    width: usize,
    height: usize,
    pixels: Vec<u8>,
}

impl Canvas {
    fn new(width: usize, height: usize) -> Self {
        Self { width, height, pixels: vec![ink::PAPER; width * height] }
    }

    fn rect(&mut self, x: usize, y: usize, w: usize, h: usize, colour: u8) {
        for row in y.min(self.height)..(y + h).min(self.height) {
            let start = row * self.width;
            for col in x.min(self.width)..(x + w).min(self.width) {
                self.pixels[start + col] = colour;
            }
        }
    }

    /// Text at (x, y) with `scale`-pixel dots; lower case and digits (upper case is lowered).
    fn text(&mut self, x: usize, y: usize, scale: usize, text: &str, colour: u8) {
        for (i, ch) in text.chars().enumerate() {
            let rows = glyph(ch.to_ascii_lowercase());
            let left = x + i * 6 * scale;
            for (r, bits) in rows.iter().enumerate() {
                for c in 0..5 {
                    if bits & (0x10 >> c) != 0 {
                        self.rect(left + c * scale, y + r * scale, scale, scale, colour);
                    }
                }
            }
        }
    }
}

/// The calls to draw: every net call, or the answer updates (and a first frame of the bare
/// puzzle).
fn frame_calls(trace: &RecursionTrace, every_call: bool) -> Vec<Option<(usize, usize)>> {
    let mut out = vec![None];
    for (s, step) in trace.steps.iter().enumerate() {
        for (c, call) in step.calls.iter().enumerate() {
            if every_call || call.kind == CallKind::Answer {
                out.push(Some((s, c)));
            }
        }
    }
    out
}

/// Where things go in a frame of a given width.
struct Layout {
    width: usize,
    height: usize,
    margin: usize,
    cell: usize,
    board: usize,
    top: usize,
    left: usize,
    strip: usize,
    digit_scale: usize,
}

impl Layout {
    fn new(width: u16) -> Self {
        Self::with_columns(width, 9)
    }

    /// A layout for a board of `columns × columns` cells.
    fn with_columns(width: u16, columns: usize) -> Self {
        let width = width.max(180) as usize;
        let margin = width / 40;
        let cell = ((width - 2 * margin) / columns.max(1)).max(1);
        let board = cell * columns.max(1);
        let top = 7 * 2 + margin * 2;
        let strip = width / 8;
        Self {
            width,
            height: top + board + margin + strip + margin,
            margin,
            cell,
            board,
            top,
            left: (width - board) / 2,
            strip,
            digit_scale: (cell / 11).max(1),
        }
    }

    /// Top-left corner of the digit glyph in `cell`.
    fn digit_origin(&self, cell: usize) -> (usize, usize) {
        let (row, col) = (cell / 9, cell % 9);
        let (gw, gh) = (5 * self.digit_scale, 7 * self.digit_scale);
        (self.left + col * self.cell + (self.cell - gw) / 2, self.top + row * self.cell + (self.cell - gh) / 2)
    }
}

/// The call a frame shows: every call of the trace, the index of the shown one and that call
/// (None for the bare puzzle).
fn frame_call(trace: &RecursionTrace, at: Option<(usize, usize)>) -> (Vec<&CallTrace>, Option<usize>) {
    let calls: Vec<&CallTrace> = trace.steps.iter().flat_map(|s| s.calls.iter()).collect();
    let index = at.map(|(s, c)| trace.steps[..s].iter().map(|st| st.calls.len()).sum::<usize>() + c);
    (calls, index)
}

/// The header: the step label, and the note on the right.
fn draw_label(
    canvas: &mut Canvas,
    layout: &Layout,
    trace: &RecursionTrace,
    at: Option<(usize, usize)>,
    call: Option<&CallTrace>,
    options: &AnimationOptions,
) {
    let label = match (at, call) {
        (Some((s, _)), Some(c)) => {
            let what = match c.kind {
                CallKind::Answer => "answer update".to_string(),
                CallKind::Latent(i) => format!("latent update {}", i + 1),
            };
            format!("step {}/{} cycle {} {what}", s + 1, trace.steps.len(), c.cycle + 1)
        }
        _ => "the puzzle".to_string(),
    };
    // Half-size text when the label and the note would overlap at full size.
    let chars = label.chars().count() + options.note.chars().count() + 2;
    let scale = if chars * 12 + 2 * layout.margin <= layout.width { 2 } else { 1 };
    let top = layout.margin + 7 * (2 - scale) / 2;
    canvas.text(layout.margin, top, scale, &label, ink::TEXT);
    if !options.note.is_empty() {
        let w = options.note.chars().count() * 6 * scale;
        canvas.text(layout.width.saturating_sub(layout.margin + w), top, scale, &options.note, ink::TEXT);
    }
}

/// Draws one frame: the grid as the trace shows it at `at` (None: the bare puzzle).
fn draw(trace: &RecursionTrace, puzzle: &Grid, at: Option<(usize, usize)>, options: &AnimationOptions) -> Canvas {
    let layout = Layout::new(options.width);
    let Layout { width, cell, board, top, left, digit_scale, .. } = layout;
    let mut canvas = Canvas::new(width, layout.height);

    let (calls, index) = frame_call(trace, at);
    let call = index.and_then(|i| calls.get(i).copied());
    let previous_answer =
        index.and_then(|i| i.checked_sub(1)).and_then(|i| calls.get(i)).map(|c| c.answer(puzzle)).unwrap_or(*puzzle);
    let shown = call.map(|c| c.answer(puzzle)).unwrap_or(*puzzle);
    let conflicts = shown.conflict_mask();
    draw_label(&mut canvas, &layout, trace, at, call, options);

    // The grid.
    for c in 0..CELLS {
        let (row, col) = (c / 9, c % 9);
        let (x, y) = (left + col * cell, top + row * cell);
        let given = puzzle.get(c) != 0;
        let digit = shown.get(c);
        let background = if given {
            ink::GIVEN_BG
        } else if call.is_some() && digit != previous_answer.get(c) && digit != 0 {
            ink::CHANGED_BG
        } else {
            ink::PAPER
        };
        canvas.rect(x, y, cell, cell, background);
        if digit != 0 {
            let colour = if conflicts[c] && !given {
                ink::CONFLICT
            } else if given {
                ink::GIVEN
            } else if call.and_then(|k| k.confidence.get(c)).copied().unwrap_or(1.0) >= 0.9 {
                ink::MODEL
            } else {
                ink::MODEL_FAINT
            };
            let (gx, gy) = layout.digit_origin(c);
            canvas.text(gx, gy, digit_scale, &digit.to_string(), colour);
        }
    }
    for i in 0..=9 {
        let thick = i % 3 == 0;
        let (colour, w) = if thick { (ink::LINE, 3) } else { (ink::THIN, 1) };
        let offset = if thick { 1 } else { 0 };
        canvas.rect((left + i * cell).saturating_sub(offset), top, w, board, colour);
        canvas.rect(left, (top + i * cell).saturating_sub(offset), board, w, colour);
    }

    draw_strip(&mut canvas, &layout, &calls, index);
    canvas
}

/// The strip: mean ‖Δz‖ of every latent update (log scale), up to the current call.
fn draw_strip(canvas: &mut Canvas, layout: &Layout, calls: &[&CallTrace], index: Option<usize>) {
    let Layout { margin, board, top, left, strip, .. } = *layout;
    let strip_top = top + board + margin;
    let latent: Vec<(usize, f32)> =
        calls.iter().enumerate().filter(|(_, c)| c.kind != CallKind::Answer).map(|(i, c)| (i, c.dz_mean)).collect();
    let largest = latent.iter().map(|(_, v)| *v).fold(0.0f32, f32::max);
    if largest > 0.0 && !calls.is_empty() {
        let bar_w = (board as f32 / calls.len() as f32).max(1.0);
        for &(i, v) in &latent {
            let t = if v > 0.0 { ((v / (largest * 1e-3)).max(1.0).log10() / 3.0).clamp(0.0, 1.0) } else { 0.0 };
            let h = ((strip as f32) * t).round() as usize;
            let x = left + (i as f32 * bar_w) as usize;
            let colour = if index.is_some_and(|k| i <= k) { ink::BAR } else { ink::BAR_DONE };
            canvas.rect(x, strip_top + strip - h, (bar_w as usize).max(1), h, colour);
        }
        if let Some(k) = index {
            canvas.rect(left + (k as f32 * bar_w) as usize, strip_top, 2, strip, ink::CURSOR);
        }
    }
}

/// Draws one frame of a maze solve: walls dark, `S` green, `G` red, and the tiles the model
/// marks as path in blue, darker where it is surer; tiles whose mark changed at this call are
/// outlined.
fn draw_maze(
    trace: &RecursionTrace,
    question: &Maze,
    at: Option<(usize, usize)>,
    options: &AnimationOptions,
) -> Canvas {
    let side = question.side();
    let layout = Layout::with_columns(options.width, side);
    let Layout { cell, top, left, .. } = layout;
    let mut canvas = Canvas::new(layout.width, layout.height);
    let (calls, index) = frame_call(trace, at);
    let call = index.and_then(|i| calls.get(i).copied());
    let previous = index.and_then(|i| i.checked_sub(1)).and_then(|i| calls.get(i).copied());
    draw_label(&mut canvas, &layout, trace, at, call, options);
    let path = encoding::token(Tile::Path);
    let marked = |c: Option<&CallTrace>, tile: usize| c.and_then(|c| c.digits.get(tile)).is_some_and(|&d| d == path);
    for tile in 0..side * side {
        let (x, y) = (left + (tile % side) * cell, top + (tile / side) * cell);
        let colour = match question.get(tile) {
            Tile::Wall => ink::WALL,
            Tile::Start => ink::START,
            Tile::Goal => ink::GOAL,
            Tile::Open | Tile::Path if marked(call, tile) => {
                match call.and_then(|c| c.confidence.get(tile)).copied().unwrap_or(1.0) {
                    p if p >= 0.9 => ink::PATH,
                    p if p >= 0.6 => ink::PATH_MID,
                    _ => ink::PATH_FAINT,
                }
            }
            Tile::Open | Tile::Path => ink::PAPER,
        };
        canvas.rect(x, y, cell, cell, colour);
        if call.is_some() && question.get(tile) == Tile::Open && marked(call, tile) != marked(previous, tile) {
            let w = (cell / 6).max(1);
            canvas.rect(x, y, cell, w, ink::CHANGED_BG);
            canvas.rect(x, y + cell - w, cell, w, ink::CHANGED_BG);
            canvas.rect(x, y, w, cell, ink::CHANGED_BG);
            canvas.rect(x + cell - w, y, w, cell, ink::CHANGED_BG);
        }
    }
    draw_strip(&mut canvas, &layout, &calls, index);
    canvas
}

/// The animation as GIF bytes: one frame per answer update (or per net call) after a first
/// frame of the bare puzzle; the last frame is held for two seconds.
pub fn encode_gif(
    trace: &RecursionTrace,
    puzzle: &Grid,
    options: &AnimationOptions,
) -> Result<Vec<u8>, gif::EncodingError> {
    encode_frames(trace, Layout::new(options.width), options, |at| draw(trace, puzzle, at, options))
}

/// [`encode_gif`] for a maze solve (a trace from a maze model, in the question's orientation).
pub fn encode_maze_gif(
    trace: &RecursionTrace,
    question: &Maze,
    options: &AnimationOptions,
) -> Result<Vec<u8>, gif::EncodingError> {
    let layout = Layout::with_columns(options.width, question.side());
    encode_frames(trace, layout, options, |at| draw_maze(trace, question, at, options))
}

/// The frames of `trace`, each drawn by `draw`, as GIF bytes.
fn encode_frames(
    trace: &RecursionTrace,
    layout: Layout,
    options: &AnimationOptions,
    draw: impl Fn(Option<(usize, usize)>) -> Canvas,
) -> Result<Vec<u8>, gif::EncodingError> {
    let frames = frame_calls(trace, options.every_call);
    let mut out = Vec::new();
    {
        let mut encoder = gif::Encoder::new(&mut out, layout.width as u16, layout.height as u16, &PALETTE)?;
        encoder.set_repeat(gif::Repeat::Infinite)?;
        for (i, &at) in frames.iter().enumerate() {
            let canvas = draw(at);
            let mut frame =
                gif::Frame::from_indexed_pixels(canvas.width as u16, canvas.height as u16, canvas.pixels, None);
            frame.delay = if i + 1 == frames.len() { 200 } else { options.frame_delay };
            encoder.write_frame(&frame)?;
        }
    }
    Ok(out)
}

/// Frames of the animation: the bare puzzle, then one per answer update (or net call).
pub fn frame_count(trace: &RecursionTrace, every_call: bool) -> usize {
    frame_calls(trace, every_call).len()
}

/// Reads a maze frame back as a line of tiles (`#`, ` `, `S`, `G`, `o` for any shade of path)
/// from the centre of each tile: a check that an exported maze animation shows what it should.
pub fn read_maze(indices: &[u8], width: u16, side: usize) -> String {
    let layout = Layout::with_columns(width, side);
    (0..side * side)
        .map(|tile| {
            let x = layout.left + (tile % side) * layout.cell + layout.cell / 2;
            let y = layout.top + (tile / side) * layout.cell + layout.cell / 2;
            match indices.get(y * layout.width + x).copied() {
                Some(ink::WALL) => '#',
                Some(ink::START) => 'S',
                Some(ink::GOAL) => 'G',
                Some(ink::PATH | ink::PATH_MID | ink::PATH_FAINT) => 'o',
                _ => ' ',
            }
        })
        .collect()
}

/// Reads the digits back from a frame's palette indices (`width` as drawn): a check that an
/// exported animation shows what it should, independent of the trace it came from.
pub fn read_grid(indices: &[u8], width: u16) -> Grid {
    let layout = Layout::new(width);
    let scale = layout.digit_scale;
    let mut cells = [0u8; CELLS];
    for (cell, out) in cells.iter_mut().enumerate() {
        let (gx, gy) = layout.digit_origin(cell);
        let background = indices.get((gy.saturating_sub(1)) * layout.width + gx).copied().unwrap_or(ink::PAPER);
        let mut rows = [0u8; 7];
        for (r, bits) in rows.iter_mut().enumerate() {
            for c in 0..5 {
                let (x, y) = (gx + c * scale + scale / 2, gy + r * scale + scale / 2);
                if indices.get(y * layout.width + x).is_some_and(|&v| v != background) {
                    *bits |= 0x10 >> c;
                }
            }
        }
        *out = (1..=9u8).find(|&d| glyph(char::from(b'0' + d)) == rows).unwrap_or(0);
    }
    Grid::from_cells(cells).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::trace::StepTrace;
    use trm_puzzle::sudoku::grid::samples::{PUZZLE, SOLUTION};

    /// Two steps of n = 1, T = 1: the answer half right after the first, all right after the
    /// second.
    fn trace() -> (Grid, Grid, RecursionTrace) {
        let puzzle = Grid::parse(PUZZLE).unwrap();
        let solution = Grid::parse(SOLUTION).unwrap();
        let mut half = solution;
        for c in (0..CELLS).filter(|c| c % 2 == 0 && puzzle.get(*c) == 0) {
            half.set(c, solution.get(c) % 9 + 1).unwrap();
        }
        let call = |kind, answer: Grid, dz: f32| CallTrace {
            cycle: 0,
            kind,
            digits: answer.cells().to_vec(),
            confidence: vec![0.95; CELLS],
            z_norm: 11.0,
            y_norm: 11.0,
            halt_logit: 0.0,
            dz: vec![dz; CELLS],
            dz_mean: dz,
            dy_mean: 0.0,
            sketch: Vec::new(),
            sketch_scale: 0.0,
            probs: Vec::new(),
        };
        let step = |answer: Grid, dz: f32| StepTrace {
            calls: vec![call(CallKind::Latent(0), Grid::empty(), dz), call(CallKind::Answer, answer, 0.0)],
            halt_logit: 0.0,
        };
        let trace = RecursionTrace {
            puzzle: puzzle.to_line(),
            latent_updates: 1,
            cycles: 1,
            steps: vec![step(half, 2.0), step(solution, 0.1)],
            halted_at: None,
        };
        (puzzle, solution, trace)
    }

    #[test]
    fn the_gif_has_a_frame_per_answer_update_and_ends_on_the_answer() {
        let (puzzle, solution, trace) = trace();
        let options = AnimationOptions { note: "attempt 1 of 1".into(), ..AnimationOptions::default() };
        let bytes = encode_gif(&trace, &puzzle, &options).unwrap();
        let mut decoder = gif::DecodeOptions::new();
        decoder.set_color_output(gif::ColorOutput::Indexed);
        let mut decoder = decoder.read_info(bytes.as_slice()).unwrap();
        let mut grids = Vec::new();
        while let Some(frame) = decoder.read_next_frame().unwrap() {
            assert_eq!(frame.width, 480);
            grids.push(read_grid(&frame.buffer, frame.width));
        }
        assert_eq!(grids.len(), frame_count(&trace, false));
        assert_eq!(grids.len(), 3, "the puzzle, then two answer updates");
        assert_eq!(grids[0], puzzle);
        assert_ne!(grids[1], solution);
        assert_eq!(grids[2], solution);
        assert_eq!(frame_count(&trace, true), 5);
    }

    #[test]
    fn a_maze_gif_shows_the_question_then_the_path_as_it_is_marked() {
        let answer = Maze::parse("So  #o#  oG     ").unwrap();
        let question = answer.question();
        let tokens = |maze: &Maze| encoding::encode(maze);
        let mut half = question.clone();
        half.mark_path(1);
        let call = |kind, digits: Vec<u8>| CallTrace {
            cycle: 0,
            kind,
            digits,
            confidence: vec![0.95; 16],
            z_norm: 1.0,
            y_norm: 1.0,
            halt_logit: 0.0,
            dz: vec![0.5; 16],
            dz_mean: 0.5,
            dy_mean: 0.0,
            sketch: Vec::new(),
            sketch_scale: 0.0,
            probs: Vec::new(),
        };
        let step = |maze: &Maze| StepTrace {
            calls: vec![call(CallKind::Latent(0), vec![0; 16]), call(CallKind::Answer, tokens(maze))],
            halt_logit: 0.0,
        };
        let trace = RecursionTrace {
            puzzle: question.to_line(),
            latent_updates: 1,
            cycles: 1,
            steps: vec![step(&half), step(&answer)],
            halted_at: None,
        };
        let bytes = encode_maze_gif(&trace, &question, &AnimationOptions::default()).unwrap();
        let mut decoder = gif::DecodeOptions::new();
        decoder.set_color_output(gif::ColorOutput::Indexed);
        let mut decoder = decoder.read_info(bytes.as_slice()).unwrap();
        let mut frames = Vec::new();
        while let Some(frame) = decoder.read_next_frame().unwrap() {
            frames.push(read_maze(&frame.buffer, frame.width, 4));
        }
        assert_eq!(frames, vec![question.to_line(), half.to_line(), answer.to_line()]);
    }

    #[test]
    fn the_font_draws_every_character_the_labels_use() {
        for ch in "0123456789 step/cycle answer latent update the puzzle attempt of:".chars() {
            assert!(ch == ' ' || glyph(ch) != [0; 7], "no glyph for {ch:?}");
        }
    }
}

//! `trm plot`: the training campaign for the model card, drawn with plotters: loss and batch
//! accuracy over optimizer steps, and the EMA model's exact accuracy per tier against
//! puzzle-steps seen and against CPU-hours (summed over the run's legs).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use plotters::prelude::*;
use trm_sudoku::formats::MetricsRecord;

/// A bottom chart: its area, the x axis' description and range, and the x of point `i`.
type XAxis<'a, 'b> =
    (&'a DrawingArea<BitMapBackend<'b>, plotters::coord::Shift>, &'a str, f64, Box<dyn Fn(usize) -> f64 + 'a>);

struct Point {
    step: f64,
    loss: f64,
    cells: f64,
    exact: f64,
    eval: Vec<(String, f64)>,
    /// Wall seconds since the start of the leg this line belongs to.
    elapsed: f64,
    /// Threads of that leg (legs before the field existed ran on two).
    threads: f64,
    /// The batch size of that leg, where the line says.
    batch: Option<f64>,
    /// Whether that leg trained on an accelerator (its wall time is device time).
    accelerator: bool,
}

fn read(metrics: &Path) -> Result<Vec<Point>> {
    let text = std::fs::read_to_string(metrics).with_context(|| format!("reading {}", metrics.display()))?;
    let mut points = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let record: MetricsRecord = serde_json::from_str(line).with_context(|| format!("line {}", i + 1))?;
        let eval = record.eval.iter().flatten().map(|(tier, e)| (tier.clone(), e.exact)).collect();
        points.push(Point {
            step: record.step.step as f64,
            loss: record.step.loss as f64,
            cells: record.step.cell_accuracy as f64,
            exact: record.step.exact_accuracy as f64,
            eval,
            elapsed: record.elapsed_s,
            // A leg on an accelerator spends device time, not CPU time: it adds no CPU-hours.
            threads: if record.accelerator.is_some() { 0.0 } else { record.threads.unwrap_or(2) as f64 },
            batch: record.batch_size.map(|b| b as f64),
            accelerator: record.accelerator.is_some(),
        });
    }
    Ok(points)
}

/// CPU-hours at every point: each leg's wall time (its `elapsed_s` restarts at 0) times its
/// threads, summed over the legs so far; and the minutes spent on accelerators in all.
fn compute_time(points: &[Point]) -> (Vec<f64>, f64) {
    let mut total = 0.0;
    let mut accelerator_s = 0.0;
    let mut previous = 0.0;
    let hours = points
        .iter()
        .map(|p| {
            let elapsed = if p.elapsed.is_finite() { p.elapsed } else { previous };
            // A new leg starts where the clock goes back.
            let delta = if elapsed >= previous { elapsed - previous } else { elapsed };
            previous = elapsed;
            total += delta * p.threads / 3600.0;
            if p.accelerator {
                accelerator_s += delta;
            }
            total
        })
        .collect();
    (hours, accelerator_s / 60.0)
}

/// Puzzle-steps seen at every point: each step's batch (the line's own, else `default_batch`)
/// summed over the steps so far.
fn puzzle_steps(points: &[Point], default_batch: f64) -> Vec<f64> {
    let mut total = 0.0;
    let mut previous_step = 0.0;
    points
        .iter()
        .map(|p| {
            total += (p.step - previous_step).max(0.0) * p.batch.unwrap_or(default_batch);
            previous_step = p.step;
            total
        })
        .collect()
}

/// The run's carried batch size, from `training.json` beside the metrics.
fn read_batch_size(metrics: &Path) -> Option<usize> {
    let text = std::fs::read_to_string(metrics.with_file_name("training.json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v.get("batch_size")?.as_u64().map(|b| b as usize)
}

/// Moving average over `window` points.
fn smooth(values: &[(f64, f64)], window: usize) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(values.len());
    let mut sum = 0.0;
    for i in 0..values.len() {
        sum += values[i].1;
        if i >= window {
            sum -= values[i - window].1;
        }
        let n = (i + 1).min(window) as f64;
        out.push((values[i].0, sum / n));
    }
    out
}

/// Draw loss and accuracy over training steps from a run's metrics.jsonl as a PNG.
#[derive(clap::Args)]
pub struct Args {
    /// metrics.jsonl of a run.
    #[arg(long)]
    pub metrics: PathBuf,
    /// Output PNG.
    #[arg(long, default_value = "assets/training.png")]
    pub out: PathBuf,
    /// A TrueType font for the labels.
    #[arg(long, default_value = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")]
    pub font: PathBuf,
}

/// Runs the command.
pub fn run(args: Args) -> Result<()> {
    plot(&args.metrics, &args.out, &args.font)
}

type Chart<'a, 'b> = ChartContext<
    'a,
    BitMapBackend<'b>,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

/// A captioned chart on `area` with the plot's margins and label areas.
fn chart_on<'a, 'b>(
    area: &'a DrawingArea<BitMapBackend<'b>, plotters::coord::Shift>,
    caption: &str,
    x: std::ops::Range<f64>,
    y: std::ops::Range<f64>,
) -> Result<Chart<'a, 'b>> {
    ChartBuilder::on(area)
        .caption(caption, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(48)
        .build_cartesian_2d(x, y)
        .map_err(|e| anyhow!("drawing failed: {e:?}"))
}

/// The series' legend in a framed, translucent box.
fn draw_legend<'a, 'b: 'a>(chart: &mut Chart<'a, 'b>, position: SeriesLabelPosition) -> Result<()> {
    chart
        .configure_series_labels()
        .position(position)
        .border_style(BLACK)
        .background_style(WHITE.mix(0.8))
        .draw()
        .map_err(|e| anyhow!("drawing failed: {e:?}"))
}

fn plot(metrics: &Path, out: &Path, font: &Path) -> Result<()> {
    let font_bytes: &'static [u8] = Box::leak(
        std::fs::read(font).with_context(|| format!("reading the font {}", font.display()))?.into_boxed_slice(),
    );
    plotters::style::register_font("sans-serif", FontStyle::Normal, font_bytes)
        .map_err(|_| anyhow!("{} is not a usable TrueType font", font.display()))?;
    let points = read(metrics)?;
    if points.is_empty() {
        anyhow::bail!("{} holds no metrics", metrics.display());
    }
    let max_step = points.iter().map(|p| p.step).fold(1.0, f64::max);
    let window = (points.len() / 100).clamp(1, 200);
    let loss = smooth(&points.iter().map(|p| (p.step, p.loss)).collect::<Vec<_>>(), window);
    let cells = smooth(&points.iter().map(|p| (p.step, p.cells)).collect::<Vec<_>>(), window);
    let exact = smooth(&points.iter().map(|p| (p.step, p.exact)).collect::<Vec<_>>(), window);
    let max_loss = loss.iter().map(|p| p.1).filter(|v| v.is_finite()).fold(0.1, f64::max);

    let seen = puzzle_steps(&points, read_batch_size(metrics).unwrap_or(32) as f64);
    let max_seen = seen.last().copied().unwrap_or(1.0).max(1.0);
    let (hours, accelerator_minutes) = compute_time(&points);
    // Accelerator legs add no CPU-hours: their points stand in a vertical line, named here.
    let cpu_axis = if accelerator_minutes > 0.0 {
        format!("CPU-hours (+ {accelerator_minutes:.1} min on a GPU, vertical)")
    } else {
        "CPU-hours".to_string()
    };
    let max_hours = hours.last().copied().unwrap_or(1.0).max(1e-3);

    let root = BitMapBackend::new(out, (1200, 900)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| anyhow!("{e:?}"))?;
    let (top, bottom) = root.split_vertically(450);
    let (left, right) = top.split_horizontally(600);
    let (bottom_left, bottom_right) = bottom.split_horizontally(600);
    let err = |e: DrawingAreaErrorKind<_>| anyhow!("drawing failed: {e:?}");

    let mut chart = chart_on(
        &left,
        &format!("Training loss (moving average of {window} steps)"),
        0.0..max_step,
        0.0..max_loss * 1.05,
    )?;
    chart.configure_mesh().x_desc("optimizer step").y_desc("loss").draw().map_err(err)?;
    chart
        .draw_series(LineSeries::new(loss, &RED))
        .map_err(err)?
        .label("total loss")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], RED));
    draw_legend(&mut chart, SeriesLabelPosition::MiddleRight)?;

    let mut chart = chart_on(&right, "Training batch accuracy", 0.0..max_step, 0.0..1.0)?;
    chart.configure_mesh().x_desc("optimizer step").y_desc("fraction").draw().map_err(err)?;
    chart
        .draw_series(LineSeries::new(cells, &BLUE))
        .map_err(err)?
        .label("train cells")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], BLUE));
    chart
        .draw_series(LineSeries::new(exact, &GREEN))
        .map_err(err)?
        .label("train exact")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], GREEN));
    draw_legend(&mut chart, SeriesLabelPosition::UpperLeft)?;

    let colours = [MAGENTA, RGBColor(230, 120, 0), BLACK, CYAN];
    let mut tiers: Vec<String> = points.iter().flat_map(|p| p.eval.iter().map(|(k, _)| k.clone())).collect();
    tiers.sort();
    tiers.dedup();
    // Exact accuracy of the EMA weights per tier, against two measures of compute.
    let axes: [XAxis<'_, '_>; 2] = [
        (&bottom_left, "puzzle-steps seen (millions)", max_seen / 1e6, Box::new(|i: usize| seen[i] / 1e6)),
        (&bottom_right, cpu_axis.as_str(), max_hours, Box::new(|i: usize| hours[i])),
    ];
    for (area, x_desc, x_max, x_of) in axes {
        let caption = format!("EMA model, exact per tier (16 steps) vs {}", x_desc.split(' ').next().unwrap_or(""));
        let mut chart = chart_on(area, &caption, 0.0..x_max * 1.02, 0.0..1.0)?;
        chart.configure_mesh().x_desc(x_desc).y_desc("exact").draw().map_err(err)?;
        for (t, tier) in tiers.iter().enumerate() {
            let colour = colours[t % colours.len()];
            let series: Vec<(f64, f64)> = points
                .iter()
                .enumerate()
                .filter_map(|(i, p)| p.eval.iter().find(|(k, _)| k == tier).map(|(_, v)| (x_of(i), *v)))
                .collect();
            chart
                .draw_series(LineSeries::new(series, colour.stroke_width(2)))
                .map_err(err)?
                .label(format!("eval exact: {tier}"))
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], colour));
        }
        draw_legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
    }
    root.present().map_err(|e| anyhow!("{e:?}"))?;
    eprintln!("wrote {}", out.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(step: f64, elapsed: f64, threads: f64, batch: Option<f64>) -> Point {
        let accelerator = batch.is_some();
        Point { step, loss: 1.0, cells: 0.5, exact: 0.0, eval: Vec::new(), elapsed, threads, batch, accelerator }
    }

    #[test]
    fn compute_axes_follow_each_legs_batch_and_threads() {
        // Two CPU steps at the carried batch (32) on 2 threads, then a GPU leg at batch 768,
        // whose clock restarts and whose wall time is not CPU time.
        let points = [
            point(1.0, 1800.0, 2.0, None),
            point(2.0, 3600.0, 2.0, None),
            point(3.0, 10.0, 0.0, Some(768.0)),
            point(4.0, 20.0, 0.0, Some(768.0)),
        ];
        assert_eq!(puzzle_steps(&points, 32.0), vec![32.0, 64.0, 832.0, 1600.0]);
        assert_eq!(compute_time(&points), (vec![1.0, 2.0, 2.0, 2.0], 20.0 / 60.0));
    }
}

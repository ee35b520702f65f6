//! `trm plot`: loss and accuracy over training steps, drawn with plotters, for the model card.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use plotters::prelude::*;

struct Point {
    step: f64,
    loss: f64,
    cells: f64,
    exact: f64,
    eval: Vec<(String, f64)>,
}

fn read(metrics: &Path) -> Result<Vec<Point>> {
    let text = std::fs::read_to_string(metrics).with_context(|| format!("reading {}", metrics.display()))?;
    let mut points = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let v: serde_json::Value = serde_json::from_str(line).with_context(|| format!("line {}", i + 1))?;
        let num = |k: &str| v.get(k).and_then(|x| x.as_f64()).unwrap_or(f64::NAN);
        let eval = v
            .get("eval")
            .and_then(|e| e.as_object())
            .map(|o| o.iter().filter_map(|(k, x)| Some((k.clone(), x.get("exact")?.as_f64()?))).collect())
            .unwrap_or_default();
        points.push(Point { step: num("step"), loss: num("loss"), cells: num("cell_accuracy"), exact: num("exact_accuracy"), eval });
    }
    Ok(points)
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

    let root = BitMapBackend::new(out, (1200, 520)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| anyhow!("{e:?}"))?;
    let (left, right) = root.split_horizontally(600);
    let err = |e: DrawingAreaErrorKind<_>| anyhow!("drawing failed: {e:?}");

    let mut chart = ChartBuilder::on(&left)
        .caption(format!("Training loss (moving average of {window} steps)"), ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(48)
        .build_cartesian_2d(0.0..max_step, 0.0..max_loss * 1.05)
        .map_err(err)?;
    chart.configure_mesh().x_desc("optimizer step").y_desc("loss").draw().map_err(err)?;
    chart.draw_series(LineSeries::new(loss, &RED)).map_err(err)?.label("total loss").legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], RED));
    chart.configure_series_labels().border_style(BLACK).background_style(WHITE.mix(0.8)).draw().map_err(err)?;

    let mut chart = ChartBuilder::on(&right)
        .caption("Accuracy", ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(48)
        .build_cartesian_2d(0.0..max_step, 0.0..1.0)
        .map_err(err)?;
    chart.configure_mesh().x_desc("optimizer step").y_desc("fraction").draw().map_err(err)?;
    chart.draw_series(LineSeries::new(cells, &BLUE)).map_err(err)?.label("train cells").legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], BLUE));
    chart.draw_series(LineSeries::new(exact, &GREEN)).map_err(err)?.label("train exact").legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], GREEN));
    let colours = [MAGENTA, RGBColor(230, 120, 0), BLACK, CYAN];
    let mut tiers: Vec<String> = points.iter().flat_map(|p| p.eval.iter().map(|(k, _)| k.clone())).collect();
    tiers.sort();
    tiers.dedup();
    for (i, tier) in tiers.iter().enumerate() {
        let colour = colours[i % colours.len()];
        let series: Vec<(f64, f64)> =
            points.iter().filter_map(|p| p.eval.iter().find(|(k, _)| k == tier).map(|(_, v)| (p.step, *v))).collect();
        chart
            .draw_series(LineSeries::new(series, colour.stroke_width(2)))
            .map_err(err)?
            .label(format!("eval exact: {tier}"))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], colour));
    }
    chart.configure_series_labels().position(SeriesLabelPosition::UpperLeft).border_style(BLACK).background_style(WHITE.mix(0.8)).draw().map_err(err)?;
    root.present().map_err(|e| anyhow!("{e:?}"))?;
    eprintln!("wrote {}", out.display());
    Ok(())
}

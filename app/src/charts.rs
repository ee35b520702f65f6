//! SVG charts drawn by the app: how far z and y move at every recursion step (with ‖z‖ and ‖y‖
//! on a second axis), the halting probability and accuracy per supervision step, the confidence
//! in the final digits, and (fine-tuning) loss and accuracy curves.

use leptos::prelude::*;

const WIDTH: f32 = 360.0;
const HEIGHT: f32 = 140.0;
const PAD_LEFT: f32 = 34.0;
const PAD_RIGHT: f32 = 8.0;
/// Right padding when a secondary axis needs room for its tick labels.
const PAD_RIGHT_SECONDARY: f32 = 34.0;
const PAD_TOP: f32 = 8.0;
const PAD_BOTTOM: f32 = 18.0;

/// One line of a chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend text; empty for background lines without a legend entry.
    pub name: &'static str,
    /// CSS class that sets the colour.
    pub class: &'static str,
    /// The values, one per point.
    pub values: Vec<f32>,
}

/// Maps values into the plot area, linearly or on a log10 axis.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Scale {
    n: usize,
    min: f32,
    max: f32,
    log: bool,
    right: f32,
}

impl Scale {
    fn x(&self, i: usize) -> f32 {
        let span = (self.n.max(2) - 1) as f32;
        PAD_LEFT + (WIDTH - PAD_LEFT - self.right) * i as f32 / span
    }
    fn y(&self, v: f32) -> f32 {
        let (v, lo, hi) = if self.log {
            (v.max(self.min).log10(), self.min.log10(), self.max.log10())
        } else {
            (v, self.min, self.max)
        };
        let t = if hi > lo { (v - lo) / (hi - lo) } else { 0.5 };
        HEIGHT - PAD_BOTTOM - (HEIGHT - PAD_TOP - PAD_BOTTOM) * t.clamp(0.0, 1.0)
    }
}

/// The y range of some series: fixed, fitted to the data, from zero, or on a log axis (where
/// values at or below zero sit on the floor, 1e-4 of the largest).
fn y_range(all: &[Series], fixed: Option<(f32, f32)>, fit_to_data: bool, log: bool) -> (f32, f32) {
    if let Some(range) = fixed {
        return range;
    }
    let finite = all.iter().flat_map(|s| s.values.iter().copied()).filter(|v| v.is_finite());
    if log {
        let hi = finite.clone().fold(0.0f32, f32::max);
        if hi <= 0.0 {
            return (1e-4, 1.0);
        }
        let lo = finite.filter(|v| *v > 0.0).fold(hi, f32::min).max(hi * 1e-4);
        return (lo * 0.8, hi * 1.25);
    }
    let (lo, hi) = finite.fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if !lo.is_finite() {
        (0.0, 1.0)
    } else if fit_to_data {
        let pad = ((hi - lo) * 0.1).max(hi.abs() * 1e-3).max(1e-6);
        (lo - pad, hi + pad)
    } else {
        (lo.min(0.0), if hi > lo { hi * 1.05 } else { lo + 1.0 })
    }
}

/// An axis label for `v` with enough decimals to tell the ends of a `span`-wide axis apart.
fn tick(v: f32, span: f32) -> String {
    if v != 0.0 && v.abs() < 1e-2 {
        return format!("{v:.0e}");
    }
    let for_size = if v.abs() >= 100.0 {
        0
    } else if v.abs() >= 10.0 {
        1
    } else {
        2
    };
    let for_span = if span > 0.0 { (1.0 - span.log10()).ceil().clamp(0.0, 5.0) as usize } else { 0 };
    format!("{v:.*}", for_size.max(for_span))
}

/// The polyline points of one series.
fn points(scale: &Scale, values: &[f32]) -> String {
    values
        .iter()
        .enumerate()
        .filter(|(_, v)| v.is_finite())
        .map(|(i, &v)| format!("{:.1},{:.1}", scale.x(i), scale.y(v)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The lines of some series on a scale; `thin` draws them as a secondary series.
fn draw_lines(scale: Scale, series: Vec<Series>, thin: bool) -> impl IntoView {
    series
        .into_iter()
        .map(|s| {
            let pts = points(&scale, &s.values);
            let count = s.values.iter().filter(|v| v.is_finite()).count();
            let single = (s.values.len() == 1 && s.values[0].is_finite()).then(|| {
                view! { <circle class=s.class cx=scale.x(0) cy=scale.y(s.values[0]) r="2.5"></circle> }
            });
            let class = if thin { format!("line thin {}", s.class) } else { format!("line {}", s.class) };
            view! {
                <polyline class=class points=pts data-series=s.name data-points=count></polyline>
                {single}
            }
        })
        .collect_view()
}

/// A line chart.
#[component]
pub fn LineChart(
    /// Accessible title, also shown above the chart.
    title: &'static str,
    /// The lines.
    #[prop(into)]
    series: Signal<Vec<Series>>,
    /// Fixed y range; automatic when `None`.
    #[prop(optional)]
    y_range: Option<(f32, f32)>,
    /// Fit the y axis to the data instead of starting at zero.
    #[prop(optional)]
    fit_to_data: bool,
    /// A log10 y axis, for values that span orders of magnitude (how far z moves).
    #[prop(optional)]
    log_scale: bool,
    /// Thin lines on their own axis, labelled on the right (fitted to their data).
    #[prop(optional, into)]
    secondary: Option<Signal<Vec<Series>>>,
    /// A vertical cursor at this point index.
    #[prop(optional, into)]
    cursor: Option<Signal<Option<usize>>>,
    /// Draw a faint vertical line every this many points (supervision-step boundaries).
    #[prop(optional)]
    group: Option<Signal<usize>>,
    /// A horizontal reference line (e.g. the halting threshold).
    #[prop(optional)]
    reference: Option<f32>,
    /// One line under the chart: what it shows and what to look for.
    #[prop(optional)]
    caption: Option<&'static str>,
    /// Longer explanation, shown as a tooltip on the chart.
    #[prop(optional)]
    tooltip: Option<&'static str>,
    /// Test id of the chart.
    id: &'static str,
) -> impl IntoView {
    let right = if secondary.is_some() { PAD_RIGHT_SECONDARY } else { PAD_RIGHT };
    let points_of = move |all: &[Series]| all.iter().map(|s| s.values.len()).max().unwrap_or(0);
    let scale = Memo::new(move |_| {
        series.with(|all| {
            let n = points_of(all).max(secondary.map(|s| s.with(|s| points_of(s))).unwrap_or(0));
            let (min, max) = self::y_range(all, y_range, fit_to_data, log_scale);
            Scale { n, min, max, log: log_scale, right }
        })
    });
    let secondary_scale = Memo::new(move |_| {
        let primary = scale.get();
        secondary.map(|s| {
            s.with(|all| {
                let (min, max) = self::y_range(all, None, true, false);
                Scale { min, max, log: false, ..primary }
            })
        })
    });
    let lines = move || draw_lines(scale.get(), series.get(), false);
    let secondary_lines = move || secondary_scale.get().zip(secondary).map(|(sc, s)| draw_lines(sc, s.get(), true));
    let legend = move || {
        let mut all = series.get();
        all.extend(secondary.map(|s| s.get()).unwrap_or_default());
        all.into_iter()
            .filter(|s| !s.name.is_empty())
            .map(|s| view! { <span class=format!("legend {}", s.class)>{s.name}</span> })
            .collect_view()
    };
    let axes = move || {
        let s = scale.get();
        let mut grid_lines = Vec::new();
        if let Some(group) = group {
            let g = group.get().max(1);
            let mut i = g;
            while i < s.n {
                let x = (s.x(i - 1) + s.x(i)) / 2.0;
                grid_lines.push(view! { <line class="group" x1=x x2=x y1=PAD_TOP y2=HEIGHT - PAD_BOTTOM></line> });
                i += g;
            }
        }
        let reference_line = reference.map(|r| {
            let y = s.y(r);
            view! { <line class="reference" x1=PAD_LEFT x2=WIDTH - right y1=y y2=y></line> }
        });
        let right_ticks = secondary_scale.get().map(|sc| {
            view! {
                <text class="tick secondary" x=WIDTH - right + 3.0 y=sc.y(sc.max) + 4.0 text-anchor="start">{tick(sc.max, sc.max - sc.min)}</text>
                <text class="tick secondary" x=WIDTH - right + 3.0 y=sc.y(sc.min) text-anchor="start">{tick(sc.min, sc.max - sc.min)}</text>
            }
        });
        view! {
            <line class="axis" x1=PAD_LEFT x2=PAD_LEFT y1=PAD_TOP y2=HEIGHT - PAD_BOTTOM></line>
            <line class="axis" x1=PAD_LEFT x2=WIDTH - right y1=HEIGHT - PAD_BOTTOM y2=HEIGHT - PAD_BOTTOM></line>
            <text class="tick" x=PAD_LEFT - 4.0 y=s.y(s.max) + 4.0 text-anchor="end">{tick(s.max, s.max - s.min)}</text>
            <text class="tick" x=PAD_LEFT - 4.0 y=s.y(s.min) text-anchor="end">{tick(s.min, s.max - s.min)}</text>
            <text class="tick" x=WIDTH - right y=HEIGHT - 4.0 text-anchor="end">{s.n.to_string()}</text>
            {right_ticks}
            {grid_lines}
            {reference_line}
        }
    };
    let cursor_line = move || {
        let c = cursor.and_then(|c| c.get())?;
        let s = scale.get();
        if c >= s.n {
            return None;
        }
        let x = s.x(c);
        Some(view! { <line class="cursor" x1=x x2=x y1=PAD_TOP y2=HEIGHT - PAD_BOTTOM></line> })
    };
    view! {
        <figure class="chart" id=id title=tooltip.unwrap_or_default() data-log=if log_scale { "1" } else { "0" }>
            <figcaption>{title} " " {legend}</figcaption>
            <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-label=title preserveAspectRatio="none">
                {axes}
                {secondary_lines}
                {lines}
                {cursor_line}
            </svg>
            {caption.map(|c| view! { <p class="caption">{c}</p> })}
        </figure>
    }
}

/// Compute spent against time in one solve: net calls run (all attempts together) against
/// seconds since it started. An adaptive solve's replacements and escalations show as a
/// steeper climb; a flat end is the wait for the last readback.
#[component]
pub fn ComputeChart(
    /// `(ms, net calls run)` samples, the first when the solve started (`AppState::compute`).
    #[prop(into)]
    samples: Signal<Vec<(f64, usize)>>,
    /// Test id of the chart.
    id: &'static str,
) -> impl IntoView {
    let title = "Compute spent against time";
    let plot = move || {
        samples.with(|samples| {
            let start = samples.first().map(|s| s.0).unwrap_or(0.0);
            let seconds = samples.last().map(|s| ((s.0 - start) / 1e3) as f32).unwrap_or(0.0).max(1e-3);
            let calls = samples.last().map(|s| s.1).unwrap_or(0);
            let top = calls.max(1) as f32;
            let x = |ms: f64| PAD_LEFT + (WIDTH - PAD_LEFT - PAD_RIGHT) * (((ms - start) / 1e3) as f32 / seconds);
            let y = |c: usize| HEIGHT - PAD_BOTTOM - (HEIGHT - PAD_TOP - PAD_BOTTOM) * (c as f32 / top);
            let pts: Vec<String> = samples.iter().map(|&(ms, c)| format!("{:.1},{:.1}", x(ms), y(c))).collect();
            view! {
                <line class="axis" x1=PAD_LEFT x2=PAD_LEFT y1=PAD_TOP y2=HEIGHT - PAD_BOTTOM></line>
                <line class="axis" x1=PAD_LEFT x2=WIDTH - PAD_RIGHT y1=HEIGHT - PAD_BOTTOM y2=HEIGHT - PAD_BOTTOM></line>
                <text class="tick" x=PAD_LEFT - 4.0 y=PAD_TOP + 4.0 text-anchor="end">{calls.to_string()}</text>
                <text class="tick" x=PAD_LEFT - 4.0 y=HEIGHT - PAD_BOTTOM text-anchor="end">"0"</text>
                <text class="tick" x=WIDTH - PAD_RIGHT y=HEIGHT - 4.0 text-anchor="end">{format!("{} s", tick(seconds, seconds))}</text>
                <polyline class="line calls" points=pts.join(" ") data-points=samples.len() data-calls=calls
                    data-seconds=format!("{seconds:.3}")></polyline>
            }
        })
    };
    view! {
        <figure class="chart" id=id>
            <figcaption>{title} " " <span class="legend calls">"net calls, all attempts"</span></figcaption>
            <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-label=title preserveAspectRatio="none">
                {plot}
            </svg>
            <p class="caption">"Every attempt's net calls, added up, as the seconds pass. Steeper: more attempts side by side, after an escalation."</p>
        </figure>
    }
}

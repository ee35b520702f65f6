//! SVG charts drawn by the app: ‖z‖ and ‖y‖ at every recursion step, the halting probability
//! per supervision step, accuracy per step, and (fine-tuning) loss and accuracy curves.

use leptos::prelude::*;

const WIDTH: f32 = 360.0;
const HEIGHT: f32 = 140.0;
const PAD_LEFT: f32 = 34.0;
const PAD_RIGHT: f32 = 8.0;
const PAD_TOP: f32 = 8.0;
const PAD_BOTTOM: f32 = 18.0;

/// One line of a chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend text.
    pub name: &'static str,
    /// CSS class that sets the colour.
    pub class: &'static str,
    /// The values, one per point.
    pub values: Vec<f32>,
}

/// Maps values into the plot area.
struct Scale {
    n: usize,
    min: f32,
    max: f32,
}

impl Scale {
    fn x(&self, i: usize) -> f32 {
        let span = (self.n.max(2) - 1) as f32;
        PAD_LEFT + (WIDTH - PAD_LEFT - PAD_RIGHT) * i as f32 / span
    }
    fn y(&self, v: f32) -> f32 {
        let t = if self.max > self.min { (v - self.min) / (self.max - self.min) } else { 0.5 };
        HEIGHT - PAD_BOTTOM - (HEIGHT - PAD_TOP - PAD_BOTTOM) * t.clamp(0.0, 1.0)
    }
}

/// An axis label for `v` with enough decimals to tell the ends of a `span`-wide axis apart.
fn tick(v: f32, span: f32) -> String {
    let for_size = if v.abs() >= 100.0 { 0 } else if v.abs() >= 10.0 { 1 } else { 2 };
    let for_span = if span > 0.0 { (1.0 - span.log10()).ceil().clamp(0.0, 5.0) as usize } else { 0 };
    format!("{v:.*}", for_size.max(for_span))
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
    /// Fit the y axis to the data instead of starting at zero: for values that move little
    /// around a large level (‖z‖ and ‖y‖ stay near √D because the block ends in an RMSNorm).
    #[prop(optional)]
    fit_to_data: bool,
    /// A vertical cursor at this point index.
    #[prop(optional, into)]
    cursor: Option<Signal<Option<usize>>>,
    /// Draw a faint vertical line every this many points (supervision-step boundaries).
    #[prop(optional)]
    group: Option<Signal<usize>>,
    /// A horizontal reference line (e.g. the halting threshold).
    #[prop(optional)]
    reference: Option<f32>,
    /// Test id of the chart.
    id: &'static str,
) -> impl IntoView {
    let scale = Memo::new(move |_| {
        series.with(|all| {
            let n = all.iter().map(|s| s.values.len()).max().unwrap_or(0);
            let (min, max) = y_range.unwrap_or_else(|| {
                let finite = all.iter().flat_map(|s| s.values.iter().copied()).filter(|v| v.is_finite());
                let (lo, hi) = finite.fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
                if !lo.is_finite() {
                    (0.0, 1.0)
                } else if fit_to_data {
                    let pad = ((hi - lo) * 0.1).max(hi.abs() * 1e-3).max(1e-6);
                    (lo - pad, hi + pad)
                } else {
                    (lo.min(0.0), if hi > lo { hi * 1.05 } else { lo + 1.0 })
                }
            });
            (n, min, max)
        })
    });
    let points = move |values: &[f32]| {
        let (n, min, max) = scale.get();
        let s = Scale { n, min, max };
        values
            .iter()
            .enumerate()
            .filter(|(_, v)| v.is_finite())
            .map(|(i, &v)| format!("{:.1},{:.1}", s.x(i), s.y(v)))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let lines = move || {
        series
            .get()
            .into_iter()
            .map(|s| {
                let pts = points(&s.values);
                let count = s.values.len();
                let single = (count == 1).then(|| {
                    let (n, min, max) = scale.get();
                    let sc = Scale { n, min, max };
                    view! { <circle class=s.class cx=sc.x(0) cy=sc.y(s.values[0]) r="2.5"></circle> }
                });
                view! {
                    <polyline class=format!("line {}", s.class) points=pts data-series=s.name data-points=count></polyline>
                    {single}
                }
            })
            .collect_view()
    };
    let legend = move || {
        series
            .get()
            .into_iter()
            .map(|s| view! { <span class=format!("legend {}", s.class)>{s.name}</span> })
            .collect_view()
    };
    let axes = move || {
        let (n, min, max) = scale.get();
        let s = Scale { n, min, max };
        let mut grid_lines = Vec::new();
        if let Some(group) = group {
            let g = group.get().max(1);
            let mut i = g;
            while i < n {
                let x = (s.x(i - 1) + s.x(i)) / 2.0;
                grid_lines.push(view! { <line class="group" x1=x x2=x y1=PAD_TOP y2=HEIGHT - PAD_BOTTOM></line> });
                i += g;
            }
        }
        let reference_line = reference.map(|r| {
            let y = s.y(r);
            view! { <line class="reference" x1=PAD_LEFT x2=WIDTH - PAD_RIGHT y1=y y2=y></line> }
        });
        view! {
            <line class="axis" x1=PAD_LEFT x2=PAD_LEFT y1=PAD_TOP y2=HEIGHT - PAD_BOTTOM></line>
            <line class="axis" x1=PAD_LEFT x2=WIDTH - PAD_RIGHT y1=HEIGHT - PAD_BOTTOM y2=HEIGHT - PAD_BOTTOM></line>
            <text class="tick" x=PAD_LEFT - 4.0 y=s.y(max) + 4.0 text-anchor="end">{tick(max, max - min)}</text>
            <text class="tick" x=PAD_LEFT - 4.0 y=s.y(min) text-anchor="end">{tick(min, max - min)}</text>
            <text class="tick" x=WIDTH - PAD_RIGHT y=HEIGHT - 4.0 text-anchor="end">{n.to_string()}</text>
            {grid_lines}
            {reference_line}
        }
    };
    let cursor_line = move || {
        let c = cursor.and_then(|c| c.get())?;
        let (n, min, max) = scale.get();
        if c >= n {
            return None;
        }
        let x = Scale { n, min, max }.x(c);
        Some(view! { <line class="cursor" x1=x x2=x y1=PAD_TOP y2=HEIGHT - PAD_BOTTOM></line> })
    };
    view! {
        <figure class="chart" id=id>
            <figcaption>{title} " " {legend}</figcaption>
            <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-label=title preserveAspectRatio="none">
                {axes}
                {lines}
                {cursor_line}
            </svg>
        </figure>
    }
}

//! "Embed": a dialog with the one-line snippet for the current puzzle and settings, a live
//! preview of the widget, and a copy button.

use leptos::prelude::*;
use trm_trace::attempts::ATTEMPT_CHOICES;

use crate::platform::copy_text;
use crate::state::AppState;

/// The widget's settings a blogger picks.
#[derive(Debug, Clone, PartialEq)]
struct EmbedSettings {
    controls: &'static str,
    theme: &'static str,
    attempts: usize,
    autoplay: bool,
    fixed_height: bool,
}

/// The folder the page is served from (where `embed.js` and `embed.html` live).
fn base_url() -> String {
    let href = web_sys::window().and_then(|w| w.location().href().ok()).unwrap_or_default();
    let without_query = href.split(['?', '#']).next().unwrap_or("").to_string();
    match without_query.rfind('/') {
        Some(i) => without_query[..=i].to_string(),
        None => without_query,
    }
}

/// The one-line snippet.
fn snippet(base: &str, puzzle: &str, s: &EmbedSettings) -> String {
    let mut out = format!("<script src=\"{base}embed.js\" data-puzzle=\"{puzzle}\" data-attempts=\"{}\"", s.attempts);
    out.push_str(&format!(" data-controls=\"{}\" data-theme=\"{}\"", s.controls, s.theme));
    if !s.autoplay {
        out.push_str(" data-autoplay=\"0\"");
    }
    if s.fixed_height {
        out.push_str(" data-height=\"fixed\"");
    }
    out.push_str(" async></script>");
    out
}

/// The preview's address: what `embed.js` would load for these settings.
fn preview_url(base: &str, puzzle: &str, s: &EmbedSettings) -> String {
    format!(
        "{base}embed.html?s={puzzle}&k={}&controls={}&theme={}&autoplay={}&embed=1{}",
        s.attempts,
        s.controls,
        s.theme,
        if s.autoplay { 1 } else { 0 },
        if s.fixed_height { "&height=fixed" } else { "" }
    )
}

/// The button that opens the dialog, and the dialog.
#[component]
pub fn EmbedButton() -> impl IntoView {
    let state = expect_context::<AppState>();
    let open = RwSignal::new(false);
    let settings = RwSignal::new(EmbedSettings {
        controls: "min",
        theme: "auto",
        attempts: 4,
        autoplay: true,
        fixed_height: false,
    });
    let base = base_url();
    let base_for_preview = base.clone();
    let code = Memo::new(move |_| snippet(&base, &state.puzzle.get().to_line(), &settings.get()));
    let preview = Memo::new(move |_| preview_url(&base_for_preview, &state.puzzle.get().to_line(), &settings.get()));
    let copied = RwSignal::new(false);
    view! {
        <button type="button" id="embed-open" on:click=move |_| {
            settings.update(|s| s.attempts = state.attempts.get_untracked());
            copied.set(false);
            open.set(true);
        }>"Embed…"</button>
        <Show when=move || open.get()>
            <div class="dialog-backdrop" on:click=move |_| open.set(false)></div>
            <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="embed-title" id="embed-dialog">
                <h2 id="embed-title">"Embed this puzzle"</h2>
                <p class="note">"Paste this line into a blog post where the widget should appear. It loads only from this site and nothing before the reader scrolls to it."</p>
                <div class="row">
                    <label>"Controls "
                        <select id="embed-controls" on:change:target=move |ev| {
                            let v = if ev.target().value() == "full" { "full" } else { "min" };
                            settings.update(|s| s.controls = v);
                        }>
                            <option value="min" selected=move || settings.get().controls == "min">"compact"</option>
                            <option value="full" selected=move || settings.get().controls == "full">"full"</option>
                        </select>
                    </label>
                    <label>"Theme "
                        <select id="embed-theme" on:change:target=move |ev| {
                            let v = match ev.target().value().as_str() { "light" => "light", "dark" => "dark", _ => "auto" };
                            settings.update(|s| s.theme = v);
                        }>
                            {["auto", "light", "dark"].into_iter().map(|t| view! {
                                <option value=t selected=move || settings.get().theme == t>{t}</option>
                            }).collect_view()}
                        </select>
                    </label>
                    <label>"Attempts "
                        <select id="embed-attempts" on:change:target=move |ev| {
                            if let Ok(k) = ev.target().value().parse::<usize>() { settings.update(|s| s.attempts = k) }
                        }>
                            {ATTEMPT_CHOICES.into_iter().map(|k| view! {
                                <option value=k selected=move || settings.get().attempts == k>{k}</option>
                            }).collect_view()}
                        </select>
                    </label>
                    <label>
                        <input type="checkbox" id="embed-autoplay" prop:checked=move || settings.get().autoplay
                            on:change:target=move |ev| settings.update(|s| s.autoplay = ev.target().checked())/>
                        " solve when scrolled into view"
                    </label>
                    <label>
                        <input type="checkbox" id="embed-fixed" prop:checked=move || settings.get().fixed_height
                            on:change:target=move |ev| settings.update(|s| s.fixed_height = ev.target().checked())/>
                        " fixed 4:3 box"
                    </label>
                </div>
                <textarea id="embed-snippet" readonly rows="3" spellcheck="false" prop:value=move || code.get()></textarea>
                <div class="row">
                    <button type="button" class="primary" id="embed-copy" on:click=move |_| {
                        let text = code.get_untracked();
                        leptos::task::spawn_local(async move {
                            copied.set(copy_text(&text).await.is_ok());
                        });
                    }>{move || if copied.get() { "Copied" } else { "Copy snippet" }}</button>
                    <button type="button" id="embed-close" on:click=move |_| open.set(false)>"Close"</button>
                </div>
                <p class="note">"Preview:"</p>
                <iframe id="embed-preview" class="embed-preview" title="Preview of the embedded widget" src=move || preview.get()></iframe>
            </div>
        </Show>
    }
}

//! Themes: the UI asks for a meaning (`border_focused`, `gear_plan`), never for a colour.
//!
//! `themes/dark.toml` defines every meaning and is the base; any other theme (built in, or a
//! file `<config dir>/themes/NAME.toml`) is a patch that names only what it changes.

use std::path::Path;

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Span;
use ratatui::widgets::{Block, BorderType, Borders};
use serde::Deserialize;

use crate::config::{ConfigError, parse_file};
use crate::protocol::Gear;

const DARK: &str = include_str!("../../../themes/dark.toml");
const BUILT_IN: &[(&str, &str)] = &[
    ("dark", DARK),
    ("light", include_str!("../../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../../themes/high-contrast.toml"),
    ),
];

/// One style as written in a theme file: `{ fg = "cyan", bg = "#1e1e2e", bold = true }`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StyleSpec {
    fg: Option<String>,
    bg: Option<String>,
    #[serde(default)]
    bold: bool,
    #[serde(default)]
    italic: bool,
    #[serde(default)]
    dim: bool,
    #[serde(default)]
    underline: bool,
    #[serde(default)]
    reversed: bool,
}

impl StyleSpec {
    fn to_style(&self, meaning: &str) -> Result<Style, String> {
        let color = |c: &Option<String>| -> Result<Option<Color>, String> {
            c.as_deref()
                .map(|s| {
                    s.parse::<Color>().map_err(|_| {
                        format!("`{meaning}`: `{s}` is not a colour (a name like \"cyan\", \"#rrggbb\" or 0-255)")
                    })
                })
                .transpose()
        };
        let mut style = Style::default();
        if let Some(fg) = color(&self.fg)? {
            style = style.fg(fg);
        }
        if let Some(bg) = color(&self.bg)? {
            style = style.bg(bg);
        }
        for (on, m) in [
            (self.bold, Modifier::BOLD),
            (self.italic, Modifier::ITALIC),
            (self.dim, Modifier::DIM),
            (self.underline, Modifier::UNDERLINED),
            (self.reversed, Modifier::REVERSED),
        ] {
            if on {
                style = style.add_modifier(m);
            }
        }
        Ok(style)
    }
}

macro_rules! theme_styles {
    ($( $(#[$doc:meta])* $name:ident ),* $(,)?) => {
        /// Every meaning a pane can ask for.
        #[derive(Debug, Clone, PartialEq)]
        pub struct Styles { $( $(#[$doc])* pub $name: Style ),* }

        #[derive(Debug, Default, Deserialize)]
        #[serde(deny_unknown_fields)]
        struct StylesPatch { $( $name: Option<StyleSpec> ),* }

        impl StylesPatch {
            fn apply(&self, base: &mut Styles) -> Result<(), String> {
                $( if let Some(spec) = &self.$name { base.$name = spec.to_style(stringify!($name))?; } )*
                Ok(())
            }
        }

        impl Default for Styles {
            fn default() -> Styles { Styles { $( $name: Style::default() ),* } }
        }
    };
}

theme_styles! {
    /// Ordinary text.
    text,
    /// Secondary text: hints, placeholders, timestamps.
    dim,
    border,
    border_focused,
    title,
    title_focused,
    status_bar,
    /// Key names in the status bar and help.
    key,
    gear_vibe,
    gear_plan,
    gear_pipeline,
    /// The DEMO label of the offline provider.
    demo,
    user_label,
    user_text,
    assistant_label,
    assistant_text,
    notice,
    error,
    tab_active,
    tab_inactive,
    help_heading,
    overlay,
    diff_added,
    diff_removed,
    selection,
    /// The used part of the context-window bar.
    context_used,
    /// Context heatmap cells by category, free space and the reply's reserve.
    ctx_system,
    ctx_memory,
    ctx_skills,
    ctx_tools,
    ctx_summary,
    ctx_user,
    ctx_assistant,
    ctx_tool_results,
    ctx_free,
    ctx_reserved,
    /// Markdown in replies.
    heading,
    code,
    quote,
    link,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    /// The syntect theme used for code blocks and diffs.
    syntax_theme: Option<String>,
    #[serde(default)]
    styles: StylesPatch,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    pub syntax_theme: String,
    pub styles: Styles,
}

impl Theme {
    /// Loads a theme by name: a built-in one, or `<config_dir>/themes/NAME.toml`.
    pub fn load(name: &str, config_dir: &Path) -> Result<Theme, ConfigError> {
        let mut theme = Theme {
            name: "dark".into(),
            syntax_theme: String::new(),
            styles: Styles::default(),
        };
        theme.patch(Path::new("themes/dark.toml"), DARK)?;
        let user_file = config_dir.join("themes").join(format!("{name}.toml"));
        if user_file.exists() {
            let text = std::fs::read_to_string(&user_file).map_err(|source| ConfigError::Read {
                path: user_file.clone(),
                source,
            })?;
            theme.patch(&user_file, &text)?;
        } else if let Some((_, text)) = BUILT_IN.iter().find(|(n, _)| *n == name) {
            theme.patch(&Path::new("themes").join(format!("{name}.toml")), text)?;
        } else {
            let names: Vec<&str> = BUILT_IN.iter().map(|(n, _)| *n).collect();
            return Err(ConfigError::Invalid(format!(
                "theme `{name}` not found: it is not built in ({}) and {} does not exist",
                names.join(", "),
                user_file.display()
            )));
        }
        theme.name = name.to_string();
        Ok(theme)
    }

    fn patch(&mut self, path: &Path, text: &str) -> Result<(), ConfigError> {
        let file: ThemeFile = parse_file(path, text)?;
        if let Some(s) = file.syntax_theme {
            self.syntax_theme = s;
        }
        file.styles
            .apply(&mut self.styles)
            .map_err(|m| ConfigError::Invalid(format!("{}: {m}", path.display())))
    }

    /// The colour of a gear's badge.
    #[must_use]
    pub fn gear(&self, gear: Gear) -> Style {
        match gear {
            Gear::Vibe => self.styles.gear_vibe,
            Gear::Plan => self.styles.gear_plan,
            Gear::Pipeline => self.styles.gear_pipeline,
        }
    }

    #[must_use]
    pub fn border(&self, focused: bool) -> Style {
        if focused {
            self.styles.border_focused
        } else {
            self.styles.border
        }
    }

    #[must_use]
    pub fn title(&self, focused: bool) -> Style {
        if focused {
            self.styles.title_focused
        } else {
            self.styles.title
        }
    }

    /// The rounded, titled border of a pane or an overlay.
    #[must_use]
    pub fn pane_block<'a>(&self, title: &'a str, focused: bool) -> Block<'a> {
        Block::default()
            .borders(Borders::ALL)
            .border_type(BorderType::Rounded)
            .border_style(self.border(focused))
            .title(Span::styled(format!(" {title} "), self.title(focused)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_themes_load_and_differ() {
        let dir = tempfile::tempdir().unwrap();
        let dark = Theme::load("dark", dir.path()).unwrap();
        assert!(!dark.syntax_theme.is_empty());
        assert_ne!(dark.styles.gear_vibe, dark.styles.gear_plan);
        assert_ne!(dark.styles.gear_plan, dark.styles.gear_pipeline);
        for name in ["light", "high-contrast"] {
            let t = Theme::load(name, dir.path()).unwrap();
            assert_ne!(t.styles, dark.styles, "{name}");
        }
    }

    #[test]
    fn a_user_theme_patches_dark() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("themes")).unwrap();
        std::fs::write(
            dir.path().join("themes/mine.toml"),
            "[styles]\ngear_vibe = { fg = \"#ff00ff\", bold = true }\n",
        )
        .unwrap();
        let dark = Theme::load("dark", dir.path()).unwrap();
        let mine = Theme::load("mine", dir.path()).unwrap();
        assert_eq!(
            mine.styles.gear_vibe,
            Style::default()
                .fg(Color::Rgb(255, 0, 255))
                .add_modifier(Modifier::BOLD)
        );
        assert_eq!(
            mine.styles.border, dark.styles.border,
            "unnamed meanings kept"
        );
        assert_eq!(mine.syntax_theme, dark.syntax_theme);
    }

    #[test]
    fn bad_theme_files_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("themes")).unwrap();
        std::fs::write(
            dir.path().join("themes/typo.toml"),
            "[styles]\n\nbordr = { fg = \"red\" }\n",
        )
        .unwrap();
        let err = Theme::load("typo", dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("typo.toml:3:") && err.contains("styles.bordr"),
            "{err}"
        );
        std::fs::write(
            dir.path().join("themes/colour.toml"),
            "[styles]\nborder = { fg = \"blurple\" }\n",
        )
        .unwrap();
        let err = Theme::load("colour", dir.path()).unwrap_err().to_string();
        assert!(err.contains("blurple") && err.contains("border"), "{err}");
        let err = Theme::load("nope", dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("`nope` not found") && err.contains("light"),
            "{err}"
        );
    }
}

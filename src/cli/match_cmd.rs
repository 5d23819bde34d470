//! `consentry match SCREENSHOT TEMPLATE`: finds a template in a screenshot
//! with [`crate::vision::find`] and prints the result as JSON on stdout.
//! Exits 0 when matched, 1 when not, 2 on bad input (unreadable or corrupt
//! images, a template larger than the screenshot at every scale).

use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use crate::exit::Exit;
use crate::vision::{
    self, Match, MatchOptions, ScaleRange, Screen, Strategy, Template, mask_from_image,
};

#[derive(Debug, Clone, Args)]
pub struct MatchArgs {
    /// The screenshot to search (PNG).
    #[arg(value_name = "SCREENSHOT")]
    pub screenshot: PathBuf,
    /// The template to find (PNG); its transparent pixels are ignored.
    #[arg(value_name = "TEMPLATE")]
    pub template: PathBuf,
    /// Lowest score (TM_CCOEFF_NORMED, -1..=1) that counts as a match.
    #[arg(long, default_value_t = 0.9, value_parser = parse_threshold)]
    pub threshold: f32,
    /// Template scales: one value (`1`) or a range (`0.5..2.0`).
    #[arg(long, default_value = "1", value_parser = parse_scales)]
    pub scales: ScaleRange,
    /// Scales tried in a range, spaced geometrically (the best are then refined between them);
    /// by default enough that neighbours are at most 1.1× apart.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(2..=100))]
    pub scale_steps: Option<u16>,
    /// A mask image of the template's size: light opaque pixels count, dark or transparent ones do not.
    #[arg(long, value_name = "MASK.png")]
    pub mask: Option<PathBuf>,
    /// Also list every match above the threshold (after non-maximum suppression).
    #[arg(long)]
    pub all: bool,
    /// Most matches listed with --all.
    #[arg(long, default_value_t = 50, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub max_matches: u32,
    /// Score every position at full resolution instead of coarse to fine (slow; a cross-check).
    #[arg(long)]
    pub exhaustive: bool,
}

fn parse_threshold(s: &str) -> Result<f32, String> {
    let v: f32 = s.parse().map_err(|_| format!("`{s}` is not a number"))?;
    if (-1.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!("{v} is outside -1..=1"))
    }
}

fn parse_scales(s: &str) -> Result<ScaleRange, String> {
    s.parse().map_err(|e: vision::MatchError| e.to_string())
}

#[derive(Debug, Serialize)]
struct Size {
    width: u32,
    height: u32,
}

#[derive(Debug, Serialize)]
struct Output {
    matched: bool,
    x: u32,
    y: u32,
    width: u32,
    height: u32,
    score: f32,
    scale: f32,
    /// Where a tap on the match would go.
    center_x: u32,
    center_y: u32,
    threshold: f32,
    screenshot: Size,
    template: Size,
    #[serde(skip_serializing_if = "Option::is_none")]
    matches: Option<Vec<Match>>,
}

fn fail(what: &dyn std::fmt::Display, err: &dyn std::error::Error) -> Exit {
    let mut msg = format!("consentry match: {what}");
    let mut source = err.source();
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    eprintln!("{msg}");
    Exit::Usage
}

pub(crate) fn run(args: &MatchArgs) -> Exit {
    let screenshot = match vision::load_image(&args.screenshot) {
        Ok(i) => i,
        Err(e) => return fail(&e, &e),
    };
    let template_img = match vision::load_image(&args.template) {
        Ok(i) => i,
        Err(e) => return fail(&e, &e),
    };
    let mut template = match Template::from_image(&template_img) {
        Ok(t) => t,
        Err(e) => return fail(&format!("template {}: {e}", args.template.display()), &e),
    };
    if let Some(path) = &args.mask {
        let mask = match vision::load_image(path) {
            Ok(i) => mask_from_image(&i),
            Err(e) => return fail(&e, &e),
        };
        template = match template.with_mask(mask) {
            Ok(t) => t,
            Err(e) => return fail(&format!("mask {}: {e}", path.display()), &e),
        };
    }
    let screen = match Screen::from_image(&screenshot) {
        Ok(s) => s,
        Err(e) => {
            return fail(
                &format!("screenshot {}: {e}", args.screenshot.display()),
                &e,
            );
        }
    };
    let scales = match args.scale_steps {
        Some(n) if args.scales.steps > 1 => ScaleRange {
            steps: usize::from(n),
            ..args.scales
        },
        _ => args.scales,
    };
    let opts = MatchOptions {
        threshold: args.threshold,
        scales,
        max_matches: if args.all {
            args.max_matches as usize
        } else {
            1
        },
        strategy: if args.exhaustive {
            Strategy::Exhaustive
        } else {
            Strategy::Pyramid
        },
        ..MatchOptions::default()
    };
    let result = match vision::find(&screen, &template, &opts) {
        Ok(r) => r,
        Err(e) => {
            return fail(
                &format!(
                    "{} in {}: {e}",
                    args.template.display(),
                    args.screenshot.display()
                ),
                &e,
            );
        }
    };
    let b = result.best;
    let matched = result.matched();
    let (center_x, center_y) = b.center();
    let out = Output {
        matched,
        x: b.x,
        y: b.y,
        width: b.width,
        height: b.height,
        score: b.score,
        scale: b.scale,
        center_x,
        center_y,
        threshold: result.threshold,
        screenshot: Size {
            width: screenshot.width(),
            height: screenshot.height(),
        },
        template: Size {
            width: template_img.width(),
            height: template_img.height(),
        },
        matches: args.all.then_some(result.matches),
    };
    match serde_json::to_string_pretty(&out) {
        Ok(s) => println!("{s}"),
        Err(e) => return fail(&"cannot write the result", &e),
    }
    if matched {
        Exit::Success
    } else {
        Exit::NO_MATCH
    }
}

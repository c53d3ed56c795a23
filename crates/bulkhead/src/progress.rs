//! Progress bars on a terminal; nothing otherwise.

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

pub struct Bars {
    bars: Vec<ProgressBar>,
}

impl Bars {
    /// One bar per layer, shown only when stderr is a terminal and not `--quiet`.
    pub fn new(layers: &[Option<u64>], quiet: bool) -> Bars {
        let target = if quiet || !std::io::stderr().is_terminal() {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        };
        let multi = MultiProgress::with_draw_target(target);
        let style = ProgressStyle::with_template(
            "layer {prefix:>3} {bar:30} {bytes:>10}/{total_bytes:10} {bytes_per_sec}",
        )
        .expect("valid template");
        let bars = layers
            .iter()
            .enumerate()
            .map(|(i, size)| {
                let bar = multi.add(ProgressBar::new(size.unwrap_or(0)));
                bar.set_style(style.clone());
                bar.set_prefix(i.to_string());
                bar
            })
            .collect();
        Bars { bars }
    }
}

impl artifact::Progress for Bars {
    fn advanced(&self, index: usize, bytes: u64) {
        if let Some(bar) = self.bars.get(index) {
            bar.inc(bytes);
        }
    }

    fn layer_finished(&self, index: usize) {
        if let Some(bar) = self.bars.get(index) {
            bar.finish();
        }
    }
}

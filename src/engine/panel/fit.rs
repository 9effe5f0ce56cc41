//! Fitting the panel's prompts to a small context window (llama.cpp's server holds 2 048 tokens
//! on its defaults): the window is learnt from the first request the server refuses as too
//! long, and from then on the discussion each prompt carries — the personas' words, which grow
//! far faster than the case so far — is shortened to what fits, each persona keeping the start
//! of what it said, marked as shortened.

use crate::llm::LlmError;
use crate::protocol::PanelContribution;
use std::sync::atomic::{AtomicU64, Ordering};

/// Characters a token, counted low so that an estimate errs towards fitting (English runs
/// about four).
const CHARS_PER_TOKEN: u64 = 3;
/// Tokens the chat template adds around the messages.
const TEMPLATE_TOKENS: u64 = 64;
/// Never shortened below this many characters: a shorter excerpt says nothing.
const MIN_SHARE: usize = 160;
/// What a shortened contribution ends with.
pub(super) const SHORTENED: &str = " [shortened to fit the model's context window]";

/// The context window of the panel's model, once a server has said it.
#[derive(Debug, Default)]
pub(super) struct Window(AtomicU64);

impl Window {
    /// Learns the window from a refusal; true when `err` said one not known before (a prompt
    /// built without it may now be built to fit).
    pub fn learn(&self, err: &LlmError) -> bool {
        match err {
            LlmError::ContextExceeded {
                limit: Some(limit), ..
            } if *limit > 0 => {
                let before = self.0.swap(*limit, Ordering::Relaxed);
                if before == *limit {
                    return false;
                }
                tracing::info!(
                    window = limit,
                    "the panel's prompts are shortened to the model's context window"
                );
                true
            }
            _ => false,
        }
    }

    /// Characters each of `n` texts may keep in a prompt whose other parts hold `fixed`
    /// characters and whose answer may take `answer` tokens; `None` while the window is unknown.
    pub fn share(&self, fixed: usize, answer: u32, n: usize) -> Option<usize> {
        let window = self.0.load(Ordering::Relaxed);
        if window == 0 {
            return None;
        }
        let used = (fixed as u64).div_ceil(CHARS_PER_TOKEN) + u64::from(answer) + TEMPLATE_TOKENS;
        let room = window.saturating_sub(used) * CHARS_PER_TOKEN;
        Some((room as usize / n.max(1)).max(MIN_SHARE))
    }
}

impl Window {
    /// Characters the case so far may take in a prompt whose other parts hold `other`
    /// characters, that also carries `n` texts at their shortest, and whose answer may take
    /// `answer` tokens; `None` while the window is unknown.
    pub fn brief_room(&self, other: usize, answer: u32, n: usize) -> Option<usize> {
        let window = self.0.load(Ordering::Relaxed);
        if window == 0 {
            return None;
        }
        let room = window.saturating_sub(u64::from(answer) + TEMPLATE_TOKENS) * CHARS_PER_TOKEN;
        Some((room as usize).saturating_sub(other + n * (MIN_SHARE + SHORTENED.len())))
    }
}

/// The case so far (`brief`, as text) and the share of each of the `said` texts, fitted
/// together to the window: the texts are shortened first; when even at their shortest they
/// leave no room for the whole case so far, its answers are shortened too. `other`: the
/// prompt's remaining characters.
pub(super) fn fitted(
    window: &Window,
    brief: &super::Brief<'_>,
    other: usize,
    answer: u32,
    said: Option<&[PanelContribution]>,
) -> (String, Option<usize>) {
    let n = said.map_or(0, speakers);
    let text = match window.brief_room(other, answer, n) {
        Some(max) => brief.render_within(max),
        None => brief.render(),
    };
    let share = said.and_then(|said| window.share(other + text.len(), answer, speakers(said)));
    (text, share)
}

/// `text` cut to at most `max` characters at a word's end, marked, when longer.
pub(super) fn shortened(text: &str, max: Option<usize>) -> String {
    let Some(max) = max else {
        return text.to_string();
    };
    if text.chars().count() <= max {
        return text.to_string();
    }
    let keep = max.saturating_sub(SHORTENED.len());
    let cut: String = text.chars().take(keep).collect();
    let cut = match cut.rfind(char::is_whitespace) {
        Some(at) if at > keep / 2 => &cut[..at],
        _ => cut.as_str(),
    };
    format!("{}{SHORTENED}", cut.trim_end())
}

/// How many contributions a discussion shows (the failed ones are left out).
pub(super) fn speakers(contributions: &[PanelContribution]) -> usize {
    contributions.iter().filter(|c| !c.failed).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_shortened_until_the_window_is_known_then_what_fits() {
        let window = Window::default();
        assert_eq!(window.share(1_000, 500, 5), None);
        assert!(!window.learn(&LlmError::Empty));
        assert!(window.learn(&LlmError::ContextExceeded {
            limit: Some(2_048),
            prompt: Some(2_132)
        }));
        // Said again, it is nothing new.
        assert!(!window.learn(&LlmError::ContextExceeded {
            limit: Some(2_048),
            prompt: None
        }));
        // (2048 - 334 - 500 - 64) tokens of 3 characters, over five.
        assert_eq!(window.share(1_000, 500, 5), Some(690));
        // Never below the floor, however long the rest.
        assert_eq!(window.share(100_000, 500, 5), Some(MIN_SHARE));
    }

    #[test]
    fn a_long_text_keeps_its_start_up_to_a_word_and_says_it_was_shortened() {
        let text = "Leading diagnosis is acute appendicitis given migration of pain ".repeat(10);
        let short = shortened(&text, Some(200));
        assert!(short.chars().count() <= 200, "{short}");
        assert!(short.ends_with(SHORTENED));
        assert!(short.starts_with("Leading diagnosis is acute"));
        assert!(!short.contains("  "));
        assert_eq!(shortened("short", Some(200)), "short");
        assert_eq!(shortened(&text, None), text);
    }
}

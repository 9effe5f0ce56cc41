//! Wire types shared by the browser and the server: WebSocket frames and DTOs (serde only).
//!
//! The v1 frames are a contract with clients of the original project (see `shared/product.md`);
//! everything we add is additive: extra fields and extra frame types, never a changed field.

mod account;
mod actor;
mod encounter;
mod money;
mod panel;
mod time;

pub use account::{safe_next, Group, LoginOutcome, SessionInfo, UserInfo};
pub use actor::{Actor, PanelActor};
pub use encounter::{
    ActedTest, ActedTurn, Applied, CaseCard, EncounterSummary, EncounterView, OrderedTest,
    ResultSource, StartOutcome, TestPrice, Turn,
};
pub use money::Money;
pub use panel::{
    persona_title, DeliberationFrame, PanelCandidate, PanelContribution, PanelProposal, PanelTurn,
    PanelWordsFrame, StepFrame,
};
pub use time::format_unix_utc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The most characters a client frame's `content` may hold.
pub const MAX_CONTENT_CHARS: usize = 10_000;

/// The socket close code of a session that ended (signed out, expired, revoked): the client
/// does not reconnect.
pub const CLOSE_SESSION_ENDED: u16 = 1008;
/// The socket close code of a socket that a newer one of the same session replaced (over the
/// per-session cap): the client does not reconnect.
pub const CLOSE_REPLACED: u16 = 4001;

/// What a client frame asks the server to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Ask the patient a question (the v1 default when `action` is omitted).
    Question,
    /// Order one or more tests.
    Test,
    /// Commit to a final diagnosis.
    Diagnosis,
    /// Our addition: a liveness check answered by a `pong` frame; it carries no content.
    Ping,
    /// Our addition: ask the AI panel for its next step (it deliberates; nothing is done).
    Panel,
    /// Our addition: let the AI panel work the case turn by turn to a verdict.
    #[serde(rename = "panel_run")]
    PanelRun,
}

impl Action {
    /// The wire name of the action.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Question => "question",
            Self::Test => "test",
            Self::Diagnosis => "diagnosis",
            Self::Ping => "ping",
            Self::Panel => "panel",
            Self::PanelRun => "panel_run",
        }
    }

    /// True for the actions that carry the physician's words (question, test, diagnosis).
    pub fn needs_content(self) -> bool {
        matches!(self, Self::Question | Self::Test | Self::Diagnosis)
    }

    /// Parses the wire name of an action.
    pub fn from_wire(name: &str) -> Option<Self> {
        match name {
            "question" => Some(Self::Question),
            "test" => Some(Self::Test),
            "diagnosis" => Some(Self::Diagnosis),
            "ping" => Some(Self::Ping),
            "panel" => Some(Self::Panel),
            "panel_run" => Some(Self::PanelRun),
            _ => None,
        }
    }
}

/// A validated frame from the client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientFrame {
    /// What to do.
    pub action: Action,
    /// The question, test names or diagnosis; empty for `ping`.
    #[serde(default)]
    pub content: String,
    /// Echoed in every frame that answers this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Value>,
}

/// The stable machine codes of error frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The frame was not a JSON object.
    InvalidJson,
    /// The action is missing its meaning or unknown.
    InvalidAction,
    /// The content is missing, empty or too long.
    InvalidContent,
    /// The order would exceed the encounter's budget.
    OverBudget,
    /// A test name matched nothing in the price table.
    UnknownTest,
    /// The encounter already has a verdict.
    EncounterClosed,
    /// Too many messages in the rate window.
    RateLimited,
    /// Another writer changed the encounter first.
    Conflict,
    /// The panel stopped before a verdict (the message says why); every turn it finished is
    /// saved.
    PanelStopped,
    /// A server function's arguments are missing or malformed (HTTP 400).
    InvalidArguments,
    /// A request body over the limit (HTTP 413).
    TooLarge,
    /// The request never reached the server (the browser is offline, the server down).
    Unreachable,
    /// A fault on the server.
    Internal,
}

/// A frame that failed validation: the answer is an error frame and the socket stays open.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameError {
    /// Machine code.
    pub code: ErrorCode,
    /// Human text.
    pub message: String,
    /// The frame's `id`, when it could be read.
    pub id: Option<Value>,
}

impl FrameError {
    fn new(code: ErrorCode, message: impl Into<String>, id: Option<Value>) -> Self {
        Self {
            code,
            message: message.into(),
            id,
        }
    }

    /// The error frame that answers the bad client frame.
    pub fn into_frame(self) -> ServerFrame {
        ServerFrame::Error(ErrorFrame::new(self.code, self.message, self.id))
    }
}

/// Parses and validates one text frame from a client. Never panics, whatever the input.
pub fn parse_client_frame(text: &str) -> Result<ClientFrame, FrameError> {
    let value: Value = serde_json::from_str(text).map_err(|_| {
        FrameError::new(
            ErrorCode::InvalidJson,
            "Invalid frame: expected a JSON object such as {\"action\": \"question\", \"content\": \"…\"}",
            None,
        )
    })?;
    let Value::Object(map) = value else {
        return Err(FrameError::new(
            ErrorCode::InvalidJson,
            "Invalid frame: expected a JSON object",
            None,
        ));
    };
    let id = map.get("id").filter(|v| !v.is_null()).cloned();
    let action = match map.get("action") {
        // v1: an omitted action means a question.
        None | Some(Value::Null) => Action::Question,
        Some(Value::String(name)) => Action::from_wire(name).ok_or_else(|| {
            FrameError::new(
                ErrorCode::InvalidAction,
                "Invalid action: use \"question\", \"test\", \"diagnosis\", \"panel\" or \"panel_run\"",
                id.clone(),
            )
        })?,
        Some(_) => {
            return Err(FrameError::new(
                ErrorCode::InvalidAction,
                "Invalid action: it must be a string",
                id,
            ))
        }
    };
    let content = match map.get("content") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => {
            return Err(FrameError::new(
                ErrorCode::InvalidContent,
                "Invalid content: it must be a string",
                id,
            ))
        }
    };
    if action.needs_content() {
        let chars = content.chars().count();
        if content.trim().is_empty() {
            return Err(FrameError::new(
                ErrorCode::InvalidContent,
                "Invalid content: it must not be empty",
                id,
            ));
        }
        if chars > MAX_CONTENT_CHARS {
            return Err(FrameError::new(
                ErrorCode::InvalidContent,
                format!("Invalid content: at most {MAX_CONTENT_CHARS} characters (got {chars})"),
                id,
            ));
        }
    }
    Ok(ClientFrame {
        action,
        content,
        id,
    })
}

/// A frame sent by the server; `type` names the variant on the wire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum ServerFrame {
    /// A chunk of a reply that goes on.
    Reply(ReplyFrame),
    /// The last frame of a reply.
    Done(DoneFrame),
    /// A refusal or a fault; the socket stays open unless a close follows.
    Error(ErrorFrame),
    /// The answer to a `ping`.
    Pong(PongFrame),
    /// A panel persona's words as they come (answers `panel` and `panel_run`).
    Panel(PanelWordsFrame),
    /// A panel turn's whole deliberation and its agreed action.
    Deliberation(DeliberationFrame),
    /// A step the panel took in `panel_run`, with its answer and the running costs.
    Step(StepFrame),
}

/// A chunk of a streamed reply (`done: false`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReplyFrame {
    /// The text of this chunk.
    pub reply: String,
    /// Always false.
    pub done: bool,
    /// The client frame's `id`, echoed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Value>,
}

/// The final frame of a reply, with the running costs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DoneFrame {
    /// The last chunk of text.
    pub reply: String,
    /// Always true.
    pub done: bool,
    /// What this step cost, in dollars.
    pub cost: Money,
    /// The encounter's total spend, in dollars.
    pub total_spent: Money,
    /// Every test ordered so far.
    pub ordered_tests: Vec<String>,
    /// What is left of the budget, only when a budget is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remaining_budget: Option<Money>,
    /// The client frame's `id`, echoed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Value>,
    /// The encounter this step belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encounter_id: Option<String>,
    /// Present on the answer to a diagnosis: the verdict, or `null` for a case without a
    /// recorded diagnosis.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present_or_null"
    )]
    pub verdict: Option<Option<Verdict>>,
    /// True when a price in this step was estimated.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub estimate: bool,
    /// The step as saved, for a page to apply (absent on the panel's answers, whose steps come
    /// in step frames).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied: Option<Box<Applied>>,
}

/// Reads a field that may be present with `null` (`Some(None)`) or absent (`None`, by default).
fn present_or_null<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// The judge's verdict, with the answer key revealed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    /// 1–5.
    pub score: u8,
    /// Score ≥ 4.
    pub correct: bool,
    /// The true diagnosis.
    pub diagnosis: String,
    /// What was given.
    pub given: String,
    /// One line.
    pub rationale: String,
    /// The case's teaching points.
    pub teaching_points: Vec<String>,
    /// Everything spent.
    pub total_cost: Money,
    /// Who gave the diagnosis (absent in verdicts stored before actors were recorded: the user).
    #[serde(default)]
    pub actor: Actor,
    /// Which judge decided ("the offline judge", "the language-model judge (…), within a point
    /// of the offline judge (4/5)"); empty in verdicts stored before it was recorded.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub judged_by: String,
}

/// An error frame: v1 clients read `error`; ours also read the stable `code`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorFrame {
    /// Human text.
    pub error: String,
    /// Machine code.
    pub code: ErrorCode,
    /// The client frame's `id`, echoed when it could be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Value>,
    /// For `unknown_test`: the priced names closest to what was asked, best first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suggestions: Vec<String>,
}

impl ErrorFrame {
    /// An error frame without suggestions.
    pub fn new(code: ErrorCode, error: impl Into<String>, id: Option<Value>) -> Self {
        Self {
            error: error.into(),
            code,
            id,
            suggestions: Vec::new(),
        }
    }
}

/// The answer to a `ping`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PongFrame {
    /// The server's version.
    pub version: String,
    /// The client frame's `id`, echoed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Value>,
}

/// What the home page shows about the running system; read from the database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemStatus {
    /// `SQLite` or `PostgreSQL`.
    pub database: String,
    /// The newest schema migration applied to the database.
    pub schema_version: i64,
    /// How many migrations have been applied.
    pub migrations_applied: i64,
    /// The server's version.
    pub version: String,
}

#[cfg(test)]
mod tests;

//! Who took a step of an encounter: the signed-in physician, or the AI panel (which engine, in
//! which mode, with which model). Every page, export and list names the actor from here, so a
//! step the panel took is never shown as the physician's.

use serde::{Deserialize, Serialize};

/// The AI panel as an actor: enough to say which panel worked the case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PanelActor {
    /// `offline` (the Bayesian engine) or `llm`.
    pub engine: String,
    /// The mode it ran in (`unconstrained`, `budgeted`, …).
    pub mode: String,
    /// The language model, when one was used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
}

impl PanelActor {
    /// "offline, unconstrained" or "llm, budgeted, gpt-4o".
    pub fn describe(&self) -> String {
        let mut parts = vec![self.engine.as_str(), self.mode.as_str()];
        if let Some(model) = &self.model {
            parts.push(model);
        }
        parts.join(", ")
    }

    /// "AI panel (offline, unconstrained)".
    pub fn name(&self) -> String {
        format!("AI panel ({})", self.describe())
    }
}

/// Who took a step.
///
/// Steps stored before actors were recorded have none; they were all the physician's (the
/// panel could not act then), hence the default.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Actor {
    /// The signed-in physician who owns the encounter.
    User {
        /// Their user name, when it was recorded.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
    },
    /// The AI panel.
    Panel(PanelActor),
}

impl Default for Actor {
    fn default() -> Self {
        Actor::User { name: None }
    }
}

impl Actor {
    /// The signed-in user `name`.
    pub fn user(name: impl Into<String>) -> Self {
        Actor::User {
            name: Some(name.into()),
        }
    }

    /// True for the AI panel.
    pub fn is_panel(&self) -> bool {
        matches!(self, Actor::Panel(_))
    }

    /// The panel, when the panel acted.
    pub fn panel(&self) -> Option<&PanelActor> {
        match self {
            Actor::Panel(p) => Some(p),
            Actor::User { .. } => None,
        }
    }

    /// The actor for a reader other than the physician (exports): "Physician (alice)" or
    /// "AI panel (offline, unconstrained)". `owner` names a user step that recorded no name.
    pub fn name(&self, owner: Option<&str>) -> String {
        match self {
            Actor::User { name } => match name.as_deref().or(owner) {
                Some(name) => format!("Physician ({name})"),
                None => "Physician".to_string(),
            },
            Actor::Panel(p) => p.name(),
        }
    }

    /// The actor for the physician reading their own encounter: "You" or "AI panel (…)".
    pub fn name_for_owner(&self) -> String {
        match self {
            Actor::User { .. } => "You".to_string(),
            Actor::Panel(p) => p.name(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn offline() -> Actor {
        Actor::Panel(PanelActor {
            engine: "offline".into(),
            mode: "unconstrained".into(),
            model: None,
        })
    }

    #[test]
    fn the_wire_form_is_tagged_and_a_missing_actor_is_the_user() {
        assert_eq!(
            serde_json::to_value(offline()).unwrap(),
            json!({"kind": "panel", "engine": "offline", "mode": "unconstrained"})
        );
        assert_eq!(
            serde_json::to_value(Actor::user("alice")).unwrap(),
            json!({"kind": "user", "name": "alice"})
        );
        let old: Actor = serde_json::from_value(json!({"kind": "user"})).unwrap();
        assert_eq!(old, Actor::default());
        let llm: Actor = serde_json::from_value(
            json!({"kind": "panel", "engine": "llm", "mode": "budgeted", "model": "m1"}),
        )
        .unwrap();
        assert_eq!(llm.panel().unwrap().describe(), "llm, budgeted, m1");
    }

    #[test]
    fn names_say_who_acted() {
        assert_eq!(offline().name(None), "AI panel (offline, unconstrained)");
        assert_eq!(
            offline().name_for_owner(),
            "AI panel (offline, unconstrained)"
        );
        assert_eq!(Actor::user("alice").name(None), "Physician (alice)");
        assert_eq!(Actor::default().name(Some("bob")), "Physician (bob)");
        assert_eq!(Actor::default().name(None), "Physician");
        assert_eq!(Actor::user("alice").name_for_owner(), "You");
    }
}

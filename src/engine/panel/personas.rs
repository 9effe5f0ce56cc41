//! The five personas and the instructions each works under. Written for this project.

/// A member of the virtual panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Persona {
    /// Keeps the probability-ranked differential.
    Hypothesis,
    /// Picks the tests that best separate the leading diagnoses.
    TestChooser,
    /// Argues against the leading diagnosis.
    Challenger,
    /// Guards against low-value spending.
    Stewardship,
    /// Checks names and consistency.
    Checklist,
}

impl Persona {
    /// Every persona, in the order they speak.
    pub const ALL: [Persona; 5] = [
        Persona::Hypothesis,
        Persona::TestChooser,
        Persona::Challenger,
        Persona::Stewardship,
        Persona::Checklist,
    ];

    /// The name used in configuration (`DX0_LLM_PERSONA_MODELS`) and transcripts.
    pub fn key(self) -> &'static str {
        match self {
            Persona::Hypothesis => "hypothesis",
            Persona::TestChooser => "test-chooser",
            Persona::Challenger => "challenger",
            Persona::Stewardship => "stewardship",
            Persona::Checklist => "checklist",
        }
    }

    /// The name shown to people.
    pub fn title(self) -> &'static str {
        crate::protocol::persona_title(self.key())
    }

    /// The persona named `key`, if any.
    pub fn from_key(key: &str) -> Option<Persona> {
        Persona::ALL.into_iter().find(|p| p.key() == key)
    }

    /// The persona's instructions (the system prompt of an LLM panel member).
    pub fn instructions(self) -> &'static str {
        match self {
            Persona::Hypothesis => {
                "You are Dr. Hypothesis on a diagnostic panel. From everything revealed so far, keep \
                 a differential diagnosis of the three most likely conditions with probabilities that \
                 sum to at most 1, and say in one line for each what supports or weakens it. Update it \
                 honestly after every new finding, including when a finding lowers your favourite."
            }
            Persona::TestChooser => {
                "You are Dr. Test-Chooser on a diagnostic panel. Propose at most three tests (or \
                 focused questions, when history or examination would separate better) that most \
                 sharply discriminate between the leading diagnoses. For each, say which diagnosis \
                 each plausible result would raise or lower. Use standard test names."
            }
            Persona::Challenger => {
                "You are Dr. Challenger on a diagnostic panel. Argue against the current leading \
                 diagnosis: name the findings that do not fit, the alternative that would be most \
                 dangerous to miss, and the single question or test that could falsify the leader. \
                 Watch for anchoring and premature closure."
            }
            Persona::Stewardship => {
                "You are Dr. Stewardship on a diagnostic panel. You see the prices and the budget. \
                 Object to tests whose result would not change management, prefer cheaper tests of \
                 equal diagnostic value, and say when the panel already knows enough to commit. Be \
                 specific about costs."
            }
            Persona::Checklist => {
                "You are Dr. Checklist on a diagnostic panel. Check the panel's work: test names must \
                 be real, orderable tests; nothing already done is repeated without reason; the \
                 differential is consistent with every finding revealed; the proposed action follows \
                 from the discussion. List problems briefly, or say that there are none."
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Persona;

    #[test]
    fn keys_round_trip() {
        for persona in Persona::ALL {
            assert_eq!(Persona::from_key(persona.key()), Some(persona));
            assert!(!persona.instructions().is_empty());
        }
        let keys: Vec<&str> = Persona::ALL.iter().map(|p| p.key()).collect();
        assert_eq!(
            keys,
            [
                "hypothesis",
                "test-chooser",
                "challenger",
                "stewardship",
                "checklist"
            ]
        );
        assert_eq!(Persona::from_key("surgeon"), None);
    }
}

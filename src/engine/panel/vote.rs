//! The ensemble's vote: each panel's diagnosis weighted by its confidence; names that say the
//! same thing in other words count together.

use crate::engine::text::normalize;

/// One panel's final word.
#[derive(Debug, Clone, PartialEq)]
pub struct Ballot {
    /// The ensemble member, from 1.
    pub member: u32,
    /// Its diagnosis.
    pub diagnosis: String,
    /// Its confidence, 0 to 1.
    pub confidence: f64,
}

/// The votes for one diagnosis.
#[derive(Debug, Clone, PartialEq)]
pub struct Tally {
    /// The diagnosis as its most confident voter put it.
    pub diagnosis: String,
    /// The sum of its voters' confidences.
    pub weight: f64,
    /// Who voted for it.
    pub members: Vec<u32>,
    /// The highest single confidence (breaks ties).
    best: f64,
}

/// Two names for one diagnosis: the same words in any order, or nearly the same spelling.
fn same(a: &str, b: &str) -> bool {
    let (a, b) = (normalize(a), normalize(b));
    let mut wa: Vec<&str> = a.split_whitespace().collect();
    let mut wb: Vec<&str> = b.split_whitespace().collect();
    wa.sort_unstable();
    wb.sort_unstable();
    wa == wb || strsim::jaro_winkler(&a, &b) >= 0.94
}

/// The tallies, the winner first: most weight, then the most confident single voter, then the
/// earliest member.
pub fn vote(ballots: &[Ballot]) -> Vec<Tally> {
    let mut tallies: Vec<Tally> = Vec::new();
    for ballot in ballots {
        let confidence = if ballot.confidence.is_finite() {
            ballot.confidence.clamp(0.0, 1.0)
        } else {
            0.0
        };
        match tallies
            .iter_mut()
            .find(|t| same(&t.diagnosis, &ballot.diagnosis))
        {
            Some(tally) => {
                tally.weight += confidence;
                tally.members.push(ballot.member);
                if confidence > tally.best {
                    tally.best = confidence;
                    tally.diagnosis = ballot.diagnosis.clone();
                }
            }
            None => tallies.push(Tally {
                diagnosis: ballot.diagnosis.clone(),
                weight: confidence,
                members: vec![ballot.member],
                best: confidence,
            }),
        }
    }
    tallies.sort_by(|a, b| {
        b.weight
            .total_cmp(&a.weight)
            .then(b.best.total_cmp(&a.best))
            .then(a.members[0].cmp(&b.members[0]))
    });
    tallies
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ballot(member: u32, diagnosis: &str, confidence: f64) -> Ballot {
        Ballot {
            member,
            diagnosis: diagnosis.into(),
            confidence,
        }
    }

    #[test]
    fn confidence_weighs_and_synonyms_pool() {
        let tallies = vote(&[
            ballot(1, "Acute pancreatitis", 0.6),
            ballot(2, "Perforated peptic ulcer", 0.9),
            ballot(3, "pancreatitis, acute", 0.5),
        ]);
        assert_eq!(tallies[0].diagnosis, "Acute pancreatitis");
        assert!((tallies[0].weight - 1.1).abs() < 1e-9);
        assert_eq!(tallies[0].members, vec![1, 3]);
        assert_eq!(tallies[1].members, vec![2]);
    }

    #[test]
    fn one_confident_panel_beats_two_unsure_ones() {
        let tallies = vote(&[
            ballot(1, "Sarcoidosis", 0.3),
            ballot(2, "Tuberculosis", 0.95),
            ballot(3, "Sarcoidosis", 0.3),
        ]);
        assert_eq!(tallies[0].diagnosis, "Tuberculosis");
        // A tie goes to the most confident single voter.
        let tie = vote(&[
            ballot(1, "Gout", 0.5),
            ballot(2, "Pseudogout", 0.25),
            ballot(3, "Pseudogout", 0.25),
        ]);
        assert_eq!(tie[0].diagnosis, "Gout");
        assert_eq!(vote(&[ballot(1, "X", f64::NAN)])[0].weight, 0.0);
    }
}

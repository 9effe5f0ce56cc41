use super::*;

#[test]
fn durations_are_told_apart() {
    assert!(states_duration("It started three days ago."));
    assert!(states_duration("for the past 2 weeks"));
    assert!(states_duration("The pain began 5 hours before arrival."));
    assert!(!states_duration("I take 10 mg daily."));
    assert!(states_duration("She woke at 6 a.m. with a headache."));
    assert!(states_duration("It began this morning."));
    assert!(!states_duration("Her blood pressure was 168/112 mmHg."));
}

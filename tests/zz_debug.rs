#![cfg(feature = "ssr")]
use dx0::engine::{Case, OfflineGatekeeper};
#[test]
fn debug_question() {
    let id = std::env::var("CASE").unwrap();
    let q = std::env::var("Q").unwrap();
    for f in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/probes")).unwrap() {
        let p = f.unwrap().path();
        if !p.to_string_lossy().ends_with(".json") {
            continue;
        }
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        for e in v["cases"].as_array().unwrap() {
            let c = &e["case"];
            if c["id"].as_str() == Some(&id)
                || c["case_id"].as_str() == Some(&id)
                || e.to_string().contains(&format!("\"{id}\""))
            {
                let case: Case = if e["format"] == "freetext" {
                    let text = serde_json::to_string(&vec![c.clone()]).unwrap();
                    dx0::engine::import::from_json("probe", &text)
                        .unwrap()
                        .remove(0)
                } else {
                    serde_json::from_value(c.clone()).unwrap()
                };
                for q in q.split('|') {
                    eprintln!("Q {q:?}\n=> {}", OfflineGatekeeper.answer(&case, q));
                }
            }
        }
    }
}
#[test]
fn debug_judge() {
    let Ok(pairs) = std::env::var("J") else {
        return;
    };
    for pair in pairs.split('|') {
        let (truth, given) = pair.split_once("=>").unwrap();
        let case: Case = serde_json::from_value(serde_json::json!({
            "id": "label", "title": "t", "summary": "s", "full_text": "No further detail.",
            "diagnosis": truth.trim(), "synonyms": [],
        }))
        .unwrap();
        let j = dx0::engine::OfflineJudge
            .judge(&case, given.trim())
            .unwrap();
        eprintln!("{truth} <= {given}: {j:?}");
    }
}

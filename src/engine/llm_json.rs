//! Reading JSON out of a language model's answer: the first object in it, with or without code
//! fences and chatter around it. Never panics, whatever the text.

use serde_json::{Map, Value};

/// The first JSON object in `text`, if any.
pub fn first_object(text: &str) -> Option<Map<String, Value>> {
    let mut start = 0;
    while let Some(offset) = text[start..].find('{') {
        let from = start + offset;
        let mut stream = serde_json::Deserializer::from_str(&text[from..]).into_iter::<Value>();
        if let Some(Ok(Value::Object(map))) = stream.next() {
            return Some(map);
        }
        start = from + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::first_object;

    #[test]
    fn objects_are_found_inside_fences_and_chatter() {
        let fenced = "Sure!\n```json\n{\"score\": 4, \"rationale\": \"close\"}\n```";
        assert_eq!(first_object(fenced).unwrap()["score"], 4);
        assert_eq!(
            first_object("x {broken {\"a\": {\"b\": 1}} y").unwrap()["a"]["b"],
            1
        );
        assert!(first_object("no json here").is_none());
        assert!(first_object("{\"unterminated\": ").is_none());
        assert!(first_object("[1, 2]").is_none());
        assert!(first_object("{{{{").is_none());
    }
}

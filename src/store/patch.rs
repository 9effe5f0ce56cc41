//! The stored form of one step: the difference between two states (JSON objects) as the fields
//! set and the elements appended to lists. A step mostly appends (to the transcript, the tests
//! ordered, the panel's turns) and changes a few numbers, so its patch is small however long the
//! encounter is.

use serde_json::{Map, Value};

/// A patch: `{"set": {field: value}, "push": {field: [elements]}, "unset": [field]}`, each part
/// present only when not empty.
pub fn diff(before: &Value, after: &Value) -> Value {
    let (Some(before), Some(after)) = (before.as_object(), after.as_object()) else {
        return serde_json::json!({ "whole": after });
    };
    let mut set = Map::new();
    let mut push = Map::new();
    for (key, new) in after {
        match before.get(key) {
            Some(old) if old == new => {}
            Some(Value::Array(old)) => match new {
                Value::Array(new) if new.len() > old.len() && new[..old.len()] == old[..] => {
                    push.insert(key.clone(), Value::Array(new[old.len()..].to_vec()));
                }
                _ => {
                    set.insert(key.clone(), new.clone());
                }
            },
            _ => {
                set.insert(key.clone(), new.clone());
            }
        }
    }
    let unset: Vec<Value> = before
        .keys()
        .filter(|k| !after.contains_key(*k))
        .map(|k| Value::String(k.clone()))
        .collect();
    let mut patch = Map::new();
    if !set.is_empty() {
        patch.insert("set".into(), Value::Object(set));
    }
    if !push.is_empty() {
        patch.insert("push".into(), Value::Object(push));
    }
    if !unset.is_empty() {
        patch.insert("unset".into(), Value::Array(unset));
    }
    Value::Object(patch)
}

/// Applies a patch made by [`diff`]; `Err` for anything that is not one (a stored patch that
/// does not fit the state it follows).
pub fn apply(state: &mut Value, patch: &Value) -> Result<(), String> {
    let patch = patch.as_object().ok_or("a patch is not a JSON object")?;
    if let Some(whole) = patch.get("whole") {
        *state = whole.clone();
        return Ok(());
    }
    let fields = state
        .as_object_mut()
        .ok_or("the state is not a JSON object")?;
    if let Some(set) = patch.get("set") {
        let set = set.as_object().ok_or("a patch's `set` is not an object")?;
        for (key, value) in set {
            fields.insert(key.clone(), value.clone());
        }
    }
    if let Some(push) = patch.get("push") {
        let push = push
            .as_object()
            .ok_or("a patch's `push` is not an object")?;
        for (key, tail) in push {
            let tail = tail
                .as_array()
                .ok_or("a patch's appended elements are not a list")?;
            match fields.get_mut(key) {
                Some(Value::Array(list)) => list.extend(tail.iter().cloned()),
                _ => return Err(format!("a patch appends to `{key}`, which is not a list")),
            }
        }
    }
    if let Some(unset) = patch.get("unset") {
        let unset = unset.as_array().ok_or("a patch's `unset` is not a list")?;
        for key in unset {
            let key = key
                .as_str()
                .ok_or("a patch unsets a field that is not named")?;
            fields.remove(key);
        }
    }
    Ok(())
}

/// `state` (JSON text) with `patches` (JSON texts, oldest first) applied.
pub fn fold(state: &str, patches: &[String]) -> Result<String, String> {
    let mut value: Value =
        serde_json::from_str(state).map_err(|e| format!("the stored state is malformed: {e}"))?;
    for patch in patches {
        let patch: Value =
            serde_json::from_str(patch).map_err(|e| format!("a stored step is malformed: {e}"))?;
        apply(&mut value, &patch)?;
    }
    Ok(value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn leaf() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            "[a-c]{0,3}".prop_map(Value::from),
        ]
    }

    fn value() -> impl Strategy<Value = Value> {
        leaf().prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map("[a-d]", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    fn object() -> impl Strategy<Value = Value> {
        prop::collection::btree_map("[a-e]", value(), 0..5)
            .prop_map(|m| Value::Object(m.into_iter().collect()))
    }

    proptest! {
        /// Any state patched with its difference to another is that other, whatever changed.
        #[test]
        fn a_patch_turns_the_state_before_into_the_state_after(
            before in object(),
            after in object(),
        ) {
            let mut patched = before.clone();
            apply(&mut patched, &diff(&before, &after)).unwrap();
            prop_assert_eq!(patched, after);
        }

        /// And when the later state only grows its lists, so does it.
        #[test]
        fn a_grown_list_is_patched_by_its_new_elements(
            before in prop::collection::vec(value(), 0..5),
            added in prop::collection::vec(value(), 1..4),
        ) {
            let mut grown = before.clone();
            grown.extend(added.clone());
            let (before, after) = (json!({ "list": before }), json!({ "list": grown }));
            let patch = diff(&before, &after);
            prop_assert_eq!(&patch, &json!({ "push": { "list": added } }));
            let mut patched = before;
            apply(&mut patched, &patch).unwrap();
            prop_assert_eq!(patched, after);
        }
    }

    #[test]
    fn folding_applies_the_patches_in_order_and_refuses_garbage() {
        let patches = vec![
            json!({"push": {"t": [1]}, "set": {"spent": 300}}).to_string(),
            json!({"push": {"t": [2]}}).to_string(),
        ];
        let folded = fold(r#"{"t": [], "spent": 0}"#, &patches).unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(&folded).unwrap(),
            json!({"t": [1, 2], "spent": 300})
        );
        assert!(fold("{", &[]).is_err());
        assert!(fold("{}", &["[1]".into()]).is_err());
        assert!(fold(r#"{"t": 1}"#, &[json!({"push": {"t": [2]}}).to_string()]).is_err());
    }
}

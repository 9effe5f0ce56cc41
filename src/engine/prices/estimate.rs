//! Prices for test names the table cannot match, when a language model is configured: the model
//! maps the name to a CPT code; a code the table knows takes the table's row and price, any other
//! is priced by the model and marked as an estimate. A name the model cannot map stays unknown.

use crate::engine::case::valid_cpt;
use crate::engine::llm_json::first_object;
use crate::engine::prices::{PriceTable, PricedTest};
use crate::engine::EngineError;
use crate::llm::{ChatMessage, ChatRequest, LlmClient};
use crate::protocol::Money;
use std::sync::Arc;

/// The most an estimated test may cost; a larger figure is taken as a mistake.
const MAX_ESTIMATE: Money = Money(2_000_000);

const SYSTEM: &str = "You map the name of a medical test, as a physician typed it, to its CPT \
code and a typical US Medicare (CMS) national price in dollars. Reply with only a JSON object: \
{\"name\": \"<the test's usual name>\", \"cpt\": \"<5-character CPT code>\", \"price\": <number>}. \
If the text is not a real medical test, reply {\"name\": null}.";

/// A test the table did not know, mapped by the model.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimated {
    /// The row to order.
    pub test: PricedTest,
    /// True when the price is the model's (the code is not in the table).
    pub estimate: bool,
}

/// Maps unknown test names to codes and prices.
#[async_trait::async_trait]
pub trait TestEstimator: Send + Sync {
    /// The test `name` stands for, or `None` when it is not a real test.
    async fn estimate(
        &self,
        name: &str,
        prices: &PriceTable,
    ) -> Result<Option<Estimated>, EngineError>;
}

/// The language-model estimator.
pub struct LlmEstimator {
    client: Arc<dyn LlmClient>,
}

impl LlmEstimator {
    /// An estimator asking `client`.
    pub fn new(client: Arc<dyn LlmClient>) -> Self {
        Self { client }
    }
}

/// Reads the model's mapping; `None` for "not a test" or anything invalid.
pub fn parse_mapping(text: &str, prices: &PriceTable) -> Option<Estimated> {
    let object = first_object(text)?;
    let name = object.get("name")?.as_str()?.trim();
    let cpt = object.get("cpt")?.as_str()?.trim().to_uppercase();
    if name.is_empty() || !valid_cpt(&cpt) {
        return None;
    }
    if let Some(row) = prices.tests().iter().find(|r| r.cpt == cpt) {
        return Some(Estimated {
            test: row.clone(),
            estimate: false,
        });
    }
    let dollars = object.get("price")?.as_f64()?;
    let price = Money::parse_dollars(&format!("{dollars:.2}"))?;
    if price.0 <= 0 || price > MAX_ESTIMATE {
        return None;
    }
    Some(Estimated {
        test: PricedTest {
            name: name.chars().take(120).collect(),
            cpt,
            price,
            category: "estimated".into(),
            aliases: Vec::new(),
            normal_result: String::new(),
        },
        estimate: true,
    })
}

#[async_trait::async_trait]
impl TestEstimator for LlmEstimator {
    async fn estimate(
        &self,
        name: &str,
        prices: &PriceTable,
    ) -> Result<Option<Estimated>, EngineError> {
        let request = ChatRequest {
            json: true,
            max_tokens: Some(100),
            ..ChatRequest::new(vec![ChatMessage::system(SYSTEM), ChatMessage::user(name)])
        };
        match self.client.complete(&request, None).await {
            Ok(answer) => Ok(parse_mapping(&answer.text, prices)),
            Err(err) => Err(EngineError::ModelUnavailable(format!(
                "The test \"{name}\" is not in the price table and could not be priced just now ({err})."
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PRICES: &str = "name,cpt,price,category,aliases,normal_result\n\
        Lipase,83690,6.98,lab,,Lipase 30 U/L (ref 13-60)\n";

    #[test]
    fn mappings_are_checked_and_known_codes_take_the_table_row() {
        let prices = PriceTable::from_csv(PRICES).unwrap();
        let known = parse_mapping(
            "{\"name\": \"Serum lipase\", \"cpt\": \"83690\", \"price\": 99}",
            &prices,
        )
        .unwrap();
        assert_eq!(
            (known.test.name.as_str(), known.estimate),
            ("Lipase", false)
        );
        let new = parse_mapping(
            "{\"name\": \"Galactomannan\", \"cpt\": \"87305\", \"price\": 17.5}",
            &prices,
        )
        .unwrap();
        assert_eq!((new.test.price, new.estimate), (Money(1_750), true));
        for bad in [
            "{\"name\": null}",
            "{\"name\": \"X\", \"cpt\": \"12\", \"price\": 5}",
            "{\"name\": \"X\", \"cpt\": \"87305\", \"price\": -5}",
            "{\"name\": \"X\", \"cpt\": \"87305\", \"price\": 1e9}",
            "{\"name\": \"X\", \"cpt\": \"87305\"}",
            "not json",
        ] {
            assert!(parse_mapping(bad, &prices).is_none(), "{bad}");
        }
    }
}

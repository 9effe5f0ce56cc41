//! The price table: test names, CPT codes and prices, found by name, alias, normalisation and
//! fuzzy matching; a name that matches nothing gets up to five suggestions.

pub mod estimate;
mod plausible;

use super::text::normalize;
use crate::protocol::Money;
use std::collections::HashMap;

/// The bundled table (see `data/PRICES.md` for its sources).
pub const BUNDLED_PRICES: &str = include_str!("../../../data/prices.csv");

/// One priced test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricedTest {
    /// Canonical name.
    pub name: String,
    /// CPT code.
    pub cpt: String,
    /// Price.
    pub price: Money,
    /// lab, imaging, …
    pub category: String,
    /// Other names.
    pub aliases: Vec<String>,
    /// A normal report, for tests a case does not mention.
    pub normal_result: String,
}

/// What looking up a name found.
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup<'a> {
    /// A test (exactly, by alias, or close enough).
    Found(&'a PricedTest),
    /// Nothing close enough; the best candidates, best first.
    Unknown(Vec<&'a PricedTest>),
}

/// The longest test name or search looked up, in characters (the longest name or alias in the
/// table is under 100).
pub const MAX_NAME_CHARS: usize = 160;

/// The most commas a table name holds, plus one: an order's comma-separated parts are joined
/// back into a table name over at most this many parts.
const MAX_NAME_COMMAS: usize = 4;

/// The price table.
#[derive(Debug, Clone)]
pub struct PriceTable {
    tests: Vec<PricedTest>,
    /// Normalised name or alias (also with its words sorted) → index.
    index: HashMap<String, usize>,
}

/// How similar a name must be to be taken for a table entry.
const FUZZY_THRESHOLD: f64 = 0.90;

fn sorted_words(text: &str) -> String {
    let mut words: Vec<&str> = text.split(' ').collect();
    words.sort_unstable();
    words.join(" ")
}

impl PriceTable {
    /// Reads the CSV (`name,cpt,price,category,aliases,normal_result`); every bad row is named.
    pub fn from_csv(text: &str) -> Result<Self, Vec<String>> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let mut tests = Vec::new();
        let mut problems = Vec::new();
        for (i, record) in reader.records().enumerate() {
            let line = i + 2;
            let record = match record {
                Ok(r) => r,
                Err(e) => {
                    problems.push(format!("line {line}: {e}"));
                    continue;
                }
            };
            let field = |n: usize| record.get(n).unwrap_or("").to_string();
            let price = match Money::parse_dollars(&field(2)) {
                Some(p) if p.0 > 0 => p,
                _ => {
                    problems.push(format!(
                        "line {line}: price {:?} is not a positive amount",
                        field(2)
                    ));
                    continue;
                }
            };
            if field(0).is_empty() || !super::case::valid_cpt(&field(1)) {
                problems.push(format!("line {line}: needs a name and a valid CPT code"));
                continue;
            }
            tests.push(PricedTest {
                name: field(0),
                cpt: field(1),
                price,
                category: field(3),
                aliases: field(4)
                    .split('|')
                    .map(str::trim)
                    .filter(|a| !a.is_empty())
                    .map(str::to_string)
                    .collect(),
                normal_result: field(5),
            });
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let mut index = HashMap::new();
        for (i, test) in tests.iter().enumerate() {
            for name in std::iter::once(&test.name).chain(&test.aliases) {
                let key = normalize(name);
                index.entry(sorted_words(&key)).or_insert(i);
                index.entry(key).or_insert(i);
            }
        }
        Ok(Self { tests, index })
    }

    /// The bundled table.
    pub fn bundled() -> Self {
        match Self::from_csv(BUNDLED_PRICES) {
            Ok(table) => table,
            // The bundled file is checked by a unit test; an empty table is the safe fallback.
            Err(problems) => {
                tracing::error!(?problems, "the bundled price table is malformed");
                Self {
                    tests: Vec::new(),
                    index: HashMap::new(),
                }
            }
        }
    }

    /// Every test, in table order.
    pub fn tests(&self) -> &[PricedTest] {
        &self.tests
    }

    /// The test with this CPT code.
    pub fn by_cpt(&self, cpt: &str) -> Option<&PricedTest> {
        self.tests.iter().find(|t| t.cpt.eq_ignore_ascii_case(cpt))
    }

    /// Finds a test by name: exact, alias, word order, then fuzzy. A name longer than
    /// [`MAX_NAME_CHARS`] is no test's name and is not compared (the fuzzy comparison grows with
    /// the square of its length).
    pub fn lookup(&self, name: &str) -> Lookup<'_> {
        if name.chars().count() > MAX_NAME_CHARS {
            return Lookup::Unknown(Vec::new());
        }
        let key = normalize(name);
        if key.is_empty() {
            return Lookup::Unknown(Vec::new());
        }
        if let Some(test) = self.exact(&key) {
            return Lookup::Found(test);
        }
        // "A1AT level", "ferritin assay": a trailing word that only says it is measured.
        if let Some(short) = key
            .rsplit_once(' ')
            .filter(|(_, last)| {
                matches!(
                    *last,
                    "level" | "levels" | "test" | "assay" | "titer" | "titre"
                )
            })
            .map(|(rest, _)| rest)
        {
            if let Some(test) = self.exact(short) {
                return Lookup::Found(test);
            }
        }
        // An order by CPT code alone ("80048"): the first row with that code.
        let code = name.trim();
        if crate::engine::case::valid_cpt(&code.to_ascii_uppercase()) {
            if let Some(test) = self.by_cpt(code) {
                return Lookup::Found(test);
            }
        }
        // A name cut short ("urine cult") names the one row it is the beginning of; when it begins
        // several, those are the candidates (a close spelling of another row is no reading).
        let beginning = self.rows_starting_with(&key);
        match beginning.as_slice() {
            [one] => return Lookup::Found(one),
            [] => {}
            several => return Lookup::Unknown(several.iter().take(5).copied().collect()),
        }
        let ranked = self.rank(&key);
        // Close spelling is not enough: the best close row whose name or an alias is a
        // believable reading of the order (see `plausible`) is taken.
        let believable = ranked
            .iter()
            .take_while(|(score, _)| *score >= FUZZY_THRESHOLD)
            .find(|&&(_, i)| {
                let test = &self.tests[i];
                std::iter::once(&test.name)
                    .chain(&test.aliases)
                    .any(|name| plausible::plausible(&key, &normalize(name)))
            });
        match believable {
            Some(&(_, i)) => Lookup::Found(&self.tests[i]),
            None => Lookup::Unknown(
                ranked
                    .iter()
                    .filter(|(score, _)| *score > 0.3)
                    .take(5)
                    .map(|&(_, i)| &self.tests[i])
                    .collect(),
            ),
        }
    }

    /// The rows with a name or alias that begins with every word of `key`, the last word
    /// possibly cut short (none for a single word or a last word under three letters).
    fn rows_starting_with(&self, key: &str) -> Vec<&PricedTest> {
        let words: Vec<&str> = key.split(' ').collect();
        if words.len() < 2 || words.last().is_some_and(|w| w.len() < 3) {
            return Vec::new();
        }
        let begins = |name: &str| {
            let name_words: Vec<&str> = name.split(' ').collect();
            name_words.len() >= words.len()
                && words
                    .iter()
                    .zip(&name_words)
                    .enumerate()
                    .all(|(i, (w, n))| {
                        if i + 1 == words.len() {
                            n.starts_with(w)
                        } else {
                            w == n
                        }
                    })
        };
        self.tests
            .iter()
            .filter(|test| {
                std::iter::once(&test.name)
                    .chain(&test.aliases)
                    .any(|n| begins(&normalize(n)))
            })
            .collect()
    }

    /// Up to `limit` tests best matching `query`, best first (for search boxes).
    pub fn search(&self, query: &str, limit: usize) -> Vec<&PricedTest> {
        if query.chars().count() > MAX_NAME_CHARS {
            return Vec::new();
        }
        let key = normalize(query);
        if key.is_empty() {
            return self.tests.iter().take(limit).collect();
        }
        self.rank(&key)
            .into_iter()
            .filter(|(score, _)| *score > 0.3)
            .take(limit)
            .map(|(_, i)| &self.tests[i])
            .collect()
    }

    /// Every test scored against a normalised query, best first.
    fn rank(&self, key: &str) -> Vec<(f64, usize)> {
        let sorted_key = sorted_words(key);
        let mut ranked: Vec<(f64, usize)> = self
            .tests
            .iter()
            .enumerate()
            .map(|(i, test)| {
                let best = std::iter::once(&test.name)
                    .chain(&test.aliases)
                    .map(|name| {
                        let candidate = normalize(name);
                        let whole = strsim::jaro_winkler(key, &candidate);
                        let by_words = strsim::jaro_winkler(&sorted_key, &sorted_words(&candidate));
                        // A query that is a whole-word prefix of a name ranks high in searches.
                        let prefix = if candidate.starts_with(key) && key.len() >= 3 {
                            0.89
                        } else {
                            0.0
                        };
                        whole.max(by_words).max(prefix)
                    })
                    .fold(0.0, f64::max);
                (best, i)
            })
            .collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        ranked
    }

    /// The row a name names exactly (name or alias, in any word order), without fuzzy matching.
    pub fn exact(&self, name: &str) -> Option<&PricedTest> {
        let key = normalize(name);
        if key.is_empty() {
            return None;
        }
        self.index
            .get(&key)
            .or_else(|| self.index.get(&sorted_words(&key)))
            .map(|&i| &self.tests[i])
    }

    /// Splits an order of several tests into its parts. Semicolons and new lines always separate;
    /// a comma separates too, except inside a table name that contains one ("Chest X-ray, 2
    /// views", "hCG, serum, quantitative"): the longest comma-joined run of parts that names a
    /// row exactly is kept whole.
    pub fn split_order(&self, content: &str) -> Vec<String> {
        let mut out = Vec::new();
        for segment in content.split([';', '\n']) {
            // The comma-separated parts as byte ranges, so a run is cut from the original text
            // ("1,25-dihydroxyvitamin D" keeps its comma as written).
            let mut parts = Vec::new();
            let mut from = 0;
            for (at, _) in segment.match_indices(',').chain([(segment.len(), "")]) {
                if !segment[from..at].trim().is_empty() {
                    parts.push((from, at));
                }
                from = at + 1;
            }
            let mut start = 0;
            while start < parts.len() {
                let run = |end: usize| segment[parts[start].0..parts[end - 1].1].trim();
                // A table name holds at most a few commas; longer runs are never tried.
                let end = (start + 2..=parts.len().min(start + MAX_NAME_COMMAS + 1))
                    .rev()
                    .find(|&end| self.exact(run(end)).is_some())
                    .unwrap_or(start + 1);
                out.push(run(end).to_string());
                start = end;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests;

//! The integration tests, in one test crate (one link instead of one per file): HTTP,
//! WebSocket, the binary itself and the language-model paths, each on SQLite and PostgreSQL
//! where a database is involved. `cargo test --test it MODULE::` runs one file's tests.
#![cfg(feature = "ssr")]

mod common;

mod actors;
mod auth_api;
mod binary;
mod disk_full;
mod encounter_http;
mod encounter_live;
mod encounter_llm;
mod encounter_ws;
mod headers;
mod http;
mod injection;
mod limits;
mod llm_client;
mod llm_judge;
mod llm_servers;
mod panel_llm;
mod panel_offline;
mod panel_ws;
mod parsers;
mod probe_figures;
mod run_cli;
mod store_cases;
mod store_recovery;
mod two_instances;
mod websocket;
mod ws_auth;

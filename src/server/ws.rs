//! The WebSocket `/api/v1/ws`: authenticated before the upgrade; frames in, frames out, in order;
//! a bad frame gets an error frame and the socket stays open; past the message rate limit, or
//! when its session is revoked, the socket closes.

use super::client::{bearer_token, session_cookie};
use super::encounter;
use super::origin::same_origin;
use super::AppState;
use crate::clinic::{StopRun, Target};
use crate::error::ApiError;
use crate::protocol::{parse_client_frame, Action, ErrorCode, ErrorFrame, PongFrame, ServerFrame};
use crate::store::SessionRecord;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::SinkExt;
use serde::Deserialize;
use std::collections::VecDeque;

/// The largest frame accepted: content is at most 10 000 characters, which JSON may escape to
/// 12 bytes each (an emoji as two six-character `\u` escapes), 120 000 bytes with the frame
/// around it.
pub const MAX_FRAME_BYTES: usize = 128 * 1024;
/// Close code for a frame over the limit ("message too big").
const CLOSE_TOO_BIG: u16 = 1009;
/// Close code for text that is not UTF-8 ("invalid frame payload data").
const CLOSE_INVALID_DATA: u16 = 1007;
/// Close code for a frame that breaks the WebSocket protocol.
const CLOSE_PROTOCOL: u16 = 1002;
/// Close code sent when the server stops ("going away").
const CLOSE_GOING_AWAY: u16 = 1001;
/// Close code sent when the session is revoked or ends ("policy violation").
const CLOSE_POLICY: u16 = crate::protocol::CLOSE_SESSION_ENDED;
/// Close code of a socket a newer one of its session replaced.
const CLOSE_REPLACED: u16 = crate::protocol::CLOSE_REPLACED;
/// Close code sent past the message rate limit ("try again later").
const CLOSE_TRY_LATER: u16 = 1013;

/// The query of `/api/v1/ws`.
#[derive(Debug, Default, Deserialize)]
pub struct WsQuery {
    /// An access token (the original API's way).
    token: Option<String>,
    /// Budget of a new encounter, in dollars.
    budget: Option<String>,
    /// Work on this case.
    case: Option<String>,
    /// Resume this encounter (the caller's own).
    encounter: Option<String>,
    /// `1`: always start a new encounter.
    new: Option<String>,
}

/// Authenticates, then upgrades the connection and runs the session loop. Refusals happen
/// before the upgrade, as plain HTTP answers.
pub async fn upgrade(
    State(state): State<AppState>,
    query: Result<Query<WsQuery>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    let Ok(Query(query)) = query else {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "Malformed query string",
        ));
    };
    let session = authenticate(&state, &query, &headers).await?;
    let target = target(&state, &query, &session).await?;
    let ws = match ws {
        Ok(ws) => ws,
        Err(rejection) => return Ok(rejection.into_response()),
    };
    Ok(ws
        .max_message_size(MAX_FRAME_BYTES)
        .max_frame_size(MAX_FRAME_BYTES)
        .on_upgrade(move |socket| run(socket, state, session, target)))
}

/// Which encounter the socket works on; a bad budget (400), an unknown case or an encounter
/// that is missing or not the caller's (404) are refused before the upgrade.
async fn target(
    state: &AppState,
    query: &WsQuery,
    session: &SessionRecord,
) -> Result<Target, ApiError> {
    let Some(budget) = state.encounters.clinic.budget_for(query.budget.as_deref()) else {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "budget must be a dollar amount of at least 0 with at most two decimals",
        ));
    };
    if let Some(id) = query.encounter.as_deref().filter(|e| !e.is_empty()) {
        return match state.store.encounter(id).await? {
            Some(found) if found.user_id == session.user_id => Ok(Target::Encounter(found.id)),
            _ => Err(ApiError::new(StatusCode::NOT_FOUND, "No such encounter")),
        };
    }
    let case_id = match query.case.as_deref().filter(|c| !c.is_empty()) {
        Some(id) => match state.store.case(id).await? {
            Some(case) => case.id,
            None => return Err(ApiError::new(StatusCode::NOT_FOUND, "No such case")),
        },
        None => match state.encounters.default_case_id().await? {
            Some(id) => id,
            None => return Err(ApiError::new(StatusCode::NOT_FOUND, "No case is loaded")),
        },
    };
    Ok(Target::Case {
        case_id,
        new: matches!(query.new.as_deref(), Some("1" | "true" | "yes")),
        budget,
    })
}

/// API clients by `?token=` or `Authorization: Bearer`; browsers by the session cookie, from
/// this site's own pages only (the `Origin` must match the `Host`).
async fn authenticate(
    state: &AppState,
    query: &WsQuery,
    headers: &HeaderMap,
) -> Result<SessionRecord, ApiError> {
    let bearer = bearer_token(headers);
    if let Some(token) = query.token.as_deref().or(bearer) {
        return state
            .auth
            .session_for_access_token(token)
            .await?
            .ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "Invalid or expired token"));
    }
    let Some(cookie) = session_cookie(headers) else {
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, "Not authenticated"));
    };
    if !same_origin(headers, state.trusted_proxy) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "Cross-origin WebSocket refused: connect from this site's pages or use a token",
        ));
    }
    state
        .auth
        .session_for_cookie(&cookie)
        .await?
        .ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "Session expired; sign in again"))
}

async fn run(mut socket: WebSocket, state: AppState, session: SessionRecord, mut target: Target) {
    tracing::debug!(user = %session.user_name, "websocket opened");
    let mut watch = state.auth.watch(&session.id);
    let place = state.sockets.open(&session.id);
    // Frames that came while the panel ran, answered in order once it is done.
    let mut queued: VecDeque<Message> = VecDeque::new();
    loop {
        let incoming = if let Some(message) = queued.pop_front() {
            Some(Ok(message))
        } else {
            tokio::select! {
            incoming = socket.recv() => incoming,
            () = place.evicted() => {
                close(&mut socket, CLOSE_REPLACED, "replaced by a newer socket of this session").await;
                return;
            }
            () = state.shutdown.wait() => {
                close(&mut socket, CLOSE_GOING_AWAY, "server shutting down").await;
                return;
            }
            () = watch.ended() => {
                close(&mut socket, CLOSE_POLICY, "session ended").await;
                return;
            }
            }
        };
        let reply = match incoming {
            Some(Ok(Message::Text(text))) => {
                let parsed = parse_client_frame(&text);
                // Keep-alive pings are not messages and do not count against the limit.
                let is_ping = matches!(&parsed, Ok(f) if f.action == Action::Ping);
                if !is_ping {
                    match state.auth.allow_message(&session.id).await {
                        Ok(true) => {}
                        Ok(false) => {
                            let frame = ServerFrame::Error(ErrorFrame::new(
                                ErrorCode::RateLimited,
                                "Rate limit exceeded",
                                parsed.as_ref().ok().and_then(|f| f.id.clone()),
                            ));
                            let _ = send(&mut socket, &frame).await;
                            close(&mut socket, CLOSE_TRY_LATER, "rate limit exceeded").await;
                            return;
                        }
                        Err(err) => {
                            tracing::error!(error = %err, "cannot count a message");
                            let frame = ServerFrame::Error(ErrorFrame::new(
                                ErrorCode::Internal,
                                "internal error",
                                None,
                            ));
                            if send(&mut socket, &frame).await.is_err() {
                                break;
                            }
                            continue;
                        }
                    }
                }
                match parsed {
                    Ok(frame) if frame.action == Action::Ping => vec![pong(frame.id)],
                    Ok(frame) if matches!(frame.action, Action::Panel | Action::PanelRun) => {
                        let run = frame.action == Action::PanelRun;
                        match panel_run(
                            &mut socket,
                            &state,
                            &session,
                            &mut target,
                            (run, frame.id),
                            (&mut watch, &place),
                            &mut queued,
                        )
                        .await
                        {
                            Some(()) => continue,
                            None => return,
                        }
                    }
                    Ok(frame) => {
                        encounter::step(
                            &state,
                            &session,
                            &mut target,
                            frame.action,
                            &frame.content,
                            frame.id,
                        )
                        .await
                    }
                    Err(err) => vec![err.into_frame()],
                }
            }
            Some(Ok(Message::Binary(_))) => vec![ServerFrame::Error(ErrorFrame::new(
                ErrorCode::InvalidJson,
                "Binary frames are not supported: send JSON text",
                None,
            ))],
            // Pings are answered by the library; pongs need nothing.
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(Message::Close(_))) | None => break,
            Some(Err(err)) => {
                tracing::debug!(error = %err, "websocket receive failed");
                // A frame that could not be read is answered with the close code that says
                // why, when the connection is still there to say it on.
                if let Some((code, reason)) = close_code_for(err) {
                    close(&mut socket, code, reason).await;
                }
                break;
            }
        };
        if send_all(&mut socket, &reply).await.is_err() {
            return;
        }
    }
    tracing::debug!("websocket closed");
}

/// The most frames kept to answer after a panel run; a client that sends more while the panel
/// works is closed (1013).
const MAX_QUEUED: usize = 64;

/// Works a `panel` or `panel_run` frame: the panel runs as its own task, its frames go out as
/// they come, pings are answered at once and other frames kept for after. When the socket can no
/// longer be answered (the client left, the session ended, the server stops, a newer socket took
/// its place) the run is asked to stop after its current turn — which it saves — and the socket
/// is closed at once. `None`: the socket is done.
async fn panel_run(
    socket: &mut WebSocket,
    state: &AppState,
    session: &SessionRecord,
    target: &mut Target,
    (run, id): (bool, Option<serde_json::Value>),
    (watch, place): (
        &mut crate::auth::revocation::SessionWatch,
        &super::sockets::Place,
    ),
    queued: &mut VecDeque<Message>,
) -> Option<()> {
    let stop = StopRun::default();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut work = tokio::spawn(super::panel::panel(
        state.clone(),
        session.clone(),
        target.clone(),
        run,
        id.clone(),
        tx,
        stop.clone(),
    ));
    // The task keeps its own copy of the signal; leaving this function early asks it to stop.
    let _stop_on_exit = StopOnDrop(stop);
    loop {
        tokio::select! {
            frame = rx.recv() => match frame {
                Some(frame) => send(socket, &frame).await.ok()?,
                // Every frame is out: the task has ended.
                None => break,
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(message @ (Message::Text(_) | Message::Binary(_)))) => {
                    let ping = match &message {
                        Message::Text(text) => parse_client_frame(text)
                            .ok()
                            .filter(|frame| frame.action == Action::Ping),
                        _ => None,
                    };
                    if let Some(ping) = ping {
                        send(socket, &pong(ping.id)).await.ok()?;
                    } else if queued.len() >= MAX_QUEUED {
                        close(socket, CLOSE_TRY_LATER, "too many frames while the panel runs").await;
                        return None;
                    } else {
                        queued.push_back(message);
                    }
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                // The client has gone (or sent what cannot be read): nobody to answer.
                _ => return None,
            },
            () = watch.ended() => {
                close(socket, CLOSE_POLICY, "session ended").await;
                return None;
            }
            () = state.shutdown.wait() => {
                close(socket, CLOSE_GOING_AWAY, "server shutting down").await;
                return None;
            }
            () = place.evicted() => {
                close(socket, CLOSE_REPLACED, "replaced by a newer socket of this session").await;
                return None;
            }
        }
    }
    match (&mut work).await {
        Ok(worked) => *target = worked,
        // The page waits for an answer: a task that failed without giving one still gets it.
        Err(err) => {
            tracing::error!(error = %err, "the panel task failed");
            let frame =
                ServerFrame::Error(ErrorFrame::new(ErrorCode::Internal, "internal error", id));
            send(socket, &frame).await.ok()?;
        }
    }
    Some(())
}

/// Asks a panel run to stop when dropped.
struct StopOnDrop(StopRun);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.stop();
    }
}

/// The close code and reason for a frame the socket could not read; none when the connection
/// itself is gone.
fn close_code_for(err: axum::Error) -> Option<(u16, &'static str)> {
    use tungstenite::error::ProtocolError;
    let inner = err.into_inner();
    match inner.downcast_ref::<tungstenite::Error>()? {
        tungstenite::Error::Capacity(_) => Some((CLOSE_TOO_BIG, "frame too big")),
        tungstenite::Error::Utf8(_) => Some((CLOSE_INVALID_DATA, "text is not UTF-8")),
        tungstenite::Error::Protocol(
            ProtocolError::ResetWithoutClosingHandshake
            | ProtocolError::SendAfterClosing
            | ProtocolError::ReceivedAfterClosing,
        ) => None,
        tungstenite::Error::Protocol(_) => Some((CLOSE_PROTOCOL, "protocol error")),
        _ => None,
    }
}

async fn close(socket: &mut WebSocket, code: u16, reason: &'static str) {
    let frame = CloseFrame {
        code,
        reason: reason.into(),
    };
    let _ = socket.send(Message::Close(Some(frame))).await;
}

fn pong(id: Option<serde_json::Value>) -> ServerFrame {
    ServerFrame::Pong(PongFrame {
        version: env!("CARGO_PKG_VERSION").to_string(),
        id,
    })
}

fn message(frame: &ServerFrame) -> Message {
    let text = match serde_json::to_string(frame) {
        Ok(text) => text,
        Err(err) => {
            tracing::error!(error = %err, "could not encode a server frame");
            r#"{"type":"error","error":"internal error","code":"internal"}"#.to_string()
        }
    };
    Message::Text(text.into())
}

async fn send(socket: &mut WebSocket, frame: &ServerFrame) -> Result<(), axum::Error> {
    socket.send(message(frame)).await
}

/// Sends the frames of one answer in order, written out together (one write, not one a frame).
async fn send_all(socket: &mut WebSocket, frames: &[ServerFrame]) -> Result<(), axum::Error> {
    for frame in frames {
        socket.feed(message(frame)).await?;
    }
    socket.flush().await
}

//! The commands of the `dx0` binary besides `serve` (`dx0 users …`, `dx0 cases …`, `dx0 run`). Output goes to stdout,
//! errors to stderr with a non-zero exit.

mod run;

pub use run::run;

use crate::auth::password::{check_new_password, hash_password, normalize_name};
use crate::auth::{Clock, SystemClock};
use crate::config::{CasesArgs, CasesCommand, UsersArgs, UsersCommand};
use crate::engine::Case;
use crate::protocol::format_unix_utc;
use crate::protocol::Group;
use crate::store::{self, FailureScope, Store};
use anyhow::{bail, Context};
use std::io::BufRead;

/// Runs `dx0 users …`.
pub async fn users(args: UsersArgs) -> anyhow::Result<()> {
    let store = store::open(&args.database.url).await?;
    let result = run_users(store.as_ref(), args.command).await;
    store.close().await;
    result
}

async fn run_users(store: &dyn Store, command: UsersCommand) -> anyhow::Result<()> {
    let now = SystemClock.now_ms();
    match command {
        UsersCommand::Add {
            name,
            admin,
            password_stdin,
        } => {
            let name = valid_name(&name)?;
            if store.user_by_name(&name).await?.is_some() {
                bail!("user {name:?} already exists");
            }
            let password = read_new_password(password_stdin)?;
            let group = if admin {
                Group::Admin
            } else {
                Group::Physician
            };
            let hash = hash_password(password).await?;
            if store.add_user(&name, &hash, group, now).await?.is_none() {
                bail!("user {name:?} already exists");
            }
            println!("added {name} ({group})");
        }
        UsersCommand::List => {
            let users = store.list_users().await?;
            println!("{:<32} {:<10} CREATED (UTC)", "NAME", "GROUP");
            for user in users {
                println!(
                    "{:<32} {:<10} {}",
                    user.name,
                    user.group.as_str(),
                    format_unix_utc(user.created_at)
                );
            }
        }
        UsersCommand::Remove { name } => {
            let name = valid_name(&name)?;
            if !store.remove_user(&name).await? {
                bail!("no user {name:?}");
            }
            println!("removed {name} and ended its sessions");
        }
        UsersCommand::Passwd {
            name,
            password_stdin,
        } => {
            let name = valid_name(&name)?;
            if store.user_by_name(&name).await?.is_none() {
                bail!("no user {name:?}");
            }
            let password = read_new_password(password_stdin)?;
            let hash = hash_password(password).await?;
            if !store.set_password(&name, &hash, now).await? {
                bail!("no user {name:?}");
            }
            println!("changed the password of {name} and ended its sessions");
        }
        UsersCommand::Unlock { name } => {
            let name = valid_name(&name)?;
            store
                .clear_failed_logins_for(FailureScope::Account, &name)
                .await?;
            println!("cleared the failed logins of {name}");
        }
    }
    Ok(())
}

fn valid_name(name: &str) -> anyhow::Result<String> {
    normalize_name(name).map_err(anyhow::Error::msg)
}

/// One line from stdin, or a no-echo prompt asked twice.
fn read_new_password(from_stdin: bool) -> anyhow::Result<String> {
    let password = if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        line.trim_end_matches(['\r', '\n']).to_string()
    } else {
        let first = rpassword::prompt_password("New password: ")
            .context("cannot read the password (use --password-stdin without a terminal)")?;
        let second =
            rpassword::prompt_password("Repeat it: ").context("cannot read the password")?;
        if first != second {
            bail!("the passwords differ");
        }
        first
    };
    check_new_password(&password).map_err(anyhow::Error::msg)?;
    Ok(password)
}

/// Runs `dx0 cases …`.
pub async fn cases(args: CasesArgs) -> anyhow::Result<()> {
    let store = store::open(&args.database.url).await?;
    let result = run_cases(store.as_ref(), args.command).await;
    store.close().await;
    result
}

async fn run_cases(store: &dyn Store, command: CasesCommand) -> anyhow::Result<()> {
    let now = SystemClock.now_ms();
    // Bundled cases are in every database the CLI touches, as in the server's.
    crate::clinic::install_bundled_cases(store, now).await?;
    match command {
        CasesCommand::Import { path, replace } => {
            let cases = crate::engine::import::read_cases(&path).map_err(|problems| {
                anyhow::anyhow!(
                    "nothing imported; {} problem(s):\n  {}",
                    problems.len(),
                    problems.join("\n  ")
                )
            })?;
            let mut records = Vec::new();
            for case in &cases {
                let mut record = crate::clinic::case_record(case)?;
                record.source = "imported".into();
                record.is_default = false;
                records.push(record);
            }
            match store.import_cases(&records, replace, now).await? {
                Ok(n) => println!("imported {n} case(s) from {}", path.display()),
                Err(problems) => bail!(
                    "nothing imported; {} problem(s):\n  {}",
                    problems.len(),
                    problems.join("\n  ")
                ),
            }
        }
        CasesCommand::List => {
            println!("{:<36} {:<9} {:<24} TITLE", "ID", "LEVEL", "SPECIALTY");
            for case in store.list_cases().await? {
                let default = if case.is_default { " (default)" } else { "" };
                println!(
                    "{:<36} {:<9} {:<24} {}{default}",
                    case.id, case.difficulty, case.specialty, case.title
                );
            }
        }
        CasesCommand::Show { id } => {
            let Some(record) = store.case(&id).await? else {
                bail!("no case {id:?} (see `dx0 cases list`)");
            };
            let case: Case = serde_json::from_str(&record.body)?;
            println!("{}", serde_json::to_string_pretty(&case)?);
        }
        CasesCommand::Export { out } => {
            let mut cases = Vec::new();
            for listed in store.list_cases().await? {
                if let Some(record) = store.case(&listed.id).await? {
                    cases.push(serde_json::from_str::<Case>(&record.body)?);
                }
            }
            match out {
                None => println!("{}", serde_json::to_string_pretty(&cases)?),
                Some(dir) => {
                    std::fs::create_dir_all(&dir)
                        .with_context(|| format!("cannot create {}", dir.display()))?;
                    for case in &cases {
                        let path = dir.join(format!("{}.json", case.id));
                        std::fs::write(&path, serde_json::to_string_pretty(case)? + "\n")
                            .with_context(|| format!("cannot write {}", path.display()))?;
                    }
                    println!("wrote {} case(s) to {}", cases.len(), dir.display());
                }
            }
        }
    }
    Ok(())
}

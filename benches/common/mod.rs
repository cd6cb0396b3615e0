//! What the benchmark programs share: the machine and date their figures were measured on.

#![allow(dead_code)]

use std::process::Command;

/// A command's first line of output (a tool's version), or nothing.
pub fn version(cmd: &str, args: &[&str]) -> String {
    Command::new(cmd)
        .args(args)
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

/// Today, `YYYY-MM-DD`.
pub fn today() -> String {
    version("date", &["+%Y-%m-%d"])
}

/// `CPU (N cores, M GiB), OS, rustc VERSION`.
pub fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "an unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("MemTotal"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or_else(String::new, |kb| format!(", {} GiB", kb / 1024 / 1024));
    format!(
        "{cpu} ({cores} cores{mem}), {}, {}",
        std::env::consts::OS,
        version("rustc", &["--version"])
    )
}

//! The `a0ctl` binary: everything lives in the library; see `cli`.

fn main() -> std::process::ExitCode {
    a0ctl::cli::main()
}

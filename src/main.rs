//! The `gearshift` binary: everything lives in the library; see `gearshift::cli`.

fn main() -> std::process::ExitCode {
    gearshift::cli::main()
}

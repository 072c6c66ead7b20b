//! The `gearshift` binary: everything lives in the library; see `gearshift::cli`.

fn main() -> std::process::ExitCode {
    // The same binary is the command sandbox's helper: that decision comes first.
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let Some(code) = gearshift_sandbox::dispatch(&args) {
        return code;
    }
    gearshift::cli::main()
}

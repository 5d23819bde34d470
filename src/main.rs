fn main() -> std::process::ExitCode {
    consentry::cli::main()
}

//! `dumpsys activity exit-info`: one record per `ApplicationExitInfo #` line.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    consentry_fuzz::exit_info(&consentry_fuzz::text(data));
});

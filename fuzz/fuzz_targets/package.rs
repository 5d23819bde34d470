//! `dumpsys package`: unknown lines counted once and not also permissions.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    consentry_fuzz::package(&consentry_fuzz::text(data));
});

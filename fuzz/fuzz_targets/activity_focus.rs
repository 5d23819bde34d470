//! `dumpsys activity activities`: resumed activities come from their lines, in order.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    consentry_fuzz::focus(&consentry_fuzz::text(data));
});

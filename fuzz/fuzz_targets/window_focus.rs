//! `dumpsys window`: a focused window's package starts its title and holds no blank.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    consentry_fuzz::focus(&consentry_fuzz::text(data));
});

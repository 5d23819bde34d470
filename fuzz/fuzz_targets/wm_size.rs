//! `wm size`: what was read, written back, reads the same.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    consentry_fuzz::wm_size(&consentry_fuzz::text(data));
});

//! `dumpsys appops`: unknown lines counted once, ops well formed, CRLF-insensitive.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    consentry_fuzz::appops(&consentry_fuzz::text(data));
});
